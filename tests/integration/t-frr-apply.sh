#!/bin/bash
# t-frr-apply: frr-integration against a real FRR 8.4 (zebra+ospfd+bfdd) in a
# namespace of the lab's `single` topology, through build/tools/frrapply:
# translated text lands in show running-config, removed lines go, vtysh's
# errors come back, a translation error applies nothing, a restarted ospfd
# gets the configuration again from frr_state_check, show pass-through works.
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top
lab="$top/tests/lab/lab"
NAME=vtfa$$
S=${VTID_LAB_RUN:-/run/vtid-lab}/$NAME
FA="$BUILD/tools/frrapply"
tmp=$(mktemp -d /tmp/vtfa.XXXXXX)
failed=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
cleanup() { "$lab" down "$NAME" >/dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT

[ -x "$FA" ] || { echo "FAIL t-frr-apply: $FA not built"; exit 1; }
LAB_QUIET=1 "$lab" up single --name "$NAME" --no-vtid || { echo "FAIL t-frr-apply: lab up"; exit 1; }

fa() { ip netns exec "$NAME-R" "$FA" --vty-dir "$S/R/frr" "$@"; }
run() { "$lab" vtysh "$NAME" R -c 'show running-config'; }
# block NAME: the lines of one block of show running-config
block() { run | awk -v h="$1" '$0 == h {p=1; next} p && /^[^ ]/ {p=0} p'; }

cat >"$tmp/v1" <<'EOF'
interface eth0
 ip ospf 1 area 0
 ip ospf hello-interval 1
 ip ospf dead-interval 4
router ospf 1
 router-id 9.9.9.9
 timers lsa min-arrival 0
 redistribute connected subnets
 passive-interface eth0
bfd
 peer 10.9.9.2
EOF

# 1. apply translated text
if out=$(fa --translate "$tmp/v1" 2>&1); then
	o=$(block "router ospf"); i=$(block "interface eth0"); b=$(block "bfd")
	if grep -qx ' ospf router-id 9.9.9.9' <<<"$o" && grep -qx ' timers lsa min-arrival 0' <<<"$o" &&
		grep -qx ' redistribute connected' <<<"$o" && grep -qx ' ip ospf area 0' <<<"$i" &&
		grep -qx ' ip ospf hello-interval 1' <<<"$i" && grep -qx ' ip ospf passive' <<<"$i" &&
		grep -qx ' peer 10.9.9.2' <<<"$b"; then
		pass apply-translated
	else
		fail apply-translated "running-config lacks lines: $(run | tr '\n' '|')"
	fi
else
	fail apply-translated "frrapply: $out"
fi

# 2. a changed text: what disappeared is removed, what changed is replaced
sed -e '/hello-interval/d' -e 's/router-id 9.9.9.9/router-id 9.9.9.10/' -e '/^bfd/,$d' \
	"$tmp/v1" >"$tmp/v2"
if out=$(fa --translate --previous "$tmp/v1" "$tmp/v2" 2>&1); then
	o=$(block "router ospf"); i=$(block "interface eth0")
	if grep -qx ' ospf router-id 9.9.9.10' <<<"$o" && ! grep -q 'hello-interval' <<<"$i" &&
		grep -qx ' ip ospf dead-interval 4' <<<"$i" && ! run | grep -q '^ peer 10.9.9.2'; then
		pass removals
	else
		fail removals "running-config: $(run | tr '\n' '|')"
	fi
else
	fail removals "frrapply: $out"
fi

# 3. FRR's errors come back, the good lines still land
printf 'router ospf\n no-such-command 1\n timers lsa min-arrival 7\n' >"$tmp/bad"
if out=$(fa "$tmp/bad" 2>&1); then
	fail vtysh-error "accepted a bad line: $out"
elif grep -q 'line 2: % Unknown command' <<<"$out" && block "router ospf" | grep -qx ' timers lsa min-arrival 7'; then
	pass vtysh-error
else
	fail vtysh-error "output: $out"
fi

# 4. a translation error touches nothing
before=$(run | grep -v '^Building')
printf 'router ospf 1\n router-id 7.7.7.7\n network 10.0.0.0 0.255.0.255 area 0\n' >"$tmp/nc"
if out=$(fa --translate "$tmp/nc" 2>&1); then
	fail translate-error "accepted a non-contiguous wildcard"
elif grep -q 'line 3: non-contiguous wildcard' <<<"$out" && [ "$(run | grep -v '^Building')" = "$before" ]; then
	pass translate-error
else
	fail translate-error "output: $out"
fi

# 5. ospfd restarts empty; the periodic check puts our lines back
fa --translate --watch 20 "$tmp/v2" >"$tmp/watch" 2>&1 &
watcher=$!
sleep 1
"$lab" kill "$NAME" R ospfd && "$lab" start "$NAME" R ospfd
wait $watcher
rc=$?
if [ $rc = 0 ] && grep -qx reapplied "$tmp/watch" && block "router ospf" | grep -qx ' ospf router-id 9.9.9.10' &&
	block "interface eth0" | grep -qx ' ip ospf area 0'; then
	pass reapply-after-restart
else
	fail reapply-after-restart "rc=$rc $(tr '\n' '|' <"$tmp/watch") running: $(run | tr '\n' '|')"
fi

# 6. show pass-through (JSON from ospfd)
if out=$(fa --show 'show ip ospf interface json' 2>&1) &&
	python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if "eth0" in d["interfaces"] else 1)' <<<"$out"; then
	pass show-passthrough
else
	fail show-passthrough "output: $out"
fi
if fa --show 'configure terminal' >/dev/null 2>&1; then
	fail show-refuses-config "ran a non-show command"
else
	pass show-refuses-config
fi
exit $failed
