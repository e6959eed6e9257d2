#!/bin/bash
# t-router-block: routing blocks hold only lines of their FRR node, against a
# real FRR 8.4 (the lab's `single` topology, FRR alone) and a vtid started
# here in R's namespace on R's FRR:
#   1. the word lists of conf/router_block.c against the installed vtysh:
#      each word is a command word of its node (`vtysh -C` dry run, `list`
#      in the node), and a word that also starts a global command is never
#      taken alone;
#   2. in `router ospf 1` (configure terminal), `log file` and `no router
#      ospf` are refused at their position, and a file with `log file` in
#      the block is refused at LINE:COL; FRR's running configuration is
#      unchanged (no `log file`, `router ospf` kept), vtid's keeps
#      `router ospf 1`;
#   3. `no router ospf 1` at the top level removes the block from both;
#   4. `ip ospf authentication-k S3CRETKEY junk` on Tunnel1, refused by FRR,
#      leaves no S3CRETKEY in vtid's log (the refusal is logged).
set -u
top=${VTID_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BUILD:-build}
export BUILD VTID_TOP=$top LAB_QUIET=1
# shellcheck source=tests/integration/lib.sh
. "$top/tests/integration/lib.sh"
lab="$top/tests/lab/lab"
NAME=vtrb$$
S=${VTID_LAB_RUN:-/run/vtid-lab}/$NAME
NS=$NAME-R
tmp=$(mktemp -d /tmp/vtrb.XXXXXX)
cleanup() {
	stop_pids
	"$lab" down "$NAME" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT

[ -x "$VTID" ] && [ -x "$VTISH" ] || { echo "FAIL t-router-block: $VTID or $VTISH not built"; exit 1; }
command -v vtysh >/dev/null || { echo "FAIL t-router-block: no vtysh (FRR)"; exit 1; }

# ---- 1. the lists against the installed FRR -------------------------------
# `list` inside a node, in vtysh's dry run (no daemon needed), prints every
# visible command of that node; hidden ones (ospfd's `router-id`, bgpd's
# old `redistribute`/`maximum-paths` in the bgp node, `advertise-subnet`)
# are named in HIDDEN below.
if out=$(python3 - "$top/conf/router_block.c" "$tmp" <<'EOF' 2>&1
import re, subprocess, sys
src = open(sys.argv[1]).read()
tmp = sys.argv[2]

def frr_list(ctx):
    path = tmp + "/list.conf"
    lines = ctx + ["list"]
    open(path, "w").write("".join(" " * i + l + "\n" for i, l in enumerate(lines)))
    r = subprocess.run(["vtysh", "-C", "-f", path], capture_output=True, text=True)
    cmds = []
    for l in (r.stdout + r.stderr).splitlines():
        l = re.sub(r"^(\[no\] |no )", "", l.strip())
        l = re.sub(r"<([^|<>]*)>", r"\1", l)  # <l2vpn evpn>
        if l:
            cmds.append(l.split())
    if len(cmds) < 5:
        sys.exit("vtysh -C gave no command list for %r" % ctx)
    return cmds

def alts(tok):
    return re.sub(r"^<(.*)>$", r"\1", tok).split("|")

AF = ["ipv4 unicast", "ipv4 multicast", "ipv4 labeled-unicast", "ipv4 vpn", "ipv4 flowspec",
      "ipv6 unicast", "ipv6 multicast", "ipv6 labeled-unicast", "ipv6 vpn", "ipv6 flowspec",
      "l2vpn evpn"]
NODES = {
    "ospf_words": [["router ospf"]],
    "bgp_words": [["router bgp 1"]],
    "af_words": [["router bgp 1", "address-family " + a] for a in AF],
    "vni_words": [["router bgp 1", "address-family l2vpn evpn", "vni 10"]],
    "vnc_words": [["router bgp 1", "vnc " + v] for v in ("defaults", "nve-group G", "l2-group G")],
    "vrf_policy_words": [["router bgp 1", "vrf-policy V"]],
    "bmp_words": [["router bgp 1", "bmp targets T"]],
    "srv6_words": [["router bgp 1", "segment-routing srv6"]],
    "bfd_peer_words": [["bfd", "peer 10.0.0.1"]],
    "bfd_profile_words": [["bfd", "profile P"]],
    "RN_OSPF": [["router ospf"]],
    "RN_BGP": [["router bgp 1"]],
    "RN_BGP_EVPN": [["router bgp 1", "address-family l2vpn evpn"]],
    "RN_BFD": [["bfd"]],
}
HIDDEN = {"ospf_words": {"router-id"}, "RN_OSPF": {"router-id"},
          "bgp_words": {"redistribute", "maximum-paths"},
          "af_words": {"advertise-subnet"}, "vni_words": {"advertise-subnet"}}

rules = []  # (where, pattern, limited)
for name, body in re.findall(r"static const char \*const (\w+)\[\] = \{(.*?)\};", src, re.S):
    for e in re.findall(r'((?:"[^"]*"\s*)+),', body):
        rules.append((name, "".join(re.findall(r'"([^"]*)"', e)), False))
sp = re.search(r"specials\[\] = \{(.*?)\n\};", src, re.S).group(1)
for where, pat, mx in re.findall(r'\{(RN_\w+), "([^"]*)", RN_\w+, (\d+), \w+\}', sp):
    rules.append((where, pat, mx != "0"))
if len(rules) < 100:
    sys.exit("read only %d rules out of router_block.c" % len(rules))

glob = {w for c in frr_list([]) for w in alts(c[0])}
bad = []
cache = {}
for where, pat, limited in rules:
    if where not in cache:
        cache[where] = [c for ctx in NODES[where] for c in frr_list(ctx)]
    cmds = cache[where]
    words = pat.split(" ")
    for i, w in enumerate(words):
        for a in w.split("|"):
            ok = any(len(c) > i and all(words[j].split("|")[0] in alts(c[j]) or
                                        words[j].split("|")[0] == c[j] for j in range(i)) and
                     (a in alts(c[i]) or " ".join(words) in " ".join(c)) for c in cmds)
            if not ok and not (i == 0 and a in HIDDEN.get(where, ())):
                bad.append("%s: `%s` is not a word of FRR's node" % (where, " ".join(words[:i] + [a])))
    if any(g.startswith(words[0]) for g in glob) and len(words) < 2 and not limited:
        bad.append("%s: `%s` starts a global FRR command and is taken alone" % (where, words[0]))
print("%d rules checked" % len(rules))
if bad:
    print("\n".join(bad))
    sys.exit(1)
EOF
); then
	pass "lists: every word is FRR 8.4's, none starts a global command alone ($out)"
else
	fail "lists against vtysh" "$(echo "$out" | head -10 | tr '\n' '|')"
fi

# ---- a vtid on the lab's FRR ------------------------------------------------
"$lab" up single --name "$NAME" --no-vtid || { echo "FAIL t-router-block: lab up"; exit 1; }
cat >"$tmp/vtid.conf" <<'EOF'
hostname RB
interface Tunnel1
 ip address 10.255.0.1 255.255.255.252
 ip ospf cost 10
 tunnel source 10.9.9.1
 tunnel destination 10.9.9.2
router ospf 1
 router-id 9.9.9.9
 timers lsa min-arrival 0
EOF
chmod 0600 "$tmp/vtid.conf"
start_vtid "$NS" "$tmp/vtid.conf" "$tmp/s" "$tmp/vtid.log" "$S/R/frr"
frr_run() { "$lab" vtysh "$NAME" R -c 'show running-config' 2>/dev/null; }
# frr_block HEADER: the lines of one block of FRR's running config
frr_block() { frr_run | awk -v h="$1" '$0 == h {p=1; next} p && /^[^ ]/ {p=0} p'; }
vtid_run() { vsh "$tmp/s" 'show running-config' 2>/dev/null; }
if wait_for 10 "frr_block 'router ospf' | grep -qx ' ospf router-id 9.9.9.9'"; then
	pass "vtid's router ospf 1 reached FRR"
else
	fail "startup" "FRR: $(frr_run | tr '\n' '|') vtid log: $(tail -5 "$tmp/vtid.log" | tr '\n' '|')"
fi

# ---- 2. global lines in the block are refused ------------------------------
frr_run | grep -v '^!\|^Building\|^Current configuration' >"$tmp/frr-before"
vtid_run >"$tmp/vtid-before"
# (vtish stops at a refused line: one session per line to refuse)
vsh "$tmp/s" 'configure terminal' 'router ospf 1' "log file $tmp/x" 'end' >"$tmp/out" 2>&1
vsh "$tmp/s" 'configure terminal' 'router ospf 1' 'no router ospf' 'end' >>"$tmp/out" 2>&1
# vtid's answer: the line, a caret under the refused word, the reason
if grep -A2 -x "log file $tmp/x" "$tmp/out" | sed -n 2p | grep -qx '\^' &&
	grep -q '^% `log` is not a router ospf command (FRR global configuration belongs outside routing blocks)$' "$tmp/out"; then
	pass "log file in router ospf 1: refused at column 1"
else
	fail "log file refused" "$(tr '\n' '|' <"$tmp/out")"
fi
if grep -A2 -x 'no router ospf' "$tmp/out" | sed -n 2p | grep -qx ' \{14\}\^' &&
	grep -q '^% incomplete command: the block is `router ospf 1`$' "$tmp/out"; then
	pass "no router ospf in router ospf 1: refused at column 15"
else
	fail "no router ospf refused" "$(tr '\n' '|' <"$tmp/out")"
fi
sleep 1
frr_run | grep -v '^!\|^Building\|^Current configuration' >"$tmp/frr-after"
if cmp -s "$tmp/frr-before" "$tmp/frr-after" && ! grep -q "log file $tmp/x" "$tmp/frr-after" &&
	grep -qx 'router ospf' "$tmp/frr-after" && [ ! -e "$tmp/x" ]; then
	pass "FRR's running configuration unchanged: no log file, router ospf kept"
else
	fail "FRR unchanged" "$(diff "$tmp/frr-before" "$tmp/frr-after" | tr '\n' '|')"
fi
vtid_run >"$tmp/vtid-after"
if cmp -s "$tmp/vtid-before" "$tmp/vtid-after" && grep -qx 'router ospf 1' "$tmp/vtid-after"; then
	pass "vtid's running configuration unchanged: router ospf 1 kept"
else
	fail "vtid unchanged" "$(diff "$tmp/vtid-before" "$tmp/vtid-after" | tr '\n' '|')"
fi
# the same lines in a file: refused at LINE:COL, by --check-config and by
# configure replace (which then changes nothing)
printf 'router ospf 1\n router-id 9.9.9.9\n log file %s/x\n no router ospf\n' "$tmp" >"$tmp/bad.conf"
out=$("$VTID" --check-config "$tmp/bad.conf" 2>&1)
if grep -q "bad.conf:3:2: error: \`log\` is not a router ospf command" <<<"$out" &&
	grep -q "bad.conf:4:5: error: \`no router\` is not a router ospf command" <<<"$out"; then
	pass "in a file: refused at 3:2 and 4:5"
else
	fail "file refused" "$(tr '\n' '|' <<<"$out")"
fi

# ---- 3. `no router ospf 1` at the top level removes the block ----------------
vsh "$tmp/s" 'configure terminal' 'no router ospf 1' 'end' >"$tmp/out" 2>&1
if ! vtid_run | grep -q '^router ospf' && wait_for 5 "! frr_run | grep -q '^router ospf'"; then
	pass "no router ospf 1 at the top level: the block left vtid and FRR"
else
	fail "no router ospf 1" "vtid: $(vtid_run | tr '\n' '|') FRR: $(frr_run | tr '\n' '|') out: $(tr '\n' '|' <"$tmp/out")"
fi
# typed inside the block, it leaves the block and removes it (IOS)
vsh "$tmp/s" 'configure terminal' 'router ospf 1' 'router-id 9.9.9.9' 'end' >/dev/null 2>&1
wait_for 5 "frr_run | grep -qx 'router ospf'" || fail "router ospf again" "$(frr_run | tr '\n' '|')"
vsh "$tmp/s" 'configure terminal' 'router ospf 1' 'no router ospf 1' 'end' >"$tmp/out" 2>&1
if ! vtid_run | grep -q '^router ospf' && wait_for 5 "! frr_run | grep -q '^router ospf'"; then
	pass "no router ospf 1 typed in the block: removed from vtid and FRR"
else
	fail "no router ospf 1 in the block" "vtid: $(vtid_run | tr '\n' '|') FRR: $(frr_run | tr '\n' '|')"
fi

# ---- 4. a key in a line FRR refuses stays out of vtid's log -----------------
vsh "$tmp/s" 'configure terminal' 'interface Tunnel1' 'ip ospf authentication-k S3CRETKEY junk' \
	'end' >"$tmp/out" 2>&1
# vtid applies at once and logs FRR's refusal; the periodic check offers
# the refused line again a few seconds later
if wait_for 10 "grep -q 'Unknown command' '$tmp/vtid.log'"; then
	sleep 10
	if grep -q S3CRETKEY "$tmp/vtid.log"; then
		fail "key in the log" "$(grep S3CRETKEY "$tmp/vtid.log" | head -3 | tr '\n' '|')"
	else
		pass "FRR's refusal logged ($(grep -c 'Unknown command' "$tmp/vtid.log") times), S3CRETKEY not in vtid's log"
	fi
else
	fail "refusal logged" "$(tail -5 "$tmp/vtid.log" | tr '\n' '|')"
fi

stop_pids
if "$lab" down "$NAME" >/dev/null 2>&1 && ! ip netns list | grep -q "^$NAME-"; then
	pass lab-down
else
	fail lab-down "namespaces left or sanitizer report"
fi
finish
