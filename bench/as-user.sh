# Sourced by the benchmarks, from the checkout's root: the prologue they share and who runs the
# benchmarked commands. As root, the test user `cockertest` (test/support/rootless-user.sh), on
# a copy of the package it can read; else the caller. Either way in a clean environment
# (NODE_EXTRA_CA_CERTS and NODE_OPTIONS unset, as on a user's machine).

die() {
	echo "bench: $*" >&2
	exit 1
}

# bench_setup NAME TOOL...: dies unless every TOOL is installed and the checkout is built; sets
# `bench_name` (NAME), `repo` (the checkout) and `tmp` (a new /tmp/cocker-bench-NAME.XXXXXX that every user can read,
# removed on exit unless the caller sets a trap of its own).
bench_setup() {
	local name=$1 tool
	shift
	bench_name=$name
	repo=$PWD
	for tool in "$@"; do command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install $tool)"; done
	[ -e dist/bundle/cocker.cjs ] && [ -e dist/test/support/image-fixture.js ] || die "build first: npm run build"
	tmp=$(mktemp -d "/tmp/cocker-bench-$name.XXXXXX")
	chmod 0755 "$tmp"
	trap 'rm -rf "$tmp"' EXIT
}

#   bench_as_user REPO DIR [self]: sets `as` (the command prefix), `home` (the user's) and
#   `package` (the package root the user runs), and gives DIR to the user. With `self`, the
#   caller runs them, also as root.
bench_as_user() {
	local path name uid gid xdg
	path=$(dirname "$(command -v node)"):/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	if [ "$(id -u)" = 0 ] && [ "${3:-}" != self ]; then
		read -r name uid gid home xdg <<<"$(bash "$1/test/support/rootless-user.sh" user)"
		package=$(bash "$1/test/support/rootless-user.sh" stage "$1")
		as=(setpriv "--reuid=$uid" "--regid=$gid" --init-groups
			env -i "HOME=$home" "USER=$name" "LOGNAME=$name" "XDG_RUNTIME_DIR=$xdg" "PATH=$path")
		chown "$uid:$gid" "$2"
	else
		home=$HOME
		package=$1
		as=(env -i "HOME=$HOME" "USER=$(id -un)" "PATH=$path" ${XDG_RUNTIME_DIR:+"XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR"})
	fi
}

wrap() { # a command line run as the benchmarked user, for hyperfine
	printf '%q ' "${as[@]}"
	echo "$*"
}
q() { printf '%q ' "$@"; } # the words, quoted for a shell
