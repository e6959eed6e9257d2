/* test_conf_suite.c: the crypto commands offer exactly lib/suite.c's rows.
 * Every ESP row is reachable by its transform-set keyword and printed back
 * the way it was typed (the size word always written); every IKEv2 row is
 * accepted by its proposal keyword; `?` lists the rows with their lines. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/suite.h"
#include "tests/unit/tcheck.h"
#include "tests/unit/test_conf_term.h"


/* "esp-gcm 256" / "esp-aes 128 esp-sha-hmac": the running-config form. */
static void ts_words(const struct suite *e, const struct suite *h, char *buf, size_t n)
{
	int w = snprintf(buf, n, "%s", e->ios_ts);
	if (e->key_bits)
		w += snprintf(buf + w, n - (size_t)w, " %u", e->key_bits);
	if (h)
		snprintf(buf + w, n - (size_t)w, " %s", h->ios_ts);
}

static void esp_round_trip(const struct suite *e, const struct suite *h)
{
	char words[96], cmd[160], want[200];
	fresh();
	ts_words(e, h, words, sizeof(words));
	snprintf(cmd, sizeof(cmd), "crypto ipsec transform-set T %s", words);
	CHECK_EQ_INT(line(cmd), CFG_LINE_OK);
	const struct cfg_model *m = cfg_session_model(S);
	CHECK_EQ_INT(m->n_transform, 1);
	if (m->n_transform != 1)
		return;
	CHECK_EQ_STR(m->transform[0].encr, e->name);
	CHECK_EQ_STR(m->transform[0].integ, h ? h->name : "");
	snprintf(want, sizeof(want), "%s\n mode tunnel\n!\n", cmd);
	CHECK(strstr(text(), want) != NULL);
}

/* An AEAD cipher stands alone; a cipher without an ICV goes with each HMAC. */
static void test_every_esp_row_round_trips(void)
{
	const struct suite *e, *h;
	size_t n = 0;
	for (size_t i = 0; (e = suite_at(SUITE_ENCR, i)) != NULL; i++) {
		if (e->aead) {
			esp_round_trip(e, NULL);
			n++;
			continue;
		}
		for (size_t j = 0; (h = suite_at(SUITE_INTEG, j)) != NULL; j++, n++)
			esp_round_trip(e, h);
	}
	CHECK(n >= 6);
}

/* `esp-aes esp-sha-hmac` is the default size, written out. */
static void test_default_size_is_written(void)
{
	const struct suite *e;
	char cmd[160], want[160];
	for (size_t i = 0; (e = suite_at(SUITE_ENCR, i)) != NULL; i++) {
		if (!e->ios_ts || !e->ios_ts_default)
			continue;
		fresh();
		const struct suite *h = e->aead ? NULL : suite_at(SUITE_INTEG, 0);
		snprintf(cmd, sizeof(cmd), "crypto ipsec transform-set D %s%s%s", e->ios_ts,
			 h ? " " : "", h ? h->ios_ts : "");
		CHECK_EQ_INT(line(cmd), CFG_LINE_OK);
		snprintf(want, sizeof(want), "crypto ipsec transform-set D %s %u%s%s\n", e->ios_ts,
			 e->key_bits, h ? " " : "", h ? h->ios_ts : "");
		CHECK(strstr(text(), want) != NULL);
	}
}

static void test_aead_and_hmac_rules(void)
{
	fresh();
	CHECK(line("crypto ipsec transform-set T esp-gcm 256 esp-sha-hmac") != CFG_LINE_OK);
	CHECK(line("crypto ipsec transform-set T esp-aes 256") != CFG_LINE_OK);
	CHECK(line("crypto ipsec transform-set T esp-chacha20-poly1305 256") != CFG_LINE_OK);
	CHECK_EQ_INT(cfg_session_model(S)->n_transform, 0);
}

static void test_every_ike_row_accepted(void)
{
	static const struct {
		enum suite_type type;
		const char *kw;
	} k[] = {{SUITE_ENCR, "encryption"}, {SUITE_INTEG, "integrity"}, {SUITE_PRF, "prf"}};
	const struct suite *s;
	char cmd[96], want[128];
	for (size_t t = 0; t < 3; t++)
		for (size_t i = 0; (s = suite_at(k[t].type, i)) != NULL; i++) {
			fresh();
			line("crypto ikev2 proposal P");
			snprintf(cmd, sizeof(cmd), "%s %s", k[t].kw, s->name);
			CHECK_EQ_INT(line(cmd), CFG_LINE_OK);
			snprintf(want, sizeof(want), "\n %s\n", cmd);
			CHECK(strstr(text(), want) != NULL);
		}
	for (size_t i = 0; (s = suite_at(SUITE_DH, i)) != NULL; i++) {
		fresh();
		line("crypto ikev2 proposal P");
		snprintf(cmd, sizeof(cmd), "group %u", s->id);
		CHECK_EQ_INT(line(cmd), CFG_LINE_OK);
		snprintf(want, sizeof(want), "\n %s\n", cmd);
		CHECK(strstr(text(), want) != NULL);
		line("crypto ipsec profile I");
		snprintf(cmd, sizeof(cmd), "set pfs %s", s->name);
		CHECK_EQ_INT(line(cmd), CFG_LINE_OK);
		CHECK_EQ_INT(cfg_session_model(S)->ipsec_profile[0].pfs_group, s->id);
		snprintf(want, sizeof(want), "\n %s\n", cmd);
		CHECK(strstr(text(), want) != NULL);
	}
}

/* The token of `?` equal to tok, or NULL. */
static const struct cli_help_item *item(const struct cli_help_item *it, int n, const char *tok)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(it[i].token, tok))
			return &it[i];
	return NULL;
}

static void test_help_lists_the_rows(void)
{
	struct cli_help_item it[64];
	struct cli_error err;
	const struct suite *s;
	char tok[16];
	int n, want = 0;
	fresh();
	n = cfg_session_help(S, "crypto ipsec transform-set T ", it, 64, &err);
	for (size_t i = 0; (s = suite_at(SUITE_ENCR, i)) != NULL; i++) {
		const struct cli_help_item *x = item(it, n, s->ios_ts);
		CHECK(x != NULL);
		if (x)
			CHECK_EQ_STR(x->help, s->ios_ts_help);
		want += s->ios_ts_default || !s->key_bits;
	}
	CHECK_EQ_INT(n, want);
	n = cfg_session_help(S, "crypto ipsec transform-set T esp-gcm ", it, 64, &err);
	for (size_t i = 0; (s = suite_at(SUITE_INTEG, i)) != NULL; i++)
		CHECK(item(it, n, s->ios_ts) != NULL);
	for (size_t i = 0; (s = suite_at(SUITE_ENCR, i)) != NULL; i++) {
		if (strcmp(s->ios_ts, "esp-gcm"))
			continue;
		snprintf(tok, sizeof(tok), "%u", s->key_bits);
		const struct cli_help_item *x = item(it, n, tok);
		CHECK(x != NULL);
		if (x)
			CHECK(strstr(x->help, "-bit key") != NULL);
	}
	line("crypto ikev2 proposal P");
	n = cfg_session_help(S, "encryption ", it, 64, &err);
	for (size_t i = 0; (s = suite_at(SUITE_ENCR, i)) != NULL; i++) {
		const struct cli_help_item *x = item(it, n, s->name);
		CHECK(x != NULL);
		if (x)
			CHECK_EQ_STR(x->help, s->ios_help);
	}
	n = cfg_session_help(S, "group ", it, 64, &err);
	for (size_t i = 0; (s = suite_at(SUITE_DH, i)) != NULL; i++) {
		snprintf(tok, sizeof(tok), "%u", s->id);
		const struct cli_help_item *x = item(it, n, tok);
		CHECK(x != NULL);
		if (x)
			CHECK_EQ_STR(x->help, s->ios_help);
	}
}

int main(void)
{
	RUN(test_every_esp_row_round_trips);
	RUN(test_default_size_is_written);
	RUN(test_aead_and_hmac_rules);
	RUN(test_every_ike_row_accepted);
	RUN(test_help_lists_the_rows);
	cfg_session_free(S);
	return tcheck_done();
}
