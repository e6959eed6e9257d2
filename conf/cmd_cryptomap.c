/* cmd_cryptomap.c: `crypto map NAME SEQ ipsec-isakmp` and its set/match
 * lines, `crypto map NAME` on an interface, and `match fvrf` of an ikev2
 * profile: the lines of an IOS configuration that protects GRE with a
 * crypto map on the WAN interface.  What such an entry means to vtid (the
 * GRE tunnels it protects, and what it refuses) is conf/cryptomap.c's.
 * Every handler checks its whole line before it changes the candidate. */
#include "conf/internal.h"
#include "lib/suite.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SESSION(ctx) ((struct cfg_session *)(ctx))

/* Where entry (map, seq) belongs: after the last entry of map with a lower
 * sequence number, or at the end for a new map, so a map's entries stay
 * together in sequence order (the printed order, IOS's). */
static size_t entry_slot(const struct cfg_model *m, const char *map, uint32_t seq)
{
	size_t at = m->n_cmap;
	bool seen = false;
	for (size_t i = 0; i < m->n_cmap; i++) {
		if (strcmp(m->cmap[i].map, map) != 0) {
			if (seen)
				break;
			continue;
		}
		seen = true;
		if (m->cmap[i].seq > seq)
			return i;
		at = i + 1;
	}
	return at;
}

static struct cfg_cmap_entry *entry_insert(struct cfg_model *m, const char *map, uint32_t seq)
{
	size_t at = entry_slot(m, map, seq);
	if (!CFG_PUSH(m->cmap, m->n_cmap, m->cap_cmap))
		return NULL;
	struct cfg_cmap_entry *e = &m->cmap[at];
	memmove(e + 1, e, (m->n_cmap - 1 - at) * sizeof(*e));
	memset(e, 0, sizeof(*e));
	snprintf(e->map, sizeof(e->map), "%s", map);
	e->seq = seq;
	e->lifetime_s = 3600;
	e->lifetime_kb = 4608000;
	return e;
}

static int h_cmap(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX], seqs[16];
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	const char *sq = cli_arg(m, "seq");
	uint32_t seq = sq ? (uint32_t)cfg_num(sq) : 0;
	if (cfg_no(m)) {
		/* `no crypto map NAME SEQ` removes an entry, `no crypto map NAME`
		 * the whole map (IOS). */
		for (size_t i = 0; i < s->cand->n_cmap;) {
			const struct cfg_cmap_entry *e = &s->cand->cmap[i];
			if (!strcmp(e->map, name) && (!sq || e->seq == seq))
				cfg_vec_remove(s->cand->cmap, &s->cand->n_cmap, sizeof(*e), i);
			else
				i++;
		}
		return 0;
	}
	struct cfg_cmap_entry *e = cfg_find_cmap_entry(s->cand, name, seq);
	if (!e) {
		e = entry_insert(s->cand, name, seq);
		if (!e)
			return -ENOMEM;
		e->pos = cfg_here(s);
	}
	snprintf(seqs, sizeof(seqs), "%u", seq);
	snprintf(hdr, sizeof(hdr), "crypto map %s %u ipsec-isakmp", name, seq);
	return cfg_enter(s, CFG_MODE_CRYPTO_MAP, hdr, name, seqs);
}

static struct cfg_cmap_entry *cur_entry(struct cfg_session *s)
{
	const struct cfg_level *l = cfg_top(s);
	return cfg_find_cmap_entry(s->cand, l->obj, (uint32_t)cfg_num(l->sub));
}

static int h_cm_desc(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_cmap_entry *e = cur_entry(SESSION(ctx));
	char t[CFG_TEXT_MAX];
	if (!e)
		return -ENOENT;
	if (cfg_no(m)) {
		e->description[0] = '\0';
		return 0;
	}
	if (strlen(cli_arg(m, "text")) >= sizeof(t))
		return cfg_fail(err, cfg_argcol(m, "text"), "too long (at most %zu characters)",
				sizeof(t) - 1);
	cfg_squash(t, sizeof(t), cli_arg(m, "text"));
	memcpy(e->description, t, sizeof(t));
	return 0;
}

static int h_cm_peer(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_cmap_entry *e = cur_entry(s);
	char a[16];
	if (!e)
		return -ENOENT;
	const char *v = cli_arg(m, "addr");
	uint32_t addr = v ? cfg_ipv4(v) : 0;
	if (cfg_no(m)) {
		if (!v || (e->has_peer && e->peer == addr)) {
			e->has_peer = false;
			e->peer = 0;
		}
		return 0;
	}
	/* IOS keeps a list of peers (the later ones are backups); vtid talks
	 * to one peer per tunnel, so a second one is refused, not dropped. */
	if (e->has_peer && e->peer != addr)
		return cfg_fail(err, cfg_argcol(m, "addr"),
				"this entry already has peer %s: vtid has no backup peers (remove "
				"it first with no set peer %s)",
				cfg_ip(e->peer, a), cfg_ip(e->peer, a));
	e->has_peer = true;
	e->peer = addr;
	e->peer_pos = cfg_here(s);
	return 0;
}

static int h_cm_ts(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_cmap_entry *e = cur_entry(s);
	char ts[CFG_LIST_MAX][CFG_NAME_MAX];
	if (!e)
		return -ENOENT;
	if (cfg_no(m)) {
		e->n_ts = 0;
		memset(e->ts, 0, sizeof(e->ts));
		return 0;
	}
	int n = cli_arg_count(m, "ts");
	if (n > CFG_LIST_MAX)
		return cfg_fail(err, cfg_argcol_nth(m, "ts", CFG_LIST_MAX),
				"too many transform-sets (at most %d)", CFG_LIST_MAX);
	memset(ts, 0, sizeof(ts));
	for (int i = 0; i < n; i++) {
		const char *v = cli_arg_nth(m, "ts", i);
		if (strlen(v) >= CFG_NAME_MAX)
			return cfg_fail(err, cfg_argcol_nth(m, "ts", i),
					"too long (at most %d characters)", CFG_NAME_MAX - 1);
		memcpy(ts[i], v, strlen(v));
	}
	memcpy(e->ts, ts, sizeof(ts));
	e->n_ts = n;
	e->ts_pos = cfg_here(s);
	return 0;
}

static int h_cm_ikp(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_cmap_entry *e = cur_entry(s);
	char name[CFG_NAME_MAX];
	if (!e)
		return -ENOENT;
	if (cfg_no(m)) {
		memset(e->ike_profile, 0, sizeof(e->ike_profile));
		return 0;
	}
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	memcpy(e->ike_profile, name, sizeof(name));
	e->ike_profile_pos = cfg_here(s);
	return 0;
}

static int h_cm_pfs(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_cmap_entry *e = cur_entry(SESSION(ctx));
	(void)err;
	if (!e)
		return -ENOENT;
	const struct suite *g = cfg_no(m) ? NULL : suite_by_name(SUITE_DH, cli_arg(m, "grp"));
	e->pfs_group = g ? g->id : 0;
	return 0;
}

static int h_cm_life(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_cmap_entry *e = cur_entry(SESSION(ctx));
	(void)err;
	if (!e)
		return -ENOENT;
	if (cli_arg(m, "seconds")) {
		e->lifetime_s = cfg_no(m) ? 3600 : (uint32_t)cfg_num(cli_arg(m, "sec"));
	} else if (cfg_no(m)) {
		e->lifetime_kb = 4608000;
		e->lifetime_kb_disable = false;
	} else if (cli_arg(m, "disable")) {
		e->lifetime_kb_disable = true;
	} else {
		e->lifetime_kb = cfg_num(cli_arg(m, "kb"));
		e->lifetime_kb_disable = false;
	}
	return 0;
}

static int h_cm_match(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_cmap_entry *e = cur_entry(s);
	char name[CFG_NAME_MAX];
	if (!e)
		return -ENOENT;
	if (cfg_no(m)) {
		memset(e->acl, 0, sizeof(e->acl));
		return 0;
	}
	if (cfg_acl_ref(m, "acl", name, err))
		return -EINVAL;
	memcpy(e->acl, name, sizeof(name));
	e->acl_pos = cfg_here(s);
	return 0;
}

/* ---- config-if: crypto map NAME ---- */

static int h_if_cmap(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_interface *i = cfg_find_interface(s->cand, cfg_top(s)->obj);
	char name[CFG_NAME_MAX];
	if (!i)
		return cfg_fail(err, 1, "no interface");
	if (cfg_no(m)) {
		memset(i->crypto_map, 0, sizeof(i->crypto_map));
		i->crypto_map_pos = (struct cfg_pos){0, 0};
		return 0;
	}
	if (i->is_tunnel)
		return cfg_fail(err, s->line_indent + 1,
				"a crypto map goes on the interface the tunnel's packets leave by "
				"(the WAN interface); on %s use tunnel protection ipsec profile NAME",
				i->name);
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	memcpy(i->crypto_map, name, sizeof(name));
	i->crypto_map_pos = cfg_here(s);
	return 0;
}

/* ---- match fvrf, in ikev2 profiles and policies (IOS prints it in both) ---- */

/* `any` is the global table, the one vtid has: the block matches as it
 * would without the line.  A named VRF would need the IKE socket and the
 * tunnel's outer packets in that VRF. */
static int set_fvrf(const struct cli_match *m, bool *flag, struct cli_error *err)
{
	if (cfg_no(m)) {
		*flag = false;
		return 0;
	}
	if (!cli_arg(m, "any"))
		return cfg_fail(err, cfg_argcol(m, "vrf"),
				"VRFs are not supported yet: only `match fvrf any` (the global "
				"routing table)");
	*flag = true;
	return 0;
}

static int h_ikp_fvrf(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_ike_profile *p = cfg_find_ike_profile(s->cand, cfg_top(s)->obj);
	return p ? set_fvrf(m, &p->match_fvrf_any, err) : -ENOENT;
}

static int h_pol_fvrf(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_policy *p = cfg_find_policy(s->cand, cfg_top(s)->obj);
	return p ? set_fvrf(m, &p->match_fvrf_any, err) : -ENOENT;
}

#define EXIT_END(mode)                                                                             \
	{mode, "exit", "Exit from this mode", cfg_h_exit, 0},                                      \
	{                                                                                          \
		mode, "end", "Exit to EXEC mode", cfg_h_end, 0                                     \
	}

const struct cli_cmd cfg_cmds_cryptomap[] = {
    {CFG_MODE_CONFIG, "crypto map WORD$name (1-65535)$seq [ipsec-isakmp]",
     "Encryption module\nCrypto map (protects GRE tunnels whose packets its ACL selects)\n"
     "Crypto map name\nSequence number\nIKE-negotiated IPsec (the default)",
     h_cmap, 0},
    {CFG_MODE_CONFIG, "no crypto map WORD$name [(1-65535)$seq] [LINE]",
     "Negate a command\nEncryption module\nCrypto map\nCrypto map name\n"
     "Sequence number (without it: the whole map)\nThe rest of the line",
     h_cmap, 0},

    {CFG_MODE_CRYPTO_MAP, "description LINE$text",
     "Describe this crypto map entry\nUp to 255 characters", h_cm_desc, 0},
    {CFG_MODE_CRYPTO_MAP, "no description [LINE]", "Negate a command\nDescription", h_cm_desc, 0},
    {CFG_MODE_CRYPTO_MAP, "set peer A.B.C.D$addr",
     "Set a value\nThe IKE peer (the tunnel destination)\nPeer address", h_cm_peer, 0},
    {CFG_MODE_CRYPTO_MAP, "no set peer [A.B.C.D$addr]",
     "Negate a command\nSet a value\nIKE peer\nPeer address", h_cm_peer, 0},
    {CFG_MODE_CRYPTO_MAP, "set transform-set WORD$ts...",
     "Set a value\nTransform sets to offer, in order\nTransform set name", h_cm_ts, 0},
    {CFG_MODE_CRYPTO_MAP, "no set transform-set [LINE]",
     "Negate a command\nSet a value\nTransform sets", h_cm_ts, 0},
    {CFG_MODE_CRYPTO_MAP, "set ikev2-profile WORD$name",
     "Set a value\nIKEv2 profile\nProfile name", h_cm_ikp, 0},
    {CFG_MODE_CRYPTO_MAP, "no set ikev2-profile [WORD]",
     "Negate a command\nSet a value\nIKEv2 profile\nProfile name", h_cm_ikp, 0},
    {CFG_MODE_CRYPTO_MAP, cfg_syn_pfs, cfg_help_pfs, h_cm_pfs, 0},
    {CFG_MODE_CRYPTO_MAP, "no set pfs [WORD]", "Negate a command\nSet a value\nPFS", h_cm_pfs, 0},
    {CFG_MODE_CRYPTO_MAP, "set security-association lifetime seconds (120-2592000)$sec",
     "Set a value\nSecurity association parameters\nLifetime\nIn seconds (default 3600)\n"
     "Seconds",
     h_cm_life, 0},
    {CFG_MODE_CRYPTO_MAP,
     "set security-association lifetime kilobytes <(2560-4294967295)$kb|disable>",
     "Set a value\nSecurity association parameters\nLifetime\nIn kilobytes (default 4608000)\n"
     "Kilobytes\nNo volume limit",
     h_cm_life, 0},
    {CFG_MODE_CRYPTO_MAP, "no set security-association lifetime <seconds|kilobytes> [LINE]",
     "Negate a command\nSet a value\nSecurity association parameters\nLifetime\nSeconds\n"
     "Kilobytes",
     h_cm_life, 0},
    {CFG_MODE_CRYPTO_MAP, "match address WORD$acl",
     "Match values\nAn extended access list selecting GRE between tunnel endpoints\n"
     "Access list name or number",
     h_cm_match, 0},
    {CFG_MODE_CRYPTO_MAP, "no match address [WORD]",
     "Negate a command\nMatch values\nAccess list\nName or number", h_cm_match, 0},
    EXIT_END(CFG_MODE_CRYPTO_MAP),

    {CFG_MODE_IF, "crypto map WORD$name",
     "Encryption module\nApply a crypto map (on the WAN interface)\nCrypto map name", h_if_cmap,
     0},
    {CFG_MODE_IF, "no crypto map [WORD]", "Negate a command\nEncryption module\nCrypto map\nName",
     h_if_cmap, 0},

    {CFG_MODE_IKEV2_PROFILE, "match fvrf <any$any|WORD$vrf>",
     "Match values\nFront-door VRF\nAny VRF (vtid has the global table only)\nVRF name",
     h_ikp_fvrf, 0},
    {CFG_MODE_IKEV2_POLICY, "match fvrf <any$any|WORD$vrf>",
     "Match values\nFront-door VRF\nAny VRF (the global table)\nVRF name (not supported)",
     h_pol_fvrf, 0},
    {CFG_MODE_IKEV2_POLICY, "no match fvrf [WORD]",
     "Negate a command\nMatch values\nFront-door VRF\nVRF", h_pol_fvrf, 0},
    {CFG_MODE_IKEV2_PROFILE, "no match fvrf [WORD]",
     "Negate a command\nMatch values\nFront-door VRF\nVRF", h_ikp_fvrf, 0},
};
const size_t cfg_n_cmds_cryptomap = sizeof(cfg_cmds_cryptomap) / sizeof(cfg_cmds_cryptomap[0]);
