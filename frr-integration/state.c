/* state.c: keeping FRR's configuration in step with vtid's.
 *
 * frr_state remembers the FRR text it last asked FRR to hold (`want`) and
 * whether FRR accepted it.  A change applies the removals of old-vs-new and
 * then the whole new text.  The periodic check reads `show running-config`
 * and looks for markers of our text: each top-level block header other than
 * an interface (`router ospf`, `router bgp 65001`, `bfd`, which FRR prints as
 * we wrote them), and each interface's `ip ospf area` line under that
 * interface.  A restarted ospfd or bfdd comes back empty, so a marker is
 * missing and the whole text is applied again.
 *
 * A line FRR refuses (vtysh reports an error) stays missing however often it
 * is sent, so after every apply the number of missing markers is kept as a
 * baseline: the check re-applies only when more are missing than that (a
 * restart), not every period for a block FRR will never take.  An apply that
 * vtysh calls clean but leaves markers missing means a daemon was not up
 * yet: the next check tries again. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <json-c/json.h>

#include <openssl/crypto.h>

#include "frr-integration/frr.h"
#include "frr-integration/priv.h"
#include "lib/ifaddr.h"
#include "lib/log.h"

struct frr_state {
	struct frr_vtysh vt; /* its strings owned here */
	char *want;   /* FRR text we want FRR to hold; NULL = nothing yet */
	/* want parsed once, for the periodic checks; n_top 0 when it did not parse */
	struct frr_tree want_tree;
	bool in_step; /* the last apply reached FRR and the daemons were up */
	int refused;  /* markers missing right after that apply (FRR refused them) */
	/* What FRR refused is offered again after refused_wait more checks,
	 * the wait doubling each time (REFUSED_FIRST .. REFUSED_MAX checks):
	 * a refusal may be passing (a daemon busy or half started), and
	 * sending a truly bad line every period would only fill the log. */
	unsigned refused_wait, refused_backoff;
	struct frr_stats stats;
	struct ospf_miss *miss; /* frr_state_check_ospf: interfaces ospfd left out */
	size_t n_miss;
};

/* An interface ospfd should run on and did not at the last checks: after
 * `due` misses in a row its lines go again, and `due` doubles (up to
 * OSPF_DUE_MAX checks) while it stays out. */
struct ospf_miss {
	char ifname[IFNAMSIZ];
	unsigned misses, due;
};

enum { REFUSED_FIRST = 3, REFUSED_MAX = 100, OSPF_DUE_FIRST = 2, OSPF_DUE_MAX = 128 };

static int settle(struct frr_state *st, int r);

static void free_text(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

struct frr_state *frr_state_new(const struct frr_vtysh *vt)
{
	struct frr_state *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	if (vt) {
		st->vt.timeout_ms = vt->timeout_ms;
		if ((vt->bin && !(st->vt.bin = strdup(vt->bin))) ||
		    (vt->vty_dir && !(st->vt.vty_dir = strdup(vt->vty_dir)))) {
			frr_state_free(st);
			return NULL;
		}
	}
	return st;
}

void frr_state_free(struct frr_state *st)
{
	if (!st)
		return;
	free_text(st->want);
	frr_tree_free(&st->want_tree);
	free(st->miss);
	free((char *)st->vt.bin);
	free((char *)st->vt.vty_dir);
	free(st);
}

const struct frr_vtysh *frr_state_vtysh(const struct frr_state *st)
{
	return &st->vt;
}

void frr_state_stats(const struct frr_state *st, struct frr_stats *out)
{
	*out = st->stats;
}

/* Applies text (already prefixed with removals when needed) and logs what
 * FRR said about it. */
static int apply_logged(struct frr_state *st, const char *text, char **output)
{
	char *out = NULL;
	int r;

	st->stats.applies++;
	r = frr_apply(&st->vt, text, &out);
	if (r < 0) {
		st->stats.apply_errors++;
		/* vtysh's messages name the FRR line; they hold no keys */
		log_warn("frr: applying the routing configuration: %s%s%s", strerror(-r),
			 out && *out ? ": " : "", out ? out : "");
	}
	if (output)
		*output = out;
	else
		free(out);
	return r;
}

int frr_state_apply(struct frr_state *st, const char *frr_text, char **output)
{
	struct frr_buf all = {0};
	char *removals = NULL, *want;
	int r;

	if (output)
		*output = NULL;
	want = strdup(frr_text ? frr_text : "");
	if (!want)
		return -ENOMEM;
	r = frr_diff_removals(st->want, want, &removals);
	if (r < 0) {
		free_text(want);
		return r;
	}
	frr_buf_puts(&all, removals);
	frr_buf_puts(&all, want);
	free_text(removals);
	if (all.oom) {
		frr_buf_free(&all);
		free_text(want);
		return -ENOMEM;
	}
	free_text(st->want);
	st->want = want;
	frr_tree_free(&st->want_tree);
	if (frr_tree_parse(want, &st->want_tree) < 0)
		frr_tree_free(&st->want_tree); /* count_missing parses it again */
	st->refused_backoff = REFUSED_FIRST;
	if (all.len == 0) {
		st->in_step = true;
		st->refused = 0;
		r = 0;
	} else {
		r = settle(st, apply_logged(st, all.s, output));
	}
	frr_buf_free(&all);
	return r;
}

int frr_state_apply_model(struct frr_state *st, const struct cfg_model *m, char *err, size_t errlen,
			  char **output)
{
	char *text = NULL, *frr = NULL;
	int r;

	if (output)
		*output = NULL;
	r = frr_model_text(m, &text);
	if (r < 0)
		return r;
	r = frr_translate(text, &frr, err, errlen);
	free_text(text);
	if (r < 0)
		return r;
	r = frr_state_apply(st, frr, output);
	free_text(frr);
	return r;
}

/* How many markers of `want` the running configuration lacks. */
static int markers_missing(const struct frr_tree *want, const struct frr_tree *run)
{
	int missing = 0;

	for (size_t i = 0; i < want->n_top; i++) {
		const struct frr_node *w = &want->top[i];
		const struct frr_node *r = frr_tree_top(run, w->text);

		if (strncmp(w->text, "interface ", 10) != 0) {
			if (w->n_kid && !r)
				missing++;
			continue;
		}
		for (size_t j = 0; j < w->n_kid; j++) {
			if (strncmp(w->kid[j].text, "ip ospf area ", 13) != 0)
				continue;
			if (!r || !frr_tree_find(r->kid, r->n_kid, w->kid[j].text))
				missing++;
		}
	}
	return missing;
}

/* One `show running-config`: the number of our markers it lacks, or
 * -errno when FRR did not answer. */
static int count_missing(struct frr_state *st)
{
	struct frr_tree want = {0}, run = {0};
	char *text = NULL;
	int r;

	r = frr_show(&st->vt, "show running-config", &text);
	if (r < 0) {
		free(text);
		return r;
	}
	r = st->want_tree.n_top || !*st->want ? 0 : frr_tree_parse(st->want, &want);
	if (r == 0)
		r = frr_tree_parse(text, &run);
	free_text(text);
	if (r == 0)
		r = markers_missing(want.n_top ? &want : &st->want_tree, &run);
	frr_tree_free(&want);
	frr_tree_free(&run);
	return r;
}

/* After an apply that returned r: is FRR in step, and what did it refuse?
 * Returns r, or -EAGAIN when a clean apply left markers missing. */
static int settle(struct frr_state *st, int r)
{
	int missing;

	st->in_step = false;
	if (r < 0 && r != -EIO)
		return r; /* FRR not reached */
	missing = count_missing(st);
	if (missing < 0)
		return r < 0 ? r : missing;
	if (r == 0 && missing > 0)
		return -EAGAIN; /* vtysh skipped a daemon that is not up yet */
	st->in_step = true;
	st->refused = missing;
	st->refused_wait = st->refused_backoff; /* set by frr_state_apply */
	return r;
}

int frr_state_check(struct frr_state *st, char **output)
{
	int r;

	if (output)
		*output = NULL;
	st->stats.checks++;
	if (!st->want)
		return 0;
	r = count_missing(st);
	if (r < 0) {
		st->stats.unreachable++;
		st->in_step = false;
		return r;
	}
	if (st->in_step && r <= st->refused) {
		st->refused = r; /* FRR may take later what it refused */
		if (r == 0 || (st->refused_wait && --st->refused_wait > 0))
			return 0;
		log_warn("frr: FRR still lacks %d routing line(s) it refused; offering them again", r);
		st->refused_backoff = st->refused_backoff * 2 > REFUSED_MAX ? REFUSED_MAX
									    : st->refused_backoff * 2;
		st->stats.reapplies++;
		r = settle(st, apply_logged(st, st->want, output));
		return r < 0 ? r : 1;
	}
	log_notice("frr: FRR lacks vtid's routing configuration (restarted?), applying it again");
	st->stats.reapplies++;
	r = settle(st, apply_logged(st, st->want, output));
	return r < 0 ? r : 1;
}

/* ---- ospfd on every interface it should run on ----
 *
 * ospfd can hold an interface's `ip ospf area` line in its configuration
 * and still not run OSPF on it although the device is up with its address:
 * seen in the lab with a tunnel device whose carrier came and went while
 * the lab started (CI, t-triangle, once in many runs), and reported to FRR
 * for tunnels (issues #16767, #18885).  `show running-config` cannot see
 * that, so this reads `show ip ospf interface json`, which lists the
 * interfaces OSPF runs on and are up.  Sending the interface's lines again,
 * `no ip ospf area` first, makes ospfd take the interface afresh. */

/* The device is up, running and has an IPv4 address. */
static bool if_ready(int fd, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0 ||
	    (ifr.ifr_flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
		return false;
	return ioctl(fd, SIOCGIFADDR, &ifr) == 0;
}

/* The counters of `name` from the last check, or fresh ones.  The last
 * check's array is in the order of the configuration, which this check
 * walks again: *hint (where the last find ended) makes each find one
 * comparison, not a walk, for thousands of tunnels every few seconds. */
static struct ospf_miss miss_take(const struct frr_state *st, const char *name, size_t *hint)
{
	size_t i = *hint;
	if (i >= st->n_miss || strcmp(st->miss[i].ifname, name) != 0)
		for (i = 0; i < st->n_miss && strcmp(st->miss[i].ifname, name) != 0; i++)
			;
	if (i < st->n_miss) {
		*hint = i + 1;
		return st->miss[i];
	}
	struct ospf_miss m = {.due = OSPF_DUE_FIRST};
	snprintf(m.ifname, sizeof(m.ifname), "%s", name);
	return m;
}

/* The interfaces `show ip ospf interface json` lists; NULL if it did not
 * parse (no ospfd: nothing to check). */
static struct json_object *ospf_ifs(struct frr_state *st, int *err)
{
	char *text = NULL;

	*err = frr_show(&st->vt, "show ip ospf interface json", &text);
	if (*err < 0) {
		free(text);
		return NULL;
	}
	struct json_object *o = text ? json_tokener_parse(text) : NULL, *ifs;
	free(text);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	if (!json_object_object_get_ex(o, "interfaces", &ifs))
		return o;
	json_object_get(ifs);
	json_object_put(o);
	return ifs;
}

/* zebra lists `name` with an IPv4 address (`show interface brief`: name,
 * status, VRF, addresses); true when it could not be asked. */
static bool zebra_has_addr(struct frr_state *st, const char *name)
{
	char *text = NULL;
	bool has = true;

	if (frr_show(&st->vt, "show interface brief", &text) == 0 && text) {
		size_t n = strlen(name);
		has = false;
		for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
			char vrf[64], addr[64];
			if (strncmp(l, name, n) != 0 || (l[n] != ' ' && l[n] != '\t'))
				continue;
			has = sscanf(l + n, "%*s %63s %63s", vrf, addr) == 2 && strchr(addr, '/') &&
			      strchr(addr, '.');
			break;
		}
	}
	free(text);
	return has;
}

/* The interface block `w` again, its area line withdrawn first. */
static char *rerun_text(const struct frr_node *w, const char *area_line)
{
	struct frr_buf b = {0};

	frr_buf_printf(&b, "%s\n no %s\n", w->text, area_line);
	for (size_t i = 0; i < w->n_kid; i++)
		frr_buf_printf(&b, " %s\n", w->kid[i].text);
	frr_buf_printf(&b, "exit\n");
	return frr_buf_take(&b);
}

int frr_state_check_ospf(struct frr_state *st, char **output)
{
	const struct frr_tree want = st->want_tree;
	struct json_object *ifs = NULL;
	int fd = -1, r = 0, rerun = 0;

	if (output)
		*output = NULL;
	if (!st->want || !st->in_step || !want.n_top)
		goto out;
	bool ospf = false;
	for (size_t i = 0; i < want.n_top; i++)
		ospf |= !strncmp(want.top[i].text, "router ospf", 11) && want.top[i].n_kid;
	/* this check's candidates, in the configuration's order; the
	 * interfaces that are no longer candidates are forgotten */
	struct ospf_miss *next = calloc(want.n_top, sizeof(*next));
	size_t n_next = 0, hint = 0;
	if (!next)
		goto out;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (size_t i = 0; ospf && fd >= 0 && i < want.n_top; i++) {
		const struct frr_node *w = &want.top[i];
		if (strncmp(w->text, "interface ", 10) != 0)
			continue;
		const char *name = w->text + 10, *area = NULL;
		for (size_t j = 0; j < w->n_kid && !area; j++)
			if (!strncmp(w->kid[j].text, "ip ospf area ", 13))
				area = w->kid[j].text;
		if (!area || strlen(name) >= IFNAMSIZ || !if_ready(fd, name))
			continue;
		if (!ifs && !(ifs = ospf_ifs(st, &r)))
			break;
		struct ospf_miss *m = &next[n_next++];
		*m = miss_take(st, name, &hint);
		if (json_object_object_get_ex(ifs, name, NULL)) {
			m->misses = 0;
			m->due = OSPF_DUE_FIRST;
			continue;
		}
		if (++m->misses < m->due)
			continue;
		st->stats.ospf_rerun++;
		if (!zebra_has_addr(st, name)) {
			log_warn("frr: zebra does not know %s's address (the device appeared while "
				 "zebra started?): announcing it again",
				 name);
			if (ifaddr_reannounce(name) > 0)
				rerun++;
		} else {
			log_warn("frr: ospfd does not run on %s, which is up with an address: "
				 "sending its OSPF lines again",
				 name);
			char *text = rerun_text(w, area);
			if (text && apply_logged(st, text, output && !*output ? output : NULL) == 0)
				rerun++;
			free_text(text);
		}
		m->misses = 0;
		m->due = m->due * 2 > OSPF_DUE_MAX ? OSPF_DUE_MAX : m->due * 2;
	}
	free(st->miss);
	st->miss = next;
	st->n_miss = n_next;
out:
	if (fd >= 0)
		close(fd);
	json_object_put(ifs);
	return r < 0 ? r : rerun;
}
