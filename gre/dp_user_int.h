/* dp_user_int.h: internals shared by the userspace backend's files.
 *
 *   dp_user.c       control side: dp_user_ops, sockets, workers, links, SAs,
 *                   events to the control thread (lifetimes included)
 *   dp_tables.c     the published lookup tables and dp_synchronize
 *   dp_worker.c     a worker's buffers and its epoll loop
 *   dp_tx.c         TUN read -> GRE -> ESP -> outer header -> batched send
 *   dp_rx.c         raw/UDP input -> ESP -> GRE -> TUN write; ICMP errors
 *   dp_keepalive.c  Cisco GRE keepalives: sent, answered, reflected
 *   ip4.c, gre.c, esp.c, replay.c, offload.c (TSO, GRO), tun.c: packet
 *                   and device work that knows nothing of links or workers
 *
 * Concurrency (read this before touching any of them):
 * - Control thread: every dp_ops call, udp_input, dispatch.  It alone
 *   mutates links, SAs and tables.
 * - Workers: read the published tables only.  Each worker bumps its `rcu`
 *   counter to odd when it starts handling a batch of epoll events and back
 *   to even before it sleeps again.  Everything a worker can reach is found
 *   through the published tables AFTER it went odd (epoll events carry link
 *   ids, never pointers), so an object that was unpublished and then waited
 *   out with dp_synchronize() can no longer be reached: then it is freed.
 * - A worker's own state is in its struct dp_worker and struct dp_wbuf,
 *   passed down explicitly; nothing is thread-local or static.
 * - Per-SA and per-link counters are relaxed atomics; an SA's replay window
 *   has its own short spinlock (esp.c); lifetime events fire once through
 *   atomic exchange and travel to the control thread through an eventfd. */
#ifndef VTID_GRE_DP_USER_INT_H
#define VTID_GRE_DP_USER_INT_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "gre/dp.h"
#include "gre/esp.h"
#include "gre/gre.h"
#include "gre/ip4.h"
#include "gre/offload.h"

#define DP_BATCH       32
#define DP_HEADROOM    128 /* outer IP 20 + UDP 8 + ESP 8 + IV 16 + IP 20 + GRE 16, rounded */
#define DP_BUFSZ       4096
#define DP_MAX_WORKERS 64

/* epoll data: kind in the low 3 bits, a link's id above them */
#define DP_EVK_BITS   3
#define DP_EVK_MASK   7
#define DP_EVK_LINK   0
#define DP_EVK_ESP    1
#define DP_EVK_GRE    2
#define DP_EVK_STOP   3
#define DP_EVK_UDP    4 /* ESP in UDP 4500, steered to the workers' socket */
#define DP_EVK_ESPERR 5 /* ICMP errors on the sending ESP socket (several workers) */

struct dp_link_ctr {
	_Atomic uint64_t pkts_encaps, pkts_encrypt, pkts_digest;
	_Atomic uint64_t pkts_decaps, pkts_decrypt, pkts_verify;
	_Atomic uint64_t bytes_out, bytes_in;
	_Atomic uint64_t replay_fail, auth_fail, pad_fail;
	_Atomic uint64_t send_errors, recv_errors;
	_Atomic uint64_t no_sa_drops, frag_needed, unprotected_drops, malformed;
	_Atomic uint64_t icmp_unreach;
};

#define CTR_ADD(field, n) atomic_fetch_add_explicit(&(field), (n), memory_order_relaxed)

struct dp_sa {
	struct esp_sa *esp;
	struct dp_link *link;
	struct dp_sa *next; /* the link's list (control thread only) */
	uint32_t spi;
	bool inbound;
	enum dp_esp_mode mode;
	uint16_t natt_local_port, natt_remote_port;
	uint64_t soft_bytes, hard_bytes, soft_packets, hard_packets;
	_Atomic bool soft_fired, hard_fired;
	/* inbound: a deferred outbound SA of the link that becomes current
	 * once a packet authenticates here (dp_sa_cfg.defer); then NULL */
	_Atomic(struct dp_sa *) activate;
};

struct dp_link {
	struct dp *dp;
	struct dp_link *prev; /* dp->links, both ways: a link leaves in O(1) */
	uint64_t id;
	struct dp_link_cfg cfg;
	int ifindex;
	int nq;
	int *qfd;
	struct gre_params gre;
	_Atomic uint32_t gre_seq_out;
	_Atomic uint64_t gre_seq_in; /* bit 32: seen; low half: next expected */
	_Atomic uint16_t mtu;
	uint16_t path_mtu;
	bool carrier, admin_up;
	_Atomic bool carrier_on;     /* carrier, for the workers */
	_Atomic uint64_t ka_last_ms; /* keepalive: last sent (worker 0) */
	_Atomic uint32_t ka_missed;
	_Atomic bool ka_up;
	_Atomic(struct dp_sa *) out_sa;
	struct dp_sa *sas;    /* all SAs of this link, newest first (control thread) */
	struct dp_link *next; /* dp's list (control thread) */
	size_t tab_pos;	      /* its index in the link table's link[] (control thread) */
	struct dp_link_ctr ctr;
};

/* The published tables (dp_tables.c): open addressing, changed in place
 * slot by slot.  A slot is NULL (ends a probe), a tombstone (a removed
 * entry: probes go on) or an entry; entries plus tombstones never pass
 * half the slots.  The counts are the control thread's. */
struct dp_sa_table {
	uint32_t mask; /* slots - 1, slots a power of two */
	uint32_t fill; /* slots not NULL */
	uint32_t live; /* SAs */
	_Atomic(struct dp_sa *) slot[];
};

struct dp_link_table {
	_Atomic size_t n; /* links in link[] */
	size_t cap;	  /* room in link[] */
	uint32_t mask;	  /* slots of `id` and of `addr` - 1, a power of two */
	uint32_t id_fill, addr_fill;
	_Atomic(struct dp_link *) *id;	 /* by id */
	_Atomic(struct dp_link *) *addr; /* by (remote, local) address pair */
	/* every link, dense and in no order, for walks (dp_keepalive_tick:
	 * being _Atomic, its reads of n and link[i] are atomic loads);
	 * `id`'s and `addr`'s slots follow */
	_Atomic(struct dp_link *) link[];
};

struct dp_worker {
	struct dp *dp;
	int idx;
	int epfd;
	/* receive sockets: with several workers each has its own, and a
	 * filter gives it the packets of its share of the SAs (ESP: by SPI;
	 * GRE: by source address) so one flow is never reordered across
	 * workers; one worker reads dp's own.  udp_fd: -1 when ESP in UDP
	 * arrives through udp_input. */
	int esp_fd, gre_fd, udp_fd;
	pthread_t th;
	bool started;
	_Atomic uint64_t rcu;
};

#define DP_TXQ	128 /* bulk segments per flush: a 64 KiB GSO packet at MSS 536 fits */
#define DP_CTLQ 8
#define DP_SBUF (OFF_VNET_HDR_LEN + 65536)

/* One worker's packet buffers (dp_worker.c allocates them).  Send side
 * (dp_tx.c): messages queued for one sendmmsg per run; each tx[] buffer is
 * DP_BUFSZ with an inner packet at DP_HEADROOM.  Receive side (dp_rx.c):
 * rx[] for recvmmsg, sbuf for one TUN or UDP GRO read, and the GRO run
 * being coalesced for the TUN write. */
struct dp_wbuf {
	uint8_t *sbuf; /* one TUN read: vnet header + up to 64 KiB */
	uint8_t *tx[DP_TXQ + DP_CTLQ];
	uint8_t *rx[DP_BATCH];
	struct mmsghdr msg[DP_TXQ + DP_CTLQ];
	struct iovec iov[DP_TXQ + DP_CTLQ];
	struct sockaddr_in addr[DP_TXQ + DP_CTLQ];
	int fd[DP_TXQ + DP_CTLQ];
	bool udp[DP_TXQ + DP_CTLQ]; /* ESP in UDP: eligible for UDP GSO */
	struct dp_link *link[DP_TXQ + DP_CTLQ];
	int nbulk, nctl; /* queued: bulk in [0, DP_TXQ), control after */
	/* NULL when its buffer could not be had: packets are written one by one */
	struct off_gro *gro;
	struct off_gro gro_run;
};

struct dp_event_rec {
	uint64_t link_id;
	enum dp_event ev;
	uint32_t spi;
	bool inbound;
};

struct dp {
	struct dp_init init;
	int nworkers;
	struct dp_worker *w;
	/* esp_fd, gre_fd: sending (and worker 0's reading when alone) */
	int esp_fd, gre_fd, stop_fd, ev_fd;
	_Atomic bool stopping;
	/* sendmsg refused UDP_SEGMENT once: ESP in UDP goes without GSO */
	_Atomic bool udp_gso_broken;
	_Atomic(struct dp_sa_table *) sa_tab;
	_Atomic(struct dp_link_table *) link_tab;
	struct dp_link *links;
	uint64_t next_link_id;
	pthread_mutex_t ev_lock;
	struct dp_event_rec *evq;
	size_t evq_n, evq_cap;
	_Atomic uint64_t rx_no_sa, rx_malformed, rx_no_link;
	uint8_t *ctl_buf; /* control thread's packet buffer (udp_input) */
};

/* dp_tables.c: what workers look up, published by the control thread.
 * Lookups: the control thread, or a worker between its odd and even `rcu`
 * bumps.  Inserts and removes: the control thread, O(1) amortized.  An
 * insert may fail (-ENOMEM, when the table must grow) and then leaves the
 * table as it was.  A remove unpublishes at once but a worker may still
 * hold the object: free it only after dp_synchronize.  Only inbound SAs
 * belong in the SA table; removing what is not there does nothing. */
struct dp_sa *dp_sa_lookup(struct dp *dp, uint32_t spi);
struct dp_link *dp_link_lookup_id(struct dp *dp, uint64_t id);
struct dp_link *dp_link_lookup_addr(struct dp *dp, uint32_t src, uint32_t dst);
int dp_sa_table_insert(struct dp *dp, struct dp_sa *s);
void dp_sa_table_remove(struct dp *dp, const struct dp_sa *s);
int dp_link_table_insert(struct dp *dp, struct dp_link *l);
void dp_link_table_remove(struct dp *dp, struct dp_link *l);
/* The tables' hashes, for tests that make entries collide. */
uint32_t dp_spi_hash(uint32_t spi);
uint32_t dp_id_hash(uint64_t id);
uint32_t dp_addr_hash(uint32_t remote, uint32_t local);
/* Returns once every worker that was handling events has finished them. */
void dp_synchronize(struct dp *dp);

/* dp_user.c */
void dp_post_event(struct dp *dp, struct dp_link *link, enum dp_event ev, uint32_t spi,
		   bool inbound);
/* After an SA carried a packet: posts its soft or hard lifetime event the
 * first time the SA's byte or packet count crosses the limit. */
void dp_sa_account(struct dp *dp, struct dp_sa *s);
uint16_t dp_compute_mtu(const struct dp_link_cfg *cfg, uint16_t path_mtu,
			const struct dp_sa_cfg *sa);

/* dp_worker.c */
void *dp_worker_main(void *arg);

/* dp_tx.c */
/* Inner IPv4 from the TUN device of `link` at pkt (with DP_HEADROOM
 * before it); fills the outgoing message (iov base/len, destination);
 * returns the socket fd to send on or -1 when the packet was consumed. */
int dp_output(struct dp_link *link, int slot, uint8_t *pkt, size_t len, uint8_t **out,
	      size_t *out_len, struct sockaddr_in *to);
/* Second stage of dp_output: ESP (protected links) and the outer header;
 * see dp_tx.c. */
int dp_output_outer(struct dp_link *l, int slot, uint8_t *p, size_t plen, uint8_t tos, bool df,
		    const uint8_t *end, uint8_t **out, size_t *out_len, struct sockaddr_in *to);
/* Sends one message at once (not batched); a failure is counted. */
void dp_send_one(struct dp_link *l, int sfd, uint8_t *o, size_t ol, struct sockaddr_in *to);
/* Reads the worker's queue of the link's TUN device dry (64 reads at most)
 * and sends what it read. */
void dp_tun_read(struct dp_worker *w, struct dp_link *l, struct dp_wbuf *wb);

/* dp_rx.c */
/* Inbound ESP starting at the SPI; src/dst in network order; slot = worker
 * index or nworkers for the control thread; tun_q = queue to write to;
 * gro = the worker's GRO run, NULL to write each packet at once;
 * end = end of the buffer holding esp (room for a reflected keepalive);
 * outer_tos = the outer IP header's TOS (0 if unknown), for ECN. */
void dp_esp_input(struct dp *dp, int slot, int tun_q, struct off_gro *gro, uint8_t *esp, size_t len,
		  const uint8_t *end, uint32_t src, uint32_t dst, bool natt, uint8_t outer_tos);
/* The worker's raw ESP (esp) or GRE socket, read in batches. */
void dp_raw_input(struct dp_worker *w, struct dp_wbuf *wb, int fd, bool esp);
/* The worker's ESP-in-UDP socket. */
void dp_udp_input(struct dp_worker *w, struct dp_wbuf *wb, int fd);
/* Empties the error queue of a sending ESP socket. */
void dp_esp_errors(struct dp *dp, int fd);
/* A worker's GRO run leaves through this (off_gro_emit_fn): writes the
 * frame to queue q of the link's TUN device and counts it. */
void dp_gro_emit(void *link, int q, uint8_t *frame, size_t len, size_t bytes, int nseg);

/* dp_keepalive.c */
/* Worker 0, about once a second: sends the keepalives that are due.
 * buf: a DP_BUFSZ scratch buffer. */
void dp_keepalive_tick(struct dp *dp, int slot, uint64_t now_ms, uint8_t *buf);
/* A GRE keepalive answer (protocol 0, nothing after the header) arrived. */
void dp_keepalive_answer(struct dp *dp, struct dp_link *l);
/* The decapsulated inner packet at ip: true when it was the peer's
 * keepalive (reflected, or swallowed), false when it is to be delivered. */
bool dp_keepalive_reflect(struct dp_link *l, int slot, uint8_t *ip, size_t len, const uint8_t *end);

#endif
