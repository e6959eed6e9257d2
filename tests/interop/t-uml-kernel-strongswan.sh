#!/bin/bash
# vtid with `dataplane kernel` (a kernel GRE device, XFRM through libnl) in
# one user-mode-linux guest against strongSwan with the kernel's XFRM in a
# second guest (the strongSwan-in-UML reference peer, guest/sw-kernel-peer.sh):
# GRE over ESP transport, AES-256-GCM, PSK, FRR's OSPF on both ends.
#
#   guest 1: vtid + zebra/ospfd, vec0 192.0.2.1 ==raw== a0 (ns A) <-veth->
#   b0 (ns B) ==raw== vec0 192.0.2.2 guest 2: charon (kernel-netlink), gre1
#   Tunnel1 10.255.2.1/30 (kernel gre, vtid's) == ESP transport == gre1 10.255.2.2/30
#   lo 10.88.0.1 (guest 1) and 10.77.0.1 (guest 2) exchanged by OSPF
#
# Checks: the IKE SA and the Child SA up on both sides with the same SPI
# pair, transport mode, raw ESP; pings through the GRE tunnel both ways;
# OSPF Full on both ends and loopback to loopback; a Child rekey started by
# vtid, then one by strongSwan (swanctl --rekey --child): new SPIs on both
# sides, matching, pings both ways after each, OSPF still Full; vtid's exit
# leaves nothing in the guest's kernel.  Both guests run guest/vtid-agent.sh
# (commands from the host through the share); guest 2 then starts
# guest/sw-kernel-peer.sh.  Needs root, user-mode-linux and kmod.  ~40 s.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/swlib.sh"
. "$here/umlib.sh"
UML_PEER=${UML_PEER:-$here/uml-run}
[ -x "$UML_PEER" ] && [ -x /usr/bin/linux.uml ] || {
	echo "FAIL setup: needs $UML_PEER and /usr/bin/linux.uml (user-mode-linux)"
	exit 1
}
uml_guest_bins || exit 1
A=vtKSa$$ B=vtKSb$$
V1=192.0.2.1 V2=192.0.2.2 PSK=uml-kernel-sw-s3cret
T1=10.255.2.1 T2=10.255.2.2 LO1=10.88.0.1 LO2=10.77.0.1
RUN=$(mktemp -d /var/tmp/vtid-umlks.XXXXXX)
s1='' s2=''
cleanup() {
	stop_pids
	local p
	for p in 1 2; do
		[ -e "$RUN/g$p.pid" ] && "$UML_PEER" --stop "$RUN/g$p.pid" >"$RUN/guest$p.out" 2>"$RUN/guest$p.err" &
	done
	wait
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $RUN" || rm -rf "$RUN"
}
trap cleanup EXIT
t0=$(date +%s%N)
el() { echo "$((($(date +%s%N) - t0) / 1000000)) ms"; }

ip netns add $A && ip netns add $B || { echo "FAIL setup: netns"; exit 1; }
ip -n $A link add a0 type veth peer name b0 netns $B
ip -n $A link set a0 up
ip -n $B link set b0 up

# Both guests boot at once (about 8 s on two cores).
boots=()
for p in 1 2; do
	ns=$A ifn=a0 ip=$V1
	[ $p = 2 ] && ns=$B ifn=b0 ip=$V2
	"$UML_PEER" --netns $ns --ifname $ifn --guest-script "$here/guest/vtid-agent.sh" \
		--background "$RUN/g$p.pid" --mac 02:00:00:00:00:0$p --timeout 60 --quiet \
		--env LOCAL_IP=$ip >"$RUN/guest$p-start.out" 2>&1 &
	boots+=($!)
done
wait "${boots[0]}"; r1=$?
wait "${boots[1]}"; r2=$?
[ $r1 = 0 ] && [ $r2 = 0 ] || {
	echo "FAIL UML guests did not become ready ($r1 $r2): $(tail -5 "$RUN"/guest*-start.out)"
	exit 1
}
uml_work=''
# shellcheck source=/dev/null
. "$RUN/g1.pid" && s1=$uml_work/share
# shellcheck source=/dev/null
. "$RUN/g2.pid" && s2=$uml_work/share
G1() { uml_gx "$s1" "$@"; }
G2() { uml_gx "$s2" "$@"; }
pass "two UML guests ready ($(el))"

# Guest 2: the reference peer, responder, FRR on gre1.  Its vici socket is
# the guest's own /run/charon.vici: swlib's swanctl wrapper goes through G2.
G2 "LOCAL_IP=$V2 REMOTE_IP=$V1 PSK=$PSK GRE_LOCAL=$T2 GRE_REMOTE=$T1 \
	IKE_PROPOSALS=aes256gcm16-prfsha256-x25519 ESP_PROPOSALS=aes256gcm16 OSPF=1 \
	UML_PEER_READY=/run/sw.ready sh ./sw-kernel-peer.sh vec0 >\$UML_PEER_SHARE/sw.out 2>&1 &
	i=0; until [ -e /run/sw.ready ] || [ \$i -ge 60 ]; do sleep 0.3; i=\$((i + 1)); done
	[ -e /run/sw.ready ]" 30 >/dev/null &&
	pass "guest 2: strongSwan (kernel-netlink) responder loaded, kernel gre1, FRR ($(el))" ||
	{
		echo "FAIL guest 2: strongSwan did not start: $(tail -5 "$s2/sw.out")"
		exit 1
	}
swctl() {
	local cmd=$2
	shift 2
	G2 "swanctl $cmd $* 2>/dev/null"
}

# Guest 1: vtid with dataplane kernel (binaries through the share: a tree
# under /tmp is not in the guest, whose /tmp is its own tmpfs), then FRR.
mkdir -p "$s1/frr"
uml_share_bins "$s1" || exit 1
cat >"$s1/vtid.conf" <<C
hostname VTKS
dataplane kernel
crypto ikev2 proposal P1
 encryption aes-gcm-256
 prf sha256
 group 31
crypto ikev2 policy POL
 proposal P1
crypto ikev2 keyring KR
 peer SW
  address $V2
  pre-shared-key $PSK
crypto ikev2 profile PROF
 match identity remote address $V2 255.255.255.255
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
crypto ipsec transform-set TS esp-gcm 256
 mode transport
crypto ipsec profile IPP
 set transform-set TS
 set ikev2-profile PROF
interface Tunnel1
 ip address $T1 255.255.255.252
 tunnel source $V1
 tunnel destination $V2
 tunnel protection ipsec profile IPP
C
SOCK=/run/vtidk.sock
# lib.sh's vsh (and with it spis, line_up, vjson) talks to vtid in guest 1
vsh() {
	local cmd="/run/uml-run/bin/vtish -s $1" c
	shift
	for c in "$@"; do cmd+=" -c $(printf %q "$c")"; done
	G1 "$cmd"
}
G1 "rm -f $SOCK; /run/uml-run/bin/vtid -F -f \$UML_PEER_SHARE/vtid.conf -s $SOCK --frr-vty-socket /nonexistent \
	>\$UML_PEER_SHARE/vtid.log 2>&1 & echo \$! >/run/vtidk.pid
	i=0; until [ -S $SOCK ] || [ \$i -ge 100 ]; do sleep 0.2; i=\$((i + 1)); done
	[ -S $SOCK ]" 40 >/dev/null || fail "guest 1: vtid started" "$(tail -5 "$s1/vtid.log")"
grep -q 'dataplane: kernel (the kernel creates GRE devices and ESP states' "$s1/vtid.log" &&
	pass "guest 1: vtid runs with dataplane kernel" ||
	fail "guest 1: dataplane kernel accepted" "$(grep -i dataplane "$s1/vtid.log")"
printf 'hostname vtks\nlog file /run/frr/zebra.log\n' >"$s1/frr/zebra.conf"
uml_ospfd_conf vtks $LO1 Tunnel1 >"$s1/frr/ospfd.conf"
G1 "ip addr add $LO1/32 dev lo; f=/run/frr; mkdir -p \$f; cp \$UML_PEER_SHARE/frr/*.conf \$f/; chown -R frr:frr \$f
	for d in zebra ospfd; do
		/usr/lib/frr/\$d -d -f \$f/\$d.conf -i \$f/\$d.pid -z \$f/zserv.api --vty_socket \$f >>\$f/start.log 2>&1 ||
			{ cat \$f/start.log; exit 1; }
	done" 30 >"$RUN/frr1.out" || fail "guest 1: FRR zebra + ospfd started" "$(tail -3 "$RUN/frr1.out")"

# --- the SAs, on both sides
if wait_for 20 "line_up $SOCK Tunnel1"; then
	pass "guest 1: vtid's Tunnel1 up against strongSwan ($(el))"
else
	fail "guest 1: Tunnel1 up" "$(tail -5 "$s1/vtid.log")"
fi
# "0xAB12/0xCD34" -> "ab12 cd34" as strongSwan prints them (8 hex digits)
hex8() { [ -n "${1#0x}" ] && printf '%08x' "$((16#${1#0x}))"; }
# vtid's pair (in/out) is strongSwan's INSTALLED pair the other way round
sa_match() {
	local v vin vout
	v=$(spis $SOCK Tunnel1)
	vin=$(hex8 "${v%/*}") && vout=$(hex8 "${v#*/}") || return 1
	[ "$(sw_child_spis x)" = "in=$vout out=$vin " ]
}
nready() { vjson $SOCK "show crypto ikev2 sa json" "sum(1 for s in d['sas'] if s['status']=='READY')"; }
wait_for 10 'sa_match && [ "$(nready)" = 1 ] && [ "$(sw_n_ike x)" = 1 ]'
sw=$(swctl x --list-sas)
[ "$(nready)" = 1 ] && [ "$(echo "$sw" | grep -c ': #[0-9]*, ESTABLISHED, IKEv2')" = 1 ] &&
	pass "IKE SA up on both sides: vtid READY, strongSwan ESTABLISHED" ||
	fail "IKE SA up on both sides" "vtid READY: $(nready); strongSwan: $(echo "$sw" | grep -E 'ESTABLISHED|CONNECTING' | tr '\n' '|')"
sa_match && echo "$sw" | grep -q 'gre: #[0-9]*, reqid [0-9]*, INSTALLED, TRANSPORT, ESP:AES_GCM_16-256' &&
	pass "Child SA up on both sides, one SPI pair: vtid $(spis $SOCK Tunnel1), strongSwan $(sw_child_spis x)INSTALLED, TRANSPORT, AES_GCM_16-256" ||
	fail "Child SA up on both sides with the same SPIs" "vtid $(spis $SOCK Tunnel1), strongSwan '$(sw_child_spis x)' $(echo "$sw" | grep -o 'INSTALLED.*')"
j=$(vsh $SOCK 'show crypto ipsec sa interface Tunnel1 json' | tr -d ' \n')
echo "$j" | grep -q '"mode":"Transport"' && ! echo "$j" | grep -q '"udp_encap_port"' &&
	pass "vtid: transport mode, no UDP encapsulation" ||
	fail "vtid SA: transport, raw ESP" "$(echo "$j" | grep -o '"mode":"[^"]*"\|"udp_encap_port":[^,]*' | sort -u | tr '\n' ' ')"
st=$(G1 'ip xfrm state') d=$(G1 'ip -d link show Tunnel1')
[ "$(echo "$st" | grep -c '^src')" = 2 ] && [ "$(echo "$st" | grep -c 'mode transport')" = 2 ] &&
	echo "$st" | grep -q 'aead rfc4106(gcm(aes))' && echo "$d" | grep -q "gre remote $V2 local $V1" &&
	pass "guest 1: the kernel holds vtid's two ESP transport states (rfc4106(gcm(aes))) and GRE device Tunnel1" ||
	fail "guest 1: kernel states and device" "$(echo "$st" | grep -E '^src|proto|aead' | tr '\n' '|') $(echo "$d" | head -3 | tr '\n' '|')"

# pings N: N pings through the GRE tunnel each way
pings() {
	local r1 r2
	r1=$(G1 "ping -c $1 -i 0.2 -W 2 $T2") && r2=$(G2 "ping -c $1 -i 0.2 -W 2 $T1") &&
		echo "$r1" | grep -q " $1 received" && echo "$r2" | grep -q " $1 received"
}
if wait_for 10 "G1 'ping -c 1 -W 1 $T2' >/dev/null" && pings 5; then
	pass "pings through GRE over ESP both ways: vtid's Tunnel1 -> gre1 5/5, gre1 -> Tunnel1 5/5"
else
	fail "pings both ways through the tunnel" "$(G1 "ping -c 2 -W 1 $T2" | tail -2 | tr '\n' ' ') / $(G2 "ping -c 2 -W 1 $T1" | tail -2 | tr '\n' ' ')"
fi

# --- OSPF between the two FRRs, across vtid's kernel Tunnel1 and gre1
full() { # GUEST NEIGHBOR
	$1 "vtysh --vty_socket /run/frr -c 'show ip ospf neighbor'" 2>/dev/null | grep -q "^$2 .*Full"
}
if wait_for 30 "G1 'ip route show $LO2' | grep -q 'dev Tunnel1 proto ospf'" &&
	full G1 $LO2 && full G2 $LO1 && G2 "ip route show $LO1" | grep -q 'dev gre1 proto ospf'; then
	pass "OSPF Full on both ends, routes exchanged: $LO2 via Tunnel1 in guest 1, $LO1 via gre1 in guest 2 ($(el))"
else
	fail "OSPF Full across" "guest 1: $(G1 "vtysh --vty_socket /run/frr -c 'show ip ospf neighbor'; ip route" | tr '\n' '|'); guest 2: $(G2 "vtysh --vty_socket /run/frr -c 'show ip ospf neighbor'" | tr '\n' '|')"
fi
G1 "ping -c 3 -i 0.2 -W 2 -I $LO1 $LO2" | grep -q ' 3 received' &&
	pass "ping loopback to loopback over the OSPF routes ($LO1 -> $LO2)" ||
	fail "ping loopback to loopback ($LO1 -> $LO2)"

# --- a Child rekey from each side
rekey() { # WHO COMMAND...
	local who=$1 old new
	shift
	old=$(spis $SOCK Tunnel1)
	"$@" >"$RUN/rekey-$who.out" 2>&1
	if wait_for 10 "[ \"\$(spis $SOCK Tunnel1)\" != \"$old\" ] && sa_match"; then
		new=$(spis $SOCK Tunnel1)
		if pings 3; then
			pass "Child rekey started by $who: $old -> $new on vtid, strongSwan's INSTALLED pair matches; 3 pings each way after it"
		else
			fail "pings after the Child rekey by $who" "$(G1 "ping -c 2 -W 1 $T2" | tail -2 | tr '\n' ' ')"
		fi
	else
		fail "Child rekey started by $who" "vtid $old -> $(spis $SOCK Tunnel1), strongSwan $(sw_child_spis x); $(tail -3 "$RUN/rekey-$who.out" | tr '\n' ' ')"
	fi
}
rekey vtid vsh $SOCK 'crypto rekey ipsec interface Tunnel1'
rekey strongSwan swctl x --rekey --child gre
full G1 $LO2 && full G2 $LO1 && pass "OSPF still Full on both ends after the rekeys" ||
	fail "OSPF Full after the rekeys" "$(G1 "vtysh --vty_socket /run/frr -c 'show ip ospf neighbor'" | tr '\n' '|')"
# the old pairs go after their linger; strongSwan keeps one Child SA
if wait_for 15 "[ \"\$(G1 'ip xfrm state' | grep -c '^src')\" = 2 ] && [ \"\$(swctl x --list-sas | grep -c 'reqid')\" = 1 ]"; then
	pass "after the rekeys: two states in guest 1's kernel, one Child SA on strongSwan"
else
	fail "old SAs removed after the rekeys" "$(G1 'ip xfrm state' | grep -c '^src') states in guest 1; strongSwan: $(swctl x --list-sas | grep reqid | tr '\n' '|')"
fi

# --- vtid's exit leaves nothing behind in guest 1's kernel
G1 'kill $(cat /run/vtidk.pid); i=0; while kill -0 $(cat /run/vtidk.pid) 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done' >/dev/null
left=$(G1 "ip xfrm state; ip xfrm policy; ip -o link show | grep -i tunnel1")
[ -z "$left" ] && pass "guest 1: vtid's exit left no state, policy or device behind" ||
	fail "guest 1: clean exit" "$(echo "$left" | tr '\n' '|')"
cp "$s1/vtid.log" "$RUN/vtid-guest.log" 2>/dev/null
cp "$s2/sw.out" "$RUN/sw.out" 2>/dev/null
check_logs_clean "$RUN/vtid-guest.log"
echo "total $(el)"
finish
