#!/bin/bash
# t-deb: the Debian package (make deb, issue 17), read back with dpkg-deb
# and checked by lintian:
#   - its files are make install's (PREFIX=/usr), with the same modes, plus
#     Debian's own (copyright, changelog, lintian overrides); man pages
#     compressed;
#   - conffiles: /etc/vtid/vtid.conf; Depends: the shared libraries vtid
#     links (shlibs) and frr;
#   - postinst creates the system group vtid and enables vtid.service; the
#     unit starts only when /etc/vtid/vtid.conf exists;
#   - lintian: no error.
set -u
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
for t in dpkg-buildpackage dh lintian; do
	if ! command -v $t >/dev/null; then
		echo "SKIP deb: $t is not installed (scripts/deps installs it)"
		exit 0
	fi
done
tmp=$(mktemp -d /tmp/t-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

if ! make -s BUILD="$BUILD" deb >"$tmp/build.log" 2>&1; then
	fail deb-build "$(tail -5 "$tmp/build.log")"
	finish
fi
v=$(sed -n 's/^#define VTID_VERSION "\(.*\)"/\1/p' vtid/version.h)
deb=$(ls "$BUILD"/deb/vtid_"$v"*_*.deb 2>/dev/null | head -1)
if [ -f "$deb" ]; then pass "deb-build ($(basename "$deb"))"; else fail deb-build "no vtid_$v*.deb"; finish; fi

# ---- files: what make install puts, where it puts it ----
make -s BUILD="$BUILD" PREFIX=/usr DESTDIR="$tmp/root" install >/dev/null 2>&1
inst=$(cd "$tmp/root" && find . -type f -printf '%P %m\n' | LC_ALL=C sort)
pkg=$(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {
		m = 0; p = substr($1, 2)
		for (i = 1; i <= 9; i++) { m = m * 2 + (substr(p, i, 1) != "-") }
		sub(/^\.\//, "", $6); printf "%s %o\n", $6, m }' |
	sed 's/\.gz / /' | grep -v -E '^usr/share/(doc|lintian)/' | LC_ALL=C sort)
if [ -n "$pkg" ] && [ "$inst" = "$pkg" ]; then
	pass deb-files-as-make-install
else
	fail deb-files-as-make-install "$(diff <(echo "$inst") <(echo "$pkg") | tr '\n' ' ')"
fi
dpkg-deb -c "$deb" >"$tmp/list"
if grep -q ' ./usr/share/man/man5/vtid.conf.5.gz$' "$tmp/list" &&
	grep -q ' ./usr/share/doc/vtid/copyright$' "$tmp/list"; then
	pass deb-man-and-copyright
else
	fail deb-man-and-copyright "$(awk '{print $6}' "$tmp/list" | tr '\n' ' ')"
fi

# ---- control: conffiles, dependencies, maintainer scripts ----
mkdir -p "$tmp/ctl"
dpkg-deb -e "$deb" "$tmp/ctl"
if [ "$(cat "$tmp/ctl/conffiles")" = /etc/vtid/vtid.conf ]; then
	pass deb-conffile
else
	fail deb-conffile "$(cat "$tmp/ctl/conffiles")"
fi
dep=$(dpkg-deb -f "$deb" Depends)
missing=""
for d in frr adduser libc6 libssl3 libnl-3-200 libnl-route-3-200 libnl-xfrm-3-200 libjson-c5 \
	libcap2 libnftables1 libnl-nf-3-200 libreadline8 libsystemd0; do
	grep -q -E "(^|, )$d( |,|$)" <<<"$dep" || missing="$missing $d"
done
if [ -z "$missing" ]; then pass deb-depends; else fail deb-depends "missing$missing in: $dep"; fi
if grep -q 'addgroup --system vtid' "$tmp/ctl/postinst" &&
	grep -q "deb-systemd-helper enable 'vtid.service'" "$tmp/ctl/postinst"; then
	pass deb-postinst-group-enable
else
	fail deb-postinst-group-enable "postinst lacks addgroup or enable"
fi
mkdir -p "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
# enabled, not started by debhelper; started by postinst only when the
# configuration holds more than the shipped comments (its own test, run here
# on the shipped file and on one with a line)
cfgre=$(sed -n "s/.*grep -Evq '\\([^']*\\)'.*/\\1/p" "$tmp/ctl/postinst")
printf '! only a comment\nhostname r1\nend\n' >"$tmp/real.conf"
if ! grep -q 'deb-systemd-invoke start' "$tmp/ctl/postinst" && [ -n "$cfgre" ] &&
	! grep -Evq "$cfgre" "$tmp/x/etc/vtid/vtid.conf" && grep -Evq "$cfgre" "$tmp/real.conf"; then
	pass "deb-started-only-when-configured: not at install with the shipped comments, with a real line"
else
	fail deb-started-only-when-configured "re '$cfgre'; $(grep -n 'deb-systemd-invoke' "$tmp/ctl/postinst" | tr '\n' ' ')"
fi
if grep -q '^ConditionPathExists=/etc/vtid/vtid.conf$' "$tmp/x/lib/systemd/system/vtid.service" &&
	grep -q '^ExecStart=/usr/sbin/vtid ' "$tmp/x/lib/systemd/system/vtid.service"; then
	pass deb-unit-condition
else
	fail deb-unit-condition "unit: $(grep -E '^(Condition|ExecStart)' "$tmp/x/lib/systemd/system/vtid.service")"
fi

# ---- lintian ----
lintian --fail-on error --display-info "$deb" >"$tmp/lintian.out" 2>&1
rc=$?
grep -v 'running with root privileges' "$tmp/lintian.out" | sed 's/^/  lintian: /'
if [ $rc = 0 ] && ! grep -q '^E:' "$tmp/lintian.out"; then
	pass deb-lintian-no-error
else
	fail deb-lintian-no-error "$(grep '^E:' "$tmp/lintian.out" | tr '\n' ' ')"
fi
finish
