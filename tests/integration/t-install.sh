#!/bin/bash
# t-install: vtid as an installed service (issue 17).
#   - make install PREFIX=/usr DESTDIR=...: each file where the Debian package
#     puts it, with its mode; the installed vtid --version; man -l on every
#     page with no groff warning;
#   - vtid.conf(5) names every command of docs/CONFIG.md (conf_commands.py);
#   - the example /etc/vtid/vtid.conf passes vtid --check-config, and so does
#     its example once uncommented;
#   - debian/changelog's version is vtid's;
#   - systemd-analyze verify on the unit, no warning (skipped without it);
#   - the installed vtid started as the unit starts it (its ExecStart, with
#     a systemd-like NOTIFY_SOCKET) in a namespace: READY=1, RELOADING=1 and
#     READY=1 on SIGHUP, STOPPING=1 on SIGTERM; its socket root:vtid 0660; a
#     uid in group vtid runs vtish -c 'show crypto session', a uid outside is
#     refused with "permission denied: are you in group vtid?"; without a
#     group vtid the socket is root's, 0600.
set -u
. "$(dirname "$0")/lib.sh"
cd "$TOP" || exit 1
tmp=$(mktemp -d /tmp/t-install.XXXXXX)
chmod 0755 "$tmp" # the unprivileged uid below reaches the socket through it
D=$tmp/root
NS=tinst$$
made_group=0
lpid=""
cleanup() {
	stop_pids
	[ -n "$lpid" ] && kill "$lpid" 2>/dev/null && wait "$lpid" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ $made_group = 1 ] && groupdel vtid
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- make install ----
if ! make -s BUILD="$BUILD" PREFIX=/usr DESTDIR="$D" install >"$tmp/install.log" 2>&1; then
	fail install-make "$(tail -5 "$tmp/install.log")"
	finish
fi
want="etc/vtid/vtid.conf 600
lib/systemd/system/vtid.service 644
usr/bin/vtish 755
usr/sbin/vtid 755
usr/share/man/man5/vtid.conf.5 644
usr/share/man/man8/vtid.8 644
usr/share/man/man8/vtish.8 644"
got=$(cd "$D" && find . -type f -printf '%P %m\n' | LC_ALL=C sort)
if [ "$got" = "$want" ]; then
	pass install-layout
else
	fail install-layout "$(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"
fi
v=$("$D/usr/sbin/vtid" --version)
hv=$(sed -n 's/^#define VTID_VERSION "\(.*\)"/\1/p' vtid/version.h)
if [ "$v" = "vtid $hv" ]; then pass install-version; else fail install-version "$v"; fi
dv=$(dpkg-parsechangelog -l debian/changelog -S Version 2>/dev/null || head -1 debian/changelog | sed 's/.*(\(.*\)).*/\1/')
if [ "${dv%%-*}" = "$hv" ]; then pass install-deb-version; else fail install-deb-version "changelog $dv, vtid $hv"; fi
# An existing configuration is never replaced.
echo "hostname KEEP" >"$D/etc/vtid/vtid.conf"
make -s BUILD="$BUILD" PREFIX=/usr DESTDIR="$D" install >/dev/null 2>&1
if [ "$(cat "$D/etc/vtid/vtid.conf")" = "hostname KEEP" ]; then
	pass install-keeps-conf
else
	fail install-keeps-conf "make install replaced an existing vtid.conf"
fi
install -m 0600 etc/vtid.conf "$D/etc/vtid/vtid.conf"

# ---- man pages ----
for p in "$D"/usr/share/man/man*/*; do
	n=$(basename "$p")
	# lintian's check: man's own warnings, groff's included
	w=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$p" 2>&1 >/dev/null)
	if LC_ALL=C man -l "$p" >"$tmp/$n.txt" 2>&1 && [ -z "$w" ] && grep -q NAME "$tmp/$n.txt"; then
		pass "install-man-$n"
	else
		fail "install-man-$n" "$w"
	fi
done
LC_ALL=C MANWIDTH=250 man -l "$D/usr/share/man/man5/vtid.conf.5" 2>/dev/null | col -b >"$tmp/conf5.txt"
n=$(python3 tests/integration/conf_commands.py list docs/CONFIG.md | wc -l)
if out=$(python3 tests/integration/conf_commands.py check docs/CONFIG.md "$tmp/conf5.txt") && [ "$n" -gt 100 ]; then
	pass "install-man-covers-config ($n commands)"
else
	fail install-man-covers-config "$(echo "$out" | tr '\n' ' ')"
fi
# The check itself: a page without one command fails it.
sed 's/nat force-encap/nat/' "$tmp/conf5.txt" >"$tmp/conf5-less.txt"
if ! python3 tests/integration/conf_commands.py check docs/CONFIG.md "$tmp/conf5-less.txt" |
	grep -q "missing: nat force-encap"; then
	fail install-man-covers-check "a page lacking 'nat force-encap' passed"
else
	pass install-man-covers-check
fi

# ---- the example configuration ----
if "$D/usr/sbin/vtid" --check-config "$D/etc/vtid/vtid.conf" >"$tmp/ex.out" 2>&1; then
	pass install-example-valid
else
	fail install-example-valid "$(head -3 "$tmp/ex.out")"
fi
sed 's/^!!//' "$D/etc/vtid/vtid.conf" >"$tmp/ex-on.conf"
if "$D/usr/sbin/vtid" --check-config "$tmp/ex-on.conf" >"$tmp/ex-on.out" 2>&1 &&
	grep -q "tunnel protection ipsec profile IPP" "$tmp/ex-on.out"; then
	pass install-example-uncommented-valid
else
	fail install-example-uncommented-valid "$(head -3 "$tmp/ex-on.out")"
fi

# ---- systemd-analyze verify ----
unit=$D/lib/systemd/system/vtid.service
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP install-unit-verify: systemd-analyze is not installed"
else
	# The unit as installed, but naming the staged binary (verify checks
	# ExecStart exists) and finding the staged man pages (Documentation=).
	sed "s|/usr/sbin/vtid|$D/usr/sbin/vtid|" "$unit" >"$tmp/vtid.service"
	if MANPATH=$D/usr/share/man systemd-analyze verify "$tmp/vtid.service" >"$tmp/verify.out" 2>&1 &&
		[ ! -s "$tmp/verify.out" ]; then
		pass install-unit-verify
	else
		fail install-unit-verify "$(tr '\n' ' ' <"$tmp/verify.out")"
	fi
fi

# ExecCondition, as systemd runs it ($$ is a dollar): the shipped example
# (comments only) skips the start, a configuration with a line runs it
cond=$(sed -n 's/^ExecCondition=//p' "$unit")
cond=${cond//\$\$/\$}
printf '! only a comment\nhostname r1\nend\n' >"$tmp/real.conf"
if [ -n "$cond" ] &&
	! eval "${cond//\/etc\/vtid\/vtid.conf/$D/etc/vtid/vtid.conf}" &&
	eval "${cond//\/etc\/vtid\/vtid.conf/$tmp/real.conf}"; then
	pass "install-unit-condition: the shipped example skips the start, a configuration runs it"
else
	fail install-unit-condition "ExecCondition '$cond'"
fi

# ---- the installed vtid, started as the unit starts it ----
if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "SKIP install-service: needs root and setpriv"
	finish
fi
ip netns add "$NS" || { fail install-service-setup "netns"; finish; }
ip -n "$NS" link set lo up
# ExecStart, the staged binary and configuration in place of the installed
# ones; plus a socket and an FRR vty folder of this test's own, so nothing
# here can reach the machine's vtid or FRR.
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
read -r -a args <<<"${exec_start//\/etc\/vtid\//$D/etc/vtid/}"
args[0]=$D${args[0]}
SOCK=$tmp/run/vtid/vtid.sock
args+=(-s "$SOCK" --frr-vty-socket "$tmp/frr")
NOTE=$tmp/notify.log
U=64917 # a uid with no rights here

start_service() {
	rm -f "$NOTE" "$tmp/notify.sock"
	: >"$NOTE"
	python3 tests/integration/notify_listen.py "$tmp/notify.sock" "$NOTE" &
	lpid=$!
	wait_for 5 "[ -S $tmp/notify.sock ]"
	ip netns exec "$NS" env NOTIFY_SOCKET="$tmp/notify.sock" "${args[@]}" &
	_pids+=($!)
	vpid=$!
	wait_for 15 "grep -q '^READY=1' $NOTE"
}
stop_service() {
	stop_pids
	kill "$lpid" 2>/dev/null
	wait "$lpid" 2>/dev/null
	lpid=""
}
as_user() { setpriv --reuid=$U --regid=$U "$@"; }

if getent group vtid >/dev/null; then
	echo "SKIP install-socket-no-group: group vtid exists on this machine"
else
	start_service
	m=$(stat -c '%U:%G %a' "$SOCK" 2>/dev/null)
	if [ "$m" = "root:root 600" ]; then
		pass install-socket-no-group
	else
		fail install-socket-no-group "socket $m (want root:root 600 without a group vtid)"
	fi
	stop_service
	groupadd --system vtid && made_group=1
fi
gid=$(getent group vtid | cut -d: -f3)
start_service
if grep -q '^READY=1' "$NOTE"; then
	pass install-notify-ready
else
	fail install-notify-ready "no READY=1: $(tr '\n' ' ' <"$NOTE")"
fi
m=$(stat -c '%U:%G %a' "$SOCK" 2>/dev/null)
if [ "$m" = "root:vtid 660" ]; then pass install-socket-group; else fail install-socket-group "socket $m"; fi

out=$(as_user --groups="$gid" "$D/usr/bin/vtish" -s "$SOCK" -c 'show crypto session' 2>&1)
rc=$?
if [ $rc = 0 ] && ! grep -qi "denied\|error" <<<"$out"; then
	pass install-vtish-group-member
else
	fail install-vtish-group-member "rc $rc: $out"
fi
out=$(as_user --clear-groups "$D/usr/bin/vtish" -s "$SOCK" -c 'show crypto session' 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q "permission denied: are you in group vtid?" <<<"$out"; then
	pass install-vtish-refused
else
	fail install-vtish-refused "rc $rc: $out"
fi

kill -HUP "$vpid"
if wait_for 10 "[ \$(grep -c '^READY=1' $NOTE) -ge 2 ]" &&
	awk '/^RELOADING=1/{r=NR} /^READY=1/{if (r && NR > r) ok=1} END{exit !ok}' "$NOTE" &&
	grep -q '^MONOTONIC_USEC=' "$NOTE"; then
	pass install-notify-reload
else
	fail install-notify-reload "$(tr '\n' ' ' <"$NOTE")"
fi
kill -TERM "$vpid"
for _ in $(seq 50); do kill -0 "$vpid" 2>/dev/null || break; sleep 0.1; done
wait "$vpid" 2>/dev/null
rc=$?
if [ $rc = 0 ] && grep -q '^STOPPING=1' "$NOTE"; then
	pass install-notify-stopping
else
	fail install-notify-stopping "exit $rc: $(tr '\n' ' ' <"$NOTE")"
fi
stop_service
finish
