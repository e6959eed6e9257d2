/* test_conf_qos.c: class-maps and policy-maps — every form into the model
 * and printed back in IOS's order, the `no` forms, what replaces what,
 * class-default last, what `?` offers, the checks that need the whole
 * configuration, and the changes a QoS edit makes an interface see.
 * Refusals at a line (exact LINE:COL) are in test_conf_errors.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/diff.h"
#include "tests/unit/tcheck.h"

#include "tests/unit/test_conf_print.h"


/* ---- class-map ---- */

static void test_match_forms(void)
{
	struct cfg_model *m =
	    parse("ip access-list extended WEB\n permit tcp any any eq www\n"
		  "access-list 101 permit ip any any\n"
		  "class-map match-any C\n"
		  " match dscp ef af41 7 default\n"
		  " match ip dscp cs1\n"
		  " match precedence critical 2 network\n"
		  " match ip precedence flash-override\n"
		  " match protocol ip\n match protocol tcp\n match protocol udp\n"
		  " match protocol icmp\n match protocol gre\n match protocol ospf\n"
		  " match access-group name WEB\n match access-group 101\n"
		  " match any\n");
	CHECK(m != NULL);
	if (!m)
		return;
	const struct cfg_class_map *c = cfg_find_class_map(m, "C");
	CHECK(c && c->match_any && c->n_m == 13);
	if (!c || c->n_m != 13)
		goto out;
	CHECK_EQ_INT(c->m[0].type, CFG_CM_DSCP);
	CHECK_EQ_INT(c->m[0].n_dscp, 4);
	CHECK(c->m[0].dscp[0] == 46 && c->m[0].dscp[1] == 34 && c->m[0].dscp[2] == 7 &&
	      c->m[0].dscp[3] == 0);
	CHECK(c->m[1].type == CFG_CM_DSCP && c->m[1].n_dscp == 1 && c->m[1].dscp[0] == 8);
	CHECK_EQ_INT(c->m[2].type, CFG_CM_PREC);
	CHECK(c->m[2].n_dscp == 3 && c->m[2].dscp[0] == 5 && c->m[2].dscp[1] == 2 &&
	      c->m[2].dscp[2] == 7);
	CHECK(c->m[3].type == CFG_CM_PREC && c->m[3].n_dscp == 1 && c->m[3].dscp[0] == 4);
	static const uint8_t protos[] = {0, 6, 17, 1, 47, 89};
	for (int i = 0; i < 6; i++) {
		CHECK_EQ_INT(c->m[4 + i].type, CFG_CM_PROTO);
		CHECK_EQ_INT(c->m[4 + i].proto, protos[i]);
	}
	CHECK(c->m[10].type == CFG_CM_ACL && !strcmp(c->m[10].acl, "WEB"));
	CHECK(c->m[11].type == CFG_CM_ACL && !strcmp(c->m[11].acl, "101"));
	CHECK_EQ_INT(c->m[12].type, CFG_CM_ANY);
	CHECK_EQ_INT(c->m[2].pos.line, 7);
	CHECK_EQ_INT(c->m[2].pos.col, 2);
	/* DSCP prints as names, precedence as numbers (IOS), `ip` is dropped. */
	CHECK(strstr(print(m), "class-map match-any C\n"
			       " match dscp ef af41 7 default\n"
			       " match dscp cs1\n"
			       " match precedence 5 2 7\n"
			       " match precedence 4\n"
			       " match protocol ip\n match protocol tcp\n match protocol udp\n"
			       " match protocol icmp\n match protocol gre\n match protocol ospf\n"
			       " match access-group name WEB\n"
			       " match access-group 101\n"
			       " match any\n!\n") != NULL);
out:
	cfg_model_free(m);
}

static void test_no_match(void)
{
	const char *t = "class-map C\n"
			" match dscp ef af41\n match precedence 5\n match protocol gre\n"
			" match any\n match dscp cs1\n"
			/* Not identical: nothing removed. */
			" no match dscp af41 ef\n no match dscp ef\n no match protocol udp\n"
			" no match precedence 4\n"
			/* Identical, spelled otherwise. */
			" no match ip precedence critical\n no match dscp 8\n"
			" no match protocol gre\n no match any\n";
	CHECK_EQ_STR(print_rt(t), "class-map match-all C\n match dscp ef af41\n!\n");
}

static void test_class_map_redefine(void)
{
	/* A class-map opened again keeps its lines; the header sets its kind. */
	CHECK_EQ_STR(print_rt("class-map match-any C\n match dscp ef\n"
			      "class-map C\n match dscp af41\n"),
		     "class-map match-all C\n match dscp ef\n match dscp af41\n!\n");
	CHECK_EQ_STR(print_rt("class-map C\n match any\nno class-map C\n"), "");
}

/* ---- policy-map ---- */

static const struct cfg_pm_class *pm_class(const struct cfg_model *m, const char *pm,
					   const char *cls)
{
	const struct cfg_policy_map *p = cfg_find_policy_map(m, pm);
	for (size_t i = 0; p && i < p->n_cls; i++)
		if (!strcmp(p->cls[i].name, cls))
			return &p->cls[i];
	return NULL;
}

static void test_class_actions(void)
{
	struct cfg_model *m =
	    parse_opts("policy-map P\n"
		       " class A\n  priority\n"
		       " class B\n  priority 512 4000\n  police 256000\n"
		       " class C\n  priority percent 20 1500\n"
		       " class D\n  bandwidth 2000\n  queue-limit 100\n  fair-queue\n"
		       " class E\n  shape average 9000000\n  service-policy CH\n"
		       " class F\n  police cir 64000 bc 8000 conform-action transmit "
		       "exceed-action drop\n  set ip dscp af21\n"
		       " class G\n  police 128000 2000 4000 conform-action transmit exceed-action "
		       "drop violate-action drop\n  queue-limit 64 packets\n"
		       "policy-map R\n class X\n  bandwidth remaining percent 40\n"
		       "policy-map Q\n class Y\n  bandwidth percent 30\n",
		       CFG_PARSE_NO_VALIDATE);
	CHECK(m != NULL);
	if (!m)
		return;
	const struct cfg_pm_class *c = pm_class(m, "P", "A");
	CHECK(c && c->priority && !c->priority_kbps && !c->priority_percent && !c->priority_burst);
	c = pm_class(m, "P", "B");
	CHECK(c && c->priority && c->priority_kbps == 512 && c->priority_burst == 4000 &&
	      c->police_bps == 256000 && c->police_bc == 0);
	c = pm_class(m, "P", "C");
	CHECK(c && c->priority && c->priority_percent == 20 && c->priority_burst == 1500 &&
	      !c->priority_kbps);
	c = pm_class(m, "P", "D");
	CHECK(c && c->bandwidth_kbps == 2000 && c->queue_limit == 100 && c->fair_queue &&
	      c->fq_pos.line == 12 && c->fq_pos.col == 3);
	c = pm_class(m, "P", "E");
	CHECK(c && c->shape_bps == 9000000 && !strcmp(c->child, "CH") && c->child_pos.line == 15);
	c = pm_class(m, "P", "F");
	CHECK(c && c->police_bps == 64000 && c->police_bc == 8000 && c->has_set_dscp &&
	      c->set_dscp == 18);
	c = pm_class(m, "P", "G");
	CHECK(c && c->police_bps == 128000 && c->police_bc == 2000 && c->queue_limit == 64);
	c = pm_class(m, "R", "X");
	CHECK(c && c->bandwidth_remaining == 40 && !c->bandwidth_percent && !c->bandwidth_kbps);
	c = pm_class(m, "Q", "Y");
	CHECK(c && c->bandwidth_percent == 30);
	/* IOS's order inside a class, whatever order the lines came in. */
	CHECK(strstr(print(m), "policy-map P\n"
			       " class A\n  priority\n"
			       " class B\n  priority 512 4000\n  police cir 256000\n"
			       " class C\n  priority percent 20 1500\n"
			       " class D\n  bandwidth 2000\n  queue-limit 100 packets\n"
			       "  fair-queue\n"
			       " class E\n  shape average 9000000\n  service-policy CH\n"
			       " class F\n  police cir 64000 bc 8000\n  set dscp af21\n"
			       " class G\n  police cir 128000 bc 2000\n"
			       "  queue-limit 64 packets\n!\n"
			       "policy-map R\n class X\n  bandwidth remaining percent 40\n!\n"
			       "policy-map Q\n class Y\n  bandwidth percent 30\n!\n") != NULL);
	cfg_model_free(m);
}

static void test_print_order(void)
{
	CHECK_EQ_STR(print_rt("policy-map P\n class class-default\n"
			      "  service-policy C\n" /* refused: no shaper yet */),
		     "(parse failed)");
	CHECK_EQ_STR(print_rt("policy-map P\n class class-default\n"
			      "  fair-queue\n  queue-limit 30\n  set dscp 10\n  police 8000\n"
			      "  shape average 8000000\n  service-policy C\n  bandwidth 300\n"),
		     "policy-map P\n class class-default\n  bandwidth 300\n"
		     "  shape average 8000000\n  police cir 8000\n  set dscp af11\n"
		     "  queue-limit 30 packets\n  fair-queue\n  service-policy C\n!\n");
}

/* Each line replaces its own kind only. */
static void test_replace(void)
{
	CHECK_EQ_STR(print_rt("policy-map P\n class A\n  priority 100\n  priority percent 10\n"
			      "  police 8000 1000\n  police cir 16000\n  set dscp ef\n"
			      "  set dscp cs1\n  queue-limit 5\n  queue-limit 6 packets\n"
			      " class B\n  bandwidth 100\n  bandwidth 200\n"
			      "  shape average 8000\n  shape average 16000\n"),
		     "policy-map P\n class A\n  priority percent 10\n  police cir 16000\n"
		     "  set dscp cs1\n  queue-limit 6 packets\n"
		     " class B\n  bandwidth 200\n  shape average 16000\n!\n");
	/* One class may change its own unit when it is the only one. */
	CHECK_EQ_STR(print_rt("policy-map P\n class A\n  bandwidth 100\n"
			      "  bandwidth percent 100\n  bandwidth remaining percent 100\n"),
		     "policy-map P\n class A\n  bandwidth remaining percent 100\n!\n");
	/* Its own old percentage does not count against the new one. */
	CHECK_EQ_STR(print_rt("policy-map P\n class A\n  bandwidth percent 60\n"
			      " class B\n  priority percent 40\n  priority percent 40\n"
			      " class A\n  bandwidth percent 60\n"),
		     "policy-map P\n class A\n  bandwidth percent 60\n"
		     " class B\n  priority percent 40\n!\n");
}

static void test_no_forms(void)
{
	CHECK_EQ_STR(print_rt("policy-map P\n class A\n  priority 100 500\n  police 8000\n"
			      "  set dscp ef\n  queue-limit 10\n"
			      "  no priority\n  no police\n  no set dscp\n  no queue-limit\n"
			      " class B\n  bandwidth 100\n  fair-queue\n"
			      "  shape average 100000\n  service-policy C\n"
			      "  no service-policy\n  no shape average 100000\n"
			      "  no fair-queue\n  no bandwidth 100\n"
			      " class C\n  set ip dscp 1\n  no set ip dscp\n"
			      "  no priority\n" /* nothing to remove: fine */),
		     "policy-map P\n class A\n class B\n class C\n!\n");
	/* After `no bandwidth`, priority is allowed again; `no class` drops it all. */
	CHECK_EQ_STR(print_rt("policy-map P\n class A\n  bandwidth 100\n  no bandwidth\n"
			      "  priority\n class B\n  shape average 8000\n no class B\n"),
		     "policy-map P\n class A\n  priority\n!\n");
	CHECK_EQ_STR(print_rt("policy-map P\n class A\nno policy-map P\n"), "");
}

/* class-default is tried last: it stays last whatever the order typed. */
static void test_class_default_last(void)
{
	CHECK_EQ_STR(print_rt("policy-map P\n class class-default\n  fair-queue\n"
			      " class A\n  priority\n class B\n  bandwidth 10\n"
			      " class class-default\n  queue-limit 9\n class C\n"),
		     "policy-map P\n class A\n  priority\n class B\n  bandwidth 10\n"
		     " class C\n class class-default\n  queue-limit 9 packets\n  fair-queue\n!\n");
}

/* The usual hierarchical policy for a tunnel, with every check passing. */
static const char *hqos =
    "ip access-list extended MGMT\n permit tcp any any eq 22\n"
    "class-map match-any VOICE\n match dscp ef\n match precedence 5\n"
    "class-map match-any VIDEO\n match dscp af41 af42\n"
    "class-map MGMT\n match access-group name MGMT\n"
    "policy-map CHILD\n"
    " class VOICE\n  priority percent 20\n  police cir 2000000\n"
    " class VIDEO\n  bandwidth percent 30\n  queue-limit 200\n"
    " class MGMT\n  bandwidth percent 5\n  set dscp cs2\n"
    " class class-default\n  bandwidth percent 45\n  fair-queue\n"
    "policy-map PARENT\n class class-default\n  shape average 20000000\n"
    "  service-policy CHILD\n"
    "policy-map MARK\n class VOICE\n  police 1000000\n  set dscp ef\n"
    " class class-default\n  set dscp default\n"
    "interface Tunnel1\n"
    " tunnel source 203.0.113.2\n tunnel destination 203.0.113.3\n"
    " service-policy output PARENT\n service-policy input MARK\n"
    "interface eth1\n service-policy output CHILD\n service-policy input MARK\n";

static void test_hqos_valid(void)
{
	struct cfg_model *m = parse(hqos);
	CHECK(m != NULL);
	if (!m)
		return;
	const struct cfg_interface *t = cfg_find_interface(m, "Tunnel1");
	CHECK(t && !strcmp(t->sp_out, "PARENT") && !strcmp(t->sp_in, "MARK"));
	/* Input and output each remember their own line. */
	CHECK(t && t->sp_out_pos.line == 36 && t->sp_pos.line == 37 && t->sp_pos.col == 2);
	const struct cfg_interface *e = cfg_find_interface(m, "eth1");
	CHECK(e && !strcmp(e->sp_out, "CHILD") && e->sp_out_pos.line == 39 && e->sp_pos.line == 40);
	CHECK(strstr(print(m), "interface eth1\n service-policy input MARK\n"
			       " service-policy output CHILD\n!\n") != NULL);
	cfg_model_free(m);
	print_rt(hqos);
}

static void test_no_service_policy(void)
{
	struct cfg_model *m = parse(
	    "policy-map P\ninterface eth1\n service-policy input P\n service-policy output P\n"
	    " no service-policy input\n no service-policy output P\n");
	CHECK(m != NULL);
	const struct cfg_interface *e = m ? cfg_find_interface(m, "eth1") : NULL;
	CHECK(e && !e->sp_in[0] && !e->sp_out[0] && e->sp_pos.line == 0 && e->sp_out_pos.line == 0);
	cfg_model_free(m);
}

/* ---- a refused line changes nothing; ? offers the words ---- */

static struct cfg_session *S;

static int line(const char *l)
{
	struct cfg_error e;
	return cfg_session_line(S, l, &e);
}

static void fresh(void)
{
	cfg_session_free(S);
	S = cfg_session_new(NULL, NULL);
}

static void test_refused_line_changes_nothing(void)
{
	fresh();
	CHECK_EQ_INT(line("policy-map P"), 0);
	CHECK_EQ_INT(line("class A"), 0);
	CHECK_EQ_INT(line("bandwidth percent 70"), 0);
	CHECK_EQ_INT(line("class B"), 0);
	CHECK_EQ_INT(line("bandwidth percent 40"), -EINVAL);
	CHECK_EQ_INT(line("bandwidth 64"), -EINVAL);
	CHECK_EQ_INT(line("priority percent 31"), -EINVAL);
	CHECK_EQ_INT(line("priority percent 30"), 0);
	CHECK_EQ_INT(line("bandwidth percent 1"), -EINVAL); /* priority there */
	CHECK_EQ_INT(line("police 8000 conform-action drop"), -EINVAL);
	CHECK_EQ_INT(line("service-policy X"), -EINVAL);
	const struct cfg_pm_class *b = pm_class(cfg_session_model(S), "P", "B");
	CHECK(b && b->priority && b->priority_percent == 30 && !b->bandwidth_percent &&
	      !b->bandwidth_kbps && !b->police_bps && !b->child[0]);
	fresh();
	CHECK_EQ_INT(line("class-map C"), 0);
	CHECK_EQ_INT(line("match dscp ef"), 0);
	CHECK_EQ_INT(line("match dscp 1 2 3 4 5 6 7 8 9"), -EINVAL);
	const struct cfg_class_map *c = cfg_find_class_map(cfg_session_model(S), "C");
	CHECK(c && c->n_m == 1);
}

static int offers(const char *l1, const char *l2, const char *typed, const char *token)
{
	struct cli_help_item it[128];
	struct cli_error e;
	fresh();
	if (l1)
		line(l1);
	if (l2)
		line(l2);
	int n = cfg_session_help(S, typed, it, 128, &e);
	for (int i = 0; i < n && i < 128; i++)
		if (!strcmp(it[i].token, token))
			return 1;
	return 0;
}

static void test_help(void)
{
	CHECK(offers("class-map C", NULL, "match dscp ", "af41"));
	CHECK(offers("class-map C", NULL, "match dscp ", "(0-63)"));
	CHECK(offers("class-map C", NULL, "match precedence ", "flash-override"));
	CHECK(offers("class-map C", NULL, "match protocol ", "gre"));
	CHECK(!offers("class-map C", NULL, "match protocol ", "esp"));
	CHECK(offers("class-map C", NULL, "match ", "precedence"));
	CHECK(offers("policy-map P", "class C", "set dscp ", "ef"));
	CHECK(offers("policy-map P", "class C", "", "fair-queue"));
	CHECK(offers("policy-map P", "class C", "", "queue-limit"));
	CHECK(offers("policy-map P", "class C", "", "service-policy"));
	CHECK(offers("policy-map P", "class C", "police ", "cir"));
	CHECK(offers("policy-map P", "class C", "police 8000 ", "conform-action"));
	CHECK(offers("policy-map P", "class C", "police 8000 conform-action ", "transmit"));
	CHECK(offers("policy-map P", "class C", "bandwidth ", "remaining"));
	CHECK(offers("policy-map P", "class C", "priority ", "percent"));
	CHECK(offers("interface eth1", NULL, "service-policy ", "input"));
}

/* ---- changes ---- */

/* hqos with `from` replaced by `to` (first occurrence). */
static struct cfg_model *edit(const char *from, const char *to)
{
	static char buf[8192];
	const char *p = strstr(hqos, from);
	CHECK(p != NULL);
	if (!p)
		return NULL;
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - hqos), hqos, to, p + strlen(from));
	return parse(buf);
}

static const char *changes(const char *from, const char *to)
{
	static char out[512];
	struct cfg_model *a = parse(hqos), *b = edit(from, to);
	struct cfg_changes ch;
	size_t o = 0;
	out[0] = '\0';
	if (!a || !b || cfg_diff(a, b, &ch) < 0) {
		cfg_model_free(a);
		cfg_model_free(b);
		return "(failed)";
	}
	for (size_t i = 0; i < ch.n; i++) {
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%s%s%s%s", i ? "," : "",
				      cfg_change_kind_name(ch.v[i].kind),
				      ch.v[i].name[0] ? ":" : "", ch.v[i].name);
		if (ch.v[i].kind == CFG_CH_TUNNEL_UPDATE)
			CHECK(ch.v[i].what & CFG_W_SERVICE_POLICY);
	}
	cfg_changes_free(&ch);
	cfg_model_free(a);
	cfg_model_free(b);
	return out;
}

static void test_diff(void)
{
	CHECK_EQ_STR(changes(" match dscp ef\n", " match dscp ef\n"), "");
	/* A class-map of the input policy (and of the child). */
	CHECK_EQ_STR(changes(" match dscp ef\n", " match dscp ef cs5\n"), "update:Tunnel1,qos");
	CHECK_EQ_STR(changes(" match precedence 5\n", " match protocol udp\n"),
		     "update:Tunnel1,qos");
	/* The child policy's classes, reached through the parent. */
	CHECK_EQ_STR(changes(" match dscp af41 af42\n", " match dscp af41\n"),
		     "update:Tunnel1,qos");
	CHECK_EQ_STR(changes("  queue-limit 200\n", "  queue-limit 300\n"), "update:Tunnel1,qos");
	CHECK_EQ_STR(changes("  fair-queue\n", ""), "update:Tunnel1,qos");
	/* An access list behind a class-map of the child. */
	CHECK_EQ_STR(changes("eq 22", "eq 23"), "update:Tunnel1,qos");
	/* The parent's own shaper. */
	CHECK_EQ_STR(changes("shape average 20000000", "shape average 30000000"),
		     "update:Tunnel1,qos");
	/* A policy nobody uses: QoS only. */
	CHECK_EQ_STR(changes("interface Tunnel1\n", "policy-map SPARE\ninterface Tunnel1\n"),
		     "qos");
	/* The attachment of a plain interface is QoS (no tunnel update says it). */
	CHECK_EQ_STR(changes(" service-policy output CHILD\n", ""), "qos");
	CHECK_EQ_STR(changes("interface eth1\n", "interface eth2\n"), "qos");
	/* The tunnel's attachment. */
	CHECK_EQ_STR(changes(" service-policy input MARK\ninterface eth1",
			     " service-policy input MARK\n no service-policy output\n"
			     "interface eth1"),
		     "update:Tunnel1");
	/* A line moved is no change. */
	CHECK_EQ_STR(changes(" service-policy output PARENT\n service-policy input MARK\n",
			     " service-policy input MARK\n service-policy output PARENT\n"),
		     "");
}

int main(void)
{
	RUN(test_match_forms);
	RUN(test_no_match);
	RUN(test_class_map_redefine);
	RUN(test_class_actions);
	RUN(test_print_order);
	RUN(test_replace);
	RUN(test_no_forms);
	RUN(test_class_default_last);
	RUN(test_hqos_valid);
	RUN(test_no_service_policy);
	RUN(test_refused_line_changes_nothing);
	RUN(test_help);
	RUN(test_diff);
	cfg_session_free(S);
	cfg_grammar_free();
	return tcheck_done();
}
