/* cmd_qos.c: the MQC subset IOS users write on tunnels.
 *
 *   class-map [match-any|match-all] NAME                 (config-cmap)
 *     match access-group name NAME | N   match dscp V...   match precedence V...
 *     match protocol ip|tcp|udp|icmp|gre|ospf             match any
 *   policy-map NAME                                       (config-pmap)
 *     class NAME | class-default                          (config-pmap-c)
 *       priority [KBPS [BURST] | percent N [BURST]]
 *       bandwidth KBPS | percent N | remaining percent N
 *       shape average BPS
 *       police [cir] CIR [[bc] BC [[be] BE]] [conform-action transmit] [exceed-action drop]
 *       set dscp V   queue-limit N [packets]   fair-queue   service-policy CHILD
 *
 * The rules IOS applies when a line is typed are applied here, at the line:
 * what one class may hold together, one unit of bandwidth per policy, at
 * most 100 percent reserved.  Rules that need the whole configuration (names
 * defined, two levels of policies, input policies) are in check.c.
 * Handlers check the whole line before they change the candidate. */
#include "conf/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SESSION(ctx)	  ((struct cfg_session *)(ctx))
#define REMOVE(arr, n, p) cfg_vec_remove((arr), &(n), sizeof(*(arr)), (size_t)((p) - (arr)))

enum {
	PREC_MAX = 4, /* IOS: match precedence takes at most four values */
};

/* ---- DSCP names ---- */

static const struct {
	const char *name;
	uint8_t v;
} dscp_names[] = {
    {"default", 0}, {"cs1", 8},	  {"af11", 10}, {"af12", 12}, {"af13", 14}, {"cs2", 16},
    {"af21", 18},   {"af22", 20}, {"af23", 22}, {"cs3", 24},  {"af31", 26}, {"af32", 28},
    {"af33", 30},   {"cs4", 32},  {"af41", 34}, {"af42", 36}, {"af43", 38}, {"cs5", 40},
    {"ef", 46},	    {"cs6", 48},  {"cs7", 56},
};

int cfg_dscp_value(const char *s)
{
	for (size_t k = 0; k < sizeof(dscp_names) / sizeof(dscp_names[0]); k++)
		if (!strcmp(s, dscp_names[k].name))
			return dscp_names[k].v;
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v > 63)
		return -1;
	return (int)v;
}

const char *cfg_dscp_name(uint8_t v, char *buf)
{
	for (size_t k = 0; k < sizeof(dscp_names) / sizeof(dscp_names[0]); k++)
		if (dscp_names[k].v == v)
			return dscp_names[k].name;
	snprintf(buf, 4, "%u", v & 63);
	return buf;
}

/* ---- comparisons (the `no` forms here, the diff in diff.c) ---- */

bool cfg_cm_match_equal(const struct cfg_cm_match *x, const struct cfg_cm_match *y)
{
	if (x->type != y->type)
		return false;
	switch (x->type) {
	case CFG_CM_ACL:
		return !strcmp(x->acl, y->acl);
	case CFG_CM_DSCP:
	case CFG_CM_PREC:
		return x->n_dscp == y->n_dscp &&
		       !memcmp(x->dscp, y->dscp, (size_t)x->n_dscp * sizeof(x->dscp[0]));
	case CFG_CM_PROTO:
		return x->proto == y->proto;
	case CFG_CM_ANY:
		return true;
	}
	return false;
}

bool cfg_pm_class_equal(const struct cfg_pm_class *x, const struct cfg_pm_class *y)
{
	return !strcmp(x->name, y->name) && x->priority == y->priority &&
	       x->priority_kbps == y->priority_kbps && x->priority_burst == y->priority_burst &&
	       x->priority_percent == y->priority_percent &&
	       x->bandwidth_kbps == y->bandwidth_kbps &&
	       x->bandwidth_percent == y->bandwidth_percent &&
	       x->bandwidth_remaining == y->bandwidth_remaining && x->shape_bps == y->shape_bps &&
	       x->police_bps == y->police_bps && x->police_bc == y->police_bc &&
	       x->has_set_dscp == y->has_set_dscp && x->set_dscp == y->set_dscp &&
	       x->queue_limit == y->queue_limit && x->fair_queue == y->fair_queue &&
	       !strcmp(x->child, y->child);
}

/* ---- class-map ---- */

static int h_class_map(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	if (!strcmp(name, "class-default"))
		return cfg_fail(err, cfg_argcol(m, "name"),
				"class-default is predefined (it takes what no other class "
				"matches)");
	struct cfg_class_map *c = cfg_find_class_map(s->cand, name);
	if (cfg_no(m)) {
		if (c) {
			cfg_class_map_fini(c);
			REMOVE(s->cand->class_map, s->cand->n_class_map, c);
		}
		return 0;
	}
	bool any = cli_arg(m, "type") && !strcmp(cli_arg(m, "type"), "match-any");
	if (!c) {
		c = CFG_PUSH(s->cand->class_map, s->cand->n_class_map, s->cand->cap_class_map);
		if (!c)
			return -ENOMEM;
		memcpy(c->name, name, sizeof(name));
		c->pos = cfg_here(s);
	}
	c->match_any = any;
	snprintf(hdr, sizeof(hdr), "class-map %s%s", any ? "match-any " : "", name);
	return cfg_enter(s, CFG_MODE_CMAP, hdr, name, NULL);
}

/* The values of a match dscp|precedence line, at most max of them. */
static int match_values(const struct cli_match *m, struct cfg_cm_match *x, int max,
			struct cli_error *err)
{
	int n = cli_arg_count(m, "val");
	if (n > max)
		return cfg_fail(err, cfg_argcol_nth(m, "val", max), "too many values (at most %d)",
				max);
	for (int k = 0; k < n; k++) {
		const char *v = cli_arg_nth(m, "val", k);
		int d = x->type == CFG_CM_PREC ? cfg_prec_value(v) : cfg_dscp_value(v);
		x->dscp[x->n_dscp++] = (uint8_t)(d < 0 ? 0 : d);
	}
	return 0;
}

static int h_cm_match(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_class_map *c = cfg_find_class_map(s->cand, cfg_top(s)->obj);
	struct cfg_cm_match x;
	if (!c)
		return -ENOENT;
	memset(&x, 0, sizeof(x));
	if (cli_arg(m, "any")) {
		x.type = CFG_CM_ANY;
	} else if (cli_arg(m, "dscp")) {
		x.type = CFG_CM_DSCP;
		if (match_values(m, &x, CFG_LIST_MAX, err))
			return -EINVAL;
	} else if (cli_arg(m, "precedence")) {
		x.type = CFG_CM_PREC;
		if (match_values(m, &x, PREC_MAX, err))
			return -EINVAL;
	} else if (cli_arg(m, "protocol")) {
		x.type = CFG_CM_PROTO;
		int p = cfg_acl_proto_value(cli_arg(m, "proto"));
		x.proto = (uint8_t)(p < 0 ? 0 : p);
	} else {
		x.type = CFG_CM_ACL;
		if (cfg_acl_ref(m, "acl", x.acl, err))
			return -EINVAL;
	}
	x.pos = cfg_here(s);
	for (size_t k = 0; k < c->n_m; k++) {
		if (cfg_cm_match_equal(&c->m[k], &x)) {
			if (cfg_no(m))
				cfg_vec_remove(c->m, &c->n_m, sizeof(*c->m), k);
			return 0;
		}
	}
	if (cfg_no(m))
		return 0;
	struct cfg_cm_match *d = CFG_PUSH(c->m, c->n_m, c->cap_m);
	if (!d)
		return -ENOMEM;
	*d = x;
	return 0;
}

/* ---- policy-map, class ---- */

static int h_policy_map(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_policy_map *p = cfg_find_policy_map(s->cand, name);
	if (cfg_no(m)) {
		if (p) {
			cfg_policy_map_fini(p);
			REMOVE(s->cand->policy_map, s->cand->n_policy_map, p);
		}
		return 0;
	}
	if (!p) {
		p = CFG_PUSH(s->cand->policy_map, s->cand->n_policy_map, s->cand->cap_policy_map);
		if (!p)
			return -ENOMEM;
		memcpy(p->name, name, sizeof(name));
		p->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "policy-map %s", name);
	return cfg_enter(s, CFG_MODE_PMAP, hdr, name, NULL);
}

static bool is_default(const char *cls)
{
	return !strcmp(cls, "class-default");
}

/* Classes are tried in order and class-default takes the rest, so a new
 * class goes before class-default (IOS). */
static int h_pm_class(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_policy_map *p = cfg_find_policy_map(s->cand, cfg_top(s)->obj);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (!p)
		return -ENOENT;
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_pm_class *c = NULL;
	for (size_t k = 0; k < p->n_cls; k++)
		if (!strcmp(p->cls[k].name, name))
			c = &p->cls[k];
	if (cfg_no(m)) {
		if (c)
			REMOVE(p->cls, p->n_cls, c);
		return 0;
	}
	if (!c) {
		if (!CFG_PUSH(p->cls, p->n_cls, p->cap_cls))
			return -ENOMEM;
		size_t at = p->n_cls - 1;
		if (!is_default(name) && at > 0 && is_default(p->cls[at - 1].name)) {
			p->cls[at] = p->cls[at - 1];
			at--;
		}
		c = &p->cls[at];
		memset(c, 0, sizeof(*c));
		memcpy(c->name, name, sizeof(name));
		c->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "class %s", name);
	return cfg_enter(s, CFG_MODE_PMAP_C, hdr, p->name, name);
}

/* ---- config-pmap-c ---- */

static struct cfg_pm_class *cur_class(struct cfg_session *s, struct cfg_policy_map **pp)
{
	struct cfg_policy_map *p = cfg_find_policy_map(s->cand, cfg_top(s)->obj);
	*pp = p;
	for (size_t k = 0; p && k < p->n_cls; k++)
		if (!strcmp(p->cls[k].name, cfg_top(s)->sub))
			return &p->cls[k];
	return NULL;
}

enum bw_unit { BW_NONE = 0, BW_KBPS, BW_PERCENT, BW_REMAINING };

static enum bw_unit bw_unit_of(const struct cfg_pm_class *c)
{
	return c->bandwidth_kbps	? BW_KBPS
	       : c->bandwidth_percent	? BW_PERCENT
	       : c->bandwidth_remaining ? BW_REMAINING
					: BW_NONE;
}

static const char *bw_unit_text(enum bw_unit u)
{
	return u == BW_KBPS	 ? "bandwidth in kbps"
	       : u == BW_PERCENT ? "bandwidth percent"
				 : "bandwidth remaining percent";
}

/* IOS keeps one unit of bandwidth per policy: kilobits, percent of the
 * interface, or percent of what the priority classes leave. */
static int bw_units(const struct cfg_policy_map *p, const struct cfg_pm_class *c, enum bw_unit u,
		    int col, struct cli_error *err)
{
	for (size_t k = 0; k < p->n_cls; k++) {
		const struct cfg_pm_class *o = &p->cls[k];
		enum bw_unit ou = bw_unit_of(o);
		if (o != c && ou != BW_NONE && ou != u)
			return cfg_fail(err, col,
					"All classes with bandwidth should have consistent units "
					"(class %s has %s)",
					o->name, bw_unit_text(ou));
	}
	return 0;
}

/* Percentages reserved by the other classes plus add, at most 100. */
static int pct_sum(const struct cfg_policy_map *p, const struct cfg_pm_class *c, bool remaining,
		   unsigned add, int col, struct cli_error *err)
{
	unsigned sum = add;
	for (size_t k = 0; k < p->n_cls; k++) {
		const struct cfg_pm_class *o = &p->cls[k];
		if (o == c)
			continue;
		sum += remaining ? o->bandwidth_remaining
				 : o->bandwidth_percent + (o->priority ? o->priority_percent : 0u);
	}
	if (sum > 100)
		return cfg_fail(err, col,
				"Sum total of class %sbandwidths exceeds 100 percent (%u)",
				remaining ? "remaining " : "", sum);
	return 0;
}

static int h_pmc_priority(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(SESSION(ctx), &p);
	if (!c)
		return -ENOENT;
	int col = cfg_argcol(m, "priority");
	if (is_default(c->name))
		return cfg_fail(err, col,
				"priority is not allowed in class-default (make a class for the "
				"priority traffic)");
	if (bw_unit_of(c) != BW_NONE)
		return cfg_fail(err, col, "a class takes priority or bandwidth, not both");
	if (c->shape_bps)
		return cfg_fail(err, col,
				"a class takes priority or shape, not both (limit a priority "
				"class with police)");
	if (c->fair_queue)
		return cfg_fail(err, col, "a priority class is one FIFO queue: remove fair-queue");
	unsigned pct = cli_arg(m, "pct") ? (unsigned)cfg_num(cli_arg(m, "pct")) : 0;
	if (pct && pct_sum(p, c, false, pct, cfg_argcol(m, "pct"), err))
		return -EINVAL;
	c->priority = true;
	c->priority_percent = (uint8_t)pct;
	c->priority_kbps = cli_arg(m, "kbps") ? (uint32_t)cfg_num(cli_arg(m, "kbps")) : 0;
	c->priority_burst = cli_arg(m, "burst") ? (uint32_t)cfg_num(cli_arg(m, "burst")) : 0;
	return 0;
}

static int h_pmc_bandwidth(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(SESSION(ctx), &p);
	if (!c)
		return -ENOENT;
	enum bw_unit u = cli_arg(m, "rem")   ? BW_REMAINING
			 : cli_arg(m, "pct") ? BW_PERCENT
					     : BW_KBPS;
	const char *arg = u == BW_REMAINING ? "rem" : u == BW_PERCENT ? "pct" : "kbps";
	unsigned long long v = cfg_num(cli_arg(m, arg));
	if (c->priority)
		return cfg_fail(err, cfg_argcol(m, "bandwidth"),
				"a class takes priority or bandwidth, not both");
	if (bw_units(p, c, u,
		     cfg_argcol(m, u == BW_KBPS	     ? "kbps"
				   : u == BW_PERCENT ? "percent"
						     : "remaining"),
		     err))
		return -EINVAL;
	if (u != BW_KBPS && pct_sum(p, c, u == BW_REMAINING, (unsigned)v, cfg_argcol(m, arg), err))
		return -EINVAL;
	c->bandwidth_kbps = u == BW_KBPS ? (uint32_t)v : 0;
	c->bandwidth_percent = u == BW_PERCENT ? (uint32_t)v : 0;
	c->bandwidth_remaining = u == BW_REMAINING ? (uint8_t)v : 0;
	return 0;
}

static int h_pmc_shape(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(SESSION(ctx), &p);
	if (!c)
		return -ENOENT;
	if (c->priority)
		return cfg_fail(err, cfg_argcol(m, "shape"),
				"a class takes priority or shape, not both (limit a priority "
				"class with police)");
	c->shape_bps = cfg_num(cli_arg(m, "bps"));
	return 0;
}

/* A single-rate two-colour policer: what conforms is sent, the rest
 * dropped.  With exceed-action drop the be bucket changes nothing (its
 * packets would be dropped as exceeding or violating alike), so `be` and
 * `violate-action drop` are accepted and not kept. */
static int h_pmc_police(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(SESSION(ctx), &p);
	static const struct {
		const char *arg, *want;
	} actions[] = {{"ca", "transmit"}, {"ea", "drop"}, {"va", "drop"}};
	if (!c)
		return -ENOENT;
	for (size_t k = 0; k < sizeof(actions) / sizeof(actions[0]); k++) {
		const char *a = cli_arg(m, actions[k].arg);
		if (a && (strcmp(a, actions[k].want) != 0 || cli_arg_count(m, actions[k].arg) > 1))
			return cfg_fail(err, cfg_argcol(m, actions[k].arg),
					"only conform-action transmit and exceed-action drop are "
					"supported");
	}
	c->police_bps = cfg_num(cli_arg(m, "cir"));
	c->police_bc = cli_arg(m, "bc") ? (uint32_t)cfg_num(cli_arg(m, "bc")) : 0;
	return 0;
}

static int h_pmc_set(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(SESSION(ctx), &p);
	(void)err;
	if (!c)
		return -ENOENT;
	int d = cfg_dscp_value(cli_arg(m, "val"));
	c->has_set_dscp = true;
	c->set_dscp = (uint8_t)(d < 0 ? 0 : d);
	return 0;
}

static int h_pmc_queue_limit(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(SESSION(ctx), &p);
	if (!c)
		return -ENOENT;
	const char *unit = cli_arg(m, "unit");
	if (unit && strcmp(unit, "packets") != 0)
		return cfg_fail(err, cfg_argcol(m, "unit"),
				"queue-limit is counted in packets only in vtid");
	c->queue_limit = (uint32_t)cfg_num(cli_arg(m, "n"));
	return 0;
}

static int h_pmc_fair_queue(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(s, &p);
	if (!c)
		return -ENOENT;
	if (c->priority)
		return cfg_fail(err, cfg_argcol(m, "fair-queue"),
				"a priority class is one FIFO queue: no fair-queue");
	c->fair_queue = true;
	c->fq_pos = cfg_here(s);
	return 0;
}

static int h_pmc_child(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(s, &p);
	char name[CFG_NAME_MAX];
	if (!c)
		return -ENOENT;
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	if (!c->shape_bps)
		return cfg_fail(err, cfg_argcol(m, "service-policy"),
				"a child service-policy needs a shaper in this class (shape "
				"average BPS)");
	memcpy(c->child, name, sizeof(name));
	c->child_pos = cfg_here(s);
	return 0;
}

/* `no priority|bandwidth|... [anything]` clears that kind. */
static int h_pmc_no(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_policy_map *p;
	struct cfg_pm_class *c = cur_class(SESSION(ctx), &p);
	if (!c)
		return -ENOENT;
	if (cli_arg(m, "priority")) {
		c->priority = false;
		c->priority_kbps = c->priority_burst = c->priority_percent = 0;
	} else if (cli_arg(m, "bandwidth")) {
		c->bandwidth_kbps = c->bandwidth_percent = c->bandwidth_remaining = 0;
	} else if (cli_arg(m, "shape")) {
		if (c->child[0])
			return cfg_fail(err, cfg_argcol(m, "shape"),
					"the child service-policy %s needs this shaper: remove "
					"it first (no service-policy)",
					c->child);
		c->shape_bps = 0;
	} else if (cli_arg(m, "police")) {
		c->police_bps = 0;
		c->police_bc = 0;
	} else if (cli_arg(m, "set")) {
		c->has_set_dscp = false;
		c->set_dscp = 0;
	} else if (cli_arg(m, "queue-limit")) {
		c->queue_limit = 0;
	} else if (cli_arg(m, "fair-queue")) {
		c->fair_queue = false;
		memset(&c->fq_pos, 0, sizeof(c->fq_pos));
	} else if (cli_arg(m, "service-policy")) {
		memset(c->child, 0, sizeof(c->child));
		memset(&c->child_pos, 0, sizeof(c->child_pos));
	}
	return 0;
}

/* ---- the grammar ---- */

#define DSCP_VAL      "<(0-63)|{dscp}>"
#define DSCP_VAL_HELP "Differentiated services codepoint value\nDSCP name\n"
#define PREC_VAL      "<(0-7)|{precedence}>"
#define PREC_VAL_HELP "Precedence value\nPrecedence name\n"
#define KBPS	      "(8-2000000)"
#define BURST	      "(32-2000000)$burst"
#define CIR	      "(8000-10000000000)$cir"
#define BC	      "(1000-512000000)$bc"
#define BE	      "(1000-512000000)$be"

#define EXIT_END(mode)                                                                             \
	{mode, "exit", "Exit from this mode", cfg_h_exit, 0},                                      \
	{                                                                                          \
		mode, "end", "Exit to EXEC mode", cfg_h_end, 0                                     \
	}

const struct cli_cmd cfg_cmds_qos[] = {
    {CFG_MODE_CONFIG, "[no] class-map [<match-any|match-all>$type] WORD$name",
     "Negate a command\nDefine a traffic class\nAny match line classifies\n"
     "All match lines must match (default)\nClass map name",
     h_class_map, 0},
    {CFG_MODE_CONFIG, "[no] policy-map WORD$name",
     "Negate a command\nDefine a QoS policy\nPolicy map name", h_policy_map, 0},

    {CFG_MODE_CMAP, "[no] match access-group <name WORD$acl|" CFG_ACL_NUMBERS "$acl>",
     "Negate a command\nClassification criteria\nAccess list\nNamed access "
     "list\nName\n" CFG_ACL_NUMBERS_HELP,
     h_cm_match, 0},
    {CFG_MODE_CMAP, "[no] match [ip] dscp " DSCP_VAL "...$val",
     "Negate a command\nClassification criteria\nIP specific values (same as without)\n"
     "DSCP values (up to 8, any of them)\n" DSCP_VAL_HELP,
     h_cm_match, 0},
    {CFG_MODE_CMAP, "[no] match [ip] precedence " PREC_VAL "...$val",
     "Negate a command\nClassification criteria\nIP specific values (same as without)\n"
     "Precedence values (up to 4, any of them)\n" PREC_VAL_HELP,
     h_cm_match, 0},
    {CFG_MODE_CMAP, "[no] match protocol <ip|tcp|udp|icmp|gre|ospf>$proto",
     "Negate a command\nClassification criteria\nIP protocol\nAny IPv4 packet\n"
     "Transmission Control Protocol\nUser Datagram Protocol\n"
     "Internet Control Message Protocol\nGRE (47)\nOSPF (89)",
     h_cm_match, 0},
    {CFG_MODE_CMAP, "[no] match any", "Negate a command\nClassification criteria\nAll packets",
     h_cm_match, 0},
    EXIT_END(CFG_MODE_CMAP),

    {CFG_MODE_PMAP, "[no] class WORD$name",
     "Negate a command\nPolicy for a class\nClass map name (or class-default)", h_pm_class, 0},
    EXIT_END(CFG_MODE_PMAP),

    {CFG_MODE_PMAP_C, "priority [<" KBPS "$kbps [" BURST "]|percent (1-100)$pct [" BURST "]>]",
     "Strict priority queue (low latency)\nLimit in kilobits per second\nBurst in bytes\n"
     "Limit as a percent of the interface\nPercent\nBurst in bytes",
     h_pmc_priority, 0},
    {CFG_MODE_PMAP_C, "bandwidth <" KBPS "$kbps|percent (1-100)$pct|remaining percent (1-100)$rem>",
     "Guaranteed bandwidth\nKilobits per second\nPercent of the interface\nPercent\n"
     "Share of what the priority classes leave\nPercent\nPercent",
     h_pmc_bandwidth, 0},
    {CFG_MODE_PMAP_C, "shape average (8000-10000000000)$bps",
     "Traffic shaping\nAverage rate\nBits per second", h_pmc_shape, 0},
    {CFG_MODE_PMAP_C,
     "police <" CIR " [" BC " [" BE "]]|cir " CIR " [bc " BC " [be " BE "]]> "
     "[conform-action <transmit|WORD [WORD]>$ca] [exceed-action <drop|WORD [WORD]>$ea] "
     "[violate-action <drop|WORD [WORD]>$va]",
     "Traffic policing\nCommitted rate, bits per second\nCommitted burst, bytes\n"
     "Excess burst, bytes (no effect with exceed-action drop)\nCommitted information rate\n"
     "Bits per second\nConforming burst\nBytes\nExcess burst\nBytes\n"
     "Action for conforming packets\nTransmit the packet\nOther actions (not supported)\n"
     "Value\nAction for exceeding packets\nDrop the packet\nOther actions (not supported)\n"
     "Value\nAction for violating packets\nDrop the packet\nOther actions (not supported)\n"
     "Value",
     h_pmc_police, 0},
    {CFG_MODE_PMAP_C, "set [ip] dscp " DSCP_VAL "$val",
     "Mark packets\nIP specific values (same as without)\nDSCP\n" DSCP_VAL_HELP, h_pmc_set, 0},
    {CFG_MODE_PMAP_C, "queue-limit (1-32768)$n [<packets|bytes|ms|us>$unit]",
     "Queue length of the class\nPackets\nIn packets (default)\nIn bytes (not supported)\n"
     "In milliseconds (not supported)\nIn microseconds (not supported)",
     h_pmc_queue_limit, 0},
    {CFG_MODE_PMAP_C, "fair-queue", "Share the class's queue fairly among flows", h_pmc_fair_queue,
     0},
    {CFG_MODE_PMAP_C, "service-policy WORD$name",
     "A child policy for this class's traffic (needs shape)\nPolicy map name", h_pmc_child, 0},
    {CFG_MODE_PMAP_C,
     "no <priority|bandwidth|shape|police|queue-limit|fair-queue|service-policy> [LINE]",
     "Negate a command\nPriority queue\nBandwidth\nShaping\nPolicing\nQueue length\n"
     "Fair queueing\nChild policy\nAnything",
     h_pmc_no, 0},
    {CFG_MODE_PMAP_C, "no set [ip] dscp [LINE]",
     "Negate a command\nMark packets\nIP specific values\nDSCP\nAnything", h_pmc_no, 0},
    EXIT_END(CFG_MODE_PMAP_C),
};
const size_t cfg_n_cmds_qos = sizeof(cfg_cmds_qos) / sizeof(cfg_cmds_qos[0]);
