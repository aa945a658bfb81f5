# Sourced by the benchmarks that run cocker and Podman on one image, after bench/as-user.sh.
#   bench_side_by_side REPO DIR NAME: stores of both in the user's home (PEERS.md: /tmp is slow
#   to create files in here), Podman's on native overlay with rlimits this host can grant and no
#   systemd or journald (PEERS.md), configured in DIR; sets `stores`, `c` and `podman` (the two
#   commands), removes all of it on exit, and loads the busybox test fixture into both: `image`.
bench_side_by_side() {
	local repo=$1 dir=$2 archive
	stores=$("${as[@]}" mktemp -d "$home/.$3.XXXXXX")
	c=("$package/bin/cocker" --root "$stores/cocker")
	podman=(env "CONTAINERS_STORAGE_CONF=$dir/storage.conf" "CONTAINERS_CONF=$dir/containers.conf" podman)
	trap bench_side_by_side_cleanup EXIT
	cat >"$dir/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$stores/podman"
rootless_storage_path = "$stores/podman"
runroot = "$stores/podman-run"
CONF
	cat >"$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
	archive=$dir/fixture-oci.tar
	image=$(node --input-type=module -e '
		import { copyFileSync } from "node:fs"
		const m = await import(process.argv[1] + "/dist/test/support/image-fixture.js")
		copyFileSync(m.fixtureOciArchive(), process.argv[2])
		console.log(m.FIXTURE_IMAGE)' "$repo" "$archive")
	chmod 0644 "$archive"
	"${as[@]}" "${c[@]}" load -q -i "$archive" >/dev/null
	"${as[@]}" "${podman[@]}" load -q -i "$archive" >/dev/null
	bench_dir=$dir
}

bench_side_by_side_cleanup() {
	"${as[@]}" "${c[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
	"${as[@]}" "${podman[@]}" rm -f -a -t 0 >/dev/null 2>&1 || true
	"${as[@]}" "${podman[@]}" system reset -f >/dev/null 2>&1 || true
	rm -rf "$bench_dir" "$stores" 2>/dev/null || true
}
