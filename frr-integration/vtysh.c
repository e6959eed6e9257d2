/* vtysh.c: running FRR's vtysh as a bounded child process.
 *
 * One call = fork, exec vtysh with stdout+stderr on a pipe, read until EOF
 * or the deadline, reap.  On the deadline the child is SIGKILLed and reaped,
 * so no call leaves a process or a zombie behind.  Input text reaches vtysh
 * through a memfd on its stdin (`-f /dev/stdin` reopens it from offset 0).
 * The child closes every descriptor above 2 and unblocks all signals before
 * exec, so vtid's sockets and its signalfd mask do not leak into vtysh.
 * Why synchronous: see frr.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frr-integration/frr.h"
#include "frr-integration/priv.h"
#include "lib/log.h"

enum { VTYSH_OUTPUT_MAX = 8 << 20 };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int memfd_with(const char *text)
{
	size_t len = strlen(text), off = 0;
	int fd = memfd_create("vtid-frr", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? -errno : -EIO;

			close(fd);
			return e;
		}
		off += (size_t)n;
	}
	return fd;
}

/* Child side: only async-signal-safe calls (vtid may have threads). */
static void child_exec(char *const argv[], int in_fd, int out_fd)
{
	sigset_t all;

	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (in_fd >= 0) {
		dup2(in_fd, 0);
	} else {
		int devnull = open("/dev/null", O_RDONLY);

		if (devnull >= 0)
			dup2(devnull, 0);
	}
	dup2(out_fd, 1);
	dup2(out_fd, 2);
	close_range(3, ~0U, 0);
	execv(argv[0], argv);
	_exit(127);
}

/* Reads the child's output until EOF or the deadline. */
static int read_output(int fd, long long deadline, struct frr_buf *out)
{
	char chunk[4096];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long long left = deadline - now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&p, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		/* beyond the cap the output is drained and dropped */
		if (out->len + (size_t)n <= VTYSH_OUTPUT_MAX &&
		    frr_buf_add(out, chunk, (size_t)n) < 0)
			return -ENOMEM;
	}
}

static int reap(pid_t pid, long long deadline, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, status, 0) < 0 && errno == EINTR)
				;
			return -ETIMEDOUT;
		}
		usleep(2000);
	}
}

/* Keeping keys out of vtid's log.
 *
 * `vtysh -f` refuses a line with "line N: % Unknown command[4]: LINE" (also
 * "% Ambiguous command", "% Command incomplete", "Warning[4]...: LINE",
 * "Failure to communicate[13] to ospfd, line: LINE": vtysh/vtysh.c
 * vtysh_config_from_file in FRR 8.4), echoing the line as it was written,
 * and FRR takes any unambiguous prefix of a keyword: `ip ospf
 * authentication-k KEY junk` is refused with KEY in the echo.  So the
 * output of an apply is logged without the echo (the line number and
 * FRR's message stay), and on every other line a word that is a prefix,
 * of any length, of one of FRR 8.4's key-bearing keywords hides the rest
 * of that line.  The keywords: `ip ospf authentication-key`, `ip ospf
 * message-digest-key N md5` and their `area A virtual-link` forms
 * (ospfd), `neighbor X password` (bgpd, ldpd), `isis password`,
 * `area-password`, `domain-password` (isisd, fabricd), `key-string` (key
 * chains), `ipv6 ospf6 authentication ... key` (ospf6d), `ip rip
 * authentication string` (ripd), `password`, `enable password` (every
 * daemon's vty), `tcp-md5-auth` (pathd).
 *
 * `show` output is FRR's own printing, in full keywords, and is read by
 * vtid (state.c looks for `ip ospf area` lines in the running config), so
 * there only a word that holds a key-bearing keyword whole hides the rest
 * of its line. */
static const char *const key_words[] = {
    "authentication", "authentication-key", "message-digest-key", "md5",
    "password",	      "area-password",	    "domain-password",	  "key",
    "key-string",     "tcp-md5-auth",
};

/* Whole-keyword matches, in show output: a word holding one of these, or
 * equal to one of the short ones. */
static const char *const key_substrings[] = {"authentication-key", "message-digest-key", "password",
					     "key-string", "tcp-md5-auth"};
static const char *const key_exact[] = {"key", "md5"};

static bool key_like(const char *w, size_t n, enum frr_redact how)
{
	for (size_t i = 0; i < sizeof(key_substrings) / sizeof(key_substrings[0]); i++)
		if (memmem(w, n, key_substrings[i], strlen(key_substrings[i])))
			return true;
	for (size_t i = 0; i < sizeof(key_exact) / sizeof(key_exact[0]); i++)
		if (n == strlen(key_exact[i]) && !strncasecmp(w, key_exact[i], n))
			return true;
	if (how != FRR_REDACT_APPLY)
		return false;
	for (size_t i = 0; i < sizeof(key_words) / sizeof(key_words[0]); i++)
		if (n <= strlen(key_words[i]) && !strncasecmp(w, key_words[i], n))
			return true;
	return false;
}

/* "line N: MESSAGE: ECHO" -> the length of "line N: MESSAGE", or 0. */
static size_t echo_cut(const char *p, size_t n)
{
	size_t i = 5;
	const char *c;

	if (n < 8 || strncmp(p, "line ", 5) != 0 || p[i] < '0' || p[i] > '9')
		return 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	if (i + 1 >= n || p[i] != ':' || p[i + 1] != ' ')
		return 0;
	c = memmem(p + i + 2, n - i - 2, ": ", 2);
	return c ? (size_t)(c - p) : 0;
}

int frr_redact(const char *in, enum frr_redact how, struct frr_buf *out)
{
	const char *p = in ? in : "";

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) : strlen(p);
		size_t cut = how == FRR_REDACT_APPLY ? echo_cut(p, n) : 0;
		bool hidden = false;

		if (cut) {
			frr_buf_add(out, p, cut);
		} else {
			cut = n;
			for (size_t i = 0; i < n;) {
				size_t w = i;

				while (w < n && (p[w] == ' ' || p[w] == '\t'))
					w++;
				i = w;
				while (i < n && p[i] != ' ' && p[i] != '\t')
					i++;
				if (i > w && key_like(p + w, i - w, how)) {
					cut = i;
					hidden = i < n;
					break;
				}
			}
			frr_buf_add(out, p, cut);
			if (hidden)
				frr_buf_puts(out, " <hidden>");
		}
		if (eol)
			frr_buf_add(out, "\n", 1);
		p += n + (eol ? 1 : 0);
	}
	return out->oom ? -ENOMEM : 0;
}

/* Runs vtysh with args (after the binary and --vty_socket) and in_text on
 * stdin (NULL: /dev/null). */
static int run_vtysh(const struct frr_vtysh *vt, const char *const *args, const char *in_text,
		     enum frr_redact how, char **output)
{
	int timeout_ms = vt && vt->timeout_ms > 0 ? vt->timeout_ms : 5000;
	const char *vty_dir = vt ? vt->vty_dir : NULL;
	const char *argv[16];
	struct frr_buf out = {0};
	long long deadline = now_ms() + timeout_ms;
	int n = 0, in_fd = -1, pfd[2], status = 0, r, rr;
	pid_t pid;

	if (output)
		*output = NULL;
	argv[n++] = vt && vt->bin ? vt->bin : "/usr/bin/vtysh";
	if (vty_dir) {
		argv[n++] = "--vty_socket";
		argv[n++] = vty_dir;
	}
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (in_text) {
		in_fd = memfd_with(in_text);
		if (in_fd < 0)
			return in_fd;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		r = -errno;
		if (in_fd >= 0)
			close(in_fd);
		return r;
	}
	pid = fork();
	if (pid == 0)
		child_exec((char *const *)argv, in_fd, pfd[1]);
	close(pfd[1]);
	if (in_fd >= 0)
		close(in_fd);
	if (pid < 0) {
		r = -errno;
		close(pfd[0]);
		return r;
	}
	r = read_output(pfd[0], deadline, &out);
	close(pfd[0]);
	if (r == -ETIMEDOUT)
		deadline = now_ms(); /* kill now */
	rr = reap(pid, deadline, &status);
	if (r == 0)
		r = rr;
	if (r == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
		r = -ENOENT; /* exec failed */
	else if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0))
		r = -EIO;
	if (r == -ETIMEDOUT)
		log_warn("frr: %s did not answer within %d ms, killed", argv[0], timeout_ms);
	if (output) {
		struct frr_buf clean = {0};

		if (frr_redact(out.s, how, &clean) == 0)
			*output = frr_buf_take(&clean);
		frr_buf_free(&clean);
		if (!*output && r == 0)
			r = -ENOMEM;
	}
	frr_buf_free(&out);
	return r;
}

int frr_apply(const struct frr_vtysh *vt, const char *frr_text, char **output)
{
	static const char *const args[] = {"-f", "/dev/stdin", NULL};

	return run_vtysh(vt, args, frr_text ? frr_text : "", FRR_REDACT_APPLY, output);
}

int frr_show(const struct frr_vtysh *vt, const char *command, char **output)
{
	const char *args[] = {"-c", command, NULL};

	if (output)
		*output = NULL;
	/* -c runs every line of a multi-line argument: one line, show only. */
	if (!command || strncmp(command, "show ", 5) != 0 || strpbrk(command, "\r\n"))
		return -EPERM;
	return run_vtysh(vt, args, NULL, FRR_REDACT_SHOW, output);
}
