#!/bin/bash
# Local input handled safely (issue 12), on one vtid with no peer:
#   - `configure replace` with a FIFO that has no writer, a device
#     (/dev/zero), a symlink to a valid file, a directory and an empty file:
#     each refused at once (vtish returns within 2 s) with its reason, the
#     running configuration unchanged, and a second client answered while
#     the attempt runs and after it;
#   - SIGHUP with the configuration file swapped for a FIFO: refused, logged,
#     vtid still answering;
#   - a line with an ESC byte, typed through vtish in configuration mode or
#     at EXEC level, or sent raw on the control socket: refused at its
#     column, the configuration unchanged, no raw control byte sent back or
#     logged;
#   - a regular file still replaces the configuration;
#   - vtish shows a control byte that reaches it (from tests/tools/ctlecho,
#     which echoes anything) as \xNN, in output and in errors.
set -u
. "$(dirname "$0")/lib.sh"

one_router vtCi wan

# Every call is bounded: a vtid frozen on a read must show as failures, not
# hang the suite.
vsh() {
	local sock=$1 c args=()
	shift
	for c in "$@"; do args+=(-c "$c"); done
	timeout 5 "$VTISH" -s "$sock" "${args[@]}"
}
# unfreeze PATH: if vtid is stuck opening the FIFO PATH, a writer frees it.
unfreeze() {
	[ -p "$1" ] && timeout 1 bash -c ': >>"$1"' _ "$1" 2>/dev/null
}

S=$RUN/s
cat >"$RUN/vtid.conf" <<'EOF'
hostname INPUT1
crypto ikev2 keyring KR
 peer SITE2
  description the other site
  address 192.0.2.99
  pre-shared-key s3cret
interface Tunnel7
 description plain GRE
 ip address 10.77.0.1 255.255.255.252
 tunnel source 192.0.2.1
 tunnel destination 192.0.2.99
 tunnel key 77
EOF
start_vtid $NS "$RUN/vtid.conf" "$S" "$RUN/log"
vtid_pid=${_pids[0]}
vsh "$S" 'show running-config' >"$RUN/before" 2>&1
grep -q '^hostname INPUT1' "$RUN/before" && pass "vtid started with its file" ||
	fail "start" "$(tail -5 "$RUN/log")"

now_ms() { date +%s%3N; }

# other_client NAME: `show version` from a second client, answered within 2 s.
other_client() {
	local t0 out rc
	t0=$(now_ms)
	out=$(timeout 2 "$VTISH" -s "$S" -c 'show version' 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ -n "$out" ]; then
		pass "$1: another client answered ($(($(now_ms) - t0)) ms)"
	else
		fail "$1: another client answered" "rc=$rc after $(($(now_ms) - t0)) ms: $out"
	fi
}

# replace_refused NAME PATH REASON: `configure replace PATH` fails within
# 2 s saying "PATH: error: REASON"; a second client is answered while it
# runs and after it; the running configuration is unchanged.
replace_refused() {
	local name=$1 path=$2 reason=$3 t0 ms rc bg
	t0=$(now_ms)
	timeout 5 "$VTISH" -s "$S" -c "configure replace $path" >"$RUN/$name.out" 2>&1 &
	bg=$!
	other_client "$name (during)"
	wait $bg
	rc=$?
	ms=$(($(now_ms) - t0))
	[ $rc = 124 ] && unfreeze "$path"
	if [ $rc != 0 ] && [ $rc != 124 ] && [ $ms -lt 2000 ] &&
		grep -qF "$path: error: $reason" "$RUN/$name.out" &&
		grep -q 'configuration unchanged' "$RUN/$name.out"; then
		pass "$name: configure replace refused at once ($ms ms): $reason"
	else
		fail "$name: configure replace refused at once" "rc=$rc after $ms ms: $(cat "$RUN/$name.out")"
	fi
	other_client "$name (after)"
	vsh "$S" 'show running-config' >"$RUN/now" 2>&1
	cmp -s "$RUN/before" "$RUN/now" && pass "$name: running configuration unchanged" ||
		fail "$name: running configuration unchanged" "$(diff "$RUN/before" "$RUN/now" | head -5)"
}

# ---- configure replace with what is not a regular file ----
mkfifo "$RUN/fifo"
replace_refused fifo "$RUN/fifo" "not a regular file (a FIFO)"

replace_refused device /dev/zero "not a regular file (a character device)"

# The target is a valid configuration: only the link is refused.
printf 'hostname LINKED\n' >"$RUN/other.conf"
ln -s "$RUN/other.conf" "$RUN/link.conf"
replace_refused symlink "$RUN/link.conf" "not a regular file (a symbolic link)"

mkdir "$RUN/dir"
replace_refused directory "$RUN/dir" "not a regular file (a directory)"

: >"$RUN/empty.conf"
replace_refused empty "$RUN/empty.conf" "the file is empty: the running configuration is kept"

# ---- SIGHUP with the configuration file swapped for a FIFO ----
mv "$RUN/vtid.conf" "$RUN/vtid.conf.real"
mkfifo "$RUN/vtid.conf"
kill -HUP "$vtid_pid"
wait_for 3 "grep -qF '$RUN/vtid.conf: error: not a regular file (a FIFO)' '$RUN/log'" &&
	pass "SIGHUP: a FIFO in place of the file is refused and logged" ||
	{ fail "SIGHUP: FIFO refused" "$(tail -5 "$RUN/log")"; unfreeze "$RUN/vtid.conf"; }
other_client "SIGHUP fifo"
vsh "$S" 'show running-config' >"$RUN/now" 2>&1
cmp -s "$RUN/before" "$RUN/now" && pass "SIGHUP fifo: running configuration unchanged" ||
	fail "SIGHUP fifo: running configuration unchanged" "$(diff "$RUN/before" "$RUN/now" | head -5)"
rm -f "$RUN/vtid.conf"
mv "$RUN/vtid.conf.real" "$RUN/vtid.conf"

# ---- control characters ----
ESC=$'\033'
out=$(vsh "$S" 'configure terminal' "hostname EVIL${ESC}[2J" 'end' 2>&1)
rc=$?
if [ $rc != 0 ] && grep -q '% control character 0x1b not allowed' <<<"$out" &&
	grep -qx "$(printf '%13s^' '')" <<<"$out"; then
	pass "an ESC in a configuration line typed through vtish is refused at its column"
else
	fail "ESC in a configuration line" "rc=$rc $(printf '%q' "$out")"
fi
if grep -q "$ESC" <<<"$out"; then
	fail "no raw ESC sent back to the terminal" "$(printf '%q' "$out")"
else
	pass "no raw ESC sent back to the terminal"
fi
out=$(vsh "$S" 'configure terminal' 'crypto ikev2 keyring KR' 'peer SITE2' \
	"description x${ESC}]0;owned${ESC}\\" 'end' 2>&1)
[ $? != 0 ] && grep -q 'control character 0x1b' <<<"$out" &&
	pass "an ESC in a description is refused" || fail "ESC in a description" "$(printf '%q' "$out")"
out=$(vsh "$S" "show version${ESC}[31m" 2>&1)
[ $? != 0 ] && grep -q '% control character 0x1b not allowed' <<<"$out" &&
	pass "an ESC in an EXEC line is refused" || fail "ESC in an EXEC line" "$(printf '%q' "$out")"
vsh "$S" 'show running-config' >"$RUN/now" 2>&1
cmp -s "$RUN/before" "$RUN/now" && pass "ESC lines: running configuration unchanged" ||
	fail "ESC lines: running configuration unchanged" "$(diff "$RUN/before" "$RUN/now" | head -5)"

# Raw on the control socket (no vtish in between): refused, and the reply
# itself carries no control character (the echoed line shows it as '?').
python3 - "$S" >"$RUN/raw.out" 2>&1 <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.settimeout(5)
f = s.makefile("rwb")
for i, line in enumerate(["configure terminal", "hostname A\x1bB", "hostname A\x7fB",
                          "end", "show\x07 version"]):
    f.write((json.dumps({"id": i, "op": "exec", "line": line}) + "\n").encode())
f.flush()
replies = [json.loads(f.readline()) for _ in range(5)]
bad = [r for r in replies[1:3] + replies[4:] if r.get("ok", True)]
ctrl = [r for r in replies if any(ord(c) < 32 and c not in "\n\t" or ord(c) == 127
                                  for c in r.get("error", "") + r.get("output", ""))]
print("refused" if not bad else "accepted: %r" % bad)
print("clean" if not ctrl else "raw control bytes: %r" % ctrl)
print(replies[1].get("error", ""))
EOF
grep -qx refused "$RUN/raw.out" && grep -q 'hostname A?B' "$RUN/raw.out" &&
	pass "control socket: lines with ESC, DEL, BEL refused, the echo shows '?'" ||
	fail "control socket: control characters refused" "$(cat "$RUN/raw.out")"
grep -qx clean "$RUN/raw.out" && pass "control socket: no control byte in the replies" ||
	fail "control socket: control bytes in the replies" "$(cat "$RUN/raw.out")"
vsh "$S" 'show running-config' >"$RUN/now" 2>&1
cmp -s "$RUN/before" "$RUN/now" && pass "raw lines: running configuration unchanged" ||
	fail "raw lines: running configuration unchanged" "$(diff "$RUN/before" "$RUN/now" | head -5)"

# A file with an ESC byte: refused at FILE:LINE:COL.
printf 'hostname OK\ninterface Tunnel7\n description bad\033[2J\n' >"$RUN/esc.conf"
out=$(vsh "$S" "configure replace $RUN/esc.conf" 2>&1)
[ $? != 0 ] && grep -qF "$RUN/esc.conf:3:17: error: control character 0x1b not allowed" <<<"$out" &&
	pass "configure replace: an ESC in a file is refused at 3:17" ||
	fail "ESC in a file" "$(printf '%q' "$out")"

# ---- a regular file still works ----
sed 's/^hostname INPUT1/hostname INPUT2/' "$RUN/vtid.conf" >"$RUN/good.conf"
vsh "$S" "configure replace $RUN/good.conf" >"$RUN/good.out" 2>&1 &&
	vsh "$S" 'show running-config' | grep -q '^hostname INPUT2' &&
	pass "configure replace with a regular file still replaces" ||
	fail "configure replace regular file" "$(cat "$RUN/good.out")"

# ---- vtish never writes a raw control byte to the terminal ----
# ctlecho (tests/tools) echoes whatever it is given, as no vtid would now.
"$TOP/$BUILD/tools/ctlecho" -s "$RUN/echo.sock" >"$RUN/echo.out" 2>&1 &
_pids+=($!)
wait_for 5 "grep -q ready '$RUN/echo.out'" || fail "ctlecho did not start" "$(cat "$RUN/echo.out")"
out=$(vsh "$RUN/echo.sock" "echo a${ESC}[2Jb	c$(printf '\007')d" 2>&1)
[ "$out" = 'a\x1b[2Jb	c\x07d' ] &&
	pass "vtish shows control bytes in output as \\xNN (TAB kept)" ||
	fail "vtish escapes output" "$(printf '%q' "$out")"
out=$(vsh "$RUN/echo.sock" "bogus${ESC}]0;t" 2>&1)
if grep -q "$ESC" <<<"$out" || ! grep -qF 'bogus\x1b]0;t' <<<"$out"; then
	fail "vtish escapes error text" "$(printf '%q' "$out")"
else
	pass "vtish escapes control bytes in error text"
fi

stop_pids
if grep -q "$ESC" "$RUN/log"; then
	fail "no raw ESC in vtid's log" "$(grep -c "$ESC" "$RUN/log") lines"
else
	pass "no raw ESC in vtid's log"
fi
grep -q 's3cret' "$RUN/log" && fail "no key in vtid's log" "s3cret logged" ||
	pass "no key in vtid's log"
check_logs_clean "$RUN/log"
finish
