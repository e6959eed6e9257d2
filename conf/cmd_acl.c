/* cmd_acl.c: IP access lists, every form IOS takes.
 *
 *   ip access-list standard|extended NAME|N    (config-std-nacl, config-ext-nacl)
 *     [SEQ] permit|deny ...   [SEQ] remark ...   no SEQ   no permit|deny ...
 *   access-list N permit|deny|remark ...       (global, appended, no SEQ)
 *   no access-list N
 *   ip access-list resequence NAME|N START STEP
 *
 * A numbered list is the model's access list named "N", standard for 1-99
 * and 1300-1999, extended for 100-199 and 2000-2699; a name must start with
 * a letter, so names and numbers never meet.  Extended entries are one
 * command per protocol family (tcp, udp, icmp, the rest) so the grammar
 * itself offers tcp ports after tcp, udp ports after udp and ICMP messages
 * after icmp, and refuses them elsewhere.  Handlers check the whole line
 * before they change the candidate. */
#include "conf/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SESSION(ctx)	  ((struct cfg_session *)(ctx))
#define REMOVE(arr, n, p) cfg_vec_remove((arr), &(n), sizeof(*(arr)), (size_t)((p) - (arr)))

enum acl_kind { ACL_NAMED = 0, ACL_STD, ACL_EXT, ACL_BAD };

static enum acl_kind number_kind(unsigned long long n)
{
	if ((n >= 1 && n <= 99) || (n >= 1300 && n <= 1999))
		return ACL_STD;
	if ((n >= 100 && n <= 199) || (n >= 2000 && n <= 2699))
		return ACL_EXT;
	return ACL_BAD;
}

#define RANGES "standard 1-99, 1300-1999; extended 100-199, 2000-2699"

/* An access list's name as written in a header or a reference: a name
 * starting with a letter, or an IP access-list number, normalised ("010"
 * is 10).  *kind says which. */
static int acl_name(const char *w, int col, char *out, enum acl_kind *kind, struct cli_error *err)
{
	size_t len = strlen(w);
	*kind = ACL_NAMED;
	if (!isdigit((unsigned char)w[0])) {
		if (!isalpha((unsigned char)w[0]))
			return cfg_fail(err, col, "an access-list name must start with a letter");
		if (len >= CFG_NAME_MAX)
			return cfg_fail(err, col, "too long (at most %d characters)",
					CFG_NAME_MAX - 1);
		memset(out, 0, CFG_NAME_MAX);
		memcpy(out, w, len);
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)w[i]))
			return cfg_fail(err, col, "an access-list name must start with a letter");
	unsigned long long n = len > 12 ? 0 : strtoull(w, NULL, 10);
	*kind = number_kind(n);
	if (*kind == ACL_BAD)
		return cfg_fail(err, col, "%s is not an IP access-list number (" RANGES ")", w);
	memset(out, 0, CFG_NAME_MAX);
	snprintf(out, CFG_NAME_MAX, "%llu", n);
	return 0;
}

int cfg_acl_ref(const struct cli_match *m, const char *arg, char *out, struct cli_error *err)
{
	enum acl_kind k;
	return acl_name(cli_arg(m, arg), cfg_argcol(m, arg), out, &k, err);
}

bool cfg_acl_numbered(const char *name)
{
	return isdigit((unsigned char)name[0]);
}

/* ---- one entry from a permit/deny line ---- */

static void side_addr(const struct cli_match *m, char p, struct cfg_acl_addr *a)
{
	char k[16], w[16];
	memset(a, 0, sizeof(*a));
	snprintf(k, sizeof(k), "%cany", p);
	if (cli_arg(m, k)) {
		a->wildcard = 0xffffffffu;
		return;
	}
	snprintf(k, sizeof(k), "%chaddr", p);
	if (cli_arg(m, k)) {
		a->addr = cfg_ipv4(cli_arg(m, k));
		return;
	}
	/* A bare standard address is a host, as IOS (wildcard 0.0.0.0). */
	snprintf(k, sizeof(k), "%caddr", p);
	snprintf(w, sizeof(w), "%cwild", p);
	a->wildcard = cli_arg(m, w) ? cfg_ipv4(cli_arg(m, w)) : 0;
	a->addr = cfg_ipv4(cli_arg(m, k)) & ~a->wildcard;
}

/* A port as typed: a number, or a name of proto's table (the grammar
 * offered only those). */
static uint16_t port_of(uint8_t proto, const char *v)
{
	if (isdigit((unsigned char)v[0]))
		return (uint16_t)cfg_num(v);
	int p = cfg_acl_port_value(proto, v);
	return p < 0 ? 0 : (uint16_t)p;
}

static int side_ports(const struct cli_match *m, char p, uint8_t proto, struct cfg_acl_addr *a,
		      struct cli_error *err)
{
	char k[16];
	snprintf(k, sizeof(k), "%cop", p);
	const char *op = cli_arg(m, k);
	if (!op)
		return 0;
	a->op = !strcmp(op, "eq")    ? CFG_PORT_EQ
		: !strcmp(op, "neq") ? CFG_PORT_NEQ
		: !strcmp(op, "lt")  ? CFG_PORT_LT
		: !strcmp(op, "gt")  ? CFG_PORT_GT
				     : CFG_PORT_RANGE;
	snprintf(k, sizeof(k), "%cp1", p);
	a->port1 = port_of(proto, cli_arg(m, k));
	if (a->op != CFG_PORT_RANGE)
		return 0;
	snprintf(k, sizeof(k), "%cp2", p);
	a->port2 = port_of(proto, cli_arg(m, k));
	if (a->port2 < a->port1)
		return cfg_fail(err, cfg_argcol(m, k), "range end below its start");
	return 0;
}

/* The keywords after the destination: each at most once, in any order. */
static int acl_options(const struct cli_match *m, struct cfg_acl_entry *e, struct cli_error *err)
{
	static const char *const once[] = {"established", "dscp", "precedence", "fragments", "log"};
	for (size_t i = 0; i < sizeof(once) / sizeof(once[0]); i++)
		if (cli_arg_count(m, once[i]) > 1)
			return cfg_fail(err, cfg_argcol_nth(m, once[i], 1), "%s given twice",
					once[i]);
	e->established = cli_arg(m, "established") != NULL;
	e->fragments = cli_arg(m, "fragments") != NULL;
	e->log = cli_arg(m, "log") != NULL; /* log-input too */
	if (cli_arg(m, "dscpv")) {
		e->has_dscp = true;
		e->dscp = (uint8_t)cfg_dscp_value(cli_arg(m, "dscpv"));
	}
	if (cli_arg(m, "precv")) {
		e->has_prec = true;
		e->prec = (uint8_t)cfg_prec_value(cli_arg(m, "precv"));
	}
	if (e->has_dscp && e->has_prec) {
		int cd = cfg_argcol(m, "dscp"), cp = cfg_argcol(m, "precedence");
		return cfg_fail(err, cd > cp ? cd : cp, "use dscp or precedence, not both");
	}
	if (e->fragments && (e->src.op || e->dst.op || e->established || e->has_icmp_type))
		return cfg_fail(err, cfg_argcol(m, "fragments"),
				"fragments cannot be combined with ports, established or an ICMP "
				"message (a non-initial fragment has no layer-4 header)");
	return 0;
}

/* The entry of a permit/deny line; a standard one fills src (dst = any). */
static int acl_entry_parse(const struct cli_match *m, bool standard, struct cfg_acl_entry *e,
			   struct cli_error *err)
{
	memset(e, 0, sizeof(*e));
	e->action = !strcmp(cli_arg(m, "action"), "permit") ? CFG_ACL_PERMIT : CFG_ACL_DENY;
	side_addr(m, 's', &e->src);
	if (standard) {
		e->dst.wildcard = 0xffffffffu;
		e->log = cli_arg(m, "log") != NULL;
		return 0;
	}
	side_addr(m, 'd', &e->dst);
	const char *pr = cli_arg(m, "proto");
	int p = cfg_acl_proto_value(pr);
	e->proto = (uint8_t)(p >= 0 ? p : (int)cfg_num(pr));
	/* Reached through the hidden catch-all command only. */
	bool tcp = !strcmp(pr, "tcp"), udp = !strcmp(pr, "udp");
	if (!tcp && !udp && (cli_arg(m, "sop") || cli_arg(m, "dop")))
		return cfg_fail(err, cfg_argcol(m, cli_arg(m, "sop") ? "sop" : "dop"),
				"port matches need tcp or udp");
	if (!tcp && cli_arg(m, "established"))
		return cfg_fail(err, cfg_argcol(m, "established"), "established needs tcp");
	if (side_ports(m, 's', e->proto, &e->src, err) ||
	    side_ports(m, 'd', e->proto, &e->dst, err))
		return -EINVAL;
	if (cli_arg(m, "itype")) {
		e->has_icmp_type = true;
		e->icmp_type = (uint8_t)cfg_num(cli_arg(m, "itype"));
		e->has_icmp_code = cli_arg(m, "icode") != NULL;
		e->icmp_code = (uint8_t)cfg_num(cli_arg(m, "icode"));
	} else if (cli_arg(m, "imsg")) {
		int code;
		int t = cfg_acl_icmp_value(cli_arg(m, "imsg"), &code);
		e->has_icmp_type = t >= 0;
		e->icmp_type = (uint8_t)(t >= 0 ? t : 0);
		e->has_icmp_code = code >= 0;
		e->icmp_code = (uint8_t)(code >= 0 ? code : 0);
	}
	return acl_options(m, e, err);
}

/* ---- entries into a list ---- */

static int acl_insert(struct cfg_acl *a, struct cfg_acl_entry *e, bool has_seq,
		      const struct cli_match *m, struct cli_error *err)
{
	if (!has_seq) {
		uint32_t last = a->n_ent ? a->ent[a->n_ent - 1].seq : 0;
		if (last > 2147483647u - 10)
			return cfg_fail(err, 1, "no sequence number left; give one");
		e->seq = last + 10;
	}
	size_t at = a->n_ent;
	for (size_t k = 0; k < a->n_ent; k++) {
		if (a->ent[k].seq == e->seq)
			return cfg_fail(err, cfg_argcol(m, "seq"), "duplicate sequence number %u",
					e->seq);
		if (a->ent[k].seq > e->seq && at == a->n_ent)
			at = k;
	}
	if (!CFG_PUSH(a->ent, a->n_ent, a->cap_ent))
		return -ENOMEM;
	memmove(&a->ent[at + 1], &a->ent[at], (a->n_ent - 1 - at) * sizeof(*e));
	a->ent[at] = *e;
	return 0;
}

/* Adds e, or with `no` removes the identical entry (at SEQ when given). */
static int acl_apply(const struct cli_match *m, struct cfg_acl *a, struct cfg_acl_entry *e,
		     struct cli_error *err)
{
	bool has_seq = cli_arg(m, "seq") != NULL;
	if (has_seq)
		e->seq = (uint32_t)cfg_num(cli_arg(m, "seq"));
	if (cfg_no(m)) {
		for (size_t k = 0; a && k < a->n_ent; k++)
			if ((!has_seq || a->ent[k].seq == e->seq) &&
			    cfg_acl_entry_equal(&a->ent[k], e, false)) {
				cfg_vec_remove(a->ent, &a->n_ent, sizeof(*a->ent), k);
				return 0;
			}
		return 0;
	}
	return acl_insert(a, e, has_seq, m, err);
}

static int remark_parse(const struct cli_match *m, struct cfg_acl_entry *e, struct cli_error *err)
{
	memset(e, 0, sizeof(*e));
	e->action = CFG_ACL_REMARK;
	if (strlen(cli_arg(m, "text")) >= sizeof(e->remark))
		return cfg_fail(err, cfg_argcol(m, "text"), "too long (at most %zu characters)",
				sizeof(e->remark) - 1);
	cfg_squash(e->remark, sizeof(e->remark), cli_arg(m, "text"));
	return 0;
}

/* ---- ip access-list standard|extended NAME|N ---- */

static int h_acl(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	enum acl_kind k;
	bool std = !strcmp(cli_arg(m, "kind"), "standard");
	int col = cfg_argcol(m, "name");
	if (acl_name(cli_arg(m, "name"), col, name, &k, err))
		return -EINVAL;
	if (k == ACL_STD && !std)
		return cfg_fail(
		    err, col, "%s is a standard access-list number (extended: 100-199, 2000-2699)",
		    name);
	if (k == ACL_EXT && std)
		return cfg_fail(err, col,
				"%s is an extended access-list number (standard: 1-99, 1300-1999)",
				name);
	struct cfg_acl *a = cfg_find_acl(s->cand, name);
	if (a && a->standard != std)
		return cfg_fail(err, col, "access-list '%s' is %s access list", name,
				a->standard ? "a standard" : "an extended");
	if (cfg_no(m)) {
		if (a) {
			cfg_acl_fini(a);
			REMOVE(s->cand->acl, s->cand->n_acl, a);
		}
		return 0;
	}
	if (!a) {
		a = CFG_PUSH(s->cand->acl, s->cand->n_acl, s->cand->cap_acl);
		if (!a)
			return -ENOMEM;
		memcpy(a->name, name, sizeof(name));
		a->standard = std;
		a->pos = cfg_here(s);
	}
	snprintf(hdr, sizeof(hdr), "ip access-list %s %s", std ? "standard" : "extended", name);
	return cfg_enter(s, std ? CFG_MODE_ACL_STD : CFG_MODE_ACL, hdr, name, NULL);
}

static int h_acl_resequence(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX];
	if (cfg_acl_ref(m, "name", name, err))
		return -EINVAL;
	struct cfg_acl *a = cfg_find_acl(s->cand, name);
	if (!a)
		return cfg_fail(err, cfg_argcol(m, "name"), "access-list '%s' is not defined",
				name);
	unsigned long long start = cfg_num(cli_arg(m, "start")), step = cfg_num(cli_arg(m, "step"));
	if (a->n_ent && start + (a->n_ent - 1) * step > 2147483647ull)
		return cfg_fail(err, cfg_argcol(m, "step"),
				"the last entry would be numbered past 2147483647");
	for (size_t k = 0; k < a->n_ent; k++)
		a->ent[k].seq = (uint32_t)(start + k * step);
	return 0;
}

/* ---- config-std-nacl, config-ext-nacl ---- */

static struct cfg_acl *cur_acl(struct cfg_session *s)
{
	return cfg_find_acl(s->cand, cfg_top(s)->obj);
}

static int h_acl_entry(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_acl *a = cur_acl(SESSION(ctx));
	struct cfg_acl_entry e;
	if (!a)
		return -ENOENT;
	if (acl_entry_parse(m, a->standard, &e, err))
		return -EINVAL;
	return acl_apply(m, a, &e, err);
}

static int h_acl_remark(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_acl *a = cur_acl(SESSION(ctx));
	struct cfg_acl_entry e;
	if (!a)
		return -ENOENT;
	if (remark_parse(m, &e, err))
		return -EINVAL;
	return acl_apply(m, a, &e, err);
}

static int h_acl_noseq(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_acl *a = cur_acl(SESSION(ctx));
	(void)err;
	if (!a)
		return -ENOENT;
	uint32_t seq = (uint32_t)cfg_num(cli_arg(m, "seq"));
	for (size_t k = 0; k < a->n_ent; k++)
		if (a->ent[k].seq == seq) {
			cfg_vec_remove(a->ent, &a->n_ent, sizeof(*a->ent), k);
			break;
		}
	return 0;
}

/* ---- access-list N ... (global) ---- */

/* What an `access-list N` line holds, for the check of N's kind. */
enum acl_line { LINE_ANY = 0, LINE_STD, LINE_EXT };

/* The number of an `access-list N` line, checked against what the line
 * holds: a standard entry, an extended entry or either (remark, no). */
static int global_number(const struct cli_match *m, enum acl_line want, char *name,
			 struct cli_error *err)
{
	enum acl_kind k;
	int col = cfg_argcol(m, "num");
	if (acl_name(cli_arg(m, "num"), col, name, &k, err))
		return -EINVAL;
	if (want == LINE_STD && k == ACL_EXT)
		return cfg_fail(err, col,
				"access-list %s is extended: its entries need a protocol "
				"(standard lists are 1-99 and 1300-1999)",
				name);
	if (want == LINE_EXT && k == ACL_STD)
		return cfg_fail(err, col,
				"access-list %s is standard: its entries match a source "
				"address only (extended lists are 100-199 and 2000-2699)",
				name);
	return 0;
}

/* The numbered list, created unless the line is a `no` form. */
static struct cfg_acl *global_acl(struct cfg_session *s, const struct cli_match *m,
				  const char *name)
{
	struct cfg_acl *a = cfg_find_acl(s->cand, name);
	if (a || cfg_no(m))
		return a;
	a = CFG_PUSH(s->cand->acl, s->cand->n_acl, s->cand->cap_acl);
	if (!a)
		return NULL;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->standard = number_kind(cfg_num(name)) == ACL_STD;
	a->pos = cfg_here(s);
	return a;
}

static int h_global_entry(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX];
	struct cfg_acl_entry e;
	bool standard = cli_arg(m, "proto") == NULL;
	if (global_number(m, standard ? LINE_STD : LINE_EXT, name, err) ||
	    acl_entry_parse(m, standard, &e, err))
		return -EINVAL;
	struct cfg_acl *a = global_acl(s, m, name);
	if (!a)
		return cfg_no(m) ? 0 : -ENOMEM;
	return acl_apply(m, a, &e, err);
}

static int h_global_remark(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX];
	struct cfg_acl_entry e;
	if (global_number(m, LINE_ANY, name, err) || remark_parse(m, &e, err))
		return -EINVAL;
	struct cfg_acl *a = global_acl(s, m, name);
	if (!a)
		return cfg_no(m) ? 0 : -ENOMEM;
	return acl_apply(m, a, &e, err);
}

static int h_global_no(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX];
	if (global_number(m, LINE_ANY, name, err))
		return -EINVAL;
	struct cfg_acl *a = cfg_find_acl(s->cand, name);
	if (a) {
		cfg_acl_fini(a);
		REMOVE(s->cand->acl, s->cand->n_acl, a);
	}
	return 0;
}

/* ---- the grammar ---- */

#define HEAD_SEQ "[no] [(1-2147483647)$seq] <permit|deny>$action "
#define HEAD_SEQ_HELP                                                                              \
	"Negate a command\nSequence number\nSpecify packets to forward\n"                          \
	"Specify packets to reject\n"
#define HEAD_NUM "[no] access-list " CFG_ACL_NUMBERS "$num <permit|deny>$action "
#define HEAD_NUM_HELP                                                                              \
	"Negate a command\nAdd an access list entry\n" CFG_ACL_NUMBERS_HELP                        \
	"Specify packets to forward\nSpecify packets to reject\n"

#define SIDE(p)                                                                                    \
	"<any$" p "any|host$" p "host A.B.C.D$" p "haddr|A.B.C.D$" p "addr A.B.C.D$" p "wild>"
#define SRC_HELP                                                                                   \
	"Any source host\nA single source host\nSource address\nSource address\n"                  \
	"Source wildcard bits\n"
#define DST_HELP                                                                                   \
	"Any destination host\nA single destination host\nDestination address\n"                   \
	"Destination address\nDestination wildcard bits\n"
#define STD_SIDE "<any$sany|host$shost A.B.C.D$shaddr|A.B.C.D$saddr [A.B.C.D$swild]>"

#define PORT(p, n, set) "<(0-65535)|{" set "}>$" p n
#define PORTS(p, set)                                                                              \
	"[<eq|neq|lt|gt>$" p                                                                       \
	"op " PORT(p, "p1", set) "|range$" p "op " PORT(p, "p1", set) " " PORT(p, "p2", set) "]"
#define PORTS_HELP                                                                                 \
	"Match only packets on a given port number\nMatch only packets not on a given port "       \
	"number\nMatch only packets with a lower port number\nMatch only packets with a greater "  \
	"port number\nPort number\nPort name\nMatch only packets in the range of port numbers\n"   \
	"Port number\nPort name\nPort number\nPort name\n"

#define ICMP_MSG      "[<(0-255)$itype [(0-255)$icode]|{icmp-msg}$imsg>]"
#define ICMP_MSG_HELP "ICMP message type\nICMP message code\nICMP message name\n"

#define OPTS(est)                                                                                  \
	"[<" est "dscp <(0-63)|{dscp}>$dscpv|precedence <(0-7)|{precedence}>$precv|fragments|"     \
	"log$log|log-input$log>...]"
#define OPTS_HELP(est)                                                                             \
	est "Match packets with given dscp value\nDifferentiated services codepoint value\n"       \
	    "DSCP name\nMatch packets with given precedence value\nPrecedence value\n"             \
	    "Precedence name\nCheck non-initial fragments\nLog matches against this entry\n"       \
	    "Log matches against this entry, including input interface"
#define EST	 "established|"
#define EST_HELP "Match established connections\n"

#define OTHER_PROTOS "<ip|ahp|eigrp|esp|gre|igmp|ipinip|nos|ospf|pcp|pim|(0-255)>$proto "
#define OTHER_PROTOS_HELP                                                                          \
	"Any Internet Protocol\nAuthentication Header Protocol\nCisco's EIGRP routing protocol\n"  \
	"Encapsulation Security Payload\nCisco's GRE tunneling\n"                                  \
	"Internet Gateway Message Protocol\nIP in IP tunneling\n"                                  \
	"KA9Q NOS compatible IP over IP tunneling\nOSPF routing protocol\n"                        \
	"Payload Compression Protocol\nProtocol Independent Multicast\nAn IP protocol number\n"

/* The hidden catch-all: ports or `established` after any protocol, so the
 * handler can say why they do not belong there instead of the grammar
 * listing what may follow.  Never offered by `?` or TAB. */
#define ANY_PROTO "<ip|ahp|eigrp|esp|gre|icmp|igmp|ipinip|nos|ospf|pcp|pim|tcp|udp|(0-255)>$proto "
#define PORTS_NUM(p)                                                                               \
	"[<eq|neq|lt|gt>$" p "op (0-65535)$" p "p1|range$" p "op (0-65535)$" p "p1 (0-65535)$" p   \
	"p2]"

/* One syntax (and its help) per protocol family, behind a head: a
 * sequence number in the sub-modes, `access-list N` globally. */
#define TCP_SYN(head)                                                                              \
	head "tcp$proto " SIDE("s") " " PORTS("s", "tcp-port") " " SIDE("d") " " PORTS(            \
	    "d", "tcp-port") " " OPTS(EST)
#define TCP_HELP(hh)                                                                               \
	hh "Transmission Control Protocol\n" SRC_HELP PORTS_HELP DST_HELP PORTS_HELP OPTS_HELP(    \
	    EST_HELP)
#define UDP_SYN(head)                                                                              \
	head "udp$proto " SIDE("s") " " PORTS("s", "udp-port") " " SIDE("d") " " PORTS(            \
	    "d", "udp-port") " " OPTS("")
#define UDP_HELP(hh)                                                                               \
	hh "User Datagram Protocol\n" SRC_HELP PORTS_HELP DST_HELP PORTS_HELP OPTS_HELP("")
#define ICMP_SYN(head) head "icmp$proto " SIDE("s") " " SIDE("d") " " ICMP_MSG " " OPTS("")
#define ICMP_HELP(hh)                                                                              \
	hh "Internet Control Message Protocol\n" SRC_HELP DST_HELP ICMP_MSG_HELP OPTS_HELP("")
#define OTHER_SYN(head) head OTHER_PROTOS SIDE("s") " " SIDE("d") " " OPTS("")
#define OTHER_HELP(hh)	hh OTHER_PROTOS_HELP SRC_HELP DST_HELP OPTS_HELP("")
#define CATCH_SYN(head)                                                                            \
	head ANY_PROTO SIDE("s") " " PORTS_NUM("s") " " SIDE("d") " " PORTS_NUM("d") " " OPTS(EST)

/* The visible commands come first, so they win a tie with the hidden one. */
#define EXT_CMDS(mode, head, hh, handler)                                                          \
	{mode, TCP_SYN(head), TCP_HELP(hh), handler, 0},                                           \
	    {mode, UDP_SYN(head), UDP_HELP(hh), handler, 0},                                       \
	    {mode, ICMP_SYN(head), ICMP_HELP(hh), handler, 0},                                     \
	    {mode, OTHER_SYN(head), OTHER_HELP(hh), handler, 0},                                   \
	{                                                                                          \
		mode, CATCH_SYN(head), NULL, handler, CLI_F_HIDDEN                                 \
	}

#define STD_CMD(mode, head, head_help, handler)                                                    \
	{                                                                                          \
		mode, head STD_SIDE " [<log|log-input>$log]",                                      \
		    head_help SRC_HELP                                                             \
		    "Log matches against this entry\n"                                             \
		    "Log matches against this entry, including input interface",                   \
		    handler, 0                                                                     \
	}

#define EXIT_END(mode)                                                                             \
	{mode, "exit", "Exit from access-list configuration mode", cfg_h_exit, 0},                 \
	{                                                                                          \
		mode, "end", "Exit to EXEC mode", cfg_h_end, 0                                     \
	}

const struct cli_cmd cfg_cmds_acl[] = {
    {CFG_MODE_CONFIG, "[no] ip access-list <standard|extended>$kind WORD$name",
     "Negate a command\nIP configuration\nNamed or numbered access list\nStandard access list "
     "(source addresses)\nExtended access list\nAccess list name or number (" RANGES ")",
     h_acl, 0},
    {CFG_MODE_CONFIG,
     "ip access-list resequence WORD$name (1-2147483647)$start (1-2147483647)$step",
     "IP configuration\nAccess list\nRenumber the entries\nAccess list name or number\n"
     "First sequence number\nStep between sequence numbers",
     h_acl_resequence, 0},
    STD_CMD(CFG_MODE_CONFIG, HEAD_NUM, HEAD_NUM_HELP, h_global_entry),
    EXT_CMDS(CFG_MODE_CONFIG, HEAD_NUM, HEAD_NUM_HELP, h_global_entry),
    {CFG_MODE_CONFIG, "[no] access-list " CFG_ACL_NUMBERS "$num remark LINE$text",
     "Negate a command\nAdd an access list entry\n" CFG_ACL_NUMBERS_HELP
     "Access list entry comment\nComment, up to 255 characters",
     h_global_remark, 0},
    {CFG_MODE_CONFIG, "no access-list " CFG_ACL_NUMBERS "$num",
     "Negate a command\nRemove a numbered access list\n" CFG_ACL_NUMBERS_HELP, h_global_no, 0},

    STD_CMD(CFG_MODE_ACL_STD, HEAD_SEQ, HEAD_SEQ_HELP, h_acl_entry),
    {CFG_MODE_ACL_STD, "[no] [(1-2147483647)$seq] remark LINE$text",
     "Negate a command\nSequence number\nAccess list entry comment\nComment", h_acl_remark, 0},
    {CFG_MODE_ACL_STD, "no (1-2147483647)$seq", "Negate a command\nDelete this entry", h_acl_noseq,
     0},
    EXIT_END(CFG_MODE_ACL_STD),

    EXT_CMDS(CFG_MODE_ACL, HEAD_SEQ, HEAD_SEQ_HELP, h_acl_entry),
    {CFG_MODE_ACL, "[no] [(1-2147483647)$seq] remark LINE$text",
     "Negate a command\nSequence number\nAccess list entry comment\nComment", h_acl_remark, 0},
    {CFG_MODE_ACL, "no (1-2147483647)$seq", "Negate a command\nDelete this entry", h_acl_noseq, 0},
    EXIT_END(CFG_MODE_ACL),
};
const size_t cfg_n_cmds_acl = sizeof(cfg_cmds_acl) / sizeof(cfg_cmds_acl[0]);
