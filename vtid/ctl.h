/* ctl.h: vtid's control socket, the server half of what vtish talks to.
 *
 * A Unix stream socket (default /run/vtid/vtid.sock, mode 0660, its folder
 * created 0755) carrying newline-delimited JSON: one request object per line,
 * one reply object per line, in order.  The protocol is in docs/CONTROL.md.
 *
 * The server runs inside vtid's single-threaded loop (lib/loop.h) and knows
 * no commands: each connection gets a session from the handler (the command
 * layer, vtid/cmd.h), and exec / complete / help / prompt requests are handed
 * to it.  Everything that arrives is hostile: a request line is capped, bad
 * JSON or a bad field gets {"ok":false,"error":...} and the connection stays
 * usable, and no client can stall the daemon — sockets are non-blocking,
 * replies wait in a per-client queue, a client whose queue is over a high
 * mark is not read from until it drains, and a client that has replies
 * pending but reads nothing for stall_ms (or whose queue would pass
 * max_queue) is dropped.  Every such event is counted (ctl_server_stats).
 * Request lines are never logged: they may carry pre-shared keys. */
#ifndef VTID_CTL_H
#define VTID_CTL_H

#include <sys/socket.h> /* struct ucred */
#include <stddef.h>
#include <stdint.h>

struct loop;
struct sbuf; /* vtid/show.h: the growing text buffer exec writes into */
struct json_object;

/* exec's result for a command that succeeded and ends the session (`exit`
 * at EXEC level): the reply carries "close":true and the server closes the
 * connection once the reply is written. */
#define CTL_EXEC_CLOSE 0x10000

struct ctl_handler {
	void *ctx;
	/* One session per connection (mode stack etc.); NULL = refuse the client.
	 * cred: the client's uid/gid/pid (SO_PEERCRED), NULL if unknown. */
	void *(*session_new)(void *ctx, const struct ucred *cred);
	void (*session_free)(void *ctx, void *session);
	/* Runs one line.  Output goes to `out`; returns 0, CTL_EXEC_CLOSE, or any
	 * other value for a failure (the error text is what was written to out). */
	int (*exec)(void *ctx, void *session, const char *line, struct sbuf *out);
	/* TAB: words that complete the line's last partial word, appended to arr
	 * as strings (or as [token, help] pairs; the server keeps the token).
	 * Negative = the words before it don't match. */
	int (*complete)(void *ctx, void *session, const char *line, struct json_object *arr);
	/* `?`: [token, help] pairs for what may come next ("<cr>" when the line is
	 * complete), appended to arr.  Negative = the line doesn't match. */
	int (*help)(void *ctx, void *session, const char *line, struct json_object *arr);
	/* "R2>" / "R2#" / "R2(config-if)#" */
	void (*prompt)(void *ctx, void *session, char *buf, size_t len);
};

struct ctl_limits {
	size_t max_line;      /* longest request line, bytes (default 65536) */
	size_t high_mark;     /* stop reading a client whose queue is above (default 256 KiB) */
	size_t max_queue;     /* replies queued for one client (default 64 MiB); one reply
			       * into an empty queue is always accepted, whatever its size */
	unsigned max_clients; /* connections at once (default 256); more are refused */
	unsigned stall_ms;    /* pending replies and nothing read for this long: drop (10 s) */
};

struct ctl_stats {
	uint64_t accepted;     /* connections accepted */
	uint64_t refused;      /* refused: too many clients, or no session */
	uint64_t current;      /* connections open now */
	uint64_t requests;     /* well-formed requests served */
	uint64_t bad_requests; /* malformed JSON, bad fields, unknown ops */
	uint64_t oversize;     /* request lines over max_line */
	uint64_t dropped_slow; /* clients dropped for not reading their replies */
	uint64_t exec_failed;  /* exec requests whose command failed */
};

/* Creates the socket and starts serving on loop.  A stale socket file left by
 * a dead vtid is replaced; a live one (something accepts connections on it)
 * or a non-socket file at path is not: NULL with errno EADDRINUSE / EEXIST.
 * The handler is copied. */
struct ctl_server *ctl_server_new(struct loop *loop, const char *path, const struct ctl_handler *h);
/* Closes every connection (freeing their sessions), the socket, and removes
 * the socket file.  NULL-safe. */
void ctl_server_free(struct ctl_server *srv);

/* Zero fields keep their current value; applies to existing clients too. */
/* Who may connect: when `group` exists, its members and root (the socket
 * becomes owner:group, mode 0660); else root alone (mode 0600).  Returns 0
 * or -errno (the socket could not be narrowed at all). */
int ctl_server_restrict(struct ctl_server *srv, const char *group);
void ctl_server_set_limits(struct ctl_server *srv, const struct ctl_limits *lim);
void ctl_server_stats(const struct ctl_server *srv, struct ctl_stats *st);

#endif
