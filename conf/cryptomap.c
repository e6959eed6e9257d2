/* cryptomap.c: what a crypto map means to a route-based router.
 *
 * IOS's most common GRE-over-IPsec configuration protects the tunnel with a
 * crypto map on the WAN interface whose ACL selects the GRE packets between
 * the tunnel's endpoints.  vtid takes that as another way of writing
 * `tunnel protection ipsec profile`: an applied entry whose every ACL entry
 * is `permit gre host SRC host DST` protects each GRE tunnel with source
 * SRC and destination DST, with the IKE and SAs an ipsec profile holding
 * the entry's set lines would give (cfg_cmap_as_profile; conf/diff.c
 * resolves both the same way).  Anything else an ACL could select is a
 * policy-based VPN, which vtid refuses with what to write instead.
 *
 * Where the map must be applied: on the interface the tunnel's packets
 * leave from, which the configuration tells when the tunnel source is an
 * interface (`tunnel source eth1`: the map must be on eth1) or when an
 * interface block has the tunnel source as its `ip address`.  When the
 * source is an address no interface block holds (vtid does not own the WAN
 * addresses: the system does), a map applied on any interface counts, as
 * vtid cannot tell which one the address is on without asking the kernel,
 * and the answer could change after the configuration was accepted.
 *
 * The tunnel's source address is the `tunnel source` address, or the
 * `ip address` of the interface block `tunnel source IFNAME` names; a
 * tunnel whose source is an interface without an address in the
 * configuration cannot be matched by an ACL (reported by the check). */
#include "conf/internal.h"

#include <arpa/inet.h>
#include <string.h>

#define ERR(pos, ...) cfg_errors_add(errs, (pos).line, (pos).col, __VA_ARGS__)

/* The tunnel source address the configuration gives, if it gives one. */
static bool tunnel_src(const struct cfg_model *m, const struct cfg_interface *t, uint32_t *out)
{
	if (t->has_src_addr) {
		*out = t->src_addr;
		return true;
	}
	const struct cfg_interface *i = t->src_if[0] ? cfg_find_interface_dev(m, t->src_if) : NULL;
	if (i && !i->is_tunnel && i->has_addr) {
		*out = i->addr;
		return true;
	}
	return false;
}

/* `permit gre host A host B` and nothing more. */
static bool gre_pair(const struct cfg_acl_entry *e)
{
	return e->action == CFG_ACL_PERMIT && e->proto == 47 && e->src.wildcard == 0 &&
	       e->dst.wildcard == 0 && e->src.op == CFG_PORT_ANY && e->dst.op == CFG_PORT_ANY &&
	       !e->established && !e->log && !e->has_icmp_type && !e->has_dscp && !e->has_prec &&
	       !e->fragments;
}

/* The entry's ACL when it is a usable crypto ACL: extended, at least one
 * entry, every entry (remarks aside) a GRE host pair. */
static const struct cfg_acl *gre_acl(const struct cfg_model *m, const struct cfg_cmap_entry *e)
{
	const struct cfg_acl *a = e->acl[0] ? cfg_find_acl(m, e->acl) : NULL;
	size_t n = 0;
	if (!a || a->standard)
		return NULL;
	for (size_t i = 0; i < a->n_ent; i++) {
		if (a->ent[i].action == CFG_ACL_REMARK)
			continue;
		if (!gre_pair(&a->ent[i]))
			return NULL;
		n++;
	}
	return n ? a : NULL;
}

/* Whether `crypto map NAME` sits where it covers tunnel t (see the top). */
static bool applied_for(const struct cfg_model *m, const char *map, const struct cfg_interface *t,
			uint32_t src)
{
	const struct cfg_interface *home = NULL;
	bool anywhere = false;
	if (t->src_if[0])
		home = cfg_find_interface_dev(m, t->src_if);
	for (size_t i = 0; !t->src_if[0] && i < m->n_interface && !home; i++) {
		const struct cfg_interface *x = &m->interface[i];
		if (!x->is_tunnel && x->has_addr && x->addr == src)
			home = x;
	}
	if (home)
		return !strcmp(home->crypto_map, map);
	if (t->src_if[0])
		return false;
	for (size_t i = 0; i < m->n_interface; i++)
		anywhere |= !m->interface[i].is_tunnel && !strcmp(m->interface[i].crypto_map, map);
	return anywhere;
}

static bool selects(const struct cfg_model *m, const struct cfg_cmap_entry *e,
		    const struct cfg_interface *t)
{
	uint32_t src;
	if (!t->is_tunnel || t->mode != CFG_TMODE_GRE || !t->has_dst || !tunnel_src(m, t, &src))
		return false;
	const struct cfg_acl *a = gre_acl(m, e);
	if (!a || !applied_for(m, e->map, t, src))
		return false;
	for (size_t i = 0; i < a->n_ent; i++)
		if (a->ent[i].action != CFG_ACL_REMARK && a->ent[i].src.addr == src &&
		    a->ent[i].dst.addr == t->dst)
			return true;
	return false;
}

const struct cfg_cmap_entry *cfg_cmap_for_tunnel(const struct cfg_model *m,
						 const struct cfg_interface *t)
{
	for (size_t i = 0; m && t && i < m->n_cmap; i++)
		if (selects(m, &m->cmap[i], t))
			return &m->cmap[i];
	return NULL;
}

bool cfg_cmap_selects(const struct cfg_model *m, const struct cfg_cmap_entry *e,
		      const struct cfg_interface *t)
{
	return m && e && t && selects(m, e, t);
}

void cfg_cmap_as_profile(const struct cfg_cmap_entry *e, struct cfg_ipsec_profile *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->name, sizeof(p->name), "%s", e->map);
	p->n_ts = e->n_ts;
	memcpy(p->ts, e->ts, sizeof(p->ts));
	memcpy(p->ike_profile, e->ike_profile, sizeof(p->ike_profile));
	p->pfs_group = e->pfs_group;
	p->lifetime_s = e->lifetime_s;
	p->lifetime_kb = e->lifetime_kb;
	p->lifetime_kb_disable = e->lifetime_kb_disable;
	p->replay_window = CFG_REPLAY_DEFAULT;
}

static bool map_applied(const struct cfg_model *m, const char *map)
{
	for (size_t i = 0; i < m->n_interface; i++)
		if (!m->interface[i].is_tunnel && !strcmp(m->interface[i].crypto_map, map))
			return true;
	return false;
}

/* The ACL of an entry, as a crypto ACL: refused unless it selects only GRE
 * between tunnel endpoints.  True when usable. */
static bool check_acl(const struct cfg_model *m, const struct cfg_cmap_entry *e,
		      struct cfg_errors *errs)
{
	const struct cfg_acl *a = cfg_find_acl(m, e->acl);
	char txt[96];
	if (!a) {
		ERR(e->acl_pos, "access-list '%s' is not defined", e->acl);
		return false;
	}
	for (size_t i = 0; i < a->n_ent; i++) {
		const struct cfg_acl_entry *x = &a->ent[i];
		if (x->action == CFG_ACL_REMARK || (!a->standard && gre_pair(x)))
			continue;
		cfg_acl_entry_text(a, x, txt, sizeof(txt));
		ERR(e->acl_pos,
		    "access-list %s: `%s` is not GRE between tunnel endpoints. vtid is "
		    "route-based: use interface TunnelN, tunnel protection ipsec profile NAME, "
		    "routes over it",
		    a->name, txt);
		return false;
	}
	if (!gre_acl(m, e)) {
		ERR(e->acl_pos,
		    "access-list %s selects nothing: a crypto map ACL needs permit gre host "
		    "SRC host DST (a tunnel's source and destination)",
		    a->name);
		return false;
	}
	return true;
}

/* Every GRE pair of an applied entry's ACL must be one of its tunnels. */
static void check_pairs(const struct cfg_model *m, const struct cfg_cmap_entry *e,
			struct cfg_errors *errs)
{
	const struct cfg_acl *a = cfg_find_acl(m, e->acl);
	char s[16], d[16], p[16];
	for (size_t i = 0; i < a->n_ent; i++) {
		const struct cfg_acl_entry *x = &a->ent[i];
		const struct cfg_interface *t = NULL, *near = NULL;
		if (x->action == CFG_ACL_REMARK)
			continue;
		cfg_ip(x->src.addr, s);
		cfg_ip(x->dst.addr, d);
		if (e->has_peer && e->peer != x->dst.addr) {
			ERR(e->peer_pos,
			    "crypto map %s %u: peer %s, but its ACL selects GRE to %s: the peer "
			    "must be the tunnel destination",
			    e->map, e->seq, cfg_ip(e->peer, p), d);
			continue;
		}
		for (size_t j = 0; j < m->n_interface && !t; j++) {
			const struct cfg_interface *u = &m->interface[j];
			uint32_t src;
			if (!u->is_tunnel || u->mode != CFG_TMODE_GRE || !u->has_dst ||
			    u->dst != x->dst.addr)
				continue;
			if (!tunnel_src(m, u, &src) || src != x->src.addr)
				continue;
			near = u;
			if (selects(m, e, u))
				t = u;
		}
		if (t)
			continue;
		if (near)
			ERR(e->acl_pos,
			    "crypto map %s %u selects %s's GRE, but the map is not applied to the "
			    "interface of its tunnel source (crypto map %s there)",
			    e->map, e->seq, near->name, e->map);
		else
			ERR(e->acl_pos,
			    "crypto map %s %u: no GRE tunnel from %s to %s (interface TunnelN with "
			    "that tunnel source and destination) for it to protect",
			    e->map, e->seq, s, d);
	}
}

void cfg_cmap_check(const struct cfg_model *m, struct cfg_errors *errs)
{
	for (size_t i = 0; i < m->n_cmap; i++) {
		const struct cfg_cmap_entry *e = &m->cmap[i];
		bool applied = map_applied(m, e->map);
		bool acl_ok = e->acl[0] && check_acl(m, e, errs);
		for (int j = 0; j < e->n_ts; j++)
			if (!cfg_find_transform(m, e->ts[j]))
				ERR(e->ts_pos, "transform-set '%s' is not defined", e->ts[j]);
		if (e->ike_profile[0] && !cfg_find_ike_profile(m, e->ike_profile))
			ERR(e->ike_profile_pos, "ikev2 profile '%s' is not defined", e->ike_profile);
		if (!applied)
			continue;
		/* An applied entry must protect something: IOS would leave an
		 * incomplete entry unused, vtid does not take lines it ignores. */
		if (!e->acl[0])
			ERR(e->pos,
			    "crypto map %s %u: no match address (an ACL with permit gre host SRC "
			    "host DST for each tunnel it protects)",
			    e->map, e->seq);
		if (!e->has_peer)
			ERR(e->pos, "crypto map %s %u: no set peer", e->map, e->seq);
		if (!e->ike_profile[0])
			ERR(e->pos, "crypto map %s %u: no set ikev2-profile (vtid runs IKEv2)",
			    e->map, e->seq);
		if (acl_ok)
			check_pairs(m, e, errs);
	}
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		if (x->crypto_map[0] && !cfg_find_cmap(m, x->crypto_map))
			ERR(x->crypto_map_pos, "crypto map '%s' is not defined", x->crypto_map);
	}
}
