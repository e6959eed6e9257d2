#!/bin/bash
# t-crypto-map: GRE over IPsec written the IOS way, with a crypto map on the
# WAN interface instead of `tunnel protection` (issue 16, its first part).
#   lab up two-site-cmap: R2's Tunnel1 has `tunnel source wan` and
#   `crypto map CMAP` on wan (ACL GRE-R3: permit gre host 203.0.113.2 host
#   203.0.113.3); R3's has `tunnel source 203.0.113.3` and `crypto map VPN`
#   on wan (access-list 101), `match fvrf any` in both ikev2 profiles.
#   Both IKE SAs READY with one Child SA pair on Tunnel1 (SPIs cross), PFS
#   group 19 as the entries set; `show crypto map [json]` shows each entry
#   with its ACL, the interface it is applied to and the tunnel it protects;
#   `show crypto ipsec sa` names the map; OSPF Full over Tunnel1 and R4's
#   network learnt through it; R1 pings R4 and the WAN carries only ESP.
#   Then, typed in vtish on R2: a policy-based entry (an ACL selecting
#   10.1.1.0/24 -> 10.4.4.0/24) is refused with the route-based reason and
#   changes nothing; `no crypto map` on wan leaves the tunnel in clear GRE,
#   which R3 (still encrypting) cannot speak with: the session drops;
#   `crypto map CMAP` again brings it back up, pings cross.  lab down.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vtcm$$
failed=0
tmp=$(mktemp -d /tmp/vtcm.XXXXXX)
trap '"$lab" down $NAME >/dev/null 2>&1; rm -rf "$tmp"' EXIT

[ -x "$BUILD/vtid" ] || { echo "FAIL t-crypto-map: $BUILD/vtid not built"; exit 1; }
t0=$(now_ms)
"$lab" up two-site-cmap --name $NAME --vtid || { echo "FAIL lab-up: lab up two-site-cmap failed"; exit 1; }

nbr_full() { # NODE PEER-ROUTER-ID
	"$lab" vtysh $NAME "$1" -c 'show ip ospf neighbor json' 2>/dev/null |
		jq_py "any(n.get('converged') == 'Full' for n in d.get('neighbors', {}).get('$2', []) if n.get('ifaceName', '').startswith('Tunnel1:'))" |
		grep -qx True
}
# conf2 LINE...: one vtish session on R2; the output in $tmp/conf.out
conf2() {
	local args=(-c 'configure terminal') l
	for l in "$@"; do args+=(-c "$l"); done
	args+=(-c end)
	"$lab" vtish $NAME R2 "${args[@]}" >"$tmp/conf.out" 2>&1
}
running() { "$lab" vtish $NAME R2 -c 'show running-config' 2>/dev/null | sed '1,/^Current configuration/d'; }
down_r2() { ! ike_ready $NAME R2 Tunnel1 && ! ping_ok $NAME R1 10.4.4.4; }

# 1. IKE and the Child SA the crypto maps ask for
if wait_until 30 ike_ready $NAME R2 Tunnel1 && wait_until 5 ike_ready $NAME R3 Tunnel1; then
	pass ike-sa-ready
	echo "# IKE SAs READY after $(($(now_ms) - t0)) ms"
else
	fail ike-sa-ready "R2: $(vtish_json $NAME R2 'show crypto ikev2 sa json' | tr -d ' \n' | head -c 400); R2 log: $(tail -5 "${VTID_LAB_RUN:-/run/vtid-lab}/$NAME/R2/vtid.log" | tr '\n' '|')"
fi
if wait_until 10 spis_cross $NAME R2 R3 Tunnel1; then
	pass child-spis-match
else
	fail child-spis-match "R2 in/out $(child_spis $NAME R2 Tunnel1 | tr '\n' ' ')R3 in/out $(child_spis $NAME R3 Tunnel1 | tr '\n' ' ')"
fi
# the selectors are the GRE ones between the endpoints, in transport mode
sel=$(vtish_json $NAME R2 'show crypto ikev2 sa detailed json' |
	jq_py "[(c.get('local_selector'), c.get('remote_selector'), c.get('mode')) for s in d['sas'] if s.get('status')=='READY' for c in s.get('children',[]) if c.get('interface')=='Tunnel1'][:1]")
case "$sel" in
*203.0.113.2*47*203.0.113.3*47*ransport*) pass child-selectors-gre ;;
*) fail child-selectors-gre "R2's Child SA: $sel" ;;
esac

# 2. the shows
cm=$(vtish_json $NAME R2 'show crypto map json')
got=$(echo "$cm" | jq_py "[(e['map'], e['seq'], e['peer'], e['ikev2_profile'], e['access_list']['name'], e['access_list']['entries'], e['pfs'], [t['name'] for t in e['transform_sets']], e['interfaces'], e['tunnels']) for e in d['crypto_maps']]")
want='[["CMAP", 10, "203.0.113.3", "PROF", "GRE-R3", ["permit gre host 203.0.113.2 host 203.0.113.3"], "group19", ["TS"], ["wan"], ["Tunnel1"]]]'
[ "$got" = "$want" ] && pass show-crypto-map-json || fail show-crypto-map-json "got $got"
txt=$("$lab" vtish $NAME R3 -c 'show crypto map' 2>&1)
if echo "$txt" | grep -q '^Crypto Map IPv4 "VPN" 10 ipsec-isakmp$' &&
	echo "$txt" | grep -q 'access-list 101 permit gre host 203.0.113.3 host 203.0.113.2' &&
	echo "$txt" | grep -q 'Protects GRE tunnels: Tunnel1' &&
	echo "$txt" | grep -A1 'Interfaces using crypto map VPN:' | grep -q 'wan'; then
	pass show-crypto-map-text
else
	fail show-crypto-map-text "$(echo "$txt" | tr '\n\t' '| ')"
fi
tag=$("$lab" vtish $NAME R2 -c 'show crypto ipsec sa' 2>&1 | grep 'Crypto map tag')
case "$tag" in
*"Crypto map tag: CMAP, local addr 203.0.113.2"*) pass ipsec-sa-map-tag ;;
*) fail ipsec-sa-map-tag "$tag" ;;
esac

# 3. routing over the tunnel
if wait_until 20 nbr_full R2 3.3.3.3 && wait_until 5 nbr_full R3 2.2.2.2; then
	pass ospf-full-over-tunnel
else
	fail ospf-full-over-tunnel "R2: $("$lab" vtysh $NAME R2 -c 'show ip ospf neighbor' | tr '\n' '|')"
fi
if wait_until 10 route_ospf $NAME R2 10.4.4.0/24 Tunnel1 && wait_until 5 route_ospf $NAME R3 10.1.1.0/24 Tunnel1; then
	pass ospf-routes-over-tunnel
else
	fail ospf-routes-over-tunnel "R2: $("$lab" vtysh $NAME R2 -c 'show ip route' | tail -6 | tr '\n' '|')"
fi

# 4. pings, and only ESP on the wire
if wait_until 20 ping_ok $NAME R1 10.4.4.4; then
	pass ping-r1-r4
else
	fail ping-r1-r4 "no reply from 10.4.4.4"
fi
N=30
e0=$(ipsec_counter $NAME R2 Tunnel1 pkts_encaps)
"$lab" exec $NAME R3 timeout 10 tcpdump -i wan -n -U -w "$tmp/wan.pcap" >/dev/null 2>&1 &
cap=$!
wait_until 5 test -s "$tmp/wan.pcap"
sleep 0.3
sent=$("$lab" exec $NAME R1 ping -q -c $N -i 0.01 -W 1 10.4.4.4 | awk '/transmitted/ {print $4}')
sleep 0.3
kill $cap 2>/dev/null; wait $cap 2>/dev/null
e1=$(ipsec_counter $NAME R2 Tunnel1 pkts_encaps)
esp=$(tcpdump -r "$tmp/wan.pcap" -n 'esp' 2>/dev/null | wc -l)
clear=$(tcpdump -r "$tmp/wan.pcap" -n 'icmp or proto 47' 2>/dev/null | wc -l)
if [ "$sent" = $N ] && [ $((e1 - e0)) -ge $N ] && [ "$esp" -ge $N ] && [ "$clear" = 0 ]; then
	pass wan-sees-only-esp
else
	fail wan-sees-only-esp "$sent/$N replies, R2 encaps +$((e1 - e0)), $esp ESP and $clear clear ICMP/GRE on R3's wan"
fi

# 5. a policy-based entry typed in vtish: refused, the map unchanged (the
# access list itself is valid and applied when typed)
conf2 'ip access-list extended LANS' 'permit ip 10.1.1.0 0.0.0.255 10.4.4.0 0.0.0.255' 'exit' \
	'crypto map CMAP 20 ipsec-isakmp' 'set peer 203.0.113.3' 'set ikev2-profile PROF' \
	'match address LANS'
if grep -q '^% Not applied yet: access-list LANS: .* is not GRE between tunnel endpoints. vtid is route-based: use interface TunnelN, tunnel protection ipsec profile NAME' "$tmp/conf.out" &&
	grep -q '^% Pending changes were not applied' "$tmp/conf.out" &&
	running | grep -q '^crypto map CMAP 10 ipsec-isakmp$' && ! running | grep -q 'CMAP 20'; then
	pass policy-based-refused
else
	fail policy-based-refused "$(grep '%' "$tmp/conf.out" | tail -3 | tr '\n' '|')"
fi
ike_ready $NAME R2 Tunnel1 && pass refused-line-keeps-tunnel || fail refused-line-keeps-tunnel "R2's SA went"

# 6. the map is what protects the tunnel: without it on wan, Tunnel1 is
# plain GRE (R3 still wants ESP: no session); with it back, up again
conf2 'interface wan' 'no crypto map'
if ! grep -q '%' "$tmp/conf.out" && wait_until 10 down_r2 &&
	[ "$(vtish_json $NAME R2 'show crypto map json' | jq_py "d['crypto_maps'][0]['tunnels']")" = "[]" ]; then
	pass no-crypto-map-unprotects
else
	fail no-crypto-map-unprotects "$(grep '%' "$tmp/conf.out" | tr '\n' '|') ike_ready=$(ike_ready $NAME R2 Tunnel1 && echo y)"
fi
conf2 'interface wan' 'crypto map CMAP'
if ! grep -q '%' "$tmp/conf.out" && wait_until 30 spis_cross $NAME R2 R3 Tunnel1 &&
	wait_until 20 ping_ok $NAME R1 10.4.4.4; then
	pass crypto-map-again-protects
else
	fail crypto-map-again-protects "$(grep '%' "$tmp/conf.out" | tr '\n' '|') R2 in/out $(child_spis $NAME R2 Tunnel1 | tr '\n' ' ')"
fi

lab_down_checked $NAME
exit $failed
