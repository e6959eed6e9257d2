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
# Then, in the same run, strongSwan (charon with kernel-libipsec, one per
# namespace, LAB-FACTS.md's settings) does the same N tunnels with the same
# outer addressing and proposals (ESP in tunnel mode between inner /32s on
# lo: kernel-libipsec does no transport mode), and the ratio is printed.
# SCALE_STRONGSWAN=0 skips it.  SCALE_COOKIE=N adds `crypto ikev2
# cookie-challenge N` to both vtids (vtid's default is 64 half-open SAs; the
# strongSwan side runs with cookie_threshold 20480).
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
	[ -n "${SCALE_KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
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
	[ -n "${SCALE_COOKIE:-}" ] && echo "crypto ikev2 cookie-challenge $SCALE_COOKIE"
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

lines_up() { # lines_up SIDE: tunnels whose line protocol came up, from the log
	grep -o 'Interface Tunnel[0-9]*, changed state to up' "$tmp/$1.log" | sort -u | wc -l
}
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
	# until every tunnel's line protocol came up on both sides (the log,
	# read every 0.1 s: asking vtid's shows that often would cost it CPU),
	# then the shows confirm
	local limit=$((t0 + 60000 + N * 60))
	while [ "$(now_ms)" -lt $limit ]; do
		sleep 0.1
		[ "$(lines_up a)" -ge "$N" ] && [ "$(lines_up b)" -ge "$N" ] && break
	done
	t1=$(now_ms)
	ra=$(ready_count a)
	rb=$(ready_count b)
	if [ -n "$perfpid" ]; then kill -INT $perfpid; wait $perfpid 2>/dev/null; fi
	local ca cb rssa rssb mem1
	ca=$(cpu_ms $pa)
	cb=$(cpu_ms $pb)
	sleep 2
	rssa=$(rss_kb $pa)
	rssb=$(rss_kb $pb)
	mem1=$(memavail_kb)
	local retx
	echo "vtid: $N tunnels, READY on both sides: A $ra B $rb after $(((t1 - t0))) ms"
	echo "vtid: CPU per tunnel: A $((ca * 1000 / N)) us, B $((cb * 1000 / N)) us"
	echo "vtid: RSS per tunnel over idle ($base_rss KiB): A $(((rssa - base_rss) * 1024 / N)) B, B $(((rssb - base_rss) * 1024 / N)) B"
	echo "vtid: kernel and process memory, MemAvailable drop: $(((mem0 - mem1) / 1024)) MiB ($(((mem0 - mem1) * 1024 / N / 2)) B per device)"
	# retransmits against every IKE message a side sent, and what drove them
	local side
	for side in a b; do
	retx=$("$VTISH" -s "$tmp/$side.sock" -c 'show crypto ikev2 stats json' 2>/dev/null |
		python3 -c 'import json,sys
d = json.load(sys.stdin); g = lambda k: int(d.get(k, 0))
tx = g("tx"); r = g("retransmits")
print("%d of %d messages sent (%.1f %%); IKE_SA_INIT started %d, IKE SAs up %d, duplicates deleted %d, requests from unknown peers %d, requests received again %d, COOKIEs demanded %d, timeouts %d" % (r, tx, 100.0 * r / tx if tx else 0, g("init_started"), g("ike_up"), g("dup_sa_deleted"), g("unknown_peer"), g("rx_retransmits"), g("cookies_sent"), g("timeouts")))' 2>/dev/null)
	echo "vtid: IKE retransmits ($side): $retx"
	done
	# datagrams the kernel dropped for a full socket buffer (IKE and ESP in UDP)
	echo "vtid: UDP receive-buffer drops: A $(ip netns exec $NS-a nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/ {print $2}'), B $(ip netns exec $NS-b nstat -az UdpRcvbufErrors | awk '/UdpRcvbufErrors/ {print $2}')"
	# how long the shows take at N tunnels on side A (ms, vtish included)
	local line="vtid: shows at $N tunnels (ms):" c ts
	for c in 'show crypto session brief' 'show crypto session summary' \
		'show crypto ikev2 sa summary' 'show crypto session' 'show crypto ikev2 sa' \
		'show crypto ipsec sa' 'show dataplane'; do
		ts=$(now_ms)
		"$VTISH" -s "$tmp/a.sock" -c "$c" >/dev/null 2>&1
		line="$line $c $(($(now_ms) - ts));"
	done
	echo "$line"
	VTID_MS=$((t1 - t0))
	for p in $pa $pb; do kill $p 2>/dev/null; done
	for p in $pa $pb; do wait $p 2>/dev/null; done
	ip netns del $NS-a
	ip netns del $NS-b
}

# ---- strongSwan, the same N tunnels ----

sw_conf_main() { # sw_conf_main DIR
	cat <<EOF
charon {
	load = random nonce aes sha1 sha2 hmac gcm kdf openssl pem pkcs1 x509 pubkey kernel-libipsec kernel-netlink socket-default vici
	plugins {
		vici { socket = unix://$1/vici }
	}
	install_virtual_ip = no
	threads = 32
	ikesa_table_size = 16384
	ikesa_table_segments = 16
	init_limit_half_open = 20480
	init_limit_job_load = 0
	cookie_threshold = 20480
	retransmit_timeout = 4.0
	filelog {
		log {
			path = $1/charon.log
			time_format = %T
			flush_line = yes
			default = 0
			ike = 1
		}
	}
}
EOF
}

sw_conf_conns() { # sw_conf_conns ME PEER INNER_ME INNER_PEER START
	local i
	echo "connections {"
	for ((i = 0; i < N; i++)); do
		cat <<EOF
	t$i {
		local_addrs = $(addr $1 $i)
		remote_addrs = $(addr $2 $i)
		proposals = aes256gcm16-prfsha256-ecp256
		mobike = no
		local { auth = psk
			id = $(addr $1 $i) }
		remote { auth = psk
			id = $(addr $2 $i) }
		children { c {
			local_ts = $(addr $3 $i)/32
			remote_ts = $(addr $4 $i)/32
			esp_proposals = aes256gcm16
			start_action = $5
		} }
	}
EOF
	done
	echo "}"
	echo "secrets { ike-all { secret = scale-s3cret } }"
}

established() { grep -c 'CHILD_SA .* established' "$1/charon.log" 2>/dev/null; }

run_strongswan() {
	command -v swanctl >/dev/null && [ -x /usr/lib/ipsec/charon ] || {
		echo "strongswan: not installed (scripts/deps installs it): skipped"
		return 1
	}
	setup_ns
	local s me peer ime ipeer dir i
	for s in a b; do
		if [ $s = a ]; then me=10.200; peer=10.201; ime=10.210; ipeer=10.211; else me=10.201; peer=10.200; ime=10.211; ipeer=10.210; fi
		for ((i = 0; i < N; i++)); do echo "address add $(addr $ime $i)/32 dev lo"; done |
			ip -n $NS-$s -batch -
		dir=$tmp/sw-$s
		mkdir -p "$dir"
		sw_conf_main "$dir" >"$dir/strongswan.conf"
		sw_conf_conns $me $peer $ime $ipeer $([ $s = a ] && echo start || echo none) >"$dir/swanctl.conf"
		ip netns exec $NS-$s env STRONGSWAN_CONF="$dir/strongswan.conf" unshare -m sh -c \
			'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon' >"$dir/charon.out" 2>&1 &
		eval "swpid_$s=$!"
		pids+=($!)
	done
	for s in a b; do
		for _ in $(seq 50); do [ -S "$tmp/sw-$s/vici" ] && break; sleep 0.1; done
	done
	swanctl --load-all --uri "unix://$tmp/sw-b/vici" --file "$tmp/sw-b/swanctl.conf" >/dev/null 2>&1
	local c0a c0b t0 t1 n=0 rss0a rss0b
	c0a=$(cpu_ms $swpid_a)
	c0b=$(cpu_ms $swpid_b)
	rss0a=$(rss_kb $swpid_a)
	rss0b=$(rss_kb $swpid_b)
	t0=$(now_ms)
	swanctl --load-all --uri "unix://$tmp/sw-a/vici" --file "$tmp/sw-a/swanctl.conf" >/dev/null 2>&1
	local limit=$((t0 + 60000 + N * 60))
	while [ "$(now_ms)" -lt $limit ]; do
		n=$(established "$tmp/sw-a")
		[ "${n:-0}" -ge "$N" ] && break
		sleep 0.2
	done
	t1=$(now_ms)
	local ca cb
	ca=$(($(cpu_ms $swpid_a) - c0a))
	cb=$(($(cpu_ms $swpid_b) - c0b))
	sleep 2
	echo "strongswan: $N tunnels, CHILD_SAs established (initiator's log): $n after $((t1 - t0)) ms (from the initiator's swanctl --load-all)"
	echo "strongswan: CPU per tunnel: A $((ca * 1000 / N)) us, B $((cb * 1000 / N)) us"
	echo "strongswan: RSS per tunnel over loaded and idle: A $((($(rss_kb $swpid_a) - rss0a) * 1024 / N)) B, B $((($(rss_kb $swpid_b) - rss0b) * 1024 / N)) B"
	SW_MS=$((t1 - t0))
	kill $swpid_a $swpid_b 2>/dev/null
	wait $swpid_a $swpid_b 2>/dev/null
	ip netns del $NS-a
	ip netns del $NS-b
}

# sourced (tests/integration/t-scale.sh): the functions only
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
run_vtid
if [ "${SCALE_STRONGSWAN:-1}" != 0 ] && run_strongswan && [ "${SW_MS:-0}" -gt 0 ]; then
	echo "ratio: vtid took $((VTID_MS * 100 / SW_MS)) % of strongSwan's time (target: at most 33 %)"
fi
