#!/bin/bash
# bench/images.sh: `cocker images` on a store with 100 images against `node -e 0`, the floor
# every cocker command pays; prints both medians and the difference, and beside them the CPU
# time (user + system), steadier on a loaded machine. Rootless, in a clean environment
# (bench/as-user.sh: as root, as the test user).
# The budget (issue 10): at most 25 ms above node. Needs `npm run build` and hyperfine.
#   BENCH_IMAGES (100), BENCH_WARMUP (3), BENCH_MIN_RUNS (30)
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_IMAGES:-100}
. bench/as-user.sh
bench_setup images hyperfine
bench_as_user "$repo" "$tmp"
# the store in the user's home, where a user's is (PEERS.md: /tmp is slow to create files in here)
store=$("${as[@]}" mktemp -d "$home/.cocker-bench-images.XXXXXX")
trap 'rm -rf "$tmp" "$store"' EXIT
"${as[@]}" node "$package/dist/test/support/fill-store.js" "$store" "$count"
[ "$("${as[@]}" "$package/bin/cocker" --root "$store" images -q | wc -l)" = "$count" ] || die "the store is not filled"
"${as[@]}" hyperfine -N --warmup "${BENCH_WARMUP:-3}" --min-runs "${BENCH_MIN_RUNS:-30}" --export-json "$tmp/r.json" \
	-n node 'node -e 0' -n images "$package/bin/cocker --root $store images" >&2
node -e '
const r = require(process.argv[1]).results
const ms = x => x.median * 1000
const cpu = x => (x.user + x.system) * 1000
console.log(`node -e 0: ${ms(r[0]).toFixed(1)} ms (cpu ${cpu(r[0]).toFixed(1)} ms), cocker images (${process.argv[2]} images): ${ms(r[1]).toFixed(1)} ms (cpu ${cpu(r[1]).toFixed(1)} ms)`)
console.log(`cocker images - node -e 0 = ${(ms(r[1]) - ms(r[0])).toFixed(1)} ms (cpu ${(cpu(r[1]) - cpu(r[0])).toFixed(1)} ms), ratio ${(ms(r[1]) / ms(r[0])).toFixed(2)}`)
' "$tmp/r.json" "$count"
