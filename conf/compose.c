/* compose.c: configuration sessions that compose (several operators at once).
 *
 * An interactive session records the lines it entered since its candidate
 * was last applied (pending: typically the lines of an object that does
 * not validate yet) and the mode stack it had then.  When the running
 * configuration changed under it (another session, a reload, `configure
 * replace`), the caller rebases it before its next line: a fresh copy of
 * the running configuration, the stack as it was, the pending lines played
 * again.  Each line thus lands on what is in force at that moment, and
 * nobody's change is undone by a copy taken earlier.
 *
 * Objects are named by keys ("interface Tunnel1", "ikev2-keyring-peer KR
 * SITE2", "router ospf 1").  An object the session is in, or enters again
 * while its lines are played, that is gone or that a change since the
 * session's base removed (even if it was made anew) is a conflict: the
 * caller's callback names that change, and the session starts over in
 * global configuration mode on the running configuration, its pending
 * lines dropped.  Lines are kept only in memory and wiped (they may hold
 * pre-shared keys). */
#include "conf/internal.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *mode_kind(int mode)
{
	switch (mode) {
	case CFG_MODE_IKEV2_PROPOSAL:
		return "ikev2-proposal";
	case CFG_MODE_IKEV2_POLICY:
		return "ikev2-policy";
	case CFG_MODE_IKEV2_KEYRING:
		return "ikev2-keyring";
	case CFG_MODE_IKEV2_KEYRING_PEER:
		return "ikev2-keyring-peer";
	case CFG_MODE_IKEV2_PROFILE:
		return "ikev2-profile";
	case CFG_MODE_CRYPTO_TRANS:
		return "transform-set";
	case CFG_MODE_IPSEC_PROFILE:
		return "ipsec-profile";
	case CFG_MODE_CRYPTO_MAP:
		return "crypto-map"; /* obj: the map, sub: the sequence number */
	case CFG_MODE_IF:
		return "interface";
	case CFG_MODE_ACL:
	case CFG_MODE_ACL_STD:
		return "access-list";
	case CFG_MODE_CMAP:
		return "class-map";
	case CFG_MODE_PMAP:
		return "policy-map";
	case CFG_MODE_PMAP_C:
		return "policy-map-class";
	default:
		return NULL;
	}
}

static void key_of(char *out, size_t len, const char *kind, const char *obj, const char *sub)
{
	if (sub && *sub)
		snprintf(out, len, "%s %s %s", kind, obj, sub);
	else
		snprintf(out, len, "%s %s", kind, obj);
}

/* The key of what a level edits; false for global configuration. */
static bool level_key(const struct cfg_level *l, char *out, size_t len)
{
	if (l->mode == CFG_MODE_ROUTER) {
		snprintf(out, len, "%s", l->header);
		return true;
	}
	const char *kind = mode_kind(l->mode);
	if (!kind)
		return false;
	key_of(out, len, kind, l->obj, l->sub);
	return true;
}

void cfg_model_keys(const struct cfg_model *m, cfg_key_fn fn, void *ctx)
{
	char k[CFG_TEXT_MAX + 2 * CFG_NAME_MAX];
#define EACH(arr, kind)                                                                            \
	for (size_t i = 0; i < m->n_##arr; i++) {                                                  \
		key_of(k, sizeof(k), kind, m->arr[i].name, NULL);                                  \
		fn(ctx, k);                                                                        \
	}
	EACH(proposal, "ikev2-proposal");
	EACH(policy, "ikev2-policy");
	EACH(keyring, "ikev2-keyring");
	EACH(ike_profile, "ikev2-profile");
	EACH(transform, "transform-set");
	EACH(ipsec_profile, "ipsec-profile");
	EACH(acl, "access-list");
	EACH(class_map, "class-map");
	EACH(policy_map, "policy-map");
	EACH(interface, "interface");
#undef EACH
	for (size_t i = 0; i < m->n_keyring; i++)
		for (size_t j = 0; j < m->keyring[i].n_peer; j++) {
			key_of(k, sizeof(k), "ikev2-keyring-peer", m->keyring[i].name,
			       m->keyring[i].peer[j].name);
			fn(ctx, k);
		}
	for (size_t i = 0; i < m->n_cmap; i++) {
		char seq[16];
		snprintf(seq, sizeof(seq), "%u", m->cmap[i].seq);
		key_of(k, sizeof(k), "crypto-map", m->cmap[i].map, seq);
		fn(ctx, k);
	}
	for (size_t i = 0; i < m->n_policy_map; i++)
		for (size_t j = 0; j < m->policy_map[i].n_cls; j++) {
			key_of(k, sizeof(k), "policy-map-class", m->policy_map[i].name,
			       m->policy_map[i].cls[j].name);
			fn(ctx, k);
		}
	for (size_t i = 0; i < m->n_router; i++)
		fn(ctx, m->router[i].header);
}

struct has_ctx {
	const char *key;
	bool found;
};

static void has_one(void *ctx, const char *key)
{
	struct has_ctx *h = ctx;
	h->found |= strcmp(h->key, key) == 0;
}

bool cfg_model_has_key(const struct cfg_model *m, const char *key)
{
	struct has_ctx h = {.key = key};
	cfg_model_keys(m, has_one, &h);
	return h.found;
}

void cfg_session_pending_clear(struct cfg_session *s)
{
	for (size_t i = 0; i < s->n_pend; i++) {
		OPENSSL_cleanse(s->pend[i], strlen(s->pend[i]));
		free(s->pend[i]);
	}
	free(s->pend);
	s->pend = NULL;
	s->n_pend = s->cap_pend = 0;
}

int cfg_session_record(struct cfg_session *s, const char *line)
{
	if (s->n_pend == s->cap_pend) {
		size_t cap = s->cap_pend ? s->cap_pend * 2 : 8;
		char **p = realloc(s->pend, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		s->pend = p;
		s->cap_pend = cap;
	}
	if (!(s->pend[s->n_pend] = strdup(line)))
		return -ENOMEM;
	s->n_pend++;
	return 0;
}

void cfg_session_forget_last(struct cfg_session *s)
{
	if (!s->n_pend)
		return;
	char *l = s->pend[--s->n_pend];
	OPENSSL_cleanse(l, strlen(l));
	free(l);
}

void cfg_session_commit(struct cfg_session *s)
{
	cfg_session_pending_clear(s);
	memcpy(s->base_lv, s->lv, sizeof(s->lv));
	s->base_depth = s->depth;
}

size_t cfg_session_pending(const struct cfg_session *s)
{
	return s->n_pend;
}

/* Which level of the stack is gone or was removed meanwhile; -1 if none. */
static int stale_level(const struct cfg_session *s, cfg_removed_fn removed, void *ctx,
		       const char **who)
{
	char k[CFG_TEXT_MAX + 2 * CFG_NAME_MAX];
	for (int d = 1; d < s->depth; d++) {
		if (!level_key(&s->lv[d], k, sizeof(k)))
			continue;
		*who = removed ? removed(ctx, k) : NULL;
		if (*who || !cfg_model_has_key(s->cand, k))
			return d;
	}
	return -1;
}

static int start_over(struct cfg_session *s, struct cfg_model *fresh)
{
	cfg_model_free(s->cand);
	s->cand = fresh;
	s->depth = 1;
	cfg_session_commit(s);
	return -ESTALE;
}

int cfg_session_rebase(struct cfg_session *s, const struct cfg_model *running,
		       cfg_removed_fn removed, void *ctx, char *msg, size_t len)
{
	struct cfg_model *cand = cfg_model_dup(running), *fresh = cfg_model_dup(running);
	if (!cand || !fresh) {
		cfg_model_free(cand);
		cfg_model_free(fresh);
		return -ENOMEM;
	}
	cfg_model_free(s->cand);
	s->cand = cand;
	memcpy(s->lv, s->base_lv, sizeof(s->lv));
	s->depth = s->base_depth;
	const char *who = NULL;
	int d = stale_level(s, removed, ctx, &who);
	if (d >= 0) {
		snprintf(msg, len, "%s was removed%s%s; back in global configuration mode",
			 s->lv[d].header, who ? " by " : " meanwhile", who ? who : "");
		return start_over(s, fresh);
	}
	for (size_t i = 0; i < s->n_pend; i++) {
		struct cfg_error e;
		if (cfg_session_line_at(s, s->pend[i], 0, &e) < 0) {
			snprintf(msg, len,
				 "your earlier line no longer applies to the running "
				 "configuration (%s); back in global configuration mode",
				 e.msg);
			return start_over(s, fresh);
		}
		if ((d = stale_level(s, removed, ctx, &who)) >= 0) {
			snprintf(msg, len, "%s was removed%s%s; back in global configuration mode",
				 s->lv[d].header, who ? " by " : " meanwhile", who ? who : "");
			return start_over(s, fresh);
		}
	}
	cfg_model_free(fresh);
	return 0;
}
