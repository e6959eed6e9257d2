/* translate.c: vtid's routing lines (IOS spelling) -> FRR 8.4 text.
 *
 * Pure functions, no FRR needed: the translation table is in frr.h.  The
 * input is indented text: a line at column 0 opens a block (interface,
 * router ospf/bgp, bfd, or anything else, passed through), indented lines
 * belong to it.  Only the first level inside `router ospf` and interface
 * blocks is rewritten; deeper lines (BGP address-family contents) pass
 * through with their indentation.
 *
 * Errors name the input line and what is wrong; one error stops the
 * translation and nothing is produced, so a bad line never reaches FRR. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/model.h"
#include "frr-integration/frr.h"
#include "frr-integration/priv.h"

enum { TOK_MAX = 24, LINE_MAX_LEN = 512, OSPF_HDR_MAX = 16, PASSIVE_MAX = 64 };

struct toks {
	char buf[LINE_MAX_LEN];
	char *t[TOK_MAX];
	int n;
	bool overflow; /* too long or too many words: passed through as is */
};

static void tokenize(const struct frr_line *l, struct toks *k)
{
	char *save = NULL, *w;

	k->n = 0;
	k->overflow = l->len >= sizeof(k->buf);
	if (k->overflow)
		return;
	memcpy(k->buf, l->text, l->len);
	k->buf[l->len] = '\0';
	for (w = strtok_r(k->buf, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		if (k->n == TOK_MAX) {
			k->overflow = true;
			return;
		}
		k->t[k->n++] = w;
	}
}

static bool tok_is(const struct toks *k, int i, const char *word)
{
	return i < k->n && strcasecmp(k->t[i], word) == 0;
}

static bool parse_v4(const char *s, uint32_t *out)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*out = ntohl(a.s_addr);
	return true;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

/* A wildcard is contiguous when its set bits are all at the low end. */
static int wildcard_len(uint32_t w)
{
	if (w & (w + 1))
		return -1;
	return 32 - __builtin_popcount(w);
}

static int mask_len(uint32_t m)
{
	return wildcard_len(~m);
}

static void fmt_prefix(char *out, size_t len, uint32_t addr, int plen)
{
	uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;
	struct in_addr a = {.s_addr = htonl(addr & mask)};
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, s, sizeof(s));
	snprintf(out, len, "%s/%d", s, plen);
}

enum blk { BLK_NONE, BLK_IF, BLK_OSPF, BLK_BGP, BLK_OTHER };

struct xl {
	struct frr_buf out;
	char *err;
	size_t errlen;
	enum blk blk;
	int blk_indent; /* indentation of the block's first level, 0 = none yet */
	/* interface block */
	char ifname[64];
	bool if_tunnel, if_ospf, if_ospf_net;
	char if_area[LINE_MAX_LEN]; /* the interface's `ip ospf area` line, written last */
	int if_area_indent;
	/* bgp block */
	bool bgp_policy_line;
	/* whole text */
	int network_line, if_area_line;
	int n_passive;
	struct {
		char ifname[64];
		bool on;
	} passive[PASSIVE_MAX];
	int n_ospf_hdr;
	struct {
		char xlated[LINE_MAX_LEN];
		char orig[LINE_MAX_LEN];
		int line;
	} ospf_hdr[OSPF_HDR_MAX];
};

static int fail(struct xl *x, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct xl *x, int line, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (x->err && x->errlen) {
		if (line)
			n = snprintf(x->err, x->errlen, "line %d: ", line);
		if (n < 0 || (size_t)n >= x->errlen)
			n = 0;
		va_start(ap, fmt);
		vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void put_line(struct xl *x, int indent, const char *text)
{
	for (int i = 0; i < indent; i++)
		frr_buf_add(&x->out, " ", 1);
	frr_buf_puts(&x->out, text);
	frr_buf_add(&x->out, "\n", 1);
}

/* An input line as it is (its text is not NUL-terminated). */
static void put_input(struct xl *x, const struct frr_line *l)
{
	for (int i = 0; i < l->indent; i++)
		frr_buf_add(&x->out, " ", 1);
	frr_buf_add(&x->out, l->text, l->len);
	frr_buf_add(&x->out, "\n", 1);
}

/* out = head and tokens [from, n), separated by single spaces (head may be
 * "", and may point into out's own buffer only if it is out itself). */
static void join(char *out, size_t len, const char *head, const struct toks *k, int from)
{
	size_t o;

	if (head != out)
		snprintf(out, len, "%s", head);
	o = strlen(out);
	for (int i = from; i < k->n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", o ? " " : "", k->t[i]);
}

/* Closes the open block: what FRR needs that IOS implies. */
static void close_block(struct xl *x)
{
	if (x->blk == BLK_IF && x->if_tunnel && x->if_ospf && !x->if_ospf_net)
		put_line(x, 1, "ip ospf network point-to-point");
	/* `ip ospf area` starts OSPF on the interface: after its network type
	 * and timers, or the first Wait timer runs with the default dead
	 * interval (40 s) and the first hellos carry the wrong intervals. */
	if (x->blk == BLK_IF && x->if_area[0])
		put_line(x, x->if_area_indent, x->if_area);
	x->if_area[0] = '\0';
	if (x->blk == BLK_BGP && !x->bgp_policy_line)
		put_line(x, 1, "no bgp ebgp-requires-policy");
	if (x->blk != BLK_NONE)
		frr_buf_puts(&x->out, "!\n");
	x->blk = BLK_NONE;
	x->blk_indent = 0;
}

static int open_block(struct xl *x, const struct frr_line *l, const struct toks *k)
{
	char line[LINE_MAX_LEN];

	close_block(x);
	if (!k->overflow && tok_is(k, 0, "interface") && k->n >= 2) {
		x->blk = BLK_IF;
		snprintf(x->ifname, sizeof(x->ifname), "%s", k->t[1]);
		x->if_tunnel = strncasecmp(k->t[1], "Tunnel", 6) == 0;
		x->if_ospf = x->if_ospf_net = false;
		put_input(x, l);
		return 0;
	}
	if (!k->overflow && tok_is(k, 0, "router") && tok_is(k, 1, "ospf")) {
		const char *num = k->n >= 3 && all_digits(k->t[2]) ? k->t[2] : "";
		int i;

		/* FRR's ospfd without -n runs one process: the number goes. */
		join(line, sizeof(line), "router ospf", k, *num ? 3 : 2);
		for (i = 0; i < x->n_ospf_hdr; i++)
			if (strcmp(x->ospf_hdr[i].xlated, line) == 0 &&
			    strcmp(x->ospf_hdr[i].orig, num) != 0)
				return fail(
				    x, l->no,
				    "FRR runs one OSPF process: \"router ospf %s\" here and "
				    "\"router ospf %s\" on line %d",
				    num, x->ospf_hdr[i].orig, x->ospf_hdr[i].line);
		if (x->n_ospf_hdr < OSPF_HDR_MAX) {
			i = x->n_ospf_hdr++;
			snprintf(x->ospf_hdr[i].xlated, sizeof(x->ospf_hdr[i].xlated), "%s", line);
			snprintf(x->ospf_hdr[i].orig, sizeof(x->ospf_hdr[i].orig), "%s", num);
			x->ospf_hdr[i].line = l->no;
		}
		x->blk = BLK_OSPF;
		put_line(x, 0, line);
		return 0;
	}
	if (!k->overflow && tok_is(k, 0, "router") && tok_is(k, 1, "bgp")) {
		x->blk = BLK_BGP;
		x->bgp_policy_line = false;
		put_input(x, l);
		return 0;
	}
	x->blk = BLK_OTHER;
	put_input(x, l);
	return 0;
}

/* network A WILDCARD area X [...] -> network A/LEN area X [...] */
static int xl_ospf_network(struct xl *x, const struct frr_line *l, const struct toks *k, char *line,
			   size_t len)
{
	uint32_t a, w;
	char pfx[32];
	int plen;

	if (k->n < 3 || !parse_v4(k->t[1], &a))
		return 0;
	x->network_line = l->no;
	if (!parse_v4(k->t[2], &w))
		return 0; /* already A/LEN, or FRR will say what is wrong */
	plen = wildcard_len(w);
	if (plen < 0)
		return fail(x, l->no,
			    "non-contiguous wildcard %s in \"%.*s\" (FRR takes prefixes only)",
			    k->t[2], (int)l->len, l->text);
	fmt_prefix(pfx, sizeof(pfx), a, plen);
	snprintf(line, len, "network %s", pfx);
	join(line, len, line, k, 3);
	return 1;
}

/* area X range A MASK [...] -> area X range A/LEN [...] */
static int xl_ospf_range(struct xl *x, const struct frr_line *l, const struct toks *k, char *line,
			 size_t len)
{
	uint32_t a, m;
	char pfx[32];
	int plen;

	if (k->n < 5 || !parse_v4(k->t[3], &a) || !parse_v4(k->t[4], &m))
		return 0;
	plen = mask_len(m);
	if (plen < 0)
		return fail(x, l->no, "non-contiguous mask %s in \"%.*s\"", k->t[4], (int)l->len,
			    l->text);
	fmt_prefix(pfx, sizeof(pfx), a, plen);
	snprintf(line, len, "area %s range %s", k->t[1], pfx);
	join(line, len, line, k, 5);
	return 1;
}

/* [no] passive-interface IFNAME: FRR 8.4 deprecates it under router ospf
 * (not VRF-aware) and wants `ip ospf passive` on the interface; remembered
 * here and written as interface blocks at the end. */
static int xl_ospf_passive(struct xl *x, const struct frr_line *l, const struct toks *k)
{
	bool on = !tok_is(k, 0, "no");
	int i = on ? 1 : 2;

	if (k->n != i + 1 || tok_is(k, i, "default"))
		return 0;
	if (x->n_passive == PASSIVE_MAX)
		return fail(x, l->no, "more than %d passive-interface lines", PASSIVE_MAX);
	snprintf(x->passive[x->n_passive].ifname, sizeof(x->passive[0].ifname), "%s", k->t[i]);
	x->passive[x->n_passive++].on = on;
	return 1;
}

static int xl_ospf_line(struct xl *x, const struct frr_line *l, const struct toks *k)
{
	char line[LINE_MAX_LEN];
	int r = 0;

	if (tok_is(k, 0, "passive-interface") ||
	    (tok_is(k, 0, "no") && tok_is(k, 1, "passive-interface"))) {
		r = xl_ospf_passive(x, l, k);
		if (r != 0)
			return r < 0 ? r : 0;
	}
	if (tok_is(k, 0, "router-id") && k->n == 2) {
		snprintf(line, sizeof(line), "ospf router-id %s", k->t[1]);
		r = 1;
	} else if (tok_is(k, 0, "network")) {
		r = xl_ospf_network(x, l, k, line, sizeof(line));
	} else if (tok_is(k, 0, "area") && tok_is(k, 2, "range")) {
		r = xl_ospf_range(x, l, k, line, sizeof(line));
	} else if (tok_is(k, 0, "redistribute") && k->n >= 3 && tok_is(k, k->n - 1, "subnets")) {
		/* FRR always redistributes subnets. */
		struct toks k2 = *k;

		k2.n--;
		join(line, sizeof(line), "", &k2, 0);
		r = 1;
	}
	if (r < 0)
		return r;
	if (r)
		put_line(x, l->indent, line);
	else
		put_input(x, l);
	return 0;
}

static int xl_if_line(struct xl *x, const struct frr_line *l, const struct toks *k)
{
	char line[LINE_MAX_LEN];

	if (!tok_is(k, 0, "ip") || !tok_is(k, 1, "ospf")) {
		put_input(x, l);
		return 0;
	}
	x->if_ospf = true;
	if (tok_is(k, 2, "network"))
		x->if_ospf_net = true;
	if (k->n >= 5 && all_digits(k->t[2]) && tok_is(k, 3, "area")) {
		/* ip ospf PROCESS area X: single-instance ospfd has no PROCESS */
		join(line, sizeof(line), "ip ospf", k, 3);
	} else if (tok_is(k, 2, "area")) {
		join(line, sizeof(line), "", k, 0);
	} else {
		put_input(x, l);
		return 0;
	}
	if (x->if_area[0])
		put_line(x, x->if_area_indent, x->if_area); /* a second one: keep order */
	x->if_area_line = l->no;
	snprintf(x->if_area, sizeof(x->if_area), "%s", line);
	x->if_area_indent = l->indent;
	return 0;
}

int frr_translate(const char *in, char **frr_text, char *err, size_t errlen)
{
	struct xl *x;
	struct frr_line l;
	size_t pos = 0;
	int line_no = 0, r = 0;

	*frr_text = NULL;
	if (err && errlen)
		err[0] = '\0';
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->err = err;
	x->errlen = errlen;
	while (r == 0 && frr_next_line(in ? in : "", &pos, &line_no, &l)) {
		struct toks k;

		tokenize(&l, &k);
		if (l.indent == 0) {
			r = open_block(x, &l, &k);
			continue;
		}
		if (x->blk == BLK_NONE) {
			/* the line itself is not echoed: it may hold a key */
			r = fail(x, l.no, "indented line outside any block");
			break;
		}
		if (!x->blk_indent)
			x->blk_indent = l.indent;
		if (k.overflow) {
			put_input(x, &l);
			continue;
		}
		if (x->blk == BLK_OSPF && l.indent == x->blk_indent)
			r = xl_ospf_line(x, &l, &k);
		else if (x->blk == BLK_IF)
			r = xl_if_line(x, &l, &k);
		else {
			for (int i = 0; x->blk == BLK_BGP && i < k.n; i++)
				if (strcmp(k.t[i], "ebgp-requires-policy") == 0)
					x->bgp_policy_line = true;
			put_input(x, &l);
		}
	}
	if (r == 0)
		close_block(x);
	for (int i = 0; r == 0 && i < x->n_passive; i++)
		frr_buf_printf(&x->out, "interface %s\n %sip ospf passive\n!\n",
			       x->passive[i].ifname, x->passive[i].on ? "" : "no ");
	if (r == 0 && x->network_line && x->if_area_line)
		r = fail(x, x->if_area_line,
			 "FRR cannot mix interface \"ip ospf area\" with \"network ... area\" "
			 "(line %d) under router ospf; use one of them",
			 x->network_line);
	if (r == 0) {
		*frr_text = frr_buf_take(&x->out);
		if (!*frr_text)
			r = -ENOMEM;
	}
	frr_buf_free(&x->out);
	free(x);
	return r;
}

/* A routing line naming an interface by its IOS name (`passive-interface
 * FastEthernet0/0`) names the Linux device to FRR. */
static void put_router_line(struct frr_buf *b, const struct cfg_model *m, const char *t)
{
	const char *p = t;
	if (!strncmp(p, "no ", 3))
		p += 3;
	if (!strncmp(p, "passive-interface ", 18) && !strchr(p + 18, ' ') &&
	    cfg_find_ifmap(m, p + 18)) {
		frr_buf_printf(b, " %.*s%s\n", (int)(p + 18 - t), t, cfg_linux_ifname(m, p + 18));
		return;
	}
	frr_buf_printf(b, " %s\n", t);
}

int frr_model_text(const struct cfg_model *m, char **text)
{
	struct frr_buf b = {0};

	*text = NULL;
	/* Routers first: an interface's `ip ospf area` starts OSPF on it, and
	 * the router-id must be in place by then or neighbours first learn an
	 * automatic one (a stale neighbour until its dead interval). */
	for (size_t i = 0; i < m->n_router; i++) {
		const struct cfg_router *r = &m->router[i];

		frr_buf_printf(&b, "%s\n", r->header);
		for (size_t j = 0; j < r->n_line; j++)
			put_router_line(&b, m, r->line[j].text);
		/* A process with no line of its own (the one IOS creates for
		 * `ip ospf 1 area 0`) runs with IOS's defaults; FRR's differ in
		 * logging adjacency changes, and a block with a line is one FRR
		 * shows (and vtid can tell is there). */
		if (!r->n_line && !strncmp(r->header, "router ospf", 11))
			frr_buf_printf(&b, " log-adjacency-changes\n");
	}
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *ifc = &m->interface[i];

		if (!ifc->n_ospf)
			continue;
		/* FRR knows the Linux device, not an IOS name standing for it */
		frr_buf_printf(&b, "interface %s\n",
			       ifc->is_tunnel ? ifc->name : cfg_linux_ifname(m, ifc->name));
		for (size_t j = 0; j < ifc->n_ospf; j++)
			frr_buf_printf(&b, " %s\n", ifc->ospf[j].text);
	}
	*text = frr_buf_take(&b);
	return *text ? 0 : -ENOMEM;
}
