# shellcheck shell=bash
# testlib.sh: helpers for the lab's integration tests (sourced).
#
# Expects $lab (the lab script) and sets $failed on a failure.  JSON comes from vtish / vtysh `... json`;
# python3 (stdlib) reads it.  Every wait is bounded.

# keep the routers' logs of every test lab (a failure can be read afterwards)
export VTID_LAB_LOGS=${VTID_LAB_LOGS:-${BUILD:-build}/test-logs/lab}

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
now_ms() { date +%s%3N; }

wait_until() { # SECONDS CMD...: true as soon as CMD is (by the clock, not tries)
	local end=$(($(now_ms) + $1 * 1000)); shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -lt $end ] || return 1
		sleep 0.2
	done
}

# jq_py EXPR: evaluates a python expression on the JSON on stdin (`d`),
# prints the result; fails when the input is not JSON or EXPR raises.
jq_py() {
	python3 -c 'import json,sys
d=json.load(sys.stdin)
r=eval(sys.argv[1])
print(r if not isinstance(r,(dict,list)) else json.dumps(r))' "$1" 2>/dev/null
}

vtish_json() { # NAME NODE COMMAND
	"$lab" vtish "$1" "$2" -c "$3" 2>/dev/null
}

# ike_ready NAME NODE IFACE: a READY IKE SA with a Child SA on IFACE
ike_ready() {
	[ "$(vtish_json "$1" "$2" 'show crypto ikev2 sa json' |
		jq_py "any(s.get('status')=='READY' and any(c.get('interface')=='$3' for c in s.get('children',[])) for s in d.get('sas',[]))")" = True ]
}

# child_spis NAME NODE IFACE: "IN/OUT" of every Child SA on IFACE under a
# READY IKE SA, one per line, as integers (two lines while a duplicate IKE SA
# from a simultaneous initiation is still being deleted)
child_spis() {
	vtish_json "$1" "$2" 'show crypto ikev2 sa json' |
		jq_py "'\\n'.join('%d/%d' % tuple(int(str(c[k]),16) if str(c[k]).lower().startswith('0x') else int(c[k]) for k in ('spi_in','spi_out')) for s in d['sas'] if s.get('status')=='READY' for c in s.get('children',[]) if c.get('interface')=='$3')"
}

# spis_cross NAME A B IFACE: A and B each hold exactly one Child SA on IFACE
# and A's inbound SPI is B's outbound and the other way round
spis_cross() {
	local a b
	a=$(child_spis "$1" "$2" "$4"); b=$(child_spis "$1" "$3" "$4")
	[ -n "$a" ] && [ "$(printf '%s\n' "$a" | wc -l)" = 1 ] &&
		[ "$(printf '%s\n' "$b" | wc -l)" = 1 ] &&
		[ "$b" = "${a#*/}/${a%/*}" ]
}

# ipsec_counter NAME NODE IFACE KEY: pkts_encaps, pkts_decaps, auth_failures...
ipsec_counter() {
	vtish_json "$1" "$2" 'show crypto ipsec sa json' |
		jq_py "[i['$4'] for i in d['interfaces'] if i['interface']=='$3'][0]"
}

# route_ospf NAME NODE PREFIX [IFACE]: selected OSPF route (through IFACE)
route_ospf() {
	"$lab" vtysh "$1" "$2" -c "show ip route $3 json" 2>/dev/null |
		jq_py "any(r.get('protocol')=='ospf' and r.get('selected') and ('${4:-}'=='' or any(n.get('interfaceName')=='${4:-}' for n in r.get('nexthops',[]))) for r in d.get('$3',[]))" |
		grep -qx True
}

# carrier NAME NODE IFACE: the device exists and has carrier
carrier() {
	"$lab" exec "$1" "$2" ip link show "$3" 2>/dev/null | head -1 | grep -q 'LOWER_UP'
}

ping_ok() { # NAME NODE DEST
	"$lab" exec "$1" "$2" ping -c 1 -W 1 "$3" >/dev/null 2>&1
}

# lab_down_checked NAME: tear down; FAIL when vtid's logs hold sanitizer
# reports or namespaces are left
lab_down_checked() {
	if ! "$lab" down "$1"; then
		fail lab-down "sanitizer report in a vtid log (logs in $VTID_LAB_LOGS/$1)"
	elif ip netns list 2>/dev/null | grep -q "^$1-"; then
		fail lab-down "namespaces left"
	else
		pass lab-down
	fi
}
