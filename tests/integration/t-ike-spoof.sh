#!/bin/bash
# t-ike-spoof: no spoofed or malformed IKE message takes a router down.
#   two-site up (FRR + vtid on R2 and R3), converged, and a third namespace X
#   hung off R3 as a stranger on the WAN (203.0.113.66) and as a peer of
#   R3's that really holds an IKE SA with it (203.0.113.77, Tunnel9 added to
#   R3 through vtish).  While R1 pings R4 every 50 ms across Tunnel1:
#   - authenticated: build/tools/ikeforge (vtid's own IKE engine as R3's peer)
#     sends 152 CREATE_CHILD_SA / INFORMATIONAL messages inside SK with
#     payloads missing, truncated or refused, and unsolicited responses,
#     checks each answer (INVALID_SYNTAX where a payload is missing), then
#     proves with a DPD that its IKE SA still answers;
#   - unauthenticated: tests/tools/ikespoof.py sends IKE_SA_INIT requests
#     holding an error notify or COOKIE with every subset of SA/KE/Nonce,
#     zero SPIs, truncated ones and error-only responses, to UDP 500 and 4500
#     of R3 (from R2's address: spoofed from X with a raw socket, and from
#     R2's namespace; and from the stranger) and of R2 (from R3's address and
#     from the stranger).
#   Then: both vtids run with the same PIDs, the ping lost nothing, the IKE
#   refusal counters (`show crypto ikev2 stats json`) rose by at least the
#   number of malformed messages each router got (forged: rule_err +
#   decode_errors.* + bad_payload + bad_msgid + zero_spi >= malformed +
#   unsolicited; IKE_SA_INIT: those + unknown_peer, no_sa, bad_proposal and
#   the other refusals in $REFUSALS >= datagrams sent), Tunnel1's IKE SA and
#   Child SA kept their SPIs on both routers, and each vtid (every thread)
#   kept only CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE (0x3400) in
#   CapPrm/CapEff/CapBnd, CapInh/CapAmb 0, NoNewPrivs 1.  About 15 s.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
lab="$top/tests/lab/lab"
. "$top/tests/lab/testlib.sh"
NAME=vtsp$$
X=$NAME-X # the extra WAN namespace, ours to delete
STRANGER=203.0.113.66
FORGER=203.0.113.77
PSK9=forge-s3cret
failed=0
tmp=$(mktemp -d /tmp/vtsp.XXXXXX)
forge_pid="" ping_pid=""
cleanup() {
	[ -n "$forge_pid" ] && kill "$forge_pid" 2>/dev/null
	[ -n "$ping_pid" ] && kill "$ping_pid" 2>/dev/null
	ip netns del "$X" 2>/dev/null
	"$lab" down $NAME >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
t_start=$(now_ms)

[ -x "$BUILD/vtid" ] || { echo "FAIL t-ike-spoof: $BUILD/vtid not built"; exit 1; }
[ -x "$BUILD/tools/ikeforge" ] || { echo "FAIL t-ike-spoof: $BUILD/tools/ikeforge not built"; exit 1; }
"$lab" up two-site --name $NAME --vtid || { echo "FAIL lab-up: lab up two-site failed"; exit 1; }
labrun=${VTID_LAB_RUN:-/run/vtid-lab}/$NAME

converged() {
	ike_ready $NAME R2 Tunnel1 && ike_ready $NAME R3 Tunnel1 &&
		route_ospf $NAME R2 10.4.4.0/24 Tunnel1 && route_ospf $NAME R3 10.1.1.0/24 Tunnel1 &&
		ping_ok $NAME R1 10.4.4.4
}
if wait_until 60 converged; then pass converged; else
	fail converged "no SA + route + ping R1 -> R4 within 60 s"
	exit 1
fi

# ---- X: a stranger and a forging peer on R3's side of the WAN ----
ip netns add "$X" && ip -n "$X" link set lo up &&
	ip link add wan netns "$X" type veth peer name x0 netns $NAME-R3 &&
	ip -n "$X" addr add $STRANGER/24 dev wan && ip -n "$X" addr add $FORGER/24 dev wan &&
	ip -n "$X" link set wan up && ip -n $NAME-R3 link set x0 up &&
	ip -n $NAME-R3 route add $STRANGER/32 dev x0 && ip -n $NAME-R3 route add $FORGER/32 dev x0 &&
	ip netns exec $NAME-R3 sysctl -qw net.ipv4.conf.x0.proxy_arp=1 net.ipv4.conf.x0.rp_filter=0 ||
	{ echo "FAIL setup: namespace $X"; exit 1; }

# The forger first (vtid initiates Tunnel9 as soon as it exists), then Tunnel9.
ip netns exec "$X" "$BUILD/tools/ikeforge" --local $FORGER --remote 203.0.113.3 --psk $PSK9 \
	--start-file "$tmp/go" >"$tmp/forge.log" 2>&1 &
forge_pid=$!
"$lab" vtish $NAME R3 -c 'configure terminal' \
	-c 'crypto ikev2 keyring KR9' -c 'peer FORGER' -c "address $FORGER" \
	-c "pre-shared-key $PSK9" -c 'exit' -c 'exit' \
	-c 'crypto ikev2 profile PROF9' -c "match identity remote address $FORGER 255.255.255.255" \
	-c 'authentication remote pre-share' -c 'authentication local pre-share' \
	-c 'keyring local KR9' -c 'exit' \
	-c 'crypto ipsec profile IPP9' -c 'set transform-set TS' -c 'set ikev2-profile PROF9' -c 'exit' \
	-c 'interface Tunnel9' -c 'ip address 192.168.9.3 255.255.255.0' \
	-c 'tunnel source 203.0.113.3' -c "tunnel destination $FORGER" \
	-c 'tunnel protection ipsec profile IPP9' -c 'end' >"$tmp/conf9.out" 2>&1 ||
	fail configure-tunnel9 "$(tail -3 "$tmp/conf9.out")"
if wait_until 30 grep -q '^ikeforge: established' "$tmp/forge.log"; then
	pass forger-established
	grep '^ikeforge: established' "$tmp/forge.log" | sed 's/^/# /'
else
	fail forger-established "$(tail -5 "$tmp/forge.log" | tr '\n' '|')"
fi

# ---- what must not change ----
vtid_pid() { local p b; read -r p b <"$labrun/$1/vtid.lab-pid" && echo "$p"; }
running() { [ -n "$1" ] && [[ "$(readlink "/proc/$1/exe" 2>/dev/null)" == */vtid ]]; }
# tunnel1_spis NODE: "IKE spi_i/spi_r Child spi_in/spi_out" of Tunnel1's READY SA
tunnel1_spis() {
	vtish_json $NAME "$1" 'show crypto ikev2 sa json' |
		jq_py "' '.join('IKE %s/%s Child %s/%s' % (s['spi_i'], s['spi_r'], c['spi_in'], c['spi_out']) for s in d['sas'] if s.get('status')=='READY' for c in s.get('children',[]) if c.get('interface')=='Tunnel1')"
}
stats() { vtish_json $NAME "$1" 'show crypto ikev2 stats json' >"$tmp/$1.$2.json"; }
# Counters that only a refused message moves (one of them per refusal), and
# among them those that say "malformed" (with decode_errors.*, always summed).
REFUSALS="rule_err sk_fail no_sa bad_msgid unknown_peer bad_proposal invalid_ke_sent cookies_sent
	cookie_bad ts_unacceptable half_open_refused bad_payload resend_refused zero_spi frag_drop"
MALFORMED="rule_err bad_payload bad_msgid zero_spi"
# refusal_delta NODE FROM TO COUNTER...: "TOTAL breakdown" of the counters' rise
refusal_delta() {
	python3 - "$tmp/$1.$2.json" "$tmp/$1.$3.json" "${@:4}" <<'EOF'
import json, sys
try:
    a, b = (json.load(open(f)) for f in sys.argv[1:3])
except Exception:
    print("-1 no stats: vtid not answering")
    sys.exit(0)
def flat(d):
    out = {k: v for k, v in d.items() if k in sys.argv[3:]}
    for k, v in d.get("decode_errors", {}).items():
        out["decode_errors." + k] = v
    return out
fa, fb = flat(a), flat(b)
delta = {k: fb.get(k, 0) - fa.get(k, 0) for k in fb}
print(sum(delta.values()), ", ".join("%s +%d" % (k, v) for k, v in sorted(delta.items()) if v))
EOF
}

pid2=$(vtid_pid R2) pid3=$(vtid_pid R3)
spis2=$(tunnel1_spis R2) spis3=$(tunnel1_spis R3)
echo "# R2 vtid pid $pid2, Tunnel1 $spis2"
echo "# R3 vtid pid $pid3, Tunnel1 $spis3"
stats R2 s0
stats R3 s0

# ---- the attack, under a steady ping ----
"$lab" exec $NAME R1 ping -i 0.05 -W 1 10.4.4.4 >"$tmp/ping.txt" 2>&1 &
ping_pid=$!
sleep 1
t_attack=$(now_ms)

# 1. authenticated
touch "$tmp/go"
for _ in $(seq 600); do kill -0 $forge_pid 2>/dev/null || break; sleep 0.2; done
kill $forge_pid 2>/dev/null
wait $forge_pid
forge_rc=$?
forge_pid=""
sed -n 's/^\(case\|ikeforge\|summary\)/# &/p' "$tmp/forge.log"
if grep -q -E '^==[0-9]+==ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/forge.log"; then
	grep -E -A12 '^==[0-9]+==ERROR: (Address|Leak)Sanitizer|runtime error:' "$tmp/forge.log" | head -40
	fail ikeforge-sanitizer "ikeforge's own sanitizer report (above)"
fi
summary=$(grep '^summary:' "$tmp/forge.log")
fval() { echo "$summary" | sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }
if [ -n "$summary" ] && [ "$(fval bad)" = 0 ]; then
	pass "forged-requests: $(fval cases) authenticated requests answered as expected"
else
	fail forged-requests "${summary:-no summary}; $(grep -E 'BAD$|not sent|stopped|gone' "$tmp/forge.log" | head -5 | tr -s ' ' | tr '\n' '|')"
fi
if grep -q 'DPD .* answered: the IKE SA is alive' "$tmp/forge.log" && [ $forge_rc = 0 ]; then
	pass "forger-sa-alive: its IKE SA answered a DPD after every case"
else
	fail forger-sa-alive "$(grep -E 'DPD|IKE SA (down|up)' "$tmp/forge.log" | tr '\n' '|') (exit $forge_rc)"
fi
stats R2 s1
stats R3 s1

# 2. unauthenticated
spoof() { # NODE-or-X ARGS...: runs ikespoof.py there, prints the datagrams sent
	local ns=$1; shift
	ip netns exec "$ns" python3 "$top/tests/tools/ikespoof.py" "$@" 2>"$tmp/spoof.err" |
		sed -n 's/^sent //p' | grep . || { echo 0; sed 's/^/# ikespoof: /' "$tmp/spoof.err" >&2; }
}
n3=0 n2=0
# to R3: R2's address spoofed (source port 500/4500), from R2's own namespace, a stranger
n=$(spoof "$X" --raw --src 203.0.113.2 --dst 203.0.113.3); n3=$((n3 + ${n%%[!0-9]*}))
n=$(spoof $NAME-R2 --src 203.0.113.2 --dst 203.0.113.3); n3=$((n3 + ${n%%[!0-9]*}))
n=$(spoof "$X" --src $STRANGER --dst 203.0.113.3); n3=$((n3 + ${n%%[!0-9]*}))
# to R2: from R3's own namespace, a stranger (routed through R3)
n=$(spoof $NAME-R3 --src 203.0.113.3 --dst 203.0.113.2); n2=$((n2 + ${n%%[!0-9]*}))
n=$(spoof "$X" --src $STRANGER --dst 203.0.113.2); n2=$((n2 + ${n%%[!0-9]*}))
echo "# unauthenticated IKE_SA_INIT messages sent: $n3 to R3, $n2 to R2"
sleep 1
stats R2 s2
stats R3 s2
echo "# attack lasted $(($(now_ms) - t_attack)) ms"
sleep 0.5
kill -INT $ping_pid 2>/dev/null
wait $ping_pid
ping_pid=""

# ---- verdicts ----
for n in R2 R3; do
	if [ $n = R2 ]; then p=$pid2; else p=$pid3; fi
	now=$(vtid_pid $n)
	if [ -n "$p" ] && [ "$now" = "$p" ] && running "$p"; then
		pass "vtid-alive-$n: same PID $p, still running"
	else
		fail "vtid-alive-$n" "pid before $p, recorded now ${now:-none}, running: $(running "$p" && echo yes || echo no); $(tail -3 "$labrun/$n/vtid.log" 2>/dev/null | tr '\n' '|')"
	fi
done

# Every request before the last sent must have its reply (the last one may
# be in flight when ping is stopped).
read -r ping_tx ping_rx ping_lost ping_missing < <(python3 - "$tmp/ping.txt" <<'EOF'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"(\d+) packets transmitted", t)
tx = int(m.group(1)) if m else 0
got = {int(s) for s in re.findall(r"icmp_seq=(\d+) ttl=", t)}
missing = [s for s in range(1, tx) if s not in got]
print(tx, len(got), len(missing), ",".join(map(str, missing[:20])) or "-")
EOF
)
if [ "${ping_tx:-0}" -gt 20 ] && [ "$ping_lost" = 0 ]; then
	pass "ping-no-loss: R1 -> R4 every 50 ms through the attack: $ping_tx sent, $ping_rx answered"
else
	fail ping-no-loss "${ping_tx:-0} sent, $ping_lost lost (icmp_seq $ping_missing); $(tail -2 "$tmp/ping.txt" | tr '\n' '|')"
fi

malformed=$(fval malformed) silent=$(fval silent)
want=$((${malformed:-0} + ${silent:-0}))
read -r d rest <<<"$(refusal_delta R3 s0 s1 $MALFORMED)"
[ "$d" = -1 ] && d="?"
if [ -n "$summary" ] && [ "$d" != "?" ] && [ "$d" -ge "$want" ]; then
	pass "refusals-authenticated-R3: +$d >= $want malformed/unsolicited forged messages ($rest)"
else
	fail refusals-authenticated-R3 "+$d for $want malformed/unsolicited forged messages ($(fval rules) refused by the payload rules or decoder, $(fval handler) by the exchange handler, $silent unsolicited responses): ${rest:-no counter moved}"
fi
for n in R3 R2; do
	if [ $n = R3 ]; then want=$n3; else want=$n2; fi
	read -r d rest <<<"$(refusal_delta $n s1 s2 $REFUSALS)"
	[ "$d" = -1 ] && d="?"
	if [ "$want" -gt 0 ] && [ "$d" != "?" ] && [ "$d" -ge "$want" ]; then
		pass "refusals-unauthenticated-$n: +$d >= $want IKE_SA_INIT messages sent ($rest)"
	else
		fail "refusals-unauthenticated-$n" "+$d for $want messages sent: $rest"
	fi
done

for n in R2 R3; do
	if [ $n = R2 ]; then before=$spis2; else before=$spis3; fi
	after=$(tunnel1_spis $n)
	if [ -n "$before" ] && [ "$after" = "$before" ]; then
		pass "same-sas-$n: Tunnel1 $after"
	else
		fail "same-sas-$n" "before '$before', after '$after'"
	fi
done

# Capabilities: CAP_NET_BIND_SERVICE (10), CAP_NET_ADMIN (12), CAP_NET_RAW (13)
for n in R2 R3; do
	if [ $n = R2 ]; then p=$pid2; else p=$pid3; fi
	if ! running "$p"; then
		fail "caps-$n" "vtid (pid $p) not running"
		continue
	fi
	bad=$(python3 - "$p" <<'EOF'
import glob, sys
want = {"CapInh": 0, "CapPrm": 0x3400, "CapEff": 0x3400, "CapBnd": 0x3400, "CapAmb": 0,
        "NoNewPrivs": 1}
pid = sys.argv[1]
bad = []
files = ["/proc/%s/status" % pid] + sorted(glob.glob("/proc/%s/task/*/status" % pid))
for f in files:
    try:
        lines = dict(l.split(":", 1) for l in open(f) if ":" in l)
    except OSError:
        continue
    for k, v in want.items():
        got = lines.get(k, "").strip()
        val = int(got, 16 if k.startswith("Cap") else 10) if got else None
        if val != v:
            bad.append("%s %s=%s" % (f.split("/")[-2] if "task" in f else "process", k, got or "?"))
print("%d files; " % len(files) + "; ".join(bad[:6]) if bad else "")
EOF
	)
	threads=$(ls /proc/$p/task 2>/dev/null | wc -l)
	if [ -z "$bad" ]; then
		pass "caps-$n: vtid and its $threads threads: CapPrm/CapEff/CapBnd 0x3400, CapInh/CapAmb 0, NoNewPrivs 1"
	else
		fail "caps-$n" "want CapPrm/CapEff/CapBnd 0000000000003400, CapInh/CapAmb 0, NoNewPrivs 1: $bad"
	fi
done

ip netns del "$X" 2>/dev/null
lab_down_checked $NAME
echo "# t-ike-spoof took $(($(now_ms) - t_start)) ms"
exit $failed
