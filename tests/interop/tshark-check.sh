#!/bin/bash
# tshark-check.sh PCAP KEYDIR WSDIR: tshark (Wireshark 4.0) judges a capture
# of vtid's WAN with vtid's key log (`crypto ikev2 keylog DIR`, files
# ikev2_decryption_table and esp_sa).  Prints PASS/FAIL lines:
#   - no malformed packet, with and without the keys;
#   - the IKE_AUTH exchanges decrypt with the key log as vtid wrote it (IDi
#     and IDr visible);
#   - the ESP packets decrypt with the key log as vtid wrote it, and the inner
#     packets dissect (ICMP; GRE when GRE=1).
# WSDIR becomes a private Wireshark configuration folder
# (WIRESHARK_CONFIG_DIR), so the user's own profile is never touched.
# Wireshark 4.0 has no ChaCha20-Poly1305 for ESP or IKE: those SAs are
# counted apart and not judged.
set -u
pcap=$1 keys=$2 ws=$3
: "${GRE:=0}"
_f=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1${2:+: $2}"; _f=1; }

mkdir -p "$ws"
cp "$keys/ikev2_decryption_table" "$keys/esp_sa" "$ws/" 2>/dev/null ||
	{ fail "tshark: vtid wrote no key log in $keys"; exit 1; }
ts() { WIRESHARK_CONFIG_DIR=$ws tshark -n -r "$pcap" -o esp.enable_encryption_decode:TRUE "$@" 2>/dev/null; }

total=$(tshark -n -r "$pcap" 2>/dev/null | wc -l)
mal=$(tshark -n -r "$pcap" -Y '_ws.malformed' 2>/dev/null | wc -l)
[ "$total" -gt 0 ] && [ "$mal" = 0 ] &&
	pass "tshark: $total packets on the WAN, none malformed" ||
	fail "tshark: malformed packets" "$mal; $(tshark -n -r "$pcap" -Y _ws.malformed 2>/dev/null | head -3)"

# IKE_AUTH (exchange type 35): decrypted when the identities show up.
nauth=$(ts -Y 'isakmp.exchangetype == 35' | wc -l)
nid=$(ts -Y 'isakmp.exchangetype == 35 && isakmp.id.type' | wc -l)
[ "$nauth" -gt 0 ] && [ "$nid" -gt 0 ] &&
	pass "tshark: IKE_AUTH decrypted with vtid's ikev2_decryption_table ($nid of $nauth messages show IDi/IDr; Wireshark 4.0 cannot decrypt ChaCha20-Poly1305 IKE SAs)" ||
	fail "tshark: IKE_AUTH decrypted" "$nid of $nauth"

# ESP: judge the SPIs whose algorithm Wireshark knows; a packet decrypted
# and dissected has its inner protocol in the Protocol column.
judge=" $(grep -v -i chacha "$ws/esp_sa" | awk -F'","' '{ print $4 }' | tr 'A-F\n' 'a-f ') "
esp_count() { # prints "decoded total bad"
	ts -T fields -E separator=' ' -e esp.spi -e _ws.col.Protocol -e _ws.malformed -Y esp |
		awk -v j="$judge" 'index(j, " " $1 " ") { t++; if ($2 != "ESP" && $3 == "") d++ } $3 != "" { b++ }
			END { print d + 0, t + 0, b + 0 }'
}
read -r ndec nesp nbad <<<"$(esp_count)"
if [ "$nesp" -gt 0 ] && [ "$ndec" = "$nesp" ] && [ "$nbad" = 0 ]; then
	pass "tshark: all $nesp ESP packets of AES-CBC/GCM SAs decrypted with vtid's esp_sa, inner packets dissected, none malformed"
else
	why=$(ts -Y 'esp' -V | grep -m1 -E 'Dissector bug|Error' | tr -d '[]\n' | sed 's/^ *//')
	fail "tshark: ESP decrypted with vtid's esp_sa as written" "$ndec of $nesp decrypted, $nbad malformed; $why"
fi
nicmp=$(ts -Y 'esp && icmp.type == 8' | wc -l)
nrep=$(ts -Y 'esp && icmp.type == 0' | wc -l)
[ "$nicmp" -gt 0 ] && [ "$nrep" -gt 0 ] &&
	pass "tshark: inner ICMP echo requests ($nicmp) and replies ($nrep) seen inside ESP" ||
	fail "tshark: inner ICMP inside ESP" "$nicmp requests, $nrep replies"
if [ "$GRE" = 1 ]; then
	ngre=$(ts -Y 'esp && gre && icmp.type == 8' | wc -l)
	[ "$ngre" -gt 0 ] && pass "tshark: GRE carrying ICMP inside ESP ($ngre packets)" ||
		fail "tshark: GRE inside ESP" "$ngre"
fi
exit $_f
