/* internal.h: what the conf/ files share among themselves (not for other
 * layers). */
#ifndef VTID_CONF_INTERNAL_H
#define VTID_CONF_INTERNAL_H

#include "conf/conf.h"

/* Growable arrays: returns a zeroed new last element or NULL. */
void *cfg_vec_push(void **v, size_t *n, size_t *cap, size_t elem);
void cfg_vec_remove(void *v, size_t *n, size_t elem, size_t i);
#define CFG_PUSH(arr, n, cap)                                                                      \
	((__typeof__(arr))cfg_vec_push((void **)&(arr), &(n), &(cap), sizeof(*(arr))))

void cfg_keyring_fini(struct cfg_keyring *kr);
void cfg_interface_fini(struct cfg_interface *i);
void cfg_acl_fini(struct cfg_acl *a);
void cfg_class_map_fini(struct cfg_class_map *c);
void cfg_policy_map_fini(struct cfg_policy_map *p);
void cfg_router_fini(struct cfg_router *r);

struct cfg_level {
	int mode;
	char header[CFG_TEXT_MAX];
	char obj[CFG_NAME_MAX]; /* the object the mode edits (names survive reallocs) */
	char sub[CFG_NAME_MAX]; /* keyring peer / policy-map class */
};

struct cfg_session {
	const struct cli *cli;
	struct cfg_model *cand;
	int depth; /* lv[0] is global config */
	struct cfg_level lv[CFG_MAX_DEPTH];
	int line_no;	 /* line being applied */
	int line_indent; /* its leading whitespace (files) */
	bool file;	 /* reading a file: indentation rules for verbatim blocks */
	/* interactive: lines since the candidate was last applied, and the
	 * stack then (compose.c) */
	char **pend;
	size_t n_pend, cap_pend;
	struct cfg_level base_lv[CFG_MAX_DEPTH];
	int base_depth;
};

void cfg_session_pending_clear(struct cfg_session *s);
int cfg_session_record(struct cfg_session *s, const char *line);

/* Runs one line in exactly the current mode (no fallback). */
int cfg_cmd_exec(struct cfg_session *s, const char *line, struct cli_error *err);

bool cfg_mask_ok(uint32_t mask_net);
const struct cfg_kr_peer *cfg_peer_for(const struct cfg_keyring *kr, uint32_t dst);
void cfg_errors_add(struct cfg_errors *errs, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Helpers for command handlers (session.c). */
int cfg_fail(struct cli_error *err, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cfg_argcol(const struct cli_match *m, const char *name);
/* Column of the n-th (0-based) value captured under name (repeats). */
int cfg_argcol_nth(const struct cli_match *m, const char *name, int n);
bool cfg_no(const struct cli_match *m);
struct cfg_level *cfg_top(struct cfg_session *s);
int cfg_enter(struct cfg_session *s, int mode, const char *header, const char *obj,
	      const char *sub);
struct cfg_pos cfg_here(const struct cfg_session *s);
/* Copies argument `name` into dst, refusing values that do not fit. */
int cfg_copy(char *dst, size_t len, const struct cli_match *m, const char *name,
	     struct cli_error *err);
uint32_t cfg_ipv4(const char *s); /* network order; the grammar already checked it */
unsigned long long cfg_num(const char *s);
/* The word-normalised rest of a LINE capture ("a  b" -> "a b"). */
void cfg_squash(char *dst, size_t len, const char *src);

int cfg_h_exit(const struct cli_match *m, void *ctx, struct cli_error *err);
int cfg_h_end(const struct cli_match *m, void *ctx, struct cli_error *err);

/* Writes the algorithm words of cfg_cmds_crypto's syntax and help from
 * lib/suite.c's table; cfg_cli_register calls it before installing them. */
void cfg_crypto_words_build(void);
extern const struct cli_cmd cfg_cmds_crypto[];
extern const size_t cfg_n_cmds_crypto;
extern const struct cli_cmd cfg_cmds_cryptomap[];
extern const size_t cfg_n_cmds_cryptomap;
/* `set pfs GROUP` of an ipsec profile, written by cfg_crypto_words_build;
 * crypto map entries take the same line. */
extern char cfg_syn_pfs[256], cfg_help_pfs[512];
extern const struct cli_cmd cfg_cmds_if[];
extern const size_t cfg_n_cmds_if;
extern const struct cli_cmd cfg_cmds_acl[];
extern const size_t cfg_n_cmds_acl;
extern const struct cli_cmd cfg_cmds_qos[];
extern const size_t cfg_n_cmds_qos;

/* Crypto maps (cryptomap.c): the ipsec profile an entry's set lines make
 * (a tunnel it protects resolves exactly as one with tunnel protection
 * would), and the checks of every entry and `crypto map` line. */
void cfg_cmap_as_profile(const struct cfg_cmap_entry *e, struct cfg_ipsec_profile *p);
void cfg_cmap_check(const struct cfg_model *m, struct cfg_errors *errs);

/* Interface names (ifmap.c): name as the map spells it when it designates
 * one mapped IOS name (any case, abbreviated type), else as written; the
 * whole-model checks of names and maps; the OSPF process IOS creates for
 * `ip ospf N area A` (`router ospf N` when there is no router ospf; pos:
 * where), and the interface lines of a process removed. */
void cfg_ifname_canon(const struct cfg_model *m, const char *in, char *out, size_t len);
/* Every interface name and tunnel source as the maps spell them (a map
 * given after the names: the end of a file, an `interface-map` line). */
void cfg_ifnames_canon(struct cfg_model *m);
void cfg_ifmap_check(const struct cfg_model *m, struct cfg_errors *errs);
int cfg_ospf_autocreate(struct cfg_model *m, struct cfg_pos pos);
void cfg_ospf_drop_areas(struct cfg_model *m);
/* A hardware-only line of a plain interface (cmd_ifhw.c), kept as typed. */
int cfg_hw_line(struct cfg_session *s, const struct cli_match *m, struct cli_error *err);
extern const struct cli_cmd cfg_cmds_ifhw[];
extern const size_t cfg_n_cmds_ifhw;

/* DSCP names (af11, ef, cs1...) <-> values; -1 when unknown. */
int cfg_dscp_value(const char *s);

/* Field by field, positions left out (cmd_qos.c). */
bool cfg_cm_match_equal(const struct cfg_cm_match *x, const struct cfg_cm_match *y);
bool cfg_pm_class_equal(const struct cfg_pm_class *x, const struct cfg_pm_class *y);

/* ---- access lists ---- */

/* IOS's names of protocols, ports, ICMP messages and precedence values
 * (acl_names.c).  _value: -1 when unknown; _name: a name when there is one,
 * else the number written into buf (4 bytes; 6 for ports). */
int cfg_acl_words_register(struct cli *cli); /* the {sets} cmd_acl.c's syntax uses */
int cfg_acl_proto_value(const char *s);
const char *cfg_acl_proto_name(uint8_t proto, char *buf);
int cfg_acl_port_value(uint8_t proto, const char *s); /* proto 6 or 17 */
const char *cfg_acl_port_name(uint8_t proto, uint16_t port, char *buf);
int cfg_acl_icmp_value(const char *s, int *code); /* type; *code -1 = every code */
const char *cfg_acl_icmp_name(uint8_t type, bool has_code, uint8_t code); /* NULL: none */
int cfg_prec_value(const char *s);
const char *cfg_prec_name(uint8_t v);

/* A reference to an access list (ip access-group, match access-group):
 * a name starting with a letter or an IP access-list number, normalised
 * into out (CFG_NAME_MAX); refuses anything else at the argument. */
int cfg_acl_ref(const struct cli_match *m, const char *arg, char *out, struct cli_error *err);
bool cfg_acl_numbered(const char *name); /* "101": from access-list 101 */
/* The IP access-list numbers in a syntax string, and their `?` lines. */
#define CFG_ACL_NUMBERS "<(1-99)|(100-199)|(1300-1999)|(2000-2699)>"
#define CFG_ACL_NUMBERS_HELP                                                                       \
	"IP standard access list\nIP extended access list\n"                                       \
	"IP standard access list (expanded range)\nIP extended access list (expanded range)\n"
/* Field by field (never the bytes behind a remark's end); seq optional. */
bool cfg_acl_entry_equal(const struct cfg_acl_entry *x, const struct cfg_acl_entry *y,
			 bool with_seq);
#endif
