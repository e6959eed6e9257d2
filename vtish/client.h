/* client.h: vtish's side of the control socket (docs/CONTROL.md).
 *
 * Blocking and strictly request/reply: vtish sends one request line and
 * reads lines until the reply carrying the same id arrives. */
#ifndef VTISH_CLIENT_H
#define VTISH_CLIENT_H

#include <signal.h>
#include <stddef.h>

struct json_object;

struct vtc {
	int fd;
	long next_id;
	char *buf; /* bytes read past the last reply */
	size_t len, cap;
};

/* 0, or -errno (the socket missing, vtid not running, no permission). */
int vtc_connect(struct vtc *c, const char *path);
void vtc_close(struct vtc *c);

/* Sends {"id":N,"op":op[,"line":line]} and returns the reply (caller puts
 * it), or NULL with errno set: EPIPE/ECONNRESET when vtid went away, EPROTO
 * for a reply that isn't JSON, EINTR when vtc_interrupted was set.  A refusal sent without an id
 * (too many clients) is returned as the reply. */
struct json_object *vtc_call(struct vtc *c, const char *op, const char *line);

/* Set by a signal handler: a vtc_call waiting for its reply gives up with
 * EINTR (the reply, when it comes, is skipped by the next call). */
extern volatile sig_atomic_t vtc_interrupted;

/* Field helpers on a reply; "" / 0 when absent. */
const char *vtc_str(struct json_object *reply, const char *key);
int vtc_bool(struct json_object *reply, const char *key);

#endif
