/* daemon.h: the vtid process — what it owns and how its parts are wired.
 *
 *   ikeio (UDP 500/4500) --msg--> ike engine --child_up/down--> tunnels --> dp backend
 *                      \--ESP-in-UDP-------------------------------------/
 *   ctl socket --> cmd (exec commands, config sessions) --> config apply --> tunnels, FRR
 *
 * Everything runs on one event loop in the main thread; only the userspace
 * data plane has threads of its own. */
#ifndef VTID_DAEMON_H
#define VTID_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/loop.h"

struct ike_engine;
struct ikeio;
struct dp;
struct dp_ops;
struct tunnels;
struct ctl_server;
struct cfg_model;
struct frr_state;
struct cli;
struct cmd_session;

struct vtid_opts {
	const char *conf_path;  /* -f; default /etc/vtid/vtid.conf */
	const char *sock_path;  /* -s; default /run/vtid/vtid.sock */
	const char *frr_dir;    /* --frr-vty-socket DIR; NULL = FRR's default */
	const char *dataplane;  /* --dataplane overrides the configuration's `dataplane` */
	const char *vtysh;      /* --vtysh PATH; default /usr/bin/vtysh */
	bool foreground;        /* -F */
	bool debug;             /* -d */
	uint16_t ike_port, natt_port;
	int workers;
};

/* One applied configuration change, for sessions that compose: who made
 * it and which objects it removed (conf/compose.c's keys). */
struct vtid_change {
	uint64_t gen;
	time_t at;
	char who[96];
	char **removed;
	size_t n_removed;
};
enum { VTID_CHANGES = 64 };

struct vtid {
	struct vtid_opts opts;
	struct loop *loop;
	struct ike_engine *ike;
	struct loop_timer ike_timer;
	struct ikeio *io;
	const struct dp_ops *dp_ops;
	int dp_cfg_started; /* the configuration's `dataplane` (enum cfg_dataplane) at start */
	struct dp *dp;
	struct tunnels *tunnels;
	struct ctl_server *ctl;
	struct cli *grammar;           /* EXEC and configuration commands (vtid/cmd.c) */
	struct cmd_session *sessions;  /* every control connection's session */
	struct cfg_model *running; /* the configuration in force */
	uint64_t running_gen;      /* changes applied so far */
	struct vtid_change changes[VTID_CHANGES]; /* the last ones, at gen % VTID_CHANGES */
	struct frr_state *frr;
	struct acl_engine *acl;
	struct qos_engine *qos;
	struct ifaces *ifaces; /* plain interfaces on their devices (ifaces.c) */
	struct loop_timer frr_timer;
	int sigfd;
	uint64_t started_ms;
	char keylog[256];
};

int vtid_start(struct vtid *v);
void vtid_stop(struct vtid *v);
/* The wiring of engine, sockets, data plane and tunnels (daemon.c); vtid_start
 * adds configuration, FRR and the control socket around it. */
int vtid_start_core(struct vtid *v, const char *dataplane);
void vtid_stop_core(struct vtid *v);
/* `vtid --check-config FILE`: prints the canonical configuration and returns
 * 0, or prints FILE:LINE:COL errors to stderr and returns 1. */
int vtid_check_config(const char *path);

/* Replaces the running configuration by `next` (taking ownership): computes
 * the change list and applies it; the old model is freed.  On error nothing
 * changed and err holds the reason. */
int vtid_apply(struct vtid *v, struct cfg_model *next, char *err, size_t errlen);
/* The same, naming who makes the change ("vtish uid 0 pid 42"). */
int vtid_apply_by(struct vtid *v, struct cfg_model *next, const char *who, char *err,
		  size_t errlen);
/* Who removed the object `key` in a change after `since` (a line naming
 * who and when, in buf), or NULL if none did or that is no longer known. */
const char *vtid_removed_by(struct vtid *v, uint64_t since, const char *key, char *buf,
			    size_t len);
/* Reads and applies a file: the daemon's own (SIGHUP, who NULL), or one an
 * operator names (`configure replace FILE`, who: their session). */
int vtid_reload(struct vtid *v, const char *path, const char *who, char *err, size_t errlen);
/* `write memory`: saves the running configuration to opts.conf_path (mode 0600). */
int vtid_write_memory(struct vtid *v, char *err, size_t errlen);

#endif
