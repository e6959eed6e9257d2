/* util.c: the wiped string buffer, the line reader and the indentation tree
 * used by translation, diff and the running-config check (see priv.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "frr-integration/priv.h"

static int buf_reserve(struct frr_buf *b, size_t more)
{
	size_t cap;
	char *n;

	if (b->oom)
		return -ENOMEM;
	if (b->len + more + 1 <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	/* Not realloc: the old copy must be wiped, it may hold keys. */
	n = malloc(cap);
	if (!n) {
		b->oom = true;
		return -ENOMEM;
	}
	if (b->s) {
		memcpy(n, b->s, b->len + 1);
		OPENSSL_cleanse(b->s, b->cap);
		free(b->s);
	}
	b->s = n;
	b->cap = cap;
	return 0;
}

int frr_buf_add(struct frr_buf *b, const char *s, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -ENOMEM;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int frr_buf_puts(struct frr_buf *b, const char *s)
{
	return frr_buf_add(b, s, strlen(s));
}

int frr_buf_printf(struct frr_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0)
		return -ENOMEM;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *frr_buf_take(struct frr_buf *b)
{
	char *s;

	if (b->oom) {
		frr_buf_free(b);
		return NULL;
	}
	if (!b->s)
		return strdup("");
	s = b->s;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void frr_buf_free(struct frr_buf *b)
{
	if (b->s) {
		OPENSSL_cleanse(b->s, b->cap);
		free(b->s);
	}
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

bool frr_next_line(const char *s, size_t *pos, int *line_no, struct frr_line *out)
{
	while (s[*pos]) {
		const char *p = s + *pos;
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		size_t i = 0;

		*pos += n + (eol ? 1 : 0);
		(*line_no)++;
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (n > i && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
			n--;
		if (i == n || p[i] == '!' || p[i] == '#')
			continue;
		out->indent = (int)i;
		out->text = p + i;
		out->len = n - i;
		out->no = *line_no;
		return true;
	}
	return false;
}

static struct frr_node *node_add(struct frr_node **v, size_t *n, size_t *cap, const char *text,
				 size_t len)
{
	struct frr_node *e;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 8;
		struct frr_node *nv = realloc(*v, c * sizeof(*nv));

		if (!nv)
			return NULL;
		*v = nv;
		*cap = c;
	}
	e = &(*v)[*n];
	memset(e, 0, sizeof(*e));
	e->text = strndup(text, len);
	if (!e->text)
		return NULL;
	(*n)++;
	return e;
}

static bool is_closer(const struct frr_line *l)
{
	static const char *const closers[] = {"exit", "exit-address-family", "exit-vrf", "end"};

	for (size_t i = 0; i < sizeof(closers) / sizeof(closers[0]); i++)
		if (l->len == strlen(closers[i]) && memcmp(l->text, closers[i], l->len) == 0)
			return true;
	return false;
}

enum { TREE_DEPTH = 8 };

static struct frr_node *find_n(struct frr_node *v, size_t n, const char *text, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].text) == len && memcmp(v[i].text, text, len) == 0)
			return &v[i];
	return NULL;
}

static size_t text_hash(const char *text, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)text[i]) * 0x100000001b3ull;
	return (size_t)(h ^ h >> 29);
}

/* The slot of the top node text[0..len), or of the empty slot where it
 * would go. */
static size_t *top_slot(const struct frr_tree *t, const char *text, size_t len)
{
	size_t mask = t->n_slot - 1;
	for (size_t i = text_hash(text, len) & mask;; i = (i + 1) & mask) {
		size_t k = t->slot[i];
		if (!k)
			return &t->slot[i];
		const char *x = t->top[k - 1].text;
		if (strlen(x) == len && memcmp(x, text, len) == 0)
			return &t->slot[i];
	}
}

/* Room for one more top node: the table rebuilt twice as large once half full. */
static int top_grow(struct frr_tree *t)
{
	if (2 * (t->n_top + 1) <= t->n_slot)
		return 0;
	size_t n = t->n_slot ? t->n_slot * 2 : 64;
	size_t *v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	free(t->slot);
	t->slot = v;
	t->n_slot = n;
	for (size_t i = 0; i < t->n_top; i++) {
		const char *x = t->top[i].text;
		*top_slot(t, x, strlen(x)) = i + 1;
	}
	return 0;
}

const struct frr_node *frr_tree_top(const struct frr_tree *t, const char *text)
{
	if (!t->n_slot)
		return NULL;
	size_t k = *top_slot(t, text, strlen(text));
	return k ? &t->top[k - 1] : NULL;
}

int frr_tree_parse(const char *s, struct frr_tree *t)
{
	/* stack[d] = the node open at depth d, ind[d] its indentation */
	struct frr_node *stack[TREE_DEPTH];
	int ind[TREE_DEPTH];
	int depth = 0, line_no = 0;
	size_t pos = 0, cap_top = 0;
	struct frr_line l;

	memset(t, 0, sizeof(*t));
	while (frr_next_line(s, &pos, &line_no, &l)) {
		struct frr_node *e;

		while (depth > 0 && l.indent <= ind[depth - 1])
			depth--;
		/* `exit` lines are indented like the block they close, so
		 * the loop above has closed it already. */
		if (is_closer(&l))
			continue;
		/* The same context line twice (`interface eth0` in two
		 * places) is one context in FRR: merge. */
		if (depth == 0) {
			size_t *k = NULL;
			e = NULL;
			if (top_grow(t) == 0) {
				k = top_slot(t, l.text, l.len);
				e = *k ? &t->top[*k - 1] : node_add(&t->top, &t->n_top, &cap_top,
								    l.text, l.len);
				if (e && !*k)
					*k = t->n_top;
			}
		} else {
			struct frr_node *up = stack[depth - 1];

			e = find_n(up->kid, up->n_kid, l.text, l.len);
			if (!e)
				e = node_add(&up->kid, &up->n_kid, &up->cap_kid, l.text, l.len);
		}
		if (!e) {
			frr_tree_free(t);
			return -ENOMEM;
		}
		if (depth < TREE_DEPTH) {
			stack[depth] = e;
			ind[depth] = l.indent;
			depth++;
		}
	}
	return 0;
}

static void nodes_free(struct frr_node *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].text) {
			OPENSSL_cleanse(v[i].text, strlen(v[i].text));
			free(v[i].text);
		}
		nodes_free(v[i].kid, v[i].n_kid);
	}
	free(v);
}

void frr_tree_free(struct frr_tree *t)
{
	if (!t)
		return;
	nodes_free(t->top, t->n_top);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

const struct frr_node *frr_tree_find(const struct frr_node *v, size_t n, const char *text)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].text, text) == 0)
			return &v[i];
	return NULL;
}
