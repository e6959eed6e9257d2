/* dp.h: the data-plane backend contract.
 *
 * The tunnel layer (vtid/tunnel.c) drives exactly one backend through struct
 * dp_ops: it creates one link (tunnel device) per `interface TunnelN`, sets
 * its carrier, and installs and removes ESP SAs as IKE reports them.  A
 * backend knows nothing of IKE.  Two backends implement it: "userspace"
 * (TUN + GRE + ESP in vtid's own worker threads; gre/dp_user.c, its files
 * listed in gre/dp_user_int.h) and "kernel" (a kernel GRE device and XFRM
 * states and policies through libnl; gre/dp_kernel.c, its files listed in
 * gre/dp_kernel_int.h).  `dataplane auto` picks kernel when the
 * running kernel can create a GRE device and an ESP state, else userspace.
 *
 * Threading: every ops call is made from the control thread.  A backend that
 * runs worker threads reports events (lifetime expiry, keepalive state) by
 * making `event_fd` readable; the control loop then calls ops->dispatch(),
 * which invokes the event callback on the control thread.
 *
 * Make-before-break: a new pair is installed inbound first, then outbound
 * (vtid/tunnel.c deletes the inbound SA again when the outbound one
 * fails); the old pair is deleted later with sa_del, its outbound SA first
 * and its inbound SA then or, when IKE deleted the pair, after a short
 * linger for packets still in flight.
 * Several inbound SAs may be live on one link at the same time; at most one
 * outbound SA is current, the one that carries.  sa_add of an outbound SA
 * makes it current at once, unless it is deferred (dp_sa_cfg.defer); the
 * SA it replaces stays installed, its counters readable, until sa_del.
 * sa_del of the current outbound SA makes the newest outbound SA still
 * installed current, if there is one. */
#ifndef VTID_GRE_DP_H
#define VTID_GRE_DP_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "lib/suite.h"

struct dp;      /* one backend instance */
struct dp_link; /* one tunnel device */

enum dp_encap {
	DP_ENCAP_GRE,  /* tunnel mode gre ip: inner packet in GRE, GRE protected by ESP */
	DP_ENCAP_NONE, /* tunnel mode ipsec ipv4 (native VTI): inner IP packet straight in ESP tunnel mode */
};

enum dp_esp_mode { DP_ESP_TRANSPORT, DP_ESP_TUNNEL };
enum dp_df { DP_DF_COPY, DP_DF_SET, DP_DF_CLEAR };

struct dp_link_cfg {
	char name[IFNAMSIZ];      /* "Tunnel1" */
	struct in_addr local;     /* tunnel source (outer) */
	struct in_addr remote;    /* tunnel destination (outer) */
	struct in_addr addr;      /* inner address of the device; 0 = none */
	uint8_t prefixlen;
	enum dp_encap encap;
	bool gre_key_set;
	uint32_t gre_key;
	bool gre_seq;             /* send and require GRE sequence numbers */
	bool gre_csum;            /* send GRE checksums */
	uint16_t mtu;             /* 0 = computed from the real GRE+ESP(+UDP) overhead */
	uint16_t tcp_mss;         /* 0 = no clamp; else clamp SYN MSS both ways */
	enum dp_df df;
	uint16_t keepalive_period; /* seconds, 0 = off (Cisco GRE keepalive) */
	uint8_t keepalive_retries;
	bool protected;           /* true: only ESP-protected traffic passes; false: plain GRE */
	uint8_t queues;           /* userspace: 1 = a single-queue TUN device (cheap to create:
				   * a hub's many tunnels); 0 = one queue per worker */
};

struct dp_sa_cfg {
	uint32_t spi;             /* network byte order NOT used: host order */
	bool inbound;
	enum dp_esp_mode mode;
	const struct suite *encr; /* SUITE_ENCR row */
	const struct suite *integ;/* SUITE_INTEG row, NULL for AEAD */
	uint8_t encr_key[64];     /* cipher key followed by salt for AEAD (KEYMAT order) */
	uint8_t encr_key_len;     /* encr->key_len + encr->salt_len */
	uint8_t integ_key[64];
	uint8_t integ_key_len;
	bool esn;                 /* 64-bit extended sequence numbers */
	uint32_t replay_window;   /* inbound: packets, 0 = off; max 4096 */
	uint16_t natt_local_port; /* non-zero: ESP in UDP (RFC 3948) between these ports */
	uint16_t natt_remote_port;
	uint64_t soft_bytes, hard_bytes;     /* 0 = no limit */
	uint64_t soft_packets, hard_packets; /* 0 = no limit (sequence exhaustion always applies) */
	/* outbound, answering a rekey: the peer installs its inbound SA only
	 * when our answer reaches it, so this SA becomes current when the
	 * first packet authenticates on its partner inbound SA `pair_spi`, or
	 * when the current outbound SA is deleted.  Ignored (current at once)
	 * when the link has no current outbound SA or no inbound SA
	 * `pair_spi`.  An outbound SA added later without defer cancels the
	 * wait: an older pair never takes over from a newer one. */
	bool defer;
	uint32_t pair_spi;
};

struct dp_sa_stats {
	uint64_t packets, bytes;
	uint64_t replay_fail, auth_fail, pad_fail;
	uint64_t seq;              /* outbound: last sequence sent; inbound: highest seen */
	uint32_t replay_window;
	uint32_t bitmap[4];        /* the newest 128 bits of the window, bit 0 = seq */
	uint64_t added_ms;         /* monotonic time of installation */
};

struct dp_link_stats {
	uint64_t pkts_encaps, pkts_encrypt, pkts_digest;
	uint64_t pkts_decaps, pkts_decrypt, pkts_verify;
	uint64_t bytes_out, bytes_in;
	uint64_t replay_fail, auth_fail, pad_fail;
	uint64_t send_errors, recv_errors;
	uint64_t no_sa_drops;       /* inner packets dropped because no outbound SA was active */
	uint64_t frag_needed;       /* ICMP fragmentation-needed sent back */
	uint16_t mtu;               /* device MTU in force */
	uint16_t path_mtu;          /* outer MTU used for the computation */
	bool carrier;
	int ifindex;
	/* additive (gre/ helper): */
	uint64_t unprotected_drops; /* plain GRE that arrived for a protected link */
	uint64_t malformed;         /* truncated/invalid outer, ESP, GRE or inner headers */
	uint64_t icmp_unreach;      /* ICMP unreachable from the peer quoting our current outbound SPI */
};

enum dp_event {
	DP_EV_SOFT_EXPIRE, /* an SA crossed its soft byte/packet limit: rekey it */
	DP_EV_HARD_EXPIRE, /* an SA hit its hard limit or sequence exhaustion: it no longer carries traffic */
	/* kernel backend: traffic matched the link's policy and the kernel has
	 * no ESP state for it (XFRM acquire; spi and inbound unused) */
	DP_EV_ACQUIRE,
	DP_EV_KEEPALIVE_DOWN,
	DP_EV_KEEPALIVE_UP,
};

typedef void (*dp_event_fn)(void *ctx, struct dp_link *link, enum dp_event ev, uint32_t spi,
			    bool inbound);

struct dp_init {
	dp_event_fn on_event;
	void *ctx;
	int workers;     /* userspace: worker threads, 0 = one per CPU */
	/* the IKE UDP 4500 socket (bound 0.0.0.0:4500), used to send ESP-in-UDP;
	 * -1 if none.  When it was bound with SO_REUSEPORT the userspace backend
	 * joins its port with a socket of its own and steers ESP (non-zero first
	 * word) to the workers, IKE and keepalives to it; otherwise ESP keeps
	 * arriving through udp_input. */
	int udp_encap_fd;
};

struct dp_ops {
	const char *name;
	/* Returns 0 or -errno. */
	int (*create)(const struct dp_init *init, struct dp **out);
	void (*destroy)(struct dp *dp);
	/* Creates the device (down, no carrier), with its address and MTU. */
	int (*link_add)(struct dp *dp, const struct dp_link_cfg *cfg, struct dp_link **out);
	void (*link_del)(struct dp_link *link);
	int (*link_carrier)(struct dp_link *link, bool up);
	/* Installs one direction of a Child SA; see "Make-before-break" above.
	 * An inbound SA receives at once.  An outbound one also sets the
	 * device MTU from its real overhead when the link's mtu is 0.
	 * -EINVAL: a plain (unprotected) link, transport mode on a link
	 * without GRE, an SPI below 256, or keys and sizes that do not fit the
	 * transform; -ENOTSUP: a transform the crypto library lacks; -EEXIST:
	 * the SPI is already installed in that direction on the link or,
	 * inbound, anywhere in the backend; -ENOMEM, -EIO. */
	int (*sa_add)(struct dp_link *link, const struct dp_sa_cfg *sa);
	/* Removes it at once (the backend waits out its own readers); -ENOENT
	 * when it is not installed, -ENOMEM (inbound: it stays installed). */
	int (*sa_del)(struct dp_link *link, uint32_t spi, bool inbound);
	int (*link_stats)(struct dp_link *link, struct dp_link_stats *out);
	int (*sa_stats)(struct dp_link *link, uint32_t spi, bool inbound, struct dp_sa_stats *out);
	/* Readable when events are pending; -1 if the backend has none. */
	int (*event_fd)(struct dp *dp);
	void (*dispatch)(struct dp *dp);
	/* An ESP-in-UDP packet that arrived on the IKE 4500 socket (non-ESP
	 * marker absent): payload starts at the SPI. */
	void (*udp_input)(struct dp *dp, const uint8_t *pkt, size_t len, const struct sockaddr_in *from,
			  const struct sockaddr_in *to);
	/* Whether this backend can run here (kernel: GRE and ESP available;
	 * probed once, the probe cleaned up). */
	bool (*available)(void);
	/* Why available() answers what it does, for the log; NULL: no reason. */
	const char *(*why)(void);
};

extern const struct dp_ops dp_user_ops;
extern const struct dp_ops dp_kernel_ops;

/* "userspace": the userspace backend; "kernel": the kernel backend (not
 * probed); "auto" or NULL: kernel when it is available here, else
 * userspace; anything else NULL. */
const struct dp_ops *dp_ops_by_name(const char *name);
/* As dp_ops_by_name, and says why in `why`: for "kernel" NULL when the
 * kernel cannot do it (why names what is missing). */
const struct dp_ops *dp_ops_pick(const char *name, char *why, size_t len);

/* For `show dataplane`: the worker threads a backend instance runs (ops
 * the backend that created dp); 0 for a backend without workers. */
int dp_workers(const struct dp_ops *ops, const struct dp *dp);

/* The device MTU for a link: path_mtu less the outer IPv4 header, GRE,
 * and ESP with this SA's transform (without an SA yet: the worst the
 * suites allow).  Shared by both backends; defined in dp_user.c. */
uint16_t dp_compute_mtu(const struct dp_link_cfg *cfg, uint16_t path_mtu,
			const struct dp_sa_cfg *sa);

/* For both backends' link_add (dp.c): -EINVAL when cfg is no valid link
 * (no name or one without its NUL, a prefix over 32); and whether it
 * clashes with an installed link `o`: -EEXIST the same name, -EADDRINUSE
 * the same address pair (GRE is told apart by it), else 0. */
int dp_link_cfg_check(const struct dp_link_cfg *cfg);
int dp_link_cfg_clash(const struct dp_link_cfg *cfg, const struct dp_link_cfg *o);

#endif
