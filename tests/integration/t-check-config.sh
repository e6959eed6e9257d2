#!/bin/bash
# vtid --check-config: every example in conf/examples/ (design.conf is the
# design brief's) is accepted and printed canonically, the canonical text is a fixed
# point, and a broken file is refused with its exact FILE:LINE:COL.
set -u
. "$(dirname "$0")/lib.sh"
cd "$TOP"
tmp=$(mktemp -d /tmp/vtid-cc.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

n=0
for f in conf/examples/*.conf tests/lab/*/*.conf; do
	[ -f "$f" ] || continue
	n=$((n + 1))
	name=${f//\//_}
	if "$VTID" --check-config "$f" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
		"$VTID" --check-config "$tmp/$name.out" >"$tmp/$name.out2" 2>"$tmp/$name.err2" &&
			cmp -s "$tmp/$name.out" "$tmp/$name.out2" &&
			pass "check-config accepts $f and its canonical form is a fixed point" ||
			fail "canonical form of $f is not a fixed point" "$(diff "$tmp/$name.out" "$tmp/$name.out2" | head -5)"
	else
		fail "check-config rejects $f" "$(head -3 "$tmp/$name.err")"
	fi
done
[ $n -ge 3 ] && pass "$n example configurations checked" || fail "examples present" "only $n"

# The design brief's example is conf/examples/design.conf (checked above);
# where the brief itself is at hand, the copy must still be its example.
if [ -f conf/examples/design.conf ]; then
	pass "the design brief's example is in conf/examples/design.conf"
else
	fail "the design brief's example" "conf/examples/design.conf is missing"
fi
design=../shared/DESIGN.md
if [ -f "$design" ]; then
	awk '/^```$/ { if (inb) exit; next } /^crypto ikev2 proposal P1/ { inb = 1 } inb' "$design" >"$tmp/design.conf"
	cmp -s "$tmp/design.conf" conf/examples/design.conf &&
		pass "conf/examples/design.conf is the brief's example" ||
		fail "conf/examples/design.conf" "differs from $design: $(diff "$tmp/design.conf" conf/examples/design.conf | head -3)"
fi

# Broken files: exact positions, exit 1, nothing on stdout.
printf 'crypto ikev2 proposal P1\n encryption aes-cbc-999\n' >"$tmp/bad1.conf"
out=$("$VTID" --check-config "$tmp/bad1.conf" 2>&1 >"$tmp/bad1.stdout"); rc=$?
[ $rc = 1 ] && [ ! -s "$tmp/bad1.stdout" ] && echo "$out" | grep -q "^$tmp/bad1.conf:2:13: error: " &&
	pass "bad algorithm refused at 2:13" || fail "bad algorithm position" "rc=$rc $out"

printf 'interface Tunnel1\n tunnel destination 203.0.113.300\n' >"$tmp/bad2.conf"
out=$("$VTID" --check-config "$tmp/bad2.conf" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "^$tmp/bad2.conf:2:21: error: " &&
	pass "bad address refused at 2:21" || fail "bad address position" "rc=$rc $out"

printf 'hostname R1\nbogus line here\n' >"$tmp/bad3.conf"
out=$("$VTID" --check-config "$tmp/bad3.conf" 2>&1 >/dev/null); rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "^$tmp/bad3.conf:2:1: error: " &&
	pass "unknown command refused at 2:1" || fail "unknown command position" "rc=$rc $out"

"$VTID" --check-config "$tmp/missing.conf" >/dev/null 2>&1
[ $? = 1 ] && pass "a missing file is an error" || fail "missing file"
finish
