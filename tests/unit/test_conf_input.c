/* test_conf_input.c: local input handled safely (issue 12).
 *   - a control character (0x01-0x1f but TAB, 0x7f) anywhere in a
 *     configuration line is refused at its column, from a file and from
 *     `configure terminal`; TAB is still a blank;
 *   - cfg_parse_file reads regular files only: a FIFO (without a writer: it
 *     must not block), a symlink, a directory, a device, a socket, an
 *     oversized file and a file whose size is not what it reads are each
 *     refused with their reason and no model; an empty file is refused only
 *     when asked (reload, configure replace); a normal file still parses. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "conf/conf.h"
#include "tests/unit/tcheck.h"

static char dir[64];

static const char good[] = "hostname R1\n"
			   "crypto ikev2 keyring KR\n"
			   " peer SITE2\n"
			   "  address 203.0.113.3\n"
			   "  pre-shared-key s3cret\n";

/* "LINE:COL: MSG" of the first error of text, or "ok". */
static const char *first_error(const char *text)
{
	static char got[400];
	struct cfg_model *m = (struct cfg_model *)1;
	struct cfg_errors errs;
	if (cfg_parse_text(text, strlen(text), &m, &errs) == 0) {
		cfg_model_free(m);
		return "ok";
	}
	if (m != NULL || errs.n < 1)
		return "refused without an error, or with a model";
	snprintf(got, sizeof(got), "%d:%d: %s", errs.e[0].line, errs.e[0].col, errs.e[0].msg);
	return got;
}

static void test_esc_in_values(void)
{
	CHECK_EQ_STR(first_error("hostname R\0331\n"), "1:11: control character 0x1b not allowed");
	CHECK_EQ_STR(first_error("crypto ikev2 keyring KR\n"
				 " peer SITE2\n"
				 "  description evil \033[2J here\n"),
		     "3:20: control character 0x1b not allowed");
	CHECK_EQ_STR(first_error("crypto ikev2 keyring KR\n"
				 " peer SITE2\n"
				 "  address 203.0.113.3\n"
				 "  pre-shared-key ab\033]0;x\007cd\n"),
		     "4:20: control character 0x1b not allowed");
	CHECK_EQ_STR(first_error("interface Tunnel1\n description a\033b\n"),
		     "2:15: control character 0x1b not allowed");
}

static void test_other_control_bytes(void)
{
	CHECK_EQ_STR(first_error("hostname R1\177\n"), "1:12: control character 0x7f not allowed");
	CHECK_EQ_STR(first_error("hostname R\0011\n"), "1:11: control character 0x01 not allowed");
	/* A CR inside a line (not the CR of CR LF) is a control character. */
	CHECK_EQ_STR(first_error("hostname R1\rhostname R2\n"),
		     "1:12: control character 0x0d not allowed");
	/* Not even in a comment, nor in a routing block kept verbatim for FRR. */
	CHECK_EQ_STR(first_error("! note \033[31m\n"), "1:8: control character 0x1b not allowed");
	CHECK_EQ_STR(first_error("router ospf 1\n router-id 1.1.1.1\033\n"),
		     "2:19: control character 0x1b not allowed");
	/* Every error of the file is reported, as for other errors. */
	struct cfg_model *m;
	struct cfg_errors errs;
	const char *t = "hostname \033a\nhostname ok\nhostname \033b\n";
	CHECK_EQ_INT(cfg_parse_text(t, strlen(t), &m, &errs), -EINVAL);
	CHECK_EQ_INT(errs.n, 2);
	CHECK_EQ_INT(errs.e[1].line, 3);
}

static void test_tab_and_crlf_allowed(void)
{
	CHECK_EQ_STR(first_error("hostname\tR1\n"), "ok");
	CHECK_EQ_STR(first_error("interface Tunnel1\n\tdescription a\tb\n"), "ok");
	CHECK_EQ_STR(first_error("hostname R1\r\ninterface Tunnel1\r\n description x\r\n"), "ok");
	/* Bytes above 0x7f (UTF-8) are text. */
	CHECK_EQ_STR(first_error("interface Tunnel1\n description caf\xc3\xa9\n"), "ok");
}

static void test_terminal_lines(void)
{
	struct cfg_session *s = cfg_session_new(NULL, NULL);
	struct cfg_error e;
	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_EQ_INT(cfg_session_line(s, "hostname R1", &e), CFG_LINE_OK);
	CHECK_EQ_INT(cfg_session_line(s, "hostname R\0332", &e), -EINVAL);
	CHECK_EQ_INT(e.col, 11);
	CHECK_EQ_STR(e.msg, "control character 0x1b not allowed");
	CHECK_EQ_STR(cfg_session_model(s)->hostname, "R1");
	CHECK_EQ_INT(cfg_session_line(s, "crypto ikev2 keyring KR", &e), CFG_LINE_OK);
	CHECK_EQ_INT(cfg_session_line(s, "peer P", &e), CFG_LINE_OK);
	CHECK_EQ_INT(cfg_session_line(s, "pre-shared-key k\033ey", &e), -EINVAL);
	CHECK_EQ_INT(e.col, 17);
	/* The refused line changed nothing, not even the mode. */
	CHECK_EQ_STR(cfg_session_prompt(s), "config-ikev2-keyring-peer");
	CHECK_EQ_INT(cfg_session_line(s, "description\tdc\t1", &e), CFG_LINE_OK);
	CHECK_EQ_INT(cfg_ctrl_col("plain\ttext"), 0);
	CHECK_EQ_INT(cfg_ctrl_col("\033"), 1);
	cfg_session_free(s);
}

/* ---- files ---- */

static void path_of(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text, size_t len)
{
	char p[128];
	path_of(p, sizeof(p), name);
	FILE *f = fopen(p, "w");
	if (f) {
		fwrite(text, 1, len, f);
		fclose(f);
	}
}

/* Parses path; checks the return, that no model came out and the reason. */
static void refused(const char *path, unsigned flags, int want_rc, const char *want_msg)
{
	struct cfg_model *m = (struct cfg_model *)1;
	struct cfg_errors errs;
	int r = cfg_parse_file_opts(path, flags, &m, &errs);
	CHECK_EQ_INT(r, want_rc);
	CHECK(m == NULL);
	CHECK_EQ_INT(errs.n, 1);
	if (errs.n >= 1) {
		CHECK_EQ_INT(errs.e[0].line, 0);
		CHECK_EQ_STR(errs.e[0].msg, want_msg);
	}
	if (r == 0)
		cfg_model_free(m);
}

static void test_regular_file_parses(void)
{
	char p[128];
	struct cfg_model *m = NULL;
	struct cfg_errors errs;
	write_file("good.conf", good, strlen(good));
	path_of(p, sizeof(p), "good.conf");
	CHECK_EQ_INT(cfg_parse_file(p, &m, &errs), 0);
	CHECK(m != NULL);
	if (m)
		CHECK_EQ_STR(m->hostname, "R1");
	cfg_model_free(m);
	m = NULL;
	CHECK_EQ_INT(cfg_parse_file_opts(p, CFG_PARSE_NOT_EMPTY, &m, &errs), 0);
	CHECK(m != NULL);
	cfg_model_free(m);
	/* A file without a final newline too. */
	write_file("nonl.conf", "hostname R9", 11);
	path_of(p, sizeof(p), "nonl.conf");
	m = NULL;
	CHECK_EQ_INT(cfg_parse_file(p, &m, &errs), 0);
	if (m)
		CHECK_EQ_STR(m->hostname, "R9");
	cfg_model_free(m);
	/* Errors in a file still carry their position. */
	write_file("esc.conf", "hostname R1\nhostname \033x\n", 23);
	path_of(p, sizeof(p), "esc.conf");
	m = (struct cfg_model *)1;
	CHECK_EQ_INT(cfg_parse_file(p, &m, &errs), -EINVAL);
	CHECK(m == NULL);
	char buf[256];
	cfg_error_format(&errs.e[0], "esc.conf", buf, sizeof(buf));
	CHECK_EQ_STR(buf, "esc.conf:2:10: error: control character 0x1b not allowed");
}

static void test_fifo(void)
{
	char p[128];
	path_of(p, sizeof(p), "fifo");
	CHECK_EQ_INT(mkfifo(p, 0600), 0);
	/* No writer: a blocking open would hang here (alarm() ends the test). */
	alarm(5);
	refused(p, 0, -EINVAL, "not a regular file (a FIFO)");
	refused(p, CFG_PARSE_NOT_EMPTY, -EINVAL, "not a regular file (a FIFO)");
	alarm(0);
}

static void test_symlink(void)
{
	char p[128], target[128];
	write_file("target.conf", good, strlen(good));
	path_of(target, sizeof(target), "target.conf");
	path_of(p, sizeof(p), "link.conf");
	CHECK_EQ_INT(symlink(target, p), 0);
	refused(p, 0, -ELOOP, "not a regular file (a symbolic link)");
	/* The daemon's own file (start, SIGHUP: CFG_PARSE_FOLLOW, what
	 * cfg_parse_file does) may be a link root made to a regular file. */
	struct cfg_model *m = NULL;
	struct cfg_errors errs;
	CHECK_EQ_INT(cfg_parse_file(p, &m, &errs), 0);
	CHECK(m != NULL);
	cfg_model_free(m);
	/* A link to a device is not followed either way. */
	path_of(p, sizeof(p), "null-link");
	CHECK_EQ_INT(symlink("/dev/null", p), 0);
	refused(p, 0, -ELOOP, "not a regular file (a symbolic link)");
	refused(p, CFG_PARSE_FOLLOW, -EINVAL, "not a regular file (a character device)");
}

static void test_directory(void)
{
	refused(dir, 0, -EISDIR, "not a regular file (a directory)");
}

static void test_devices(void)
{
	refused("/dev/null", 0, -EINVAL, "not a regular file (a character device)");
	refused("/dev/zero", CFG_PARSE_NOT_EMPTY, -EINVAL,
		"not a regular file (a character device)");
}

static void test_socket(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	path_of(sa.sun_path, sizeof(sa.sun_path), "sock");
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	CHECK_EQ_INT(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	refused(sa.sun_path, 0, -EINVAL, "not a regular file (a socket)");
	close(fd);
}

static void test_empty_file(void)
{
	char p[128];
	struct cfg_model *m = NULL;
	struct cfg_errors errs;
	write_file("empty.conf", "", 0);
	path_of(p, sizeof(p), "empty.conf");
	/* At start (and --check-config) an empty file is an empty router, as
	 * before; a reload or configure replace refuses it. */
	CHECK_EQ_INT(cfg_parse_file(p, &m, &errs), 0);
	CHECK(m != NULL);
	cfg_model_free(m);
	refused(p, CFG_PARSE_NOT_EMPTY, -ENODATA,
		"the file is empty: the running configuration is kept");
}

static void test_oversized_file(void)
{
	char p[128];
	path_of(p, sizeof(p), "big.conf");
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	/* Sparse: no disk space, and never read. */
	CHECK_EQ_INT(ftruncate(fd, (off_t)CFG_FILE_MAX + 1), 0);
	close(fd);
	refused(p, 0, -EFBIG, "file too large (16777217 bytes, at most 16 MiB)");
}

/* A file whose size is not what a read gives (here a /proc file: size 0,
 * content there) is refused: what was read is not what was stat'ed. */
static void test_size_mismatch(void)
{
	refused("/proc/self/status", 0, -EIO,
		"the file changed while being read (1 or more bytes read, 0 expected)");
}

static void test_missing_file(void)
{
	char p[128];
	path_of(p, sizeof(p), "missing.conf");
	refused(p, 0, -ENOENT, "cannot open: No such file or directory");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/vtid-conf-input.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL setup: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	RUN(test_esc_in_values);
	RUN(test_other_control_bytes);
	RUN(test_tab_and_crlf_allowed);
	RUN(test_terminal_lines);
	RUN(test_regular_file_parses);
	RUN(test_fifo);
	RUN(test_symlink);
	RUN(test_directory);
	RUN(test_devices);
	RUN(test_socket);
	RUN(test_empty_file);
	RUN(test_oversized_file);
	RUN(test_size_mismatch);
	RUN(test_missing_file);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("note: could not remove %s\n", dir);
	cfg_grammar_free();
	return tcheck_done();
}
