#!/bin/bash
# bench/containers.sh: the container lifecycle, rootless, cocker against Podman on the same
# image (the busybox test fixture) in one run, with `node -e 0` as the floor every cocker
# command pays; prints medians and the ratios cocker/podman, and beside them the CPU time of
# the processes the command waits for (the detached monitor and conmon are not among them):
#
#   run --rm --network none IMG true       run -d IMG sleep + rm -f -t 0
#   exec CT true                          ps -a with 100 containers       logs of 100,000 lines
#   run -d IMG sleep + stop -t 0 + rm
#
# and the resident memory of a container's monitor against conmon's. A clean environment
# (NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset, as on a user's machine). As root it runs as the
# test user `cockertest` (test/support/rootless-user.sh). Needs `npm run build`, hyperfine, podman.
#   BENCH_WARMUP (3), BENCH_MIN_RUNS (20), BENCH_CONTAINERS (100)
set -euo pipefail
cd "$(dirname "$0")/.."
warmup=${BENCH_WARMUP:-3}
min_runs=${BENCH_MIN_RUNS:-20}
count=${BENCH_CONTAINERS:-100}

. bench/side-by-side.sh
bench_setup containers hyperfine podman
bench_side_by_side

# what exec, ps and logs need: a running container, many stopped ones, a long log
"${as[@]}" "${c[@]}" run -d --name ex "$image" sleep 100000 >/dev/null
"${as[@]}" "${podman[@]}" run -d --network none --name ex "$image" sleep 100000 >/dev/null
"${as[@]}" "${c[@]}" run --name long "$image" seq 100000 >/dev/null
"${as[@]}" "${podman[@]}" run --network none --name long "$image" seq 100000 >/dev/null
echo "bench: creating $count containers in each engine" >&2
for i in $(seq "$count"); do
	"${as[@]}" "${c[@]}" create --name "c$i" "$image" true >/dev/null
	"${as[@]}" "${podman[@]}" create --network none --name "c$i" "$image" true >/dev/null
done

pairs=(
	node "node -e 0"
	run-cocker "$(q "${c[@]}") run --rm --network none $image true"
	run-podman "$(q "${podman[@]}") run --rm --network none $image true"
	detach-cocker "sh -c $(printf %q "id=\$($(q "${c[@]}") run -d --network none $image sleep 1000) && $(q "${c[@]}") rm -f -t 0 \$id >/dev/null")"
	detach-podman "sh -c $(printf %q "id=\$($(q "${podman[@]}") run -d --network none $image sleep 1000) && $(q "${podman[@]}") rm -f -t 0 \$id >/dev/null")"
	exec-cocker "$(q "${c[@]}") exec ex true"
	exec-podman "$(q "${podman[@]}") exec ex true"
	ps-cocker "$(q "${c[@]}") ps -a"
	ps-podman "$(q "${podman[@]}") ps -a"
	logs-cocker "$(q "${c[@]}") logs long"
	logs-podman "$(q "${podman[@]}") logs long"
)
# --- stop: run -d, stop, rm; stop returns once the monitor has cleaned up (c/release.c) ---
# the container's main process ignores SIGTERM (a shell's PID 1), so -t 0 goes straight to SIGKILL in both
stop_case() { printf %q "id=\$($(q "$@") run -d --network none $image sleep 1000) && $(q "$@") stop -t 0 \$id >/dev/null && $(q "$@") rm \$id >/dev/null"; }
pairs+=(
	stop-cocker "sh -c $(stop_case "${c[@]}")"
	stop-podman "sh -c $(stop_case "${podman[@]}")"
)
# --- end of stop ---

args=(-N --warmup "$warmup" --min-runs "$min_runs" --export-json "$tmp/result.json" --output null)
for ((i = 0; i < ${#pairs[@]}; i += 2)); do
	args+=(-n "${pairs[i]}" "$(wrap "${pairs[i + 1]}")")
done
hyperfine "${args[@]}" >&2 </dev/null

# VmRSS in kB; 0 when the process is not found (the ratio then says so)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/${1:-0}/status" 2>/dev/null || echo 0; }
monitor=$( (for p in /proc/[0-9]*; do [ "$(cat "$p/comm" 2>/dev/null)" = "cocker:[0:MON]" ] && ls -l "$p/fd" 2>/dev/null | grep -F "$stores/cocker" >/dev/null && echo "${p#/proc/}"; done || true) | head -1)
conmon=$("${as[@]}" "${podman[@]}" inspect -f '{{.State.ConmonPid}}' ex 2>/dev/null || echo 0)
node --input-type=module -e '
	import { readFileSync } from "node:fs"
	const [file, monitorRss, conmonRss] = process.argv.slice(1)
	const results = JSON.parse(readFileSync(file, "utf8")).results
	const median = Object.fromEntries(results.map(r => [r.command, r.median * 1000]))
	// CPU time (user + system, means): steadier than wall time on a machine others load
	const cpu = Object.fromEntries(results.map(r => [r.command, (r.user + r.system) * 1000]))
	const ms = n => `${median[n].toFixed(1)} ms`
	console.log(`node -e 0: ${ms("node")}`)
	for (const what of ["run", "detach", "exec", "ps", "logs", "stop"]) {
		const [c, p] = [`${what}-cocker`, `${what}-podman`]
		console.log(`${what.padEnd(7)} cocker ${ms(c)}, podman ${ms(p)}, cocker/podman ${(median[c] / median[p]).toFixed(2)}` +
			` (cpu: cocker ${cpu[c].toFixed(1)} ms, podman ${cpu[p].toFixed(1)} ms, ${(cpu[c] / cpu[p]).toFixed(2)})`)
	}
	console.log(`ps -a: cocker - node -e 0 = ${(median["ps-cocker"] - median.node).toFixed(1)} ms`)
	console.log(`resident memory: monitor ${monitorRss} kB, conmon ${conmonRss} kB, monitor/conmon ${(monitorRss / conmonRss).toFixed(2)}`)
' "$tmp/result.json" "$(rss "$monitor")" "$(rss "$conmon")"
