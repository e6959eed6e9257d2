/* tunnel.h: the tunnel layer — one `interface TunnelN` from configuration to
 * device, IKE peer and SAs.
 *
 * It sits between the IKE engine and the data-plane backend and is the only
 * code that talks to both: IKE reports Child SAs up and down, the tunnel
 * installs them in the backend; the backend reports lifetime expiry, the
 * tunnel tells IKE.  The contract it keeps for routing:
 *   - a protected tunnel's device has carrier exactly while at least one
 *     Child SA pair is installed (so a rekey, which installs the new pair
 *     before the old one goes, never drops carrier, and a dead peer drops it
 *     at once so zebra withdraws routes);
 *   - an unprotected tunnel (plain GRE) has carrier while it is not shut
 *     (and, with keepalives, while the peer answers them);
 *   - a shut tunnel keeps its device, has no carrier and no IKE SA;
 *   - when the last pair goes because the peer deleted it, carrier drops
 *     after TUNNEL_HOLDDOWN_MS unless a new pair arrives first: both ends
 *     initiate at start, and the surplus IKE SA is deleted a moment before
 *     the surviving one's pair is installed; routing must not see that. 
 * IKE is started the moment a protected tunnel is configured: no traffic is
 * needed and no first packet is lost. */
#ifndef VTID_TUNNEL_H
#define VTID_TUNNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "gre/dp.h"
#include "ike/ike.h"
#include "lib/loop.h"

struct json_object;
struct tunnels;

/* Everything a tunnel needs, resolved from configuration (vtid/apply.c). */
struct tunnel_spec {
	char name[IFNAMSIZ];
	char description[128];
	bool shutdown;
	bool protected;           /* tunnel protection ipsec profile set */
	char ipsec_profile[64];   /* for show */
	char transform_name[64];
	struct dp_link_cfg link;
	struct ike_peer_cfg ike;  /* valid when protected; tunnel_id is filled by the layer */
	uint32_t bandwidth_kbps;
};

struct tunnel_child {
	uint32_t spi_in, spi_out;
	const struct suite *encr, *integ, *pfs;
	bool transport, esn;
	uint16_t natt_local_port, natt_remote_port;
	uint64_t up_ms;
	uint32_t lifetime_s;
	uint64_t lifetime_kb;
	uint32_t replay_window;
};

enum { TUNNEL_MAX_CHILDREN = 4, TUNNEL_HOLDDOWN_MS = 100, TUNNEL_LINGER = 8, TUNNEL_LINGER_MS = 1000 };

/* An inbound SA whose pair was deleted by IKE: kept in the data plane for
 * TUNNEL_LINGER_MS more, because packets the peer sent on it before the
 * Delete may still wait in the workers' socket queue when the control
 * thread handles the Delete (make-before-break on the way in).  The
 * outbound SA goes at once: nothing more is sent on it. */
struct tunnel_linger {
	uint32_t spi_in;
	uint64_t until_ms;
};

enum { TUNNEL_CONFIRM_MS = 300 };

/* The last failure of a tunnel that is not up (tunnel_fail.c). */
struct tunnel_failure {
	enum ike_fail_class cls; /* IKE_FAIL_NONE: none since it was last up */
	uint16_t notify;
	bool by_peer;
	char detail[200];
	time_t at, since;   /* wall clock: this one, and the first of the run */
	uint64_t count;	    /* failures of this class in a row */
	uint64_t logged_ms; /* when it was last logged */
};

struct tunnel {
	struct tunnel *next, *prev;		/* the tunnels' list, newest first */
	struct tunnel *name_next, *id_next; /* their hashes (tunnel.c) */
	struct tunnels *owner;
	uint32_t id;
	struct tunnel_spec spec;
	struct dp_link *link;
	bool ike_added;
	bool carrier;
	bool ike_up;
	char why_down[96];
	uint64_t carrier_since_ms;
	uint64_t acquire_ms; /* the last XFRM acquire acted on (kernel backend) */
	uint32_t carrier_transitions;
	struct tunnel_child children[TUNNEL_MAX_CHILDREN];
	int n_children;
	uint64_t last_decaps, last_encaps, last_icmp; /* traffic_poll's last reading */
	uint8_t silent_polls;        /* polls that sent and received nothing since */
	struct loop_timer holddown;  /* armed while the last pair is gone but carrier still up */
	char holddown_why[96];
	struct tunnel_linger linger[TUNNEL_LINGER];
	int n_linger;
	struct loop_timer linger_timer; /* armed while n_linger > 0 */
	struct tunnel_failure fail;
	uint64_t fail_count[IKE_FAIL_MAX]; /* every failure, by class */
	struct loop_timer fail_timer;	   /* writes the log line for a failure */
	struct loop_timer fail_up_timer;   /* up long enough to forget the failures */
	struct loop_timer confirm;	   /* responder: carrier once the peer had its round trip */
};

struct tunnels_init {
	struct loop *loop;           /* for the carrier hold-down timer */
	struct ike_engine *ike;
	const struct dp_ops *dp_ops;
	struct dp *dp;
	uint64_t (*now_ms)(void *ctx);
	void *clock_ctx;
};

/* What the tunnels were created with (loop, engine, clock), for the files
 * that extend tunnel.c. */
const struct tunnels_init *tunnels_env(const struct tunnels *t);

/* tunnel_fail.c */
void tunnel_fail_init(struct tunnel *tn);
void tunnel_fail_fini(struct tunnel *tn);
void tunnel_fail_up(struct tunnel *tn); /* the IKE SA is up: forget, log once, if it holds */
void tunnels_failed(struct tunnels *t, uint32_t tunnel_id, const struct ike_failure *f);
/* Adds "last_failure" (while one is kept) and "next_attempt_s" (while not up). */
void tunnel_fail_json(struct tunnels *t, struct tunnel *tn, struct json_object *o);
struct json_object *tunnel_fail_counts(const struct tunnel *tn);

struct tunnels *tunnels_new(const struct tunnels_init *init);
void tunnels_free(struct tunnels *t); /* removes every tunnel (Delete sent) */

/* Creates the device and starts IKE at once (when protected and not shut). */
int tunnel_add(struct tunnels *t, const struct tunnel_spec *spec);
/* Politely deletes the SAs (INFORMATIONAL Delete) and removes the device. */
int tunnel_del(struct tunnels *t, const char *name);
/* Applies a changed spec as the configuration's change list decided
 * (conf/diff.h): a restart rebuilds only this tunnel (device and SAs), an
 * update changes it in place (description, bandwidth, shutdown).  A tunnel
 * not there yet is added either way. */
enum tunnel_verdict { TUNNEL_RESTART, TUNNEL_UPDATE };
int tunnel_change(struct tunnels *t, const struct tunnel_spec *spec, enum tunnel_verdict v);
struct tunnel *tunnel_find(struct tunnels *t, const char *name);
struct tunnel *tunnel_by_id(struct tunnels *t, uint32_t id);
struct tunnel *tunnels_first(struct tunnels *t);
/* `clear crypto session [remote A]`: restart IKE of matching tunnels (all when remote is 0). */
int tunnels_clear(struct tunnels *t, uint32_t remote_addr);

/* Upcalls from the IKE engine (ike_host) and the data plane (dp_init.on_event). */
void tunnels_child_up(struct tunnels *t, const struct ike_child_sa *c);
void tunnels_child_down(struct tunnels *t, uint32_t tunnel_id, uint32_t spi_in, uint32_t spi_out);
void tunnels_ike_event(struct tunnels *t, uint32_t tunnel_id, enum ike_sa_event ev, const char *why);
void tunnels_dp_event(struct tunnels *t, struct dp_link *link, enum dp_event ev, uint32_t spi,
		      bool inbound);

/* Show data. */
struct json_object *tunnels_show_ipsec_sa(struct tunnels *t, const char *ifname);
struct json_object *tunnels_show_interface(struct tunnels *t, const char *ifname);
void tunnel_transform_name(const struct suite *encr, const struct suite *integ, char *buf,
			   size_t len);
/* Adds "interface" to each IKE SA of ike_show_sa() output. */
void tunnels_annotate_ike_sa(struct tunnels *t, struct json_object *sas);

#endif
