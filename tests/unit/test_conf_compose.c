/* test_conf_compose.c: sessions that compose (conf/compose.c).  A session
 * rebased on a running configuration changed by someone else keeps that
 * change, plays its own pending lines on top, and refuses to go on in an
 * object that change removed, naming it. */
#include <errno.h>
#include <string.h>

#include "conf/conf.h"
#include "tests/unit/tcheck.h"

static struct cfg_model *parse(const char *t)
{
	struct cfg_model *m = NULL;
	struct cfg_errors e = {0};
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &e), 0);
	return m;
}

static char *text(const struct cfg_model *m)
{
	static char out[8192];
	struct cfg_buf b = {0};
	cfg_write(m, &b);
	snprintf(out, sizeof(out), "%s", b.s ? b.s : "");
	cfg_buf_free(&b);
	return out;
}

static int line(struct cfg_session *s, const char *l)
{
	struct cfg_error e;
	return cfg_session_line(s, l, &e);
}

static const char *removed_key;
static const char *removed_by(void *ctx, const char *key)
{
	(void)ctx;
	return removed_key && strcmp(key, removed_key) == 0 ? "the other session" : NULL;
}

static void test_keys(void)
{
	struct cfg_model *m = parse("crypto ikev2 keyring KR\n peer P\n  address 192.0.2.1\n"
				    "ip access-list standard A\n permit any\n"
				    "router ospf 1\n router-id 1.1.1.1\n");
	CHECK(m && cfg_model_has_key(m, "ikev2-keyring KR"));
	CHECK(m && cfg_model_has_key(m, "ikev2-keyring-peer KR P"));
	CHECK(m && cfg_model_has_key(m, "access-list A"));
	CHECK(m && cfg_model_has_key(m, "router ospf 1"));
	CHECK(m && !cfg_model_has_key(m, "access-list B"));
	cfg_model_free(m);
}

/* pending lines are played again on top of a change made meanwhile */
static void test_rebase_keeps_both(void)
{
	struct cfg_model *run = parse("hostname A\n");
	struct cfg_session *s = cfg_session_new(NULL, run);
	CHECK_EQ_INT(line(s, "crypto ikev2 keyring KR"), CFG_LINE_OK);
	CHECK_EQ_INT(line(s, "peer P"), CFG_LINE_OK);
	CHECK_EQ_INT(line(s, "address 192.0.2.1"), CFG_LINE_OK);
	CHECK_EQ_INT(cfg_session_pending(s), 3);
	struct cfg_model *other = parse("hostname B\nip access-list standard X\n permit any\n");
	char msg[256] = "";
	removed_key = NULL;
	CHECK_EQ_INT(cfg_session_rebase(s, other, removed_by, NULL, msg, sizeof(msg)), 0);
	const char *t = text(cfg_session_model(s));
	CHECK(strstr(t, "hostname B\n") && strstr(t, "ip access-list standard X\n") &&
	      strstr(t, "  address 192.0.2.1\n"));
	CHECK_EQ_STR(cfg_session_prompt(s), "config-ikev2-keyring-peer");
	/* applied: nothing pending, the stack is the new base */
	cfg_session_commit(s);
	CHECK_EQ_INT(cfg_session_pending(s), 0);
	cfg_session_free(s);
	cfg_model_free(run);
	cfg_model_free(other);
}

/* the object the session is in was removed: refused, named, back to global */
static void test_rebase_conflict(void)
{
	struct cfg_model *run = parse("ip access-list standard X\n permit any\n");
	struct cfg_session *s = cfg_session_new(NULL, run);
	CHECK_EQ_INT(line(s, "ip access-list standard X"), CFG_LINE_OK);
	cfg_session_commit(s);
	struct cfg_model *other = parse("hostname B\n");
	char msg[256] = "";
	removed_key = "access-list X";
	CHECK_EQ_INT(cfg_session_rebase(s, other, removed_by, NULL, msg, sizeof(msg)), -ESTALE);
	CHECK(strstr(msg, "ip access-list standard X was removed by the other session"));
	CHECK_EQ_STR(cfg_session_prompt(s), "config");
	CHECK(!strstr(text(cfg_session_model(s)), "access-list"));
	/* removed and made anew by the other change: still a conflict */
	CHECK_EQ_INT(line(s, "ip access-list standard X"), CFG_LINE_OK);
	cfg_session_commit(s);
	CHECK_EQ_INT(cfg_session_rebase(s, run, removed_by, NULL, msg, sizeof(msg)), -ESTALE);
	/* gone with nobody known to have removed it */
	removed_key = NULL;
	CHECK_EQ_INT(line(s, "ip access-list standard X"), CFG_LINE_OK);
	cfg_session_commit(s);
	CHECK_EQ_INT(cfg_session_rebase(s, other, removed_by, NULL, msg, sizeof(msg)), -ESTALE);
	CHECK(strstr(msg, "was removed meanwhile"));
	cfg_session_free(s);
	cfg_model_free(run);
	cfg_model_free(other);
}

/* a pending line that enters an object removed meanwhile is not played:
 * it would make the object anew behind the other session's back */
static void test_pending_enters_removed(void)
{
	struct cfg_model *run = parse("ip access-list standard X\n permit any\n");
	struct cfg_session *s = cfg_session_new(NULL, run);
	CHECK_EQ_INT(line(s, "ip access-list standard X"), CFG_LINE_OK);
	CHECK_EQ_INT(line(s, "permit 10.0.0.1"), CFG_LINE_OK);
	struct cfg_model *other = parse("hostname B\n");
	char msg[256] = "";
	removed_key = "access-list X";
	CHECK_EQ_INT(cfg_session_rebase(s, other, removed_by, NULL, msg, sizeof(msg)), -ESTALE);
	CHECK(!strstr(text(cfg_session_model(s)), "access-list"));
	CHECK_EQ_INT(cfg_session_pending(s), 0);
	removed_key = NULL;
	cfg_session_free(s);
	cfg_model_free(run);
	cfg_model_free(other);
}

/* a line refused after all leaves no trace when the session is rebased */
static void test_forget_last(void)
{
	struct cfg_model *run = parse("hostname A\n");
	struct cfg_session *s = cfg_session_new(NULL, run);
	CHECK_EQ_INT(line(s, "hostname B"), CFG_LINE_OK);
	CHECK_EQ_INT(cfg_session_pending(s), 1);
	cfg_session_forget_last(s);
	CHECK_EQ_INT(cfg_session_pending(s), 0);
	char msg[256];
	CHECK_EQ_INT(cfg_session_rebase(s, run, NULL, NULL, msg, sizeof(msg)), 0);
	CHECK(strstr(text(cfg_session_model(s)), "hostname A\n"));
	cfg_session_free(s);
	cfg_model_free(run);
}

int main(void)
{
	RUN(test_keys);
	RUN(test_rebase_keeps_both);
	RUN(test_rebase_conflict);
	RUN(test_pending_enters_removed);
	RUN(test_forget_last);
	return tcheck_done();
}
