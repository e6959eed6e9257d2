#!/bin/bash
# bench/dataplane.sh: throughput of the userspace data plane.  Two
# namespaces joined by a veth (203.0.113.0/24), a GRE-over-ESP tunnel
# (AES-256-GCM, transport mode, static keys) between two dppair instances,
# and in the same run one TCP stream with iperf3 through the tunnel and
# through the plain veth.  Prints both rates and their ratio.
#   bench/dataplane.sh [seconds] [workers] [encr]     (defaults 5, 0 = CPUs, aes-gcm-256)
#   NATT=1: ESP in UDP 4500 (RFC 3948) instead of raw ESP
# Not a test: no pass/fail.  Needs root, iperf3, build/tools/dppair.
set -u
BUILD=${BUILD:-build}
T=${1:-5}; W=${2:-0}; E=${3:-aes-gcm-256}
TOOL=$BUILD/tools/dppair
tag=vtbench$$; A=${tag}a; B=${tag}b
tmp=$(mktemp -d /tmp/$tag.XXXX)
pids=()
cleanup() {
	exec 7>&- 8>&- 2>/dev/null
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
[ -x "$TOOL" ] || { echo "$TOOL not built" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "iperf3 missing" >&2; exit 1; }

ip netns add $A; ip netns add $B
ip link add ${tag}x netns $A type veth peer name ${tag}y netns $B
ip -n $A addr add 203.0.113.1/24 dev ${tag}x; ip -n $A link set ${tag}x up; ip -n $A link set lo up
ip -n $B addr add 203.0.113.2/24 dev ${tag}y; ip -n $B link set ${tag}y up; ip -n $B link set lo up

case $E in
aes-gcm-128) KL=40 ;;
*) KL=72 ;;
esac
K1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
K2=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3
mkfifo $tmp/a.in $tmp/b.in
N=""; NS=""
if [ -n "${NATT:-}" ]; then N=--natt; NS=natt; fi
ip netns exec $A "$TOOL" --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 --workers "$W" $N <$tmp/a.in >$tmp/a.out 2>&1 &
pids+=($!)
ip netns exec $B "$TOOL" --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 --workers "$W" $N <$tmp/b.in >$tmp/b.out 2>&1 &
pids+=($!)
exec 7>$tmp/a.in 8>$tmp/b.in
printf 'sa out 0x1001 transport %s %s %s\nsa in 0x2001 transport %s %s %s\ncarrier up\n' $E ${K1:0:$KL} "$NS" $E ${K2:0:$KL} "$NS" >&7
printf 'sa out 0x2001 transport %s %s %s\nsa in 0x1001 transport %s %s %s\ncarrier up\n' $E ${K2:0:$KL} "$NS" $E ${K1:0:$KL} "$NS" >&8
for _ in $(seq 50); do
	[ "$(grep -c ^ok $tmp/a.out)" -ge 3 ] && [ "$(grep -c ^ok $tmp/b.out)" -ge 3 ] && break
	sleep 0.1
done
ip netns exec $A ping -c 1 -W 2 10.99.0.2 >/dev/null || { echo "tunnel not up: $(cat $tmp/a.out $tmp/b.out)" >&2; exit 1; }

ip netns exec $B iperf3 -s -D -1 -p 5201 -I $tmp/s1.pid >/dev/null 2>&1
sleep 0.3
if [ -n "${PERF:-}" ]; then
	# profile both data planes while the tunnel stream runs
	(sleep 1; perf record -F 999 -g -o "$PERF" -p "${pids[0]},${pids[1]}" -- sleep $((T - 2)) >/dev/null 2>&1) &
	perfpid=$!
fi
if [ -n "${DIAG:-}" ]; then
	ip netns exec $A ping -c 20 -i 0.01 -q 10.99.0.2 | tail -1 | sed 's/^/tunnel idle /'
	(sleep 2; ip netns exec $A ss -tin dst 10.99.0.2 | grep -o -E 'cwnd:[0-9]+|rtt:[0-9./]+|send [0-9.]+[MG]bps|pacing_rate [0-9.]+[MG]bps|unacked:[0-9]+|(rwnd|snd_wnd):[0-9]+|busy:[0-9]+ms|rwnd_limited:[^ ]+|sndbuf_limited:[^ ]+' | tr '\n' ' '; echo) &
fi
cpu() { # user+system seconds of both data planes
	local t=0 p
	for p in "${pids[@]}"; do t=$((t + $(awk '{print $14 + $15}' /proc/$p/stat))); done
	echo "$t"
}
if [ -n "${STRACE:-}" ]; then
	(sleep 1; timeout 2 strace -c -f -p "${pids[0]}" -e trace=sendmsg,sendmmsg,sendto -o "$STRACE" >/dev/null 2>&1) &
fi
c0=$(cpu)
ip netns exec $A iperf3 -c 10.99.0.2 -p 5201 -t "$T" -J >$tmp/tun.json 2>/dev/null
c1=$(cpu)
tun=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])' <$tmp/tun.json)
echo "tunnel retransmits: $(python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_sent"].get("retransmits"))' <$tmp/tun.json)"
[ -n "${perfpid:-}" ] && wait "$perfpid"
if [ -n "${DIAG:-}" ]; then
	for ns in $A $B; do
		echo "== $ns"; ip -n $ns -s link show Tunnel1 | sed -n '3,6p'
		ip netns exec $ns cat /proc/net/raw | awk 'NR>1{print "raw proto " strtonum("0x" substr($2, index($2,":")+1)) " drops " $NF}'
		ip netns exec $ns nstat -az 2>/dev/null | grep -E "TcpExtTCPBacklogDrop|IpInDiscards|TcpExtTCPRcvQDrop|TcpRetransSegs" | head
	done
	cat /proc/net/softnet_stat | awk '{print "softnet dropped " strtonum("0x"$2)}'
fi
ip netns exec $B iperf3 -s -D -1 -p 5202 -I $tmp/s2.pid >/dev/null 2>&1
sleep 0.3
veth=$(ip netns exec $A iperf3 -c 203.0.113.2 -p 5202 -t "$T" -J 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"])')
echo stats >&7
sleep 0.2
python3 - "$tun" "$veth" "$E" "$W" "$((c1 - c0))" "$(getconf CLK_TCK)" "$T" <<'PY'
import sys, os
tun, veth = float(sys.argv[1]), float(sys.argv[2])
cpu = int(sys.argv[5]) / int(sys.argv[6]); secs = float(sys.argv[7])
gbytes = tun * secs / 8 / 1e9
print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
print(f"data-plane CPU (both ends): {cpu:.2f} s for {gbytes:.2f} GB = {cpu / gbytes if gbytes else 0:.2f} CPU-s/GB")
print(f"tunnel ({sys.argv[3]}, workers={sys.argv[4] if sys.argv[4] != '0' else 'ncpu'}): {tun/1e9:.2f} Gbit/s")
print(f"plain veth: {veth/1e9:.2f} Gbit/s")
print(f"ratio: {tun/veth:.3f}")
PY
tail -1 $tmp/a.out
