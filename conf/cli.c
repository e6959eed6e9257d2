/* cli.c: compiles syntax strings into small token graphs and matches input
 * lines against every command of a mode at once.
 *
 * Each command becomes a graph: node 0 is START, node 1 is END, JOIN nodes
 * are epsilon nodes that express [optional], <alternatives> and repeats
 * (a back edge).  Matching walks all graphs of a mode word by word keeping
 * the set of live (command, node) states with the path taken, so captures
 * are rebuilt from the winning path at the end.  At each word only the
 * states whose token matched best survive (exact keyword > typed value >
 * keyword prefix > WORD/LINE), which is what makes "sh" mean "show" and an
 * exact keyword beat a longer one it prefixes. */
#include "conf/cli.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum node_kind { N_START, N_END, N_JOIN, N_KW, N_IPV4, N_PREFIX, N_WORD, N_LINE, N_RANGE, N_SET };

/* A registered word set ({name} in syntax strings). */
struct wset {
	char *name, *what;
	const struct cli_word *w;
	size_t n;
};

/* Match quality of one word against one token; higher wins. */
enum { L_NONE = 0, L_WORD = 1, L_PARTIAL = 2, L_VAR = 3, L_EXACT = 4 };

struct node {
	uint8_t kind;
	uint8_t nnext;
	int16_t next[CLI_MAX_EDGES];
	const char *text; /* keyword, or display text of a variable */
	const char *name; /* capture name, NULL = text */
	const char *help;
	unsigned long long lo, hi;
	const struct wset *set; /* N_SET */
};

struct ccmd {
	const struct cli_cmd *cmd;
	int nnodes;
	char *syn;	     /* mutable copy of the syntax; node strings point into it */
	char *help;	     /* mutable copy of the help text */
	struct node nodes[]; /* compiled at CLI_MAX_NODES, then trimmed to nnodes */
};

struct cli_mode {
	bool used;
	char *name, *prompt;
	int parent;
};

struct cli {
	struct cli_mode modes[CLI_MAX_MODES];
	struct ccmd **cmds;
	size_t n, cap;
	struct wset sets[CLI_MAX_SETS];
	int nsets;
};

static void set_err(struct cli_error *err, int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(struct cli_error *err, int col, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return;
	err->col = col;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

struct cli *cli_new(void)
{
	struct cli *cli = calloc(1, sizeof(*cli));
	if (!cli)
		return NULL;
	if (cli_mode_add(cli, CLI_MODE_EXEC, "exec", "", -1) < 0) {
		cli_free(cli);
		return NULL;
	}
	return cli;
}

void cli_free(struct cli *cli)
{
	if (!cli)
		return;
	for (size_t i = 0; i < cli->n; i++) {
		free(cli->cmds[i]->syn);
		free(cli->cmds[i]->help);
		free(cli->cmds[i]);
	}
	free(cli->cmds);
	for (int i = 0; i < CLI_MAX_MODES; i++) {
		free(cli->modes[i].name);
		free(cli->modes[i].prompt);
	}
	for (int i = 0; i < cli->nsets; i++) {
		free(cli->sets[i].name);
		free(cli->sets[i].what);
	}
	free(cli);
}

static const struct wset *set_find(const struct cli *cli, const char *name, size_t len)
{
	for (int i = 0; i < cli->nsets; i++)
		if (strlen(cli->sets[i].name) == len && !memcmp(cli->sets[i].name, name, len))
			return &cli->sets[i];
	return NULL;
}

int cli_words_add(struct cli *cli, const char *name, const char *what, const struct cli_word *words,
		  size_t n)
{
	if (!cli || !name || !*name || !what || (!words && n))
		return -EINVAL;
	if (set_find(cli, name, strlen(name)))
		return -EEXIST;
	if (cli->nsets >= CLI_MAX_SETS)
		return -E2BIG;
	struct wset *ws = &cli->sets[cli->nsets];
	ws->name = strdup(name);
	ws->what = strdup(what);
	if (!ws->name || !ws->what) {
		free(ws->name);
		free(ws->what);
		memset(ws, 0, sizeof(*ws));
		return -ENOMEM;
	}
	ws->w = words;
	ws->n = n;
	cli->nsets++;
	return 0;
}

int cli_mode_add(struct cli *cli, int id, const char *name, const char *prompt, int parent)
{
	if (!cli || id < 0 || id >= CLI_MAX_MODES || !name || !prompt)
		return -EINVAL;
	struct cli_mode *md = &cli->modes[id];
	char *n = strdup(name), *p = strdup(prompt);
	if (!n || !p) {
		free(n);
		free(p);
		return -ENOMEM;
	}
	free(md->name);
	free(md->prompt);
	md->name = n;
	md->prompt = p;
	md->parent = parent;
	md->used = true;
	return 0;
}

static const struct cli_mode *mode_get(const struct cli *cli, int id)
{
	if (!cli || id < 0 || id >= CLI_MAX_MODES || !cli->modes[id].used)
		return NULL;
	return &cli->modes[id];
}

const char *cli_mode_name(const struct cli *cli, int id)
{
	const struct cli_mode *md = mode_get(cli, id);
	return md ? md->name : NULL;
}

const char *cli_mode_prompt(const struct cli *cli, int id)
{
	const struct cli_mode *md = mode_get(cli, id);
	return md ? md->prompt : NULL;
}

int cli_mode_parent(const struct cli *cli, int id)
{
	const struct cli_mode *md = mode_get(cli, id);
	return md ? md->parent : -1;
}

/* ---- syntax compiler ---- */

enum { MAX_STOK = 256 };

struct comp {
	const struct cli *cli;
	struct ccmd *c;
	char *tok[MAX_STOK];
	bool attached[MAX_STOK]; /* no whitespace before this token */
	int nt, pos;
	char *helps[CLI_MAX_NODES];
	int nhelp, helpi;
	const char *why;
};

static bool is_punct(char ch)
{
	return ch == '[' || ch == ']' || ch == '<' || ch == '>' || ch == '|';
}

/* Splits the mutable syntax copy in place.  Punctuation characters become
 * one-character tokens stored in a static table since the in-place buffer
 * has no room for their terminators. */
static int lex(struct comp *p, char *s)
{
	static const char *puncts = "[]<>|";
	static char pstr[5][2] = {"[", "]", "<", ">", "|"};
	bool space = true;
	while (*s) {
		if (*s == ' ' || *s == '\t') {
			*s++ = '\0';
			space = true;
			continue;
		}
		if (p->nt >= MAX_STOK)
			return -1;
		if (is_punct(*s)) {
			p->tok[p->nt] = pstr[strchr(puncts, *s) - puncts];
			p->attached[p->nt++] = !space;
			*s++ = '\0';
			space = false;
			continue;
		}
		p->tok[p->nt] = s;
		p->attached[p->nt++] = !space;
		while (*s && *s != ' ' && *s != '\t' && !is_punct(*s))
			s++;
		space = false;
	}
	return 0;
}

static int new_node(struct comp *p, int kind)
{
	struct ccmd *c = p->c;
	if (c->nnodes >= CLI_MAX_NODES) {
		p->why = "too many tokens";
		return -1;
	}
	struct node *n = &c->nodes[c->nnodes];
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	return c->nnodes++;
}

static int edge(struct comp *p, int from, int to)
{
	struct node *n = &p->c->nodes[from];
	for (int i = 0; i < n->nnext; i++)
		if (n->next[i] == to)
			return 0;
	if (n->nnext >= CLI_MAX_EDGES) {
		p->why = "too many alternatives";
		return -1;
	}
	n->next[n->nnext++] = (int16_t)to;
	return 0;
}

static bool all_upper(const char *s)
{
	if (!(*s >= 'A' && *s <= 'Z'))
		return false;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

/* Turns one syntax word (suffixes already removed) into a token node. */
static int token_node(struct comp *p, char *w)
{
	int id;
	if (!*w) {
		p->why = "empty token";
		return -1;
	}
	if (!strcmp(w, "A.B.C.D")) {
		id = new_node(p, N_IPV4);
	} else if (!strcmp(w, "A.B.C.D/M")) {
		id = new_node(p, N_PREFIX);
	} else if (!strcmp(w, "LINE")) {
		id = new_node(p, N_LINE);
	} else if (w[0] == '(') {
		unsigned long long lo, hi;
		char tail;
		if (sscanf(w, "(%llu-%llu%c", &lo, &hi, &tail) != 3 || tail != ')' || lo > hi) {
			p->why = "bad range";
			return -1;
		}
		id = new_node(p, N_RANGE);
		if (id >= 0) {
			p->c->nodes[id].lo = lo;
			p->c->nodes[id].hi = hi;
		}
	} else if (w[0] == '{') {
		size_t l = strlen(w);
		const struct wset *ws =
		    l > 2 && w[l - 1] == '}' ? set_find(p->cli, w + 1, l - 2) : NULL;
		if (!ws) {
			p->why = "unknown word set";
			return -1;
		}
		id = new_node(p, N_SET);
		if (id >= 0) {
			p->c->nodes[id].set = ws;
			w = ws->what; /* display text in errors */
		}
	} else if (all_upper(w)) {
		id = new_node(p, N_WORD);
	} else {
		for (const char *s = w; *s; s++)
			if (*s == '$' || *s == '(' || *s == ')') {
				p->why = "bad keyword";
				return -1;
			}
		id = new_node(p, N_KW);
	}
	if (id < 0)
		return -1;
	struct node *n = &p->c->nodes[id];
	n->text = w;
	if (p->helpi < p->nhelp && p->helps[p->helpi][0])
		n->help = p->helps[p->helpi];
	p->helpi++;
	return id;
}

/* Parses "...", "$name" suffixes of a word in place; returns the base. */
static char *split_suffix(char *w, bool *repeat, char **name)
{
	char *d = strchr(w, '$');
	if (d) {
		*d = '\0';
		*name = d + 1;
		size_t nl = strlen(*name);
		if (nl >= 3 && !strcmp(*name + nl - 3, "...")) {
			(*name)[nl - 3] = '\0';
			*repeat = true;
		}
	}
	size_t l = strlen(w);
	if (l >= 3 && !strcmp(w + l - 3, "...")) {
		w[l - 3] = '\0';
		*repeat = true;
	}
	return w;
}

static int seq(struct comp *p, int cur);

static bool at(const struct comp *p, const char *t)
{
	return p->pos < p->nt && !strcmp(p->tok[p->pos], t);
}

static int element(struct comp *p, int cur)
{
	int first = p->c->nnodes;
	int js = new_node(p, N_JOIN), exit_node;
	bool repeat = false;
	char *name = NULL;
	if (js < 0 || edge(p, cur, js) < 0)
		return -1;
	if (at(p, "[") || at(p, "<")) {
		bool opt = at(p, "[");
		const char *close = opt ? "]" : ">";
		p->pos++;
		int je = new_node(p, N_JOIN);
		if (je < 0)
			return -1;
		for (;;) {
			int e = seq(p, js);
			if (e < 0 || edge(p, e, je) < 0)
				return -1;
			if (at(p, "|")) {
				p->pos++;
				continue;
			}
			if (at(p, close)) {
				p->pos++;
				break;
			}
			p->why = opt ? "missing ]" : "missing >";
			return -1;
		}
		if (opt && edge(p, js, je) < 0)
			return -1;
		exit_node = je;
		/* Suffixes attached to the closing bracket. */
		while (p->pos < p->nt && p->attached[p->pos] &&
		       (p->tok[p->pos][0] == '.' || p->tok[p->pos][0] == '$')) {
			split_suffix(p->tok[p->pos], &repeat, &name);
			if (p->tok[p->pos][0] && strcmp(p->tok[p->pos], "")) {
				p->why = "bad suffix";
				return -1;
			}
			p->pos++;
		}
	} else {
		char *w = split_suffix(p->tok[p->pos++], &repeat, &name);
		if (name && !*name) {
			p->why = "empty capture name";
			return -1;
		}
		int t = token_node(p, w);
		if (t < 0 || edge(p, js, t) < 0)
			return -1;
		if (name) {
			p->c->nodes[t].name = name;
			name = NULL;
		}
		exit_node = t;
	}
	if (name && !*name) {
		p->why = "empty capture name";
		return -1;
	}
	if (name)
		for (int i = first; i < p->c->nnodes; i++) {
			struct node *n = &p->c->nodes[i];
			if (n->kind >= N_KW && !n->name)
				n->name = name;
		}
	if (repeat && edge(p, exit_node, js) < 0)
		return -1;
	return exit_node;
}

static int seq(struct comp *p, int cur)
{
	while (p->pos < p->nt && !at(p, "]") && !at(p, ">") && !at(p, "|")) {
		cur = element(p, cur);
		if (cur < 0)
			return -1;
	}
	return cur;
}

static int compile(const struct cli *cli, struct ccmd *c, struct cli_error *err)
{
	struct comp p;
	memset(&p, 0, sizeof(p));
	p.cli = cli;
	p.c = c;
	if (c->help) {
		char *h = c->help;
		while (h && p.nhelp < CLI_MAX_NODES) {
			p.helps[p.nhelp++] = h;
			h = strchr(h, '\n');
			if (h)
				*h++ = '\0';
		}
	}
	if (lex(&p, c->syn) < 0) {
		set_err(err, 0, "syntax '%s': too many tokens", c->cmd->syntax);
		return -EINVAL;
	}
	if (p.nt == 0) {
		set_err(err, 0, "syntax '%s': empty", c->cmd->syntax);
		return -EINVAL;
	}
	new_node(&p, N_START);
	new_node(&p, N_END);
	int e = seq(&p, 0);
	if (e >= 0 && p.pos < p.nt) {
		p.why = "unbalanced brackets";
		e = -1;
	}
	if (e < 0 || edge(&p, e, 1) < 0) {
		set_err(err, 0, "syntax '%s': %s", c->cmd->syntax, p.why ? p.why : "invalid");
		return -EINVAL;
	}
	return 0;
}

int cli_install(struct cli *cli, const struct cli_cmd *table, size_t n, struct cli_error *err)
{
	if (!cli || (!table && n))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (!mode_get(cli, table[i].mode) || !table[i].syntax) {
			set_err(err, 0, "command '%s': unknown mode %d",
				table[i].syntax ? table[i].syntax : "(null)", table[i].mode);
			return -EINVAL;
		}
		struct ccmd *c = calloc(1, sizeof(*c) + CLI_MAX_NODES * sizeof(struct node));
		if (!c)
			return -ENOMEM;
		c->cmd = &table[i];
		c->syn = strdup(table[i].syntax);
		c->help = table[i].help ? strdup(table[i].help) : NULL;
		if (!c->syn || (table[i].help && !c->help)) {
			free(c->syn);
			free(c->help);
			free(c);
			return -ENOMEM;
		}
		int r = compile(cli, c, err);
		if (r == 0 && cli->n == cli->cap) {
			size_t ncap = cli->cap ? cli->cap * 2 : 64;
			struct ccmd **nv = realloc(cli->cmds, ncap * sizeof(*nv));
			if (!nv)
				r = -ENOMEM;
			else {
				cli->cmds = nv;
				cli->cap = ncap;
			}
		}
		if (r < 0) {
			free(c->syn);
			free(c->help);
			free(c);
			return r;
		}
		struct ccmd *small =
		    realloc(c, sizeof(*c) + (size_t)c->nnodes * sizeof(struct node));
		cli->cmds[cli->n++] = small ? small : c;
	}
	return 0;
}

/* ---- input side ---- */

struct words {
	int n;
	int off[CLI_MAX_WORDS];
	int len[CLI_MAX_WORDS];
	bool trailing_space;
	const char *line;
	int end; /* offset just past the last word */
};

static int split_words(const char *line, struct words *w, struct cli_error *err)
{
	int i = 0;
	memset(w, 0, sizeof(*w));
	w->line = line;
	while (line[i]) {
		if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n') {
			i++;
			continue;
		}
		if (w->n >= CLI_MAX_WORDS) {
			set_err(err, i + 1, "too many words");
			return -E2BIG;
		}
		w->off[w->n] = i;
		while (line[i] && line[i] != ' ' && line[i] != '\t' && line[i] != '\r' &&
		       line[i] != '\n')
			i++;
		w->len[w->n] = i - w->off[w->n];
		w->end = i;
		w->n++;
	}
	w->trailing_space = i > 0 && (w->n == 0 || i > w->end);
	return 0;
}

static bool parse_ipv4(const char *s, size_t len)
{
	char buf[20];
	struct in_addr a;
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, &a) == 1;
}

static bool parse_prefix(const char *s, size_t len)
{
	const char *sl = memchr(s, '/', len);
	if (!sl)
		return false;
	size_t al = (size_t)(sl - s), ml = len - al - 1;
	if (ml == 0 || ml > 2)
		return false;
	int m = 0;
	for (size_t i = 0; i < ml; i++) {
		if (sl[1 + i] < '0' || sl[1 + i] > '9')
			return false;
		m = m * 10 + (sl[1 + i] - '0');
	}
	return m <= 32 && parse_ipv4(s, al);
}

/* 1 = digits only and fits, value in *v; 0 = not a number; -1 = overflow. */
static int parse_uint(const char *s, size_t len, unsigned long long *v)
{
	unsigned long long x = 0;
	if (len == 0)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		unsigned d = (unsigned)(s[i] - '0');
		if (x > (~0ULL - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 1;
}

/* The word of a set that w names: the one equal to it, else the first it
 * abbreviates; returns how many it could name (1 when equal), 0 for none. */
static int set_lookup(const struct wset *ws, const char *w, size_t len, const char **hit)
{
	int n = 0;
	*hit = NULL;
	for (size_t i = 0; i < ws->n; i++) {
		const char *x = ws->w[i].word;
		if (strlen(x) == len && !memcmp(x, w, len)) {
			*hit = x;
			return 1;
		}
		if (strlen(x) > len && !memcmp(x, w, len)) {
			if (!*hit)
				*hit = x;
			n++;
		}
	}
	return n;
}

/* Match level of a word against a token; *oob set when a number was out of
 * the token's range. */
static int token_match(const struct node *n, const char *w, size_t len, bool *oob)
{
	unsigned long long v;
	int r;
	switch (n->kind) {
	case N_KW:
		if (strlen(n->text) == len && !memcmp(n->text, w, len))
			return L_EXACT;
		if (strlen(n->text) > len && !memcmp(n->text, w, len))
			return L_PARTIAL;
		return L_NONE;
	case N_IPV4:
		return parse_ipv4(w, len) ? L_VAR : L_NONE;
	case N_PREFIX:
		return parse_prefix(w, len) ? L_VAR : L_NONE;
	case N_RANGE:
		r = parse_uint(w, len, &v);
		if (r == 1 && v >= n->lo && v <= n->hi)
			return L_VAR;
		if (r != 0 && oob)
			*oob = true;
		return L_NONE;
	case N_WORD:
	case N_LINE:
		return L_WORD;
	case N_SET: {
		const char *hit;
		if (set_lookup(n->set, w, len, &hit) == 0)
			return L_NONE;
		return strlen(hit) == len ? L_EXACT : L_PARTIAL;
	}
	default:
		return L_NONE;
	}
}

/* Token nodes reachable from `from` through epsilon nodes; *end when END is. */
static int closure(const struct ccmd *c, int from, int16_t *toks, bool *end)
{
	bool seen[CLI_MAX_NODES] = {false};
	int16_t stack[CLI_MAX_NODES * CLI_MAX_EDGES];
	int sp = 0, nt = 0;
	*end = false;
	for (int i = 0; i < c->nodes[from].nnext; i++)
		stack[sp++] = c->nodes[from].next[i];
	while (sp > 0) {
		int x = stack[--sp];
		if (seen[x])
			continue;
		seen[x] = true;
		const struct node *n = &c->nodes[x];
		if (n->kind == N_END) {
			*end = true;
		} else if (n->kind == N_JOIN || n->kind == N_START) {
			for (int i = 0; i < n->nnext; i++)
				if (!seen[n->next[i]])
					stack[sp++] = n->next[i];
		} else {
			toks[nt++] = (int16_t)x;
		}
	}
	return nt;
}

struct st {
	int16_t cmd;
	int16_t node;
	bool absorbing; /* a LINE token took this word; it takes the rest */
	int8_t lvl;	/* match level of the latest word; -1 carried by LINE */
	int score;
	int16_t path[CLI_MAX_WORDS];
};

struct stset {
	struct st *v;
	int n, cap;
};

static struct st *st_push(struct stset *s)
{
	if (s->n == s->cap) {
		int ncap = s->cap ? s->cap * 2 : 32;
		struct st *nv = realloc(s->v, (size_t)ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		s->v = nv;
		s->cap = ncap;
	}
	return &s->v[s->n++];
}

static const char *node_display(const struct node *n, char *buf, size_t len)
{
	if (n->kind == N_RANGE) {
		snprintf(buf, len, "(%llu-%llu)", n->lo, n->hi);
		return buf;
	}
	return n->text;
}

/* The one candidate every other candidate extends with '-' and more
 * (interface < interface-map), or NULL. */
static const char *hyphen_stem(const char *const *v, int n)
{
	for (int i = 0; i < n; i++) {
		size_t l = strlen(v[i]);
		int ok = 1;
		for (int j = 0; j < n && ok; j++)
			ok = j == i || (!strncmp(v[j], v[i], l) && v[j][l] == '-');
		if (ok)
			return v[i];
	}
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "(N-M)" displays by N. */
static int cmp_range(const void *a, const void *b)
{
	unsigned long long x = strtoull(*(const char *const *)a + 1, NULL, 10),
			   y = strtoull(*(const char *const *)b + 1, NULL, 10);
	return x < y ? -1 : x > y;
}

/* Appends s to a deduplicated list of at most 32 names. */
static void name_add(const char **list, int *n, const char *s)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(list[i], s))
			return;
	if (*n < 32)
		list[(*n)++] = s;
}

static void join_names(char *buf, size_t len, const char **list, int n, const char *sep)
{
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < n && o < len; i++) {
		int r = snprintf(buf + o, len - o, "%s%s", i ? sep : "", list[i]);
		if (r < 0)
			break;
		o += (size_t)r;
	}
}

/* Runs the first nw words of w through every command of the mode. */
static int run(const struct cli *cli, int mode, const struct words *w, int nw, struct stset *out,
	       struct cli_error *err)
{
	struct stset cur = {0}, nxt = {0};
	int16_t toks[CLI_MAX_NODES];
	char rbuf[CLI_MAX_NODES][48];
	int ret = 0;
	for (size_t i = 0; i < cli->n; i++) {
		if (cli->cmds[i]->cmd->mode != mode)
			continue;
		struct st *s = st_push(&cur);
		if (!s) {
			ret = -ENOMEM;
			goto out;
		}
		s->cmd = (int16_t)i;
		s->node = 0;
		s->absorbing = false;
		s->score = 0;
	}
	for (int wi = 0; wi < nw; wi++) {
		const char *word = w->line + w->off[wi];
		size_t wl = (size_t)w->len[wi];
		int best = L_NONE;
		bool oob = false, saw_end = false, any_absorb = false;
		/* What could have come instead; hidden commands' tokens only
		 * when no visible command could go on (they are never offered). */
		const char *exp[32], *hexp[32];
		int nexp = 0, nhexp = 0, nrb = 0;
		nxt.n = 0;
		for (int si = 0; si < cur.n; si++) {
			const struct st *s = &cur.v[si];
			const struct ccmd *c = cli->cmds[s->cmd];
			if (s->absorbing) {
				struct st *d = st_push(&nxt);
				if (!d) {
					ret = -ENOMEM;
					goto out;
				}
				*d = *s;
				d->path[wi] = s->node;
				d->lvl = -1;
				any_absorb = true;
				continue;
			}
			bool end;
			int nt = closure(c, s->node, toks, &end);
			saw_end |= end;
			for (int ti = 0; ti < nt; ti++) {
				const struct node *n = &c->nodes[toks[ti]];
				int lvl = token_match(n, word, wl, &oob);
				if (lvl == L_NONE) {
					bool hid = c->cmd->flags & CLI_F_HIDDEN;
					if (nrb < CLI_MAX_NODES)
						name_add(
						    hid ? hexp : exp, hid ? &nhexp : &nexp,
						    node_display(n, rbuf[nrb++], sizeof(rbuf[0])));
					continue;
				}
				struct st *d = st_push(&nxt);
				if (!d) {
					ret = -ENOMEM;
					goto out;
				}
				*d = *s;
				d->node = toks[ti];
				d->absorbing = n->kind == N_LINE;
				d->score = s->score + lvl;
				d->lvl = (int8_t)lvl;
				d->path[wi] = toks[ti];
				if (lvl > best)
					best = lvl;
			}
		}
		/* Keep absorbing states carried over and the best fresh matches. */
		const char *partial[32];
		int npartial = 0, k = 0;
		for (int si = 0; si < nxt.n; si++) {
			struct st *s = &nxt.v[si];
			int lvl = s->lvl;
			if (lvl >= 0 && lvl != best)
				continue;
			const struct node *pn = &cli->cmds[s->cmd]->nodes[s->node];
			if (lvl == L_PARTIAL && pn->kind == N_SET) {
				/* Every word of the set the abbreviation could be. */
				for (size_t j = 0; j < pn->set->n; j++) {
					const char *x = pn->set->w[j].word;
					if (strlen(x) > wl && !memcmp(x, word, wl))
						name_add(partial, &npartial, x);
				}
			} else if (lvl == L_PARTIAL) {
				name_add(partial, &npartial, pn->text);
			}
			nxt.v[k++] = *s;
		}
		nxt.n = k;
		/* `int` is `interface`, not `interface-map`: an abbreviation of a
		 * keyword and of its hyphenated longer forms is the keyword. */
		const char *stem = best == L_PARTIAL && npartial > 1 && !any_absorb
					   ? hyphen_stem(partial, npartial)
					   : NULL;
		if (stem) {
			k = 0;
			for (int si = 0; si < nxt.n; si++) {
				const struct node *pn = &cli->cmds[nxt.v[si].cmd]->nodes[nxt.v[si].node];
				if (nxt.v[si].lvl == L_PARTIAL && strcmp(pn->text, stem) != 0)
					continue;
				nxt.v[k++] = nxt.v[si];
			}
			nxt.n = k;
			npartial = 1;
		}
		if (best == L_PARTIAL && npartial > 1 && !any_absorb) {
			char list[160];
			qsort(partial, (size_t)npartial, sizeof(partial[0]), cmp_str);
			join_names(list, sizeof(list), partial, npartial, ", ");
			set_err(err, w->off[wi] + 1, "ambiguous command: '%.*s' could be %s",
				(int)wl, word, list);
			ret = -EINVAL;
			goto out;
		}
		if (nxt.n == 0 && nexp == 0) {
			memcpy(exp, hexp, sizeof(exp[0]) * (size_t)nhexp);
			nexp = nhexp;
		}
		if (nxt.n == 0) {
			if (wi == 0) {
				set_err(err, w->off[wi] + 1, "unknown command");
			} else if (oob) {
				/* Name the ranges the number missed: "(1-99)", or
				 * "(1-99, 100-199)" where several were possible. */
				const char *rng[32];
				char list[160] = "(";
				size_t o = 1;
				int nr = 0;
				for (int i = 0; i < nexp; i++)
					if (exp[i][0] == '(')
						rng[nr++] = exp[i];
				qsort(rng, (size_t)nr, sizeof(rng[0]), cmp_range);
				for (int i = 0; i < nr && o < sizeof(list) - 1; i++) {
					int r = snprintf(list + o, sizeof(list) - o, "%s%.*s",
							 i ? ", " : "", (int)strlen(rng[i]) - 2,
							 rng[i] + 1);
					o += r > 0 ? (size_t)r : 0;
				}
				if (o < sizeof(list) - 1)
					snprintf(list + o, sizeof(list) - o, ")");
				set_err(err, w->off[wi] + 1, "value out of range %s", list);
			} else {
				char list[160];
				qsort(exp, (size_t)nexp, sizeof(exp[0]), cmp_str);
				if (saw_end)
					name_add(exp, &nexp, "end of line");
				if (nexp == 0) {
					set_err(err, w->off[wi] + 1, "unknown command");
				} else if (nexp == 1) {
					set_err(err, w->off[wi] + 1, "expected %s", exp[0]);
				} else if (nexp == 2) {
					set_err(err, w->off[wi] + 1, "expected %s or %s", exp[0],
						exp[1]);
				} else {
					join_names(list, sizeof(list), exp, nexp, ", ");
					set_err(err, w->off[wi] + 1, "expected one of: %s", list);
				}
			}
			ret = -EINVAL;
			goto out;
		}
		/* Two paths reaching the same node of one command: keep the better. */
		k = 0;
		for (int a = 0; a < nxt.n; a++) {
			int dup = -1;
			for (int b = 0; b < k; b++)
				if (nxt.v[b].cmd == nxt.v[a].cmd &&
				    nxt.v[b].node == nxt.v[a].node &&
				    nxt.v[b].absorbing == nxt.v[a].absorbing)
					dup = b;
			if (dup < 0)
				nxt.v[k++] = nxt.v[a];
			else if (nxt.v[a].score > nxt.v[dup].score)
				nxt.v[dup] = nxt.v[a];
		}
		nxt.n = k;
		struct stset t = cur;
		cur = nxt;
		nxt = t;
	}
	*out = cur;
	cur.v = NULL;
out:
	free(cur.v);
	free(nxt.v);
	return ret;
}

static bool st_complete(const struct cli *cli, const struct st *s)
{
	int16_t toks[CLI_MAX_NODES];
	bool end;
	if (s->absorbing)
		return true;
	closure(cli->cmds[s->cmd], s->node, toks, &end);
	return end;
}

void cli_match_clear(struct cli_match *m)
{
	if (!m)
		return;
	for (int i = 0; i < m->nargs; i++) {
		/* Values may be pre-shared keys. */
		if (m->args[i].value) {
			volatile char *p = m->args[i].value;
			while (*p)
				*p++ = 0;
		}
		free(m->args[i].value);
	}
	memset(m, 0, sizeof(*m));
}

static int add_arg(struct cli_match *m, const char *name, const char *v, size_t len, int col,
		   bool implicit)
{
	if (m->nargs >= CLI_MAX_ARGS)
		return -E2BIG;
	char *s = strndup(v, len);
	if (!s)
		return -ENOMEM;
	m->args[m->nargs].name = name;
	m->args[m->nargs].value = s;
	m->args[m->nargs].col = col;
	m->args[m->nargs].implicit = implicit;
	m->nargs++;
	return 0;
}

int cli_match_line(const struct cli *cli, int mode, const char *line, struct cli_match *m,
		   struct cli_error *err)
{
	struct words w;
	struct stset res = {0};
	int r;
	memset(m, 0, sizeof(*m));
	if (!cli || !line || !mode_get(cli, mode)) {
		set_err(err, 0, "no such mode");
		return -EINVAL;
	}
	r = split_words(line, &w, err);
	if (r < 0)
		return -EINVAL;
	if (w.n == 0) {
		set_err(err, 1, "empty command");
		return -EINVAL;
	}
	r = run(cli, mode, &w, w.n, &res, err);
	if (r < 0) {
		if (r != -EINVAL)
			set_err(err, 0, "%s", strerror(-r));
		return -EINVAL;
	}
	const struct st *win = NULL;
	for (int i = 0; i < res.n; i++)
		if (st_complete(cli, &res.v[i]) && (!win || res.v[i].score > win->score))
			win = &res.v[i];
	if (!win) {
		set_err(err, w.end + 1, "incomplete command");
		free(res.v);
		return -EINVAL;
	}
	const struct ccmd *c = cli->cmds[win->cmd];
	m->cmd = c->cmd;
	m->end_col = w.end + 1;
	for (int i = 0; i < w.n && r == 0; i++) {
		const struct node *n = &c->nodes[win->path[i]];
		const char *name = n->name ? n->name : n->text;
		if (n->kind == N_LINE) {
			r = add_arg(m, name, line + w.off[i], (size_t)(w.end - w.off[i]),
				    w.off[i] + 1, false);
			break;
		}
		const char *hit;
		if (n->kind == N_KW)
			r = add_arg(m, name, n->text, strlen(n->text), w.off[i] + 1, !n->name);
		else if (n->kind == N_SET &&
			 set_lookup(n->set, line + w.off[i], (size_t)w.len[i], &hit))
			r = add_arg(m, name, hit, strlen(hit), w.off[i] + 1, false);
		else
			r = add_arg(m, name, line + w.off[i], (size_t)w.len[i], w.off[i] + 1,
				    false);
	}
	free(res.v);
	if (r < 0) {
		cli_match_clear(m);
		set_err(err, 0, "too many values");
		return -EINVAL;
	}
	return 0;
}

int cli_execute(const struct cli *cli, int mode, const char *line, void *ctx, struct cli_error *err)
{
	struct cli_match m;
	int r = cli_match_line(cli, mode, line, &m, err);
	if (r < 0)
		return r;
	r = m.cmd->handler ? m.cmd->handler(&m, ctx, err) : 0;
	cli_match_clear(&m);
	return r;
}

/* Explicit captures under name shadow implicit keyword ones. */
static bool want_implicit(const struct cli_match *m, const char *name)
{
	for (int k = 0; k < m->nargs; k++)
		if (!m->args[k].implicit && !strcmp(m->args[k].name, name))
			return false;
	return true;
}

const char *cli_arg_nth(const struct cli_match *m, const char *name, int i)
{
	bool imp = want_implicit(m, name);
	for (int k = 0; k < m->nargs; k++)
		if (m->args[k].implicit == imp && !strcmp(m->args[k].name, name) && i-- == 0)
			return m->args[k].value;
	return NULL;
}

const char *cli_arg(const struct cli_match *m, const char *name)
{
	return cli_arg_nth(m, name, 0);
}

int cli_arg_count(const struct cli_match *m, const char *name)
{
	bool imp = want_implicit(m, name);
	int n = 0;
	for (int k = 0; k < m->nargs; k++)
		n += m->args[k].implicit == imp && !strcmp(m->args[k].name, name);
	return n;
}

/* ---- help and completion ---- */

static const char *default_help(const struct node *n)
{
	switch (n->kind) {
	case N_IPV4:
		return "IPv4 address";
	case N_PREFIX:
		return "IPv4 prefix";
	case N_LINE:
		return "Text to the end of the line";
	case N_RANGE:
		return "Number";
	case N_WORD:
		return "Name";
	default:
		return n->text;
	}
}

static bool could_become(const struct node *n, const char *p, size_t len)
{
	if (len == 0)
		return true;
	switch (n->kind) {
	case N_SET: {
		const char *hit;
		return set_lookup(n->set, p, len, &hit) > 0;
	}
	case N_IPV4:
	case N_PREFIX:
	case N_RANGE:
		for (size_t i = 0; i < len; i++)
			if (!((p[i] >= '0' && p[i] <= '9') || (n->kind != N_RANGE && p[i] == '.') ||
			      (n->kind == N_PREFIX && p[i] == '/')))
				return false;
		return true;
	default:
		return true;
	}
}

static int item_rank(const struct cli_help_item *it)
{
	if (!strcmp(it->token, "<cr>"))
		return 2;
	const char *t = it->token;
	bool var = (t[0] >= 'A' && t[0] <= 'Z') || t[0] == '(';
	return var ? 1 : 0;
}

static int cmp_item(const void *a, const void *b)
{
	const struct cli_help_item *x = a, *y = b;
	int rx = item_rank(x), ry = item_rank(y);
	if (rx != ry)
		return rx - ry;
	return strcmp(x->token, y->token);
}

struct items {
	struct cli_help_item *v;
	int n, cap;
};

static int item_add(struct items *it, const char *tok, const char *help)
{
	for (int i = 0; i < it->n; i++)
		if (!strcmp(it->v[i].token, tok))
			return 0;
	if (it->n == it->cap) {
		int ncap = it->cap ? it->cap * 2 : 32;
		struct cli_help_item *nv = realloc(it->v, (size_t)ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		it->v = nv;
		it->cap = ncap;
	}
	snprintf(it->v[it->n].token, sizeof(it->v[0].token), "%s", tok);
	snprintf(it->v[it->n].help, sizeof(it->v[0].help), "%s", help ? help : "");
	it->n++;
	return 0;
}

/* Offers every word of a set that starts with the partial word p. */
static int set_items(struct items *it, const struct node *nd, const char *p, size_t len)
{
	for (size_t k = 0; k < nd->set->n; k++) {
		const struct cli_word *x = &nd->set->w[k];
		if (strlen(x->word) >= len && !memcmp(x->word, p, len)) {
			int r = item_add(it, x->word, x->help ? x->help : x->word);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int next_tokens(const struct cli *cli, int mode, const char *line, struct cli_help_item *out,
		       int max, struct cli_error *err, bool help)
{
	struct words w;
	struct stset res = {0};
	struct items it = {0};
	int16_t toks[CLI_MAX_NODES];
	char rb[48];
	int r = 0;
	if (!cli || !line || !mode_get(cli, mode) || max < 0) {
		set_err(err, 0, "no such mode");
		return -EINVAL;
	}
	if (split_words(line, &w, err) < 0)
		return -EINVAL;
	int ncomplete = (w.trailing_space || w.n == 0) ? w.n : w.n - 1;
	const char *part = ncomplete < w.n ? line + w.off[w.n - 1] : "";
	size_t plen = ncomplete < w.n ? (size_t)w.len[w.n - 1] : 0;
	if (run(cli, mode, &w, ncomplete, &res, err) < 0)
		return -EINVAL;
	bool cr = false;
	for (int si = 0; si < res.n && r == 0; si++) {
		const struct st *s = &res.v[si];
		const struct ccmd *c = cli->cmds[s->cmd];
		if (c->cmd->flags & CLI_F_HIDDEN)
			continue;
		if (s->absorbing) {
			cr = true;
			continue;
		}
		bool end;
		int nt = closure(c, s->node, toks, &end);
		cr |= end;
		for (int ti = 0; ti < nt && r == 0; ti++) {
			const struct node *nd = &c->nodes[toks[ti]];
			if (nd->kind == N_KW) {
				if (strlen(nd->text) >= plen && !memcmp(nd->text, part, plen))
					r = item_add(&it, nd->text, nd->help ? nd->help : nd->text);
			} else if (nd->kind == N_SET) {
				r = set_items(&it, nd, part, plen);
			} else if (help && could_become(nd, part, plen)) {
				r = item_add(&it, node_display(nd, rb, sizeof(rb)),
					     nd->help ? nd->help : default_help(nd));
			}
		}
	}
	free(res.v);
	if (r == 0) {
		if (it.n > 1)
			qsort(it.v, (size_t)it.n, sizeof(it.v[0]), cmp_item);
		if (help && cr && plen == 0)
			r = item_add(&it, "<cr>", "");
	}
	if (r < 0) {
		free(it.v);
		set_err(err, 0, "out of memory");
		return r;
	}
	for (int i = 0; i < it.n && i < max; i++)
		out[i] = it.v[i];
	int n = it.n;
	free(it.v);
	return n;
}

int cli_complete(const struct cli *cli, int mode, const char *line, struct cli_help_item *out,
		 int max, struct cli_error *err)
{
	return next_tokens(cli, mode, line, out, max, err, false);
}

int cli_help(const struct cli *cli, int mode, const char *line, struct cli_help_item *out, int max,
	     struct cli_error *err)
{
	return next_tokens(cli, mode, line, out, max, err, true);
}
