#!/bin/bash
# bench/pull.sh: pulling images from a registry on 127.0.0.1 into an empty store:
# bin/cocker against `podman pull` and against `skopeo copy` to an OCI layout (the floor:
# download and verify, no unpack). Rootless and as root, both images, in one run of this
# script, so every figure sees the same machine; one hyperfine run per image and mode.
#
#   bench/pull.sh [rootless|root|both]    default: both as root (rootless as the test user)
#
# The images:
#  - files: two layers from this host's files (no network), ~230 MB unpacked: layer 1
#    /usr/lib/gcc and /usr/share/perl (binaries and scripts), layer 2 /usr/lib/python3.11
#    and 40 MB that do not compress;
#  - debian: what users pull most, a distribution of many small files: a `debootstrap
#    --variant=minbase bookworm` tree (~6,800 entries, built once from the Debian archive apt
#    uses and kept in $BENCH_CACHE, default /var/cache/cocker-bench), and a layer of 3,000
#    small files and 60 MB of larger ones.
# Needs `npm run build`, hyperfine, docker-registry, skopeo, podman, debootstrap (first run).
# BENCH_RUNS (5), BENCH_IMAGES ("files debian"), BENCH_BASE: another built checkout of
# cocker, run as "cocker-base" in the same hyperfine runs (before and after, back to back).
set -euo pipefail
cd "$(dirname "$0")/.."
modes=${1:-both}
[ "$modes" = both ] && modes="rootless root"
runs=${BENCH_RUNS:-5}
images=${BENCH_IMAGES:-files debian}
cache=${BENCH_CACHE:-/var/cache/cocker-bench}

. bench/as-user.sh
for m in $modes; do
	case $m in
	rootless | root) [ "$m" = rootless ] || [ "$(id -u)" = 0 ] || die "root mode needs root" ;;
	*) die "unknown mode $m (rootless, root or both)" ;;
	esac
done
bench_setup pull hyperfine docker-registry skopeo podman
registry_pid=
stores=()
cleanup() {
	[ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
	rm -rf "$tmp" 2>/dev/null || true
	for s in "${stores[@]}"; do rm -rf "$s" 2>/dev/null || true; done
}
trap cleanup EXIT

# --- the images (bench/image-builders.sh), pushed by skopeo
. bench/image-builders.sh

# --- the registry
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/registry.yml" <<YML
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $tmp/registry } }
http: { addr: 127.0.0.1:$port }
YML
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
for img in $images; do
	"image_$img"
	skopeo copy -q --dest-tls-verify=false "oci:$tmp/$img:latest" "docker://127.0.0.1:$port/bench/$img:latest"
	rm -rf "${tmp:?}/$img"
done

# --- who pulls, with what store
base=${BENCH_BASE:-}
[ -z "$base" ] || [ -e "$base/dist/bundle/cocker.cjs" ] || [ -e "$base/dist/bundle/cocker.js" ] || die "BENCH_BASE=$base is not a built checkout"
bench_mode() { # MODE: a hyperfine run per image; results in $tmp/MODE-IMAGE.json
	local mode=$1 as home package cocker cocker_base=
	if [ "$mode" = rootless ]; then bench_as_user "$repo" "$tmp"; else bench_as_user "$repo" "$tmp" self; fi
	cocker=$package/bin/cocker
	if [ -n "$base" ]; then
		cocker_base=$base/bin/cocker
		[ "$package" = "$repo" ] || cocker_base=$(bash test/support/rootless-user.sh stage "$base")/bin/cocker
	fi
	# the stores where a user's are, in a home directory: on this machine /tmp's directory is
	# so large that creating a file in it costs ten times more, which would swamp the figures
	local s
	s=$("${as[@]}" mktemp -d "$home/.cocker-bench-stores.XXXXXX")
	stores+=("$s")
	# podman: native overlay, its own store, and rlimits this host's root can grant (PEERS.md)
	cat >"$tmp/storage-$mode.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$s/podman"
rootless_storage_path = "$s/podman"
runroot = "$s/podman-run"
CONF
	printf '[containers]\ndefault_ulimits = ["nofile=20000:20000"]\n' >"$tmp/containers.conf"
	local env_podman="CONTAINERS_STORAGE_CONF=$tmp/storage-$mode.conf CONTAINERS_CONF=$tmp/containers.conf"
	local reset
	# sync: the writeback of what the last run wrote is not the next run's to pay
	reset="$(wrap sh -c "'$cocker --root $s/cocker system reset -f >/dev/null 2>&1; env $env_podman podman system reset -f >/dev/null 2>&1; rm -rf $s/skopeo; sync'")"
	for img in $images; do
		local image=127.0.0.1:$port/bench/$img:latest before=()
		[ -z "$base" ] || before=(-n cocker-base "$(wrap "$cocker_base" --root "$s/cocker" pull -q --tls-verify=false "$image")")
		echo "bench: $img, $mode" >&2
		hyperfine --runs "$runs" --prepare "$reset" --export-json "$tmp/$mode-$img.json" \
			-n cocker "$(wrap "$cocker" --root "$s/cocker" pull -q --tls-verify=false "$image")" "${before[@]}" \
			-n podman "$(wrap env $env_podman podman pull -q --tls-verify=false "$image")" \
			-n skopeo "$(wrap skopeo copy -q --src-tls-verify=false "docker://$image" "oci:$s/skopeo:latest")" >&2
		# that both pulled the whole image: once more each, then what their stores hold
		eval "$reset"
		eval "$(wrap "$cocker" --root "$s/cocker" pull -q --tls-verify=false "$image")" >/dev/null
		eval "$(wrap env $env_podman podman pull -q --tls-verify=false "$image")" >/dev/null
		echo "bench: unpacked: cocker $(du -sm "$s/cocker/layers" | cut -f1) MB, podman $(du -sm "$s/podman" | cut -f1) MB (its whole store)" >&2
		eval "$reset"
	done
}
for m in $modes; do bench_mode "$m"; done

node -e '
	const fs = require("fs")
	const [dir, modes, images] = process.argv.slice(1).map((a, i) => (i ? a.split(" ") : a))
	const med = {}
	for (const mode of modes) for (const img of images) {
		const r = JSON.parse(fs.readFileSync(`${dir}/${mode}-${img}.json`, "utf8")).results
		med[`${mode}-${img}`] = Object.fromEntries(r.map(x => [x.command, x.median]))
	}
	for (const img of images) {
		for (const mode of modes) {
			const m = med[`${mode}-${img}`]
			const b = m["cocker-base"]
			console.log(`pull ${img} (${mode}), medians: cocker ${m.cocker.toFixed(2)} s, ` + (b ? `cocker-base ${b.toFixed(2)} s, ` : "") +
				`podman ${m.podman.toFixed(2)} s, skopeo ${m.skopeo.toFixed(2)} s; ` +
				`cocker/podman ${(m.cocker / m.podman).toFixed(2)}, cocker/skopeo ${(m.cocker / m.skopeo).toFixed(2)}` +
				(b ? `, cocker/cocker-base ${(m.cocker / b).toFixed(2)}, cocker-base/podman ${(b / m.podman).toFixed(2)}` : ""))
		}
		const rl = med[`rootless-${img}`], rt = med[`root-${img}`]
		if (rl && rt) console.log(`pull ${img}: cocker rootless/root ${(rl.cocker / rt.cocker).toFixed(2)}`)
	}
' "$tmp" "$modes" "$images"
