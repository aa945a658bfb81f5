# Sourced by the benchmarks that run cocker and Podman on one image, after bench_setup (as-user.sh).
#   bench_side_by_side: runs bench_as_user; stores of both in the user's home (PEERS.md: /tmp is
#   slow to create files in here), Podman's on native overlay with rlimits this host can grant and
#   no systemd or journald (PEERS.md), configured in $tmp; sets `stores`, `c` and `podman` (the two
#   commands), removes all of it with $tmp on exit, and loads the busybox test fixture into both: `image`.
. bench/as-user.sh

bench_side_by_side() {
	local archive
	bench_as_user "$repo" "$tmp"
	stores=$("${as[@]}" mktemp -d "$home/.cocker-bench-$bench_name.XXXXXX")
	c=("$package/bin/cocker" --root "$stores/cocker")
	podman=(env "CONTAINERS_STORAGE_CONF=$tmp/storage.conf" "CONTAINERS_CONF=$tmp/containers.conf" podman)
	trap bench_side_by_side_cleanup EXIT
	cat >"$tmp/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$stores/podman"
rootless_storage_path = "$stores/podman"
runroot = "$stores/podman-run"
CONF
	cat >"$tmp/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
	archive=$tmp/fixture-oci.tar
	image=$(node --input-type=module -e '
		import { copyFileSync } from "node:fs"
		const m = await import(process.argv[1] + "/dist/test/support/image-fixture.js")
		copyFileSync(m.fixtureOciArchive(), process.argv[2])
		console.log(m.FIXTURE_IMAGE)' "$repo" "$archive")
	chmod 0644 "$archive"
	"${as[@]}" "${c[@]}" load -q -i "$archive" >/dev/null
	"${as[@]}" "${podman[@]}" load -q -i "$archive" >/dev/null
}

bench_side_by_side_cleanup() {
	"${as[@]}" "${c[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
	"${as[@]}" "${podman[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
	"${as[@]}" "${podman[@]}" system reset -f >/dev/null 2>&1 || true
	rm -rf "$tmp" "$stores" 2>/dev/null || true
}

# bench_compare RUNS [WHAT-cocker|WHAT-podman COMMAND PREPARE]...: one hyperfine run of every
# COMMAND as the benchmarked user, RUNS times, each time after its PREPARE; then for each WHAT
# the two medians and cocker/podman.
bench_compare() {
	local i args=(-N --runs "$1" --export-json "$tmp/result.json" --output null)
	shift
	for ((i = 1; i <= $#; i += 3)); do
		args+=(-n "${!i}" --prepare "$(wrap "${@:i+2:1}")" "$(wrap "${@:i+1:1}")")
	done
	hyperfine "${args[@]}" >&2 </dev/null
	node --input-type=module -e '
		import { readFileSync } from "node:fs"
		const results = JSON.parse(readFileSync(process.argv[1], "utf8")).results
		const median = Object.fromEntries(results.map(r => [r.command, r.median * 1000]))
		const whats = [...new Set(results.map(r => r.command.replace(/-(cocker|podman)$/, "")))]
		const width = Math.max(...whats.map(w => w.length)) + 1
		for (const what of whats) {
			const [c, p] = [median[`${what}-cocker`], median[`${what}-podman`]]
			console.log(`${what.padEnd(width)} cocker ${c.toFixed(0)} ms, podman ${p.toFixed(0)} ms, cocker/podman ${(c / p).toFixed(2)}`)
		}
	' "$tmp/result.json"
}
