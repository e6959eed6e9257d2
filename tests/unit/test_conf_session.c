/* test_conf_session.c: configure terminal — modes, prompts, IOS fallback
 * to parent modes, exit/end, `no` forms, help and completion per mode, and
 * that a refused line changes nothing. */
#include <errno.h>
#include <string.h>

#include "conf/conf.h"
#include "tests/unit/tcheck.h"
#include "tests/unit/test_conf_term.h"


static void test_modes_and_prompts(void)
{
	fresh();
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
	CHECK_EQ_INT(line("interface Tunnel1"), CFG_LINE_OK);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-if");
	CHECK_EQ_STR(cfg_session_header(S, 1), "interface Tunnel1");
	CHECK_EQ_INT(line("crypto ikev2 keyring KR"), CFG_LINE_OK); /* falls back to global */
	CHECK_EQ_STR(cfg_session_prompt(S), "config-ikev2-keyring");
	CHECK_EQ_INT(line("peer SITE2"), CFG_LINE_OK);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-ikev2-keyring-peer");
	CHECK_EQ_INT(cfg_session_depth(S), 3);
	CHECK_EQ_STR(cfg_session_header(S, 2), "peer SITE2");
	CHECK_EQ_INT(line("peer SITE3"), CFG_LINE_OK); /* parent mode takes it */
	CHECK_EQ_STR(cfg_session_header(S, 2), "peer SITE3");
	CHECK_EQ_INT(line("exit"), CFG_LINE_OK);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-ikev2-keyring");
	CHECK_EQ_INT(line("end"), CFG_LINE_END);
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
	CHECK_EQ_INT(line("exit"), CFG_LINE_EXIT);
}

static void test_all_prompts(void)
{
	static const struct {
		const char *line, *prompt;
	} p[] = {
	    {"crypto ikev2 proposal P", "config-ikev2-proposal"},
	    {"crypto ikev2 policy P", "config-ikev2-policy"},
	    {"crypto ikev2 profile P", "config-ikev2-profile"},
	    {"crypto ipsec transform-set T esp-gcm 256", "cfg-crypto-trans"},
	    {"crypto ipsec profile I", "ipsec-profile"},
	    {"ip access-list extended A", "config-ext-nacl"},
	    {"ip access-list standard S", "config-std-nacl"},
	    {"ip access-list extended 101", "config-ext-nacl"},
	    {"ip access-list standard 1300", "config-std-nacl"},
	    {"class-map match-any C", "config-cmap"},
	    {"policy-map PM", "config-pmap"},
	    {"class C", "config-pmap-c"},
	    {"router ospf 1", "config-router"},
	    {"bfd", "config-router"},
	};
	fresh();
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		CHECK_EQ_INT(line(p[i].line), CFG_LINE_OK);
		CHECK_EQ_STR(cfg_session_prompt(S), p[i].prompt);
	}
}

static void test_refused_line_changes_nothing(void)
{
	struct cfg_error e;
	char before[8192];
	fresh();
	line("interface Tunnel1");
	line("tunnel key 5");
	snprintf(before, sizeof(before), "%s", text());
	CHECK_EQ_INT(cfg_session_line(S, "tunnel key 99999999999", &e), -EINVAL);
	CHECK_EQ_INT(e.col, 12);
	CHECK_EQ_STR(e.msg, "value out of range (0-4294967295)");
	CHECK_EQ_INT(cfg_session_line(S, "ip address 10.0.0.1 255.0.255.0", &e), -EINVAL);
	CHECK_EQ_STR(text(), before);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-if"); /* and the mode stays */
	CHECK_EQ_INT(
	    cfg_session_line(S, "crypto ipsec transform-set T esp-gcm 128 esp-sha-hmac", &e),
	    -EINVAL);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-if");
	CHECK_EQ_STR(text(), before);
	/* An access-list line refused late (after its list would be created)
	 * creates nothing, and a refused entry leaves its list as it was. */
	CHECK_EQ_INT(cfg_session_line(S, "access-list 101 permit udp any any established", &e),
		     -EINVAL);
	CHECK_EQ_STR(e.msg, "established needs tcp");
	CHECK_EQ_STR(text(), before);
	CHECK_EQ_INT(line("ip access-list extended A"), 0);
	CHECK_EQ_INT(line("permit ip any any"), 0);
	snprintf(before, sizeof(before), "%s", text());
	CHECK_EQ_INT(cfg_session_line(S, "10 deny ip any any", &e), -EINVAL);
	CHECK_EQ_INT(cfg_session_line(S, "deny tcp any any eq 80 fragments", &e), -EINVAL);
	CHECK_EQ_INT(cfg_session_line(S, "ip access-list standard A", &e), -EINVAL);
	CHECK_EQ_STR(text(), before);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-ext-nacl");
}

static void test_no_forms(void)
{
	fresh();
	line("crypto ikev2 proposal P1");
	line("encryption aes-cbc-128 aes-cbc-256");
	line("encryption aes-gcm-128"); /* lines accumulate */
	line("integrity sha256");
	line("group 14 19");
	line("no encryption aes-cbc-128");
	line("no group 14");
	CHECK(strstr(text(), " encryption aes-cbc-256 aes-gcm-128\n") != NULL);
	CHECK(strstr(text(), " group 19\n") != NULL);
	line("interface Tunnel1");
	line("tunnel key 7");
	line("shutdown");
	line("ip ospf cost 10");
	line("ip ospf network point-to-point");
	line("ip ospf cost 20"); /* replaces the cost line */
	CHECK(strstr(text(), " ip ospf cost 20\n ip ospf network point-to-point\n") != NULL);
	CHECK(strstr(text(), "cost 10") == NULL);
	line("no tunnel key");
	line("no shutdown");
	line("no ip ospf cost");
	CHECK(strstr(text(), "tunnel key") == NULL);
	CHECK(strstr(text(), "shutdown") == NULL);
	CHECK(strstr(text(), "ip ospf cost") == NULL);
	CHECK(strstr(text(), "ip ospf network point-to-point") != NULL);
	line("no crypto ikev2 proposal P1");
	CHECK(strstr(text(), "proposal") == NULL);
	line("no interface Tunnel1");
	CHECK(strstr(text(), "Tunnel1") == NULL);
	CHECK_EQ_INT(line("no interface Tunnel9"), CFG_LINE_OK); /* absent: nothing to do */
}

static void test_psk_forms(void)
{
	fresh();
	line("crypto ikev2 keyring KR");
	line("peer A");
	line("pre-shared-key both-ways");
	CHECK(strstr(text(), "  pre-shared-key both-ways\n") != NULL);
	line("pre-shared-key remote other");
	CHECK(strstr(text(), "  pre-shared-key local both-ways\n  pre-shared-key remote other\n") !=
	      NULL);
	line("no pre-shared-key local");
	CHECK(strstr(text(), "local") == NULL);
	const struct cfg_model *m = cfg_session_model(S);
	CHECK_EQ_STR(m->keyring[0].peer[0].psk_remote, "other");
	CHECK_EQ_STR(m->keyring[0].peer[0].psk_local, "");
}

static void test_interface_names(void)
{
	fresh();
	CHECK_EQ_INT(line("interface tu5"), CFG_LINE_OK);
	CHECK_EQ_STR(cfg_session_header(S, 1), "interface Tunnel5");
	CHECK_EQ_INT(line("interface TUNNEL5"), CFG_LINE_OK);
	CHECK_EQ_INT((int)cfg_session_model(S)->n_interface, 1);
	CHECK_EQ_INT(line("interface eth1"), CFG_LINE_OK);
	CHECK(!cfg_session_model(S)->interface[1].is_tunnel);
}

static void test_router_interactive(void)
{
	fresh();
	line("router ospf 1");
	CHECK_EQ_INT(line("network 10.0.0.0/8 area 0"), CFG_LINE_OK);
	CHECK_EQ_INT(line("no log-adjacency-changes"), CFG_LINE_OK); /* `no` stays verbatim */
	CHECK_EQ_INT(line("interface Tunnel1"), CFG_LINE_OK);	     /* a global command leaves */
	CHECK_EQ_STR(cfg_session_prompt(S), "config-if");
	CHECK(strstr(text(), "router ospf 1\n network 10.0.0.0/8 area 0\n"
			     " no log-adjacency-changes\n!\n") != NULL);
	line("no router ospf 1");
	CHECK(strstr(text(), "router ospf") == NULL);
}

static void test_help_in_modes(void)
{
	struct cli_help_item it[64];
	struct cli_error e;
	fresh();
	line("crypto ikev2 proposal P");
	int n = cfg_session_help(S, "encryption ", it, 64, &e);
	CHECK_EQ_INT(n, 6);
	CHECK_EQ_STR(it[0].token, "aes-cbc-128");
	CHECK_EQ_STR(it[0].help, "AES-CBC with a 128-bit key");
	n = cfg_session_help(S, "encryption aes-gcm-256 ", it, 64, &e);
	CHECK_EQ_INT(n, 7);
	CHECK_EQ_STR(it[6].token, "<cr>");
	n = cfg_session_complete(S, "e", it, 64, &e);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(it[0].token, "encryption");
	CHECK_EQ_STR(it[1].token, "end");
	CHECK_EQ_STR(it[2].token, "exit");
	line("interface Tunnel1");
	n = cfg_session_help(S, "tunnel mode ", it, 64, &e);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(it[0].token, "gre");
	CHECK_EQ_STR(it[1].token, "ipsec");
	n = cfg_session_help(S, "ip mtu ", it, 64, &e);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(it[0].token, "(68-9000)");
	n = cfg_session_complete(S, "tunnel protection ipsec pro", it, 64, &e);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(it[0].token, "profile");
	n = cfg_session_help(S, "keepalive ", it, 64, &e);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(it[1].token, "<cr>");
	/* A global command typed in a sub-mode is helped from global config. */
	n = cfg_session_complete(S, "cry", it, 64, &e);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(it[0].token, "crypto");
	n = cfg_session_help(S, "crypto ikev2 ", it, 64, &e);
	CHECK_EQ_INT(n, 6);
	bool cookie = false;
	for (int i = 0; i < n && i < 64; i++)
		cookie |= !strcmp(it[i].token, "cookie-challenge");
	CHECK(cookie);
	n = cfg_session_help(S, "bogus ", it, 64, &e);
	CHECK_EQ_INT(n, -EINVAL);
	CHECK_EQ_INT(e.col, 1);
	CHECK_EQ_STR(e.msg, "unknown command");
}

static void test_take_and_base(void)
{
	fresh();
	line("hostname R9");
	struct cfg_model *m = cfg_session_take(S);
	CHECK(m != NULL);
	CHECK_EQ_STR(m->hostname, "R9");
	line("hostname R10"); /* the session goes on with its own copy */
	CHECK_EQ_STR(m->hostname, "R9");
	struct cfg_session *s2 = cfg_session_new(NULL, m);
	CHECK_EQ_STR(cfg_session_model(s2)->hostname, "R9");
	cfg_session_free(s2);
	cfg_model_free(m);
}

static void test_transform_set(void)
{
	fresh();
	CHECK_EQ_INT(line("crypto ipsec transform-set T esp-aes 256 esp-sha256-hmac"), 0);
	line("mode transport");
	const struct cfg_transform *t = &cfg_session_model(S)->transform[0];
	CHECK_EQ_STR(t->encr, "aes-cbc-256");
	CHECK_EQ_STR(t->integ, "sha256");
	CHECK(t->transport);
	CHECK_EQ_INT(line("crypto ipsec transform-set T esp-gcm"), 0); /* redefine keeps mode */
	t = &cfg_session_model(S)->transform[0];
	CHECK_EQ_STR(t->encr, "aes-gcm-128");
	CHECK_EQ_STR(t->integ, "");
	CHECK(t->transport);
	CHECK_EQ_INT(line("crypto ipsec transform-set C esp-chacha20-poly1305"), 0);
	CHECK(strstr(text(), "crypto ipsec transform-set C esp-chacha20-poly1305\n mode tunnel\n"));
}

static void test_ipsec_profile_values(void)
{
	fresh();
	line("crypto ipsec profile I");
	CHECK_EQ_INT(line("set pfs group31"), 0);
	CHECK_EQ_INT(line("set security-association replay window-size 1024"), 0);
	CHECK_EQ_INT(line("set security-association lifetime kilobytes disable"), 0);
	CHECK_EQ_INT(line("set security-association lifetime seconds 1800"), 0);
	CHECK_EQ_INT(line("set transform-set A B C"), 0);
	const struct cfg_ipsec_profile *p = &cfg_session_model(S)->ipsec_profile[0];
	CHECK_EQ_INT(p->pfs_group, 31);
	CHECK_EQ_INT(p->replay_window, 1024);
	CHECK(p->lifetime_kb_disable);
	CHECK_EQ_INT(p->lifetime_s, 1800);
	CHECK_EQ_INT(p->n_ts, 3);
	CHECK_EQ_INT(line("set security-association replay disable"), 0);
	CHECK(cfg_session_model(S)->ipsec_profile[0].replay_disable);
	CHECK_EQ_INT(line("no set security-association replay"), 0);
	CHECK_EQ_INT(cfg_session_model(S)->ipsec_profile[0].replay_window, CFG_REPLAY_DEFAULT);
	CHECK(!cfg_session_model(S)->ipsec_profile[0].replay_disable);
}

static void test_acl_and_qos(void)
{
	fresh();
	line("ip access-list extended WEB");
	CHECK_EQ_INT(line("permit tcp 10.1.0.0 0.0.255.255 any eq 443"), 0);
	CHECK_EQ_INT(line("5 deny tcp host 10.1.1.1 any range 1 1024 log"), 0);
	CHECK_EQ_INT(line("remark allow the rest"), 0);
	CHECK_EQ_INT(line("permit ip any any"), 0);
	CHECK(strstr(text(), "ip access-list extended WEB\n"
			     " 5 deny tcp host 10.1.1.1 any range 1 1024 log\n"
			     " 10 permit tcp 10.1.0.0 0.0.255.255 any eq 443\n"
			     " 20 remark allow the rest\n"
			     " 30 permit ip any any\n") != NULL);
	CHECK_EQ_INT(line("no permit ip any any"), 0);
	CHECK_EQ_INT(line("no 20"), 0);
	CHECK_EQ_INT((int)cfg_session_model(S)->acl[0].n_ent, 2);
	line("class-map match-any VOICE");
	CHECK_EQ_INT(line("match dscp ef 34 cs3"), 0);
	CHECK_EQ_INT(line("match access-group name WEB"), 0);
	line("policy-map PM");
	line("class VOICE");
	CHECK_EQ_INT(line("priority 1000"), 0);
	CHECK_EQ_INT(line("set dscp af41"), 0);
	line("class class-default");
	CHECK_EQ_INT(line("bandwidth percent 20"), 0);
	CHECK_EQ_INT(line("shape average 10000000"), 0);
	CHECK(strstr(text(), "class-map match-any VOICE\n match dscp ef af41 cs3\n") != NULL);
	CHECK(strstr(text(), " class VOICE\n  priority 1000\n  set dscp af41\n"
			     " class class-default\n  bandwidth percent 20\n"
			     "  shape average 10000000\n") != NULL);
}

/* Secrets never appear in error messages. */
static void test_psk_not_in_errors(void)
{
	struct cfg_error e;
	fresh();
	line("crypto ikev2 keyring KR");
	line("peer A");
	CHECK_EQ_INT(cfg_session_line(S, "pre-shared-key local supersecret extra", &e), -EINVAL);
	CHECK_EQ_STR(e.msg, "expected end of line");
	CHECK(strstr(e.msg, "supersecret") == NULL);
	CHECK_EQ_INT(e.col, 34);
}

/* FRR writes `exit` at column 0 after a block and indents sub-blocks. */
static void test_file_router_blocks(void)
{
	const char *t = "router bgp 65001\n"
			" neighbor 192.0.2.1 remote-as 65002\n"
			" !\n"
			" address-family ipv4 unicast\n"
			"  network 10.0.0.0/8\n"
			" exit-address-family\n"
			"exit\n"
			"!\n"
			"interface Tunnel1\n"
			" ip ospf cost 5\n"
			"bfd\n"
			" profile fast\n"
			"  detect-multiplier 3\n"
			" exit\n"
			"hostname R1\n";
	struct cfg_model *m;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), 0);
	if (!m)
		return;
	CHECK_EQ_INT((int)m->n_router, 2);
	CHECK_EQ_STR(m->router[0].header, "router bgp 65001");
	CHECK_EQ_INT((int)m->router[0].n_line, 4);
	CHECK_EQ_STR(m->router[0].line[2].text, " network 10.0.0.0/8");
	CHECK_EQ_STR(m->router[1].header, "bfd");
	CHECK_EQ_STR(m->router[1].line[2].text, "exit");
	CHECK_EQ_STR(m->hostname, "R1");
	CHECK_EQ_INT((int)m->interface[0].n_ospf, 1);
	cfg_model_free(m);
}

int main(void)
{
	RUN(test_modes_and_prompts);
	RUN(test_all_prompts);
	RUN(test_refused_line_changes_nothing);
	RUN(test_no_forms);
	RUN(test_psk_forms);
	RUN(test_interface_names);
	RUN(test_router_interactive);
	RUN(test_help_in_modes);
	RUN(test_take_and_base);
	RUN(test_transform_set);
	RUN(test_ipsec_profile_values);
	RUN(test_acl_and_qos);
	RUN(test_psk_not_in_errors);
	RUN(test_file_router_blocks);
	cfg_session_free(S);
	cfg_grammar_free();
	return tcheck_done();
}
