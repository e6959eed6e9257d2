#!/bin/bash
# vtid (userspace data plane, in a namespace) against strongSwan 5.9.8 with
# the REAL Linux kernel's ESP and GRE inside user-mode-linux: GRE over IPsec
# in transport mode with raw ESP (protocol 50, no UDP), the setup a Cisco
# router or a Linux router with kernel XFRM uses.
#
#   ns H: vtid, h0 192.0.2.1  <-veth->  u0 (ns U) ==raw== vec0 192.0.2.2 (UML guest)
#   Tunnel1 10.255.2.1/30  ==GRE, ESP transport==  gre1 10.255.2.2/30 (kernel)
#
# Checks: both ends install the transport-mode SA pair with the same SPIs,
# pings through the GRE tunnel, the wire carries raw ESP both ways (no UDP
# 4500), the guest kernel's XFRM and GRE counters moved, and tshark decrypts
# IKE_AUTH and the ESP to GRE + ICMP with vtid's key log; OSPF (FRR on both
# sides) over the tunnel exchanges the loopbacks.
# Needs root, user-mode-linux and kmod.  The guest is booted by the
# project's own launcher tests/interop/uml-run (guest init: uml-init);
# $UML_PEER may name another launcher with the same interface.  Takes about
# 30 s, 10-13 s of it until the guest is ready (modules, crypto warm-up).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
UML_PEER=${UML_PEER:-$here/uml-run}
[ -x "$UML_PEER" ] && [ -x /usr/bin/linux.uml ] || {
	echo "FAIL setup: needs $UML_PEER and /usr/bin/linux.uml (user-mode-linux)"
	exit 1
}
H=vtUh$$ U=vtUu$$
VH=192.0.2.1 VG=192.0.2.2 PSK=uml-interop-s3cret
RUN=$(mktemp -d /var/tmp/vtid-uml.XXXXXX)
pidfile=$RUN/guest.pid
cleanup() {
	stop_pids
	[ -e "$pidfile" ] && "$UML_PEER" --stop "$pidfile" >"$RUN/guest.out" 2>"$RUN/guest.err"
	ip netns del $H 2>/dev/null
	ip netns del $U 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $RUN" || rm -rf "$RUN"
}
trap cleanup EXIT

ip netns add $H && ip netns add $U || { echo "FAIL setup: netns"; exit 1; }
ip -n $H link add h0 type veth peer name u0 netns $U
ip -n $H link set lo up
ip -n $H link set h0 up
ip -n $U link set u0 up
ip -n $H addr add $VH/24 dev h0
mkdir -p "$RUN/keys"
# stop every vtid started here (not tcpdump, which is _pids[0])
stop_pids_keep_tcpdump() {
	local keep=${_pids[0]}
	_pids=("${_pids[@]:1}")
	stop_pids
	_pids=("$keep")
	rm -f "$RUN/vtid.sock"
}

"$UML_PEER" --netns $U --ifname u0 --guest-script "$here/guest/sw-kernel-peer.sh" \
	--background "$pidfile" --mac 02:00:00:00:00:02 --timeout 60 --quiet \
	--env LOCAL_IP=$VG --env REMOTE_IP=$VH --env PSK=$PSK \
	--env GRE_LOCAL=10.255.2.2 --env GRE_REMOTE=10.255.2.1 \
	--env IKE_PROPOSALS=aes256gcm16-prfsha256-x25519 --env ESP_PROPOSALS=aes256gcm16,aes256-sha256,chacha20poly1305 --env OSPF=1 \
	>"$RUN/guest-start.out" 2>&1 || {
	echo "FAIL UML guest with strongSwan did not become ready: $(tail -5 "$RUN/guest-start.out")"
	exit 1
}
pass "UML guest up: strongSwan with kernel-netlink, kernel GRE device gre1"

ip netns exec $H tcpdump -U -n -i h0 -w "$RUN/wan.pcap" >"$RUN/tcpdump.out" 2>&1 &
_pids+=($!)
wait_for 5 "grep -q listening $RUN/tcpdump.out"

vconf() { # TRANSFORM
cat <<C
hostname VTUML
crypto ikev2 keylog $RUN/keys
crypto ikev2 proposal P1
 encryption aes-gcm-256
 prf sha256
 group 31
crypto ikev2 policy POL
 proposal P1
crypto ikev2 keyring KR
 peer GUEST
  address $VG
  pre-shared-key $PSK
crypto ikev2 profile PROF
 match identity remote address $VG 255.255.255.255
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
crypto ipsec transform-set TS $1
 mode transport
crypto ipsec profile IPP
 set transform-set TS
 set ikev2-profile PROF
interface Tunnel1
 ip address 10.255.2.1 255.255.255.252
 tunnel source $VH
 tunnel destination $VG
 tunnel protection ipsec profile IPP
C
}
vconf "esp-gcm 256" >"$RUN/vtid.conf"
start_vtid $H "$RUN/vtid.conf" "$RUN/vtid.sock" "$RUN/vtid.log"
if wait_for 20 "line_up $RUN/vtid.sock Tunnel1"; then
	pass "vtid's Tunnel1 up against strongSwan with the kernel's XFRM"
else
	fail "Tunnel1 up" "$(tail -5 "$RUN/vtid.log")"
fi
j=$(vsh "$RUN/vtid.sock" 'show crypto ipsec sa interface Tunnel1 json' | tr -d ' \n')
# udp_encap_port is printed only for ESP in UDP
echo "$j" | grep -q '"mode":"Transport"' && ! echo "$j" | grep -q '"udp_encap_port"' &&
	pass "vtid: transport mode, no UDP encapsulation" ||
	fail "vtid SA: transport, raw ESP" "$(echo "$j" | grep -o '"mode":"[^"]*"\|"udp_encap_port":[^,]*' | sort -u | tr '\n' ' ')"

if wait_for 10 "ip netns exec $H ping -c 1 -W 1 10.255.2.2 >/dev/null"; then
	ip netns exec $H ping -c 5 -i 0.2 -W 2 10.255.2.2 >"$RUN/ping.out" 2>&1 &&
		pass "ping through GRE over ESP transport to the kernel's gre1: $(grep -o '[0-9]* received' "$RUN/ping.out")" ||
		fail "5 pings to the guest's gre1" "$(tail -2 "$RUN/ping.out")"
else
	fail "ping through GRE over ESP transport to the kernel's gre1"
fi
spis_v=$(spis "$RUN/vtid.sock" Tunnel1 | tr 'A-F' 'a-f')
enc=$(sa_field "$RUN/vtid.sock" Tunnel1 pkts_encaps)
dec=$(sa_field "$RUN/vtid.sock" Tunnel1 pkts_decaps)
[ "${enc:-0}" -ge 6 ] && [ "${dec:-0}" -ge 6 ] &&
	pass "vtid counters: $enc GRE packets encapsulated, $dec decapsulated" ||
	fail "vtid counters" "encaps $enc decaps $dec"

# The rekey path against the kernel: a Child rekey started by vtid.
old=$spis_v
vsh "$RUN/vtid.sock" 'crypto rekey ipsec interface Tunnel1' >/dev/null
wait_for 5 "[ \"\$(spis $RUN/vtid.sock Tunnel1 | tr A-F a-f)\" != \"$old\" ]"
spis_v=$(spis "$RUN/vtid.sock" Tunnel1 | tr 'A-F' 'a-f')
[ "$spis_v" != "$old" ] && ip netns exec $H ping -c 3 -i 0.2 -W 2 10.255.2.2 >/dev/null 2>&1 &&
	pass "Child rekey by vtid against the kernel ($old -> $spis_v), ping" ||
	fail "Child rekey by vtid against the kernel" "$old -> $spis_v"

# Other transforms against the kernel: AES-CBC + HMAC-SHA-256 (ESP
# padding, truncated ICV) and ChaCha20-Poly1305 (RFC 7634), each a fresh
# vtid, then back to AES-GCM for the rest.
# (configured transform | the name `show crypto ipsec sa` gives it, IOS style)
for tsn in "esp-aes 256 esp-sha256-hmac|esp-256-aes esp-sha256-hmac" \
	"esp-chacha20-poly1305|esp-chacha20-poly1305" "esp-gcm 256|esp-gcm 256"; do
	ts=${tsn%|*} shown=${tsn#*|}
	stop_pids_keep_tcpdump
	vconf "$ts" >"$RUN/vtid-t.conf"
	start_vtid $H "$RUN/vtid-t.conf" "$RUN/vtid.sock" "$RUN/vtid-${ts// /_}.log"
	if wait_for 15 "line_up $RUN/vtid.sock Tunnel1" &&
		vsh "$RUN/vtid.sock" 'show crypto ipsec sa interface Tunnel1 json' | grep -q "\"transform\":\"$shown\"" &&
		ip netns exec $H ping -c 3 -i 0.2 -W 2 10.255.2.2 >/dev/null 2>&1; then
		pass "transport mode $ts against the kernel: up, 3 pings through GRE"
	else
		fail "transport mode $ts against the kernel" "$(tail -3 "$RUN/vtid-${ts// /_}.log")"
	fi
done
spis_v=$(spis "$RUN/vtid.sock" Tunnel1 | tr 'A-F' 'a-f')

# OSPF between FRR on the host side (over vtid's Tunnel1) and FRR in the
# guest (over the kernel's gre1): adjacency FULL, loopbacks exchanged.
F=$RUN/frr
mkdir -p "$F"
chmod 755 "$RUN"
ip -n $H addr add 10.88.0.1/32 dev lo
printf 'hostname host\nlog file %s/zebra.log\n' "$F" >"$F/zebra.conf"
cat >"$F/ospfd.conf" <<C
hostname host
log file $F/ospfd.log
interface Tunnel1
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
 ip ospf mtu-ignore
 ip ospf area 0
interface lo
 ip ospf area 0
 ip ospf passive
router ospf
 ospf router-id 10.88.0.1
 timers throttle lsa all 0
 timers lsa min-arrival 0
 timers throttle spf 0 50 500
C
chown -R frr:frr "$F"
for d in zebra ospfd; do
	ip netns exec $H /usr/lib/frr/$d -d -f "$F/$d.conf" -i "$F/$d.pid" -z "$F/zserv.api" \
		--vty_socket "$F" >>"$F/start.log" 2>&1 || fail "FRR $d on the host side" "$(tail -3 "$F/start.log")"
	wait_for 5 "[ -s $F/$d.pid ]"
	_pids+=("$(cat "$F/$d.pid")")
done
if wait_for 25 "ip -n $H route show 10.77.0.1 | grep -q 'dev Tunnel1 proto ospf'"; then
	pass "OSPF over GRE over ESP with the guest kernel: route to the guest's 10.77.0.1 via Tunnel1"
	ip netns exec $H ping -c 3 -i 0.2 -W 2 -I 10.88.0.1 10.77.0.1 >/dev/null 2>&1 &&
		pass "ping loopback to loopback over the OSPF routes (10.88.0.1 -> 10.77.0.1)" ||
		fail "ping loopback to loopback"
else
	fail "OSPF route to 10.77.0.1 via Tunnel1" "$(vtysh --vty_socket "$F" -c 'show ip ospf neighbor' 2>&1 | tail -2)"
fi

sleep 0.3
kill "${_pids[0]}" 2>/dev/null # tcpdump
wait "${_pids[0]}" 2>/dev/null
n_esp_out=$(tcpdump -n -r "$RUN/wan.pcap" "esp and src $VH" 2>/dev/null | wc -l)
n_esp_in=$(tcpdump -n -r "$RUN/wan.pcap" "esp and src $VG" 2>/dev/null | wc -l)
n_natt=$(tcpdump -n -r "$RUN/wan.pcap" "udp port 4500 and udp[8:4] != 0" 2>/dev/null | wc -l)
[ "$n_esp_out" -ge 9 ] && [ "$n_esp_in" -ge 9 ] && [ "$n_natt" = 0 ] &&
	pass "wire: raw ESP both ways ($n_esp_out out, $n_esp_in in), no ESP in UDP" ||
	fail "wire: raw ESP" "$n_esp_out out, $n_esp_in in, $n_natt ESP-in-UDP"
in_spi=${spis_v%/*} out_spi=${spis_v#*/}
tcpdump -n -r "$RUN/wan.pcap" "esp and src $VH" 2>/dev/null | tail -1 | grep -q "spi=$out_spi" &&
	pass "the last ESP packet from vtid carries the SPI vtid shows ($out_spi)" ||
	fail "SPI on the wire" "$(tcpdump -n -r "$RUN/wan.pcap" esp 2>/dev/null | tail -2)"

GRE=1 "$here/tshark-check.sh" "$RUN/wan.pcap" "$RUN/keys" "$RUN/ws" || _failed=1

# Stop the guest first: its TERM trap reports while the SAs still exist.
"$UML_PEER" --stop "$pidfile" >"$RUN/guest.out" 2>"$RUN/guest.err"
rm -f "$pidfile"
stop_pids
# The guest's own view: strongSwan's SA in TRANSPORT mode with vtid's SPIs,
# XFRM state counters, packets on gre1.
grep -q 'INSTALLED, TRANSPORT, ESP:AES_GCM_16-256' "$RUN/guest.out" &&
	grep -q "src $VG dst $VH\$" "$RUN/guest.out" && grep -q -E "proto esp spi $in_spi(\([0-9]+\))? reqid [0-9]+.* mode transport" "$RUN/guest.out" &&
	grep -q -E "proto esp spi $out_spi(\([0-9]+\))? reqid [0-9]+.* mode transport" "$RUN/guest.out" &&
	pass "guest: strongSwan's Child SA INSTALLED, TRANSPORT; the kernel's XFRM holds vtid's SPI pair $in_spi/$out_spi in transport mode" ||
	fail "guest SA state" "$(grep -E 'INSTALLED|proto esp' "$RUN/guest.out" | head -4)"
rx=$(awk '/== ip -s link show gre1/ { f = 1 } f && /RX:/ { getline; print $2; exit }' "$RUN/guest.out")
[ "${rx:-0}" -ge 6 ] && pass "guest: kernel gre1 received $rx packets from vtid" ||
	fail "guest gre1 counters" "$(sed -n '/== ip -s link show gre1/,/== charon/p' "$RUN/guest.out" | head -8)"
grep -q '10.88.0.1 .*Full' "$RUN/guest.out" && grep -q '10.88.0.1 nhid [0-9]* via 10.255.2.1 dev gre1 proto ospf\|10.88.0.1 via 10.255.2.1 dev gre1 proto ospf' "$RUN/guest.out" &&
	pass "guest: OSPF neighbor 10.88.0.1 Full on gre1, route to 10.88.0.1 via gre1" ||
	fail "guest OSPF state" "$(sed -n '/== show ip ospf neighbor/,/== ip -s xfrm/p' "$RUN/guest.out" | head -12 | tr '\n' '|')"
check_logs_clean "$RUN"/vtid*.log
finish
