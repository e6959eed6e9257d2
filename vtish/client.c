/* client.c: the control-socket client (see client.h). */
#include "vtish/client.h"

#include <errno.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

volatile sig_atomic_t vtc_interrupted;

/* A reply is trusted to be vtid's, but not to be small or sane. */
enum { VTC_MAX_REPLY = 512 * 1024 * 1024 };

int vtc_connect(struct vtc *c, const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->next_id = 1;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	c->fd = fd;
	return 0;
}

void vtc_close(struct vtc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads until buf holds a newline; returns its index, or -errno. */
static long read_line(struct vtc *c, size_t *scanned)
{
	for (;;) {
		char *nl =
		    c->len > *scanned ? memchr(c->buf + *scanned, '\n', c->len - *scanned) : NULL;
		if (nl)
			return nl - c->buf;
		*scanned = c->len;
		if (c->len == c->cap) {
			if (c->cap >= VTC_MAX_REPLY)
				return -EMSGSIZE;
			size_t cap = c->cap ? c->cap * 2 : 65536;
			char *nb = realloc(c->buf, cap);
			if (!nb)
				return -ENOMEM;
			c->buf = nb;
			c->cap = cap;
		}
		ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
		if (n < 0 && errno == EINTR) {
			if (vtc_interrupted)
				return -EINTR;
			continue;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		c->len += (size_t)n;
	}
}

struct json_object *vtc_call(struct vtc *c, const char *op, const char *line)
{
	long id = c->next_id++;
	struct json_object *req = json_object_new_object();
	if (!req) {
		errno = ENOMEM;
		return NULL;
	}
	json_object_object_add(req, "id", json_object_new_int64(id));
	json_object_object_add(req, "op", json_object_new_string(op));
	if (line)
		json_object_object_add(req, "line", json_object_new_string(line));
	size_t n;
	const char *s = json_object_to_json_string_length(
	    req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	int err = s ? write_all(c->fd, s, n) : -ENOMEM;
	if (!err)
		err = write_all(c->fd, "\n", 1);
	json_object_put(req);
	if (err) {
		errno = -err;
		return NULL;
	}
	for (;;) {
		size_t scanned = 0;
		long nl = read_line(c, &scanned);
		if (nl < 0) {
			errno = (int)-nl;
			return NULL;
		}
		struct json_tokener *tok = json_tokener_new();
		struct json_object *r = tok ? json_tokener_parse_ex(tok, c->buf, (int)nl) : NULL;
		bool parsed = r && json_tokener_get_error(tok) == json_tokener_success;
		json_tokener_free(tok);
		memmove(c->buf, c->buf + nl + 1, c->len - (size_t)nl - 1);
		c->len -= (size_t)nl + 1;
		if (!parsed || !json_object_is_type(r, json_type_object)) {
			json_object_put(r);
			errno = EPROTO;
			return NULL;
		}
		struct json_object *rid;
		if (!json_object_object_get_ex(r, "id", &rid) || json_object_get_int64(rid) == id)
			return r;
		json_object_put(r); /* a reply to an earlier request we gave up on */
	}
}

const char *vtc_str(struct json_object *reply, const char *key)
{
	struct json_object *v;
	if (!reply || !json_object_object_get_ex(reply, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return "";
	return json_object_get_string(v);
}

int vtc_bool(struct json_object *reply, const char *key)
{
	struct json_object *v;
	if (!reply || !json_object_object_get_ex(reply, key, &v))
		return 0;
	return json_object_get_boolean(v);
}
