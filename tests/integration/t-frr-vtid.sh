#!/bin/bash
# t-frr-vtid: frr-integration inside vtid, driven through vtish on R2 of the
# two-site lab: routing lines typed in `configure terminal` reach FRR in its
# spelling, removed lines leave FRR, a restarted ospfd gets vtid's routing
# configuration back from the periodic check (and the route over Tunnel1
# returns), and `show ip ospf ...` passes through to FRR.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vtfv$$
failed=0
trap '"$lab" down $NAME >/dev/null 2>&1' EXIT

[ -x "$BUILD/vtid" ] || { echo "FAIL t-frr-vtid: $BUILD/vtid not built"; exit 1; }
"$lab" up two-site --name $NAME --vtid || { echo "FAIL lab-up: lab up two-site failed"; exit 1; }

conf() { "$lab" vtish $NAME R2 -c 'configure terminal' "$@" -c 'end' >/dev/null; }
# frr_block HEADER: lines of one block of FRR's running config on R2
frr_block() {
	"$lab" vtysh $NAME R2 -c 'show running-config' |
		awk -v h="$1" '$0 == h {p=1; next} p && /^[^ ]/ {p=0} p'
}
has() { frr_block "$1" | grep -qx "$2"; }
lacks() { ! has "$@"; }

if wait_until 30 route_ospf $NAME R2 10.4.4.0/24 Tunnel1; then pass converged; else
	fail converged "no OSPF route over Tunnel1"
	exit 1
fi

# IOS process-numbered area and router-id came through translated
if has 'interface Tunnel1' ' ip ospf area 0' && has 'router ospf' ' ospf router-id 2.2.2.2' &&
	! "$lab" vtysh $NAME R2 -c 'show running-config' | grep -q '^router ospf 1'; then
	pass startup-translated
else
	fail startup-translated "$("$lab" vtysh $NAME R2 -c 'show running-config' | tr '\n' '|')"
fi

# an interface line added, then removed
if conf -c 'interface Tunnel1' -c 'ip ospf cost 77' && wait_until 5 has 'interface Tunnel1' ' ip ospf cost 77'; then
	pass line-added
else
	fail line-added "Tunnel1 in FRR: $(frr_block 'interface Tunnel1' | tr '\n' '|')"
fi
if conf -c 'interface Tunnel1' -c 'no ip ospf cost 77' && wait_until 5 lacks 'interface Tunnel1' ' ip ospf cost 77'; then
	pass line-removed
else
	fail line-removed "Tunnel1 in FRR: $(frr_block 'interface Tunnel1' | tr '\n' '|')"
fi

# passive-interface under router ospf -> ip ospf passive on the interface, and back
if conf -c 'router ospf 1' -c 'passive-interface eth0' && wait_until 5 has 'interface eth0' ' ip ospf passive'; then
	pass passive-interface
else
	fail passive-interface "eth0 in FRR: $(frr_block 'interface eth0' | tr '\n' '|')"
fi
if conf -c 'router ospf 1' -c 'no passive-interface eth0' && wait_until 5 lacks 'interface eth0' ' ip ospf passive'; then
	pass passive-interface-removed
else
	fail passive-interface-removed "eth0 in FRR: $(frr_block 'interface eth0' | tr '\n' '|')"
fi

# ospfd restarts empty: vtid's periodic check applies its part again
"$lab" kill $NAME R2 ospfd && "$lab" start $NAME R2 ospfd
if wait_until 15 has 'router ospf' ' ospf router-id 2.2.2.2' && wait_until 20 route_ospf $NAME R2 10.4.4.0/24 Tunnel1; then
	pass ospfd-restart-reapplied
else
	fail ospfd-restart-reapplied "FRR: $("$lab" vtysh $NAME R2 -c 'show running-config' | tr '\n' '|')"
fi

# show pass-through
if "$lab" vtish $NAME R2 -c 'show ip ospf neighbor json' | jq_py "'3.3.3.3' in d['neighbors']" | grep -qx True; then
	pass show-passthrough
else
	fail show-passthrough "$("$lab" vtish $NAME R2 -c 'show ip ospf neighbor json' 2>&1 | head -5 | tr '\n' '|')"
fi
lab_down_checked $NAME
exit $failed
