/* test_conf_term.h: one `configure terminal` session S for the configuration
 * unit tests (test_conf_session.c, test_conf_suite.c, test_conf_router.c):
 * fresh() starts it anew on an empty configuration, line() types a line,
 * text() prints the candidate. */
#ifndef VTID_TEST_CONF_TERM_H
#define VTID_TEST_CONF_TERM_H

#include <stdio.h>

#include "conf/conf.h"

static struct cfg_session *S;

static inline int line_e(const char *l, struct cfg_error *e)
{
	return cfg_session_line(S, l, e);
}

static inline int line(const char *l)
{
	struct cfg_error e;
	return line_e(l, &e);
}

static inline char *text(void)
{
	static char out[8192];
	struct cfg_buf b = {0};
	cfg_write(cfg_session_model(S), &b);
	snprintf(out, sizeof(out), "%s", b.s ? b.s : "");
	cfg_buf_free(&b);
	return out;
}

static inline void fresh(void)
{
	cfg_session_free(S);
	S = cfg_session_new(NULL, NULL);
}

#endif
