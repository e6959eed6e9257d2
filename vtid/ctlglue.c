/* ctlglue.c: hands each control connection a command session. */
#include "vtid/ctlglue.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "vtid/cmd.h"
#include "vtid/ctl.h"
#include "vtid/daemon.h"

static void *session_new(void *ctx, const struct ucred *cred)
{
	return cmd_session_new(ctx, cred);
}

static void session_free(void *ctx, void *session)
{
	(void)ctx;
	cmd_session_free(session);
}

static int exec(void *ctx, void *session, const char *line, struct sbuf *out)
{
	(void)ctx;
	if (!cmd_session_configuring(session)) {
		const char *p = line + strspn(line, " \t");
		size_t n = strcspn(p, " \t");
		if (n > 0 && p[n + strspn(p + n, " \t")] == '\0' &&
		    (strncmp(p, "exit", n) == 0 || strncmp(p, "quit", n) == 0 ||
		     strncmp(p, "logout", n) == 0) && n >= 2)
			return CTL_EXEC_CLOSE;
	}
	return cmd_exec(session, line, out);
}

static int complete(void *ctx, void *session, const char *line, struct json_object *arr)
{
	(void)ctx;
	return cmd_complete(session, line, arr);
}

static int help(void *ctx, void *session, const char *line, struct json_object *arr)
{
	(void)ctx;
	return cmd_help(session, line, arr);
}

static void prompt(void *ctx, void *session, char *buf, size_t len)
{
	(void)ctx;
	cmd_prompt(session, buf, len);
}

int ctlglue_start(struct vtid *v)
{
	struct ctl_handler h = {.ctx = v,
				.session_new = session_new,
				.session_free = session_free,
				.exec = exec,
				.complete = complete,
				.help = help,
				.prompt = prompt};
	v->ctl = ctl_server_new(v->loop, v->opts.sock_path, &h);
	if (!v->ctl) {
		int err = errno;
		log_err("control socket %s: %s", v->opts.sock_path, strerror(err));
		return -err;
	}
	/* Operators in group vtid use vtish without root (docs/INSTALL.md). */
	return ctl_server_restrict(v->ctl, "vtid");
}

void ctlglue_stop(struct vtid *v)
{
	ctl_server_free(v->ctl);
	v->ctl = NULL;
}
