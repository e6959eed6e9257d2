/* cli.h: the command grammar engine shared by the configuration parser,
 * `configure terminal`, `?` help and TAB completion.
 *
 * Commands are declared by syntax strings with named captures (in the
 * spirit of FRR's DEFPY), one table entry per command, per mode:
 *
 *   "[no] ip address A.B.C.D$addr A.B.C.D$mask"
 *   "encryption <aes-cbc-128|aes-cbc-256|aes-gcm-256>...$alg"
 *   "show crypto ikev2 sa [detailed$detailed] [json$json]"
 *
 * Tokens:
 *   keyword       literal, matched by unique prefix ("sh" -> show); an exact
 *                 match always wins; a prefix of two keywords is ambiguous
 *   A.B.C.D       IPv4 address          A.B.C.D/M   IPv4 prefix (M 0-32)
 *   WORD          any one word          LINE        the rest of the line, verbatim
 *   (N-M)         unsigned integer range, up to 2^64-1
 *   <a|b c|d>     one of the alternatives (each may be a sequence)
 *   [ ... ]       optional (nestable, may hold alternatives: [a|b])
 *   {set}         one word of a word set registered with cli_words_add
 *                 (port names, ICMP message names...): matched by unique
 *                 prefix like a keyword, captured as the whole word, each
 *                 word offered by `?` and TAB
 *   X...          one or more of X (X may be a token, <...> or [...])
 *   X$name        capture under `name`; after <...> or [...] the name goes to
 *                 every token inside that has none of its own
 * A keyword without $name is captured under its own text, so
 * cli_arg(m, "no") tells whether `no` was typed; the captured value of a
 * keyword is the whole keyword, not the abbreviation typed.  Lookups by a
 * name prefer explicit $name captures, so "tunnel key (0-4294967295)$key"
 * gives the number for "key", not the keyword.
 *
 * `help` is one line per token in the order they appear in the syntax,
 * separated by '\n'; a missing line falls back to a generic description.
 *
 * Modes are small integers registered with a name, a prompt suffix and a
 * parent (the mode a line falls back to when it does not match, IOS style).
 * Mode 0 is EXEC and always exists.
 *
 * Errors carry the 1-based column where the input stopped matching. */
#ifndef VTID_CONF_CLI_H
#define VTID_CONF_CLI_H

#include <stdbool.h>
#include <stddef.h>

enum {
	CLI_MODE_EXEC = 0,
	CLI_MAX_MODES = 64,
	CLI_MAX_WORDS = 128, /* words in one input line */
	CLI_MAX_ARGS = 64,   /* captured values in one match */
	CLI_MAX_NODES = 256, /* compiled tokens per command (an extended ACL line: ~150) */
	CLI_MAX_EDGES = 32,
	CLI_TOKEN_MAX = 64,
	CLI_HELP_MAX = 128,
	CLI_MAX_SETS = 16, /* word sets per cli */
};

/* Command flags. */
enum {
	CLI_F_HIDDEN = 1, /* matched but never offered by help/completion */
};

struct cli_match;
struct cli_error;

/* ctx is whatever the caller of cli_execute passes (the configuration
 * session for configuration modes, vtid's own context for EXEC). */
typedef int (*cli_handler_fn)(const struct cli_match *m, void *ctx, struct cli_error *err);

struct cli_cmd {
	int mode;
	const char *syntax;
	const char *help;
	cli_handler_fn handler;
	unsigned flags;
};

struct cli_error {
	int col; /* 1-based column of the offending input; 0 = no position */
	char msg[192];
};

struct cli_arg {
	const char *name; /* points into the grammar (lives as long as the cli) */
	char *value;	  /* owned copy */
	int col;	  /* 1-based column of the word it came from */
	bool implicit;	  /* a keyword captured under its own text */
};

struct cli_match {
	const struct cli_cmd *cmd;
	int nargs;
	struct cli_arg args[CLI_MAX_ARGS];
	int end_col; /* column just past the matched line */
};

/* One word of a word set, with its `?` description. */
struct cli_word {
	const char *word;
	const char *help;
};

struct cli_help_item {
	char token[CLI_TOKEN_MAX]; /* "encryption", "A.B.C.D", "(1-65535)", "<cr>" */
	char help[CLI_HELP_MAX];
};

struct cli;

struct cli *cli_new(void);
void cli_free(struct cli *cli);

/* Registers a mode.  prompt is the suffix shown as "R2(config-if)#";
 * parent is the mode a non-matching line is retried in (-1 for none). */
int cli_mode_add(struct cli *cli, int id, const char *name, const char *prompt, int parent);
const char *cli_mode_name(const struct cli *cli, int id);
const char *cli_mode_prompt(const struct cli *cli, int id);
int cli_mode_parent(const struct cli *cli, int id); /* -1 when none or unknown */

/* Registers the word set used as {name} in syntax strings; errors call it
 * `what` ("expected (0-65535) or tcp port name").  words must outlive the
 * cli; register a set before installing the commands that use it.  0,
 * -EEXIST, -E2BIG (more than CLI_MAX_SETS) or -ENOMEM. */
int cli_words_add(struct cli *cli, const char *name, const char *what, const struct cli_word *words,
		  size_t n);

/* Compiles and registers n commands; the table must outlive the cli.
 * Returns 0, or -EINVAL for a syntax string that does not compile (err says
 * which) or an unknown mode. */
int cli_install(struct cli *cli, const struct cli_cmd *table, size_t n, struct cli_error *err);

/* Matches one line in a mode.  On success fills m (release with
 * cli_match_clear) and returns 0.  Otherwise returns -EINVAL and err holds
 * the column and one of: "unknown command", "incomplete command",
 * "expected A.B.C.D", "expected one of: a, b, c", "expected end of line",
 * "ambiguous command: 'e' could be encryption, exit",
 * "value out of range (1-65535)". */
int cli_match_line(const struct cli *cli, int mode, const char *line, struct cli_match *m,
		   struct cli_error *err);
void cli_match_clear(struct cli_match *m);
/* Matches and runs the handler with ctx; returns the handler's result. */
int cli_execute(const struct cli *cli, int mode, const char *line, void *ctx,
		struct cli_error *err);

/* First captured value under name, NULL if none. */
const char *cli_arg(const struct cli_match *m, const char *name);
/* Number of values captured under name (repeated tokens give several). */
int cli_arg_count(const struct cli_match *m, const char *name);
/* The i-th value captured under name, NULL past the end. */
const char *cli_arg_nth(const struct cli_match *m, const char *name, int i);

/* TAB: keywords that may follow the complete words of `line`, filtered by
 * the partial last word (none when line ends in whitespace).  Sorted,
 * deduplicated.  Returns the count (may exceed max: only max stored), or
 * -EINVAL when the words before the partial one do not match (err set). */
int cli_complete(const struct cli *cli, int mode, const char *line, struct cli_help_item *out,
		 int max, struct cli_error *err);
/* `?`: every token that may come next, with its description; "<cr>" last
 * when the line is already a complete command.  Same returns as cli_complete. */
int cli_help(const struct cli *cli, int mode, const char *line, struct cli_help_item *out, int max,
	     struct cli_error *err);

#endif
