/* model.c: life cycle of the configuration model (new, deep copy, free
 * with PSK wiping) and lookups by name. */
#include "conf/model.h"
#include "conf/internal.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cfg_model *cfg_model_new(void)
{
	return calloc(1, sizeof(struct cfg_model));
}

static void keyring_fini(struct cfg_keyring *kr)
{
	if (kr->peer)
		OPENSSL_cleanse(kr->peer, kr->cap_peer * sizeof(kr->peer[0]));
	free(kr->peer);
	kr->peer = NULL;
	kr->n_peer = kr->cap_peer = 0;
}

void cfg_keyring_fini(struct cfg_keyring *kr)
{
	keyring_fini(kr);
}

void cfg_interface_fini(struct cfg_interface *i)
{
	free(i->ospf);
	i->ospf = NULL;
	i->n_ospf = i->cap_ospf = 0;
}

void cfg_acl_fini(struct cfg_acl *a)
{
	free(a->ent);
	a->ent = NULL;
	a->n_ent = a->cap_ent = 0;
}

void cfg_class_map_fini(struct cfg_class_map *c)
{
	free(c->m);
	c->m = NULL;
	c->n_m = c->cap_m = 0;
}

void cfg_policy_map_fini(struct cfg_policy_map *p)
{
	free(p->cls);
	p->cls = NULL;
	p->n_cls = p->cap_cls = 0;
}

void cfg_router_fini(struct cfg_router *r)
{
	free(r->line);
	r->line = NULL;
	r->n_line = r->cap_line = 0;
}

void cfg_model_free(struct cfg_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_keyring; i++)
		keyring_fini(&m->keyring[i]);
	for (size_t i = 0; i < m->n_interface; i++)
		cfg_interface_fini(&m->interface[i]);
	for (size_t i = 0; i < m->n_acl; i++)
		cfg_acl_fini(&m->acl[i]);
	for (size_t i = 0; i < m->n_class_map; i++)
		cfg_class_map_fini(&m->class_map[i]);
	for (size_t i = 0; i < m->n_policy_map; i++)
		cfg_policy_map_fini(&m->policy_map[i]);
	for (size_t i = 0; i < m->n_router; i++)
		cfg_router_fini(&m->router[i]);
	free(m->ifmap);
	free(m->proposal);
	free(m->policy);
	free(m->keyring);
	free(m->ike_profile);
	free(m->transform);
	free(m->ipsec_profile);
	free(m->cmap);
	free(m->acl);
	free(m->class_map);
	free(m->policy_map);
	free(m->interface);
	free(m->router);
	cfg_model_index_drop(m);
	OPENSSL_cleanse(m, sizeof(*m));
	free(m);
}

void *cfg_vec_push(void **v, size_t *n, size_t *cap, size_t elem)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 4;
		void *nv = calloc(ncap, elem);
		if (!nv)
			return NULL;
		if (*v) {
			memcpy(nv, *v, *n * elem);
			/* Old storage may hold pre-shared keys. */
			OPENSSL_cleanse(*v, *cap * elem);
			free(*v);
		}
		*v = nv;
		*cap = ncap;
	}
	char *e = (char *)*v + *n * elem;
	memset(e, 0, elem);
	(*n)++;
	return e;
}

void cfg_vec_remove(void *v, size_t *n, size_t elem, size_t i)
{
	char *b = v;
	if (i >= *n)
		return;
	memmove(b + i * elem, b + (i + 1) * elem, (*n - i - 1) * elem);
	(*n)--;
	OPENSSL_cleanse(b + *n * elem, elem);
}

/* Copies n elements into a fresh array of capacity max(n, 1). */
static int dup_arr(void **dst, size_t *cap, const void *src, size_t n, size_t elem)
{
	size_t c = n ? n : 1;
	*dst = calloc(c, elem);
	if (!*dst)
		return -1;
	if (n)
		memcpy(*dst, src, n * elem);
	*cap = c;
	return 0;
}

#define DUP(field)                                                                                 \
	dup_arr((void **)&d->field, &d->cap_##field, m->field, m->n_##field, sizeof(*m->field))

struct cfg_model *cfg_model_dup(const struct cfg_model *m)
{
	struct cfg_model *d = cfg_model_new();
	if (!d || !m)
		return d;
	*d = *m;
	d->proposal = NULL, d->policy = NULL, d->keyring = NULL, d->ike_profile = NULL;
	d->transform = NULL, d->ipsec_profile = NULL, d->acl = NULL, d->class_map = NULL;
	d->cmap = NULL, d->ifmap = NULL;
	d->policy_map = NULL, d->interface = NULL, d->router = NULL, d->if_index = NULL;
	d->n_keyring = d->n_interface = d->n_acl = d->n_class_map = d->n_policy_map = 0;
	d->n_router = 0;
	if (DUP(proposal) || DUP(policy) || DUP(ike_profile) || DUP(transform) ||
	    DUP(ipsec_profile) || DUP(cmap) || DUP(ifmap))
		goto fail;
	/* Containers with nested arrays: count only what is fully copied, so a
	 * failure half way frees exactly what was allocated. */
	d->keyring = calloc(m->n_keyring ? m->n_keyring : 1, sizeof(*d->keyring));
	d->interface = calloc(m->n_interface ? m->n_interface : 1, sizeof(*d->interface));
	d->acl = calloc(m->n_acl ? m->n_acl : 1, sizeof(*d->acl));
	d->class_map = calloc(m->n_class_map ? m->n_class_map : 1, sizeof(*d->class_map));
	d->policy_map = calloc(m->n_policy_map ? m->n_policy_map : 1, sizeof(*d->policy_map));
	d->router = calloc(m->n_router ? m->n_router : 1, sizeof(*d->router));
	if (!d->keyring || !d->interface || !d->acl || !d->class_map || !d->policy_map ||
	    !d->router)
		goto fail;
	d->cap_keyring = m->n_keyring ? m->n_keyring : 1;
	d->cap_interface = m->n_interface ? m->n_interface : 1;
	d->cap_acl = m->n_acl ? m->n_acl : 1;
	d->cap_class_map = m->n_class_map ? m->n_class_map : 1;
	d->cap_policy_map = m->n_policy_map ? m->n_policy_map : 1;
	d->cap_router = m->n_router ? m->n_router : 1;
	for (size_t i = 0; i < m->n_keyring; i++) {
		struct cfg_keyring *k = &d->keyring[i];
		*k = m->keyring[i];
		if (dup_arr((void **)&k->peer, &k->cap_peer, m->keyring[i].peer, k->n_peer,
			    sizeof(*k->peer))) {
			k->peer = NULL;
			goto fail;
		}
		d->n_keyring++;
	}
	for (size_t i = 0; i < m->n_interface; i++) {
		struct cfg_interface *x = &d->interface[i];
		*x = m->interface[i];
		if (dup_arr((void **)&x->ospf, &x->cap_ospf, m->interface[i].ospf, x->n_ospf,
			    sizeof(*x->ospf))) {
			x->ospf = NULL;
			goto fail;
		}
		d->n_interface++;
	}
	for (size_t i = 0; i < m->n_acl; i++) {
		struct cfg_acl *x = &d->acl[i];
		*x = m->acl[i];
		if (dup_arr((void **)&x->ent, &x->cap_ent, m->acl[i].ent, x->n_ent,
			    sizeof(*x->ent))) {
			x->ent = NULL;
			goto fail;
		}
		d->n_acl++;
	}
	for (size_t i = 0; i < m->n_class_map; i++) {
		struct cfg_class_map *x = &d->class_map[i];
		*x = m->class_map[i];
		if (dup_arr((void **)&x->m, &x->cap_m, m->class_map[i].m, x->n_m, sizeof(*x->m))) {
			x->m = NULL;
			goto fail;
		}
		d->n_class_map++;
	}
	for (size_t i = 0; i < m->n_policy_map; i++) {
		struct cfg_policy_map *x = &d->policy_map[i];
		*x = m->policy_map[i];
		if (dup_arr((void **)&x->cls, &x->cap_cls, m->policy_map[i].cls, x->n_cls,
			    sizeof(*x->cls))) {
			x->cls = NULL;
			goto fail;
		}
		d->n_policy_map++;
	}
	for (size_t i = 0; i < m->n_router; i++) {
		struct cfg_router *x = &d->router[i];
		*x = m->router[i];
		if (dup_arr((void **)&x->line, &x->cap_line, m->router[i].line, x->n_line,
			    sizeof(*x->line))) {
			x->line = NULL;
			goto fail;
		}
		d->n_router++;
	}
	return d;
fail:
	cfg_model_free(d);
	return NULL;
}

#define FINDER(fn, type, arr)                                                                      \
	struct type *fn(const struct cfg_model *m, const char *name)                               \
	{                                                                                          \
		if (!m || !name)                                                                   \
			return NULL;                                                               \
		for (size_t i = 0; i < m->n_##arr; i++)                                            \
			if (!strcmp(m->arr[i].name, name))                                         \
				return &m->arr[i];                                                 \
		return NULL;                                                                       \
	}

FINDER(cfg_find_proposal, cfg_proposal, proposal)
FINDER(cfg_find_policy, cfg_policy, policy)
FINDER(cfg_find_keyring, cfg_keyring, keyring)
FINDER(cfg_find_ike_profile, cfg_ike_profile, ike_profile)
FINDER(cfg_find_transform, cfg_transform, transform)
FINDER(cfg_find_ipsec_profile, cfg_ipsec_profile, ipsec_profile)
FINDER(cfg_find_acl, cfg_acl, acl)
FINDER(cfg_find_class_map, cfg_class_map, class_map)
FINDER(cfg_find_policy_map, cfg_policy_map, policy_map)
/* Interfaces by name through a hash: a hub's configuration has thousands
 * of tunnels, and parsing, the diff and resolving each tunnel look every
 * one up (a walk each was O(N^2): 12 % of a 10,000-tunnel start in
 * strcmp).  The index is a cache of the model: slot[] holds position + 1
 * (0 = empty), at most half full, for the first n interfaces.  An
 * interface appended since (the parser's way) is added at the next
 * lookup; a removal must drop the index (cfg_model_index_drop), and a hit
 * is checked against the name anyway, a stale index rebuilt. */
struct cfg_if_index {
	size_t n, mask;
	size_t slot[];
};

static size_t if_hash(const char *name)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	return (size_t)(h ^ h >> 29);
}

void cfg_model_index_drop(struct cfg_model *m)
{
	if (m) {
		free(m->if_index);
		m->if_index = NULL;
	}
}

/* Slot of `name` in x, or of the empty slot where it goes. */
static size_t *if_slot(const struct cfg_model *m, struct cfg_if_index *x, const char *name)
{
	for (size_t i = if_hash(name) & x->mask;; i = (i + 1) & x->mask)
		if (!x->slot[i] || !strcmp(m->interface[x->slot[i] - 1].name, name))
			return &x->slot[i];
}

/* The index holding every interface of m; NULL without memory. */
static struct cfg_if_index *if_index(struct cfg_model *m)
{
	struct cfg_if_index *x = m->if_index;
	if (x && (x->n > m->n_interface || 2 * m->n_interface > x->mask + 1)) {
		cfg_model_index_drop(m); /* removals, or too full: rebuilt */
		x = NULL;
	}
	if (!x) {
		size_t slots = 64;
		while (slots < 4 * m->n_interface)
			slots <<= 1;
		x = calloc(1, sizeof(*x) + slots * sizeof(x->slot[0]));
		if (!x)
			return NULL;
		x->mask = slots - 1;
		m->if_index = x;
	}
	for (; x->n < m->n_interface; x->n++) {
		size_t *k = if_slot(m, x, m->interface[x->n].name);
		if (!*k) /* a repeated name keeps its first position, as a walk would */
			*k = x->n + 1;
	}
	return x;
}

struct cfg_interface *cfg_find_interface(const struct cfg_model *m, const char *name)
{
	if (!m || !name)
		return NULL;
	/* the index is a cache: filling it does not change the model.  A
	 * small model is walked: no index to keep (and a model that is not
	 * freed with cfg_model_free, as cfg_diff's empty side, gets none) */
	struct cfg_model *mm = (struct cfg_model *)m;
	struct cfg_if_index *x = m->n_interface >= 16 ? if_index(mm) : NULL;
	if (x) {
		size_t k = *if_slot(m, x, name);
		if (!k)
			return NULL;
		if (k <= m->n_interface && !strcmp(m->interface[k - 1].name, name))
			return &mm->interface[k - 1];
		cfg_model_index_drop(mm); /* stale: fall back to the walk */
	}
	for (size_t i = 0; i < m->n_interface; i++)
		if (!strcmp(m->interface[i].name, name))
			return &mm->interface[i];
	return NULL;
}

struct cfg_cmap_entry *cfg_find_cmap_entry(const struct cfg_model *m, const char *name,
					   uint32_t seq)
{
	for (size_t i = 0; m && name && i < m->n_cmap; i++)
		if (m->cmap[i].seq == seq && !strcmp(m->cmap[i].map, name))
			return &m->cmap[i];
	return NULL;
}

struct cfg_cmap_entry *cfg_find_cmap(const struct cfg_model *m, const char *name)
{
	for (size_t i = 0; m && name && i < m->n_cmap; i++)
		if (!strcmp(m->cmap[i].map, name))
			return &m->cmap[i];
	return NULL;
}

struct cfg_kr_peer *cfg_find_peer(const struct cfg_keyring *kr, const char *name)
{
	if (!kr || !name)
		return NULL;
	for (size_t i = 0; i < kr->n_peer; i++)
		if (!strcmp(kr->peer[i].name, name))
			return &kr->peer[i];
	return NULL;
}

unsigned cfg_dp_mq_tunnels(const struct cfg_model *m)
{
	return m->dp_mq_set ? m->dp_mq_tunnels : CFG_DP_MQ_TUNNELS;
}

unsigned cfg_cookie_challenge(const struct cfg_model *m)
{
	return m->cookie_challenge ? m->cookie_challenge : CFG_COOKIE_CHALLENGE;
}

const char *cfg_dataplane_name(enum cfg_dataplane d)
{
	switch (d) {
	case CFG_DP_USERSPACE:
		return "userspace";
	case CFG_DP_KERNEL:
		return "kernel";
	default:
		return "auto";
	}
}

const char *cfg_ip(uint32_t a, char *buf)
{
	struct in_addr in = {.s_addr = a};
	if (!inet_ntop(AF_INET, &in, buf, 16))
		strcpy(buf, "0.0.0.0");
	return buf;
}

static bool acl_addr_equal(const struct cfg_acl_addr *x, const struct cfg_acl_addr *y)
{
	return x->addr == y->addr && x->wildcard == y->wildcard && x->op == y->op &&
	       x->port1 == y->port1 && x->port2 == y->port2;
}

bool cfg_acl_entry_equal(const struct cfg_acl_entry *x, const struct cfg_acl_entry *y,
			 bool with_seq)
{
	return (!with_seq || x->seq == y->seq) && x->action == y->action && x->proto == y->proto &&
	       acl_addr_equal(&x->src, &y->src) && acl_addr_equal(&x->dst, &y->dst) &&
	       x->established == y->established && x->log == y->log &&
	       x->has_icmp_type == y->has_icmp_type && x->icmp_type == y->icmp_type &&
	       x->has_icmp_code == y->has_icmp_code && x->icmp_code == y->icmp_code &&
	       x->has_dscp == y->has_dscp && x->dscp == y->dscp && x->has_prec == y->has_prec &&
	       x->prec == y->prec && x->fragments == y->fragments && !strcmp(x->remark, y->remark);
}
