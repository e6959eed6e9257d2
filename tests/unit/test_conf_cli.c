/* test_conf_cli.c: the grammar engine on its own, with an EXEC-like table:
 * abbreviations, ambiguity, captures, ranges, repeats, nesting, help,
 * completion and syntax strings that must not compile. */
#include <errno.h>
#include <string.h>

#include "conf/cli.h"
#include "tests/unit/tcheck.h"

static int calls;
static int h_count(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	(void)m, (void)err;
	calls++;
	if (ctx)
		(*(int *)ctx)++;
	return 0;
}

enum { M_CONF = 1 };

static const struct cli_cmd cmds[] = {
    {CLI_MODE_EXEC, "show crypto ikev2 sa [detailed$detailed] [json$json]",
     "Show running system information\nEncryption module\nIKEv2 information\n"
     "IKEv2 security associations\nMore detail\nJSON output",
     h_count, 0},
    {CLI_MODE_EXEC, "show crypto ipsec sa [interface WORD$ifname] [json$json]",
     "Show running system information\nEncryption module\nIPsec information\n"
     "IPsec security associations\nOne interface\nInterface name\nJSON output",
     h_count, 0},
    {CLI_MODE_EXEC, "show interfaces [WORD$ifname]", NULL, h_count, 0},
    {CLI_MODE_EXEC, "show running-config", NULL, h_count, 0},
    {CLI_MODE_EXEC, "clear crypto session", NULL, h_count, 0},
    {CLI_MODE_EXEC, "configure terminal", "Enter configuration mode\nFrom the terminal", h_count,
     0},
    {CLI_MODE_EXEC, "debug crypto <ikev2|ipsec>$what", NULL, h_count, 0},
    {CLI_MODE_EXEC, "ping A.B.C.D$dst [repeat (1-1000)$n]", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test prefix A.B.C.D/M$p", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test list WORD$w...", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test nest [a [b [c]]]", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test int", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test interface", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test say LINE$text", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test alg <x|y z>...$alg", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test big (0-18446744073709551615)$n", NULL, h_count, 0},
    {CLI_MODE_EXEC, "secret-cmd", NULL, h_count, CLI_F_HIDDEN},
    {M_CONF, "[no] shutdown", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test fruit {fruit}$f [(1-9)$n]", "Test\nFruit\nA fruit\nHow many", h_count, 0},
    {CLI_MODE_EXEC, "test ranges <(20-30)|(1-10)>$r", NULL, h_count, 0},
    {CLI_MODE_EXEC, "test fruit secret (100-200)", NULL, h_count, CLI_F_HIDDEN},
};

/* A word set: {fruit} in a syntax string. */
static const struct cli_word fruit[] = {
    {"apple", "An apple"}, {"apricot", "An apricot"}, {"banana", NULL}, {"ban", "Short"}};

static struct cli *mk(void)
{
	struct cli *c = cli_new();
	struct cli_error e;
	if (!c)
		return NULL;
	CHECK_EQ_INT(cli_mode_add(c, M_CONF, "config", "config", CLI_MODE_EXEC), 0);
	CHECK_EQ_INT(cli_words_add(c, "fruit", "fruit name", fruit, 4), 0);
	CHECK_EQ_INT(cli_install(c, cmds, sizeof(cmds) / sizeof(cmds[0]), &e), 0);
	return c;
}

/* Matches line and returns the error "col: msg", or "ok". */
static const char *try(struct cli *c, int mode, const char *line, struct cli_match *m)
{
	static char buf[300];
	struct cli_error e = {0};
	struct cli_match local;
	if (!m)
		m = &local;
	if (cli_match_line(c, mode, line, m, &e) == 0) {
		if (m == &local)
			cli_match_clear(m);
		return "ok";
	}
	snprintf(buf, sizeof(buf), "%d: %s", e.col, e.msg);
	return buf;
}

static void test_abbreviation(void)
{
	struct cli *c = mk();
	struct cli_match m;
	CHECK_EQ_STR(try(c, 0, "sh cry ikev2 sa", &m), "ok");
	CHECK(m.cmd == &cmds[0]);
	CHECK(cli_arg(&m, "detailed") == NULL);
	CHECK_EQ_STR(cli_arg(&m, "show"), "show"); /* keywords capture their full text */
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, 0, "sh cr ik s det j", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "detailed"), "detailed");
	CHECK_EQ_STR(cli_arg(&m, "json"), "json");
	cli_match_clear(&m);
	cli_free(c);
}

static void test_ambiguous(void)
{
	struct cli *c = mk();
	CHECK_EQ_STR(try(c, 0, "show crypto i sa", NULL),
		     "13: ambiguous command: 'i' could be ikev2, ipsec");
	CHECK_EQ_STR(try(c, 0, "c t", NULL), "1: ambiguous command: 'c' could be clear, configure");
	CHECK_EQ_STR(try(c, 0, "conf t", NULL), "ok");
	cli_free(c);
}

static void test_exact_beats_prefix(void)
{
	struct cli *c = mk();
	struct cli_match m;
	CHECK_EQ_STR(try(c, 0, "test int", &m), "ok");
	CHECK(m.cmd == &cmds[11]);
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, 0, "test inte", &m), "ok");
	CHECK(m.cmd == &cmds[12]);
	cli_match_clear(&m);
	cli_free(c);
}

static void test_errors(void)
{
	struct cli *c = mk();
	CHECK_EQ_STR(try(c, 0, "bogus", NULL), "1: unknown command");
	CHECK_EQ_STR(try(c, 0, "show", NULL), "5: incomplete command");
	CHECK_EQ_STR(try(c, 0, "show crypto ikev2 sa extra", NULL),
		     "22: expected one of: detailed, json, end of line");
	CHECK_EQ_STR(try(c, 0, "ping 10.0.0", NULL), "6: expected A.B.C.D");
	CHECK_EQ_STR(try(c, 0, "ping 10.0.0.1 repeat 0", NULL), "22: value out of range (1-1000)");
	CHECK_EQ_STR(try(c, 0, "ping 10.0.0.1 repeat x", NULL), "22: expected (1-1000)");
	CHECK_EQ_STR(try(c, 0, "test prefix 10.0.0.0/33", NULL), "13: expected A.B.C.D/M");
	CHECK_EQ_STR(try(c, 0, "test prefix 10.0.0.0", NULL), "13: expected A.B.C.D/M");
	CHECK_EQ_STR(try(c, 0, "test nest b", NULL), "11: expected a or end of line");
	CHECK_EQ_STR(try(c, 0, "   ", NULL), "1: empty command");
	CHECK_EQ_STR(try(c, 0, "secret-cmd", NULL), "ok"); /* hidden is still a command */
	CHECK_EQ_STR(try(c, 0, "shutdown", NULL), "1: unknown command"); /* other mode */
	CHECK_EQ_STR(try(c, 0, "test big 18446744073709551616", NULL),
		     "10: value out of range (0-18446744073709551615)");
	cli_free(c);
}

static void test_captures(void)
{
	struct cli *c = mk();
	struct cli_match m;
	CHECK_EQ_STR(try(c, 0, "show crypto ipsec sa interface Tunnel7 json", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "ifname"), "Tunnel7");
	CHECK_EQ_INT(m.args[5].col, 32);
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, 0, "test list a b c", &m), "ok");
	CHECK_EQ_INT(cli_arg_count(&m, "w"), 3);
	CHECK_EQ_STR(cli_arg_nth(&m, "w", 2), "c");
	CHECK(cli_arg_nth(&m, "w", 3) == NULL);
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, 0, "test say  hello   world  ", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "text"), "hello   world");
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, 0, "test alg x y z x", &m), "ok");
	/* x, y, z (sequence branch), x: the explicit $alg shadows the keyword "alg" */
	CHECK_EQ_INT(cli_arg_count(&m, "alg"), 4);
	CHECK_EQ_STR(cli_arg(&m, "alg"), "x");
	CHECK_EQ_STR(cli_arg(&m, "test"), "test"); /* keywords capture under their own text */
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, 0, "test alg y", NULL), "11: incomplete command");
	CHECK_EQ_STR(try(c, 0, "test nest a b c", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "c"), "c");
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, M_CONF, "no shut", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "no"), "no");
	cli_match_clear(&m);
	cli_free(c);
}

static void test_execute(void)
{
	struct cli *c = mk();
	struct cli_error e;
	int n = 0;
	calls = 0;
	CHECK_EQ_INT(cli_execute(c, 0, "write", &n, &e), -EINVAL);
	CHECK_EQ_INT(cli_execute(c, 0, "clear crypto session", &n, &e), 0);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_INT(calls, 1);
	cli_free(c);
}

static void test_help(void)
{
	struct cli *c = mk();
	struct cli_help_item it[32];
	struct cli_error e;
	int n = cli_help(c, 0, "show crypto ", it, 32, &e);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(it[0].token, "ikev2");
	CHECK_EQ_STR(it[0].help, "IKEv2 information");
	CHECK_EQ_STR(it[1].token, "ipsec");
	n = cli_help(c, 0, "show crypto ikev2 sa ", it, 32, &e);
	CHECK_EQ_INT(n, 3);
	CHECK_EQ_STR(it[0].token, "detailed");
	CHECK_EQ_STR(it[1].token, "json");
	CHECK_EQ_STR(it[2].token, "<cr>");
	n = cli_help(c, 0, "sh cry i", it, 32, &e); /* `?` right after a word */
	CHECK_EQ_INT(n, 2);
	n = cli_help(c, 0, "ping ", it, 32, &e);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(it[0].token, "A.B.C.D");
	CHECK_EQ_STR(it[0].help, "IPv4 address");
	n = cli_help(c, 0, "ping 1.2.3.4 repeat ", it, 32, &e);
	CHECK_EQ_INT(n, 1);
	CHECK_EQ_STR(it[0].token, "(1-1000)");
	n = cli_help(c, 0, "show interfaces ", it, 32, &e);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_STR(it[0].token, "WORD");
	CHECK_EQ_STR(it[1].token, "<cr>");
	n = cli_help(c, 0, "show bogus ", it, 32, &e);
	CHECK_EQ_INT(n, -EINVAL);
	CHECK_EQ_INT(e.col, 6);
	n = cli_help(c, 0, "", it, 32, &e);
	CHECK_EQ_INT(n, 6); /* clear configure debug ping show test; not the hidden one */
	CHECK_EQ_STR(it[0].token, "clear");
	CHECK_EQ_STR(it[5].token, "test");
	CHECK_EQ_INT(cli_help(c, 0, "", it, 2, &e), 6); /* the count even when cut */
	CHECK_EQ_STR(it[1].token, "configure");
	cli_free(c);
}

static void test_complete(void)
{
	struct cli *c = mk();
	struct cli_help_item it[32];
	struct cli_error e;
	CHECK_EQ_INT(cli_complete(c, 0, "sh", it, 32, &e), 1);
	CHECK_EQ_STR(it[0].token, "show");
	CHECK_EQ_INT(cli_complete(c, 0, "show crypto ikev2 sa d", it, 32, &e), 1);
	CHECK_EQ_STR(it[0].token, "detailed");
	CHECK_EQ_INT(cli_complete(c, 0, "show ", it, 32, &e), 3);
	CHECK_EQ_STR(it[0].token, "crypto");
	CHECK_EQ_STR(it[1].token, "interfaces");
	CHECK_EQ_STR(it[2].token, "running-config");
	CHECK_EQ_INT(cli_complete(c, 0, "ping ", it, 32, &e), 0); /* values are not completed */
	CHECK_EQ_INT(cli_complete(c, 0, "se", it, 32, &e), 0);	  /* hidden */
	CHECK_EQ_INT(cli_complete(c, 0, "zz", it, 32, &e), 0);
	CHECK_EQ_INT(cli_complete(c, 0, "test nest a ", it, 32, &e), 1);
	CHECK_EQ_STR(it[0].token, "b");
	cli_free(c);
}

static const struct cli_cmd broken[][1] = {
    {{CLI_MODE_EXEC, "a [b", NULL, NULL, 0}},
    {{CLI_MODE_EXEC, "a <b|c", NULL, NULL, 0}},
    {{CLI_MODE_EXEC, "a (5-1)", NULL, NULL, 0}},
    {{CLI_MODE_EXEC, "a b]", NULL, NULL, 0}},
    {{CLI_MODE_EXEC, "", NULL, NULL, 0}},
    {{CLI_MODE_EXEC, "a WORD$", NULL, NULL, 0}},
    {{42, "a", NULL, NULL, 0}},
};

static void test_bad_syntax(void)
{
	for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
		struct cli *c = cli_new();
		struct cli_error e = {0};
		CHECK_EQ_INT(cli_install(c, broken[i], 1, &e), -EINVAL);
		CHECK(e.msg[0] != '\0');
		cli_free(c);
	}
}

static void test_word_sets(void)
{
	struct cli *c = mk();
	struct cli_match m;
	struct cli_help_item it[32];
	struct cli_error e;
	CHECK_EQ_STR(try(c, 0, "test fruit apple 3", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "f"), "apple");
	CHECK_EQ_INT(m.args[2].col, 12);
	cli_match_clear(&m);
	/* A unique prefix names the whole word, like a keyword... */
	CHECK_EQ_STR(try(c, 0, "test fruit apr", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "f"), "apricot");
	cli_match_clear(&m);
	CHECK_EQ_STR(try(c, 0, "te fr bana", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "f"), "banana");
	cli_match_clear(&m);
	/* ...an exact word beats a longer one it prefixes... */
	CHECK_EQ_STR(try(c, 0, "test fruit ban", &m), "ok");
	CHECK_EQ_STR(cli_arg(&m, "f"), "ban");
	cli_match_clear(&m);
	/* ...and a prefix of several is ambiguous, naming the words. */
	CHECK_EQ_STR(try(c, 0, "test fruit ap", NULL),
		     "12: ambiguous command: 'ap' could be apple, apricot");
	/* Errors name the set; a hidden command's tokens are not listed. */
	CHECK_EQ_STR(try(c, 0, "test fruit cherry", NULL), "12: expected fruit name");
	CHECK_EQ_STR(try(c, 0, "test fruit apple x", NULL), "18: expected (1-9) or end of line");
	/* ...unless no visible command is left. */
	CHECK_EQ_STR(try(c, 0, "test fruit secret 5", NULL), "19: value out of range (100-200)");
	CHECK_EQ_STR(try(c, 0, "test fruit secret 150", NULL), "ok");
	/* Every range a number missed, in order. */
	CHECK_EQ_STR(try(c, 0, "test ranges 15", NULL), "13: value out of range (1-10, 20-30)");
	/* ? lists the words with their help (the word itself when it has
	 * none); TAB completes them. */
	int n = cli_help(c, 0, "test fruit ", it, 32, &e);
	CHECK_EQ_INT(n, 4);
	CHECK_EQ_STR(it[0].token, "apple");
	CHECK_EQ_STR(it[0].help, "An apple");
	CHECK_EQ_STR(it[2].token, "ban");
	CHECK_EQ_STR(it[3].token, "banana");
	CHECK_EQ_STR(it[3].help, "banana");
	CHECK_EQ_INT(cli_help(c, 0, "test fruit a", it, 32, &e), 2);
	CHECK_EQ_INT(cli_complete(c, 0, "test fruit b", it, 32, &e), 2);
	CHECK_EQ_STR(it[0].token, "ban");
	CHECK_EQ_INT(cli_complete(c, 0, "test fruit x", it, 32, &e), 0);
	/* Registration. */
	CHECK_EQ_INT(cli_words_add(c, "fruit", "again", fruit, 4), -EEXIST);
	CHECK_EQ_INT(cli_words_add(c, "", "x", fruit, 4), -EINVAL);
	int r = 0;
	char name[CLI_MAX_SETS + 1][16];
	for (int i = 0; i <= CLI_MAX_SETS && r == 0; i++) {
		snprintf(name[i], sizeof(name[i]), "s%d", i);
		r = cli_words_add(c, name[i], "x", fruit, 1);
	}
	CHECK_EQ_INT(r, -E2BIG);
	cli_free(c);
	/* A syntax naming a set that is not registered does not compile. */
	static const struct cli_cmd unknown_set[] = {{CLI_MODE_EXEC, "a {nope}", NULL, NULL, 0},
						     {CLI_MODE_EXEC, "a {}", NULL, NULL, 0}};
	for (size_t i = 0; i < 2; i++) {
		struct cli *u = cli_new();
		e.msg[0] = '\0';
		CHECK_EQ_INT(cli_install(u, &unknown_set[i], 1, &e), -EINVAL);
		CHECK(strstr(e.msg, "unknown word set") != NULL);
		cli_free(u);
	}
}

static void test_modes(void)
{
	struct cli *c = mk();
	CHECK_EQ_STR(cli_mode_name(c, M_CONF), "config");
	CHECK_EQ_STR(cli_mode_prompt(c, CLI_MODE_EXEC), "");
	CHECK_EQ_INT(cli_mode_parent(c, M_CONF), CLI_MODE_EXEC);
	CHECK_EQ_INT(cli_mode_parent(c, 7), -1);
	CHECK(cli_mode_name(c, 99) == NULL);
	CHECK_EQ_INT(cli_mode_add(c, 99, "x", "x", 0), -EINVAL);
	cli_free(c);
	cli_free(NULL);
}

static void test_too_many_words(void)
{
	struct cli *c = mk();
	char line[1024] = "test list";
	for (int i = 0; i < CLI_MAX_WORDS; i++)
		strcat(line, " w");
	CHECK_EQ_STR(try(c, 0, line, NULL), "263: too many words");
	cli_free(c);
}

int main(void)
{
	RUN(test_abbreviation);
	RUN(test_ambiguous);
	RUN(test_exact_beats_prefix);
	RUN(test_errors);
	RUN(test_captures);
	RUN(test_execute);
	RUN(test_help);
	RUN(test_complete);
	RUN(test_bad_syntax);
	RUN(test_word_sets);
	RUN(test_modes);
	RUN(test_too_many_words);
	return tcheck_done();
}
