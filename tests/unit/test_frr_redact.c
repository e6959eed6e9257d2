/* test_frr_redact: no key reaches vtid's log through vtysh's output.
 *
 * vtysh echoes a line it refuses, as written, and FRR takes any unambiguous
 * prefix of a keyword, so `ip ospf authentication-k S3CRETKEY junk` put the
 * key in vtid's log.  Every key-bearing command of FRR 8.4 is written here
 * with its key-bearing keywords abbreviated to every length (alone, and
 * with every other keyword abbreviated too), refused in each of vtysh's
 * formats, and the key must not come out of frr_redact -- nor out of
 * frr_apply, through a fake vtysh that refuses every line. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "frr-integration/frr.h"
#include "frr-integration/priv.h"
#include "tests/unit/tcheck.h"

#define KEY "S3CRETKEY"

/* FRR 8.4's commands that carry a key (ospfd, bgpd, ldpd, isisd, fabricd,
 * lib/keychain.c, ospf6d, ripd, lib/command.c, pathd); `*` marks a
 * keyword the key follows, K the key. */
static const char *const keyed[] = {
    "ip ospf *authentication-key K",
    "ip ospf *authentication-key K 10.0.0.1",
    "ip ospf *message-digest-key 1 *md5 K",
    "ospf *authentication-key K",
    "ospf *message-digest-key 7 *md5 K 10.0.0.1",
    "area 0 virtual-link 10.0.0.1 *authentication-key K",
    "area 0.0.0.1 virtual-link 10.0.0.1 authentication message-digest *message-digest-key 1 *md5 K",
    "no ip ospf *authentication-key K",
    "no ip ospf *message-digest-key 1 *md5 K",
    "neighbor 192.0.2.1 *password K",
    "neighbor PEERS *password K",
    "neighbor 10.0.0.2 *password K",
    "isis *password *md5 K",
    "isis *password clear K",
    "openfabric *password clear K",
    "*area-password *md5 K authenticate snp validate",
    "*area-password clear K",
    "*domain-password *md5 K",
    "*key-string K",
    "ipv6 ospf6 *authentication key-id 1 hash-algo *md5 *key K",
    "ip rip *authentication string K",
    "*password K",
    "*password 8 K",
    "enable *password K",
    "*tcp-md5-auth K",
};

/* vtysh -f's refusals (vtysh_config_from_file): what comes before the
 * line it echoes. */
static const char *const formats[] = {
    "line 12: % Unknown command[13]: ",
    "line 12: % Unknown command[4]:  ",
    "line 12: % Ambiguous command[13]: ",
    "line 12: % Command incomplete[13]: ",
    "line 12: Warning[13]...: ",
    "line 12: Failure to communicate[13] to ospfd, line: ",
    "line 12: % Unknown command: ",
    /* not vtysh's: a daemon quoting the line, with or without indent */
    "",
    " ",
    "% Unknown command: ",
};

static bool is_keyword(const char *w)
{
	if (!isalpha((unsigned char)w[0]))
		return false;
	for (; *w; w++)
		if (!isalnum((unsigned char)*w) && *w != '-')
			return false;
	return true;
}

/* cmd with each marked keyword cut to len (all keywords too when all). */
static void abbreviate(const char *cmd, size_t len, bool all, char *out, size_t outlen)
{
	char buf[256];
	size_t o = 0;
	snprintf(buf, sizeof(buf), "%s", cmd);
	out[0] = '\0';
	for (char *save = NULL, *w = strtok_r(buf, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		bool marked = w[0] == '*';
		const char *word = marked ? w + 1 : w;
		size_t n = strlen(word);
		if (!strcmp(word, "K")) {
			word = KEY;
			n = strlen(KEY);
		} else if (marked || (all && is_keyword(word))) {
			n = len < n ? len : n;
		}
		o += (size_t)snprintf(out + o, outlen - o, "%s%.*s", o ? " " : "", (int)n, word);
	}
	snprintf(out + o, outlen - o, " junk");
}

static char *redact(const char *in, enum frr_redact how)
{
	struct frr_buf b = {0};
	if (frr_redact(in, how, &b) < 0) {
		frr_buf_free(&b);
		return NULL;
	}
	return frr_buf_take(&b);
}

static int n_variants, n_leaks;

static void check_variant(const char *line)
{
	char in[512];
	for (size_t f = 0; f < sizeof(formats) / sizeof(formats[0]); f++) {
		snprintf(in, sizeof(in), "%s%s\n", formats[f], line);
		char *out = redact(in, FRR_REDACT_APPLY);
		CHECK(out != NULL);
		if (!out)
			return;
		if (strstr(out, KEY) && n_leaks++ < 5)
			printf("  leaked: %s", out);
		/* the refusal itself stays: line number and FRR's message */
		if (!strncmp(in, "line 12: ", 9)) {
			CHECK(!strncmp(out, "line 12: ", 9));
			CHECK(strlen(out) > 12);
		}
		free(out);
		n_variants++;
	}
}

static void test_every_abbreviation_hidden(void)
{
	char line[512];
	n_variants = n_leaks = 0;
	for (size_t c = 0; c < sizeof(keyed) / sizeof(keyed[0]); c++) {
		size_t longest = 0;
		for (const char *p = keyed[c]; (p = strchr(p, '*')); p++) {
			size_t n = strcspn(p + 1, " ");
			longest = n > longest ? n : longest;
		}
		for (size_t len = 1; len <= longest; len++) {
			abbreviate(keyed[c], len, false, line, sizeof(line));
			check_variant(line);
			abbreviate(keyed[c], len, true, line, sizeof(line));
			check_variant(line);
		}
	}
	CHECK_EQ_INT(n_leaks, 0);
	CHECK(n_variants > 2000);
}

/* The case of the issue, exactly. */
static void test_issue_line(void)
{
	char *out = redact("line 7: % Unknown command[13]:  ip ospf authentication-k " KEY " junk\n"
			   "ip ospf authentication-k " KEY " junk\n",
			   FRR_REDACT_APPLY);
	CHECK_EQ_STR(out, "line 7: % Unknown command[13]\nip ospf authentication-k <hidden>\n");
	free(out);
}

/* show output is FRR's own printing: full keywords hide, and lines vtid
 * reads back (state.c: `ip ospf area`) are left whole. */
static void test_show_output(void)
{
	char *out = redact("interface Tunnel1\n ip ospf area 0\n ip ospf authentication "
			   "message-digest\n ip ospf message-digest-key 1 md5 " KEY "\n"
			   " ipv6 ospf6 authentication key-id 1 hash-algo md5 key " KEY "\n"
			   "router bgp 65001\n neighbor 192.0.2.1 password " KEY "\n"
			   "key chain KC\n key 1\n  key-string " KEY "\n",
			   FRR_REDACT_SHOW);
	CHECK_EQ_STR(out, "interface Tunnel1\n ip ospf area 0\n ip ospf authentication "
			  "message-digest\n ip ospf message-digest-key <hidden>\n"
			  " ipv6 ospf6 authentication key-id 1 hash-algo md5 <hidden>\n"
			  "router bgp 65001\n neighbor 192.0.2.1 password <hidden>\n"
			  "key <hidden>\n key <hidden>\n  key-string <hidden>\n");
	free(out);
}

static char dir[64];
static char path[128];

/* A vtysh that refuses every line of -f, on stderr as vtysh does, and
 * quotes it on stdout too. */
static const char fake[] = "#!/bin/sh\n"
			   "[ \"$1\" = --vty_socket ] && shift 2\n"
			   "[ \"$1\" = -f ] || exit 4\n"
			   "n=0\n"
			   "while IFS= read -r l; do n=$((n+1))\n"
			   "  echo \"line $n: % Unknown command[4]: $l\" >&2; echo \" $l\"\n"
			   "done <\"$2\"\n"
			   "exit 2\n";

static void test_apply_through_vtysh(void)
{
	struct frr_buf text = {0};
	char line[512], *out = NULL;
	for (size_t c = 0; c < sizeof(keyed) / sizeof(keyed[0]); c++)
		for (size_t len = 1; len <= 20; len++) {
			abbreviate(keyed[c], len, len % 2 == 0, line, sizeof(line));
			frr_buf_printf(&text, "%s\n", line);
		}
	struct frr_vtysh vt = {.bin = path, .vty_dir = dir, .timeout_ms = 5000};
	CHECK_EQ_INT(frr_apply(&vt, text.s, &out), -EIO);
	CHECK(out != NULL);
	if (out) {
		CHECK(strstr(out, "line 1: % Unknown command[4]\n") != NULL);
		CHECK(strstr(out, KEY) == NULL);
	}
	free(out);
	frr_buf_free(&text);
}

int main(void)
{
	FILE *f;
	snprintf(dir, sizeof(dir), "/tmp/vtredactXXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/vtysh", dir);
	f = fopen(path, "w");
	if (!f)
		return 1;
	fputs(fake, f);
	fclose(f);
	chmod(path, 0700);

	RUN(test_every_abbreviation_hidden);
	RUN(test_issue_line);
	RUN(test_show_output);
	RUN(test_apply_through_vtysh);

	unlink(path);
	rmdir(dir);
	return tcheck_done();
}
