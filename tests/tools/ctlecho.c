/* ctlecho: a control-socket server for testing vtish and vtid/ctl.c without
 * the real command layer.
 *
 *   ctlecho -s SOCKET [--max-line N] [--high-mark N] [--max-queue N]
 *           [--max-clients N] [--stall-ms N]
 *
 * It serves vtid/ctl.c with a toy IOS-like grammar of its own (a few modes,
 * keywords matched by unique prefix, `?` help, TAB completion), prints
 * "ready" on stdout once the socket listens, and exits cleanly on SIGTERM or
 * SIGINT.  The grammar:
 *   user EXEC  (ctl>)   enable | exit | show version | show ctl | show big N |
 *                       echo LINE | fail | sleep MS (blocks the whole server)
 *   priv EXEC  (ctl#)   the same, disable, configure terminal (not enable)
 *   config     (ctl(config)#)  hostname WORD | interface WORD |
 *                       crypto ikev2 proposal WORD | crypto ikev2 policy WORD |
 *                       do LINE | exit | end
 *   interface  (ctl(config-if)#)  [no] shutdown | description LINE |
 *                       ip address WORD WORD | exit | end
 *   proposal   (ctl(config-ikev2-proposal)#)  encryption WORD | integrity WORD |
 *                       group N | exit | end
 * `show ctl` prints the server's counters as JSON; `show big N` prints N
 * numbered lines and a last "end of big output" line. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "vtid/ctl.h"
#include "vtid/show.h"

enum mode { M_USER = 1, M_PRIV = 2, M_CONF = 4, M_IF = 8, M_PROP = 16, M_POL = 32 };
enum { M_EXEC = M_USER | M_PRIV, M_SUB = M_IF | M_PROP | M_POL, MAXW = 8, MAXWORDS = 64 };

enum action {
	A_ENABLE,
	A_DISABLE,
	A_EXIT,
	A_END,
	A_VERSION,
	A_CTLSTATS,
	A_BIG,
	A_ECHO,
	A_FAIL,
	A_CONFT,
	A_HOSTNAME,
	A_INTERFACE,
	A_PROPOSAL,
	A_POLICY,
	A_DO,
	A_SHUT,
	A_NOSHUT,
	A_DESCR,
	A_IPADDR,
	A_SETTING,
	A_SLEEP,
};

struct toy_cmd {
	unsigned modes;
	enum action action;
	const char *w[MAXW]; /* keyword, "WORD", "NUM" or "LINE" (rest of line) */
	const char *help[MAXW];
};

static const struct toy_cmd cmds[] = {
    {M_USER, A_ENABLE, {"enable"}, {"Turn on privileged commands"}},
    {M_PRIV, A_DISABLE, {"disable"}, {"Turn off privileged commands"}},
    {M_EXEC | M_CONF | M_SUB, A_EXIT, {"exit"}, {"Exit from the current mode"}},
    {M_CONF | M_SUB, A_END, {"end"}, {"Exit to privileged EXEC mode"}},
    {M_EXEC,
     A_VERSION,
     {"show", "version"},
     {"Show running system information", "System software version"}},
    {M_EXEC,
     A_CTLSTATS,
     {"show", "ctl"},
     {"Show running system information", "Control socket counters"}},
    {M_EXEC,
     A_BIG,
     {"show", "big", "NUM"},
     {"Show running system information", "A long output", "Number of lines"}},
    {M_EXEC, A_ECHO, {"echo", "LINE"}, {"Echo a line", "Text to echo"}},
    {M_EXEC, A_FAIL, {"fail"}, {"A command that always fails"}},
    {M_EXEC,
     A_SLEEP,
     {"sleep", "NUM"},
     {"Block the server (a busy vtid)", "Milliseconds, at most 10000"}},
    {M_PRIV,
     A_CONFT,
     {"configure", "terminal"},
     {"Enter configuration mode", "Configure from the terminal"}},
    {M_CONF,
     A_HOSTNAME,
     {"hostname", "WORD"},
     {"Set system's network name", "This system's network name"}},
    {M_CONF,
     A_INTERFACE,
     {"interface", "WORD"},
     {"Select an interface to configure", "Interface name"}},
    {M_CONF,
     A_PROPOSAL,
     {"crypto", "ikev2", "proposal", "WORD"},
     {"Encryption module", "IKEv2 configuration", "Define IKEv2 proposals", "Proposal name"}},
    {M_CONF,
     A_POLICY,
     {"crypto", "ikev2", "policy", "WORD"},
     {"Encryption module", "IKEv2 configuration", "Define IKEv2 policies", "Policy name"}},
    {M_CONF, A_DO, {"do", "LINE"}, {"To run exec commands in config mode", "Exec command"}},
    {M_IF, A_SHUT, {"shutdown"}, {"Shutdown the selected interface"}},
    {M_IF,
     A_NOSHUT,
     {"no", "shutdown"},
     {"Negate a command or set its defaults", "Shutdown the selected interface"}},
    {M_IF,
     A_DESCR,
     {"description", "LINE"},
     {"Interface specific description", "Up to 240 characters describing this interface"}},
    {M_IF,
     A_IPADDR,
     {"ip", "address", "WORD", "WORD"},
     {"Interface Internet Protocol config commands", "Set the IP address of an interface",
      "IP address", "IP subnet mask"}},
    {M_PROP, A_SETTING, {"encryption", "WORD"}, {"Set encryption algorithm", "Algorithm"}},
    {M_PROP, A_SETTING, {"integrity", "WORD"}, {"Set integrity algorithm", "Algorithm"}},
    {M_PROP, A_SETTING, {"group", "NUM"}, {"Set the Diffie-Hellman group", "DH group number"}},
    {M_POL, A_SETTING, {"proposal", "WORD"}, {"Specify proposal", "Proposal name"}},
};
enum { NCMDS = sizeof(cmds) / sizeof(cmds[0]) };

struct toy {
	char hostname[64];
	struct ctl_server *srv;
	int sessions;
};

struct toy_session {
	enum mode mode;
	char name[64]; /* interface or proposal being configured */
};

static struct toy toy = {.hostname = "ctl"};

static bool is_keyword(const char *w)
{
	return strcmp(w, "WORD") && strcmp(w, "NUM") && strcmp(w, "LINE");
}

static int ntokens(const struct toy_cmd *c)
{
	int n = 0;
	while (n < MAXW && c->w[n])
		n++;
	return n;
}

/* Does typed word w fit token t?  2 = exactly, 1 = as a prefix / a value. */
static int token_fits(const char *t, const char *w)
{
	if (is_keyword(t))
		return strcmp(t, w) == 0 ? 2 : strncmp(t, w, strlen(w)) == 0 ? 1 : 0;
	if (strcmp(t, "NUM") == 0)
		return w[0] && strspn(w, "0123456789") == strlen(w) && strlen(w) < 10;
	return 1;
}

struct words {
	int n;
	char *w[MAXWORDS];
	int col[MAXWORDS]; /* 0-based column of each word */
	char buf[65600];
};

/* Splits line into words; false if it has too many or is too long. */
static bool split(const char *line, struct words *ws)
{
	size_t len = strlen(line);
	if (len >= sizeof(ws->buf))
		return false;
	memcpy(ws->buf, line, len + 1);
	ws->n = 0;
	for (char *p = ws->buf; *p;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (ws->n == MAXWORDS)
			return false;
		ws->col[ws->n] = (int)(p - ws->buf);
		ws->w[ws->n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return true;
}

/* Filters commands of `mode` through the first n words.  alive[i] says
 * which survive.  Returns 0, or the index+1 of the word that broke matching
 * (*ambiguous set when it was an ambiguous keyword). */
static int filter(unsigned mode, const struct words *ws, int n, bool *alive, bool *ambiguous)
{
	*ambiguous = false;
	for (int i = 0; i < NCMDS; i++)
		alive[i] = (cmds[i].modes & mode) != 0;
	for (int k = 0; k < n; k++) {
		bool exact = false, any = false;
		for (int i = 0; i < NCMDS; i++) {
			if (!alive[i])
				continue;
			int nt = ntokens(&cmds[i]);
			/* LINE swallows the rest */
			if (nt && strcmp(cmds[i].w[nt - 1], "LINE") == 0 && k >= nt - 1)
				continue;
			if (k >= nt || !token_fits(cmds[i].w[k], ws->w[k]))
				alive[i] = false;
			else if (token_fits(cmds[i].w[k], ws->w[k]) == 2)
				exact = true;
		}
		const char *kw = NULL;
		for (int i = 0; i < NCMDS; i++) {
			if (!alive[i] || k >= ntokens(&cmds[i]) || !is_keyword(cmds[i].w[k]))
				continue;
			if (exact && strcmp(cmds[i].w[k], ws->w[k]) != 0) {
				alive[i] = false;
				continue;
			}
			if (kw && strcmp(kw, cmds[i].w[k]) != 0)
				*ambiguous = true;
			kw = cmds[i].w[k];
		}
		for (int i = 0; i < NCMDS; i++)
			any |= alive[i];
		if (!any || *ambiguous)
			return k + 1;
	}
	return 0;
}

static const char *mode_suffix(enum mode m)
{
	switch (m) {
	case M_USER:
		return ">";
	case M_PRIV:
		return "#";
	case M_CONF:
		return "(config)#";
	case M_IF:
		return "(config-if)#";
	case M_PROP:
		return "(config-ikev2-proposal)#";
	case M_POL:
		return "(config-ikev2-policy)#";
	}
	return "?";
}

static void *toy_session_new(void *ctx, const struct ucred *cred)
{
	(void)cred;
	struct toy *t = ctx;
	struct toy_session *s = calloc(1, sizeof(*s));
	if (s) {
		s->mode = M_USER;
		t->sessions++;
	}
	return s;
}

static void toy_session_free(void *ctx, void *session)
{
	struct toy *t = ctx;
	t->sessions--;
	free(session);
}

static void toy_prompt(void *ctx, void *session, char *buf, size_t len)
{
	struct toy *t = ctx;
	struct toy_session *s = session;
	snprintf(buf, len, "%s%s", t->hostname, mode_suffix(s->mode));
}

static void show_ctl(struct toy *t, struct sbuf *out)
{
	struct ctl_stats st;
	ctl_server_stats(t->srv, &st);
	sbuf_printf(out,
		    "{\"accepted\":%llu,\"refused\":%llu,\"current\":%llu,\"requests\":%llu,"
		    "\"bad_requests\":%llu,\"oversize\":%llu,\"dropped_slow\":%llu,"
		    "\"exec_failed\":%llu,\"sessions\":%d}\n",
		    (unsigned long long)st.accepted, (unsigned long long)st.refused,
		    (unsigned long long)st.current, (unsigned long long)st.requests,
		    (unsigned long long)st.bad_requests, (unsigned long long)st.oversize,
		    (unsigned long long)st.dropped_slow, (unsigned long long)st.exec_failed,
		    t->sessions);
}

static int toy_exec_in(struct toy *t, struct toy_session *s, enum mode mode, const char *line,
		       struct sbuf *out);

static int run(struct toy *t, struct toy_session *s, const struct toy_cmd *c,
	       const struct words *ws, const char *line, struct sbuf *out)
{
	const char *rest = ws->n ? line + ws->col[ntokens(c) - 1 < ws->n ? ntokens(c) - 1 : 0] : "";
	switch (c->action) {
	case A_ENABLE:
		s->mode = M_PRIV;
		return 0;
	case A_DISABLE:
		s->mode = M_USER;
		return 0;
	case A_EXIT:
		if (s->mode & M_EXEC)
			return CTL_EXEC_CLOSE;
		s->mode = (s->mode & M_SUB) ? M_CONF : M_PRIV;
		return 0;
	case A_END:
		s->mode = M_PRIV;
		return 0;
	case A_VERSION:
		sbuf_printf(out, "ctlecho test server, version 1.0\n");
		return 0;
	case A_CTLSTATS:
		show_ctl(t, out);
		return 0;
	case A_BIG: {
		long n = strtol(ws->w[2], NULL, 10);
		if (n > 10000000)
			n = 10000000;
		for (long i = 1; i <= n; i++)
			sbuf_printf(out, "line %ld of %ld: the quick brown fox jumps\n", i, n);
		sbuf_printf(out, "end of big output\n");
		return 0;
	}
	case A_ECHO:
		sbuf_printf(out, "%s\n", rest);
		return 0;
	case A_FAIL:
		sbuf_printf(out, "%% failed on purpose\n");
		return 1;
	case A_SLEEP: {
		long ms = strtol(ws->w[1], NULL, 10);
		struct timespec ts = {.tv_sec = (ms > 10000 ? 10000 : ms) / 1000,
				      .tv_nsec = (ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		sbuf_printf(out, "slept %ld ms\n", ms);
		return 0;
	}
	case A_CONFT:
		sbuf_printf(out, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
		s->mode = M_CONF;
		return 0;
	case A_HOSTNAME:
		snprintf(t->hostname, sizeof(t->hostname), "%s", ws->w[1]);
		return 0;
	case A_INTERFACE:
		snprintf(s->name, sizeof(s->name), "%s", ws->w[1]);
		s->mode = M_IF;
		return 0;
	case A_PROPOSAL:
	case A_POLICY:
		snprintf(s->name, sizeof(s->name), "%s", ws->w[3]);
		s->mode = c->action == A_PROPOSAL ? M_PROP : M_POL;
		return 0;
	case A_DO:
		return toy_exec_in(t, s, M_PRIV, rest, out);
	case A_SHUT:
	case A_NOSHUT:
		sbuf_printf(out, "%s: %s\n", s->name,
			    c->action == A_SHUT ? "shutdown" : "no shutdown");
		return 0;
	case A_DESCR:
		sbuf_printf(out, "%s: description \"%s\"\n", s->name, rest);
		return 0;
	case A_IPADDR:
		sbuf_printf(out, "%s: address %s mask %s\n", s->name, ws->w[2], ws->w[3]);
		return 0;
	case A_SETTING:
		sbuf_printf(out, "%s: %s %s\n", s->name, c->w[0], ws->w[1]);
		return 0;
	}
	return 1;
}

static int toy_exec_in(struct toy *t, struct toy_session *s, enum mode mode, const char *line,
		       struct sbuf *out)
{
	struct words ws;
	bool alive[NCMDS], amb;
	if (!split(line, &ws)) {
		sbuf_printf(out, "%% line too long\n");
		return 1;
	}
	if (ws.n == 0)
		return 0;
	int bad = filter(mode, &ws, ws.n, alive, &amb);
	if (bad) {
		if (amb) {
			sbuf_printf(out, "%% Ambiguous command:  \"%s\"\n", line);
		} else {
			sbuf_printf(out, "%s\n%*s^\n", line, ws.col[bad - 1], "");
			sbuf_printf(out, "%% Invalid input detected at '^' marker.\n");
		}
		return 1;
	}
	for (int i = 0; i < NCMDS; i++) {
		int nt = ntokens(&cmds[i]);
		bool line_tail = strcmp(cmds[i].w[nt - 1], "LINE") == 0;
		if (alive[i] && (nt == ws.n || (line_tail && ws.n >= nt)))
			return run(t, s, &cmds[i], &ws, line, out);
	}
	sbuf_printf(out, "%% Incomplete command.\n");
	return 1;
}

static int toy_exec(void *ctx, void *session, const char *line, struct sbuf *out)
{
	struct toy_session *s = session;
	return toy_exec_in(ctx, s, s->mode, line, out);
}

/* Words before the partial one must match; collects what may come at
 * position k (filtered by `partial` when completing). */
static int toy_list(void *session, const char *line, struct json_object *arr, bool help)
{
	struct toy_session *s = session;
	struct words ws;
	bool alive[NCMDS], amb, cr = false;
	if (!split(line, &ws))
		return -EINVAL;
	size_t len = strlen(line);
	bool partial = len && line[len - 1] != ' ' && line[len - 1] != '\t';
	int k = partial ? ws.n - 1 : ws.n;
	if (filter(s->mode, &ws, k, alive, &amb))
		return -EINVAL;
	const char *seen[NCMDS];
	int nseen = 0;
	for (int i = 0; i < NCMDS; i++) {
		if (!alive[i])
			continue;
		int nt = ntokens(&cmds[i]);
		if (k >= nt) {
			cr = true;
			continue;
		}
		const char *tok = cmds[i].w[k];
		if (partial && (!is_keyword(tok) || strncmp(tok, ws.w[k], strlen(ws.w[k])) != 0))
			continue;
		bool dup = false;
		for (int j = 0; j < nseen; j++)
			dup |= strcmp(seen[j], tok) == 0;
		if (dup)
			continue;
		seen[nseen++] = tok;
		if (help) {
			struct json_object *pair = json_object_new_array();
			json_object_array_add(pair, json_object_new_string(tok));
			json_object_array_add(pair, json_object_new_string(cmds[i].help[k]));
			json_object_array_add(arr, pair);
		} else {
			json_object_array_add(arr, json_object_new_string(tok));
		}
	}
	if (help && cr && !partial) {
		struct json_object *pair = json_object_new_array();
		json_object_array_add(pair, json_object_new_string("<cr>"));
		json_object_array_add(pair, json_object_new_string(""));
		json_object_array_add(arr, pair);
	}
	return 0;
}

static int toy_complete(void *ctx, void *session, const char *line, struct json_object *arr)
{
	(void)ctx;
	return toy_list(session, line, arr, false);
}

static int toy_help(void *ctx, void *session, const char *line, struct json_object *arr)
{
	(void)ctx;
	return toy_list(session, line, arr, true);
}

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct signalfd_siginfo si;
	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		loop_stop(arg);
}

int main(int argc, char **argv)
{
	enum { O_LINE = 256, O_HIGH, O_QUEUE, O_CLIENTS, O_STALL };
	static const struct option opts[] = {
	    {"max-line", required_argument, NULL, O_LINE},
	    {"high-mark", required_argument, NULL, O_HIGH},
	    {"max-queue", required_argument, NULL, O_QUEUE},
	    {"max-clients", required_argument, NULL, O_CLIENTS},
	    {"stall-ms", required_argument, NULL, O_STALL},
	    {NULL, 0, NULL, 0},
	};
	struct ctl_limits lim = {0};
	const char *path = NULL;
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case O_LINE:
			lim.max_line = strtoul(optarg, NULL, 0);
			break;
		case O_HIGH:
			lim.high_mark = strtoul(optarg, NULL, 0);
			break;
		case O_QUEUE:
			lim.max_queue = strtoul(optarg, NULL, 0);
			break;
		case O_CLIENTS:
			lim.max_clients = (unsigned)strtoul(optarg, NULL, 0);
			break;
		case O_STALL:
			lim.stall_ms = (unsigned)strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: ctlecho -s SOCKET [--max-line N] [--high-mark N] "
					"[--max-queue N] [--max-clients N] [--stall-ms N]\n");
			return 2;
		}
	}
	if (!path) {
		fprintf(stderr, "ctlecho: -s SOCKET is required\n");
		return 2;
	}
	log_init("ctlecho", LOG_TO_STDERR, LOG_INFO);
	signal(SIGPIPE, SIG_IGN);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	struct loop *loop = loop_new();
	if (sfd < 0 || !loop) {
		perror("ctlecho");
		goto out;
	}
	loop_add_fd(loop, sfd, EPOLLIN, on_signal, loop);
	struct ctl_handler h = {.ctx = &toy,
				.session_new = toy_session_new,
				.session_free = toy_session_free,
				.exec = toy_exec,
				.complete = toy_complete,
				.help = toy_help,
				.prompt = toy_prompt};
	toy.srv = ctl_server_new(loop, path, &h);
	if (!toy.srv) {
		fprintf(stderr, "ctlecho: %s: %s\n", path, strerror(errno));
		goto out;
	}
	ctl_server_set_limits(toy.srv, &lim);
	printf("ready\n");
	fflush(stdout);
	rc = loop_run(loop) < 0 ? 1 : 0;
out:
	ctl_server_free(toy.srv);
	if (sfd >= 0) {
		if (loop)
			loop_del_fd(loop, sfd);
		close(sfd);
	}
	loop_free(loop);
	return rc;
}
