/* cmd_if.c: global one-liners (hostname, dataplane), interfaces,
 * and the verbatim routing blocks (access lists: cmd_acl.c; class-maps and
 * policy-maps: cmd_qos.c).
 * Handlers check the whole line before changing the candidate. */
#include "conf/internal.h"
#include "conf/router_block.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SESSION(ctx)	  ((struct cfg_session *)(ctx))
#define REMOVE(arr, n, p) cfg_vec_remove((arr), &(n), sizeof(*(arr)), (size_t)((p) - (arr)))

/* ---- global ---- */

static int h_hostname(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX];
	if (cfg_no(m)) {
		s->cand->hostname[0] = '\0';
		return 0;
	}
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return cfg_fail(err, cfg_argcol(m, "name") + (int)(p - name),
					"hostname may hold letters, digits, '-', '_' and '.'");
	memcpy(s->cand->hostname, name, sizeof(name));
	return 0;
}

static int h_dataplane(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	const char *d = cli_arg(m, "dp");
	(void)err;
	if (cfg_no(m) || !d)
		s->cand->dataplane = CFG_DP_AUTO;
	else
		s->cand->dataplane = !strcmp(d, "kernel")      ? CFG_DP_KERNEL
				     : !strcmp(d, "userspace") ? CFG_DP_USERSPACE
							       : CFG_DP_AUTO;
	return 0;
}

/* dataplane userspace multi-queue N: the userspace data plane's tunnel
 * devices get one queue per worker while the configuration holds at most
 * N tunnels (0: never), one queue past that (vtid/spec.c). */
static int h_dp_mq(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	(void)err; /* the range is the grammar's */
	s->cand->dp_mq_set = !cfg_no(m);
	s->cand->dp_mq_tunnels = cfg_no(m) ? 0 : (unsigned)cfg_num(cli_arg(m, "n"));
	return 0;
}

/* "Tunnel1", "tunnel1", "Tu1" -> "Tunnel1".  Other names are kept as
 * written, or as an `interface-map` spells the IOS name they designate;
 * whether Linux can hold them (or a map gives the device) is checked over
 * the whole configuration (ifmap.c), so a map may come later. */
static int if_name(struct cfg_session *s, const struct cli_match *m, char *out,
		   struct cli_error *err, bool *tunnel)
{
	const char *n = cli_arg(m, "name");
	int col = cfg_argcol(m, "name");
	size_t l = 0;
	while (n[l] && !isdigit((unsigned char)n[l]))
		l++;
	*tunnel = false;
	if (l >= 2 && l <= 6 && !strncasecmp(n, "tunnel", l) && n[l]) {
		const char *d = n + l;
		size_t nd = strlen(d);
		for (size_t i = 0; i < nd; i++)
			if (!isdigit((unsigned char)d[i]))
				return cfg_fail(err, col, "invalid tunnel number '%s'", d);
		if (nd > 9 || (nd > 1 && d[0] == '0'))
			return cfg_fail(err, col + (int)l,
					"tunnel number out of range (0-999999999)");
		snprintf(out, CFG_NAME_MAX, "Tunnel%s", d);
		*tunnel = true;
		return 0;
	}
	if (strlen(n) >= CFG_NAME_MAX)
		return cfg_fail(err, col, "interface name too long (at most %d characters)",
				CFG_NAME_MAX - 1);
	cfg_ifname_canon(s->cand, n, out, CFG_NAME_MAX);
	return 0;
}

static int h_interface(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char name[CFG_NAME_MAX], hdr[CFG_TEXT_MAX];
	bool tunnel;
	if (if_name(s, m, name, err, &tunnel))
		return -EINVAL;
	struct cfg_interface *i = cfg_find_interface(s->cand, name);
	if (cfg_no(m)) {
		if (i) {
			cfg_interface_fini(i);
			REMOVE(s->cand->interface, s->cand->n_interface, i);
			cfg_model_index_drop(s->cand);
		}
		return 0;
	}
	if (!i) {
		i = CFG_PUSH(s->cand->interface, s->cand->n_interface, s->cand->cap_interface);
		if (!i)
			return -ENOMEM;
		memcpy(i->name, name, sizeof(name));
		i->is_tunnel = tunnel;
		i->pos = cfg_here(s);
		i->name_pos = (struct cfg_pos){s->line_no, s->line_no ? cfg_argcol(m, "name") : 0};
	}
	snprintf(hdr, sizeof(hdr), "interface %s", name);
	return cfg_enter(s, CFG_MODE_IF, hdr, name, NULL);
}

static int h_router(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	char hdr[CFG_TEXT_MAX];
	const char *start = cli_arg(m, "router") ? "router" : "bfd";
	/* The header is the line itself minus `no`, spacing normalised. */
	char raw[CFG_TEXT_MAX * 2] = "";
	size_t o = 0;
	bool seen = false;
	for (int i = 0; i < m->nargs; i++) {
		if (!seen && strcmp(m->args[i].name, start) != 0)
			continue;
		seen = true;
		int r = snprintf(raw + o, sizeof(raw) - o, "%s%s", o ? " " : "", m->args[i].value);
		if (r < 0 || (size_t)r >= sizeof(raw) - o)
			return cfg_fail(err, 1, "line too long");
		o += (size_t)r;
	}
	if (strlen(raw) >= sizeof(hdr))
		return cfg_fail(err, 1, "line too long");
	/* FRR 8.4: router bgp ASN [<view|vrf> NAME].  Anything else FRR
	 * refuses, and the block's lines would then run in FRR's global node. */
	const char *rest = cli_arg(m, "LINE");
	if (rest) {
		char w1[16], w2[CFG_NAME_MAX], w3[2];
		int nw = sscanf(rest, "%15s %63s %1s", w1, w2, w3);
		if (nw != 2 || (strcmp(w1, "vrf") != 0 && strcmp(w1, "view") != 0))
			return cfg_fail(err, cfg_argcol(m, "LINE"),
					"expected `vrf NAME` or `view NAME` after the AS number");
	}
	cfg_squash(hdr, sizeof(hdr), raw);
	struct cfg_router *r = NULL;
	for (size_t i = 0; i < s->cand->n_router; i++)
		if (!strcmp(s->cand->router[i].header, hdr))
			r = &s->cand->router[i];
	if (cfg_no(m)) {
		if (r) {
			cfg_router_fini(r);
			REMOVE(s->cand->router, s->cand->n_router, r);
			/* As IOS: the process's `ip ospf N area` lines go with it
			 * (else reading the printed configuration back would
			 * create the process again). */
			cfg_ospf_drop_areas(s->cand);
			return 0;
		}
		/* `no router ospf` for `router ospf 1`: IOS wants the number
		 * (and FRR would drop its one OSPF instance) -- say which. */
		for (size_t i = 0; i < s->cand->n_router; i++)
			if (!strcmp(hdr, "router ospf") &&
			    !strncmp(s->cand->router[i].header, "router ospf ", 12))
				return cfg_fail(err, m->end_col,
						"incomplete command: the block is `%s`",
						s->cand->router[i].header);
		return 0;
	}
	if (!r) {
		r = CFG_PUSH(s->cand->router, s->cand->n_router, s->cand->cap_router);
		if (!r)
			return -ENOMEM;
		memcpy(r->header, hdr, sizeof(hdr));
		r->pos = cfg_here(s);
	}
	return cfg_enter(s, CFG_MODE_ROUTER, hdr, NULL, NULL);
}

static int h_router_line(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_router *r = NULL;
	for (size_t i = 0; i < s->cand->n_router; i++)
		if (!strcmp(s->cand->router[i].header, cfg_top(s)->header))
			r = &s->cand->router[i];
	if (!r)
		return -ENOENT;
	const char *t = cli_arg(m, "line");
	if (strlen(t) >= CFG_TEXT_MAX)
		return cfg_fail(err, cfg_argcol(m, "line"), "line too long (at most %d characters)",
				CFG_TEXT_MAX - 1);
	/* Only lines of the block's FRR node (router_block.c). */
	char msg[sizeof(err->msg)];
	int col;
	if (cfg_router_line_check(r, t, &col, msg, sizeof(msg)) < 0)
		return cfg_fail(err, cfg_argcol(m, "line") + col - 1, "%s", msg);
	struct cfg_vline *v = CFG_PUSH(r->line, r->n_line, r->cap_line);
	if (!v)
		return -ENOMEM;
	cfg_squash(v->text, sizeof(v->text), t);
	return 0;
}

/* ---- config-if ---- */

static struct cfg_interface *cur_if(struct cfg_session *s)
{
	return cfg_find_interface(s->cand, cfg_top(s)->obj);
}

/* Commands that only make sense on a TunnelN. */
static struct cfg_interface *cur_tunnel(struct cfg_session *s, struct cli_error *err)
{
	struct cfg_interface *i = cur_if(s);
	if (i && !i->is_tunnel) {
		cfg_fail(err, s->line_indent + 1, "only Tunnel interfaces take this command");
		return NULL;
	}
	if (!i)
		cfg_fail(err, 1, "no interface");
	return i;
}

static int h_if_desc(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_if(SESSION(ctx));
	char t[CFG_TEXT_MAX];
	if (!i)
		return -ENOENT;
	if (cfg_no(m)) {
		i->description[0] = '\0';
		return 0;
	}
	if (strlen(cli_arg(m, "text")) >= sizeof(t))
		return cfg_fail(err, cfg_argcol(m, "text"), "too long (at most %zu characters)",
				sizeof(t) - 1);
	cfg_squash(t, sizeof(t), cli_arg(m, "text"));
	memcpy(i->description, t, sizeof(t));
	return 0;
}

static int h_if_addr(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_if(SESSION(ctx));
	if (!i)
		return -ENOENT;
	if (cfg_no(m)) {
		i->has_addr = false;
		i->addr = i->mask = 0;
		return 0;
	}
	uint32_t a = cfg_ipv4(cli_arg(m, "addr")), k = cfg_ipv4(cli_arg(m, "mask"));
	if (!cfg_mask_ok(k) || k == 0)
		return cfg_fail(err, cfg_argcol(m, "mask"), "invalid mask %s", cli_arg(m, "mask"));
	uint32_t h = ntohl(a), hm = ntohl(k);
	if (hm != 0xffffffffu && hm != 0xfffffffeu && ((h & ~hm) == 0 || (h & ~hm) == ~hm))
		return cfg_fail(err, cfg_argcol(m, "addr"),
				"%s is a network or broadcast address for mask %s",
				cli_arg(m, "addr"), cli_arg(m, "mask"));
	i->has_addr = true;
	i->addr = a;
	i->mask = k;
	return 0;
}

static int h_if_mtu(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	i->mtu = cfg_no(m) ? 0 : (uint16_t)cfg_num(cli_arg(m, "mtu"));
	return 0;
}

static int h_if_mss(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	i->mss = cfg_no(m) ? 0 : (uint16_t)cfg_num(cli_arg(m, "mss"));
	return 0;
}

static bool if_is_tunnel_name(const char *n)
{
	size_t l = 0;
	while (n[l] && !isdigit((unsigned char)n[l]))
		l++;
	return l >= 2 && l <= 6 && !strncasecmp(n, "tunnel", l) && n[l];
}

static int h_if_source(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	if (cfg_no(m)) {
		i->has_src_addr = false;
		i->src_addr = 0;
		i->src_if[0] = '\0';
		return 0;
	}
	if (cli_arg(m, "addr")) {
		i->has_src_addr = true;
		i->src_addr = cfg_ipv4(cli_arg(m, "addr"));
		i->src_if[0] = '\0';
		return 0;
	}
	const char *n = cli_arg(m, "ifname");
	struct cfg_session *s = SESSION(ctx);
	if (strlen(n) >= CFG_NAME_MAX)
		return cfg_fail(err, cfg_argcol(m, "ifname"),
				"expected A.B.C.D or an interface name (at most %d characters)",
				CFG_NAME_MAX - 1);
	if (if_is_tunnel_name(n))
		return cfg_fail(err, cfg_argcol(m, "ifname"),
				"a tunnel cannot be the source of a tunnel");
	i->has_src_addr = false;
	i->src_addr = 0;
	cfg_ifname_canon(s->cand, n, i->src_if, sizeof(i->src_if));
	i->src_if_pos = (struct cfg_pos){s->line_no, s->line_no ? cfg_argcol(m, "ifname") : 0};
	return 0;
}

static int h_if_dest(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	if (cfg_no(m)) {
		i->has_dst = false;
		i->dst = 0;
		return 0;
	}
	uint32_t d = cfg_ipv4(cli_arg(m, "dst"));
	uint32_t h = ntohl(d);
	if (h == 0 || h == 0xffffffffu || (h >> 28) == 0xe || (h >> 24) == 127)
		return cfg_fail(err, cfg_argcol(m, "dst"),
				"tunnel destination must be a unicast address");
	i->has_dst = true;
	i->dst = d;
	return 0;
}

static int h_if_mode(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	i->mode = (!cfg_no(m) && cli_arg(m, "ipsec")) ? CFG_TMODE_IPSEC : CFG_TMODE_GRE;
	return 0;
}

static int h_if_key(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	i->has_key = !cfg_no(m);
	i->key = cfg_no(m) ? 0 : (uint32_t)cfg_num(cli_arg(m, "key"));
	return 0;
}

static int h_if_protection(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_interface *i = cur_tunnel(s, err);
	char name[CFG_NAME_MAX];
	if (!i)
		return -EINVAL;
	if (cfg_no(m)) {
		i->protection[0] = '\0';
		return 0;
	}
	if (cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	memcpy(i->protection, name, sizeof(name));
	i->protection_pos = cfg_here(s);
	return 0;
}

static int h_if_keepalive(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *p = cur_if(SESSION(ctx));
	/* On a plain interface IOS's keepalive checks the Ethernet link: Linux
	 * watches carrier itself, a hardware line (cmd_ifhw.c). */
	if (p && !p->is_tunnel)
		return cfg_hw_line(SESSION(ctx), m, err);
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	if (cfg_no(m)) {
		i->keepalive = false;
		i->keepalive_period = i->keepalive_retries = 0;
		return 0;
	}
	i->keepalive = true;
	i->keepalive_period = cli_arg(m, "period") ? (uint16_t)cfg_num(cli_arg(m, "period")) : 10;
	i->keepalive_retries = cli_arg(m, "retries") ? (uint16_t)cfg_num(cli_arg(m, "retries")) : 3;
	return 0;
}

static int h_if_bandwidth(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_tunnel(SESSION(ctx), err);
	if (!i)
		return -EINVAL;
	i->bandwidth = cfg_no(m) ? 0 : (uint32_t)cfg_num(cli_arg(m, "bw"));
	return 0;
}

/* Any interface: a plain one's device goes administratively down (vtid/ifaces.c). */
static int h_if_shutdown(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_interface *i = cur_if(SESSION(ctx));
	if (!i)
		return cfg_fail(err, 1, "no interface");
	i->shutdown = !cfg_no(m);
	return 0;
}

/* Any interface: a tunnel's ACL sees the inner packets, a plain
 * interface's the packets on the wire (ESP and IKE included, as IOS). */
static int h_if_acl(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_interface *i = cur_if(s);
	char name[CFG_NAME_MAX] = "";
	if (!i) {
		cfg_fail(err, 1, "no interface");
		return -EINVAL;
	}
	bool in = !strcmp(cli_arg(m, "dir"), "in");
	if (!cfg_no(m) && cfg_acl_ref(m, "name", name, err))
		return -EINVAL;
	memcpy(in ? i->acl_in : i->acl_out, name, sizeof(name));
	if (!cfg_no(m))
		*(in ? &i->acl_pos : &i->acl_out_pos) = cfg_here(s);
	return 0;
}

/* Any interface, as IOS: on a tunnel the policy sees the inner packets,
 * on a plain interface the packets on the wire. */
static int h_if_sp(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_interface *i = cur_if(s);
	char name[CFG_NAME_MAX] = "";
	if (!i)
		return cfg_fail(err, 1, "no interface");
	bool in = !strcmp(cli_arg(m, "dir"), "input");
	if (!cfg_no(m) && cfg_copy(name, sizeof(name), m, "name", err))
		return -EINVAL;
	memcpy(in ? i->sp_in : i->sp_out, name, sizeof(name));
	struct cfg_pos none = {0, 0};
	*(in ? &i->sp_pos : &i->sp_out_pos) = cfg_no(m) ? none : cfg_here(s);
	return 0;
}

/* The first word after "ip ospf" names the setting ("cost", "network");
 * a number is the process of "ip ospf N area A". */
static void ospf_key(const char *line, char *key, size_t len)
{
	const char *p = line + strlen("ip ospf ");
	size_t n = strcspn(p, " ");
	if (n && isdigit((unsigned char)p[0]))
		snprintf(key, len, "#area");
	else
		snprintf(key, len, "%.*s", (int)n, p);
}

static int h_if_ospf_line(const struct cli_match *m, struct cfg_interface *i,
			  struct cli_error *err);

/* Typed in a session, `ip ospf N area A` creates `router ospf N` when
 * there is no OSPF process (IOS); a file gets it once read (session.c). */
static int h_if_ospf(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_interface *i = cur_if(s);
	if (!i)
		return -ENOENT;
	int r = h_if_ospf_line(m, i, err);
	if (r == 0 && !s->file && !cfg_no(m))
		r = cfg_ospf_autocreate(s->cand, cfg_here(s));
	return r;
}

static int h_if_ospf_line(const struct cli_match *m, struct cfg_interface *i,
			  struct cli_error *err)
{
	char line[CFG_TEXT_MAX], key[CFG_TEXT_MAX], k2[CFG_TEXT_MAX];
	const char *rest = cli_arg(m, "rest");
	if (strlen(rest) + 8 >= sizeof(line))
		return cfg_fail(err, cfg_argcol(m, "rest"), "line too long");
	char tmp[CFG_TEXT_MAX - 8];
	cfg_squash(tmp, sizeof(tmp), rest);
	snprintf(line, sizeof(line), "ip ospf %s", tmp);
	ospf_key(line, key, sizeof(key));
	if (cfg_no(m)) {
		/* `no ip ospf cost` removes "ip ospf cost 10"; words must prefix. */
		size_t l = strlen(line);
		for (size_t k = 0; k < i->n_ospf;) {
			const char *t = i->ospf[k].text;
			if (!strncmp(t, line, l) && (t[l] == '\0' || t[l] == ' '))
				cfg_vec_remove(i->ospf, &i->n_ospf, sizeof(*i->ospf), k);
			else
				k++;
		}
		return 0;
	}
	for (size_t k = 0; k < i->n_ospf; k++) {
		ospf_key(i->ospf[k].text, k2, sizeof(k2));
		if (!strcmp(key, k2)) {
			memcpy(i->ospf[k].text, line, sizeof(line));
			return 0;
		}
	}
	struct cfg_vline *v = CFG_PUSH(i->ospf, i->n_ospf, i->cap_ospf);
	if (!v)
		return -ENOMEM;
	memcpy(v->text, line, sizeof(line));
	return 0;
}

#define EXIT_END(mode)                                                                             \
	{mode, "exit", "Exit from this mode", cfg_h_exit, 0},                                      \
	{                                                                                          \
		mode, "end", "Exit to EXEC mode", cfg_h_end, 0                                     \
	}

const struct cli_cmd cfg_cmds_if[] = {
    {CFG_MODE_CONFIG, "hostname WORD$name", "Set the system name\nThis router's name", h_hostname,
     0},
    {CFG_MODE_CONFIG, "no hostname [WORD]", "Negate a command\nSystem name\nName", h_hostname, 0},
    {CFG_MODE_CONFIG, "dataplane <auto|userspace|kernel>$dp",
     "Packet processing backend\nKernel when it supports GRE and ESP, else userspace "
     "(default)\nTUN devices, GRE and ESP in vtid\nKernel GRE devices and XFRM",
     h_dataplane, 0},
    {CFG_MODE_CONFIG, "no dataplane [<auto|userspace|kernel>$dp]",
     "Negate a command\nPacket processing backend\nAuto\nUserspace\nKernel", h_dataplane, 0},
    {CFG_MODE_CONFIG, "dataplane userspace multi-queue (0-65535)$n",
     "Packet processing backend\nTUN devices, GRE and ESP in vtid\nTunnel devices with one "
     "queue per worker\nWhile the configuration holds at most this many tunnels (0: never; "
     "default 32)",
     h_dp_mq, 0},
    {CFG_MODE_CONFIG, "no dataplane userspace multi-queue [(0-65535)$n]",
     "Negate a command\nPacket processing backend\nTUN devices, GRE and ESP in vtid\nTunnel "
     "devices with one queue per worker\nTunnels",
     h_dp_mq, 0},
    {CFG_MODE_CONFIG, "[no] interface WORD$name",
     "Negate a command\nSelect an interface to configure\nInterface name (TunnelN, eth1)",
     h_interface, 0},
    {CFG_MODE_CONFIG, "[no] router ospf [(1-65535)]",
     "Negate a command\nRouting process\nOSPF (lines kept for FRR)\nInstance number", h_router, 0},
    {CFG_MODE_CONFIG, "[no] router bgp (1-4294967295) [LINE]",
     "Negate a command\nRouting process\nBGP (lines kept for FRR)\nAutonomous system number\n"
     "vrf NAME, view NAME",
     h_router, 0},
    {CFG_MODE_CONFIG, "[no] bfd", "Negate a command\nBFD configuration (kept for FRR)", h_router,
     0},
    {CFG_MODE_CONFIG, "exit", "Exit configuration mode", cfg_h_exit, 0},
    {CFG_MODE_CONFIG, "end", "Exit to EXEC mode", cfg_h_end, 0},

    {CFG_MODE_ROUTER, "LINE$line", "A routing line, passed to FRR as written", h_router_line, 0},
    EXIT_END(CFG_MODE_ROUTER),

    {CFG_MODE_IF, "description LINE$text", "Interface description\nUp to 255 characters", h_if_desc,
     0},
    {CFG_MODE_IF, "no description [LINE]", "Negate a command\nInterface description", h_if_desc, 0},
    {CFG_MODE_IF, "ip address A.B.C.D$addr A.B.C.D$mask",
     "IP configuration\nSet the IPv4 address\nIPv4 address\nNetwork mask", h_if_addr, 0},
    {CFG_MODE_IF, "no ip address [A.B.C.D [A.B.C.D]]",
     "Negate a command\nIP configuration\nIPv4 address\nIPv4 address\nNetwork mask", h_if_addr, 0},
    {CFG_MODE_IF, "ip mtu (68-9000)$mtu", "IP configuration\nIP MTU of the tunnel\nBytes", h_if_mtu,
     0},
    {CFG_MODE_IF, "no ip mtu [(68-9000)]", "Negate a command\nIP configuration\nIP MTU", h_if_mtu,
     0},
    {CFG_MODE_IF, "ip tcp adjust-mss (500-1460)$mss",
     "IP configuration\nTCP\nClamp the MSS of TCP SYNs\nBytes", h_if_mss, 0},
    {CFG_MODE_IF, "no ip tcp adjust-mss [(500-1460)]",
     "Negate a command\nIP configuration\nTCP\nMSS clamping", h_if_mss, 0},
    {CFG_MODE_IF, "tunnel source <A.B.C.D$addr|WORD$ifname>",
     "Tunnel settings\nLocal endpoint\nSource address\nInterface whose address is used",
     h_if_source, 0},
    {CFG_MODE_IF, "no tunnel source [WORD]", "Negate a command\nTunnel settings\nSource",
     h_if_source, 0},
    {CFG_MODE_IF, "tunnel destination A.B.C.D$dst",
     "Tunnel settings\nRemote endpoint\nDestination address", h_if_dest, 0},
    {CFG_MODE_IF, "no tunnel destination [A.B.C.D]",
     "Negate a command\nTunnel settings\nRemote endpoint", h_if_dest, 0},
    {CFG_MODE_IF, "tunnel mode <gre ip|ipsec ipv4>",
     "Tunnel settings\nEncapsulation\nGRE (default)\nover IPv4\nNative IPsec (VTI)\n"
     "over IPv4",
     h_if_mode, 0},
    {CFG_MODE_IF, "no tunnel mode [LINE]", "Negate a command\nTunnel settings\nEncapsulation",
     h_if_mode, 0},
    {CFG_MODE_IF, "tunnel key (0-4294967295)$key", "Tunnel settings\nGRE key\nKey", h_if_key, 0},
    {CFG_MODE_IF, "no tunnel key [(0-4294967295)]", "Negate a command\nTunnel settings\nGRE key",
     h_if_key, 0},
    {CFG_MODE_IF, "tunnel protection ipsec profile WORD$name",
     "Tunnel settings\nProtect with IPsec\nIPsec\nIPsec profile\nProfile name", h_if_protection, 0},
    {CFG_MODE_IF, "no tunnel protection [LINE]",
     "Negate a command\nTunnel settings\nIPsec protection", h_if_protection, 0},
    {CFG_MODE_IF, "keepalive [(1-32767)$period [(1-255)$retries]]",
     "GRE keepalives\nSeconds between keepalives (default 10)\nRetries (default 3)", h_if_keepalive,
     0},
    {CFG_MODE_IF, "no keepalive [LINE]",
     "Negate a command\nGRE keepalives (on a plain interface: ignored on Linux)", h_if_keepalive,
     0},
    {CFG_MODE_IF, "bandwidth (1-10000000)$bw",
     "Bandwidth for routing metrics and QoS\nKilobits per second", h_if_bandwidth, 0},
    {CFG_MODE_IF, "no bandwidth [(1-10000000)]", "Negate a command\nBandwidth", h_if_bandwidth, 0},
    {CFG_MODE_IF, "[no] shutdown", "Negate a command\nDisable the interface", h_if_shutdown, 0},
    {CFG_MODE_IF, "ip access-group WORD$name <in|out>$dir",
     "IP configuration\nFilter with an access list\nAccess list name or number\nInbound\n"
     "Outbound",
     h_if_acl, 0},
    {CFG_MODE_IF, "no ip access-group [WORD] <in|out>$dir",
     "Negate a command\nIP configuration\nAccess list\nName\nInbound\nOutbound", h_if_acl, 0},
    {CFG_MODE_IF, "service-policy <input|output>$dir WORD$name",
     "Attach a QoS policy\nInbound\nOutbound\nPolicy map name", h_if_sp, 0},
    {CFG_MODE_IF, "no service-policy <input|output>$dir [WORD]",
     "Negate a command\nQoS policy\nInbound\nOutbound\nName", h_if_sp, 0},
    {CFG_MODE_IF, "[no] ip ospf LINE$rest",
     "Negate a command\nIP configuration\nOSPF interface settings (passed to FRR)\n"
     "area, cost, network, hello-interval, dead-interval, bfd...",
     h_if_ospf, 0},
    EXIT_END(CFG_MODE_IF),
};
const size_t cfg_n_cmds_if = sizeof(cfg_cmds_if) / sizeof(cfg_cmds_if[0]);
