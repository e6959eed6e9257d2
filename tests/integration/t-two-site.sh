#!/bin/bash
# t-two-site: the tunnels issue's Done-when, end to end in the lab.
#   lab up two-site (FRR + vtid on R2 and R3); both IKE SAs READY with a Child
#   SA on Tunnel1 whose SPIs cross-match; R4's network in R2's table by OSPF
#   over Tunnel1 (and R1's in R3's); R1 pings R4; over the WAN only ESP is
#   seen, no ICMP; the ESP counters of both ends move by at least the packets
#   sent and agree with each other; no ICV/replay failures.  Prints the time
#   from starting the daemons to the first successful ping.  `show dataplane`
#   on R2 (issue 14): userspace on this kernel (no GRE), the configuration's
#   `dataplane auto` and the probe's reason, the same in text, JSON and the
#   start-up log line; one link, its Child SA pair installed.  lab down.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vtts$$
failed=0
tmp=$(mktemp -d /tmp/vtts.XXXXXX)
trap '"$lab" down $NAME >/dev/null 2>&1; rm -rf "$tmp"' EXIT

[ -x "$BUILD/vtid" ] || { echo "FAIL t-two-site: $BUILD/vtid not built"; exit 1; }
t0=$(now_ms)
"$lab" up two-site --name $NAME --vtid || { echo "FAIL lab-up: lab up two-site failed"; exit 1; }

# 1. IKE
if wait_until 30 ike_ready $NAME R2 Tunnel1 && wait_until 5 ike_ready $NAME R3 Tunnel1; then
	pass ike-sa-ready
	echo "# IKE SAs READY after $(($(now_ms) - t0)) ms"
else
	fail ike-sa-ready "R2: $(vtish_json $NAME R2 'show crypto ikev2 sa json' | tr -d ' \n' | head -c 400)"
fi
# Both ends initiate at once; a duplicate IKE SA is deleted within a round
# trip or two, after which one Child SA pair is left with crossing SPIs.
if wait_until 10 spis_cross $NAME R2 R3 Tunnel1; then
	pass child-spis-match
else
	fail child-spis-match "R2 in/out $(child_spis $NAME R2 Tunnel1 | tr '\n' ' ')R3 in/out $(child_spis $NAME R3 Tunnel1 | tr '\n' ' ')"
fi

# 1b. which data plane and why (issue 14)
vtish_json $NAME R2 'show dataplane json' >"$tmp/dp.json"
"$lab" vtish $NAME R2 -c 'show dataplane' >"$tmp/dp.txt" 2>&1
log=${VTID_LAB_RUN:-/run/vtid-lab}/$NAME/R2/vtid.log
r=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); txt = open(sys.argv[2]).read(); log = open(sys.argv[3]).read()
why = d.get("reason", "")
errs = []
if d.get("backend") != "userspace": errs.append("backend %s" % d.get("backend"))
if d.get("requested") != "auto" or d.get("requested_by") != "configuration":
    errs.append("requested %s by %s" % (d.get("requested"), d.get("requested_by")))
# auto fell back: the kernel probe says what is missing
if not why.startswith("auto: ") or len(why) < 12 or "kernel" not in why: errs.append("reason %r" % why)
if d.get("workers", 0) < 1: errs.append("workers %s" % d.get("workers"))
if d["links"]["total"] != 1 or d["sas"]["inbound"] < 1 or d["sas"]["outbound"] < 1:
    errs.append("links %s sas %s" % (d["links"], d["sas"]))
for line in ("Data plane: userspace", "  Requested: dataplane auto (configuration)", "  Reason: " + why,
             "  Worker threads: %d" % d.get("workers", 0)):
    if line not in txt.splitlines(): errs.append("text lacks %r" % line)
if "dataplane: userspace (%s)" % why not in log: errs.append("log lacks the reason")
print("ok " + why if not errs else "; ".join(errs))' "$tmp/dp.json" "$tmp/dp.txt" "$log" 2>&1 | tail -1)
if [ "${r%% *}" = ok ]; then
	pass "show-dataplane: userspace, ${r#ok }"
else
	fail show-dataplane "$r | $(tr '\n' '|' <"$tmp/dp.txt")"
fi

# 2. routing over the tunnel
if wait_until 20 route_ospf $NAME R2 10.4.4.0/24 Tunnel1 && wait_until 5 route_ospf $NAME R3 10.1.1.0/24 Tunnel1; then
	pass ospf-over-tunnel
else
	fail ospf-over-tunnel "R2: $("$lab" vtysh $NAME R2 -c 'show ip route' | tail -6 | tr '\n' '|')"
fi

# 3. first ping
if wait_until 20 ping_ok $NAME R1 10.4.4.4; then
	pass ping-r1-r4
	echo "# first successful ping R1 -> R4 $(($(now_ms) - t0)) ms after starting the daemons"
else
	fail ping-r1-r4 "no reply from 10.4.4.4"
fi

# 4. counters and the wire
N=50
R2_pkts_encaps_0=$(ipsec_counter $NAME R2 Tunnel1 pkts_encaps)
R3_pkts_decaps_0=$(ipsec_counter $NAME R3 Tunnel1 pkts_decaps)
R3_pkts_encaps_0=$(ipsec_counter $NAME R3 Tunnel1 pkts_encaps)
R2_pkts_decaps_0=$(ipsec_counter $NAME R2 Tunnel1 pkts_decaps)
"$lab" exec $NAME R3 timeout 10 tcpdump -i wan -n -U -w "$tmp/wan.pcap" >/dev/null 2>&1 &
cap=$!
wait_until 5 test -s "$tmp/wan.pcap" # the pcap header: capturing
sleep 0.3
sent=$("$lab" exec $NAME R1 ping -q -c $N -i 0.01 -W 1 10.4.4.4 | awk '/transmitted/ {print $4}')
sleep 0.3
kill $cap 2>/dev/null; wait $cap 2>/dev/null
# each pair read back to back: what one end encapsulated, the other decapsulated
R2_pkts_encaps_1=$(ipsec_counter $NAME R2 Tunnel1 pkts_encaps)
R3_pkts_decaps_1=$(ipsec_counter $NAME R3 Tunnel1 pkts_decaps)
R3_pkts_encaps_1=$(ipsec_counter $NAME R3 Tunnel1 pkts_encaps)
R2_pkts_decaps_1=$(ipsec_counter $NAME R2 Tunnel1 pkts_decaps)
if [ "$sent" = $N ]; then pass ping-burst; else fail ping-burst "$sent of $N replies"; fi
d() { echo $(($2 - $1)); }
e2=$(d "$R2_pkts_encaps_0" "$R2_pkts_encaps_1") d3=$(d "$R3_pkts_decaps_0" "$R3_pkts_decaps_1")
e3=$(d "$R3_pkts_encaps_0" "$R3_pkts_encaps_1") d2=$(d "$R2_pkts_decaps_0" "$R2_pkts_decaps_1")
echo "# ESP for $N pings: R2 encaps +$e2, R3 decaps +$d3; R3 encaps +$e3, R2 decaps +$d2"
echo "# totals: R2 encaps $R2_pkts_encaps_1 / R3 decaps $R3_pkts_decaps_1; R3 encaps $R3_pkts_encaps_1 / R2 decaps $R2_pkts_decaps_1"
# Each counter moved by at least the pings, and over the SA's whole life
# what one end encapsulated the other decapsulated: equal up to the few
# control packets (OSPF, BFD) sent between the two reads.
abs() { local v=$1; echo ${v#-}; }
if [ "$e2" -ge $N ] && [ "$d3" -ge $N ] && [ "$e3" -ge $N ] && [ "$d2" -ge $N ] &&
	[ "$(abs $((R2_pkts_encaps_1 - R3_pkts_decaps_1)))" -le 8 ] &&
	[ "$(abs $((R3_pkts_encaps_1 - R2_pkts_decaps_1)))" -le 8 ]; then
	pass esp-counters-agree
else
	fail esp-counters-agree "deltas R2 enc $e2 / R3 dec $d3, R3 enc $e3 / R2 dec $d2 (want >= $N); totals $R2_pkts_encaps_1/$R3_pkts_decaps_1, $R3_pkts_encaps_1/$R2_pkts_decaps_1"
fi
esp=$(tcpdump -r "$tmp/wan.pcap" -n 'esp' 2>/dev/null | wc -l)
icmp=$(tcpdump -r "$tmp/wan.pcap" -n 'icmp or proto 47' 2>/dev/null | wc -l)
# at least the burst's requests (a capture may start a packet late), and not
# one packet of it in clear
if [ "$esp" -ge $N ] && [ "$icmp" = 0 ]; then
	pass wan-sees-only-esp
else
	fail wan-sees-only-esp "$esp ESP and $icmp clear ICMP/GRE packets on R3's wan"
fi
bad=0
for n in R2 R3; do
	for k in auth_failures replay_failures; do
		v=$(ipsec_counter $NAME $n Tunnel1 $k)
		[ "$v" = 0 ] || { bad=1; echo "# $n $k = $v"; }
	done
done
[ $bad = 0 ] && pass no-esp-failures || fail no-esp-failures "ICV or replay failures counted"

lab_down_checked $NAME
exit $failed
