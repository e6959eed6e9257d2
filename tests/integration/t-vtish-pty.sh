#!/bin/bash
# t-vtish-pty: vtish driven through a real pseudo-terminal (vtish_pty.py):
# prompts following the modes, TAB completion, `?` help with the line
# redrawn intact, abbreviations, Ctrl-Z / Ctrl-C / Ctrl-D, history.
#   1. against tests/tools/ctlecho (a toy grammar on the real vtid/ctl.c);
#   2. against the real vtid (conf/examples/site-a.conf) in a network
#      namespace of its own, with its FRR socket folder pointed at an empty
#      temporary folder so no FRR outside the test is touched.
set -u
BUILD=${BUILD:-build}
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
VTISH=$BUILD/vtish
CTLECHO=$BUILD/tools/ctlecho
VTID=$BUILD/vtid
CONF=conf/examples/site-a.conf
tmp=$(mktemp -d /tmp/vtish-pty.XXXXXX)
ns=vtpty$$
pids=()
fails=0
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

for f in "$VTISH" "$CTLECHO"; do
	if [ ! -x "$f" ]; then
		echo "FAIL vtish-pty-setup: $f not built"
		exit 1
	fi
done

# ---- 1. the toy grammar ----
"$CTLECHO" -s "$tmp/ctl.sock" >"$tmp/ctlecho.out" 2>"$tmp/ctlecho.err" &
pid=$!
pids+=("$pid")
for _ in $(seq 50); do
	grep -q ready "$tmp/ctlecho.out" && break
	sleep 0.1
done
if ! grep -q ready "$tmp/ctlecho.out"; then
	echo "FAIL vtish-pty-setup: ctlecho did not start: $(cat "$tmp/ctlecho.err")"
	exit 1
fi
mkdir -p "$tmp/home"
python3 tests/integration/vtish_pty.py --vtish "$VTISH" --socket "$tmp/ctl.sock" \
	--home "$tmp/home" --scenario toy || fails=$((fails + 1))
kill -TERM "$pid"
if ! wait "$pid"; then
	echo "FAIL vtish-pty-ctlecho-exit: ctlecho exited with an error: $(tail -5 "$tmp/ctlecho.err")"
	fails=$((fails + 1))
fi

# ---- 2. the real vtid ----
if [ ! -x "$VTID" ]; then
	echo "FAIL vtish-pty-vtid-setup: $VTID not built"
	exit 1
fi
if ! ip netns add "$ns"; then
	echo "FAIL vtish-pty-vtid-setup: cannot create network namespace $ns"
	exit 1
fi
ip netns exec "$ns" ip link set lo up
mkdir -p "$tmp/frr" "$tmp/home2"
host=$(awk '$1 == "hostname" { print $2; exit }' "$CONF")
ip netns exec "$ns" "$VTID" -F -f "$CONF" -s "$tmp/vtid.sock" --frr-vty-socket "$tmp/frr" \
	>"$tmp/vtid.log" 2>&1 &
vpid=$!
pids+=("$vpid")
up=0
for _ in $(seq 300); do
	if "$VTISH" -s "$tmp/vtid.sock" -c 'show version' >/dev/null 2>&1; then
		up=1
		break
	fi
	kill -0 "$vpid" 2>/dev/null || break
	sleep 0.1
done
if [ $up = 0 ]; then
	echo "FAIL vtish-pty-vtid-setup: vtid did not serve $tmp/vtid.sock: $(tail -5 "$tmp/vtid.log")"
	exit 1
fi
python3 tests/integration/vtish_pty.py --vtish "$VTISH" --socket "$tmp/vtid.sock" \
	--home "$tmp/home2" --scenario vtid --hostname "${host:-vtid}" || fails=$((fails + 1))
# -c against the real grammar: one session, abbreviations, failure status
out=$("$VTISH" -s "$tmp/vtid.sock" -c 'conf t' -c 'int Tunnel1' -c 'description set by vtish -c' \
	-c end -c 'sh run' 2>&1)
if [ $? = 0 ] && grep -q "^ description set by vtish -c$" <<<"$out"; then
	echo "PASS vtish-pty-vtid-c-session"
else
	echo "FAIL vtish-pty-vtid-c-session: $out"
	fails=$((fails + 1))
fi
"$VTISH" -s "$tmp/vtid.sock" -c 'conf t' -c 'bogus words' -c end >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ $rc = 1 ] && grep -q "^% " "$tmp/e"; then
	echo "PASS vtish-pty-vtid-c-failure"
else
	echo "FAIL vtish-pty-vtid-c-failure: rc=$rc stderr: $(cat "$tmp/e")"
	fails=$((fails + 1))
fi
kill -TERM "$vpid"
if ! wait "$vpid"; then
	echo "FAIL vtish-pty-vtid-exit: vtid exited with an error: $(tail -5 "$tmp/vtid.log")"
	fails=$((fails + 1))
fi
grep -E "Sanitizer|runtime error" "$tmp/ctlecho.err" "$tmp/vtid.log" || true
[ $fails = 0 ]
