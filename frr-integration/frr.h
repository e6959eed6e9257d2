/* frr.h: vtid's routing lines applied to FRRouting, and FRR's state read back.
 *
 *   cfg_model --frr_model_text--> vtid routing text (IOS spelling)
 *             --frr_translate---> FRR text (what FRR 8.4's vtysh accepts)
 *             --frr_state_apply-> vtysh -f: removals of what disappeared, then
 *                                 the whole text (re-adding a line is a no-op)
 *
 * FRR is driven only through its own vtysh (never its config files), so FRR
 * keeps owning its configuration and `show running-config` in vtysh shows
 * what vtid applied.
 *
 * Running vtysh: synchronously, as a child process with a hard deadline
 * (struct frr_vtysh, default 5 s; on expiry the child is SIGKILLed and -ETIMEDOUT
 * returned).  Chosen over an asynchronous child on the loop because every
 * caller wants the answer before it replies (a `show` pass-through, a
 * configuration commit that must report FRR's errors), the calls are rare and
 * take ~10-30 ms, and the data plane has threads of its own; only a hung FRR
 * stalls the control loop, and then for at most the deadline.
 *
 * Text passed to vtysh goes through a memfd given as the child's stdin
 * (`vtysh -f /dev/stdin`): no temporary file holds authentication keys, and
 * no pipe write can raise SIGPIPE in vtid.
 *
 * All functions return 0 or -errno; output strings are malloc'ed, NUL
 * terminated, and owned by the caller (free()). */
#ifndef VTID_FRR_H
#define VTID_FRR_H

#include <stdbool.h>
#include <stddef.h>

struct cfg_model;

/* --- translation (pure; translate.c) --- */

/* Turns vtid routing text (interface blocks with `ip ospf ...` lines,
 * `router ospf|bgp ...` blocks, `bfd`) into FRR text:
 *   router ospf 1                      -> router ospf
 *   router-id X (under router ospf)    -> ospf router-id X
 *   network A WILDCARD area X          -> network A/LEN area X
 *   area X range A MASK                -> area X range A/LEN
 *   redistribute P ... subnets         -> redistribute P ...
 *   [no] passive-interface IF          -> interface IF / [no] ip ospf passive
 *                                         (`passive-interface default` stays)
 *   ip ospf 1 area X (interface)       -> ip ospf area X, moved to the end of
 *                                         its block (OSPF starts on the
 *                                         interface with its timers set)
 *   interface TunnelN with ip ospf     -> + ip ospf network point-to-point
 *                                         (unless an ip ospf network line exists)
 *   router bgp ASN                     -> + no bgp ebgp-requires-policy (IOS
 *                                         exchanges eBGP routes without policy)
 * Anything else passes through unchanged.  Refused (-EINVAL, err says which
 * line and why): a non-contiguous wildcard or mask, two OSPF process numbers
 * (FRR's ospfd runs one), `network ... area` together with interface
 * `ip ospf area` (FRR refuses to mix them). */
int frr_translate(const char *vtid_routing_text, char **frr_text, char *err, size_t errlen);

/* The routing part of a configuration model as vtid routing text: the
 * router and bfd blocks in order, then one `interface NAME` block per
 * interface with ip ospf lines (so the router-id is set before OSPF starts on
 * an interface).  "" when the model has no routing lines. */
int frr_model_text(const struct cfg_model *m, char **text);

/* The commands that remove what `old_frr` configures and `new_frr` no longer
 * does (`no router bgp 1`, `interface X` + ` no ip ospf cost 5`, ...), in
 * vtysh -f form; "" when nothing disappeared.  Both are frr_translate output
 * (or any indented FRR text). */
int frr_diff_removals(const char *old_frr, const char *new_frr, char **removals);

/* --- vtysh (vtysh.c) --- */

/* How vtysh is run.  Held by the caller (frr_state holds vtid's): no
 * setting of this file is global. */
struct frr_vtysh {
	const char *bin;     /* NULL: /usr/bin/vtysh (never from the environment:
			      * vtid runs it as root) */
	const char *vty_dir; /* --vty_socket DIR; NULL: FRR's default */
	int timeout_ms;	     /* the deadline of one call; <= 0: 5000 */
};

/* `vtysh [--vty_socket DIR] -f /dev/stdin` with frr_text as input.  *output (may be NULL to discard) gets vtysh's
 * stdout+stderr, fit for a log: a refused line's echo is cut ("line 3: %
 * Unknown command[4]"), and what follows anything like a key-bearing
 * keyword is hidden (frr_redact, priv.h).  Returns 0,
 * -EIO when vtysh reported an error (the rest of the text is still applied:
 * vtysh -f goes on after a bad line), -ETIMEDOUT, or another -errno. */
int frr_apply(const struct frr_vtysh *vt, const char *frr_text, char **output);

/* `vtysh [--vty_socket DIR] -c COMMAND`.  Only `show ...` commands, one line
 * (vtysh would run each line of a multi-line -c): others -EPERM. */
int frr_show(const struct frr_vtysh *vt, const char *command, char **output);

/* --- keeping FRR in step (state.c) --- */

struct frr_state;

struct frr_stats {
	unsigned long applies;	    /* frr_state_apply calls that ran vtysh */
	unsigned long apply_errors; /* ... that vtysh reported errors for */
	unsigned long checks;	    /* frr_state_check calls */
	unsigned long reapplies;    /* FRR lost our configuration (restart) and got it again */
	unsigned long unreachable;  /* checks that found no FRR to talk to */
	unsigned long ospf_rerun;   /* interfaces ospfd had left out, their lines sent again */
};

/* Keeps a copy of *vt.  NULL on ENOMEM. */
struct frr_state *frr_state_new(const struct frr_vtysh *vt);
void frr_state_free(struct frr_state *st); /* NULL-safe; wipes the text */
const struct frr_vtysh *frr_state_vtysh(const struct frr_state *st);

/* Makes FRR hold frr_text: the removals of what the previously applied text
 * had, then frr_text, then one `show running-config` to see what FRR took.
 * The text is remembered even when FRR cannot be reached or reports errors,
 * so frr_state_check keeps trying.  Returns as frr_apply, or -EAGAIN when
 * vtysh was content but a daemon was not up (the check will apply again).
 * *output as frr_apply. */
int frr_state_apply(struct frr_state *st, const char *frr_text, char **output);
/* Model -> routing text -> FRR text -> apply.  A translation error is
 * returned (-EINVAL, err filled) before FRR is touched. */
int frr_state_apply_model(struct frr_state *st, const struct cfg_model *m, char *err, size_t errlen,
			  char **output);

/* The periodic cheap check (call every few seconds from a loop timer): one
 * `show running-config`; when more block headers or interface `ip ospf area`
 * lines we applied are missing than FRR refused at the last apply
 * (ospfd/zebra restarted, someone typed `no router ospf`), or the last apply
 * did not reach FRR, the whole text is applied again; what FRR refused is
 * offered again after 3, 6, 12 ... (at most 100) checks.  Returns 0 when in
 * step, 1 when it re-applied, -errno on failure (-EAGAIN: a daemon is still
 * not up, the next check tries again). */
int frr_state_check(struct frr_state *st, char **output);
void frr_state_stats(const struct frr_state *st, struct frr_stats *out);

/* Whether ospfd runs on every interface of ours that has an `ip ospf area`
 * line and is up with an IPv4 address (state.c says why it may not).  One
 * left out for several checks in a row gets its lines again.  Returns how
 * many were sent again, 0, or -errno when FRR did not answer. */
int frr_state_check_ospf(struct frr_state *st, char **output);

#endif
