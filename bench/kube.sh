#!/bin/bash
# bench/kube.sh: Kubernetes YAML, rootless, cocker against Podman on the same image (the busybox
# test fixture) in one run: `kube generate` of a container, `kube play` of a one-container Pod
# (network none, its containers started) and `kube down` of it. Prints medians and the ratios
# cocker/podman. As root it runs as the test user `cockertest` (test/support/rootless-user.sh).
# Needs `npm run build`, hyperfine, podman and catatonit (Podman's pod infra).
#   BENCH_RUNS (10)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-10}

. bench/side-by-side.sh
bench_setup kube hyperfine podman catatonit
bench_side_by_side

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
bench_compare "$runs" "${pairs[@]}"
for e in c podman; do
	eval "cmd=(\"\${${e}[@]}\")"
	"${as[@]}" "${cmd[@]}" kube down "$yaml" >/dev/null 2>&1 || true
done
