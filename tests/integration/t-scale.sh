#!/bin/bash
# t-scale: what the speed work of issue 15 must not break, with 200 tunnels
# between two vtids (bench/scale.sh's setup: tunnel i between 10.200.x.y and
# 10.201.x.y, one keyring peer and one profile matching the whole /16, no
# FRR; past 32 tunnels the devices are single-queue and each one read by
# one worker, and IKE_SA_INIT exchanges are paced):
#   all-ready       every tunnel UP-ACTIVE on both sides
#   devices-sq      a tunnel device has one queue (no multi-queue TUN)
#   ping-1, ping-N  pings cross Tunnel1 and Tunnel200 (inner /30s)
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
conf b 10.201 10.200 >"$tmp/b.conf"
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
