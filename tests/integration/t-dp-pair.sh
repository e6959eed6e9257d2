#!/bin/bash
# t-dp-pair: two namespaces joined by a veth (WAN 203.0.113.0/24), one
# userspace data plane (tests/tools/dppair) in each with static keys, and
# pings through Tunnel1 both ways for AES-GCM, ChaCha20-Poly1305 and
# AES-CBC+HMAC-SHA256, in transport and tunnel mode, plain GRE, native VTI
# (no GRE), with the ESP counters checked; then a make-before-break SA switch
# while pinging must lose nothing, and tampering is counted.
set -u
BUILD=${BUILD:-build}
TOOL=$BUILD/tools/dppair
tag=vtdp$$
A=${tag}a; B=${tag}b
tmp=$(mktemp -d /tmp/$tag.XXXX)
fails=0
pids=()

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del $A 2>/dev/null; ip netns del $B 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

if [ ! -x "$TOOL" ]; then echo "FAIL t-dp-pair: $TOOL not built"; exit 1; fi
ip netns add $A && ip netns add $B || { echo "FAIL t-dp-pair: netns"; exit 1; }
ip link add ${tag}x netns $A type veth peer name ${tag}y netns $B
ip -n $A addr add 203.0.113.1/24 dev ${tag}x; ip -n $A link set ${tag}x up; ip -n $A link set lo up
ip -n $B addr add 203.0.113.2/24 dev ${tag}y; ip -n $B link set ${tag}y up; ip -n $B link set lo up

# start SIDE NAME ARGS...: a dppair in namespace of SIDE, commands via fd
start() {
	local side=$1; shift
	local ns; [ "$side" = A ] && ns=$A || ns=$B
	rm -f "$tmp/$side.in" "$tmp/$side.out"; mkfifo "$tmp/$side.in"; : >"$tmp/$side.out"
	ip netns exec $ns "$TOOL" "$@" <"$tmp/$side.in" >"$tmp/$side.out" 2>"$tmp/$side.err" &
	pids+=($!)
	eval "exec {FD_$side}>\"$tmp/$side.in\""
	wait_lines $side 1 || { echo "dppair $side did not start: $(cat $tmp/$side.err)"; return 1; }
}
wait_lines() { # SIDE N: until the output has N lines (bounded, not a timing assertion)
	for _ in $(seq 100); do
		[ "$(wc -l <"$tmp/$1.out")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
# cmd SIDE COMMAND...: prints the answer line
cmd() {
	local side=$1; shift
	local n; n=$(wc -l <"$tmp/$side.out")
	local fdv="FD_$side"
	echo "$*" >&"${!fdv}"
	wait_lines $side $((n + 1)) || { echo "err timeout"; return; }
	sed -n "$((n + 1))p" "$tmp/$side.out"
}
stop() {
	local side
	for side in A B; do
		local fdv="FD_$side"
		[ -n "${!fdv:-}" ] || continue
		echo quit >&"${!fdv}"
		eval "exec ${!fdv}>&-"; eval "unset FD_$side"
	done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
	# the tools' own stderr (sanitizer reports included) goes to the log
	for side in A B; do
		if [ -s "$tmp/$side.err" ]; then sed "s/^/[$side] /" "$tmp/$side.err" >&2; : >"$tmp/$side.err"; fi
	done
}
stat() { # SIDE KEY: one counter of the link
	cmd $1 stats | tr ' ' '\n' | sed -n "s/^$2=//p"
}
ok() { [ "${1%% *}" = ok ]; }

K1=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223
K2=a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3
I1=5051525354555657585960616263646566676869707172737475767778798081
I2=9091929394959697989900010203040506070809101112131415161718192021

# setup MODE ENCR KEYLEN-CHARS [integ] EXTRA-ARGS: both sides, SAs, carrier up
setup() {
	local mode=$1 encr=$2 klen=$3 integ=$4; shift 4
	start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 --workers 2 "$@" || return 1
	start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 --workers 2 "$@" || return 1
	local ia="" ib=""
	if [ -n "$integ" ]; then ia="$integ $I1"; ib="$integ $I2"; fi
	local r
	for r in "$(cmd A sa out 0x1001 $mode $encr ${K1:0:$klen} $ia)" \
		 "$(cmd A sa in 0x2001 $mode $encr ${K2:0:$klen} $ib)" \
		 "$(cmd B sa out 0x2001 $mode $encr ${K2:0:$klen} $ib)" \
		 "$(cmd B sa in 0x1001 $mode $encr ${K1:0:$klen} $ia)" \
		 "$(cmd A carrier up)" "$(cmd B carrier up)"; do
		ok "$r" || { echo "setup: $r"; return 1; }
	done
}

ping_both() { # COUNT: pings A->B and B->A, all must answer
	ip netns exec $A ping -q -c "$1" -i 0.01 -W 1 10.99.0.2 >/dev/null 2>&1 &&
	ip netns exec $B ping -q -c "$1" -i 0.01 -W 1 10.99.0.1 >/dev/null 2>&1
}

run_case() { # NAME MODE ENCR KEYLEN INTEG [dppair args]
	local name=$1; shift
	if ! setup "$@"; then fail "$name" "setup failed"; stop; return; fi
	if ! ping_both 5; then fail "$name" "ping through Tunnel1 failed: A $(cmd A stats) B $(cmd B stats)"; stop; return; fi
	local enc dec ver auth
	enc=$(stat A encrypt); dec=$(stat B decrypt); ver=$(stat B verify); auth=$(stat B auth)
	local bad; bad=$(( $(stat A malformed) + $(stat B malformed) + $(stat A recv_err) + $(stat B recv_err) ))
	# 10 echo requests+replies crossed each way
	if [ "${enc:-0}" -lt 10 ] || [ "${dec:-0}" -lt 10 ] || [ "$ver" != "$dec" ] || [ "$auth" != 0 ] || [ "$bad" != 0 ]; then
		fail "$name" "counters: A $(cmd A stats) B $(cmd B stats)"
	else
		local sa; sa=$(cmd B sastats in 0x1001)
		case "$sa" in ok\ packets=1[0-9]*|ok\ packets=[2-9][0-9]*) pass "$name" ;;
		*) fail "$name" "SA counters: $sa" ;; esac
	fi
	stop
}

run_case dp-gcm-transport transport aes-gcm-256 72 ""
run_case dp-gcm128-tunnel tunnel aes-gcm-128 40 ""
run_case dp-chacha-transport transport chacha20-poly1305 72 ""
run_case dp-chacha-tunnel tunnel chacha20-poly1305 72 ""
run_case dp-cbc-sha256-transport transport aes-cbc-256 64 sha256
run_case dp-cbc-sha256-tunnel tunnel aes-cbc-256 64 sha256
run_case dp-gcm-gre-key-seq-csum transport aes-gcm-256 72 "" --gre-key 42 --gre-seq --gre-csum
run_case dp-vti-tunnel tunnel aes-gcm-256 72 "" --encap none
# ESP in UDP 4500 (RFC 3948): sent on the IKE socket, received by the
# workers on their own socket of the port (--natt), or through udp_input
# when the IKE socket can't be shared (--natt-ctl)
natt_setup() { # MODE [--natt|--natt-ctl]
	local mode=$1 how=${2:---natt} r
	start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 $how &&
	start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 $how || return 1
	for r in "$(cmd A sa out 0x1001 $mode aes-gcm-256 ${K1:0:72} natt)" "$(cmd A sa in 0x2001 $mode aes-gcm-256 ${K2:0:72} natt)" \
		 "$(cmd B sa out 0x2001 $mode aes-gcm-256 ${K2:0:72} natt)" "$(cmd B sa in 0x1001 $mode aes-gcm-256 ${K1:0:72} natt)" \
		 "$(cmd A carrier up)" "$(cmd B carrier up)"; do
		ok "$r" || { echo "setup: $r"; return 1; }
	done
}
natt_case() { # NAME MODE HOW
	local name=$1 mode=$2 how=$3 ctl
	natt_setup $mode $how || { fail $name "setup failed"; stop; return; }
	local udp0; udp0=$(ip netns exec $B nstat -az UdpInDatagrams | awk '/UdpIn/{print $2}')
	if ping_both 5 && [ "$(stat B decrypt)" -ge 10 ] && [ "$(stat B mtu)" = 1434 ] &&
	   [ $(( $(ip netns exec $B nstat -az UdpInDatagrams | awk '/UdpIn/{print $2}') - udp0 )) -ge 10 ]; then
		ctl=$(stat B udp_ctl)
		if { [ "$how" = --natt ] && [ "$ctl" = 0 ]; } || { [ "$how" = --natt-ctl ] && [ "$ctl" -ge 10 ]; }; then
			pass "$name ($how: $ctl datagrams through udp_input)"
		else
			fail $name "$how: $ctl datagrams through udp_input"
		fi
	else
		fail $name "A $(cmd A stats) B $(cmd B stats)"
	fi
	stop
}
natt_case dp-natt-transport transport --natt
natt_case dp-natt-transport-fallback transport --natt-ctl

# bulk TCP through the tunnel: exercises TSO segmentation on the way out and
# coalescing (GRO) on the way in; the bytes must arrive exactly (sha256)
tcp_check() { # NAME
	local name=$1
	ip netns exec $B python3 -c '
import socket, hashlib, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.99.0.2", 5001)); s.listen(1); s.settimeout(20)
c, _ = s.accept(); c.settimeout(20); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())' >"$tmp/rx.txt" 2>&1 &
	local sp=$!
	sleep 0.3
	ip netns exec $A python3 -c '
import socket, hashlib
blk = b"".join(hashlib.sha256(bytes([i, j])).digest() for i in range(64) for j in range(32))
h = hashlib.sha256(); n = 0
c = socket.create_connection(("10.99.0.2", 5001), timeout=20)
for k in range(480):
    b = blk[k % 7:] + blk[:k % 7]
    c.sendall(b); h.update(b); n += len(b)
c.close(); print(n, h.hexdigest())' >"$tmp/tx.txt" 2>&1
	wait $sp
	if [ -s "$tmp/tx.txt" ] && cmp -s "$tmp/tx.txt" "$tmp/rx.txt"; then pass "$name"
	else fail "$name" "sent $(cat $tmp/tx.txt) received $(cat $tmp/rx.txt) A $(cmd A stats) B $(cmd B stats)"; fi
}
if setup transport aes-gcm-256 72 ""; then tcp_check dp-tcp-bulk-gcm; else fail dp-tcp-bulk-gcm "setup failed"; fi
stop
if setup tunnel aes-cbc-256 64 sha256; then tcp_check dp-tcp-bulk-cbc-tunnel; else fail dp-tcp-bulk-cbc-tunnel "setup failed"; fi
stop
# ESP in UDP: bursts leave through UDP GSO
if natt_setup transport; then tcp_check dp-tcp-bulk-natt; else fail dp-tcp-bulk-natt "setup failed"; fi
stop

# plain GRE (no ESP): pings, and the protected side refuses plain GRE
start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 --plain &&
start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 --plain &&
cmd A carrier up >/dev/null && cmd B carrier up >/dev/null
if ping_both 3 && [ "$(stat A encaps)" -ge 6 ] && [ "$(stat B decaps)" -ge 6 ]; then pass dp-plain-gre
else fail dp-plain-gre "A $(cmd A stats) B $(cmd B stats)"; fi
stop
start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 --plain &&
setup_b() { start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30; }
setup_b && cmd A carrier up >/dev/null && cmd B carrier up >/dev/null
ip netns exec $A ping -q -c 3 -i 0.05 -W 1 10.99.0.2 >/dev/null 2>&1
if [ "$(stat B unprotected)" -ge 3 ] && [ "$(stat B decaps)" = 0 ]; then pass dp-protected-refuses-plain
else fail dp-protected-refuses-plain "B $(cmd B stats)"; fi
stop

# hostile plain GRE from the WAN (crafted with a raw socket in A): one valid
# packet, then an older sequence number, a wrong key, a truncated header and
# a bad GRE checksum -- each dropped and counted, the data plane keeps running
start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 --plain --gre-key 7 --gre-seq &&
cmd B carrier up >/dev/null
ip netns exec $A python3 -c '
import socket, struct
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b)); s = (s & 0xffff) + (s >> 16); s += s >> 16
    return ~s & 0xffff
def icmp_echo():
    ic = struct.pack("!BBHHH", 8, 0, 0, 1, 1) + b"vtid" * 4
    ic = ic[:2] + struct.pack("!H", csum(ic)) + ic[4:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(ic), 1, 0, 64, 1, 0,
                     socket.inet_aton("10.99.0.1"), socket.inet_aton("10.99.0.2"))
    return ip[:10] + struct.pack("!H", csum(ip)) + ip[12:] + ic
def gre(key, seq, payload, csum_on=False, corrupt=False):
    flags = 0x2000 | 0x1000 | (0x8000 if csum_on else 0)
    h = struct.pack("!HH", flags, 0x0800)
    if csum_on: h += b"\0\0\0\0"
    h += struct.pack("!II", key, seq)
    if csum_on:
        c = csum(h + payload) ^ (1 if corrupt else 0)
        h = h[:4] + struct.pack("!H", c) + h[6:]
    return h + payload
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 47)
dst = ("203.0.113.2", 0)
for pkt in (gre(7, 10, icmp_echo()), gre(7, 5, icmp_echo()), gre(8, 11, icmp_echo()),
            b"\x30\x00", gre(7, 12, icmp_echo(), True, True)):
    s.sendto(pkt, dst)
'
for _ in $(seq 50); do [ "$(stat B recv_err)" -ge 2 ] && [ "$(stat B malformed)" -ge 2 ] && break; sleep 0.1; done
if [ "$(stat B decaps)" = 1 ] && [ "$(stat B recv_err)" = 2 ] && [ "$(stat B malformed)" = 2 ] && ok "$(cmd B stats)"; then
	pass dp-hostile-gre-counted
else
	fail dp-hostile-gre-counted "B $(cmd B stats)"
fi
stop

# no outbound SA: dropped and counted, nothing sent
start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 && cmd A carrier up >/dev/null
ip netns exec $A ping -q -c 2 -i 0.05 -W 1 10.99.0.2 >/dev/null 2>&1
if [ "$(stat A no_sa)" -ge 2 ] && [ "$(stat A encrypt)" = 0 ]; then pass dp-no-sa-drops
else fail dp-no-sa-drops "A $(cmd A stats)"; fi
stop

# wrong key on one side: every packet fails the ICV and is counted
start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 &&
start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 &&
cmd A sa out 0x1001 transport aes-gcm-256 ${K1:0:72} >/dev/null && cmd B sa in 0x1001 transport aes-gcm-256 ${K2:0:72} >/dev/null &&
cmd A carrier up >/dev/null
ip netns exec $A ping -q -c 3 -i 0.05 -W 1 10.99.0.2 >/dev/null 2>&1
if [ "$(stat B auth)" -ge 3 ] && [ "$(stat B decaps)" = 0 ]; then pass dp-bad-icv-counted
else fail dp-bad-icv-counted "B $(cmd B stats)"; fi
stop

# Cisco GRE keepalives: A sends them (period 1 s, 2 retries), B only
# reflects.  Taking B's outbound SA away silences the answers -> A reports
# keepalive down; a new SA pair brings the answers back -> keepalive up.
wait_event() { # SIDE PATTERN
	for _ in $(seq 100); do
		case "$(cmd $1 events)" in *"$2"*) return 0 ;; esac
		sleep 0.1
	done
	return 1
}
start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 --keepalive 1,2 &&
start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 &&
cmd A sa out 0x1001 transport aes-gcm-256 ${K1:0:72} >/dev/null && cmd A sa in 0x2001 transport aes-gcm-256 ${K2:0:72} >/dev/null &&
cmd B sa out 0x2001 transport aes-gcm-256 ${K2:0:72} >/dev/null && cmd B sa in 0x1001 transport aes-gcm-256 ${K1:0:72} >/dev/null &&
cmd A carrier up >/dev/null && cmd B carrier up >/dev/null
ka_ok=1; why=""
ip netns exec $A ping -q -c 2 -i 0.2 -W 1 10.99.0.2 >/dev/null 2>&1 || { ka_ok=0; why="no ping"; }
cmd B del out 0x2001 >/dev/null
wait_event A ka-down || { ka_ok=0; why="$why; no ka-down: $(cmd A events) B $(cmd B stats)"; }
cmd A sa in 0x2003 transport aes-gcm-256 ${K1:0:72} >/dev/null; cmd B sa out 0x2003 transport aes-gcm-256 ${K1:0:72} >/dev/null
wait_event A ka-up || { ka_ok=0; why="$why; no ka-up: $(cmd A events)"; }
if [ $ka_ok = 1 ] && [[ "$(cmd A events)" != *ka-down*ka-down* ]]; then pass dp-keepalive-protected
else fail dp-keepalive-protected "$why"; fi
stop
# plain GRE, both sides sending keepalives; B stops -> A down; B back -> A up
start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 --plain --gre-key 7 --keepalive 1,2 &&
start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 --plain --gre-key 7 --keepalive 1,2 &&
cmd A carrier up >/dev/null && cmd B carrier up >/dev/null
ka_ok=1; why=""
sleep 1.5
case "$(cmd A events)$(cmd B events)" in *ka-down*) ka_ok=0; why="down while both answer" ;; esac
echo quit >&"$FD_B"; eval "exec $FD_B>&-"; unset FD_B
wait_event A ka-down || { ka_ok=0; why="$why; no ka-down"; }
start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 --plain --gre-key 7 &&
cmd B carrier up >/dev/null
wait_event A ka-up || { ka_ok=0; why="$why; no ka-up: $(cmd A events)"; }
if [ $ka_ok = 1 ]; then pass dp-keepalive-plain; else fail dp-keepalive-plain "$why"; fi
stop

# make-before-break: while a flood of pings runs, install new SAs on both
# sides (inbound first), switch outbound, then delete the old ones
if setup transport aes-gcm-256 72 ""; then
	ip netns exec $A ping -q -c 400 -i 0.005 -W 1 10.99.0.2 >"$tmp/mbb.ping" 2>&1 &
	pp=$!
	sleep 0.3
	r1=$(cmd A sa in 0x2002 transport aes-gcm-256 ${K1:0:72}); r2=$(cmd B sa in 0x1002 transport aes-gcm-256 ${K2:0:72})
	r3=$(cmd A sa out 0x1002 transport aes-gcm-256 ${K2:0:72}); r4=$(cmd B sa out 0x2002 transport aes-gcm-256 ${K1:0:72})
	sleep 0.3
	r5=$(cmd A del out 0x1001); r6=$(cmd B del out 0x2001); r7=$(cmd A del in 0x2001); r8=$(cmd B del in 0x1001)
	wait $pp
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$tmp/mbb.ping")
	newin=$(cmd B sastats in 0x1002)
	if [ "$loss" = 0 ] && ok "$r1" && ok "$r5" && ok "$r8" && [[ "$newin" == ok\ packets=[1-9]* ]]; then
		pass dp-make-before-break
	else
		fail dp-make-before-break "loss=$loss% $r1 $r3 $r5 $r8 new-in: $newin A $(cmd A stats)"
	fi
	stop
else
	fail dp-make-before-break "setup failed"; stop
fi

# Answering a rekey (B, `defer`): B's new outbound SA waits until A is seen
# on the new pair, so B never sends on an SA that A has not installed yet;
# or until B's old outbound SA is deleted.
sa_pkts() { cmd "$1" sastats "$2" "$3" | sed -n 's/^ok packets=\([0-9]*\).*/\1/p'; }
if setup transport aes-gcm-256 72 ""; then
	r1=$(cmd B sa in 0x1002 transport aes-gcm-256 ${K1:0:72})
	r2=$(cmd B sa out 0x2002 transport aes-gcm-256 ${K2:0:72} defer 0x1002)
	ping_both 5; p1=$?
	w1=$(sa_pkts B out 0x2002)
	r3=$(cmd A sa in 0x2002 transport aes-gcm-256 ${K2:0:72}); r4=$(cmd A sa out 0x1002 transport aes-gcm-256 ${K1:0:72})
	ping_both 5; p2=$?
	w2=$(sa_pkts B out 0x2002) a2=$(sa_pkts A in 0x2002)
	if ok "$r1" && ok "$r2" && ok "$r3" && ok "$r4" && [ $p1 = 0 ] && [ "$w1" = 0 ] && [ $p2 = 0 ] &&
	   [ "${w2:-0}" -ge 5 ] && [ "${a2:-0}" -ge 5 ]; then
		pass "dp-rekey-answer-waits-for-peer (new out unused until A used the pair, then $w2 packets)"
	else
		fail dp-rekey-answer-waits-for-peer "pings $p1/$p2 new-out $w1 -> $w2, A new-in $a2; $r2"
	fi
	stop
else
	fail dp-rekey-answer-waits-for-peer "setup failed"; stop
fi
if setup transport aes-gcm-256 72 ""; then
	r1=$(cmd B sa in 0x1002 transport aes-gcm-256 ${K1:0:72})
	r2=$(cmd B sa out 0x2002 transport aes-gcm-256 ${K2:0:72} defer 0x1002)
	r3=$(cmd A sa in 0x2002 transport aes-gcm-256 ${K2:0:72})
	r4=$(cmd B del out 0x2001)
	ping_both 5; p1=$?
	w1=$(sa_pkts B out 0x2002)
	if ok "$r2" && ok "$r4" && [ $p1 = 0 ] && [ "${w1:-0}" -ge 5 ]; then
		pass "dp-rekey-answer-on-old-deleted (the deferred SA carries: $w1 packets)"
	else
		fail dp-rekey-answer-on-old-deleted "ping $p1 new-out $w1; $r2 $r4"
	fi
	stop
else
	fail dp-rekey-answer-on-old-deleted "setup failed"; stop
fi

# DF: an inner packet over the tunnel MTU with DF set gets ICMP
# fragmentation-needed back through the device (the device MTU is raised
# behind the data plane's back so the kernel hands over a 1500-byte packet)
if setup transport aes-gcm-256 72 ""; then
	ip -n $A link set Tunnel1 mtu 1500
	out=$(ip netns exec $A ping -c 2 -i 0.2 -W 1 -M do -s 1472 10.99.0.2 2>&1)
	if [ "$(stat A frag_needed)" -ge 1 ] && [[ "$out" == *"mtu = 1442"* ]]; then pass dp-df-frag-needed
	else fail dp-df-frag-needed "$(echo "$out" | tail -2 | tr '\n' ' ') A $(cmd A stats)"; fi
fi
stop

# lifetimes: outbound soft at 4 packets, hard at 8 -> one event each, then
# drops counted as no-SA; inbound limits fire on the receiving side
start A --name Tunnel1 --local 203.0.113.1 --remote 203.0.113.2 --addr 10.99.0.1/30 &&
start B --name Tunnel1 --local 203.0.113.2 --remote 203.0.113.1 --addr 10.99.0.2/30 &&
cmd A sa out 0x1001 transport aes-gcm-256 ${K1:0:72} soft-packets 4 hard-packets 8 >/dev/null &&
cmd B sa in 0x1001 transport aes-gcm-256 ${K1:0:72} soft-packets 3 >/dev/null &&
cmd A carrier up >/dev/null
ip netns exec $A ping -q -c 12 -i 0.02 -W 1 10.99.0.2 >/dev/null 2>&1
wait_event A hard:out:1001; wait_event B soft:in:1001
ea=$(cmd A events); eb=$(cmd B events)
if [ "$ea" = "ok soft:out:1001 hard:out:1001 " ] && [ "$(stat A encrypt)" = 8 ] && [ "$(stat A no_sa)" = 4 ] &&
   [ "$eb" = "ok soft:in:1001 " ]; then pass dp-lifetime-events
else fail dp-lifetime-events "A: $ea B: $eb A $(cmd A stats)"; fi
stop

# table churn under traffic: inbound SAs added and deleted (each a table
# rebuild + grace period) while a ping flood runs on the live SA: no loss,
# then the device is deleted and re-created under the same traffic
if setup transport aes-gcm-256 72 ""; then
	ip netns exec $A ping -q -c 300 -i 0.005 -W 1 10.99.0.2 >"$tmp/churn.ping" 2>&1 &
	pp=$!
	churn_ok=1
	for i in $(seq 1 20); do
		ok "$(cmd B sa in $((0x3000 + i)) transport chacha20-poly1305 ${K2:0:72})" || churn_ok=0
		if [ $((i % 2)) = 0 ]; then ok "$(cmd B del in $((0x3000 + i - 1)))" || churn_ok=0; fi
	done
	wait $pp
	loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' "$tmp/churn.ping")
	ip netns exec $A ping -q -c 200 -i 0.005 -W 1 10.99.0.2 >/dev/null 2>&1 &
	pp=$!
	r=$(cmd B relink); r2=$(cmd B relink)
	wait $pp
	if [ $churn_ok = 1 ] && [ "$loss" = 0 ] && ok "$r" && ok "$r2" && ok "$(cmd B stats)"; then pass dp-churn-under-traffic
	else fail dp-churn-under-traffic "churn=$churn_ok loss=$loss% relink=$r/$r2"; fi
	stop
else
	fail dp-churn-under-traffic "setup failed"; stop
fi

[ $fails = 0 ]
