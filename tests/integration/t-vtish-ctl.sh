#!/bin/bash
# t-vtish-ctl: the control socket (vtid/ctl.c) and vtish's non-interactive
# uses, against tests/tools/ctlecho (a toy grammar served by the real ctl.c).
#   - vtish -c: one session for all commands, stop at the first failure,
#     exit status, VTISH_SOCKET, help with '?', exit closes;
#   - vtish reading a pipe;
#   - the socket file: mode 0660, folder created 0755, stale file replaced,
#     a live server's socket never stolen;
#   - hostile and concurrent clients (ctl_proto.py): malformed and oversize
#     requests answered and counted, a client that doesn't read dropped,
#     50 clients at once, too many refused, long output whole.
set -u
BUILD=${BUILD:-build}
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$top" || exit 1
VTISH=$BUILD/vtish
CTLECHO=$BUILD/tools/ctlecho
tmp=$(mktemp -d /tmp/vtish-ctl.XXXXXX)
pids=()
fails=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; fails=$((fails + 1)); }
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

for f in "$VTISH" "$CTLECHO"; do
	if [ ! -x "$f" ]; then
		echo "FAIL vtish-ctl-setup: $f not built"
		exit 1
	fi
done

# start_ctlecho NAME SOCKET ARGS...: starts one, waits for "ready"; sets $pid.
start_ctlecho() {
	local name=$1 sock=$2
	shift 2
	"$CTLECHO" -s "$sock" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 50); do
		grep -q ready "$tmp/$name.out" 2>/dev/null && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

SOCK=$tmp/run/vtid/vtid.sock
if ! start_ctlecho main "$SOCK" --max-clients 60 --stall-ms 500 --high-mark 65536 \
	--max-queue 1048576; then
	echo "FAIL vtish-ctl-setup: ctlecho did not start: $(cat "$tmp/main.err")"
	exit 1
fi
main_pid=$pid

# ---- the socket file ----
m=$(stat -c %a "$SOCK"); d=$(stat -c %a "$tmp/run/vtid"); d2=$(stat -c %a "$tmp/run")
if [ -S "$SOCK" ] && [ "$m" = 660 ] && [ "$d" = 755 ] && [ "$d2" = 755 ]; then
	pass vtish-ctl-socket-modes
else
	fail vtish-ctl-socket-modes "socket $m, folders $d2 $d (want 660, 755 755)"
fi

if "$CTLECHO" -s "$SOCK" >"$tmp/second.out" 2>"$tmp/second.err"; then
	fail vtish-ctl-live-socket-kept "a second server took over a live socket"
elif grep -q "another vtid is serving it" "$tmp/second.err" &&
	"$VTISH" -s "$SOCK" -c "show version" | grep -q "ctlecho test server"; then
	pass vtish-ctl-live-socket-kept
else
	fail vtish-ctl-live-socket-kept "second server: $(cat "$tmp/second.err")"
fi

# ---- vtish -c ----
out=$("$VTISH" -s "$SOCK" -c enable -c 'configure terminal' -c 'interface Tunnel1' -c shutdown 2>&1)
rc=$?
if [ $rc = 0 ] && grep -q "^Tunnel1: shutdown$" <<<"$out"; then
	pass vtish-ctl-c-one-session
else
	fail vtish-ctl-c-one-session "rc=$rc output: $out"
fi

out=$("$VTISH" -s "$SOCK" -c en -c 'conf t' -c 'int Tunnel7' -c 'desc uplink to site B' 2>&1)
if [ $? = 0 ] && grep -q '^Tunnel7: description "uplink to site B"$' <<<"$out"; then
	pass vtish-ctl-c-abbreviations
else
	fail vtish-ctl-c-abbreviations "output: $out"
fi

"$VTISH" -s "$SOCK" -c en -c bogus -c 'show version' >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ $rc = 1 ] && ! grep -q ctlecho "$tmp/o" && grep -q "Invalid input detected" "$tmp/e"; then
	pass vtish-ctl-c-stops-at-failure
else
	fail vtish-ctl-c-stops-at-failure "rc=$rc stdout: $(cat "$tmp/o") stderr: $(cat "$tmp/e")"
fi

"$VTISH" -s "$SOCK" -c fail >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ $rc = 1 ] && grep -q "failed on purpose" "$tmp/e"; then
	pass vtish-ctl-c-exit-status
else
	fail vtish-ctl-c-exit-status "rc=$rc stderr: $(cat "$tmp/e")"
fi

out=$(VTISH_SOCKET=$SOCK "$VTISH" -c 'show version' 2>&1)
if [ $? = 0 ] && [ "$out" = "ctlecho test server, version 1.0" ]; then
	pass vtish-ctl-env-socket
else
	fail vtish-ctl-env-socket "output: $out"
fi

out=$("$VTISH" -s "$tmp/nothing.sock" -c 'show version' 2>&1)
rc=$?
if [ $rc = 1 ] && grep -q "cannot connect to $tmp/nothing.sock" <<<"$out"; then
	pass vtish-ctl-no-server
else
	fail vtish-ctl-no-server "rc=$rc output: $out"
fi

out=$("$VTISH" -s "$SOCK" -c 'show ?' -c 'sh?' 2>&1)
if [ $? = 0 ] && grep -Eq '^  version +System software version$' <<<"$out" &&
	grep -Eq '^  big +A long output$' <<<"$out" && grep -q '^show$' <<<"$out"; then
	pass vtish-ctl-c-help
else
	fail vtish-ctl-c-help "output: $out"
fi

out=$("$VTISH" -s "$SOCK" -c 'exit' -c 'show version' 2>&1)
if [ $? = 0 ] && [ -z "$out" ]; then
	pass vtish-ctl-c-exit-ends-session
else
	fail vtish-ctl-c-exit-ends-session "output: $out"
fi

n=$("$VTISH" -s "$SOCK" -c 'show big 300000' | tee "$tmp/big" | wc -l)
if [ "$n" = 300001 ] && [ "$(tail -1 "$tmp/big")" = "end of big output" ] &&
	[ "$(sed -n 150000p "$tmp/big")" = "line 150000 of 300000: the quick brown fox jumps" ]; then
	pass vtish-ctl-long-output
else
	fail vtish-ctl-long-output "$n lines"
fi

# ---- vtish on a pipe ----
out=$(printf 'enable\n\nconfigure terminal\n  crypto ikev2 proposal P1\n group 19\nend\nshow version\n' |
	"$VTISH" -s "$SOCK" 2>&1)
if [ $? = 0 ] && grep -q "^P1: group 19$" <<<"$out" && grep -q "^ctlecho test server" <<<"$out"; then
	pass vtish-ctl-pipe
else
	fail vtish-ctl-pipe "output: $out"
fi

printf 'enable\nshow version\nbogus\necho after\n' | "$VTISH" -s "$SOCK" >"$tmp/o" 2>"$tmp/e"
rc=$?
if [ $rc = 1 ] && grep -q "^ctlecho" "$tmp/o" && ! grep -q after "$tmp/o" &&
	grep -q "stopped at line 3" "$tmp/e"; then
	pass vtish-ctl-pipe-stops-at-failure
else
	fail vtish-ctl-pipe-stops-at-failure "rc=$rc stdout: $(cat "$tmp/o") stderr: $(cat "$tmp/e")"
fi

# ---- hostile and concurrent clients ----
python3 tests/integration/ctl_proto.py "$SOCK" || fails=$((fails + 1))
echo "(ctl_proto.py done)"

# ---- a stale socket (server killed) is replaced ----
{ kill -KILL "$main_pid"; wait "$main_pid"; } 2>/dev/null
if [ -S "$SOCK" ] && start_ctlecho again "$SOCK" &&
	"$VTISH" -s "$SOCK" -c "show version" | grep -q "ctlecho test server"; then
	pass vtish-ctl-stale-socket-replaced
else
	fail vtish-ctl-stale-socket-replaced "$(cat "$tmp/again.err" 2>/dev/null)"
fi

# ---- clean shutdown removes the socket (and, under ASan, leaks nothing) ----
kill -TERM "$pid"
wait "$pid"
rc=$?
if [ $rc = 0 ] && [ ! -e "$SOCK" ]; then
	pass vtish-ctl-clean-shutdown
else
	fail vtish-ctl-clean-shutdown "rc=$rc, socket $(ls -l "$SOCK" 2>&1)"
fi
# sanitizer reports from the servers must reach the runner
cat "$tmp"/*.err | grep -E "Sanitizer|runtime error" || true
[ $fails = 0 ]
