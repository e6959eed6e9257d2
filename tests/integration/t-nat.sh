#!/bin/bash
# Two vtid routers with a real NAT between them (RFC 3947/3948): A sits
# behind a masquerading router N that also rewrites source ports, B is on
# the outside and knows A only by N's address.  A native VTI (tunnel mode,
# 0/0 selectors) comes up with NAT detected, floats to UDP 4500 and carries
# ESP in UDP through the NAT's mapping both ways; B's ESP is read by the data
# plane's workers, not the IKE socket.
#
#   ns A: wan0 10.0.0.2/24 ── ns N: in0 10.0.0.1 | out0 198.51.100.1 ── ns B: wan0 198.51.100.2
#   Tunnel1 192.168.9.1/24  ========= VTI through the NAT =========  192.168.9.2/24
set -u
. "$(dirname "$0")/lib.sh"

A=vtNa$$ N=vtNn$$ B=vtNb$$
RUN=$(mktemp -d /tmp/vtid-nat.XXXXXX)
cleanup() {
	stop_pids
	for ns in $A $N $B; do ip netns del $ns 2>/dev/null; done
	rm -rf "$RUN"
}
trap cleanup EXIT

ip netns add $A && ip netns add $N && ip netns add $B || { echo "FAIL setup: netns"; exit 1; }
ip link add wan0 netns $A type veth peer name in0 netns $N
ip link add out0 netns $N type veth peer name wan0 netns $B
for x in "$A wan0" "$N in0" "$N out0" "$B wan0"; do
	set -- $x
	ip -n "$1" link set lo up
	ip -n "$1" link set "$2" up
done
ip -n $A addr add 10.0.0.2/24 dev wan0
ip -n $A route add default via 10.0.0.1
ip -n $N addr add 10.0.0.1/24 dev in0
ip -n $N addr add 198.51.100.1/24 dev out0
ip -n $B addr add 198.51.100.2/24 dev wan0
ip netns exec $N sysctl -qw net.ipv4.ip_forward=1
# masquerade, source ports moved into 40000-40999 (neither 500 nor 4500)
ip netns exec $N nft -f - <<'NFT' || { echo "FAIL setup: nft"; exit 1; }
table ip vtnat {
	chain post {
		type nat hook postrouting priority 100;
		oifname "out0" ip protocol udp masquerade to :40000-40999
		oifname "out0" masquerade
	}
}
NFT

# conf NAME SELF PEER PEER_ID TUNADDR
conf() {
	cat <<EOF
hostname $1
crypto ikev2 proposal P1
 encryption aes-gcm-256
 prf sha256
 group 19
crypto ikev2 policy POL
 proposal P1
crypto ikev2 keyring KR
 peer OTHER
  address $3
  pre-shared-key nat-s3cret
crypto ikev2 profile PROF
 match identity remote address $4 255.255.255.255
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
 dpd 10 2 periodic
crypto ipsec transform-set GCM esp-gcm 256
 mode tunnel
crypto ipsec profile IPP
 set transform-set GCM
 set ikev2-profile PROF
interface Tunnel1
 ip address $5 255.255.255.0
 tunnel source $2
 tunnel destination $3
 tunnel mode ipsec ipv4
 tunnel protection ipsec profile IPP
EOF
}
# A knows B's real address; B knows A as the NAT's address, A's identity
# is still its own (private) address
conf RA 10.0.0.2 198.51.100.2 198.51.100.2 192.168.9.1 >"$RUN/a.conf"
conf RB 198.51.100.2 198.51.100.1 10.0.0.2 192.168.9.2 >"$RUN/b.conf"

start_vtid $B "$RUN/b.conf" "$RUN/b.sock" "$RUN/b.log"
start_vtid $A "$RUN/a.conf" "$RUN/a.sock" "$RUN/a.log"

if wait_for 20 "line_up $RUN/a.sock Tunnel1 && line_up $RUN/b.sock Tunnel1"; then
	pass "VTI up through the NAT on both ends"
else
	fail "VTI up through the NAT" "$(tail -3 "$RUN/a.log"; tail -3 "$RUN/b.log")"
	finish
fi

ping_ab() { ip netns exec $A ping -c "${1:-3}" -i 0.2 -W 1 192.168.9.2 >/dev/null 2>&1; }
ping_ba() { ip netns exec $B ping -c "${1:-3}" -i 0.2 -W 1 192.168.9.1 >/dev/null 2>&1; }
wait_for 5 "ping_ab 1" && ping_ab 5 && pass "ping A -> B through the VTI" || fail "ping A -> B"
ping_ba 5 && pass "ping B -> A through the NAT's mapping" || fail "ping B -> A"

# B sees A as the NAT's address on a moved port, and sends ESP in UDP to it
rem=$(vjson "$RUN/b.sock" 'show crypto ikev2 sa json' 'd["sas"][0]["remote"]')
port=$(sa_field "$RUN/b.sock" Tunnel1 peer_port)
case "$rem" in
198.51.100.1/4[0-9][0-9][0-9][0-9]) pass "B's IKE SA is with the NAT's mapping ($rem), floated off 500" ;;
*) fail "B's IKE SA remote" "'$rem'" ;;
esac
[ "${port:-0}" -ge 40000 ] && [ "$port" -le 40999 ] &&
	pass "B sends ESP in UDP to the mapped port $port" || fail "B's ESP-in-UDP port" "'$port'"
lport=$(vjson "$RUN/a.sock" 'show crypto ikev2 sa json' 'd["sas"][0]["local"]')
[ "$lport" = 10.0.0.2/4500 ] && pass "A moved to UDP 4500 after detecting the NAT ($lport)" ||
	fail "A's local IKE endpoint" "'$lport'"

# the wire outside the NAT carries only UDP (IKE and ESP in UDP), no raw ESP
ip netns exec $N timeout 10 tcpdump -U -n -c 20 -i out0 -w "$RUN/out.pcap" 'udp or ip proto 50' >"$RUN/tcpdump.out" 2>&1 &
tpid=$!
wait_for 5 "grep -q listening $RUN/tcpdump.out"
ping_ab 5
ping_ba 5
wait $tpid
nudp=$(tcpdump -n -r "$RUN/out.pcap" 2>/dev/null | grep -c 'UDP-encap: ESP')
nesp=$(tcpdump -n -r "$RUN/out.pcap" 'ip proto 50' 2>/dev/null | wc -l)
# (the 20 may include an IKE message or a NAT keepalive on 4500)
[ "$nudp" -ge 15 ] && [ "$nesp" = 0 ] &&
	pass "outside the NAT: ESP in UDP ($nudp of the first 20 packets; the rest IKE), no raw ESP" ||
	fail "wire outside the NAT" "ESP in UDP $nudp of 20, raw ESP $nesp; $(tcpdump -n -r "$RUN/out.pcap" 2>/dev/null | grep -v 'UDP-encap: ESP' | head -2)"

viaike=$(vjson "$RUN/b.sock" 'show crypto ikev2 stats json' 'd["udp_rx_esp"]')
dec=$(sa_field "$RUN/b.sock" Tunnel1 pkts_decaps)
[ "${dec:-0}" -ge 10 ] && [ "$viaike" = 0 ] &&
	pass "B: $dec packets decapsulated, all read by the data plane's workers" ||
	fail "B's ESP-in-UDP receive path" "decaps '$dec', udp_rx_esp '$viaike'"

# a Child rekey started by B (outside) reaches A through the mapping
old=$(spis "$RUN/b.sock" Tunnel1)
vsh "$RUN/b.sock" 'crypto rekey ipsec interface Tunnel1' >/dev/null
wait_for 5 "[ \"\$(spis $RUN/b.sock Tunnel1)\" != \"$old\" ]"
new=$(spis "$RUN/b.sock" Tunnel1)
[ "$new" != "$old" ] && ping_ab 3 && ping_ba 3 &&
	pass "Child rekey by B through the NAT ($old -> $new), pings both ways" ||
	fail "Child rekey by B through the NAT" "$old -> $new"

check_logs_clean "$RUN/a.log" "$RUN/b.log"
finish
