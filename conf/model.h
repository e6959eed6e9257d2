/* model.h: the configuration model — plain data.
 *
 * One struct cfg_model holds everything vtid's IOS-style file can say.
 * Objects refer to each other by NAME, never by pointer, so a model can be
 * printed, compared and replaced without fix-ups; containers are growable
 * arrays owned by their parent.  Every object remembers the file line that
 * defined it and each reference the line (and column) it was written on, so
 * semantic errors can point at the referencing line.
 *
 * Pre-shared keys live only in cfg_kr_peer.psk_local/psk_remote and are
 * wiped (OPENSSL_cleanse) by cfg_model_free and by deleting a peer. */
#ifndef VTID_CONF_MODEL_H
#define VTID_CONF_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
	CFG_NAME_MAX = 64,
	CFG_TEXT_MAX = 256, /* description, remark, verbatim line */
	CFG_PSK_MAX = 128,
	CFG_LIST_MAX = 8, /* algorithms, groups, proposals, transform-sets per object */
	CFG_ALG_MAX = 24,
	CFG_MATCH_MAX = 8, /* match identity remote lines per profile */
	/* The anti-replay window when none is set: 1,024 where IOS has 64.
	 * vtid's workers encrypt one tunnel's packets in parallel, so a worker
	 * the scheduler holds back can fall more than 64 packets behind the
	 * others (t-qos saw 38 replay drops of genuine packets in CI); the
	 * window is the receiver's own setting and costs 128 bytes. */
	CFG_REPLAY_DEFAULT = 1024,
	CFG_HW_MAX = 12,   /* hardware-only lines per interface (speed, duplex...) */
	CFG_HW_TEXT = 64,
	CFG_IFNAME_MAX = 16, /* a Linux device name and its NUL (IFNAMSIZ) */
};

/* A file position; line 0 means "typed interactively". */
struct cfg_pos {
	int line, col;
};

/* crypto ikev2 proposal NAME */
struct cfg_proposal {
	char name[CFG_NAME_MAX];
	int n_encr, n_integ, n_prf, n_group;
	char encr[CFG_LIST_MAX][CFG_ALG_MAX];  /* suite names: aes-cbc-256, aes-gcm-128, ... */
	char integ[CFG_LIST_MAX][CFG_ALG_MAX]; /* sha1 sha256 sha384 sha512 */
	char prf[CFG_LIST_MAX][CFG_ALG_MAX];
	uint16_t group[CFG_LIST_MAX]; /* 14 15 16 19 20 21 31 */
	struct cfg_pos pos;
};

/* crypto ikev2 policy NAME */
struct cfg_policy {
	char name[CFG_NAME_MAX];
	int n_proposal;
	char proposal[CFG_LIST_MAX][CFG_NAME_MAX];
	struct cfg_pos proposal_pos[CFG_LIST_MAX];
	bool has_match_local;
	uint32_t match_local; /* network byte order */
	bool match_fvrf_any;  /* `match fvrf any`: the global table, the only one vtid has */
	struct cfg_pos pos;
};

enum cfg_id_type { CFG_ID_NONE = 0, CFG_ID_ADDRESS, CFG_ID_FQDN, CFG_ID_KEYID };

struct cfg_identity {
	enum cfg_id_type type;
	uint32_t addr, mask; /* ADDRESS (mask only for match identity remote) */
	bool has_mask;
	char str[CFG_NAME_MAX * 2]; /* FQDN / key-id */
};

/* peer NAME inside a keyring */
struct cfg_kr_peer {
	char name[CFG_NAME_MAX];
	char description[CFG_TEXT_MAX];
	bool has_addr;
	uint32_t addr, mask; /* mask 255.255.255.255 when not given */
	bool has_mask;
	struct cfg_identity identity;
	char psk_local[CFG_PSK_MAX];
	char psk_remote[CFG_PSK_MAX];
	struct cfg_pos pos;
};

/* crypto ikev2 keyring NAME */
struct cfg_keyring {
	char name[CFG_NAME_MAX];
	struct cfg_kr_peer *peer;
	size_t n_peer, cap_peer;
	struct cfg_pos pos;
};

enum cfg_dpd_mode { CFG_DPD_PERIODIC = 0, CFG_DPD_ON_DEMAND };

/* crypto ikev2 profile NAME */
struct cfg_ike_profile {
	char name[CFG_NAME_MAX];
	char description[CFG_TEXT_MAX];
	int n_match;
	struct cfg_identity match[CFG_MATCH_MAX];
	struct cfg_identity local_id;
	bool auth_local_psk, auth_remote_psk;
	char keyring[CFG_NAME_MAX];
	struct cfg_pos keyring_pos;
	uint32_t lifetime;		  /* seconds; IOS default 86400 */
	uint32_t dpd_interval, dpd_retry; /* 0 = off */
	enum cfg_dpd_mode dpd_mode;
	bool nat_force_encap;
	bool match_fvrf_any; /* `match fvrf any`: the global table, the only one vtid has */
	struct cfg_pos pos;
};

/* crypto ipsec transform-set NAME ... */
struct cfg_transform {
	char name[CFG_NAME_MAX];
	char encr[CFG_ALG_MAX];	 /* suite name: aes-cbc-128, aes-gcm-256, chacha20-poly1305 */
	char integ[CFG_ALG_MAX]; /* suite name: sha1 sha256 ...; "" beside an AEAD cipher */
	bool transport;		 /* mode transport; IOS default is tunnel */
	struct cfg_pos pos;
};

/* crypto ipsec profile NAME */
struct cfg_ipsec_profile {
	char name[CFG_NAME_MAX];
	int n_ts;
	char ts[CFG_LIST_MAX][CFG_NAME_MAX];
	struct cfg_pos ts_pos;
	char ike_profile[CFG_NAME_MAX];
	struct cfg_pos ike_profile_pos;
	uint16_t pfs_group;   /* 0 = no PFS */
	uint32_t lifetime_s;  /* default 3600 */
	uint64_t lifetime_kb; /* default 4608000 */
	bool lifetime_kb_disable;
	uint32_t replay_window; /* default 64 */
	bool replay_disable;
	struct cfg_pos pos;
};

/* A verbatim routing line; in a block, leading spaces beyond the block's
 * one-space indentation are kept so FRR sub-blocks (address-family) survive. */
struct cfg_vline {
	char text[CFG_TEXT_MAX];
};

/* crypto map NAME SEQ ipsec-isakmp: one entry.  vtid is route-based, so
 * an entry is accepted only as IOS's other way of writing `tunnel
 * protection`: its access list selects the GRE packets of tunnels (every
 * entry `permit gre host SRC host DST`), and it protects those tunnels with
 * exactly what an ipsec profile with the same set lines would (see
 * conf/cryptomap.c).  Entries of one map are kept together, by sequence. */
struct cfg_cmap_entry {
	char map[CFG_NAME_MAX];
	uint32_t seq; /* 1-65535 */
	char description[CFG_TEXT_MAX];
	bool has_peer;
	uint32_t peer; /* network byte order */
	struct cfg_pos peer_pos;
	int n_ts;
	char ts[CFG_LIST_MAX][CFG_NAME_MAX];
	struct cfg_pos ts_pos;
	char ike_profile[CFG_NAME_MAX];
	struct cfg_pos ike_profile_pos;
	uint16_t pfs_group;   /* 0 = no PFS */
	uint32_t lifetime_s;  /* default 3600 */
	uint64_t lifetime_kb; /* default 4608000 */
	bool lifetime_kb_disable;
	char acl[CFG_NAME_MAX]; /* match address NAME|N */
	struct cfg_pos acl_pos;
	struct cfg_pos pos;
};

enum cfg_tunnel_mode { CFG_TMODE_GRE = 0, CFG_TMODE_IPSEC };

/* A line that only describes hardware Linux does not have or sets itself
 * (`speed auto`, `duplex auto`, `no cdp enable`...): accepted so that an IOS
 * configuration reads as written, kept and printed back, and reported as
 * `note: ignored on Linux` (cfg_notes). */
struct cfg_hwline {
	char text[CFG_HW_TEXT];
	struct cfg_pos pos;
};

/* interface-map IOSNAME LINUXDEV: the IOS name stands for the device
 * everywhere (interface blocks, tunnel source, shows). */
struct cfg_ifmap {
	char ios[CFG_NAME_MAX];
	char dev[CFG_IFNAME_MAX];
	struct cfg_pos pos;
};

struct cfg_interface {
	char name[CFG_NAME_MAX];
	bool is_tunnel;
	char description[CFG_TEXT_MAX];
	bool has_addr;
	uint32_t addr, mask;
	uint16_t mtu; /* 0 = default */
	uint16_t mss; /* 0 = none */
	bool has_src_addr;
	uint32_t src_addr;
	char src_if[CFG_NAME_MAX]; /* tunnel source INTERFACE */
	bool has_dst;
	uint32_t dst;
	enum cfg_tunnel_mode mode;
	bool has_key;
	uint32_t key;
	char protection[CFG_NAME_MAX];
	struct cfg_pos protection_pos;
	bool keepalive;
	uint16_t keepalive_period, keepalive_retries;
	uint32_t bandwidth; /* kbit/s; 0 = default */
	bool shutdown;
	char acl_in[CFG_NAME_MAX], acl_out[CFG_NAME_MAX]; /* "101" for access-list 101 */
	struct cfg_pos acl_pos, acl_out_pos; /* the `ip access-group ... in` / `out` lines */
	char sp_in[CFG_NAME_MAX], sp_out[CFG_NAME_MAX];
	struct cfg_pos sp_pos, sp_out_pos; /* service-policy input, output */
	char crypto_map[CFG_NAME_MAX];	   /* `crypto map NAME` (not on tunnels) */
	struct cfg_pos crypto_map_pos;
	struct cfg_vline *ospf; /* "ip ospf ..." lines, verbatim, in order */
	size_t n_ospf, cap_ospf;
	int n_hw; /* plain interfaces: hardware-only lines, in order */
	struct cfg_hwline hw[CFG_HW_MAX];
	struct cfg_pos name_pos;   /* the name on the `interface` line */
	struct cfg_pos src_if_pos; /* the name on the `tunnel source IFNAME` line */
	struct cfg_pos pos;
};

enum cfg_acl_action { CFG_ACL_PERMIT = 0, CFG_ACL_DENY, CFG_ACL_REMARK };
enum cfg_port_op {
	CFG_PORT_ANY = 0,
	CFG_PORT_EQ,
	CFG_PORT_NEQ,
	CFG_PORT_LT,
	CFG_PORT_GT,
	CFG_PORT_RANGE
};

struct cfg_acl_addr {
	/* Network byte order, as every address of the model; addr has the
	 * wildcard's bits cleared.  any = 0.0.0.0 255.255.255.255; host = addr
	 * 0.0.0.0.  Wildcards need not be contiguous (IOS). */
	uint32_t addr, wildcard;
	enum cfg_port_op op;
	uint16_t port1, port2;
};

struct cfg_acl_entry {
	uint32_t seq; /* given or assigned in steps of 10 */
	enum cfg_acl_action action;
	uint8_t proto; /* 0 = ip (any) */
	struct cfg_acl_addr src, dst; /* a standard ACL uses src only */
	bool established, log;
	bool has_icmp_type, has_icmp_code; /* icmp only: `echo`, `unreachable`, TYPE [CODE] */
	uint8_t icmp_type, icmp_code;
	bool has_dscp, has_prec; /* `dscp NAME|N` (0-63), `precedence NAME|N` (0-7) */
	uint8_t dscp, prec;
	bool fragments; /* non-initial fragments only (IOS `fragments`) */
	char remark[CFG_TEXT_MAX];
};

/* ip access-list standard|extended NAME, or numbered (1-99 and 1300-1999
 * standard, 100-199 and 2000-2699 extended), also from the global
 * one-line `access-list N ...` form. */
struct cfg_acl {
	char name[CFG_NAME_MAX];
	bool standard;
	struct cfg_acl_entry *ent;
	size_t n_ent, cap_ent;
	struct cfg_pos pos;
};

enum cfg_cm_type {
	CFG_CM_ACL = 0, /* match access-group name NAME | N */
	CFG_CM_DSCP,	/* match dscp V... (any of them) */
	CFG_CM_ANY,	/* match any */
	CFG_CM_PREC,	/* match precedence V... (0-7, any of them) */
	CFG_CM_PROTO,	/* match protocol ip|tcp|udp|icmp|gre|ospf */
};

struct cfg_cm_match {
	enum cfg_cm_type type;
	char acl[CFG_NAME_MAX];
	int n_dscp;
	uint8_t dscp[CFG_LIST_MAX]; /* DSCP values, or precedence values for CFG_CM_PREC */
	uint8_t proto;		    /* CFG_CM_PROTO: IP protocol number, 0 = ip (all) */
	struct cfg_pos pos;
};

/* class-map [match-any|match-all] NAME */
struct cfg_class_map {
	char name[CFG_NAME_MAX];
	bool match_any;
	struct cfg_cm_match *m;
	size_t n_m, cap_m;
	struct cfg_pos pos;
};

/* class NAME inside a policy-map (MQC); 0 / false / "" = not set.  At most
 * one of priority (kbps or percent), bandwidth (kbps, percent or remaining
 * percent) per class, as IOS. */
struct cfg_pm_class {
	char name[CFG_NAME_MAX];
	bool priority;			/* priority [KBPS [BURST]] | priority percent N */
	uint32_t priority_kbps;		/* 0 with priority: no rate of its own */
	uint32_t priority_burst;	/* bytes, 0 = default */
	uint8_t priority_percent;
	uint32_t bandwidth_kbps;
	uint32_t bandwidth_percent;	/* of the parent's rate */
	uint8_t bandwidth_remaining;	/* bandwidth remaining percent N */
	uint64_t shape_bps;		/* shape average BPS */
	uint64_t police_bps;		/* police CIR [BC] [conform-action transmit] [exceed-action drop] */
	uint32_t police_bc;		/* bytes, 0 = default */
	bool has_set_dscp;
	uint8_t set_dscp;
	uint32_t queue_limit;		/* queue-limit N packets; 0 = default */
	bool fair_queue;		/* fair-queue: needs SFQ or fq_codel in the kernel */
	char child[CFG_NAME_MAX];	/* service-policy NAME (hierarchical, under a shaped class) */
	struct cfg_pos pos;
	struct cfg_pos child_pos, fq_pos;
};

struct cfg_policy_map {
	char name[CFG_NAME_MAX];
	struct cfg_pm_class *cls;
	size_t n_cls, cap_cls;
	struct cfg_pos pos;
};

/* router ospf N / router bgp ASN / bfd: kept verbatim for FRR. */
struct cfg_router {
	char header[CFG_TEXT_MAX]; /* "router ospf 1", "bfd" */
	struct cfg_vline *line;
	size_t n_line, cap_line;
	struct cfg_pos pos;
};

enum cfg_dataplane { CFG_DP_AUTO = 0, CFG_DP_USERSPACE, CFG_DP_KERNEL };
/* `dataplane userspace multi-queue N` unset: tunnel devices get one queue
 * per worker while the configuration holds at most this many tunnels */
enum { CFG_DP_MQ_TUNNELS = 32 };
/* `crypto ikev2 cookie-challenge N` unset: COOKIEs demanded past this many
 * half-open SAs (IOS leaves the challenge off; vtid always has it) */
enum { CFG_COOKIE_CHALLENGE = 64 };

#define CFG_ARRAY(type, name)                                                                      \
	type *name;                                                                                \
	size_t n_##name, cap_##name

struct cfg_model {
	char hostname[CFG_NAME_MAX]; /* "" = default ("vtid") */
	enum cfg_dataplane dataplane;
	bool dp_mq_set;		/* dataplane userspace multi-queue N */
	unsigned dp_mq_tunnels; /* N, when set (cfg_dp_mq_tunnels) */
	char keylog[CFG_TEXT_MAX];
	unsigned cookie_challenge; /* crypto ikev2 cookie-challenge N; 0 = unset */
	CFG_ARRAY(struct cfg_ifmap, ifmap);
	CFG_ARRAY(struct cfg_proposal, proposal);
	CFG_ARRAY(struct cfg_policy, policy);
	CFG_ARRAY(struct cfg_keyring, keyring);
	CFG_ARRAY(struct cfg_ike_profile, ike_profile);
	CFG_ARRAY(struct cfg_transform, transform);
	CFG_ARRAY(struct cfg_ipsec_profile, ipsec_profile);
	CFG_ARRAY(struct cfg_cmap_entry, cmap);
	CFG_ARRAY(struct cfg_acl, acl);
	CFG_ARRAY(struct cfg_class_map, class_map);
	CFG_ARRAY(struct cfg_policy_map, policy_map);
	CFG_ARRAY(struct cfg_interface, interface);
	CFG_ARRAY(struct cfg_router, router);
	/* cfg_find_interface's hash of interface names (model.c): a cache,
	 * built on the first lookup, extended as interfaces are appended,
	 * rebuilt when one is removed (cfg_model_index_drop) */
	struct cfg_if_index *if_index;
};

struct cfg_model *cfg_model_new(void);
void cfg_model_free(struct cfg_model *m); /* NULL-safe; wipes PSKs */
/* Deep copy (a candidate for `configure terminal`); NULL on ENOMEM. */
struct cfg_model *cfg_model_dup(const struct cfg_model *m);

/* Lookups by name; NULL when absent. */
struct cfg_proposal *cfg_find_proposal(const struct cfg_model *m, const char *name);
struct cfg_policy *cfg_find_policy(const struct cfg_model *m, const char *name);
struct cfg_keyring *cfg_find_keyring(const struct cfg_model *m, const char *name);
struct cfg_kr_peer *cfg_find_peer(const struct cfg_keyring *kr, const char *name);
struct cfg_ike_profile *cfg_find_ike_profile(const struct cfg_model *m, const char *name);
struct cfg_transform *cfg_find_transform(const struct cfg_model *m, const char *name);
struct cfg_ipsec_profile *cfg_find_ipsec_profile(const struct cfg_model *m, const char *name);
struct cfg_acl *cfg_find_acl(const struct cfg_model *m, const char *name);
struct cfg_class_map *cfg_find_class_map(const struct cfg_model *m, const char *name);
struct cfg_policy_map *cfg_find_policy_map(const struct cfg_model *m, const char *name);
struct cfg_interface *cfg_find_interface(const struct cfg_model *m, const char *name);
/* After removing interfaces from m->interface: the name index is stale. */
void cfg_model_index_drop(struct cfg_model *m);
/* IOS interface names (ifmap.c).  The map entry of an IOS name (its
 * spelling in any case), or NULL. */
const struct cfg_ifmap *cfg_find_ifmap(const struct cfg_model *m, const char *ios);
/* The Linux device an interface name stands for: its map's device, else
 * the name itself. */
const char *cfg_linux_ifname(const struct cfg_model *m, const char *name);
/* The plain interface block for name, or for the same device under its
 * other name (`tunnel source eth1` finds `interface FastEthernet0/1`). */
struct cfg_interface *cfg_find_interface_dev(const struct cfg_model *m, const char *name);
/* Whether Linux can hold the name as a device name (1-15 bytes, no '/',
 * ':' or blank, not "." or ".."). */
bool cfg_linux_ifname_ok(const char *name);
/* The entry SEQ of crypto map NAME; NULL when absent.  cfg_find_cmap:
 * the map's first entry (whether the map exists). */
struct cfg_cmap_entry *cfg_find_cmap_entry(const struct cfg_model *m, const char *name,
					   uint32_t seq);
struct cfg_cmap_entry *cfg_find_cmap(const struct cfg_model *m, const char *name);

/* Names of things, shared by the writer and the parser. */
const char *cfg_dataplane_name(enum cfg_dataplane d);
unsigned cfg_dp_mq_tunnels(const struct cfg_model *m);
unsigned cfg_cookie_challenge(const struct cfg_model *m);
/* Dotted quad of a network-order address into buf (16 bytes). */
const char *cfg_ip(uint32_t a, char *buf);

#endif
