#!/bin/bash
# bench/images.sh: `cocker images` on a store with 100 images against `node -e 0`, the floor
# every cocker command pays; prints both medians and the difference, and beside them the CPU
# time (user + system), steadier on a loaded machine. Rootless, in a clean environment
# (NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset, as on a user's machine); as root it runs as the
# test user `cockertest` (test/support/rootless-user.sh), as bench/containers.sh does.
# The budget (issue 10): at most 25 ms above node. Needs `npm run build` and hyperfine.
#   BENCH_IMAGES (100), BENCH_WARMUP (3), BENCH_MIN_RUNS (30)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
command -v hyperfine >/dev/null || { echo "bench: hyperfine is not installed" >&2; exit 1; }
[ -e dist/test/support/fill-store.js ] || { echo "bench: build first: npm run build" >&2; exit 1; }
count=${BENCH_IMAGES:-100}
path=$(dirname "$(command -v node)"):/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
tmp=$(mktemp -d /tmp/cocker-bench-images.XXXXXX)
chmod 0755 "$tmp"
if [ "$(id -u)" = 0 ]; then
	read -r name uid gid home xdg <<<"$(bash test/support/rootless-user.sh user)"
	repo=$(bash test/support/rootless-user.sh stage "$repo")
	as=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups
		env -i "HOME=$home" "USER=$name" "LOGNAME=$name" "XDG_RUNTIME_DIR=$xdg" "PATH=$path")
	chown "$uid:$gid" "$tmp"
else
	home=$HOME
	as=(env -i "HOME=$HOME" "USER=$(id -un)" "PATH=$path" ${XDG_RUNTIME_DIR:+"XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"})
fi
# the store in the user's home, where a user's is (PEERS.md: /tmp is slow to create files in here)
store=$("${as[@]}" mktemp -d "$home/.cocker-bench-images.XXXXXX")
trap 'rm -rf "$tmp" "$store"' EXIT
"${as[@]}" node "$repo/dist/test/support/fill-store.js" "$store" "$count"
[ "$("${as[@]}" "$repo/bin/cocker" --root "$store" images -q | wc -l)" = "$count" ] || { echo "bench: the store is not filled" >&2; exit 1; }
"${as[@]}" hyperfine -N --warmup "${BENCH_WARMUP:-3}" --min-runs "${BENCH_MIN_RUNS:-30}" --export-json "$tmp/r.json" \
	-n node 'node -e 0' -n images "$repo/bin/cocker --root $store images" >&2
node -e '
const r = require(process.argv[1]).results
const ms = x => x.median * 1000
const cpu = x => (x.user + x.system) * 1000
console.log(`node -e 0: ${ms(r[0]).toFixed(1)} ms (cpu ${cpu(r[0]).toFixed(1)} ms), cocker images (${process.argv[2]} images): ${ms(r[1]).toFixed(1)} ms (cpu ${cpu(r[1]).toFixed(1)} ms)`)
console.log(`cocker images - node -e 0 = ${(ms(r[1]) - ms(r[0])).toFixed(1)} ms (cpu ${(cpu(r[1]) - cpu(r[0])).toFixed(1)} ms), ratio ${(ms(r[1]) / ms(r[0])).toFixed(2)}`)
' "$tmp/r.json" "$count"
