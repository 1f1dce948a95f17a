#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# The plugin stays out of the way when it cannot or must not work: a bad
# LAGSPEED (one error line naming it), a missing verbs library,
# disable=1, a verbs library without the verb (rdma-core < 62): testpmd
# runs on with net_null's own 10 Gbps every time. Loaded twice, the
# plugin extends a port once.

. "$LAGSPEED_TEST_LIB"
lt_need DPDK_TESTPMD LAGSPEED_PLUGIN

run() {
	local tag=$1 cfg=$2
	shift 2
	# shellcheck disable=SC2046
	printf 'show port info 0\nquit\n' | LAGSPEED="$cfg" lt_foreign \
		timeout 60 "$DPDK_TESTPMD" $(lt_eal_args "$tag") \
		-d "$LAGSPEED_PLUGIN" "$@" --vdev net_null0 \
		-- -i --total-num-mbufs=2048 >"$LT_DIR/$tag.log" 2>&1
	echo $? >"$LT_DIR/$tag.rc"
}

verbs=${IBVSIM_LIB:-libibverbs.so.1}
tests="badkey badbind noverbs disabled"
run badkey "ibverbs=$verbs,speed=1,bind=net_null0@mlx5_0:1" &
run badbind "ibverbs=$verbs,bind=net_null0@mlx5_0" &
wait
run noverbs "ibverbs=$LT_DIR/no-such-libibverbs.so,bind=net_null0@mlx5_0:1" &
run disabled "ibverbs=$verbs,bind=net_null0@mlx5_0:1,disable=1" &
wait

# rdma-core < 62 (Debian 12's 44): the verbs library lacks the verb.
old_verbs=$(ldconfig -p 2>/dev/null | awk '/libibverbs\.so\.1 / {print $NF; exit}')
if [ -n "$old_verbs" ] && ! grep -q ibv_query_port_speed "$old_verbs"; then
	tests="$tests noverb"
	run noverb "ibverbs=$old_verbs,bind=net_null0@mlx5_0:1" &
else
	echo "note: no libibverbs.so.1 without ibv_query_port_speed here"
fi
# Installed in the plugin directory and given with -d as well: two copies.
if [ -n "${IBVSIM_LIB:-}" ] && [ -n "${IBVSIM_CTL:-}" ]; then
	tests="$tests twice"
	export IBVSIM_DIR="$LT_DIR/sim"
	mkdir -p "$IBVSIM_DIR" "$LT_DIR/pmds"
	"$IBVSIM_CTL" group g --pf 100000,100000 >/dev/null &&
		"$IBVSIM_CTL" device mlx5_0 --group g --type vf >/dev/null ||
		lt_fail "ibvsim-ctl"
	cp "$LAGSPEED_PLUGIN" "$LT_DIR/pmds/"
	run twice "ibverbs=$IBVSIM_LIB,bind=net_null0@mlx5_0:1" \
		-d "$LT_DIR/pmds/$(basename "$LAGSPEED_PLUGIN")" &
	# Typos: a bind= naming no port, a bind= naming no IB device.
	tests="$tests typo"
	run typo "ibverbs=$IBVSIM_LIB,bind=net_nul0@mlx5_0:1,bind=net_null0@mlx5_9:1" &
fi
# The same typo in an application that never calls rte_eal_cleanup().
if [ -n "${LAGSPEED_LSC_TEST:-}" ] && [ -n "${IBVSIM_LIB:-}" ]; then
	tests_c="exit"
	# what it leaves behind is on purpose: no leak report
	ASAN_OPTIONS="detect_leaks=0:abort_on_error=1" \
		"$LAGSPEED_LSC_TEST" exit >"$LT_DIR/exit.log" 2>&1
	echo $? >"$LT_DIR/exit.rc"
fi
wait

for t in $tests; do
	[ "$(cat "$LT_DIR/$t.rc")" = 0 ] || lt_fail "$t: testpmd exited with $(cat "$LT_DIR/$t.rc")"
	lt_expect_no_grep 'Invalid port_id' "$LT_DIR/$t.log" "$t: no 'Invalid port_id' noise"
	[ "$t" = twice ] && continue
	lt_expect_grep '^Link speed: 10 Gbps' "$LT_DIR/$t.log" "$t: testpmd runs on, 10 Gbps"
done
lt_expect_grep "mlx5_lagspeed: LAGSPEED: unknown key 'speed'" "$LT_DIR/badkey.log" \
	"bad key named"
lt_expect_grep 'mlx5_lagspeed: LAGSPEED: bind=net_null0@mlx5_0: expected bind=ETHDEV@IBDEV:PORT' \
	"$LT_DIR/badbind.log" "bad value named"
# plugin_lines LOG: the plugin's log lines but the one a second copy says
# (a lagspeed installed in DPDK's plugin directory loads beside -d).
plugin_lines() {
	grep 'mlx5_lagspeed' "$1" | grep -c -v 'another copy of the plugin is loaded'
}
for t in badkey badbind noverbs; do
	[ "$(plugin_lines "$LT_DIR/$t.log")" -eq 1 ] ||
		lt_fail "$t: not exactly one plugin log line"
	lt_expect_grep 'mlx5_lagspeed: .*(LAGSPEED|cannot load)' "$LT_DIR/$t.log" \
		"$t: its one line is an error naming the cause"
done
lt_ok "one error line each"
lt_expect_grep 'mlx5_lagspeed: cannot load .*no-such-libibverbs.so' "$LT_DIR/noverbs.log" \
	"missing verbs library logged"
lt_expect_grep 'mlx5_lagspeed: disabled by LAGSPEED' "$LT_DIR/disabled.log" \
	"disable=1 honoured"
lt_expect_no_grep 'extended by' "$LT_DIR/disabled.log" "disable=1: no port extended"
case " $tests " in *" noverb "*)
	why="has no ibv_query_port_speed \(rdma-core < 62\): the PMD's speed is kept"
	lt_expect_grep "mlx5_lagspeed: port 0 \(net_null0\): .*libibverbs.so.1 $why" \
		"$LT_DIR/noverb.log" "rdma-core < 62: one INFO line for the port, saying why"
	[ "$(plugin_lines "$LT_DIR/noverb.log")" -eq 1 ] ||
		lt_fail "noverb: not exactly one plugin log line"
esac
case " $tests " in *" twice "*)
	lt_expect_grep '^Link speed: 200 Gbps' "$LT_DIR/twice.log" \
		"plugin loaded twice: the port is extended"
	[ "$(grep -c 'extended by' "$LT_DIR/twice.log")" -eq 1 ] ||
		lt_fail "plugin loaded twice: the port is not extended exactly once"
	lt_expect_grep 'mlx5_lagspeed: another copy of the plugin is loaded' \
		"$LT_DIR/twice.log" "plugin loaded twice: the second copy stays out"
	lt_ok "plugin loaded twice: extended once"
esac
case " ${tests_c:-} " in *" exit "*)
	[ "$(cat "$LT_DIR/exit.rc")" = 0 ] ||
		lt_fail "exit: the application exited with $(cat "$LT_DIR/exit.rc")"
	lt_expect_grep '^exit: leaving without rte_eal_cleanup' "$LT_DIR/exit.log" \
		"exit: the application ran"
	lt_expect_grep 'mlx5_lagspeed: bind=net_nul1@mlx5_1:1: no port named net_nul1 was seen' \
		"$LT_DIR/exit.log" "a bind= naming no port: said at exit without EAL cleanup"
esac
case " $tests " in *" typo "*)
	re='mlx5_lagspeed: port 0 \(net_null0\): IB device mlx5_9:1 unusable \(from bind=\)'
	lt_expect_grep "$re: No such device: the PMD's speed is kept" "$LT_DIR/typo.log" \
		"a bind= to no IB device: the port, the bind and the error named"
	[ "$(grep -c 'mlx5_9' "$LT_DIR/typo.log")" -eq 1 ] ||
		lt_fail "a bind= to no IB device: more than one line names it"
	lt_ok "a bind= to no IB device: one line"
	lt_expect_grep 'mlx5_lagspeed: bind=net_nul0@mlx5_0:1: no port named net_nul0 was seen' \
		"$LT_DIR/typo.log" "a bind= naming no port: said at exit"
esac
