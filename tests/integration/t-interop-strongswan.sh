#!/bin/bash
# vtid against strongSwan 5.9.8 (charon with kernel-libipsec) in two network
# namespaces: an independent IKEv2/ESP implementation judges vtid's wire.
#
#   ns A: vtid, wan0 198.51.100.1          ns B: charon, wan0 198.51.100.2
#   Tunnel1 192.168.1.2/24  ==ESP-in-UDP 4500==>  192.168.1.3 (lo of B)
#
# 1. native VTI (tunnel mode ipsec ipv4, ESP tunnel mode, 0/0 selectors):
#    four proposals x PFS on/off: IKE SA + Child SA up, ping, a Child rekey
#    started by vtid (with or without KE as configured on both sides), ping.
# 2. lifecycle: an iperf3 stream end to end, IKE rekey by vtid, Child and IKE rekey by strongSwan,
#    DPD both ways, Delete both ways, INITIAL_CONTACT after a vtid crash,
#    vtid as responder (its own IKE_SA_INIT requests dropped by tc), and
#    the proposal matrix again with strongSwan initiating.
# 3. GRE (tunnel mode gre ip) protected by ESP tunnel mode, selectors
#    A/32[gre] <-> B/32[gre]; GRE packets arrive on charon's ipsec0.
# 4. tshark over the capture of wan0: no malformed packet; with vtid's key
#    log it decrypts IKE_AUTH and the ESP payloads (inner ICMP and GRE).
# kernel-libipsec does tunnel mode in UDP 4500 only, so vtid runs with
# `nat force-encap` and tunnel-mode transform-sets here; transport mode and
# raw ESP are in tests/interop/t-uml-strongswan.sh (real kernel in UML).
set -u
. "$(dirname "$0")/lib.sh"
. "$TOP/tests/interop/swlib.sh"

command -v swanctl >/dev/null && [ -x /usr/lib/ipsec/charon ] || {
	echo "FAIL setup: strongSwan (charon, swanctl) not installed"
	exit 1
}
A=vtIa$$ B=vtIb$$
VA=198.51.100.1 VB=198.51.100.2 PSK=interop-s3cret
RUN=$(mktemp -d /tmp/vtid-interop.XXXXXX)
SW=$RUN/sw
cleanup() {
	stop_pids
	ip netns del $A 2>/dev/null
	ip netns del $B 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $RUN" || rm -rf "$RUN"
}
trap cleanup EXIT

ip netns add $A && ip netns add $B || { echo "FAIL setup: netns"; exit 1; }
# gso_max_segs 1: vtid hands the kernel UDP GSO batches of ESP packets; the
# capture on wan0 must see them cut into the datagrams the wire carries.
ip link add wan0 netns $A gso_max_segs 1 type veth peer name wan0 netns $B
for ns in $A $B; do ip -n $ns link set lo up; ip -n $ns link set wan0 up; done
ip -n $A addr add $VA/24 dev wan0
ip -n $B addr add $VB/24 dev wan0
ip -n $B addr add 192.168.1.3/32 dev lo
mkdir -p "$RUN/keys"

# Packets up to 1,200 bytes: IKE, pings, OSPF, TCP acknowledgements; not the
# iperf3 stream's full-size segments, tens of MB that made tshark's
# decryption passes below take from one to several minutes.
ip netns exec $A tcpdump -U -n -i wan0 -w "$RUN/wan.pcap" less 1200 >"$RUN/tcpdump.out" 2>&1 &
_pids+=($!)
wait_for 5 "grep -q listening $RUN/tcpdump.out"

# vconf IKE_ENC IKE_INTEG_OR_PRF_LINE GROUP ESP_TS PFS_LINE TUNNEL_MODE EXTRA_PROFILE_LINE
vconf() {
	cat <<EOF
hostname VT
crypto ikev2 keylog $RUN/keys
crypto ikev2 proposal P1
 encryption $1
 $2
 group $3
crypto ikev2 policy POL
 proposal P1
crypto ikev2 keyring KR
 peer SW
  address $VB
  pre-shared-key $PSK
crypto ikev2 profile PROF
 match identity remote address $VB 255.255.255.255
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
 nat force-encap
 $7
crypto ipsec transform-set TS $4
 mode tunnel
crypto ipsec profile IPP
 set transform-set TS
 set ikev2-profile PROF
 $5
interface Tunnel1
 ip address 192.168.1.2 255.255.255.0
 tunnel source $VA
 tunnel destination $VB
 tunnel mode $6
 tunnel protection ipsec profile IPP
EOF
}

VPID=""
vtid_start() {
	start_vtid $A "$1" "$RUN/a.sock" "$RUN/a.log.$2"
	VPID=${_pids[-1]}
}
vtid_stop() { # SIGNAL
	[ -n "$VPID" ] || return 0
	kill -"${1:-TERM}" "$VPID" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$VPID" 2>/dev/null || break; sleep 0.1; done
	wait "$VPID" 2>/dev/null
	VPID=""
	rm -f "$RUN/a.sock"
}
ping_b() { ip netns exec $A ping -c "${1:-2}" -i 0.2 -W 1 192.168.1.3 >/dev/null 2>&1; }
sw_reload() { # IKE ESP LOCAL_TS REMOTE_TS DPD [IKE_REKEY CHILD_REKEY]
	sw_conf $VB $VA $PSK "$1" "$2" "$3" "$4" none "$5" "${6:-0}" "${7:-0}" >"$SW/swanctl.conf"
	swctl $SW --terminate --ike vti --timeout 3 >/dev/null 2>&1
	sw_load $SW "$SW/swanctl.conf"
}
ike_count_vtid() { vsh "$RUN/a.sock" 'show crypto ikev2 sa json' 2>/dev/null | grep -c '"status":"READY"'; }

sw_start $B "$SW" || finish

# ---- 1. the proposal matrix, native VTI ----------------------------------
# name | vtid: encryption, integrity/prf line, group, transform, pfs group |
# strongSwan: IKE proposal, ESP proposal without the group, its group
matrix="aes256-sha256-modp2048|aes-cbc-256|integrity sha256|14|esp-aes 256 esp-sha256-hmac|group14|aes256-sha256-modp2048|aes256-sha256|modp2048
aes256gcm16-prfsha256-ecp256|aes-gcm-256|prf sha256|19|esp-gcm 256|group19|aes256gcm16-prfsha256-ecp256|aes256gcm16|ecp256
chacha20poly1305-prfsha256-x25519|chacha20-poly1305|prf sha256|31|esp-chacha20-poly1305|group31|chacha20poly1305-prfsha256-x25519|chacha20poly1305|curve25519
aes128-sha1-modp2048|aes-cbc-128|integrity sha1|14|esp-aes 128 esp-sha-hmac|group14|aes128-sha1-modp2048|aes128-sha1|modp2048"
n=0
while IFS='|' read -r name enc integ grp ts pfsg swike swesp swgrp; do
	for pfs in nopfs pfs; do
		n=$((n + 1))
		case="VTI $name $pfs"
		if [ $pfs = pfs ]; then
			pfsline="set pfs $pfsg" espprop="$swesp-$swgrp"
		else
			pfsline="" espprop="$swesp"
		fi
		vtid_stop
		sw_reload "$swike" "$espprop" 0.0.0.0/0 0.0.0.0/0 1s
		vconf "$enc" "$integ" "$grp" "$ts" "$pfsline" "ipsec ipv4" "" >"$RUN/a$n.conf"
		vtid_start "$RUN/a$n.conf" $n
		if ! wait_for 10 "line_up $RUN/a.sock Tunnel1"; then
			fail "$case: tunnel up" "$(tail -3 "$RUN/a.log.$n"; grep -E 'selected|NO_PROP|failed' "$SW/charon.log" | tail -3)"
			continue
		fi
		wait_for 5 ping_b 1 || { fail "$case: ping through the tunnel"; continue; }
		old=$(sw_child_spis $SW)
		vsh "$RUN/a.sock" 'crypto rekey ipsec interface Tunnel1' >/dev/null
		wait_for 5 "[ \"\$(sw_child_spis $SW)\" != \"$old\" ] && [ \$(sw_n_child $SW) = 1 ]"
		new=$(sw_child_spis $SW)
		lst=$(swctl $SW --list-sas)
		if [ $pfs = pfs ]; then
			grp_ok=$(echo "$lst" | grep -c "INSTALLED, TUNNEL-in-UDP, ESP:.*/${swgrp^^}\|INSTALLED, TUNNEL-in-UDP, ESP:.*/$(echo $swgrp | sed 's/modp2048/MODP_2048/;s/ecp256/ECP_256/;s/curve25519/CURVE_25519/')")
		else
			grp_ok=$(echo "$lst" | grep 'INSTALLED, TUNNEL-in-UDP, ESP:' | grep -v -c 'MODP\|ECP\|CURVE')
		fi
		if [ "$new" != "$old" ] && [ -n "$new" ] && [ "$grp_ok" = 1 ] && ping_b 2; then
			pass "$case: up, ping, Child rekey by vtid ($old -> $new), ping"
		else
			fail "$case: Child rekey by vtid" "spis $old -> $new; $(echo "$lst" | grep INSTALLED)"
		fi
	done
done <<<"$matrix"

# strongSwan's DPD (dpd_delay 1 s) against vtid: idle, then look for the
# empty INFORMATIONAL request and vtid's answer in charon's log.
before=$(grep -c 'parsed INFORMATIONAL response [0-9]* \[ \]' "$SW/charon.log")
sleep 2.5
after=$(grep -c 'parsed INFORMATIONAL response [0-9]* \[ \]' "$SW/charon.log")
[ "$after" -gt "$before" ] && line_up "$RUN/a.sock" Tunnel1 &&
	pass "DPD by strongSwan: vtid answers the empty INFORMATIONAL ($((after - before)) in 2.5 s idle)" ||
	fail "DPD by strongSwan answered" "$(grep INFORMATIONAL "$SW/charon.log" | tail -3)"

# ---- 2. lifecycle (AES-GCM, PFS ECP-256) ---------------------------------
vtid_stop
sw_reload aes256gcm16-prfsha256-ecp256 aes256gcm16-ecp256 0.0.0.0/0 0.0.0.0/0 0
vconf aes-gcm-256 "prf sha256" 19 "esp-gcm 256" "set pfs group19" "ipsec ipv4" "dpd 10 2 periodic" >"$RUN/life.conf"
vtid_start "$RUN/life.conf" life
wait_for 10 "line_up $RUN/a.sock Tunnel1" && ping_b 1 || fail "lifecycle: tunnel up" "$(tail -3 "$RUN/a.log.life")"

# One TCP stream end to end through the VTI (the figure is printed, not
# judged: kernel-libipsec's userspace ESP sets the pace).
ip netns exec $B iperf3 -s -1 -B 192.168.1.3 >"$RUN/iperf-s.txt" 2>&1 &
_pids+=($!)
wait_for 3 "ip netns exec $B ss -ltn | grep -q '192.168.1.3:5201'"
ip netns exec $A timeout 20 iperf3 -c 192.168.1.3 -t 3 -J >"$RUN/iperf.json" 2>&1
mbps=$(python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["end"]; print(int(e["sum_received"]["bits_per_second"] / 1e6), e["sum_received"]["bytes"])' "$RUN/iperf.json" 2>/dev/null)
[ "${mbps#* }" -gt 0 ] 2>/dev/null && line_up "$RUN/a.sock" Tunnel1 &&
	pass "iperf3 through the VTI to strongSwan: ${mbps%% *} Mbit/s, ${mbps#* } bytes received, tunnel still up" ||
	fail "iperf3 through the VTI" "$(head -c 300 "$RUN/iperf.json")"

old=$(sw_ike_spis $SW)
vsh "$RUN/a.sock" 'crypto rekey ikev2 interface Tunnel1' >/dev/null
wait_for 5 "[ \"\$(sw_ike_spis $SW)\" != \"$old\" ] && [ \$(sw_n_ike $SW) = 1 ]"
new=$(sw_ike_spis $SW)
[ "$new" != "$old" ] && [ "$(sw_n_ike $SW)" = 1 ] && [ "$(sw_n_child $SW)" = 1 ] && ping_b 2 &&
	pass "IKE rekey by vtid: strongSwan holds one new IKE SA ($new), the Child SA moved, ping" ||
	fail "IKE rekey by vtid" "$old -> $new; $(swctl $SW --list-sas | head -5)"

old=$(spis "$RUN/a.sock" Tunnel1)
swctl $SW --rekey --child vti >/dev/null 2>&1
wait_for 5 "[ \"\$(spis $RUN/a.sock Tunnel1)\" != \"$old\" ]"
new=$(spis "$RUN/a.sock" Tunnel1)
[ "$new" != "$old" ] && ping_b 2 && swctl $SW --list-sas | grep -q 'ESP:AES_GCM_16-256/ECP_256' &&
	pass "Child rekey by strongSwan (with KE, ECP-256): vtid $old -> $new, ping" ||
	fail "Child rekey by strongSwan" "$old -> $new; $(tail -3 "$RUN/a.log.life")"

old=$(sw_ike_spis $SW)
swctl $SW --rekey --ike vti >/dev/null 2>&1
wait_for 5 "[ \"\$(sw_ike_spis $SW)\" != \"$old\" ] && [ \$(ike_count_vtid) = 1 ]"
new=$(sw_ike_spis $SW)
[ "$new" != "$old" ] && [ "$(ike_count_vtid)" = 1 ] && line_up "$RUN/a.sock" Tunnel1 && ping_b 2 &&
	pass "IKE rekey by strongSwan: vtid holds one READY IKE SA, carrier stayed up, ping" ||
	fail "IKE rekey by strongSwan" "$old -> $new; vtid READY $(ike_count_vtid)"

# vtid's periodic DPD (10 s): nothing from strongSwan for 10 s, so vtid asks.
before=$(grep -c 'parsed INFORMATIONAL request [0-9]* \[ \]' "$SW/charon.log")
wait_for 14 "[ \$(grep -c 'parsed INFORMATIONAL request [0-9]* \[ \]' $SW/charon.log) -gt $before ]" &&
	sleep 0.3 && line_up "$RUN/a.sock" Tunnel1 &&
	pass "DPD by vtid after 10 s idle: strongSwan received the empty INFORMATIONAL, tunnel stays up" ||
	fail "DPD by vtid" "$(grep INFORMATIONAL "$SW/charon.log" | tail -3)"

# A VTI counts every packet it carries as encapsulated, as IOS does.
# strongSwan's ESP in UDP 4500 reaches the data plane's workers through
# their own socket on the port, not the IKE socket (udp_rx_esp stays 0).
enc=$(sa_field "$RUN/a.sock" Tunnel1 pkts_encaps) encr=$(sa_field "$RUN/a.sock" Tunnel1 pkts_encrypt)
dec=$(sa_field "$RUN/a.sock" Tunnel1 pkts_decaps)
viaike=$(vjson "$RUN/a.sock" 'show crypto ikev2 stats json' 'd["udp_rx_esp"]')
[ "${enc:-0}" -gt 0 ] && [ "$enc" -ge "$encr" ] && [ "${dec:-0}" -gt 0 ] && [ "$viaike" = 0 ] &&
	pass "VTI counters: pkts_encaps $enc, pkts_encrypt $encr; $dec decapsulated, all read by the workers (udp_rx_esp $viaike)" ||
	fail "VTI counters" "pkts_encaps '$enc', pkts_encrypt '$encr', pkts_decaps '$dec', udp_rx_esp '$viaike'"

# Delete from vtid: shutdown -> strongSwan drops the IKE SA at once, and
# vtid takes its response as the end of the exchange (RFC 7296 1.4.1).
mark=$(wc -l <"$RUN/a.log.life")
vsh "$RUN/a.sock" 'configure terminal' 'interface Tunnel1' 'shutdown' 'end' >/dev/null
wait_for 3 "[ \$(sw_n_ike $SW) = 0 ]" && grep -q 'parsed INFORMATIONAL request [0-9]* \[ D \]' "$SW/charon.log" &&
	pass "Delete by vtid (shutdown): strongSwan removed the IKE SA at once" ||
	fail "Delete by vtid" "$(swctl $SW --list-sas | head -3)"
wait_for 3 "vsh $RUN/a.sock 'show crypto ikev2 stats json' | grep -q '\"delete_acked\":[1-9]'" &&
	! tail -n +$((mark + 1)) "$RUN/a.log.life" | grep -q 'unknown IKE SA' &&
	pass "Delete by vtid: strongSwan's response completed the exchange (delete_acked), no unknown-SA warning" ||
	fail "Delete response after shutdown" "$(tail -n +$((mark + 1)) "$RUN/a.log.life" | tail -3)"
vsh "$RUN/a.sock" 'configure terminal' 'interface Tunnel1' 'no shutdown' 'end' >/dev/null
wait_for 10 "line_up $RUN/a.sock Tunnel1" && ping_b 1 && pass "no shutdown: back up" || fail "no shutdown: back up"

# Delete from strongSwan: vtid's carrier drops, the tunnel comes back.
old=$(spis "$RUN/a.sock" Tunnel1)
mark=$(wc -l <"$RUN/a.log.life")
since() { tail -n +$((mark + 1)) "$RUN/a.log.life"; }
swctl $SW --terminate --ike vti --timeout 3 >/dev/null 2>&1
wait_for 3 "since | grep -q 'Line protocol on Interface Tunnel1, changed state to down'" &&
	since | grep -q 'IKE SA down: deleted by peer' &&
	pass "Delete by strongSwan: vtid saw it and dropped carrier" ||
	fail "Delete by strongSwan" "$(since | tail -4)"
wait_for 15 "since | grep -q 'changed state to up' && line_up $RUN/a.sock Tunnel1" && ping_b 1 &&
	[ "$(spis "$RUN/a.sock" Tunnel1)" != "$old" ] &&
	pass "after the peer's Delete vtid re-initiated (new SPIs $(spis "$RUN/a.sock" Tunnel1)), ping" ||
	fail "re-initiation after the peer's Delete" "$(since | tail -3)"

# strongSwan deletes the only Child SA (not the IKE SA): vtid's carrier
# drops and the tunnel is back with a new Child SA.  (vtid answers by
# deleting the IKE SA too and re-initiates.)
old=$(spis "$RUN/a.sock" Tunnel1)
mark=$(wc -l <"$RUN/a.log.life")
swctl $SW --terminate --child vti --timeout 3 >/dev/null 2>&1
wait_for 3 "since | grep -q 'Line protocol on Interface Tunnel1, changed state to down'" &&
	wait_for 15 "since | grep -q 'changed state to up' && line_up $RUN/a.sock Tunnel1" && ping_b 1 &&
	[ "$(spis "$RUN/a.sock" Tunnel1)" != "$old" ] &&
	since | grep -q 'IKE SA down: Child SA deleted by peer' &&
	pass "Child SA Delete by strongSwan: carrier dropped ('IKE SA down: Child SA deleted by peer'), tunnel back with new SPIs, ping" ||
	fail "Child SA Delete by strongSwan" "$(since | tail -4)"

# INITIAL_CONTACT: vtid dies without a Delete, restarts; strongSwan must
# drop the stale IKE SA at once because of INITIAL_CONTACT.
vtid_stop KILL
[ "$(sw_n_ike $SW)" = 1 ] || fail "stale IKE SA present after kill -9" "$(sw_n_ike $SW)"
ic_before=$(grep -c 'N(INIT_CONTACT)' "$SW/charon.log")
vtid_start "$RUN/life.conf" ic
wait_for 10 "line_up $RUN/a.sock Tunnel1" && wait_for 3 "[ \$(sw_n_ike $SW) = 1 ]" &&
	[ "$(grep -c 'N(INIT_CONTACT)' "$SW/charon.log")" -gt "$ic_before" ] && ping_b 1 &&
	pass "INITIAL_CONTACT after a vtid crash: strongSwan keeps only the new IKE SA" ||
	fail "INITIAL_CONTACT" "IKE SAs on strongSwan: $(sw_n_ike $SW)"

# vtid as responder: a tc filter on strongSwan's ingress sinks vtid's own
# IKE_SA_INIT requests (UDP 500, Initiator flag 0x08 in byte 19 of the IKE
# header = byte 47 of the IP packet) into a dead veth, so only strongSwan's
# initiation can succeed.  (No gact here: mirred to a veth whose peer is
# down drops the packet.)
vtid_stop
swctl $SW --terminate --ike vti --timeout 3 >/dev/null 2>&1
ip -n $B link add sink0 type veth peer name sink1 && ip -n $B link set sink0 up &&
	tc -n $B qdisc add dev wan0 ingress &&
	tc -n $B filter add dev wan0 parent ffff: protocol ip prio 1 u32 match ip src $VA/32 \
		match ip protocol 17 0xff match ip dport 500 0xffff match u8 0x08 0x08 at 47 \
		action mirred egress redirect dev sink0 ||
	fail "tc filter for the responder case"
vtid_start "$RUN/life.conf" resp
sleep 0.5
swctl $SW --initiate --child vti --timeout 10 >"$RUN/init.out" 2>&1
if wait_for 5 "line_up $RUN/a.sock Tunnel1" &&
	vsh "$RUN/a.sock" 'show crypto ikev2 sa json' | tr -d ' \n' | grep -q '"role":"RESPONDER"' && ping_b 2 &&
	[ "$(ike_count_vtid)" = 1 ] && [ "$(sw_n_ike $SW)" = 1 ]; then
	pass "vtid as responder: strongSwan initiated, vtid holds one IKE SA as RESPONDER, ping"
else
	fail "vtid as responder" "$(tail -3 "$RUN/init.out"; tail -3 "$RUN/a.log.resp")"
fi

# The proposal matrix again with strongSwan initiating (the tc filter above
# still sinks vtid's own IKE_SA_INIT): vtid up as RESPONDER, ping, a Child
# rekey started by strongSwan (with KE when PFS is set), vtid's new inbound
# SA carries the PFS group or none, ping.
while IFS='|' read -r name enc integ grp ts pfsg swike swesp swgrp; do
	for pfs in nopfs pfs; do
		n=$((n + 1))
		case="VTI $name $pfs, vtid responder"
		if [ $pfs = pfs ]; then
			pfsline="set pfs $pfsg" espprop="$swesp-$swgrp" want="$pfsg"
		else
			pfsline="" espprop="$swesp" want=N
		fi
		vtid_stop
		sw_reload "$swike" "$espprop" 0.0.0.0/0 0.0.0.0/0 0
		vconf "$enc" "$integ" "$grp" "$ts" "$pfsline" "ipsec ipv4" "" >"$RUN/a$n.conf"
		vtid_start "$RUN/a$n.conf" $n
		sleep 0.5
		swctl $SW --initiate --child vti --timeout 10 >"$RUN/init$n.out" 2>&1
		if ! wait_for 5 "line_up $RUN/a.sock Tunnel1" ||
			! vsh "$RUN/a.sock" 'show crypto ikev2 sa json' | tr -d ' \n' | grep -q '"role":"RESPONDER"' ||
			! wait_for 5 ping_b 1; then
			fail "$case: up as responder, ping" "$(tail -2 "$RUN/init$n.out"; tail -2 "$RUN/a.log.$n")"
			continue
		fi
		old=$(spis "$RUN/a.sock" Tunnel1)
		swctl $SW --rekey --child vti >/dev/null 2>&1
		wait_for 5 "[ \"\$(spis $RUN/a.sock Tunnel1)\" != \"$old\" ]"
		new=$(spis "$RUN/a.sock" Tunnel1)
		got=$(vjson "$RUN/a.sock" 'show crypto ipsec sa json' 'd["interfaces"][0]["inbound"][0]["pfs_group"]')
		if [ "$new" != "$old" ] && [ "$got" = "$want" ] && [ "$(ike_count_vtid)" = 1 ] && ping_b 2; then
			pass "$case: up as RESPONDER, ping, Child rekey by strongSwan ($old -> $new, PFS $got), ping"
		else
			fail "$case: Child rekey by strongSwan" "spis $old -> $new, pfs '$got' (want $want), READY $(ike_count_vtid)"
		fi
	done
done <<<"$matrix"
tc -n $B qdisc del dev wan0 ingress

# Rekeys driven by strongSwan's lifetimes (Child rekey_time 3 s, IKE
# rekey_time 5 s, strongSwan's randomisation on top): vtid answers each
# CREATE_CHILD_SA; after 9 s the tunnel still carries traffic on one IKE SA.
vtid_stop
sw_reload aes256gcm16-prfsha256-ecp256 aes256gcm16-ecp256 0.0.0.0/0 0.0.0.0/0 0 5s 3s
vtid_start "$RUN/life.conf" lifetimes
wait_for 10 "line_up $RUN/a.sock Tunnel1" || fail "short lifetimes: tunnel up"
rk_c0=$(grep -c 'inbound CHILD_SA vti{[0-9]*} established' "$SW/charon.log")
rk_i0=$(grep -c 'IKE_SA vti\[[0-9]*\] rekeyed\|rekeying IKE_SA\|IKE_SA rekeyed' "$SW/charon.log")
ip netns exec $A ping -i 0.1 -c 90 -W 1 192.168.1.3 >"$RUN/ping-lt.txt" 2>&1
rk_c=$(($(grep -c 'inbound CHILD_SA vti{[0-9]*} established' "$SW/charon.log") - rk_c0))
rk_i=$(($(grep -c 'IKE_SA vti\[[0-9]*\] rekeyed\|rekeying IKE_SA\|IKE_SA rekeyed' "$SW/charon.log") - rk_i0))
rx=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$RUN/ping-lt.txt")
if [ "$rk_c" -ge 1 ] && [ "$rk_i" -ge 1 ] && [ "${rx:-0}" -ge 88 ] && [ "$(ike_count_vtid)" = 1 ] && line_up "$RUN/a.sock" Tunnel1; then
	pass "rekeys by strongSwan's short lifetimes: $rk_c Child and $rk_i IKE rekeys in 9 s, $rx/90 pings answered, one IKE SA on vtid"
else
	fail "rekeys by strongSwan's lifetimes" "child $rk_c ike $rk_i pings $rx/90 vtid READY $(ike_count_vtid)"
fi

# ---- 3. GRE protected by ESP tunnel mode, selectors A/32[gre] <-> B/32[gre]
vtid_stop
sw_reload aes256gcm16-prfsha256-ecp256 aes256gcm16 $VB/32[gre] $VA/32[gre] 0
vconf aes-gcm-256 "prf sha256" 19 "esp-gcm 256" "" "gre ip" "" |
	sed 's/192.168.1.2 /192.168.2.2 /' >"$RUN/gre.conf"
ip netns exec $B tcpdump -U -n -i ipsec0 -w "$RUN/ipsec0.pcap" proto 47 >"$RUN/tcpdump0.out" 2>&1 &
_pids+=($!)
tpid=${_pids[-1]}
wait_for 5 "grep -q listening $RUN/tcpdump0.out"
vtid_start "$RUN/gre.conf" gre
if wait_for 10 "line_up $RUN/a.sock Tunnel1"; then
	swctl $SW --list-sas | grep -q "local  $VB/32\[gre\]" && swctl $SW --list-sas | grep -q "remote $VA/32\[gre\]" &&
		pass "GRE child: strongSwan installed $VB/32[gre] === $VA/32[gre] in tunnel mode" ||
		fail "GRE child selectors" "$(swctl $SW --list-sas | tail -4)"
	ip netns exec $A ping -c 5 -i 0.2 -W 1 192.168.2.3 >/dev/null 2>&1
	sleep 0.5
	kill $tpid 2>/dev/null
	wait $tpid 2>/dev/null
	ngre=$(tcpdump -n -r "$RUN/ipsec0.pcap" 2>/dev/null | grep -c "IP $VA > $VB: GREv0.*ICMP echo request")
	[ "$ngre" -ge 5 ] && pass "GRE over ESP: $ngre GRE packets (ICMP inside) decrypted by strongSwan onto ipsec0" ||
		fail "GRE packets on strongSwan's ipsec0" "$ngre; $(tcpdump -n -r "$RUN/ipsec0.pcap" 2>/dev/null | head -3)"
else
	fail "GRE child up" "$(tail -3 "$RUN/a.log.gre"; grep -E 'TS_UNACC|NO_PROP|failed' "$SW/charon.log" | tail -3)"
fi

# ---- 4. tshark judges the capture ----------------------------------------
vtid_stop
sleep 0.3
kill "${_pids[0]}" 2>/dev/null # tcpdump on wan0
wait "${_pids[0]}" 2>/dev/null
if command -v tshark >/dev/null; then
	GRE=1 "$TOP/tests/interop/tshark-check.sh" "$RUN/wan.pcap" "$RUN/keys" "$RUN/ws" || _failed=1
else
	fail "tshark not installed"
fi

stop_pids
check_logs_clean "$RUN"/a.log.*
finish
