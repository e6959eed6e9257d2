/* test_conf_print.h: parse, print and round-trip helpers shared by the
 * configuration unit tests (test_conf_acl.c, test_conf_qos.c). */
#ifndef VTID_TEST_CONF_PRINT_H
#define VTID_TEST_CONF_PRINT_H

#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/diff.h"
#include "tests/unit/tcheck.h"

static struct cfg_model *parse_opts(const char *t, unsigned flags)
{
	struct cfg_model *m = NULL;
	struct cfg_errors e;
	if (cfg_parse_text_opts(t, strlen(t), flags, &m, &e) < 0)
		cfg_errors_print(&e, "test", stdout);
	return m;
}

static struct cfg_model *parse(const char *t)
{
	return parse_opts(t, 0);
}

/* The printed model, without the leading "!\n" and trailing "end\n". */
static const char *print(const struct cfg_model *m)
{
	static char out[16384];
	struct cfg_buf b = {0};
	out[0] = '\0';
	if (m && cfg_write(m, &b) == 0 && b.s) {
		const char *p = b.s;
		if (!strncmp(p, "!\n", 2))
			p += 2;
		snprintf(out, sizeof(out), "%s", p);
		size_t l = strlen(out);
		if (l >= 4 && !strcmp(out + l - 4, "end\n"))
			out[l - 4] = '\0';
	}
	cfg_buf_free(&b);
	return out;
}

/* Parses t, prints it, and checks that the print parses to the same print
 * and to a model with no difference to apply. */
static const char *print_rt(const char *t)
{
	static char first[16384];
	struct cfg_model *a = parse_opts(t, CFG_PARSE_NO_VALIDATE), *b = NULL;
	struct cfg_buf buf = {0};
	first[0] = '\0';
	if (!a)
		return "(parse failed)";
	cfg_write(a, &buf);
	b = parse_opts(buf.s, CFG_PARSE_NO_VALIDATE);
	CHECK(b != NULL);
	if (b) {
		struct cfg_changes ch;
		snprintf(first, sizeof(first), "%s", print(a));
		CHECK_EQ_STR(print(b), first);
		CHECK_EQ_INT(cfg_diff(a, b, &ch), 0);
		CHECK_EQ_INT((int)ch.n, 0);
		cfg_changes_free(&ch);
	}
	cfg_buf_free(&buf);
	cfg_model_free(a);
	cfg_model_free(b);
	return first;
}

#endif
