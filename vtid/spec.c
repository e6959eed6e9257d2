/* spec.c: one tunnel's configuration, resolved from the model into what the
 * tunnel layer, the IKE engine and the data plane take (struct tunnel_spec).
 *
 * conf/diff.c resolves the references IOS-style (cfg_tunnel_resolve: profile,
 * transform-sets, keyring peer, policy, default proposals); this file only
 * turns the resolved names into lib/suite.c rows and the structs of the IKE
 * engine and the data plane. */
#include "vtid/spec.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/diff.h"
#include "conf/model.h"

static int fail(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int mask_len(uint32_t mask_be)
{
	return __builtin_popcount(mask_be);
}

/* The IPv4 address of a local interface (`tunnel source Ethernet0`). */
static int iface_addr(const char *name, struct in_addr *out)
{
	struct ifaddrs *ifa, *p;
	int rc = -ENOENT;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (p = ifa; p; p = p->ifa_next) {
		if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET && strcmp(p->ifa_name, name) == 0) {
			*out = ((struct sockaddr_in *)p->ifa_addr)->sin_addr;
			rc = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return rc;
}

static void add_suite(const struct suite **list, uint8_t *n, const struct suite *s)
{
	if (!s || *n >= IKE_MAX_TRANSFORMS)
		return;
	for (uint8_t i = 0; i < *n; i++)
		if (list[i] == s)
			return;
	list[(*n)++] = s;
}

static void proposal_from_cfg(const struct cfg_proposal *p, struct ike_proposal *out)
{
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < p->n_encr; i++)
		add_suite(out->encr, &out->n_encr, suite_by_name(SUITE_ENCR, p->encr[i]));
	for (int i = 0; i < p->n_integ; i++)
		add_suite(out->integ, &out->n_integ, suite_by_name(SUITE_INTEG, p->integ[i]));
	for (int i = 0; i < p->n_prf; i++)
		add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, p->prf[i]));
	/* IOS: without `prf`, the PRF algorithms follow the integrity ones;
	 * an AEAD-only proposal without either uses SHA-256 (as conf/diff.h says). */
	if (out->n_prf == 0) {
		for (int i = 0; i < p->n_integ; i++)
			add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, p->integ[i]));
		if (out->n_prf == 0)
			add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, "sha256"));
	}
	for (int i = 0; i < p->n_group; i++)
		add_suite(out->dh, &out->n_dh, suite_by_id(SUITE_DH, p->group[i], 0));
}

static void id_from_cfg(const struct cfg_identity *c, struct ike_id *out)
{
	memset(out, 0, sizeof(*out));
	switch (c->type) {
	case CFG_ID_ADDRESS:
		out->type = IKE_ID_IPV4_ADDR;
		out->len = 4;
		memcpy(out->data, &c->addr, 4);
		break;
	case CFG_ID_FQDN:
	case CFG_ID_KEYID: {
		size_t n = strnlen(c->str, sizeof(c->str));
		if (n > IKE_MAX_ID)
			n = IKE_MAX_ID;
		out->type = c->type == CFG_ID_FQDN ? IKE_ID_FQDN : IKE_ID_KEY_ID;
		out->len = (uint8_t)n;
		memcpy(out->data, c->str, n);
		break;
	}
	default:
		out->type = IKE_ID_NONE;
		break;
	}
}

/* The IKE side of a protected tunnel, from conf's resolution. */
static int resolve_ike(const struct cfg_tunnel_hard *h, struct tunnel_spec *spec, char *err,
		       size_t len)
{
	struct ike_peer_cfg *ike = &spec->ike;
	snprintf(spec->ipsec_profile, sizeof(spec->ipsec_profile), "%s", h->ipsec_profile);

	ike->n_esp = 0;
	for (int i = 0; i < h->n_ts && ike->n_esp < IKE_MAX_PROPOSALS; i++) {
		const struct cfg_transform *t = &h->ts[i];
		const struct suite *e = suite_by_name(SUITE_ENCR, t->encr);
		if (!e)
			return fail(err, len, "transform-set %s: unsupported cipher", t->name);
		ike->esp[ike->n_esp].encr = e;
		ike->esp[ike->n_esp].integ = e->aead ? NULL : suite_by_name(SUITE_INTEG, t->integ);
		if (!e->aead && !ike->esp[ike->n_esp].integ)
			return fail(err, len, "transform-set %s: %s needs an HMAC", t->name,
				    e->ios_ts ? e->ios_ts : e->name);
		ike->n_esp++;
	}
	if (ike->n_esp == 0)
		return fail(err, len, "ipsec profile %s: no transform-set", h->ipsec_profile);
	snprintf(spec->transform_name, sizeof(spec->transform_name), "%s", h->ts[0].name);
	ike->transport = h->ts[0].transport && h->mode == CFG_TMODE_GRE;
	ike->ts = h->mode == CFG_TMODE_GRE ? IKE_TS_GRE : IKE_TS_ANY;
	if (h->pfs_group)
		ike->pfs = suite_by_id(SUITE_DH, h->pfs_group, 0);
	ike->child_lifetime_s = h->sa_lifetime_s;
	/* 0 = `kilobytes disable`: a volume no tunnel reaches. */
	ike->child_lifetime_kb = h->sa_lifetime_kb ? h->sa_lifetime_kb : (UINT64_C(1) << 40);
	ike->replay_window = h->replay_window;

	size_t pl = strnlen(h->psk_local, sizeof(h->psk_local));
	size_t pr = strnlen(h->psk_remote, sizeof(h->psk_remote));
	if (pl == 0 || pr == 0)
		return fail(err, len, "keyring %s peer %s: pre-shared-key missing", h->keyring,
			    h->peer);
	if (pl > IKE_MAX_PSK || pr > IKE_MAX_PSK)
		return fail(err, len, "keyring %s peer %s: pre-shared-key too long", h->keyring,
			    h->peer);
	memcpy(ike->psk_local, h->psk_local, pl);
	ike->psk_local_len = (uint8_t)pl;
	memcpy(ike->psk_remote, h->psk_remote, pr);
	ike->psk_remote_len = (uint8_t)pr;

	id_from_cfg(&h->local_id, &ike->local_id);
	/* The peer's identity, accepted when any `match identity remote` line
	 * (or the keyring peer's `identity`) matches it, as in IOS.  An
	 * address line covering this tunnel's destination also accepts the
	 * peer's private address behind a NAT: a profile shared by several
	 * tunnels has one such line per peer. */
	ike->n_remote_ids = ike->n_remote_addrs = 0;
	ike->remote_own_addr = false;
	_Static_assert((int)IKE_MAX_REMOTE_IDS > (int)CFG_MATCH_MAX, "every match line and the identity fit");
	for (int i = 0; i < h->n_match && i < CFG_MATCH_MAX; i++) {
		const struct cfg_identity *x = &h->match[i];
		if (x->type == CFG_ID_FQDN || x->type == CFG_ID_KEYID) {
			id_from_cfg(x, &ike->remote_ids[ike->n_remote_ids++]);
		} else if (x->type == CFG_ID_ADDRESS) {
			uint32_t mask = x->has_mask ? x->mask : 0xffffffffu;
			ike->remote_addrs[ike->n_remote_addrs].addr = x->addr;
			ike->remote_addrs[ike->n_remote_addrs++].mask = mask;
			if ((x->addr & mask) == (h->dst & mask))
				ike->remote_own_addr = true;
		}
	}
	if (h->peer_id.type == CFG_ID_FQDN || h->peer_id.type == CFG_ID_KEYID)
		id_from_cfg(&h->peer_id, &ike->remote_ids[ike->n_remote_ids++]);
	ike->ike_lifetime_s = h->ike_lifetime;
	ike->dpd_interval_s = h->dpd_interval;
	ike->dpd_retry_s = h->dpd_retry;
	ike->dpd_on_demand = h->dpd_mode == CFG_DPD_ON_DEMAND;
	ike->force_encap = h->nat_force_encap;
	ike->local = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(500),
					  .sin_addr = spec->link.local};
	ike->remote = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(500),
					   .sin_addr = spec->link.remote};

	ike->n_ike = 0;
	for (int i = 0; i < h->n_proposal && ike->n_ike < IKE_MAX_PROPOSALS; i++) {
		struct ike_proposal *out = &ike->ike[ike->n_ike];
		proposal_from_cfg(&h->proposal[i], out);
		if (out->n_encr == 0 || out->n_dh == 0)
			return fail(err, len, "ikev2 proposal %s: needs encryption and group",
				    h->proposal[i].name);
		ike->n_ike++;
	}
	if (ike->n_ike == 0)
		return fail(err, len, "no IKEv2 proposal applies");
	return 0;
}

static int fill_spec(const struct cfg_tunnel_resolved *r, struct tunnel_spec *spec, char *err,
		     size_t len)
{
	const struct cfg_tunnel_hard *h = &r->hard;
	size_t nl = strnlen(r->name, sizeof(r->name));
	if (nl >= IFNAMSIZ)
		return fail(err, len, "%s: interface name too long for Linux", r->name);
	memcpy(spec->name, r->name, nl + 1);
	size_t dl = strnlen(r->soft.description, sizeof(spec->description) - 1);
	memcpy(spec->description, r->soft.description, dl);
	spec->description[dl] = '\0';
	spec->shutdown = r->soft.shutdown;
	spec->bandwidth_kbps = r->soft.bandwidth;

	struct dp_link_cfg *l = &spec->link;
	memcpy(l->name, r->name, nl + 1);
	if (h->has_src_addr) {
		l->local.s_addr = h->src_addr;
	} else if (h->src_if[0]) {
		if (iface_addr(h->src_if, &l->local) < 0)
			return fail(err, len, "tunnel source %s has no IPv4 address", h->src_if);
	} else {
		return fail(err, len, "%s: tunnel source is not set", r->name);
	}
	if (!h->has_dst)
		return fail(err, len, "%s: tunnel destination is not set", r->name);
	l->remote.s_addr = h->dst;
	if (h->has_addr) {
		l->addr.s_addr = h->addr;
		l->prefixlen = (uint8_t)mask_len(h->mask);
	}
	l->encap = h->mode == CFG_TMODE_IPSEC ? DP_ENCAP_NONE : DP_ENCAP_GRE;
	l->gre_key_set = h->has_key;
	l->gre_key = h->key;
	l->mtu = h->mtu;
	l->tcp_mss = h->mss;
	l->df = DP_DF_COPY;
	if (h->keepalive) {
		l->keepalive_period = h->keepalive_period ? h->keepalive_period : 10;
		l->keepalive_retries = (uint8_t)(h->keepalive_retries ? h->keepalive_retries : 3);
	}
	spec->protected = h->protected;
	l->protected = h->protected;
	if (!h->protected) {
		if (h->mode == CFG_TMODE_IPSEC)
			return fail(err, len, "%s: tunnel mode ipsec ipv4 needs tunnel protection",
				    r->name);
		return 0;
	}
	return resolve_ike(h, spec, err, len);
}

size_t spec_count_tunnels(const struct cfg_model *m)
{
	size_t n = 0;
	for (size_t i = 0; m && i < m->n_interface; i++)
		n += m->interface[i].is_tunnel;
	return n;
}

int spec_from_model(const struct cfg_model *m, size_t tunnels, const char *name,
		    struct tunnel_spec *spec, char *err, size_t len)
{
	struct cfg_tunnel_resolved *r = calloc(1, sizeof(*r));
	int rc;
	memset(spec, 0, sizeof(*spec));
	if (!r)
		return fail(err, len, "out of memory");
	if (cfg_tunnel_resolve(m, name, r) < 0)
		rc = fail(err, len, "%s is not a tunnel interface", name);
	else
		rc = fill_spec(r, spec, err, len);
	/* A multi-queue TUN device costs 256 TX queues in the kernel (4.2 s
	 * to bring 1,000 up here, 0.34 s single-queue): worth it only where
	 * one tunnel may carry more than one worker can, i.e. a few tunnels.
	 * Past `dataplane userspace multi-queue N` (32 unless set) the traffic
	 * spreads over the tunnels, each read by one worker.  Decided when the
	 * device is made: a device keeps its queues until its tunnel restarts. */
	if (m && tunnels > cfg_dp_mq_tunnels(m))
		spec->link.queues = 1;
	cfg_tunnel_resolved_wipe(r);
	free(r);
	return rc;
}

void spec_wipe(struct tunnel_spec *spec)
{
	OPENSSL_cleanse(spec, sizeof(*spec));
}
