/* acl.c: IOS access lists, enforced by the kernel through libnftables.
 *
 * One table of vtid's own, `ip vtid` (IPv4, as `ip access-list`), built
 * whole from the configuration:
 *
 *   chain in    hook prerouting, priority -150 (before any DNAT):
 *               iifname "Tunnel1" jump acl_NAME        (ip access-group NAME in)
 *   chain out   hook forward, priority 0:
 *               oifname "Tunnel1" jump acl_NAME        (ip access-group NAME out)
 *   chain acl_NAME   one rule per entry, first match wins, each with a
 *               named counter, and the implicit `deny ip any any` last
 *               (none in a list without entries, which IOS lets all through)
 *
 * IOS semantics: an inbound ACL on a tunnel sees the decrypted packets
 * coming out of it, routing protocol packets to the router included (a
 * deny-all drops OSPF, as on IOS); an outbound ACL sees packets routed into
 * the tunnel, not the router's own (hook forward, not output).  A permit
 * accepts in vtid's table only: the user's own tables still see the packet
 * and may drop it; vtid never touches them.
 *
 * Fragments, as IOS: an entry with `fragments` matches non-initial
 * fragments only; an entry with layer-4 fields (ports, ICMP type,
 * `established`) cannot judge a non-initial fragment, so a deny skips it
 * (nftables' transport matches fail on such fragments) and a permit
 * admits it when the layer-3 fields match (an extra rule).
 *
 * Every change is one nftables transaction: the table's rules are flushed
 * and written again, chains and counters no longer named are deleted, and
 * counters still named are kept (they are named by a hash of ACL, sequence
 * and match, so an edit resets only the entries it changes).  The kernel
 * moves from the old rules to the new at once: no moment where an interface
 * is open or closed by accident.  No access-group at all: no table.
 *
 * `log` entries send the packet's headers to NFLOG group ACL_NFLOG_GROUP,
 * which vtid reads and turns into IOS's %SEC-6-IPACCESSLOG* lines, at most
 * one per entry per second: the packets held back in between are reported
 * a second later in one line (with the last one's addresses), so the counts
 * in the log add up to the matches. */
#include "vtid/acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <netlink/netfilter/log.h>
#include <netlink/netfilter/log_msg.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "conf/conf.h"
#include "lib/log.h"
#include "lib/loop.h"
#include "vtid/nft.h"
#include "vtid/show.h"

enum {
	ACL_NFLOG_GROUP = 3166, /* "vtid" on a phone keypad, less the d */
	ACL_LOG_EVERY_MS = 1000,
	ACL_MAX_LOGGED = 256, /* entries with `log` tracked for the rate limit */
};

struct acl_logged {
	char counter[24];
	char acl[CFG_NAME_MAX];
	uint32_t seq;
	bool permit, standard;
	uint64_t last_ms;
	uint64_t pending; /* packets since the last line */
	uint8_t pkt[64];  /* the last of them, for the summary line */
	int pkt_len;
};

struct acl_engine {
	struct nftt *nft; /* table ip vtid */
	struct loop *loop;
	struct nl_sock *nflog;
	struct loop_timer log_timer; /* reports what the rate limit held back */
	struct acl_logged logged[ACL_MAX_LOGGED];
	size_t n_logged;
};

/* ---- naming ---- */
/* A counter's name: a hash of ACL, sequence, action and match, so an
 * unchanged entry keeps its counter across rebuilds and a changed one
 * starts from zero. */
static void counter_name(const char *acl, uint32_t seq, const char *rule, char out[24])
{
	uint64_t h = nftt_hash(0, acl, strlen(acl) + 1);
	h = nftt_hash(h, &seq, sizeof(seq));
	h = nftt_hash(h, rule, strlen(rule));
	snprintf(out, 24, "c%016llx", (unsigned long long)h);
}

/* Chain names are nftables identifiers; an ACL name that is not one is
 * hashed. */
static void chain_name(const char *acl, char out[40])
{
	bool plain = true;
	for (const char *p = acl; *p; p++)
		plain &= (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			 (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
	if (plain && strlen(acl) < 32)
		snprintf(out, 40, "acl_%s", acl);
	else
		snprintf(out, 40, "acl_x%016llx",
			 (unsigned long long)nftt_hash(0, acl, strlen(acl)));
}

/* ---- one entry as an nftables match ---- */
/* addr and wild as the model keeps them: network byte order. */
static void w_addr(struct sbuf *b, const char *dir, uint32_t addr, uint32_t wild)
{
	uint32_t mask = ~ntohl(wild), net = ntohl(addr) & mask;
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
	if (mask == 0)
		return; /* any */
	struct in_addr x = {htonl(net)}, y = {htonl(mask)};
	inet_ntop(AF_INET, &x, a, sizeof(a));
	inet_ntop(AF_INET, &y, m, sizeof(m));
	int len = 0;
	while (len < 32 && (mask & (0x80000000u >> len)))
		len++;
	if (len == 32)
		sbuf_printf(b, "ip %s %s ", dir, a);
	else if (len && mask == ~0u << (32 - len))
		sbuf_printf(b, "ip %s %s/%d ", dir, a, len);
	else
		sbuf_printf(b, "ip %s & %s == %s ", dir, m, a);
}

static void w_ports(struct sbuf *b, const char *l4, const char *dir, const struct cfg_acl_addr *s)
{
	switch (s->op) {
	case CFG_PORT_ANY:
		break;
	case CFG_PORT_EQ:
		sbuf_printf(b, "%s %s %u ", l4, dir, s->port1);
		break;
	case CFG_PORT_NEQ:
		sbuf_printf(b, "%s %s != %u ", l4, dir, s->port1);
		break;
	case CFG_PORT_LT:
		sbuf_printf(b, "%s %s < %u ", l4, dir, s->port1);
		break;
	case CFG_PORT_GT:
		sbuf_printf(b, "%s %s > %u ", l4, dir, s->port1);
		break;
	case CFG_PORT_RANGE:
		sbuf_printf(b, "%s %s %u-%u ", l4, dir, s->port1, s->port2);
		break;
	}
}

static bool has_l4(const struct cfg_acl_entry *e)
{
	return e->src.op != CFG_PORT_ANY || e->dst.op != CFG_PORT_ANY || e->established ||
	       e->has_icmp_type;
}

/* The layer-3 part of an entry (addresses, protocol, DSCP/precedence). */
static void w_l3(struct sbuf *b, const struct cfg_acl *a, const struct cfg_acl_entry *e)
{
	w_addr(b, "saddr", e->src.addr, e->src.wildcard);
	if (a->standard)
		return;
	w_addr(b, "daddr", e->dst.addr, e->dst.wildcard);
	if (e->proto)
		sbuf_printf(b, "ip protocol %u ", e->proto);
	if (e->has_dscp)
		sbuf_printf(b, "ip dscp %u ", e->dscp);
	if (e->has_prec)
		sbuf_printf(b, "@nh,8,3 %u ", e->prec);
}

static void w_match(struct sbuf *b, const struct cfg_acl *a, const struct cfg_acl_entry *e)
{
	w_l3(b, a, e);
	if (a->standard)
		return;
	if (e->fragments)
		sbuf_printf(b, "ip frag-off & 0x1fff != 0 ");
	const char *l4 = e->proto == 6 ? "tcp" : e->proto == 17 ? "udp" : NULL;
	if (l4) {
		w_ports(b, l4, "sport", &e->src);
		w_ports(b, l4, "dport", &e->dst);
	}
	if (e->established && e->proto == 6)
		sbuf_printf(b, "tcp flags & (ack|rst) != 0 ");
	if (e->proto == 1 && e->has_icmp_type) {
		sbuf_printf(b, "icmp type %u ", e->icmp_type);
		if (e->has_icmp_code)
			sbuf_printf(b, "icmp code %u ", e->icmp_code);
	}
}

void acl_entry_match(const struct cfg_acl *a, const struct cfg_acl_entry *e, struct sbuf *b)
{
	w_match(b, a, e);
}

/* An entry's match (into mt, may stay empty) and its counter's name. */
static void entry_rule(const struct cfg_acl *a, const struct cfg_acl_entry *e, struct sbuf *mt,
		       char cname[24])
{
	w_match(mt, a, e);
	struct sbuf id = {0};
	sbuf_printf(&id, "%s %s", e->action == CFG_ACL_PERMIT ? "accept" : "drop",
		    mt->buf ? mt->buf : "");
	counter_name(a->name, e->seq, id.buf ? id.buf : "", cname);
	sbuf_free(&id);
}

/* ---- building the whole table ---- */
static bool acl_used(const struct cfg_model *m, const char *name)
{
	for (size_t i = 0; i < m->n_interface; i++)
		if (!strcmp(m->interface[i].acl_in, name) || !strcmp(m->interface[i].acl_out, name))
			return true;
	return false;
}

/* IOS lets everything through a list with no permit or deny entry (as
 * through one that does not exist): no implicit deny then. */
static bool acl_empty(const struct cfg_acl *a)
{
	for (size_t i = 0; i < a->n_ent; i++)
		if (a->ent[i].action != CFG_ACL_REMARK)
			return false;
	return true;
}

/* Emits counters (into cnt) and rules (into rules) of one ACL's chain. */
static void w_acl_chain(struct sbuf *cnt, struct sbuf *rules, const struct cfg_acl *a)
{
	char chain[40], cname[24];
	chain_name(a->name, chain);
	sbuf_printf(rules, "\tchain %s {\n", chain);
	for (size_t i = 0; i < a->n_ent; i++) {
		const struct cfg_acl_entry *e = &a->ent[i];
		if (e->action == CFG_ACL_REMARK)
			continue;
		struct sbuf mt = {0};
		entry_rule(a, e, &mt, cname);
		const char *verdict = e->action == CFG_ACL_PERMIT ? "accept" : "drop";
		const char *match = mt.buf ? mt.buf : "";
		sbuf_printf(cnt, "\tcounter %s { }\n", cname);
		char logpart[64] = "";
		if (e->log)
			snprintf(logpart, sizeof(logpart), "log prefix \"%s\" group %d ", cname,
				 ACL_NFLOG_GROUP);
		sbuf_printf(rules, "\t\t%scounter name \"%s\" %s%s\n", match, cname, logpart,
			    verdict);
		if (e->action == CFG_ACL_PERMIT && !e->fragments && !a->standard && has_l4(e)) {
			struct sbuf l3 = {0};
			w_l3(&l3, a, e);
			sbuf_printf(rules, "\t\t%sip frag-off & 0x1fff != 0 counter name \"%s\" %saccept\n",
				    l3.buf ? l3.buf : "", cname, logpart);
			sbuf_free(&l3);
		}
		sbuf_free(&mt);
	}
	if (!acl_empty(a)) {
		counter_name(a->name, 0, "implicit deny", cname);
		sbuf_printf(cnt, "\tcounter %s { }\n", cname);
		sbuf_printf(rules, "\t\tcounter name \"%s\" drop\n", cname);
	}
	sbuf_printf(rules, "\t}\n");
}

/* The table's body for m; empty when no interface has an access-group. */
static void build(const struct cfg_model *m, struct sbuf *out)
{
	struct sbuf cnt = {0}, rules = {0}, in = {0}, fwd = {0};
	for (size_t i = 0; i < m->n_acl; i++)
		if (acl_used(m, m->acl[i].name))
			w_acl_chain(&cnt, &rules, &m->acl[i]);
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		char chain[40];
		if (x->acl_in[0]) {
			chain_name(x->acl_in, chain);
			sbuf_printf(&in, "\t\tiifname \"%s\" jump %s\n", cfg_linux_ifname(m, x->name), chain);
		}
		if (x->acl_out[0]) {
			chain_name(x->acl_out, chain);
			sbuf_printf(&fwd, "\t\toifname \"%s\" jump %s\n", cfg_linux_ifname(m, x->name), chain);
		}
	}
	if (rules.buf) {
		sbuf_printf(out, "table ip vtid {\n%s%s", cnt.buf ? cnt.buf : "", rules.buf);
		sbuf_printf(out,
			    "\tchain in {\n\t\ttype filter hook prerouting priority -150; policy "
			    "accept;\n%s\t}\n",
			    in.buf ? in.buf : "");
		sbuf_printf(out,
			    "\tchain out {\n\t\ttype filter hook forward priority 0; policy "
			    "accept;\n%s\t}\n}\n",
			    fwd.buf ? fwd.buf : "");
	}
	sbuf_free(&cnt);
	sbuf_free(&rules);
	sbuf_free(&in);
	sbuf_free(&fwd);
}

int acl_apply(struct acl_engine *a, const struct cfg_model *m, char *err, size_t errlen)
{
	struct sbuf body = {0};
	build(m, &body);
	if (body.failed) {
		sbuf_free(&body);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	char msg[512];
	int rc = nftt_apply(a->nft, body.buf ? body.buf : "", false, msg, sizeof(msg));
	if (rc < 0) {
		log_err("access lists: nftables refused the rules:\n%s", msg);
		snprintf(err, errlen, "access lists not applied, the kernel refused them: %s", msg);
	} else {
		/* Remember which counters log, for the NFLOG lines. */
		a->n_logged = 0;
		for (size_t i = 0; i < m->n_acl && a->n_logged < ACL_MAX_LOGGED; i++) {
			const struct cfg_acl *acl = &m->acl[i];
			for (size_t j = 0; j < acl->n_ent && a->n_logged < ACL_MAX_LOGGED; j++) {
				const struct cfg_acl_entry *e = &acl->ent[j];
				if (!e->log || e->action == CFG_ACL_REMARK)
					continue;
				struct sbuf mt = {0};
				struct acl_logged *l = &a->logged[a->n_logged++];
				memset(l, 0, sizeof(*l));
				entry_rule(acl, e, &mt, l->counter);
				snprintf(l->acl, sizeof(l->acl), "%s", acl->name);
				l->seq = e->seq;
				l->permit = e->action == CFG_ACL_PERMIT;
				l->standard = acl->standard;
				sbuf_free(&mt);
			}
		}
	}
	sbuf_free(&body);
	return rc;
}

/* ---- counters and show ---- */
static struct json_object *show_one(struct json_object *listing, const struct cfg_acl *acl)
{
	struct json_object *o = json_object_new_object(), *ents = json_object_new_array();
	json_object_object_add(o, "name", json_object_new_string(acl->name));
	json_object_object_add(o, "type",
			       json_object_new_string(acl->standard ? "standard" : "extended"));
	char cname[24], line[512];
	for (size_t j = 0; j < acl->n_ent; j++) {
		const struct cfg_acl_entry *e = &acl->ent[j];
		if (e->action == CFG_ACL_REMARK)
			continue;
		struct sbuf mt = {0};
		entry_rule(acl, e, &mt, cname);
		sbuf_free(&mt);
		cfg_acl_entry_text(acl, e, line, sizeof(line));
		struct json_object *x = json_object_new_object();
		json_object_object_add(x, "seq", json_object_new_int64(e->seq));
		json_object_object_add(
		    x, "action",
		    json_object_new_string(e->action == CFG_ACL_PERMIT ? "permit" : "deny"));
		json_object_object_add(x, "line", json_object_new_string(line));
		json_object_object_add(x, "matches",
				       json_object_new_int64(nftt_counter(listing, cname, false)));
		json_object_array_add(ents, x);
	}
	if (acl_empty(acl)) {
		json_object_object_add(o, "entries", ents);
		return o;
	}
	counter_name(acl->name, 0, "implicit deny", cname);
	struct json_object *x = json_object_new_object();
	json_object_object_add(x, "action", json_object_new_string("deny"));
	json_object_object_add(x, "line", json_object_new_string(acl->standard ? "deny any"
									     : "deny ip any any"));
	json_object_object_add(x, "implicit", json_object_new_boolean(1));
	json_object_object_add(x, "matches", json_object_new_int64(nftt_counter(listing, cname, false)));
	json_object_array_add(ents, x);
	json_object_object_add(o, "entries", ents);
	return o;
}

struct json_object *acl_show(struct acl_engine *a, const struct cfg_model *m, const char *name)
{
	struct json_object *listing = nftt_list(a->nft);
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; m && i < m->n_acl; i++)
		if (!name || !strcmp(name, m->acl[i].name))
			json_object_array_add(arr, show_one(listing, &m->acl[i]));
	json_object_object_add(o, "access_lists", arr);
	json_object_put(listing);
	return o;
}

int acl_clear(struct acl_engine *a, const struct cfg_model *m, const char *name)
{
	const struct cfg_acl *only = name ? cfg_find_acl(m, name) : NULL;
	if (name && !only)
		return -ENOENT;
	struct sbuf script = {0};
	char cname[24];
	for (size_t i = 0; i < m->n_acl; i++) {
		const struct cfg_acl *acl = &m->acl[i];
		if ((only && acl != only) || !acl_used(m, acl->name))
			continue;
		for (size_t j = 0; j <= acl->n_ent; j++) {
			if (j < acl->n_ent) {
				const struct cfg_acl_entry *e = &acl->ent[j];
				if (e->action == CFG_ACL_REMARK)
					continue;
				struct sbuf mt = {0};
				entry_rule(acl, e, &mt, cname);
				sbuf_free(&mt);
			} else {
				counter_name(acl->name, 0, "implicit deny", cname);
			}
			char want[40];
			snprintf(want, sizeof(want), "counter %s ", cname);
			if (nftt_applied_has(a->nft, want))
				sbuf_printf(&script, "reset counter %s %s\n", nftt_table(a->nft), cname);
		}
	}
	int rc = 0;
	if (script.buf) {
		char msg[256];
		rc = nftt_run(a->nft, script.buf, false, NULL, msg, sizeof(msg));
		if (rc < 0)
			log_err("clear access-list counters: %s", msg);
	}
	sbuf_free(&script);
	return rc;
}

/* ---- `log`: NFLOG group ACL_NFLOG_GROUP to IOS's log lines ---- */
static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* One %SEC-6-IPACCESSLOG* line from the packet's first bytes (IOS's
 * layout: P with ports, DP with ICMP type/code, NP for other protocols,
 * S for a standard list). */
static void log_packet(const struct acl_logged *l, const uint8_t *p, int len, uint64_t packets)
{
	if (len < 20 || (p[0] >> 4) != 4)
		return;
	size_t ihl = (size_t)(p[0] & 15) * 4;
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, p + 12, src, sizeof(src));
	inet_ntop(AF_INET, p + 16, dst, sizeof(dst));
	const char *verb = l->permit ? "permitted" : "denied";
	const char *unit = packets == 1 ? "packet" : "packets";
	bool first_frag = (((p[6] & 0x1f) << 8) | p[7]) == 0;
	uint8_t proto = p[9];
	if (l->standard) {
		log_notice("%%SEC-6-IPACCESSLOGS: list %s %s %s %llu %s", l->acl, verb, src,
			   (unsigned long long)packets, unit);
	} else if ((proto == 6 || proto == 17) && first_frag && (size_t)len >= ihl + 4) {
		log_notice("%%SEC-6-IPACCESSLOGP: list %s %s %s %s(%u) -> %s(%u), %llu %s", l->acl,
			   verb, proto == 6 ? "tcp" : "udp", src, p[ihl] << 8 | p[ihl + 1], dst,
			   p[ihl + 2] << 8 | p[ihl + 3], (unsigned long long)packets, unit);
	} else if (proto == 1 && first_frag && (size_t)len >= ihl + 2) {
		log_notice("%%SEC-6-IPACCESSLOGDP: list %s %s icmp %s -> %s (%u/%u), %llu %s",
			   l->acl, verb, src, dst, p[ihl], p[ihl + 1], (unsigned long long)packets,
			   unit);
	} else {
		log_notice("%%SEC-6-IPACCESSLOGNP: list %s %s %u %s -> %s, %llu %s", l->acl, verb,
			   proto, src, dst, (unsigned long long)packets, unit);
	}
}

static int on_nflog_msg(struct nl_msg *msg, void *arg)
{
	struct acl_engine *a = arg;
	struct nfnl_log_msg *lm = NULL;
	if (nfnlmsg_log_msg_parse(nlmsg_hdr(msg), &lm) < 0 || !lm)
		return NL_SKIP;
	const char *prefix = nfnl_log_msg_get_prefix(lm);
	int len = 0;
	const uint8_t *pkt = (const uint8_t *)nfnl_log_msg_get_payload(lm, &len);
	for (size_t i = 0; prefix && pkt && i < a->n_logged; i++) {
		struct acl_logged *l = &a->logged[i];
		if (strcmp(l->counter, prefix) != 0)
			continue;
		uint64_t now = mono_ms();
		l->pending++;
		l->pkt_len = len < (int)sizeof(l->pkt) ? len : (int)sizeof(l->pkt);
		memcpy(l->pkt, pkt, (size_t)l->pkt_len);
		if (!l->last_ms || now >= l->last_ms + ACL_LOG_EVERY_MS) {
			log_packet(l, pkt, len, l->pending);
			l->pending = 0;
			l->last_ms = now;
		} else if (!loop_timer_armed(&a->log_timer)) {
			loop_timer_arm(a->loop, &a->log_timer, l->last_ms + ACL_LOG_EVERY_MS - now);
		}
		break;
	}
	nfnl_log_msg_put(lm);
	return NL_OK;
}

/* Packets held back by the rate limit are reported a second after the
 * line before them, so the counts in the log add up. */
static void log_flush(void *arg)
{
	struct acl_engine *a = arg;
	uint64_t now = mono_ms(), next = 0;
	for (size_t i = 0; i < a->n_logged; i++) {
		struct acl_logged *l = &a->logged[i];
		if (!l->pending)
			continue;
		if (now >= l->last_ms + ACL_LOG_EVERY_MS) {
			log_packet(l, l->pkt, l->pkt_len, l->pending);
			l->pending = 0;
			l->last_ms = now;
		} else if (!next || l->last_ms + ACL_LOG_EVERY_MS < next) {
			next = l->last_ms + ACL_LOG_EVERY_MS;
		}
	}
	if (next)
		loop_timer_arm(a->loop, &a->log_timer, next - now);
}

static void on_nflog_readable(void *arg, int fd, uint32_t events)
{
	struct acl_engine *a = arg;
	(void)fd;
	(void)events;
	/* Non-blocking: returns once the socket is drained. */
	for (int i = 0; i < 64 && nl_recvmsgs_default(a->nflog) >= 0; i++)
		;
}

/* Listening on the group is best effort: without it `log` lines still
 * count, and vtid says once that it cannot log them. */
static void nflog_open(struct acl_engine *a)
{
	struct nfnl_log *cfg = NULL;
	a->nflog = nl_socket_alloc();
	if (!a->nflog)
		goto fail;
	nl_socket_disable_seq_check(a->nflog);
	nl_socket_disable_auto_ack(a->nflog);
	nl_socket_modify_cb(a->nflog, NL_CB_VALID, NL_CB_CUSTOM, on_nflog_msg, a);
	if (nl_connect(a->nflog, NETLINK_NETFILTER) < 0)
		goto fail;
	nfnl_log_pf_bind(a->nflog, AF_INET); /* refused by kernels that need none */
	cfg = nfnl_log_alloc();
	if (!cfg)
		goto fail;
	nfnl_log_set_group(cfg, ACL_NFLOG_GROUP);
	nfnl_log_set_copy_mode(cfg, NFNL_LOG_COPY_PACKET);
	nfnl_log_set_copy_range(cfg, 64);
	if (nfnl_log_create(a->nflog, cfg) < 0)
		goto fail;
	nfnl_log_put(cfg);
	nl_socket_set_nonblocking(a->nflog);
	if (loop_add_fd(a->loop, nl_socket_get_fd(a->nflog), EPOLLIN, on_nflog_readable, a) < 0)
		goto fail_sock;
	return;
fail:
	nfnl_log_put(cfg);
fail_sock:
	log_warn("access lists: cannot read NFLOG group %d: `log` entries count but are not "
		 "logged",
		 ACL_NFLOG_GROUP);
	nl_socket_free(a->nflog);
	a->nflog = NULL;
}

struct acl_engine *acl_engine_new(struct loop *loop)
{
	struct acl_engine *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->loop = loop;
	loop_timer_init(&a->log_timer, log_flush, a);
	a->nft = nftt_new("ip vtid");
	if (!a->nft) {
		acl_engine_free(a);
		return NULL;
	}
	if (loop)
		nflog_open(a);
	return a;
}

void acl_engine_free(struct acl_engine *a)
{
	if (!a)
		return;
	nftt_free(a->nft); /* removes table ip vtid */
	loop_timer_cancel(&a->log_timer);
	if (a->nflog) {
		if (a->loop)
			loop_del_fd(a->loop, nl_socket_get_fd(a->nflog));
		nl_socket_free(a->nflog);
	}
	free(a);
}
