#!/bin/bash
# vtid with `dataplane kernel` (GRE device + XFRM through libnl) inside a
# user-mode-linux guest, against vtid with the userspace backend in a host
# namespace: GRE over ESP transport, AES-GCM-256, PSK.
#
#   ns H: vtid (userspace), h0 192.0.2.1  <-veth->  u0 (ns U) ==raw== vec0 192.0.2.2 (guest)
#   Tunnel1 10.255.3.1/30 (TUN)  ==GRE, ESP transport==  Tunnel1 10.255.3.2/30 (kernel gre)
#
# Checks: `dataplane auto` picks userspace on the host kernel and kernel in
# the guest; `dataplane kernel` refuses to start on the host, naming what is
# missing; the SA comes up; pings both ways through the Tunnel devices;
# both ends' SA packet counters agree; in the guest Tunnel1 is a kernel GRE
# device in vtid's group, `ip xfrm state` holds exactly the two ESP states
# (transport, vtid's reqid) and `ip xfrm policy` the two protocol-47
# policies; 10 Child rekeys (host and guest in turn) and an IKE rekey
# under a 100 pps ping lose nothing; a kB lifetime rekeys from the kernel's
# soft expiry; `shutdown` removes the states, vtid's exit the policies and
# the device; a vtid killed with SIGKILL leaves them, the next one removes
# the leftovers and brings the tunnel back.  Then the same two vtids again
# (`variant`) with `tunnel mode ipsec ipv4` (a kernel vti device, ESP
# tunnel mode, 0/0 policies and states carrying its mark) and with `nat
# force-encap` (ESP in UDP 4500 by the kernel, the WAN capture holds
# nothing else): up, pings both ways, counters agree, the ten Child rekeys
# and the IKE rekey under a ping with no loss, shutdown, a clean exit.
# `ip xfrm state flush` in the guest: the kernel's acquire makes vtid
# negotiate a new pair.
# The guest runs the host's build through hostfs (tests/interop/uml-run,
# agent tests/interop/guest/vtid-agent.sh).  Needs root, user-mode-linux
# and kmod.  About a minute.
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib.sh"
. "$here/umlib.sh"
UML_PEER=${UML_PEER:-$here/uml-run}
[ -x "$UML_PEER" ] && [ -x /usr/bin/linux.uml ] || {
	echo "FAIL setup: needs $UML_PEER and /usr/bin/linux.uml (user-mode-linux)"
	exit 1
}
# ASan cannot run in user-mode-linux: with a sanitizer build the host side
# runs it, the guest the plain build of the same tree (`make check` passes
# its folder as VTID_GUEST_BUILD).
uml_guest_bins || exit 1
H=vtKh$$ U=vtKu$$
VH=192.0.2.1 VG=192.0.2.2 PSK=uml-kernel-s3cret
TH=10.255.3.1 TG=10.255.3.2
RUN=$(mktemp -d /var/tmp/vtid-umlk.XXXXXX)
pidfile=$RUN/guest.pid
share=''
cleanup() {
	stop_pids
	[ -e "$pidfile" ] && "$UML_PEER" --stop "$pidfile" >"$RUN/guest.out" 2>"$RUN/guest.err"
	ip netns del $H 2>/dev/null
	ip netns del $U 2>/dev/null
	[ -n "${KEEP:-}" ] && echo "kept $RUN" || rm -rf "$RUN"
}
trap cleanup EXIT
t0=$(date +%s%N)
el() { echo "$((($(date +%s%N) - t0) / 1000000)) ms"; }

ip netns add $H && ip netns add $U || { echo "FAIL setup: netns"; exit 1; }
ip -n $H link add h0 type veth peer name u0 netns $U
ip -n $H link set lo up
ip -n $H link set h0 up
ip -n $U link set u0 up
ip -n $H addr add $VH/24 dev h0
# The guest reads u0 through a raw packet socket without virtio headers: a
# UDP GSO super-packet (the userspace data plane batches ESP in UDP when a
# worker has several packets queued) would reach it whole, as one datagram
# that fails its ICV.  A real NIC or a namespace's stack gets segments, so
# h0 segments in software here (at most 1 segment per GSO packet).
ip -n $H link set dev h0 gso_max_segs 1

# `dataplane kernel` where the kernel has no GRE/ESP: vtid refuses to start.
# $VTI: native VTI (tunnel mode ipsec ipv4, ESP tunnel mode); $NATT: nat force-encap
VTI='' NATT=''
vconf() { # SELF PEER TUNNEL_ADDR DATAPLANE [LIFETIME_KB]
cat <<C
hostname K${1##*.}
dataplane $4
crypto ikev2 proposal P1
 encryption aes-gcm-256
 prf sha256
 group 19
crypto ikev2 policy POL
 proposal P1
crypto ikev2 keyring KR
 peer PEER
  address $2
  pre-shared-key $PSK
crypto ikev2 profile PROF
 match identity remote address $2 255.255.255.255
 authentication remote pre-share
 authentication local pre-share
 keyring local KR${NATT:+
 nat force-encap}
crypto ipsec transform-set TS esp-gcm 256
 mode $([ -n "$VTI" ] && echo tunnel || echo transport)
crypto ipsec profile IPP
 set transform-set TS
 set ikev2-profile PROF${5:+
 set security-association lifetime kilobytes $5}
interface Tunnel1
 ip address $3 255.255.255.252
 tunnel source $1
 tunnel destination $2${VTI:+
 tunnel mode ipsec ipv4}
 tunnel protection ipsec profile IPP
C
}
vconf $VH $VG $TH kernel >"$RUN/host-kernel.conf"
ip netns exec $H timeout 20 "$VTID" -F -f "$RUN/host-kernel.conf" -s "$RUN/hk.sock" \
	--frr-vty-socket /nonexistent >"$RUN/host-kernel.log" 2>&1
rc=$?
if [ $rc != 0 ] && [ $rc != 124 ] && grep -q 'dataplane kernel: not available here: the kernel cannot create a GRE device' "$RUN/host-kernel.log"; then
	pass "host kernel: dataplane kernel refused at start: $(grep -o 'the kernel cannot create a GRE device: [^(]*' "$RUN/host-kernel.log")"
else
	fail "dataplane kernel on the host kernel refused" "rc $rc: $(tail -3 "$RUN/host-kernel.log")"
fi
ip -n $H link show | grep -q vtidprobe && fail "host: the probe device was left behind"

"$UML_PEER" --netns $U --ifname u0 --guest-script "$here/guest/vtid-agent.sh" \
	--background "$pidfile" --mac 02:00:00:00:00:02 --timeout 60 --quiet \
	--env LOCAL_IP=$VG >"$RUN/guest-start.out" 2>&1 || {
	echo "FAIL UML guest did not become ready: $(tail -5 "$RUN/guest-start.out")"
	exit 1
}
# shellcheck source=/dev/null
. "$pidfile"
share=$uml_work/share
uml_share_bins "$share" || exit 1
pass "UML guest ready with GRE, ESP, XFRM ($(el))"

# gx 'COMMAND' [SECONDS]: run COMMAND in the guest, print its output, its status
gx() { uml_gx "$share" "$@"; }
# guest commands see the share as $UML_PEER_SHARE, the host as $share
GV="$GVTID -F -f \$UML_PEER_SHARE/guest.conf -s /run/vtidk.sock --frr-vty-socket /nonexistent"
GSH="$GVTISH -s /run/vtidk.sock"
# gstart LOG: vtid in the guest, in the background, its pid in /run/vtidk.pid
gstart() {
	gx "rm -f /run/vtidk.sock; $GV >\$UML_PEER_SHARE/$1 2>&1 & echo \$! >/run/vtidk.pid
		i=0; until [ -S /run/vtidk.sock ] || [ \$i -ge 100 ]; do sleep 0.2; i=\$((i + 1)); done
		[ -S /run/vtidk.sock ]" 40 >/dev/null
}
gsh() { gx "$GSH -c '$1'"; }
gline_up() { gsh "show interfaces Tunnel1 json" 2>/dev/null | grep -q '"line_protocol":"up"'; }
# a counter of the guest's `show crypto ipsec sa json`: gsa DIR KEY
gsa() { gsh "show crypto ipsec sa interface Tunnel1 json" | python3 -c "
import json,sys; d=json.load(sys.stdin)['interfaces'][0]; print(d['$1'][0]['$2'])"; }
hsa() { vjson "$RUN/vtid.sock" "show crypto ipsec sa interface Tunnel1 json" "d['interfaces'][0]['$1'][0]['$2']"; }

# the guest's SAs live 2560 kB (the least IOS allows): the kernel counts
# it, its soft expiry (90 %) makes the guest rekey, below
vconf $VG $VH $TG kernel 2560 >"$share/guest.conf"
vconf $VH $VG $TH auto >"$RUN/host.conf"
gstart vtid-guest.log || fail "vtid with dataplane kernel started in the guest" "$(tail -5 "$share/vtid-guest.log")"
start_vtid $H "$RUN/host.conf" "$RUN/vtid.sock" "$RUN/vtid.log"
grep -q 'dataplane: userspace (auto: the kernel cannot create a GRE device' "$RUN/vtid.log" &&
	pass "host: dataplane auto picked userspace: $(grep -o 'dataplane: userspace.*(needs' "$RUN/vtid.log")" ||
	fail "host: dataplane auto picks userspace" "$(grep dataplane "$RUN/vtid.log")"
grep -q 'dataplane: kernel (the kernel creates GRE devices and ESP states' "$share/vtid-guest.log" &&
	pass "guest: dataplane kernel accepted: the probe created and removed a GRE device and an ESP state" ||
	fail "guest: dataplane kernel accepted" "$(grep -i 'dataplane' "$share/vtid-guest.log")"

if wait_for 20 "line_up $RUN/vtid.sock Tunnel1" && wait_for 5 gline_up; then
	pass "Tunnel1 up on both ends: userspace vtid <-> kernel vtid ($(el))"
else
	fail "Tunnel1 up on both ends" "$(tail -5 "$RUN/vtid.log"; tail -5 "$share/vtid-guest.log")"
fi

# The guest's kernel objects, once settled: both ends initiate, and the
# pair of the IKE SA that lost keeps its inbound state a few seconds.
nstates() { gx 'ip xfrm state' | grep -c '^src'; }
wait_for 10 '[ "$(nstates)" = 2 ]'
d=$(gx "ip -d link show Tunnel1")
echo "$d" | grep -q "gre remote $VH local $VG ttl 64" && echo "$d" | grep -q 'group 30324' &&
	echo "$d" | grep -q '<POINTOPOINT,NOARP,UP,LOWER_UP>' &&
	pass "guest: Tunnel1 is a kernel GRE device ($VG -> $VH, ttl 64), up, in vtid's group 30324" ||
	fail "guest: Tunnel1 a kernel GRE device" "$(echo "$d" | head -4 | tr '\n' '|')"
st=$(gx "ip xfrm state")
nst=$(echo "$st" | grep -c '^src')
nours=$(echo "$st" | grep -c -E 'proto esp spi 0x[0-9a-f]+ reqid 19873[0-9]{5} mode transport')
[ "$nst" = 2 ] && [ "$nours" = 2 ] && echo "$st" | grep -q "aead rfc4106(gcm(aes)) 0x[0-9a-f]* 128" &&
	pass "guest: ip xfrm state holds exactly the two ESP transport states, rfc4106(gcm(aes)), vtid's reqid" ||
	fail "guest: two ESP states" "$nst states, $nours vtid's: $(echo "$st" | grep -E '^src|proto' | tr '\n' '|')"
po=$(gx "ip xfrm policy")
echo "$po" | grep -q "src $VG/32 dst $VH/32 proto gre" && echo "$po" | grep -q "src $VH/32 dst $VG/32 proto gre" &&
	[ "$(echo "$po" | grep -c '^src')" = 2 ] && echo "$po" | grep -q 'dir out' && echo "$po" | grep -q 'dir in' &&
	[ "$(echo "$po" | grep -c -E 'proto esp reqid 19873[0-9]{5} mode transport')" = 2 ] &&
	pass "guest: ip xfrm policy holds the protocol-47 policies out and in, ESP transport templates" ||
	fail "guest: XFRM policies" "$(echo "$po" | tr '\n' '|')"
gsh "show crypto ipsec sa interface Tunnel1 json" | tr -d ' \n' | grep -q '"transform":"esp-gcm256","key_bits":256,"mode":"Transport"' &&
	pass "guest: show crypto ipsec sa: esp-gcm 256, transport" ||
	fail "guest: show crypto ipsec sa" "$(gsh 'show crypto ipsec sa interface Tunnel1 json' | head -20 | tr -d '\n')"

# Real packets both ways.
ip netns exec $H ping -c 5 -i 0.2 -W 2 $TG >"$RUN/ping1.out" 2>&1 &&
	pass "ping host Tunnel1 -> guest Tunnel1 (kernel GRE over kernel ESP): $(grep -o '[0-9]* received' "$RUN/ping1.out")" ||
	fail "ping host -> guest through the tunnel" "$(tail -2 "$RUN/ping1.out")"
gx "ping -c 5 -i 0.2 -W 2 $TH" >"$RUN/ping2.out" 2>&1 &&
	pass "ping guest Tunnel1 -> host Tunnel1: $(grep -o '[0-9]* received' "$RUN/ping2.out")" ||
	fail "ping guest -> host through the tunnel" "$(tail -2 "$RUN/ping2.out")"
sleep 0.3
ho=$(hsa outbound packets) hi=$(hsa inbound packets)
go=$(gsa outbound packets) gi=$(gsa inbound packets)
[ "${ho:-0}" -ge 10 ] && [ "$ho" = "$gi" ] && [ "$go" = "$hi" ] &&
	pass "counters agree: host out $ho = guest in $gi, guest out $go = host in $hi" ||
	fail "counters agree" "host out $ho in $hi, guest out $go in $gi"
genc=$(gsh "show crypto ipsec sa interface Tunnel1 json" | python3 -c "
import json,sys; d=json.load(sys.stdin)['interfaces'][0]; print(d['pkts_encaps'], d['pkts_decaps'])")
[ "${genc% *}" = "$go" ] && [ "${genc#* }" = "$gi" ] &&
	pass "guest: the device's GRE counters equal the SAs' ($genc)" ||
	fail "guest: link counters" "encaps/decaps $genc, SA out $go in $gi"

# Make-before-break under a 100 pps ping: 10 Child rekeys started in turn
# by the host and by the guest, then an IKE rekey by the guest; nothing
# lost.  The guest answering the host's rekey parks its new outbound state
# (a reqid no policy names) until the host uses the new pair: debug shows it.
# rekeys PREFIX GUESTLOG: that, with PREFIX before each check's name.
rekeys() {
	local P=$1 L=$2 old_ike first fp rk0 nrk seen parked cur new gout rkms new_ike running loss
	old_ike=$(hike)
	first=$(spis "$RUN/vtid.sock" Tunnel1)
	ip netns exec $H ping -q -c 1200 -i 0.01 -W 1 $TG >"$RUN/rekeys$L.out" 2>&1 &
	fp=$!
	sleep 0.5
	rk0=$(date +%s%N) nrk=0 seen=" $first " parked=''
	for i in $(seq 10); do
		cur=$(spis "$RUN/vtid.sock" Tunnel1)
		if [ $((i % 2)) = 1 ]; then
			vsh "$RUN/vtid.sock" 'crypto rekey ipsec interface Tunnel1' >/dev/null
		else
			gsh 'crypto rekey ipsec interface Tunnel1' >/dev/null
		fi
		wait_for 5 "[ \"\$(spis $RUN/vtid.sock Tunnel1)\" != \"$cur\" ]" || break
		new=$(spis "$RUN/vtid.sock" Tunnel1)
		case $seen in *" $new "*) break ;; esac # a pair seen before is no rekey
		seen="$seen$new " nrk=$i
		if [ $i = 1 ]; then # the guest answered: its outbound SA waited for the host
			gout=$(echo "${new%/*}" | sed 's/^0x//' | tr 'A-F' 'a-f')
			wait_for 3 "grep -q 'Tunnel1: outbound SA $gout is current' $share/$L"
			grep -q "Tunnel1 SA $gout out added, waiting for the peer" "$share/$L" &&
				grep -q "Tunnel1: outbound SA $gout is current" "$share/$L" && parked=$gout
		fi
		sleep 0.2
	done
	rkms=$((($(date +%s%N) - rk0) / 1000000))
	gsh 'crypto rekey ikev2 interface Tunnel1' >/dev/null
	wait_for 5 "h=\$(hike); [ -n \"\$h\" ] && [ \"\$h\" != \"$old_ike\" ] && [ \"\${h#* }\" = \"\$h\" ]"
	new_ike=$(hike)
	running=no
	kill -0 $fp 2>/dev/null && running=yes
	wait $fp
	loss=$(grep -o '[0-9]* received, [0-9.]*% packet loss' "$RUN/rekeys$L.out")
	[ $nrk = 10 ] && pass "${P}10 Child rekeys, host and guest in turn, each a new pair ($first -> ${new:-?}, ${rkms} ms)" ||
		fail "${P}10 Child rekeys" "only $nrk: SPIs seen$seen; guest: $(grep -i -e rekey -e error "$share/$L" | tail -3 | tr '\n' '|')"
	[ -n "$parked" ] && pass "${P}guest answered the host's rekey: outbound $parked parked, then current" ||
		fail "${P}guest: deferred outbound SA parked, then current" "$(grep "kernel dataplane" "$share/$L" | tail -4 | tr '\n' '|')"
	[ -n "$new_ike" ] && [ "$new_ike" != "$old_ike" ] && [ "${new_ike#* }" = "$new_ike" ] &&
		pass "${P}IKE rekey by the guest: the host holds one new IKE SA ($old_ike -> $new_ike)" ||
		fail "${P}IKE rekey by the guest" "'$old_ike' -> '$new_ike'"
	[ $running = yes ] && [ "$loss" = "1200 received, 0% packet loss" ] &&
		pass "${P}no loss: ten Child rekeys and an IKE rekey under a 100 pps ping, $loss" ||
		fail "${P}no loss across the rekeys" "ping still running at the end: $running; $(tail -2 "$RUN/rekeys$L.out" | tr '\n' ' ')"
	# the old pairs are gone after the linger: two states again
	if wait_for 10 '[ "$(nstates)" = 2 ]'; then
		pass "${P}guest: after the rekeys, exactly two states again"
	else
		fail "${P}guest: old states removed after rekeys" "$(gx 'ip xfrm state' | grep -c '^src') states"
	fi
	ip netns exec $H ping -c 3 -i 0.2 -W 2 $TG >/dev/null 2>&1 && pass "${P}ping after the rekeys" || fail "${P}ping after the rekeys"
}
gsh 'debug crypto ipsec' >/dev/null
# the host's READY IKE SAs, "spi_i/spi_r ..."
hike() { vjson "$RUN/vtid.sock" "show crypto ikev2 sa json" "' '.join(s['spi_i']+'/'+s['spi_r'] for s in d['sas'] if s['status']=='READY')"; }
rekeys "" vtid-guest.log

# A kB lifetime in the kernel: 2000 pings of 1300 bytes pass the soft
# limit of the guest's states (2304 kB); XFRM_MSG_EXPIRE -> IKE rekeys.
# 500 pps: the 10 % left to the hard limit last 0.4 s, time enough for a
# rekey in the slow guest (a flood ping crosses them in 50 ms).
old=$(spis "$RUN/vtid.sock" Tunnel1)
ip netns exec $H ping -q -i 0.002 -c 2000 -s 1300 -W 1 $TG >"$RUN/lifetime.out" 2>&1
if wait_for 10 "grep -q 'reached its soft lifetime' $share/vtid-guest.log" &&
	wait_for 10 "[ \"\$(spis $RUN/vtid.sock Tunnel1)\" != \"$old\" ]"; then
	pass "kB lifetime: the kernel's soft expiry made the guest rekey ($old -> $(spis "$RUN/vtid.sock" Tunnel1)); $(grep -o '[0-9]* received, [0-9.]*% packet loss' "$RUN/lifetime.out")"
else
	fail "kB lifetime: soft expiry from the kernel" "$(grep -e lifetime -e rekey "$share/vtid-guest.log" | tail -3; tail -2 "$RUN/lifetime.out")"
fi
grep -q ' 0% packet loss' "$RUN/lifetime.out" || fail "no loss across the lifetime rekey" "$(tail -2 "$RUN/lifetime.out")"
wait_for 10 '[ "$(nstates)" = 2 ]'

# Our states removed behind vtid's back (`ip xfrm state flush`): the next
# packet out of the guest matches the policy with no state, the kernel
# asks (XFRM acquire) and vtid negotiates a new pair; pings pass again.
old=$(spis "$RUN/vtid.sock" Tunnel1)
gx 'ip xfrm state flush' >/dev/null
if wait_for 20 "gx 'ping -c 1 -W 1 $TH' >/dev/null" &&
	grep -q 'Tunnel1: the kernel has no ESP state for the tunnel.s traffic (XFRM acquire' "$share/vtid-guest.log" &&
	[ "$(spis "$RUN/vtid.sock" Tunnel1)" != "$old" ]; then
	pass "states flushed in the guest: the kernel's acquire made vtid negotiate a new pair ($old -> $(spis "$RUN/vtid.sock" Tunnel1)), pings pass"
else
	fail "acquire after ip xfrm state flush" "$(grep -i -e acquire -e rekey "$share/vtid-guest.log" | tail -3 | tr '\n' '|')"
fi
wait_for 10 '[ "$(nstates)" = 2 ]'

# shutdown: the states go; vtid's exit: the policies and the device go.
# shut PREFIX: `shutdown` on the guest's Tunnel1 removes both states
shut() {
	gx "$GSH -c 'configure terminal' -c 'interface Tunnel1' -c 'shutdown' -c 'end'" >/dev/null
	if wait_for 5 "[ -z \"\$(gx 'ip xfrm state')\" ]" && gx "ip link show Tunnel1" | grep -q 'state DOWN'; then
		pass "${1}guest: shutdown removed both states, Tunnel1 down"
	else
		fail "${1}guest: shutdown" "$(gx 'ip xfrm state; ip link show Tunnel1' | tr '\n' '|')"
	fi
}
shut ""
gx 'kill $(cat /run/vtidk.pid); i=0; while kill -0 $(cat /run/vtidk.pid) 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done' >/dev/null
left=$(gx "ip xfrm state; ip xfrm policy; ip -o link show group 30324; ip -o link show | grep -i -e tunnel1 -e vtidprobe")
[ -z "$left" ] && pass "guest: vtid's exit left no state, policy or device behind" ||
	fail "guest: clean exit" "$(echo "$left" | tr '\n' '|')"

# SIGKILL: the leftovers stay; the next vtid (dataplane auto) removes them
# and brings the tunnel back.
vconf $VG $VH $TG auto 2560 >"$share/guest.conf"
gstart vtid-guest2.log
wait_for 20 "line_up $RUN/vtid.sock Tunnel1" && wait_for 5 gline_up
grep -q 'dataplane: kernel (auto: the kernel creates GRE devices and ESP states' "$share/vtid-guest2.log" &&
	pass "guest: dataplane auto picked kernel" ||
	fail "guest: dataplane auto picks kernel" "$(grep -i dataplane "$share/vtid-guest2.log")"
# settled first (no pair of a simultaneous start lingering): two states
wait_for 10 '[ "$(nstates)" = 2 ]'
gx 'kill -9 $(cat /run/vtidk.pid); sleep 0.3' >/dev/null
left=$(gx "ip xfrm state | grep -c '^src'; ip -o link show group 30324 | grep -c Tunnel1")
[ "$(echo $left)" = "2 1" ] && pass "guest: vtid killed with SIGKILL left 2 states and Tunnel1" ||
	fail "guest: leftovers after SIGKILL" "$(echo $left)"
gstart vtid-guest3.log
grep -q 'removed what an earlier vtid left: 1 device, 4 XFRM states and policies' "$share/vtid-guest3.log" &&
	pass "guest: the next vtid removed the leftovers: $(grep -o 'removed what.*' "$share/vtid-guest3.log")" ||
	fail "guest: leftovers removed at start" "$(grep -i -e removed -e error "$share/vtid-guest3.log" | head -3)"
if wait_for 30 "line_up $RUN/vtid.sock Tunnel1" && wait_for 10 gline_up &&
	wait_for 10 "ip netns exec $H ping -c 1 -W 1 $TG >/dev/null"; then
	pass "tunnel back after the restart, ping ($(el))"
else
	fail "tunnel back after the restart" "$(tail -5 "$share/vtid-guest3.log")"
fi
[ "$(gx "ip xfrm state" | grep -c '^src')" = 2 ] && pass "guest: two states after the restart" ||
	fail "guest: states after restart" "$(gx 'ip xfrm state' | grep -c '^src')"
gx 'kill $(cat /run/vtidk.pid); i=0; while kill -0 $(cat /run/vtidk.pid) 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done' >/dev/null
left=$(gx "ip xfrm state; ip xfrm policy; ip -o link show group 30324")
[ -z "$left" ] && pass "guest: nothing of vtid's left after the last exit" ||
	fail "guest: clean last exit" "$(echo "$left" | tr '\n' '|')"

# gstop: vtid in the guest exits (SIGTERM) and is waited for
gstop() {
	gx 'kill $(cat /run/vtidk.pid); i=0; while kill -0 $(cat /run/vtidk.pid) 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done' >/dev/null
}
# variant NAME: the same two vtids again, configured by $VTI and $NATT:
# up, the kernel objects, pings both ways, counters agree, the ten Child
# rekeys and the IKE rekey under a ping, shutdown, a clean exit.
variant() {
	local v=$1 d st po
	stop_pids
	vconf $VG $VH $TG kernel >"$share/guest.conf"
	vconf $VH $VG $TH userspace >"$RUN/host-$v.conf"
	gstart vtid-guest-$v.log || fail "$v: vtid started in the guest" "$(tail -5 "$share/vtid-guest-$v.log")"
	start_vtid $H "$RUN/host-$v.conf" "$RUN/vtid.sock" "$RUN/vtid-$v.log"
	if wait_for 20 "line_up $RUN/vtid.sock Tunnel1" && wait_for 5 gline_up; then
		pass "$v: Tunnel1 up on both ends ($(el))"
	else
		fail "$v: Tunnel1 up on both ends" "$(tail -5 "$RUN/vtid-$v.log"; tail -5 "$share/vtid-guest-$v.log")"
	fi
	wait_for 10 '[ "$(nstates)" = 2 ]'
	d=$(gx "ip -d link show Tunnel1") st=$(gx "ip xfrm state") po=$(gx "ip xfrm policy")
	if [ -n "$VTI" ]; then
		# the mark is the link's reqid (slot 1 here: the first link)
		echo "$d" | grep -q "vti remote $VH local $VG ikey 118.116.0.2 okey 118.116.0.2" &&
			echo "$d" | grep -q 'group 30324' && echo "$d" | grep -q '<POINTOPOINT,NOARP,UP,LOWER_UP>' &&
			pass "vti: Tunnel1 is a kernel vti device ($VG -> $VH, ikey = okey = 118.116.0.2, the mark 0x76740002), up, in vtid's group" ||
			fail "vti: Tunnel1 a kernel vti device" "$(echo "$d" | head -4 | tr '\n' '|')"
		[ "$(echo "$st" | grep -c -E 'proto esp spi 0x[0-9a-f]+ reqid 1987313666 mode tunnel')" = 2 ] &&
			[ "$(echo "$st" | grep -c 'mark 0x76740002/0xffffffff')" = 2 ] &&
			[ "$(echo "$st" | grep -c '^src')" = 2 ] &&
			pass "vti: two ESP tunnel-mode states carrying the mark" ||
			fail "vti: two tunnel-mode states with the mark" "$(echo "$st" | grep -E '^src|proto|mark|sel' | tr '\n' '|')"
		[ "$(echo "$po" | grep -c '^src 0.0.0.0/0 dst 0.0.0.0/0')" = 2 ] &&
			[ "$(echo "$po" | grep -c 'mark 0x76740002/0xffffffff')" = 2 ] &&
			[ "$(echo "$po" | grep -c -E 'proto esp reqid 1987313666 mode tunnel')" = 2 ] &&
			echo "$po" | grep -q "tmpl src $VG dst $VH" && echo "$po" | grep -q "tmpl src $VH dst $VG" &&
			pass "vti: policies 0.0.0.0/0 <-> 0.0.0.0/0 out and in with the mark, ESP tunnel templates between the endpoints" ||
			fail "vti: policies" "$(echo "$po" | tr '\n' '|')"
	fi
	if [ -n "$NATT" ]; then
		[ "$(echo "$st" | grep -c 'encap type espinudp sport 4500 dport 4500 addr 0.0.0.0')" = 2 ] &&
			pass "nat force-encap: both states carry the ESP-in-UDP template 4500 -> 4500" ||
			fail "nat force-encap: encap templates" "$(echo "$st" | grep -E '^src|encap' | tr '\n' '|')"
		ip netns exec $H tcpdump -U -n -i h0 -w "$RUN/wan-$v.pcap" >"$RUN/tcpdump-$v.out" 2>&1 &
		tp=$!
		wait_for 5 "grep -q listening $RUN/tcpdump-$v.out"
	fi
	ip netns exec $H ping -c 5 -i 0.2 -W 2 $TG >"$RUN/ping-$v-1.out" 2>&1 &&
		pass "$v: ping host -> guest through the tunnel: $(grep -o '[0-9]* received' "$RUN/ping-$v-1.out")" ||
		fail "$v: ping host -> guest" "$(tail -2 "$RUN/ping-$v-1.out")"
	gx "ping -c 5 -i 0.2 -W 2 $TH" >"$RUN/ping-$v-2.out" 2>&1 &&
		pass "$v: ping guest -> host through the tunnel: $(grep -o '[0-9]* received' "$RUN/ping-$v-2.out")" ||
		fail "$v: ping guest -> host" "$(tail -2 "$RUN/ping-$v-2.out")"
	sleep 0.3
	ho=$(hsa outbound packets) hi=$(hsa inbound packets) go=$(gsa outbound packets) gi=$(gsa inbound packets)
	[ "${ho:-0}" -ge 10 ] && [ "$ho" = "$gi" ] && [ "$go" = "$hi" ] &&
		pass "$v: counters agree: host out $ho = guest in $gi, guest out $go = host in $hi" ||
		fail "$v: counters agree" "host out $ho in $hi, guest out $go in $gi"
	if [ -n "$NATT" ]; then
		sleep 0.2
		kill $tp 2>/dev/null
		wait $tp 2>/dev/null
		local udp other
		udp=$(tcpdump -n -r "$RUN/wan-$v.pcap" 'ip and udp port 4500 and udp[8:4] != 0' 2>/dev/null | grep -c .)
		other=$(tcpdump -n -r "$RUN/wan-$v.pcap" 'ip and not (udp port 4500)' 2>/dev/null | grep -c .)
		[ "$udp" -ge 20 ] && [ "$other" = 0 ] &&
			pass "nat force-encap: the WAN carried only UDP 4500 ($udp ESP-in-UDP packets, no raw ESP)" ||
			fail "nat force-encap: only UDP 4500 on the WAN" "$udp ESP in UDP, $other other: $(tcpdump -n -r "$RUN/wan-$v.pcap" 'ip and not udp port 4500' 2>/dev/null | head -3 | tr '\n' '|')"
	fi
	gsh 'debug crypto ipsec' >/dev/null
	rekeys "$v: " vtid-guest-$v.log
	shut "$v: "
	gstop
	left=$(gx "ip xfrm state; ip xfrm policy; ip -o link show group 30324")
	[ -z "$left" ] && pass "$v: vtid's exit left no state, policy or device behind" ||
		fail "$v: clean exit" "$(echo "$left" | tr '\n' '|')"
}
VTI=1 NATT=''
variant vti
VTI='' NATT=1
variant natt

for f in vtid-guest.log vtid-guest2.log vtid-guest3.log vtid-guest-vti.log vtid-guest-natt.log; do
	cp "$share/$f" "$RUN/$f" 2>/dev/null
done
stop_pids
check_logs_clean "$RUN"/vtid*.log
echo "total $(el)"
finish
