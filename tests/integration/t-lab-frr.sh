#!/bin/bash
# t-lab-frr: the lab itself, with FRR alone (--no-vtid): two-site and triangle
# come up, OSPF converges over the plain WAN, hosts ping across, vtysh and
# exec reach the right namespace, and `down` leaves no namespace, no state
# and none of the processes it started; `down` twice is fine, `up` twice is
# refused.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
RUNBASE=${VTID_LAB_RUN:-/run/vtid-lab}
A=vtla$$
B=vtlb$$
failed=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
trap '"$lab" down $A >/dev/null 2>&1; "$lab" down $B >/dev/null 2>&1' EXIT

# route_via NAME NODE PREFIX: is PREFIX in NODE's table, learned by OSPF?
route_ospf() {
	"$lab" vtysh "$1" "$2" -c "show ip route $3 json" 2>/dev/null |
		python3 -c 'import json,sys
d=json.load(sys.stdin); p=sys.argv[1]
sys.exit(0 if any(r.get("protocol")=="ospf" and r.get("selected") for r in d.get(p,[])) else 1)' "$3"
}
wait_until() { # SECONDS CMD...
	local t=$(($1 * 5)); shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.2; t=$((t - 1)); done
	return 1
}

# ---- refusals -------------------------------------------------------------------
if "$lab" up two-site --name 'x;rm' --no-vtid 2>/dev/null || "$lab" up no-such-topo --name $A 2>/dev/null ||
	"$lab" exec $A R1 true 2>/dev/null; then
	fail refusals "a bad name, an unknown topology or a lab that is not up was accepted"
elif ip netns list 2>/dev/null | grep -q "^$A-\|^x;rm"; then
	fail refusals "a refused command left namespaces"
else
	pass refusals
fi

# ---- two-site -----------------------------------------------------------------
if ! "$lab" up two-site --name $A --no-vtid; then
	echo "FAIL lab-up-two-site: lab up failed"; exit 1
fi
pass lab-up-two-site
pids=$(cat "$RUNBASE/$A"/*/*.lab-pid | awk '{print $1}')
[ "$(echo "$pids" | wc -w)" = 6 ] && pass frr-daemons-recorded || fail frr-daemons-recorded "pids: $pids"

if "$lab" up two-site --name $A --no-vtid 2>/dev/null; then
	fail up-twice-refused "second up succeeded"
else
	pass up-twice-refused
fi

if [ "$("$lab" exec $A R3 ip -br addr show wan | awk '{print $3}')" = 203.0.113.3/24 ]; then
	pass exec-in-namespace
else
	fail exec-in-namespace "R3 wan: $("$lab" exec $A R3 ip -br addr show wan)"
fi

if wait_until 20 route_ospf $A R2 10.4.4.0/24 && wait_until 5 route_ospf $A R3 10.1.1.0/24; then
	pass ospf-routes
else
	fail ospf-routes "R2: $("$lab" vtysh $A R2 -c 'show ip route' | tail -5 | tr '\n' '|')"
fi
if "$lab" exec $A R1 ping -c 3 -i 0.2 -W 2 10.4.4.4 >/dev/null; then
	pass ping-r1-r4
else
	fail ping-r1-r4 "no reply from 10.4.4.4"
fi
if "$lab" vtysh $A R2 -c 'show bfd peers brief' | grep -q '203.0.113.3 .* up'; then
	pass bfd-up
else
	fail bfd-up "$("$lab" vtysh $A R2 -c 'show bfd peers brief' | tr '\n' '|')"
fi
"$lab" status $A | grep -q 'R2 .*router .*zebra:[0-9]' && pass status || fail status "$("$lab" status $A)"

"$lab" down $A
left=""
# a zombie waiting for its reaper (these daemons are re-parented) has exited
alive() { [ -r /proc/$1/stat ] && [ "$(awk '{print $3}' /proc/$1/stat 2>/dev/null)" != Z ]; }
for p in $pids; do alive $p && left+=" $p"; done
if [ -z "$left" ] && ! ip netns list 2>/dev/null | grep -q "^$A-" && [ ! -e "$RUNBASE/$A" ]; then
	pass down-leaves-nothing
else
	fail down-leaves-nothing "pids:$left ns: $(ip netns list 2>/dev/null | grep "^$A-" | tr '\n' ' ')"
fi
"$lab" down $A && pass down-idempotent || fail down-idempotent "second down failed"

# ---- triangle ---------------------------------------------------------------------
if "$lab" up triangle --name $B --no-vtid; then
	ok=1
	for p in 10.20.1.0/24 10.30.1.0/24; do wait_until 20 route_ospf $B A $p || ok=0; done
	[ $ok = 1 ] && pass triangle-ospf || fail triangle-ospf "A: $("$lab" vtysh $B A -c 'show ip route ospf' | tail -4 | tr '\n' '|')"
	ok=1
	for h in 10.20.1.10 10.30.1.10; do "$lab" exec $B HA ping -c 2 -i 0.2 -W 2 $h >/dev/null || ok=0; done
	"$lab" exec $B HB ping -c 2 -i 0.2 -W 2 10.30.1.10 >/dev/null || ok=0
	[ $ok = 1 ] && pass triangle-ping || fail triangle-ping "a host pair did not reach each other"
else
	fail triangle-up "lab up triangle failed"
fi
"$lab" down $B
ip netns list 2>/dev/null | grep -q "^$B-" && fail triangle-down "namespaces left" || pass triangle-down
exit $failed
