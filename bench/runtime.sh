#!/bin/bash
# bench/runtime.sh: what `run` of a container that only runs `true` costs,
# bin/cocker-runtime against crun and runc, with `node -e 0` as the floor
# every cocker command pays. One hyperfine run per mode, so all commands of
# a mode see the same machine state (medians drift ±10-15 % between runs,
# PEERS.md); then medians and the ratios cocker/node, cocker/crun, cocker/runc.
# As root also each start after 100 ms of idle (cgroup v1's grace period, see below).
#
#   bench/runtime.sh [root] [rootless]    default: both as root, rootless otherwise
#
# Rootless as root runs as the test user `cockertest` (test/support/rootless-user.sh).
# Needs `npm run build` and hyperfine; a runtime that is missing or cannot run
# the bundle is left out with the reason. BENCH_WARMUP (3), BENCH_MIN_RUNS (20), BENCH_NODE_CA=1,
# BENCH_FIX_CRUN=1 (see fix_crun_hybrid).
set -euo pipefail
cd "$(dirname "$0")/.."
warmup=${BENCH_WARMUP:-3}
min_runs=${BENCH_MIN_RUNS:-20}

. bench/as-user.sh
bench_setup runtime hyperfine

if [ $# -gt 0 ]; then
	modes=("$@")
elif [ "$(id -u)" = 0 ]; then
	modes=(root rootless)
else
	modes=(rootless)
fi

# make_bundle DIR [UID GID]: a bundle whose process is `true`: fixture-init
# when built (one small static binary), else busybox. With UID GID it is the
# rootless variant, owned by and mapping root to that user.
make_bundle() {
	node --input-type=module -e '
		const [repo, dir, uid, gid] = process.argv.slice(1)
		const rootless = uid ? { uid: Number(uid), gid: Number(gid) } : undefined
		const init = await import(repo + "/dist/test/fixtures/init-bundle.js")
		if (init.hasFixtureInit()) init.makeInitBundle(dir, { rootless, args: ["/init", "true"] })
		else (await import(repo + "/dist/test/fixtures/busybox-bundle.js")).makeBusyboxBundle(dir, { rootless, args: ["/bin/true"] })
	' "$repo" "$@"
}

# crun refuses a hybrid cgroup host whose cgroup2 mount holds hugetlb;
# a v1 hugetlb hierarchy empties cgroup2 (PEERS.md). That changes the host
# for every program on it, so only when asked: BENCH_FIX_CRUN=1, as root.
fix_crun_hybrid() {
	if [ "${BENCH_FIX_CRUN:-}" != 1 ] || [ "$(id -u)" != 0 ]; then
		echo "bench: crun refuses this hybrid cgroup host; as root, BENCH_FIX_CRUN=1 mounts the hugetlb v1 hierarchy it needs" >&2
		return 1
	fi
	mountpoint -q /sys/fs/cgroup/hugetlb && return 1
	echo "bench: mounting the hugetlb v1 hierarchy so crun accepts this hybrid cgroup host" >&2
	mkdir -p /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb
}

bench_mode() {
	local mode=$1 bundle=$tmp/$1/bundle state=$tmp/$1/state as home package cocker
	mkdir -p "$tmp/$mode"
	case $mode in
	root)
		[ "$(id -u)" = 0 ] || die "root mode needs root"
		bench_as_user "$repo" "$tmp/$mode" self
		make_bundle "$bundle"
		;;
	rootless)
		bench_as_user "$repo" "$tmp/$mode"
		make_bundle "$bundle" "$("${as[@]}" id -u)" "$("${as[@]}" id -g)"
		;;
	*) die "unknown mode $mode (root or rootless)" ;;
	esac
	cocker=$package/bin/cocker-runtime
	# bench_as_user's clean environment: inherited variables change what is measured
	# (NODE_EXTRA_CA_CERTS alone adds ~35 ms to every node start). BENCH_NODE_CA=1 keeps
	# that one, as the machine's own environment sets it: node -e 0 pays for it,
	# cocker-runtime does not (it drops it: no TLS there).
	[ "${BENCH_NODE_CA:-}" = 1 ] && [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && as+=("NODE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS")
	"${as[@]}" mkdir -p "$state"

	# Names and commands; ids are fixed per mode because `run` without -d
	# removes the container's state when it returns.
	local names=(node) cmds=("node -e 0") try=(
		cocker "$cocker run --bundle $bundle bench-cocker-$$"
		crun "crun --root $state/crun run --bundle $bundle bench-crun-$$"
		runc "runc --root $state/runc run --bundle $bundle bench-runc-$$"
	)
	# As root every container joins its cgroups. On cgroup v1 a move written to cgroup.procs
	# waits for an RCU grace period (~10-20 ms here) unless another move ran within the
	# last one (crun's own runs come back-to-back that fast); cocker's init moves itself,
	# which needs no wait. Without cgroups both show what the runtime itself costs.
	[ "$mode" = root ] && try+=(
		cocker-nocg "$cocker --cgroup-manager disabled run --bundle $bundle bench-cocker-nocg-$$"
		crun-nocg "crun --cgroup-manager disabled --root $state/crun run --bundle $bundle bench-crun-nocg-$$"
	)
	local i name cmd out
	for ((i = 0; i < ${#try[@]}; i += 2)); do
		name=${try[i]} cmd=${try[i + 1]}
		read -ra argv <<<"$cmd"
		if ! command -v "${argv[0]}" >/dev/null; then
			echo "bench: $mode: leaving out $name: ${argv[0]} not found" >&2
			continue
		fi
		if ! out=$("${as[@]}" "${argv[@]}" 2>&1 </dev/null); then
			if ! { [ "$name" = crun ] && [[ $out == *"hybrid mode"* ]] && fix_crun_hybrid &&
				out=$("${as[@]}" "${argv[@]}" 2>&1 </dev/null); }; then
				echo "bench: $mode: leaving out $name: $(tail -n 3 <<<"$out")" >&2
				continue
			fi
		fi
		names+=("$name")
		cmds+=("$cmd")
	done

	local args=(-N --warmup "$warmup" --min-runs "$min_runs" --export-json "$tmp/$mode/result.json")
	for i in "${!names[@]}"; do
		args+=(-n "${names[i]}" "${cmds[i]}")
	done
	echo "== $mode" >&2
	"${as[@]}" hyperfine "${args[@]}" </dev/null
	results+=("$mode" "$tmp/$mode/result.json")

	# Back to back, every start but the first finds the cgroup lock in its fast mode; a start
	# after a quiet spell (the usual case) waits out a grace period in crun and runc. So as
	# root the runtimes run once more, each start after 100 ms of idle.
	[ "$mode" = root ] || return 0
	local spaced=(-N --warmup 2 --min-runs "$((min_runs < 15 ? min_runs : 15))" --prepare 'sleep 0.1' --export-json "$tmp/$mode/spaced.json")
	for i in "${!names[@]}"; do
		case ${names[i]} in cocker | crun | runc) spaced+=(-n "${names[i]}" "${cmds[i]}") ;; esac
	done
	echo "== $mode, each start after 100 ms of idle" >&2
	"${as[@]}" hyperfine "${spaced[@]}" </dev/null
	results+=("$mode (each start after 100 ms idle)" "$tmp/$mode/spaced.json")
}

results=()
for m in "${modes[@]}"; do
	bench_mode "$m"
done

node --input-type=module -e '
	import { readFileSync } from "node:fs"
	const args = process.argv.slice(1)
	for (let i = 0; i < args.length; i += 2) {
		const { results } = JSON.parse(readFileSync(args[i + 1], "utf8"))
		const median = Object.fromEntries(results.map(r => [r.command, r.median]))
		const ms = name => (median[name] * 1000).toFixed(1)
		const ratio = (ours, peer) => (median[ours] && median[peer] ? (median[ours] / median[peer]).toFixed(2) : "n/a")
		console.log(`${args[i]}: medians ${results.map(r => `${r.command} ${ms(r.command)} ms`).join(", ")}`)
		const ratios = ["node", "crun", "runc"].filter(peer => median[peer]).map(peer => `cocker/${peer} ${ratio("cocker", peer)}`)
		console.log(`${args[i]}: ${ratios.join("  ")}`)
		if (median["cocker-nocg"]) {
			console.log(`${args[i]}: without cgroups: cocker/node ${ratio("cocker-nocg", "node")}  cocker/crun ${ratio("cocker-nocg", "crun-nocg")}`)
		}
	}
' "${results[@]}"
