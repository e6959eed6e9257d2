/* test_conf_diff.c: per-tunnel resolution and old -> new change lists:
 * a change restarts exactly the tunnels whose resolution it reaches, and
 * soft changes are updates, not restarts. */
#include <errno.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/diff.h"
#include "tests/unit/tcheck.h"

static const char *base =
    "hostname R2\n"
    "crypto ikev2 proposal P1\n encryption aes-cbc-256\n integrity sha256\n group 19\n"
    "crypto ikev2 proposal UNUSED\n encryption aes-gcm-256\n group 20\n"
    "crypto ikev2 policy POL\n proposal P1\n"
    "crypto ikev2 keyring KR\n"
    " peer B\n  address 203.0.113.3\n  pre-shared-key kb\n"
    " peer C\n  address 203.0.113.4\n  pre-shared-key kc\n"
    " peer NET\n  address 203.0.113.0 255.255.255.0\n  pre-shared-key knet\n"
    "crypto ikev2 profile PROF\n authentication local pre-share\n"
    " authentication remote pre-share\n keyring local KR\n"
    "crypto ipsec transform-set TS1 esp-gcm 256\n mode transport\n"
    "crypto ipsec transform-set TS2 esp-gcm 128\n mode transport\n"
    "crypto ipsec profile IPP1\n set transform-set TS1\n set ikev2-profile PROF\n"
    "crypto ipsec profile IPP2\n set transform-set TS2\n set ikev2-profile PROF\n"
    "ip access-list extended ACL\n permit ip any any\n"
    "interface Tunnel1\n description one\n ip address 192.168.1.2 255.255.255.0\n"
    " ip ospf 1 area 0\n ip access-group ACL in\n"
    " tunnel source 203.0.113.2\n tunnel destination 203.0.113.3\n"
    " tunnel protection ipsec profile IPP1\n"
    "interface Tunnel2\n ip address 192.168.2.2 255.255.255.0\n"
    " tunnel source 203.0.113.2\n tunnel destination 203.0.113.4\n"
    " tunnel protection ipsec profile IPP2\n"
    "router ospf 1\n router-id 2.2.2.2\n";

static struct cfg_model *parse(const char *t)
{
	struct cfg_model *m = NULL;
	struct cfg_errors e;
	if (cfg_parse_text(t, strlen(t), &m, &e) < 0)
		cfg_errors_print(&e, "test", stdout);
	return m;
}

/* base with `from` replaced by `to` (first occurrence). */
static struct cfg_model *edit(const char *from, const char *to)
{
	static char buf[8192];
	const char *p = strstr(base, from);
	if (!p)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
	return parse(buf);
}

/* Renders the change list as "kind:name,kind:name". */
static const char *changes(const struct cfg_model *a, const struct cfg_model *b)
{
	static char out[512];
	struct cfg_changes ch;
	size_t o = 0;
	out[0] = '\0';
	if (cfg_diff(a, b, &ch) < 0)
		return "ENOMEM";
	for (size_t i = 0; i < ch.n; i++)
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s%s%s", i ? "," : "",
				      cfg_change_kind_name(ch.v[i].kind),
				      ch.v[i].name[0] ? ":" : "", ch.v[i].name);
	cfg_changes_free(&ch);
	return out;
}

static unsigned what_of(const struct cfg_model *a, const struct cfg_model *b, size_t i)
{
	struct cfg_changes ch;
	unsigned w = 0;
	if (cfg_diff(a, b, &ch) == 0 && i < ch.n)
		w = ch.v[i].what;
	cfg_changes_free(&ch);
	return w;
}

#define CASE(fn, from, to, want)                                                                   \
	static void fn(void)                                                                       \
	{                                                                                          \
		struct cfg_model *a = parse(base), *b = edit(from, to);                            \
		CHECK(a &&b);                                                                      \
		if (a && b)                                                                        \
			CHECK_EQ_STR(changes(a, b), want);                                         \
		cfg_model_free(a);                                                                 \
		cfg_model_free(b);                                                                 \
	}

CASE(test_same, "hostname R2", "hostname R2", "")
CASE(test_tunnel2_profile_only, "set transform-set TS2\n",
     "set transform-set TS2\n set pfs group14\n", "restart:Tunnel2")
CASE(test_tunnel2_transform_only, "esp-gcm 128", "esp-gcm 256", "restart:Tunnel2")
CASE(test_shared_proposal_restarts_both, "group 19", "group 19 14",
     "restart:Tunnel1,restart:Tunnel2")
CASE(test_unused_proposal_no_change, "group 20", "group 21", "")
CASE(test_description_is_update, "description one", "description two", "update:Tunnel1")
CASE(test_psk_of_one_peer, "pre-shared-key kc", "pre-shared-key kc2", "restart:Tunnel2")
CASE(test_unused_peer_psk, "pre-shared-key knet", "pre-shared-key other", "")
CASE(test_hostname_global, "hostname R2", "hostname R9", "globals")
CASE(test_router_line_routing, "router-id 2.2.2.2", "router-id 9.9.9.9", "routing")
CASE(test_ospf_line_update_and_routing, " ip ospf 1 area 0\n",
     " ip ospf 1 area 0\n ip ospf cost 5\n", "update:Tunnel1,routing")
CASE(test_acl_content_update, "permit ip any any", "deny ip any any", "update:Tunnel1,qos")
/* Every field of an entry is a change the applier must see. */
CASE(test_acl_log_update, "permit ip any any", "permit ip any any log", "update:Tunnel1,qos")
CASE(test_acl_dscp_update, "permit ip any any", "permit ip any any dscp ef", "update:Tunnel1,qos")
CASE(test_acl_fragments_update, "permit ip any any", "permit ip any any fragments",
     "update:Tunnel1,qos")
CASE(test_acl_icmp_update, "permit ip any any", "permit icmp any any echo", "update:Tunnel1,qos")
CASE(test_acl_port_update, "permit ip any any", "permit tcp any any eq 22", "update:Tunnel1,qos")
CASE(test_acl_seq_update, " permit ip any any\n", " 20 permit ip any any\n", "update:Tunnel1,qos")
CASE(test_acl_remark_update, " permit ip any any\n", " remark why\n permit ip any any\n",
     "update:Tunnel1,qos")
CASE(test_acl_standard_update, "ip access-list extended ACL\n permit ip any any\n",
     "ip access-list standard ACL\n permit any\n", "update:Tunnel1,qos")

/* Tunnel1 moves to a numbered standard list defined elsewhere. */
static void test_acl_numbered_switch(void)
{
	char t1[8192], t2[8192];
	const char *p = strstr(base, "ip access-group ACL in"), *q;
	CHECK(p != NULL);
	if (!p)
		return;
	snprintf(t1, sizeof(t1), "%.*sip access-group 10 in%s", (int)(p - base), base,
		 p + strlen("ip access-group ACL in"));
	q = strstr(t1, "router ospf 1\n");
	snprintf(t2, sizeof(t2), "%.*saccess-list 10 permit 10.0.0.0 0.255.255.255\n%s",
		 (int)(q - t1), t1, q);
	struct cfg_model *a = parse(base), *b = parse(t2);
	CHECK(a && b);
	if (a && b) {
		CHECK_EQ_STR(changes(a, b), "update:Tunnel1,qos");
		CHECK(what_of(a, b, 0) & CFG_W_ACL);
	}
	cfg_model_free(a);
	cfg_model_free(b);
}
CASE(test_acl_unused_is_qos_only, "router ospf 1\n",
     "access-list 101 permit tcp any any eq www\nrouter ospf 1\n", "qos")
CASE(test_acl_same_text_other_form, "ip access-list extended ACL\n permit ip any any\n",
     "ip access-list extended ACL\n 10 permit 0 0.0.0.0 255.255.255.255 any\n", "")
CASE(test_tunnel_key_restart, "tunnel destination 203.0.113.4\n",
     "tunnel destination 203.0.113.4\n tunnel key 9\n", "restart:Tunnel2")
CASE(test_destination_restart, "tunnel destination 203.0.113.4", "tunnel destination 203.0.113.9",
     "restart:Tunnel2")
CASE(test_add_tunnel, "router ospf 1\n",
     "interface Tunnel3\n tunnel source 203.0.113.2\n tunnel destination 198.51.100.1\n"
     "router ospf 1\n",
     "add:Tunnel3")
CASE(test_remove_tunnel_and_update,
     "interface Tunnel2\n ip address 192.168.2.2 255.255.255.0\n"
     " tunnel source 203.0.113.2\n tunnel destination 203.0.113.4\n"
     " tunnel protection ipsec profile IPP2\n",
     "", "remove:Tunnel2")
CASE(test_order, "description one", "description two\n shutdown", "update:Tunnel1")
/* the device's MTU and the MSS clamp are the data plane's: a rebuild */
CASE(test_mtu_restart, "description one", "description one\n ip mtu 1400", "restart:Tunnel1")

static void test_order_all_kinds(void)
{
	const char *t2 = "interface Tunnel2\n ip address 192.168.2.2 255.255.255.0\n"
			 " tunnel source 203.0.113.2\n tunnel destination 203.0.113.4\n"
			 " tunnel protection ipsec profile IPP2\n";
	char buf[8192];
	const char *p = strstr(base, t2);
	/* Tunnel2 removed, Tunnel1 restarted (key), Tunnel5 added, hostname changed. */
	snprintf(buf, sizeof(buf), "%.*s%s", (int)(p - base), base,
		 "interface Tunnel5\n tunnel source 203.0.113.2\n tunnel destination 198.51.100.5\n"
		 "router ospf 1\n router-id 2.2.2.2\n");
	char *h = strstr(buf, "hostname R2");
	h[10] = '7';
	char *k = strstr(buf, " tunnel protection ipsec profile IPP1\n");
	memmove(k + 14, k, strlen(k) + 1);
	memcpy(k, " tunnel key 3\n", 14);
	struct cfg_model *a = parse(base), *b = parse(buf);
	CHECK(a && b);
	if (a && b)
		CHECK_EQ_STR(changes(a, b), "globals,remove:Tunnel2,restart:Tunnel1,add:Tunnel5");
	cfg_model_free(a);
	cfg_model_free(b);
}

static void test_update_bits(void)
{
	struct cfg_model *a = parse(base),
			 *b = edit("description one", "description two\n shutdown");
	CHECK_EQ_INT(what_of(a, b, 0), CFG_W_DESCRIPTION | CFG_W_SHUTDOWN);
	cfg_model_free(b);
	b = edit("hostname R2", "hostname R3\ndataplane userspace");
	CHECK_EQ_INT(what_of(a, b, 0), CFG_W_HOSTNAME | CFG_W_DATAPLANE);
	cfg_model_free(b);
	/* the multi-queue line: a value that differs from the default, or
	 * from the other side's; the default written out is no change */
	b = edit("hostname R2", "hostname R2\ndataplane userspace multi-queue 0");
	CHECK_EQ_INT(what_of(a, b, 0), CFG_W_DP_MQ);
	cfg_model_free(b);
	b = edit("hostname R2", "hostname R2\ndataplane userspace multi-queue 32");
	CHECK_EQ_INT(what_of(a, b, 0), 0);
	cfg_model_free(b);
	b = edit("hostname R2", "hostname R2\ncrypto ikev2 cookie-challenge 10");
	CHECK_EQ_INT(what_of(a, b, 0), CFG_W_COOKIE);
	cfg_model_free(a);
	cfg_model_free(b);
}

static void test_null_sides(void)
{
	struct cfg_model *a = parse(base);
	CHECK_EQ_STR(changes(NULL, a), "globals,add:Tunnel1,add:Tunnel2,qos,routing");
	CHECK_EQ_STR(changes(a, NULL), "globals,remove:Tunnel1,remove:Tunnel2,qos,routing");
	CHECK_EQ_STR(changes(NULL, NULL), "");
	cfg_model_free(a);
}

static void test_resolve(void)
{
	struct cfg_model *m = parse(base);
	struct cfg_tunnel_resolved r;
	char a[16];
	CHECK_EQ_INT(cfg_tunnel_resolve(m, "Tunnel1", &r), 0);
	CHECK(r.hard.protected);
	CHECK_EQ_STR(r.hard.peer, "B"); /* the /32 peer beats the /24 one */
	CHECK_EQ_STR(r.hard.psk_local, "kb");
	CHECK_EQ_STR(r.hard.policy, "POL");
	CHECK_EQ_INT(r.hard.n_proposal, 1);
	CHECK_EQ_STR(r.hard.proposal[0].prf[0], "sha256"); /* PRF from integrity (IOS) */
	CHECK_EQ_INT(r.hard.local_id.type, CFG_ID_ADDRESS);
	CHECK_EQ_STR(cfg_ip(r.hard.local_id.addr, a), "203.0.113.2");
	CHECK_EQ_INT(r.hard.n_ts, 1);
	CHECK(r.hard.ts[0].transport);
	CHECK_EQ_INT(r.hard.replay_window, CFG_REPLAY_DEFAULT);
	CHECK_EQ_INT(r.hard.sa_lifetime_s, 3600);
	CHECK_EQ_INT(r.soft.n_ospf, 1);
	cfg_tunnel_resolved_wipe(&r);
	CHECK_EQ_INT(cfg_tunnel_resolve(m, "Tunnel9", &r), -ENOENT);
	cfg_model_free(m);
}

static void test_resolve_policy_choice(void)
{
	struct cfg_model *m =
	    edit("crypto ikev2 policy POL\n proposal P1\n",
		 "crypto ikev2 policy POL\n proposal P1\n"
		 "crypto ikev2 policy LOCAL\n match address local 203.0.113.2\n proposal UNUSED\n");
	struct cfg_tunnel_resolved r;
	CHECK(m != NULL);
	CHECK_EQ_INT(cfg_tunnel_resolve(m, "Tunnel1", &r), 0);
	CHECK_EQ_STR(r.hard.policy, "LOCAL");
	CHECK_EQ_STR(r.hard.proposal[0].encr[0], "aes-gcm-256");
	CHECK_EQ_STR(r.hard.proposal[0].prf[0], "sha256"); /* AEAD without prf */
	cfg_tunnel_resolved_wipe(&r);
	cfg_model_free(m);
	/* No policy at all: IOS default proposals. */
	m = edit("crypto ikev2 policy POL\n proposal P1\n", "");
	CHECK_EQ_INT(cfg_tunnel_resolve(m, "Tunnel2", &r), 0);
	CHECK_EQ_STR(r.hard.policy, "");
	CHECK_EQ_INT(r.hard.n_proposal, 2);
	CHECK_EQ_STR(r.hard.proposal[0].encr[0], "aes-cbc-256");
	CHECK_EQ_STR(r.hard.proposal[0].integ[0], "sha512");
	CHECK_EQ_INT(r.hard.proposal[0].group[0], 19);
	CHECK_EQ_INT(r.hard.proposal[0].group[1], 14);
	cfg_tunnel_resolved_wipe(&r);
	cfg_model_free(m);
}

static void test_resolve_default_transform(void)
{
	struct cfg_model *m = edit("crypto ipsec profile IPP2\n set transform-set TS2\n",
				   "crypto ipsec profile IPP2\n");
	struct cfg_tunnel_resolved r;
	CHECK(m != NULL);
	CHECK_EQ_INT(cfg_tunnel_resolve(m, "Tunnel2", &r), 0);
	CHECK_EQ_INT(r.hard.n_ts, 1);
	CHECK_EQ_STR(r.hard.ts[0].encr, "aes-cbc-128"); /* esp-aes 128 esp-sha-hmac */
	CHECK_EQ_STR(r.hard.ts[0].integ, "sha1");
	CHECK(r.hard.ts[0].transport);
	cfg_tunnel_resolved_wipe(&r);
	cfg_model_free(m);
}

/* Values left behind by a longer earlier value must not look like a change. */
static void test_stale_bytes_no_change(void)
{
	struct cfg_session *s = cfg_session_new(NULL, NULL);
	struct cfg_error e;
	cfg_session_line(s, "interface Tunnel1", &e);
	cfg_session_line(s, "tunnel source eth0-long-name", &e);
	cfg_session_line(s, "tunnel source eth1", &e);
	cfg_session_line(s, "tunnel destination 198.51.100.1", &e);
	struct cfg_model *m1 = cfg_session_take(s);
	struct cfg_model *m2 = parse("interface Tunnel1\n tunnel source eth1\n"
				     " tunnel destination 198.51.100.1\n");
	CHECK_EQ_STR(changes(m1, m2), "");
	cfg_model_free(m1);
	cfg_model_free(m2);
	cfg_session_free(s);
}

int main(void)
{
	RUN(test_same);
	RUN(test_tunnel2_profile_only);
	RUN(test_tunnel2_transform_only);
	RUN(test_shared_proposal_restarts_both);
	RUN(test_unused_proposal_no_change);
	RUN(test_description_is_update);
	RUN(test_psk_of_one_peer);
	RUN(test_unused_peer_psk);
	RUN(test_hostname_global);
	RUN(test_router_line_routing);
	RUN(test_ospf_line_update_and_routing);
	RUN(test_acl_content_update);
	RUN(test_acl_log_update);
	RUN(test_acl_dscp_update);
	RUN(test_acl_fragments_update);
	RUN(test_acl_icmp_update);
	RUN(test_acl_port_update);
	RUN(test_acl_seq_update);
	RUN(test_acl_remark_update);
	RUN(test_acl_standard_update);
	RUN(test_acl_numbered_switch);
	RUN(test_acl_unused_is_qos_only);
	RUN(test_acl_same_text_other_form);
	RUN(test_tunnel_key_restart);
	RUN(test_destination_restart);
	RUN(test_add_tunnel);
	RUN(test_remove_tunnel_and_update);
	RUN(test_order);
	RUN(test_mtu_restart);
	RUN(test_order_all_kinds);
	RUN(test_update_bits);
	RUN(test_null_sides);
	RUN(test_resolve);
	RUN(test_resolve_policy_choice);
	RUN(test_resolve_default_transform);
	RUN(test_stale_bytes_no_change);
	cfg_grammar_free();
	return tcheck_done();
}
