#!/bin/bash
# t-acl: IOS access lists enforced through nftables (vtid/acl.c), in the lab.
#   two-site up and converged, plus Tunnel2 between secondary WAN addresses
#   (R2 203.0.113.12 <-> R3 203.0.113.13, 192.168.2.0/24, its own keyring,
#   IKEv2 and IPsec profiles, added through vtish, no OSPF), and the user's
#   own nftables table `ip mine` in R2 (a forward chain at priority 10 with
#   a counting rule for 10.4.4.3).  On R2, from vtish:
#   1. BLOCK (10 deny icmp any host 10.4.4.4, 20 permit ip any any) as
#      `ip access-group BLOCK out` on Tunnel1: the nft table is as described
#      (chain acl_BLOCK, `oifname "Tunnel1" jump acl_BLOCK`); 5 pings R1 -> R4
#      all lost, 10 counts exactly 5; 5 pings R1 -> 10.4.4.3 and 3 UDP
#      datagrams R1 -> R4:9999 all arrive, 20 counts exactly 8, and the
#      user's table still saw the 5; R4 via Tunnel2 (a static /32 on R2):
#      5 of 5 answered and BLOCK's counters do not move; text and json shows,
#      `show ip access-lists`; `clear access-list counters BLOCK` zeroes them;
#      no access-group left: no `ip vtid` table, `ip mine` still there.
#   2. numbered, global form: access-list 101 deny icmp any host 10.4.4.4 /
#      access-list 101 permit ip any any, `ip access-group 101 out`: the same
#      5 denied, 5 permitted, exact counts (needs conf's numbered grammar).
#   3. DENYALL (10 deny ip any any) as `ip access-group DENYALL in` on Tunnel1:
#      the OSPF adjacency over Tunnel1 leaves Full and R4's route goes, the
#      explicit deny counts (implicit 0); 10 replaced by 5 permit tcp/80 (added first):
#      the implicit deny counts, still no adjacency; access-group removed:
#      Full again, route back, ping R1 -> R4.
#   4. 20 edits of BLOCK (add `15 deny udp any any eq 9999`, `no 15`), each a
#      vtish invocation, each seen in the nft chain, while R1 sends UDP to
#      10.4.4.3 paced at 1,000 packets/s (12,000 or more): none lost, and
#      entry 20 counted exactly the packets sent (its counter survived 20
#      rebuilds).
#   5. `10 deny icmp any host 10.4.4.4 log`: 25 pings 100 ms apart give
#      %SEC-6-IPACCESSLOGDP lines in R2's vtid.log, the first "1 packet",
#      at least 1 s apart, adding up to the 25 denied (the held-back tail
#      reported a second later); 10 counts exactly 25.
#   6. `write memory`; SIGTERM: vtid exits by itself, table `ip vtid` gone,
#      `ip mine` intact; vtid started again on the saved file: `ip vtid`
#      rebuilt (acl_BLOCK, the jump), converged, 5 pings R1 -> R4 denied and
#      counted exactly.  `ip mine` compared (nft -s) after every stage.
#   About 60 s (ASan build: about 100 s).
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vtac$$
failed=0
tmp=$(mktemp -d /tmp/vtac.XXXXXX)
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
	"$lab" down $NAME >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
t_start=$(now_ms)
case "$BUILD" in /*) vtid_bin="$BUILD/vtid" ;; *) vtid_bin="$top/$BUILD/vtid" ;; esac

[ -x "$vtid_bin" ] || { echo "FAIL t-acl: $BUILD/vtid not built"; exit 1; }
command -v nft >/dev/null || { echo "FAIL t-acl: nft (nftables) not installed"; exit 1; }
"$lab" up two-site --name $NAME --vtid || { echo "FAIL lab-up: lab up two-site failed"; exit 1; }
labrun=${VTID_LAB_RUN:-/run/vtid-lab}/$NAME
vlog="$labrun/R2/vtid.log"

# ---- helpers ----
# conf2 LINE...: one vtish session on R2 (configure terminal, LINEs, end);
# true when vtish succeeded and said nothing starting with % (an error or
# "Not applied yet").  The output is left in $tmp/conf.out.
conf2() {
	local args=(-c 'configure terminal') l
	for l in "$@"; do args+=(-c "$l"); done
	args+=(-c end)
	"$lab" vtish $NAME R2 "${args[@]}" >"$tmp/conf.out" 2>&1 && ! grep -q '%' "$tmp/conf.out"
}
conf_err() { grep '%' "$tmp/conf.out" | head -3 | tr '\n' '|'; }
# acl_state ACL: "extended: 10 deny icmp any host 10.4.4.4 = 5; 20 ... = 8; implicit = 0"
acl_state() {
	vtish_json $NAME R2 "show access-lists $1 json" |
		jq_py "'; '.join(a['type'] + ': ' + '; '.join(('implicit' if e.get('implicit') else '%d %s%s' % (e['seq'], e['line'], '' if e['line'].split()[0] == e['action'] else ' (action ' + e['action'] + '?)')) + ' = %d' % e['matches'] for e in a['entries']) for a in d['access_lists'] if a['name'] == '$1')"
}
acl_text() { "$lab" vtish $NAME R2 -c "show ${2:-}access-lists $1" 2>&1; }
# chain_rules CHAIN: the rules of R2's ip vtid CHAIN, counter names as C, joined by |
chain_rules() {
	"$lab" exec $NAME R2 nft list chain ip vtid "$1" 2>/dev/null |
		sed -n 's/^\t\t//p' | grep -v '^type ' | sed -E 's/"c[0-9a-f]{16}"/C/g' | paste -sd'|'
}
tables() { "$lab" exec $NAME R2 nft list tables 2>&1 | paste -sd'|'; }
mine_snapshot() { "$lab" exec $NAME R2 nft -s list table ip mine 2>&1; }
mine_packets() {
	"$lab" exec $NAME R2 nft list table ip mine 2>/dev/null |
		sed -n 's/.*ip daddr 10.4.4.3 counter packets \([0-9]*\) .*/\1/p'
}
mine_intact() { # STAGE
	local now
	now=$(mine_snapshot)
	if [ "$now" = "$mine0" ]; then
		pass "user-table-intact-$1: table ip mine unchanged"
	else
		fail "user-table-intact-$1" "now: $(echo "$now" | tr '\n\t' '| ')"
	fi
}
# pings NODE DEST COUNT [INTERVAL]: the number of replies
pings() {
	"$lab" exec $NAME "$1" ping -q -c "$3" -i "${4:-0.2}" -W 1 "$2" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
nbr_full() {
	"$lab" vtysh $NAME R2 -c 'show ip ospf neighbor json' 2>/dev/null |
		jq_py "any(n.get('converged') == 'Full' for n in d.get('neighbors', {}).get('3.3.3.3', []) if n.get('ifaceName', '').startswith('Tunnel1:'))" |
		grep -qx True
}
no_nbr_full() { ! nbr_full; }
no_route() { ! route_ospf $NAME R2 10.4.4.0/24 Tunnel1; }
converged() {
	ike_ready $NAME R2 Tunnel1 && ike_ready $NAME R3 Tunnel1 &&
		route_ospf $NAME R2 10.4.4.0/24 Tunnel1 && route_ospf $NAME R3 10.1.1.0/24 Tunnel1 &&
		ping_ok $NAME R1 10.4.4.3
}
# expect NAME GOT WANT
expect() {
	if [ "$2" = "$3" ]; then pass "$1: ${2:-(empty)}"; else fail "$1" "got '$2', want '$3'"; fi
}
# udp_flow COUNT: sends COUNT datagrams R1 -> 10.4.4.4:9999, prints how many R4 got
udp_flow() {
	rm -f "$tmp/udp.ready"
	"$lab" exec $NAME R4 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.4.4.4", 9999))
s.settimeout(3)
open(sys.argv[1], "w").write("ready\n")
n = 0
try:
    while n < int(sys.argv[2]):
        s.recv(2048)
        n += 1
except socket.timeout:
    pass
print(n)' "$tmp/udp.ready" "$1" >"$tmp/udp.count" 2>&1 &
	local rx=$!
	bg_pids+=($rx)
	wait_until 5 test -s "$tmp/udp.ready"
	"$lab" exec $NAME R1 python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"acl-test %d" % i, ("10.4.4.4", 9999))
    time.sleep(0.05)' "$1"
	wait $rx
	cat "$tmp/udp.count"
}

# ---- the lab, Tunnel2 and the user's table ----
if wait_until 60 converged; then pass converged; else
	fail converged "no SA + route + ping R1 -> R3's LAN within 60 s"
	exit 1
fi
"$lab" exec $NAME R2 ip addr add 203.0.113.12/24 dev wan &&
	"$lab" exec $NAME R3 ip addr add 203.0.113.13/24 dev wan ||
	{ echo "FAIL setup: secondary WAN addresses"; exit 1; }
tunnel2() { # NODE SOURCE DESTINATION ADDRESS
	"$lab" vtish $NAME "$1" -c 'configure terminal' \
		-c 'crypto ikev2 keyring KR2' -c 'peer P2' -c "address $3" \
		-c 'pre-shared-key lab2-s3cret' -c 'exit' -c 'exit' \
		-c 'crypto ikev2 profile PROF2' -c "match identity remote address $3 255.255.255.255" \
		-c 'authentication remote pre-share' -c 'authentication local pre-share' \
		-c 'keyring local KR2' -c 'exit' \
		-c 'crypto ipsec profile IPP2' -c 'set transform-set TS' -c 'set ikev2-profile PROF2' -c 'exit' \
		-c 'interface Tunnel2' -c "ip address $4 255.255.255.0" \
		-c "tunnel source $2" -c "tunnel destination $3" \
		-c 'tunnel protection ipsec profile IPP2' -c 'end' >"$tmp/tunnel2.$1" 2>&1 &&
		! grep -q '%' "$tmp/tunnel2.$1"
}
tunnel2 R2 203.0.113.12 203.0.113.13 192.168.2.2 || fail tunnel2-config-R2 "$(tail -3 "$tmp/tunnel2.R2" | tr '\n' '|')"
tunnel2 R3 203.0.113.13 203.0.113.12 192.168.2.3 || fail tunnel2-config-R3 "$(tail -3 "$tmp/tunnel2.R3" | tr '\n' '|')"
tunnel2_up() {
	ike_ready $NAME R2 Tunnel2 && ike_ready $NAME R3 Tunnel2 &&
		"$lab" exec $NAME R2 ping -c 1 -W 1 192.168.2.3 >/dev/null 2>&1
}
if wait_until 30 tunnel2_up; then pass "tunnel2-up: IKE SA + Child SA 203.0.113.12 <-> 203.0.113.13, ping across"; else
	fail tunnel2-up "R2: $(vtish_json $NAME R2 'show crypto session' | tr -s ' \n' ' ' | head -c 400)"
fi

"$lab" exec $NAME R2 nft add table ip mine &&
	"$lab" exec $NAME R2 nft add chain ip mine c '{ type filter hook forward priority 10; }' &&
	"$lab" exec $NAME R2 nft add rule ip mine c ip daddr 10.4.4.3 counter ||
	{ echo "FAIL setup: the user's table ip mine"; exit 1; }
mine0=$(mine_snapshot)

# ---- 1. BLOCK out on Tunnel1 ----
echo "# 1. BLOCK out on Tunnel1"
if conf2 'ip access-list extended BLOCK' '10 deny icmp any host 10.4.4.4' '20 permit ip any any' 'exit' \
	'interface Tunnel1' 'ip access-group BLOCK out'; then
	pass "block-configured: ip access-list extended BLOCK, ip access-group BLOCK out on Tunnel1"
else
	fail block-configured "$(conf_err)"
fi
expect nft-acl-chain "$(chain_rules acl_BLOCK)" \
	'ip daddr 10.4.4.4 ip protocol icmp counter name C drop|counter name C accept|counter name C drop'
expect nft-out-chain "$(chain_rules out)" 'oifname "Tunnel1" jump acl_BLOCK'
expect nft-in-chain-empty "$(chain_rules in)" ''
expect block-counters-start "$(acl_state BLOCK)" \
	'extended: 10 deny icmp any host 10.4.4.4 = 0; 20 permit ip any any = 0; implicit = 0'
expect block-denies-r1-r4 "$(pings R1 10.4.4.4 5) of 5 answered" "0 of 5 answered"
m0=$(mine_packets)
expect block-permits-icmp "$(pings R1 10.4.4.3 5) of 5 answered" "5 of 5 answered"
expect block-permits-udp "$(udp_flow 3) of 3 datagrams at R4" "3 of 3 datagrams at R4"
expect block-counts "$(acl_state BLOCK)" \
	'extended: 10 deny icmp any host 10.4.4.4 = 5; 20 permit ip any any = 8; implicit = 0'
m1=$(mine_packets)
expect "user-table-sees-permitted" "$((${m1:-0} - ${m0:-0})) packets to 10.4.4.3 counted in ip mine" \
	"5 packets to 10.4.4.3 counted in ip mine"
want_text=$(printf '%s\n' 'Extended IP access list BLOCK' '    10 deny icmp any host 10.4.4.4 (5 matches)' \
	'    20 permit ip any any (8 matches)')
for ip in "" "ip "; do
	got=$(acl_text BLOCK "$ip")
	if [ "$got" = "$want_text" ]; then
		pass "text-show-${ip:+ip-}access-lists: $(echo "$got" | sed -n 2p | sed 's/^ *//') ..."
	else
		fail "text-show-${ip:+ip-}access-lists" "got '$(echo "$got" | tr '\n' '|')', want '$(echo "$want_text" | tr '\n' '|')'"
	fi
done
expect json-show-ip-access-lists \
	"$(vtish_json $NAME R2 'show ip access-lists BLOCK json' | tr -d ' \n')" \
	"$(vtish_json $NAME R2 'show access-lists BLOCK json' | tr -d ' \n')"
got=$("$lab" vtish $NAME R2 -c 'show access-lists NOPE' 2>&1)
expect show-unknown-acl "$got" "% No such access list: NOPE"

# Tunnel2 untouched: R4 through Tunnel2 while Tunnel1's ACL is in force
enc0=$(ipsec_counter $NAME R2 Tunnel2 pkts_encaps)
"$lab" exec $NAME R2 ip route add 10.4.4.4/32 via 192.168.2.3 || fail tunnel2-route "ip route add failed"
expect tunnel2-untouched "$(pings R1 10.4.4.4 5) of 5 answered via Tunnel2" "5 of 5 answered via Tunnel2"
enc1=$(ipsec_counter $NAME R2 Tunnel2 pkts_encaps)
"$lab" exec $NAME R2 ip route del 10.4.4.4/32 via 192.168.2.3
if [ $((${enc1:-0} - ${enc0:-0})) -ge 5 ]; then
	pass "tunnel2-carried-them: Tunnel2 encapsulated +$((enc1 - enc0))"
else
	fail tunnel2-carried-them "Tunnel2 pkts_encaps $enc0 -> $enc1"
fi
expect block-counts-after-tunnel2 "$(acl_state BLOCK)" \
	'extended: 10 deny icmp any host 10.4.4.4 = 5; 20 permit ip any any = 8; implicit = 0'

# clear
out=$("$lab" vtish $NAME R2 -c 'clear access-list counters BLOCK' 2>&1)
expect clear-says-nothing "$out" ""
expect clear-zeroes "$(acl_state BLOCK)" \
	'extended: 10 deny icmp any host 10.4.4.4 = 0; 20 permit ip any any = 0; implicit = 0'
want_text=$(printf '%s\n' 'Extended IP access list BLOCK' '    10 deny icmp any host 10.4.4.4' \
	'    20 permit ip any any')
expect text-after-clear "$(acl_text BLOCK | tr '\n' '|')" "$(echo "$want_text" | tr '\n' '|')"
mine_intact block

# no access-group anywhere: no table of vtid's
conf2 'interface Tunnel1' 'no ip access-group BLOCK out' || fail block-removed "$(conf_err)"
expect no-group-no-table "$(tables)" "table ip mine"
expect denied-flow-back "$(pings R1 10.4.4.4 3) of 3 answered" "3 of 3 answered"

# ---- 2. numbered ACL, global one-line form ----
echo "# 2. access-list 101 (numbered, global form)"
if conf2 'access-list 101 deny icmp any host 10.4.4.4' 'access-list 101 permit ip any any' \
	'interface Tunnel1' 'ip access-group 101 out'; then
	pass "numbered-configured: access-list 101 ..., ip access-group 101 out"
else
	fail numbered-configured "$(conf_err)"
fi
expect numbered-nft-out-chain "$(chain_rules out)" 'oifname "Tunnel1" jump acl_101'
expect numbered-denies-r1-r4 "$(pings R1 10.4.4.4 5) of 5 answered" "0 of 5 answered"
expect numbered-permits "$(pings R1 10.4.4.3 5) of 5 answered" "5 of 5 answered"
expect numbered-counts "$(acl_state 101)" \
	'extended: 10 deny icmp any host 10.4.4.4 = 5; 20 permit ip any any = 5; implicit = 0'
want_text=$(printf '%s\n' 'Extended IP access list 101' '    10 deny icmp any host 10.4.4.4 (5 matches)' \
	'    20 permit ip any any (5 matches)')
expect numbered-text "$(acl_text 101 | tr '\n' '|')" "$(echo "$want_text" | tr '\n' '|')"
# off again, whatever the grammar made of it
conf2 'interface Tunnel1' 'no ip access-group out' || true
expect numbered-removed "$(tables)" "table ip mine"
mine_intact numbered

# ---- 3. DENYALL in on Tunnel1: OSPF over Tunnel1 goes ----
echo "# 3. DENYALL in on Tunnel1"
if wait_until 10 nbr_full; then pass "adjacency-full-before"; else fail adjacency-full-before "3.3.3.3 not Full on Tunnel1"; fi
t=$(now_ms)
conf2 'ip access-list extended DENYALL' '10 deny ip any any' 'exit' \
	'interface Tunnel1' 'ip access-group DENYALL in' || fail denyall-configured "$(conf_err)"
expect nft-in-chain "$(chain_rules in)" 'iifname "Tunnel1" jump acl_DENYALL'
expect nft-out-chain-empty "$(chain_rules out)" ''
if wait_until 10 no_nbr_full; then
	pass "denyall-drops-adjacency: not Full after $(($(now_ms) - t)) ms (hello 1, dead 4, BFD)"
else
	fail denyall-drops-adjacency "3.3.3.3 still Full on Tunnel1 10 s after DENYALL in"
fi
if wait_until 10 no_route; then
	pass "denyall-withdraws-route: 10.4.4.0/24 gone from R2 after $(($(now_ms) - t)) ms"
else
	fail denyall-withdraws-route "10.4.4.0/24 via Tunnel1 still in R2's table"
fi
sleep 2
if ike_ready $NAME R2 Tunnel1 && carrier $NAME R2 Tunnel1; then
	pass "denyall-keeps-sa: Tunnel1's IKE SA and carrier stay (ESP arrives on wan)"
else
	fail denyall-keeps-sa "Tunnel1's SA or carrier went with DENYALL in"
fi
st=$(acl_state DENYALL)
explicit=$(echo "$st" | sed -n 's/.*10 deny ip any any = \([0-9]*\);.*/\1/p')
if [ "${explicit:-0}" -gt 0 ] && [[ "$st" == "extended: 10 deny ip any any = $explicit; implicit = 0" ]]; then
	pass "denyall-explicit-counts: $st"
else
	fail denyall-explicit-counts "got '$st', want 10 > 0 and implicit = 0"
fi
# the new entry before the old goes: `no 10` first would leave DENYALL empty
# for a moment, and an empty list permits everything (IOS), long enough for
# OSPF to come back Full and stay so through the dead interval
conf2 'ip access-list extended DENYALL' '5 permit tcp any any eq 80' 'no 10' ||
	fail denyall-edited "$(conf_err)"
sleep 3
st=$(acl_state DENYALL)
implicit=$(echo "$st" | sed -n 's/.*; implicit = \([0-9]*\)$/\1/p')
# hellos every second from R3 and BFD's slow packets: at least 2 in 3 s
if [ "${implicit:-0}" -ge 2 ] && [[ "$st" == "extended: 5 permit tcp any any eq www = 0; implicit = $implicit" ||
	"$st" == "extended: 5 permit tcp any any eq 80 = 0; implicit = $implicit" ]]; then
	pass "implicit-deny-counts: $st"
else
	fail implicit-deny-counts "got '$st', want 5 (permit tcp/80) = 0 and implicit >= 2"
fi
if nbr_full; then fail implicit-deny-keeps-adjacency-down "3.3.3.3 Full on Tunnel1"; else
	pass "implicit-deny-keeps-adjacency-down"
fi
t=$(now_ms)
conf2 'interface Tunnel1' 'no ip access-group DENYALL in' || fail denyall-removed "$(conf_err)"
if wait_until 20 nbr_full; then
	pass "adjacency-back: Full $(($(now_ms) - t)) ms after removing the access-group"
else
	fail adjacency-back "3.3.3.3 not Full on Tunnel1 20 s after removing DENYALL"
fi
if wait_until 20 route_ospf $NAME R2 10.4.4.0/24 Tunnel1; then
	pass "route-back: 10.4.4.0/24 via Tunnel1 after $(($(now_ms) - t)) ms"
else
	fail route-back "10.4.4.0/24 not via Tunnel1 20 s after removing DENYALL"
fi
if wait_until 10 ping_ok $NAME R1 10.4.4.4; then pass ping-back; else fail ping-back "R1 -> R4"; fi
expect denyall-removed-no-table "$(tables)" "table ip mine"
mine_intact denyall

# ---- 4. 20 edits under a 1,000 packets/s permitted flow ----
echo "# 4. 20 edits of BLOCK under a 1,000 packets/s UDP flow R1 -> 10.4.4.3"
conf2 'interface Tunnel1' 'ip access-group BLOCK out' || fail block-again "$(conf_err)"
"$lab" vtish $NAME R2 -c 'clear access-list counters BLOCK' >/dev/null 2>&1
# The flow must outlast the 20 edits (10 add + remove pairs): 12,000
# packets (12 s at 1,000/s), or 14 per ms of one timed pair when that is
# more (a slow machine, an ASan build).
t=$(now_ms)
conf2 'ip access-list extended BLOCK' '15 deny udp any any eq 9999' &&
	conf2 'ip access-list extended BLOCK' 'no 15' || fail edit-timing "$(conf_err)"
pair_ms=$(($(now_ms) - t))
FLOOD=$((pair_ms * 14 > 12000 ? pair_ms * 14 : 12000))
[ $FLOOD -gt 60000 ] && FLOOD=60000
echo "# one add + remove took $pair_ms ms: a flow of $FLOOD packets"
# The flow: UDP datagrams to 10.4.4.3:9000 at exactly 1,000/s (a paced
# sender, sequence numbers), a receiver in R3 counting the distinct ones.
cat >"$tmp/flow.py" <<'EOPY'
import socket, sys, time
role, n = sys.argv[1], int(sys.argv[2])
if role == "rx":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("10.4.4.3", 9000))
    s.settimeout(3)
    got = set()
    open(sys.argv[3], "w").write("ready\n")
    try:
        while len(got) < n:
            got.add(int.from_bytes(s.recv(64)[:4], "big"))
    except socket.timeout:
        pass
    print("received %d" % len(got))
else:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.monotonic()
    for i in range(n):
        d = t0 + i / 1000.0 - time.monotonic()
        if d > 0:
            time.sleep(d)
        s.sendto(i.to_bytes(4, "big") + bytes(28), ("10.4.4.3", 9000))
    span = time.monotonic() - t0
    print("sent %d in %.3f s: %d packets/s" % (n, span, n / span))
EOPY
"$lab" exec $NAME R3 python3 "$tmp/flow.py" rx $FLOOD "$tmp/rx-ready" >"$tmp/flow-rx.txt" 2>&1 &
flow_rx=$!
bg_pids+=($flow_rx)
wait_until 5 test -s "$tmp/rx-ready" || fail flow-receiver "the receiver in R3 did not start"
"$lab" exec $NAME R1 python3 "$tmp/flow.py" tx $FLOOD >"$tmp/flow-tx.txt" 2>&1 &
flood=$!
bg_pids+=($flood)
sleep 0.5
t=$(now_ms)
bad_edits=""
: >"$tmp/edit-times"
for i in $(seq 20); do
	echo "$i $(date +%s.%N)" >>"$tmp/edit-times"
	if [ $((i % 2)) = 1 ]; then
		conf2 'ip access-list extended BLOCK' '15 deny udp any any eq 9999' || bad_edits+=" $i:$(conf_err)"
		want=1
	else
		conf2 'ip access-list extended BLOCK' 'no 15' || bad_edits+=" $i:$(conf_err)"
		want=0
	fi
	n=$("$lab" exec $NAME R2 nft list chain ip vtid acl_BLOCK 2>/dev/null | grep -c 'udp dport 9999')
	[ "$n" = $want ] || bad_edits+=" $i:nft-has-$n-rules-for-9999"
done
edits_ms=$(($(now_ms) - t))
if kill -0 $flood 2>/dev/null; then flowing=1; else flowing=0; fi
wait $flood
wait $flow_rx
tx=$(sed -n 's/^sent \([0-9]*\) .*/\1/p' "$tmp/flow-tx.txt")
rx=$(sed -n 's/^received \([0-9]*\)$/\1/p' "$tmp/flow-rx.txt")
echo "# 20 edits took $edits_ms ms; flow: $(cat "$tmp/flow-tx.txt"); $(cat "$tmp/flow-rx.txt")"
rate=$(sed -n 's/.*: \([0-9]*\) packets\/s$/\1/p' "$tmp/flow-tx.txt")
if [ -n "$rate" ] && [ "$rate" -ge 950 ]; then pass "flow-rate: $rate packets/s"; else
	fail flow-rate "the paced flow ran at ${rate:-?} packets/s, want about 1,000"
fi
if [ -z "$bad_edits" ]; then
	pass "edits-applied: 20 edits, each in the nft chain at once ($edits_ms ms)"
else
	fail edits-applied "$bad_edits"
fi
if [ $flowing = 1 ]; then pass "edits-within-flow: the flow still running after the 20th edit"; else
	fail edits-within-flow "the $FLOOD-packet flow ended before the edits did ($edits_ms ms): make it longer"
fi
expect no-permitted-lost "${tx:-?} sent, ${rx:-?} received" "$FLOOD sent, $FLOOD received"
expect permit-counter-kept "$(acl_state BLOCK)" \
	"extended: 10 deny icmp any host 10.4.4.4 = 0; 20 permit ip any any = ${tx:-?}; implicit = 0"
mine_intact edits

# ---- 5. log ----
echo "# 5. log"
conf2 'ip access-list extended BLOCK' 'no 10' '10 deny icmp any host 10.4.4.4 log' ||
	fail log-configured "$(conf_err)"
"$lab" vtish $NAME R2 -c 'clear access-list counters BLOCK' >/dev/null 2>&1
lines0=$(wc -l <"$vlog")
t=$(now_ms)
expect log-entry-denies "$(pings R1 10.4.4.4 25 0.1) of 25 answered" "0 of 25 answered"
ping_ms=$(($(now_ms) - t))
sleep 1.5 # the packets held back by the rate limit are reported a second later
tail -n +$((lines0 + 1)) "$vlog" | grep 'IPACCESSLOG' >"$tmp/log.txt"
sed 's/^/# /' "$tmp/log.txt"
logcheck=$(python3 - "$tmp/log.txt" "$ping_ms" 25 <<'EOF'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
ping_ms, sent = int(sys.argv[2]), int(sys.argv[3])
pat = re.compile(r"^(\d\d):(\d\d):(\d\d)\.(\d\d\d) vtid \w+: "
                 r"%SEC-6-IPACCESSLOGDP: list BLOCK denied icmp 10\.1\.1\.1 -> 10\.4\.4\.4 \(8/0\), "
                 r"(\d+) (packets?)$")
bad, times, counts = [], [], []
for l in lines:
    m = pat.match(l)
    if not m:
        bad.append("unexpected line: " + l)
        continue
    h, mi, s, ms, n, unit = m.groups()
    times.append(((int(h) * 60 + int(mi)) * 60 + int(s)) * 1000 + int(ms))
    counts.append(int(n))
    if (int(n) == 1) != (unit == "packet"):
        bad.append("'%s %s'" % (n, unit))
if not counts:
    bad.append("no %SEC-6-IPACCESSLOGDP line")
else:
    if counts[0] != 1:
        bad.append("first line counts %d packets, want 1" % counts[0])
    gaps = [(b - a) % 86400000 for a, b in zip(times, times[1:])]
    if any(g < 995 for g in gaps):
        bad.append("lines closer than 1 s: gaps %s ms" % gaps)
    most = ping_ms // 1000 + 2
    if not 2 <= len(counts) <= most:
        bad.append("%d lines for %d ms of pings, want 2..%d" % (len(counts), ping_ms, most))
    if sum(counts) != sent:
        bad.append("lines count %d packets, %d sent" % (sum(counts), sent))
print("; ".join(bad) if bad else "ok %d lines, packets %s" % (len(counts), "+".join(map(str, counts))))
EOF
)
if [[ "$logcheck" == ok* ]]; then pass "log-lines: ${logcheck#ok }"; else fail log-lines "$logcheck"; fi
expect log-entry-counts "$(acl_state BLOCK)" \
	'extended: 10 deny icmp any host 10.4.4.4 log = 25; 20 permit ip any any = 0; implicit = 0'
n=$(grep -c 'IPACCESSLOG.* permitted ' "$vlog")
expect no-log-without-log "$n lines for permitted packets" "0 lines for permitted packets"

# ---- 6. exit and restart ----
echo "# 6. clean exit, restart"
out=$("$lab" vtish $NAME R2 -c 'write memory' 2>&1) || fail write-memory "$out"
saved=$(grep -E '^ (10 deny icmp any host 10\.4\.4\.4 log|20 permit ip any any|ip access-group BLOCK out)$' \
	"$labrun/R2/vtid.conf" | paste -sd'|')
expect write-memory-saves-acl "$saved" ' 10 deny icmp any host 10.4.4.4 log| 20 permit ip any any| ip access-group BLOCK out'
read -r pid _ <"$labrun/R2/vtid.lab-pid"
t=$(now_ms)
kill -TERM "$pid"
gone() { ! kill -0 "$pid" 2>/dev/null; }
if wait_until 5 gone; then
	pass "vtid-exits-on-sigterm: pid $pid gone after $(($(now_ms) - t)) ms"
else
	fail vtid-exits-on-sigterm "pid $pid still running 5 s after SIGTERM"
	kill -KILL "$pid" 2>/dev/null
fi
expect exit-removes-table "$(tables)" "table ip mine"
mine_intact exit

ip netns exec $NAME-R2 "$vtid_bin" -F -f "$labrun/R2/vtid.conf" -s "$labrun/R2/vtid.sock" \
	--frr-vty-socket "$labrun/R2/frr" >>"$vlog" 2>&1 </dev/null &
echo "$! $vtid_bin" >"$labrun/R2/vtid.lab-pid" # lab down ends it, like the one it started
t=$(now_ms)
table_back() { [ "$(tables)" = "table ip mine|table ip vtid" ]; }
if wait_until 10 table_back; then
	pass "restart-rebuilds-table: ip vtid back $(($(now_ms) - t)) ms after starting vtid"
else
	fail restart-rebuilds-table "tables: $(tables)"
fi
expect restart-acl-chain "$(chain_rules acl_BLOCK | sed -E 's/ log prefix C group [0-9]+//')" \
	'ip daddr 10.4.4.4 ip protocol icmp counter name C drop|counter name C accept|counter name C drop'
expect restart-out-chain "$(chain_rules out)" 'oifname "Tunnel1" jump acl_BLOCK'
if wait_until 60 converged; then
	pass "restart-converged: $(($(now_ms) - t)) ms"
else
	fail restart-converged "no SA + route + ping R1 -> 10.4.4.3 within 60 s of the restart"
fi
expect restart-denies "$(pings R1 10.4.4.4 5) of 5 answered" "0 of 5 answered"
st=$(acl_state BLOCK)
expect restart-counts "$(echo "$st" | sed 's/; 20 .*//')" 'extended: 10 deny icmp any host 10.4.4.4 log = 5'
mine_intact restart

lab_down_checked $NAME
echo "# t-acl took $(($(now_ms) - t_start)) ms"
exit $failed
