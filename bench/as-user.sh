# Sourced by the benchmarks: who runs the benchmarked commands, and how. As root, the test
# user `cockertest` (test/support/rootless-user.sh), on a copy of the package it can read;
# else the caller. Either way in a clean environment (NODE_EXTRA_CA_CERTS and NODE_OPTIONS
# unset, as on a user's machine).
#   bench_as_user REPO DIR: sets `as` (the command prefix), `home` (the user's) and `package`
#   (the package root the user runs), and gives DIR to the user.
bench_as_user() {
	local path name uid gid xdg
	path=$(dirname "$(command -v node)"):/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	if [ "$(id -u)" = 0 ]; then
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
