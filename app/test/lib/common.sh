# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Shared helpers for the shell tests: sourced, never run.
# Each DPDK process gets its own --file-prefix, so tests never collide, and
# its own scratch directory under the build tree (EAL refuses plugins in
# world-writable directories such as /tmp).

set -u

LT_NAME=${LT_NAME:-$(basename "${0%.sh}")}
LT_BUILD=${LAGSPEED_BUILD_DIR:?run through meson test}
LT_SRC=${LAGSPEED_SOURCE_DIR:?run through meson test}

# A scratch directory for this test run, removed on exit unless the test
# failed (then its path is printed, to look at).
LT_DIR=$(mktemp -d "$LT_BUILD/test-scratch.$LT_NAME.XXXXXX")
chmod 755 "$LT_DIR"
LT_FAILED=0
LT_PIDS=()
# Where EAL keeps its per-prefix runtime directories.
if [ "$(id -u)" -eq 0 ]; then
	LT_EAL_RUNTIME=/var/run/dpdk
else
	LT_EAL_RUNTIME=${XDG_RUNTIME_DIR:-/tmp}/dpdk
fi

lt_cleanup() {
	local pid
	for pid in "${LT_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${LT_PIDS[@]}"; do
		wait "$pid" 2>/dev/null
	done
	# EAL leaves each prefix's runtime directory (config, fbarray files:
	# ~6 MB with --no-huge) behind; ours all end in this shell's pid.
	rm -rf "${LT_EAL_RUNTIME:?}"/lt_"${LT_NAME}"_*_$$
	if [ "$LT_FAILED" -eq 0 ]; then
		rm -rf "$LT_DIR"
	else
		echo "scratch kept: $LT_DIR" >&2
	fi
}
trap lt_cleanup EXIT

# lt_prefix TAG: a --file-prefix unique to this test process and tag.
lt_prefix() {
	echo "lt_${LT_NAME}_${1:-p}_$$"
}

# lt_eal_args TAG: EAL arguments for a hugepage-less, PCI-less process.
lt_eal_args() {
	echo "-l 0-1 --no-huge -m 512 --no-pci --file-prefix $(lt_prefix "$1")" \
		"--log-level=lib.eal:error"
}

# lt_bond_member: net_bonding's devargs key for a member port, which
# DPDK 23.11 renamed from slave to member (LAGSPEED_DPDK_VERSION: meson's).
lt_bond_member() {
	case ${LAGSPEED_DPDK_VERSION:?run through meson test} in
	2[0-2].* | 23.0[0-9]*) echo slave ;;
	*) echo member ;;
	esac
}

lt_fail() {
	LT_FAILED=1
	echo "FAIL: $*" >&2
	exit 1
}

lt_ok() {
	echo "ok: $*"
}

# lt_expect_grep PATTERN FILE WHAT: FILE must match the extended regex.
lt_expect_grep() {
	if ! grep -Eq -- "$1" "$2"; then
		echo "---- $2" >&2
		tail -n 60 "$2" >&2
		lt_fail "$3: /$1/ not found"
	fi
	lt_ok "$3"
}

# lt_expect_no_grep PATTERN FILE WHAT: FILE must not match.
lt_expect_no_grep() {
	if grep -Eq -- "$1" "$2"; then
		echo "---- $2" >&2
		grep -En -- "$1" "$2" | head -n 20 >&2
		lt_fail "$3: /$1/ found"
	fi
	lt_ok "$3"
}

# lt_wait_grep PATTERN FILE SECONDS WHAT: wait until FILE matches.
lt_wait_grep() {
	local deadline=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if grep -Eq -- "$1" "$2" 2>/dev/null; then
			lt_ok "$4"
			return 0
		fi
		sleep 0.05
	done
	echo "---- $2" >&2
	tail -n 60 "$2" >&2
	lt_fail "$4: /$1/ not seen within $3 s"
}

# lt_need VAR...: skip (exit 77) when a program or library is not built.
lt_need() {
	local v
	for v in "$@"; do
		if [ -z "${!v:-}" ]; then
			echo "skip: $v is not set (component not built)"
			exit 77
		fi
	done
}

# lt_foreign_env: set LT_FOREIGN_ENV to the environment a program that is
# not ours (dpdk-testpmd, dpdk-proc-info, ovs-vswitchd) needs to load our
# plugin whatever the build, as NAME=VALUE words for env(1): in a sanitized
# build the sanitizer runtimes are preloaded (before the caller's
# LD_PRELOAD), and leak checks are left to our own binaries (the stock
# tools' own allocations are not ours); nothing otherwise.
lt_foreign_env() {
	LT_FOREIGN_ENV=()
	if [ -n "${LAGSPEED_SANITIZER_PRELOAD:-}" ]; then
		LT_FOREIGN_ENV=(
			"LD_PRELOAD=$LAGSPEED_SANITIZER_PRELOAD${LD_PRELOAD:+ $LD_PRELOAD}"
			"ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
	fi
}

# lt_foreign CMD...: run such a program in that environment.
lt_foreign() {
	lt_foreign_env
	env "${LT_FOREIGN_ENV[@]}" "$@"
}

# lt_wait_count PATTERN N FILE SECONDS WHAT: wait until FILE has at least
# N lines matching the extended regex.
lt_wait_count() {
	local deadline=$((SECONDS + $4))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if [ "$(grep -Ec -- "$1" "$3" 2>/dev/null)" -ge "$2" ]; then
			lt_ok "$5"
			return 0
		fi
		sleep 0.05
	done
	echo "---- $3" >&2
	tail -n 60 "$3" >&2
	lt_fail "$5: $2 x /$1/ not seen within $4 s"
}

# lt_wait_exit PID SECONDS WHAT: wait up to SECONDS for the background
# process PID (a child of this shell) to end; set LT_STATUS to its exit
# status. Past the deadline it is killed and the test fails.
lt_wait_exit() {
	local deadline=$((SECONDS + $2))
	while kill -0 "$1" 2>/dev/null; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			kill -KILL "$1" 2>/dev/null
			wait "$1" 2>/dev/null
			lt_fail "$3: still running after $2 s"
		fi
		sleep 0.05
	done
	# shellcheck disable=SC2034 # read by the caller
	LT_STATUS=0
	wait "$1" || LT_STATUS=$?
}

# lt_ibvsim ARGS...: run ibvsim-ctl (IBVSIM_DIR set by the caller); its
# output goes to $LT_DIR/ibvsim-ctl.log, a failure fails the test.
lt_ibvsim() {
	"$IBVSIM_CTL" "$@" >>"$LT_DIR/ibvsim-ctl.log" 2>&1 ||
		lt_fail "ibvsim-ctl $*: $(tail -n 3 "$LT_DIR/ibvsim-ctl.log")"
}

# lt_valgrind LOG CMD...: run CMD under valgrind memcheck
# ($LAGSPEED_VALGRIND, set where the build runs the *_valgrind tests),
# with all its output in LOG. An invalid access makes the status 9;
# blocks definitely lost are listed, whole stacks, for lt_valgrind_clean
# but do not count as errors. Returns CMD's or valgrind's status.
lt_valgrind() {
	local log=$1
	shift
	"${LAGSPEED_VALGRIND:?not set: this build runs no valgrind tests}" \
		--error-exitcode=9 --errors-for-leak-kinds=none --leak-check=full \
		--show-leak-kinds=definite --num-callers=30 "$@" >"$log" 2>&1
}

# lt_valgrind_clean LOG OURS WHAT: LOG (lt_valgrind's) shows no invalid
# access, and no block definitely lost by our code: a loss record whose
# stack has a frame matching OURS (an extended regex naming our source
# files or libraries) before any shared object's constructor (_dl_init).
# DPDK leaks a few blocks from the constructors of the PMDs rte_eal_init()
# loads; their stacks go on, after _dl_init, through our main().
lt_valgrind_clean() {
	local log=$1 ours=$2 what=$3
	lt_expect_no_grep \
		'Invalid (read|write)|uninitialised|Invalid free|Mismatched free' \
		"$log" "$what: no invalid access"
	if awk -v ours="$ours" '
		/definitely lost in loss record/ { rec = 1; txt = ""; mine = 0; init = 0 }
		rec {
			txt = txt $0 "\n"
			if ($0 ~ /_dl_init/)
				init = 1
			else if (!init && $0 ~ ours)
				mine = 1
		}
		rec && /^==[0-9]+== $/ {
			if (mine) {
				printf "%s", txt
				bad = 1
			}
			rec = 0
		}
		END { exit bad ? 0 : 1 }' "$log" >"$log.ours"; then
		cat "$log.ours" >&2
		lt_fail "$what: a block definitely lost by our code"
	fi
	lt_ok "$what: nothing definitely lost by our code"
}
