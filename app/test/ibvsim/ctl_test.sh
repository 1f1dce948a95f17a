#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# ibvsim-ctl's command line: good input changes the model and `show`
# reports it; each bad input is refused with one line on stderr and a
# non-zero exit, the model unchanged (`show --json`, which includes the
# model's generation counter, is identical before and after).

. "$LAGSPEED_TEST_LIB"
lt_need IBVSIM_CTL

export IBVSIM_DIR="$LT_DIR/model"
mkdir "$IBVSIM_DIR"
ctl() {
	"$IBVSIM_CTL" "$@"
}

ctl group g --pf 100000,100000 --max 400000 || lt_fail "group"
ctl group h --pf 25000 || lt_fail "group of one PF"
ctl device mlx5_2 --group g --type vf || lt_fail "device in a group"
ctl device mlx5_3 --speed 25000 --ports 2 --type pf --legacy ||
	lt_fail "device of its own speed"
ctl device mlx5_4 --group h --old-kernel || lt_fail "old-kernel device"
ctl pf g 1 down || lt_fail "pf down"
ctl --dir "$IBVSIM_DIR" set mlx5_3 down || lt_fail "--dir before the command"
ctl fault mlx5_2 query-eio --dir="$IBVSIM_DIR" || lt_fail "--dir= after"
ctl --help | grep -q 'ibvsim-ctl \[--dir DIR\]' || lt_fail "--help"

ctl show >"$LT_DIR/show.txt" || lt_fail "show"
lt_expect_grep '^g +0 +100000 up' "$LT_DIR/show.txt" "show: PF 0 up"
lt_expect_grep '^g +1 +100000 down' "$LT_DIR/show.txt" "show: PF 1 down"
lt_expect_grep '^mlx5_2 +vf +g .* up .*query-eio .* 100000 Mb/s' \
	"$LT_DIR/show.txt" "show: effective speed of one PF"
lt_expect_grep '^mlx5_3 +pf +- +2 +2 down +legacy .* 0 Mb/s' \
	"$LT_DIR/show.txt" "show: port 2 of a down device"
ctl show --json >"$LT_DIR/model.json" || lt_fail "show --json"
python3 - "$LT_DIR/model.json" <<'EOF' || lt_fail "show --json content"
import json, sys
m = json.load(open(sys.argv[1]))
dev = {d["name"]: d for d in m["devices"]}
assert [g["name"] for g in m["groups"]] == ["g", "h"]
assert [p["up"] for p in m["groups"][0]["pfs"]] == [True, False]
assert m["groups"][0]["max_mbps"] == 400000
assert m["groups"][1]["max_mbps"] == 25000, "default max: the PF sum"
assert dev["mlx5_2"]["effective_mbps"] == 100000
assert dev["mlx5_2"]["faults"] == ["query-eio"]
assert dev["mlx5_3"]["effective_mbps"] == 0 and dev["mlx5_3"]["legacy"]
assert dev["mlx5_3"]["ports"] == 2 and dev["mlx5_3"]["speed_mbps"] == 25000
assert dev["mlx5_4"]["old_kernel"] and dev["mlx5_4"]["group"] == "h"
assert all(d["contexts"] == 0 for d in m["devices"])
EOF
lt_ok "show --json"

# bad INPUT...: refused, one line of explanation, model unchanged.
n_bad=0
bad() {
	local before after rc
	before=$(ctl show --json)
	"$IBVSIM_CTL" "$@" >"$LT_DIR/out" 2>"$LT_DIR/err"
	rc=$?
	after=$(ctl show --json)
	[ "$rc" -ne 0 ] || lt_fail "accepted: ibvsim-ctl $*"
	[ "$(wc -l <"$LT_DIR/err")" -eq 1 ] ||
		lt_fail "not one line of error for: ibvsim-ctl $* ($(cat "$LT_DIR/err"))"
	grep -q '^ibvsim-ctl: ' "$LT_DIR/err" ||
		lt_fail "error not prefixed: $(cat "$LT_DIR/err")"
	[ "$before" = "$after" ] || lt_fail "model changed by: ibvsim-ctl $*"
	n_bad=$((n_bad + 1))
}

bad frobnicate
bad group
bad group 'a b' --pf 1000
bad group .hidden --pf 1000
bad group -x --pf 1000
bad group ../x --pf 1000
bad group "$(printf 'n%.0s' {1..64})" --pf 1000
bad group x
bad group x --pf
bad group x --pf --max 5
bad group a:b --pf 1000
bad group x --pf ''
bad group x --pf abc
bad group x --pf 0
bad group x --pf 1600001
bad group x --pf 99999999999999999999999
bad group x --pf -5
bad group x --pf +5
bad group x --pf 1e5
bad group x --pf 100G
bad group x --pf '100, 200'
bad group x --pf 100,,200
bad group x --pf 100,
bad group x --pf 100,100,100,100,100,100,100,100,100,100,100,100,100,100,100,100,100
bad group x --pf 150
bad group x --pf 50
bad group x --pf 1000 --max 0
bad group x --pf 1000 --max 1600001
bad group x --pf 1000 --max 250
bad group x --pf 1000 --pf 2000
bad group x --pf 1000 --color blue
bad group g --pf 1000
bad device
bad device d
bad device a:b --group g
bad device d --group g --speed 1000
bad device d --group nosuch
bad device d --speed 0
bad device d --speed 12.5
bad device d --speed 1001
bad device d --speed 1000 --ports 0
bad device d --speed 1000 --ports 9
bad device d --speed 1000 --ports two
bad device d --speed 1000 --type nic
bad device d --speed 1000 --legacy --old-kernel
bad device d --speed 1000 --legacy --legacy
bad device mlx5_2 --speed 1000
bad pf
bad pf g 1
bad pf nosuch 0 down
bad pf g 2 down
bad pf g 16 down
bad pf g -1 down
bad pf g x down
bad pf g 0 sideways
bad pf g 0 down now
bad set mlx5_2
bad set nosuch up
bad set mlx5_2 maybe
bad fault mlx5_2
bad fault nosuch clear
bad fault mlx5_2 melt
bad fault mlx5_2 storm
bad fault mlx5_2 storm 0
bad fault mlx5_2 storm many
bad fault mlx5_2 storm 1000001
bad fault mlx5_2 storm 5 extra
grep -q "unexpected argument 'extra'" "$LT_DIR/err" ||
	lt_fail "storm N with one more argument: $(cat "$LT_DIR/err")"
bad fault mlx5_2 clear now
bad show --yaml
bad --dir "$LT_DIR/nonexistent" show
bad --dir "$LT_DIR/out" show
bad --dir
bad --dir "$IBVSIM_DIR" --dir "$IBVSIM_DIR" show
bad --dir= show
IBVSIM_DIR='' "$IBVSIM_CTL" show 2>"$LT_DIR/err" && lt_fail "no directory accepted"
[ "$(wc -l <"$LT_DIR/err")" -eq 1 ] || lt_fail "no directory: $(cat "$LT_DIR/err")"
lt_ok "$n_bad bad inputs refused, model unchanged"
# Two of them say what is wrong, not what it led to.
ctl group x --pf --max 5 2>"$LT_DIR/err"
lt_expect_grep "option --pf needs a value" "$LT_DIR/err" "--pf followed by an option"
ctl device a:b --speed 1000 2>"$LT_DIR/err"
lt_expect_grep "invalid device name 'a:b'" "$LT_DIR/err" "a ':' in a name"
for v in abc 5s -1 3600001; do
	IBVSIM_DRAIN_TIMEOUT_MS=$v ctl set mlx5_2 up 2>"$LT_DIR/err" &&
		lt_fail "IBVSIM_DRAIN_TIMEOUT_MS=$v accepted"
	lt_expect_grep "IBVSIM_DRAIN_TIMEOUT_MS='$v': not a number" "$LT_DIR/err" \
		"IBVSIM_DRAIN_TIMEOUT_MS=$v refused"
done
IBVSIM_DRAIN_TIMEOUT_MS=3600000 ctl set mlx5_2 up ||
	lt_fail "IBVSIM_DRAIN_TIMEOUT_MS=3600000 refused"
IBVSIM_DRAIN_TIMEOUT_MS=abc ctl show >/dev/null ||
	lt_fail "show, which changes nothing, refused for IBVSIM_DRAIN_TIMEOUT_MS=abc"

# A corrupt model is reported, not trusted.
mkdir "$LT_DIR/corrupt"
echo garbage >"$LT_DIR/corrupt/model"
"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show 2>"$LT_DIR/err" &&
	lt_fail "corrupt model accepted"
lt_expect_grep 'corrupt model' "$LT_DIR/err" "corrupt model refused"

# A model whose names would walk out of the state directory, or whose
# device names a group that does not exist, is corrupt too. The layout
# (ibvsim_private.h): a 32-byte header, then 156-byte device records.
# mkrecord FILE NAME GROUP [SPEED UP FAULTS COPIES]: COPIES records
# (default 1) of one device, indexes 0, 1, ...
mkrecord() {
	python3 - "$@" <<'EOF'
import struct, sys
path, name, group = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
speed, up, faults, n = (int(v, 0) for v in
	(sys.argv[4:] + ["1000", "1", "0", "1"][len(sys.argv) - 4:]))
hdr = struct.pack("<IIIIQII", 0x53564249, 1, 0, n, 1, n, 0)
dev = b"".join(struct.pack("<64s64sIIIIIII", name, group, speed, 1, 1, 0, up,
	faults, i) for i in range(n))
open(path, "wb").write(hdr + dev)
EOF
}
mkrecord "$LT_DIR/corrupt/model" ok ""
"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show >/dev/null ||
	lt_fail "a hand-made sane model refused (layout changed?)"
for bad_rec in "../../x:" "a/b:" "ok:nosuch"; do
	mkrecord "$LT_DIR/corrupt/model" "${bad_rec%%:*}" "${bad_rec#*:}"
	"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show 2>"$LT_DIR/err" &&
		lt_fail "corrupt model accepted: device '$bad_rec'"
	lt_expect_grep 'corrupt model' "$LT_DIR/err" "model with device '$bad_rec' refused"
done
# Values the C API never writes: a speed out of range, a state other than
# 0 or 1, unknown fault bits, a name twice.
for bad in "4294967295 1 0 1" "0 1 0 1" "1000 7 0 1" "1000 1 0xfffffff0 1" \
		"1000 1 0 2"; do
	# shellcheck disable=SC2086 # the fields are split on purpose
	mkrecord "$LT_DIR/corrupt/model" ok "" $bad
	"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show 2>"$LT_DIR/err" &&
		lt_fail "corrupt model accepted: speed, up, faults, copies $bad"
	lt_expect_grep 'corrupt model' "$LT_DIR/err" \
		"model with speed, up, faults, copies $bad refused"
done
# A speed that is not a multiple of 100 Mb/s, which earlier versions took
# and the C API now refuses, still reads: their state directories work.
mkrecord "$LT_DIR/corrupt/model" ok "" 150
"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show | grep -q '^ok ' ||
	lt_fail "an earlier version's model with a speed of 150 Mb/s refused"
lt_ok "an earlier version's model with a speed of 150 Mb/s reads"

# PFs adding up past 1.6 Tb/s without --max: the default maximum is their
# sum, and the model that stores it reads back.
mkdir "$LT_DIR/big"
"$IBVSIM_CTL" --dir "$LT_DIR/big" group big --pf 400000,400000,400000,400000,400000 ||
	lt_fail "a group of 5 x 400G"
"$IBVSIM_CTL" --dir "$LT_DIR/big" show | grep -Eq ' max +2000000 ' ||
	lt_fail "a group of 5 x 400G: $("$IBVSIM_CTL" --dir "$LT_DIR/big" show 2>&1)"
lt_ok "a group of 5 x 400G: default maximum 2,000,000 Mb/s, model read back"

# A model file one byte longer than its records, and a group whose PF-up
# bits name a PF it does not have, are corrupt too. Both are made from a
# real model: a group of 2 PFs, its pf_up_mask at byte 32 + 136.
mkdir "$LT_DIR/real"
"$IBVSIM_CTL" --dir "$LT_DIR/real" group p --pf 1000,2000 ||
	lt_fail "group in a fresh directory"
cp "$LT_DIR/real/model" "$LT_DIR/corrupt/model"
"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show >/dev/null ||
	lt_fail "a copy of a real model refused"
printf 'x' >>"$LT_DIR/corrupt/model"
"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show 2>"$LT_DIR/err" &&
	lt_fail "model with a trailing byte accepted"
lt_expect_grep 'corrupt model' "$LT_DIR/err" "model with a trailing byte refused"
python3 - "$LT_DIR/real/model" "$LT_DIR/corrupt/model" <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
assert struct.unpack_from("<I", data, 32 + 136)[0] == 3, "layout changed?"
struct.pack_into("<I", data, 32 + 136, 7)
open(sys.argv[2], "wb").write(data)
EOF
"$IBVSIM_CTL" --dir "$LT_DIR/corrupt" show 2>"$LT_DIR/err" &&
	lt_fail "PF 2 up in a group of 2 PFs accepted"
lt_expect_grep 'corrupt model' "$LT_DIR/err" "PF-up bits past the group's PFs refused"

# No command (with or without --dir): the usage on stderr, status 1;
# with --dir, a line saying so (--dir show takes "show" for the directory).
for args in "" "--dir $LT_DIR/real" "--dir show"; do
	rc=0
	# shellcheck disable=SC2086 # the arguments are split on purpose
	"$IBVSIM_CTL" $args >"$LT_DIR/out" 2>"$LT_DIR/err" || rc=$?
	[ "$rc" -eq 1 ] || lt_fail "no command ($args): exit status $rc, want 1"
	lt_expect_grep '^usage: ibvsim-ctl' "$LT_DIR/err" "no command ($args): usage"
done
lt_expect_grep '^ibvsim-ctl: no command after --dir show$' "$LT_DIR/err" \
	"--dir show: no command, said"

# show into a full disk says so.
if [ -w /dev/full ]; then
	"$IBVSIM_CTL" --dir "$LT_DIR/real" show >/dev/full 2>"$LT_DIR/err" &&
		lt_fail "show into /dev/full succeeded"
	lt_expect_grep 'show: No space left on device' "$LT_DIR/err" \
		"show into /dev/full: no space, said"
fi

# The longest name (63 characters) is accepted; 64 are refused (above).
name63=$(printf 'n%.0s' {1..63})
"$IBVSIM_CTL" --dir "$LT_DIR/real" group "$name63" --pf 1000 ||
	lt_fail "a group name of 63 characters refused"
"$IBVSIM_CTL" --dir "$LT_DIR/real" device "$name63" --group "$name63" ||
	lt_fail "a device name of 63 characters refused"
"$IBVSIM_CTL" --dir "$LT_DIR/real" show | grep -q "^$name63 " ||
	lt_fail "names of 63 characters not shown"
lt_ok "names of 63 characters accepted"
# Long names widen their columns: every line of each table lines up (the
# device table's lines are all as long as its header; each group line's
# PF field sits under the header's), with the short device of the real
# model and a fault list over 20 characters in the same table.
"$IBVSIM_CTL" --dir "$LT_DIR/real" device mlx5_9 --speed 25000 ||
	lt_fail "a short device beside the long one"
for f in query-eio open-fail fatal; do
	"$IBVSIM_CTL" --dir "$LT_DIR/real" fault mlx5_9 $f || lt_fail "fault $f"
done
"$IBVSIM_CTL" --dir "$LT_DIR/real" show >"$LT_DIR/long.txt" || lt_fail "show, long names"
awk '/^GROUP / { col = index($0, "  PF") + 2; g = 1; next }
	/^$/ { g = 0; next }
	/^DEVICE / { len = length($0); next }
	g && substr($0, col - 2, 5) !~ /^( *[0-9]+| max) $/ {
		print "group line off: " $0; bad = 1
	}
	!g && len && length($0) != len { print "device line off: " $0; bad = 1 }
	END { exit bad || !len }' "$LT_DIR/long.txt" >&2 ||
	{ cat "$LT_DIR/long.txt" >&2; lt_fail "show: columns shifted by long names"; }
lt_ok "show: long names widen their columns"

# A refused command line creates nothing, not even in an empty directory.
mkdir "$LT_DIR/empty"
for args in "group x --pf abc" "device d --speed 0" "pf g 99 down" \
	"fault d storm many" "show --yaml"; do
	# shellcheck disable=SC2086 # the arguments are split on purpose
	"$IBVSIM_CTL" --dir "$LT_DIR/empty" $args 2>/dev/null &&
		lt_fail "accepted: $args"
	[ -z "$(ls -A "$LT_DIR/empty")" ] ||
		lt_fail "'ibvsim-ctl $args' wrote to an empty directory: $(ls -A "$LT_DIR/empty")"
done
lt_ok "refused command lines leave an empty directory empty"
