#!/bin/bash
# Builds the Debian root with systemd that test/integration/run-systemd.test.ts boots, once:
# debootstrap (minbase + systemd, systemd-sysv) into CACHE/build-*, then CACHE/debian-SUITE-systemd.tar
# by rename, whole. Without /etc/machine-id (Debian's container images have none, so each container
# gets its own) and without the device nodes debootstrap makes (a rootless import refuses them; the
# runtime gives /dev). Run as root. One build at a time (flock); a second caller waits for it, then
# finds the tarball and leaves. test/support/debian-systemd.ts starts it; .ci/run starts it early,
# in the background, so that it is done when the test runs.
#
#   bash test/support/debian-systemd.sh [CACHE]     default /var/cache/cocker-test
set -euo pipefail
cache=${1:-${COCKER_TEST_CACHE:-/var/cache/cocker-test}}
suite=bookworm
tarball=$cache/debian-$suite-systemd.tar
tree=$cache/build-$suite-systemd
mkdir -p "$cache"
chmod 755 "$cache" # the rootless test user imports from here
# a debootstrap killed halfway leaves its proc and sys mounted in the tree: those are
# unmounted first, and rm stays on the tree's own filesystem whatever is left
remove_tree() {
	for m in proc sys dev/pts dev; do umount -l "$tree/$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$tree"
}
exec 9>"$cache/.build.lock"
flock 9
[ -e "$tarball" ] && exit 0
remove_tree
debootstrap --variant=minbase --include=systemd,systemd-sysv "$suite" "$tree" http://deb.debian.org/debian >"$cache/build.log" 2>&1 ||
	{ tail -n 3 "$cache/build.log" >&2; remove_tree; exit 1; }
rm -f "$tree/etc/machine-id"
for d in dev proc sys; do
	umount -l "$tree/$d" 2>/dev/null || true
	rm -rf --one-file-system "${tree:?}/$d"
	mkdir -m 755 "$tree/$d"
done
tar --numeric-owner -C "$tree" -cf "$tarball.partial" .
chmod 644 "$tarball.partial"
mv "$tarball.partial" "$tarball"
remove_tree
