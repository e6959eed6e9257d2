/* test_conf_acl.c: access lists — every IOS form into the model and
 * printed back the way IOS prints it, sequence numbers, the two printed
 * forms of numbered lists, references to lists, what `?` and TAB offer,
 * and the IOS name tables (ports, ICMP messages, protocols, precedence)
 * checked number by number. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/diff.h"
#include "tests/unit/tcheck.h"

#include "tests/unit/test_conf_print.h"


static uint32_t ip(const char *s)
{
	struct in_addr a = {0};
	inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

/* The single entry of "ip access-list extended A\n <line>"; 0 when the
 * line is refused. */
static int one_ext(const char *line, struct cfg_acl_entry *out)
{
	char t[512];
	struct cfg_model *m = NULL;
	struct cfg_errors errs;
	snprintf(t, sizeof(t), "ip access-list extended A\n %s\n", line);
	cfg_parse_text_opts(t, strlen(t), CFG_PARSE_NO_VALIDATE, &m, &errs);
	int ok = m && m->n_acl == 1 && m->acl[0].n_ent == 1;
	if (ok)
		*out = m->acl[0].ent[0];
	cfg_model_free(m);
	return ok;
}

/* "ip access-list extended A\n <line>" printed: the entry line alone. */
static const char *ext_printed(const char *line)
{
	static char out[512];
	char t[512];
	snprintf(t, sizeof(t), "ip access-list extended A\n 10 %s\n", line);
	const char *p = print_rt(t);
	const char *e = strstr(p, " 10 ");
	snprintf(out, sizeof(out), "%.*s", e ? (int)strcspn(e + 4, "\n") : 0, e ? e + 4 : "");
	return out;
}

/* ---- standard lists ---- */

static void test_standard_forms(void)
{
	struct cfg_model *m = parse("ip access-list standard MGMT\n"
				    " permit 10.0.0.0 0.255.255.255\n"
				    " permit host 192.0.2.1\n"
				    " deny 192.0.2.7 log\n"
				    " 15 permit any log-input\n"
				    " remark  the   end\n"
				    " deny 198.51.100.77 0.0.0.255\n");
	CHECK(m != NULL);
	if (!m)
		return;
	const struct cfg_acl *a = &m->acl[0];
	CHECK(a->standard);
	CHECK_EQ_INT((int)a->n_ent, 6);
	CHECK_EQ_INT(a->ent[0].seq, 10);
	CHECK(a->ent[0].src.addr == ip("10.0.0.0") &&
	      a->ent[0].src.wildcard == ip("0.255.255.255"));
	CHECK(a->ent[0].dst.wildcard == 0xffffffffu); /* dst = any */
	CHECK_EQ_INT(a->ent[1].seq, 15);
	CHECK(a->ent[1].src.wildcard == 0xffffffffu && a->ent[1].log);
	CHECK(a->ent[2].src.addr == ip("192.0.2.1") && a->ent[2].src.wildcard == 0);
	CHECK(a->ent[3].src.addr == ip("192.0.2.7") && a->ent[3].src.wildcard == 0);
	CHECK(a->ent[3].log && a->ent[3].action == CFG_ACL_DENY);
	CHECK_EQ_INT(a->ent[4].action, CFG_ACL_REMARK);
	CHECK_EQ_STR(a->ent[4].remark, "the end");
	CHECK(a->ent[5].src.addr == ip("198.51.100.0"));
	CHECK_EQ_STR(print(m), "ip access-list standard MGMT\n"
			       " 10 permit 10.0.0.0 0.255.255.255\n"
			       " 15 permit any log\n"
			       " 20 permit 192.0.2.1\n"
			       " 30 deny 192.0.2.7 log\n"
			       " 40 remark the end\n"
			       " 50 deny 198.51.100.0 0.0.0.255\n"
			       "!\n");
	cfg_model_free(m);
}

/* ---- extended entries ---- */

static void test_protocols(void)
{
	static const struct {
		const char *name;
		int num;
	} p[] = {{"ip", 0},    {"icmp", 1}, {"igmp", 2},  {"ipinip", 4}, {"tcp", 6},
		 {"udp", 17},  {"gre", 47}, {"esp", 50},  {"ahp", 51},	 {"eigrp", 88},
		 {"ospf", 89}, {"nos", 94}, {"pim", 103}, {"pcp", 108}};
	char line[64], want[64];
	struct cfg_acl_entry e;
	for (size_t i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		snprintf(line, sizeof(line), "permit %s any any", p[i].name);
		CHECK(one_ext(line, &e));
		CHECK_EQ_INT(e.proto, p[i].num);
		/* A number prints as its name. */
		snprintf(line, sizeof(line), "permit %d any any", p[i].num);
		snprintf(want, sizeof(want), "permit %s any any", p[i].name);
		CHECK_EQ_STR(ext_printed(line), want);
	}
	CHECK_EQ_STR(ext_printed("deny 255 any any"), "deny 255 any any");
	CHECK_EQ_STR(ext_printed("deny 132 any any"), "deny 132 any any");
}

static void test_addresses(void)
{
	struct cfg_acl_entry e;
	CHECK(one_ext("permit ip 10.1.1.1 0.0.0.255 host 192.0.2.9", &e));
	CHECK(e.src.addr == ip("10.1.1.0") && e.src.wildcard == ip("0.0.0.255"));
	CHECK(e.dst.addr == ip("192.0.2.9") && e.dst.wildcard == 0);
	CHECK_EQ_STR(ext_printed("permit ip 10.1.1.1 0.0.0.255 192.0.2.9 0.0.0.0"),
		     "permit ip 10.1.1.0 0.0.0.255 host 192.0.2.9");
	CHECK_EQ_STR(ext_printed("permit ip 0.0.0.0 255.255.255.255 1.2.3.4 255.255.255.255"),
		     "permit ip any any");
	/* Non-contiguous wildcards are IOS too. */
	CHECK_EQ_STR(ext_printed("permit ip 10.0.0.1 0.255.255.0 any"),
		     "permit ip 10.0.0.1 0.255.255.0 any");
}

/* IOS's port names, number by number (IANA). */
static const struct {
	const char *name;
	int num;
} tcp_ports[] = {{"bgp", 179},	  {"chargen", 19},   {"cmd", 514},	   {"daytime", 13},
		 {"discard", 9},  {"domain", 53},    {"drip", 3949},	   {"echo", 7},
		 {"exec", 512},	  {"finger", 79},    {"ftp", 21},	   {"ftp-data", 20},
		 {"gopher", 70},  {"hostname", 101}, {"ident", 113},	   {"irc", 194},
		 {"klogin", 543}, {"kshell", 544},   {"login", 513},	   {"lpd", 515},
		 {"msrpc", 135},  {"nntp", 119},     {"pim-auto-rp", 496}, {"pop2", 109},
		 {"pop3", 110},	  {"smtp", 25},	     {"sunrpc", 111},	   {"tacacs", 49},
		 {"talk", 517},	  {"telnet", 23},    {"time", 37},	   {"uucp", 540},
		 {"whois", 43},	  {"www", 80}},
  udp_ports[] = {{"biff", 512},	       {"bootpc", 68},
		 {"bootps", 67},       {"discard", 9},
		 {"dnsix", 195},       {"domain", 53},
		 {"echo", 7},	       {"isakmp", 500},
		 {"mobile-ip", 434},   {"nameserver", 42},
		 {"netbios-dgm", 138}, {"netbios-ns", 137},
		 {"netbios-ss", 139},  {"non500-isakmp", 4500},
		 {"ntp", 123},	       {"pim-auto-rp", 496},
		 {"rip", 520},	       {"snmp", 161},
		 {"snmptrap", 162},    {"sunrpc", 111},
		 {"syslog", 514},      {"tacacs", 49},
		 {"talk", 517},	       {"tftp", 69},
		 {"time", 37},	       {"who", 513},
		 {"xdmcp", 177}};

static void test_port_names(void)
{
	char line[128], want[128];
	struct cfg_acl_entry e;
	for (size_t i = 0; i < sizeof(tcp_ports) / sizeof(tcp_ports[0]); i++) {
		snprintf(line, sizeof(line), "permit tcp any any eq %s", tcp_ports[i].name);
		CHECK(one_ext(line, &e));
		CHECK_EQ_INT(e.dst.port1, tcp_ports[i].num);
		/* The number prints as the name. */
		snprintf(line, sizeof(line), "permit tcp any eq %d any", tcp_ports[i].num);
		snprintf(want, sizeof(want), "permit tcp any eq %s any", tcp_ports[i].name);
		CHECK_EQ_STR(ext_printed(line), want);
	}
	for (size_t i = 0; i < sizeof(udp_ports) / sizeof(udp_ports[0]); i++) {
		snprintf(line, sizeof(line), "permit udp any any eq %s", udp_ports[i].name);
		CHECK(one_ext(line, &e));
		CHECK_EQ_INT(e.dst.port1, udp_ports[i].num);
		snprintf(line, sizeof(line), "permit udp any eq %d any", udp_ports[i].num);
		snprintf(want, sizeof(want), "permit udp any eq %s any", udp_ports[i].name);
		CHECK_EQ_STR(ext_printed(line), want);
	}
	/* IOS has no name for these: numbers stay numbers. */
	CHECK_EQ_STR(ext_printed("permit tcp any any eq 22"), "permit tcp any any eq 22");
	CHECK_EQ_STR(ext_printed("permit tcp any any eq 443"), "permit tcp any any eq 443");
	CHECK_EQ_STR(ext_printed("permit udp any any eq 80"), "permit udp any any eq 80");
	/* The same number is named per protocol. */
	CHECK_EQ_STR(ext_printed("permit tcp any any eq 514"), "permit tcp any any eq cmd");
	CHECK_EQ_STR(ext_printed("permit udp any any eq 514"), "permit udp any any eq syslog");
	/* Abbreviated like keywords. */
	CHECK(one_ext("permit tcp any any eq ww", &e));
	CHECK_EQ_INT(e.dst.port1, 80);
}

static void test_port_operators(void)
{
	struct cfg_acl_entry e;
	CHECK(one_ext("permit tcp any neq 25 any lt 1024", &e));
	CHECK(e.src.op == CFG_PORT_NEQ && e.src.port1 == 25);
	CHECK(e.dst.op == CFG_PORT_LT && e.dst.port1 == 1024);
	CHECK(one_ext("permit udp any gt 1023 any range bootps bootpc", &e));
	CHECK(e.src.op == CFG_PORT_GT && e.src.port1 == 1023);
	CHECK(e.dst.op == CFG_PORT_RANGE && e.dst.port1 == 67 && e.dst.port2 == 68);
	CHECK_EQ_STR(ext_printed("permit udp any gt 1023 any range 67 68"),
		     "permit udp any gt 1023 any range bootps bootpc");
	CHECK_EQ_STR(ext_printed("permit tcp any range 0 65535 any range 80 80"),
		     "permit tcp any range 0 65535 any range www www");
}

static void test_icmp(void)
{
	static const struct {
		const char *name;
		int type, code; /* -1: any code */
	} msg[] = {{"echo", 8, -1},
		   {"echo-reply", 0, -1},
		   {"unreachable", 3, -1},
		   {"net-unreachable", 3, 0},
		   {"host-unreachable", 3, 1},
		   {"protocol-unreachable", 3, 2},
		   {"port-unreachable", 3, 3},
		   {"packet-too-big", 3, 4},
		   {"source-route-failed", 3, 5},
		   {"network-unknown", 3, 6},
		   {"host-unknown", 3, 7},
		   {"host-isolated", 3, 8},
		   {"dod-net-prohibited", 3, 9},
		   {"dod-host-prohibited", 3, 10},
		   {"net-tos-unreachable", 3, 11},
		   {"host-tos-unreachable", 3, 12},
		   {"administratively-prohibited", 3, 13},
		   {"host-precedence-unreachable", 3, 14},
		   {"precedence-unreachable", 3, 15},
		   {"source-quench", 4, -1},
		   {"redirect", 5, -1},
		   {"net-redirect", 5, 0},
		   {"host-redirect", 5, 1},
		   {"net-tos-redirect", 5, 2},
		   {"host-tos-redirect", 5, 3},
		   {"alternate-address", 6, -1},
		   {"router-advertisement", 9, -1},
		   {"router-solicitation", 10, -1},
		   {"time-exceeded", 11, -1},
		   {"ttl-exceeded", 11, 0},
		   {"reassembly-timeout", 11, 1},
		   {"parameter-problem", 12, -1},
		   {"general-parameter-problem", 12, 0},
		   {"option-missing", 12, 1},
		   {"no-room-for-option", 12, 2},
		   {"timestamp-request", 13, -1},
		   {"timestamp-reply", 14, -1},
		   {"information-request", 15, -1},
		   {"information-reply", 16, -1},
		   {"mask-request", 17, -1},
		   {"mask-reply", 18, -1},
		   {"traceroute", 30, -1},
		   {"conversion-error", 31, -1},
		   {"mobile-redirect", 32, -1}};
	char line[128], want[128];
	struct cfg_acl_entry e;
	for (size_t i = 0; i < sizeof(msg) / sizeof(msg[0]); i++) {
		snprintf(line, sizeof(line), "permit icmp any any %s", msg[i].name);
		CHECK(one_ext(line, &e));
		CHECK(e.has_icmp_type && e.icmp_type == msg[i].type);
		CHECK_EQ_INT(e.has_icmp_code, msg[i].code >= 0);
		if (msg[i].code >= 0)
			CHECK_EQ_INT(e.icmp_code, msg[i].code);
		/* Numbers print as the name. */
		if (msg[i].code >= 0)
			snprintf(line, sizeof(line), "deny icmp any any %d %d", msg[i].type,
				 msg[i].code);
		else
			snprintf(line, sizeof(line), "deny icmp any any %d", msg[i].type);
		snprintf(want, sizeof(want), "deny icmp any any %s", msg[i].name);
		CHECK_EQ_STR(ext_printed(line), want);
	}
	/* Without a name: numbers. */
	CHECK_EQ_STR(ext_printed("permit icmp any any 42"), "permit icmp any any 42");
	CHECK_EQ_STR(ext_printed("permit icmp any any 5 9"), "permit icmp any any 5 9");
	CHECK_EQ_STR(ext_printed("permit icmp any any 8 1"), "permit icmp any any 8 1");
	CHECK(one_ext("permit icmp any any", &e));
	CHECK(!e.has_icmp_type && e.proto == 1);
	CHECK(one_ext("permit icmp any any 3 4 log", &e));
	CHECK(e.has_icmp_code && e.icmp_code == 4 && e.log);
}

static void test_options_any_order(void)
{
	struct cfg_acl_entry e;
	CHECK(one_ext("permit tcp any any eq bgp log established dscp af11", &e));
	CHECK(e.established && e.log && e.has_dscp && e.dscp == 10 && !e.has_prec);
	CHECK_EQ_STR(ext_printed("permit tcp any any eq bgp log established dscp af11"),
		     "permit tcp any any eq bgp established dscp af11 log");
	CHECK_EQ_STR(ext_printed("permit tcp any any log-input precedence 5 established"),
		     "permit tcp any any established precedence critical log");
	CHECK_EQ_STR(ext_printed("deny ip any any log fragments"), "deny ip any any fragments log");
	CHECK_EQ_STR(ext_printed("deny udp any any fragments dscp 46"),
		     "deny udp any any dscp ef fragments");
	/* The ICMP message comes right after the destination, as in IOS. */
	CHECK(!one_ext("permit icmp any any log echo-reply", &e));
	CHECK_EQ_STR(ext_printed("permit icmp any any echo-reply log dscp 7"),
		     "permit icmp any any echo-reply dscp 7 log");
	/* Every precedence name, and numbers print as names. */
	static const char *const prec[] = {"routine",	     "priority", "immediate", "flash",
					   "flash-override", "critical", "internet",  "network"};
	char line[128], want[128];
	for (int i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "permit ip any any precedence %s", prec[i]);
		CHECK(one_ext(line, &e));
		CHECK(e.has_prec && e.prec == i);
		snprintf(line, sizeof(line), "permit ip any any precedence %d", i);
		snprintf(want, sizeof(want), "permit ip any any precedence %s", prec[i]);
		CHECK_EQ_STR(ext_printed(line), want);
	}
	/* DSCP: names and numbers; a number without a name stays a number. */
	CHECK(one_ext("permit ip any any dscp cs7", &e));
	CHECK(e.has_dscp && e.dscp == 56);
	CHECK_EQ_STR(ext_printed("permit ip any any dscp 34"), "permit ip any any dscp af41");
	CHECK_EQ_STR(ext_printed("permit ip any any dscp 63"), "permit ip any any dscp 63");
	CHECK(one_ext("permit gre any any fragments", &e));
	CHECK(e.fragments && e.proto == 47);
}

/* ---- sequence numbers ---- */

static struct cfg_session *S;

static int line(const char *l)
{
	struct cfg_error e;
	int r = cfg_session_line(S, l, &e);
	if (r < 0)
		printf("  '%s': %d: %s\n", l, e.col, e.msg);
	return r;
}

static void fresh(void)
{
	cfg_session_free(S);
	S = cfg_session_new(NULL, NULL);
}

static const char *seqs(const char *acl)
{
	static char out[256];
	const struct cfg_acl *a = cfg_find_acl(cfg_session_model(S), acl);
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; a && i < a->n_ent; i++)
		o +=
		    (size_t)snprintf(out + o, sizeof(out) - o, "%s%u", i ? " " : "", a->ent[i].seq);
	return out;
}

static void test_sequence_numbers(void)
{
	struct cfg_error e;
	fresh();
	CHECK_EQ_INT(line("ip access-list extended A"), 0);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-ext-nacl");
	line("permit tcp any any eq www");
	line("permit udp any any eq domain");
	CHECK_EQ_STR(seqs("A"), "10 20");
	CHECK_EQ_INT(line("15 deny ip host 10.0.0.1 any"), 0);
	CHECK_EQ_INT(line("5 remark first"), 0);
	CHECK_EQ_STR(seqs("A"), "5 10 15 20");
	CHECK_EQ_INT(line("permit icmp any any"), 0); /* last + 10 */
	CHECK_EQ_STR(seqs("A"), "5 10 15 20 30");
	CHECK_EQ_INT(cfg_session_line(S, "15 permit ip any any", &e), -EINVAL);
	CHECK_EQ_INT(e.col, 1);
	CHECK_EQ_STR(e.msg, "duplicate sequence number 15");
	CHECK_EQ_STR(seqs("A"), "5 10 15 20 30");
	CHECK_EQ_INT(line("no 15"), 0);
	CHECK_EQ_STR(seqs("A"), "5 10 20 30");
	CHECK_EQ_INT(line("no 99"), 0); /* not there: not an error */
	/* `no permit ...` removes the identical entry only. */
	CHECK_EQ_INT(line("no permit udp any any eq 53 log"), 0);
	CHECK_EQ_STR(seqs("A"), "5 10 20 30");
	CHECK_EQ_INT(line("no permit udp any any eq 53"), 0);
	CHECK_EQ_STR(seqs("A"), "5 10 30");
	/* With SEQ, only when that entry is the identical one. */
	CHECK_EQ_INT(line("no 30 permit tcp any any eq www"), 0);
	CHECK_EQ_STR(seqs("A"), "5 10 30");
	CHECK_EQ_INT(line("no 10 permit tcp any any eq www"), 0);
	CHECK_EQ_STR(seqs("A"), "5 30");
	CHECK_EQ_INT(line("no remark first"), 0);
	CHECK_EQ_STR(seqs("A"), "30");
	CHECK_EQ_INT(line("2147483647 deny ip any any"), 0);
	CHECK_EQ_INT(cfg_session_line(S, "permit ip any any", &e), -EINVAL);
	CHECK_EQ_STR(e.msg, "no sequence number left; give one");
	CHECK_EQ_INT(line("ip access-list resequence A 100 5"), 0);
	CHECK_EQ_STR(seqs("A"), "100 105");
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
	/* The same in a standard list. */
	CHECK_EQ_INT(line("ip access-list standard S"), 0);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-std-nacl");
	line("permit 10.0.0.0 0.0.0.255");
	line("7 deny any log");
	CHECK_EQ_STR(seqs("S"), "7 10");
	CHECK_EQ_INT(line("no 7"), 0);
	CHECK_EQ_INT(line("no permit 10.0.0.0 0.0.0.255"), 0);
	CHECK_EQ_STR(seqs("S"), "");
	CHECK_EQ_INT(line("exit"), 0);
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
}

/* ---- numbered lists ---- */

static void test_numbered_lines(void)
{
	struct cfg_model *m = parse("access-list 10 permit 10.1.1.1\n"
				    "access-list 10 deny 10.2.0.0 0.0.255.255 log\n"
				    "access-list 10 permit any\n"
				    "access-list 101 remark  web   servers\n"
				    "access-list 101 permit tcp any host 10.1.1.1 eq 80\n"
				    "access-list 101 deny ip any any log-input\n"
				    "access-list 1300 permit host 10.9.9.9\n"
				    "access-list 2000 permit gre any any\n"
				    "access-list 2699 deny icmp any any 8\n");
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_INT((int)m->n_acl, 5);
	const struct cfg_acl *a = cfg_find_acl(m, "10");
	CHECK(a && a->standard && a->n_ent == 3 && a->ent[2].seq == 30);
	a = cfg_find_acl(m, "101");
	CHECK(a && !a->standard && a->n_ent == 3);
	CHECK(cfg_find_acl(m, "1300") && cfg_find_acl(m, "1300")->standard);
	CHECK(cfg_find_acl(m, "2000") && !cfg_find_acl(m, "2000")->standard);
	CHECK_EQ_STR(print(m), "access-list 10 permit 10.1.1.1\n"
			       "access-list 10 deny 10.2.0.0 0.0.255.255 log\n"
			       "access-list 10 permit any\n"
			       "!\n"
			       "access-list 101 remark web servers\n"
			       "access-list 101 permit tcp any host 10.1.1.1 eq www\n"
			       "access-list 101 deny ip any any log\n"
			       "!\n"
			       "access-list 1300 permit 10.9.9.9\n"
			       "!\n"
			       "access-list 2000 permit gre any any\n"
			       "!\n"
			       "access-list 2699 deny icmp any any echo\n"
			       "!\n");
	cfg_model_free(m);
}

static void test_numbered_edits(void)
{
	fresh();
	CHECK_EQ_INT(line("access-list 101 permit tcp any any eq 22"), 0);
	CHECK_EQ_INT(line("access-list 101 permit udp any any eq 53"), 0);
	CHECK_EQ_INT(line("access-list 101 permit icmp any any"), 0);
	/* `no access-list N permit ...` removes that entry, not the list. */
	CHECK_EQ_INT(line("no access-list 101 permit udp any any eq domain"), 0);
	CHECK_EQ_STR(seqs("101"), "10 30");
	/* ... which now prints as a block, keeping its numbers. */
	struct cfg_buf b = {0};
	cfg_write(cfg_session_model(S), &b);
	CHECK(strstr(b.s, "ip access-list extended 101\n 10 permit tcp any any eq 22\n"
			  " 30 permit icmp any any\n!\n") != NULL);
	cfg_buf_free(&b);
	/* The numbered list is edited in config-ext-nacl with numbers too. */
	CHECK_EQ_INT(line("ip access-list extended 101"), 0);
	CHECK_EQ_STR(cfg_session_header(S, 1), "ip access-list extended 101");
	CHECK_EQ_INT(line("20 deny ip any any"), 0);
	CHECK_EQ_STR(seqs("101"), "10 20 30");
	/* A global line falls back from the sub-mode and appends. */
	CHECK_EQ_INT(line("access-list 101 remark last"), 0);
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
	CHECK_EQ_STR(seqs("101"), "10 20 30 40");
	/* Leading zeros name the same list. */
	CHECK_EQ_INT(line("ip access-list extended 0101"), 0);
	CHECK_EQ_INT((int)cfg_session_model(S)->n_acl, 1);
	CHECK_EQ_INT(line("no access-list 101"), 0);
	CHECK_EQ_INT((int)cfg_session_model(S)->n_acl, 0);
	CHECK_EQ_INT(line("no access-list 102"), 0); /* not there: fine */
	CHECK_EQ_INT(line("no access-list 102 permit ip any any"), 0);
	CHECK_EQ_INT((int)cfg_session_model(S)->n_acl, 0);
	/* A refused one-liner creates no list. */
	struct cfg_error e;
	CHECK_EQ_INT(cfg_session_line(S, "access-list 110 permit tcp any any eq 80 fragments", &e),
		     -EINVAL);
	CHECK_EQ_INT((int)cfg_session_model(S)->n_acl, 0);
	/* The header form and `no ip access-list` for numbers. */
	CHECK_EQ_INT(line("ip access-list standard 99"), 0);
	CHECK_EQ_INT(line("exit"), 0);
	CHECK(cfg_find_acl(cfg_session_model(S), "99")->standard);
	CHECK_EQ_INT(line("no ip access-list standard 99"), 0);
	CHECK_EQ_INT((int)cfg_session_model(S)->n_acl, 0);
}

/* Both printed forms read back as the same list. */
static void test_numbered_round_trip(void)
{
	CHECK_EQ_STR(print_rt("access-list 5 permit any\n"), "access-list 5 permit any\n!\n");
	CHECK_EQ_STR(print_rt("ip access-list extended 150\n"), "ip access-list extended 150\n!\n");
	CHECK_EQ_STR(print_rt("ip access-list standard 1500\n 5 permit any\n"),
		     "ip access-list standard 1500\n 5 permit any\n!\n");
	CHECK_EQ_STR(
	    print_rt("ip access-list extended 2100\n permit ip any any\n"
		     " permit tcp any any\n"),
	    "access-list 2100 permit ip any any\naccess-list 2100 permit tcp any any\n!\n");
	CHECK_EQ_STR(
	    print_rt("access-list 120 permit ip any any\n"
		     "access-list 120 permit tcp any any\n"
		     "ip access-list resequence 120 1 1\n"),
	    "ip access-list extended 120\n 1 permit ip any any\n 2 permit tcp any any\n!\n");
}

/* ---- references ---- */

static void test_references(void)
{
	struct cfg_model *m = parse("access-list 101 permit ip any any\n"
				    "ip access-list standard MGMT\n permit 10.0.0.0 0.255.255.255\n"
				    "class-map C1\n match access-group 101\n"
				    "class-map C2\n match access-group name MGMT\n"
				    "class-map C3\n match access-group name 101\n"
				    "interface Tunnel1\n ip access-group 101 in\n"
				    " ip access-group MGMT out\n");
	CHECK(m != NULL);
	if (!m)
		return;
	CHECK_EQ_STR(m->interface[0].acl_in, "101");
	CHECK_EQ_STR(m->interface[0].acl_out, "MGMT");
	CHECK_EQ_INT(m->interface[0].acl_pos.line, 11);
	CHECK_EQ_INT(m->interface[0].acl_out_pos.line, 12);
	const char *p = print(m);
	CHECK(strstr(p, "class-map match-all C1\n match access-group 101\n") != NULL);
	CHECK(strstr(p, "class-map match-all C2\n match access-group name MGMT\n") != NULL);
	CHECK(strstr(p, "class-map match-all C3\n match access-group 101\n") != NULL);
	CHECK(strstr(p, " ip access-group 101 in\n ip access-group MGMT out\n") != NULL);
	cfg_model_free(m);
	/* A list that does not exist is refused where it is named. */
	struct cfg_errors errs;
	const char *t = "interface Tunnel1\n ip access-group 10 in\n ip access-group 11 out\n"
			"access-list 10 permit any\n";
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), -EINVAL);
	CHECK_EQ_INT(errs.n, 1);
	CHECK_EQ_INT(errs.e[0].line, 3);
	CHECK_EQ_STR(errs.e[0].msg, "access-list '11' is not defined");
}

/* ---- ? and TAB ---- */

static int offers(const char *mode_line, const char *typed, const char *token)
{
	struct cli_help_item it[128];
	struct cli_error e;
	fresh();
	if (mode_line)
		line(mode_line);
	int n = cfg_session_help(S, typed, it, 128, &e);
	for (int i = 0; i < n && i < 128; i++)
		if (!strcmp(it[i].token, token))
			return 1;
	return 0;
}

static void test_help(void)
{
	const char *ext = "ip access-list extended A";
	CHECK(offers(ext, "permit tcp any any eq ", "www"));
	CHECK(offers(ext, "permit tcp any any eq ", "(0-65535)"));
	CHECK(!offers(ext, "permit tcp any any eq ", "snmp"));
	CHECK(offers(ext, "permit udp any any eq ", "snmp"));
	CHECK(!offers(ext, "permit udp any any eq ", "www"));
	CHECK(offers(ext, "permit icmp any any ", "echo-reply"));
	CHECK(offers(ext, "permit icmp any any ", "log"));
	CHECK(offers(ext, "permit tcp any any ", "established"));
	/* The hidden catch-all never shows: no ports or established after ip. */
	CHECK(!offers(ext, "permit ip any any ", "eq"));
	CHECK(!offers(ext, "permit ip any any ", "established"));
	CHECK(!offers(ext, "permit udp any any ", "established"));
	CHECK(offers(ext, "permit ip any any ", "fragments"));
	CHECK(offers(ext, "permit ip any any dscp ", "af41"));
	CHECK(offers(ext, "permit ip any any precedence ", "flash-override"));
	CHECK(offers("ip access-list standard S", "permit ", "host"));
	CHECK(!offers("ip access-list standard S", "permit ", "tcp"));
	CHECK(offers(NULL, "access-list ", "(1300-1999)"));
	CHECK(offers(NULL, "ip access-list ", "standard"));
	/* TAB completes a set's words like keywords. */
	struct cli_help_item it[16];
	struct cli_error e;
	fresh();
	line(ext);
	int n = cfg_session_complete(S, "permit tcp any any eq ft", it, 16, &e);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(it[0].token, "ftp");
	CHECK_EQ_STR(it[1].token, "ftp-data");
	/* ftp is exact: it wins over ftp-data. */
	struct cfg_acl_entry x;
	CHECK(one_ext("permit tcp any any eq ftp", &x));
	CHECK_EQ_INT(x.dst.port1, 21);
}

/* ---- show access-lists text ---- */

static void test_entry_text(void)
{
	struct cfg_model *m = parse("ip access-list standard S\n permit 10.1.1.1\n remark x y\n"
				    "ip access-list extended E\n"
				    " deny icmp any host 10.4.4.4 3 13 log\n"
				    " permit udp host 1.2.3.4 any range 1000 1100 dscp 1\n");
	char buf[256];
	CHECK(m != NULL);
	if (!m)
		return;
	cfg_acl_entry_text(&m->acl[0], &m->acl[0].ent[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "permit 10.1.1.1");
	cfg_acl_entry_text(&m->acl[0], &m->acl[0].ent[1], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "remark x y");
	cfg_acl_entry_text(&m->acl[1], &m->acl[1].ent[0], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "deny icmp any host 10.4.4.4 administratively-prohibited log");
	cfg_acl_entry_text(&m->acl[1], &m->acl[1].ent[1], buf, sizeof(buf));
	CHECK_EQ_STR(buf, "permit udp host 1.2.3.4 any range 1000 1100 dscp 1");
	cfg_acl_entry_text(&m->acl[1], &m->acl[1].ent[1], buf, 10);
	CHECK_EQ_STR(buf, "permit ud");
	cfg_model_free(m);
}

/* ---- one configuration with every form ---- */

static void test_everything_round_trips(void)
{
	const char *t = "ip access-list standard MGMT\n"
			" remark management hosts\n"
			" permit 192.0.2.0 0.0.0.255 log\n"
			" permit host 198.51.100.1\n"
			" deny any log-input\n"
			"ip access-list extended EDGE\n"
			" 5 permit udp any any eq isakmp\n"
			" permit udp any any eq non500-isakmp\n"
			" permit esp any any\n"
			" permit ahp any any\n"
			" permit gre host 203.0.113.2 host 203.0.113.3\n"
			" permit ospf any any\n"
			" permit pim any any\n"
			" permit 112 any any\n"
			" permit tcp any any established\n"
			" permit tcp any range ftp-data ftp any\n"
			" permit tcp any neq 23 any gt 1023 log\n"
			" permit udp any lt 1024 any range 33434 33534\n"
			" permit icmp any any echo-reply\n"
			" permit icmp any any ttl-exceeded\n"
			" permit icmp any any 3\n"
			" permit icmp any any 3 4\n"
			" deny ip any any fragments\n"
			" permit ip 10.0.0.0 0.0.255.255 any dscp ef\n"
			" permit ip 10.1.0.0 0.0.255.255 any precedence 6\n"
			" deny ip any any log\n"
			"access-list 10 permit 10.0.0.1\n"
			"access-list 10 deny any\n"
			"access-list 110 permit tcp any any eq bgp\n"
			"access-list 110 remark then deny\n"
			"access-list 110 deny ip any any\n"
			"ip access-list extended 2001\n"
			" 7 permit ip any any\n"
			"ip access-list standard EMPTY\n";
	const char *p = print_rt(t);
	CHECK(strstr(p, " 10 remark management hosts\n 20 permit 192.0.2.0 0.0.0.255 log\n"
			" 30 permit 198.51.100.1\n 40 deny any log\n") != NULL);
	CHECK(
	    strstr(p,
		   " 5 permit udp any any eq isakmp\n 15 permit udp any any eq non500-isakmp\n") !=
	    NULL);
	CHECK(strstr(p, " permit 112 any any\n") != NULL);
	CHECK(strstr(p, " permit tcp any range ftp-data ftp any\n") != NULL);
	CHECK(strstr(p, " permit icmp any any unreachable\n") != NULL);
	CHECK(strstr(p, " permit icmp any any packet-too-big\n") != NULL);
	CHECK(strstr(p, " permit ip 10.1.0.0 0.0.255.255 any precedence internet\n") != NULL);
	CHECK(strstr(p, "access-list 110 remark then deny\n") != NULL);
	CHECK(strstr(p, "ip access-list extended 2001\n 7 permit ip any any\n") != NULL);
	CHECK(strstr(p, "ip access-list standard EMPTY\n!\n") != NULL);
}

int main(void)
{
	RUN(test_standard_forms);
	RUN(test_protocols);
	RUN(test_addresses);
	RUN(test_port_names);
	RUN(test_port_operators);
	RUN(test_icmp);
	RUN(test_options_any_order);
	RUN(test_sequence_numbers);
	RUN(test_numbered_lines);
	RUN(test_numbered_edits);
	RUN(test_numbered_round_trip);
	RUN(test_references);
	RUN(test_help);
	RUN(test_entry_text);
	RUN(test_everything_round_trips);
	cfg_session_free(S);
	cfg_grammar_free();
	return tcheck_done();
}
