#!/bin/bash
# bench/network.sh: container networking, rootless, cocker against Podman 4.3 (whose rootless
# network is slirp4netns; it has no pasta) on the busybox test fixture, in one hyperfine run:
#
#   run --rm IMG true                  cocker's default rootless network (pasta) against Podman's
#   run -d -p PORT:8080 IMG httpd …    until the port answers on the host, then rm -f -t 0
#   GET of a BENCH_MB file             through the published port, with curl on the host
#   run --rm --network NET IMG true    on a bridge network (rootless: in the user's rootless
#                                      network namespace, which a container kept on NET holds)
#
# and prints medians and the ratios cocker/podman (for the transfer, also MB/s). A clean
# environment (NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset). As root it runs as the test user
# `cockertest`. Needs `npm run build`, hyperfine, podman, curl, /dev/net/tun mode 0666.
#   BENCH_WARMUP (2), BENCH_MIN_RUNS (10), BENCH_MB (64)
set -euo pipefail
cd "$(dirname "$0")/.."
warmup=${BENCH_WARMUP:-2}
min_runs=${BENCH_MIN_RUNS:-10}
mb=${BENCH_MB:-64}

. bench/side-by-side.sh
bench_setup network hyperfine podman curl
bench_side_by_side

httpd='mkdir -p /www && echo ok >/www/index.html && exec httpd -f -p 8080 -h /www'
# run -d -p until the page answers, then rm
port_case() { # PORT ENGINE…
	local port=$1
	shift
	printf %q "id=\$($(q "$@") run -d -p $port:8080 $image sh -c $(printf %q "$httpd")) && until curl -sf -o /dev/null http://127.0.0.1:$port/; do sleep 0.005; done && $(q "$@") rm -f -t 0 \$id >/dev/null"
}
# the servers of the transfer: BENCH_MB of zeros
big="mkdir -p /www && dd if=/dev/zero of=/www/big bs=1M count=$mb 2>/dev/null && exec httpd -f -p 8080 -h /www"
"${as[@]}" "${c[@]}" run -d --name big -p 18901:8080 "$image" sh -c "$big" >/dev/null
"${as[@]}" "${podman[@]}" run -d --name big -p 18902:8080 "$image" sh -c "$big" >/dev/null
# a bridge network each, with a container kept on it: the rootless network namespace exists
"${as[@]}" "${c[@]}" network create --subnet 10.123.200.0/24 benchnet >/dev/null
"${as[@]}" "${podman[@]}" network create --subnet 10.123.201.0/24 benchnet >/dev/null
"${as[@]}" "${c[@]}" run -d --name keep --network benchnet "$image" sleep 100000 >/dev/null
"${as[@]}" "${podman[@]}" run -d --name keep --network benchnet "$image" sleep 100000 >/dev/null
for port in 18901 18902; do
	for _ in $(seq 300); do curl -sf -o /dev/null -r 0-0 "http://127.0.0.1:$port/big" && break; sleep 0.1; done
done

pairs=(
	node "node -e 0"
	run-cocker "$(q "${c[@]}") run --rm $image true"
	run-podman "$(q "${podman[@]}") run --rm --network slirp4netns $image true"
	port-cocker "sh -c $(port_case 18903 "${c[@]}")"
	port-podman "sh -c $(port_case 18904 "${podman[@]}" )"
	bridge-cocker "$(q "${c[@]}") run --rm --network benchnet $image true"
	bridge-podman "$(q "${podman[@]}") run --rm --network benchnet $image true"
	get-cocker "curl -sf -o /dev/null http://127.0.0.1:18901/big"
	get-podman "curl -sf -o /dev/null http://127.0.0.1:18902/big"
)
args=(-N --warmup "$warmup" --min-runs "$min_runs" --export-json "$tmp/result.json" --output null)
for ((i = 0; i < ${#pairs[@]}; i += 2)); do
	case ${pairs[i]} in get-*) args+=(-n "${pairs[i]}" "${pairs[i + 1]}") ;; *) args+=(-n "${pairs[i]}" "$(wrap "${pairs[i + 1]}")") ;; esac
done
hyperfine "${args[@]}" >&2 </dev/null

node --input-type=module -e '
	import { readFileSync } from "node:fs"
	const mb = Number(process.argv[2])
	const results = JSON.parse(readFileSync(process.argv[1], "utf8")).results
	const median = Object.fromEntries(results.map(r => [r.command, r.median * 1000]))
	const cpu = Object.fromEntries(results.map(r => [r.command, (r.user + r.system) * 1000]))
	const ms = n => `${median[n].toFixed(1)} ms`
	console.log(`node -e 0: ${ms("node")}`)
	for (const [what, label] of [["run", "run --rm (pasta / slirp4netns)"], ["port", "run -d -p until it answers"], ["bridge", "run --rm --network NET"], ["get", `GET ${mb} MB through -p`]]) {
		const [c, p] = [`${what}-cocker`, `${what}-podman`]
		console.log(`${label.padEnd(32)} cocker ${ms(c)}, podman ${ms(p)}, cocker/podman ${(median[c] / median[p]).toFixed(2)}` +
			(what === "get" ? ` (cocker ${(mb / median[c] * 1000).toFixed(0)} MB/s, podman ${(mb / median[p] * 1000).toFixed(0)} MB/s)`
				: ` (cpu: cocker ${cpu[c].toFixed(1)} ms, podman ${cpu[p].toFixed(1)} ms)`))
	}
' "$tmp/result.json" "$mb"
