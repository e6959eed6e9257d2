/* vtish: the IOS-style shell of vtid, a thin client of its control socket.
 *
 *   vtish [-s SOCKET] [-c CMD]...
 *
 * vtid owns the grammar and the session (modes, prompt); vtish only sends
 * lines and asks for TAB completions and `?` help.  Three ways to run:
 *   -c CMD ...   each command in order in one session, outputs printed,
 *                stop at the first failure (exit 1), like vtysh -c;
 *   a tty        readline with vtid's prompt, history in ~/.vtish_history,
 *                output longer than the screen through $VTISH_PAGER if set,
 *                TAB completion, `?` help at any point (the line is redrawn
 *                unchanged), Ctrl-Z = end, Ctrl-C drops the line, Ctrl-D or
 *                exit at EXEC level leaves;
 *   a pipe       one command per line, stop at the first failure (exit 1).
 * The socket: -s, else $VTISH_SOCKET, else /run/vtid/vtid.sock.
 *
 * On the tty the terminal's interrupt and suspend characters are switched
 * off while vtish runs, so Ctrl-C and Ctrl-Z reach readline as keys (IOS
 * meaning) instead of killing or stopping the shell; they are restored at
 * exit. */
#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "vtish/client.h"

#define VTISH_DEFAULT_SOCKET "/run/vtid/vtid.sock"

enum { EXEC_OK = 0, EXEC_FAILED = 1, EXEC_CLOSE = 2, MAX_CMDS = 256 };

static struct vtc conn;
static char prompt[256] = "vtid#";
static const char *sock_path;

/* saved: the user's; edit: while readline edits (no VINTR, no VSUSP: the
 * keys are readline's); wait: while waiting for vtid (VINTR back, so Ctrl-C
 * can give up the wait; a Ctrl-Z typed ahead still reaches readline). */
static struct termios saved_tty, edit_tty, wait_tty;
static bool tty_changed;
static char *candidates[1024]; /* the last TAB answer, for the generator */
static int ncandidates;
static bool line_from_ctrlz;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vtish [-s SOCKET] [-c COMMAND]...\n"
		"  -s SOCKET   vtid's control socket (default $VTISH_SOCKET or %s)\n"
		"  -c COMMAND  run COMMAND; several -c run in order in one session,\n"
		"              stopping at the first that fails (exit status 1)\n"
		"Without -c: an interactive shell on a terminal, else one command per\n"
		"line from standard input.\n",
		VTISH_DEFAULT_SOCKET);
}

static void restore_tty(void)
{
	if (tty_changed) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
		tty_changed = false;
	}
}

static void free_candidates(void)
{
	for (int i = 0; i < ncandidates; i++)
		free(candidates[i]);
	ncandidates = 0;
}

static void lost(void)
{
	int err = errno;
	if (tty_changed)
		rl_deprep_terminal();
	restore_tty();
	fprintf(stderr, "\n%% vtish: connection to vtid lost (%s)\n",
		err == EPROTO ? "bad reply" : strerror(err));
	free_candidates();
	vtc_close(&conn);
	exit(1);
}

static bool in_config(void)
{
	return strchr(prompt, '(') != NULL;
}

static bool is_ctrl(unsigned char c)
{
	return (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f;
}

/* What vtid sends is shown, never obeyed: a control byte (but newline and
 * TAB) is written as \xNN, so no text that reached vtid's output (a
 * value, FRR's echo) can move the cursor, retitle the window or fake a
 * prompt on the operator's terminal.  CR LF stays a line end. */
static void put_escaped(FILE *f, const char *s)
{
	while (*s) {
		size_t n = 0;
		while (s[n] && !is_ctrl((unsigned char)s[n]))
			n++;
		fwrite(s, 1, n, f);
		s += n;
		if (!*s)
			break;
		if (s[0] == '\r' && s[1] == '\n')
			fputc('\r', f);
		else
			fprintf(f, "\\x%02x", (unsigned char)*s);
		s++;
	}
}

static void put_text(FILE *f, const char *s)
{
	size_t n = strlen(s);
	if (!n)
		return;
	put_escaped(f, s);
	if (s[n - 1] != '\n')
		fputc('\n', f);
}

/* Interactive output longer than the screen goes through $VTISH_PAGER when
 * it is set (say "less -FRX"), as vtysh does with VTYSH_PAGER. */
static void put_output(const char *s)
{
	const char *pager = getenv("VTISH_PAGER");
	struct winsize ws;
	if (tty_changed && pager && *pager && isatty(STDOUT_FILENO) &&
	    ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 1) {
		size_t lines = 0;
		for (const char *p = s; (p = strchr(p, '\n')); p++)
			lines++;
		if (lines >= ws.ws_row) {
			fflush(stdout);
			/* The pager gets the terminal as the user had it. */
			tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
			FILE *f = popen(pager, "w");
			if (f) {
				/* The pager owns the terminal: SIGINT is its to handle. */
				struct sigaction ign = {.sa_handler = SIG_IGN}, old;
				sigemptyset(&ign.sa_mask);
				sigaction(SIGINT, &ign, &old);
				put_text(f, s);
				pclose(f);
				sigaction(SIGINT, &old, NULL); /* keeps its no-SA_RESTART */
			}
			tcsetattr(STDIN_FILENO, TCSANOW, &edit_tty);
			if (f)
				return;
		}
	}
	put_text(stdout, s);
}

static void take_prompt(struct json_object *r)
{
	const char *p = vtc_str(r, "prompt");
	if (*p) {
		snprintf(prompt, sizeof(prompt), "%s", p);
		for (char *q = prompt; *q; q++)
			if (is_ctrl((unsigned char)*q) || *q == '\n')
				*q = '?';
	}
}

static void on_sigint(int sig)
{
	(void)sig;
	vtc_interrupted = 1;
}

/* Runs one line; errors are printed on errf.  On the tty, Ctrl-C is a
 * signal again while vtish waits for vtid, so a command that takes long can
 * be given up on (it goes on in vtid; its reply is skipped). */
static int exec_line(const char *line, FILE *errf)
{
	vtc_interrupted = 0;
	if (tty_changed)
		tcsetattr(STDIN_FILENO, TCSANOW, &wait_tty);
	struct json_object *r = vtc_call(&conn, "exec", line);
	int err = errno;
	if (tty_changed)
		tcsetattr(STDIN_FILENO, TCSANOW, &edit_tty);
	if (!r && err == EINTR && vtc_interrupted) {
		fputs("\n% interrupted: vtid goes on with the command, its output is dropped\n",
		      errf);
		fflush(errf);
		return EXEC_FAILED;
	}
	errno = err;
	if (!r)
		lost();
	int rc = EXEC_OK;
	if (vtc_bool(r, "ok")) {
		put_output(vtc_str(r, "output"));
		if (vtc_bool(r, "close"))
			rc = EXEC_CLOSE;
	} else {
		fflush(stdout);
		put_text(errf, *vtc_str(r, "error") ? vtc_str(r, "error") : "% command failed");
		rc = EXEC_FAILED;
	}
	fflush(stdout);
	fflush(errf);
	take_prompt(r);
	json_object_put(r);
	return rc;
}

static bool ends_in_word(const char *line)
{
	size_t n = strlen(line);
	return n && line[n - 1] != ' ' && line[n - 1] != '\t';
}

/* The `?` answer for `line` on f: after a partial word, the words it may
 * complete to (IOS: "sh?" -> "show  ssh"); after a space, what may come next
 * with its help.  Returns 0, or 1 when vtid refused the line. */
static int print_help(const char *line, FILE *f)
{
	bool partial = ends_in_word(line);
	struct json_object *r = vtc_call(&conn, partial ? "complete" : "help", line);
	struct json_object *list;
	int rc = 0;
	if (!r)
		lost();
	if (!vtc_bool(r, "ok")) {
		put_text(f, *vtc_str(r, "error") ? vtc_str(r, "error") : "% Unrecognized command");
		rc = 1;
	} else if (json_object_object_get_ex(r, partial ? "candidates" : "help", &list) &&
		   json_object_is_type(list, json_type_array)) {
		size_t n = json_object_array_length(list);
		int width = 0;
		if (n == 0)
			fputs("% Unrecognized command\n", f);
		for (size_t i = 0; i < n && !partial; i++) {
			const char *tok = json_object_get_string(
			    json_object_array_get_idx(json_object_array_get_idx(list, i), 0));
			int len = tok ? (int)strlen(tok) : 0;
			if (len > width)
				width = len > 24 ? 24 : len;
		}
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(list, i);
			if (partial) {
				fputs(i ? "  " : "", f);
				const char *cand = json_object_get_string(e);
				put_escaped(f, cand ? cand : "");
				continue;
			}
			const char *tok = json_object_get_string(json_object_array_get_idx(e, 0));
			const char *help = json_object_get_string(json_object_array_get_idx(e, 1));
			tok = tok ? tok : "";
			int pad = width - (int)strlen(tok);
			fputs("  ", f);
			put_escaped(f, tok);
			fprintf(f, "%*s  ", pad > 0 ? pad : 0, "");
			put_escaped(f, help ? help : "");
			fputc('\n', f);
		}
		if (partial && n)
			fputc('\n', f);
	}
	fflush(f);
	json_object_put(r);
	return rc;
}

/* ---- readline ---- */

static int key_help(int count, int key)
{
	(void)count;
	(void)key;
	char *upto = strndup(rl_line_buffer, (size_t)rl_point);
	if (!upto)
		return 1;
	int point = rl_point;
	/* Show the '?' at the end of the line, answer below, then draw the
	 * prompt and the line again exactly as they were. */
	rl_point = rl_end;
	rl_redisplay();
	fputs("?\n", rl_outstream);
	print_help(upto, rl_outstream);
	free(upto);
	rl_point = point;
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

static int key_end(int count, int key)
{
	(void)count;
	if (!in_config()) {
		rl_ding();
		return 0;
	}
	rl_replace_line("end", 0);
	rl_point = rl_end;
	line_from_ctrlz = true;
	return rl_newline(1, key);
}

static int key_cancel(int count, int key)
{
	(void)count;
	(void)key;
	rl_point = rl_end;
	rl_redisplay();
	fputs("^C\n", rl_outstream);
	rl_replace_line("", 0);
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

static char *candidate_gen(const char *text, int state)
{
	static int i;
	(void)text;
	if (state == 0)
		i = 0;
	return i < ncandidates ? strdup(candidates[i++]) : NULL;
}

static char **attempt_complete(const char *text, int start, int end)
{
	(void)start;
	rl_attempted_completion_over = 1; /* never fall back to file names */
	char *upto = strndup(rl_line_buffer, (size_t)end);
	if (!upto)
		return NULL;
	struct json_object *r = vtc_call(&conn, "complete", upto), *list;
	free(upto);
	if (!r)
		lost();
	free_candidates();
	if (vtc_bool(r, "ok") && json_object_object_get_ex(r, "candidates", &list)) {
		size_t n = json_object_array_length(list);
		for (size_t i = 0;
		     i < n && ncandidates < (int)(sizeof(candidates) / sizeof(*candidates)); i++) {
			const char *s = json_object_get_string(json_object_array_get_idx(list, i));
			if (s && (candidates[ncandidates] = strdup(s)))
				ncandidates++;
		}
	}
	json_object_put(r);
	return ncandidates ? rl_completion_matches(text, candidate_gen) : NULL;
}

static void tty_setup(void)
{
	struct termios t;
	if (tcgetattr(STDIN_FILENO, &saved_tty) < 0)
		return;
	t = saved_tty;
	t.c_cc[VINTR] = _POSIX_VDISABLE;
	t.c_cc[VSUSP] = _POSIX_VDISABLE;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
		edit_tty = t;
		wait_tty = t;
		wait_tty.c_cc[VINTR] = saved_tty.c_cc[VINTR];
		tty_changed = true;
		atexit(restore_tty);
		/* No SA_RESTART: the wait for a reply must return EINTR. */
		struct sigaction sa = {.sa_handler = on_sigint};
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
	}
}

static char *history_path(void)
{
	const char *home = getenv("HOME");
	char *p = NULL;
	if (home && *home && asprintf(&p, "%s/.vtish_history", home) < 0)
		p = NULL;
	return p;
}

static bool is_leave_word(const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strcspn(line, " \t");
	if (line[n + strspn(line + n, " \t")] != '\0')
		return false;
	return (n == 4 && strncmp(line, "exit", 4) == 0) ||
	       (n == 4 && strncmp(line, "quit", 4) == 0) ||
	       (n == 6 && strncmp(line, "logout", 6) == 0);
}

static char *trim(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static int interactive(void)
{
	char *hist = history_path();
	struct json_object *r = vtc_call(&conn, "prompt", NULL);
	if (!r)
		lost();
	if (!vtc_bool(r, "ok")) {
		put_text(stderr, vtc_str(r, "error"));
		json_object_put(r);
		free(hist);
		return 1;
	}
	take_prompt(r);
	json_object_put(r);

	rl_readline_name = "vtish";
	rl_initialize();
	/* Pasted configuration must run line by line, as typed. */
	rl_variable_bind("enable-bracketed-paste", "off");
	rl_completer_word_break_characters = " \t";
	rl_attempted_completion_function = attempt_complete;
	rl_bind_key('?', key_help);
	rl_bind_key(26 /* Ctrl-Z */, key_end);
	rl_bind_key(3 /* Ctrl-C */, key_cancel);
	stifle_history(1000);
	if (hist)
		read_history(hist);
	tty_setup();

	for (;;) {
		line_from_ctrlz = false;
		char *input = readline(prompt);
		if (!input) {
			/* Ctrl-D: leaves configuration like `end`, leaves vtish at EXEC. */
			fputc('\n', stdout);
			if (in_config()) {
				if (exec_line("end", stdout) == EXEC_CLOSE)
					break;
				continue;
			}
			break;
		}
		char *line = trim(input);
		if (!*line) {
			free(input);
			continue;
		}
		if (!line_from_ctrlz) {
			HIST_ENTRY *last =
			    history_length ? history_get(history_base + history_length - 1) : NULL;
			if (!last || strcmp(last->line, line) != 0)
				add_history(line);
		}
		bool at_exec = !in_config();
		int rc = exec_line(line, stdout);
		bool leave = rc == EXEC_CLOSE || (at_exec && is_leave_word(line));
		free(input);
		if (leave)
			break;
	}
	restore_tty();
	if (hist) {
		/* The history may hold pre-shared keys: readable by the owner only. */
		mode_t old = umask(077);
		write_history(hist);
		umask(old);
		chmod(hist, 0600);
		free(hist);
	}
	free_candidates();
	return 0;
}

/* -c commands and piped lines.  A line ending in '?' prints help instead. */
static int run_one(char *line, FILE *errf, bool *leave)
{
	size_t n = strlen(line);
	if (n && line[n - 1] == '?') {
		line[n - 1] = '\0';
		return print_help(line, stdout);
	}
	bool at_exec = !in_config();
	int rc = exec_line(line, errf);
	*leave = rc == EXEC_CLOSE || (at_exec && is_leave_word(line));
	return rc == EXEC_FAILED ? 1 : 0;
}

static int scripted(void)
{
	char *buf = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;
	bool leave = false;
	while (!leave && getline(&buf, &cap, stdin) >= 0) {
		lineno++;
		char *line = trim(buf);
		if (!*line)
			continue;
		if (run_one(line, stderr, &leave)) {
			fprintf(stderr, "vtish: stopped at line %d of the input\n", lineno);
			rc = 1;
			break;
		}
	}
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	char *cmds[MAX_CMDS];
	int ncmds = 0, c, rc = 0;

	sock_path = getenv("VTISH_SOCKET");
	if (!sock_path || !*sock_path)
		sock_path = VTISH_DEFAULT_SOCKET;
	while ((c = getopt(argc, argv, "s:c:h")) != -1) {
		switch (c) {
		case 's':
			sock_path = optarg;
			break;
		case 'c':
			if (ncmds == MAX_CMDS) {
				fprintf(stderr, "vtish: at most %d -c commands\n", MAX_CMDS);
				return 2;
			}
			cmds[ncmds++] = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	int err = vtc_connect(&conn, sock_path);
	if (err < 0) {
		if (err == -EACCES || err == -EPERM)
			fprintf(stderr,
				"vtish: cannot connect to %s: permission denied: are you in group "
				"vtid?\n",
				sock_path);
		else
			fprintf(stderr, "vtish: cannot connect to %s: %s%s\n", sock_path,
				strerror(-err),
				err == -ENOENT || err == -ECONNREFUSED ? " (is vtid running?)"
								       : "");
		return 1;
	}
	if (ncmds) {
		bool leave = false;
		for (int i = 0; i < ncmds && !leave; i++) {
			char *line = trim(cmds[i]);
			if (*line && run_one(line, stderr, &leave)) {
				rc = 1;
				break;
			}
		}
	} else if (isatty(STDIN_FILENO)) {
		rc = interactive();
	} else {
		rc = scripted();
	}
	vtc_close(&conn);
	return rc;
}
