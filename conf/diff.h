/* diff.h: what one tunnel uses, flattened, and old -> new change lists.
 *
 * cfg_tunnel_resolve() follows every reference of `interface TunnelN`
 * (ipsec profile -> transform-sets, ikev2 profile -> keyring peer whose
 * address covers the tunnel destination, ikev2 policy -> proposals) and
 * copies the values into one plain struct, so two resolutions compare with
 * memcmp: `hard` holds what needs the tunnel (its device and SAs) rebuilt
 * (endpoints, key, address, MTU and MSS, keepalives, everything the crypto
 * resolves to), `soft` what is changed in place (description, bandwidth,
 * shutdown, access lists, service policies, OSPF lines).  This is the one
 * verdict: the tunnel layer does what the change list says.
 *
 * Policy choice follows IOS: the policy whose `match address local` equals
 * the tunnel source address, else the first policy with no match, else the
 * default proposals (aes-cbc-256 / sha512 sha384 / groups 19 14 21, then
 * aes-gcm-256 / prf sha512 sha384 / groups 19 14 21).  A proposal without
 * prf uses its integrity algorithms as PRFs (IOS), sha256 if it has none.
 * With no transform-set the IOS default is used: esp-aes 128 esp-sha-hmac,
 * mode transport.  A tunnel a crypto map entry protects (conf/cryptomap.c)
 * resolves as if `tunnel protection` named a profile with the entry's set
 * lines. */
#ifndef VTID_CONF_DIFF_H
#define VTID_CONF_DIFF_H

#include "conf/model.h"

enum { CFG_OSPF_MAX = 16 };

struct cfg_tunnel_hard {
	bool has_src_addr;
	uint32_t src_addr;
	char src_if[CFG_NAME_MAX];
	bool has_dst;
	uint32_t dst;
	enum cfg_tunnel_mode mode;
	bool has_key;
	uint32_t key;
	bool has_addr;
	uint32_t addr, mask;
	bool keepalive;
	uint16_t keepalive_period, keepalive_retries;
	uint16_t mtu, mss;
	/* Protection (all zero when unprotected). */
	bool protected;
	char ipsec_profile[CFG_NAME_MAX];   /* "" when a crypto map protects it */
	char crypto_map[CFG_NAME_MAX];	    /* the crypto map entry that does */
	uint32_t crypto_map_seq;
	int n_ts;
	struct cfg_transform ts[CFG_LIST_MAX]; /* pos zeroed */
	uint16_t pfs_group;
	uint32_t sa_lifetime_s;
	uint64_t sa_lifetime_kb; /* 0 = disabled */
	uint32_t replay_window;	 /* 0 = disabled */
	char ike_profile[CFG_NAME_MAX];
	int n_match;
	struct cfg_identity match[CFG_MATCH_MAX];
	struct cfg_identity local_id; /* address of the tunnel source when unset */
	bool auth_local_psk, auth_remote_psk;
	char keyring[CFG_NAME_MAX], peer[CFG_NAME_MAX];
	struct cfg_identity peer_id;
	char psk_local[CFG_PSK_MAX], psk_remote[CFG_PSK_MAX];
	uint32_t ike_lifetime;
	uint32_t dpd_interval, dpd_retry;
	enum cfg_dpd_mode dpd_mode;
	bool nat_force_encap;
	char policy[CFG_NAME_MAX]; /* "" = default proposals */
	int n_proposal;
	struct cfg_proposal proposal[CFG_LIST_MAX]; /* pos zeroed */
};

struct cfg_tunnel_soft {
	char description[CFG_TEXT_MAX];
	uint32_t bandwidth;
	bool shutdown;
	char acl_in[CFG_NAME_MAX], acl_out[CFG_NAME_MAX];
	char sp_in[CFG_NAME_MAX], sp_out[CFG_NAME_MAX];
	int n_ospf;
	struct cfg_vline ospf[CFG_OSPF_MAX];
};

struct cfg_tunnel_resolved {
	char name[CFG_NAME_MAX];
	struct cfg_tunnel_hard hard;
	struct cfg_tunnel_soft soft;
};

/* 0, or -ENOENT when name is not a Tunnel interface of m.  out holds
 * pre-shared keys: wipe it with cfg_tunnel_resolved_wipe. */
int cfg_tunnel_resolve(const struct cfg_model *m, const char *name,
		       struct cfg_tunnel_resolved *out);
void cfg_tunnel_resolved_wipe(struct cfg_tunnel_resolved *r);

enum cfg_change_kind {
	CFG_CH_GLOBALS = 1, /* what: CFG_W_HOSTNAME ... CFG_W_COOKIE */
	CFG_CH_TUNNEL_REMOVE,
	CFG_CH_TUNNEL_RESTART, /* endpoints or resolved crypto changed */
	CFG_CH_TUNNEL_ADD,
	CFG_CH_TUNNEL_UPDATE, /* what: CFG_W_* of the soft fields */
	CFG_CH_QOS,	      /* access-lists / class-maps / policy-maps changed, or the
				 service-policy lines of a plain interface */
	CFG_CH_ROUTING,	      /* router blocks or any interface's ip ospf lines */
};

enum {
	CFG_W_HOSTNAME = 1 << 0,
	CFG_W_DATAPLANE = 1 << 1,
	CFG_W_KEYLOG = 1 << 2,
	CFG_W_DP_MQ = 1 << 10,	/* dataplane userspace multi-queue */
	CFG_W_COOKIE = 1 << 11, /* crypto ikev2 cookie-challenge */
	CFG_W_DESCRIPTION = 1 << 3,
	CFG_W_BANDWIDTH = 1 << 4,
	CFG_W_SHUTDOWN = 1 << 5,
	CFG_W_ACL = 1 << 7,	       /* also: the content of a referenced access-list */
	CFG_W_SERVICE_POLICY = 1 << 8, /* also: a referenced policy-map, its class-maps
					  (and their access lists) or its child policies */
	CFG_W_OSPF = 1 << 9,
};

struct cfg_change {
	enum cfg_change_kind kind;
	char name[CFG_NAME_MAX]; /* tunnel name; "" otherwise */
	unsigned what;
};

struct cfg_changes {
	struct cfg_change *v;
	size_t n, cap;
};

/* Ordered: globals, removals, restarts, additions, updates, QoS, routing.
 * old or new may be NULL (empty).  0 or -ENOMEM. */
int cfg_diff(const struct cfg_model *old, const struct cfg_model *new_m, struct cfg_changes *out);
void cfg_changes_free(struct cfg_changes *c);
const char *cfg_change_kind_name(enum cfg_change_kind k);

#endif
