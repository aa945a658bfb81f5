#!/bin/bash
# bench/files.sh: a container's files, rootless, cocker against Podman on the same image (the
# busybox test fixture) in one run: `cp` of a 100 MB tree of mixed files (3,000 small ones,
# 35 of 2 MB) into a running container and out of it, and `commit` of a container that
# changed those 100 MB (the image removed before each run, in both). Prints medians and the
# ratios cocker/podman (goal: at most 0.5). As root it runs as the test user `cockertest`
# (test/support/rootless-user.sh). Needs `npm run build`, hyperfine, podman.
#   BENCH_RUNS (5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-5}

. bench/side-by-side.sh
bench_setup files hyperfine podman
bench_side_by_side

tree=$stores/tree
"${as[@]}" sh -c "mkdir -p '$tree/small' '$tree/large' && cd '$tree/small' &&
	for d in \$(seq 30); do mkdir \$d; for f in \$(seq 100); do head -c \$((f * 80)) /dev/urandom > \$d/\$f; done; done &&
	for f in \$(seq 35); do head -c 2097152 /dev/urandom > '$tree/large/'\$f; done"
echo "bench: tree of $(du -sm "$tree" | cut -f1) MB, $(find "$tree" -type f | wc -l) files" >&2

for e in c podman; do
	eval "cmd=(\"\${${e}[@]}\")"
	"${as[@]}" "${cmd[@]}" run -d --name ct --network none "$image" sleep 100000 >/dev/null
	"${as[@]}" "${cmd[@]}" run -d --name big --network none "$image" sleep 100000 >/dev/null
	"${as[@]}" "${cmd[@]}" cp "$tree" big:/data >/dev/null
done

pairs=()
for e in cocker podman; do
	if [ $e = cocker ]; then cmd=("${c[@]}"); else cmd=("${podman[@]}"); fi
	out=$stores/out-$e
	pairs+=(
		"cp-in-$e" "$(q "${cmd[@]}") cp $tree ct:/tmp/in" "true"
		"cp-out-$e" "$(q "${cmd[@]}") cp big:/data $out" "rm -rf $out"
		"commit-$e" "$(q "${cmd[@]}") commit big bench-commit:1" "sh -c $(printf %q "$(q "${cmd[@]}") rmi -f bench-commit:1 >/dev/null 2>&1 || true")"
	)
done
bench_compare "$runs" "${pairs[@]}"
