/* write.c: the canonical printer (`show running-config`, `write memory`,
 * `vtid --check-config`).  One fixed order of blocks and of lines inside a
 * block, defaults left out, sub-mode lines indented one space per level,
 * `!` between blocks, `end` last — so parse -> print is a fixed point and
 * two equal models print the same text.  Pre-shared keys ARE printed (a
 * saved file must hold them); the buffer is wiped by cfg_buf_free. */
#include "conf/internal.h"
#include "lib/suite.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int cfg_buf_printf(struct cfg_buf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		size_t ncap = (b->cap ? b->cap * 2 : 4096) + (size_t)n;
		char *ns = malloc(ncap);
		if (!ns)
			return -ENOMEM;
		if (b->s) {
			memcpy(ns, b->s, b->len + 1);
			OPENSSL_cleanse(b->s, b->cap);
			free(b->s);
		}
		b->s = ns;
		b->cap = ncap;
	}
}

void cfg_buf_free(struct cfg_buf *b)
{
	if (!b)
		return;
	if (b->s) {
		OPENSSL_cleanse(b->s, b->cap);
		free(b->s);
	}
	memset(b, 0, sizeof(*b));
}

#define P(...)                                                                                     \
	do {                                                                                       \
		if (cfg_buf_printf(b, __VA_ARGS__) < 0)                                            \
			return -ENOMEM;                                                            \
	} while (0)

static int write_identity(struct cfg_buf *b, const char *prefix, const struct cfg_identity *id)
{
	char a[16], k[16];
	switch (id->type) {
	case CFG_ID_ADDRESS:
		if (id->has_mask)
			P("%saddress %s %s\n", prefix, cfg_ip(id->addr, a), cfg_ip(id->mask, k));
		else
			P("%saddress %s\n", prefix, cfg_ip(id->addr, a));
		break;
	case CFG_ID_FQDN:
		P("%sfqdn %s\n", prefix, id->str);
		break;
	case CFG_ID_KEYID:
		P("%skey-id %s\n", prefix, id->str);
		break;
	default:
		break;
	}
	return 0;
}

static int write_crypto(const struct cfg_model *m, struct cfg_buf *b)
{
	char a[16], k[16];
	for (size_t i = 0; i < m->n_proposal; i++) {
		const struct cfg_proposal *p = &m->proposal[i];
		P("crypto ikev2 proposal %s\n", p->name);
		if (p->n_encr) {
			P(" encryption");
			for (int j = 0; j < p->n_encr; j++)
				P(" %s", p->encr[j]);
			P("\n");
		}
		if (p->n_integ) {
			P(" integrity");
			for (int j = 0; j < p->n_integ; j++)
				P(" %s", p->integ[j]);
			P("\n");
		}
		if (p->n_prf) {
			P(" prf");
			for (int j = 0; j < p->n_prf; j++)
				P(" %s", p->prf[j]);
			P("\n");
		}
		if (p->n_group) {
			P(" group");
			for (int j = 0; j < p->n_group; j++)
				P(" %u", p->group[j]);
			P("\n");
		}
		P("!\n");
	}
	for (size_t i = 0; i < m->n_policy; i++) {
		const struct cfg_policy *p = &m->policy[i];
		P("crypto ikev2 policy %s\n", p->name);
		if (p->match_fvrf_any)
			P(" match fvrf any\n");
		if (p->has_match_local)
			P(" match address local %s\n", cfg_ip(p->match_local, a));
		if (p->n_proposal) {
			P(" proposal");
			for (int j = 0; j < p->n_proposal; j++)
				P(" %s", p->proposal[j]);
			P("\n");
		}
		P("!\n");
	}
	for (size_t i = 0; i < m->n_keyring; i++) {
		const struct cfg_keyring *kr = &m->keyring[i];
		P("crypto ikev2 keyring %s\n", kr->name);
		for (size_t j = 0; j < kr->n_peer; j++) {
			const struct cfg_kr_peer *p = &kr->peer[j];
			P(" peer %s\n", p->name);
			if (p->description[0])
				P("  description %s\n", p->description);
			if (p->has_addr && p->has_mask)
				P("  address %s %s\n", cfg_ip(p->addr, a), cfg_ip(p->mask, k));
			else if (p->has_addr)
				P("  address %s\n", cfg_ip(p->addr, a));
			if (write_identity(b, "  identity ", &p->identity))
				return -ENOMEM;
			if (p->psk_local[0] && !strcmp(p->psk_local, p->psk_remote)) {
				P("  pre-shared-key %s\n", p->psk_local);
			} else {
				if (p->psk_local[0])
					P("  pre-shared-key local %s\n", p->psk_local);
				if (p->psk_remote[0])
					P("  pre-shared-key remote %s\n", p->psk_remote);
			}
		}
		P("!\n");
	}
	for (size_t i = 0; i < m->n_ike_profile; i++) {
		const struct cfg_ike_profile *p = &m->ike_profile[i];
		P("crypto ikev2 profile %s\n", p->name);
		if (p->description[0])
			P(" description %s\n", p->description);
		if (p->match_fvrf_any) /* IOS's place for it */
			P(" match fvrf any\n");
		for (int j = 0; j < p->n_match; j++)
			if (write_identity(b, " match identity remote ", &p->match[j]))
				return -ENOMEM;
		if (write_identity(b, " identity local ", &p->local_id))
			return -ENOMEM;
		if (p->auth_remote_psk)
			P(" authentication remote pre-share\n");
		if (p->auth_local_psk)
			P(" authentication local pre-share\n");
		if (p->keyring[0])
			P(" keyring local %s\n", p->keyring);
		if (p->lifetime != 86400)
			P(" lifetime %u\n", p->lifetime);
		if (p->dpd_interval)
			P(" dpd %u %u %s\n", p->dpd_interval, p->dpd_retry,
			  p->dpd_mode == CFG_DPD_ON_DEMAND ? "on-demand" : "periodic");
		if (p->nat_force_encap)
			P(" nat force-encap\n");
		P("!\n");
	}
	for (size_t i = 0; i < m->n_transform; i++) {
		const struct cfg_transform *t = &m->transform[i];
		const struct suite *e = suite_by_name(SUITE_ENCR, t->encr);
		const struct suite *h = suite_by_name(SUITE_INTEG, t->integ);
		P("crypto ipsec transform-set %s", t->name);
		/* The size word always, as IOS writes it ("esp-aes 128 ..."). */
		if (e && e->ios_ts)
			P(" %s", e->ios_ts);
		if (e && e->ios_ts && e->key_bits)
			P(" %u", e->key_bits);
		if (h && h->ios_ts)
			P(" %s", h->ios_ts);
		P("\n mode %s\n", t->transport ? "transport" : "tunnel");
		P("!\n");
	}
	for (size_t i = 0; i < m->n_ipsec_profile; i++) {
		const struct cfg_ipsec_profile *p = &m->ipsec_profile[i];
		P("crypto ipsec profile %s\n", p->name);
		if (p->lifetime_s != 3600)
			P(" set security-association lifetime seconds %u\n", p->lifetime_s);
		if (p->lifetime_kb_disable)
			P(" set security-association lifetime kilobytes disable\n");
		else if (p->lifetime_kb != 4608000)
			P(" set security-association lifetime kilobytes %llu\n",
			  (unsigned long long)p->lifetime_kb);
		if (p->replay_disable)
			P(" set security-association replay disable\n");
		else if (p->replay_window != CFG_REPLAY_DEFAULT)
			P(" set security-association replay window-size %u\n", p->replay_window);
		if (p->n_ts) {
			P(" set transform-set");
			for (int j = 0; j < p->n_ts; j++)
				P(" %s", p->ts[j]);
			P("\n");
		}
		if (p->pfs_group)
			P(" set pfs group%u\n", p->pfs_group);
		if (p->ike_profile[0])
			P(" set ikev2-profile %s\n", p->ike_profile);
		P("!\n");
	}
	return 0;
}

/* Crypto map entries, after the access lists they match, in IOS's order of
 * lines. */
static int write_cmaps(const struct cfg_model *m, struct cfg_buf *b)
{
	char a[16];
	for (size_t i = 0; i < m->n_cmap; i++) {
		const struct cfg_cmap_entry *e = &m->cmap[i];
		P("crypto map %s %u ipsec-isakmp\n", e->map, e->seq);
		if (e->description[0])
			P(" description %s\n", e->description);
		if (e->has_peer)
			P(" set peer %s\n", cfg_ip(e->peer, a));
		if (e->lifetime_s != 3600)
			P(" set security-association lifetime seconds %u\n", e->lifetime_s);
		if (e->lifetime_kb_disable)
			P(" set security-association lifetime kilobytes disable\n");
		else if (e->lifetime_kb != 4608000)
			P(" set security-association lifetime kilobytes %llu\n",
			  (unsigned long long)e->lifetime_kb);
		if (e->n_ts) {
			P(" set transform-set");
			for (int j = 0; j < e->n_ts; j++)
				P(" %s", e->ts[j]);
			P("\n");
		}
		if (e->pfs_group)
			P(" set pfs group%u\n", e->pfs_group);
		if (e->ike_profile[0])
			P(" set ikev2-profile %s\n", e->ike_profile);
		if (e->acl[0])
			P(" match address %s\n", e->acl);
		P("!\n");
	}
	return 0;
}

/* One side of an extended entry: " any", " host A", " A WILDCARD", then
 * its ports, by name where IOS has one. */
static int write_acl_side(struct cfg_buf *b, const struct cfg_acl_addr *s, uint8_t proto)
{
	char a[16], w[16], p1[6], p2[6];
	static const char *const ops[] = {"", "eq", "neq", "lt", "gt", "range"};
	if (s->wildcard == 0xffffffffu)
		P(" any");
	else if (s->wildcard == 0)
		P(" host %s", cfg_ip(s->addr, a));
	else
		P(" %s %s", cfg_ip(s->addr, a), cfg_ip(s->wildcard, w));
	if (s->op == CFG_PORT_RANGE)
		P(" range %s %s", cfg_acl_port_name(proto, s->port1, p1),
		  cfg_acl_port_name(proto, s->port2, p2));
	else if (s->op > CFG_PORT_ANY && s->op < CFG_PORT_RANGE)
		P(" %s %s", ops[s->op], cfg_acl_port_name(proto, s->port1, p1));
	return 0;
}

/* One entry as IOS prints it, without its sequence number.  Standard
 * entries print a host as its bare address, as IOS does.  The keywords
 * after the destination come in one order whatever order they were
 * typed in: ICMP message, established, precedence|dscp, fragments, log. */
static int write_acl_entry(struct cfg_buf *b, const struct cfg_acl *acl,
			   const struct cfg_acl_entry *e)
{
	char a[16], w[16], nb[4];
	if (e->action == CFG_ACL_REMARK) {
		P("remark %s", e->remark);
		return 0;
	}
	P("%s", e->action == CFG_ACL_PERMIT ? "permit" : "deny");
	if (acl->standard) {
		if (e->src.wildcard == 0xffffffffu)
			P(" any");
		else if (e->src.wildcard == 0)
			P(" %s", cfg_ip(e->src.addr, a));
		else
			P(" %s %s", cfg_ip(e->src.addr, a), cfg_ip(e->src.wildcard, w));
		if (e->log)
			P(" log");
		return 0;
	}
	P(" %s", cfg_acl_proto_name(e->proto, nb));
	if (write_acl_side(b, &e->src, e->proto) || write_acl_side(b, &e->dst, e->proto))
		return -ENOMEM;
	if (e->has_icmp_type) {
		const char *msg = cfg_acl_icmp_name(e->icmp_type, e->has_icmp_code, e->icmp_code);
		if (msg)
			P(" %s", msg);
		else if (e->has_icmp_code)
			P(" %u %u", e->icmp_type, e->icmp_code);
		else
			P(" %u", e->icmp_type);
	}
	if (e->established)
		P(" established");
	if (e->has_prec)
		P(" precedence %s", cfg_prec_name(e->prec));
	if (e->has_dscp)
		P(" dscp %s", cfg_dscp_name(e->dscp, nb));
	if (e->fragments)
		P(" fragments");
	if (e->log)
		P(" log");
	return 0;
}

/* A numbered list prints as IOS's global `access-list N ...` lines when
 * those lines read back as the same list: entries numbered 10, 20, 30...
 * Otherwise (other sequence numbers, or no entries) as a block with
 * sequence numbers, so printing then parsing keeps every number. */
static bool acl_as_lines(const struct cfg_acl *acl)
{
	if (!cfg_acl_numbered(acl->name) || acl->n_ent == 0)
		return false;
	for (size_t j = 0; j < acl->n_ent; j++)
		if (acl->ent[j].seq != 10 * (j + 1))
			return false;
	return true;
}

static int write_acls(const struct cfg_model *m, struct cfg_buf *b)
{
	for (size_t i = 0; i < m->n_acl; i++) {
		const struct cfg_acl *acl = &m->acl[i];
		bool lines = acl_as_lines(acl);
		if (!lines)
			P("ip access-list %s %s\n", acl->standard ? "standard" : "extended",
			  acl->name);
		for (size_t j = 0; j < acl->n_ent; j++) {
			if (lines)
				P("access-list %s ", acl->name);
			else
				P(" %u ", acl->ent[j].seq);
			if (write_acl_entry(b, acl, &acl->ent[j]))
				return -ENOMEM;
			P("\n");
		}
		P("!\n");
	}
	return 0;
}

static int write_class_map(const struct cfg_class_map *c, struct cfg_buf *b)
{
	char nb[4];
	P("class-map %s %s\n", c->match_any ? "match-any" : "match-all", c->name);
	for (size_t j = 0; j < c->n_m; j++) {
		const struct cfg_cm_match *x = &c->m[j];
		switch (x->type) {
		case CFG_CM_ANY:
			P(" match any\n");
			break;
		case CFG_CM_ACL:
			if (cfg_acl_numbered(x->acl))
				P(" match access-group %s\n", x->acl);
			else
				P(" match access-group name %s\n", x->acl);
			break;
		case CFG_CM_DSCP:
			P(" match dscp");
			for (int k = 0; k < x->n_dscp; k++)
				P(" %s", cfg_dscp_name(x->dscp[k], nb));
			P("\n");
			break;
		case CFG_CM_PREC:
			/* Numbers, as IOS prints them in a class-map. */
			P(" match precedence");
			for (int k = 0; k < x->n_dscp; k++)
				P(" %u", x->dscp[k] & 7u);
			P("\n");
			break;
		case CFG_CM_PROTO:
			P(" match protocol %s\n", cfg_acl_proto_name(x->proto, nb));
			break;
		}
	}
	P("!\n");
	return 0;
}

/* IOS's order inside a class: the queue's share, shaper, policer, marking,
 * queue length, fair queueing, child policy. */
static int write_pm_class(const struct cfg_pm_class *c, struct cfg_buf *b)
{
	char nb[4];
	P(" class %s\n", c->name);
	if (c->priority) {
		P("  priority");
		if (c->priority_percent)
			P(" percent %u", c->priority_percent);
		else if (c->priority_kbps)
			P(" %u", c->priority_kbps);
		if (c->priority_burst && (c->priority_percent || c->priority_kbps))
			P(" %u", c->priority_burst);
		P("\n");
	}
	if (c->bandwidth_kbps)
		P("  bandwidth %u\n", c->bandwidth_kbps);
	else if (c->bandwidth_percent)
		P("  bandwidth percent %u\n", c->bandwidth_percent);
	else if (c->bandwidth_remaining)
		P("  bandwidth remaining percent %u\n", c->bandwidth_remaining);
	if (c->shape_bps)
		P("  shape average %llu\n", (unsigned long long)c->shape_bps);
	if (c->police_bps) {
		P("  police cir %llu", (unsigned long long)c->police_bps);
		if (c->police_bc)
			P(" bc %u", c->police_bc);
		P("\n");
	}
	if (c->has_set_dscp)
		P("  set dscp %s\n", cfg_dscp_name(c->set_dscp, nb));
	if (c->queue_limit)
		P("  queue-limit %u packets\n", c->queue_limit);
	if (c->fair_queue)
		P("  fair-queue\n");
	if (c->child[0])
		P("  service-policy %s\n", c->child);
	return 0;
}

static int write_qos(const struct cfg_model *m, struct cfg_buf *b)
{
	if (write_acls(m, b) || write_cmaps(m, b))
		return -ENOMEM;
	for (size_t i = 0; i < m->n_class_map; i++)
		if (write_class_map(&m->class_map[i], b))
			return -ENOMEM;
	for (size_t i = 0; i < m->n_policy_map; i++) {
		const struct cfg_policy_map *p = &m->policy_map[i];
		P("policy-map %s\n", p->name);
		for (size_t j = 0; j < p->n_cls; j++)
			if (write_pm_class(&p->cls[j], b))
				return -ENOMEM;
		P("!\n");
	}
	return 0;
}

static int write_interfaces(const struct cfg_model *m, struct cfg_buf *b)
{
	char a[16], k[16];
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		P("interface %s\n", x->name);
		if (x->description[0])
			P(" description %s\n", x->description);
		if (x->bandwidth)
			P(" bandwidth %u\n", x->bandwidth);
		if (x->has_addr)
			P(" ip address %s %s\n", cfg_ip(x->addr, a), cfg_ip(x->mask, k));
		if (x->mtu)
			P(" ip mtu %u\n", x->mtu);
		if (x->mss)
			P(" ip tcp adjust-mss %u\n", x->mss);
		if (x->acl_in[0])
			P(" ip access-group %s in\n", x->acl_in);
		if (x->acl_out[0])
			P(" ip access-group %s out\n", x->acl_out);
		for (size_t j = 0; j < x->n_ospf; j++)
			P(" %s\n", x->ospf[j].text);
		if (x->keepalive)
			P(" keepalive %u %u\n", x->keepalive_period, x->keepalive_retries);
		if (x->shutdown)
			P(" shutdown\n");
		if (x->has_src_addr)
			P(" tunnel source %s\n", cfg_ip(x->src_addr, a));
		else if (x->src_if[0])
			P(" tunnel source %s\n", x->src_if);
		if (x->has_dst)
			P(" tunnel destination %s\n", cfg_ip(x->dst, a));
		if (x->mode == CFG_TMODE_IPSEC)
			P(" tunnel mode ipsec ipv4\n");
		if (x->has_key)
			P(" tunnel key %u\n", x->key);
		if (x->protection[0])
			P(" tunnel protection ipsec profile %s\n", x->protection);
		for (int j = 0; j < x->n_hw; j++)
			P(" %s\n", x->hw[j].text);
		if (x->crypto_map[0])
			P(" crypto map %s\n", x->crypto_map);
		if (x->sp_in[0])
			P(" service-policy input %s\n", x->sp_in);
		if (x->sp_out[0])
			P(" service-policy output %s\n", x->sp_out);
		P("!\n");
	}
	return 0;
}

int cfg_write(const struct cfg_model *m, struct cfg_buf *b)
{
	if (!m || !b)
		return -EINVAL;
	if (m->hostname[0])
		P("hostname %s\n", m->hostname);
	if (m->dataplane != CFG_DP_AUTO)
		P("dataplane %s\n", cfg_dataplane_name(m->dataplane));
	if (m->dp_mq_set)
		P("dataplane userspace multi-queue %u\n", m->dp_mq_tunnels);
	if (m->keylog[0])
		P("crypto ikev2 keylog %s\n", m->keylog);
	if (m->cookie_challenge)
		P("crypto ikev2 cookie-challenge %u\n", m->cookie_challenge);
	for (size_t i = 0; i < m->n_ifmap; i++)
		P("interface-map %s %s\n", m->ifmap[i].ios, m->ifmap[i].dev);
	P("!\n");
	if (write_crypto(m, b) || write_qos(m, b) || write_interfaces(m, b))
		return -ENOMEM;
	for (size_t i = 0; i < m->n_router; i++) {
		const struct cfg_router *r = &m->router[i];
		P("%s\n", r->header);
		for (size_t j = 0; j < r->n_line; j++)
			P(" %s\n", r->line[j].text);
		P("!\n");
	}
	P("end\n");
	return 0;
}

void cfg_acl_entry_text(const struct cfg_acl *a, const struct cfg_acl_entry *e, char *buf,
			size_t len)
{
	struct cfg_buf t = {0};
	int rc = write_acl_entry(&t, a, e);
	if (len)
		snprintf(buf, len, "%s", rc == 0 && t.s ? t.s : "?");
	cfg_buf_free(&t);
}
