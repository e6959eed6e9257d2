/* check.c: semantic checks over a whole model, after parsing (a file) or
 * before committing (configure terminal): every name referenced exists,
 * protected tunnels have what IKE will need, and no two tunnels would
 * claim the same GRE packets.  Each error points at the referencing line. */
#include "conf/internal.h"
#include "lib/suite.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_err(const void *a, const void *b)
{
	const struct cfg_error *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->col - y->col;
}

#define ERR(pos, ...) cfg_errors_add(errs, (pos).line, (pos).col, __VA_ARGS__)

/* The keyring peer whose address (and mask) covers dst, longest mask first. */
const struct cfg_kr_peer *cfg_peer_for(const struct cfg_keyring *kr, uint32_t dst)
{
	const struct cfg_kr_peer *best = NULL;
	for (size_t i = 0; kr && i < kr->n_peer; i++) {
		const struct cfg_kr_peer *p = &kr->peer[i];
		if (!p->has_addr || (dst & p->mask) != p->addr)
			continue;
		if (!best || ntohl(p->mask) > ntohl(best->mask))
			best = p;
	}
	return best;
}

/* What IKE will need for tunnel t protected by ipsec profile ip (a
 * profile, or the one a crypto map entry makes); errors at pp.  what names
 * the protection in messages ("ipsec profile 'IPP'", "crypto map CMAP 10"). */
static void check_ike(const struct cfg_model *m, const struct cfg_interface *t,
		      const struct cfg_ipsec_profile *ip, const char *what, struct cfg_pos pp,
		      struct cfg_errors *errs)
{
	char a[16];
	if (!ip->ike_profile[0]) {
		ERR(pp, "%s: %s has no set ikev2-profile", t->name, what);
		return;
	}
	const struct cfg_ike_profile *kp = cfg_find_ike_profile(m, ip->ike_profile);
	if (!kp)
		return; /* reported at the ipsec profile */
	if (!kp->keyring[0]) {
		ERR(pp, "%s: ikev2 profile '%s' has no keyring", t->name, kp->name);
		return;
	}
	const struct cfg_keyring *kr = cfg_find_keyring(m, kp->keyring);
	if (!kr || !t->has_dst)
		return;
	const struct cfg_kr_peer *peer = cfg_peer_for(kr, t->dst);
	if (!peer)
		ERR(pp, "%s: no peer in keyring '%s' has an address matching %s", t->name, kr->name,
		    cfg_ip(t->dst, a));
	else if (!peer->psk_local[0] || !peer->psk_remote[0])
		ERR(pp, "%s: keyring '%s' peer '%s' has no %s pre-shared key", t->name, kr->name,
		    peer->name, peer->psk_local[0] ? "remote" : "local");
}

/* A tunnel a crypto map entry protects: by one entry only, and not by
 * `tunnel protection` as well.  IOS takes both and which one encrypts
 * depends on the release (or both do); vtid asks for one. */
static void check_cmap_tunnel(const struct cfg_model *m, const struct cfg_interface *t,
			      struct cfg_errors *errs)
{
	const struct cfg_cmap_entry *e = cfg_cmap_for_tunnel(m, t);
	char what[CFG_NAME_MAX + 32];
	if (!e)
		return;
	for (size_t i = 0; i < m->n_cmap; i++) {
		const struct cfg_cmap_entry *o = &m->cmap[i];
		if (o != e && cfg_cmap_selects(m, o, t)) {
			ERR(o->acl_pos,
			    "%s is already protected by crypto map %s %u: one crypto map entry "
			    "per tunnel",
			    t->name, e->map, e->seq);
			break;
		}
	}
	if (t->protection[0]) {
		ERR(t->protection_pos,
		    "%s is protected by crypto map %s %u too: use tunnel protection or the crypto "
		    "map, not both",
		    t->name, e->map, e->seq);
		return;
	}
	struct cfg_ipsec_profile ip;
	cfg_cmap_as_profile(e, &ip);
	snprintf(what, sizeof(what), "crypto map %s %u", e->map, e->seq);
	check_ike(m, t, &ip, what, e->pos, errs);
}

static void check_tunnel(const struct cfg_model *m, const struct cfg_interface *t,
			 struct cfg_errors *errs)
{
	char what[CFG_NAME_MAX + 32];
	struct cfg_pos pp = t->protection_pos.line ? t->protection_pos : t->pos;
	if (t->mode == CFG_TMODE_IPSEC && !t->protection[0])
		ERR(t->pos, "%s: tunnel mode ipsec ipv4 needs tunnel protection", t->name);
	check_cmap_tunnel(m, t, errs);
	if (!t->protection[0])
		return;
	if ((!t->has_src_addr && !t->src_if[0]) || !t->has_dst)
		ERR(pp, "%s: tunnel protection needs tunnel source and tunnel destination",
		    t->name);
	const struct cfg_ipsec_profile *ip = cfg_find_ipsec_profile(m, t->protection);
	if (!ip) {
		ERR(pp, "ipsec profile '%s' is not defined", t->protection);
		return;
	}
	snprintf(what, sizeof(what), "ipsec profile '%s'", ip->name);
	check_ike(m, t, ip, what, pp, errs);
}

/* Class names defined, and a child policy that exists and has no child
 * of its own: two levels, parent and child, as IOS on tunnels. */
static void check_policy_map(const struct cfg_model *m, const struct cfg_policy_map *p,
			     struct cfg_errors *errs)
{
	for (size_t j = 0; j < p->n_cls; j++) {
		const struct cfg_pm_class *c = &p->cls[j];
		if (strcmp(c->name, "class-default") != 0 && !cfg_find_class_map(m, c->name))
			ERR(c->pos, "class-map '%s' is not defined", c->name);
		if (!c->child[0])
			continue;
		const struct cfg_policy_map *k = cfg_find_policy_map(m, c->child);
		if (!strcmp(c->child, p->name)) {
			ERR(c->child_pos, "policy-map '%s' cannot be its own child", p->name);
		} else if (!k) {
			ERR(c->child_pos, "policy-map '%s' is not defined", c->child);
		} else {
			for (size_t x = 0; x < k->n_cls; x++)
				if (k->cls[x].child[0]) {
					ERR(c->child_pos,
					    "policy-map '%s' has a child policy itself (class %s): "
					    "only two levels, parent and child, are supported",
					    k->name, k->cls[x].name);
					break;
				}
		}
	}
}

/* What an input policy's class may not do: queueing happens on output
 * only, so an input policy may police and set dscp, nothing else (IOS). */
static const char *input_refused(const struct cfg_pm_class *c)
{
	if (c->priority)
		return "priority";
	if (c->bandwidth_kbps || c->bandwidth_percent || c->bandwidth_remaining)
		return "bandwidth";
	if (c->shape_bps)
		return "shape";
	if (c->queue_limit)
		return "queue-limit";
	if (c->fair_queue)
		return "fair-queue";
	if (c->child[0])
		return "a child service-policy";
	return NULL;
}

/* A service-policy line of an interface, checked at that line. */
static void check_attached(const struct cfg_model *m, const char *name, bool input,
			   struct cfg_pos pos, struct cfg_errors *errs)
{
	const struct cfg_policy_map *p = cfg_find_policy_map(m, name);
	if (!p) {
		ERR(pos, "policy-map '%s' is not defined", name);
		return;
	}
	for (size_t j = 0; input && j < p->n_cls; j++) {
		const char *what = input_refused(&p->cls[j]);
		if (what) {
			ERR(pos,
			    "service-policy input %s: class %s has %s; an input policy can only "
			    "police and set dscp (queueing is output only)",
			    name, p->cls[j].name, what);
			return;
		}
	}
}

int cfg_validate(const struct cfg_model *m, struct cfg_errors *errs)
{
	int before = errs->n + errs->dropped;
	for (size_t i = 0; i < m->n_policy; i++) {
		const struct cfg_policy *p = &m->policy[i];
		for (int j = 0; j < p->n_proposal; j++)
			if (!cfg_find_proposal(m, p->proposal[j]))
				ERR(p->proposal_pos[j], "ikev2 proposal '%s' is not defined",
				    p->proposal[j]);
	}
	for (size_t i = 0; i < m->n_proposal; i++) {
		const struct cfg_proposal *p = &m->proposal[i];
		bool aead = false, cbc = false;
		for (int j = 0; j < p->n_encr; j++) {
			const struct suite *e = suite_by_name(SUITE_ENCR, p->encr[j]);
			if (e && e->aead)
				aead = true;
			else
				cbc = true;
		}
		if (!p->n_encr || !p->n_group)
			ERR(p->pos, "ikev2 proposal '%s' needs encryption and group", p->name);
		else if (cbc && !p->n_integ)
			ERR(p->pos, "ikev2 proposal '%s': aes-cbc needs an integrity algorithm",
			    p->name);
		else if (aead && !cbc && p->n_integ)
			ERR(p->pos,
			    "ikev2 proposal '%s': AEAD encryption takes no integrity "
			    "(use prf)",
			    p->name);
	}
	for (size_t i = 0; i < m->n_ike_profile; i++) {
		const struct cfg_ike_profile *p = &m->ike_profile[i];
		if (p->keyring[0] && !cfg_find_keyring(m, p->keyring))
			ERR(p->keyring_pos, "ikev2 keyring '%s' is not defined", p->keyring);
	}
	for (size_t i = 0; i < m->n_ipsec_profile; i++) {
		const struct cfg_ipsec_profile *p = &m->ipsec_profile[i];
		for (int j = 0; j < p->n_ts; j++)
			if (!cfg_find_transform(m, p->ts[j]))
				ERR(p->ts_pos, "transform-set '%s' is not defined", p->ts[j]);
		if (p->ike_profile[0] && !cfg_find_ike_profile(m, p->ike_profile))
			ERR(p->ike_profile_pos, "ikev2 profile '%s' is not defined",
			    p->ike_profile);
	}
	cfg_cmap_check(m, errs);
	cfg_ifmap_check(m, errs);
	for (size_t i = 0; i < m->n_class_map; i++) {
		const struct cfg_class_map *c = &m->class_map[i];
		for (size_t j = 0; j < c->n_m; j++)
			if (c->m[j].type == CFG_CM_ACL && !cfg_find_acl(m, c->m[j].acl))
				ERR(c->m[j].pos, "access-list '%s' is not defined", c->m[j].acl);
	}
	for (size_t i = 0; i < m->n_policy_map; i++)
		check_policy_map(m, &m->policy_map[i], errs);
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *t = &m->interface[i];
		if (t->acl_in[0] && !cfg_find_acl(m, t->acl_in))
			ERR(t->acl_pos, "access-list '%s' is not defined", t->acl_in);
		if (t->acl_out[0] && !cfg_find_acl(m, t->acl_out))
			ERR(t->acl_out_pos, "access-list '%s' is not defined", t->acl_out);
		if (t->sp_in[0])
			check_attached(m, t->sp_in, true, t->sp_pos, errs);
		if (t->sp_out[0])
			check_attached(m, t->sp_out, false, t->sp_out_pos, errs);
		if (!t->is_tunnel)
			continue;
		check_tunnel(m, t, errs);
		if (!t->has_dst)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct cfg_interface *o = &m->interface[j];
			if (!o->is_tunnel || !o->has_dst || o->dst != t->dst ||
			    o->has_src_addr != t->has_src_addr || o->src_addr != t->src_addr ||
			    strcmp(o->src_if, t->src_if) != 0 || o->has_key != t->has_key ||
			    o->key != t->key)
				continue;
			ERR(t->pos,
			    "%s has the same tunnel source, destination and key as %s "
			    "(add a distinct tunnel key)",
			    t->name, o->name);
			break;
		}
	}
	qsort(errs->e, (size_t)errs->n, sizeof(errs->e[0]), cmp_err);
	return errs->n + errs->dropped > before ? -EINVAL : 0;
}
