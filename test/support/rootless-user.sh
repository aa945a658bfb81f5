#!/bin/bash
# The one copy of the rootless test user setup, shared by ./quickstart and
# test/support/rootless.ts. Run as root.
#
#   rootless-user.sh user          create the user (if missing) with subordinate
#                                  id ranges and a runtime dir; prints
#                                  "NAME UID GID HOME XDG_RUNTIME_DIR"
#   rootless-user.sh user-without-subids
#                                  the same for a second user, NAME-nosubids, that
#                                  has no line in /etc/subuid or /etc/subgid (the
#                                  single-id case); fails if it has one
#   rootless-user.sh containers-ranges
#                                  give the user "containers" ranges in /etc/subuid
#                                  and /etc/subgid (where --userns auto takes ids
#                                  from, as root) if it has none
#   rootless-user.sh stage SRC     copy what running cocker needs from SRC into
#                                  a dir the user can read; prints its path
#
# COCKER_TEST_USER overrides the user name (default cockertest).
set -euo pipefail

name=${COCKER_TEST_USER:-cockertest}

die() {
	echo "rootless-user.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root to set up user $name"

# First id after every range already in FILE, and at least 200000, so the new
# range overlaps no other user's: overlapping ranges would let two users' containers
# own each other's files.
next_free_start() {
	awk -F: 'BEGIN { s = 200000 } NF >= 3 && $2 + $3 > s { s = $2 + $3 } END { print s }' "$1"
}

add_subid_range() {
	local name=$1 file=$2
	[ -e "$file" ] || install -m 0644 /dev/null "$file"
	if ! grep -q "^$name:" "$file"; then
		echo "$name:$(next_free_start "$file"):65536" >>"$file"
	fi
}

# Creates user $1 if missing, with subordinate ranges when $2 is "with-subids",
# else checking it has none; prints "NAME UID GID HOME XDG_RUNTIME_DIR".
setup_user() {
	local name=$1 subids=$2
	if ! id -u "$name" >/dev/null 2>&1; then
		# SUB_*_COUNT=0: useradd would otherwise pick a range itself on
		# some systems; we want the one add_subid_range picks, or none.
		useradd -m -s /bin/sh -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$name" >&2
	fi
	if [ "$subids" = with-subids ]; then
		add_subid_range "$name" /etc/subuid
		add_subid_range "$name" /etc/subgid
	else
		local file
		for file in /etc/subuid /etc/subgid; do
			! grep -qs "^$name:" "$file" || die "$name has a line in $file; it is the user without subordinate ids, so remove that line"
		done
	fi

	local uid gid home xdg
	uid=$(id -u "$name")
	gid=$(id -g "$name")
	home=$(getent passwd "$name" | cut -d: -f6)
	# No login session gives this user an XDG_RUNTIME_DIR; runtimes keep
	# their state there, and it must be private to the user.
	xdg=/tmp/cocker-xdg-$uid
	[ -d "$xdg" ] || install -d -m 0700 -o "$uid" -g "$gid" "$xdg"
	[ "$(stat -c %u "$xdg")" = "$uid" ] || die "$xdg exists and is not owned by $name"
	echo "$name $uid $gid $home $xdg"
}

# CI clones into a folder the user cannot traverse (e.g. under /root), so the
# user runs a copy. The copy is keyed by the source path and redone only when
# something in it is newer than the last copy.
stage() {
	local src dest key stamp tmp parts=()
	src=$(cd "$1" && pwd -P)
	key=$(printf %s "$src" | sha256sum | cut -c1-12)
	dest=/tmp/cocker-stage-$key
	stamp=$dest/.staged

	local p
	for p in bin dist package.json node_modules c/cocker-helper c/cocker-launch c/cocker-init c/cocker-infra c/cocker-netns c/cocker-helper-asan c/tests/fixture-init; do
		[ -e "$src/$p" ] && parts+=("$p")
	done

	local missing=
	for p in "${parts[@]}"; do
		[ -e "$dest/$p" ] || [ -L "$dest/$p" ] || missing=1
	done
	if [ -e "$stamp" ] && [ "$(stat -c %u "$dest")" = 0 ] && [ -z "$missing" ] &&
		[ -z "$(cd "$src" && find "${parts[@]}" -newer "$stamp" -print -quit)" ]; then
		echo "$dest"
		return
	fi

	tmp=$(mktemp -d "/tmp/cocker-stage-$key.XXXXXX")
	# Stamp before copying: a file changed during the copy is then newer
	# than the stamp and the next call copies again.
	touch "$tmp/.staged"
	(cd "$src" && cp -a --parents "${parts[@]}" "$tmp/")
	chmod -R a+rX "$tmp"
	chmod 0755 "$tmp"
	rm -rf "$dest"
	mv "$tmp" "$dest"
	echo "$dest"
}

case "${1:-}" in
user) setup_user "$name" with-subids ;;
user-without-subids) setup_user "$name-nosubids" without-subids ;;
containers-ranges) add_subid_range containers /etc/subuid; add_subid_range containers /etc/subgid ;;
stage) [ $# = 2 ] || die "usage: rootless-user.sh stage SRC"; stage "$2" ;;
*) die "usage: rootless-user.sh user | user-without-subids | containers-ranges | stage SRC" ;;
esac
