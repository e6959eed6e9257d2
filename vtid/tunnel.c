/* tunnel.c: the tunnel layer (contract in tunnel.h).
 *
 * Ordering that keeps traffic flowing:
 *   child_up:   add inbound SA, then outbound SA (which becomes the active
 *               outbound SA of the link -- when we answered a rekey, only
 *               once the peer uses the new pair or deletes the old one),
 *               then carrier up if it was down;
 *   child_down: remove that pair (the inbound SA TUNNEL_LINGER_MS later, for
 *               packets still queued); carrier down only when no pair is left.
 * IKE delivers a rekeyed pair's child_up before the old pair's child_down,
 * so the device never loses carrier in a rekey and no packet is lost. */
#include "vtid/tunnel.h"

#include <arpa/inet.h>
#include <errno.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

enum { TUNNEL_BUCKETS = 4096 };

struct tunnels {
	struct tunnels_init init;
	struct tunnel *list;
	/* by name and by id: found per configuration change, IKE event and
	 * show line, never by walking a hub's thousands */
	struct tunnel *by_name[TUNNEL_BUCKETS], *by_id[TUNNEL_BUCKETS];
	uint32_t next_id;
	struct loop_timer traffic; /* feeds inbound traffic to IKE for dpd on-demand */
};

enum { TRAFFIC_POLL_MS = 1000, TRAFFIC_SUSPECT = 2 };

const struct tunnels_init *tunnels_env(const struct tunnels *t)
{
	return &t->init;
}

static uint64_t now_ms(struct tunnels *t)
{
	return t->init.now_ms(t->init.clock_ctx);
}

/* The data plane's packet counts, read once a second, tell IKE two things.
 * `dpd ... on-demand` probes only a peer that sent nothing, so a tunnel
 * whose decapsulated count moved is alive.  And a tunnel that keeps sending
 * and has received nothing for TRAFFIC_SUSPECT polls (OSPF hellos go both
 * ways every few seconds) has its peer probed at once, not after the DPD
 * idle interval: a crashed peer is found in seconds (RFC 3706 5.3). */
static void traffic_poll(void *arg)
{
	struct tunnels *t = arg;
	for (struct tunnel *tn = t->list; tn; tn = tn->next) {
		struct dp_link_stats ls;
		if (!tn->link || !tn->ike_added || !tn->spec.ike.dpd_interval_s ||
		    t->init.dp_ops->link_stats(tn->link, &ls) < 0)
			continue;
		bool rx = ls.pkts_decaps != tn->last_decaps, tx = ls.pkts_encaps != tn->last_encaps;
		bool icmp = ls.icmp_unreach != tn->last_icmp;
		tn->last_decaps = ls.pkts_decaps;
		tn->last_encaps = ls.pkts_encaps;
		tn->last_icmp = ls.icmp_unreach;
		if (icmp && !rx) {
			char what[64];
			snprintf(what, sizeof(what), "ICMP unreachable for ESP from %s",
				 inet_ntoa(tn->spec.link.remote));
			ike_peer_suspect(t->init.ike, tn->id, what);
		}
		if (rx) {
			if (tn->spec.ike.dpd_on_demand)
				ike_traffic_seen(t->init.ike, tn->id);
			tn->silent_polls = 0;
		} else if (tx && tn->carrier && tn->silent_polls < UINT8_MAX &&
			   ++tn->silent_polls == TRAFFIC_SUSPECT) {
			/* once per silence: the count only grows until rx */
			ike_peer_suspect(t->init.ike, tn->id, NULL);
		}
	}
	loop_timer_arm(t->init.loop, &t->traffic, TRAFFIC_POLL_MS);
}

struct tunnels *tunnels_new(const struct tunnels_init *init)
{
	struct tunnels *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->init = *init;
	t->next_id = 1;
	loop_timer_init(&t->traffic, traffic_poll, t);
	if (t->init.loop)
		loop_timer_arm(t->init.loop, &t->traffic, TRAFFIC_POLL_MS);
	return t;
}

static unsigned name_bucket(const char *name)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (const unsigned char *c = (const unsigned char *)name; *c; c++)
		h = (h ^ *c) * 16777619u;
	return h & (TUNNEL_BUCKETS - 1);
}

static unsigned id_bucket(uint32_t id)
{
	return (id * 2654435761u) >> 20 & (TUNNEL_BUCKETS - 1);
}

struct tunnel *tunnel_find(struct tunnels *t, const char *name)
{
	for (struct tunnel *tn = t->by_name[name_bucket(name)]; tn; tn = tn->name_next)
		if (strcmp(tn->spec.name, name) == 0)
			return tn;
	return NULL;
}

struct tunnel *tunnel_by_id(struct tunnels *t, uint32_t id)
{
	for (struct tunnel *tn = t->by_id[id_bucket(id)]; tn; tn = tn->id_next)
		if (tn->id == id)
			return tn;
	return NULL;
}

static void link_in(struct tunnels *t, struct tunnel *tn)
{
	tn->prev = NULL;
	tn->next = t->list;
	if (t->list)
		t->list->prev = tn;
	t->list = tn;
	struct tunnel **b = &t->by_name[name_bucket(tn->spec.name)];
	tn->name_next = *b;
	*b = tn;
	b = &t->by_id[id_bucket(tn->id)];
	tn->id_next = *b;
	*b = tn;
}

static void link_out(struct tunnels *t, struct tunnel *tn)
{
	if (tn->prev)
		tn->prev->next = tn->next;
	else
		t->list = tn->next;
	if (tn->next)
		tn->next->prev = tn->prev;
	struct tunnel **pp = &t->by_name[name_bucket(tn->spec.name)];
	while (*pp && *pp != tn)
		pp = &(*pp)->name_next;
	if (*pp)
		*pp = tn->name_next;
	pp = &t->by_id[id_bucket(tn->id)];
	while (*pp && *pp != tn)
		pp = &(*pp)->id_next;
	if (*pp)
		*pp = tn->id_next;
}

struct tunnel *tunnels_first(struct tunnels *t)
{
	return t->list;
}

/* The one place carrier changes: logs the transition and its reason. */
static void set_carrier(struct tunnel *tn, bool up, const char *why)
{
	struct tunnels *t = tn->owner;
	loop_timer_cancel(&tn->holddown);
	if (tn->carrier == up)
		return;
	if (tn->link && t->init.dp_ops->link_carrier(tn->link, up) < 0)
		log_warn("%s: cannot set carrier %s", tn->spec.name, up ? "up" : "down");
	tn->carrier = up;
	tn->carrier_since_ms = now_ms(t);
	tn->carrier_transitions++;
	if (!up)
		snprintf(tn->why_down, sizeof(tn->why_down), "%s", why);
	else
		tn->why_down[0] = '\0';
	log_notice("%%LINEPROTO-5-UPDOWN: Line protocol on Interface %s, changed state to %s%s%s%s",
		   tn->spec.name, up ? "up" : "down", up ? "" : " (", up ? "" : why, up ? "" : ")");
	if (!up)
		log_notice("%s: carrier down: %s", tn->spec.name, why);
}

static void holddown_expired(void *arg)
{
	struct tunnel *tn = arg;
	if (tn->n_children == 0)
		set_carrier(tn, false, tn->holddown_why);
}

/* The peer took the last pair away: drop carrier unless a new pair comes
 * within TUNNEL_HOLDDOWN_MS (see tunnel.h). */
static void carrier_lost(struct tunnel *tn, const char *why)
{
	if (!tn->carrier || loop_timer_armed(&tn->holddown))
		return;
	snprintf(tn->holddown_why, sizeof(tn->holddown_why), "%s", why);
	loop_timer_arm(tn->owner->init.loop, &tn->holddown, TUNNEL_HOLDDOWN_MS);
}

static void start_ike(struct tunnel *tn)
{
	struct tunnels *t = tn->owner;
	if (!tn->spec.protected || tn->spec.shutdown || tn->ike_added)
		return;
	struct ike_peer_cfg cfg = tn->spec.ike;
	cfg.tunnel_id = tn->id;
	int err = ike_peer_add(t->init.ike, &cfg);
	OPENSSL_cleanse(&cfg, sizeof(cfg));
	if (err < 0) {
		log_err("%s: cannot start IKE: %s", tn->spec.name, strerror(-err));
		return;
	}
	tn->ike_added = true;
}

static void linger_expired(void *arg)
{
	struct tunnel *tn = arg;
	struct tunnels *t = tn->owner;
	uint64_t now = now_ms(t), next = 0;
	int k = 0;
	for (int i = 0; i < tn->n_linger; i++) {
		struct tunnel_linger *g = &tn->linger[i];
		if (g->until_ms <= now) {
			if (tn->link)
				t->init.dp_ops->sa_del(tn->link, g->spi_in, true);
			continue;
		}
		if (!next || g->until_ms < next)
			next = g->until_ms;
		tn->linger[k++] = *g;
	}
	tn->n_linger = k;
	if (k)
		loop_timer_arm(t->init.loop, &tn->linger_timer, next - now);
}

/* Every lingering inbound SA goes now (the tunnel stops or goes away). */
static void linger_flush(struct tunnel *tn)
{
	struct tunnels *t = tn->owner;
	loop_timer_cancel(&tn->linger_timer);
	for (int i = 0; i < tn->n_linger; i++)
		if (tn->link)
			t->init.dp_ops->sa_del(tn->link, tn->linger[i].spi_in, true);
	tn->n_linger = 0;
}

/* Removes pair i; linger: its inbound SA stays TUNNEL_LINGER_MS more (tunnel.h). */
static void drop_child(struct tunnel *tn, int i, bool linger)
{
	struct tunnels *t = tn->owner;
	struct tunnel_child *c = &tn->children[i];
	if (tn->link) {
		t->init.dp_ops->sa_del(tn->link, c->spi_out, false);
		if (linger && t->init.loop) {
			if (tn->n_linger == TUNNEL_LINGER) { /* the oldest goes first */
				t->init.dp_ops->sa_del(tn->link, tn->linger[0].spi_in, true);
				memmove(&tn->linger[0], &tn->linger[1],
					sizeof(tn->linger[0]) * (TUNNEL_LINGER - 1));
				tn->n_linger--;
			}
			tn->linger[tn->n_linger++] = (struct tunnel_linger){
			    .spi_in = c->spi_in, .until_ms = now_ms(t) + TUNNEL_LINGER_MS};
			if (!loop_timer_armed(&tn->linger_timer))
				loop_timer_arm(t->init.loop, &tn->linger_timer, TUNNEL_LINGER_MS);
		} else {
			t->init.dp_ops->sa_del(tn->link, c->spi_in, true);
		}
	}
	log_info("%s: Child SA removed (in 0x%08x out 0x%08x)", tn->spec.name, c->spi_in, c->spi_out);
	memmove(&tn->children[i], &tn->children[i + 1],
		sizeof(tn->children[0]) * (size_t)(tn->n_children - i - 1));
	tn->n_children--;
}

static void stop_ike(struct tunnel *tn)
{
	struct tunnels *t = tn->owner;
	if (tn->ike_added) {
		/* The engine sends Delete and reports child_down for each pair. */
		ike_peer_del(t->init.ike, tn->id);
		tn->ike_added = false;
	}
	while (tn->n_children > 0)
		drop_child(tn, tn->n_children - 1, false);
	linger_flush(tn);
	tn->ike_up = false;
}

static void apply_state(struct tunnel *tn)
{
	if (tn->spec.shutdown) {
		stop_ike(tn);
		set_carrier(tn, false, "administratively down");
	} else if (tn->spec.protected) {
		start_ike(tn);
		if (tn->n_children == 0)
			set_carrier(tn, false, "no IPsec SA");
	} else {
		set_carrier(tn, true, "");
	}
}

/* Responder's carrier, a round trip after its first pair (tunnels_child_up). */
static void confirm_expired(void *arg)
{
	struct tunnel *tn = arg;
	if (tn->n_children > 0)
		set_carrier(tn, true, "");
}

int tunnel_add(struct tunnels *t, const struct tunnel_spec *spec)
{
	if (tunnel_find(t, spec->name))
		return -EEXIST;
	struct tunnel *tn = calloc(1, sizeof(*tn));
	if (!tn)
		return -ENOMEM;
	tn->owner = t;
	tn->id = t->next_id++;
	loop_timer_init(&tn->holddown, holddown_expired, tn);
	loop_timer_init(&tn->linger_timer, linger_expired, tn);
	loop_timer_init(&tn->confirm, confirm_expired, tn);
	tunnel_fail_init(tn);
	tn->spec = *spec;
	snprintf(tn->why_down, sizeof(tn->why_down), "not yet up");
	int err = t->init.dp_ops->link_add(t->init.dp, &spec->link, &tn->link);
	if (err < 0) {
		log_err("%s: cannot create the tunnel device: %s", spec->name, strerror(-err));
		OPENSSL_cleanse(&tn->spec, sizeof(tn->spec));
		free(tn);
		return err;
	}
	link_in(t, tn);
	log_info("%s: created (%s -> %s%s)", spec->name, inet_ntoa(spec->link.local),
		 spec->protected ? "protected " : "plain GRE ",
		 spec->protected ? spec->ipsec_profile : "");
	apply_state(tn);
	return 0;
}

static void destroy(struct tunnel *tn)
{
	struct tunnels *t = tn->owner;
	loop_timer_cancel(&tn->holddown);
	loop_timer_cancel(&tn->confirm);
	tunnel_fail_fini(tn);
	stop_ike(tn); /* flushes the lingering SAs too */
	if (tn->link)
		t->init.dp_ops->link_del(tn->link);
	OPENSSL_cleanse(&tn->spec, sizeof(tn->spec));
	free(tn);
}

int tunnel_del(struct tunnels *t, const char *name)
{
	struct tunnel *tn = tunnel_find(t, name);
	if (!tn)
		return -ENOENT;
	link_out(t, tn);
	log_info("%s: removed", tn->spec.name);
	destroy(tn);
	return 0;
}

int tunnel_change(struct tunnels *t, const struct tunnel_spec *spec, enum tunnel_verdict v)
{
	struct tunnel *tn = tunnel_find(t, spec->name);
	if (!tn)
		return tunnel_add(t, spec);
	if (v == TUNNEL_RESTART) {
		log_info("%s: configuration changed, restarting the tunnel", spec->name);
		tunnel_del(t, spec->name);
		return tunnel_add(t, spec);
	}
	bool shut_changed = tn->spec.shutdown != spec->shutdown;
	uint8_t queues = tn->spec.link.queues; /* the device's, made with it */
	OPENSSL_cleanse(&tn->spec, sizeof(tn->spec));
	tn->spec = *spec;
	tn->spec.link.queues = queues;
	if (shut_changed) {
		log_info("%s: %s", spec->name, spec->shutdown ? "shutdown" : "no shutdown");
		apply_state(tn);
	}
	return 0;
}

int tunnels_clear(struct tunnels *t, uint32_t remote)
{
	int n = 0;
	for (struct tunnel *tn = t->list; tn; tn = tn->next) {
		if (!tn->spec.protected || tn->spec.shutdown)
			continue;
		if (remote && tn->spec.link.remote.s_addr != remote)
			continue;
		stop_ike(tn);
		set_carrier(tn, false, "cleared by operator");
		start_ike(tn);
		n++;
	}
	return n;
}

void tunnels_free(struct tunnels *t)
{
	if (!t)
		return;
	loop_timer_cancel(&t->traffic);
	while (t->list) {
		struct tunnel *tn = t->list;
		/* out of the list and the hashes first: the engine's child_down
		 * for its pairs must not find it (it would arm its hold-down) */
		link_out(t, tn);
		destroy(tn);
	}
	free(t);
}

static void fill_sa(struct dp_sa_cfg *sa, const struct ike_child_sa *c, bool inbound)
{
	memset(sa, 0, sizeof(*sa));
	sa->spi = inbound ? c->spi_in : c->spi_out;
	sa->inbound = inbound;
	sa->mode = c->transport ? DP_ESP_TRANSPORT : DP_ESP_TUNNEL;
	sa->encr = c->encr;
	sa->integ = c->integ;
	memcpy(sa->encr_key, inbound ? c->key_in_encr : c->key_out_encr, c->encr_key_len);
	sa->encr_key_len = c->encr_key_len;
	memcpy(sa->integ_key, inbound ? c->key_in_integ : c->key_out_integ, c->integ_key_len);
	sa->integ_key_len = c->integ_key_len;
	sa->esn = c->esn;
	sa->replay_window = inbound ? c->replay_window : 0;
	sa->natt_local_port = c->natt_local_port;
	sa->natt_remote_port = c->natt_remote_port;
	/* Answering a rekey, the old pair keeps carrying our traffic until the
	 * peer is seen on the new one or deletes the old (no packet sent on an
	 * SA the peer has not installed yet). */
	sa->defer = !inbound && c->rekey && c->responder;
	sa->pair_spi = c->spi_in;
	if (c->lifetime_kb) {
		/* Soft at 90 %, as IOS rekeys ahead of the kilobyte lifetime. */
		sa->hard_bytes = c->lifetime_kb * 1024;
		sa->soft_bytes = sa->hard_bytes / 10 * 9;
	}
}

void tunnels_child_up(struct tunnels *t, const struct ike_child_sa *c)
{
	struct tunnel *tn = tunnel_by_id(t, c->tunnel_id);
	struct dp_sa_cfg in, out;
	if (!tn || !tn->link)
		return;
	if (tn->n_children == TUNNEL_MAX_CHILDREN) /* a stuck old pair: drop the oldest */
		drop_child(tn, 0, false);
	fill_sa(&in, c, true);
	fill_sa(&out, c, false);
	int err = t->init.dp_ops->sa_add(tn->link, &in);
	if (err == 0) {
		err = t->init.dp_ops->sa_add(tn->link, &out);
		if (err < 0)
			t->init.dp_ops->sa_del(tn->link, in.spi, true);
	}
	OPENSSL_cleanse(&in, sizeof(in));
	OPENSSL_cleanse(&out, sizeof(out));
	if (err < 0) {
		log_err("%s: cannot install Child SA 0x%08x/0x%08x: %s", tn->spec.name, c->spi_in,
			c->spi_out, strerror(-err));
		return;
	}
	struct tunnel_child *ch = &tn->children[tn->n_children++];
	*ch = (struct tunnel_child){.spi_in = c->spi_in,
				    .spi_out = c->spi_out,
				    .encr = c->encr,
				    .integ = c->integ,
				    .pfs = c->pfs,
				    .transport = c->transport,
				    .esn = c->esn,
				    .natt_local_port = c->natt_local_port,
				    .natt_remote_port = c->natt_remote_port,
				    .up_ms = now_ms(t),
				    .lifetime_s = c->lifetime_s,
				    .lifetime_kb = c->lifetime_kb,
				    .replay_window = c->replay_window};
	log_info("%s: Child SA installed%s (in 0x%08x out 0x%08x, %s, %s)", tn->spec.name,
		 c->rekey ? " by rekey" : "", c->spi_in, c->spi_out, c->encr->name,
		 c->transport ? "transport" : "tunnel");
	/* The responder installs a new tunnel's first pair before the
	 * initiator has checked the responder's AUTH; an AUTHENTICATION_FAILED
	 * can still follow within a round trip.  Carrier waits that long, so a
	 * failing peer does not make routes flap (the SA carries already). */
	if (c->responder && !c->rekey && !tn->carrier) {
		if (!loop_timer_armed(&tn->confirm))
			loop_timer_arm(t->init.loop, &tn->confirm, TUNNEL_CONFIRM_MS);
		return;
	}
	set_carrier(tn, true, "");
}


void tunnels_child_down(struct tunnels *t, uint32_t tunnel_id, uint32_t spi_in, uint32_t spi_out)
{
	struct tunnel *tn = tunnel_by_id(t, tunnel_id);
	if (!tn)
		return;
	for (int i = 0; i < tn->n_children; i++) {
		if (tn->children[i].spi_in == spi_in && tn->children[i].spi_out == spi_out) {
			drop_child(tn, i, true);
			break;
		}
	}
	if (tn->n_children == 0 && tn->spec.protected)
		carrier_lost(tn, "IPsec SA deleted");
}

void tunnels_ike_event(struct tunnels *t, uint32_t tunnel_id, enum ike_sa_event ev, const char *why)
{
	struct tunnel *tn = tunnel_by_id(t, tunnel_id);
	if (!tn)
		return;
	tn->ike_up = ev == IKE_SA_UP;
	/* Notice only when it matters to routing: an IKE SA going down under
	 * a carrying tunnel.  An attempt whose Child SA is refused comes and
	 * goes every retry; the failure line says why, once. */
	if (ev == IKE_SA_DOWN && tn->carrier)
		log_notice("%s: IKE SA down%s%s", tn->spec.name, why && *why ? ": " : "",
			   why ? why : "");
	else
		log_info("%s: IKE SA %s%s%s", tn->spec.name, ev == IKE_SA_UP ? "up" : "down",
			 why && *why ? ": " : "", why ? why : "");
	if (ev == IKE_SA_UP)
		tunnel_fail_up(tn);
	if (ev == IKE_SA_DOWN) {
		/* The engine has reported child_down for each pair of that SA; pairs
		 * of another IKE SA of the tunnel (simultaneous initiation) stay. */
		if (tn->n_children > 0)
			return;
		char reason[96];
		snprintf(reason, sizeof(reason), "IKE SA down: %s", why && *why ? why : "deleted");
		carrier_lost(tn, reason);
	}
}

void tunnels_dp_event(struct tunnels *t, struct dp_link *link, enum dp_event ev, uint32_t spi,
		      bool inbound)
{
	struct tunnel *tn;
	for (tn = t->list; tn; tn = tn->next)
		if (tn->link == link)
			break;
	if (!tn)
		return;
	switch (ev) {
	case DP_EV_SOFT_EXPIRE:
	case DP_EV_HARD_EXPIRE:
		for (int i = 0; i < tn->n_children; i++) {
			struct tunnel_child *c = &tn->children[i];
			if ((inbound && c->spi_in == spi) || (!inbound && c->spi_out == spi)) {
				log_info("%s: SA 0x%08x reached its %s lifetime", tn->spec.name, spi,
					 ev == DP_EV_HARD_EXPIRE ? "hard" : "soft");
				ike_child_expired(t->init.ike, tn->id, c->spi_in,
						  ev == DP_EV_HARD_EXPIRE);
				break;
			}
		}
		break;
	case DP_EV_ACQUIRE:
		/* The device carries traffic only while a Child SA is installed,
		 * so the kernel lacking a state means ours were removed outside
		 * vtid (`ip xfrm state flush`): a new pair puts them back.  The
		 * kernel asks again only after its larval state expires (30 s);
		 * once per 10 s here besides. */
		if (tn->n_children == 0 || tn->spec.shutdown ||
		    (tn->acquire_ms && now_ms(t) < tn->acquire_ms + 10000))
			break;
		tn->acquire_ms = now_ms(t);
		log_warn("%s: the kernel has no ESP state for the tunnel's traffic (XFRM acquire; "
			 "removed outside vtid?): negotiating a new Child SA",
			 tn->spec.name);
		ike_rekey_child(t->init.ike, tn->id);
		break;
	case DP_EV_KEEPALIVE_DOWN:
		if (!tn->spec.protected)
			set_carrier(tn, false, "keepalive failed");
		break;
	case DP_EV_KEEPALIVE_UP:
		if (!tn->spec.protected && !tn->spec.shutdown)
			set_carrier(tn, true, "");
		break;
	}
}

/* ---- show ---- */

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

static struct json_object *sa_json(struct tunnels *t, struct tunnel *tn,
				   const struct tunnel_child *c, bool inbound)
{
	struct json_object *o = json_object_new_object();
	struct dp_sa_stats st;
	char buf[64];
	uint32_t spi = inbound ? c->spi_in : c->spi_out;
	bool have = t->init.dp_ops->sa_stats(tn->link, spi, inbound, &st) == 0;
	snprintf(buf, sizeof(buf), "0x%08X", spi);
	add_str(o, "spi", buf);
	add_u64(o, "spi_decimal", spi);
	add_str(o, "state", "ACTIVE");
	tunnel_transform_name(c->encr, c->integ, buf, sizeof(buf));
	add_str(o, "transform", buf);
	add_u64(o, "key_bits", (uint64_t)c->encr->key_len * 8);
	add_str(o, "mode", c->transport ? "Transport" : "Tunnel");
	add_str(o, "pfs_group", c->pfs ? c->pfs->name : "N");
	uint64_t age_s = (now_ms(t) - c->up_ms) / 1000;
	add_u64(o, "remaining_sec", c->lifetime_s > age_s ? c->lifetime_s - age_s : 0);
	uint64_t used_kb = have ? st.bytes / 1024 : 0;
	add_u64(o, "remaining_kb", c->lifetime_kb > used_kb ? c->lifetime_kb - used_kb : 0);
	add_u64(o, "packets", have ? st.packets : 0);
	add_u64(o, "bytes", have ? st.bytes : 0);
	add_str(o, "esn", c->esn ? "Y" : "N");
	if (c->natt_remote_port)
		add_u64(o, "udp_encap_port", c->natt_remote_port);
	if (inbound) {
		add_u64(o, "replay_window", c->replay_window);
		add_u64(o, "replay_failures", have ? st.replay_fail : 0);
		add_u64(o, "auth_failures", have ? st.auth_fail : 0);
		add_u64(o, "highest_seq", have ? st.seq : 0);
		if (have)
			snprintf(buf, sizeof(buf), "%08x%08x%08x%08x", st.bitmap[3], st.bitmap[2],
				 st.bitmap[1], st.bitmap[0]);
		else
			buf[0] = '\0';
		add_str(o, "replay_bitmap", buf);
	} else {
		add_u64(o, "last_seq", have ? st.seq : 0);
	}
	return o;
}

/* The transform as IOS prints it: "esp-gcm 256", "esp-256-aes esp-sha256-hmac". */
void tunnel_transform_name(const struct suite *encr, const struct suite *integ, char *buf,
			   size_t len)
{
	snprintf(buf, len, "%s%s%s", encr->ios_sa ? encr->ios_sa : encr->name, integ ? " " : "",
		 integ ? (integ->ios_sa ? integ->ios_sa : integ->name) : "");
}

static void add_ident(struct json_object *o, const char *key, struct in_addr a, bool gre)
{
	char buf[64], ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a, ip, sizeof(ip));
	if (gre)
		snprintf(buf, sizeof(buf), "%s/255.255.255.255/47/0", ip);
	else
		snprintf(buf, sizeof(buf), "0.0.0.0/0.0.0.0/0/0");
	add_str(o, key, buf);
}

static struct json_object *iface_sa_json(struct tunnels *t, struct tunnel *tn)
{
	struct json_object *o = json_object_new_object();
	struct dp_link_stats ls = {0};
	char a[INET_ADDRSTRLEN];
	t->init.dp_ops->link_stats(tn->link, &ls);
	add_str(o, "interface", tn->spec.name);
	inet_ntop(AF_INET, &tn->spec.link.local, a, sizeof(a));
	add_str(o, "local_addr", a);
	inet_ntop(AF_INET, &tn->spec.link.remote, a, sizeof(a));
	add_str(o, "current_peer", a);
	add_str(o, "protection_profile", tn->spec.ipsec_profile);
	bool gre = tn->spec.ike.ts == IKE_TS_GRE;
	add_ident(o, "local_ident", tn->spec.link.local, gre);
	add_ident(o, "remote_ident", tn->spec.link.remote, gre);
	add_u64(o, "peer_port",
		tn->n_children && tn->children[tn->n_children - 1].natt_remote_port
			? tn->children[tn->n_children - 1].natt_remote_port
			: 500);
	add_u64(o, "pkts_encaps", ls.pkts_encaps);
	add_u64(o, "pkts_encrypt", ls.pkts_encrypt);
	add_u64(o, "pkts_digest", ls.pkts_digest);
	add_u64(o, "pkts_decaps", ls.pkts_decaps);
	add_u64(o, "pkts_decrypt", ls.pkts_decrypt);
	add_u64(o, "pkts_verify", ls.pkts_verify);
	add_u64(o, "replay_failures", ls.replay_fail);
	add_u64(o, "auth_failures", ls.auth_fail);
	add_u64(o, "pad_failures", ls.pad_fail);
	add_u64(o, "send_errors", ls.send_errors);
	add_u64(o, "recv_errors", ls.recv_errors);
	add_u64(o, "no_sa_drops", ls.no_sa_drops);
	add_u64(o, "path_mtu", ls.path_mtu);
	add_u64(o, "ip_mtu", ls.mtu);
	struct json_object *in = json_object_new_array(), *out = json_object_new_array();
	/* Newest pair first, as IOS lists the current SA first. */
	for (int i = tn->n_children - 1; i >= 0; i--) {
		json_object_array_add(in, sa_json(t, tn, &tn->children[i], true));
		json_object_array_add(out, sa_json(t, tn, &tn->children[i], false));
	}
	json_object_object_add(o, "inbound", in);
	json_object_object_add(o, "outbound", out);
	return o;
}

struct json_object *tunnels_show_ipsec_sa(struct tunnels *t, const char *ifname)
{
	struct json_object *arr = json_object_new_array();
	for (struct tunnel *tn = t->list; tn; tn = tn->next) {
		if (!tn->spec.protected)
			continue;
		if (ifname && strcasecmp(ifname, tn->spec.name) != 0)
			continue;
		json_object_array_add(arr, iface_sa_json(t, tn));
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "interfaces", arr);
	return o;
}

struct json_object *tunnels_show_interface(struct tunnels *t, const char *ifname)
{
	struct json_object *arr = json_object_new_array();
	for (struct tunnel *tn = t->list; tn; tn = tn->next) {
		if (ifname && strcasecmp(ifname, tn->spec.name) != 0)
			continue;
		struct json_object *o = json_object_new_object();
		struct dp_link_stats ls = {0};
		char a[INET_ADDRSTRLEN];
		t->init.dp_ops->link_stats(tn->link, &ls);
		add_str(o, "interface", tn->spec.name);
		add_str(o, "description", tn->spec.description);
		add_str(o, "status", tn->spec.shutdown ? "administratively down" : "up");
		add_str(o, "line_protocol", tn->carrier ? "up" : "down");
		/* The negotiation's own reason says more than "not yet up". */
		char reason[240];
		if (!tn->carrier && tn->fail.cls != IKE_FAIL_NONE)
			snprintf(reason, sizeof(reason), "%s: %s", ike_fail_reason(tn->fail.cls),
				 tn->fail.detail);
		else
			snprintf(reason, sizeof(reason), "%s", tn->carrier ? "" : tn->why_down);
		add_str(o, "line_protocol_reason", reason);
		inet_ntop(AF_INET, &tn->spec.link.addr, a, sizeof(a));
		add_str(o, "internet_address", a);
		add_u64(o, "prefix_length", tn->spec.link.prefixlen);
		add_u64(o, "mtu", ls.mtu);
		add_u64(o, "bandwidth_kbit", tn->spec.bandwidth_kbps ? tn->spec.bandwidth_kbps : 100);
		inet_ntop(AF_INET, &tn->spec.link.local, a, sizeof(a));
		add_str(o, "tunnel_source", a);
		inet_ntop(AF_INET, &tn->spec.link.remote, a, sizeof(a));
		add_str(o, "tunnel_destination", a);
		add_str(o, "tunnel_mode", tn->spec.link.encap == DP_ENCAP_GRE ? "GRE/IP" : "IPSEC/IP");
		if (tn->spec.link.gre_key_set)
			add_u64(o, "tunnel_key", tn->spec.link.gre_key);
		add_str(o, "tunnel_protection", tn->spec.protected ? tn->spec.ipsec_profile : "");
		add_u64(o, "carrier_transitions", tn->carrier_transitions);
		add_u64(o, "last_change_sec",
			tn->carrier_since_ms ? (now_ms(t) - tn->carrier_since_ms) / 1000 : 0);
		add_u64(o, "packets_output", ls.pkts_encaps);
		add_u64(o, "packets_input", ls.pkts_decaps);
		add_u64(o, "bytes_output", ls.bytes_out);
		add_u64(o, "bytes_input", ls.bytes_in);
		add_u64(o, "output_errors", ls.send_errors + ls.no_sa_drops);
		add_u64(o, "input_errors",
			ls.recv_errors + ls.auth_fail + ls.replay_fail + ls.pad_fail);
		add_u64(o, "ifindex", (uint64_t)ls.ifindex);
		json_object_array_add(arr, o);
	}
	struct json_object *o = json_object_new_object();
	json_object_object_add(o, "interfaces", arr);
	return o;
}

void tunnels_annotate_ike_sa(struct tunnels *t, struct json_object *sas)
{
	struct json_object *arr;
	if (!json_object_object_get_ex(sas, "sas", &arr))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		struct json_object *sa = json_object_array_get_idx(arr, i), *id, *children;
		if (!json_object_object_get_ex(sa, "tunnel_id", &id))
			continue;
		struct tunnel *tn = tunnel_by_id(t, (uint32_t)json_object_get_int64(id));
		if (!tn)
			continue;
		add_str(sa, "interface", tn->spec.name);
		if (json_object_object_get_ex(sa, "children", &children))
			for (size_t j = 0; j < json_object_array_length(children); j++)
				add_str(json_object_array_get_idx(children, j), "interface",
					tn->spec.name);
	}
}
