/* priv.h: helpers shared by the frr-integration files (not an API).
 *
 * A growable string whose memory is wiped when freed (FRR text may carry
 * OSPF/BGP authentication keys), and a reader that splits text into lines
 * with their indentation. */
#ifndef VTID_FRR_PRIV_H
#define VTID_FRR_PRIV_H

#include <stdbool.h>
#include <stddef.h>

struct frr_buf {
	char *s;
	size_t len, cap;
	bool oom; /* sticky: once set every append fails */
};

int frr_buf_add(struct frr_buf *b, const char *s, size_t n);
int frr_buf_puts(struct frr_buf *b, const char *s);
int frr_buf_printf(struct frr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string over (an empty buffer yields ""); NULL on ENOMEM. */
char *frr_buf_take(struct frr_buf *b);
void frr_buf_free(struct frr_buf *b);

/* One line of text: indent = leading blanks (a tab counts one), text = the
 * rest without trailing blanks, len its length.  Lines that are empty or
 * comments (`!`, `#`) are skipped by frr_next_line. */
struct frr_line {
	int indent;
	const char *text;
	size_t len;
	int no; /* 1-based line number */
};

/* Advances *pos through s; returns false at the end. */
bool frr_next_line(const char *s, size_t *pos, int *line_no, struct frr_line *out);

/* A parsed indented text: each line a node, the more indented lines that
 * follow it its children.  `exit`, `exit-address-family` and `end` lines
 * only close blocks in FRR's syntax and are not kept. */
struct frr_node {
	char *text;	      /* trimmed */
	struct frr_node *kid; /* children */
	size_t n_kid, cap_kid;
};

/* The top level is hashed (slot[] holds index + 1, 0 = empty, at most
 * half full): a router with thousands of interface blocks has as many top
 * nodes, and both parsing (which merges a repeated context) and the
 * periodic comparison with FRR's running configuration look each one up. */
struct frr_tree {
	struct frr_node *top;
	size_t n_top;
	size_t *slot;
	size_t n_slot;
};

/* What of vtysh's output may reach a log (vtysh.c): of an apply's output
 * (FRR_REDACT_APPLY), vtysh's "line N: MESSAGE: ECHO" lines lose the echo,
 * and on other lines a word that is a prefix of a key-bearing keyword
 * (`authentication-k`, `passw`, `k` ...) hides the rest of the line; in
 * show output (FRR_REDACT_SHOW, FRR's own full keywords) only whole
 * keywords do.  Appends to out; 0 or -ENOMEM. */
enum frr_redact { FRR_REDACT_SHOW, FRR_REDACT_APPLY };
int frr_redact(const char *in, enum frr_redact how, struct frr_buf *out);

int frr_tree_parse(const char *s, struct frr_tree *t);
void frr_tree_free(struct frr_tree *t);
const struct frr_node *frr_tree_find(const struct frr_node *v, size_t n, const char *text);
/* The top-level node whose text is `text`, through the hash; NULL if none. */
const struct frr_node *frr_tree_top(const struct frr_tree *t, const char *text);

#endif
