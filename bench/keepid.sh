#!/bin/bash
# bench/keepid.sh: the start of a rootless `run --rm --userns keep-id` on the debian bench image
# (a debootstrap minbase and 3,000 small files: bench/image-builders.sh), cocker against Podman
# in one run, each against its own run without keep-id:
#
#   plain     run --rm --network none debian true
#   first     the same with --userns keep-id, the image loaded again before each run (nothing
#             of an earlier keep-id run left: Podman's and cocker's fallback copy of the layers),
#             then `sync`: what is timed is the run, not the disk writing back the load's 260 MB
#             (which doubles any run right after a load here, a plain one too)
#   second    the same again, with what the first left
#   copy      cocker's first run where fuse-overlayfs cannot run (/dev/fuse closed): the
#             fallback, a copy of the layers with their owners shifted (root only: it closes
#             /dev/fuse in a mount namespace of the command's own)
#
# Prints medians and the ratios keep-id/plain (goal for cocker's first run: at most 1.5) and
# cocker/podman. cocker serves the layers through fuse-overlayfs with remapped ids, which needs
# /dev/fuse open to users: most distributions ship it 0666; where it is not (these machines:
# 0600) and this runs as root, the whole benchmark runs in a mount namespace of its own where a
# 0666 node is bound over /dev/fuse, so the host's stays as it is (and `copy` runs). As root it runs as the test
# user `cockertest` (test/support/rootless-user.sh). Needs `npm run build`, hyperfine, podman,
# skopeo, debootstrap (the image's first build, as root).
#   BENCH_RUNS (first runs: 3), BENCH_MIN_RUNS (the others: 10), BENCH_CACHE (/var/cache/cocker-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-3}
min_runs=${BENCH_MIN_RUNS:-10}
cache=${BENCH_CACHE:-/var/cache/cocker-bench}

if [ "$(id -u)" = 0 ] && [ "$(stat -c %a /dev/fuse)" != 666 ] && [ -z "${BENCH_KEEPID_NS:-}" ]; then
	echo "bench: /dev/fuse is $(stat -c %a /dev/fuse) here: running in a mount namespace where it is 0666" >&2
	fusedir=$(mktemp -d /tmp/cocker-bench-fuse.XXXXXX)
	mknod -m 666 "$fusedir/open" c 10 229
	mknod -m 600 "$fusedir/closed" c 10 229
	exec env BENCH_KEEPID_NS="$fusedir" unshare -m --propagation private sh -c 'mount --bind "$0/open" /dev/fuse && exec "$@"' "$fusedir" "$0" "$@"
fi

. bench/side-by-side.sh
bench_setup keepid hyperfine podman skopeo
bench_side_by_side
fusedir=${BENCH_KEEPID_NS:-}
trap 'bench_side_by_side_cleanup; [ -z "$fusedir" ] || rm -rf "$fusedir"' EXIT

. bench/image-builders.sh
image_debian
archive=$tmp/debian.tar
skopeo copy -q "oci:$tmp/debian:latest" "oci-archive:$archive:localhost/bench/debian:latest"
rm -rf "${tmp:?}/debian"
chmod 0644 "$archive"
debian=localhost/bench/debian:latest
"${as[@]}" "${c[@]}" load -q -i "$archive" >/dev/null
"${as[@]}" "${podman[@]}" load -q -i "$archive" >/dev/null

# a fresh image for a first run: removed (with what keep-id left of it) and loaded again
reload() { printf %q "$(q "$@") rmi -f $debian >/dev/null 2>&1; $(q "$@") load -q -i $archive >/dev/null; sync"; }
case_() { # NAME PREPARE COMMAND [HYPERFINE OPTIONS]: one case, its result in $tmp/NAME.json
	hyperfine -N --output null --export-json "$tmp/$1.json" -n "$1" --prepare "$2" "${@:4}" "$3" >&2 </dev/null
}
for e in cocker podman; do
	if [ $e = cocker ]; then cmd=("${c[@]}"); else cmd=("${podman[@]}"); fi
	run="$(q "${cmd[@]}") run --rm --network none"
	case_ "plain-$e" true "$(wrap "$run $debian true")" --warmup 2 --min-runs "$min_runs"
	case_ "first-$e" "$(wrap sh -c "$(reload "${cmd[@]}")")" "$(wrap "$run --userns keep-id $debian true")" --runs "$runs"
	case_ "second-$e" true "$(wrap "$run --userns keep-id $debian true")" --warmup 1 --min-runs "$min_runs"
done
if [ -n "$fusedir" ]; then
	# /dev/fuse closed to the user for this command only: cocker falls back to the shifted copy
	case_ copy-cocker "$(wrap sh -c "$(reload "${c[@]}")")" \
		"unshare -m --propagation private sh -c $(printf %q "mount --bind $fusedir/closed /dev/fuse && exec $(wrap "$(q "${c[@]}") run --rm --network none --userns keep-id $debian true")")" --runs "$runs"
fi

node --input-type=module -e '
	import { readdirSync, readFileSync } from "node:fs"
	const dir = process.argv[1]
	const m = {}
	for (const f of readdirSync(dir).filter(f => f.endsWith(".json"))) {
		for (const r of JSON.parse(readFileSync(`${dir}/${f}`, "utf8")).results) m[r.command] = r.median
	}
	const s = n => `${m[n].toFixed(2)} s`
	for (const e of ["cocker", "podman"]) {
		console.log(`${e.padEnd(6)} plain ${s(`plain-${e}`)}, keep-id first ${s(`first-${e}`)}, second ${s(`second-${e}`)}; ` +
			`keep-id/plain: first ${(m[`first-${e}`] / m[`plain-${e}`]).toFixed(2)}, second ${(m[`second-${e}`] / m[`plain-${e}`]).toFixed(2)}`)
	}
	for (const w of ["plain", "first", "second"]) console.log(`${w.padEnd(6)} cocker/podman ${(m[`${w}-cocker`] / m[`${w}-podman`]).toFixed(2)}`)
	if (m["copy-cocker"]) {
		console.log(`cocker keep-id first run with /dev/fuse closed (the shifted copy): ${s("copy-cocker")}, ` +
			`/plain ${(m["copy-cocker"] / m["plain-cocker"]).toFixed(2)}, /podman first ${(m["copy-cocker"] / m["first-podman"]).toFixed(2)}`)
	}
' "$tmp"
