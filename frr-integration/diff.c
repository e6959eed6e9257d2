/* diff.c: what to take away from FRR when the routing text changes.
 *
 * Both texts are parsed into indentation trees and walked together.  A line
 * of the old text that the new one lacks (same parent path) is negated in
 * its context: `no LINE`, or LINE without its `no ` when the old line was
 * itself a negation.  An interface is never removed (zebra owns it): its
 * lines are negated one by one instead.  A removed block is negated whole
 * (`no router bgp 1`), which FRR takes to remove its contents too.  Lines
 * still present are left alone; the caller re-applies the whole new text
 * after the removals, which FRR treats as no-ops for what is unchanged. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "frr-integration/frr.h"
#include "frr-integration/priv.h"

enum { PATH_MAX_DEPTH = 8 };

struct walk {
	const struct frr_tree *new_tree; /* its top level found through the hash */
	struct frr_buf out;
	const char *path[PATH_MAX_DEPTH];
	int depth;
};

static void negate(struct walk *w, const char *line)
{
	int i;

	/* the context lines, then the negation, then back out of them */
	for (i = 0; i < w->depth; i++)
		frr_buf_printf(&w->out, "%*s%s\n", i, "", w->path[i]);
	if (strncmp(line, "no ", 3) == 0)
		frr_buf_printf(&w->out, "%*s%s\n", w->depth, "", line + 3);
	else
		frr_buf_printf(&w->out, "%*sno %s\n", w->depth, "", line);
	for (i = w->depth - 1; i >= 0; i--)
		frr_buf_printf(&w->out, "%*sexit\n", i, "");
}

static void walk(struct walk *w, const struct frr_node *old, size_t n_old,
		 const struct frr_node *new, size_t n_new)
{
	for (size_t i = 0; i < n_old; i++) {
		const struct frr_node *o = &old[i];
		const struct frr_node *n = w->depth == 0 ? frr_tree_top(w->new_tree, o->text)
							 : frr_tree_find(new, n_new, o->text);
		bool is_if = w->depth == 0 && strncmp(o->text, "interface ", 10) == 0;

		if (n && !o->n_kid)
			continue;
		if (!n && !is_if) {
			negate(w, o->text);
			continue;
		}
		if (w->depth == PATH_MAX_DEPTH)
			continue;
		w->path[w->depth++] = o->text;
		walk(w, o->kid, o->n_kid, n ? n->kid : NULL, n ? n->n_kid : 0);
		w->depth--;
	}
}

int frr_diff_removals(const char *old_frr, const char *new_frr, char **removals)
{
	struct frr_tree to = {0}, tn = {0};
	struct walk w;
	int r;

	*removals = NULL;
	memset(&w, 0, sizeof(w));
	r = frr_tree_parse(old_frr ? old_frr : "", &to);
	if (r == 0)
		r = frr_tree_parse(new_frr ? new_frr : "", &tn);
	if (r == 0) {
		w.new_tree = &tn;
		walk(&w, to.top, to.n_top, tn.top, tn.n_top);
		*removals = frr_buf_take(&w.out);
		if (!*removals)
			r = -ENOMEM;
	}
	frr_buf_free(&w.out);
	frr_tree_free(&to);
	frr_tree_free(&tn);
	return r;
}
