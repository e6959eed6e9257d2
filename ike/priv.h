/* priv.h: the IKE engine's internal model, shared by engine.c, input.c,
 * output.c, sa.c, the exchange files (exch_*.c), payload.c, proposal.c,
 * fail.c, farewell.c, timers.c and show.c.  Not for other layers.
 *
 * Ownership: the engine owns peers; a peer owns its IKE SAs (more than one
 * only during an IKE rekey or a simultaneous initiation); an IKE SA owns its
 * Child SAs.  Nothing is freed in the middle of processing: an SA that dies
 * is marked IKE_STATE_DEAD and swept by ike_gc() at the end of every entry
 * point, so pointers held on the stack stay valid for the whole call.
 *
 * Exchanges run as tasks (strongSwan's shape, in plain C): one struct of
 * function pointers per exchange, build_i -> [wire] -> process_r, build_r ->
 * [wire] -> process_i, and one table (engine.c) through which both roles
 * are dispatched.  The window is 1: an SA has at most one request of its
 * own in flight (sa->task) and answers the peer's requests in order,
 * keeping its last response for retransmitted requests. */
#ifndef VTID_IKE_PRIV_H
#define VTID_IKE_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "ike/crypto.h"
#include "ike/ike.h"
#include "ike/msg.h"

enum {
	IKE_NONCE_LEN = 32,
	IKE_MAX_NONCE = 256,
	IKE_MSG_BUF = 8192,
	IKE_FRAG_MTU = 1280, /* send SKF above this (RFC 7383 2.5.1's safe size) */
	IKE_RETX_TRIES = 5,
	IKE_RETX_BASE_MS = 500,
	IKE_RETX_FIRST_MAX_MS = 3000, /* adaptive first timeout of IKE_SA_INIT/IKE_AUTH, at most */
	IKE_REINIT_BASE_MS = 1000,
	IKE_REINIT_MAX_MS = 30000,
	IKE_HALF_OPEN_MS = 30000,
	/* a half-open SA the peer began holds back our own attempt this long
	 * (its initiator sends IKE_AUTH at once on our answer, and again
	 * within IKE_RETX_FIRST_MAX_MS); older, it was most likely abandoned */
	IKE_PEER_ATTEMPT_MS = 5000,
	IKE_HASH_BUCKETS = 1024,
	IKE_PEER_BUCKETS = 4096, /* peers by tunnel id and by remote address */
	IKE_DPD_TRIES = 5,
	IKE_UNREACH_RETX_MS = 500, /* next try after an ICMP error quoting ours */
	IKE_MAX_HALF_OPEN = 4096,  /* beyond this even cookie-proven requests wait */
	IKE_COOKIE_TRIES = 4,	   /* COOKIE demands one IKE_SA_INIT follows */
	IKE_INIT_RETRY = 1,	   /* init_process_i: send IKE_SA_INIT again, now */
	IKE_WEAK_KE_RETX = 2,	   /* retransmissions before a weaker DH demand counts */
	IKE_RESEND_MIN_MS = 200,   /* cached response resent at most this often */
	IKE_RESEND_MAX = 16,	   /* and at most this many times per request */
	/* IKE_SA_INIT exchanges of ours in flight at once (engine.c, "pacing"):
	 * starts at IKE_INIT_WINDOW, +1 per first-try answer, halved per
	 * retransmission, between the MIN and the MAX */
	IKE_INIT_WINDOW = 64,
	IKE_INIT_WINDOW_MIN = 8,
	IKE_INIT_WINDOW_MAX = 512,
};

enum ike_state {
	IKE_STATE_INIT, /* IKE_SA_INIT in flight (either role) */
	IKE_STATE_AUTH, /* keys derived, IKE_AUTH in flight */
	IKE_STATE_ESTABLISHED,
	IKE_STATE_REKEYING, /* CREATE_CHILD_SA for a new IKE SA in flight */
	IKE_STATE_REKEYED,  /* replaced by a new IKE SA; only the Delete left */
	IKE_STATE_DELETING, /* our Delete in flight */
	IKE_STATE_DEAD,	    /* to be swept */
	IKE_STATE_MAX,
};

enum ike_child_state {
	CHILD_CREATING,
	CHILD_INSTALLED,
	CHILD_REKEYING, /* our CREATE_CHILD_SA for its successor in flight */
	CHILD_REKEYED,	/* successor installed; Delete pending or in flight */
	CHILD_DELETING, /* our Delete in flight */
	CHILD_DEAD,
	CHILD_STATE_MAX,
};

enum ike_task_kind {
	TASK_NONE,
	TASK_INIT,
	TASK_AUTH,
	TASK_CHILD_REKEY,
	TASK_IKE_REKEY,
	TASK_DELETE_CHILD,
	TASK_DELETE_IKE,
	TASK_DPD,
	TASK_MAX,
};

/* Counters for `show crypto ikev2 stats`; every refusal has one. */
struct ike_stats {
	uint64_t rx, tx, retransmits, rx_retransmits;
	uint64_t dec_err[IKE_DEC_MAX];
	uint64_t rule_err, sk_fail, no_sa, bad_msgid, unknown_peer, bad_proposal;
	uint64_t auth_fail, invalid_ke_sent, invalid_ke_rcvd, cookies_sent, cookie_bad;
	uint64_t ts_unacceptable, timeouts, dpd_dead, frag_rx, frag_tx, frag_drop;
	uint64_t ike_up, ike_down, child_up, child_down, ike_rekeys, child_rekeys;
	uint64_t collisions, dup_sa_deleted, initial_contact, half_open_refused;
	uint64_t auth_probes; /* our stale IKE_AUTH tried once more (sa.c) */
	uint64_t bad_payload, delete_acked, delete_unacked;
	uint64_t resend_refused, zero_spi;
	uint64_t icmp_errors, icmp_ignored, worry_probes;
	uint64_t early_request; /* CREATE_CHILD_SA / INFORMATIONAL before IKE_AUTH is done */
	uint64_t fail[IKE_FAIL_MAX]; /* failures told to the host, by class */
	uint64_t init_started;	     /* IKE_SA_INIT exchanges we started (not retransmits) */
};

struct ike_child {
	struct ike_child *next;
	struct ike_child *spi_next; /* the engine's inbound-SPI hash */
	struct ike_sa *sa;
	enum ike_child_state state;
	uint32_t spi_in, spi_out;
	const struct suite *encr, *integ, *pfs;
	bool esn, transport;
	struct ike_ts ts_l, ts_r; /* negotiated selectors, local and remote */
	uint64_t up_ms, rekey_at, expire_at;
	struct ike_child *replaced_by; /* rekeyed: its successor */
	bool pending_delete;	       /* send a Delete for it when the window frees */
	bool reported_up;	       /* child_up was called: child_down owed */
	bool rekey_lost;	       /* lost a rekey collision: delete ours when done */
	bool pending_rekey;	       /* start a rekey when the window frees */
	/* A rekey of this SA by the peer that crossed ours (2.8.1): its
	 * product and the lowest nonce of its exchange. */
	struct ike_child *coll_child;
	uint8_t coll_nonce[IKE_MAX_NONCE];
	size_t coll_nonce_len;
	bool expired_hard; /* delete at once (hard lifetime) */
};

/* Scratch for one responder exchange, from process_r to build_r. */
struct ike_xch {
	const struct ike_msg *req;
	uint16_t error; /* error notify to answer with, 0 = none */
	uint8_t error_data[8];
	size_t error_data_len;
	struct ike_child *child; /* Child SA created by this exchange */
	struct ike_sa *new_sa;	 /* IKE SA created by a rekey */
	struct ike_prop chosen;
	bool transport;
	struct ike_ts ts_i, ts_r;
	uint8_t del_spis[64 * 4]; /* our SPIs deleted in response to a Delete */
	uint16_t n_del;
	bool del_ike;
	bool auth_refused; /* INFORMATIONAL carrying AUTHENTICATION_FAILED */
	uint8_t nonce[IKE_NONCE_LEN];
	struct ike_dh *dh;
	struct ike_child *rekeyed; /* CREATE_CHILD_SA: the Child SA being replaced */
};

struct ike_sa {
	struct ike_engine *eng;
	struct ike_peer *peer;
	struct ike_sa *peer_next, *hash_next;
	bool in_hash;
	enum ike_state state;
	bool initiator; /* original initiator of THIS IKE SA */
	bool init_inflight; /* counted in eng->init_inflight (ours, IKE_SA_INIT not answered) */
	uint8_t spi_i[8], spi_r[8];
	struct sockaddr_in local, remote; /* current addresses (port 4500 after NAT-T) */
	bool natt, nat_local, nat_remote, frag_ok;
	uint64_t seq; /* creation order, for INITIAL_CONTACT and duplicates */
	uint64_t established_seq;

	const struct suite *encr, *integ, *prf, *dh_group;
	struct ike_keys keys;
	bool have_keys;
	struct ike_dh *dh;
	uint8_t ni[IKE_MAX_NONCE], nr[IKE_MAX_NONCE];
	size_t ni_len, nr_len;
	uint8_t *init_i, *init_r; /* the IKE_SA_INIT messages, for AUTH */
	size_t init_i_len, init_r_len;
	uint8_t *cookie;
	size_t cookie_len;
	unsigned cookie_tries;
	uint16_t init_error; /* last unauthenticated refusal of our IKE_SA_INIT */
	bool told_unreachable;
	uint16_t delete_notify; /* error notify sent with our Delete: why we end it */

	/* our request in flight */
	enum ike_task_kind task;
	uint32_t msgid_out; /* next request ID to use */
	uint8_t *req;
	size_t req_len;
	bool req_is_frags; /* req holds [u32 len][fragment]... */
	unsigned retx_count;
	uint64_t retx_at;
	uint64_t req_sent_ms;	   /* the request in flight first went out (RTT sample) */
	uint32_t retx_first_ms;	   /* its first timeout; each retransmission doubles it */
	bool auth_probe; /* our IKE_AUTH outlived a newer SA: one last try (sa.c) */
	struct ike_child *task_child;	  /* Child SA being created/rekeyed/deleted */
	struct ike_sa *task_new_sa;	  /* IKE rekey: the SA being created */
	struct ike_child *task_new_child; /* Child rekey: the successor being created */
	bool by_rekey;			  /* created by CREATE_CHILD_SA, not IKE_SA_INIT */
	struct ike_sa *coll_sa;		  /* the peer's crossing IKE rekey (2.8.1) */
	uint8_t coll_nonce[IKE_MAX_NONCE];
	size_t coll_nonce_len;
	struct ike_dh *task_dh;
	uint8_t task_nonce[IKE_NONCE_LEN];

	/* the peer's requests */
	uint32_t msgid_in;	 /* next request ID expected */
	uint8_t req_in_hash[32]; /* SHA-256 of the request answered (its fragment 1) */
	uint8_t frag1_hash[32];
	bool req_in_hashed;
	unsigned resent; /* times the cached response was sent again */
	uint64_t resent_at;
	uint8_t *resp;
	size_t resp_len;
	uint8_t **resp_frags; /* fragmented response, if it was sent so */
	size_t *resp_frag_len;
	size_t n_resp_frags;

	/* fragments being reassembled (RFC 7383) */
	uint8_t *frag_buf[32];
	size_t frag_len[32];
	uint16_t frag_total, frag_have;
	uint32_t frag_msgid;
	uint8_t frag_first;
	uint64_t frag_started;

	uint64_t created_ms, established_ms, last_rx_ms, rekey_at, expire_at;
	uint64_t last_traffic_ms; /* inbound ESP seen (ike_traffic_seen) */
	unsigned unreach_hits;	  /* ICMP errors quoting the request in flight */
	char unreach_what[64];	  /* the last of them, for the failure's detail */
	uint64_t worry_at;	  /* earliest liveness probe on suspicion (ike_peer_suspect) */
	bool pending_delete, pending_rekey, pending_dpd;
	bool rekey_lost;	     /* lost an IKE rekey collision */
	struct ike_sa *rekeyed_into; /* IKE_STATE_REKEYED: the successor */
	char down_reason[96];
	struct ike_child *children;
};

struct ike_peer {
	struct ike_peer *next;
	struct ike_engine *eng;
	struct ike_peer_cfg cfg;
	struct ike_sa *sas;
	const struct suite *dh_hint; /* group asked for by INVALID_KE_PAYLOAD */
	uint64_t reinit_at;	     /* 0: none scheduled */
	uint8_t refused_spi[8];	     /* SPIi of the last IKE_SA_INIT refused (told once) */
	uint32_t backoff_ms;
	bool up_reported;
	bool deleting;
	bool waiting;		       /* in one of the engine's queues for an IKE_SA_INIT slot */
	struct ike_peer *wait_next, *wait_prev;
	struct ike_peer *id_next, *remote_next; /* the engine's peer hashes */
	uint64_t seq; /* creation order: ike_run_timers visits the newest first */
	/* timers.c: the deadline the heap knows, the peer's index in the heap
	 * (-1: not in it), in the dirty list (-1: not marked) and in
	 * ike_run_timers' list of peers due (-1: not there) */
	uint64_t tm_key;
	long tm_idx, dirty_idx, due_idx;
};

/* farewell.c: a Delete sent for an IKE SA already freed (sealed bytes, no key) */
struct ike_farewell {
	uint8_t spi_i[8], spi_r[8];
	uint32_t msgid;
	struct sockaddr_in local, remote;
	uint8_t *msg; /* NULL: free slot */
	size_t len;
	uint64_t sent_ms, next_ms;
	unsigned tries;
};
enum { IKE_FAREWELLS = 64 };

struct ike_engine {
	struct ike_host host;
	struct ike_peer *peers;
	struct ike_peer *peer_id_hash[IKE_PEER_BUCKETS], *peer_remote_hash[IKE_PEER_BUCKETS];
	struct ike_sa *hash[IKE_HASH_BUCKETS];
	struct ike_child *child_hash[IKE_HASH_BUCKETS]; /* every Child SA by spi_in */
	struct ike_stats st;
	uint64_t seq;
	unsigned half_open;
	unsigned dead_pending; /* SAs and Child SAs set DEAD since the last ike_gc */
	unsigned init_inflight, init_window; /* pacing (engine.c) */
	/* round trips of our IKE_SA_INIT and IKE_AUTH answered at the first
	 * try, smoothed as RFC 6298 does (engine.c, ike_retx_first_ms) */
	uint32_t srtt_ms, rttvar_ms;
	bool rtt_valid;
	/* timers.c: peers by deadline, and those whose deadline may have
	 * changed since (each array sized for every peer, tm_cap) */
	struct ike_peer **tm_heap, **tm_dirty, **tm_due;
	size_t tm_cap, tm_n, tm_n_dirty, tm_n_due;
	bool tm_all_dirty; /* every peer's deadline to recompute */
	bool tm_running;   /* in ike_run_timers: tm_due holds peers out of the heap */
	bool timer_check;  /* ike_set_timer_check */
	uint64_t tm_now;   /* ike_run_timers' now, for the check */
	uint64_t peer_seq;
	size_t n_peers;
	/* peers waiting for an IKE_SA_INIT slot: [0] where our address is the
	 * lower of the tunnel's two, served oldest first, [1] the others,
	 * served newest first (engine.c, pacing) */
	struct ike_peer *wait_head[2], *wait_tail[2];
	unsigned wait_turn;
	unsigned cookie_threshold;
	unsigned frag_size;
	uint8_t cookie_secret[32], cookie_secret_old[32];
	uint64_t cookie_rotated_ms;
	uint8_t cookie_version; /* names cookie_secret; cookie_secret_old is version - 1 */
	bool cookie_old_valid;
	char *keylog_path;
	uint64_t rng_state;
	struct ike_farewell farewell[IKE_FAREWELLS];
};

/* ---- fail.c ---- */
enum ike_fail_class ike_fail_class_of(uint16_t notify);
/* What a peer offered or claimed, for failure details. */
void ike_describe_ike_offer(const struct ike_sa_pl *sa, char *out, size_t len);
void ike_describe_esp_offer(const struct ike_sa_pl *sa, char *out, size_t len);
void ike_describe_id(const struct ike_id_pl *id, char *out, size_t len);
/* Tells the host why an attempt of p's tunnel failed (see ike.h). */
/* sa: the SA whose attempt failed, NULL if none was made.  Nothing is
 * told while another SA of the peer is up or completing its IKE_AUTH: the
 * tunnel is up (or coming up) another way. */
void ike_fail(struct ike_peer *p, const struct ike_sa *sa, enum ike_fail_class cls, uint16_t notify,
	      bool by_peer, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- farewell.c ---- */
/* Keep sa's Delete request (sent with msgid) after sa itself is freed. */
void ike_farewell_add(struct ike_sa *sa, uint32_t msgid);
/* true: the message belongs to such an SA and has been dealt with */
bool ike_farewell_input(struct ike_engine *eng, const struct ike_hdr *h,
			const struct sockaddr_in *remote);
void ike_farewell_timers(struct ike_engine *eng, uint64_t now);
uint64_t ike_farewell_deadline(const struct ike_engine *eng);
void ike_farewell_fini(struct ike_engine *eng);

/* ---- sa.c ---- */
const char *ike_state_name(enum ike_state s);
const char *ike_child_state_name(enum ike_child_state s);
void ike_sa_set_state(struct ike_sa *sa, enum ike_state s, const char *why);
void ike_child_set_state(struct ike_child *c, enum ike_child_state s, const char *why);
struct ike_sa *ike_sa_new(struct ike_peer *p, bool initiator);
void ike_sa_free(struct ike_sa *sa);
void ike_sa_hash_add(struct ike_sa *sa);
struct ike_sa *ike_sa_lookup(struct ike_engine *eng, const uint8_t spi[8], bool we_initiated);
const uint8_t *ike_sa_our_spi(const struct ike_sa *sa);
struct ike_child *ike_child_new(struct ike_sa *sa);
struct ike_child *ike_child_by_spi_in(struct ike_sa *sa, uint32_t spi_in);
struct ike_child *ike_child_by_spi_out(struct ike_sa *sa, uint32_t spi_out);
/* The SA dies now: children reported down, host told if it was the peer's
 * last live SA, re-initiation scheduled for active peers. */
void ike_sa_kill(struct ike_sa *sa, const char *why, bool reinit);
void ike_child_kill(struct ike_child *c, const char *why);
bool ike_sa_usable(const struct ike_sa *sa);
bool ike_sa_ours_or_usable(const struct ike_sa *sa);
bool ike_sa_peer_attempt_live(const struct ike_sa *sa, uint64_t now);
void ike_gc(struct ike_engine *eng);
uint64_t ike_now(struct ike_engine *eng);
uint32_t ike_rand32(struct ike_engine *eng);
/* A heap copy of n bytes (never a zero-byte allocation), NULL if none. */
uint8_t *ike_memdup(const uint8_t *p, size_t n);
int ike_new_child_spi(struct ike_engine *eng, uint32_t *spi);
/* Drops the RFC 7383 fragments being reassembled. */
void ike_sa_frags_clear(struct ike_sa *sa);
/* Rekey and expiry times of an IKE SA from now (rekey at 90 % of the
 * lifetime, less up to 5 % at random). */
void ike_sa_schedule(struct ike_sa *sa);
/* Installs a Child SA pair: keys from KEYMAT, both directions reported to
 * the host (child_up), the pair scheduled for rekey and expiry. */
int ike_child_install(struct ike_sa *sa, struct ike_child *c, const uint8_t *ni, size_t ni_len,
		      const uint8_t *nr, size_t nr_len, const uint8_t *gir, size_t gir_len,
		      bool we_initiated, bool rekey);

/* ---- proposal.c ---- */
size_t ike_build_ike_props(const struct ike_peer_cfg *cfg, const uint8_t *spi, size_t spi_len,
			   struct ike_prop *out, size_t cap);
size_t ike_build_esp_props(const struct ike_peer_cfg *cfg, uint32_t spi, const struct suite *pfs,
			   struct ike_prop *out, size_t cap);
/* Responder: the first of the peer's proposals our config accepts, reduced
 * to one transform per type (KE group preferred).  0 or -ENOENT. */
int ike_select_ike(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *sa, uint16_t ke_group,
		   struct ike_prop *chosen);
int ike_select_esp(const struct ike_peer_cfg *cfg, const struct ike_sa_pl *sa,
		   const struct suite *pfs, struct ike_prop *chosen);
/* Initiator: the responder's single proposal must be one we offered. */
int ike_check_chosen(const struct ike_prop *offered, size_t n, const struct ike_sa_pl *sa,
		     struct ike_prop *chosen);
/* Suites named by a chosen proposal. */
int ike_prop_suites(const struct ike_prop *p, const struct suite **encr, const struct suite **integ,
		    const struct suite **prf, const struct suite **dh, bool *esn);
void ike_cfg_ts(const struct ike_peer_cfg *cfg, struct ike_ts *local, struct ike_ts *remote);
/* RFC 7296 2.9: narrow the offered list to our one selector; false if no overlap. */
bool ike_ts_narrow(const struct ike_ts_pl *offered, const struct ike_ts *ours, struct ike_ts *out);
bool ike_ts_subset(const struct ike_ts *inner, const struct ike_ts *outer);
/* 0.0.0.0/0, every protocol and port: what a VTI (IKE_TS_ANY) carries. */
bool ike_ts_is_any(const struct ike_ts *t);

/* ---- output.c ---- */
/* Starts a message for sa: header, and SK header + IV room unless exch is
 * IKE_SA_INIT. */
void ike_msg_start(struct ike_sa *sa, struct ike_wbuf *w, uint8_t *buf, size_t cap, uint8_t exch,
		   bool response, uint32_t msgid);
/* Seals (if encrypted; in SKF fragments if large and the peer takes them)
 * and sends; as a request it is kept for retransmits, as a response cached
 * for retransmitted requests. */
int ike_msg_send(struct ike_sa *sa, struct ike_wbuf *w, bool response);
int ike_send_raw(struct ike_engine *eng, const struct sockaddr_in *from,
		 const struct sockaddr_in *to, const uint8_t *msg, size_t len);
/* The kept request, or the cached response, sent again as it was sent. */
void ike_send_request_again(struct ike_sa *sa);
void ike_send_response_again(struct ike_sa *sa);
/* Frees the cached response. */
void ike_resp_forget(struct ike_sa *sa);
/* Answers request m inside sa with one (error) notify. */
void ike_respond_error(struct ike_sa *sa, const struct ike_msg *m, uint16_t type,
		       const uint8_t *data, size_t len);
/* Answers an IKE_SA_INIT request with one notify, keeping no state. */
void ike_send_stateless(struct ike_engine *eng, const struct sockaddr_in *local,
			const struct sockaddr_in *remote, const struct ike_msg *req, uint16_t type,
			const void *data, size_t len);
/* The last request of an SA about to die, kept for retransmission after it
 * is gone (farewell.c): a Delete of the IKE SA, or with notify
 * (AUTHENTICATION_FAILED) an INFORMATIONAL that tells the peer why. */
void ike_send_final(struct ike_sa *sa, uint16_t notify);

/* ---- engine.c ---- */
/* Queues work and starts the next task if the window is free. */
void ike_sa_kick(struct ike_sa *sa);
/* engine.c, pacing: an IKE_SA_INIT of ours left the INIT state (answered,
 * or not when the SA died) */
/* The earliest deadline of a peer's SAs and its re-initiation (timers.c's key). */
uint64_t ike_peer_deadline(const struct ike_peer *p);
/* The SA has a request to start (ike_sa_kick would start one): for the
 * timer check, which wants none left after an entry point. */
bool ike_sa_kick_owed(const struct ike_sa *sa);
/* engine.c: the first peer (newest first) whose tunnel runs to `remote` */
struct ike_peer *ike_peer_by_remote(struct ike_engine *eng, uint32_t remote);
void ike_init_landed(struct ike_sa *sa, bool answered);
/* The first retransmission timeout for the request sa is about to send;
 * the answer to an IKE_SA_INIT or IKE_AUTH request sent at sent_ms and
 * retransmitted `tries` times: a round-trip sample if tries is 0 (engine.c). */
uint32_t ike_retx_first_ms(const struct ike_sa *sa);
void ike_rtt_sample(struct ike_engine *eng, uint64_t sent_ms, unsigned tries);
void ike_peer_schedule_reinit(struct ike_peer *p);
void ike_peer_initiate(struct ike_peer *p);

/* ---- timers.c ---- */
/* Every entry point marks the peers whose deadlines it may change (their
 * SAs' or children's states, tasks, timestamps, re-initiation): their
 * place in the heap is fixed before it is next read. */
void ike_touch_peer(struct ike_peer *p);
static inline void ike_touch_sa(struct ike_sa *sa)
{
	ike_touch_peer(sa->peer);
}
/* A change that concerns every peer: all recomputed (O(N)).  None calls
 * it today (a peer's config is fixed from ike_peer_add, ike_gc frees only
 * what is DEAD and has no deadline); an engine-wide setting that entered
 * sa_deadline would. */
static inline void ike_touch(struct ike_engine *eng)
{
	if (eng)
		eng->tm_all_dirty = true;
}
/* Room for n peers; at ike_peer_add, before the peer is linked. */
int ike_timers_reserve(struct ike_engine *eng, size_t n);
void ike_timers_init_peer(struct ike_peer *p);
/* The peer is about to be freed: out of the heap and every list. */
void ike_timers_forget(struct ike_peer *p);
void ike_timers_fini(struct ike_engine *eng);
/* The earliest peer deadline, UINT64_MAX if none. */
uint64_t ike_timers_next(struct ike_engine *eng);
/* Takes the peers due at now out of the heap into eng->tm_due[0..n)
 * (newest first); an entry becomes NULL if its peer is deleted meanwhile.
 * Each is handed back with ike_timers_done once its timers ran. */
size_t ike_timers_due(struct ike_engine *eng, uint64_t now);
void ike_timers_done(struct ike_peer *p);

/* ---- show.c ---- */
void ike_keylog_ike(struct ike_sa *sa);
void ike_keylog_child(struct ike_sa *sa, const struct ike_child_sa *c);

/* ---- payload.c ---- */
/* The first notify of a type (copied to out if not NULL). */
bool ike_msg_notify(const struct ike_msg *m, uint16_t type, struct ike_notify_pl *out);
/* The first error notify of a message, 0 if none. */
uint16_t ike_msg_error(const struct ike_msg *m);
/* A Nonce payload of 16 to IKE_MAX_NONCE octets (RFC 7296 3.9); false for NULL. */
bool ike_nonce_ok(const struct ike_pl *np);
/* Nonce order for 2.8.1: bytes compared as unsigned, then the shorter first. */
int ike_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);
/* The lower of two nonces, copied to out (IKE_MAX_NONCE octets of room). */
void ike_nonce_min(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out,
		   size_t *out_len);

/* ---- exchanges (exch_*.c) ---- */
/* One exchange as a task.  Initiator: build_i writes our request,
 * process_i takes the response (0 or -errno).  Responder: process_r decides
 * on the peer's request (0: accepted; -errno: refused, x->error names the
 * notify to answer with; IKE_REQ_IGNORED: not in this state of the SA,
 * dropped unanswered), then build_r writes the answer.  A task may have one
 * role or both. */
struct ike_task_ops {
	uint8_t exch;
	int (*build_i)(struct ike_sa *sa, struct ike_wbuf *w);
	int (*process_r)(struct ike_sa *sa, struct ike_xch *x);
	int (*build_r)(struct ike_sa *sa, struct ike_xch *x, struct ike_wbuf *w);
	int (*process_i)(struct ike_sa *sa, const struct ike_msg *m);
};
enum { IKE_REQ_IGNORED = 1 };
/* Ours, one per enum ike_task_kind (ike_task_auth answers IKE_AUTH too). */
extern const struct ike_task_ops ike_task_init, ike_task_auth, ike_task_child_rekey,
    ike_task_ike_rekey, ike_task_delete_child, ike_task_delete_ike, ike_task_dpd;
/* Responder only: the peer's CREATE_CHILD_SA and INFORMATIONAL. */
extern const struct ike_task_ops ike_task_create_child_sa, ike_task_informational;
/* engine.c's table: the task of our request in flight; the task that
 * answers a request of the peer's exchange (NULL: none does). */
const struct ike_task_ops *ike_task_ops_of(enum ike_task_kind k);
const struct ike_task_ops *ike_task_responder(uint8_t exch);

/* An IKE_SA_INIT request, with no SA yet (exch_init.c).  ike_init_admit
 * runs first: the header's SPIs, a known peer, a retransmission answered
 * from the kept response; it returns the peer to answer as, or NULL when
 * dealt with.  ike_init_request, after the payload rules: the rest. */
struct ike_peer *ike_init_admit(struct ike_engine *eng, const struct sockaddr_in *local,
				const struct sockaddr_in *remote, const struct ike_msg *m);
void ike_init_request(struct ike_engine *eng, struct ike_peer *p, const struct sockaddr_in *local,
		      const struct sockaddr_in *remote, const struct ike_msg *m);
/* After an IKE SA became ESTABLISHED: duplicates and INITIAL_CONTACT (exch_auth.c). */
void ike_sa_established(struct ike_sa *sa, bool initial_contact);

#endif
