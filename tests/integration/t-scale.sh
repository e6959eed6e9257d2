#!/bin/bash
# t-scale: what the speed work of issue 15 must not break, with 200 tunnels
# between two vtids (bench/scale.sh's setup: tunnel i between 10.200.x.y and
# 10.201.x.y, one keyring peer and one profile matching the whole /16, no
# FRR; past 32 tunnels the devices are single-queue and each one read by
# one worker, and IKE_SA_INIT exchanges are paced):
#   all-ready       every tunnel UP-ACTIVE on both sides
#   devices-sq      a tunnel device of A has one queue (no multi-queue TUN)
#   devices-mq      B's configuration has `dataplane userspace multi-queue
#                   200`: its devices have one queue per worker, `show
#                   dataplane json` counts 200 multi-queue links
#   mq-change       that line changed at run time on B: the log says the
#                   running devices keep their queues, and they do
#   ping-1, ping-N  pings cross Tunnel1 and Tunnel200 (inner /30s)
#   brief           `show crypto session brief`: one line per tunnel, all
#                   UP-ACTIVE and READY; its JSON the same
#   summary         `show crypto session summary` and `show crypto ikev2 sa
#                   summary` count 200 tunnels UP-ACTIVE, 200 IKE SAs READY
#                   and 200 Child SAs, in text and JSON
#   (printed, not asserted: how long the session and IKE SA shows take)
#   restart         side A's vtid killed and started again: every tunnel back
#   replace-keeps   `configure replace` on A with tunnels 1-100 only: their
#                   Child SAs keep their SPIs on both sides
#   replace-removes ... Tunnel101-200 are gone from A (devices and SAs), and
#                   B's Tunnel101-200 are down (A's Delete) while 1-100 stay up
# About 40 s.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD
failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
. "$top/bench/scale.sh" 200 # N, NS, $tmp, the cleanup trap, the helpers
[ -x "$VTID" ] || { echo "FAIL t-scale: $VTID not built"; exit 1; }

start() { # start SIDE
	ip netns exec $NS-$1 "$VTID" -F -f "$tmp/$1.conf" -s "$tmp/$1.sock" \
		--frr-vty-socket "$tmp/nofrr" >>"$tmp/$1.log" 2>&1 &
	eval "pid_$1=$!"
	pids+=($!)
}
# sessions SIDE: "IFACE STATUS" per tunnel
sessions() {
	"$VTISH" -s "$tmp/$1.sock" -c 'show crypto session json' 2>/dev/null |
		python3 -c 'import json,sys
try: d = json.load(sys.stdin)
except Exception: sys.exit()
for s in d.get("sessions", []): print(s["interface"], s["status"])'
}
up_count() { sessions "$1" | awk '$2 == "UP-ACTIVE"' | wc -l; }
all_up() { [ "$(up_count a)" = "$1" ] && [ "$(up_count b)" = "$2" ]; }
wait_until() { # SECONDS CMD...
	local end=$(($(date +%s) + $1))
	shift
	while [ "$(date +%s)" -lt $end ]; do
		"$@" && return 0
		sleep 0.5
	done
	"$@"
}
# spis SIDE: "IFACE IN/OUT" of every Child SA under a READY IKE SA
spis() {
	"$VTISH" -s "$tmp/$1.sock" -c 'show crypto ikev2 sa json' 2>/dev/null |
		python3 -c 'import json,sys
d = json.load(sys.stdin)
for s in d.get("sas", []):
    if s.get("status") != "READY": continue
    for c in s.get("children", []): print(c.get("interface"), "%s/%s" % (c["spi_in"], c["spi_out"]))' | sort
}

setup_ns
conf a 10.200 10.201 >"$tmp/a.conf"
{
	echo "dataplane userspace multi-queue $N"
	conf b 10.201 10.200
} >"$tmp/b.conf"
start b
start a
if wait_until 60 all_up $N $N; then
	pass "all-ready: $N tunnels UP-ACTIVE on both sides"
else
	fail all-ready "UP-ACTIVE: A $(up_count a), B $(up_count b) of $N"
fi
q=$(ip netns exec $NS-a ls /sys/class/net/Tunnel$N/queues 2>/dev/null | grep -c '^tx-')
if [ "$q" = 1 ]; then
	pass "devices-sq: Tunnel$N has 1 TX queue"
else
	fail devices-sq "Tunnel$N has ${q:-no} TX queues"
fi
txq() { ip netns exec $NS-$1 ls /sys/class/net/Tunnel$N/queues 2>/dev/null | grep -c '^tx-'; }
mq_of() { # SIDE: "MULTI-QUEUE-LINKS UP-TO" from show dataplane json
	"$VTISH" -s "$tmp/$1.sock" -c 'show dataplane json' 2>/dev/null |
		python3 -c 'import json,sys
l = json.load(sys.stdin)["links"]; print(l["multi_queue"], l["multi_queue_up_to_tunnels"])' 2>&1 | tail -1
}
qb=$(txq b)
r=$(mq_of b)
if [ "${qb:-0}" -gt 1 ] && [ "$r" = "$N $N" ]; then
	pass "devices-mq: B's Tunnel$N has $qb TX queues; show dataplane: $N multi-queue links, up to $N tunnels"
else
	fail devices-mq "B's Tunnel$N has ${qb:-no} TX queues; show dataplane (multi-queue links, up to): $r"
fi
"$VTISH" -s "$tmp/b.sock" -c 'configure terminal' -c 'dataplane userspace multi-queue 0' -c end \
	>"$tmp/mq.out" 2>&1
mq_logged() { grep -q "dataplane userspace multi-queue 0: tunnel devices made from now on follow it; the $N running keep their queues ($N multi-queue) until they restart" "$tmp/b.log"; }
if wait_until 5 mq_logged && [ "$(mq_of b)" = "$N 0" ] && [ "$(txq b)" = "$qb" ]; then
	pass "mq-change: multi-queue 0 at run time: logged, the $N devices keep their $qb queues"
else
	fail mq-change "$(tr '\n' ' ' <"$tmp/mq.out"); show dataplane $(mq_of b); $(txq b) TX queues; log: $(grep -m1 'multi-queue' "$tmp/b.log")"
fi
# (a tunnel both ends initiated at once drops its duplicate IKE SA just
# after it is up: give that a moment, as t-two-site does)
ping1() { ip netns exec $NS-a ping -c 1 -W 1 -I "Tunnel$1" "$(inner $(($1 - 1)) 2)" >/dev/null 2>&1; }
for i in 1 $N; do
	if wait_until 10 ping1 $i; then
		pass "ping-$i: A -> B through Tunnel$i"
	else
		fail "ping-$i" "no answer from $(inner $((i - 1)) 2) through Tunnel$i in 10 s; A: $(spis a | grep "^Tunnel$i " | tr '\n' ' ') B: $(spis b | grep "^Tunnel$i " | tr '\n' ' ')"
	fi
done

# the session shows at N tunnels (the duplicate IKE SAs both ends started
# are gone once every Tunnel pings; wait for that before counting)
brief_ok() {
	"$VTISH" -s "$tmp/a.sock" -c 'show crypto session brief' >"$tmp/brief.txt" 2>&1 &&
		[ "$(grep -cE ' Tunnel[0-9]+ +READY +UP-ACTIVE ' "$tmp/brief.txt")" = $N ] &&
		[ "$(grep -c ' Tunnel[0-9]* ' "$tmp/brief.txt")" = $N ]
}
if wait_until 10 brief_ok; then
	pass "brief: $N lines, every tunnel READY and UP-ACTIVE"
else
	fail brief "$(grep -cE ' Tunnel[0-9]+ +READY +UP-ACTIVE ' "$tmp/brief.txt") of $N lines READY/UP-ACTIVE; $(grep ' Tunnel' "$tmp/brief.txt" | grep -v UP-ACTIVE | head -3 | tr -s ' \n' ' ')"
fi
"$VTISH" -s "$tmp/a.sock" -c 'show crypto session brief json' >"$tmp/brief.json" 2>&1
r=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); n = int(sys.argv[2]); s = d["sessions"]
ok = d["total"] == n == len(s) and all(x["status"] == "UP-ACTIVE" and x["ike_status"] == "READY"
    and x["peer"] and x["peer_port"] == 500 and x["interface"].startswith("Tunnel") for x in s)
print("ok" if ok else "total %s, %d sessions, %d UP-ACTIVE" % (d["total"], len(s),
    sum(x["status"] == "UP-ACTIVE" for x in s)))' "$tmp/brief.json" $N 2>&1 | tail -1)
if [ "$r" = ok ]; then
	pass "brief-json: $N sessions UP-ACTIVE/READY with peer, port, interface"
else
	fail brief-json "$r"
fi
"$VTISH" -s "$tmp/a.sock" -c 'show crypto session summary' -c 'show crypto ikev2 sa summary' \
	>"$tmp/sum.txt" 2>&1
want="Tunnels: $N total, $N UP-ACTIVE
IKEv2 SAs: $N total, $N READY
Child SAs: $N total
IKEv2 SAs: $N total, $N READY
Child SAs: $N total"
if [ "$(cat "$tmp/sum.txt")" = "$want" ]; then
	pass "summary: $N tunnels UP-ACTIVE, $N IKE SAs READY, $N Child SAs"
else
	fail summary "$(tr '\n' '|' <"$tmp/sum.txt")"
fi
"$VTISH" -s "$tmp/a.sock" -c 'show crypto session summary json' >"$tmp/sum.json" 2>&1
"$VTISH" -s "$tmp/a.sock" -c 'show crypto ikev2 sa summary json' >"$tmp/isum.json" 2>&1
r=$(python3 -c 'import json,sys
n = int(sys.argv[3]); s = json.load(open(sys.argv[1])); i = json.load(open(sys.argv[2]))
t = s["tunnels"]
ok = (t["total"] == t["UP-ACTIVE"] == n and t["DOWN"] == t["DOWN-NEGOTIATING"] == t["UP-IDLE"] == 0
    and s["ike_sas"] == i["ike_sas"] and i["ike_sas"]["total"] == i["ike_sas"]["READY"] == n
    and s["child_sas"] == i["child_sas"] and i["child_sas"]["total"] == n)
print("ok" if ok else json.dumps([s, i]))' "$tmp/sum.json" "$tmp/isum.json" $N 2>&1 | tail -1)
if [ "$r" = ok ]; then
	pass "summary-json: the same counts in both summaries' JSON"
else
	fail summary-json "$r"
fi
# how long each show takes at N tunnels (the best of 3, ms, vtish included)
timed() { # CMD: the best of 3 runs in ms
	local best= i t0 t1
	for i in 1 2 3; do
		t0=$(date +%s%N)
		"$VTISH" -s "$tmp/a.sock" -c "$1" >/dev/null 2>&1
		t1=$(date +%s%N)
		t1=$(((t1 - t0) / 1000000))
		[ -z "$best" ] || [ $t1 -lt $best ] && best=$t1
	done
	echo $best
}
line="# at $N tunnels (ms, best of 3):"
for c in 'show version' 'show crypto session brief' 'show crypto session' 'show crypto ikev2 sa' \
	'show crypto session summary' 'show crypto ikev2 sa summary' 'show crypto session json'; do
	line="$line $c $(timed "$c");"
done
echo "$line"

# the hub restarts: every tunnel comes back
kill "$pid_a"
wait "$pid_a" 2>/dev/null
start a
if wait_until 60 all_up $N $N; then
	pass "restart: A's vtid restarted, all $N tunnels back on both sides"
else
	fail restart "UP-ACTIVE: A $(up_count a), B $(up_count b) of $N"
fi

# configure replace with the first half: that half untouched, the rest gone
half=$((N / 2))
before=$(spis a | awk -v h=$half '{ n = substr($1, 7) + 0 } n <= h')
N=$half conf a 10.200 10.201 >"$tmp/a-half.conf"
"$VTISH" -s "$tmp/a.sock" -c "configure replace $tmp/a-half.conf" >"$tmp/replace.out" 2>&1
gone() {
	[ "$(up_count a)" = $half ] && [ "$(sessions a | wc -l)" = $half ] &&
		[ "$(sessions b | awk -v h=$half '{ n = substr($1, 7) + 0 } n > h && $2 == "UP-ACTIVE"' | wc -l)" = 0 ]
}
wait_until 20 gone
after=$(spis a | awk -v h=$half '{ n = substr($1, 7) + 0 } n <= h')
if [ -n "$before" ] && [ "$before" = "$after" ] && [ "$(echo "$after" | wc -l)" = $half ]; then
	pass "replace-keeps: Tunnel1-$half kept their $half Child SAs (SPIs unchanged)"
else
	fail replace-keeps "SPIs before/after differ or not $half: $(diff <(echo "$before") <(echo "$after") | head -5 | tr '\n' ' ') $(head -3 "$tmp/replace.out")"
fi
left=$(ip netns exec $NS-a ls /sys/class/net | grep -c '^Tunnel')
bup=$(sessions b | awk -v h=$half '{ n = substr($1, 7) + 0 } n <= h && $2 == "UP-ACTIVE"' | wc -l)
if gone && [ "$left" = $half ] && [ "$bup" = $half ]; then
	pass "replace-removes: A keeps $left devices and $half sessions; B's Tunnel$((half + 1))-$N down, 1-$half up"
else
	fail replace-removes "A: $left devices, $(sessions a | wc -l) sessions ($(up_count a) up); B: $bup of 1-$half up, $(sessions b | awk -v h=$half '{ n = substr($1, 7) + 0 } n > h && $2 == "UP-ACTIVE"' | wc -l) of the rest up"
fi
for s in a b; do
	if grep -qE 'ERROR|AddressSanitizer|runtime error' "$tmp/$s.log"; then
		fail "log-$s" "$(grep -m3 -E 'ERROR|AddressSanitizer|runtime error' "$tmp/$s.log" | tr '\n' ' ')"
	fi
done
exit $failed
