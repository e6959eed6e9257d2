/* cmd.c: EXEC commands and configuration sessions (contract in cmd.h).
 *
 * The grammar is one struct cli: conf/ registers the configuration modes,
 * this file adds the EXEC commands.  Every show builds a json-c object
 * first; `json` prints it, the text form is rendered from it (show.c). */
#include "vtid/cmd.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "conf/conf.h"
#include "frr-integration/frr.h"
#include "ike/ike.h"
#include "lib/log.h"
#include "vtid/acl.h"
#include "vtid/cmap.h"
#include "vtid/daemon.h"
#include "vtid/ifaces.h"
#include "vtid/qos.h"
#include "vtid/ikeio.h"
#include "vtid/show.h"
#include "vtid/tunnel.h"
#include "vtid/version.h"

/* Configuration sessions compose (conf/compose.c): each line is applied on
 * top of the configuration running at that moment.  base_gen is the change
 * of the running configuration the session's candidate was built from;
 * when another change came since, the session is rebased before its line. */
struct cmd_session {
	struct vtid *v;
	struct cmd_session *next, **pprev; /* every control session */
	struct cfg_session *cfg; /* non-NULL while configuring */
	bool pending;            /* the candidate holds lines not yet applied (invalid so far) */
	uint64_t base_gen;
	time_t since;            /* entered configuration mode */
	bool has_cred;
	struct ucred cred;
	char who[64];            /* "vtish uid 0 pid 42", for the change log */
};


/* What an EXEC handler gets as ctx. */
struct cmd_ctx {
	struct cmd_session *s;
	struct sbuf *out;
};


static void print_json(struct sbuf *out, struct json_object *o)
{
	sbuf_printf(out, "%s\n",
		    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
}

static int fail(struct cli_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct cli_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	err->col = 0;
	return -EINVAL;
}

/* ---- show crypto ---- */

static int do_show_ikev2_stats(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	const char *ifname = cli_arg(m, "ifname");
	if (ifname) {
		struct tunnel *t = tunnel_find(v->tunnels, ifname);
		if (!t)
			return fail(err, "%% No such tunnel interface: %.100s", ifname);
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "interface", json_object_new_string(t->spec.name));
		json_object_object_add(o, "failures", tunnel_fail_counts(t));
		if (cli_arg(m, "json"))
			print_json(c->out, o);
		else
			show_ikev2_stats_text(o, c->out);
		json_object_put(o);
		return 0;
	}
	struct json_object *o = ike_show_stats(v->ike);
	const struct ikeio_stats *st = ikeio_stats(v->io);
	json_object_object_add(o, "udp_rx_ike", json_object_new_int64((int64_t)st->rx_ike));
	json_object_object_add(o, "udp_rx_esp", json_object_new_int64((int64_t)st->rx_esp));
	json_object_object_add(o, "udp_tx_ike", json_object_new_int64((int64_t)st->tx_ike));
	json_object_object_add(o, "udp_rx_errors", json_object_new_int64((int64_t)st->rx_errors));
	json_object_object_add(o, "udp_tx_errors", json_object_new_int64((int64_t)st->tx_errors));
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		show_ikev2_stats_text(o, c->out);
	json_object_put(o);
	return 0;
}

static int do_show_ipsec_sa(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	const char *ifname = cli_arg(m, "ifname");
	if (ifname && !tunnel_find(c->s->v->tunnels, ifname)) {
		/* IOS is case-insensitive on interface names; tunnel_find is exact. */
		bool found = false;
		for (struct tunnel *t = tunnels_first(c->s->v->tunnels); t; t = t->next)
			if (strcasecmp(t->spec.name, ifname) == 0)
				found = true;
		if (!found)
			return fail(err, "%% No such interface: %s", ifname);
	}
	struct json_object *o = tunnels_show_ipsec_sa(c->s->v->tunnels, ifname);
	cmap_annotate_ipsec_sa(c->s->v->running, o);
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		show_ipsec_sa_text(o, c->out);
	json_object_put(o);
	return 0;
}

static int do_show_crypto_map(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	const char *tag = cli_arg(m, "tag");
	if (tag && !cfg_find_cmap(c->s->v->running, tag))
		return fail(err, "%% No such crypto map: %.100s", tag);
	struct json_object *o = cmap_show(c->s->v->running, tag);
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		show_crypto_map_text(o, c->out);
	json_object_put(o);
	return 0;
}

/* The states a session and an IKE SA can be in, in the order summaries
 * count them (IOS's words). */
static const char *const session_states[] = {"UP-ACTIVE", "UP-IDLE", "DOWN-NEGOTIATING", "DOWN"};
static const char *const ike_states[] = {"READY", "IN-NEG", "DELETE"};
enum { N_SESSION_STATES = 4, N_IKE_STATES = 3 };

static size_t state_rank(const char *const *states, size_t n, const char *st)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(states[i], st) == 0)
			return i;
	return n;
}

static const char *jstr(struct json_object *o, const char *k)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : "";
}

static int64_t jint(struct json_object *o, const char *k)
{
	struct json_object *v;
	return o && json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : 0;
}

/* `show crypto ikev2 sa json`'s SAs by tunnel id, so that a session line
 * finds its SA without a walk.  Of a tunnel's several SAs (both ends
 * initiated, or a rekey) the one furthest along wins: READY, then IN-NEG,
 * then DELETE; the first listed among equals. */
static struct json_object *ike_sa_index(struct json_object *sas)
{
	struct json_object *idx = json_object_new_object(), *arr, *id, *have;
	if (!json_object_object_get_ex(sas, "sas", &arr))
		return idx;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *sa = json_object_array_get_idx(arr, i);
		char key[16];
		if (!json_object_object_get_ex(sa, "tunnel_id", &id))
			continue;
		snprintf(key, sizeof(key), "%u", (uint32_t)json_object_get_int64(id));
		if (json_object_object_get_ex(idx, key, &have) &&
		    state_rank(ike_states, N_IKE_STATES, jstr(have, "status")) <=
			    state_rank(ike_states, N_IKE_STATES, jstr(sa, "status")))
			continue;
		json_object_object_add(idx, key, json_object_get(sa));
	}
	return idx;
}

static struct json_object *find_ike_sa(struct json_object *idx, uint32_t tunnel_id)
{
	char key[16];
	struct json_object *sa;
	snprintf(key, sizeof(key), "%u", tunnel_id);
	return json_object_object_get_ex(idx, key, &sa) ? sa : NULL;
}

/* `show crypto session json`'s array: one session per protected tunnel,
 * from the tunnels' SAs and counters and ike (ike_show_sa's object).  One
 * pass over the tunnels, each finding its IKE SA through the index: O(N). */
static struct json_object *crypto_sessions(struct vtid *v, struct json_object *ike)
{
	struct json_object *ike_idx = ike_sa_index(ike);
	struct json_object *ipsec = tunnels_show_ipsec_sa(v->tunnels, NULL);
	struct json_object *ifs, *sessions = json_object_new_array();
	json_object_object_get_ex(ipsec, "interfaces", &ifs);
	for (size_t i = 0; i < json_object_array_length(ifs); i++) {
		struct json_object *x = json_object_array_get_idx(ifs, i);
		struct tunnel *t = tunnel_find(v->tunnels, jstr(x, "interface"));
		if (!t)
			continue;
		struct json_object *sa = find_ike_sa(ike_idx, t->id);
		struct json_object *o = json_object_new_object();
		/* IOS: UP-ACTIVE, UP-IDLE (IKE up, no IPsec SA), DOWN-NEGOTIATING,
		 * DOWN. */
		const char *st = t->carrier ? "UP-ACTIVE" : (sa ? "DOWN-NEGOTIATING" : "DOWN");
		if (!t->carrier && sa && strcmp(jstr(sa, "status"), "READY") == 0)
			st = "UP-IDLE";
		if (t->spec.shutdown)
			st = "DOWN";
		json_object_object_add(o, "interface", json_object_new_string(t->spec.name));
		json_object_object_add(o, "tunnel_id", json_object_new_int64(t->id));
		json_object_object_add(o, "status", json_object_new_string(st));
		json_object_object_add(o, "peer", json_object_new_string(jstr(x, "current_peer")));
		json_object_object_add(o, "peer_port", json_object_new_int64(jint(x, "peer_port")));
		json_object_object_add(o, "ike_local", json_object_new_string(jstr(sa, "local")));
		json_object_object_add(o, "ike_remote", json_object_new_string(jstr(sa, "remote")));
		json_object_object_add(o, "ike_status",
				       json_object_new_string(sa ? jstr(sa, "status") : "none"));
		tunnel_fail_json(v->tunnels, t, o);
		json_object_object_add(
			o, "uptime",
			json_object_new_int64(t->carrier
						      ? (int64_t)(loop_now_ms(v->loop) - t->carrier_since_ms) / 1000
						      : 0));
		struct json_object *flows = json_object_new_array(), *f = json_object_new_object();
		char flow[160];
		snprintf(flow, sizeof(flow), "%s host %s host %s",
			 t->spec.ike.ts == IKE_TS_GRE ? "47" : "ip", jstr(x, "local_addr"),
			 jstr(x, "current_peer"));
		if (t->spec.ike.ts != IKE_TS_GRE)
			snprintf(flow, sizeof(flow), "ip 0.0.0.0/0.0.0.0 0.0.0.0/0.0.0.0");
		json_object_object_add(f, "flow", json_object_new_string(flow));
		json_object_object_add(f, "active_sas", json_object_new_int64(t->n_children * 2));
		json_object_object_add(f, "pkts_encrypted",
				       json_object_new_int64(jint(x, "pkts_encrypt")));
		json_object_object_add(f, "pkts_decrypted",
				       json_object_new_int64(jint(x, "pkts_decrypt")));
		json_object_object_add(f, "in_drops",
				       json_object_new_int64(jint(x, "replay_failures") +
							     jint(x, "auth_failures") +
							     jint(x, "recv_errors")));
		json_object_object_add(f, "out_drops",
				       json_object_new_int64(jint(x, "send_errors") +
							     jint(x, "no_sa_drops")));
		json_object_array_add(flows, f);
		json_object_object_add(o, "flows", flows);
		json_object_array_add(sessions, o);
	}
	json_object_put(ike_idx);
	json_object_put(ipsec);
	return sessions;
}

/* `show crypto session brief`: a session's fields that fit one line. */
static struct json_object *sessions_brief(struct json_object *sessions)
{
	static const char *const keys[] = {"peer", "peer_port", "interface", "ike_status", "status",
					   "uptime"};
	struct json_object *arr = json_object_new_array(), *v;
	for (size_t i = 0; i < json_object_array_length(sessions); i++) {
		struct json_object *x = json_object_array_get_idx(sessions, i);
		struct json_object *o = json_object_new_object();
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (json_object_object_get_ex(x, keys[k], &v))
				json_object_object_add(o, keys[k], json_object_get(v));
		json_object_array_add(arr, o);
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "total", json_object_new_int64((int64_t)json_object_array_length(arr)));
	json_object_object_add(o, "sessions", arr);
	return o;
}

/* {"total": N, STATE: n, ...} with every state, zero or not. */
static struct json_object *counts_new(const char *const *states, size_t n)
{
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "total", json_object_new_int64(0));
	for (size_t i = 0; i < n; i++)
		json_object_object_add(o, states[i], json_object_new_int64(0));
	return o;
}

static void count(struct json_object *counts, const char *key)
{
	struct json_object *v;
	if (json_object_object_get_ex(counts, key, &v))
		json_object_set_int64(v, json_object_get_int64(v) + 1);
	else
		json_object_object_add(counts, key, json_object_new_int64(1));
	json_object_object_get_ex(counts, "total", &v);
	json_object_set_int64(v, json_object_get_int64(v) + 1);
}

/* `show crypto ikev2 sa summary`: IKE SAs by status and their Child SAs,
 * one pass over ike (ike_show_sa's object). */
static struct json_object *ike_summary(struct json_object *ike)
{
	struct json_object *o = json_object_new_object(), *arr, *ch;
	struct json_object *sas = counts_new(ike_states, N_IKE_STATES);
	int64_t children = 0;
	if (json_object_object_get_ex(ike, "sas", &arr))
		for (size_t i = 0; i < json_object_array_length(arr); i++) {
			struct json_object *sa = json_object_array_get_idx(arr, i);
			count(sas, jstr(sa, "status"));
			if (json_object_object_get_ex(sa, "children", &ch))
				children += (int64_t)json_object_array_length(ch);
		}
	struct json_object *c = json_object_new_object();
	json_object_object_add(c, "total", json_object_new_int64(children));
	json_object_object_add(o, "ike_sas", sas);
	json_object_object_add(o, "child_sas", c);
	return o;
}

static int do_show_ikev2_sa(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	bool detailed = cli_arg(m, "detailed") != NULL;
	(void)err;
	struct json_object *o = ike_show_sa(v->ike, detailed);
	if (cli_arg(m, "summary")) {
		struct json_object *sum = ike_summary(o);
		json_object_put(o);
		o = sum;
	} else {
		tunnels_annotate_ike_sa(v->tunnels, o);
	}
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else if (cli_arg(m, "summary"))
		show_crypto_summary_text(o, c->out);
	else
		show_ikev2_sa_text(o, detailed, c->out);
	json_object_put(o);
	return 0;
}

static int do_show_crypto_session(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	(void)err;
	struct json_object *ike = ike_show_sa(v->ike, false);
	struct json_object *sessions = crypto_sessions(v, ike), *o;
	if (cli_arg(m, "brief")) {
		o = sessions_brief(sessions);
	} else if (cli_arg(m, "summary")) {
		o = ike_summary(ike);
		struct json_object *tn = counts_new(session_states, N_SESSION_STATES);
		for (size_t i = 0; i < json_object_array_length(sessions); i++)
			count(tn, jstr(json_object_array_get_idx(sessions, i), "status"));
		/* tunnels first: the line an operator looks for */
		struct json_object *sum = json_object_new_object();
		json_object_object_add(sum, "tunnels", tn);
		json_object_object_foreach(o, key, val)
			json_object_object_add(sum, key, json_object_get(val));
		json_object_put(o);
		o = sum;
	} else {
		o = json_object_new_object();
		json_object_object_add(o, "sessions", json_object_get(sessions));
	}
	json_object_put(sessions);
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else if (cli_arg(m, "brief"))
		show_crypto_session_brief_text(o, c->out);
	else if (cli_arg(m, "summary"))
		show_crypto_summary_text(o, c->out);
	else
		show_crypto_session_text(o, cli_arg(m, "detail") != NULL, c->out);
	json_object_put(o);
	json_object_put(ike);
	return 0;
}

static int do_show_interfaces(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	const char *ifname = cli_arg(m, "ifname");
	struct json_object *o = tunnels_show_interface(c->s->v->tunnels, ifname);
	struct json_object *arr;
	json_object_object_get_ex(o, "interfaces", &arr);
	/* the plain interfaces of the configuration, by IOS or Linux name */
	ifaces_show(c->s->v->ifaces, c->s->v->running, ifname, arr);
	if (ifname && json_object_array_length(arr) == 0) {
		json_object_put(o);
		return fail(err, "%% No such interface: %s", ifname);
	}
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		show_interfaces_text(o, c->out);
	json_object_put(o);
	return 0;
}

static int do_show_running(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	struct cfg_buf b = {0};
	(void)err;
	if (cfg_write(v->running, &b) < 0) {
		cfg_buf_free(&b);
		return fail(err, "%% out of memory");
	}
	if (cli_arg(m, "json")) {
		struct json_object *o = json_object_new_object();
		json_object_object_add(o, "config", json_object_new_string(b.s ? b.s : ""));
		print_json(c->out, o);
		json_object_put(o);
	} else {
		sbuf_printf(c->out, "Building configuration...\n\nCurrent configuration:\n!\n%s",
			    b.s ? b.s : "");
		sbuf_printf(c->out, "end\n");
	}
	cfg_buf_free(&b);
	return 0;
}

static int do_show_version(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	(void)err;
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "version", json_object_new_string(VTID_VERSION));
	json_object_object_add(o, "dataplane", json_object_new_string(v->dp_ops->name));
	json_object_object_add(
		o, "uptime_sec",
		json_object_new_int64((int64_t)(loop_now_ms(v->loop) - v->started_ms) / 1000));
	json_object_object_add(o, "config_file", json_object_new_string(v->opts.conf_path));
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		sbuf_printf(c->out, "vtid version %s, dataplane %s, uptime %lld seconds\nconfiguration: %s\n",
			    VTID_VERSION, v->dp_ops->name,
			    (long long)jint(o, "uptime_sec"), v->opts.conf_path);
	json_object_put(o);
	return 0;
}

/* `show dataplane`: the backend running, what was asked for and why that
 * one (the start-up log's reason: dp_ops_pick answers the same again,
 * the kernel's probe being made once per process), and what it carries.
 * One pass over the tunnels. */
static int do_show_dataplane(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	(void)err;
	const char *asked = v->opts.dataplane
				    ? v->opts.dataplane
				    : cfg_dataplane_name((enum cfg_dataplane)v->dp_cfg_started);
	char why[400] = "";
	dp_ops_pick(asked, why, sizeof(why));
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "backend", json_object_new_string(v->dp_ops->name));
	json_object_object_add(o, "requested", json_object_new_string(asked));
	json_object_object_add(o, "requested_by",
			       json_object_new_string(v->opts.dataplane ? "--dataplane"
									: "configuration"));
	json_object_object_add(o, "reason", json_object_new_string(why));
	/* a changed `dataplane` line waits for the next start (config.c) */
	if (!v->opts.dataplane && v->running && (int)v->running->dataplane != v->dp_cfg_started)
		json_object_object_add(
			o, "configured_next_start",
			json_object_new_string(cfg_dataplane_name(v->running->dataplane)));
	int workers = dp_workers(v->dp_ops, v->dp);
	bool user = v->dp_ops == &dp_user_ops;
	if (user)
		json_object_object_add(o, "workers", json_object_new_int64(workers));
	int64_t links = 0, mq = 0, in = 0, out = 0;
	for (struct tunnel *t = tunnels_first(v->tunnels); t; t = t->next) {
		if (!t->link)
			continue;
		links++;
		mq += t->spec.link.queues != 1;
		out += t->n_children;
		in += t->n_children + t->n_linger;
	}
	struct json_object *l = json_object_new_object();
	json_object_object_add(l, "total", json_object_new_int64(links));
	if (user) {
		/* dp_link_cfg.queues: 0 = one queue per worker, 1 = one queue */
		json_object_object_add(l, "multi_queue", json_object_new_int64(mq));
		json_object_object_add(l, "single_queue", json_object_new_int64(links - mq));
		json_object_object_add(l, "queues_per_multi_queue_link",
				       json_object_new_int64(workers));
		/* dataplane userspace multi-queue N: devices made while the
		 * configuration holds at most N tunnels are multi-queue */
		json_object_object_add(l, "multi_queue_up_to_tunnels",
				       json_object_new_int64(v->running ? cfg_dp_mq_tunnels(v->running)
									: CFG_DP_MQ_TUNNELS));
	}
	json_object_object_add(o, "links", l);
	struct json_object *sas = json_object_new_object();
	json_object_object_add(sas, "total", json_object_new_int64(in + out));
	json_object_object_add(sas, "inbound", json_object_new_int64(in));
	json_object_object_add(sas, "outbound", json_object_new_int64(out));
	json_object_object_add(o, "sas", sas);
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		show_dataplane_text(o, c->out);
	json_object_put(o);
	return 0;
}

/* show ip ..., show bfd ...: FRR's, passed through its vtysh. */
static int do_show_frr(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	char cmd[512];
	char *output = NULL;
	const char *rest = cli_arg(m, "rest");
	snprintf(cmd, sizeof(cmd), "show %s%s%s", cli_arg(m, "what"), rest ? " " : "", rest ? rest : "");
	int rc = frr_show(frr_state_vtysh(v->frr), cmd, &output);
	if (output)
		sbuf_printf(c->out, "%s", output);
	free(output);
	if (rc != 0)
		return fail(err, "%% FRR could not run: %.150s", cmd);
	return 0;
}

/* ---- access lists ---- */

static int do_show_acl(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	const char *name = cli_arg(m, "name");
	if (name && !cfg_find_acl(v->running, name))
		return fail(err, "%% No such access list: %.100s", name);
	struct json_object *o = acl_show(v->acl, v->running, name);
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		show_access_lists_text(o, c->out);
	json_object_put(o);
	return 0;
}

static int do_clear_acl(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	const char *name = cli_arg(m, "name");
	int rc = acl_clear(c->s->v->acl, c->s->v->running, name);
	if (rc == -ENOENT)
		return fail(err, "%% No such access list: %.100s", name);
	if (rc < 0)
		return fail(err, "%% Cannot clear the counters: %.120s", strerror(-rc));
	return 0;
}

/* ---- QoS ---- */

static int do_show_policy_map(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct vtid *v = c->s->v;
	const char *ifname = cli_arg(m, "ifname");
	const char *dir = cli_arg(m, "input") ? "input" : cli_arg(m, "output") ? "output" : NULL;
	if (ifname && !cfg_find_interface(v->running, ifname)) {
		bool found = false;
		for (size_t i = 0; v->running && i < v->running->n_interface; i++)
			found |= strcasecmp(v->running->interface[i].name, ifname) == 0;
		if (!found)
			return fail(err, "%% No such interface: %.100s", ifname);
	}
	struct json_object *o = qos_show(v->qos, v->running, ifname, dir);
	if (cli_arg(m, "json"))
		print_json(c->out, o);
	else
		show_policy_map_text(o, c->out);
	json_object_put(o);
	return 0;
}

/* ---- clear, debug, rekey ---- */

static int do_clear_session(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	const char *peer = cli_arg(m, "peer");
	struct in_addr a = {0};
	if (peer && inet_pton(AF_INET, peer, &a) != 1)
		return fail(err, "%% bad address %s", peer);
	int n = tunnels_clear(c->s->v->tunnels, a.s_addr);
	if (peer && n == 0)
		return fail(err, "%% No crypto session with %s", peer);
	return 0;
}

static int do_rekey(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	struct tunnel *t = tunnel_find(c->s->v->tunnels, cli_arg(m, "ifname"));
	if (!t)
		return fail(err, "%% No such tunnel interface: %s", cli_arg(m, "ifname"));
	int rc = cli_arg(m, "ikev2") ? ike_rekey_ike(c->s->v->ike, t->id)
				     : ike_rekey_child(c->s->v->ike, t->id);
	if (rc < 0)
		return fail(err, "%% Cannot rekey now: %.120s", strerror(-rc));
	return 0;
}

static int do_debug(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	bool on = cli_arg(m, "no") == NULL && cli_arg(m, "undebug") == NULL;
	unsigned mask = cli_arg(m, "ikev2") ? LOG_DBG_IKE : LOG_DBG_IPSEC;
	(void)err;
	log_set_debug(mask, on);
	sbuf_printf(c->out, "Crypto %s debugging is %s\n", mask == LOG_DBG_IKE ? "IKEv2" : "IPSEC",
		    on ? "on" : "off");
	return 0;
}

static int do_undebug_all(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	(void)m;
	(void)err;
	log_set_debug(~0u, false);
	sbuf_printf(c->out, "All possible debugging has been turned off\n");
	return 0;
}

/* ---- configuration ---- */

/* Who is configuring: every session in configuration mode. */
static int do_show_config_sessions(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	(void)err;
	time_t now = time(NULL);
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	for (const struct cmd_session *s = c->s->v->sessions; s; s = s->next) {
		if (!s->cfg)
			continue;
		struct json_object *e = json_object_new_object();
		if (s->has_cred) {
			json_object_object_add(e, "uid", json_object_new_int64(s->cred.uid));
			json_object_object_add(e, "pid", json_object_new_int64(s->cred.pid));
		}
		struct tm tm;
		char ts[32];
		gmtime_r(&s->since, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_object_object_add(e, "since", json_object_new_string(ts));
		json_object_object_add(e, "age_s", json_object_new_int64(now - s->since));
		json_object_object_add(e, "mode",
				       json_object_new_string(cfg_session_prompt(s->cfg)));
		json_object_object_add(e, "pending_lines",
				       json_object_new_int64((int64_t)cfg_session_pending(s->cfg)));
		json_object_object_add(e, "self", json_object_new_boolean(s == c->s));
		json_object_array_add(arr, e);
	}
	json_object_object_add(o, "sessions", arr);
	if (cli_arg(m, "json")) {
		print_json(c->out, o);
	} else {
		size_t n = json_object_array_length(arr);
		sbuf_printf(c->out, "Configuration sessions: %zu\n", n);
		if (n)
			sbuf_printf(c->out, "%-8s %-8s %-21s %-22s %s\n", "uid", "pid", "since",
				    "mode", "pending lines");
		for (size_t i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(arr, i), *x;
			char uid[16] = "-", pid[16] = "-";
			if (json_object_object_get_ex(e, "uid", &x))
				snprintf(uid, sizeof(uid), "%lld", (long long)json_object_get_int64(x));
			if (json_object_object_get_ex(e, "pid", &x))
				snprintf(pid, sizeof(pid), "%lld", (long long)json_object_get_int64(x));
			json_object_object_get_ex(e, "since", &x);
			const char *since = json_object_get_string(x);
			json_object_object_get_ex(e, "mode", &x);
			const char *mode = json_object_get_string(x);
			json_object_object_get_ex(e, "pending_lines", &x);
			long long pend = (long long)json_object_get_int64(x);
			json_object_object_get_ex(e, "self", &x);
			sbuf_printf(c->out, "%-8s %-8s %-21s %-22s %lld%s\n", uid, pid, since, mode,
				    pend, json_object_get_boolean(x) ? "  (this session)" : "");
		}
	}
	json_object_put(o);
	return 0;
}

static int do_configure_terminal(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	(void)m;
	cfg_session_free(c->s->cfg);
	c->s->cfg = cfg_session_new(c->s->v->grammar, c->s->v->running);
	c->s->pending = false;
	c->s->base_gen = c->s->v->running_gen;
	c->s->since = time(NULL);
	if (!c->s->cfg)
		return fail(err, "%% out of memory");
	sbuf_printf(c->out, "Enter configuration commands, one per line.  End with CNTL/Z.\n");
	return 0;
}

static int do_configure_replace(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	char msg[4096];
	if (vtid_reload(c->s->v, cli_arg(m, "file"), c->s->who, msg, sizeof(msg)) < 0) {
		sbuf_printf(c->out, "%s", msg);
		return fail(err, "%% configuration unchanged");
	}
	sbuf_printf(c->out, "Configuration replaced from %s\n", cli_arg(m, "file"));
	return 0;
}

static int do_write_memory(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cmd_ctx *c = ctx;
	char msg[512];
	(void)m;
	if (vtid_write_memory(c->s->v, msg, sizeof(msg)) < 0)
		return fail(err, "%% %.180s", msg);
	sbuf_printf(c->out, "Building configuration...\n[OK]\n");
	return 0;
}

static int do_write_terminal(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	(void)m;
	return do_show_running(m, ctx, err);
}

static int do_nothing(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	(void)m;
	(void)ctx;
	(void)err;
	return 0;
}

static const struct cli_cmd exec_cmds[] = {
	{CLI_MODE_EXEC, "show crypto ikev2 sa [<detailed$detailed|summary$summary>] [json$json]",
	 "Show running system information\nCrypto information\nIKEv2 information\n"
	 "IKEv2 security associations\nDetailed information\nCounts by status\nJSON output",
	 do_show_ikev2_sa, 0},
	{CLI_MODE_EXEC, "show crypto ikev2 stats [interface WORD$ifname] [json$json]",
	 "Show running system information\nCrypto information\nIKEv2 information\n"
	 "IKEv2 counters\nOne tunnel's failures by reason\nInterface name\nJSON output",
	 do_show_ikev2_stats, 0},
	{CLI_MODE_EXEC, "show crypto ipsec sa [interface WORD$ifname] [json$json]",
	 "Show running system information\nCrypto information\nIPsec information\n"
	 "IPsec security associations\nOne tunnel interface\nInterface name\nJSON output",
	 do_show_ipsec_sa, 0},
	{CLI_MODE_EXEC, "show crypto map [tag WORD$tag] [json$json]",
	 "Show running system information\nCrypto information\nCrypto maps\n"
	 "One crypto map\nCrypto map name\nJSON output",
	 do_show_crypto_map, 0},
	{CLI_MODE_EXEC,
	 "show crypto session [<detail$detail|brief$brief|summary$summary>] [json$json]",
	 "Show running system information\nCrypto information\nCrypto sessions (one per tunnel)\n"
	 "Counters and uptime\nOne line per tunnel\nCounts by status\nJSON output",
	 do_show_crypto_session, 0},
	{CLI_MODE_EXEC, "show interfaces [WORD$ifname] [json$json]",
	 "Show running system information\nTunnel interface status and counters\n"
	 "Interface name\nJSON output",
	 do_show_interfaces, 0},
	{CLI_MODE_EXEC, "show configuration sessions [json$json]",
	 "Show running system information\nConfiguration\nWho is in configuration mode\n"
	 "JSON output",
	 do_show_config_sessions, 0},
	{CLI_MODE_EXEC, "show running-config [json$json]",
	 "Show running system information\nThe configuration in force\nJSON output",
	 do_show_running, 0},
	{CLI_MODE_EXEC, "show dataplane [json$json]",
	 "Show running system information\nData-plane backend: which, why, workers, links, SAs\n"
	 "JSON output",
	 do_show_dataplane, 0},
	{CLI_MODE_EXEC, "show version [json$json]",
	 "Show running system information\nvtid version and uptime\nJSON output", do_show_version,
	 0},
	{CLI_MODE_EXEC, "show [ip] access-lists [WORD$name] [json$json]",
	 "Show running system information\nIP information\nAccess lists and their match "
	 "counts\nOne access list\nJSON output",
	 do_show_acl, 0},
	{CLI_MODE_EXEC, "clear [ip] access-list counters [WORD$name]",
	 "Reset functions\nIP\nAccess list\nMatch counters\nOne access list", do_clear_acl, 0},
	{CLI_MODE_EXEC,
	 "show policy-map interface [WORD$ifname] [<input$input|output$output>] [json$json]",
	 "Show running system information\nQoS policies\nPolicies attached to interfaces, "
	 "with the kernel's counters\nInterface name\nInput policy\nOutput policy\nJSON output",
	 do_show_policy_map, 0},
	{CLI_MODE_EXEC, "show <ip|bfd|bgp>$what [LINE$rest]",
	 "Show running system information\nIP routing information (FRR)\nBFD (FRR)\nBGP (FRR)\n"
	 "FRR show command arguments (json allowed)",
	 do_show_frr, 0},
	{CLI_MODE_EXEC, "clear crypto session [remote A.B.C.D$peer]",
	 "Reset functions\nCrypto\nRestart crypto sessions (IKE and IPsec SAs)\n"
	 "Only sessions with one peer\nPeer address",
	 do_clear_session, 0},
	{CLI_MODE_EXEC, "clear crypto <sa|ikev2 sa>",
	 "Reset functions\nCrypto\nAll IPsec SAs\nIKEv2\nAll IKEv2 SAs", do_clear_session, 0},
	{CLI_MODE_EXEC, "crypto rekey <ipsec|ikev2$ikev2> interface WORD$ifname",
	 "Crypto actions\nStart a rekey now (make-before-break)\nThe Child SA\nThe IKE SA\n"
	 "Tunnel interface\nInterface name",
	 do_rekey, 0},
	{CLI_MODE_EXEC, "[no] debug crypto <ikev2$ikev2|ipsec$ipsec>",
	 "Negate\nDebugging functions (to the log)\nCrypto\nIKEv2 exchanges\nIPsec data plane",
	 do_debug, 0},
	{CLI_MODE_EXEC, "undebug crypto <ikev2$ikev2|ipsec$ipsec>",
	 "Disable debugging\nCrypto\nIKEv2\nIPsec", do_debug, 0},
	{CLI_MODE_EXEC, "undebug all", "Disable debugging\nAll debugging", do_undebug_all, 0},
	{CLI_MODE_EXEC, "configure terminal",
	 "Enter configuration mode\nConfigure from the terminal", do_configure_terminal, 0},
	{CLI_MODE_EXEC, "configure replace LINE$file",
	 "Enter configuration mode\nReplace the running configuration by a file\nFile name",
	 do_configure_replace, 0},
	{CLI_MODE_EXEC, "write [memory]", "Write the running configuration\nTo the startup file",
	 do_write_memory, 0},
	{CLI_MODE_EXEC, "copy running-config startup-config",
	 "Copy\nThe running configuration\nThe startup file", do_write_memory, 0},
	{CLI_MODE_EXEC, "write terminal", "Write the running configuration\nTo this terminal",
	 do_write_terminal, 0},
	{CLI_MODE_EXEC, "enable", "Privileged mode (always on)", do_nothing, 0},
	{CLI_MODE_EXEC, "terminal length (0-512)", "Terminal\nLines per page\nNumber (0 = no paging)",
	 do_nothing, CLI_F_HIDDEN},
};

int cmd_init(struct vtid *v)
{
	struct cli_error err = {0};
	struct cli *grammar = cli_new();
	if (!grammar)
		return -ENOMEM;
	v->grammar = grammar;
	int rc = cfg_cli_register(grammar);
	if (rc == 0)
		rc = cli_install(grammar, exec_cmds, sizeof(exec_cmds) / sizeof(exec_cmds[0]), &err);
	if (rc < 0)
		log_err("command grammar: %s", err.msg);
	return rc;
}

void cmd_fini(struct vtid *v)
{
	cli_free(v->grammar);
	v->grammar = NULL;
}

struct cmd_session *cmd_session_new(struct vtid *v, const struct ucred *cred)
{
	struct cmd_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->v = v;
	if (cred) {
		s->has_cred = true;
		s->cred = *cred;
		snprintf(s->who, sizeof(s->who), "the session of uid %u pid %d",
			 (unsigned)cred->uid, (int)cred->pid);
	} else {
		snprintf(s->who, sizeof(s->who), "another session");
	}
	s->next = v->sessions;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &v->sessions;
	v->sessions = s;
	return s;
}

void cmd_session_free(struct cmd_session *s)
{
	if (!s)
		return;
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	cfg_session_free(s->cfg);
	free(s);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* "do CMD" in configuration modes runs an EXEC command. */
static const char *do_prefix(const char *line)
{
	const char *p = skip_ws(line);
	if (strncmp(p, "do", 2) == 0 && (p[2] == ' ' || p[2] == '\t'))
		return skip_ws(p + 2);
	return NULL;
}

static void report(struct sbuf *out, const char *line, const struct cli_error *err)
{
	/* IOS marks the column with a caret under the input.  The echo shows a
	 * control character as '?' (the caret stays in place): it goes back to
	 * a terminal. */
	if (err->col > 0) {
		for (const char *p = line; *p;) {
			int cc = cfg_ctrl_col(p);
			int n = cc ? cc - 1 : (int)strlen(p);
			sbuf_printf(out, "%.*s%s", n, p, cc ? "?" : "");
			p += n + (cc ? 1 : 0);
		}
		sbuf_printf(out, "\n%*s^\n", err->col - 1, "");
	}
	sbuf_printf(out, "%% %s\n", err->msg[0] == '%' ? err->msg + 2 : err->msg);
}

static int exec_line(struct cmd_session *s, const char *line, struct sbuf *out)
{
	struct cmd_ctx ctx = {.s = s, .out = out};
	struct cli_error err = {0};
	const char *p = skip_ws(line);
	/* As configuration lines (cfg_session_line_at): no control characters,
	 * not even in a comment. */
	if ((err.col = cfg_ctrl_col(line)) > 0) {
		snprintf(err.msg, sizeof(err.msg), "control character 0x%02x not allowed",
			 (unsigned char)line[err.col - 1]);
		report(out, line, &err);
		return 1;
	}
	if (*p == '\0' || *p == '!')
		return 0;
	int rc = cli_execute(s->v->grammar, CLI_MODE_EXEC, line, &ctx, &err);
	if (rc < 0) {
		if (err.msg[0] == '%')
			sbuf_printf(out, "%s\n", err.msg);
		else
			report(out, line, &err);
		return 1;
	}
	return 0;
}

struct removed_ctx {
	struct cmd_session *s;
	char buf[160];
};

static const char *removed_by(void *ctx, const char *key)
{
	struct removed_ctx *r = ctx;
	return vtid_removed_by(r->s->v, r->s->base_gen, key, r->buf, sizeof(r->buf));
}

/* Another change came since the candidate was made: make it anew from the
 * running configuration with this session's pending lines on top. */
static int rebase(struct cmd_session *s, struct sbuf *out)
{
	struct removed_ctx r = {.s = s};
	char msg[512];
	int rc = cfg_session_rebase(s->cfg, s->v->running, removed_by, &r, msg, sizeof(msg));
	s->base_gen = s->v->running_gen;
	if (rc == -ESTALE) {
		s->pending = false;
		sbuf_printf(out, "%% Not applied: %s\n", msg);
		return 1;
	}
	if (rc < 0) {
		sbuf_printf(out, "%% out of memory\n");
		return 1;
	}
	return 0;
}

static int config_line(struct cmd_session *s, const char *line, struct sbuf *out)
{
	struct cfg_error err = {0};
	/* On a conflict the line is refused, but `end` still ends: nothing
	 * else is safe to run where the session now stands. */
	if (s->base_gen != s->v->running_gen && rebase(s, out) && strcmp(skip_ws(line), "end") != 0)
		return 1;
	int rc = cfg_session_line(s->cfg, line, &err);
	if (rc < 0) {
		struct cli_error ce = {.col = err.col};
		size_t ml = strnlen(err.msg, sizeof(ce.msg) - 1);
		memcpy(ce.msg, err.msg, ml);
		ce.msg[ml] = '\0';
		report(out, line, &ce);
		return 1;
	}
	/* IOS applies each accepted line at once.  A candidate that doesn't
	 * validate yet (say, protection typed before the tunnel source) waits
	 * for the lines that complete it. */
	const struct cfg_model *cand = cfg_session_model(s->cfg);
	struct cfg_errors errs = {0};
	if (cfg_validate(cand, &errs) < 0) {
		s->pending = true;
		sbuf_printf(out, "%% Not applied yet: %s\n", errs.n ? errs.e[0].msg : "incomplete");
	} else {
		struct cfg_model *next = cfg_model_dup(cand);
		char msg[1024];
		if (!next) {
			sbuf_printf(out, "%% out of memory\n");
			return 1;
		}
		if (vtid_apply_by(s->v, next, s->who, msg, sizeof(msg)) < 0) {
			/* refused as a whole: the line must leave no trace in the
			 * candidate either */
			sbuf_printf(out, "%% %s\n", msg);
			cfg_session_forget_last(s->cfg);
			rebase(s, out);
			return 1;
		}
		cfg_session_commit(s->cfg);
		s->base_gen = s->v->running_gen;
		s->pending = false;
	}
	if (rc == CFG_LINE_END || rc == CFG_LINE_EXIT) {
		if (s->pending)
			sbuf_printf(out, "%% Pending changes were not applied: the configuration is "
					 "incomplete\n");
		cfg_session_free(s->cfg);
		s->cfg = NULL;
		s->pending = false;
	}
	return 0;
}

int cmd_exec(struct cmd_session *s, const char *line, struct sbuf *out)
{
	if (s->cfg) {
		const char *sub = do_prefix(line);
		if (sub)
			return exec_line(s, sub, out);
		return config_line(s, line, out);
	}
	const char *p = skip_ws(line);
	if (strcmp(p, "end") == 0 || strcmp(p, "disable") == 0)
		return 0;
	return exec_line(s, line, out);
}

static int items_to_json(int n, const struct cli_help_item *items, int max, struct json_object *arr,
			 bool with_help)
{
	for (int i = 0; i < n && i < max; i++) {
		if (with_help) {
			struct json_object *pair = json_object_new_array();
			json_object_array_add(pair, json_object_new_string(items[i].token));
			json_object_array_add(pair, json_object_new_string(items[i].help));
			json_object_array_add(arr, pair);
		} else {
			json_object_array_add(arr, json_object_new_string(items[i].token));
		}
	}
	return 0;
}

static int complete_or_help(struct cmd_session *s, const char *line, struct json_object *arr,
			    bool help)
{
	enum { MAX = 256 };
	struct cli_help_item *items = calloc(MAX, sizeof(*items));
	struct cli_error err = {0};
	int n;
	if (!items)
		return -ENOMEM;
	const char *sub = s->cfg ? do_prefix(line) : NULL;
	if (s->cfg && !sub)
		n = help ? cfg_session_help(s->cfg, line, items, MAX, &err)
			 : cfg_session_complete(s->cfg, line, items, MAX, &err);
	else
		n = help ? cli_help(s->v->grammar, CLI_MODE_EXEC, sub ? sub : line, items, MAX, &err)
			 : cli_complete(s->v->grammar, CLI_MODE_EXEC, sub ? sub : line, items, MAX,
					&err);
	if (n >= 0)
		items_to_json(n, items, MAX, arr, help);
	free(items);
	return n < 0 ? n : 0;
}

int cmd_complete(struct cmd_session *s, const char *line, struct json_object *arr)
{
	return complete_or_help(s, line, arr, false);
}

int cmd_help(struct cmd_session *s, const char *line, struct json_object *arr)
{
	return complete_or_help(s, line, arr, true);
}

void cmd_prompt(struct cmd_session *s, char *buf, size_t len)
{
	const char *host = s->v->running && s->v->running->hostname[0] ? s->v->running->hostname
									 : "vtid";
	if (s->cfg)
		snprintf(buf, len, "%s(%s)#", host, cfg_session_prompt(s->cfg));
	else
		snprintf(buf, len, "%s#", host);
}

bool cmd_session_configuring(const struct cmd_session *s)
{
	return s->cfg != NULL;
}
