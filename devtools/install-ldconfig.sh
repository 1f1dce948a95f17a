#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The lagspeed authors
#
# Run by `meson install`: refresh the loader's cache, so that the installed
# tools find librte_txweight in /usr/local/lib/<multiarch> at once (meson
# 1.0, Debian 12's, does not run ldconfig). Only for the prefixes whose
# library directories the cache covers, /usr/local and /usr; not for a
# staged install (DESTDIR), nor without root.
case ${MESON_INSTALL_PREFIX:-} in
/usr | /usr/local) ;;
*) exit 0 ;;
esac
[ -z "${DESTDIR:-}" ] || exit 0
[ "$(id -u)" -eq 0 ] || exit 0
for ldconfig in ldconfig /sbin/ldconfig /usr/sbin/ldconfig; do
	if command -v "$ldconfig" >/dev/null 2>&1; then
		"$ldconfig" || echo "lagspeed: ldconfig failed; run it by hand" >&2
		exit 0
	fi
done
