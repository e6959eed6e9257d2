/* cmd.h: vtid's command layer — EXEC commands and configuration sessions,
 * served to vtish through the control socket.
 *
 * One cmd_session per control connection holds the mode (EXEC or one of
 * the configuration modes) and, while configuring, a candidate model.
 * Configuration lines are applied IOS style: each accepted line changes the
 * running configuration at once (the candidate is diffed against the
 * running model and applied); a rejected line changes nothing. */
#ifndef VTID_CMD_H
#define VTID_CMD_H

#include <stdbool.h>
#include <stddef.h>

struct vtid;
struct cmd_session;
struct sbuf;
struct json_object;

int cmd_init(struct vtid *v);
void cmd_fini(struct vtid *v);

struct ucred;
/* cred: the client's (SO_PEERCRED), NULL if unknown. */
struct cmd_session *cmd_session_new(struct vtid *v, const struct ucred *cred);
void cmd_session_free(struct cmd_session *s);

/* Runs one line; output (or the error) goes to out.  0 = success. */
int cmd_exec(struct cmd_session *s, const char *line, struct sbuf *out);
/* TAB candidates / `?` entries as [token, help] pairs, appended to arr. */
int cmd_complete(struct cmd_session *s, const char *line, struct json_object *arr);
int cmd_help(struct cmd_session *s, const char *line, struct json_object *arr);
void cmd_prompt(struct cmd_session *s, char *buf, size_t len);
/* True while the session is in a configuration mode. */
bool cmd_session_configuring(const struct cmd_session *s);

#endif
