#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The project's front door, as the README uses it:
#   devtools/lagspeed.sh demo    install what is missing, build, run the demo
#   devtools/lagspeed.sh test    install what is missing, build, run the tests
#   devtools/lagspeed.sh deps    only install what is missing (to build
#                                and demo; the tests' own come with test)
#   devtools/lagspeed.sh build   only build (into ./build), installing
#                                nothing: on a host with its own DPDK or
#                                rdma-core, Debian's must not come in
#
# `test` builds with gcc and with clang (both -Werror), runs the unit and
# integration suites on the gcc build and again on a build with
# AddressSanitizer + UndefinedBehaviorSanitizer, then prints one closing
# line "N passed, N failed, N skipped" over both runs (after one line for
# each skipped test, with its reason, and one for each failed test).
# Set LAGSPEED_SKIP_SANITIZE=1 to run only the first.

set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# Debian 12 packages the project needs to build, test and demo.
packages=(
	build-essential pkg-config meson ninja-build python3 clang
	dpdk dpdk-dev libdpdk-dev libbsd-dev
	libibverbs-dev rdma-core
	valgrind gnuplot-nox
)
# Only for `test`: Open vSwitch with DPDK, for the OVS-DPDK test (which
# runs its own daemons; where systemd runs, Debian's package also enables
# its openvswitch-switch service, the kernel datapath). `deps` leaves it
# out: it serves those who build for real hardware.
test_packages=(openvswitch-switch-dpdk)

say() {
	printf '==> %s\n' "$*"
}

# EAL refuses to load a plugin (-d) from a path with a world-writable
# directory anywhere above it, and the tests load the plugin from the build
# tree: a checkout under /tmp (say) builds under $HOME/.cache instead.
insecure_ancestor() {
	local d=$1
	while :; do
		if [ -n "$(find "$d" -maxdepth 0 -perm -0002 2>/dev/null)" ]; then
			echo "$d"
			return 0
		fi
		[ "$d" = / ] && return 1
		d=$(dirname "$d")
	done
}

# Sets build_root, for the commands that build.
choose_build_root() {
	local bad bad_too
	build_root=$top
	if bad=$(insecure_ancestor "$top"); then
		build_root=${HOME:-/root}/.cache/lagspeed/$(echo "$top" | md5sum | cut -c1-12)
		if bad_too=$(insecure_ancestor "$(dirname "$build_root")"); then
			echo "error: $top is under world-writable $bad" \
				"(EAL would refuse the plugin), and" \
				"$build_root under world-writable $bad_too;" \
				"set HOME to a safe directory" >&2
			exit 1
		fi
		mkdir -p "$build_root"
		chmod 755 "$build_root"
		say "$bad is world-writable (EAL would refuse the plugin): building in $build_root"
	fi
}

# missing_packages PACKAGE...: those not installed, one per line.
missing_packages() {
	local p
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
				grep -q 'install ok installed'; then
			echo "$p"
		fi
	done
}

# apt_install PACKAGE...: apt-get install, as root or through sudo.
apt_install() {
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || {
			echo "error: need root (or sudo) to install: $*" >&2
			return 1
		}
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -q --no-install-recommends "$@"
}

# install_deps PACKAGE...: install those of them that are missing.
install_deps() {
	local missing
	mapfile -t missing < <(missing_packages "$@")
	if [ ${#missing[@]} -eq 0 ]; then
		say "all $# Debian packages present"
		return 0
	fi
	say "installing: ${missing[*]}"
	apt_install "${missing[@]}" || exit 1
}

# install_test_deps: the tests' own packages. Open vSwitch's post-install
# starts its service, which can fail on a host that cannot run it (no
# kernel module, no init): the tests go on without it (the OVS-DPDK test
# skips itself unless the package's programs were unpacked).
install_test_deps() {
	local missing
	mapfile -t missing < <(missing_packages "${test_packages[@]}")
	[ ${#missing[@]} -gt 0 ] || return 0
	say "installing, for the tests: ${missing[*]}"
	apt_install "${missing[@]}" ||
		say "warning: could not install ${missing[*]} (see above):" \
			"the tests that need them will be skipped"
}

# What `build` needs, without installing anything.
check_build_tools() {
	local missing=() t cc flags
	# CC may carry words of its own ("ccache gcc"): the first runs.
	read -r -a cc <<<"${CC:-cc}"
	# The headers are looked for as meson will: with the user's flags.
	read -r -a flags <<<"${CPPFLAGS:-} ${CFLAGS:-}"
	for t in meson ninja pkg-config "${cc[0]:-cc}"; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if command -v pkg-config >/dev/null && ! pkg-config --exists libdpdk; then
		missing+=("DPDK (pkg-config libdpdk)")
	fi
	if command -v "${cc[0]:-cc}" >/dev/null && ! printf '#include <infiniband/verbs.h>\n' |
			"${cc[@]:-cc}" "${flags[@]}" -E -x c - >/dev/null 2>&1; then
		missing+=("rdma-core's headers (infiniband/verbs.h)")
	fi
	if [ ${#missing[@]} -gt 0 ]; then
		echo "error: missing: ${missing[*]}" >&2
		echo "('$0 deps' installs Debian 12's packages; or install your own)" >&2
		exit 1
	fi
}

usage() {
	cat <<EOF2
usage: $0 demo|test|deps|build
  demo   install what is missing, build, run the live demonstration
  test   install what is missing, build (gcc, clang), run the test suites
  deps   only install the Debian 12 packages that are missing (to build
         and demo; test also installs Open vSwitch for its OVS-DPDK test)
  build  only build, installing nothing
EOF2
}

# build DIR [meson options...]: configure once, then build.
build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		say "configuring $dir $*"
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || {
			cat "$dir.setup.log" >&2
			exit 1
		}
		rm -f "$dir.setup.log"
	fi
	say "building $dir"
	ninja -C "$dir" >/dev/null || ninja -C "$dir"
}

# run_suites DIR: the default suites; meson's own report goes to the
# terminal, the counts are read back from its JSON log.
run_suites() {
	local dir=$1
	say "testing $dir (suites unit, integration)"
	# A failed test is counted from the log; a log left by an earlier run
	# must not be (meson may stop before writing one).
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --no-rebuild --suite unit --suite integration \
		--num-processes 2 --print-errorlogs || true
}

cmd=${1:-}
if [ $# -gt 1 ]; then
	echo "error: $cmd takes no argument (got: ${*:2})" >&2
	usage >&2
	exit 2
fi
case "$cmd" in
demo|test|build)
	choose_build_root
	;;
esac
case "$cmd" in
deps)
	install_deps "${packages[@]}"
	;;
build)
	check_build_tools
	build "$build_root/build"
	say "built in $build_root/build; install with: meson install -C $build_root/build"
	;;
demo)
	install_deps "${packages[@]}"
	build "$build_root/build"
	exec "$top/devtools/demo.sh" "$build_root/build"
	;;
test)
	install_deps "${packages[@]}"
	install_test_deps
	build "$build_root/build"
	# The tree must also compile clean with clang (-Werror): build only.
	if command -v clang >/dev/null; then
		CC=clang build "$build_root/build-clang"
	fi
	run_suites "$build_root/build"
	logs=("$build_root/build/meson-logs/testlog.json")
	if [ "${LAGSPEED_SKIP_SANITIZE:-0}" != 1 ]; then
		build "$build_root/build-sanitize" -Db_sanitize=address,undefined \
			-Db_lundef=false
		run_suites "$build_root/build-sanitize"
		logs+=("$build_root/build-sanitize/meson-logs/testlog.json")
	else
		say "LAGSPEED_SKIP_SANITIZE=1: no sanitizer build, no second run"
	fi
	exec python3 "$top/devtools/test-summary.py" "${logs[@]}"
	;;
-h|--help|help)
	usage
	;;
*)
	[ -n "$cmd" ] && echo "error: unknown command '$cmd'" >&2
	usage >&2
	exit 2
	;;
esac
