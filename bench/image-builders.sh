# Sourced by the benchmarks that need the bench images (pull.sh, keepid.sh): OCI layouts
# made with tar and gzip, in $tmp (the caller's temp dir); `debian` needs $cache (the
# debootstrap tree is built there once, as root) and `die`.
#   image_files, image_debian: the layout $tmp/NAME (tag latest)
blob() { # LAYOUT FILE -> its digest hex, moved into the layout
	local hex
	hex=$(sha256sum "$2" | cut -d' ' -f1)
	mv "$2" "$1/blobs/sha256/$hex"
	echo "$hex"
}
gzip_layer() { # LAYOUT TAR -> "compressed-hex diffid-hex size"
	local diff size
	diff=$(sha256sum "$2" | cut -d' ' -f1)
	gzip -1 "$2"
	size=$(stat -c %s "$2.gz")
	echo "$(blob "$1" "$2.gz") $diff $size"
}
layout() { # NAME TAR... -> an OCI layout $tmp/NAME of those layers, base first
	local dir=$tmp/$1 descs= diffs= n=0 l d s
	mkdir -p "$dir/blobs/sha256"
	for t in "${@:2}"; do
		read -r l d s <<<"$(gzip_layer "$dir" "$t")"
		descs+="${descs:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$l\",\"size\":$s}"
		diffs+="${diffs:+,}\"sha256:$d\""
		n=$((n + s))
	done
	printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "$diffs" >"$tmp/config.json"
	local csize config msize manifest
	csize=$(stat -c %s "$tmp/config.json")
	config=$(blob "$dir" "$tmp/config.json")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
		"$config" "$csize" "$descs" >"$tmp/manifest.json"
	msize=$(stat -c %s "$tmp/manifest.json")
	manifest=$(blob "$dir" "$tmp/manifest.json")
	echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"latest"}}]}' "$manifest" "$msize" >"$dir/index.json"
	echo "bench: image $1: $(($n / 1000000)) MB compressed" >&2
}

image_files() {
	# what a real image has and text does not: compressed data, which gzip cannot shrink
	mkdir -p "$tmp/extra/opt/data"
	for i in $(seq 20); do head -c 2000000 /dev/urandom >"$tmp/extra/opt/data/$i.bin"; done
	ln -s / "$tmp/extra/usr"
	tar -C / -cf "$tmp/files1.tar" usr/lib/gcc usr/share/perl
	tar -C "$tmp/extra" -cf "$tmp/files2.tar" usr/lib/python3.11 opt
	rm -rf "$tmp/extra"
	layout files "$tmp/files1.tar" "$tmp/files2.tar"
}

# the debootstrap tree, made once (about a minute, ~40 MB from the archive) and kept
debian_base() {
	local tar=$cache/debian-minbase-bookworm.tar
	if [ ! -e "$tar" ]; then
		[ "$(id -u)" = 0 ] || die "building $tar needs root (debootstrap)"
		command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
		mkdir -p "$cache"
		local root=$cache/rootfs.tmp
		rm -rf "$root"
		echo "bench: debootstrap --variant=minbase bookworm into $root" >&2
		debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >&2
		tar --numeric-owner --xattrs -C "$root" -cf "$tar.tmp" .
		mv "$tar.tmp" "$tar"
		rm -rf "$root"
	fi
	echo "$tar"
}

image_debian() {
	cp "$(debian_base)" "$tmp/debian1.tar"
	# an application layer: 3,000 small files in 30 dirs, and 60 MB in 12 larger files,
	# half of which do not compress
	local app=$tmp/app/srv/app
	mkdir -p "$app/big"
	for d in $(seq 30); do
		mkdir -p "$app/mod$d"
		for f in $(seq 100); do printf 'module %d file %d\n%*s\n' "$d" "$f" $(((d * 37 + f * 101) % 3000)) x >"$app/mod$d/f$f.txt"; done
	done
	for i in $(seq 6); do
		head -c 5000000 /dev/urandom >"$app/big/random$i.bin"
		{ yes "line $i of a large text file, compressible" || true; } | head -c 5000000 >"$app/big/text$i.txt"
	done
	tar --numeric-owner -C "$tmp/app" -cf "$tmp/debian2.tar" srv
	rm -rf "$tmp/app"
	layout debian "$tmp/debian1.tar" "$tmp/debian2.tar"
}
