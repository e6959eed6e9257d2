/* ctl.c: the control socket server (see ctl.h, docs/CONTROL.md).
 *
 * Per client: an input buffer that holds at most one request line
 * (max_line), and an output queue of serialized replies.  Reading and
 * replying:
 *   - bytes are read only while the output queue is at or under high_mark,
 *     so a client that writes without reading throttles itself, not vtid;
 *   - each complete line is one request, answered in order; a line longer
 *     than max_line is answered with an error once and skipped up to its
 *     newline, and the connection goes on;
 *   - replies are written at once when the socket takes them; the rest waits
 *     with EPOLLOUT armed and a stall timer that is pushed back each time the
 *     client takes bytes.  When the timer fires, or a reply would grow a
 *     non-empty queue past max_queue, the client is dropped;
 *   - EOF from the client: the requests already read are answered, then the
 *     connection closes when the queue is empty.
 * A client is freed only from its own callbacks (fd or timer) or from
 * ctl_server_free; the helpers that may free it return -1 so callers stop
 * touching it. */
#include "vtid/ctl.h"

#include <errno.h>
#include <grp.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/loop.h"
#include "vtid/show.h"

enum {
	CTL_DEF_MAX_LINE = 65536,
	CTL_DEF_HIGH_MARK = 256 * 1024,
	CTL_DEF_MAX_QUEUE = 64 * 1024 * 1024,
	CTL_DEF_MAX_CLIENTS = 256,
	CTL_DEF_STALL_MS = 10000,
	CTL_ACCEPT_PAUSE_MS = 200, /* listener rest after EMFILE, so it doesn't spin */
	CTL_READ_CHUNK = 16384,
	CTL_PROMPT_MAX = 256,
	CTL_JSON_DEPTH = 8,
};

struct ctl_client {
	struct ctl_server *srv;
	struct ctl_client *next, **pprev;
	int fd;
	void *session;
	char *in;
	size_t in_len, in_cap;
	bool discarding; /* skipping the tail of an oversize line */
	bool eof;	 /* the client shut down its side */
	bool closing;	 /* close once the queue is empty */
	char *out;
	size_t out_off, out_len, out_cap; /* pending bytes are out[out_off, out_len) */
	uint32_t events;
	struct loop_timer stall;
};

struct ctl_server {
	struct loop *loop;
	struct ctl_handler h;
	struct ctl_limits lim;
	struct ctl_stats st;
	int fd;
	char *path;
	dev_t dev;
	ino_t ino;
	struct ctl_client *clients;
	struct loop_timer accept_pause;
};

static void client_free(struct ctl_client *c);

/* ---- the output queue ---- */

static size_t out_pending(const struct ctl_client *c)
{
	return c->out_len - c->out_off;
}

static void client_set_events(struct ctl_client *c)
{
	uint32_t ev = 0;
	if (!c->eof && !c->closing && out_pending(c) <= c->srv->lim.high_mark)
		ev |= EPOLLIN;
	if (out_pending(c))
		ev |= EPOLLOUT;
	if (ev != c->events) {
		loop_mod_fd(c->srv->loop, c->fd, ev);
		c->events = ev;
	}
}

/* Writes what the socket takes.  Returns 0, or -1 when the client was freed
 * (error, or done and closing). */
static int client_flush(struct ctl_client *c)
{
	bool progress = false;
	while (out_pending(c)) {
		ssize_t n =
		    send(c->fd, c->out + c->out_off, out_pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			log_dbg(LOG_DBG_CTL, "ctl: client %d: send: %s", c->fd, strerror(errno));
			client_free(c);
			return -1;
		}
		c->out_off += (size_t)n;
		progress = true;
	}
	if (!out_pending(c)) {
		c->out_off = c->out_len = 0;
		/* A big reply's buffer isn't kept for the life of the session. */
		if (c->out_cap > 65536) {
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
		loop_timer_cancel(&c->stall);
		if (c->closing || (c->eof && c->in_len == 0)) {
			client_free(c);
			return -1;
		}
	} else if (progress || !loop_timer_armed(&c->stall)) {
		loop_timer_arm(c->srv->loop, &c->stall, c->srv->lim.stall_ms);
	}
	client_set_events(c);
	return 0;
}

static void drop_slow(struct ctl_client *c, const char *why)
{
	c->srv->st.dropped_slow++;
	log_warn_rl("ctl: dropping client %d: %s", c->fd, why);
	client_free(c);
}

/* Queues one reply (a line of JSON).  Returns 0, or -1 when the client was
 * freed (too far behind, out of memory, socket error). */
static int client_reply(struct ctl_client *c, struct json_object *reply)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
	    reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!s) {
		client_free(c);
		return -1;
	}
	if (out_pending(c) && out_pending(c) + len + 1 > c->srv->lim.max_queue) {
		drop_slow(c, "reply queue full");
		return -1;
	}
	if (c->out_off && c->out_len + len + 1 > c->out_cap) {
		memmove(c->out, c->out + c->out_off, out_pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len + 1 > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len + 1)
			cap *= 2;
		char *nb = realloc(c->out, cap);
		if (!nb) {
			log_err("ctl: client %d: out of memory for a %zu-byte reply", c->fd, len);
			client_free(c);
			return -1;
		}
		c->out = nb;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, s, len);
	c->out[c->out_len + len] = '\n';
	c->out_len += len + 1;
	return client_flush(c);
}

/* ---- requests ---- */

static struct json_object *reply_new(struct json_object *id, bool ok)
{
	struct json_object *r = json_object_new_object();
	if (!r)
		return NULL;
	if (id)
		json_object_object_add(r, "id", json_object_get(id));
	json_object_object_add(r, "ok", json_object_new_boolean(ok));
	return r;
}

static int reply_error(struct ctl_client *c, struct json_object *id, const char *msg)
{
	struct json_object *r = reply_new(id, false);
	if (!r) {
		client_free(c);
		return -1;
	}
	json_object_object_add(r, "error", json_object_new_string(msg));
	int rc = client_reply(c, r);
	json_object_put(r);
	return rc;
}

static int bad_request(struct ctl_client *c, struct json_object *id, const char *msg)
{
	c->srv->st.bad_requests++;
	log_dbg(LOG_DBG_CTL, "ctl: client %d: bad request: %s", c->fd, msg);
	return reply_error(c, id, msg);
}

static void add_prompt(struct ctl_client *c, struct json_object *r)
{
	char prompt[CTL_PROMPT_MAX] = "";
	if (c->srv->h.prompt)
		c->srv->h.prompt(c->srv->h.ctx, c->session, prompt, sizeof(prompt));
	prompt[sizeof(prompt) - 1] = '\0';
	json_object_object_add(r, "prompt", json_object_new_string(prompt));
}

static void op_exec(struct ctl_client *c, const char *line, struct json_object *r, bool *bye)
{
	struct sbuf out = {0};
	int rc = c->srv->h.exec(c->srv->h.ctx, c->session, line, &out);
	const char *text = out.buf ? out.buf : "";
	if (out.failed || out.len > (size_t)INT32_MAX / 2) {
		json_object_object_add(r, "ok", json_object_new_boolean(false));
		json_object_object_add(r, "error", json_object_new_string("% out of memory"));
		c->srv->st.exec_failed++;
	} else if (rc == 0 || rc == CTL_EXEC_CLOSE) {
		json_object_object_add(r, "output", json_object_new_string_len(text, (int)out.len));
		if (rc == CTL_EXEC_CLOSE) {
			json_object_object_add(r, "close", json_object_new_boolean(true));
			*bye = true;
		}
	} else {
		json_object_object_add(r, "ok", json_object_new_boolean(false));
		json_object_object_add(r, "error",
				       out.len ? json_object_new_string_len(text, (int)out.len)
					       : json_object_new_string("% command failed"));
		c->srv->st.exec_failed++;
	}
	sbuf_free(&out);
	add_prompt(c, r);
}

/* complete and help: the handler fills a raw array; the reply carries a
 * normalized one (candidates: strings; help: [token, help] string pairs) so a
 * client never sees the handler's variations. */
static void op_list(struct ctl_client *c, const char *line, struct json_object *r, bool help)
{
	struct json_object *raw = json_object_new_array();
	struct json_object *list = json_object_new_array();
	int rc = raw && list ? (help ? c->srv->h.help : c->srv->h.complete)(c->srv->h.ctx,
									    c->session, line, raw)
			     : -ENOMEM;
	if (rc < 0) {
		json_object_object_add(r, "ok", json_object_new_boolean(false));
		json_object_object_add(r, "error",
				       json_object_new_string(rc == -ENOMEM
								  ? "% out of memory"
								  : "% Unrecognized command"));
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(raw); i++) {
		struct json_object *e = json_object_array_get_idx(raw, i), *tok = e, *txt = NULL;
		if (json_object_is_type(e, json_type_array)) {
			tok = json_object_array_get_idx(e, 0);
			txt = json_object_array_get_idx(e, 1);
		}
		if (!json_object_is_type(tok, json_type_string))
			continue;
		if (!help) {
			json_object_array_add(list, json_object_get(tok));
			continue;
		}
		struct json_object *pair = json_object_new_array();
		json_object_array_add(pair, json_object_get(tok));
		json_object_array_add(pair, json_object_is_type(txt, json_type_string)
						? json_object_get(txt)
						: json_object_new_string(""));
		json_object_array_add(list, pair);
	}
	json_object_object_add(r, help ? "help" : "candidates", list);
	list = NULL;
out:
	json_object_put(raw);
	json_object_put(list);
}

/* A line for the command layer: one line of text, no NULs or line breaks
 * (which would let one request smuggle several commands). */
static const char *check_line(struct json_object *req, const char **why)
{
	struct json_object *v;
	if (!json_object_object_get_ex(req, "line", &v)) {
		*why = "missing \"line\"";
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string)) {
		*why = "\"line\" must be a string";
		return NULL;
	}
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (memchr(s, '\0', n) || memchr(s, '\n', n) || memchr(s, '\r', n)) {
		*why = "\"line\" must be one line of text (no NUL, CR or LF)";
		return NULL;
	}
	return s;
}

/* Answers one request line.  Returns 0, or -1 when the client was freed. */
static int handle_line(struct ctl_client *c, char *line, size_t len)
{
	struct ctl_server *srv = c->srv;
	struct json_object *req = NULL, *id = NULL, *v, *r = NULL;
	const char *why = NULL, *text = NULL;
	bool bye = false;
	int rc;

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	size_t lead = 0;
	while (lead < len && (line[lead] == ' ' || line[lead] == '\t'))
		lead++;
	if (lead == len)
		return 0; /* blank lines are ignored: handy for people typing JSON by hand */
	if (memchr(line, '\0', len))
		return bad_request(c, NULL, "request contains a NUL byte");

	struct json_tokener *tok = json_tokener_new_ex(CTL_JSON_DEPTH);
	if (!tok) {
		client_free(c);
		return -1;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	req = json_tokener_parse_ex(tok, line, (int)len);
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!req || jerr != json_tokener_success) {
		char msg[128];
		snprintf(msg, sizeof(msg), "malformed JSON: %s",
			 jerr == json_tokener_continue ? "incomplete request"
						       : json_tokener_error_desc(jerr));
		json_object_put(req);
		return bad_request(c, NULL, msg);
	}
	if (end < len) {
		json_object_put(req);
		return bad_request(c, NULL, "malformed JSON: data after the request object");
	}
	if (!json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return bad_request(c, NULL, "a request must be a JSON object");
	}
	if (json_object_object_get_ex(req, "id", &id) && !json_object_is_type(id, json_type_int) &&
	    !json_object_is_type(id, json_type_string)) {
		json_object_put(req);
		return bad_request(c, NULL, "\"id\" must be an integer or a string");
	}
	if (!json_object_object_get_ex(req, "op", &v) ||
	    !json_object_is_type(v, json_type_string)) {
		why = "missing \"op\" (exec, complete, help or prompt)";
		goto bad;
	}
	const char *op = json_object_get_string(v);
	bool is_exec = strcmp(op, "exec") == 0, is_complete = strcmp(op, "complete") == 0,
	     is_help = strcmp(op, "help") == 0;
	if (!is_exec && !is_complete && !is_help && strcmp(op, "prompt") != 0) {
		why = "unknown \"op\" (exec, complete, help or prompt)";
		goto bad;
	}
	if ((is_exec || is_complete || is_help) && !(text = check_line(req, &why)))
		goto bad;
	if ((is_exec && !srv->h.exec) || (is_complete && !srv->h.complete) ||
	    (is_help && !srv->h.help)) {
		why = "operation not supported";
		goto bad;
	}

	srv->st.requests++;
	r = reply_new(id, true);
	if (!r) {
		json_object_put(req);
		client_free(c);
		return -1;
	}
	if (is_exec)
		op_exec(c, text, r, &bye);
	else if (is_complete || is_help)
		op_list(c, text, r, is_help);
	else
		add_prompt(c, r);
	json_object_put(req);
	if (bye)
		c->closing = true;
	rc = client_reply(c, r);
	json_object_put(r);
	return rc;
bad:
	json_object_get(id); /* id lives in req */
	json_object_put(req);
	rc = bad_request(c, id, why);
	json_object_put(id);
	return rc;
}

/* Answers the complete lines in the input buffer, stopping when the queue
 * passes the high mark (the rest waits for the client to read).  Returns 0,
 * or -1 when the client was freed. */
static int process_input(struct ctl_client *c)
{
	size_t start = 0;
	int rc = 0;
	while (start < c->in_len && !c->closing && out_pending(c) <= c->srv->lim.high_mark) {
		char *nl = memchr(c->in + start, '\n', c->in_len - start);
		if (c->discarding) {
			if (!nl) {
				start = c->in_len;
				break;
			}
			c->discarding = false;
			start = (size_t)(nl - c->in) + 1;
			continue;
		}
		if (!nl) {
			if (c->eof) {
				/* a last request without its newline */
				nl = c->in + c->in_len;
			} else {
				break;
			}
		}
		size_t len = (size_t)(nl - (c->in + start));
		size_t next = nl == c->in + c->in_len ? c->in_len : (size_t)(nl - c->in) + 1;
		/* Hold the line's bytes in place while it is handled; the buffer is
		 * not touched by anything the handler can reach. */
		rc = handle_line(c, c->in + start, len);
		if (rc < 0)
			return -1;
		start = next;
	}
	if (start) {
		memmove(c->in, c->in + start, c->in_len - start);
		c->in_len -= start;
	}
	if (c->in_len >= c->srv->lim.max_line && !c->discarding &&
	    !memchr(c->in, '\n', c->in_len)) {
		/* A full buffer with no newline in it: an oversize request. */
		c->srv->st.oversize++;
		c->in_len = 0;
		c->discarding = true;
		if (bad_request(c, NULL, "request too long") < 0)
			return -1;
	}
	if (c->eof && c->in_len && c->discarding)
		c->in_len = 0;
	if (c->eof && c->in_len == 0 && !out_pending(c)) {
		client_free(c);
		return -1;
	}
	client_set_events(c);
	return 0;
}

static int client_read(struct ctl_client *c)
{
	size_t want = c->srv->lim.max_line;
	if (c->in_cap < want) {
		size_t cap = c->in_cap ? c->in_cap : 4096;
		while (cap < want && cap - c->in_len < CTL_READ_CHUNK)
			cap *= 2;
		if (cap > want)
			cap = want;
		if (cap != c->in_cap) {
			char *nb = realloc(c->in, cap);
			if (!nb) {
				client_free(c);
				return -1;
			}
			c->in = nb;
			c->in_cap = cap;
		}
	}
	if (c->in_len >= c->in_cap) /* full: process_input sorts it out */
		return process_input(c);
	ssize_t n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
	if (n < 0) {
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		log_dbg(LOG_DBG_CTL, "ctl: client %d: recv: %s", c->fd, strerror(errno));
		client_free(c);
		return -1;
	}
	if (n == 0)
		c->eof = true;
	c->in_len += (size_t)n;
	return process_input(c);
}

static void on_client(void *arg, int fd, uint32_t events)
{
	struct ctl_client *c = arg;
	(void)fd;
	if (events & EPOLLERR) {
		client_free(c);
		return;
	}
	if ((events & EPOLLOUT) && out_pending(c)) {
		if (client_flush(c) < 0)
			return;
		/* Drained under the high mark: go on with lines already read. */
		if (c->in_len && !c->discarding && out_pending(c) <= c->srv->lim.high_mark &&
		    process_input(c) < 0)
			return;
	}
	if (events & (EPOLLIN | EPOLLHUP)) {
		if (c->events & EPOLLIN) {
			client_read(c);
		} else if ((events & EPOLLHUP) && !(events & EPOLLIN)) {
			/* Both directions gone: nothing more can be written. */
			client_free(c);
		}
	}
}

static void on_stall(void *arg)
{
	struct ctl_client *c = arg;
	drop_slow(c, "it does not read its replies");
}

static void client_free(struct ctl_client *c)
{
	struct ctl_server *srv = c->srv;
	if (c->session && srv->h.session_free)
		srv->h.session_free(srv->h.ctx, c->session);
	loop_timer_cancel(&c->stall);
	loop_del_fd(srv->loop, c->fd);
	close(c->fd);
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	srv->st.current--;
	free(c->in);
	free(c->out);
	free(c);
}

/* ---- the listening socket ---- */

static void refuse(struct ctl_server *srv, int fd, const char *why)
{
	/* Best effort: a one-line reason the client can print, then close. */
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "{\"ok\":false,\"error\":\"%s\"}\n", why);
	if (send(fd, msg, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_dbg(LOG_DBG_CTL, "ctl: refusing client: %s", strerror(errno));
	close(fd);
	srv->st.refused++;
	log_warn_rl("ctl: refused a connection: %s", why);
}

static void accept_resume(void *arg)
{
	struct ctl_server *srv = arg;
	loop_mod_fd(srv->loop, srv->fd, EPOLLIN);
}

static void on_listen(void *arg, int lfd, uint32_t events)
{
	struct ctl_server *srv = arg;
	(void)events;
	for (int i = 0; i < 16; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				log_warn_rl("ctl: accept: %s", strerror(errno));
				loop_mod_fd(srv->loop, lfd, 0);
				loop_timer_arm(srv->loop, &srv->accept_pause, CTL_ACCEPT_PAUSE_MS);
			}
			return;
		}
		if (srv->st.current >= srv->lim.max_clients) {
			refuse(srv, fd, "too many control connections");
			continue;
		}
		struct ctl_client *c = calloc(1, sizeof(*c));
		if (!c) {
			refuse(srv, fd, "out of memory");
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		loop_timer_init(&c->stall, on_stall, c);
		struct ucred cred;
		socklen_t cl = sizeof(cred);
		bool have_cred = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) == 0 &&
				 cl == sizeof(cred);
		c->session = srv->h.session_new
				 ? srv->h.session_new(srv->h.ctx, have_cred ? &cred : NULL)
				 : NULL;
		if ((srv->h.session_new && !c->session) ||
		    loop_add_fd(srv->loop, fd, EPOLLIN, on_client, c) < 0) {
			if (c->session && srv->h.session_free)
				srv->h.session_free(srv->h.ctx, c->session);
			free(c);
			refuse(srv, fd, "no session available");
			continue;
		}
		c->events = EPOLLIN;
		c->next = srv->clients;
		if (c->next)
			c->next->pprev = &c->next;
		c->pprev = &srv->clients;
		srv->clients = c;
		srv->st.accepted++;
		srv->st.current++;
		log_dbg(LOG_DBG_CTL, "ctl: client %d connected", fd);
	}
}

/* mkdir -p for the socket's folder: each missing component 0755. */
static int make_parent(const char *path)
{
	char *dir = strdup(path);
	if (!dir)
		return -ENOMEM;
	char *slash = strrchr(dir, '/');
	int err = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		for (char *p = dir + 1;; p++) {
			if (*p == '/' || *p == '\0') {
				char saved = *p;
				*p = '\0';
				if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
					err = -errno;
					break;
				}
				*p = saved;
				if (!saved)
					break;
			}
		}
	}
	free(dir);
	return err;
}

/* A socket file already at path: a dead vtid's (connect refused) is removed,
 * a live one's or anything that isn't a socket is left alone. */
static int clear_stale(const char *path, const struct sockaddr_un *sa)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int rc = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int cerr = errno;
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (cerr != ECONNREFUSED)
		return -cerr;
	return unlink(path) < 0 ? -errno : 0;
}

struct ctl_server *ctl_server_new(struct loop *loop, const char *path, const struct ctl_handler *h)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ctl_server *srv = NULL;
	struct stat st;
	int err;

	if (!loop || !path || !h) {
		errno = EINVAL;
		return NULL;
	}
	if (strlen(path) >= sizeof(sa.sun_path)) {
		log_err("ctl: socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	srv = calloc(1, sizeof(*srv));
	if (!srv || !(srv->path = strdup(path))) {
		err = -ENOMEM;
		goto fail;
	}
	srv->fd = -1;
	srv->loop = loop;
	srv->h = *h;
	srv->lim = (struct ctl_limits){.max_line = CTL_DEF_MAX_LINE,
				       .high_mark = CTL_DEF_HIGH_MARK,
				       .max_queue = CTL_DEF_MAX_QUEUE,
				       .max_clients = CTL_DEF_MAX_CLIENTS,
				       .stall_ms = CTL_DEF_STALL_MS};
	loop_timer_init(&srv->accept_pause, accept_resume, srv);
	if ((err = make_parent(path)) < 0 || (err = clear_stale(path, &sa)) < 0)
		goto fail;
	srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (srv->fd < 0) {
		err = -errno;
		goto fail;
	}
	/* The umask keeps the socket from ever being wider than 0660, even
	 * between bind and chmod. */
	mode_t old = umask(0117);
	err = bind(srv->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (err < 0)
		goto fail;
	if (chmod(path, 0660) < 0 || lstat(path, &st) < 0 || listen(srv->fd, 128) < 0) {
		err = -errno;
		unlink(path);
		goto fail;
	}
	srv->dev = st.st_dev;
	srv->ino = st.st_ino;
	if ((err = loop_add_fd(loop, srv->fd, EPOLLIN, on_listen, srv)) < 0) {
		unlink(path);
		goto fail;
	}
	log_info("ctl: listening on %s", path);
	return srv;
fail:
	log_err("ctl: %s: %s%s", path, strerror(-err),
		err == -EADDRINUSE ? " (another vtid is serving it)" : "");
	if (srv) {
		if (srv->fd >= 0)
			close(srv->fd);
		free(srv->path);
		free(srv);
	}
	errno = -err;
	return NULL;
}

void ctl_server_free(struct ctl_server *srv)
{
	struct stat st;
	if (!srv)
		return;
	while (srv->clients)
		client_free(srv->clients);
	loop_timer_cancel(&srv->accept_pause);
	loop_del_fd(srv->loop, srv->fd);
	close(srv->fd);
	/* Remove the file only if it is still ours (not a newer vtid's). */
	if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino)
		unlink(srv->path);
	free(srv->path);
	free(srv);
}

int ctl_server_restrict(struct ctl_server *srv, const char *group)
{
	struct group *g = group ? getgrnam(group) : NULL;
	if (g) {
		/* The owner may hand its file to a group it belongs to without
		 * CAP_CHOWN: vtid joined the group before dropping privileges
		 * (privs.c). */
		if (chown(srv->path, (uid_t)-1, g->gr_gid) == 0 && chmod(srv->path, 0660) == 0) {
			log_info("ctl: %s: mode 0660, group %s", srv->path, group);
			return 0;
		}
		log_warn("ctl: %s: cannot give it to group %s (%s): root only", srv->path, group,
			 strerror(errno));
	}
	if (chmod(srv->path, 0600) < 0) {
		int err = -errno;
		log_err("ctl: %s: chmod: %s", srv->path, strerror(errno));
		return err;
	}
	return 0;
}

void ctl_server_set_limits(struct ctl_server *srv, const struct ctl_limits *lim)
{
	if (lim->max_line)
		srv->lim.max_line = lim->max_line;
	if (lim->high_mark)
		srv->lim.high_mark = lim->high_mark;
	if (lim->max_queue)
		srv->lim.max_queue = lim->max_queue;
	if (lim->max_clients)
		srv->lim.max_clients = lim->max_clients;
	if (lim->stall_ms)
		srv->lim.stall_ms = lim->stall_ms;
}

void ctl_server_stats(const struct ctl_server *srv, struct ctl_stats *st)
{
	*st = srv->st;
}
