/* cmd_crypto.c: the `crypto ikev2 ...` and `crypto ipsec ...` commands and
 * their sub-modes.  Every handler checks its whole line before it changes
 * the candidate model, so a refused line leaves it as it was. */
#include "conf/internal.h"
#include "lib/suite.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION(ctx) ((struct cfg_session *)(ctx))

/* Removes element p (which points into arr) from arr. */
#define REMOVE(arr, n, p) cfg_vec_remove((arr), &(n), sizeof(*(arr)), (size_t)((p) - (arr)))

/* ---- global: objects ---- */

static int h_proposal(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_proposal *p = cfg_find_proposal(s->cand, name);
	if (cfg_no(m)) {
		if (p)
			REMOVE(s->cand->proposal, s->cand->n_proposal, p);
		return 0;
	}
	if (!p) {
		p = CFG_PUSH(s->cand->proposal, s->cand->n_proposal, s->cand->cap_proposal);
		if (!p)
			return -ENOMEM;
		memcpy(p->name, name, sizeof(name));
		p->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "crypto ikev2 proposal %s", name);
	return cfg_enter(s, CFG_MODE_IKEV2_PROPOSAL, hdr, name, NULL);
}

static int h_policy(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_policy *p = cfg_find_policy(s->cand, name);
	if (cfg_no(m)) {
		if (p)
			REMOVE(s->cand->policy, s->cand->n_policy, p);
		return 0;
	}
	if (!p) {
		p = CFG_PUSH(s->cand->policy, s->cand->n_policy, s->cand->cap_policy);
		if (!p)
			return -ENOMEM;
		memcpy(p->name, name, sizeof(name));
		p->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "crypto ikev2 policy %s", name);
	return cfg_enter(s, CFG_MODE_IKEV2_POLICY, hdr, name, NULL);
}

static int h_keyring(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_keyring *k = cfg_find_keyring(s->cand, name);
	if (cfg_no(m)) {
		if (k) {
			cfg_keyring_fini(k);
			REMOVE(s->cand->keyring, s->cand->n_keyring, k);
		}
		return 0;
	}
	if (!k) {
		k = CFG_PUSH(s->cand->keyring, s->cand->n_keyring, s->cand->cap_keyring);
		if (!k)
			return -ENOMEM;
		memcpy(k->name, name, sizeof(name));
		k->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "crypto ikev2 keyring %s", name);
	return cfg_enter(s, CFG_MODE_IKEV2_KEYRING, hdr, name, NULL);
}

static int h_ike_profile(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_ike_profile *p = cfg_find_ike_profile(s->cand, name);
	if (cfg_no(m)) {
		if (p)
			REMOVE(s->cand->ike_profile, s->cand->n_ike_profile, p);
		return 0;
	}
	if (!p) {
		p = CFG_PUSH(s->cand->ike_profile, s->cand->n_ike_profile,
			     s->cand->cap_ike_profile);
		if (!p)
			return -ENOMEM;
		memcpy(p->name, name, sizeof(name));
		p->lifetime = 86400;
		p->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "crypto ikev2 profile %s", name);
	return cfg_enter(s, CFG_MODE_IKEV2_PROFILE, hdr, name, NULL);
}

/* crypto ikev2 cookie-challenge N: IKE_SA_INIT requests must carry a
 * COOKIE (RFC 7296 2.6) while N or more SAs are half-open. */
static int h_cookie(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	(void)err; /* the range is the grammar's */
	s->cand->cookie_challenge = cfg_no(m) ? 0 : (unsigned)cfg_num(cli_arg(m, "n"));
	return 0;
}

static int h_keylog(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char file[CFG_TEXT_MAX];
	if (cfg_no(m)) {
		s->cand->keylog[0] = '\0';
		return 0;
	}
	if (cfg_copy(file, sizeof(file), m, "file", err))
		return -EINVAL;
	memcpy(s->cand->keylog, file, sizeof(file));
	return 0;
}

/* "esp-sha-hmac, esp-sha256-hmac or esp-sha512-hmac": the integrity keywords. */
static void ts_integ_list(char *buf, size_t n)
{
	const char *kw[32];
	const struct suite *h;
	size_t k = 0, len = 0;
	for (size_t i = 0; (h = suite_at(SUITE_INTEG, i)) != NULL && k < 32; i++)
		if (h->ios_ts)
			kw[k++] = h->ios_ts;
	buf[0] = '\0';
	for (size_t i = 0; i < k && len < n; i++) {
		const char *sep = i == 0 ? "" : i + 1 < k ? ", " : " or ";
		int w = snprintf(buf + len, n - len, "%s%s", sep, kw[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
}

static int h_transform(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX], list[192];
	struct cfg_transform t;
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_transform *x = cfg_find_transform(s->cand, name);
	if (cfg_no(m)) {
		if (x)
			REMOVE(s->cand->transform, s->cand->n_transform, x);
		return 0;
	}
	memset(&t, 0, sizeof(t));
	memcpy(t.name, name, sizeof(name));
	const char *enc = cli_arg(m, "enc"), *bits = cli_arg(m, "bits"),
		   *integ = cli_arg(m, "integ");
	/* The grammar offers only the table's keywords and sizes (see below). */
	const struct suite *e =
	    suite_by_ios_ts(SUITE_ENCR, enc, bits ? (uint16_t)cfg_num(bits) : 0);
	const struct suite *h = integ ? suite_by_ios_ts(SUITE_INTEG, integ, 0) : NULL;
	if (!e || (integ && !h))
		return cfg_fail(err, cfg_argcol(m, e ? "integ" : "enc"), "unknown transform");
	if (h && e->aead)
		return cfg_fail(err, cfg_argcol(m, "integ"),
				"%s is an AEAD transform: no integrity transform allowed", enc);
	if (!h && !e->aead) {
		ts_integ_list(list, sizeof(list));
		return cfg_fail(err, m->end_col, "%s needs an integrity transform (%s)", enc, list);
	}
	snprintf(t.encr, sizeof(t.encr), "%s", e->name);
	if (h)
		snprintf(t.integ, sizeof(t.integ), "%s", h->name);
	if (x) {
		/* Redefining keeps the mode, as IOS does. */
		t.transport = x->transport;
		t.pos = x->pos;
		*x = t;
	} else {
		x = CFG_PUSH(s->cand->transform, s->cand->n_transform, s->cand->cap_transform);
		if (!x)
			return -ENOMEM;
		t.pos = cfg_here(s);
		*x = t;
	}
	snprintf(hdr, sizeof(hdr), "crypto ipsec transform-set %s", name);
	return cfg_enter(s, CFG_MODE_CRYPTO_TRANS, hdr, name, NULL);
}

static int h_ipsec_profile(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_ipsec_profile *p = cfg_find_ipsec_profile(s->cand, name);
	if (cfg_no(m)) {
		if (p)
			REMOVE(s->cand->ipsec_profile, s->cand->n_ipsec_profile, p);
		return 0;
	}
	if (!p) {
		p = CFG_PUSH(s->cand->ipsec_profile, s->cand->n_ipsec_profile,
			     s->cand->cap_ipsec_profile);
		if (!p)
			return -ENOMEM;
		memcpy(p->name, name, sizeof(name));
		p->lifetime_s = 3600;
		p->lifetime_kb = 4608000;
		p->replay_window = CFG_REPLAY_DEFAULT;
		p->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "crypto ipsec profile %s", name);
	return cfg_enter(s, CFG_MODE_IPSEC_PROFILE, hdr, name, NULL);
}

/* ---- config-ikev2-proposal ---- */

static struct cfg_proposal *cur_proposal(struct cfg_session *s)
{
	return cfg_find_proposal(s->cand, cfg_top(s)->obj);
}

/* Adds or removes the values captured under `name` in a string list. */
static int alg_list(const struct cli_match *m, const char *name, char list[][CFG_ALG_MAX], int *n,
		    struct cli_error *err)
{
	int cnt = cli_arg_count(m, name), k = *n;
	char tmp[CFG_LIST_MAX][CFG_ALG_MAX];
	memcpy(tmp, list, sizeof(tmp));
	if (cfg_no(m) && cnt == 0) {
		*n = 0;
		return 0;
	}
	for (int i = 0; i < cnt; i++) {
		const char *v = cli_arg_nth(m, name, i);
		int at = -1;
		for (int j = 0; j < k; j++)
			if (!strcmp(tmp[j], v))
				at = j;
		if (cfg_no(m)) {
			if (at >= 0) {
				memmove(tmp[at], tmp[at + 1], (size_t)(k - at - 1) * CFG_ALG_MAX);
				k--;
			}
			continue;
		}
		if (at >= 0)
			continue;
		if (k >= CFG_LIST_MAX)
			return cfg_fail(err, 1, "too many values (at most %d)", CFG_LIST_MAX);
		snprintf(tmp[k++], CFG_ALG_MAX, "%s", v);
	}
	memcpy(list, tmp, sizeof(tmp));
	*n = k;
	return 0;
}

static int h_encryption(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_proposal *p = cur_proposal(SESSION(ctx));
	return p ? alg_list(m, "alg", p->encr, &p->n_encr, err) : -ENOENT;
}

static int h_integrity(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_proposal *p = cur_proposal(SESSION(ctx));
	return p ? alg_list(m, "alg", p->integ, &p->n_integ, err) : -ENOENT;
}

static int h_prf(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_proposal *p = cur_proposal(SESSION(ctx));
	return p ? alg_list(m, "alg", p->prf, &p->n_prf, err) : -ENOENT;
}

static int h_group(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_proposal *p = cur_proposal(SESSION(ctx));
	char l[CFG_LIST_MAX][CFG_ALG_MAX];
	int n;
	if (!p)
		return -ENOENT;
	for (n = 0; n < p->n_group; n++)
		snprintf(l[n], CFG_ALG_MAX, "%u", p->group[n]);
	if (alg_list(m, "grp", l, &n, err))
		return -EINVAL;
	for (int i = 0; i < n; i++)
		p->group[i] = (uint16_t)cfg_num(l[i]);
	p->n_group = n;
	return 0;
}

/* ---- config-ikev2-policy ---- */

static int h_pol_proposal(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_policy *p = cfg_find_policy(s->cand, cfg_top(s)->obj);
	struct cfg_policy t;
	if (!p)
		return -ENOENT;
	t = *p;
	int cnt = cli_arg_count(m, "name");
	if (cfg_no(m) && cnt == 0)
		t.n_proposal = 0;
	for (int i = 0; i < cnt; i++) {
		const char *v = cli_arg_nth(m, "name", i);
		int at = -1;
		if (strlen(v) >= CFG_NAME_MAX)
			return cfg_fail(err, 1, "name too long (at most %d characters)",
					CFG_NAME_MAX - 1);
		for (int j = 0; j < t.n_proposal; j++)
			if (!strcmp(t.proposal[j], v))
				at = j;
		if (cfg_no(m)) {
			if (at >= 0) {
				for (int j = at; j + 1 < t.n_proposal; j++) {
					memcpy(t.proposal[j], t.proposal[j + 1], CFG_NAME_MAX);
					t.proposal_pos[j] = t.proposal_pos[j + 1];
				}
				t.n_proposal--;
				memset(t.proposal[t.n_proposal], 0, CFG_NAME_MAX);
			}
			continue;
		}
		if (at >= 0)
			continue;
		if (t.n_proposal >= CFG_LIST_MAX)
			return cfg_fail(err, 1, "too many proposals (at most %d)", CFG_LIST_MAX);
		snprintf(t.proposal[t.n_proposal], CFG_NAME_MAX, "%s", v);
		t.proposal_pos[t.n_proposal++] = cfg_here(s);
	}
	*p = t;
	return 0;
}

static int h_pol_match(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_policy *p = cfg_find_policy(s->cand, cfg_top(s)->obj);
	(void)err;
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->has_match_local = false;
		p->match_local = 0;
		return 0;
	}
	p->has_match_local = true;
	p->match_local = cfg_ipv4(cli_arg(m, "addr"));
	return 0;
}

/* ---- config-ikev2-keyring / peer ---- */

static int h_peer(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_keyring *k = cfg_find_keyring(s->cand, cfg_top(s)->obj);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	if (!k)
		return -ENOENT;
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	struct cfg_kr_peer *p = cfg_find_peer(k, name);
	if (cfg_no(m)) {
		if (p)
			REMOVE(k->peer, k->n_peer, p);
		return 0;
	}
	if (!p) {
		p = CFG_PUSH(k->peer, k->n_peer, k->cap_peer);
		if (!p)
			return -ENOMEM;
		memcpy(p->name, name, sizeof(name));
		p->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "peer %s", name);
	return cfg_enter(s, CFG_MODE_IKEV2_KEYRING_PEER, hdr, k->name, name);
}

static struct cfg_kr_peer *cur_peer(struct cfg_session *s)
{
	return cfg_find_peer(cfg_find_keyring(s->cand, cfg_top(s)->obj), cfg_top(s)->sub);
}

static int h_peer_desc(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_kr_peer *p = cur_peer(SESSION(ctx));
	char t[CFG_TEXT_MAX];
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->description[0] = '\0';
		return 0;
	}
	if (strlen(cli_arg(m, "text")) >= sizeof(t))
		return cfg_fail(err, cfg_argcol(m, "text"), "too long (at most %zu characters)",
				sizeof(t) - 1);
	cfg_squash(t, sizeof(t), cli_arg(m, "text"));
	memcpy(p->description, t, sizeof(t));
	return 0;
}

static int h_peer_addr(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_kr_peer *p = cur_peer(SESSION(ctx));
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->has_addr = p->has_mask = false;
		p->addr = p->mask = 0;
		return 0;
	}
	uint32_t mask = 0xffffffffu;
	if (cli_arg(m, "mask")) {
		mask = cfg_ipv4(cli_arg(m, "mask"));
		if (!cfg_mask_ok(mask))
			return cfg_fail(err, cfg_argcol(m, "mask"), "invalid mask %s",
					cli_arg(m, "mask"));
	}
	p->has_addr = true;
	p->has_mask = cli_arg(m, "mask") != NULL;
	p->mask = mask;
	p->addr = cfg_ipv4(cli_arg(m, "addr")) & mask;
	return 0;
}

/* identity <address A.B.C.D|fqdn WORD|key-id WORD> with optional mask. */
static int get_identity(const struct cli_match *m, struct cfg_identity *id, bool allow_mask,
			struct cli_error *err)
{
	memset(id, 0, sizeof(*id));
	if (cli_arg(m, "addr")) {
		id->type = CFG_ID_ADDRESS;
		id->addr = cfg_ipv4(cli_arg(m, "addr"));
		id->mask = 0xffffffffu;
		if (allow_mask && cli_arg(m, "mask")) {
			id->mask = cfg_ipv4(cli_arg(m, "mask"));
			id->has_mask = true;
			if (!cfg_mask_ok(id->mask))
				return cfg_fail(err, cfg_argcol(m, "mask"), "invalid mask %s",
						cli_arg(m, "mask"));
			id->addr &= id->mask;
		}
		return 0;
	}
	const char *key = cli_arg(m, "fqdn_name") ? "fqdn_name" : "keyid";
	id->type = cli_arg(m, "fqdn_name") ? CFG_ID_FQDN : CFG_ID_KEYID;
	return cfg_copy(id->str, sizeof(id->str), m, key, err);
}

static int h_peer_identity(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_kr_peer *p = cur_peer(SESSION(ctx));
	struct cfg_identity id;
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		memset(&p->identity, 0, sizeof(p->identity));
		return 0;
	}
	if (get_identity(m, &id, false, err))
		return -EINVAL;
	p->identity = id;
	return 0;
}

static int h_peer_psk(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_kr_peer *p = cur_peer(SESSION(ctx));
	const char *dir = cli_arg(m, "dir");
	bool local = !dir || !strcmp(dir, "local"), remote = !dir || !strcmp(dir, "remote");
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		if (local)
			OPENSSL_cleanse(p->psk_local, sizeof(p->psk_local));
		if (remote)
			OPENSSL_cleanse(p->psk_remote, sizeof(p->psk_remote));
		return 0;
	}
	const char *key = cli_arg(m, "secret");
	if (strlen(key) >= CFG_PSK_MAX)
		return cfg_fail(err, cfg_argcol(m, "secret"),
				"pre-shared key too long (at most %d characters)", CFG_PSK_MAX - 1);
	if (local) {
		OPENSSL_cleanse(p->psk_local, sizeof(p->psk_local));
		memcpy(p->psk_local, key, strlen(key));
	}
	if (remote) {
		OPENSSL_cleanse(p->psk_remote, sizeof(p->psk_remote));
		memcpy(p->psk_remote, key, strlen(key));
	}
	return 0;
}

/* ---- config-ikev2-profile ---- */

static struct cfg_ike_profile *cur_ikp(struct cfg_session *s)
{
	return cfg_find_ike_profile(s->cand, cfg_top(s)->obj);
}

static int h_ikp_desc(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ike_profile *p = cur_ikp(SESSION(ctx));
	char t[CFG_TEXT_MAX];
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->description[0] = '\0';
		return 0;
	}
	if (strlen(cli_arg(m, "text")) >= sizeof(t))
		return cfg_fail(err, cfg_argcol(m, "text"), "too long (at most %zu characters)",
				sizeof(t) - 1);
	cfg_squash(t, sizeof(t), cli_arg(m, "text"));
	memcpy(p->description, t, sizeof(t));
	return 0;
}

static bool id_eq(const struct cfg_identity *a, const struct cfg_identity *b)
{
	return a->type == b->type && a->addr == b->addr && a->mask == b->mask &&
	       !strcmp(a->str, b->str);
}

static int h_ikp_match(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ike_profile *p = cur_ikp(SESSION(ctx));
	struct cfg_identity id;
	int at = -1;
	if (!p)
		return -ENOENT;
	if (get_identity(m, &id, true, err))
		return -EINVAL;
	for (int i = 0; i < p->n_match; i++)
		if (id_eq(&p->match[i], &id))
			at = i;
	if (cfg_no(m)) {
		if (at >= 0) {
			memmove(&p->match[at], &p->match[at + 1],
				(size_t)(p->n_match - at - 1) * sizeof(id));
			p->n_match--;
			memset(&p->match[p->n_match], 0, sizeof(id));
		}
		return 0;
	}
	if (at >= 0)
		return 0;
	if (p->n_match >= CFG_MATCH_MAX)
		return cfg_fail(err, 1, "too many match lines (at most %d)", CFG_MATCH_MAX);
	p->match[p->n_match++] = id;
	return 0;
}

static int h_ikp_identity(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ike_profile *p = cur_ikp(SESSION(ctx));
	struct cfg_identity id;
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		memset(&p->local_id, 0, sizeof(p->local_id));
		return 0;
	}
	if (get_identity(m, &id, false, err))
		return -EINVAL;
	p->local_id = id;
	return 0;
}

static int h_ikp_auth(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ike_profile *p = cur_ikp(SESSION(ctx));
	(void)err;
	if (!p)
		return -ENOENT;
	if (!strcmp(cli_arg(m, "dir"), "local"))
		p->auth_local_psk = !cfg_no(m);
	else
		p->auth_remote_psk = !cfg_no(m);
	return 0;
}

static int h_ikp_keyring(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_ike_profile *p = cur_ikp(s);
	char name[CFG_NAME_MAX];
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->keyring[0] = '\0';
		return 0;
	}
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	memcpy(p->keyring, name, sizeof(name));
	p->keyring_pos = cfg_here(s);
	return 0;
}

static int h_ikp_lifetime(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ike_profile *p = cur_ikp(SESSION(ctx));
	(void)err;
	if (!p)
		return -ENOENT;
	p->lifetime = cfg_no(m) ? 86400 : (uint32_t)cfg_num(cli_arg(m, "sec"));
	return 0;
}

static int h_ikp_dpd(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ike_profile *p = cur_ikp(SESSION(ctx));
	(void)err;
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->dpd_interval = p->dpd_retry = 0;
		p->dpd_mode = CFG_DPD_PERIODIC;
		return 0;
	}
	p->dpd_interval = (uint32_t)cfg_num(cli_arg(m, "interval"));
	p->dpd_retry = (uint32_t)cfg_num(cli_arg(m, "retry"));
	p->dpd_mode =
	    !strcmp(cli_arg(m, "dmode"), "on-demand") ? CFG_DPD_ON_DEMAND : CFG_DPD_PERIODIC;
	return 0;
}

static int h_ikp_nat(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ike_profile *p = cur_ikp(SESSION(ctx));
	(void)err;
	if (!p)
		return -ENOENT;
	p->nat_force_encap = !cfg_no(m);
	return 0;
}

/* ---- cfg-crypto-trans ---- */

static int h_ts_mode(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_transform *t = cfg_find_transform(s->cand, cfg_top(s)->obj);
	(void)err;
	if (!t)
		return -ENOENT;
	t->transport = !cfg_no(m) && !strcmp(cli_arg(m, "tmode"), "transport");
	return 0;
}

/* ---- ipsec-profile ---- */

static struct cfg_ipsec_profile *cur_ipp(struct cfg_session *s)
{
	return cfg_find_ipsec_profile(s->cand, cfg_top(s)->obj);
}

static int h_ipp_ts(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_ipsec_profile *p = cur_ipp(s);
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->n_ts = 0;
		memset(p->ts, 0, sizeof(p->ts));
		return 0;
	}
	int cnt = cli_arg_count(m, "ts");
	if (cnt > CFG_LIST_MAX)
		return cfg_fail(err, cfg_argcol(m, "ts"), "too many transform-sets (at most %d)",
				CFG_LIST_MAX);
	char ts[CFG_LIST_MAX][CFG_NAME_MAX];
	memset(ts, 0, sizeof(ts));
	for (int i = 0; i < cnt; i++) {
		const char *v = cli_arg_nth(m, "ts", i);
		if (strlen(v) >= CFG_NAME_MAX)
			return cfg_fail(err, cfg_argcol(m, "ts"),
					"name too long (at most %d characters)", CFG_NAME_MAX - 1);
		memcpy(ts[i], v, strlen(v));
	}
	/* IOS replaces the list: `set transform-set` names all of them. */
	memcpy(p->ts, ts, sizeof(ts));
	p->n_ts = cnt;
	p->ts_pos = cfg_here(s);
	return 0;
}

static int h_ipp_ikp(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_ipsec_profile *p = cur_ipp(s);
	char name[CFG_NAME_MAX];
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->ike_profile[0] = '\0';
		return 0;
	}
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	memcpy(p->ike_profile, name, sizeof(name));
	p->ike_profile_pos = cfg_here(s);
	return 0;
}

static int h_ipp_pfs(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ipsec_profile *p = cur_ipp(SESSION(ctx));
	(void)err;
	if (!p)
		return -ENOENT;
	const struct suite *g = cfg_no(m) ? NULL : suite_by_name(SUITE_DH, cli_arg(m, "grp"));
	p->pfs_group = g ? g->id : 0;
	return 0;
}

static int h_ipp_life(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ipsec_profile *p = cur_ipp(SESSION(ctx));
	(void)err;
	if (!p)
		return -ENOENT;
	if (cli_arg(m, "seconds")) {
		p->lifetime_s = cfg_no(m) ? 3600 : (uint32_t)cfg_num(cli_arg(m, "sec"));
	} else if (cfg_no(m)) {
		p->lifetime_kb = 4608000;
		p->lifetime_kb_disable = false;
	} else if (cli_arg(m, "disable")) {
		p->lifetime_kb_disable = true;
	} else {
		p->lifetime_kb = cfg_num(cli_arg(m, "kb"));
		p->lifetime_kb_disable = false;
	}
	return 0;
}

static int h_ipp_replay(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_ipsec_profile *p = cur_ipp(SESSION(ctx));
	if (!p)
		return -ENOENT;
	if (cfg_no(m)) {
		p->replay_window = CFG_REPLAY_DEFAULT;
		p->replay_disable = false;
		return 0;
	}
	if (cli_arg(m, "disable")) {
		p->replay_disable = true;
		return 0;
	}
	unsigned long long w = cfg_num(cli_arg(m, "win"));
	if (w & (w - 1))
		return cfg_fail(err, cfg_argcol(m, "win"),
				"replay window must be a power of two (64-4096)");
	p->replay_window = (uint32_t)w;
	p->replay_disable = false;
	return 0;
}

/* ---- the algorithm keywords, from lib/suite.c ----
 *
 * The keyword lists of `encryption`, `integrity`, `prf`, `group`, `set pfs`
 * and `crypto ipsec transform-set`, and their `?` lines, are written from
 * the suite rows, so a new transform is one row there.  They are written
 * before main() because cfg_cmds_crypto is constant data that
 * conf/session.c installs, and they depend on nothing but constant rows. */

static char syn_encr[256], help_encr[512];
static char syn_integ[160], help_integ[256];
static char syn_prf[160], help_prf[256];
static char syn_group[160], help_group[512];
char cfg_syn_pfs[256], cfg_help_pfs[512];
static char syn_ts[512], help_ts[1024];

struct gbuf {
	char *p;
	size_t cap, len;
};

static void gput(struct gbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void gput(struct gbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (w < 0 || (size_t)w >= b->cap - b->len) {
		/* Only a table that outgrew the buffers above gets here. */
		fprintf(stderr, "conf/cmd_crypto.c: grammar buffer too small\n");
		abort();
	}
	b->len += (size_t)w;
}

#define GBUF(a) (&(struct gbuf){.p = (a), .cap = sizeof(a), .len = 0})

/* head <a|b|c>tail, and head_help then one `?` line per row of the type. */
static void alg_words(struct gbuf *syn, struct gbuf *help, const char *head, const char *head_help,
		      enum suite_type type, bool by_id, const char *tail)
{
	const struct suite *r;
	gput(syn, "%s <", head);
	gput(help, "%s\n", head_help);
	for (size_t i = 0; (r = suite_at(type, i)) != NULL; i++) {
		if (by_id)
			gput(syn, "%s%u", i ? "|" : "", r->id);
		else
			gput(syn, "%s%s", i ? "|" : "", r->name);
		gput(help, "%s\n", r->ios_help);
	}
	gput(syn, ">%s", tail);
}

/* The first ENCR row of ios_ts's keyword is the one that stands for it. */
static bool ts_first(const struct suite *e)
{
	const struct suite *r;
	for (size_t i = 0; (r = suite_at(SUITE_ENCR, i)) != NULL && r != e; i++)
		if (r->ios_ts && !strcmp(r->ios_ts, e->ios_ts))
			return false;
	return true;
}

/* crypto ipsec transform-set WORD$name <esp-aes$enc [<128|192|256>$bits]|
 * esp-gcm$enc [<128|256>$bits]|...> [<esp-sha-hmac|...>$integ] */
static void ts_words(struct gbuf *syn, struct gbuf *help)
{
	const struct suite *e, *r;
	bool any = false;
	gput(syn, "crypto ipsec transform-set WORD$name <");
	gput(help, "Encryption module\nIPsec configuration\nDefine a transform set\n"
		   "Transform set name");
	for (size_t i = 0; (e = suite_at(SUITE_ENCR, i)) != NULL; i++) {
		if (!e->ios_ts || !ts_first(e))
			continue;
		gput(syn, "%s%s$enc", any ? "|" : "", e->ios_ts);
		gput(help, "\n%s", e->ios_ts_help);
		any = true;
		if (!e->key_bits)
			continue;
		gput(syn, " [<");
		for (size_t j = i, n = 0; (r = suite_at(SUITE_ENCR, j)) != NULL; j++) {
			if (!r->ios_ts || strcmp(r->ios_ts, e->ios_ts))
				continue;
			gput(syn, "%s%u", n++ ? "|" : "", r->key_bits);
			gput(help, "\n%u-bit key%s", r->key_bits,
			     r->ios_ts_default ? " (default)" : "");
		}
		gput(syn, ">$bits]");
	}
	gput(syn, "> [<");
	any = false;
	for (size_t i = 0; (r = suite_at(SUITE_INTEG, i)) != NULL; i++) {
		if (!r->ios_ts)
			continue;
		gput(syn, "%s%s", any ? "|" : "", r->ios_ts);
		gput(help, "\n%s", r->ios_ts_help);
		any = true;
	}
	gput(syn, ">$integ]");
}

void cfg_crypto_words_build(void)
{
	static bool built; /* the table is constant: the words are built once */
	if (built)
		return;
	built = true;
	alg_words(GBUF(syn_encr), GBUF(help_encr), "[no] encryption",
		  "Negate a command\nEncryption algorithms", SUITE_ENCR, false, "...$alg");
	alg_words(GBUF(syn_integ), GBUF(help_integ), "[no] integrity",
		  "Negate a command\nIntegrity algorithms", SUITE_INTEG, false, "...$alg");
	alg_words(GBUF(syn_prf), GBUF(help_prf), "[no] prf",
		  "Negate a command\nPseudo-random functions", SUITE_PRF, false, "...$alg");
	alg_words(GBUF(syn_group), GBUF(help_group), "[no] group",
		  "Negate a command\nDiffie-Hellman groups", SUITE_DH, true, "...$grp");
	alg_words(GBUF(cfg_syn_pfs), GBUF(cfg_help_pfs), "set pfs",
		  "Set a value\nPerfect forward secrecy for Child SAs", SUITE_DH, false, "$grp");
	ts_words(GBUF(syn_ts), GBUF(help_ts));
}

#define IDENT "<address A.B.C.D$addr|fqdn WORD$fqdn_name|key-id WORD$keyid>"
#define IDENT_HELP                                                                                 \
	"IPv4 address identity\nIPv4 address\nFully qualified domain name\nDomain name\n"          \
	"Key identifier\nKey identifier string\n"
#define IDENT_MASK "<address A.B.C.D$addr [A.B.C.D$mask]|fqdn WORD$fqdn_name|key-id WORD$keyid>"
#define IDENT_MASK_HELP                                                                            \
	"IPv4 address identity\nIPv4 address\nMask\nFully qualified domain name\nDomain name\n"    \
	"Key identifier\nKey identifier string\n"
#define EXIT_END(mode)                                                                             \
	{mode, "exit", "Exit from this mode", cfg_h_exit, 0},                                      \
	{                                                                                          \
		mode, "end", "Exit to EXEC mode", cfg_h_end, 0                                     \
	}

const struct cli_cmd cfg_cmds_crypto[] = {
    {CFG_MODE_CONFIG, "[no] crypto ikev2 proposal WORD$name",
     "Negate a command\nEncryption module\nIKEv2 configuration\nDefine an IKEv2 proposal\n"
     "Proposal name",
     h_proposal, 0},
    {CFG_MODE_CONFIG, "[no] crypto ikev2 policy WORD$name",
     "Negate a command\nEncryption module\nIKEv2 configuration\nDefine an IKEv2 policy\n"
     "Policy name",
     h_policy, 0},
    {CFG_MODE_CONFIG, "[no] crypto ikev2 keyring WORD$name",
     "Negate a command\nEncryption module\nIKEv2 configuration\nDefine a keyring\nKeyring name",
     h_keyring, 0},
    {CFG_MODE_CONFIG, "[no] crypto ikev2 profile WORD$name",
     "Negate a command\nEncryption module\nIKEv2 configuration\nDefine an IKEv2 profile\n"
     "Profile name",
     h_ike_profile, 0},
    {CFG_MODE_CONFIG, "crypto ikev2 cookie-challenge (1-4096)$n",
     "Encryption module\nIKEv2 configuration\nDemand a COOKIE while many SAs are half-open\n"
     "Half-open SAs from which on (default 64)",
     h_cookie, 0},
    {CFG_MODE_CONFIG, "no crypto ikev2 cookie-challenge [(1-4096)$n]",
     "Negate a command\nEncryption module\nIKEv2 configuration\nBack to the default (64)\n"
     "Half-open SAs",
     h_cookie, 0},
    {CFG_MODE_CONFIG, "crypto ikev2 keylog WORD$file",
     "Encryption module\nIKEv2 configuration\nWrite IKE and ESP keys for Wireshark\nFile name",
     h_keylog, 0},
    {CFG_MODE_CONFIG, "no crypto ikev2 keylog [WORD]",
     "Negate a command\nEncryption module\nIKEv2 configuration\nStop writing keys\nFile name",
     h_keylog, 0},
    {CFG_MODE_CONFIG, syn_ts, help_ts, h_transform, 0},
    {CFG_MODE_CONFIG, "no crypto ipsec transform-set WORD$name [LINE]",
     "Negate a command\nEncryption module\nIPsec configuration\nDelete a transform set\n"
     "Transform set name",
     h_transform, 0},
    {CFG_MODE_CONFIG, "[no] crypto ipsec profile WORD$name",
     "Negate a command\nEncryption module\nIPsec configuration\nDefine an IPsec profile\n"
     "Profile name",
     h_ipsec_profile, 0},

    {CFG_MODE_IKEV2_PROPOSAL, syn_encr, help_encr, h_encryption, 0},
    {CFG_MODE_IKEV2_PROPOSAL, "no encryption", "Negate a command\nEncryption algorithms",
     h_encryption, 0},
    {CFG_MODE_IKEV2_PROPOSAL, syn_integ, help_integ, h_integrity, 0},
    {CFG_MODE_IKEV2_PROPOSAL, "no integrity", "Negate a command\nIntegrity algorithms", h_integrity,
     0},
    {CFG_MODE_IKEV2_PROPOSAL, syn_prf, help_prf, h_prf, 0},
    {CFG_MODE_IKEV2_PROPOSAL, "no prf", "Negate a command\nPseudo-random functions", h_prf, 0},
    {CFG_MODE_IKEV2_PROPOSAL, syn_group, help_group, h_group, 0},
    {CFG_MODE_IKEV2_PROPOSAL, "no group", "Negate a command\nDiffie-Hellman groups", h_group, 0},
    EXIT_END(CFG_MODE_IKEV2_PROPOSAL),

    {CFG_MODE_IKEV2_POLICY, "[no] proposal WORD$name...",
     "Negate a command\nProposals to offer\nProposal name", h_pol_proposal, 0},
    {CFG_MODE_IKEV2_POLICY, "no proposal", "Negate a command\nProposals to offer", h_pol_proposal,
     0},
    {CFG_MODE_IKEV2_POLICY, "match address local A.B.C.D$addr",
     "Match values\nLocal address\nLocal address\nIPv4 address", h_pol_match, 0},
    {CFG_MODE_IKEV2_POLICY, "no match address local [A.B.C.D]",
     "Negate a command\nMatch values\nLocal address\nLocal address\nIPv4 address", h_pol_match, 0},
    EXIT_END(CFG_MODE_IKEV2_POLICY),

    {CFG_MODE_IKEV2_KEYRING, "[no] peer WORD$name",
     "Negate a command\nConfigure a peer and its keys\nPeer name", h_peer, 0},
    EXIT_END(CFG_MODE_IKEV2_KEYRING),

    {CFG_MODE_IKEV2_KEYRING_PEER, "description LINE$text",
     "Describe this peer\nUp to 255 characters", h_peer_desc, 0},
    {CFG_MODE_IKEV2_KEYRING_PEER, "no description [LINE]", "Negate a command\nDescription",
     h_peer_desc, 0},
    {CFG_MODE_IKEV2_KEYRING_PEER, "address A.B.C.D$addr [A.B.C.D$mask]",
     "Peer address\nIPv4 address\nMask", h_peer_addr, 0},
    {CFG_MODE_IKEV2_KEYRING_PEER, "no address [A.B.C.D [A.B.C.D]]",
     "Negate a command\nPeer address\nIPv4 address\nMask", h_peer_addr, 0},
    {CFG_MODE_IKEV2_KEYRING_PEER, "identity " IDENT, "Peer identity\n" IDENT_HELP, h_peer_identity,
     0},
    {CFG_MODE_IKEV2_KEYRING_PEER, "no identity [LINE]", "Negate a command\nPeer identity",
     h_peer_identity, 0},
    {CFG_MODE_IKEV2_KEYRING_PEER, "pre-shared-key [<local|remote>$dir] WORD$secret",
     "Pre-shared key (both directions unless local/remote)\nKey this router signs with\n"
     "Key the peer signs with\nThe key",
     h_peer_psk, 0},
    {CFG_MODE_IKEV2_KEYRING_PEER, "no pre-shared-key [<local|remote>$dir] [WORD]",
     "Negate a command\nPre-shared key\nLocal key\nRemote key\nThe key", h_peer_psk, 0},
    EXIT_END(CFG_MODE_IKEV2_KEYRING_PEER),

    {CFG_MODE_IKEV2_PROFILE, "description LINE$text", "Describe this profile\nUp to 255 characters",
     h_ikp_desc, 0},
    {CFG_MODE_IKEV2_PROFILE, "no description [LINE]", "Negate a command\nDescription", h_ikp_desc,
     0},
    {CFG_MODE_IKEV2_PROFILE, "[no] match identity remote " IDENT_MASK,
     "Negate a command\nMatch values\nPeer identity\nRemote identity\n" IDENT_MASK_HELP,
     h_ikp_match, 0},
    {CFG_MODE_IKEV2_PROFILE, "identity local " IDENT,
     "Identity\nLocal identity (default: the tunnel source address)\n" IDENT_HELP, h_ikp_identity,
     0},
    {CFG_MODE_IKEV2_PROFILE, "no identity local [LINE]",
     "Negate a command\nIdentity\nLocal identity", h_ikp_identity, 0},
    {CFG_MODE_IKEV2_PROFILE, "[no] authentication <local|remote>$dir pre-share",
     "Negate a command\nAuthentication method\nLocal authentication\nRemote authentication\n"
     "Pre-shared key",
     h_ikp_auth, 0},
    {CFG_MODE_IKEV2_PROFILE, "keyring local WORD$name", "Keyring\nLocal keyring\nKeyring name",
     h_ikp_keyring, 0},
    {CFG_MODE_IKEV2_PROFILE, "no keyring [local [WORD]]",
     "Negate a command\nKeyring\nLocal keyring\nKeyring name", h_ikp_keyring, 0},
    {CFG_MODE_IKEV2_PROFILE, "lifetime (120-86400)$sec", "IKE SA lifetime\nSeconds (default 86400)",
     h_ikp_lifetime, 0},
    {CFG_MODE_IKEV2_PROFILE, "no lifetime [(120-86400)]", "Negate a command\nIKE SA lifetime",
     h_ikp_lifetime, 0},
    {CFG_MODE_IKEV2_PROFILE, "dpd (10-3600)$interval (2-60)$retry <periodic|on-demand>$dmode",
     "Dead peer detection\nInterval in seconds\nRetry interval in seconds\n"
     "Send liveness checks periodically\nCheck only when traffic is one-way",
     h_ikp_dpd, 0},
    {CFG_MODE_IKEV2_PROFILE, "no dpd [LINE]", "Negate a command\nDead peer detection", h_ikp_dpd,
     0},
    {CFG_MODE_IKEV2_PROFILE, "[no] nat force-encap",
     "Negate a command\nNAT traversal\nAlways encapsulate ESP in UDP 4500", h_ikp_nat, 0},
    EXIT_END(CFG_MODE_IKEV2_PROFILE),

    {CFG_MODE_CRYPTO_TRANS, "mode <tunnel|transport>$tmode",
     "Encapsulation mode\nTunnel mode (default)\nTransport mode", h_ts_mode, 0},
    {CFG_MODE_CRYPTO_TRANS, "no mode [LINE]", "Negate a command\nEncapsulation mode", h_ts_mode, 0},
    EXIT_END(CFG_MODE_CRYPTO_TRANS),

    {CFG_MODE_IPSEC_PROFILE, "set transform-set WORD$ts...",
     "Set a value\nTransform sets to offer, in order\nTransform set name", h_ipp_ts, 0},
    {CFG_MODE_IPSEC_PROFILE, "no set transform-set [LINE]",
     "Negate a command\nSet a value\nTransform sets", h_ipp_ts, 0},
    {CFG_MODE_IPSEC_PROFILE, "set ikev2-profile WORD$name",
     "Set a value\nIKEv2 profile\nProfile name", h_ipp_ikp, 0},
    {CFG_MODE_IPSEC_PROFILE, "no set ikev2-profile [WORD]",
     "Negate a command\nSet a value\nIKEv2 profile\nProfile name", h_ipp_ikp, 0},
    {CFG_MODE_IPSEC_PROFILE, cfg_syn_pfs, cfg_help_pfs, h_ipp_pfs, 0},
    {CFG_MODE_IPSEC_PROFILE, "no set pfs [WORD]", "Negate a command\nSet a value\nPFS", h_ipp_pfs,
     0},
    {CFG_MODE_IPSEC_PROFILE, "set security-association lifetime seconds (120-2592000)$sec",
     "Set a value\nSecurity association parameters\nLifetime\nIn seconds (default 3600)\n"
     "Seconds",
     h_ipp_life, 0},
    {CFG_MODE_IPSEC_PROFILE,
     "set security-association lifetime kilobytes <(2560-4294967295)$kb|disable>",
     "Set a value\nSecurity association parameters\nLifetime\nIn kilobytes (default 4608000)\n"
     "Kilobytes\nNo volume limit",
     h_ipp_life, 0},
    {CFG_MODE_IPSEC_PROFILE, "no set security-association lifetime <seconds|kilobytes> [LINE]",
     "Negate a command\nSet a value\nSecurity association parameters\nLifetime\nSeconds\n"
     "Kilobytes",
     h_ipp_life, 0},
    {CFG_MODE_IPSEC_PROFILE, "set security-association replay <window-size (64-4096)$win|disable>",
     "Set a value\nSecurity association parameters\nAnti-replay\nWindow size (default 64)\n"
     "Packets, a power of two\nNo anti-replay check",
     h_ipp_replay, 0},
    {CFG_MODE_IPSEC_PROFILE, "no set security-association replay [LINE]",
     "Negate a command\nSet a value\nSecurity association parameters\nAnti-replay", h_ipp_replay,
     0},
    EXIT_END(CFG_MODE_IPSEC_PROFILE),
};
const size_t cfg_n_cmds_crypto = sizeof(cfg_cmds_crypto) / sizeof(cfg_cmds_crypto[0]);
