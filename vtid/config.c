/* config.c: the daemon's configuration life: load at start, check, reload,
 * apply a new model as an ordered change list, save.
 *
 * vtid_apply() is the one applier: every configuration change — the file at
 * start, SIGHUP, `configure replace`, each line of `configure terminal` —
 * goes through it, so they all behave the same: the old and new models are
 * diffed, removed tunnels go first, changed tunnels restart alone, added
 * tunnels come up at once, and the routing part goes to FRR. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/diff.h"
#include "frr-integration/frr.h"
#include "gre/dp.h"
#include "ike/ike.h"
#include "lib/log.h"
#include "vtid/acl.h"
#include "vtid/cmd.h"
#include "vtid/ctlglue.h"
#include "vtid/daemon.h"
#include "vtid/ifaces.h"
#include "vtid/notify.h"
#include "vtid/privs.h"
#include "vtid/qos.h"
#include "vtid/spec.h"
#include "vtid/tunnel.h"

static void errors_to_text(const struct cfg_errors *errs, const char *file, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (int i = 0; i < errs->n && off < len; i++) {
		char line[512];
		cfg_error_format(&errs->e[i], file, line, sizeof(line));
		int n = snprintf(buf + off, len - off, "%s\n", line);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* The lines a loaded file holds that Linux ignores (speed auto...): each
 * once, where the file is read (check, start, reload). */
static void notes_out(const struct cfg_model *m, const char *path, FILE *out)
{
	struct cfg_errors *notes = malloc(sizeof(*notes));
	char line[512];
	if (!notes)
		return;
	cfg_notes(m, notes);
	for (int i = 0; i < notes->n; i++) {
		cfg_note_format(&notes->e[i], path, line, sizeof(line));
		if (out)
			fprintf(out, "%s\n", line);
		else
			log_info("%s", line);
	}
	free(notes);
}

int vtid_check_config(const char *path)
{
	struct cfg_model *m = NULL;
	struct cfg_errors errs = {0};
	if (cfg_parse_file(path, &m, &errs) < 0) {
		cfg_errors_print(&errs, path, stderr);
		cfg_grammar_free();
		return 1;
	}
	notes_out(m, path, stderr);
	struct cfg_buf b = {0};
	int rc = cfg_write(m, &b);
	if (rc == 0)
		fwrite(b.s, 1, b.len, stdout);
	cfg_buf_free(&b);
	cfg_model_free(m);
	cfg_grammar_free();
	return rc == 0 ? 0 : 1;
}

/* The routing part of the configuration goes to FRR through its vtysh. */
static int push_routing(struct vtid *v, const struct cfg_model *m)
{
	char err[512] = "";
	char *output = NULL;
	int rc = frr_state_apply_model(v->frr, m, err, sizeof(err), &output);
	if (rc == -EINVAL && err[0])
		log_err("routing configuration: %s", err);
	else if (rc < 0)
		log_warn("FRR: applying the routing configuration: %s%s%s", strerror(-rc),
			 output && *output ? "\n" : "", output ? output : "");
	free(output);
	return rc;
}

/* FRR may restart under us; a cheap periodic check re-applies our part.
 * Every 3 s, or ten times as long as the last check took: with thousands
 * of tunnels FRR's running configuration and OSPF interface list are
 * large, and the check must not become the router's main work. */
static void frr_check(void *arg)
{
	struct vtid *v = arg;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	char *output = NULL;
	int rc = frr_state_check(v->frr, &output);
	if (rc == 1)
		log_notice("FRR had lost vtid's routing configuration: applied again");
	free(output);
	output = NULL;
	if (rc == 0)
		frr_state_check_ospf(v->frr, &output);
	free(output);
	/* A tunnel restarted since: its new device needs its qdiscs again. */
	if (v->qos && v->running)
		qos_commit(v->qos, v->running);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int64_t took = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	loop_timer_arm(v->loop, &v->frr_timer, took * 10 > 3000 ? (uint64_t)took * 10 : 3000);
}

/* `dataplane userspace multi-queue N` changed at run time: a device's
 * queues are made with it, so the tunnels made from now on follow N and
 * the others keep theirs until they restart; the log says how many. */
static void dp_mq_changed(struct vtid *v, const struct cfg_model *next)
{
	if (dp_workers(v->dp_ops, v->dp) == 0) {
		log_notice("dataplane userspace multi-queue %u: the %s data plane runs, whose "
			   "devices are not TUN devices; it applies when the userspace one does",
			   cfg_dp_mq_tunnels(next), v->dp_ops->name);
		return;
	}
	size_t n = 0, mq = 0; /* the devices, as show dataplane counts them */
	for (struct tunnel *t = tunnels_first(v->tunnels); t; t = t->next) {
		if (!t->link)
			continue;
		n++;
		mq += t->spec.link.queues != 1;
	}
	if (n == 0) /* (at start: nothing made yet) */
		return;
	log_notice("dataplane userspace multi-queue %u: tunnel devices made from now on follow "
		   "it; the %zu running keep their queues (%zu multi-queue) until they restart",
		   cfg_dp_mq_tunnels(next), n, mq);
}

/* Brings one tunnel to what `next` says, as the change list decided. */
static void apply_tunnel(struct vtid *v, const struct cfg_model *next, size_t tunnels,
			 const char *name, enum tunnel_verdict verdict)
{
	struct tunnel_spec spec;
	char err[256];
	if (spec_from_model(next, tunnels, name, &spec, err, sizeof(err)) < 0) {
		log_err("%s: not brought up: %s", name, err);
		if (tunnel_find(v->tunnels, name))
			tunnel_del(v->tunnels, name);
	} else if (tunnel_change(v->tunnels, &spec, verdict) < 0) {
		log_err("%s: cannot apply the configuration", name);
	}
	spec_wipe(&spec);
}

/* ---- tunnel source INTERFACE follows the interface's address ---- */

/* An address or a link changed (ifaces.c, coalesced): each tunnel whose
 * source is an interface moves to that interface's primary address now,
 * restarted whole (device, IKE SA, Child SAs) as a changed `tunnel source`
 * line would be; one whose interface has no address goes down until it
 * has one. */
static void on_ifaces_change(void *ctx)
{
	struct vtid *v = ctx;
	const struct cfg_model *m = v->running;
	char was[INET_ADDRSTRLEN], now[INET_ADDRSTRLEN];
	size_t tunnels = spec_count_tunnels(m);
	for (size_t i = 0; m && i < m->n_interface; i++) {
		const struct cfg_interface *t = &m->interface[i];
		if (!t->is_tunnel || t->has_src_addr || !t->src_if[0])
			continue;
		const char *dev = cfg_linux_ifname(m, t->src_if);
		uint32_t a = 0;
		bool has = ifaces_primary_v4(dev, &a) == 0;
		struct tunnel *tn = tunnel_find(v->tunnels, t->name);
		if (!tn && !has)
			continue;
		if (tn && has && tn->spec.link.local.s_addr == a)
			continue;
		inet_ntop(AF_INET, tn ? &tn->spec.link.local : &(struct in_addr){0}, was, sizeof(was));
		inet_ntop(AF_INET, &(struct in_addr){a}, now, sizeof(now));
		if (!tn)
			log_notice("%s: tunnel source %s (%s) has the address %s: bringing the tunnel "
				   "up", t->name, t->src_if, dev, now);
		else if (!has)
			log_notice("%s: tunnel source %s (%s) lost its address %s: the tunnel goes "
				   "down until it has one", t->name, t->src_if, dev, was);
		else
			log_notice("%s: tunnel source %s (%s) moved from %s to %s: restarting the "
				   "tunnel from the new address", t->name, t->src_if, dev, was, now);
		apply_tunnel(v, m, tunnels, t->name, TUNNEL_RESTART);
	}
}

/* ---- the change log (sessions that compose, conf/compose.c) ---- */

struct keyset {
	char **k;
	size_t n, cap;
	bool oom;
};

static void keyset_add(void *ctx, const char *key)
{
	struct keyset *s = ctx;
	if (s->oom)
		return;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **k = realloc(s->k, cap * sizeof(*k));
		if (!k) {
			s->oom = true;
			return;
		}
		s->k = k;
		s->cap = cap;
	}
	if (!(s->k[s->n] = strdup(key)))
		s->oom = true;
	else
		s->n++;
}

static int keycmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void keyset_free(struct keyset *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->k[i]);
	free(s->k);
	memset(s, 0, sizeof(*s));
}

static void change_free(struct vtid_change *c)
{
	for (size_t i = 0; i < c->n_removed; i++)
		free(c->removed[i]);
	free(c->removed);
	memset(c, 0, sizeof(*c));
}

/* Records change v->running_gen: the keys of `old` that `next` lacks. */
static void change_record(struct vtid *v, const struct cfg_model *old,
			  const struct cfg_model *next, const char *who)
{
	struct vtid_change *c = &v->changes[v->running_gen % VTID_CHANGES];
	change_free(c);
	c->gen = v->running_gen;
	c->at = time(NULL);
	snprintf(c->who, sizeof(c->who), "%s", who ? who : "vtid");
	struct keyset a = {0}, b = {0};
	if (old)
		cfg_model_keys(old, keyset_add, &a);
	cfg_model_keys(next, keyset_add, &b);
	if (!a.oom && !b.oom) {
		if (a.n)
			qsort(a.k, a.n, sizeof(*a.k), keycmp);
		if (b.n)
			qsort(b.k, b.n, sizeof(*b.k), keycmp);
		c->removed = calloc(a.n ? a.n : 1, sizeof(*c->removed));
		size_t j = 0;
		for (size_t i = 0; c->removed && i < a.n; i++) {
			while (j < b.n && strcmp(b.k[j], a.k[i]) < 0)
				j++;
			if (j < b.n && strcmp(b.k[j], a.k[i]) == 0)
				continue;
			c->removed[c->n_removed++] = a.k[i]; /* taken from a */
			a.k[i] = NULL;
		}
		if (!c->removed)
			c->gen = 0;
	} else {
		c->gen = 0; /* unknown: sessions only check that objects exist */
	}
	keyset_free(&a);
	keyset_free(&b);
}

const char *vtid_removed_by(struct vtid *v, uint64_t since, const char *key, char *buf,
			    size_t len)
{
	uint64_t first = since + 1;
	if (v->running_gen >= VTID_CHANGES && first <= v->running_gen - VTID_CHANGES)
		first = v->running_gen - VTID_CHANGES + 1; /* older ones are forgotten */
	for (uint64_t g = first; g <= v->running_gen; g++) {
		const struct vtid_change *c = &v->changes[g % VTID_CHANGES];
		if (c->gen != g)
			continue;
		for (size_t i = 0; i < c->n_removed; i++)
			if (strcmp(c->removed[i], key) == 0) {
				struct tm tm;
				char ts[16];
				localtime_r(&c->at, &tm);
				strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
				snprintf(buf, len, "%s at %s", c->who, ts);
				return buf;
			}
	}
	return NULL;
}

int vtid_apply(struct vtid *v, struct cfg_model *next, char *err, size_t errlen)
{
	return vtid_apply_by(v, next, "vtid", err, errlen);
}

int vtid_apply_by(struct vtid *v, struct cfg_model *next, const char *who, char *err,
		  size_t errlen)
{
	struct cfg_changes ch = {0};
	/* QoS: everything the kernel must build is checked before anything
	 * changes; a policy it cannot build refuses the whole change. */
	if (v->qos && qos_check(v->qos, next, err, errlen) < 0) {
		cfg_model_free(next);
		return -ENOTSUP;
	}
	/* Access lists first, and all or nothing: a set the kernel refuses
	 * leaves everything as it was. */
	if (v->acl && acl_apply(v->acl, next, err, errlen) < 0) {
		cfg_model_free(next);
		return -EINVAL;
	}
	int rc = cfg_diff(v->running, next, &ch);
	if (rc < 0) {
		snprintf(err, errlen, "cannot compute the changes: %s", strerror(-rc));
		cfg_model_free(next);
		return rc;
	}
	/* Plain interfaces first: a tunnel whose source is one of them finds
	 * its address there. */
	ifaces_apply(v->ifaces, next);
	/* cfg_diff orders the list: globals, removals (so a replacement may
	 * reuse the endpoints), restarts, additions, updates, QoS, routing.
	 * A tunnel the list doesn't name is not touched at all. */
	size_t tunnels = spec_count_tunnels(next);
	/* every apply (the engine starts with the same default): cheap */
	ike_set_cookie_threshold(v->ike, cfg_cookie_challenge(next));
	for (size_t i = 0; i < ch.n; i++) {
		const struct cfg_change *c = &ch.v[i];
		switch (c->kind) {
		case CFG_CH_GLOBALS:
			if (c->what & CFG_W_KEYLOG) {
				int k = ike_set_keylog(v->ike, next->keylog[0] ? next->keylog : NULL);
				if (k < 0)
					log_err("crypto ikev2 keylog %s: %s", next->keylog,
						strerror(-k));
			}
			/* (the first apply goes from the empty model to the file's,
			 * whose dataplane is the one started) */
			if ((c->what & CFG_W_DATAPLANE) && (int)next->dataplane != v->dp_cfg_started)
				log_warn("dataplane %s: takes effect when vtid restarts",
					 cfg_dataplane_name(next->dataplane));
			if ((c->what & CFG_W_DP_MQ) && v->running)
				dp_mq_changed(v, next);
			break;
		case CFG_CH_TUNNEL_REMOVE:
			tunnel_del(v->tunnels, c->name);
			break;
		case CFG_CH_TUNNEL_RESTART:
		case CFG_CH_TUNNEL_ADD:
			apply_tunnel(v, next, tunnels, c->name, TUNNEL_RESTART);
			break;
		case CFG_CH_TUNNEL_UPDATE:
			apply_tunnel(v, next, tunnels, c->name, TUNNEL_UPDATE);
			break;
		case CFG_CH_QOS:
			/* Access lists are applied above, whole; policy-maps are kept,
			 * not yet applied (QoS issue). */
			break;
		case CFG_CH_ROUTING:
			break;
		}
	}
	cfg_changes_free(&ch);
	/* After the tunnels: their devices must exist to take a qdisc. */
	if (v->qos)
		qos_commit(v->qos, next);
	v->running_gen++;
	change_record(v, v->running, next, who);
	cfg_model_free(v->running);
	v->running = next;
	/* Always: frr_state_apply_model sends only the removals and a text FRR
	 * already holds is a no-op, and this is what makes a start with FRR
	 * still coming up converge. */
	push_routing(v, next);
	return 0;
}

static int reload(struct vtid *v, const char *path, const char *who, char *err, size_t errlen);

/* The daemon's own reload (SIGHUP, who NULL) is framed for systemd:
 * RELOADING=1, then READY=1 whether it applied or not (vtid keeps
 * running the configuration it had). */
int vtid_reload(struct vtid *v, const char *path, const char *who, char *err, size_t errlen)
{
	if (who)
		return reload(v, path, who, err, errlen);
	vtid_notify_reloading();
	int rc = reload(v, path, who, err, errlen);
	vtid_notify_ready(rc < 0 ? "running; the last reload failed, see the log" : "running");
	return rc;
}

static int reload(struct vtid *v, const char *path, const char *who, char *err, size_t errlen)
{
	struct cfg_model *m = NULL;
	struct cfg_errors errs = {0};
	/* A reload replaces everything: an empty file is far likelier a
	 * mistake (or a truncated write) than an intent to remove it all.
	 * The daemon's own file may be a link root made; a path an operator
	 * names (`configure replace`, who != NULL) may not. */
	unsigned flags = CFG_PARSE_NOT_EMPTY | (who ? 0 : CFG_PARSE_FOLLOW);
	if (cfg_parse_file_opts(path, flags, &m, &errs) < 0) {
		errors_to_text(&errs, path, err, errlen);
		return -EINVAL;
	}
	notes_out(m, path, NULL);
	char by[160];
	snprintf(by, sizeof(by), "%s %s", who ? "configure replace by" : "a reload of",
		 who ? who : path);
	return vtid_apply_by(v, m, by, err, errlen);
}

int vtid_write_memory(struct vtid *v, char *err, size_t errlen)
{
	struct cfg_buf b = {0};
	char tmp[4096];
	int rc = cfg_write(v->running, &b);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		cfg_buf_free(&b);
		return rc;
	}
	snprintf(tmp, sizeof(tmp), "%s.new", v->opts.conf_path);
	/* 0600: the file holds pre-shared keys. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
		cfg_buf_free(&b);
		return rc;
	}
	fchmod(fd, 0600);
	size_t off = 0;
	while (off < b.len) {
		ssize_t n = write(fd, b.s + off, b.len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		off += (size_t)n;
	}
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	close(fd);
	cfg_buf_free(&b);
	if (rc == 0 && rename(tmp, v->opts.conf_path) < 0)
		rc = -errno;
	if (rc < 0) {
		snprintf(err, errlen, "cannot save %s: %s", v->opts.conf_path, strerror(-rc));
		unlink(tmp);
		return rc;
	}
	log_notice("configuration saved to %s", v->opts.conf_path);
	return 0;
}

static const char *dataplane_name(struct vtid *v, const struct cfg_model *m)
{
	if (v->opts.dataplane)
		return v->opts.dataplane;
	return cfg_dataplane_name(m->dataplane);
}

int vtid_start(struct vtid *v)
{
	struct cfg_model *m = NULL;
	struct cfg_errors errs = {0};
	char err[4096];
	/* Before anything opens or starts a thread: see privs.c. */
	int prc = privs_drop();
	if (prc < 0)
		return prc;
	prc = cfg_parse_file(v->opts.conf_path, &m, &errs);
	if (prc == -ENOENT) {
		/* A new router: start empty, to be configured from vtish and saved
		 * with `write memory`. */
		log_notice("%s does not exist: starting with an empty configuration",
			   v->opts.conf_path);
		m = cfg_model_new();
		if (!m)
			return -ENOMEM;
	} else if (prc < 0) {
		errors_to_text(&errs, v->opts.conf_path, err, sizeof(err));
		log_err("configuration not loaded:\n%s", err);
		return -EINVAL;
	}
	notes_out(m, v->opts.conf_path, NULL);
	int rc = vtid_start_core(v, dataplane_name(v, m));
	if (rc < 0) {
		cfg_model_free(m);
		return rc;
	}
	v->qos = qos_engine_new(v->loop);
	if (!v->qos) {
		log_err("qos: no netlink or nftables context");
		cfg_model_free(m);
		return -ENOMEM;
	}
	v->acl = acl_engine_new(v->loop);
	if (!v->acl) {
		log_err("access lists: no nftables context");
		cfg_model_free(m);
		return -ENOMEM;
	}
	struct frr_vtysh vt = {.bin = v->opts.vtysh, .vty_dir = v->opts.frr_dir};
	v->frr = frr_state_new(&vt);
	if (!v->frr) {
		cfg_model_free(m);
		return -ENOMEM;
	}
	if ((rc = cmd_init(v)) < 0 || (rc = ctlglue_start(v)) < 0) {
		cfg_model_free(m);
		return rc;
	}
	v->ifaces = ifaces_new(v->loop, on_ifaces_change, v);
	if (!v->ifaces) {
		log_err("interfaces: no netlink socket");
		cfg_model_free(m);
		return -ENOMEM;
	}
	v->running = cfg_model_new();
	if (!v->running) {
		cfg_model_free(m);
		return -ENOMEM;
	}
	v->dp_cfg_started = (int)m->dataplane;
	rc = vtid_apply(v, m, err, sizeof(err));
	if (rc < 0)
		log_err("configuration: %s", err);
	loop_timer_init(&v->frr_timer, frr_check, v);
	loop_timer_arm(v->loop, &v->frr_timer, 3000);
	log_notice("vtid started: %s, control socket %s", v->opts.conf_path, v->opts.sock_path);
	return 0;
}

void vtid_stop(struct vtid *v)
{
	ctlglue_stop(v);
	cmd_fini(v);
	loop_timer_cancel(&v->frr_timer);
	frr_state_free(v->frr);
	v->frr = NULL;
	acl_engine_free(v->acl); /* removes vtid's nftables table */
	v->acl = NULL;
	qos_engine_free(v->qos);
	v->qos = NULL;
	ifaces_free(v->ifaces); /* removes the addresses vtid added */
	v->ifaces = NULL;
	if (v->loop)
		vtid_stop_core(v);
	for (size_t i = 0; i < VTID_CHANGES; i++)
		change_free(&v->changes[i]);
	cfg_model_free(v->running);
	v->running = NULL;
	cfg_grammar_free();
}
