/* session.c: the per-line engine shared by files and `configure terminal`.
 *
 * A session is a mode stack (each level remembers its header line, e.g.
 * "interface Tunnel1", and the name of the object it edits) over a
 * candidate model.  A line is tried in the current mode, then in each
 * parent up to global config (IOS); the first mode that accepts it runs
 * its handler at that depth.  When no mode accepts it, the error reported
 * is the one that got furthest into the line.  Handlers check everything
 * before they change the candidate, so a refused line changes nothing.
 *
 * Files add one rule: after `router ...` / `bfd`, indented lines are kept
 * verbatim and the first non-indented line leaves the block. */
#include "conf/internal.h"
#include "conf/router_block.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	int id;
	const char *name, *prompt;
	int parent;
} cfg_modes[] = {
    {CFG_MODE_CONFIG, "config", "config", CLI_MODE_EXEC},
    {CFG_MODE_IKEV2_PROPOSAL, "ikev2-proposal", "config-ikev2-proposal", CFG_MODE_CONFIG},
    {CFG_MODE_IKEV2_POLICY, "ikev2-policy", "config-ikev2-policy", CFG_MODE_CONFIG},
    {CFG_MODE_IKEV2_KEYRING, "ikev2-keyring", "config-ikev2-keyring", CFG_MODE_CONFIG},
    {CFG_MODE_IKEV2_KEYRING_PEER, "ikev2-keyring-peer", "config-ikev2-keyring-peer",
     CFG_MODE_IKEV2_KEYRING},
    {CFG_MODE_IKEV2_PROFILE, "ikev2-profile", "config-ikev2-profile", CFG_MODE_CONFIG},
    {CFG_MODE_CRYPTO_TRANS, "crypto-trans", "cfg-crypto-trans", CFG_MODE_CONFIG},
    {CFG_MODE_IPSEC_PROFILE, "ipsec-profile", "ipsec-profile", CFG_MODE_CONFIG},
    {CFG_MODE_CRYPTO_MAP, "crypto-map", "config-crypto-map", CFG_MODE_CONFIG},
    {CFG_MODE_IF, "interface", "config-if", CFG_MODE_CONFIG},
    {CFG_MODE_ACL, "ext-nacl", "config-ext-nacl", CFG_MODE_CONFIG},
    {CFG_MODE_ACL_STD, "std-nacl", "config-std-nacl", CFG_MODE_CONFIG},
    {CFG_MODE_CMAP, "class-map", "config-cmap", CFG_MODE_CONFIG},
    {CFG_MODE_PMAP, "policy-map", "config-pmap", CFG_MODE_CONFIG},
    {CFG_MODE_PMAP_C, "policy-map-class", "config-pmap-c", CFG_MODE_PMAP},
    {CFG_MODE_ROUTER, "router", "config-router", CFG_MODE_CONFIG},
};

int cfg_cli_register(struct cli *cli)
{
	struct cli_error e;
	int r;
	for (size_t i = 0; i < sizeof(cfg_modes) / sizeof(cfg_modes[0]); i++) {
		r = cli_mode_add(cli, cfg_modes[i].id, cfg_modes[i].name, cfg_modes[i].prompt,
				 cfg_modes[i].parent);
		if (r < 0)
			return r;
	}
	r = cfg_acl_words_register(cli);
	cfg_crypto_words_build();
	if (r == 0)
		r = cli_install(cli, cfg_cmds_crypto, cfg_n_cmds_crypto, &e);
	if (r == 0)
		r = cli_install(cli, cfg_cmds_cryptomap, cfg_n_cmds_cryptomap, &e);
	if (r == 0)
		r = cli_install(cli, cfg_cmds_if, cfg_n_cmds_if, &e);
	if (r == 0)
		r = cli_install(cli, cfg_cmds_ifhw, cfg_n_cmds_ifhw, &e);
	if (r == 0)
		r = cli_install(cli, cfg_cmds_acl, cfg_n_cmds_acl, &e);
	if (r == 0)
		r = cli_install(cli, cfg_cmds_qos, cfg_n_cmds_qos, &e);
	return r;
}

static struct cli *grammar;

const struct cli *cfg_grammar(void)
{
	if (grammar)
		return grammar;
	struct cli *c = cli_new();
	if (!c)
		return NULL;
	if (cfg_cli_register(c) < 0) {
		cli_free(c);
		return NULL;
	}
	grammar = c;
	return grammar;
}

void cfg_grammar_free(void)
{
	cli_free(grammar);
	grammar = NULL;
}

/* ---- helpers for handlers ---- */

int cfg_fail(struct cli_error *err, int col, const char *fmt, ...)
{
	va_list ap;
	if (err) {
		err->col = col;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int cfg_argcol(const struct cli_match *m, const char *name)
{
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < m->nargs; i++)
			if (m->args[i].implicit == (pass == 1) && !strcmp(m->args[i].name, name))
				return m->args[i].col;
	return 1;
}

int cfg_argcol_nth(const struct cli_match *m, const char *name, int n)
{
	for (int i = 0; i < m->nargs; i++)
		if (!strcmp(m->args[i].name, name) && n-- == 0)
			return m->args[i].col;
	return cfg_argcol(m, name);
}

bool cfg_no(const struct cli_match *m)
{
	return m->nargs > 0 && !strcmp(m->args[0].name, "no");
}

struct cfg_level *cfg_top(struct cfg_session *s)
{
	return &s->lv[s->depth - 1];
}

int cfg_enter(struct cfg_session *s, int mode, const char *header, const char *obj, const char *sub)
{
	if (s->depth >= CFG_MAX_DEPTH)
		return -E2BIG;
	struct cfg_level *l = &s->lv[s->depth++];
	memset(l, 0, sizeof(*l));
	l->mode = mode;
	snprintf(l->header, sizeof(l->header), "%s", header ? header : "");
	snprintf(l->obj, sizeof(l->obj), "%s", obj ? obj : "");
	snprintf(l->sub, sizeof(l->sub), "%s", sub ? sub : "");
	return 0;
}

struct cfg_pos cfg_here(const struct cfg_session *s)
{
	struct cfg_pos p = {s->line_no, s->line_no ? s->line_indent + 1 : 0};
	return p;
}

int cfg_copy(char *dst, size_t len, const struct cli_match *m, const char *name,
	     struct cli_error *err)
{
	const char *v = cli_arg(m, name);
	if (!v)
		v = "";
	if (strlen(v) >= len)
		return cfg_fail(err, cfg_argcol(m, name), "too long (at most %zu characters)",
				len - 1);
	/* Zero the tail too: resolved tunnels are compared with memcmp. */
	memset(dst, 0, len);
	memcpy(dst, v, strlen(v));
	return 0;
}

uint32_t cfg_ipv4(const char *s)
{
	struct in_addr a = {0};
	if (s)
		inet_pton(AF_INET, s, &a);
	return a.s_addr;
}

unsigned long long cfg_num(const char *s)
{
	return s ? strtoull(s, NULL, 10) : 0;
}

void cfg_squash(char *dst, size_t len, const char *src)
{
	size_t o = 0;
	bool sp = false;
	if (!len)
		return;
	for (; src && *src && o + 1 < len; src++) {
		if (*src == ' ' || *src == '\t') {
			sp = o > 0;
			continue;
		}
		if (sp && o + 2 < len)
			dst[o++] = ' ';
		sp = false;
		dst[o++] = *src;
	}
	dst[o] = '\0';
}

bool cfg_mask_ok(uint32_t mask_net)
{
	uint32_t inv = ~ntohl(mask_net);
	/* Contiguous iff the inverted mask is 0...01...1. */
	return (inv & (inv + 1)) == 0;
}

int cfg_h_exit(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = ctx;
	(void)m, (void)err;
	if (s->depth <= 1)
		return CFG_LINE_EXIT;
	s->depth--;
	return CFG_LINE_OK;
}

int cfg_h_end(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = ctx;
	(void)m, (void)err;
	s->depth = 1;
	return CFG_LINE_END;
}

/* ---- the session ---- */

struct cfg_session *cfg_session_new(const struct cli *cli, const struct cfg_model *base)
{
	struct cfg_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cli = cli ? cli : cfg_grammar();
	s->cand = base ? cfg_model_dup(base) : cfg_model_new();
	if (!s->cli || !s->cand) {
		cfg_session_free(s);
		return NULL;
	}
	cfg_enter(s, CFG_MODE_CONFIG, "configure terminal", NULL, NULL);
	cfg_session_commit(s);
	return s;
}

void cfg_session_free(struct cfg_session *s)
{
	if (!s)
		return;
	cfg_session_pending_clear(s);
	cfg_model_free(s->cand);
	free(s);
}

int cfg_session_mode(const struct cfg_session *s)
{
	return s->lv[s->depth - 1].mode;
}

const char *cfg_session_prompt(const struct cfg_session *s)
{
	const char *p = cli_mode_prompt(s->cli, cfg_session_mode(s));
	return p ? p : "config";
}

int cfg_session_depth(const struct cfg_session *s)
{
	return s->depth;
}

const char *cfg_session_header(const struct cfg_session *s, int level)
{
	if (level < 0 || level >= s->depth)
		return NULL;
	return s->lv[level].header;
}

const struct cfg_model *cfg_session_model(const struct cfg_session *s)
{
	return s->cand;
}

struct cfg_model *cfg_session_take(struct cfg_session *s)
{
	struct cfg_model *copy = cfg_model_dup(s->cand);
	if (!copy)
		return NULL;
	struct cfg_model *out = s->cand;
	s->cand = copy;
	return out;
}

/* `?` and TAB answer from the current mode; when it has nothing for the
 * line (a global command typed in a sub-mode, which the line engine would
 * accept), the parent modes are asked in turn. */
static int ask_modes(const struct cfg_session *s, const char *line, struct cli_help_item *out,
		     int max, struct cli_error *err, bool help)
{
	int first = 0;
	struct cli_error e0 = {0};
	for (int d = s->depth; d >= 1; d--) {
		struct cli_error e = {0};
		int mode = s->lv[d - 1].mode;
		int n = help ? cli_help(s->cli, mode, line, out, max, &e)
			     : cli_complete(s->cli, mode, line, out, max, &e);
		if (d == s->depth) {
			first = n;
			e0 = e;
		}
		if (n > 0)
			return n;
	}
	if (err)
		*err = e0;
	return first;
}

int cfg_session_help(const struct cfg_session *s, const char *line, struct cli_help_item *out,
		     int max, struct cli_error *err)
{
	return ask_modes(s, line, out, max, err, true);
}

int cfg_session_complete(const struct cfg_session *s, const char *line, struct cli_help_item *out,
			 int max, struct cli_error *err)
{
	return ask_modes(s, line, out, max, err, false);
}

static struct cfg_router *cur_router(struct cfg_session *s)
{
	for (size_t i = 0; i < s->cand->n_router; i++)
		if (!strcmp(s->cand->router[i].header, cfg_top(s)->header))
			return &s->cand->router[i];
	return NULL;
}

/* body is w alone (trailing blanks aside)? */
static bool only_word(const char *body, const char *w)
{
	size_t n = strlen(w);
	return !strncmp(body, w, n) && body[n + strspn(body + n, " \t\r")] == '\0';
}

/* Is body a line of the current routing block's FRR node? */
static bool router_line_fits(struct cfg_session *s, const char *body)
{
	struct cfg_router *r = cur_router(s);
	char msg[CFG_TEXT_MAX];
	int col;
	return r && cfg_router_line_check(r, body, &col, msg, sizeof(msg)) == 0;
}

static int add_router_line(struct cfg_session *s, const char *text, int extra_indent,
			   struct cfg_error *err)
{
	struct cfg_router *r = cur_router(s);
	if (!r) {
		err->col = 0;
		snprintf(err->msg, sizeof(err->msg), "routing block vanished");
		return -EINVAL;
	}
	/* Only lines of the block's FRR node: FRR would run any other line
	 * in its global configuration (router_block.c). */
	int col;
	if (cfg_router_line_check(r, text, &col, err->msg, sizeof(err->msg)) < 0) {
		err->col = s->line_indent + col;
		return -EINVAL;
	}
	char buf[CFG_TEXT_MAX];
	int n = snprintf(buf, sizeof(buf), "%*s%s", extra_indent, "", text);
	if (n < 0 || (size_t)n >= sizeof(buf)) {
		err->col = 1;
		snprintf(err->msg, sizeof(err->msg), "line too long (at most %d characters)",
			 CFG_TEXT_MAX - 1);
		return -EINVAL;
	}
	struct cfg_vline *v = CFG_PUSH(r->line, r->n_line, r->cap_line);
	if (!v)
		return -ENOMEM;
	/* Trailing blanks are not part of the line. */
	while (n > 0 && (buf[n - 1] == ' ' || buf[n - 1] == '\t' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	memcpy(v->text, buf, (size_t)n + 1);
	return 0;
}

int cfg_ctrl_col(const char *line)
{
	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			return (int)(p - (const unsigned char *)line) + 1;
	return 0;
}

int cfg_session_line_at(struct cfg_session *s, const char *line, int line_no, struct cfg_error *err)
{
	struct cli_error best = {0}, ce;
	struct cli_match m;
	int indent = 0, r;
	memset(err, 0, sizeof(*err));
	err->line = line_no;
	/* Every configuration line, from a file or a terminal, comes through
	 * here: a control character would be stored, printed by show
	 * running-config to other operators' terminals and logged, so it is
	 * refused before anything else (TAB is a blank). */
	int cc = cfg_ctrl_col(line);
	if (cc) {
		err->col = cc;
		snprintf(err->msg, sizeof(err->msg), "control character 0x%02x not allowed",
			 (unsigned char)line[cc - 1]);
		return -EINVAL;
	}
	while (line[indent] == ' ' || line[indent] == '\t')
		indent++;
	const char *body = line + indent;
	if (!*body || *body == '!' || *body == '\r' || *body == '\n')
		return CFG_LINE_OK;
	s->line_no = line_no;
	s->line_indent = indent;
	/* A refused line leaves the mode as it was (an interactive line that
	 * left a routing block too: `no router ospf` in `router ospf 1`). */
	int saved = s->depth;
	if (cfg_session_mode(s) == CFG_MODE_ROUTER) {
		if (s->file && indent > 0)
			return add_router_line(s, body, indent - 1, err);
		if (s->file)
			s->depth = saved = 1;
		else if (!router_line_fits(s, body) && !only_word(body, "exit") &&
			 !only_word(body, "end") &&
			 cli_match_line(s->cli, CFG_MODE_CONFIG, body, &m, &ce) == 0) {
			/* Interactively a global command leaves the block, as in
			 * IOS; `no router ospf 1` typed in the block so removes
			 * it.  A line of the block's FRR node stays in it. */
			cli_match_clear(&m);
			s->depth = 1;
		}
	}
	for (int d = s->depth; d >= 1; d--) {
		int mode = s->lv[d - 1].mode;
		r = cli_match_line(s->cli, mode, line, &m, &ce);
		if (r == 0) {
			s->depth = d;
			r = m.cmd->handler ? m.cmd->handler(&m, s, &ce) : 0;
			cli_match_clear(&m);
			if (r < 0) {
				s->depth = saved;
				err->col = ce.col;
				if (r == -ENOMEM)
					snprintf(err->msg, sizeof(err->msg), "out of memory");
				else
					snprintf(err->msg, sizeof(err->msg), "%s", ce.msg);
				return -EINVAL;
			}
			return r;
		}
		if (d == s->depth || ce.col > best.col)
			best = ce;
	}
	err->col = best.col;
	snprintf(err->msg, sizeof(err->msg), "%s", best.msg);
	return -EINVAL;
}

int cfg_session_line(struct cfg_session *s, const char *line, struct cfg_error *err)
{
	int rc = cfg_session_line_at(s, line, 0, err);
	if (rc >= 0 && cfg_session_record(s, line) < 0) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	return rc;
}

/* ---- errors ---- */

int cfg_error_format(const struct cfg_error *e, const char *file, char *buf, size_t len)
{
	char pos[64] = "";
	if (e->line && e->col)
		snprintf(pos, sizeof(pos), "%d:%d: ", e->line, e->col);
	else if (e->line)
		snprintf(pos, sizeof(pos), "%d: ", e->line);
	/* FILE:LINE:COL: error: ..., or FILE: error: ... for the file as a whole */
	return snprintf(buf, len, "%s%s%serror: %s", file ? file : "", file ? (*pos ? ":" : ": ") : "",
			pos, e->msg);
}

void cfg_errors_print(const struct cfg_errors *errs, const char *file, FILE *out)
{
	char buf[512];
	for (int i = 0; i < errs->n; i++) {
		cfg_error_format(&errs->e[i], file, buf, sizeof(buf));
		fprintf(out, "%s\n", buf);
	}
	if (errs->dropped)
		fprintf(out, "%s: %d more errors not shown\n", file ? file : "config",
			errs->dropped);
}

void cfg_errors_add(struct cfg_errors *errs, int line, int col, const char *fmt, ...)
{
	va_list ap;
	if (!errs)
		return;
	if (errs->n >= CFG_MAX_ERRORS) {
		errs->dropped++;
		return;
	}
	struct cfg_error *e = &errs->e[errs->n++];
	e->line = line;
	e->col = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

/* ---- files ---- */

int cfg_parse_text(const char *text, size_t len, struct cfg_model **out, struct cfg_errors *errs)
{
	return cfg_parse_text_opts(text, len, 0, out, errs);
}

int cfg_parse_text_opts(const char *text, size_t len, unsigned flags, struct cfg_model **out,
			struct cfg_errors *errs)
{
	struct cfg_errors local;
	struct cfg_session *s;
	char buf[1024];
	int line_no = 0;
	size_t i = 0;
	if (!errs)
		errs = &local;
	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	s = cfg_session_new(NULL, NULL);
	if (!s) {
		cfg_errors_add(errs, 0, 0, "out of memory");
		return -ENOMEM;
	}
	s->file = true;
	while (i < len) {
		size_t j = i;
		while (j < len && text[j] != '\n')
			j++;
		line_no++;
		size_t l = j - i;
		if (l && text[i + l - 1] == '\r')
			l--;
		if (l >= sizeof(buf)) {
			cfg_errors_add(errs, line_no, (int)sizeof(buf),
				       "line too long (at most %zu characters)", sizeof(buf) - 1);
		} else if (memchr(text + i, '\0', l)) {
			cfg_errors_add(errs, line_no, 0, "NUL byte in line");
		} else {
			struct cfg_error e;
			memcpy(buf, text + i, l);
			buf[l] = '\0';
			int r = cfg_session_line_at(s, buf, line_no, &e);
			if (r < 0)
				cfg_errors_add(errs, line_no, e.col, "%s", e.msg);
			else if (r == CFG_LINE_END)
				break;
		}
		i = j + 1;
	}
	/* Lines may have held secrets. */
	OPENSSL_cleanse(buf, sizeof(buf));
	/* IOS creates the OSPF process an interface's `ip ospf N area A` names
	 * (ifmap.c); a file gets it once read whole, after its own blocks, so
	 * printing and reading back keeps the order of the routing blocks. */
	if (errs->n == 0)
		cfg_ifnames_canon(s->cand);
	if (errs->n == 0 && cfg_ospf_autocreate(s->cand, (struct cfg_pos){line_no, 1}) < 0)
		cfg_errors_add(errs, 0, 0, "out of memory");
	if (errs->n == 0 && !(flags & CFG_PARSE_NO_VALIDATE))
		cfg_validate(s->cand, errs);
	if (errs->n > 0 || errs->dropped) {
		cfg_session_free(s);
		return -EINVAL;
	}
	*out = s->cand;
	s->cand = NULL;
	cfg_session_free(s);
	return 0;
}

/* What a path is when it is not a regular file, for the refusal. */
static const char *file_kind(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISLNK(mode))
		return "a symbolic link";
	return "of an unknown type";
}

static int refuse_kind(mode_t mode, struct cfg_errors *errs)
{
	cfg_errors_add(errs, 0, 0, "not a regular file (%s)", file_kind(mode));
	return S_ISDIR(mode) ? -EISDIR : S_ISLNK(mode) ? -ELOOP : -EINVAL;
}

/* Reads a whole configuration file, or refuses it with one reason.  The
 * file is on the daemon's event loop path (SIGHUP, `configure replace`):
 * lstat first so a FIFO or device is never even opened (opening some
 * devices does something), then O_NONBLOCK|O_NOFOLLOW so a swap between
 * the two can neither block nor follow a link, and fstat must find the
 * same regular file.  The text is read to EOF and must be exactly st_size
 * bytes, so a file that changes under us is refused rather than applied
 * short.  *text is NUL-terminated; the caller wipes and frees it. */
static int read_conf_file(const char *path, unsigned flags, char **text, size_t *len,
			  struct cfg_errors *errs)
{
	struct stat ls, st;
	*text = NULL;
	*len = 0;
	bool follow = flags & CFG_PARSE_FOLLOW;
	if ((follow ? stat(path, &ls) : lstat(path, &ls)) < 0) {
		int e = errno;
		cfg_errors_add(errs, 0, 0, "cannot open: %s", strerror(e));
		return -e;
	}
	if (!S_ISREG(ls.st_mode))
		return refuse_kind(ls.st_mode, errs);
	int fd = open(path, O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW) | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP)
			return refuse_kind(S_IFLNK, errs);
		cfg_errors_add(errs, 0, 0, "cannot open: %s", strerror(e));
		return -e;
	}
	int rc = 0;
	char *buf = NULL;
	size_t cap = 0, got = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		cfg_errors_add(errs, 0, 0, "cannot stat: %s", strerror(-rc));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = refuse_kind(st.st_mode, errs);
		goto out;
	}
	if (st.st_dev != ls.st_dev || st.st_ino != ls.st_ino) {
		cfg_errors_add(errs, 0, 0, "the file was replaced while being opened");
		rc = -EAGAIN;
		goto out;
	}
	if (st.st_size > CFG_FILE_MAX) {
		cfg_errors_add(errs, 0, 0, "file too large (%lld bytes, at most %d MiB)",
			       (long long)st.st_size, CFG_FILE_MAX >> 20);
		rc = -EFBIG;
		goto out;
	}
	if (st.st_size == 0 && (flags & CFG_PARSE_NOT_EMPTY)) {
		cfg_errors_add(errs, 0, 0, "the file is empty: the running configuration is kept");
		rc = -ENODATA;
		goto out;
	}
	/* One byte more than expected, so a file that grew is seen. */
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (!buf) {
		cfg_errors_add(errs, 0, 0, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			cfg_errors_add(errs, 0, 0, "read error: %s", strerror(-rc));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got == cap)
			break;
	}
	if (got != (size_t)st.st_size) {
		cfg_errors_add(
		    errs, 0, 0,
		    "the file changed while being read (%zu%s bytes read, %lld expected)", got,
		    got == cap ? " or more" : "", (long long)st.st_size);
		rc = -EIO;
		goto out;
	}
	buf[got] = '\0';
out:
	close(fd);
	if (rc < 0) {
		/* Whatever was read may hold keys. */
		if (buf)
			OPENSSL_cleanse(buf, cap);
		free(buf);
		return rc;
	}
	*text = buf;
	*len = got;
	return 0;
}

int cfg_parse_file(const char *path, struct cfg_model **out, struct cfg_errors *errs)
{
	return cfg_parse_file_opts(path, CFG_PARSE_FOLLOW, out, errs);
}

int cfg_parse_file_opts(const char *path, unsigned flags, struct cfg_model **out,
			struct cfg_errors *errs)
{
	struct cfg_errors local;
	char *text;
	size_t len;
	if (!errs)
		errs = &local;
	memset(errs, 0, sizeof(*errs));
	*out = NULL;
	int r = read_conf_file(path, flags, &text, &len, errs);
	if (r < 0)
		return r;
	r = cfg_parse_text_opts(text, len, flags & ~(unsigned)CFG_PARSE_NOT_EMPTY, out, errs);
	/* The text holds the pre-shared keys. */
	OPENSSL_cleanse(text, len + 1);
	free(text);
	return r;
}
