/* test_conf_cryptomap.c: crypto maps protecting GRE tunnels (issue 16):
 * parsing and canonical printing, round trips, the refusals with their
 * FILE:LINE:COL, and that a tunnel a crypto map protects resolves to what
 * `tunnel protection` with the same settings resolves to. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_conf_print.h"

/* R2 of the IOS design: everything but the ACL, the map and the tunnel. */
#define BASE                                                                                       \
	"crypto ikev2 proposal P1\n"                                                               \
	" encryption aes-gcm-256\n"                                                                \
	" prf sha256\n"                                                                            \
	" group 19\n"                                                                              \
	"crypto ikev2 keyring KR\n"                                                                \
	" peer R3\n"                                                                               \
	"  address 203.0.113.3\n"                                                                  \
	"  pre-shared-key s3cret\n"                                                                \
	"crypto ikev2 profile PROF\n"                                                              \
	" match fvrf any\n"                                                                        \
	" match identity remote address 203.0.113.3 255.255.255.255\n"                             \
	" authentication remote pre-share\n"                                                       \
	" authentication local pre-share\n"                                                        \
	" keyring local KR\n"                                                                      \
	"crypto ipsec transform-set TS esp-gcm 256\n"                                              \
	" mode transport\n"

#define GRE_ACL                                                                                    \
	"ip access-list extended GRE\n"                                                            \
	" permit gre host 203.0.113.2 host 203.0.113.3\n"

#define MAP                                                                                        \
	"crypto map CMAP 10 ipsec-isakmp\n"                                                        \
	" set peer 203.0.113.3\n"                                                                  \
	" set transform-set TS\n"                                                                  \
	" set ikev2-profile PROF\n"                                                                \
	" set pfs group19\n"                                                                       \
	" set security-association lifetime seconds 1800\n"                                       \
	" match address GRE\n"

#define TUN                                                                                        \
	"interface Tunnel1\n"                                                                      \
	" ip address 192.168.1.2 255.255.255.0\n"                                                  \
	" tunnel source 203.0.113.2\n"                                                             \
	" tunnel destination 203.0.113.3\n"

#define WAN                                                                                        \
	"interface eth1\n"                                                                         \
	" crypto map CMAP\n"

/* The first error of text, "LINE:COL: message", or "" when it parses. */
static const char *first_error(const char *text)
{
	static char out[300];
	struct cfg_model *m = NULL;
	struct cfg_errors e = {0};
	out[0] = '\0';
	if (cfg_parse_text(text, strlen(text), &m, &e) < 0 && e.n)
		snprintf(out, sizeof(out), "%d:%d: %s", e.e[0].line, e.e[0].col, e.e[0].msg);
	cfg_model_free(m);
	return out;
}

static int lines_of(const char *t)
{
	int n = 0;
	for (; *t; t++)
		n += *t == '\n';
	return n;
}

static void test_parse_print(void)
{
	struct cfg_model *m = parse(BASE GRE_ACL MAP TUN WAN);
	CHECK(m != NULL);
	if (!m)
		return;
	const char *p = print(m);
	CHECK(strstr(p, "crypto ikev2 profile PROF\n match fvrf any\n match identity remote") != NULL);
	CHECK(strstr(p, "crypto map CMAP 10 ipsec-isakmp\n"
			" set peer 203.0.113.3\n"
			" set security-association lifetime seconds 1800\n"
			" set transform-set TS\n"
			" set pfs group19\n"
			" set ikev2-profile PROF\n"
			" match address GRE\n!\n") != NULL);
	CHECK(strstr(p, "interface eth1\n crypto map CMAP\n!\n") != NULL);
	/* after the access lists it matches */
	CHECK(strstr(p, "ip access-list extended GRE") < strstr(p, "crypto map CMAP 10"));
	const struct cfg_cmap_entry *e = cfg_find_cmap_entry(m, "CMAP", 10);
	CHECK(e != NULL);
	CHECK(e && e->acl_pos.line == lines_of(BASE GRE_ACL MAP) && e->acl_pos.col == 2);
	CHECK(cfg_cmap_for_tunnel(m, cfg_find_interface(m, "Tunnel1")) == e);
	cfg_model_free(m);
}

/* Entries of one map print together in sequence order, whatever order they
 * were typed in; `no` forms remove and reset. */
static void test_order_and_no(void)
{
	const char *t = "crypto map B 20\n set peer 192.0.2.1\n"
			"crypto map A 5 ipsec-isakmp\n description first\n"
			"crypto map B 10\n set peer 192.0.2.2\n set transform-set X Y\n"
			" set security-association lifetime kilobytes disable\n"
			" set pfs group14\n match address 101\n"
			"crypto map B 15\n"
			"crypto map B 15\n no set peer\n"
			"crypto map B 10\n no set pfs\n no set transform-set\n"
			" no set security-association lifetime kilobytes\n"
			"no crypto map B 15\n"
			"crypto map C 1\n"
			"no crypto map C\n";
	CHECK_EQ_STR(print_rt(t), "crypto map B 10 ipsec-isakmp\n set peer 192.0.2.2\n"
				  " match address 101\n!\n"
				  "crypto map B 20 ipsec-isakmp\n set peer 192.0.2.1\n!\n"
				  "crypto map A 5 ipsec-isakmp\n description first\n!\n");
	CHECK_EQ_STR(print_rt("crypto map M 1\n set security-association lifetime kilobytes "
			      "disable\n set security-association lifetime kilobytes 9999\n"
			      "interface eth0\n crypto map M\n no crypto map\n crypto map M\n"),
		     "crypto map M 1 ipsec-isakmp\n"
		     " set security-association lifetime kilobytes 9999\n!\n"
		     "interface eth0\n crypto map M\n!\n");
	CHECK_EQ_STR(print_rt("crypto ikev2 profile P\n match fvrf any\n no match fvrf\n"),
		     "crypto ikev2 profile P\n!\n");
}

static void test_roundtrip(void)
{
	print_rt(BASE GRE_ACL MAP TUN WAN);
	print_rt(BASE "access-list 101 permit gre host 203.0.113.2 host 203.0.113.3\n"
		      "crypto map X 65535\n description d  with   spaces\n set peer 203.0.113.3\n"
		      " set ikev2-profile PROF\n match address 101\n"
		      " set security-association lifetime kilobytes disable\n" TUN
		      "interface wan\n ip address 203.0.113.2 255.255.255.0\n crypto map X\n");
}

struct bad {
	const char *name, *text, *want;
};

#define L(t) lines_of(t)

static void test_refusals(void)
{
	char want[300];
	/* policy-based: an ACL selecting subnets */
	const char *pol = BASE "ip access-list extended LANS\n"
			       " permit ip 10.1.1.0 0.0.0.255 10.4.4.0 0.0.0.255\n"
			       "crypto map CMAP 10 ipsec-isakmp\n set peer 203.0.113.3\n"
			       " set ikev2-profile PROF\n match address LANS\n" TUN WAN;
	snprintf(want, sizeof(want),
		 "%d:2: access-list LANS: `permit ip 10.1.1.0 0.0.0.255 10.4.4.0 0.0.0.255` is not "
		 "GRE between tunnel endpoints. vtid is route-based: use interface TunnelN, tunnel "
		 "protection ipsec profile NAME, routes over it",
		 L(BASE) + 6);
	CHECK_EQ_STR(first_error(pol), want);
	/* also when the map is not applied anywhere, and for a GRE line that is
	 * not host-to-host, a deny, a standard list */
	CHECK(strstr(first_error(BASE "access-list 150 permit gre any any\n"
				      "crypto map M 1\n match address 150\n"),
		     "`permit gre any any` is not GRE between tunnel endpoints. vtid is "
		     "route-based") != NULL);
	CHECK(strstr(first_error(BASE GRE_ACL " deny ip any any\n"
				      "crypto map M 1\n match address GRE\n"),
		     "`deny ip any any` is not GRE") != NULL);
	CHECK(strstr(first_error(BASE "access-list 10 permit 203.0.113.3\n"
				      "crypto map M 1\n match address 10\n"),
		     "`permit 203.0.113.3` is not GRE") != NULL);
	CHECK(strstr(first_error(BASE "ip access-list extended E\n remark nothing\n"
				      "crypto map M 1\n match address E\n"),
		     "access-list E selects nothing") != NULL);
	/* no tunnel toward the peer the entry selects */
	snprintf(want, sizeof(want),
		 "%d:2: crypto map CMAP 10: no GRE tunnel from 203.0.113.2 to 203.0.113.3 "
		 "(interface TunnelN with that tunnel source and destination) for it to protect",
		 L(BASE GRE_ACL MAP));
	CHECK_EQ_STR(first_error(BASE GRE_ACL MAP WAN), want);
	/* the tunnel's source is eth1's address, and the map is on eth2 */
	CHECK(strstr(first_error(BASE GRE_ACL MAP TUN "interface eth1\n ip address 203.0.113.2 "
						      "255.255.255.0\ninterface eth2\n crypto map CMAP\n"),
		     "crypto map CMAP 10 selects Tunnel1's GRE, but the map is not applied to the "
		     "interface of its tunnel source") != NULL);
	/* the peer is not the tunnel destination */
	CHECK(strstr(first_error(BASE GRE_ACL "crypto map CMAP 10\n set peer 198.51.100.1\n"
					      " set ikev2-profile PROF\n match address GRE\n" TUN WAN),
		     "crypto map CMAP 10: peer 198.51.100.1, but its ACL selects GRE to "
		     "203.0.113.3: the peer must be the tunnel destination") != NULL);
	/* an applied entry must be complete */
	snprintf(want, sizeof(want), "%d:1: crypto map CMAP 10: no set peer", L(BASE GRE_ACL) + 1);
	CHECK_EQ_STR(first_error(BASE GRE_ACL "crypto map CMAP 10\n set ikev2-profile PROF\n"
					      " match address GRE\n" TUN WAN),
		     want);
	CHECK(strstr(first_error(BASE GRE_ACL "crypto map CMAP 10\n set peer 203.0.113.3\n"
					      " match address GRE\n" TUN WAN),
		     "no set ikev2-profile (vtid runs IKEv2)") != NULL);
	CHECK(strstr(first_error(BASE "crypto map CMAP 10\n set peer 203.0.113.3\n" TUN WAN),
		     "crypto map CMAP 10: no match address") != NULL);
	/* references */
	CHECK(strstr(first_error(BASE "interface eth1\n crypto map NOPE\n"),
		     ":2: crypto map 'NOPE' is not defined") != NULL);
	CHECK(strstr(first_error(BASE GRE_ACL "crypto map M 1\n set transform-set TS NOTS\n"),
		     "transform-set 'NOTS' is not defined") != NULL);
	CHECK(strstr(first_error(BASE GRE_ACL "crypto map M 1\n match address MISSING\n"),
		     "access-list 'MISSING' is not defined") != NULL);
	/* both tunnel protection and a crypto map */
	CHECK(strstr(first_error(BASE GRE_ACL MAP TUN " tunnel protection ipsec profile IPP\n" WAN
				 "crypto ipsec profile IPP\n set ikev2-profile PROF\n"),
		     "Tunnel1 is protected by crypto map CMAP 10 too: use tunnel protection or the "
		     "crypto map, not both") != NULL);
	/* two entries for one tunnel */
	CHECK(strstr(first_error(BASE GRE_ACL MAP "crypto map CMAP 20\n set peer 203.0.113.3\n"
						  " set ikev2-profile PROF\n match address GRE\n" TUN WAN),
		     "Tunnel1 is already protected by crypto map CMAP 10: one crypto map entry per "
		     "tunnel") != NULL);
	/* the IKE side, as for tunnel protection */
	CHECK(strstr(first_error(BASE GRE_ACL MAP
				 "interface Tunnel1\n tunnel source 203.0.113.2\n"
				 " tunnel destination 203.0.113.3\n" WAN
				 "crypto ikev2 keyring KR\n no peer R3\n"),
		     "Tunnel1: no peer in keyring 'KR' has an address matching 203.0.113.3") != NULL);
	/* at the line */
	CHECK_EQ_STR(first_error("interface Tunnel1\n crypto map CMAP\n"),
		     "2:2: a crypto map goes on the interface the tunnel's packets leave by (the WAN "
		     "interface); on Tunnel1 use tunnel protection ipsec profile NAME");
	CHECK_EQ_STR(first_error("crypto ikev2 profile P\n match fvrf RED\n"),
		     "2:13: VRFs are not supported yet: only `match fvrf any` (the global routing "
		     "table)");
	CHECK_EQ_STR(first_error("crypto map M 1\n set peer 192.0.2.1\n set peer 192.0.2.2\n"),
		     "3:11: this entry already has peer 192.0.2.1: vtid has no backup peers (remove "
		     "it first with no set peer 192.0.2.1)");
	CHECK_EQ_STR(first_error("crypto map M 0\n"), "1:14: value out of range (1-65535)");
	CHECK_EQ_STR(first_error("crypto map M 1 ipsec-manual\n"), "1:16: expected ipsec-isakmp or end of line");
	CHECK_EQ_STR(first_error("crypto map M 1\n match address 300\n"),
		     "2:16: 300 is not an IP access-list number (standard 1-99, 1300-1999; "
		     "extended 100-199, 2000-2699)");
}

/* Where the map must be applied: the interface the tunnel source names, or
 * the one holding the source address, else any. */
static void test_applied_where(void)
{
	struct cfg_model *m;
	/* tunnel source by interface name: the map must be on that interface */
	m = parse(BASE GRE_ACL MAP
		  "interface Tunnel1\n tunnel source wan\n tunnel destination 203.0.113.3\n"
		  "interface wan\n ip address 203.0.113.2 255.255.255.0\n crypto map CMAP\n");
	CHECK(m && cfg_cmap_for_tunnel(m, cfg_find_interface(m, "Tunnel1")) != NULL);
	cfg_model_free(m);
	m = parse_opts(BASE GRE_ACL MAP
		       "interface Tunnel1\n tunnel source wan\n tunnel destination 203.0.113.3\n"
		       "interface wan\n ip address 203.0.113.2 255.255.255.0\n"
		       "interface eth1\n crypto map CMAP\n",
		       CFG_PARSE_NO_VALIDATE);
	CHECK(m && cfg_cmap_for_tunnel(m, cfg_find_interface(m, "Tunnel1")) == NULL);
	cfg_model_free(m);
	/* a source interface without an address in the configuration cannot
	 * be matched by an ACL: reported */
	CHECK(strstr(first_error(BASE GRE_ACL MAP
				 "interface Tunnel1\n tunnel source wan\n tunnel destination "
				 "203.0.113.3\ninterface wan\n crypto map CMAP\n"),
		     "no GRE tunnel from 203.0.113.2 to 203.0.113.3") != NULL);
	/* an address no interface block holds: any interface */
	m = parse(BASE GRE_ACL MAP TUN "interface whatever0\n crypto map CMAP\n");
	CHECK(m && cfg_cmap_for_tunnel(m, cfg_find_interface(m, "Tunnel1")) != NULL);
	cfg_model_free(m);
	/* not applied at all: the tunnel is plain GRE, the map a definition */
	m = parse(BASE GRE_ACL MAP TUN);
	CHECK(m && cfg_cmap_for_tunnel(m, cfg_find_interface(m, "Tunnel1")) == NULL);
	cfg_model_free(m);
	/* a VTI is not GRE: a GRE ACL does not select it */
	m = parse_opts(BASE GRE_ACL MAP TUN " tunnel mode ipsec ipv4\n" WAN, CFG_PARSE_NO_VALIDATE);
	CHECK(m && cfg_cmap_for_tunnel(m, cfg_find_interface(m, "Tunnel1")) == NULL);
	cfg_model_free(m);
}

/* A crypto map resolves to what tunnel protection with the same settings
 * resolves to: the same IKE, the same SAs. */
static void test_same_as_protection(void)
{
	struct cfg_model *a = parse(BASE GRE_ACL MAP TUN WAN);
	struct cfg_model *b = parse(BASE GRE_ACL TUN " tunnel protection ipsec profile IPP\n"
					 "crypto ipsec profile IPP\n set transform-set TS\n"
					 " set ikev2-profile PROF\n set pfs group19\n"
					 " set security-association lifetime seconds 1800\n");
	struct cfg_tunnel_resolved *ra = calloc(1, sizeof(*ra)), *rb = calloc(1, sizeof(*rb));
	CHECK(a && b && ra && rb);
	if (!a || !b || !ra || !rb)
		goto out;
	CHECK_EQ_INT(cfg_tunnel_resolve(a, "Tunnel1", ra), 0);
	CHECK_EQ_INT(cfg_tunnel_resolve(b, "Tunnel1", rb), 0);
	CHECK(ra->hard.protected);
	CHECK_EQ_STR(ra->hard.crypto_map, "CMAP");
	CHECK_EQ_INT(ra->hard.crypto_map_seq, 10);
	CHECK_EQ_STR(ra->hard.ipsec_profile, "");
	CHECK_EQ_INT(ra->hard.pfs_group, 19);
	CHECK_EQ_INT(ra->hard.sa_lifetime_s, 1800);
	CHECK_EQ_STR(ra->hard.psk_local, "s3cret");
	/* but for the names of what protects it, the two are the same */
	memset(ra->hard.crypto_map, 0, sizeof(ra->hard.crypto_map));
	ra->hard.crypto_map_seq = 0;
	memset(rb->hard.ipsec_profile, 0, sizeof(rb->hard.ipsec_profile));
	CHECK(memcmp(&ra->hard, &rb->hard, sizeof(ra->hard)) == 0);
out:
	cfg_tunnel_resolved_wipe(ra);
	cfg_tunnel_resolved_wipe(rb);
	free(ra);
	free(rb);
	cfg_model_free(a);
	cfg_model_free(b);
}

/* Changes: applying the map restarts the tunnel (now protected); a change
 * to the entry restarts it; an unrelated map changes nothing. */
static void test_diff(void)
{
	struct cfg_model *plain = parse(BASE GRE_ACL MAP TUN);
	struct cfg_model *prot = parse(BASE GRE_ACL MAP TUN WAN);
	struct cfg_model *pfs = parse(BASE GRE_ACL MAP " set pfs group14\n" TUN WAN);
	struct cfg_model *other = parse(BASE GRE_ACL MAP TUN WAN "crypto map OTHER 1\n");
	struct cfg_changes ch;
	CHECK(plain && prot && pfs && other);
	if (plain && prot && pfs && other) {
		CHECK_EQ_INT(cfg_diff(plain, prot, &ch), 0);
		CHECK(ch.n >= 1 && ch.v[0].kind == CFG_CH_TUNNEL_RESTART &&
		      !strcmp(ch.v[0].name, "Tunnel1"));
		cfg_changes_free(&ch);
		CHECK_EQ_INT(cfg_diff(prot, pfs, &ch), 0);
		CHECK(ch.n == 1 && ch.v[0].kind == CFG_CH_TUNNEL_RESTART);
		cfg_changes_free(&ch);
		CHECK_EQ_INT(cfg_diff(prot, other, &ch), 0);
		CHECK_EQ_INT((int)ch.n, 0);
		cfg_changes_free(&ch);
	}
	cfg_model_free(plain);
	cfg_model_free(prot);
	cfg_model_free(pfs);
	cfg_model_free(other);
}

/* configure terminal: entering the mode, its prompt, and keys for sessions
 * that compose. */
static void test_session(void)
{
	struct cfg_session *s = cfg_session_new(NULL, NULL);
	struct cfg_error e;
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_INT(cfg_session_line(s, "crypto map CMAP 10 ipsec-isakmp", &e), 0);
	CHECK_EQ_STR(cfg_session_prompt(s), "config-crypto-map");
	CHECK_EQ_INT(cfg_session_line(s, "set peer 203.0.113.3", &e), 0);
	/* a global line leaves the entry, as in IOS */
	CHECK_EQ_INT(cfg_session_line(s, "interface eth1", &e), 0);
	CHECK_EQ_INT(cfg_session_line(s, "crypto map CMAP", &e), 0);
	CHECK_EQ_STR(cfg_session_prompt(s), "config-if");
	CHECK(cfg_model_has_key(cfg_session_model(s), "crypto-map CMAP 10"));
	CHECK(!cfg_model_has_key(cfg_session_model(s), "crypto-map CMAP 20"));
	const struct cfg_interface *i = cfg_find_interface(cfg_session_model(s), "eth1");
	CHECK(i && !strcmp(i->crypto_map, "CMAP"));
	cfg_session_free(s);
}

int main(void)
{
	RUN(test_parse_print);
	RUN(test_order_and_no);
	RUN(test_roundtrip);
	RUN(test_refusals);
	RUN(test_applied_where);
	RUN(test_same_as_protection);
	RUN(test_diff);
	RUN(test_session);
	cfg_grammar_free();
	return tcheck_done();
}
