#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# What `meson install` gives a user, installed into a staging directory
# (DESTDIR) from this build: exactly the files the guides list, in the
# places they say; a librte_txweight with its soname; .pc files through
# which an application built outside the tree (installed_app.c, with
# -Wall -Wextra -Werror, and the headers as C++) compiles, links and runs
# against the installed copies: its packets counted by the ports, the
# library loaded from the staging tree, and the plugin found from its
# installed place by the header's rte_pmd_mlx5_lagspeed_info_get_dyn().
# The installed tools start and find their library.
#
# Usage: install_test.sh MESON CC CXX APP.c
#   (CC: the compiler and its words, as meson has it, in one argument;
#   CXX empty: no C++ compiler, that check is left out, and says so)
# Environment: LT_INSTALL_{PREFIX,BINDIR,LIBDIR,INCLUDEDIR,PMD_PATH}
#   (absolute), LT_INSTALL_VERSION, LT_INSTALL_SONAME, and where the DPDK
#   built against keeps its .pc file and libraries:
#   LT_INSTALL_DPDK_PCDIR, LT_INSTALL_DPDK_LIBDIR; the directory EAL
#   loads plugins from by itself: LT_INSTALL_EAL_PMD_PATH.

. "$LAGSPEED_TEST_LIB"
meson=$1
read -r -a cc <<<"$2"
cxx=$3
app_src=$4
root=$LT_DIR/root
bindir=$LT_INSTALL_BINDIR
libdir=$LT_INSTALL_LIBDIR
incdir=$LT_INSTALL_INCLUDEDIR
pmddir=$LT_INSTALL_PMD_PATH
soname=$LT_INSTALL_SONAME
version=$LT_INSTALL_VERSION

# --no-rebuild: meson test has just built the tree; no ninja under it.
# meson install rewrites the build's install log, which `ninja uninstall`
# follows: a real install's log is put back after the staged one.
install_log=$LT_BUILD/meson-logs/install-log.txt
if [ -e "$install_log" ]; then
	cp -p "$install_log" "$LT_DIR/install-log.saved"
fi
rc=0
"$meson" install -C "$LT_BUILD" --no-rebuild --destdir "$root" \
	>"$LT_DIR/install.log" 2>&1 || rc=$?
if [ -e "$LT_DIR/install-log.saved" ]; then
	mv -f "$LT_DIR/install-log.saved" "$install_log"
else
	rm -f "$install_log"
fi
if [ "$rc" -ne 0 ]; then
	cat "$LT_DIR/install.log" >&2
	lt_fail "meson install --destdir failed"
fi

# Every file and link installed, and nothing else (the emulator and the
# test programs are never installed).
{
	echo "$bindir/dpdk-lag_tx_balance"
	echo "$bindir/dpdk-lagpmd"
	echo "$incdir/rte_pmd_mlx5_lagspeed.h"
	echo "$incdir/rte_txweight.h"
	echo "$libdir/librte_txweight.so"
	echo "$libdir/$soname"
	echo "$libdir/librte_txweight.so.$version"
	echo "$libdir/pkgconfig/librte_net_mlx5_lagspeed.pc"
	echo "$libdir/pkgconfig/librte_txweight.pc"
	echo "$pmddir/librte_net_mlx5_lagspeed.so"
} | sort >"$LT_DIR/expected"
(cd "$root" && find . ! -type d | sed 's/^\.//' | sort) >"$LT_DIR/installed"
if ! diff -u "$LT_DIR/expected" "$LT_DIR/installed" >"$LT_DIR/diff"; then
	cat "$LT_DIR/diff" >&2
	lt_fail "installed files differ from the list (- missing, + unexpected)"
fi
lt_ok "installs the $(wc -l <"$LT_DIR/expected") files of the list, no more"

[ "$(readlink "$root$libdir/librte_txweight.so")" = "$soname" ] ||
	lt_fail "librte_txweight.so does not point at $soname"
readelf -d "$root$libdir/librte_txweight.so.$version" >"$LT_DIR/lib.dyn"
lt_expect_grep "SONAME.*\[$soname\]" "$LT_DIR/lib.dyn" "library soname $soname"
lt_expect_no_grep "RPATH|RUNPATH" "$LT_DIR/lib.dyn" \
	"installed library has no build-tree rpath"

# pkg-config, as a user would: the staged .pc files locate the staged
# tree (relocatable), and pull in the flags of the DPDK built against.
export PKG_CONFIG_PATH=$root$libdir/pkgconfig:$LT_INSTALL_DPDK_PCDIR
# The loader: the staged library, then the DPDK built against; not the
# build tree (meson test puts its library directories in
# LD_LIBRARY_PATH).
ld_path=$root$libdir:$LT_INSTALL_DPDK_LIBDIR
pcs="librte_txweight librte_net_mlx5_lagspeed"
for pc in $pcs; do
	got=$(pkg-config --modversion "$pc") ||
		lt_fail "pkg-config does not find $pc"
	[ "$got" = "$version" ] || lt_fail "$pc: version $got, not $version"
done
lt_ok "pkg-config finds $pcs at version $version"
read -r -a cflags <<<"$(pkg-config --cflags $pcs)"
read -r -a libs <<<"$(pkg-config --libs $pcs)"
printf '%s\n' "${cflags[@]}" >"$LT_DIR/cflags"
lt_expect_grep "^-I$root" "$LT_DIR/cflags" "cflags name the staged include dir"
lt_expect_grep "^-I.*dpdk" "$LT_DIR/cflags" "cflags bring libdpdk's"

app=$LT_DIR/installed_app
if ! "${cc[@]}" -Wall -Wextra -Werror -o "$app" "$app_src" "${cflags[@]}" \
		"${libs[@]}" >"$LT_DIR/cc.log" 2>&1; then
	cat "$LT_DIR/cc.log" >&2
	lt_fail "an application does not build from the .pc files"
fi
readelf -d "$app" >"$LT_DIR/app.dyn"
lt_expect_grep "NEEDED.*\[$soname\]" "$LT_DIR/app.dyn" \
	"the application links against $soname"
if [ -n "$cxx" ]; then
	printf '#include <rte_txweight.h>\n#include <rte_pmd_mlx5_lagspeed.h>\n' |
		"$cxx" -x c++ -fsyntax-only -Wall -Wextra -Werror "${cflags[@]}" - \
		>"$LT_DIR/cxx.log" 2>&1 ||
		{ cat "$LT_DIR/cxx.log" >&2; lt_fail "the headers do not compile as C++"; }
	lt_ok "the headers compile as C++ ($cxx)"
else
	echo "note: no C++ compiler; the headers' C++ check is left out"
fi

# Run it against the staged library, without and with the staged plugin.
vdevs=(--vdev net_null0 --vdev net_null1)
out=$LT_DIR/run.out
if ! LD_LIBRARY_PATH=$ld_path "$app" $(lt_eal_args plain) "${vdevs[@]}" \
		>"$out" 2>&1; then
	cat "$out" >&2
	lt_fail "the application failed"
fi
lt_expect_grep "^OK$" "$out" "every packet counted by the port it was sent to"
lt_expect_grep "^librte_txweight: $root$libdir/$soname$" "$out" \
	"librte_txweight loaded from the staged tree"
# A lagspeed installed on this host for real is loaded by EAL from its
# plugin directory in every run: then neither answer below tells the
# staged copy from that one, and both checks are left out.
autoloaded=0
if [ -e "$LT_INSTALL_EAL_PMD_PATH/librte_net_mlx5_lagspeed.so" ]; then
	autoloaded=1
	echo "note: a lagspeed plugin is installed in $LT_INSTALL_EAL_PMD_PATH;" \
		"the header's _dyn checks are left out"
else
	lt_expect_grep "^lagspeed info of port 0: -ENOTSUP$" "$out" \
		"without the plugin, the header's _dyn call says -ENOTSUP"
fi
out=$LT_DIR/plugin.out
if ! LD_LIBRARY_PATH=$ld_path "$app" $(lt_eal_args plugin) \
		-d "$root$pmddir/librte_net_mlx5_lagspeed.so" "${vdevs[@]}" \
		>"$out" 2>&1; then
	cat "$out" >&2
	lt_fail "the application failed with the staged plugin"
fi
lt_expect_grep "^OK$" "$out" "with the staged plugin, every packet counted"
if [ "$autoloaded" -eq 0 ]; then
	lt_expect_grep "^lagspeed info of port 0: -ENODEV$" "$out" \
		"the _dyn call reaches the staged plugin (net_null: not taken on)"
fi

# The installed tools find the installed library and start.
out=$LT_DIR/lagpmd.out
if ! echo quit | LD_LIBRARY_PATH=$ld_path "$root$bindir/dpdk-lagpmd" \
		$(lt_eal_args lagpmd) "${vdevs[@]}" >"$out" 2>&1; then
	cat "$out" >&2
	lt_fail "the installed dpdk-lagpmd failed"
fi
lt_ok "the installed dpdk-lagpmd starts and quits"
LD_LIBRARY_PATH=$ld_path ldd "$root$bindir/dpdk-lag_tx_balance" \
	>"$LT_DIR/ldd.out" 2>&1
lt_expect_grep "$soname => $root$libdir/$soname" "$LT_DIR/ldd.out" \
	"the installed dpdk-lag_tx_balance resolves $soname"
lt_expect_no_grep "not found" "$LT_DIR/ldd.out" \
	"the installed dpdk-lag_tx_balance resolves every library"
