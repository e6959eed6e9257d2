/* test_conf_errors.c: bad configuration files, each with the exact
 * LINE:COL and message of its first error, and the promise that a file with
 * an error yields no model. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "tests/unit/tcheck.h"

struct bad {
	const char *name;
	const char *text;
	const char *want; /* "LINE:COL: message" of the first error */
};

#define T1   "interface Tunnel1\n"
#define PROP "crypto ikev2 proposal P\n"
#define PEER "crypto ikev2 keyring KR\n peer A\n"
#define IKP  "crypto ikev2 profile PR\n"
#define IPP  "crypto ipsec profile IPP\n"
#define ACL  "ip access-list extended A\n"
#define SACL "ip access-list standard S\n"
#define PMC  "policy-map PM\n class C\n "
#define CM   "class-map C\n match any\n"

static const struct bad bad[] = {
    {"unknown_global", "foo bar\n", "1:1: unknown command"},
    {"unknown_after_blank", "\n!\n  \nfoo\n", "4:1: unknown command"},
    {"unknown_indented", "   bogus line\n", "1:4: unknown command"},
    {"incomplete_crypto", "crypto ikev2\n", "1:13: incomplete command"},
    {"incomplete_interface", "interface\n", "1:10: incomplete command"},
    {"ambiguous_e", PROP " e aes-cbc-256\n",
     "2:2: ambiguous command: 'e' could be encryption, end, exit"},
    {"ambiguous_group", PROP " group 1\n", "2:8: ambiguous command: '1' could be 14, 15, 16, 19"},
    {"bad_encryption", PROP " encryption aes-cbc-999\n",
     "2:13: expected one of: aes-cbc-128, aes-cbc-192, aes-cbc-256, aes-gcm-128, aes-gcm-256, "
     "chacha20-poly1305"},
    {"bad_encryption_second", PROP " encryption aes-cbc-256 des\n",
     "2:25: expected one of: aes-cbc-128, aes-cbc-192, aes-cbc-256, aes-gcm-128, aes-gcm-256, "
     "chacha20-poly1305, end of line"},
    {"bad_integrity", PROP " integrity md5\n",
     "2:12: expected one of: sha1, sha256, sha384, sha512"},
    {"bad_group", PROP " group 5\n", "2:8: expected one of: 14, 15, 16, 19, 20, 21, 31"},
    {"bad_prf", PROP " prf md5\n", "2:6: expected one of: sha1, sha256, sha384, sha512"},
    {"dest_short", T1 " tunnel destination 1.2.3\n", "2:21: expected A.B.C.D"},
    {"dest_octet", T1 " tunnel destination 1.2.3.256\n", "2:21: expected A.B.C.D"},
    {"dest_multicast", T1 " tunnel destination 224.0.0.5\n",
     "2:21: tunnel destination must be a unicast address"},
    {"dest_extra", T1 " tunnel destination 203.0.113.3 x\n", "2:33: expected end of line"},
    {"mtu_low", T1 " ip mtu 10\n", "2:9: value out of range (68-9000)"},
    {"mtu_high", T1 " ip mtu 9001\n", "2:9: value out of range (68-9000)"},
    {"mtu_word", T1 " ip mtu big\n", "2:9: expected (68-9000)"},
    {"mss_range", T1 " ip tcp adjust-mss 1500\n", "2:20: value out of range (500-1460)"},
    {"tunnel_incomplete", T1 " tunnel\n", "2:8: incomplete command"},
    {"tunnel_key_huge", T1 " tunnel key 4294967296\n", "2:13: value out of range (0-4294967295)"},
    {"tunnel_key_overflow", T1 " tunnel key 99999999999999999999999\n",
     "2:13: value out of range (0-4294967295)"},
    {"tunnel_mode_bad", T1 " tunnel mode gre ipv6\n", "2:18: expected ip"},
    {"tunnel_mode_vxlan", T1 " tunnel mode vxlan\n", "2:14: expected gre or ipsec"},
    {"shutdown_extra", T1 " shutdown now\n", "2:11: expected end of line"},
    {"keepalive_extra", T1 " keepalive 10 3 x\n", "2:17: expected end of line"},
    {"keepalive_range", T1 " keepalive 0\n", "2:12: value out of range (1-32767)"},
    {"bandwidth_range", T1 " bandwidth 0\n", "2:12: value out of range (1-10000000)"},
    {"ip_address_mask", T1 " ip address 10.0.0.1 255.0.255.0\n", "2:22: invalid mask 255.0.255.0"},
    {"ip_address_zero_mask", T1 " ip address 10.0.0.1 0.0.0.0\n", "2:22: invalid mask 0.0.0.0"},
    {"ip_address_network", T1 " ip address 10.0.0.0 255.255.255.0\n",
     "2:13: 10.0.0.0 is a network or broadcast address for mask 255.255.255.0"},
    {"ip_address_missing_mask", T1 " ip address 10.0.0.1\n", "2:21: incomplete command"},
    {"tunnel_cmd_on_eth", "interface eth1\n tunnel key 5\n",
     "2:2: only Tunnel interfaces take this command"},
    {"speed_on_tunnel", T1 " speed auto\n", "2:2: a Tunnel interface has no hardware to configure"},
    {"ifname_long", "interface abcdefghijklmnopq\n",
     "1:11: abcdefghijklmnopq is not a Linux device name (longer than 15 characters): add "
     "`interface-map abcdefghijklmnopq LINUXDEV`"},
    {"ifname_slash", "interface FastEthernet0/1\n ip address 10.0.0.1 255.255.255.0\n",
     "1:11: FastEthernet0/1 is not a Linux device name (it has a '/'): add `interface-map "
     "FastEthernet0/1 LINUXDEV`"},
    {"ifname_too_long", "interface a123456789012345678901234567890123456789012345678901234567890123\n",
     "1:11: interface name too long (at most 63 characters)"},
    {"tunnel_source_ios", T1 " tunnel source GigabitEthernet0/0/1\n",
     "2:16: GigabitEthernet0/0/1 is not a Linux device name (longer than 15 characters): add "
     "`interface-map GigabitEthernet0/0/1 LINUXDEV`"},
    {"tunnel_source_tunnel", T1 " tunnel source Tunnel2\n",
     "2:16: a tunnel cannot be the source of a tunnel"},
    {"ifmap_dev_bad", "interface-map FastEthernet0/1 eth1/2\n",
     "1:31: expected a Linux device name (at most 15 characters, no '/', ':' or blank)"},
    {"ifmap_tunnel", "interface-map Tunnel5 eth1\n",
     "1:15: Tunnel5 is a tunnel: vtid creates TunnelN devices itself"},
    {"ifmap_dev_twice", "interface-map Fa0/0 eth1\ninterface-map Fa0/1 eth1\n",
     "2:21: eth1 is already the device of Fa0/0"},
    {"ifmap_two_blocks",
     "interface-map FastEthernet0/1 eth1\ninterface eth1\ninterface FastEthernet0/1\n",
     "3:11: interface eth1 and interface FastEthernet0/1 are both the device eth1: configure it "
     "in one block"},
    {"tunnel_number_bad", "interface Tunnel1x\n", "1:11: invalid tunnel number '1x'"},
    {"tunnel_number_big", "interface Tunnel12345678901\n",
     "1:17: tunnel number out of range (0-999999999)"},
    {"ts_aead_integ", "crypto ipsec transform-set T esp-gcm 256 esp-sha-hmac\n",
     "1:42: esp-gcm is an AEAD transform: no integrity transform allowed"},
    {"ts_chacha_integ", "crypto ipsec transform-set T esp-chacha20-poly1305 esp-sha256-hmac\n",
     "1:52: esp-chacha20-poly1305 is an AEAD transform: no integrity transform allowed"},
    {"ts_aes_no_integ", "crypto ipsec transform-set T esp-aes 256\n",
     "1:41: esp-aes needs an integrity transform (esp-sha-hmac, esp-sha256-hmac, "
     "esp-sha384-hmac or esp-sha512-hmac)"},
    {"ts_gcm_192", "crypto ipsec transform-set T esp-gcm 192\n",
     "1:38: expected one of: 128, 256, esp-sha-hmac, esp-sha256-hmac, esp-sha384-hmac, "
     "esp-sha512-hmac, end of line"},
    {"ts_no_transform", "crypto ipsec transform-set T\n", "1:29: incomplete command"},
    {"ts_bad_mode", "crypto ipsec transform-set T esp-gcm\n mode beet\n",
     "2:7: expected transport or tunnel"},
    {"ts_ambiguous_sha", "crypto ipsec transform-set T esp-aes esp-sha\n",
     "1:38: ambiguous command: 'esp-sha' could be esp-sha-hmac, esp-sha256-hmac, "
     "esp-sha384-hmac, esp-sha512-hmac"},
    {"replay_not_pow2", IPP " set security-association replay window-size 100\n",
     "2:46: replay window must be a power of two (64-4096)"},
    {"replay_range", IPP " set security-association replay window-size 8192\n",
     "2:46: value out of range (64-4096)"},
    {"pfs_bad", IPP " set pfs group5\n",
     "2:10: expected one of: group14, group15, group16, group19, group20, group21, group31"},
    {"sa_life_low", IPP " set security-association lifetime seconds 60\n",
     "2:44: value out of range (120-2592000)"},
    {"sa_kb_word", IPP " set security-association lifetime kilobytes lots\n",
     "2:46: expected (2560-4294967295) or disable"},
    {"ikp_lifetime", IKP " lifetime 100\n", "2:11: value out of range (120-86400)"},
    {"ikp_dpd_retry", IKP " dpd 10 1 periodic\n", "2:9: value out of range (2-60)"},
    {"ikp_dpd_mode", IKP " dpd 10 3 always\n", "2:11: expected on-demand or periodic"},
    {"ikp_dpd_incomplete", IKP " dpd 10\n", "2:8: incomplete command"},
    {"ikp_auth_bad", IKP " authentication local rsa-sig\n", "2:23: expected pre-share"},
    {"ikp_match_bad", IKP " match identity remote email x@y\n",
     "2:24: expected one of: address, fqdn, key-id"},
    {"ikp_match_mask", IKP " match identity remote address 10.0.0.0 255.0.0.255\n",
     "2:41: invalid mask 255.0.0.255"},
    {"peer_addr_bad", PEER "  address 203.0.113\n", "3:11: expected A.B.C.D"},
    {"peer_mask_bad", PEER "  address 203.0.113.0 255.255.0.255\n",
     "3:23: invalid mask 255.255.0.255"},
    {"peer_psk_missing", PEER "  pre-shared-key\n", "3:17: incomplete command"},
    {"peer_psk_long",
     PEER
     "  pre-shared-key "
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
     "3:18: pre-shared key too long (at most 127 characters)"},
    {"name_too_long",
     "crypto ikev2 proposal "
     "PPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPPP\n",
     "1:23: too long (at most 63 characters)"},
    {"hostname_bad", "hostname R2!\n", "1:12: hostname may hold letters, digits, '-', '_' and '.'"},
    {"dataplane_bad", "dataplane dpdk\n", "1:11: expected one of: auto, kernel, userspace"},
    {"dataplane_mq_range", "dataplane userspace multi-queue 65536\n",
     "1:33: value out of range (0-65535)"},
    {"cookie_challenge_zero", "crypto ikev2 cookie-challenge 0\n",
     "1:31: value out of range (1-4096)"},
    {"no_dataplane_bad", "no dataplane dpdk\n",
     "1:14: expected one of: auto, kernel, userspace, end of line"},
    {"acl_bad_proto", ACL " permit foo any any\n",
     "2:9: expected one of: (0-255), ahp, eigrp, esp, gre, icmp, igmp, ip, ipinip, nos, ospf, "
     "pcp, pim, tcp, udp"},
    {"acl_missing_dst", ACL " permit ip any\n", "2:15: incomplete command"},
    {"acl_host_bad", ACL " deny tcp host 1.2.3 any\n", "2:16: expected A.B.C.D"},
    {"acl_port_on_ip", ACL " permit ip any any eq 22\n", "2:20: port matches need tcp or udp"},
    {"acl_port_range", ACL " permit tcp any any eq 70000\n", "2:24: value out of range (0-65535)"},
    {"acl_range_backwards", ACL " permit udp any any range 20 10\n",
     "2:30: range end below its start"},
    {"acl_established_udp", ACL " permit udp any any established\n", "2:21: established needs tcp"},
    {"acl_dup_seq", ACL " 10 permit ip any any\n 10 deny ip any any\n",
     "3:2: duplicate sequence number 10"},
    {"acl_wildcard_missing", ACL " permit ip 10.0.0.0 any\n", "2:21: expected A.B.C.D"},
    /* Access lists: numbers, names, kinds, each entry form's refusals. */
    {"acl_num_out_of_ranges", "access-list 3000 permit any\n",
     "1:13: value out of range (1-99, 100-199, 1300-1999, 2000-2699)"},
    {"acl_num_zero", "access-list 0 permit any\n",
     "1:13: value out of range (1-99, 100-199, 1300-1999, 2000-2699)"},
    {"acl_num_not_ip", "access-list 250 permit ip any any\n",
     "1:13: value out of range (1-99, 100-199, 1300-1999, 2000-2699)"},
    {"acl_num_std_given_ext", "access-list 150 permit 10.0.0.0 0.0.0.255\n",
     "1:13: access-list 150 is extended: its entries need a protocol (standard lists are 1-99 and "
     "1300-1999)"},
    {"acl_num_ext_given_std", "access-list 10 permit ip any any\n",
     "1:13: access-list 10 is standard: its entries match a source address only (extended lists "
     "are 100-199 and 2000-2699)"},
    {"acl_num_expanded_ext_given_std", "access-list 2000 permit any\n",
     "1:13: access-list 2000 is extended: its entries need a protocol (standard lists are 1-99 and "
     "1300-1999)"},
    {"acl_num_remark_not_ip", "access-list 700 remark x\n",
     "1:13: value out of range (1-99, 100-199, 1300-1999, 2000-2699)"},
    {"acl_no_num_not_ip", "no access-list 1234\n",
     "1:16: value out of range (1-99, 100-199, 1300-1999, 2000-2699)"},
    {"acl_hdr_std_ext_num", "ip access-list standard 150\n",
     "1:25: 150 is an extended access-list number (standard: 1-99, 1300-1999)"},
    {"acl_hdr_ext_std_num", "ip access-list extended 1300\n",
     "1:25: 1300 is a standard access-list number (extended: 100-199, 2000-2699)"},
    {"acl_hdr_not_ip", "ip access-list extended 200\n",
     "1:25: 200 is not an IP access-list number (standard 1-99, 1300-1999; extended 100-199, "
     "2000-2699)"},
    {"acl_hdr_digit_name", "ip access-list extended 1abc\n",
     "1:25: an access-list name must start with a letter"},
    {"acl_hdr_punct_name", "ip access-list standard _x\n",
     "1:25: an access-list name must start with a letter"},
    {"acl_hdr_kind_clash", ACL "ip access-list standard A\n",
     "2:25: access-list 'A' is an extended access list"},
    {"acl_hdr_kind_clash_no", SACL "no ip access-list extended S\n",
     "2:28: access-list 'S' is a standard access list"},
    {"acl_std_proto", SACL " permit ip any any\n", "2:9: expected one of: A.B.C.D, any, host"},
    {"acl_std_two_wild", SACL " permit 10.0.0.0 0.0.0.255 0.0.0.1\n",
     "2:28: expected one of: log, log-input, end of line"},
    {"acl_std_dup_seq", SACL " 10 permit any\n 10 deny any\n", "3:2: duplicate sequence number 10"},
    {"acl_std_host_missing", SACL " deny host\n", "2:11: incomplete command"},
    {"acl_udp_tcp_port", ACL " permit udp any any eq www\n",
     "2:24: expected (0-65535) or udp port name"},
    {"acl_tcp_udp_port", ACL " permit tcp any eq snmp any\n",
     "2:20: expected (0-65535) or tcp port name"},
    {"acl_port_on_icmp", ACL " permit icmp any any eq 7\n", "2:22: port matches need tcp or udp"},
    {"acl_port_on_number", ACL " permit 6 any any eq 80\n", "2:19: port matches need tcp or udp"},
    {"acl_range_names_backwards", ACL " permit tcp any range www ftp any\n",
     "2:27: range end below its start"},
    {"acl_icmp_msg_on_ip", ACL " permit ip any any echo\n",
     "2:20: expected one of: dscp, fragments, log, log-input, precedence, end of line"},
    {"acl_icmp_ambiguous", ACL " permit icmp any any d\n",
     "2:22: ambiguous command: 'd' could be dod-host-prohibited, dod-net-prohibited, dscp"},
    {"acl_icmp_type_range", ACL " permit icmp any any 256\n", "2:22: value out of range (0-255)"},
    {"acl_icmp_code_range", ACL " permit icmp any any 3 256\n", "2:24: value out of range (0-255)"},
    {"acl_icmp_name_and_code", ACL " permit icmp any any echo 0\n",
     "2:27: expected one of: dscp, fragments, log, log-input, precedence, end of line"},
    {"acl_dscp_range", ACL " permit ip any any dscp 64\n", "2:25: value out of range (0-63)"},
    {"acl_dscp_bad", ACL " permit ip any any dscp af44\n", "2:25: expected (0-63) or DSCP name"},
    {"acl_prec_range", ACL " permit ip any any precedence 8\n", "2:31: value out of range (0-7)"},
    {"acl_dscp_and_prec", ACL " permit ip any any dscp ef precedence 5\n",
     "2:28: use dscp or precedence, not both"},
    {"acl_log_twice", ACL " permit tcp any any log log-input\n", "2:25: log given twice"},
    {"acl_established_twice", ACL " permit tcp any any established log established\n",
     "2:37: established given twice"},
    {"acl_fragments_ports", ACL " permit tcp any any eq 80 fragments\n",
     "2:27: fragments cannot be combined with ports, established or an ICMP message (a non-initial "
     "fragment has no layer-4 header)"},
    {"acl_fragments_established", ACL " permit tcp any any fragments established\n",
     "2:21: fragments cannot be combined with ports, established or an ICMP message (a non-initial "
     "fragment has no layer-4 header)"},
    {"acl_fragments_icmp", ACL " deny icmp any any echo fragments\n",
     "2:25: fragments cannot be combined with ports, established or an ICMP message (a non-initial "
     "fragment has no layer-4 header)"},
    {"acl_established_number", ACL " permit 6 any any established\n",
     "2:19: established needs tcp"},
    {"acl_option_unknown", ACL " permit tcp any any syn\n",
     "2:21: expected one of: dscp, eq, established, fragments, gt, log, log-input, lt, neq, "
     "precedence, range, end of line"},
    {"acl_global_port_wrong", "access-list 101 permit udp any any eq telnet\n",
     "1:39: expected (0-65535) or udp port name"},
    {"acl_global_port_on_ip",
     "access-list 101 permit ip any any\naccess-list 101 permit ip any any eq 1\n",
     "2:35: port matches need tcp or udp"},
    {"acl_resequence_undefined", "ip access-list resequence NOPE 10 10\n",
     "1:27: access-list 'NOPE' is not defined"},
    {"acl_resequence_overflow",
     ACL " permit ip any any\n permit ip any any\nip access-list resequence A 2147483600 100\n",
     "4:40: the last entry would be numbered past 2147483647"},
    {"acl_group_not_ip", T1 " ip access-group 500 in\n",
     "2:18: 500 is not an IP access-list number (standard 1-99, 1300-1999; extended 100-199, "
     "2000-2699)"},
    {"acl_group_digit_name", T1 " ip access-group 1x in\n",
     "2:18: an access-list name must start with a letter"},
    {"undefined_acl_out",
     T1 " ip access-group A in\n ip access-group NOPE out\nip access-list extended A\n",
     "3:2: access-list 'NOPE' is not defined"},
    {"undefined_numbered_acl", T1 " ip access-group 101 in\n",
     "2:2: access-list '101' is not defined"},
    {"acl_cmap_number_range", "class-map C\n match access-group 300\n",
     "2:21: value out of range (1-99, 100-199, 1300-1999, 2000-2699)"},
    {"acl_remark_long",
     ACL " remark "
	 "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
	 "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
	 "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n",
     "2:9: too long (at most 255 characters)"},
    {"cmap_dscp_bad", "class-map C\n match dscp 64\n", "2:13: value out of range (0-63)"},
    {"pmap_pct", "policy-map PM\n class C\n  bandwidth percent 101\n",
     "3:21: value out of range (1-100)"},
    /* class-map / policy-map: refused at the line, as IOS. */
    {"cmap_dscp_too_many", "class-map C\n match dscp ef af41 cs1 cs2 cs3 cs4 cs5 cs6 cs7\n",
     "2:45: too many values (at most 8)"},
    {"cmap_dscp_word", "class-map C\n match dscp voice\n", "2:13: expected (0-63) or DSCP name"},
    {"cmap_prec_too_many", "class-map C\n match precedence 1 2 3 4 5\n",
     "2:27: too many values (at most 4)"},
    {"cmap_prec_range", "class-map C\n match ip precedence 8\n", "2:22: value out of range (0-7)"},
    {"cmap_prec_word", "class-map C\n match precedence urgent\n",
     "2:19: expected (0-7) or precedence name"},
    {"cmap_protocol_esp", "class-map C\n match protocol esp\n",
     "2:17: expected one of: gre, icmp, ip, ospf, tcp, udp"},
    {"cmap_match_not", "class-map C\n match not dscp ef\n",
     "2:8: expected one of: access-group, any, dscp, ip, precedence, protocol"},
    {"cmap_class_default", "class-map match-any class-default\n",
     "1:21: class-default is predefined (it takes what no other class matches)"},
    {"pmap_priority_low", PMC " priority 4\n", "3:12: value out of range (8-2000000)"},
    {"pmap_priority_burst", PMC " priority 100 10\n", "3:16: value out of range (32-2000000)"},
    {"pmap_priority_pct", PMC " priority percent 0\n", "3:20: value out of range (1-100)"},
    {"pmap_priority_then_bw", PMC " priority\n  bandwidth 100\n",
     "4:3: a class takes priority or bandwidth, not both"},
    {"pmap_bw_then_priority", PMC " bandwidth percent 10\n  priority 100\n",
     "4:3: a class takes priority or bandwidth, not both"},
    {"pmap_priority_default", "policy-map PM\n class class-default\n  priority\n",
     "3:3: priority is not allowed in class-default (make a class for the priority traffic)"},
    {"pmap_priority_shape", PMC " shape average 1000000\n  priority\n",
     "4:3: a class takes priority or shape, not both (limit a priority class with police)"},
    {"pmap_shape_priority", PMC " priority 100\n  shape average 1000000\n",
     "4:3: a class takes priority or shape, not both (limit a priority class with police)"},
    {"pmap_priority_fq", PMC " priority\n  fair-queue\n",
     "4:3: a priority class is one FIFO queue: no fair-queue"},
    {"pmap_fq_priority", PMC " fair-queue\n  priority\n",
     "4:3: a priority class is one FIFO queue: remove fair-queue"},
    {"pmap_bw_low", PMC " bandwidth 7\n", "3:13: value out of range (8-2000000)"},
    {"pmap_bw_remaining_range", PMC " bandwidth remaining percent 101\n",
     "3:31: value out of range (1-100)"},
    {"pmap_bw_ratio", PMC " bandwidth remaining ratio 10\n", "3:23: expected percent"},
    {"pmap_units_kbps_pct", PMC " bandwidth 100\n class D\n  bandwidth percent 10\n",
     "5:13: All classes with bandwidth should have consistent units (class C has bandwidth "
     "in kbps)"},
    {"pmap_units_rem_kbps",
     PMC " bandwidth remaining percent 10\n class class-default\n  bandwidth 64\n",
     "5:13: All classes with bandwidth should have consistent units (class C has bandwidth "
     "remaining percent)"},
    {"pmap_sum",
     PMC " priority percent 60\n class D\n  bandwidth percent 30\n"
	 " class class-default\n  bandwidth percent 11\n",
     "7:21: Sum total of class bandwidths exceeds 100 percent (101)"},
    {"pmap_sum_priority", PMC " bandwidth percent 60\n class D\n  priority percent 41\n",
     "5:20: Sum total of class bandwidths exceeds 100 percent (101)"},
    {"pmap_sum_remaining",
     PMC " bandwidth remaining percent 60\n class D\n  bandwidth remaining percent 50\n",
     "5:31: Sum total of class remaining bandwidths exceeds 100 percent (110)"},
    {"pmap_shape_low", PMC " shape average 7999\n", "3:17: value out of range (8000-10000000000)"},
    {"pmap_shape_peak", PMC " shape peak 8000\n", "3:9: expected average"},
    {"pmap_police_low", PMC " police 7999\n", "3:10: value out of range (8000-10000000000)"},
    {"pmap_police_bc", PMC " police cir 8000 bc 999\n",
     "3:22: value out of range (1000-512000000)"},
    {"pmap_police_conform", PMC " police 8000 conform-action drop\n",
     "3:30: only conform-action transmit and exceed-action drop are supported"},
    {"pmap_police_exceed_mark", PMC " police 8000 exceed-action set-dscp-transmit af11\n",
     "3:29: only conform-action transmit and exceed-action drop are supported"},
    {"pmap_police_violate", PMC " police 8000 1000 1000 violate-action transmit\n",
     "3:40: only conform-action transmit and exceed-action drop are supported"},
    {"pmap_set_dscp_range", PMC " set dscp 64\n", "3:12: value out of range (0-63)"},
    {"pmap_set_prec", PMC " set precedence 5\n", "3:7: expected dscp or ip"},
    {"pmap_queue_limit_range", PMC " queue-limit 0\n", "3:15: value out of range (1-32768)"},
    {"pmap_queue_limit_bytes", PMC " queue-limit 1000 bytes\n",
     "3:20: queue-limit is counted in packets only in vtid"},
    {"pmap_child_no_shape", PMC " bandwidth 100\n  service-policy CHILD\n",
     "4:3: a child service-policy needs a shaper in this class (shape average BPS)"},
    {"pmap_no_shape_under_child",
     PMC " shape average 1000000\n  service-policy CHILD\n  no shape average\n",
     "5:6: the child service-policy CHILD needs this shaper: remove it first (no "
     "service-policy)"},
    {"router_ospf_range", "router ospf 70000\n", "1:13: value out of range (1-65535)"},
    {"undefined_proposal", "crypto ikev2 policy X\n proposal NOPE\n",
     "2:2: ikev2 proposal 'NOPE' is not defined"},
    {"undefined_keyring", IKP " keyring local NOPE\n", "2:2: ikev2 keyring 'NOPE' is not defined"},
    {"undefined_ts", IPP " set transform-set T1\n", "2:2: transform-set 'T1' is not defined"},
    {"undefined_ikp", IPP " set ikev2-profile NOPE\n", "2:2: ikev2 profile 'NOPE' is not defined"},
    {"undefined_ipp",
     T1 " tunnel source 203.0.113.2\n tunnel destination 203.0.113.3\n"
	" tunnel protection ipsec profile NOPE\n",
     "4:2: ipsec profile 'NOPE' is not defined"},
    {"protection_no_endpoints",
     IPP " set ikev2-profile PR\n" IKP T1 " tunnel protection ipsec profile IPP\n",
     "5:2: Tunnel1: tunnel protection needs tunnel source and tunnel destination"},
    {"undefined_acl", T1 " ip access-group NOPE in\n", "2:2: access-list 'NOPE' is not defined"},
    {"undefined_policy_map", T1 " service-policy output NOPE\n",
     "2:2: policy-map 'NOPE' is not defined"},
    {"undefined_class_map", "policy-map PM\n class C1\n", "2:2: class-map 'C1' is not defined"},
    {"undefined_policy_map_input", T1 " service-policy output NOPE\n service-policy input NOPE2\n",
     "2:2: policy-map 'NOPE' is not defined"},
    {"undefined_policy_map_input_line", T1 " service-policy input NOPE2\n",
     "2:2: policy-map 'NOPE2' is not defined"},
    {"undefined_policy_map_plain_if", "interface eth1\n description x\n service-policy input NO\n",
     "3:2: policy-map 'NO' is not defined"},
    {"undefined_child",
     CM "policy-map PM\n class C\n  shape average 1000000\n"
	"  service-policy NOPE\n",
     "6:3: policy-map 'NOPE' is not defined"},
    {"child_self", CM "policy-map PM\n class C\n  shape average 1000000\n  service-policy PM\n",
     "6:3: policy-map 'PM' cannot be its own child"},
    {"child_three_levels",
     CM "policy-map TOP\n class class-default\n  shape average 9000000\n  service-policy MID\n"
	"policy-map MID\n class C\n  shape average 1000000\n  service-policy LOW\n"
	"policy-map LOW\n class class-default\n  fair-queue\n",
     "6:3: policy-map 'MID' has a child policy itself (class C): only two levels, parent "
     "and child, are supported"},
    {"input_policy_queues",
     CM "policy-map IN\n class C\n  police 64000\n class class-default\n  fair-queue\n"
	"interface Tunnel1\n service-policy output IN\n service-policy input IN\n",
     "10:2: service-policy input IN: class class-default has fair-queue; an input policy can "
     "only police and set dscp (queueing is output only)"},
    {"input_policy_priority_plain_if",
     CM "policy-map IN\n class C\n  priority\ninterface eth0\n service-policy input IN\n",
     "7:2: service-policy input IN: class C has priority; an input policy can only police "
     "and set dscp (queueing is output only)"},
    {"input_policy_child",
     CM "policy-map K\npolicy-map IN\n class class-default\n  shape average 8000000\n"
	"  service-policy K\ninterface Tunnel1\n service-policy input IN\n",
     "9:2: service-policy input IN: class class-default has shape; an input policy can only "
     "police and set dscp (queueing is output only)"},
    {"undefined_cmap_acl", "class-map C\n match access-group name NOPE\n",
     "2:2: access-list 'NOPE' is not defined"},
    {"duplicate_tunnels",
     T1 " tunnel source 203.0.113.2\n tunnel destination 203.0.113.3\n"
	"interface Tunnel2\n tunnel source 203.0.113.2\n tunnel destination 203.0.113.3\n",
     "4:1: Tunnel2 has the same tunnel source, destination and key as Tunnel1 (add a distinct "
     "tunnel key)"},
    {"vti_without_protection", T1 " tunnel mode ipsec ipv4\n",
     "1:1: Tunnel1: tunnel mode ipsec ipv4 needs tunnel protection"},
    {"proposal_incomplete", PROP " encryption aes-cbc-256\n",
     "1:1: ikev2 proposal 'P' needs encryption and group"},
    {"proposal_cbc_no_integ", PROP " encryption aes-cbc-256\n group 19\n",
     "1:1: ikev2 proposal 'P': aes-cbc needs an integrity algorithm"},
    {"proposal_gcm_integ", PROP " encryption aes-gcm-256\n integrity sha256\n group 19\n",
     "1:1: ikev2 proposal 'P': AEAD encryption takes no integrity (use prf)"},
    {"error_after_end_ignored_not", "foo\nend\n", "1:1: unknown command"},
    {"crlf_line", "interface Tunnel1\r\n ip mtu 5\r\n", "2:9: value out of range (68-9000)"},
    {"tab_indent", "interface Tunnel1\n\tip mtu 5\n", "2:9: value out of range (68-9000)"},
    {"sub_command_at_global", "encryption aes-cbc-256\n", "1:1: unknown command"},
    {"peer_cmd_outside_keyring", "interface Tunnel1\n pre-shared-key x\n", "2:2: unknown command"},
};

static void check_bad(const void *arg)
{
	const struct bad *b = arg;
	struct cfg_model *m = (struct cfg_model *)1;
	struct cfg_errors errs;
	char got[400];
	int r = cfg_parse_text(b->text, strlen(b->text), &m, &errs);
	CHECK_EQ_INT(r, -EINVAL);
	CHECK(m == NULL);
	CHECK(errs.n >= 1);
	if (errs.n >= 1) {
		snprintf(got, sizeof(got), "%d:%d: %s", errs.e[0].line, errs.e[0].col,
			 errs.e[0].msg);
		CHECK_EQ_STR(got, b->want);
	}
}

/* Several errors are all reported, each on its own line. */
static void test_several_errors(void)
{
	const char *t = "foo\ninterface Tunnel1\n ip mtu 1\n tunnel key x\nhostname ok\nbar\n";
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), -EINVAL);
	CHECK_EQ_INT(errs.n, 4);
	CHECK_EQ_INT(errs.e[0].line, 1);
	CHECK_EQ_INT(errs.e[1].line, 3);
	CHECK_EQ_INT(errs.e[2].line, 4);
	CHECK_EQ_STR(errs.e[2].msg, "expected (0-4294967295)");
	CHECK_EQ_INT(errs.e[3].line, 6);
}

static void test_error_format(void)
{
	const char *t = "interface Tunnel1\n tunnel destination 1.2.3\n";
	struct cfg_model *m;
	struct cfg_errors errs;
	char buf[256];
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), -EINVAL);
	cfg_error_format(&errs.e[0], "r2.conf", buf, sizeof(buf));
	CHECK_EQ_STR(buf, "r2.conf:2:21: error: expected A.B.C.D");
}

/* The error reported is the one from the mode where the match went furthest:
 * `ip address` exists in config-if, so its error wins over "unknown command"
 * from global config. */
static void test_furthest_error(void)
{
	const char *t = "interface Tunnel1\n ip address 10.0.0.1 255.255.255.0 secondary\n";
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), -EINVAL);
	CHECK_EQ_INT(errs.e[0].col, 36);
	CHECK_EQ_STR(errs.e[0].msg, "expected end of line");
}

static void test_too_many_errors(void)
{
	char t[4096] = "";
	for (int i = 0; i < 40; i++)
		strcat(t, "junk\n");
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), -EINVAL);
	CHECK_EQ_INT(errs.n, CFG_MAX_ERRORS);
	CHECK_EQ_INT(errs.dropped, 40 - CFG_MAX_ERRORS);
}

static void test_long_line(void)
{
	char t[3000];
	memset(t, 'a', sizeof(t) - 2);
	t[sizeof(t) - 2] = '\n';
	t[sizeof(t) - 1] = '\0';
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), -EINVAL);
	CHECK_EQ_STR(errs.e[0].msg, "line too long (at most 1023 characters)");
}

static void test_nul_byte(void)
{
	const char t[] = "hostname a\0b\n";
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(t, sizeof(t) - 1, &m, &errs), -EINVAL);
	CHECK_EQ_STR(errs.e[0].msg, "NUL byte in line");
}

static void test_missing_file(void)
{
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_file("/nonexistent/vtid.conf", &m, &errs), -ENOENT);
	CHECK(m == NULL);
	CHECK_EQ_INT(errs.n, 1);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		RUN_NAMED(bad[i].name, check_bad, &bad[i]);
	RUN(test_several_errors);
	RUN(test_error_format);
	RUN(test_furthest_error);
	RUN(test_too_many_errors);
	RUN(test_long_line);
	RUN(test_nul_byte);
	RUN(test_missing_file);
	cfg_grammar_free();
	return tcheck_done();
}
