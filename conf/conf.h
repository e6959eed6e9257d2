/* conf.h: reading, checking and printing vtid's IOS-style configuration.
 *
 *   text --cfg_parse_text/file--> struct cfg_model --cfg_write--> text
 *   one line at a time: struct cfg_session (configure terminal)
 *
 * The grammar is the conf/cli.h engine; the configuration modes and their
 * commands are registered by cfg_cli_register() into any struct cli (vtid
 * adds its EXEC commands to the same one), or used through the built-in
 * cfg_grammar().  Handlers of configuration commands take the
 * struct cfg_session * as their ctx.
 *
 * Line semantics are IOS's: a line is tried in the current mode, then in
 * the parent modes up to global config; `exit` leaves a sub-mode, `end`
 * ends.  In files, indentation is ignored except that the verbatim routing
 * blocks (router ospf/bgp, bfd) take the indented lines that follow them.
 * A file with any error yields no model. */
#ifndef VTID_CONF_CONF_H
#define VTID_CONF_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "conf/cli.h"
#include "conf/model.h"

/* Configuration modes (EXEC is CLI_MODE_EXEC = 0). */
enum cfg_mode {
	CFG_MODE_CONFIG = 1,
	CFG_MODE_IKEV2_PROPOSAL,
	CFG_MODE_IKEV2_POLICY,
	CFG_MODE_IKEV2_KEYRING,
	CFG_MODE_IKEV2_KEYRING_PEER,
	CFG_MODE_IKEV2_PROFILE,
	CFG_MODE_CRYPTO_TRANS,
	CFG_MODE_IPSEC_PROFILE,
	CFG_MODE_IF,
	CFG_MODE_ACL,
	CFG_MODE_CMAP,
	CFG_MODE_PMAP,
	CFG_MODE_PMAP_C,
	CFG_MODE_ROUTER, /* router ospf/bgp, bfd: verbatim */
	CFG_MODE_ACL_STD,
	CFG_MODE_CRYPTO_MAP,
	CFG_MODE_LAST
};

enum { CFG_MAX_ERRORS = 32, CFG_MAX_DEPTH = 6 };

struct cfg_error {
	int line; /* 0: not from a file */
	int col;  /* 0: no column */
	char msg[224];
};

struct cfg_errors {
	int n;
	int dropped; /* errors beyond CFG_MAX_ERRORS */
	struct cfg_error e[CFG_MAX_ERRORS];
};

/* "FILE:LINE:COL: error: MSG" (or without the parts that are 0). */
int cfg_error_format(const struct cfg_error *e, const char *file, char *buf, size_t len);
void cfg_errors_print(const struct cfg_errors *errs, const char *file, FILE *out);

/* Registers the configuration modes and commands into cli. */
int cfg_cli_register(struct cli *cli);
/* A process-wide grammar with only EXEC + configuration modes, built on
 * first use (not thread-safe on first call); freed by cfg_grammar_free. */
const struct cli *cfg_grammar(void);
void cfg_grammar_free(void);

/* Parses a whole file's text.  On success *out is a new model (caller
 * frees) and 0 is returned; on any error *out is NULL, errs lists them
 * (syntax errors, then semantic errors) and -EINVAL is returned. */
int cfg_parse_text(const char *text, size_t len, struct cfg_model **out, struct cfg_errors *errs);
/* Flags for cfg_parse_text_opts and cfg_parse_file_opts. */
enum {
	CFG_PARSE_NO_VALIDATE = 1, /* syntax only: skip cfg_validate */
	CFG_PARSE_NOT_EMPTY = 2,   /* files: an empty file is refused (reload, replace) */
	CFG_PARSE_FOLLOW = 4,      /* files: a symbolic link is followed (the daemon's own
				    * file, named by root); never for an operator's path */
};
int cfg_parse_text_opts(const char *text, size_t len, unsigned flags, struct cfg_model **out,
			struct cfg_errors *errs);
/* Same, from a file; -errno when it cannot be read (errs has the reason).
 * Only a regular file is read: a FIFO, device, socket, directory or symlink
 * is refused without reading it (and a FIFO or device is never opened), as
 * is a file over CFG_FILE_MAX bytes or one whose size changes while it is
 * read, so a read never blocks and never comes up short. */
enum { CFG_FILE_MAX = 16 << 20 };
int cfg_parse_file(const char *path, struct cfg_model **out, struct cfg_errors *errs);
int cfg_parse_file_opts(const char *path, unsigned flags, struct cfg_model **out,
			struct cfg_errors *errs);
/* Configuration lines carry no control characters (0x01-0x1f but TAB, and
 * 0x7f): returns the 1-based column of the first one in line, else 0. */
int cfg_ctrl_col(const char *line);

/* Semantic checks: undefined references, a protected tunnel without
 * source/destination, two tunnels with the same source/destination/key...
 * Returns 0 or -EINVAL with errs filled (appended). */
int cfg_validate(const struct cfg_model *m, struct cfg_errors *errs);

/* The lines a model keeps but Linux ignores (hardware-only interface
 * lines: `speed auto`...), as notes at their positions, in model order;
 * "FILE:LINE:COL: note: MSG". */
void cfg_notes(const struct cfg_model *m, struct cfg_errors *notes);
int cfg_note_format(const struct cfg_error *e, const char *file, char *buf, size_t len);

/* Crypto maps (cryptomap.c): the applied entry that protects tunnel t
 * (the first in the model's order), or NULL; whether entry e does. */
const struct cfg_cmap_entry *cfg_cmap_for_tunnel(const struct cfg_model *m,
						 const struct cfg_interface *t);
bool cfg_cmap_selects(const struct cfg_model *m, const struct cfg_cmap_entry *e,
		      const struct cfg_interface *t);

/* configure terminal. */
struct cfg_session;
/* cli NULL = cfg_grammar(); base NULL = empty model; base is copied. */
struct cfg_session *cfg_session_new(const struct cli *cli, const struct cfg_model *base);
void cfg_session_free(struct cfg_session *s);

enum { CFG_LINE_OK = 0, CFG_LINE_END = 1, CFG_LINE_EXIT = 2 };
/* Applies one line to the candidate model; may change the mode.  Returns
 * CFG_LINE_OK, CFG_LINE_END (`end`: back to EXEC), CFG_LINE_EXIT (`exit`
 * at global config: interactive sessions leave config mode, files ignore
 * it), or -EINVAL with err set (the candidate is unchanged by a failed
 * line).  _at records line_no as the position of what the line defines
 * (semantic errors point there); plain cfg_session_line uses 0. */
int cfg_session_line(struct cfg_session *s, const char *line, struct cfg_error *err);
int cfg_session_line_at(struct cfg_session *s, const char *line, int line_no,
			struct cfg_error *err);
int cfg_session_mode(const struct cfg_session *s);
/* Prompt suffix of the current mode: "config", "config-if", ... */
const char *cfg_session_prompt(const struct cfg_session *s);
/* Number of levels (1 = global config) and each level's header line. */
int cfg_session_depth(const struct cfg_session *s);
const char *cfg_session_header(const struct cfg_session *s, int level);
const struct cfg_model *cfg_session_model(const struct cfg_session *s);
/* Hands the candidate over (caller frees); the session continues on a copy. */
struct cfg_model *cfg_session_take(struct cfg_session *s);
/* ? and TAB: the current mode's answer, or when it has none for this line
 * the first parent mode that has one (as a line would fall back). */
/* Sessions that compose (compose.c).  Objects by key: "interface
 * Tunnel1", "ikev2-keyring-peer KR SITE2", "router ospf 1". */
typedef void (*cfg_key_fn)(void *ctx, const char *key);
void cfg_model_keys(const struct cfg_model *m, cfg_key_fn fn, void *ctx);
bool cfg_model_has_key(const struct cfg_model *m, const char *key);
/* The candidate was applied: its lines are no longer pending. */
void cfg_session_commit(struct cfg_session *s);
size_t cfg_session_pending(const struct cfg_session *s);
/* The last line recorded was refused after all: it is not played again. */
void cfg_session_forget_last(struct cfg_session *s);
/* Who removed `key` since the session's base (a line for operators), or
 * NULL if no change did. */
typedef const char *(*cfg_removed_fn)(void *ctx, const char *key);
/* The candidate made anew from `running` with the session's pending lines
 * played again.  -ESTALE with msg when an object the session edits is gone
 * or was removed (the session is then in global configuration mode on
 * `running`, nothing pending); -ENOMEM. */
int cfg_session_rebase(struct cfg_session *s, const struct cfg_model *running,
		       cfg_removed_fn removed, void *ctx, char *msg, size_t len);

int cfg_session_help(const struct cfg_session *s, const char *line, struct cli_help_item *out,
		     int max, struct cli_error *err);
int cfg_session_complete(const struct cfg_session *s, const char *line, struct cli_help_item *out,
			 int max, struct cli_error *err);

/* The canonical text. */
struct cfg_buf {
	char *s;
	size_t len, cap;
};
int cfg_write(const struct cfg_model *m, struct cfg_buf *b); /* appends; 0 or -ENOMEM */
void cfg_buf_free(struct cfg_buf *b); /* wipes: the text holds pre-shared keys */
int cfg_buf_printf(struct cfg_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A DSCP value's IOS name ("ef", "af41", "cs1", "default") or its number;
 * buf holds 4 bytes. */
const char *cfg_dscp_name(uint8_t v, char *buf);
/* One ACL entry as `show access-lists` prints it, without its sequence
 * number: "deny icmp any host 10.4.4.4 log". */
void cfg_acl_entry_text(const struct cfg_acl *a, const struct cfg_acl_entry *e, char *buf,
			size_t len);

#endif
