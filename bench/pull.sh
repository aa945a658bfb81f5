#!/bin/bash
# bench/pull.sh: pulling a two-layer image of ~200 MB unpacked from a registry on
# 127.0.0.1, rootless: bin/cocker against `podman pull` and against `skopeo copy` to
# an OCI layout (the floor: download and verify, no unpack). One hyperfine run, so every
# command sees the same machine; each run starts from an empty store.
#
#   bench/pull.sh [rootless|root]    default: rootless (as the test user when run as root)
#
# The image is made from this host's files (no network): layer 1 /usr/lib/gcc and
# /usr/share/perl (binaries and scripts), layer 2 /usr/lib/python3.11 (many small
# files) and 40 MB that do not compress. Needs `npm run build`, hyperfine, docker-registry, skopeo, podman.
# BENCH_RUNS (5).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
mode=${1:-rootless}
runs=${BENCH_RUNS:-5}

die() {
	echo "bench: $*" >&2
	exit 1
}
for c in hyperfine docker-registry skopeo podman; do
	command -v "$c" >/dev/null || die "$c is not installed"
done
[ -e dist/bundle/cocker.cjs ] || die "build first: npm run build"

tmp=$(mktemp -d /tmp/cocker-bench-pull.XXXXXX)
chmod 0755 "$tmp"
registry_pid=
stores=
cleanup() {
	[ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
	rm -rf "$tmp" 2>/dev/null || true
	[ -n "$stores" ] && rm -rf "$stores" 2>/dev/null || true
}
trap cleanup EXIT

# --- the image: an OCI layout made with tar and gzip, pushed by skopeo
layout=$tmp/layout
mkdir -p "$layout/blobs/sha256"
blob() { # FILE -> its digest hex, moved into the layout
	local hex
	hex=$(sha256sum "$1" | cut -d' ' -f1)
	mv "$1" "$layout/blobs/sha256/$hex"
	echo "$hex"
}
layer() { # DIR PATH... -> "compressed-hex diffid-hex size"
	tar -C "$1" -cf "$tmp/layer.tar" "${@:2}"
	local diff
	diff=$(sha256sum "$tmp/layer.tar" | cut -d' ' -f1)
	gzip -1 "$tmp/layer.tar"
	local size
	size=$(stat -c %s "$tmp/layer.tar.gz")
	echo "$(blob "$tmp/layer.tar.gz") $diff $size"
}
# what a real image has and text does not: compressed data, which gzip cannot shrink
mkdir -p "$tmp/extra/opt/data"
for i in $(seq 20); do head -c 2000000 /dev/urandom >"$tmp/extra/opt/data/$i.bin"; done
ln -s / "$tmp/extra/usr"
read -r l1 d1 s1 <<<"$(layer / usr/lib/gcc usr/share/perl)"
read -r l2 d2 s2 <<<"$(layer "$tmp/extra" usr/lib/python3.11 opt)"
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' "$d1" "$d2" >"$tmp/config.json"
csize=$(stat -c %s "$tmp/config.json")
config=$(blob "$tmp/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
	"$config" "$csize" "$l1" "$s1" "$l2" "$s2" >"$tmp/manifest.json"
msize=$(stat -c %s "$tmp/manifest.json")
manifest=$(blob "$tmp/manifest.json")
echo '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' "$manifest" "$msize" >"$layout/index.json"
echo "bench: image of $(((s1 + s2) / 1000000)) MB compressed, $(du -smL --apparent-size /usr/lib/gcc /usr/share/perl /usr/lib/python3.11 "$tmp/extra/opt" | awk '{s+=$1} END {print s}') MB unpacked" >&2

# --- the registry
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$tmp/registry.yml" <<EOF
version: 0.1
log: { level: error }
storage: { filesystem: { rootdirectory: $tmp/registry } }
http: { addr: 127.0.0.1:$port }
EOF
docker-registry serve "$tmp/registry.yml" >"$tmp/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break; sleep 0.1; done
image=127.0.0.1:$port/bench/pull:latest
skopeo copy -q --dest-tls-verify=false "oci:$layout:latest" "docker://$image"

# --- who pulls, with what store
path=$(dirname "$(command -v node)"):/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
cocker=$repo/bin/cocker
as=(env)
case $mode in
rootless)
	if [ "$(id -u)" = 0 ]; then
		read -r name uid gid home xdg <<<"$(bash test/support/rootless-user.sh user)"
		cocker=$(bash test/support/rootless-user.sh stage "$repo")/bin/cocker
		as=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups
			env -i "HOME=$home" "USER=$name" "LOGNAME=$name" "XDG_RUNTIME_DIR=$xdg" "PATH=$path")
		chown -R "$uid:$gid" "$tmp"
	fi
	;;
root) [ "$(id -u)" = 0 ] || die "root mode needs root" ;;
*) die "unknown mode $mode (rootless or root)" ;;
esac
# the stores where a user's are, in a home directory: on this machine /tmp's directory is
# so large that creating a file in it costs ten times more, which would swamp the figures
home=${home:-$HOME}
stores=$("${as[@]}" mktemp -d "$home/.cocker-bench-stores.XXXXXX")
# podman: native overlay, its own store, and rlimits this host's root can grant (PEERS.md)
cat >"$tmp/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$stores/podman"
rootless_storage_path = "$stores/podman"
runroot = "$stores/podman-run"
EOF
printf '[containers]\ndefault_ulimits = ["nofile=20000:20000"]\n' >"$tmp/containers.conf"
env_podman="CONTAINERS_STORAGE_CONF=$tmp/storage.conf CONTAINERS_CONF=$tmp/containers.conf"
wrap() { # a command line run as the benchmarked user
	printf '%q ' "${as[@]}"
	echo "$*"
}
reset="$(wrap sh -c "'$cocker --root $stores/cocker system reset -f >/dev/null 2>&1; env $env_podman podman system reset -f >/dev/null 2>&1; rm -rf $stores/skopeo'")"

hyperfine --runs "$runs" --prepare "$reset" --export-json "$tmp/result.json" \
	-n cocker "$(wrap "$cocker" --root "$stores/cocker" pull -q --tls-verify=false "$image")" \
	-n podman "$(wrap env $env_podman podman pull -q --tls-verify=false "$image")" \
	-n skopeo "$(wrap skopeo copy -q --src-tls-verify=false "docker://$image" "oci:$stores/skopeo:latest")" >&2

# that both pulled the whole image: once more each, then what their stores hold
eval "$reset"
eval "$(wrap "$cocker" --root "$stores/cocker" pull -q --tls-verify=false "$image")" >/dev/null
eval "$(wrap env $env_podman podman pull -q --tls-verify=false "$image")" >/dev/null
echo "bench: unpacked: cocker $(du -sm "$stores/cocker/layers" | cut -f1) MB, podman $(du -sm "$stores/podman" | cut -f1) MB (its whole store)" >&2
node -e '
	const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).results
	const m = Object.fromEntries(r.map(x => [x.command, x.median]))
	console.log(`pull (${process.argv[2]}), medians: cocker ${m.cocker.toFixed(2)} s, podman ${m.podman.toFixed(2)} s, skopeo ${m.skopeo.toFixed(2)} s`)
	console.log(`cocker/podman ${(m.cocker / m.podman).toFixed(2)}, cocker/skopeo ${(m.cocker / m.skopeo).toFixed(2)}`)
' "$tmp/result.json" "$mode"
