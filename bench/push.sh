#!/bin/bash
# bench/push.sh: `push` of a committed image to a registry on 127.0.0.1, rootless, cocker against
# Podman in one run. The image: a debootstrap minbase (bench/image-builders.sh, one gzip layer,
# loaded into both) and a committed layer of ~50 MB (3,000 small files, 25 MB of random bytes,
# 25 MB of text), which both engines store uncompressed and gzip as they push. Cases:
#   first   push into a repository that has nothing of it (its links removed before each run):
#           every layer is sent, the committed one compressed on the way (Podman, which keeps
#           no compressed blob, compresses the base layer too)
#   layer   push into a repository that has the base layer already (pushed there in the
#           preparation): the committed layer alone is compressed and sent, by both
#   again   the same push once more: every blob is found in the registry
# Prints medians, cocker/podman, and the bytes each pushed. As root it runs as the test user
# `cockertest` (test/support/rootless-user.sh). Needs `npm run build`, hyperfine, podman, skopeo,
# docker-registry, debootstrap (the base's first build, as root).
#   BENCH_RUNS (5), BENCH_CACHE (/var/cache/cocker-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-5}
cache=${BENCH_CACHE:-/var/cache/cocker-bench}

. bench/side-by-side.sh
bench_setup push hyperfine podman skopeo docker-registry
bench_side_by_side
registry_pid=
trap '[ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null; bench_side_by_side_cleanup' EXIT

# the registry, as the benchmarked user: the cases' preparations remove its repositories
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/registry.yml" <<YML
version: 0.1
log: { level: error, accesslog: { disabled: true } }
storage: { filesystem: { rootdirectory: $stores/registry } }
http: { addr: 127.0.0.1:$port }
YML
chmod 0644 "$tmp/registry.yml"
"${as[@]}" docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done

. bench/image-builders.sh
cp "$(debian_base)" "$tmp/base.tar"
layout base "$tmp/base.tar"
archive=$tmp/base-archive.tar
skopeo copy -q "oci:$tmp/base:latest" "oci-archive:$archive:localhost/bench/base:latest"
rm -rf "${tmp:?}/base"
chmod 0644 "$archive"
base=localhost/bench/base:latest
write='mkdir -p /srv/app && cd /srv/app &&
	for d in $(seq 30); do mkdir m$d; for f in $(seq 100); do echo "module $d file $f" > m$d/f$f; done; done &&
	for i in $(seq 5); do head -c 5000000 /dev/urandom > random$i; yes "line $i of a large text file" | head -c 5000000 > text$i; done'
for e in c podman; do
	eval "cmd=(\"\${${e}[@]}\")"
	"${as[@]}" "${cmd[@]}" load -q -i "$archive" >/dev/null
	"${as[@]}" "${cmd[@]}" run --name made --network none "$base" sh -c "$write"
	"${as[@]}" "${cmd[@]}" commit -q made localhost/bench/pushed:1 >/dev/null
	"${as[@]}" "${cmd[@]}" rm made >/dev/null
done
echo "bench: committed layer: $(du -sm "$stores/cocker/blobs/sha256" | cut -f1) MB of blobs in cocker's store" >&2

pairs=()
repos=$stores/registry/docker/registry/v2/repositories
for e in cocker podman; do
	if [ $e = cocker ]; then cmd=("${c[@]}"); else cmd=("${podman[@]}"); fi
	push="$(q "${cmd[@]}") push -q --tls-verify=false localhost/bench/pushed:1 127.0.0.1:$port/$e/pushed:1"
	push_base="$(q "${cmd[@]}") push -q --tls-verify=false $base 127.0.0.1:$port/$e/pushed:base"
	pairs+=(
		"first-$e" "$push" "rm -rf $repos/$e"
		"layer-$e" "$push" "sh -c $(printf %q "rm -rf $repos/$e && $push_base")"
		"again-$e" "$push" "true"
	)
done
bench_compare "$runs" "${pairs[@]}"
for e in cocker podman; do
	skopeo inspect --raw --tls-verify=false "docker://127.0.0.1:$port/$e/pushed:1" |
		node -e 'const m = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`${process.argv[1]} pushed: ${m.layers.map(l => `${(l.size / 1e6).toFixed(1)} MB ${l.mediaType.split(".").pop()}`).join(", ")}`)' "$e"
done
