/* qos.c: IOS MQC policies enforced by the kernel: tc HTB through
 * libnl-route-3 for queueing, nftables (libnftables, table `ip vtid_qos`)
 * for classification, marking and policing.
 *
 * Output (`service-policy output P` on an interface): the interface's
 * root qdisc becomes HTB 1:, with one HTB class per policy class under
 * 1:1.  A class with a child policy (the hierarchical policy IOS requires
 * on tunnels: parent class-default with `shape average`, child with
 * `priority` / `bandwidth`) gets the child's classes under it:
 *
 *   1:1  root (10 Gbit/s, no limit of its own)
 *   1:10+i   parent class i: rate = ceil = its shape (or the root)
 *   1:256+64*i+j   child class j of parent class i:
 *        priority K          prio 0, rate = ceil = K (IOS polices LLQ to K)
 *        bandwidth B | %     prio 1, rate B, ceil = parent
 *        remaining %         prio 1, rate = % of what priority/bandwidth leave
 *        class-default       prio 2, rate = what is left (at least 8 kbit/s)
 *   each leaf: pfifo (queue-limit, default 64 packets, as IOS) or, with
 *   `fair-queue`, SFQ / fq_codel when the kernel has one.
 *
 * On a tunnel this is the TUN device's egress, so classification sees the
 * inner packets (what IOS calls qos pre-classify) and the data plane reads
 * a packet, and takes its ESP sequence number, only once HTB releases it: a
 * priority class can never cause replay drops at the peer.
 *
 * Classification: nftables hook postrouting (priority 0; forwarded and
 * the router's own packets) for output, prerouting (priority -140, after
 * vtid's inbound ACLs) for input.  Each class-map becomes rules in a chain
 * per interface and direction; a match sends the packet to the class's
 * action chain: counter, police (`limit rate over ... drop`), `ip dscp set`,
 * `meta priority set 1:MINOR` (HTB takes the class from skb->priority).
 * The first class that matches wins, class-default last, as IOS.  Input
 * policies police and mark only (IOS refuses queueing there too).
 *
 * A policy the kernel cannot build (fair-queue without SFQ or fq_codel,
 * queueing without a shaper on a tunnel) is refused before anything
 * changes, naming the line and the reason.  Rates for `show policy-map
 * interface` are 30-second averages sampled every 5 s. */
#include "vtid/qos.h"

#include <errno.h>
#include <json-c/json.h>
#include <linux/pkt_sched.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/qdisc/sfq.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "vtid/acl.h"
#include "vtid/nft.h"
#include "vtid/show.h"

enum {
	QOS_SAMPLE_MS = 5000,
	QOS_MAX_CLASSES = 64, /* per interface, parent and child classes together */
	QOS_MAX_IFS = 64,
	QOS_MAX_RATES = 1024,
	QOS_DEFAULT_LIMIT = 64,
	QOS_ROOT_MINOR = 1,
};
static const uint64_t QOS_ROOT_BPS = 10000000000ull; /* no limit of the root's own */

/* One HTB class of an output plan. */
struct qcls {
	const struct cfg_pm_class *pc; /* the policy class */
	const char *policy;	       /* its policy-map's name */
	uint16_t minor, parent;	       /* 1:minor under 1:parent */
	uint64_t rate_bps, ceil_bps;
	uint32_t prio, limit;
	uint32_t burst; /* bytes; 0: HTB's default (a tick of the rate plus an MTU) */
	bool leaf, fq;
};

struct qplan {
	int n;
	struct qcls c[QOS_MAX_CLASSES];
	uint16_t defcls; /* the class-default leaf HTB falls back to */
};

/* What is programmed on an interface, to skip a rebuild that changes nothing
 * and to notice a device created anew (tunnel restart). */
struct qif {
	char name[IFNAMSIZ];
	int ifindex;
	uint64_t sig;
};

struct qrate {
	char key[40];
	uint64_t bytes, drops, at_ms;
	double bps, drop_bps;
};

struct qos_engine {
	struct loop *loop;
	struct nftt *nft; /* table ip vtid_qos */
	struct nl_sock *sk;
	struct qif ifs[QOS_MAX_IFS];
	int n_ifs;
	int have_sfq, have_fq_codel; /* -1 unknown, 0 no, 1 yes */
	struct qrate rates[QOS_MAX_RATES];
	int n_rates;
	struct loop_timer sampler;
	const struct cfg_model *model; /* the model in force, for the sampler */
	uint64_t body_hash;	       /* of the classification in force */
};

/* ---- names ---- */
static void qname(char *out, size_t len, const char *prefix, const char *a, const char *b,
		  const char *c, unsigned n)
{
	uint64_t h = nftt_hash(0, a, strlen(a) + 1);
	h = nftt_hash(h, b, strlen(b) + 1);
	h = nftt_hash(h, c, strlen(c) + 1);
	h = nftt_hash(h, &n, sizeof(n));
	snprintf(out, len, "%s%012llx", prefix, (unsigned long long)(h & 0xffffffffffffull));
}

/* Where a policy sits (interface, direction, policy, and for a child its
 * name): counters and chains are named after it, so build and show agree. */
enum { QOS_SCOPE = 200, QOS_CSCOPE = 300 };

static int scope_of(char *out, const char *ifname, bool output, const char *policy)
{
	return snprintf(out, QOS_SCOPE, "%s/%s/%s", ifname, output ? "out" : "in", policy) <
		       QOS_SCOPE
		   ? 0
		   : -E2BIG;
}

static int child_scope(char *out, const char *scope, const char *child)
{
	return snprintf(out, QOS_CSCOPE, "%s/%s", scope, child) < QOS_CSCOPE ? 0 : -E2BIG;
}

/* "line N: " for a line of a file, nothing for one typed in a session. */
static const char *at_line(int line, char buf[24])
{
	if (line > 0)
		snprintf(buf, 24, "line %d: ", line);
	else
		buf[0] = '\0';
	return buf;
}

/* ---- policy lookups ---- */
static const struct cfg_pm_class *pm_default(const struct cfg_policy_map *p)
{
	for (size_t i = 0; i < p->n_cls; i++)
		if (!strcmp(p->cls[i].name, "class-default"))
			return &p->cls[i];
	return NULL;
}

/* The policy's classes in IOS order: its own, class-default last (an
 * implicit, empty one when the policy does not name it). */
static size_t pm_classes(const struct cfg_policy_map *p, const struct cfg_pm_class **out,
			 size_t cap, struct cfg_pm_class *implicit)
{
	size_t n = 0;
	for (size_t i = 0; i < p->n_cls && n + 1 < cap; i++)
		if (strcmp(p->cls[i].name, "class-default"))
			out[n++] = &p->cls[i];
	const struct cfg_pm_class *d = pm_default(p);
	if (!d) {
		memset(implicit, 0, sizeof(*implicit));
		snprintf(implicit->name, sizeof(implicit->name), "class-default");
		d = implicit;
	}
	out[n++] = d;
	return n;
}

static bool queues(const struct cfg_pm_class *c)
{
	return c->priority || c->bandwidth_kbps || c->bandwidth_percent || c->bandwidth_remaining;
}

/* ---- the output plan: HTB classes from a policy ---- */
static int plan_child(struct qplan *pl, const struct cfg_policy_map *child,
		      int pi, uint64_t budget, char *err, size_t errlen)
{
	const struct cfg_pm_class *cls[QOS_MAX_CLASSES];
	struct cfg_pm_class implicit;
	size_t n = pm_classes(child, cls, QOS_MAX_CLASSES, &implicit);
	uint64_t used = 0;
	uint16_t parent = (uint16_t)(0x10 + pi);
	int first = pl->n;
	for (size_t j = 0; j < n; j++) {
		const struct cfg_pm_class *c = cls[j];
		if (pl->n >= QOS_MAX_CLASSES) {
			snprintf(err, errlen, "policy-map %s: too many classes", child->name);
			return -E2BIG;
		}
		struct qcls *q = &pl->c[pl->n++];
		memset(q, 0, sizeof(*q));
		q->pc = c;
		q->policy = child->name;
		q->minor = (uint16_t)(0x100 + 0x40 * pi + (int)j);
		q->parent = parent;
		q->leaf = true;
		q->limit = c->queue_limit ? c->queue_limit : QOS_DEFAULT_LIMIT;
		q->fq = c->fair_queue;
		q->ceil_bps = budget;
		if (c->priority) {
			uint64_t k = c->priority_kbps ? c->priority_kbps * 1000ull
				     : c->priority_percent ? budget * c->priority_percent / 100
							   : budget;
			q->prio = 0;
			q->rate_bps = k;
			q->ceil_bps = k;
			q->burst = c->priority_burst; /* priority KBPS BURST */
			used += k;
		} else if (c->bandwidth_kbps || c->bandwidth_percent) {
			q->prio = 1;
			q->rate_bps = c->bandwidth_kbps ? c->bandwidth_kbps * 1000ull
							: budget * c->bandwidth_percent / 100;
			used += q->rate_bps;
		} else {
			q->prio = strcmp(c->name, "class-default") ? 1 : 2;
		}
		if (c->shape_bps && c->shape_bps < q->ceil_bps)
			q->ceil_bps = c->shape_bps;
	}
	if (used > budget) {
		snprintf(err, errlen,
			 "policy-map %s: priority and bandwidth add up to %llu bit/s, more than the "
			 "parent's shape of %llu bit/s",
			 child->name, (unsigned long long)used, (unsigned long long)budget);
		return -EINVAL;
	}
	/* What priority and bandwidth leave: remaining percent takes its
	 * share, the classes with no rate of their own (class-default at
	 * least) split the rest evenly, as IOS gives class-default what is
	 * left. */
	uint64_t left = budget - used, rest = left;
	int open = 0;
	for (int k = first; k < pl->n; k++) {
		struct qcls *q = &pl->c[k];
		if (q->rate_bps)
			continue;
		if (q->pc->bandwidth_remaining) {
			q->rate_bps = left * q->pc->bandwidth_remaining / 100;
			rest = rest > q->rate_bps ? rest - q->rate_bps : 0;
		} else {
			open++;
		}
	}
	for (int k = first; k < pl->n; k++) {
		struct qcls *q = &pl->c[k];
		if (!q->rate_bps && open)
			q->rate_bps = rest / (uint64_t)open;
		if (q->rate_bps < 8000)
			q->rate_bps = 8000;
		if (q->rate_bps > q->ceil_bps)
			q->rate_bps = q->ceil_bps;
	}
	return 0;
}

static int plan_output(struct qplan *pl, const struct cfg_model *m, const struct cfg_policy_map *p,
		       char *err, size_t errlen)
{
	const struct cfg_pm_class *cls[QOS_MAX_CLASSES];
	struct cfg_pm_class implicit;
	size_t n = pm_classes(p, cls, QOS_MAX_CLASSES / 2, &implicit);
	memset(pl, 0, sizeof(*pl));
	for (size_t i = 0; i < n; i++) {
		const struct cfg_pm_class *c = cls[i];
		if (queues(c) && !c->child[0]) {
			/* IOS on tunnels: queueing needs a shaper above it. */
			char at[24];
			snprintf(err, errlen,
				 "%spolicy-map %s class %s: priority/bandwidth need a shaper "
				 "above them (policy-map PARENT / class class-default / shape average "
				 "BPS / service-policy %s)",
				 at_line(c->pos.line, at), p->name, c->name, p->name);
			return -EINVAL;
		}
		struct qcls *q = &pl->c[pl->n++];
		memset(q, 0, sizeof(*q));
		q->pc = c;
		q->policy = p->name;
		q->minor = (uint16_t)(0x10 + i);
		q->parent = QOS_ROOT_MINOR;
		q->rate_bps = q->ceil_bps = c->shape_bps ? c->shape_bps : QOS_ROOT_BPS;
		q->prio = 1;
		q->limit = c->queue_limit ? c->queue_limit : QOS_DEFAULT_LIMIT;
		q->fq = c->fair_queue;
		q->leaf = !c->child[0];
		if (!strcmp(c->name, "class-default") && q->leaf)
			pl->defcls = q->minor;
		if (c->child[0]) {
			const struct cfg_policy_map *child = cfg_find_policy_map(m, c->child);
			if (!child) {
				snprintf(err, errlen, "policy-map %s is not defined", c->child);
				return -EINVAL;
			}
			if (!c->shape_bps) {
				char at[24];
				snprintf(err, errlen,
					 "%spolicy-map %s class %s: a child service-policy needs "
					 "a shaper in this class (shape average BPS)",
					 at_line(c->pos.line, at), p->name, c->name);
				return -EINVAL;
			}
			int rc = plan_child(pl, child, (int)i, c->shape_bps, err, errlen);
			if (rc < 0)
				return rc;
			if (!strcmp(c->name, "class-default"))
				pl->defcls = pl->c[pl->n - 1].minor; /* the child's class-default */
		}
	}
	return 0;
}

static uint64_t plan_sig(const struct qplan *pl, int ifindex)
{
	uint64_t h = nftt_hash(0, &ifindex, sizeof(ifindex));
	for (int i = 0; i < pl->n; i++) {
		const struct qcls *q = &pl->c[i];
		uint64_t v[] = {q->minor, q->parent, q->rate_bps, q->ceil_bps, q->prio, q->limit,
				q->leaf, q->fq, q->burst};
		h = nftt_hash(h, v, sizeof(v));
	}
	return nftt_hash(h, &pl->defcls, sizeof(pl->defcls));
}

/* ---- classification: class-maps as nftables rules ---- */
/* The alternatives of one match statement (any of them matches). */
static int match_alts(const struct cfg_cm_match *x, char alts[][96], int cap)
{
	int n = 0;
	switch (x->type) {
	case CFG_CM_ANY:
		alts[n++][0] = '\0';
		break;
	case CFG_CM_DSCP: {
		char *o = alts[n++];
		int off = snprintf(o, 96, "ip dscp {");
		for (int k = 0; k < x->n_dscp && off < 90; k++)
			off += snprintf(o + off, 96 - (size_t)off, "%s%u", k ? "," : " ",
					x->dscp[k]);
		snprintf(o + off, 96 - (size_t)off, " }");
		break;
	}
	case CFG_CM_PREC:
		for (int k = 0; k < x->n_dscp && n < cap; k++)
			snprintf(alts[n++], 96, "@nh,8,3 %u", x->dscp[k]);
		break;
	case CFG_CM_PROTO:
		if (x->proto)
			snprintf(alts[n++], 96, "ip protocol %u", x->proto);
		else
			alts[n++][0] = '\0';
		break;
	case CFG_CM_ACL:
		break; /* handled apart */
	}
	return n;
}

/* An access list as a chain: permit -> goto target, deny -> return. */
static void w_acl_chain(struct sbuf *b, const struct cfg_acl *acl, const char *chain,
			const char *target)
{
	sbuf_printf(b, "\tchain %s {\n", chain);
	for (size_t i = 0; i < acl->n_ent; i++) {
		const struct cfg_acl_entry *e = &acl->ent[i];
		if (e->action == CFG_ACL_REMARK)
			continue;
		struct sbuf mt = {0};
		acl_entry_match(acl, e, &mt);
		if (e->action == CFG_ACL_PERMIT)
			sbuf_printf(b, "\t\t%sgoto %s\n", mt.buf ? mt.buf : "", target);
		else
			sbuf_printf(b, "\t\t%sreturn\n", mt.buf ? mt.buf : "");
		sbuf_free(&mt);
	}
	sbuf_printf(b, "\t}\n");
}

/* Rules that send the packets of class-map cm to chain target. */
static int w_class_rules(struct sbuf *rules, struct sbuf *chains, const struct cfg_model *m,
			 const struct cfg_class_map *cm, const char *target, const char *scope,
			 char *err, size_t errlen)
{
	const struct cfg_cm_match *acl = NULL;
	char combos[64][256];
	int nc = 1;
	combos[0][0] = '\0';
	for (size_t i = 0; i < cm->n_m; i++) {
		const struct cfg_cm_match *x = &cm->m[i];
		if (x->type == CFG_CM_ACL) {
			if (!cm->match_any && acl) {
				char at[24];
				snprintf(err, errlen,
					 "%sclass-map %s: one access-group per match-all class-map",
					 at_line(x->pos.line, at), cm->name);
				return -EINVAL;
			}
			if (cm->match_any) {
				const struct cfg_acl *a = cfg_find_acl(m, x->acl);
				char ch[40];
				qname(ch, sizeof(ch), "qm_", scope, cm->name, x->acl, (unsigned)i);
				if (a)
					w_acl_chain(chains, a, ch, target);
				sbuf_printf(rules, "\t\tjump %s\n", ch);
			} else {
				acl = x;
			}
			continue;
		}
		char alts[CFG_LIST_MAX + 1][96];
		int na = match_alts(x, alts, CFG_LIST_MAX + 1);
		if (cm->match_any) {
			for (int k = 0; k < na; k++)
				sbuf_printf(rules, "\t\t%s goto %s\n", alts[k], target);
			continue;
		}
		if (nc * na > 64) {
			char at[24];
			snprintf(err, errlen, "%sclass-map %s: too many combinations",
				 at_line(x->pos.line, at), cm->name);
			return -E2BIG;
		}
		char next[64][256];
		int nn = 0;
		for (int c = 0; c < nc; c++)
			for (int k = 0; k < na; k++)
				if (snprintf(next[nn++], sizeof(next[0]), "%s%s%s", combos[c],
					     combos[c][0] && alts[k][0] ? " " : "",
					     alts[k]) >= (int)sizeof(next[0])) {
					char at[24];
					snprintf(err, errlen, "%sclass-map %s: too long",
						 at_line(x->pos.line, at), cm->name);
					return -E2BIG;
				}
		memcpy(combos, next, sizeof(next[0]) * (size_t)nn);
		nc = nn;
	}
	if (cm->match_any)
		return 0;
	const char *final = target;
	char ch[40];
	if (acl) {
		const struct cfg_acl *a = cfg_find_acl(m, acl->acl);
		qname(ch, sizeof(ch), "qm_", scope, cm->name, acl->acl, 0);
		if (a)
			w_acl_chain(chains, a, ch, target);
		final = ch;
	}
	for (int c = 0; c < nc; c++)
		sbuf_printf(rules, "\t\t%s %s %s\n", combos[c], acl ? "jump" : "goto", final);
	return 0;
}

/* A class's action chain: count, police, mark, choose the HTB class. */
static void w_action(struct sbuf *chains, struct sbuf *cnt, const char *chain,
		     const struct cfg_pm_class *c, const char *scope, uint16_t minor, bool output)
{
	char cn[40], pn[40];
	qname(cn, sizeof(cn), "qc_", scope, c->name, "class", minor);
	qname(pn, sizeof(pn), "qp_", scope, c->name, "police", minor);
	sbuf_printf(cnt, "\tcounter %s { }\n", cn);
	sbuf_printf(chains, "\tchain %s {\n\t\tcounter name \"%s\"\n", chain, cn);
	if (c->police_bps) {
		uint64_t bytes = c->police_bps / 8;
		/* IOS's default bc is a quarter second of the rate.  The kernel's
		 * byte limit holds one second of the rate on top of the burst
		 * (nft has no shorter unit), so after an idle second a flow may
		 * pass up to that much more before it is held to the rate. */
		uint64_t bc = c->police_bc ? c->police_bc : bytes / 4;
		if (bc < 1500)
			bc = 1500;
		sbuf_printf(cnt, "\tcounter %s { }\n", pn);
		sbuf_printf(chains,
			    "\t\tlimit rate over %llu bytes/second burst %llu bytes counter name "
			    "\"%s\" drop\n",
			    (unsigned long long)bytes, (unsigned long long)bc, pn);
	}
	if (c->has_set_dscp)
		sbuf_printf(chains, "\t\tip dscp set %u\n", c->set_dscp);
	if (output)
		sbuf_printf(chains, "\t\tmeta priority set 1:%x\n", minor);
	sbuf_printf(chains, "\t\taccept\n\t}\n");
}

/* The classification of one interface and direction into chain top. */
static int w_policy(struct sbuf *chains, struct sbuf *cnt, const struct cfg_model *m,
		    const struct cfg_policy_map *p, const struct qplan *pl, const char *ifname,
		    bool output, const char *top, char *err, size_t errlen)
{
	const struct cfg_pm_class *cls[QOS_MAX_CLASSES];
	struct cfg_pm_class implicit;
	size_t n = pm_classes(p, cls, QOS_MAX_CLASSES / 2, &implicit);
	struct sbuf rules = {0};
	char scope[QOS_SCOPE];
	if (scope_of(scope, ifname, output, p->name) < 0)
		return -E2BIG;
	for (size_t i = 0; i < n; i++) {
		const struct cfg_pm_class *c = cls[i];
		uint16_t minor = (uint16_t)(0x10 + i);
		char act[40];
		qname(act, sizeof(act), "qa_", scope, c->name, "", minor);
		const struct cfg_policy_map *child = c->child[0] ? cfg_find_policy_map(m, c->child) : NULL;
		if (child && output) {
			/* the parent's class, then the child's classification */
			const struct cfg_pm_class *cc[QOS_MAX_CLASSES];
			struct cfg_pm_class cimp;
			size_t nk = pm_classes(child, cc, QOS_MAX_CLASSES / 2, &cimp);
			struct sbuf crules = {0};
			char cscope[QOS_CSCOPE];
			if (child_scope(cscope, scope, child->name) < 0)
				return -E2BIG;
			char pcn[40];
			qname(pcn, sizeof(pcn), "qc_", scope, c->name, "class", minor);
			sbuf_printf(cnt, "\tcounter %s { }\n", pcn);
			sbuf_printf(&crules, "\t\tcounter name \"%s\"\n", pcn);
			if (c->has_set_dscp)
				sbuf_printf(&crules, "\t\tip dscp set %u\n", c->set_dscp);
			for (size_t k = 0; k < nk; k++) {
				uint16_t cminor = 0;
				for (int q = 0; q < pl->n; q++)
					if (pl->c[q].pc == cc[k] ||
					    (pl->c[q].parent == minor &&
					     !strcmp(pl->c[q].pc->name, cc[k]->name)))
						cminor = pl->c[q].minor;
				char cact[40];
				qname(cact, sizeof(cact), "qa_", cscope, cc[k]->name, "", cminor);
				w_action(chains, cnt, cact, cc[k], cscope, cminor, true);
				if (!strcmp(cc[k]->name, "class-default")) {
					sbuf_printf(&crules, "\t\tgoto %s\n", cact);
					continue;
				}
				const struct cfg_class_map *cm = cfg_find_class_map(m, cc[k]->name);
				if (cm && w_class_rules(&crules, chains, m, cm, cact, cscope, err,
							errlen) < 0) {
					sbuf_free(&crules);
					sbuf_free(&rules);
					return -EINVAL;
				}
			}
			sbuf_printf(chains, "\tchain %s {\n%s\t}\n", act, crules.buf ? crules.buf : "");
			sbuf_free(&crules);
		} else {
			w_action(chains, cnt, act, c, scope, minor, output);
		}
		if (!strcmp(c->name, "class-default")) {
			sbuf_printf(&rules, "\t\tgoto %s\n", act);
			continue;
		}
		const struct cfg_class_map *cm = cfg_find_class_map(m, c->name);
		if (cm && w_class_rules(&rules, chains, m, cm, act, scope, err, errlen) < 0) {
			sbuf_free(&rules);
			return -EINVAL;
		}
	}
	sbuf_printf(chains, "\tchain %s {\n%s\t}\n", top, rules.buf ? rules.buf : "");
	sbuf_free(&rules);
	return 0;
}

/* The whole table for m, and each interface's output plan. */
static int build(const struct cfg_model *m, struct sbuf *out, char *err, size_t errlen)
{
	struct sbuf cnt = {0}, chains = {0}, pre = {0}, post = {0};
	int rc = 0;
	for (size_t i = 0; i < m->n_interface && rc == 0; i++) {
		const struct cfg_interface *x = &m->interface[i];
		for (int dir = 0; dir < 2 && rc == 0; dir++) {
			const char *pname = dir ? x->sp_out : x->sp_in;
			if (!pname[0])
				continue;
			const struct cfg_policy_map *p = cfg_find_policy_map(m, pname);
			if (!p) {
				snprintf(err, errlen, "policy-map %s is not defined", pname);
				rc = -EINVAL;
				break;
			}
			struct qplan pl;
			memset(&pl, 0, sizeof(pl));
			if (dir && (rc = plan_output(&pl, m, p, err, errlen)) < 0)
				break;
			char top[40];
			qname(top, sizeof(top), dir ? "qo_" : "qi_", x->name, p->name, "", 0);
			rc = w_policy(&chains, &cnt, m, p, &pl, x->name, dir, top, err, errlen);
			sbuf_printf(dir ? &post : &pre, "\t\t%s \"%s\" jump %s\n",
				    dir ? "oifname" : "iifname", cfg_linux_ifname(m, x->name), top);
		}
	}
	if (rc == 0 && chains.buf) {
		sbuf_printf(out, "table ip vtid_qos {\n%s%s", cnt.buf ? cnt.buf : "", chains.buf);
		sbuf_printf(out,
			    "\tchain in {\n\t\ttype filter hook prerouting priority -140; policy "
			    "accept;\n%s\t}\n",
			    pre.buf ? pre.buf : "");
		sbuf_printf(out,
			    "\tchain out {\n\t\ttype filter hook postrouting priority 0; policy "
			    "accept;\n%s\t}\n}\n",
			    post.buf ? post.buf : "");
	}
	sbuf_free(&cnt);
	sbuf_free(&chains);
	sbuf_free(&pre);
	sbuf_free(&post);
	return rc;
}

/* ---- tc through libnl-route ---- */
static int tc_err(int nlerr)
{
	return nlerr == -NLE_OBJ_NOTFOUND ? -ENOENT : nlerr == -NLE_PERM ? -EPERM : -EINVAL;
}

static int root_del(struct qos_engine *q, int ifindex)
{
	struct rtnl_qdisc *qd = rtnl_qdisc_alloc();
	if (!qd)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(qd), ifindex);
	rtnl_tc_set_parent(TC_CAST(qd), TC_H_ROOT);
	int rc = rtnl_qdisc_delete(q->sk, qd);
	rtnl_qdisc_put(qd);
	return rc < 0 ? tc_err(rc) : 0;
}

static int add_leaf(struct qos_engine *q, int ifindex, const struct qcls *c)
{
	struct rtnl_qdisc *qd = rtnl_qdisc_alloc();
	if (!qd)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(qd), ifindex);
	rtnl_tc_set_parent(TC_CAST(qd), TC_HANDLE(1, c->minor));
	rtnl_tc_set_handle(TC_CAST(qd), TC_HANDLE(c->minor + 1u, 0));
	if (c->fq && q->have_sfq == 1) {
		rtnl_tc_set_kind(TC_CAST(qd), "sfq");
		rtnl_sfq_set_limit(qd, (int)c->limit);
	} else {
		rtnl_tc_set_kind(TC_CAST(qd), "pfifo");
		rtnl_qdisc_fifo_set_limit(qd, (int)c->limit);
	}
	int rc = rtnl_qdisc_add(q->sk, qd, NLM_F_CREATE);
	rtnl_qdisc_put(qd);
	return rc < 0 ? tc_err(rc) : 0;
}

static int add_class(struct qos_engine *q, int ifindex, uint16_t parent, uint16_t minor,
		     uint64_t rate_bps, uint64_t ceil_bps, uint32_t prio, uint32_t burst)
{
	struct rtnl_class *cl = rtnl_class_alloc();
	if (!cl)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(cl), ifindex);
	rtnl_tc_set_parent(TC_CAST(cl), TC_HANDLE(1, parent));
	rtnl_tc_set_handle(TC_CAST(cl), TC_HANDLE(1, minor));
	rtnl_tc_set_kind(TC_CAST(cl), "htb");
	rtnl_htb_set_rate64(cl, rate_bps / 8);
	rtnl_htb_set_ceil64(cl, ceil_bps / 8);
	rtnl_htb_set_prio(cl, prio);
	if (burst) {
		rtnl_htb_set_rbuffer(cl, burst);
		rtnl_htb_set_cbuffer(cl, burst);
	}
	/* A quantum of about 10 ms at the rate, within what HTB likes. */
	uint64_t quantum = rate_bps / 8 / 100;
	rtnl_htb_set_quantum(cl, (uint32_t)(quantum < 1600 ? 1600 : quantum > 60000 ? 60000 : quantum));
	int rc = rtnl_class_add(q->sk, cl, NLM_F_CREATE);
	rtnl_class_put(cl);
	return rc < 0 ? tc_err(rc) : 0;
}

/* Root HTB and every class; replaces whatever the device had.  The old
 * root goes first: an HTB replaced in place keeps its classes, and a new
 * plan's leaf could land on what is now an inner class. */
static int tc_program(struct qos_engine *q, int ifindex, const struct qplan *pl)
{
	root_del(q, ifindex);
	struct rtnl_qdisc *qd = rtnl_qdisc_alloc();
	if (!qd)
		return -ENOMEM;
	rtnl_tc_set_ifindex(TC_CAST(qd), ifindex);
	rtnl_tc_set_parent(TC_CAST(qd), TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(qd), TC_HANDLE(1, 0));
	rtnl_tc_set_kind(TC_CAST(qd), "htb");
	rtnl_htb_set_defcls(qd, TC_HANDLE(1, pl->defcls));
	int rc = rtnl_qdisc_add(q->sk, qd, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(qd);
	if (rc < 0)
		return tc_err(rc);
	int err = add_class(q, ifindex, 0, QOS_ROOT_MINOR, QOS_ROOT_BPS, QOS_ROOT_BPS, 0, 0);
	/* parents before children: plan order is parent i, then its children */
	for (int i = 0; i < pl->n && err == 0; i++) {
		const struct qcls *c = &pl->c[i];
		err = add_class(q, ifindex, c->parent, c->minor, c->rate_bps, c->ceil_bps, c->prio,
				c->burst);
		if (err == 0 && c->leaf)
			err = add_leaf(q, ifindex, c);
	}
	return err;
}

/* Which leaf qdiscs this kernel has, tried once on a veth pair of our own. */
static void probe_kernel(struct qos_engine *q)
{
	if (q->have_sfq >= 0)
		return;
	q->have_sfq = q->have_fq_codel = 0;
	char name[IFNAMSIZ];
	snprintf(name, sizeof(name), "vtidqp%d", (int)getpid() % 100000);
	struct rtnl_link *veth = rtnl_link_veth_alloc();
	if (!veth)
		return;
	rtnl_link_set_name(veth, name);
	if (rtnl_link_add(q->sk, veth, NLM_F_CREATE | NLM_F_EXCL) < 0) {
		rtnl_link_put(veth);
		return;
	}
	int ifindex = (int)if_nametoindex(name);
	const char *kinds[] = {"sfq", "fq_codel"};
	int *have[] = {&q->have_sfq, &q->have_fq_codel};
	for (int k = 0; k < 2 && ifindex > 0; k++) {
		struct rtnl_qdisc *qd = rtnl_qdisc_alloc();
		rtnl_tc_set_ifindex(TC_CAST(qd), ifindex);
		rtnl_tc_set_parent(TC_CAST(qd), TC_H_ROOT);
		rtnl_tc_set_handle(TC_CAST(qd), TC_HANDLE(1, 0));
		rtnl_tc_set_kind(TC_CAST(qd), kinds[k]);
		*have[k] = rtnl_qdisc_add(q->sk, qd, NLM_F_CREATE | NLM_F_REPLACE) == 0;
		rtnl_qdisc_put(qd);
	}
	rtnl_link_delete(q->sk, veth);
	rtnl_link_put(veth);
	log_info("qos: kernel queueing: htb yes, sfq %s, fq_codel %s", q->have_sfq ? "yes" : "no",
		 q->have_fq_codel ? "yes" : "no");
}

/* ---- apply ---- */
static struct qif *qif_find(struct qos_engine *q, const char *name)
{
	for (int i = 0; i < q->n_ifs; i++)
		if (!strcmp(q->ifs[i].name, name))
			return &q->ifs[i];
	return NULL;
}

int qos_check(struct qos_engine *q, const struct cfg_model *m, char *err, size_t errlen)
{
	struct sbuf body = {0};
	int rc = build(m, &body, err, errlen);
	for (size_t i = 0; rc == 0 && i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		const struct cfg_policy_map *p = x->sp_out[0] ? cfg_find_policy_map(m, x->sp_out) : NULL;
		if (!p)
			continue;
		struct qplan pl;
		if ((rc = plan_output(&pl, m, p, err, errlen)) < 0)
			break;
		for (int k = 0; k < pl.n; k++) {
			if (!pl.c[k].fq)
				continue;
			probe_kernel(q);
			if (q->have_sfq != 1) {
				char at[24];
				snprintf(err, errlen,
					 "%spolicy-map %s class %s: fair-queue needs SFQ in the "
					 "kernel, which this kernel does not have",
					 at_line(pl.c[k].pc->fq_pos.line ? pl.c[k].pc->fq_pos.line
									 : pl.c[k].pc->pos.line,
						 at),
					 pl.c[k].policy, pl.c[k].pc->name);
				rc = -ENOTSUP;
				break;
			}
		}
	}
	if (rc == 0) {
		char msg[512];
		rc = nftt_apply(q->nft, body.buf ? body.buf : "", true, msg, sizeof(msg));
		if (rc < 0)
			snprintf(err, errlen, "QoS not applied, the kernel refused the classification: %s",
				 msg);
	}
	sbuf_free(&body);
	return rc;
}

int qos_commit(struct qos_engine *q, const struct cfg_model *m)
{
	char err[512];
	struct sbuf body = {0};
	int rc = build(m, &body, err, sizeof(err));
	uint64_t h = body.buf ? nftt_hash(0, body.buf, body.len) : 0;
	if (rc == 0)
		rc = nftt_apply(q->nft, body.buf ? body.buf : "", false, err, sizeof(err));
	sbuf_free(&body);
	if (rc == 0 && h != q->body_hash) {
		/* other classes now: their averages start over */
		q->n_rates = 0;
		q->body_hash = h;
	}
	if (rc < 0) {
		log_err("qos: classification not applied: %s", err);
		return rc;
	}
	q->model = m;
	/* interfaces that no longer have an output policy get the kernel's default */
	for (int i = 0; i < q->n_ifs; i++) {
		const struct cfg_interface *x = cfg_find_interface(m, q->ifs[i].name);
		if (x && x->sp_out[0])
			continue;
		int idx = (int)if_nametoindex(q->ifs[i].name);
		if (idx > 0 && idx == q->ifs[i].ifindex)
			root_del(q, idx);
		q->ifs[i--] = q->ifs[--q->n_ifs];
	}
	int result = 0;
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		const struct cfg_policy_map *p = x->sp_out[0] ? cfg_find_policy_map(m, x->sp_out) : NULL;
		if (!p)
			continue;
		int idx = (int)if_nametoindex(cfg_linux_ifname(m, x->name));
		if (idx <= 0)
			continue; /* no device yet: done when it appears (qos_commit again) */
		struct qplan pl;
		if (plan_output(&pl, m, p, err, sizeof(err)) < 0)
			continue;
		uint64_t sig = plan_sig(&pl, idx);
		struct qif *f = qif_find(q, x->name);
		if (f && f->ifindex == idx && f->sig == sig)
			continue;
		int e = tc_program(q, idx, &pl);
		if (e < 0) {
			log_err("qos: %s: service-policy output %s not built: %s", x->name, p->name,
				strerror(-e));
			result = e;
			continue;
		}
		if (!f && q->n_ifs < QOS_MAX_IFS)
			f = &q->ifs[q->n_ifs++];
		if (f && snprintf(f->name, sizeof(f->name), "%s", x->name) < (int)sizeof(f->name)) {
			f->ifindex = idx;
			f->sig = sig;
		}
		log_info("qos: %s: service-policy output %s in force", x->name, p->name);
	}
	if (!loop_timer_armed(&q->sampler) && q->loop)
		loop_timer_arm(q->loop, &q->sampler, QOS_SAMPLE_MS);
	return result;
}

/* ---- show policy-map interface ---- */
struct tcstat {
	uint64_t packets, bytes, drops, overlimits, qlen;
	bool found;
};

static struct tcstat class_stat(struct nl_cache *classes, int ifindex, uint16_t minor)
{
	struct tcstat s = {0};
	struct rtnl_class *cl = classes ? rtnl_class_get(classes, ifindex, TC_HANDLE(1, minor)) : NULL;
	if (!cl)
		return s;
	s.found = true;
	s.packets = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_PACKETS);
	s.bytes = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_BYTES);
	s.drops = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_DROPS);
	s.overlimits = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_OVERLIMITS);
	s.qlen = rtnl_tc_get_stat(TC_CAST(cl), RTNL_TC_QLEN);
	rtnl_class_put(cl);
	return s;
}

static struct qrate *rate_of(struct qos_engine *q, const char *key)
{
	for (int i = 0; i < q->n_rates; i++)
		if (!strcmp(q->rates[i].key, key))
			return &q->rates[i];
	return NULL;
}

/* 30 s exponential average from samples every 5 s: alpha = 1 - e^(-5/30). */
static void rate_feed(struct qos_engine *q, const char *key, uint64_t bytes, uint64_t drops,
		      uint64_t now)
{
	struct qrate *r = rate_of(q, key);
	if (!r) {
		if (q->n_rates >= QOS_MAX_RATES)
			return;
		r = &q->rates[q->n_rates++];
		memset(r, 0, sizeof(*r));
		snprintf(r->key, sizeof(r->key), "%s", key);
		r->bytes = bytes;
		r->drops = drops;
		r->at_ms = now;
		return;
	}
	if (now <= r->at_ms)
		return;
	double dt = (double)(now - r->at_ms) / 1000.0, a = 0.1535;
	double bps = bytes >= r->bytes ? (double)(bytes - r->bytes) * 8 / dt : 0;
	double dps = drops >= r->drops ? (double)(drops - r->drops) * 8 / dt : 0;
	r->bps = r->bps + a * (bps - r->bps);
	r->drop_bps = r->drop_bps + a * (dps - r->drop_bps);
	r->bytes = bytes;
	r->drops = drops;
	r->at_ms = now;
}

static struct json_object *show_class(struct qos_engine *q, struct json_object *listing,
				      struct nl_cache *classes, int ifindex,
				      const struct cfg_model *m, const struct cfg_pm_class *c,
				      const char *scope, uint16_t minor, bool output,
				      const struct qplan *pl, bool sample, uint64_t now);

static struct json_object *show_policy(struct qos_engine *q, struct json_object *listing,
				       struct nl_cache *classes, int ifindex,
				       const struct cfg_model *m, const struct cfg_policy_map *p,
				       const char *scope, uint16_t parent_minor, bool output,
				       const struct qplan *pl, bool sample, uint64_t now)
{
	const struct cfg_pm_class *cls[QOS_MAX_CLASSES];
	struct cfg_pm_class implicit;
	size_t n = pm_classes(p, cls, QOS_MAX_CLASSES / 2, &implicit);
	struct json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		uint16_t minor = (uint16_t)(0x10 + i);
		if (parent_minor) {
			minor = 0;
			for (int k = 0; k < pl->n; k++)
				if (pl->c[k].parent == parent_minor &&
				    !strcmp(pl->c[k].pc->name, cls[i]->name))
					minor = pl->c[k].minor;
		}
		json_object_array_add(arr, show_class(q, listing, classes, ifindex, m, cls[i],
						      scope, minor, output, pl, sample, now));
	}
	return arr;
}

static const char *match_text(const struct cfg_model *m, const char *cls, char *buf, size_t len)
{
	const struct cfg_class_map *cm = cfg_find_class_map(m, cls);
	size_t off = 0;
	buf[0] = '\0';
	if (!cm)
		return "any";
	for (size_t i = 0; i < cm->n_m && off + 1 < len; i++) {
		const struct cfg_cm_match *x = &cm->m[i];
		const char *sep = i ? "; " : "";
		switch (x->type) {
		case CFG_CM_ANY:
			off += (size_t)snprintf(buf + off, len - off, "%sany", sep);
			break;
		case CFG_CM_ACL:
			off += (size_t)snprintf(buf + off, len - off, "%saccess-group %s%s", sep,
						x->acl[0] >= '0' && x->acl[0] <= '9' ? "" : "name ",
						x->acl);
			break;
		case CFG_CM_PROTO: {
			const char *pn = x->proto == 0	   ? "ip"
					 : x->proto == 1   ? "icmp"
					 : x->proto == 6   ? "tcp"
					 : x->proto == 17  ? "udp"
					 : x->proto == 47  ? "gre"
					 : x->proto == 89  ? "ospf"
							   : NULL;
			if (pn)
				off += (size_t)snprintf(buf + off, len - off, "%sprotocol %s", sep, pn);
			else
				off += (size_t)snprintf(buf + off, len - off, "%sprotocol %u", sep,
							x->proto);
			break;
		}
		case CFG_CM_DSCP:
			/* IOS: "dscp ef (46)" */
			off += (size_t)snprintf(buf + off, len - off, "%sdscp", sep);
			for (int k = 0; k < x->n_dscp && off + 1 < len; k++) {
				char nb[4];
				const char *nm = cfg_dscp_name(x->dscp[k], nb);
				if (nm[0] >= '0' && nm[0] <= '9')
					off += (size_t)snprintf(buf + off, len - off, " %u", x->dscp[k]);
				else
					off += (size_t)snprintf(buf + off, len - off, " %s (%u)", nm,
								x->dscp[k]);
			}
			break;
		case CFG_CM_PREC:
			off += (size_t)snprintf(buf + off, len - off, "%sprecedence", sep);
			for (int k = 0; k < x->n_dscp && off + 1 < len; k++)
				off += (size_t)snprintf(buf + off, len - off, " %u", x->dscp[k]);
			break;
		}
	}
	return buf;
}

static struct json_object *show_class(struct qos_engine *q, struct json_object *listing,
				      struct nl_cache *classes, int ifindex,
				      const struct cfg_model *m, const struct cfg_pm_class *c,
				      const char *scope, uint16_t minor, bool output,
				      const struct qplan *pl, bool sample, uint64_t now)
{
	struct json_object *o = json_object_new_object();
	const struct cfg_class_map *cm = cfg_find_class_map(m, c->name);
	char cn[40], pn[40], mt[256];
	qname(cn, sizeof(cn), "qc_", scope, c->name, "class", minor);
	qname(pn, sizeof(pn), "qp_", scope, c->name, "police", minor);
	int64_t pkts = nftt_counter(listing, cn, false), bytes = nftt_counter(listing, cn, true);
	int64_t pdrops = nftt_counter(listing, pn, false), pdrop_bytes = nftt_counter(listing, pn, true);
	struct tcstat ts = output ? class_stat(classes, ifindex, minor) : (struct tcstat){0};
	json_object_object_add(o, "class", json_object_new_string(c->name));
	json_object_object_add(o, "match_any",
			       json_object_new_boolean(!cm || cm->match_any ||
						       !strcmp(c->name, "class-default")));
	json_object_object_add(o, "match", json_object_new_string(match_text(m, c->name, mt, sizeof(mt))));
	/* On output the HTB class counts what it saw, segments of GSO packets
	 * one by one as IOS would; what policing dropped before never got
	 * there.  On input only the classification counters exist. */
	int64_t seen_pkts = ts.found ? (int64_t)ts.packets + (int64_t)ts.drops + pdrops : pkts;
	int64_t seen_bytes = ts.found ? (int64_t)ts.bytes + pdrop_bytes : bytes;
	int64_t avg = seen_pkts ? seen_bytes / seen_pkts : 0;
	int64_t drop_bytes = pdrop_bytes + (int64_t)ts.drops * avg;
	json_object_object_add(o, "packets", json_object_new_int64(seen_pkts));
	json_object_object_add(o, "bytes", json_object_new_int64(seen_bytes));
	json_object_object_add(o, "drops", json_object_new_int64(pdrops + (int64_t)ts.drops));
	if (sample)
		rate_feed(q, cn, (uint64_t)seen_bytes, (uint64_t)drop_bytes, now);
	struct qrate *r = rate_of(q, cn);
	json_object_object_add(o, "offered_rate_bps", json_object_new_int64(r ? (int64_t)r->bps : 0));
	json_object_object_add(o, "drop_rate_bps", json_object_new_int64(r ? (int64_t)r->drop_bps : 0));
	if (output && ts.found) {
		const struct qcls *qc = NULL;
		for (int k = 0; pl && k < pl->n; k++)
			if (pl->c[k].minor == minor)
				qc = &pl->c[k];
		struct json_object *qo = json_object_new_object();
		json_object_object_add(qo, "queue_limit", json_object_new_int64(qc ? qc->limit : 0));
		json_object_object_add(qo, "queue_depth", json_object_new_int64((int64_t)ts.qlen));
		json_object_object_add(qo, "total_drops", json_object_new_int64((int64_t)ts.drops));
		json_object_object_add(qo, "pkts_output", json_object_new_int64((int64_t)ts.packets));
		json_object_object_add(qo, "bytes_output", json_object_new_int64((int64_t)ts.bytes));
		json_object_object_add(qo, "htb_class", json_object_new_int64(minor));
		json_object_object_add(o, "queueing", qo);
	}
	if (c->priority) {
		json_object_object_add(o, "priority_kbps", json_object_new_int64(c->priority_kbps));
		if (c->priority_percent)
			json_object_object_add(o, "priority_percent",
					       json_object_new_int64(c->priority_percent));
	}
	if (c->bandwidth_kbps)
		json_object_object_add(o, "bandwidth_kbps", json_object_new_int64(c->bandwidth_kbps));
	if (c->bandwidth_percent)
		json_object_object_add(o, "bandwidth_percent",
				       json_object_new_int64(c->bandwidth_percent));
	if (c->bandwidth_remaining)
		json_object_object_add(o, "bandwidth_remaining_percent",
				       json_object_new_int64(c->bandwidth_remaining));
	if (c->shape_bps)
		json_object_object_add(o, "shape_average_bps", json_object_new_int64((int64_t)c->shape_bps));
	if (c->police_bps) {
		json_object_object_add(o, "police_cir_bps", json_object_new_int64((int64_t)c->police_bps));
		json_object_object_add(o, "police_exceeded", json_object_new_int64(pdrops));
	}
	if (c->has_set_dscp)
		json_object_object_add(o, "set_dscp", json_object_new_int64(c->set_dscp));
	const struct cfg_policy_map *child = c->child[0] ? cfg_find_policy_map(m, c->child) : NULL;
	if (child && output) {
		char cscope[QOS_CSCOPE];
		child_scope(cscope, scope, child->name);
		struct json_object *co = json_object_new_object();
		json_object_object_add(co, "policy", json_object_new_string(child->name));
		json_object_object_add(co, "classes",
				       show_policy(q, listing, classes, ifindex, m, child, cscope,
						   minor, true, pl, sample, now));
		json_object_object_add(o, "service_policy", co);
	}
	return o;
}

static struct json_object *show_all(struct qos_engine *q, const struct cfg_model *m,
				    const char *ifname, const char *dir, bool sample)
{
	struct json_object *listing = nftt_list(q->nft);
	struct json_object *arr = json_object_new_array();
	struct nl_cache *classes = NULL;
	uint64_t now = q->loop ? loop_now_ms(q->loop) : 0;
	for (size_t i = 0; m && i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		if ((!x->sp_in[0] && !x->sp_out[0]) || (ifname && strcasecmp(ifname, x->name)))
			continue;
		int idx = (int)if_nametoindex(cfg_linux_ifname(m, x->name));
		if (classes) {
			nl_cache_free(classes);
			classes = NULL;
		}
		if (idx > 0)
			rtnl_class_alloc_cache(q->sk, idx, &classes);
		struct json_object *o = json_object_new_object(), *pols = json_object_new_array();
		json_object_object_add(o, "interface", json_object_new_string(x->name));
		for (int d = 0; d < 2; d++) {
			const char *pname = d ? x->sp_out : x->sp_in;
			const char *dname = d ? "output" : "input";
			if (!pname[0] || (dir && strcmp(dir, dname)))
				continue;
			const struct cfg_policy_map *p = cfg_find_policy_map(m, pname);
			if (!p)
				continue;
			struct qplan pl;
			char err[256];
			memset(&pl, 0, sizeof(pl));
			if (d)
				plan_output(&pl, m, p, err, sizeof(err));
			char scope[QOS_SCOPE];
			scope_of(scope, x->name, d, p->name);
			struct json_object *po = json_object_new_object();
			json_object_object_add(po, "direction", json_object_new_string(dname));
			json_object_object_add(po, "policy", json_object_new_string(p->name));
			json_object_object_add(po, "classes",
					       show_policy(q, listing, classes, idx, m, p, scope, 0,
							   d, &pl, sample, now));
			json_object_array_add(pols, po);
		}
		json_object_object_add(o, "policies", pols);
		json_object_array_add(arr, o);
	}
	if (classes)
		nl_cache_free(classes);
	json_object_put(listing);
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "interfaces", arr);
	return o;
}

struct json_object *qos_show(struct qos_engine *q, const struct cfg_model *m, const char *ifname,
			     const char *dir)
{
	return show_all(q, m, ifname, dir, false);
}

static void sample(void *arg)
{
	struct qos_engine *q = arg;
	if (!q->model || !q->nft)
		return;
	json_object_put(show_all(q, q->model, NULL, NULL, true));
	loop_timer_arm(q->loop, &q->sampler, QOS_SAMPLE_MS);
}

/* ---- life ---- */
struct qos_engine *qos_engine_new(struct loop *loop)
{
	struct qos_engine *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->loop = loop;
	q->have_sfq = q->have_fq_codel = -1;
	loop_timer_init(&q->sampler, sample, q);
	q->nft = nftt_new("ip vtid_qos");
	q->sk = nl_socket_alloc();
	if (!q->nft || !q->sk || nl_connect(q->sk, NETLINK_ROUTE) < 0) {
		qos_engine_free(q);
		return NULL;
	}
	return q;
}

void qos_engine_free(struct qos_engine *q)
{
	if (!q)
		return;
	loop_timer_cancel(&q->sampler);
	/* plain interfaces get the kernel's default qdisc back; tunnel
	 * devices go with vtid anyway */
	for (int i = 0; q->sk && i < q->n_ifs; i++) {
		int idx = (int)if_nametoindex(q->ifs[i].name);
		if (idx > 0 && idx == q->ifs[i].ifindex)
			root_del(q, idx);
	}
	nftt_free(q->nft);
	if (q->sk)
		nl_socket_free(q->sk);
	free(q);
}
