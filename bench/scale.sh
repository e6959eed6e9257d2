#!/bin/bash
# scale.sh [N]: N tunnels between two vtids in two namespaces, all in the
# configuration from the start (issue 15's measurement).  Tunnel i runs
# between outer 10.200.x.y (side A) and 10.201.x.y (side B), x = i / 200,
# y = i % 200 + 1, /32 addresses on lo, each side's peer /16 routed through
# one veth; IKEv2 PSK aes-gcm-256 / prf sha256 / group 19, ESP aes-gcm 256
# transport, no FRR.  Prints: seconds from start to every tunnel READY on
# both sides, CPU (utime + stime) per tunnel per side, vtid RSS per tunnel
# over an idle vtid with no tunnel, and the kernel memory the devices cost
# (MemAvailable before and after).  A figure, not a test: it asserts nothing.
# SCALE_STRONGSWAN=1 also runs strongSwan (charon with kernel-libipsec) on
# the same addressing, one after the other, and prints the ratio.
set -u
N=${1:-1000}
BUILD=${BUILD:-build}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
case "$BUILD" in /*) ;; *) BUILD="$top/$BUILD" ;; esac
VTID=$BUILD/vtid
VTISH=$BUILD/vtish
NS=vtscale$$
tmp=$(mktemp -d /tmp/vtscale.XXXXXX)
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del $NS-a 2>/dev/null
	ip netns del $NS-b 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -x "$VTID" ] || { echo "scale: $VTID not built" >&2; exit 1; }

now_ms() { date +%s%3N; }
addr() { echo "$1.$(($2 / 200)).$(($2 % 200 + 1))"; } # addr PREFIX I
inner() { # inner I SIDE: a /30 of 100.64.0.0/10 per tunnel
	local v=$((0x64400000 + $1 * 4 + $2))
	echo "$((v >> 24 & 255)).$((v >> 16 & 255)).$((v >> 8 & 255)).$((v & 255))"
}

# conf SIDE LOCALNET PEERNET: side's configuration
conf() {
	local side=$1 me=$2 peer=$3 i
	cat <<EOF
hostname scale-$side
crypto ikev2 proposal P1
 encryption aes-gcm-256
 prf sha256
 group 19
crypto ikev2 policy POL
 proposal P1
crypto ikev2 keyring KR
 peer ALL
  address $peer.0.0 255.255.0.0
  pre-shared-key local scale-s3cret
  pre-shared-key remote scale-s3cret
crypto ikev2 profile PROF
 match identity remote address $peer.0.0 255.255.0.0
 authentication remote pre-share
 authentication local pre-share
 keyring local KR
crypto ipsec transform-set TS esp-gcm 256
 mode transport
crypto ipsec profile IPP
 set transform-set TS
 set ikev2-profile PROF
EOF
	for ((i = 0; i < N; i++)); do
		printf 'interface Tunnel%d\n ip address %s 255.255.255.252\n tunnel source %s\n tunnel destination %s\n tunnel protection ipsec profile IPP\n' \
			$((i + 1)) "$(inner $i $([ "$side" = a ] && echo 1 || echo 2))" "$(addr $me $i)" "$(addr $peer $i)"
	done
}

setup_ns() {
	ip netns add $NS-a && ip netns add $NS-b || exit 1
	ip link add sa type veth peer name sb
	ip link set sa netns $NS-a
	ip link set sb netns $NS-b
	local s me peer nh i
	for s in a b; do
		if [ $s = a ]; then me=10.200; peer=10.201; nh=10.199.0.2; else me=10.201; peer=10.200; nh=10.199.0.1; fi
		ip -n $NS-$s link set lo up
		ip -n $NS-$s addr add 10.199.0.$([ $s = a ] && echo 1 || echo 2)/30 dev s$s
		ip -n $NS-$s link set s$s up
		ip -n $NS-$s route add $peer.0.0/16 via $nh
		for ((i = 0; i < N; i++)); do echo "address add $(addr $me $i)/32 dev lo"; done |
			ip -n $NS-$s -batch -
	done
}

cpu_ms() { # utime + stime of PID in ms
	awk -v hz="$(getconf CLK_TCK)" '{ print int(($14 + $15) * 1000 / hz) }' "/proc/$1/stat"
}
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
memavail_kb() { awk '/^MemAvailable/ { print $2 }' /proc/meminfo; }

ready_count() { # ready_count SIDE
	"$VTISH" -s "$tmp/$1.sock" -c 'show crypto session json' 2>/dev/null |
		python3 -c 'import json,sys
try: d = json.load(sys.stdin)
except Exception: print(0); sys.exit()
print(sum(1 for s in d.get("sessions", []) if s.get("status") == "UP-ACTIVE"))'
}

run_vtid() {
	setup_ns
	conf a 10.200 10.201 >"$tmp/a.conf"
	conf b 10.201 10.200 >"$tmp/b.conf"
	# an idle vtid with no tunnel: the RSS baseline
	printf 'hostname idle\n' >"$tmp/idle.conf"
	ip netns exec $NS-a "$VTID" -F -f "$tmp/idle.conf" -s "$tmp/idle.sock" \
		--frr-vty-socket "$tmp/nofrr" >"$tmp/idle.log" 2>&1 &
	local idle=$!
	pids+=($idle)
	sleep 1
	local base_rss
	base_rss=$(rss_kb $idle)
	kill $idle
	wait $idle 2>/dev/null
	local mem0 t0 t1 pa pb ra=0 rb=0
	mem0=$(memavail_kb)
	t0=$(now_ms)
	ip netns exec $NS-b "$VTID" -F -f "$tmp/b.conf" -s "$tmp/b.sock" \
		--frr-vty-socket "$tmp/nofrr" >"$tmp/b.log" 2>&1 &
	pb=$!
	ip netns exec $NS-a "$VTID" -F -f "$tmp/a.conf" -s "$tmp/a.sock" \
		--frr-vty-socket "$tmp/nofrr" >"$tmp/a.log" 2>&1 &
	pa=$!
	pids+=($pa $pb)
	local perfpid=""
	if [ -n "${SCALE_PERF:-}" ]; then # SCALE_PERF=FILE: perf record of side A until READY
		perf record -q -F 499 -g -p $pa -o "$SCALE_PERF" >/dev/null 2>&1 &
		perfpid=$!
	fi
	local limit=$((t0 + 60000 + N * 60))
	while [ "$(now_ms)" -lt $limit ]; do
		sleep 0.5
		ra=$(ready_count a)
		[ "$ra" = "$N" ] || continue
		rb=$(ready_count b)
		[ "$rb" = "$N" ] && break
	done
	t1=$(now_ms)
	if [ -n "$perfpid" ]; then kill -INT $perfpid; wait $perfpid 2>/dev/null; fi
	local ca cb rssa rssb mem1
	ca=$(cpu_ms $pa)
	cb=$(cpu_ms $pb)
	sleep 2
	rssa=$(rss_kb $pa)
	rssb=$(rss_kb $pb)
	mem1=$(memavail_kb)
	local retx
	retx=$("$VTISH" -s "$tmp/a.sock" -c 'show crypto ikev2 stats json' 2>/dev/null |
		python3 -c 'import json,sys; d=json.load(sys.stdin); print(d.get("retransmits", d.get("retransmitted", "?")))' 2>/dev/null)
	echo "vtid: $N tunnels, READY on both sides: A $ra B $rb after $(((t1 - t0))) ms"
	echo "vtid: CPU per tunnel: A $((ca * 1000 / N)) us, B $((cb * 1000 / N)) us (includes the 0.5 s polls' show commands)"
	echo "vtid: RSS per tunnel over idle ($base_rss KiB): A $(((rssa - base_rss) * 1024 / N)) B, B $(((rssb - base_rss) * 1024 / N)) B"
	echo "vtid: kernel and process memory, MemAvailable drop: $(((mem0 - mem1) / 1024)) MiB ($(((mem0 - mem1) * 1024 / N / 2)) B per device)"
	echo "vtid: IKE retransmits (A): $retx"
	VTID_MS=$((t1 - t0))
	for p in $pa $pb; do kill $p 2>/dev/null; done
	for p in $pa $pb; do wait $p 2>/dev/null; done
	ip netns del $NS-a
	ip netns del $NS-b
}

# sourced (tests/integration/t-scale.sh): the functions only
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
run_vtid
