#!/bin/bash
# Two vtid routers in two namespaces, two protected tunnels between them, no
# FRR: IKE brings both up on its own, pings pass, the ESP counters of both
# ends agree, changing Tunnel2 leaves Tunnel1's SPIs alone, ten Child rekeys
# and an IKE rekey under a 100 packets/s ping lose nothing, `shutdown` tears
# the peer's side down at once (Delete sent) and `no shutdown` brings it back.
set -u
. "$(dirname "$0")/lib.sh"

A=vtTa$$ B=vtTb$$
RUN=$(mktemp -d /tmp/vtid-t.XXXXXX)
cleanup() {
	stop_pids
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	rm -rf "$RUN"
}
trap cleanup EXIT

ip netns add $A && ip netns add $B || { echo "FAIL setup: netns"; exit 1; }
ip link add wan0 netns $A type veth peer name wan0 netns $B
for ns in $A $B; do ip -n $ns link set lo up; ip -n $ns link set wan0 up; done
ip -n $A addr add 203.0.113.2/24 dev wan0
ip -n $A addr add 203.0.113.12/24 dev wan0
ip -n $B addr add 203.0.113.3/24 dev wan0
ip -n $B addr add 203.0.113.13/24 dev wan0

# conf NAME SELF PEER SELF2 PEER2 TUN1ADDR TUN2ADDR
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
 peer ONE
  address $3
  pre-shared-key one-s3cret
 peer TWO
  address $5
  pre-shared-key two-s3cret
crypto ikev2 profile PROF
 match identity remote address $3 255.255.255.255
 match identity remote address $5 255.255.255.255
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
crypto ipsec transform-set GCM esp-gcm 256
 mode transport
crypto ipsec transform-set CHACHA esp-chacha20-poly1305
 mode transport
crypto ipsec profile IPP
 set transform-set GCM
 set ikev2-profile PROF
crypto ipsec profile IPP2
 set transform-set CHACHA
 set ikev2-profile PROF
interface Tunnel1
 ip address $6 255.255.255.0
 tunnel source $2
 tunnel destination $3
 tunnel protection ipsec profile IPP
interface Tunnel2
 ip address $7 255.255.255.0
 tunnel source $4
 tunnel destination $5
 tunnel protection ipsec profile IPP
EOF
}
conf RA 203.0.113.2 203.0.113.3 203.0.113.12 203.0.113.13 192.168.1.2 192.168.2.2 >"$RUN/a.conf"
conf RB 203.0.113.3 203.0.113.2 203.0.113.13 203.0.113.12 192.168.1.3 192.168.2.3 >"$RUN/b.conf"

t0=$(date +%s.%N)
start_vtid $A "$RUN/a.conf" "$RUN/a.sock" "$RUN/a.log"
start_vtid $B "$RUN/b.conf" "$RUN/b.sock" "$RUN/b.log"

wait_for 20 "line_up $RUN/a.sock Tunnel1 && line_up $RUN/a.sock Tunnel2 && line_up $RUN/b.sock Tunnel1 && line_up $RUN/b.sock Tunnel2" &&
	pass "both tunnels up on both routers with no traffic" ||
	fail "both tunnels up" "$(vsh $RUN/a.sock 'show interfaces')"

if wait_for 10 "ip netns exec $A ping -c 1 -W 1 192.168.1.3 >/dev/null"; then
	awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "time from starting the daemons to the first ping: %.2f s\n", b - a }'
	pass "ping through Tunnel1"
else
	fail "ping through Tunnel1"
fi
ip netns exec $A ping -c 3 -i 0.2 -W 1 192.168.2.3 >/dev/null && pass "ping through Tunnel2" ||
	fail "ping through Tunnel2"

# The counters of both ends agree (nothing lost on the veth).
ip netns exec $A ping -c 20 -i 0.01 -W 1 192.168.1.3 >/dev/null
sleep 0.5
a_enc=$(sa_field $RUN/a.sock Tunnel1 pkts_encaps) b_dec=$(sa_field $RUN/b.sock Tunnel1 pkts_decaps)
b_enc=$(sa_field $RUN/b.sock Tunnel1 pkts_encaps) a_dec=$(sa_field $RUN/a.sock Tunnel1 pkts_decaps)
if [ "$a_enc" -ge 21 ] && [ "$a_enc" = "$b_dec" ] && [ "$b_enc" = "$a_dec" ]; then
	pass "ESP counters agree: A encaps $a_enc = B decaps $b_dec, B encaps $b_enc = A decaps $a_dec"
else
	fail "ESP counters agree" "A encaps $a_enc B decaps $b_dec B encaps $b_enc A decaps $a_dec"
fi

# Reconfiguration: Tunnel2 changes, Tunnel1 keeps its SPIs.
spis1=$(spis $RUN/a.sock Tunnel1)
spis2=$(spis $RUN/a.sock Tunnel2)
for s in a b; do
	vsh $RUN/$s.sock 'configure terminal' 'interface Tunnel2' 'description changed only' 'end' >/dev/null
done
[ "$(spis $RUN/a.sock Tunnel2)" = "$spis2" ] && pass "a description change does not restart Tunnel2" ||
	fail "description change keeps Tunnel2's SPIs"
for s in a b; do
	vsh $RUN/$s.sock 'configure terminal' 'interface Tunnel2' 'tunnel protection ipsec profile IPP2' 'end' >/dev/null ||
		fail "configure Tunnel2 on $s"
done
wait_for 15 "[ \"\$(spis $RUN/a.sock Tunnel2)\" != \"$spis2\" ] && line_up $RUN/a.sock Tunnel2 && ip netns exec $A ping -c 1 -W 1 192.168.2.3 >/dev/null" &&
	pass "Tunnel2 restarted with its new profile (ChaCha20-Poly1305)" ||
	fail "Tunnel2 restarted" "$(vsh $RUN/a.sock 'show crypto ipsec sa interface Tunnel2')"
vsh $RUN/a.sock 'show crypto ipsec sa interface Tunnel2 json' | grep -q 'esp-chacha20-poly1305' &&
	pass "Tunnel2 now uses esp-chacha20-poly1305" || fail "Tunnel2 transform"
[ "$(spis $RUN/a.sock Tunnel1)" = "$spis1" ] && pass "Tunnel1 kept its SPIs ($spis1)" ||
	fail "Tunnel1 kept its SPIs" "before $spis1 after $(spis $RUN/a.sock Tunnel1)"
vsh $RUN/a.sock 'show running-config' | grep -q 'description changed only' &&
	pass "show running-config has the change" || fail "running-config"

# Rekeys under traffic: 100 packets/s, ten Child rekeys, one IKE rekey, no loss.
ip netns exec $A ping -i 0.01 -c 900 -W 1 192.168.1.3 >"$RUN/ping.txt" 2>&1 &
ping_pid=$!
sleep 0.5
old=$(spis $RUN/a.sock Tunnel1)
for i in $(seq 10); do
	vsh $RUN/a.sock 'crypto rekey ipsec interface Tunnel1' >/dev/null || fail "rekey command $i"
	sleep 0.5
done
new=$(spis $RUN/a.sock Tunnel1)
vsh $RUN/a.sock 'crypto rekey ikev2 interface Tunnel1' >/dev/null || fail "IKE rekey command"
wait $ping_pid
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$RUN/ping.txt")
[ "$old" != "$new" ] && pass "Child SA rekeyed ($old -> $new)" || fail "Child SA rekeyed" "$old"
[ "${rx:-0}" = 900 ] && pass "ten Child rekeys and an IKE rekey under 100 pps: 900/900 answered" ||
	fail "no loss during rekeys" "$(tail -2 "$RUN/ping.txt")"
line_up $RUN/a.sock Tunnel1 && pass "carrier stayed up through the rekeys" || fail "carrier after rekeys"
n_ike=$(vsh $RUN/a.sock 'show crypto ikev2 sa json' | grep -c '"status":"READY"')
[ "$n_ike" = 2 ] && pass "one IKE SA per tunnel after the rekeys" || fail "IKE SA count" "$n_ike"

# shutdown sends Delete: the peer's carrier drops at once, not after DPD.
vsh $RUN/a.sock 'configure terminal' 'interface Tunnel1' 'shutdown' 'end' >/dev/null
wait_for 3 "! line_up $RUN/b.sock Tunnel1" && pass "shutdown: peer's Tunnel1 went down at once (Delete)" ||
	fail "peer's Tunnel1 down after shutdown"
vsh $RUN/a.sock 'show interfaces Tunnel1' | grep -q 'administratively down' &&
	pass "show interfaces says administratively down" || fail "administratively down"
line_up $RUN/a.sock Tunnel2 && pass "Tunnel2 unaffected by Tunnel1's shutdown" || fail "Tunnel2 after shutdown"
vsh $RUN/a.sock 'configure terminal' 'interface Tunnel1' 'no shutdown' 'end' >/dev/null
wait_for 15 "line_up $RUN/a.sock Tunnel1 && line_up $RUN/b.sock Tunnel1 && ip netns exec $A ping -c 1 -W 1 192.168.1.3 >/dev/null" &&
	pass "no shutdown: Tunnel1 back up" || fail "Tunnel1 back after no shutdown"

stop_pids
check_logs_clean "$RUN/a.log" "$RUN/b.log"
finish
