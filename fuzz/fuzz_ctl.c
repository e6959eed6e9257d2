/* fuzz_ctl: control requests.  One control server (vtid/ctl.c) with a small
 * handler lives for the whole run; each input is written by a fresh client
 * connection, the loop runs until the server has answered or dropped it. */
#include <errno.h>
#include <json-c/json.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "lib/loop.h"
#include "vtid/ctl.h"
#include "vtid/show.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *sess_new(void *ctx, const struct ucred *cred)
{
	(void)ctx;
	(void)cred;
	return malloc(1);
}

static void sess_free(void *ctx, void *s)
{
	(void)ctx;
	free(s);
}

static int exec_line(void *ctx, void *s, const char *line, struct sbuf *out)
{
	(void)ctx;
	(void)s;
	sbuf_printf(out, "echo %zu\n", strlen(line));
	return line[0] == 'x';
}

static int list(void *ctx, void *s, const char *line, struct json_object *arr)
{
	(void)ctx;
	(void)s;
	json_object_array_add(arr, json_object_new_string(line));
	return 0;
}

static void prompt(void *ctx, void *s, char *buf, size_t len)
{
	(void)ctx;
	(void)s;
	snprintf(buf, len, "fuzz#");
}

static struct loop *loop;
static struct ctl_server *srv;
static char path[108];

/* libFuzzer exits through exit(): remove the socket file on the way out. */
static void teardown(void)
{
	ctl_server_free(srv);
	loop_free(loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!srv) {
		struct ctl_handler h = {.session_new = sess_new,
					.session_free = sess_free,
					.exec = exec_line,
					.complete = list,
					.help = list,
					.prompt = prompt};
		snprintf(path, sizeof(path), "/tmp/fuzz_ctl.%d.sock", (int)getpid());
		loop = loop_new();
		srv = ctl_server_new(loop, path, &h);
		if (!srv)
			abort();
		atexit(teardown);
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		abort();
	loop_once(loop, 0); /* accept */
	size_t off = 0;
	while (off < size) {
		ssize_t n = send(fd, data + off, size - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
		loop_once(loop, 0);
	}
	shutdown(fd, SHUT_WR);
	char buf[4096];
	for (int i = 0; i < 50; i++) {
		loop_once(loop, 0);
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == 0)
			break;
	}
	close(fd);
	loop_once(loop, 0);
	return 0;
}
