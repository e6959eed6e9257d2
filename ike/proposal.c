/* proposal.c: SA proposals and traffic selectors (RFC 7296 2.7, 2.9, 3.3).
 *
 * Our configuration is lists of suites; on the wire it is proposals of
 * transforms.  The responder picks the first of the initiator's proposals
 * it accepts (the initiator's preference order wins, as RFC 7296 2.7 asks)
 * and reduces it to one transform of each type.  The initiator checks that
 * what came back is a subset of one of its offers; anything else is refused. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

static void add_x(struct ike_prop *p, uint8_t type, uint16_t id, uint16_t key_bits)
{
	if (p->n_x >= sizeof(p->x) / sizeof(p->x[0]))
		return;
	p->x[p->n_x++] = (struct ike_xform){.type = type, .id = id, .key_bits = key_bits};
}

/* The PRF that goes with an integrity algorithm, for proposals that name no
 * PRF: the one of the same hash, which the suite table names alike. */
static const struct suite *prf_for_integ(const struct suite *integ)
{
	return suite_by_name(SUITE_PRF, integ->name);
}

/* The PRFs a configured proposal allows: its own list, else those of its
 * integrity algorithms, else (AEAD only) the SHA-2 PRFs. */
static size_t cfg_prfs(const struct ike_proposal *p, const struct suite **out, size_t cap)
{
	size_t n = 0;
	if (p->n_prf) {
		for (size_t i = 0; i < p->n_prf && n < cap; i++)
			out[n++] = p->prf[i];
		return n;
	}
	for (size_t i = 0; i < p->n_integ && n < cap; i++) {
		const struct suite *s = prf_for_integ(p->integ[i]);
		if (s)
			out[n++] = s;
	}
	if (n == 0) {
		static const uint16_t def[] = {IKEV2_PRF_HMAC_SHA2_256, IKEV2_PRF_HMAC_SHA2_384,
					       IKEV2_PRF_HMAC_SHA2_512};
		for (size_t i = 0; i < 3 && n < cap; i++) {
			const struct suite *s = suite_by_id(SUITE_PRF, def[i], 0);
			if (s)
				out[n++] = s;
		}
	}
	return n;
}

size_t ike_build_ike_props(const struct ike_peer_cfg *cfg, const uint8_t *spi, size_t spi_len,
			   struct ike_prop *out, size_t cap)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->n_ike && n < cap; i++) {
		const struct ike_proposal *c = &cfg->ike[i];
		struct ike_prop *p = &out[n];
		memset(p, 0, sizeof(*p));
		p->num = (uint8_t)(n + 1);
		p->proto = IKEV2_PROTO_IKE;
		p->spi_size = (uint8_t)spi_len;
		if (spi_len)
			memcpy(p->spi, spi, spi_len);
		bool aead = false;
		for (size_t j = 0; j < c->n_encr; j++) {
			add_x(p, SUITE_ENCR, c->encr[j]->id, c->encr[j]->key_bits);
			aead |= c->encr[j]->aead;
		}
		const struct suite *prfs[IKE_MAX_TRANSFORMS];
		size_t np = cfg_prfs(c, prfs, IKE_MAX_TRANSFORMS);
		for (size_t j = 0; j < np; j++)
			add_x(p, SUITE_PRF, prfs[j]->id, 0);
		if (!aead)
			for (size_t j = 0; j < c->n_integ; j++)
				add_x(p, SUITE_INTEG, c->integ[j]->id, 0);
		for (size_t j = 0; j < c->n_dh; j++)
			add_x(p, SUITE_DH, c->dh[j]->id, 0);
		n++;
	}
	return n;
}

size_t ike_build_esp_props(const struct ike_peer_cfg *cfg, uint32_t spi, const struct suite *pfs,
			   struct ike_prop *out, size_t cap)
{
	size_t n = 0;
	uint32_t nspi = htonl(spi);
	for (size_t i = 0; i < cfg->n_esp && n < cap; i++) {
		const struct ike_esp_proposal *c = &cfg->esp[i];
		struct ike_prop *p = &out[n];
		memset(p, 0, sizeof(*p));
		p->num = (uint8_t)(n + 1);
		p->proto = IKEV2_PROTO_ESP;
		p->spi_size = 4;
		memcpy(p->spi, &nspi, 4);
		add_x(p, SUITE_ENCR, c->encr->id, c->encr->key_bits);
		if (c->integ && !c->encr->aead)
			add_x(p, SUITE_INTEG, c->integ->id, 0);
		if (pfs)
			add_x(p, SUITE_DH, pfs->id, 0);
		add_x(p, SUITE_ESN, IKEV2_ESN_NO, 0);
		add_x(p, SUITE_ESN, IKEV2_ESN_YES, 0);
		n++;
	}
	return n;
}

static bool in_list(const struct suite *s, const struct suite *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (l[i] == s)
			return true;
	return false;
}

/* First transform of `type` in the peer's proposal that is in our list. */
static const struct ike_xform *pick(const struct ike_prop *pp, uint8_t type,
				    const struct suite *const *ours, size_t n_ours, uint16_t prefer)
{
	const struct ike_xform *first = NULL;
	for (size_t i = 0; i < pp->n_x; i++) {
		const struct ike_xform *x = &pp->x[i];
		if (x->type != type || x->unknown_attr)
			continue;
		const struct suite *s = suite_by_id((enum suite_type)type, x->id, x->key_bits);
		if (!s || !in_list(s, ours, n_ours))
			continue;
		if (prefer && x->id == prefer)
			return x;
		if (!first)
			first = x;
	}
	return first;
}

static bool has_type(const struct ike_prop *pp, uint8_t type)
{
	for (size_t i = 0; i < pp->n_x; i++)
		if (pp->x[i].type == type)
			return true;
	return false;
}

int ike_select_ike(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *sa, uint16_t ke_group,
		   struct ike_prop *chosen)
{
	for (size_t i = 0; i < sa->n_prop; i++) {
		const struct ike_prop *pp = &sa->prop[i];
		if (pp->proto != IKEV2_PROTO_IKE)
			continue;
		for (size_t k = 0; k < cfg->n_ike; k++) {
			const struct ike_proposal *c = &cfg->ike[k];
			const struct suite *prfs[IKE_MAX_TRANSFORMS];
			size_t np = cfg_prfs(c, prfs, IKE_MAX_TRANSFORMS);
			const struct ike_xform *e = pick(pp, SUITE_ENCR, c->encr, c->n_encr, 0);
			const struct ike_xform *f = pick(pp, SUITE_PRF, prfs, np, 0);
			const struct ike_xform *d = pick(pp, SUITE_DH, c->dh, c->n_dh, ke_group);
			if (!e || !f || !d)
				continue;
			const struct suite *es = suite_by_id(SUITE_ENCR, e->id, e->key_bits);
			const struct ike_xform *in = NULL;
			if (!es->aead) {
				in = pick(pp, SUITE_INTEG, c->integ, c->n_integ, 0);
				if (!in)
					continue;
			}
			memset(chosen, 0, sizeof(*chosen));
			chosen->num = pp->num;
			chosen->proto = IKEV2_PROTO_IKE;
			chosen->spi_size = pp->spi_size;
			memcpy(chosen->spi, pp->spi, pp->spi_size);
			add_x(chosen, SUITE_ENCR, e->id, e->key_bits);
			add_x(chosen, SUITE_PRF, f->id, 0);
			if (in)
				add_x(chosen, SUITE_INTEG, in->id, 0);
			add_x(chosen, SUITE_DH, d->id, 0);
			return 0;
		}
	}
	return -ENOENT;
}

int ike_select_esp(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *sa,
		   const struct suite *pfs, struct ike_prop *chosen)
{
	for (size_t i = 0; i < sa->n_prop; i++) {
		const struct ike_prop *pp = &sa->prop[i];
		if (pp->proto != IKEV2_PROTO_ESP || pp->spi_size != 4)
			continue;
		for (size_t k = 0; k < cfg->n_esp; k++) {
			const struct ike_esp_proposal *c = &cfg->esp[k];
			const struct suite *el[1] = {c->encr}, *il[1] = {c->integ};
			const struct ike_xform *e = pick(pp, SUITE_ENCR, el, 1, 0);
			if (!e)
				continue;
			const struct ike_xform *in = NULL;
			if (!c->encr->aead) {
				in = pick(pp, SUITE_INTEG, il, c->integ ? 1 : 0, 0);
				if (!in)
					continue;
			}
			const struct ike_xform *d = NULL;
			if (pfs) {
				const struct suite *dl[1] = {pfs};
				d = pick(pp, SUITE_DH, dl, 1, 0);
				if (!d)
					continue;
			}
			/* ESN: the first value offered (none offered means "no"). */
			const struct ike_xform *esn = NULL;
			for (size_t j = 0; j < pp->n_x && !esn; j++)
				if (pp->x[j].type == SUITE_ESN && pp->x[j].id <= IKEV2_ESN_YES)
					esn = &pp->x[j];
			if (!esn && has_type(pp, SUITE_ESN))
				continue;
			memset(chosen, 0, sizeof(*chosen));
			chosen->num = pp->num;
			chosen->proto = IKEV2_PROTO_ESP;
			chosen->spi_size = 4;
			memcpy(chosen->spi, pp->spi, 4);
			add_x(chosen, SUITE_ENCR, e->id, e->key_bits);
			if (in)
				add_x(chosen, SUITE_INTEG, in->id, 0);
			if (d)
				add_x(chosen, SUITE_DH, d->id, 0);
			add_x(chosen, SUITE_ESN, esn ? esn->id : IKEV2_ESN_NO, 0);
			return 0;
		}
	}
	return -ENOENT;
}

int ike_check_chosen(const struct ike_prop *offered, size_t n, const struct ike_sa_pl *sa,
		     struct ike_prop *chosen)
{
	if (sa->n_prop != 1)
		return -EINVAL;
	const struct ike_prop *c = &sa->prop[0];
	const struct ike_prop *o = NULL;
	for (size_t i = 0; i < n; i++)
		if (offered[i].num == c->num && offered[i].proto == c->proto)
			o = &offered[i];
	if (!o)
		return -EINVAL;
	uint8_t seen[6] = {0};
	for (size_t i = 0; i < c->n_x; i++) {
		const struct ike_xform *x = &c->x[i];
		if (x->type < SUITE_ENCR || x->type > SUITE_ESN || seen[x->type]++)
			return -EINVAL;
		bool found = false;
		for (size_t j = 0; j < o->n_x && !found; j++)
			found = o->x[j].type == x->type && o->x[j].id == x->id &&
				o->x[j].key_bits == x->key_bits;
		if (!found)
			return -EINVAL;
	}
	*chosen = *c;
	return 0;
}

int ike_prop_suites(const struct ike_prop *p, const struct suite **encr, const struct suite **integ,
		    const struct suite **prf, const struct suite **dh, bool *esn)
{
	const struct suite *e = NULL, *i = NULL, *f = NULL, *d = NULL;
	bool x_esn = false;
	for (size_t k = 0; k < p->n_x; k++) {
		const struct ike_xform *x = &p->x[k];
		const struct suite *s = x->type == SUITE_ESN ? NULL
							     : suite_by_id((enum suite_type)x->type,
									   x->id, x->key_bits);
		switch (x->type) {
		case SUITE_ENCR:
			e = s;
			break;
		case SUITE_INTEG:
			i = x->id == IKEV2_AUTH_NONE ? NULL : s;
			break;
		case SUITE_PRF:
			f = s;
			break;
		case SUITE_DH:
			d = x->id == 0 ? NULL : s;
			break;
		case SUITE_ESN:
			x_esn = x->id == IKEV2_ESN_YES;
			break;
		}
	}
	if (!e || (!e->aead && !i))
		return -EINVAL;
	if (encr)
		*encr = e;
	if (integ)
		*integ = e->aead ? NULL : i;
	if (prf) {
		if (!f)
			return -EINVAL;
		*prf = f;
	}
	if (dh)
		*dh = d;
	if (esn)
		*esn = x_esn;
	return 0;
}

void ike_cfg_ts(const struct ike_peer_cfg *cfg, struct ike_ts *local, struct ike_ts *remote)
{
	if (cfg->ts == IKE_TS_GRE) {
		uint32_t l = ntohl(cfg->local.sin_addr.s_addr),
			 r = ntohl(cfg->remote.sin_addr.s_addr);
		*local = (struct ike_ts){IPPROTO_GRE, 0, 65535, l, l};
		*remote = (struct ike_ts){IPPROTO_GRE, 0, 65535, r, r};
	} else {
		*local = (struct ike_ts){0, 0, 65535, 0, 0xffffffffu};
		*remote = *local;
	}
}

static bool intersect(const struct ike_ts *a, const struct ike_ts *b, struct ike_ts *out)
{
	if (a->proto && b->proto && a->proto != b->proto)
		return false;
	out->proto = a->proto ? a->proto : b->proto;
	out->port_lo = a->port_lo > b->port_lo ? a->port_lo : b->port_lo;
	out->port_hi = a->port_hi < b->port_hi ? a->port_hi : b->port_hi;
	out->addr_lo = a->addr_lo > b->addr_lo ? a->addr_lo : b->addr_lo;
	out->addr_hi = a->addr_hi < b->addr_hi ? a->addr_hi : b->addr_hi;
	return out->port_lo <= out->port_hi && out->addr_lo <= out->addr_hi;
}

bool ike_ts_narrow(const struct ike_ts_pl *offered, const struct ike_ts *ours, struct ike_ts *out)
{
	for (size_t i = 0; i < offered->n; i++)
		if (intersect(&offered->ts[i], ours, out))
			return true;
	return false;
}

bool ike_ts_is_any(const struct ike_ts *t)
{
	return t->proto == 0 && t->port_lo == 0 && t->port_hi == 65535 && t->addr_lo == 0 &&
	       t->addr_hi == 0xffffffffu;
}

bool ike_ts_subset(const struct ike_ts *in, const struct ike_ts *outer)
{
	if (outer->proto && in->proto != outer->proto)
		return false;
	return in->port_lo >= outer->port_lo && in->port_hi <= outer->port_hi &&
	       in->addr_lo >= outer->addr_lo && in->addr_hi <= outer->addr_hi;
}
