/* diff.c: per-tunnel resolution and the old -> new change list.
 *
 * A tunnel is compared through its resolved form, not its lines: a change
 * to a proposal restarts exactly the tunnels whose resolution reaches that
 * proposal, and a change nobody uses restarts nothing. */
#include "conf/diff.h"
#include "conf/internal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

/* Copies a string zero-padding the rest, so resolved structs compare with
 * memcmp whatever was left behind a shorter value in the model. */
static void scpy(char *d, size_t n, const char *s)
{
	size_t l = strnlen(s, n - 1);
	memset(d, 0, n);
	memcpy(d, s, l);
}

static void id_copy(struct cfg_identity *d, const struct cfg_identity *s)
{
	memset(d, 0, sizeof(*d));
	d->type = s->type;
	d->addr = s->addr;
	d->mask = s->mask;
	d->has_mask = s->has_mask;
	scpy(d->str, sizeof(d->str), s->str);
}

static void proposal_copy(struct cfg_proposal *d, const struct cfg_proposal *p)
{
	memset(d, 0, sizeof(*d));
	scpy(d->name, sizeof(d->name), p->name);
	d->n_encr = p->n_encr;
	d->n_integ = p->n_integ;
	d->n_prf = p->n_prf;
	d->n_group = p->n_group;
	for (int j = 0; j < CFG_LIST_MAX; j++) {
		if (j < p->n_encr)
			scpy(d->encr[j], CFG_ALG_MAX, p->encr[j]);
		if (j < p->n_integ)
			scpy(d->integ[j], CFG_ALG_MAX, p->integ[j]);
		if (j < p->n_prf)
			scpy(d->prf[j], CFG_ALG_MAX, p->prf[j]);
		if (j < p->n_group)
			d->group[j] = p->group[j];
	}
}

static void default_proposals(struct cfg_tunnel_hard *h)
{
	struct cfg_proposal *p = &h->proposal[0];
	memset(h->proposal, 0, sizeof(h->proposal));
	snprintf(p->name, sizeof(p->name), "default");
	p->n_encr = 1;
	snprintf(p->encr[0], CFG_ALG_MAX, "aes-cbc-256");
	p->n_integ = p->n_prf = 2;
	snprintf(p->integ[0], CFG_ALG_MAX, "sha512");
	snprintf(p->integ[1], CFG_ALG_MAX, "sha384");
	memcpy(p->prf, p->integ, sizeof(p->prf));
	p->n_group = 3;
	p->group[0] = 19, p->group[1] = 14, p->group[2] = 21;
	p = &h->proposal[1];
	snprintf(p->name, sizeof(p->name), "default-aead");
	p->n_encr = 1;
	snprintf(p->encr[0], CFG_ALG_MAX, "aes-gcm-256");
	p->n_prf = 2;
	snprintf(p->prf[0], CFG_ALG_MAX, "sha512");
	snprintf(p->prf[1], CFG_ALG_MAX, "sha384");
	p->n_group = 3;
	p->group[0] = 19, p->group[1] = 14, p->group[2] = 21;
	h->n_proposal = 2;
}

static void resolve_proposals(const struct cfg_model *m, struct cfg_tunnel_hard *h)
{
	const struct cfg_policy *pol = NULL;
	for (size_t i = 0; i < m->n_policy && !pol; i++)
		if (m->policy[i].has_match_local && h->has_src_addr &&
		    m->policy[i].match_local == h->src_addr)
			pol = &m->policy[i];
	for (size_t i = 0; i < m->n_policy && !pol; i++)
		if (!m->policy[i].has_match_local)
			pol = &m->policy[i];
	if (!pol) {
		default_proposals(h);
		return;
	}
	snprintf(h->policy, sizeof(h->policy), "%s", pol->name);
	for (int i = 0; i < pol->n_proposal; i++) {
		const struct cfg_proposal *p = cfg_find_proposal(m, pol->proposal[i]);
		if (!p)
			continue;
		struct cfg_proposal *d = &h->proposal[h->n_proposal++];
		proposal_copy(d, p);
		if (!d->n_prf && d->n_integ) {
			memcpy(d->prf, d->integ, sizeof(d->prf));
			d->n_prf = d->n_integ;
		} else if (!d->n_prf) {
			snprintf(d->prf[0], CFG_ALG_MAX, "sha256");
			d->n_prf = 1;
		}
	}
	if (!h->n_proposal)
		default_proposals(h);
}

/* ip: the tunnel's ipsec profile (NULL when it names none that exists),
 * or the one a crypto map entry makes. */
static void resolve_crypto(const struct cfg_model *m, const struct cfg_interface *t,
			   const struct cfg_ipsec_profile *ip, struct cfg_tunnel_hard *h)
{
	h->protected = true;
	if (!ip)
		return;
	for (int i = 0; i < ip->n_ts; i++) {
		const struct cfg_transform *ts = cfg_find_transform(m, ip->ts[i]);
		if (!ts)
			continue;
		struct cfg_transform *d = &h->ts[h->n_ts++];
		scpy(d->name, sizeof(d->name), ts->name);
		scpy(d->encr, sizeof(d->encr), ts->encr);
		scpy(d->integ, sizeof(d->integ), ts->integ);
		d->transport = ts->transport;
	}
	if (!h->n_ts) {
		struct cfg_transform *d = &h->ts[h->n_ts++];
		snprintf(d->name, sizeof(d->name), "#$!default_transform_set_1");
		snprintf(d->encr, sizeof(d->encr), "aes-cbc-128"); /* esp-aes esp-sha-hmac */
		snprintf(d->integ, sizeof(d->integ), "sha1");
		d->transport = true;
	}
	h->pfs_group = ip->pfs_group;
	h->sa_lifetime_s = ip->lifetime_s;
	h->sa_lifetime_kb = ip->lifetime_kb_disable ? 0 : ip->lifetime_kb;
	h->replay_window = ip->replay_disable ? 0 : ip->replay_window;
	const struct cfg_ike_profile *kp = cfg_find_ike_profile(m, ip->ike_profile);
	if (kp) {
		snprintf(h->ike_profile, sizeof(h->ike_profile), "%s", kp->name);
		h->n_match = kp->n_match;
		for (int i = 0; i < kp->n_match && i < CFG_MATCH_MAX; i++)
			id_copy(&h->match[i], &kp->match[i]);
		id_copy(&h->local_id, &kp->local_id);
		h->auth_local_psk = kp->auth_local_psk;
		h->auth_remote_psk = kp->auth_remote_psk;
		h->ike_lifetime = kp->lifetime;
		h->dpd_interval = kp->dpd_interval;
		h->dpd_retry = kp->dpd_retry;
		h->dpd_mode = kp->dpd_mode;
		h->nat_force_encap = kp->nat_force_encap;
		const struct cfg_keyring *kr = cfg_find_keyring(m, kp->keyring);
		if (kr) {
			snprintf(h->keyring, sizeof(h->keyring), "%s", kr->name);
			const struct cfg_kr_peer *p = cfg_peer_for(kr, t->dst);
			if (p && t->has_dst) {
				snprintf(h->peer, sizeof(h->peer), "%s", p->name);
				id_copy(&h->peer_id, &p->identity);
				scpy(h->psk_local, sizeof(h->psk_local), p->psk_local);
				scpy(h->psk_remote, sizeof(h->psk_remote), p->psk_remote);
			}
		}
	} else {
		h->ike_lifetime = 86400;
	}
	if (h->local_id.type == CFG_ID_NONE && t->has_src_addr) {
		h->local_id.type = CFG_ID_ADDRESS;
		h->local_id.addr = t->src_addr;
		h->local_id.mask = 0xffffffffu;
	}
	resolve_proposals(m, h);
}

int cfg_tunnel_resolve(const struct cfg_model *m, const char *name, struct cfg_tunnel_resolved *out)
{
	memset(out, 0, sizeof(*out));
	const struct cfg_interface *t = cfg_find_interface(m, name);
	if (!t || !t->is_tunnel)
		return -ENOENT;
	struct cfg_tunnel_hard *h = &out->hard;
	struct cfg_tunnel_soft *s = &out->soft;
	snprintf(out->name, sizeof(out->name), "%s", t->name);
	h->has_src_addr = t->has_src_addr;
	h->src_addr = t->src_addr;
	/* the Linux device: a changed interface-map moves the tunnel */
	scpy(h->src_if, sizeof(h->src_if), t->src_if[0] ? cfg_linux_ifname(m, t->src_if) : "");
	h->has_dst = t->has_dst;
	h->dst = t->dst;
	h->mode = t->mode;
	h->has_key = t->has_key;
	h->key = t->key;
	h->has_addr = t->has_addr;
	h->addr = t->addr;
	h->mask = t->mask;
	h->keepalive = t->keepalive;
	h->keepalive_period = t->keepalive_period;
	h->keepalive_retries = t->keepalive_retries;
	h->mtu = t->mtu;
	h->mss = t->mss;
	const struct cfg_cmap_entry *e;
	if (t->protection[0]) {
		scpy(h->ipsec_profile, sizeof(h->ipsec_profile), t->protection);
		resolve_crypto(m, t, cfg_find_ipsec_profile(m, t->protection), h);
	} else if ((e = cfg_cmap_for_tunnel(m, t)) != NULL) {
		struct cfg_ipsec_profile ip;
		cfg_cmap_as_profile(e, &ip);
		scpy(h->crypto_map, sizeof(h->crypto_map), e->map);
		h->crypto_map_seq = e->seq;
		resolve_crypto(m, t, &ip, h);
	}
	scpy(s->description, sizeof(s->description), t->description);
	s->bandwidth = t->bandwidth;
	s->shutdown = t->shutdown;
	scpy(s->acl_in, sizeof(s->acl_in), t->acl_in);
	scpy(s->acl_out, sizeof(s->acl_out), t->acl_out);
	scpy(s->sp_in, sizeof(s->sp_in), t->sp_in);
	scpy(s->sp_out, sizeof(s->sp_out), t->sp_out);
	for (size_t i = 0; i < t->n_ospf && i < CFG_OSPF_MAX; i++)
		scpy(s->ospf[s->n_ospf++].text, CFG_TEXT_MAX, t->ospf[i].text);
	return 0;
}

void cfg_tunnel_resolved_wipe(struct cfg_tunnel_resolved *r)
{
	if (r)
		OPENSSL_cleanse(r, sizeof(*r));
}

static int push(struct cfg_changes *c, enum cfg_change_kind k, const char *name, unsigned what)
{
	struct cfg_change *x = CFG_PUSH(c->v, c->n, c->cap);
	if (!x)
		return -ENOMEM;
	x->kind = k;
	snprintf(x->name, sizeof(x->name), "%s", name ? name : "");
	x->what = what;
	return 0;
}

/* Text of the routing part (router blocks and every ip ospf line). */
static int routing_text(const struct cfg_model *m, struct cfg_buf *b)
{
	for (size_t i = 0; m && i < m->n_interface; i++)
		for (size_t j = 0; j < m->interface[i].n_ospf; j++)
			if (cfg_buf_printf(b, "%s|%s\n", m->interface[i].name,
					   m->interface[i].ospf[j].text))
				return -ENOMEM;
	for (size_t i = 0; m && i < m->n_router; i++) {
		if (cfg_buf_printf(b, "%s\n", m->router[i].header))
			return -ENOMEM;
		for (size_t j = 0; j < m->router[i].n_line; j++)
			if (cfg_buf_printf(b, " %s\n", m->router[i].line[j].text))
				return -ENOMEM;
	}
	return cfg_buf_printf(b, "%s", "");
}

static bool acl_changed(const struct cfg_model *a, const struct cfg_model *b, const char *name)
{
	const struct cfg_acl *x = cfg_find_acl(a, name), *y = cfg_find_acl(b, name);
	if (!x || !y)
		return x != y;
	if (x->standard != y->standard || x->n_ent != y->n_ent)
		return true;
	/* Sequence numbers too: they are what `no SEQ` and the counters name. */
	for (size_t i = 0; i < x->n_ent; i++)
		if (!cfg_acl_entry_equal(&x->ent[i], &y->ent[i], true))
			return true;
	return false;
}

static bool cmap_changed(const struct cfg_model *a, const struct cfg_model *b, const char *name)
{
	const struct cfg_class_map *x = cfg_find_class_map(a, name),
				   *y = cfg_find_class_map(b, name);
	if (!x || !y)
		return x != y;
	if (x->match_any != y->match_any || x->n_m != y->n_m)
		return true;
	for (size_t i = 0; i < x->n_m; i++) {
		if (!cfg_cm_match_equal(&x->m[i], &y->m[i]))
			return true;
		if (x->m[i].type == CFG_CM_ACL && acl_changed(a, b, x->m[i].acl))
			return true;
	}
	return false;
}

/* The policy, its classes' class-maps (and their access lists) and its
 * child policies; depth bounds a cycle in an unchecked model. */
static bool pmap_changed_at(const struct cfg_model *a, const struct cfg_model *b, const char *name,
			    int depth)
{
	const struct cfg_policy_map *x = cfg_find_policy_map(a, name),
				    *y = cfg_find_policy_map(b, name);
	if (!x || !y)
		return x != y;
	if (x->n_cls != y->n_cls)
		return true;
	for (size_t i = 0; i < x->n_cls; i++) {
		const struct cfg_pm_class *p = &x->cls[i], *q = &y->cls[i];
		if (!cfg_pm_class_equal(p, q) || cmap_changed(a, b, p->name))
			return true;
		if (p->child[0] && depth < 3 && pmap_changed_at(a, b, p->child, depth + 1))
			return true;
	}
	return false;
}

static bool pmap_changed(const struct cfg_model *a, const struct cfg_model *b, const char *name)
{
	return pmap_changed_at(a, b, name, 0);
}

static unsigned soft_diff(const struct cfg_model *om, const struct cfg_model *nm,
			  const struct cfg_tunnel_soft *a, const struct cfg_tunnel_soft *b)
{
	unsigned w = 0;
	if (strcmp(a->description, b->description))
		w |= CFG_W_DESCRIPTION;
	if (a->bandwidth != b->bandwidth)
		w |= CFG_W_BANDWIDTH;
	if (a->shutdown != b->shutdown)
		w |= CFG_W_SHUTDOWN;
	if (strcmp(a->acl_in, b->acl_in) || strcmp(a->acl_out, b->acl_out) ||
	    (b->acl_in[0] && acl_changed(om, nm, b->acl_in)) ||
	    (b->acl_out[0] && acl_changed(om, nm, b->acl_out)))
		w |= CFG_W_ACL;
	if (strcmp(a->sp_in, b->sp_in) || strcmp(a->sp_out, b->sp_out) ||
	    (b->sp_in[0] && pmap_changed(om, nm, b->sp_in)) ||
	    (b->sp_out[0] && pmap_changed(om, nm, b->sp_out)))
		w |= CFG_W_SERVICE_POLICY;
	if (a->n_ospf != b->n_ospf || memcmp(a->ospf, b->ospf, sizeof(a->ospf)))
		w |= CFG_W_OSPF;
	return w;
}

static bool qos_changed(const struct cfg_model *a, const struct cfg_model *b)
{
	if (a->n_acl != b->n_acl || a->n_class_map != b->n_class_map ||
	    a->n_policy_map != b->n_policy_map)
		return true;
	for (size_t i = 0; i < a->n_acl; i++)
		if (acl_changed(a, b, a->acl[i].name))
			return true;
	for (size_t i = 0; i < a->n_class_map; i++)
		if (cmap_changed(a, b, a->class_map[i].name))
			return true;
	for (size_t i = 0; i < a->n_policy_map; i++)
		if (pmap_changed(a, b, a->policy_map[i].name))
			return true;
	/* Policies attached to plain interfaces: no tunnel update tells those. */
	for (size_t i = 0; i < b->n_interface; i++) {
		const struct cfg_interface *u = &b->interface[i];
		const struct cfg_interface *t = cfg_find_interface(a, u->name);
		if (u->is_tunnel)
			continue;
		if (!t ? (u->sp_in[0] || u->sp_out[0])
		       : (strcmp(t->sp_in, u->sp_in) || strcmp(t->sp_out, u->sp_out)))
			return true;
	}
	for (size_t i = 0; i < a->n_interface; i++) {
		const struct cfg_interface *t = &a->interface[i];
		if (!t->is_tunnel && (t->sp_in[0] || t->sp_out[0]) &&
		    !cfg_find_interface(b, t->name))
			return true;
	}
	return false;
}

int cfg_diff(const struct cfg_model *old, const struct cfg_model *new_m, struct cfg_changes *out)
{
	struct cfg_model empty;
	struct cfg_tunnel_resolved *ra = NULL, *rb = NULL;
	struct cfg_buf ta = {0}, tb = {0};
	int r = -ENOMEM;
	memset(&empty, 0, sizeof(empty));
	memset(out, 0, sizeof(*out));
	const struct cfg_model *a = old ? old : &empty, *b = new_m ? new_m : &empty;
	ra = malloc(sizeof(*ra));
	rb = malloc(sizeof(*rb));
	if (!ra || !rb)
		goto out;
	unsigned g = 0;
	if (strcmp(a->hostname, b->hostname))
		g |= CFG_W_HOSTNAME;
	if (a->dataplane != b->dataplane)
		g |= CFG_W_DATAPLANE;
	if (cfg_dp_mq_tunnels(a) != cfg_dp_mq_tunnels(b))
		g |= CFG_W_DP_MQ;
	if (strcmp(a->keylog, b->keylog))
		g |= CFG_W_KEYLOG;
	if (cfg_cookie_challenge(a) != cfg_cookie_challenge(b))
		g |= CFG_W_COOKIE;
	if (g && push(out, CFG_CH_GLOBALS, NULL, g))
		goto out;
	for (size_t i = 0; i < a->n_interface; i++) {
		const struct cfg_interface *t = &a->interface[i];
		const struct cfg_interface *u = cfg_find_interface(b, t->name);
		if (t->is_tunnel && !u && push(out, CFG_CH_TUNNEL_REMOVE, t->name, 0))
			goto out;
	}
	/* Restarts, then additions, then updates: three passes keep the order. */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < b->n_interface; i++) {
			const struct cfg_interface *u = &b->interface[i];
			if (!u->is_tunnel)
				continue;
			bool existed = cfg_tunnel_resolve(a, u->name, ra) == 0;
			cfg_tunnel_resolve(b, u->name, rb);
			if (pass == 1 && !existed && push(out, CFG_CH_TUNNEL_ADD, u->name, 0))
				goto out;
			if (!existed)
				continue;
			bool hard = memcmp(&ra->hard, &rb->hard, sizeof(ra->hard)) != 0;
			unsigned w = soft_diff(a, b, &ra->soft, &rb->soft);
			if (pass == 0 && hard && push(out, CFG_CH_TUNNEL_RESTART, u->name, w))
				goto out;
			if (pass == 2 && !hard && w && push(out, CFG_CH_TUNNEL_UPDATE, u->name, w))
				goto out;
		}
	}
	if (qos_changed(a, b) && push(out, CFG_CH_QOS, NULL, 0))
		goto out;
	if (routing_text(a, &ta) || routing_text(b, &tb))
		goto out;
	if ((ta.len != tb.len || memcmp(ta.s, tb.s, ta.len)) &&
	    push(out, CFG_CH_ROUTING, NULL, CFG_W_OSPF))
		goto out;
	r = 0;
out:
	if (r < 0)
		cfg_changes_free(out);
	cfg_tunnel_resolved_wipe(ra);
	cfg_tunnel_resolved_wipe(rb);
	free(ra);
	free(rb);
	cfg_buf_free(&ta);
	cfg_buf_free(&tb);
	return r;
}

void cfg_changes_free(struct cfg_changes *c)
{
	if (!c)
		return;
	free(c->v);
	memset(c, 0, sizeof(*c));
}

const char *cfg_change_kind_name(enum cfg_change_kind k)
{
	switch (k) {
	case CFG_CH_GLOBALS:
		return "globals";
	case CFG_CH_TUNNEL_REMOVE:
		return "remove";
	case CFG_CH_TUNNEL_RESTART:
		return "restart";
	case CFG_CH_TUNNEL_ADD:
		return "add";
	case CFG_CH_TUNNEL_UPDATE:
		return "update";
	case CFG_CH_QOS:
		return "qos";
	case CFG_CH_ROUTING:
		return "routing";
	}
	return "?";
}
