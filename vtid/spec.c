/* spec.c: one tunnel's configuration, resolved from the model into what the
 * tunnel layer, the IKE engine and the data plane take (struct tunnel_spec).
 *
 * Resolution follows IOS:
 *   interface TunnelN -> tunnel protection ipsec profile P
 *   P -> set transform-set (ESP proposals, mode), set pfs, SA lifetimes, replay
 *   P -> set ikev2-profile R -> keyring local K -> the peer whose address
 *        (and mask) contains the tunnel destination (longest mask wins)
 *   IKE proposals: the ikev2 policy whose `match address local` is the tunnel
 *        source, else a policy without match, else IOS's default proposals.
 * Suite names come from lib/suite.c, so whatever the grammar accepts maps to
 * one row there. */
#include "vtid/spec.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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

static const struct suite *esp_encr(const struct cfg_transform *t)
{
	char name[32];
	switch (t->encr) {
	case CFG_ESP_GCM:
		snprintf(name, sizeof(name), "aes-gcm-%u", t->key_bits ? t->key_bits : 128);
		break;
	case CFG_ESP_CHACHA:
		snprintf(name, sizeof(name), "chacha20-poly1305");
		break;
	default:
		snprintf(name, sizeof(name), "aes-cbc-%u", t->key_bits ? t->key_bits : 128);
		break;
	}
	return suite_by_name(SUITE_ENCR, name);
}

static const struct suite *esp_integ(enum cfg_esp_integ i)
{
	static const char *names[] = {[CFG_ESP_SHA1] = "sha1", [CFG_ESP_SHA256] = "sha256",
				      [CFG_ESP_SHA384] = "sha384", [CFG_ESP_SHA512] = "sha512"};
	if (i == CFG_ESP_NOINTEG || (size_t)i >= sizeof(names) / sizeof(names[0]))
		return NULL;
	return suite_by_name(SUITE_INTEG, names[i]);
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
	char g[16];
	memset(out, 0, sizeof(*out));
	for (int i = 0; i < p->n_encr; i++)
		add_suite(out->encr, &out->n_encr, suite_by_name(SUITE_ENCR, p->encr[i]));
	for (int i = 0; i < p->n_integ; i++)
		add_suite(out->integ, &out->n_integ, suite_by_name(SUITE_INTEG, p->integ[i]));
	for (int i = 0; i < p->n_prf; i++)
		add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, p->prf[i]));
	/* IOS: without `prf`, the PRF algorithms follow the integrity ones;
	 * an AEAD-only proposal without either offers SHA-2 PRFs. */
	if (out->n_prf == 0) {
		for (int i = 0; i < p->n_integ; i++)
			add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, p->integ[i]));
		if (out->n_prf == 0) {
			add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, "sha512"));
			add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, "sha384"));
			add_suite(out->prf, &out->n_prf, suite_by_name(SUITE_PRF, "sha256"));
		}
	}
	for (int i = 0; i < p->n_group; i++) {
		snprintf(g, sizeof(g), "group%u", p->group[i]);
		add_suite(out->dh, &out->n_dh, suite_by_name(SUITE_DH, g));
	}
}

/* IOS-XE's default IKEv2 proposals, used when no policy applies. */
static void default_proposals(struct ike_peer_cfg *ike)
{
	static const char *cbc[] = {"aes-cbc-256", "aes-cbc-192", "aes-cbc-128"};
	static const char *gcm[] = {"aes-gcm-256", "aes-gcm-128"};
	static const char *sha[] = {"sha512", "sha384", "sha256", "sha1"};
	static const char *grp[] = {"group19", "group14", "group21", "group20", "group31"};
	struct ike_proposal *a = &ike->ike[0], *b = &ike->ike[1];
	memset(a, 0, sizeof(*a) * 2);
	for (size_t i = 0; i < 3; i++)
		add_suite(a->encr, &a->n_encr, suite_by_name(SUITE_ENCR, cbc[i]));
	for (size_t i = 0; i < 2; i++)
		add_suite(b->encr, &b->n_encr, suite_by_name(SUITE_ENCR, gcm[i]));
	for (size_t i = 0; i < 4; i++) {
		add_suite(a->integ, &a->n_integ, suite_by_name(SUITE_INTEG, sha[i]));
		add_suite(a->prf, &a->n_prf, suite_by_name(SUITE_PRF, sha[i]));
		add_suite(b->prf, &b->n_prf, suite_by_name(SUITE_PRF, sha[i]));
	}
	for (size_t i = 0; i < 5; i++) {
		add_suite(a->dh, &a->n_dh, suite_by_name(SUITE_DH, grp[i]));
		add_suite(b->dh, &b->n_dh, suite_by_name(SUITE_DH, grp[i]));
	}
	ike->n_ike = 2;
}

static int resolve_proposals(const struct cfg_model *m, uint32_t local_be, struct ike_peer_cfg *ike,
			     char *err, size_t len)
{
	const struct cfg_policy *pol = NULL;
	for (size_t i = 0; i < m->n_policy && !pol; i++)
		if (m->policy[i].has_match_local && m->policy[i].match_local == local_be)
			pol = &m->policy[i];
	for (size_t i = 0; i < m->n_policy && !pol; i++)
		if (!m->policy[i].has_match_local)
			pol = &m->policy[i];
	if (!pol) {
		default_proposals(ike);
		return 0;
	}
	ike->n_ike = 0;
	for (int i = 0; i < pol->n_proposal && ike->n_ike < IKE_MAX_PROPOSALS; i++) {
		const struct cfg_proposal *p = cfg_find_proposal(m, pol->proposal[i]);
		if (!p)
			return fail(err, len, "ikev2 policy %s: proposal %s is not defined", pol->name,
				    pol->proposal[i]);
		struct ike_proposal *out = &ike->ike[ike->n_ike];
		proposal_from_cfg(p, out);
		if (out->n_encr == 0 || out->n_dh == 0)
			return fail(err, len, "ikev2 proposal %s: needs encryption and group", p->name);
		ike->n_ike++;
	}
	if (ike->n_ike == 0)
		return fail(err, len, "ikev2 policy %s: no proposal", pol->name);
	return 0;
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

static const struct cfg_kr_peer *match_peer(const struct cfg_keyring *kr, uint32_t dst_be)
{
	const struct cfg_kr_peer *best = NULL;
	int best_len = -1;
	for (size_t i = 0; i < kr->n_peer; i++) {
		const struct cfg_kr_peer *p = &kr->peer[i];
		if (!p->has_addr)
			continue;
		uint32_t mask = p->has_mask ? p->mask : 0xffffffffu;
		if ((p->addr & mask) == (dst_be & mask) && mask_len(mask) > best_len) {
			best = p;
			best_len = mask_len(mask);
		}
	}
	return best;
}

static int resolve_ike(const struct cfg_model *m, const struct cfg_interface *ifc,
		       struct tunnel_spec *spec, char *err, size_t len)
{
	struct ike_peer_cfg *ike = &spec->ike;
	const struct cfg_ipsec_profile *ipp = cfg_find_ipsec_profile(m, ifc->protection);
	if (!ipp)
		return fail(err, len, "ipsec profile %s is not defined", ifc->protection);
	snprintf(spec->ipsec_profile, sizeof(spec->ipsec_profile), "%s", ipp->name);

	ike->n_esp = 0;
	bool transport = false;
	for (int i = 0; i < ipp->n_ts && ike->n_esp < IKE_MAX_PROPOSALS; i++) {
		const struct cfg_transform *t = cfg_find_transform(m, ipp->ts[i]);
		if (!t)
			return fail(err, len, "transform-set %s is not defined", ipp->ts[i]);
		const struct suite *e = esp_encr(t);
		if (!e)
			return fail(err, len, "transform-set %s: unsupported cipher", t->name);
		ike->esp[ike->n_esp].encr = e;
		ike->esp[ike->n_esp].integ = e->aead ? NULL : esp_integ(t->integ);
		if (!e->aead && !ike->esp[ike->n_esp].integ)
			return fail(err, len, "transform-set %s: esp-aes needs an HMAC", t->name);
		if (i == 0) {
			transport = t->transport;
			snprintf(spec->transform_name, sizeof(spec->transform_name), "%s", t->name);
		}
		ike->n_esp++;
	}
	if (ike->n_esp == 0) {
		/* IOS-XE's default transform set: esp-aes esp-sha-hmac, tunnel mode. */
		ike->esp[0].encr = suite_by_name(SUITE_ENCR, "aes-cbc-128");
		ike->esp[0].integ = suite_by_name(SUITE_INTEG, "sha1");
		ike->n_esp = 1;
		snprintf(spec->transform_name, sizeof(spec->transform_name), "default");
	}
	ike->transport = transport && ifc->mode == CFG_TMODE_GRE;
	ike->ts = ifc->mode == CFG_TMODE_GRE ? IKE_TS_GRE : IKE_TS_ANY;
	if (ipp->pfs_group) {
		char g[16];
		snprintf(g, sizeof(g), "group%u", ipp->pfs_group);
		ike->pfs = suite_by_name(SUITE_DH, g);
	}
	ike->child_lifetime_s = ipp->lifetime_s;
	ike->child_lifetime_kb = ipp->lifetime_kb_disable ? (UINT64_C(1) << 40) : ipp->lifetime_kb;
	ike->replay_window = ipp->replay_disable ? 0 : (ipp->replay_window ? ipp->replay_window : 64);

	const struct cfg_ike_profile *prof = cfg_find_ike_profile(m, ipp->ike_profile);
	if (!prof)
		return fail(err, len, "ipsec profile %s: set ikev2-profile is missing or undefined",
			    ipp->name);
	const struct cfg_keyring *kr = cfg_find_keyring(m, prof->keyring);
	if (!kr)
		return fail(err, len, "ikev2 profile %s: keyring local is missing or undefined",
			    prof->name);
	const struct cfg_kr_peer *peer = match_peer(kr, spec->link.remote.s_addr);
	if (!peer) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &spec->link.remote, a, sizeof(a));
		return fail(err, len, "keyring %s has no peer for %s", kr->name, a);
	}
	size_t pl = strnlen(peer->psk_local, sizeof(peer->psk_local));
	size_t pr = strnlen(peer->psk_remote, sizeof(peer->psk_remote));
	if (pl == 0 || pr == 0)
		return fail(err, len, "keyring %s peer %s: pre-shared-key missing", kr->name,
			    peer->name);
	if (pl > IKE_MAX_PSK || pr > IKE_MAX_PSK)
		return fail(err, len, "keyring %s peer %s: pre-shared-key too long", kr->name,
			    peer->name);
	memcpy(ike->psk_local, peer->psk_local, pl);
	ike->psk_local_len = (uint8_t)pl;
	memcpy(ike->psk_remote, peer->psk_remote, pr);
	ike->psk_remote_len = (uint8_t)pr;

	id_from_cfg(&prof->local_id, &ike->local_id);
	/* The peer's identity: an FQDN or key-id match names it; an address
	 * match (the usual case) checks the ID against the peer's address. */
	memset(&ike->remote_id, 0, sizeof(ike->remote_id));
	for (int i = 0; i < prof->n_match; i++)
		if (prof->match[i].type == CFG_ID_FQDN || prof->match[i].type == CFG_ID_KEYID) {
			id_from_cfg(&prof->match[i], &ike->remote_id);
			break;
		}
	if (peer->identity.type == CFG_ID_FQDN || peer->identity.type == CFG_ID_KEYID)
		id_from_cfg(&peer->identity, &ike->remote_id);
	ike->ike_lifetime_s = prof->lifetime;
	ike->dpd_interval_s = prof->dpd_interval;
	ike->dpd_retry_s = prof->dpd_retry;
	ike->dpd_on_demand = prof->dpd_mode == CFG_DPD_ON_DEMAND;
	ike->force_encap = prof->nat_force_encap;

	ike->local = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(500),
					  .sin_addr = spec->link.local};
	ike->remote = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons(500),
					   .sin_addr = spec->link.remote};
	return resolve_proposals(m, spec->link.local.s_addr, ike, err, len);
}

int spec_from_model(const struct cfg_model *m, const char *name, struct tunnel_spec *spec,
		    char *err, size_t len)
{
	memset(spec, 0, sizeof(*spec));
	const struct cfg_interface *ifc = cfg_find_interface(m, name);
	if (!ifc || !ifc->is_tunnel)
		return fail(err, len, "%s is not a tunnel interface", name);
	size_t nl = strnlen(ifc->name, sizeof(ifc->name));
	if (nl >= IFNAMSIZ)
		return fail(err, len, "%s: interface name too long for Linux", name);
	memcpy(spec->name, ifc->name, nl + 1);
	size_t dl = strnlen(ifc->description, sizeof(spec->description) - 1);
	memcpy(spec->description, ifc->description, dl);
	spec->description[dl] = '\0';
	spec->shutdown = ifc->shutdown;
	spec->bandwidth_kbps = ifc->bandwidth;

	struct dp_link_cfg *l = &spec->link;
	memcpy(l->name, ifc->name, nl + 1);
	if (ifc->has_src_addr) {
		l->local.s_addr = ifc->src_addr;
	} else if (ifc->src_if[0]) {
		if (iface_addr(ifc->src_if, &l->local) < 0)
			return fail(err, len, "tunnel source %s has no IPv4 address", ifc->src_if);
	} else {
		return fail(err, len, "%s: tunnel source is not set", name);
	}
	if (!ifc->has_dst)
		return fail(err, len, "%s: tunnel destination is not set", name);
	l->remote.s_addr = ifc->dst;
	if (ifc->has_addr) {
		l->addr.s_addr = ifc->addr;
		l->prefixlen = (uint8_t)mask_len(ifc->mask);
	}
	l->encap = ifc->mode == CFG_TMODE_IPSEC ? DP_ENCAP_NONE : DP_ENCAP_GRE;
	l->gre_key_set = ifc->has_key;
	l->gre_key = ifc->key;
	l->mtu = ifc->mtu;
	l->tcp_mss = ifc->mss;
	l->df = DP_DF_COPY;
	if (ifc->keepalive) {
		l->keepalive_period = ifc->keepalive_period ? ifc->keepalive_period : 10;
		l->keepalive_retries = (uint8_t)(ifc->keepalive_retries ? ifc->keepalive_retries : 3);
	}
	spec->protected = ifc->protection[0] != '\0';
	l->protected = spec->protected;
	if (!spec->protected) {
		if (ifc->mode == CFG_TMODE_IPSEC)
			return fail(err, len, "%s: tunnel mode ipsec ipv4 needs tunnel protection",
				    name);
		return 0;
	}
	return resolve_ike(m, ifc, spec, err, len);
}

void spec_wipe(struct tunnel_spec *spec)
{
	OPENSSL_cleanse(spec, sizeof(*spec));
}
