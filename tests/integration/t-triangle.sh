#!/bin/bash
# t-triangle: three sites, a protected tunnel between each pair (one IKE
# profile matching both peers), OSPF + BFD over all three.
#   every router has READY IKE SAs on both its tunnels; every LAN is reached
#   by OSPF over the direct tunnel; hosts ping each other; when the A-B
#   tunnel goes (A's Tunnel1 shut down through vtish) A reaches B's LAN
#   through C, and back through the direct tunnel after `no shutdown`; when
#   the A-B path breaks under a ping flood, BFD moves the traffic through C
#   and the loss window is printed.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vttr$$
failed=0
trap '"$lab" down $NAME >/dev/null 2>&1' EXIT

[ -x "$BUILD/vtid" ] || { echo "FAIL t-triangle: $BUILD/vtid not built"; exit 1; }
t0=$(now_ms)
"$lab" up triangle --name $NAME --vtid || { echo "FAIL lab-up: lab up triangle failed"; exit 1; }

# router:tunnel pairs, and which LAN each router reaches through which tunnel
all_ready() {
	local rt
	for rt in A:Tunnel1 A:Tunnel3 B:Tunnel1 B:Tunnel2 C:Tunnel2 C:Tunnel3; do
		ike_ready $NAME "${rt%:*}" "${rt#*:}" || return 1
	done
}
all_routes() {
	route_ospf $NAME A 10.20.1.0/24 Tunnel1 && route_ospf $NAME A 10.30.1.0/24 Tunnel3 &&
		route_ospf $NAME B 10.10.1.0/24 Tunnel1 && route_ospf $NAME B 10.30.1.0/24 Tunnel2 &&
		route_ospf $NAME C 10.10.1.0/24 Tunnel3 && route_ospf $NAME C 10.20.1.0/24 Tunnel2
}

# what each router sees, for a failure message: the interfaces ospfd runs
# on, zebra's tunnels (name, up/down, address), OSPF neighbors (router-id state interface), tunnels without carrier,
# OSPF routes with next hops
diag() {
	local r
	for r in A B C; do
		printf '%s: ospf-ifs[%s] zebra[%s] nbr[%s] nocarrier[%s] routes[%s] ' "$r" \
			"$("$lab" vtysh $NAME $r -c 'show ip ospf interface json' | jq_py "' '.join(sorted(k for k in d.get('interfaces', d) if isinstance(d.get('interfaces', d)[k], dict)))")" \
			"$("$lab" vtysh $NAME $r -c 'show interface brief' | awk '$1 ~ /^Tunnel/ { printf "%s %s %s; ", $1, $2, $4 }')" \
			"$("$lab" vtysh $NAME $r -c 'show ip ospf neighbor' | awk '$1 ~ /^[0-9]+\./ { printf "%s %s %s; ", $1, $3, $6 }')" \
			"$(for t in Tunnel1 Tunnel2 Tunnel3; do "$lab" exec $NAME $r ip link show $t >/dev/null 2>&1 && ! carrier $NAME $r $t && printf '%s ' $t; done)" \
			"$("$lab" vtysh $NAME $r -c 'show ip route ospf' | grep -E '^O|via' | sed 's/, weight.*//; s/  */ /g' | tr '\n' ';')"
	done
}

if wait_until 40 all_ready; then
	pass six-sas-ready
	echo "# all six IKE SAs READY after $(($(now_ms) - t0)) ms"
else
	fail six-sas-ready "A: $(vtish_json $NAME A 'show crypto ikev2 sa json' | tr -d ' \n' | head -c 300)"
fi
if wait_until 20 all_routes; then
	pass ospf-direct-tunnels
else
	fail ospf-direct-tunnels "$(diag)"
fi
ok=1
for pair in HA:10.20.1.10 HA:10.30.1.10 HB:10.30.1.10 HC:10.10.1.10; do
	wait_until 10 ping_ok $NAME "${pair%:*}" "${pair#*:}" || { ok=0; echo "# ${pair%:*} -> ${pair#*:} failed"; }
done
[ $ok = 1 ] && pass hosts-ping || fail hosts-ping "some host pairs unreachable"

# the A-B tunnel goes: A reaches B's LAN through C
if "$lab" vtish $NAME A -c 'configure terminal' -c 'interface Tunnel1' -c 'shutdown' -c 'end' >/dev/null; then
	if wait_until 15 route_ospf $NAME A 10.20.1.0/24 Tunnel3 && wait_until 10 ping_ok $NAME HA 10.20.1.10; then
		pass reroute-via-c
	else
		fail reroute-via-c "$(diag)"
	fi
	"$lab" vtish $NAME A -c 'configure terminal' -c 'interface Tunnel1' -c 'no shutdown' -c 'end' >/dev/null
	if wait_until 30 route_ospf $NAME A 10.20.1.0/24 Tunnel1 && wait_until 10 ping_ok $NAME HA 10.20.1.10; then
		pass back-on-direct-tunnel
	else
		fail back-on-direct-tunnel "$(diag)"
	fi
else
	fail reroute-via-c "vtish could not shut Tunnel1 down on A"
fi
# The A-B path breaks under a ping flood (nftables in A drops everything to
# and from B's WAN address: the tunnel's SAs stay, its packets vanish).  BFD
# over Tunnel1 notices, OSPF moves A's route to B's LAN through C.  The loss
# window (lost echoes x 10 ms) is printed: the figure, not an assertion.
if wait_until 20 route_ospf $NAME A 10.20.1.0/24 Tunnel1; then
	ip netns exec $NAME-HA ping -n -i 0.01 -c 700 -W 1 10.20.1.10 >"/tmp/$NAME.flood" 2>&1 &
	flood=$!
	sleep 2
	ip netns exec $NAME-A nft -f - <<'NFT' || fail path-failure-rerouted-by-bfd "nft could not install the drop rules"
table ip vtbreak {
	chain in { type filter hook input priority 0; ip saddr 198.51.100.2 drop; }
	chain out { type filter hook output priority 0; ip daddr 198.51.100.2 drop; }
}
NFT
	wait $flood
	tx=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "/tmp/$NAME.flood")
	rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "/tmp/$NAME.flood")
	echo "# failover: $tx echoes at 100/s, $rx answered, loss window $(((tx - rx) * 10)) ms"
	if route_ospf $NAME A 10.20.1.0/24 Tunnel3 && [ "${rx:-0}" -gt 300 ] && [ "$rx" -lt "$tx" ] &&
		ping_ok $NAME HA 10.20.1.10; then
		pass "path-failure-rerouted-by-bfd (loss window $(((tx - rx) * 10)) ms)"
	else
		fail path-failure-rerouted-by-bfd "tx=$tx rx=$rx; $(diag)"
	fi
	rm -f "/tmp/$NAME.flood"
else
	fail path-failure-rerouted-by-bfd "route back on Tunnel1 never came"
fi

lab_down_checked $NAME
exit $failed
