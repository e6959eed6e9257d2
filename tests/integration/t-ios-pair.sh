#!/bin/bash
# t-ios-pair: issue 16's seed-style pair.  R2 and R3 run configurations
# written exactly as IOS prints a GRE-over-IPsec crypto map design
# (tests/lab/two-site-ios: FastEthernet0/0 and 0/1 with `duplex auto` and
# `speed auto`, a crypto map on FastEthernet0/1 with a GRE ACL, `match fvrf
# any` in the ikev2 policy and profile, `tunnel source FastEthernet0/1`,
# `ip ospf 1 area 0` and no `router ospf` block) plus one `interface-map`
# line per physical interface:
#   - vtid --check-config on both: no error, only the `ignored on Linux`
#     notes of the hardware lines, and `router ospf 1` made (as IOS does);
#   - lab up: vtid gives the devices their addresses and brings them up;
#   - the IKE SA comes up and the Child SA pair's SPIs cross;
#   - OSPF reaches Full over Tunnel1 (FRR's own router-id), R4's network is
#     learnt through it;
#   - R1 pings R4 and the WAN carries only ESP;
#   - show interfaces FastEthernet0/1 shows the device eth1.
# Then the tunnel source moves (issue 16, `tunnel source INTERFACE`): R2's
# FastEthernet0/1 gets 203.0.113.12 in vtid's configuration (its GRE ACL
# with it), R3 is pointed at the new address, and R2's tunnel follows the
# address event: the IKE SA comes up again from 203.0.113.12, pings cross.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vtio$$
failed=0
tmp=$(mktemp -d /tmp/vtio.XXXXXX)
trap '"$lab" down $NAME >/dev/null 2>&1; rm -rf "$tmp"' EXIT
topo="$top/tests/lab/two-site-ios"

[ -x "$BUILD/vtid" ] || { echo "FAIL t-ios-pair: $BUILD/vtid not built"; exit 1; }

# 0. the configurations as IOS prints them, plus the maps
for r in R2 R3; do
	if "$BUILD/vtid" --check-config "$topo/$r.conf" >"$tmp/$r.out" 2>"$tmp/$r.err" &&
		! grep -qv ': note: ignored on Linux: \(duplex\|speed\) auto (interface FastEthernet0/[01])$' "$tmp/$r.err" &&
		[ "$(wc -l <"$tmp/$r.err")" = 4 ] && grep -qx 'router ospf 1' "$tmp/$r.out" &&
		[ "$(grep -vx 'interface-map FastEthernet0/[01] eth[01]' "$topo/$r.conf" | grep -c '^interface-map')" = 0 ]; then
		pass "check-config-$r"
	else
		fail "check-config-$r" "$(tr '\n' '|' <"$tmp/$r.err")"
	fi
done

t0=$(now_ms)
"$lab" up two-site-ios --name $NAME --vtid || { echo "FAIL lab-up: lab up two-site-ios failed"; exit 1; }
addr_on() { "$lab" exec $NAME "$1" ip -4 -o addr show dev "$2" | grep -qw "$3"; }
if wait_until 10 addr_on R2 eth1 203.0.113.2/24 && addr_on R2 eth0 10.1.1.2/24 &&
	wait_until 5 addr_on R3 eth1 203.0.113.3/24 && addr_on R3 eth0 10.4.4.3/24; then
	pass interfaces-configured-by-vtid
else
	fail interfaces-configured-by-vtid "$("$lab" exec $NAME R2 ip -4 -o addr | tr '\n' '|')"
fi

nbr_full() { # NODE: a Full neighbour on Tunnel1
	"$lab" vtysh $NAME "$1" -c 'show ip ospf neighbor json' 2>/dev/null |
		jq_py "any(n.get('converged') == 'Full' and n.get('ifaceName', '').startswith('Tunnel1:') for l in d.get('neighbors', {}).values() for n in l)" |
		grep -qx True
}

# 1. IKE and the Child SA
if wait_until 40 ike_ready $NAME R2 Tunnel1 && wait_until 5 ike_ready $NAME R3 Tunnel1; then
	pass ike-sa-ready
	echo "# IKE SAs READY after $(($(now_ms) - t0)) ms"
else
	fail ike-sa-ready "R2: $(vtish_json $NAME R2 'show crypto ikev2 sa json' | tr -d ' \n' | head -c 300); R2 log: $(tail -5 "${VTID_LAB_RUN:-/run/vtid-lab}/$NAME/R2/vtid.log" | tr '\n' '|')"
fi
wait_until 10 spis_cross $NAME R2 R3 Tunnel1 && pass child-spis-match ||
	fail child-spis-match "R2 $(child_spis $NAME R2 Tunnel1 | tr '\n' ' ') R3 $(child_spis $NAME R3 Tunnel1 | tr '\n' ' ')"

# 2. OSPF, with no router ospf block written
if wait_until 30 nbr_full R2 && wait_until 5 nbr_full R3; then
	pass ospf-full-over-tunnel
else
	fail ospf-full-over-tunnel "R2: $("$lab" vtysh $NAME R2 -c 'show ip ospf neighbor' | tr '\n' '|')"
fi
if wait_until 20 route_ospf $NAME R2 10.4.4.0/24 Tunnel1 && wait_until 5 route_ospf $NAME R3 10.1.1.0/24 Tunnel1; then
	pass ospf-routes-over-tunnel
else
	fail ospf-routes-over-tunnel "R2: $("$lab" vtysh $NAME R2 -c 'show ip route' | tail -6 | tr '\n' '|')"
fi

# 3. pings, only ESP on the WAN
wait_until 20 ping_ok $NAME R1 10.4.4.4 && pass ping-r1-r4 || fail ping-r1-r4 "no reply from 10.4.4.4"
N=20
"$lab" exec $NAME R3 timeout 10 tcpdump -i eth1 -n -U -w "$tmp/wan.pcap" >/dev/null 2>&1 &
cap=$!
wait_until 5 test -s "$tmp/wan.pcap"
sleep 0.3
sent=$("$lab" exec $NAME R1 ping -q -c $N -i 0.01 -W 1 10.4.4.4 | awk '/transmitted/ {print $4}')
sleep 0.3
kill $cap 2>/dev/null
wait $cap 2>/dev/null
esp=$(tcpdump -r "$tmp/wan.pcap" -n 'esp' 2>/dev/null | wc -l)
clear=$(tcpdump -r "$tmp/wan.pcap" -n 'icmp or proto 47' 2>/dev/null | wc -l)
if [ "$sent" = $N ] && [ "$esp" -ge $N ] && [ "$clear" = 0 ]; then
	pass wan-sees-only-esp
else
	fail wan-sees-only-esp "$sent/$N replies, $esp ESP and $clear clear ICMP/GRE on R3's WAN"
fi
dev=$(vtish_json $NAME R2 'show interfaces FastEthernet0/1 json' | jq_py "d['interfaces'][0]['device']")
[ "$dev" = eth1 ] && pass show-interfaces-ios-name || fail show-interfaces-ios-name "$dev"

# 4. the tunnel source moves: R2's FastEthernet0/1 renumbered in one
# session (the GRE ACL with it); R3 pointed at the new address
conf() { # NODE LINE...
	local n=$1 args=(-c 'configure terminal') l
	shift
	for l in "$@"; do args+=(-c "$l"); done
	args+=(-c end)
	"$lab" vtish $NAME "$n" "${args[@]}" >"$tmp/conf.$n" 2>&1
}
local_addr() { # NODE: the local address of the READY IKE SA of Tunnel1
	vtish_json $NAME "$1" 'show crypto ikev2 sa json' |
		jq_py "[s.get('local') for s in d['sas'] if s.get('status') == 'READY' and any(c.get('interface') == 'Tunnel1' for c in s.get('children', []))]"
}
conf R3 'crypto ikev2 keyring KR' 'peer R2' 'address 203.0.113.12' 'exit' 'exit' \
	'crypto ikev2 profile PROF' 'no match identity remote address 203.0.113.2 255.255.255.255' \
	'match identity remote address 203.0.113.12 255.255.255.255' 'exit' \
	'ip access-list extended GRE' 'no 10' 'permit gre host 203.0.113.3 host 203.0.113.12' 'exit' \
	'crypto map CMAP 10' 'no set peer 203.0.113.2' 'set peer 203.0.113.12' 'exit' \
	'interface Tunnel1' 'tunnel destination 203.0.113.12'
conf R2 'ip access-list extended GRE' 'no 10' 'permit gre host 203.0.113.12 host 203.0.113.3' 'exit' \
	'interface FastEthernet0/1' 'ip address 203.0.113.12 255.255.255.0'
if wait_until 5 addr_on R2 eth1 203.0.113.12/24 && ! addr_on R2 eth1 203.0.113.2/24; then
	pass source-address-changed
else
	fail source-address-changed "$("$lab" exec $NAME R2 ip -4 -o addr show dev eth1 | tr '\n' '|') R2: $(tr '\n' '|' <"$tmp/conf.R2") R3: $(tr '\n' '|' <"$tmp/conf.R3")"
fi
if wait_until 40 eval 'local_addr R2 | grep -q 203.0.113.12' && wait_until 10 spis_cross $NAME R2 R3 Tunnel1; then
	pass ike-sa-from-new-address
else
	fail ike-sa-from-new-address "R2 SA local: $(local_addr R2); R3 session: $(grep "%" "$tmp/conf.R3" | tr "\n" "|"); R2 log: $(grep -i 'tunnel source\|Tunnel1' "${VTID_LAB_RUN:-/run/vtid-lab}/$NAME/R2/vtid.log" | tail -4 | tr '\n' '|')"
fi
grep -q 'Tunnel1: tunnel source FastEthernet0/1 (eth1) moved from 203.0.113.2 to 203.0.113.12' \
	"${VTID_LAB_RUN:-/run/vtid-lab}/$NAME/R2/vtid.log" && pass tunnel-followed-address-event ||
	fail tunnel-followed-address-event "$(grep 'Tunnel1' "${VTID_LAB_RUN:-/run/vtid-lab}/$NAME/R2/vtid.log" | tail -4 | tr '\n' '|')"
wait_until 30 ping_ok $NAME R1 10.4.4.4 && pass ping-after-move || fail ping-after-move "no reply from 10.4.4.4"

lab_down_checked $NAME
exit $failed
