/* test_conf_roundtrip.c: parse -> print -> parse -> print is a fixed point,
 * on every example file, on a configuration using every command, and on
 * a few hundred generated ones; a reprinted model diffs as "no change". */
#include <glob.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/diff.h"
#include "tests/unit/tcheck.h"

/* Prints the model parsed from text (NULL when it does not parse). */
static char *print_of(const char *text, unsigned flags, struct cfg_model **keep)
{
	struct cfg_model *m;
	struct cfg_errors errs;
	struct cfg_buf b = {0};
	if (cfg_parse_text_opts(text, strlen(text), flags, &m, &errs) < 0) {
		cfg_errors_print(&errs, "generated", stdout);
		return NULL;
	}
	cfg_write(m, &b);
	if (keep)
		*keep = m;
	else
		cfg_model_free(m);
	return b.s;
}

static int fixed_point(const char *text, unsigned flags)
{
	struct cfg_model *m1 = NULL, *m2 = NULL;
	struct cfg_changes ch;
	char *p1 = print_of(text, flags, &m1);
	char *p2 = p1 ? print_of(p1, flags, &m2) : NULL;
	int ok = p1 && p2 && !strcmp(p1, p2);
	if (p1 && p2 && !ok)
		printf("  first print:\n%s  second print:\n%s", p1, p2);
	if (ok) {
		/* Equal text means equal meaning: nothing to apply. */
		ok = cfg_diff(m1, m2, &ch) == 0 && ch.n == 0;
		cfg_changes_free(&ch);
		/* And a deep copy prints the same. */
		struct cfg_model *d = cfg_model_dup(m1);
		struct cfg_buf b = {0};
		cfg_write(d, &b);
		ok = ok && !strcmp(b.s, p1);
		cfg_buf_free(&b);
		cfg_model_free(d);
	}
	free(p1);
	free(p2);
	cfg_model_free(m1);
	cfg_model_free(m2);
	return ok;
}

static void test_examples(void)
{
	const char *top = getenv("VTID_TOP");
	char pat[512];
	glob_t g;
	snprintf(pat, sizeof(pat), "%s/conf/examples/*.conf", top ? top : ".");
	CHECK_EQ_INT(glob(pat, 0, NULL, &g), 0);
	CHECK(g.gl_pathc >= 3);
	for (size_t i = 0; i < g.gl_pathc; i++) {
		struct cfg_model *m;
		struct cfg_errors errs;
		struct cfg_buf b = {0};
		int r = cfg_parse_file(g.gl_pathv[i], &m, &errs);
		if (r) {
			cfg_errors_print(&errs, g.gl_pathv[i], stdout);
			CHECK(r == 0);
			continue;
		}
		cfg_write(m, &b);
		CHECK(fixed_point(b.s, 0));
		cfg_buf_free(&b);
		cfg_model_free(m);
	}
	globfree(&g);
}

static const char *everything =
    "hostname R2\n"
    "dataplane kernel\n"
    "dataplane userspace multi-queue 4\n"
    "crypto ikev2 keylog /tmp/keys.log\n"
    "crypto ikev2 cookie-challenge 100\n"
    "interface-map FastEthernet0/1 eth7\n"
    "interface-map GigabitEthernet0/0/0 eth8\n"
    "crypto ikev2 proposal P1\n"
    " encryption aes-cbc-256 aes-cbc-192\n"
    " encryption aes-cbc-128\n"
    " integrity sha512 sha384\n"
    " prf sha256\n"
    " group 14 15 16 19 20 21 31\n"
    "crypto ikev2 proposal P2\n"
    " encryption aes-gcm-128 aes-gcm-256 chacha20-poly1305\n"
    " prf sha1\n"
    " group 31\n"
    "crypto ikev2 policy POL\n"
    " proposal P1 P2\n"
    " match address local 203.0.113.2\n"
    "crypto ikev2 policy ANY\n"
    " proposal P2\n"
    " match fvrf any\n"
    "crypto ikev2 keyring KR\n"
    " peer B\n"
    "  description the B site\n"
    "  address 203.0.113.0 255.255.255.0\n"
    "  identity fqdn b.example.net\n"
    "  pre-shared-key local one\n"
    "  pre-shared-key remote two\n"
    " peer C\n"
    "  address 198.51.100.7\n"
    "  identity key-id c-key\n"
    "  pre-shared-key same\n"
    "crypto ikev2 profile PROF\n"
    " description main profile\n"
    " match identity remote address 203.0.113.3 255.255.255.255\n"
    " match fvrf any\n"
    " match identity remote fqdn b.example.net\n"
    " match identity remote key-id c-key\n"
    " identity local fqdn a.example.net\n"
    " authentication local pre-share\n"
    " authentication remote pre-share\n"
    " keyring local KR\n"
    " lifetime 3600\n"
    " dpd 30 5 on-demand\n"
    " nat force-encap\n"
    "crypto ipsec transform-set T1 esp-aes 192 esp-sha384-hmac\n"
    " mode transport\n"
    "crypto ipsec transform-set T2 esp-gcm 256\n"
    "crypto ipsec transform-set T3 esp-chacha20-poly1305\n"
    " mode tunnel\n"
    "crypto ipsec transform-set T4 esp-aes esp-sha-hmac\n"
    "crypto ipsec profile IPP\n"
    " set transform-set T2 T1 T3\n"
    " set ikev2-profile PROF\n"
    " set pfs group21\n"
    " set security-association lifetime seconds 7200\n"
    " set security-association lifetime kilobytes 100000\n"
    " set security-association replay window-size 512\n"
    "crypto ipsec profile IPP2\n"
    " set transform-set T4\n"
    " set ikev2-profile PROF\n"
    " set security-association lifetime kilobytes disable\n"
    " set security-association replay disable\n"
    "ip access-list extended ACL1\n"
    " remark web only\n"
    " permit tcp any host 10.1.1.1 eq 443\n"
    " permit udp 10.0.0.0 0.255.255.255 range 1000 2000 any neq 53\n"
    " deny tcp any any lt 1024 established\n"
    " 100 deny 89 any any log\n"
    " permit icmp any any\n"
    " permit icmp any any packet-too-big log\n"
    " permit udp any eq domain any range 1024 65535 dscp af21\n"
    " deny ip any any fragments\n"
    " permit tcp any any eq 179 log-input precedence 6\n"
    "ip access-list standard MGMT\n"
    " permit 192.0.2.0 0.0.0.255\n"
    " deny host 192.0.2.9 log\n"
    "access-list 10 permit 10.0.0.1\n"
    "access-list 10 remark the rest\n"
    "access-list 10 deny any\n"
    "access-list 2001 permit gre any any\n"
    "ip access-list extended 150\n"
    " 5 permit ip any any\n"
    "ip access-list extended GRE4\n"
    " remark the GRE of Tunnel4\n"
    " permit gre host 198.51.100.2 host 198.51.100.7\n"
    "crypto map CM 10 ipsec-isakmp\n"
    " match address GRE4\n"
    " set ikev2-profile PROF\n"
    " set pfs group14\n"
    " set security-association lifetime kilobytes 5000\n"
    " set security-association lifetime seconds 600\n"
    " set transform-set T1 T2\n"
    " set peer 198.51.100.7\n"
    " description to C\n"
    "crypto map UNUSED 7\n"
    " set peer 192.0.2.9\n"
    "class-map match-any VOICE\n"
    " match dscp ef cs5 7\n"
    "class-map WEB\n"
    " match access-group name ACL1\n"
    " match access-group 150\n"
    "class-map match-all ALL\n"
    " match any\n"
    "class-map match-any CTRL\n"
    " match ip precedence internet network\n"
    " match protocol ospf\n"
    " match ip dscp cs6\n"
    "policy-map PM\n"
    " class VOICE\n"
    "  priority\n"
    " class WEB\n"
    "  bandwidth 2000\n"
    "  police 1000000\n"
    "  set dscp 12\n"
    " class class-default\n"
    "  shape average 50000000\n"
    "policy-map CHILD\n"
    " class VOICE\n"
    "  priority percent 20 3000\n"
    " class CTRL\n"
    "  bandwidth remaining percent 10\n"
    "  queue-limit 64\n"
    " class class-default\n"
    "  fair-queue\n"
    "  bandwidth remaining percent 80\n"
    "policy-map PARENT\n"
    " class class-default\n"
    "  shape average 100000000\n"
    "  service-policy CHILD\n"
    "policy-map IN\n"
    " class CTRL\n"
    "  police 64000 8000 8000 conform-action transmit exceed-action drop\n"
    "  set ip dscp cs6\n"
    "interface Tunnel1\n"
    " description to B\n"
    " ip address 192.168.1.2 255.255.255.0\n"
    " ip mtu 1400\n"
    " ip tcp adjust-mss 1360\n"
    " tunnel source 203.0.113.2\n"
    " tunnel destination 203.0.113.3\n"
    " tunnel key 1\n"
    " tunnel protection ipsec profile IPP\n"
    " keepalive\n"
    " bandwidth 100000\n"
    " ip access-group ACL1 in\n"
    " ip access-group 10 out\n"
    " service-policy output PM\n"
    " service-policy input IN\n"
    " ip ospf network point-to-point\n"
    " ip ospf 1 area 0.0.0.0\n"
    " ip ospf bfd\n"
    "interface Tunnel2\n"
    " ip address 192.168.2.1 255.255.255.252\n"
    " tunnel source eth0\n"
    " tunnel destination 198.51.100.7\n"
    " tunnel mode ipsec ipv4\n"
    " tunnel protection ipsec profile IPP2\n"
    " keepalive 5 2\n"
    " shutdown\n"
    "interface Tunnel3\n"
    " tunnel source 203.0.113.2\n"
    " tunnel destination 203.0.113.3\n"
    " tunnel key 2\n"
    "interface Tunnel4\n"
    " tunnel source 198.51.100.2\n"
    " tunnel destination 198.51.100.7\n"
    "interface wan\n"
    " crypto map CM\n"
    "interface fa0/1\n"
    " description uplink\n"
    " ip address 198.51.100.9 255.255.255.0\n"
    " duplex auto\n"
    " speed 100\n"
    " no cdp enable\n"
    " no keepalive\n"
    " no ip route-cache\n"
    " negotiation auto\n"
    " no negotiation auto\n"
    " speed auto\n"
    " shutdown\n"
    "interface Tunnel5\n"
    " tunnel source Gi0/0/0\n"
    " tunnel destination 198.51.100.77\n"
    "interface eth1\n"
    " description LAN\n"
    " ip address 10.1.1.254 255.255.255.0\n"
    " service-policy output PARENT\n"
    " ip ospf 1 area 0\n"
    "router ospf 1\n"
    " ospf router-id 2.2.2.2\n"
    " passive-interface eth1\n"
    "router bgp 65001\n"
    " neighbor 192.168.1.3 remote-as 65002\n"
    " address-family ipv4 unicast\n"
    "  network 10.1.1.0/24\n"
    " exit-address-family\n"
    "bfd\n"
    " peer 192.168.1.3\n"
    "  detect-multiplier 3\n"
    "end\n"
    "this line is after end and never read\n";

static void test_everything(void)
{
	CHECK(fixed_point(everything, 0));
	char *p = print_of(everything, 0, NULL);
	CHECK(p != NULL);
	if (!p)
		return;
	/* A few canonical spellings. */
	CHECK(strstr(p, "crypto ipsec transform-set T4 esp-aes 128 esp-sha-hmac\n") != NULL);
	CHECK(strstr(p, "  pre-shared-key same\n") != NULL);
	CHECK(strstr(p, " 100 deny ospf any any log\n 110 permit icmp any any\n") != NULL);
	CHECK(strstr(p, " 150 permit tcp any any eq bgp precedence internet log\n") != NULL);
	CHECK(strstr(p, "ip access-list standard MGMT\n 10 permit 192.0.2.0 0.0.0.255\n"
			" 20 deny 192.0.2.9 log\n") != NULL);
	CHECK(strstr(p, "access-list 10 permit 10.0.0.1\naccess-list 10 remark the rest\n") !=
	      NULL);
	CHECK(strstr(p, "ip access-list extended 150\n 5 permit ip any any\n") != NULL);
	CHECK(strstr(p, " match access-group 150\n") != NULL);
	CHECK(strstr(p, "class-map match-all WEB\n") != NULL);
	CHECK(strstr(p, " keepalive 10 3\n") != NULL);
	CHECK(strstr(p, "  match dscp") == NULL);
	CHECK(strstr(p, " match dscp ef cs5 7\n") != NULL);
	CHECK(strstr(p, "class-map match-any CTRL\n match precedence 6 7\n match protocol ospf\n"
			" match dscp cs6\n!\n") != NULL);
	CHECK(strstr(p, " class class-default\n  bandwidth remaining percent 80\n"
			"  fair-queue\n!\n") != NULL);
	CHECK(strstr(p, "  police cir 64000 bc 8000\n  set dscp cs6\n") != NULL);
	CHECK(strstr(p, " service-policy input IN\n service-policy output PM\n") != NULL);
	CHECK(strstr(p, " ip ospf 1 area 0\n service-policy output PARENT\n!\n") != NULL);
	CHECK(strstr(p, " address-family ipv4 unicast\n  network 10.1.1.0/24\n") != NULL);
	CHECK(strstr(p, "bfd\n peer 192.168.1.3\n  detect-multiplier 3\n") != NULL);
	CHECK(strstr(p, "after end") == NULL);
	CHECK(strstr(p, "\nend\n") != NULL);
	/* crypto maps: after the access lists, IOS's order of lines */
	CHECK(strstr(p, "!\ncrypto map CM 10 ipsec-isakmp\n description to C\n set peer 198.51.100.7\n"
			" set security-association lifetime seconds 600\n"
			" set security-association lifetime kilobytes 5000\n"
			" set transform-set T1 T2\n set pfs group14\n set ikev2-profile PROF\n"
			" match address GRE4\n!\ncrypto map UNUSED 7 ipsec-isakmp\n") != NULL);
	CHECK(strstr(p, "interface wan\n crypto map CM\n!\n") != NULL);
	/* IOS names as the map spells them, hardware lines kept in order */
	CHECK(strstr(p, "interface-map FastEthernet0/1 eth7\ninterface-map GigabitEthernet0/0/0 eth8\n!\n") != NULL);
	CHECK(strstr(p, "interface FastEthernet0/1\n description uplink\n ip address 198.51.100.9 "
			"255.255.255.0\n shutdown\n duplex auto\n speed auto\n no cdp enable\n"
			" no keepalive\n no ip route-cache\n no negotiation auto\n!\n") != NULL);
	CHECK(strstr(p, " tunnel source GigabitEthernet0/0/0\n") != NULL);
	CHECK(strstr(p, "crypto ikev2 policy ANY\n match fvrf any\n proposal P2\n") != NULL);
	CHECK(strstr(p, " match fvrf any\n match identity remote address 203.0.113.3") != NULL);
	free(p);
}

/* ---- generated configurations ---- */

static unsigned rng = 1;
static unsigned rnd(unsigned n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 16) % n;
}

static const char *pick(const char *const *v, unsigned n)
{
	return v[rnd(n)];
}
#define PICK(v) pick(v, sizeof(v) / sizeof(v[0]))

static const char *const encrs[] = {"aes-cbc-128", "aes-cbc-192", "aes-cbc-256",
				    "aes-gcm-128", "aes-gcm-256", "chacha20-poly1305"};
static const char *const hashes[] = {"sha1", "sha256", "sha384", "sha512"};
static const char *const groups[] = {"14", "15", "16", "19", "20", "21", "31"};
static const char *const names[] = {"A", "B", "C"};
static const char *const dscps[] = {"ef", "af11", "cs1", "0", "63", "default", "17"};
static const char *const ospf[] = {"ip ospf cost 10",
				   "ip ospf 1 area 0",
				   "ip ospf bfd",
				   "ip ospf network point-to-point",
				   "ip ospf hello-interval 1",
				   "no ip ospf cost",
				   "ip ospf cost 20"};
static const char *const hwlines[] = {
    "speed auto",	 "speed 100",	  "no speed",	   "duplex full",   "duplex auto",
    "no duplex",	 "no cdp enable", "cdp enable",	   "no keepalive",  "keepalive 10",
    "negotiation auto", "no mop enabled", "no ip route-cache", "ip route-cache cef",
    "media-type rj45",	 "shutdown",	  "no shutdown",   "no ip mroute-cache",
};
static const char *const routing[] = {"network 10.0.0.0/8 area 0", "router-id 1.1.1.1",
				      "  log-adjacency-changes detail",
				      "timers throttle spf 0 50 5000"};

static const char *const ext_entries[] = {
    "permit tcp any any established",
    "deny udp host 10.1.1.1 eq snmp any log",
    "permit icmp any any echo",
    "permit icmp any any 3 13",
    "deny ip any any fragments log-input",
    "permit ip any any dscp af31",
    "permit gre any any precedence 3",
    "permit tcp 10.0.0.0 0.0.0.255 range 20 21 any neq 80 log",
    "remark  a   remark",
    "permit 89 any any",
    "deny udp any any gt 1023 dscp 9",
};
static const char *const std_entries[] = {"permit any", "deny 10.0.0.1", "permit host 10.0.0.2 log",
					  "deny 10.8.0.0 0.7.255.255", "remark std list"};

#define ADD(...) o += (size_t)snprintf(out + o, o < cap ? cap - o : 0, __VA_ARGS__)

static const char *const matches[] = {
    "dscp af41 af42 af43",   "ip dscp 5",   "precedence 5",	   "precedence routine 7 flash",
    "ip precedence 1 2 3 4", "protocol ip", "protocol gre",	   "protocol ospf",
    "protocol udp",	     "any",	    "access-group name A", "access-group 150",
};
static const char *const polices[] = {
    "police 8000",
    "police 64000 1500",
    "police 128000 2000 3000 conform-action transmit exceed-action drop violate-action drop",
    "police cir 10000000000",
    "police cir 256000 bc 512000000 be 1000",
    "police 96000 conform-action transmit",
};

/* One policy-map block that every handler accepts: one bandwidth unit per
 * policy name (a later block of the same name adds classes), every class
 * started afresh so its lines never meet an earlier block's, percentages
 * small enough for four classes.  The lines after the queue's come in any
 * order; the printer puts them in IOS's. */
static size_t gen_policy(char *out, size_t cap, const char *pm)
{
	static const char *const classes[] = {"A", "B", "C", "class-default"};
	size_t o = 0;
	ADD("policy-map %s\n", pm);
	for (unsigned k = 1 + rnd(3); k > 0; k--) {
		const char *c = PICK(classes);
		bool dflt = !strcmp(c, "class-default"), prio = !dflt && rnd(3) == 0;
		ADD(" no class %s\n class %s\n", c, c);
		if (prio) {
			switch (rnd(5)) {
			case 0:
				ADD("  priority\n");
				break;
			case 1:
				ADD("  priority %u\n", 8 + rnd(2000000 - 7));
				break;
			case 2:
				ADD("  priority %u %u\n", 8 + rnd(1000), 32 + rnd(10000));
				break;
			case 3:
				ADD("  priority percent %u\n", 1 + rnd(20));
				break;
			default:
				ADD("  priority percent %u %u\n", 1 + rnd(20), 32 + rnd(100));
				break;
			}
		} else if (rnd(3)) {
			if (pm[0] == 'A')
				ADD("  bandwidth %u\n", 8 + rnd(2000000 - 7));
			else if (pm[0] == 'B')
				ADD("  bandwidth percent %u\n", 1 + rnd(20));
			else
				ADD("  bandwidth remaining percent %u\n", 1 + rnd(25));
		}
		bool shaped = !prio && rnd(2);
		if (shaped)
			ADD("  shape average %llu\n", 8000ull + rnd(1000000) * 10000ull);
		if (shaped && rnd(2))
			ADD("  service-policy %s\n", PICK(names));
		for (unsigned j = rnd(5); j > 0; j--) {
			switch (rnd(5)) {
			case 0:
				ADD("  %s\n", PICK(polices));
				break;
			case 1:
				ADD("  set %sdscp %s\n", rnd(2) ? "ip " : "", PICK(dscps));
				break;
			case 2:
				ADD("  queue-limit %u%s\n", 1 + rnd(32768),
				    rnd(2) ? " packets" : "");
				break;
			case 3:
				if (!prio)
					ADD("  fair-queue\n");
				break;
			default:
				ADD("  no %s\n", rnd(2) ? "police" : "set dscp");
				break;
			}
		}
	}
	return o;
}

/* Explicit sequence numbers: odd, so never one a list numbered itself from
 * 10 in steps of 10, and falling, so never one a list numbered itself after
 * an earlier explicit one (last + 10), nor the same twice. */
static unsigned next_seq;
static unsigned odd_seq(void)
{
	unsigned v = next_seq;
	next_seq -= 2;
	return v;
}

static void gen(char *out, size_t cap)
{
	next_seq = 2000000001u - 2 * rnd(1000);
	size_t o = 0;
	int blocks = 1 + (int)rnd(12);
	for (int b = 0; b < blocks && o < cap - 512; b++) {
		const char *n = PICK(names);
		switch (rnd(15)) {
		case 0:
			ADD("crypto ikev2 proposal %s\n encryption %s %s\n integrity %s\n group %s "
			    "%s\n",
			    n, PICK(encrs), PICK(encrs), PICK(hashes), PICK(groups), PICK(groups));
			if (rnd(2))
				ADD(" prf %s\n no group %s\n", PICK(hashes), PICK(groups));
			break;
		case 1:
			ADD("crypto ikev2 policy %s\n proposal %s %s\n", n, PICK(names),
			    PICK(names));
			if (rnd(2))
				ADD(" match address local 203.0.113.%u\n", rnd(255));
			break;
		case 2:
			ADD("crypto ikev2 keyring %s\n peer %s\n  address 198.51.100.%u\n", n,
			    PICK(names), rnd(256));
			ADD(rnd(2) ? "  pre-shared-key k%u\n" : "  pre-shared-key local k%u\n",
			    rnd(99));
			if (rnd(2))
				ADD("  identity key-id id%u\n  description d %u\n", rnd(9), rnd(9));
			break;
		case 3:
			ADD("crypto ikev2 profile %s\n keyring local %s\n lifetime %u\n", n,
			    PICK(names), 120 + rnd(86000));
			if (rnd(2))
				ADD(" dpd %u %u %s\n", 10 + rnd(100), 2 + rnd(50),
				    rnd(2) ? "periodic" : "on-demand");
			if (rnd(2))
				ADD(" match identity remote address 203.0.113.%u\n no nat "
				    "force-encap\n",
				    rnd(255));
			break;
		case 4:
			if (rnd(2))
				ADD("crypto ipsec transform-set %s esp-aes %s %s\n", n,
				    rnd(2) ? "256" : "",
				    rnd(2) ? "esp-sha-hmac" : "esp-sha512-hmac");
			else
				ADD("crypto ipsec transform-set %s esp-gcm%s\n", n,
				    rnd(2) ? " 256" : "");
			if (rnd(2))
				ADD(" mode %s\n", rnd(2) ? "transport" : "tunnel");
			break;
		case 5:
			ADD("crypto ipsec profile %s\n set transform-set %s\n set ikev2-profile "
			    "%s\n",
			    n, PICK(names), PICK(names));
			if (rnd(2))
				ADD(" set pfs group%s\n set security-association lifetime seconds "
				    "%u\n",
				    PICK(groups), 120 + rnd(100000));
			if (rnd(2))
				ADD(" set security-association replay window-size %u\n",
				    64u << rnd(7));
			break;
		case 6:
		case 7:
			ADD("interface Tunnel%u\n tunnel source 203.0.113.%u\n tunnel destination "
			    "198.51.100.%u\n",
			    rnd(5), rnd(255), 1 + rnd(200));
			if (rnd(2))
				ADD(" tunnel key %u\n ip mtu %u\n", rnd(100000), 68 + rnd(8000));
			if (rnd(2))
				ADD(" %s\n %s\n", PICK(ospf), PICK(ospf));
			if (rnd(2))
				ADD(" description  spaced   text %u\n shutdown\n", rnd(9));
			if (rnd(3) == 0)
				ADD(" no shutdown\n keepalive %u\n", 1 + rnd(100));
			break;
		case 8:
			ADD("ip access-list extended %s\n permit %s %s any eq %u\n", n,
			    rnd(2) ? "tcp" : "udp", rnd(2) ? "any" : "host 10.0.0.1", rnd(65536));
			if (rnd(2))
				ADD(" %u deny ip 10.%u.0.0 0.0.255.255 any\n", odd_seq(), rnd(255));
			for (int k = (int)rnd(4); k > 0; k--)
				ADD(" %s\n", PICK(ext_entries));
			if (rnd(3) == 0)
				ADD(" no %u\n", 10 * (1 + rnd(4)));
			break;
		case 12:
			ADD("ip access-list standard S%s\n %s\n", n, PICK(std_entries));
			if (rnd(2))
				ADD(" %u %s\n", odd_seq(), PICK(std_entries));
			break;
		case 13:
			/* Numbered: the one-line form, sometimes edited with numbers. */
			ADD("access-list %u %s\n", 1 + rnd(99), PICK(std_entries));
			ADD("access-list 1%02u %s\n", rnd(100), PICK(ext_entries));
			if (rnd(2))
				ADD("access-list 1%02u %s\n", rnd(100), PICK(ext_entries));
			if (rnd(3) == 0)
				ADD("ip access-list extended 1%02u\n %u %s\n", rnd(100), odd_seq(),
				    PICK(ext_entries));
			if (rnd(4) == 0)
				ADD("no access-list 1%02u\n", rnd(100));
			break;
		case 14:
			/* crypto map entries, and the interfaces they are on */
			ADD("crypto map M%s %u%s\n", n, 1 + rnd(65535), rnd(2) ? " ipsec-isakmp" : "");
			if (rnd(2))
				ADD(" set peer 198.51.100.%u\n set ikev2-profile %s\n", rnd(256),
				    PICK(names));
			if (rnd(2))
				ADD(" set transform-set %s %s\n match address %s\n", PICK(names),
				    PICK(names), rnd(2) ? PICK(names) : "101");
			if (rnd(2))
				ADD(" set pfs group%s\n set security-association lifetime %s\n",
				    PICK(groups), rnd(2) ? "kilobytes disable" : "seconds 300");
			if (rnd(3) == 0)
				ADD(" description  map  %u\n no set pfs\n", rnd(9));
			if (rnd(2))
				ADD("interface eth%u\n crypto map M%s\n", rnd(3), PICK(names));
			if (rnd(2)) {
				unsigned slot = rnd(3); /* one device per IOS name */
				ADD("interface-map FastEthernet0/%u eth%u\n", slot, 10 + slot);
			}
			if (rnd(2)) {
				ADD("interface %s0/%u\n", rnd(2) ? "FastEthernet" : "fa", rnd(3));
				for (unsigned k = rnd(4); k > 0; k--)
					ADD(" %s\n", PICK(hwlines));
				if (rnd(2))
					ADD(" ip address 10.%u.0.1 255.255.0.0\n crypto map M%s\n",
					    rnd(255), PICK(names));
			}
			if (rnd(3) == 0)
				ADD("interface Tunnel%u\n tunnel source fa0/%u\n", rnd(5), rnd(3));
			if (rnd(4) == 0)
				ADD("no crypto map M%s%s\n", PICK(names), rnd(2) ? "" : " 1");
			break;
		case 9:
			ADD("class-map %s %s\n match dscp %s %s\n",
			    rnd(2) ? "match-any" : "match-all", n, PICK(dscps), PICK(dscps));
			for (unsigned k = rnd(4); k > 0; k--)
				ADD(" %smatch %s\n", rnd(4) ? "" : "no ", PICK(matches));
			break;
		case 10:
			o += gen_policy(out + o, o < cap ? cap - o : 0, n);
			break;
		default:
			ADD("router ospf %u\n %s\n %s\n", 1 + rnd(3), PICK(routing), PICK(routing));
			ADD("hostname h%u\n", rnd(100));
			break;
		}
	}
#undef ADD
}

static void test_generated(void)
{
	static char text[65536];
	int failed = 0;
	for (unsigned seed = 1; seed <= 300 && failed < 3; seed++) {
		rng = seed;
		gen(text, sizeof(text));
		if (!fixed_point(text, CFG_PARSE_NO_VALIDATE)) {
			printf("  seed %u:\n%s", seed, text);
			failed++;
		}
	}
	CHECK_EQ_INT(failed, 0);
}

int main(void)
{
	RUN(test_examples);
	RUN(test_everything);
	RUN(test_generated);
	cfg_grammar_free();
	return tcheck_done();
}
