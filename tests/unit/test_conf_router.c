/* test_conf_router.c: routing blocks take only lines of their FRR node.
 *
 * FRR's vtysh runs a line its node does not know in the parent node, up to
 * global configuration, so a block line such as `log file /tmp/x` or
 * `no router ospf` inside `router ospf 1` changed FRR's global
 * configuration or deleted the instance (conf/router_block.c).  Files: such
 * lines are refused at FILE:LINE:COL.  configure terminal: a global vtid
 * command leaves the block (IOS), `no router ospf 1` so removes it, and a
 * line that is neither is refused in place. */
#include <errno.h>
#include <string.h>

#include "conf/conf.h"
#include "tests/unit/tcheck.h"
#include "tests/unit/test_conf_term.h"

static const char *const global_why = "(FRR global configuration belongs outside routing blocks)";

/* Parses text; returns the number of errors, the first one in *e. */
static int parse(const char *text, struct cfg_error *e)
{
	struct cfg_model *m = NULL;
	struct cfg_errors errs;
	int r = cfg_parse_text_opts(text, strlen(text), CFG_PARSE_NO_VALIDATE, &m, &errs);
	memset(e, 0, sizeof(*e));
	if (errs.n)
		*e = errs.e[0];
	cfg_model_free(m);
	return r == 0 ? 0 : errs.n;
}

/* The error of the one bad line of text, "LINE:COL: MSG". */
static const char *one_error(const char *text)
{
	static char out[300];
	struct cfg_error e;
	int n = parse(text, &e);
	if (n != 1) {
		snprintf(out, sizeof(out), "%d errors", n);
		return out;
	}
	snprintf(out, sizeof(out), "%d:%d: %s", e.line, e.col, e.msg);
	return out;
}

static void test_file_global_lines_refused(void)
{
	char want[300];
	snprintf(want, sizeof(want), "3:2: `log` is not a router ospf command %s", global_why);
	CHECK_EQ_STR(one_error("router ospf 1\n router-id 1.1.1.1\n log file /tmp/x\n"), want);
	/* an abbreviation of an OSPF word FRR would take, then run globally */
	snprintf(want, sizeof(want), "2:2: `log-adj` is not a router ospf command %s", global_why);
	CHECK_EQ_STR(one_error("router ospf 1\n log-adj\n"), want);
	snprintf(want, sizeof(want), "2:3: `hostname` is not a bfd command %s", global_why);
	CHECK_EQ_STR(one_error("bfd\n  hostname R9\n"), want);
	snprintf(want, sizeof(want), "3:3: `log` is not a router bgp command %s", global_why);
	CHECK_EQ_STR(one_error("router bgp 65001\n address-family ipv4 unicast\n  log syslog\n"),
		     want);
}

static void test_file_no_router_refused(void)
{
	CHECK_EQ_STR(one_error("router ospf 1\n router-id 1.1.1.1\n no router ospf\n"),
		     "3:5: `no router` is not a router ospf command (a routing block is removed by "
		     "`no router ...` or `no bfd` at the top level, not indented)");
	CHECK_EQ_STR(one_error("router ospf 1\n no router ospf 1\n"),
		     "2:5: `no router` is not a router ospf command (a routing block is removed by "
		     "`no router ...` or `no bfd` at the top level, not indented)");
	CHECK_EQ_STR(one_error("router ospf 1\n router bgp 1\n"),
		     "2:2: `router` is not a router ospf command (a routing block starts at the "
		     "top level, not indented)");
	CHECK_EQ_STR(one_error("bfd\n bfd\n"), "2:2: `bfd` is not a bfd command (a routing block "
					       "starts at the top level, not indented)");
	/* `exit` at the block's own level would leave it in FRR */
	CHECK_EQ_STR(one_error("router ospf 1\n exit\n router-id 1.1.1.1\n"),
		     "2:2: `exit` is not a router ospf command (in FRR it would leave the block: "
		     "end the block with a line that is not indented)");
	/* at the top level it is what removes the block */
	struct cfg_error e;
	CHECK_EQ_INT(parse("router ospf 1\n router-id 1.1.1.1\nno router ospf 1\n", &e), 0);
	/* `no router ospf` for `router ospf 1`: incomplete, as in IOS */
	CHECK_EQ_STR(one_error("router ospf 1\nno router ospf\n"),
		     "2:15: incomplete command: the block is `router ospf 1`");
}

/* Words that are global FRR commands, or a prefix of one, are taken only
 * with the words that make them the node's own. */
static void test_file_words_shared_with_global(void)
{
	struct cfg_error e;
	char want[300];
	CHECK_EQ_INT(parse("router ospf 1\n mpls ldp-sync\n mpls ldp-sync holddown 5\n", &e), 0);
	snprintf(want, sizeof(want), "2:7: `mpls ldp` is not a router ospf command %s", global_why);
	CHECK_EQ_STR(one_error("router ospf 1\n mpls ldp\n"), want);
	snprintf(want, sizeof(want), "2:6: `bgp update-delay` is not a router bgp command %s",
		 global_why);
	CHECK_EQ_STR(one_error("router bgp 1\n bgp update-delay 5\n"), want);
	snprintf(want, sizeof(want), "2:6: `bgp as-path` is not a router bgp command %s",
		 global_why);
	CHECK_EQ_STR(one_error("router bgp 1\n bgp as-path access-list A permit 1\n"), want);
	snprintf(want, sizeof(want), "3:17: `route-map vpn permit` is not a router bgp command %s",
		 global_why);
	CHECK_EQ_STR(one_error("router bgp 1\n address-family ipv4 unicast\n  route-map vpn "
			       "permit 10\n"),
		     want);
	snprintf(want, sizeof(want),
		 "3:10: `vni 10 prefix-routes-only` is not a router bgp command %s", global_why);
	CHECK_EQ_STR(one_error("router bgp 1\n address-family l2vpn evpn\n  vni 10 "
			       "prefix-routes-only\n"),
		     want);
	/* `vni N` is evpn's; in another family it is the global one */
	snprintf(want, sizeof(want), "3:3: `vni` is not a router bgp command %s", global_why);
	CHECK_EQ_STR(one_error("router bgp 1\n address-family ipv4 unicast\n  vni 10\n"), want);
	/* ospfd's router-id takes an address only; `no router-id` is zebra's */
	snprintf(want, sizeof(want),
		 "2:20: `router-id 1.1.1.1 vrf` is not a router ospf command %s", global_why);
	CHECK_EQ_STR(one_error("router ospf 1\n router-id 1.1.1.1 vrf RED\n"), want);
	snprintf(want, sizeof(want), "2:5: `no router-id` is not a router ospf command %s",
		 global_why);
	CHECK_EQ_STR(one_error("router ospf 1\n no router-id\n"), want);
	CHECK_EQ_INT(parse("router ospf 1\n no ospf router-id\n segment-routing on\n", &e), 0);
	snprintf(want, sizeof(want), "2:17: `segment-routing` is not a router ospf command %s",
		 global_why);
	CHECK_EQ_STR(one_error("router ospf 1\n segment-routing\n"), want);
	snprintf(want, sizeof(want), "3:3: `nexthop` is not a router bgp command %s", global_why);
	CHECK_EQ_STR(one_error("router bgp 1\n vrf-policy V\n  nexthop 10.0.0.1\n"), want);
}

/* The lines of the lab's and the examples' configurations, and more. */
static void test_file_node_lines_taken(void)
{
	static const char *const ok[] = {
	    "router ospf 1\n router-id 2.2.2.2\n timers lsa min-arrival 0\n"
	    " timers throttle lsa all 0\n timers throttle spf 0 50 1000\n",
	    "router ospf 1\n ospf router-id 2.2.2.2\n network 10.0.0.0 0.0.0.255 area 0\n"
	    " area 1 range 10.4.0.0 255.255.0.0\n redistribute connected subnets\n"
	    " passive-interface default\n no passive-interface Tunnel1\n"
	    " log-adjacency-changes detail\n auto-cost reference-bandwidth 10000\n"
	    " default-information originate always\n max-metric router-lsa on-startup 60\n",
	    "bfd\n peer 192.168.12.1\n peer 192.168.13.3\n",
	    "bfd\n profile fast\n  detect-multiplier 3\n  receive-interval 300\n"
	    "  transmit-interval 300\n exit\n peer 10.0.0.1\n  profile fast\n  shutdown\n"
	    " no peer 10.0.0.9\n",
	    "router bgp 65001\n neighbor 192.0.2.1 remote-as 65002\n no bgp ebgp-requires-policy\n"
	    " bgp router-id 1.1.1.1\n !\n address-family ipv4 unicast\n  network 10.0.0.0/8\n"
	    "  neighbor 192.0.2.1 route-map RM in\n  redistribute connected\n"
	    " exit-address-family\n timers bgp 3 9\n",
	    /* a BGP-node line inside an address-family: vtysh takes it in
	     * the parent node, as here */
	    "router bgp 65001\n address-family ipv4 unicast\n  network 10.0.0.0/8\n"
	    "  neighbor 192.0.2.1 remote-as 65002\n  network 10.1.0.0/16\n",
	    "router bgp 65001 vrf RED\n address-family l2vpn evpn\n  advertise-all-vni\n"
	    "  vni 10\n   rd 1:1\n   route-target import 1:1\n  exit-vni\n"
	    " exit-address-family\n address-family ipv4 vpn\n  route-map vpn import RM\n"
	    "  nexthop vpn export 10.0.0.1\n  bgp retain route-target all\n",
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct cfg_error e;
		int n = parse(ok[i], &e);
		CHECK_EQ_INT(n, 0);
		if (n)
			printf("  block %zu: %d:%d: %s\n", i, e.line, e.col, e.msg);
	}
}

static void test_file_bgp_header(void)
{
	struct cfg_error e;
	CHECK_EQ_INT(parse("router bgp 1 view V\n", &e), 0);
	CHECK_EQ_STR(one_error("router bgp 1 bogus\n"),
		     "1:14: expected `vrf NAME` or `view NAME` after the AS number");
	CHECK_EQ_STR(one_error("router bgp 1 vrf A B\n"),
		     "1:14: expected `vrf NAME` or `view NAME` after the AS number");
}


static void test_interactive(void)
{
	struct cfg_error e;
	char before[8192];
	fresh();
	CHECK_EQ_INT(line_e("router ospf 1", &e), CFG_LINE_OK);
	CHECK_EQ_INT(line_e("router-id 1.1.1.1", &e), CFG_LINE_OK);
	snprintf(before, sizeof(before), "%s", text());
	/* not a vtid command either: refused in place, the block stays */
	CHECK_EQ_INT(line_e("log file /tmp/x", &e), -EINVAL);
	CHECK_EQ_INT(e.col, 1);
	CHECK(strstr(e.msg, "`log` is not a router ospf command") == e.msg);
	CHECK_EQ_INT(line_e("  log file /tmp/x", &e), -EINVAL);
	CHECK_EQ_INT(e.col, 3);
	CHECK_EQ_STR(cfg_session_prompt(S), "config-router");
	CHECK_EQ_STR(text(), before);
	/* `no router ospf` names no block: refused, and the mode stays */
	CHECK_EQ_INT(line_e("no router ospf", &e), -EINVAL);
	CHECK_EQ_STR(e.msg, "incomplete command: the block is `router ospf 1`");
	CHECK_EQ_STR(cfg_session_prompt(S), "config-router");
	CHECK_EQ_STR(text(), before);
	/* `exit` leaves the block only */
	CHECK_EQ_INT(line_e("exit", &e), CFG_LINE_OK);
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
	CHECK_EQ_INT(line_e("router ospf 1", &e), CFG_LINE_OK);
	/* a global command leaves the block (IOS) */
	CHECK_EQ_INT(line_e("hostname R7", &e), CFG_LINE_OK);
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
	CHECK_EQ_INT(line_e("router ospf 1", &e), CFG_LINE_OK);
	/* `no router ospf 1` typed in the block removes it, at the top level */
	CHECK_EQ_INT(line_e("no router ospf 1", &e), CFG_LINE_OK);
	CHECK_EQ_STR(cfg_session_prompt(S), "config");
	CHECK(strstr(text(), "router ospf") == NULL);
	CHECK(strstr(text(), "no router") == NULL);
}

static void test_interactive_bfd_and_bgp(void)
{
	struct cfg_error e;
	fresh();
	CHECK_EQ_INT(line_e("bfd", &e), CFG_LINE_OK);
	CHECK_EQ_INT(line_e("peer 10.0.0.1", &e), CFG_LINE_OK);
	CHECK_EQ_INT(line_e("detect-multiplier 3", &e), CFG_LINE_OK);
	CHECK_EQ_INT(line_e("log syslog", &e), -EINVAL);
	CHECK(strstr(e.msg, "`log` is not a bfd command") == e.msg);
	CHECK_EQ_INT(line_e("router bgp 65001", &e), CFG_LINE_OK); /* leaves bfd */
	CHECK_EQ_STR(cfg_session_header(S, 1), "router bgp 65001");
	CHECK_EQ_INT(line_e("address-family ipv4 unicast", &e), CFG_LINE_OK);
	CHECK_EQ_INT(line_e("network 10.0.0.0/8", &e), CFG_LINE_OK);
	CHECK_EQ_INT(line_e("exit-address-family", &e), CFG_LINE_OK);
	CHECK_EQ_INT(line_e("bgp update-delay 5", &e), -EINVAL);
	CHECK_EQ_INT(e.col, 5);
	CHECK_EQ_INT(line_e("update-delay 5", &e), CFG_LINE_OK);
	CHECK(strstr(text(), "bfd\n peer 10.0.0.1\n detect-multiplier 3\n!\n"
			     "router bgp 65001\n address-family ipv4 unicast\n network 10.0.0.0/8\n"
			     " exit-address-family\n update-delay 5\n!\n") != NULL);
}

int main(void)
{
	RUN(test_file_global_lines_refused);
	RUN(test_file_no_router_refused);
	RUN(test_file_words_shared_with_global);
	RUN(test_file_node_lines_taken);
	RUN(test_file_bgp_header);
	RUN(test_interactive);
	RUN(test_interactive_bfd_and_bgp);
	cfg_session_free(S);
	cfg_grammar_free();
	return tcheck_done();
}
