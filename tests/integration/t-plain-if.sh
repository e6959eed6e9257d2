#!/bin/bash
# t-plain-if: plain interfaces do what their lines say (issue 16), one vtid in
# one namespace with a veth wan0/wan1 (wan0 has 192.0.2.1/24 already):
#   - `interface-map FastEthernet0/1 wan1`: the IOS name stands for wan1;
#     its `ip address` is added to wan1, its `description` is wan1's alias,
#     `speed auto` / `duplex auto` are kept and reported once as notes by
#     --check-config (FILE:LINE:COL: note: ignored on Linux: ...) and logged;
#   - `interface wan0` with the address wan0 already had: the configured
#     address is the interface's, as in IOS (`no ip address` removes it);
#     198.18.0.77, which no line names, is never touched;
#   - `interface nodev0`: a warning names the missing device, and its
#     address is applied when the device appears;
#   - typed in vtish (`int fa0/1`, abbreviated): shutdown / no shutdown set
#     wan1 admin down / up; a new address replaces the one vtid set;
#     `no ip address` removes it; show interfaces FastEthernet0/1 shows wan1;
#   - an unmapped IOS name is refused at its line with the map to add;
#   - a clean stop leaves every address (a restart must not take them).
set -u
. "$(dirname "$0")/lib.sh"
one_router vtpi wan
SOCK=$RUN/vtid.sock

cat >"$RUN/vtid.conf" <<'EOF'
hostname PI
interface-map FastEthernet0/1 wan1
interface FastEthernet0/1
 description WAN link
 ip address 198.51.100.1 255.255.255.0
 duplex auto
 speed auto
interface wan0
 ip address 192.0.2.1 255.255.255.0
interface nodev0
 ip address 10.9.9.1 255.255.255.0
EOF

addrs() { ip -n "$NS" -4 -o addr show dev "$1" 2>/dev/null | awk '{print $4}' | tr '\n' ' '; }
has_addr() { addrs "$1" | grep -qw "$2"; }
admin_up() { ip -n "$NS" -o link show dev "$1" | grep -q '<[^>]*\bUP\b'; }

# --check-config: accepted, notes for the hardware lines, the names as written
out=$("$VTID" --check-config "$RUN/vtid.conf" 2>"$RUN/cc.err")
if [ $? = 0 ] &&
	grep -qx "$RUN/vtid.conf:6:2: note: ignored on Linux: duplex auto (interface FastEthernet0/1)" "$RUN/cc.err" &&
	grep -qx "$RUN/vtid.conf:7:2: note: ignored on Linux: speed auto (interface FastEthernet0/1)" "$RUN/cc.err" &&
	[ "$(wc -l <"$RUN/cc.err")" = 2 ] &&
	echo "$out" | grep -qx 'interface-map FastEthernet0/1 wan1' &&
	echo "$out" | grep -qx 'interface FastEthernet0/1' && echo "$out" | grep -qx ' speed auto'; then
	pass check-config-notes
else
	fail check-config-notes "$(tr '\n' '|' <"$RUN/cc.err") / $(echo "$out" | tr '\n' '|')"
fi
printf 'interface GigabitEthernet0/0\n ip address 10.0.0.1 255.255.255.0\n' >"$RUN/bad.conf"
err=$("$VTID" --check-config "$RUN/bad.conf" 2>&1 >/dev/null)
[ "$err" = "$RUN/bad.conf:1:11: error: GigabitEthernet0/0 is not a Linux device name (longer than 15 characters): add \`interface-map GigabitEthernet0/0 LINUXDEV\`" ] &&
	pass unmapped-ios-name-refused || fail unmapped-ios-name-refused "$err"

ip -n "$NS" link set wan1 down
ip -n "$NS" addr add 198.18.0.77/24 dev wan0
start_vtid "$NS" "$RUN/vtid.conf" "$SOCK" "$RUN/vtid.log"
if wait_for 5 "has_addr wan1 198.51.100.1/24" && admin_up wan1 &&
	ip -n "$NS" -d link show dev wan1 | grep -q 'alias WAN link'; then
	pass address-admin-alias-applied
else
	fail address-admin-alias-applied "wan1: $(addrs wan1); $(ip -n "$NS" -d link show dev wan1 | tr '\n' '|')"
fi
if grep -q 'interface nodev0: no device nodev0 here' "$RUN/vtid.log" &&
	[ "$(grep -c 'note: ignored on Linux' "$RUN/vtid.log")" = 2 ]; then
	pass missing-device-warned-notes-logged
else
	fail missing-device-warned-notes-logged "$(tail -8 "$RUN/vtid.log" | tr '\n' '|')"
fi

# the device appears: configured then
ip link add nodev0 netns "$NS" type veth peer name nodev1 netns "$NS"
wait_for 5 "has_addr nodev0 10.9.9.1/24" && pass address-when-device-appears ||
	fail address-when-device-appears "nodev0: $(addrs nodev0)"

vsh "$SOCK" 'configure terminal' 'int fa0/1' 'shutdown' 'end' >"$RUN/o1" 2>&1
wait_for 3 "! admin_up wan1" && pass shutdown-admin-down || fail shutdown-admin-down "$(cat "$RUN/o1")"
vsh "$SOCK" 'configure terminal' 'interface FastEthernet0/1' 'no shutdown' 'end' >"$RUN/o1" 2>&1
wait_for 3 "admin_up wan1" && pass no-shutdown-admin-up || fail no-shutdown-admin-up "$(cat "$RUN/o1")"

vsh "$SOCK" 'configure terminal' 'interface FastEthernet0/1' 'ip address 198.51.100.2 255.255.255.0' 'end' >"$RUN/o1" 2>&1
if wait_for 3 "has_addr wan1 198.51.100.2/24" && ! has_addr wan1 198.51.100.1/24; then
	pass address-change-replaces
else
	fail address-change-replaces "wan1: $(addrs wan1) $(cat "$RUN/o1")"
fi
vsh "$SOCK" 'configure terminal' 'interface wan0' 'no ip address' 'end' >/dev/null 2>&1
if wait_for 3 "! has_addr wan0 192.0.2.1/24" && has_addr wan0 198.18.0.77/24; then
	pass no-ip-address-removes-configured-keeps-foreign
else
	fail no-ip-address-removes-configured-keeps-foreign "wan0: $(addrs wan0)"
fi

sj=$(vsh "$SOCK" 'show interfaces FastEthernet0/1 json')
if echo "$sj" | python3 -c 'import json,sys; d=json.load(sys.stdin)["interfaces"]; x=d[0]; sys.exit(not (len(d)==1 and x["device"]=="wan1" and x["internet_address"]=="198.51.100.2" and x["description"]=="WAN link"))'; then
	pass show-interfaces-ios-name
else
	fail show-interfaces-ios-name "$sj"
fi
run=$(vsh "$SOCK" 'show running-config')
echo "$run" | grep -q '^interface FastEthernet0/1$' && echo "$run" | grep -qx ' duplex auto' &&
	pass running-config-as-written || fail running-config-as-written "$(echo "$run" | tr '\n' '|')"

vsh "$SOCK" 'configure terminal' 'interface FastEthernet0/1' 'no ip address' 'end' >/dev/null 2>&1
wait_for 3 "! has_addr wan1 198.51.100.2/24" && pass no-ip-address-removes || fail no-ip-address-removes "wan1: $(addrs wan1)"
vsh "$SOCK" 'configure terminal' 'interface FastEthernet0/1' 'ip address 198.51.100.3 255.255.255.0' 'end' >/dev/null 2>&1
wait_for 3 "has_addr wan1 198.51.100.3/24" || fail "address again" "$(addrs wan1)"

stop_pids
if has_addr wan1 198.51.100.3/24 && has_addr nodev0 10.9.9.1/24 && has_addr wan0 198.18.0.77/24; then
	pass clean-stop-keeps-addresses
else
	fail clean-stop-keeps-addresses "wan1: $(addrs wan1) nodev0: $(addrs nodev0) wan0: $(addrs wan0)"
fi
check_logs_clean "$RUN/vtid.log"
finish
