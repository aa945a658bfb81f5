#!/bin/bash
# bench/kube.sh: Kubernetes YAML, rootless, cocker against Podman on the same image (the busybox
# test fixture) in one run: `kube generate` of a container, `kube play` of a one-container Pod
# (network none, its containers started) and `kube down` of it. Prints medians and the ratios
# cocker/podman. As root it runs as the test user `cockertest` (test/support/rootless-user.sh).
# Needs `npm run build`, hyperfine, podman and catatonit (Podman's pod infra).
#   BENCH_RUNS (10)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
die() {
	echo "bench: $*" >&2
	exit 1
}
for c in hyperfine podman catatonit; do command -v "$c" >/dev/null || die "$c is not installed"; done
[ -e dist/test/support/image-fixture.js ] || die "build first: npm run build"
runs=${BENCH_RUNS:-10}

tmp=$(mktemp -d /tmp/cocker-bench-kube.XXXXXX)
chmod 0755 "$tmp"
. bench/as-user.sh
bench_as_user "$repo" "$tmp"
. bench/side-by-side.sh
bench_side_by_side "$repo" "$tmp" cocker-bench-kube

yaml=$tmp/pod.yaml
cat >"$yaml" <<YAML
apiVersion: v1
kind: Pod
metadata: {name: bench}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - {name: main, image: $image, command: [sleep, "100000"], env: [{name: A, value: b}]}
YAML
chmod 0644 "$yaml"
for e in c podman; do
	eval "cmd=(\"\${${e}[@]}\")"
	"${as[@]}" "${cmd[@]}" run -d --name ct --network none -e A=b "$image" sleep 100000 >/dev/null
done

wrap() { # a command line as the benchmarked user
	printf '%q ' "${as[@]}"
	echo "$*"
}
q() { printf '%q ' "$@"; }
pairs=()
for e in cocker podman; do
	if [ $e = cocker ]; then cmd=("${c[@]}"); else cmd=("${podman[@]}"); fi
	down="sh -c $(printf %q "$(q "${cmd[@]}") kube down $yaml >/dev/null 2>&1 || true")"
	pairs+=(
		"generate-$e" "$(q "${cmd[@]}") kube generate ct" "true"
		"play-$e" "$(q "${cmd[@]}") kube play --network none $yaml" "$down"
		"down-$e" "$(q "${cmd[@]}") kube down $yaml" "sh -c $(printf %q "$(q "${cmd[@]}") kube play --replace --network none $yaml >/dev/null")"
	)
done

args=(-N --runs "$runs" --export-json "$tmp/result.json" --output null)
for ((i = 0; i < ${#pairs[@]}; i += 3)); do
	args+=(-n "${pairs[i]}" --prepare "$(wrap "${pairs[i + 2]}")" "$(wrap "${pairs[i + 1]}")")
done
hyperfine "${args[@]}" >&2 </dev/null
for e in c podman; do
	eval "cmd=(\"\${${e}[@]}\")"
	"${as[@]}" "${cmd[@]}" kube down "$yaml" >/dev/null 2>&1 || true
done

node --input-type=module -e '
	import { readFileSync } from "node:fs"
	const results = JSON.parse(readFileSync(process.argv[1], "utf8")).results
	const median = Object.fromEntries(results.map(r => [r.command, r.median * 1000]))
	for (const what of ["generate", "play", "down"]) {
		const [c, p] = [median[`${what}-cocker`], median[`${what}-podman`]]
		console.log(`${what.padEnd(9)} cocker ${c.toFixed(0)} ms, podman ${p.toFixed(0)} ms, cocker/podman ${(c / p).toFixed(2)}`)
	}
' "$tmp/result.json"
