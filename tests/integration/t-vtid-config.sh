#!/bin/bash
# The daemon's front door, on one vtid with no peer: `write memory` saves the
# running configuration (mode 0600, re-readable, canonical); SIGHUP reloads a
# changed file; `configure replace` with a broken file reports FILE:LINE:COL
# and changes nothing; a missing configuration file starts empty; a tunnel
# configured from vtish gets its device at once; `crypto ikev2
# cookie-challenge N` is the IKE engine's COOKIE threshold (its own stats).
set -u
. "$(dirname "$0")/lib.sh"

one_router vtCf wan

# Starts with no file at all: an empty router, configured from the shell.
start_vtid $NS "$RUN/vtid.conf" "$RUN/s" "$RUN/log"
vsh $RUN/s 'show running-config' | grep -q '^end' && pass "no configuration file: starts empty" ||
	fail "starts empty" "$(tail -3 "$RUN/log")"

vsh $RUN/s 'configure terminal' 'hostname EDGE1' 'interface Tunnel7' 'ip address 10.77.0.1 255.255.255.252' \
	'tunnel source 192.0.2.1' 'tunnel destination 192.0.2.99' 'tunnel key 77' 'end' >"$RUN/out" ||
	fail "configure terminal through vtish" "$(cat "$RUN/out")"
wait_for 5 "ip -n $NS -o addr show dev Tunnel7 | grep -q 10.77.0.1" &&
	pass "Tunnel7 (plain GRE) created at once with its address" || fail "Tunnel7 device"
line_up $RUN/s Tunnel7 && pass "an unprotected tunnel has carrier" || fail "plain GRE carrier"
[ "$(vsh $RUN/s 'show version json' | _jfirst dataplane)" = userspace ] &&
	pass "dataplane auto picked userspace here" || fail "dataplane"

vsh $RUN/s 'write memory' >/dev/null && [ -f "$RUN/vtid.conf" ] && pass "write memory saved the file" ||
	fail "write memory"
[ "$(stat -c %a "$RUN/vtid.conf")" = 600 ] && pass "saved with mode 0600" ||
	fail "saved mode" "$(stat -c %a "$RUN/vtid.conf")"
"$VTID" --check-config "$RUN/vtid.conf" >"$RUN/canon" 2>&1 && cmp -s "$RUN/canon" "$RUN/vtid.conf" &&
	pass "the saved file is canonical and checks" || fail "saved file canonical" "$(diff "$RUN/canon" "$RUN/vtid.conf" | head -5)"
grep -q '^hostname EDGE1' "$RUN/vtid.conf" && grep -q ' tunnel key 77' "$RUN/vtid.conf" &&
	pass "the saved file has what was typed" || fail "saved content"

# SIGHUP: the file changed behind vtid's back is applied.
sed -i 's/^hostname EDGE1/hostname EDGE2/; s/ tunnel key 77/ tunnel key 78/' "$RUN/vtid.conf"
kill -HUP "${_pids[0]}"
wait_for 5 "vsh $RUN/s 'show running-config' | grep -q '^hostname EDGE2'" &&
	pass "SIGHUP reloaded the file" || fail "SIGHUP reload"
vsh $RUN/s 'show interfaces Tunnel7 json' | grep -q '"tunnel_key":78' &&
	pass "the reloaded tunnel key is in force" || fail "reloaded key"

# configure replace with a broken file: exact position, nothing changes.
printf 'hostname BROKEN\ninterface Tunnel7\n tunnel destination 192.0.2.300\n' >"$RUN/bad.conf"
out=$(vsh $RUN/s "configure replace $RUN/bad.conf" 2>&1)
rc=$?
[ $rc != 0 ] && echo "$out" | grep -q "$RUN/bad.conf:3:21: error:" &&
	pass "configure replace refuses a broken file at 3:21" || fail "configure replace position" "rc=$rc $out"
vsh $RUN/s 'show running-config' | grep -q '^hostname EDGE2' && ip -n $NS link show Tunnel7 >/dev/null 2>&1 &&
	pass "a refused file changed nothing" || fail "refused file changed something"

# configure replace with a good file: Tunnel7 goes, Tunnel8 comes.
printf 'hostname EDGE3\ninterface Tunnel8\n ip address 10.88.0.1 255.255.255.252\n tunnel source 192.0.2.1\n tunnel destination 192.0.2.98\n' >"$RUN/good.conf"
vsh $RUN/s "configure replace $RUN/good.conf" >/dev/null &&
	wait_for 5 "ip -n $NS link show Tunnel8 >/dev/null 2>&1 && ! ip -n $NS link show Tunnel7 >/dev/null 2>&1" &&
	pass "configure replace removed Tunnel7 and created Tunnel8" || fail "configure replace good file"

# Errors in the shell: a bad line is refused with its column and exit status 1.
out=$(vsh $RUN/s 'configure terminal' 'interface Tunnel8' 'tunnel destination 1.2.3' 2>&1)
[ $? != 0 ] && echo "$out" | grep -q '%' && pass "a bad line is refused, vtish exits non-zero" ||
	fail "bad line in vtish" "$out"

# crypto ikev2 cookie-challenge N: the engine demands COOKIEs from N
# half-open SAs on (what it reports itself); without the line, 64.
cookie_thr() { vsh $RUN/s 'show crypto ikev2 stats json' | tr -d ' \n' | _jfirst cookie_threshold; }
t0=$(cookie_thr)
vsh $RUN/s 'configure terminal' 'crypto ikev2 cookie-challenge 10' 'end' >/dev/null
t1=$(cookie_thr)
vsh $RUN/s 'configure terminal' 'no crypto ikev2 cookie-challenge' 'end' >/dev/null
t2=$(cookie_thr)
[ "$t0" = 64 ] && [ "$t1" = 10 ] && [ "$t2" = 64 ] &&
	pass "cookie-challenge 10 sets the engine's COOKIE threshold, no ... puts back 64" ||
	fail "cookie-challenge" "threshold $t0, after the line $t1, after no $t2"

stop_pids
check_logs_clean "$RUN/log"
finish
