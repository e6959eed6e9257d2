/* ike.h: the IKEv2 engine's public face.
 *
 * The engine negotiates one IKE SA (and its Child SAs) per configured peer
 * ("tunnel").  It owns no sockets, no timers of the OS and no devices: the
 * host (vtid's tunnel layer, or a test with a fake network and a virtual
 * clock) hands it packets and the time, and receives packets to send and
 * events about Child SAs.  Events go up, never calls across: the engine
 * never touches TUN, GRE or netlink.
 *
 * Packets: ike_input() takes an IKE message as it follows the UDP header,
 * with the 4-byte non-ESP marker already removed for port 4500; host->send()
 * gets the message without the marker, and the host adds it when the source
 * port is 4500.
 *
 * Time: host->now_ms() is a monotonic clock in milliseconds.  The host calls
 * ike_run_timers() when ike_next_deadline() has passed (and may call it at
 * any time; it is idempotent).
 *
 * Child SA events, in the order a make-before-break rekey needs:
 *   child_up(new)   new inbound+outbound SA pair: install both, send on new
 *   child_down(old) remove the old pair (sent after the rekey completed)
 * A tunnel has carrier while at least one Child SA is up. */
#ifndef VTID_IKE_H
#define VTID_IKE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/suite.h"

struct ike_engine;
struct json_object;

enum { IKE_MAX_PROPOSALS = 8, IKE_MAX_TRANSFORMS = 8, IKE_MAX_PSK = 128, IKE_MAX_ID = 255,
       IKE_MAX_REMOTE_IDS = 9 /* vtid: 8 match lines and the keyring peer's identity */ };

/* RFC 7296 3.5 ID types */
enum ike_id_type {
	IKE_ID_NONE = 0, /* remote: match the peer address (IOS `match identity remote address`) */
	IKE_ID_IPV4_ADDR = 1,
	IKE_ID_FQDN = 2,
	IKE_ID_RFC822_ADDR = 3,
	IKE_ID_KEY_ID = 11,
};

struct ike_id {
	enum ike_id_type type;
	uint8_t len;
	uint8_t data[IKE_MAX_ID];
};

/* One IKE proposal: any of each list (IOS `crypto ikev2 proposal`). */
struct ike_proposal {
	const struct suite *encr[IKE_MAX_TRANSFORMS];
	const struct suite *integ[IKE_MAX_TRANSFORMS]; /* none for AEAD-only proposals */
	const struct suite *prf[IKE_MAX_TRANSFORMS];   /* none: derived from integ */
	const struct suite *dh[IKE_MAX_TRANSFORMS];
	uint8_t n_encr, n_integ, n_prf, n_dh;
};

/* One ESP proposal (IOS `crypto ipsec transform-set`). */
struct ike_esp_proposal {
	const struct suite *encr;
	const struct suite *integ; /* NULL for AEAD */
};

enum ike_ts_kind {
	IKE_TS_GRE, /* protocol 47, local/32 <-> remote/32 (GRE over IPsec) */
	IKE_TS_ANY, /* 0.0.0.0/0 <-> 0.0.0.0/0, all protocols (native VTI) */
};

struct ike_peer_cfg {
	uint32_t tunnel_id;        /* the host's handle; echoed in every event */
	struct sockaddr_in local;  /* tunnel source, port 500 */
	struct sockaddr_in remote; /* tunnel destination, port 500 */

	struct ike_proposal ike[IKE_MAX_PROPOSALS];
	uint8_t n_ike;
	struct ike_esp_proposal esp[IKE_MAX_PROPOSALS];
	uint8_t n_esp;
	const struct suite *pfs;   /* DH group for Child SA rekeys, NULL = no PFS */

	struct ike_id local_id;    /* type NONE: our IPv4 address */
	/* The peer's identity is accepted when it matches any of these, as
	 * IOS matches a profile on any of its `match identity remote` lines.
	 * With none of them set, the peer's own IPv4 address is expected. */
	struct ike_id remote_ids[IKE_MAX_REMOTE_IDS]; /* FQDN or key-id names */
	uint8_t n_remote_ids;
	struct {
		uint32_t addr, mask; /* network order: an IPv4 ID inside addr/mask */
	} remote_addrs[IKE_MAX_REMOTE_IDS];
	uint8_t n_remote_addrs;
	bool remote_own_addr; /* the peer's address (its private one behind a NAT) */
	uint8_t psk_local[IKE_MAX_PSK];  /* signs our AUTH */
	uint8_t psk_local_len;
	uint8_t psk_remote[IKE_MAX_PSK]; /* verifies the peer's AUTH */
	uint8_t psk_remote_len;

	enum ike_ts_kind ts;
	bool transport;            /* ask for USE_TRANSPORT_MODE; tunnel mode accepted if the peer refuses */

	uint32_t ike_lifetime_s;   /* 0 = 86400 */
	uint32_t child_lifetime_s; /* 0 = 3600 */
	uint64_t child_lifetime_kb; /* 0 = 4608000 */
	uint32_t replay_window;    /* handed to the data plane in child events */
	uint32_t dpd_interval_s;   /* 0 = off */
	uint32_t dpd_retry_s;
	bool dpd_on_demand;        /* only probe when the data plane saw no inbound traffic */
	bool force_encap;          /* nat force-encap: UDP 4500 even without NAT */
	bool passive;              /* responder only (tests); tunnels initiate at once */
};

/* Everything the data plane needs for one Child SA pair. Keys are wiped by
 * the engine after the event returns: copy what you keep. */
struct ike_child_sa {
	uint32_t tunnel_id;
	uint32_t spi_in, spi_out;  /* host order */
	const struct suite *encr, *integ;
	uint8_t key_in_encr[64], key_out_encr[64]; /* cipher key then salt (AEAD) */
	uint8_t key_in_integ[64], key_out_integ[64];
	uint8_t encr_key_len, integ_key_len;
	bool transport, esn;
	const struct suite *pfs;   /* group used for this SA's keys, NULL if none */
	uint16_t natt_local_port, natt_remote_port; /* non-zero: ESP in UDP */
	struct sockaddr_in local, remote;
	uint32_t lifetime_s;
	uint64_t lifetime_kb;
	uint32_t replay_window;
	bool rekey;                /* replaces an existing pair of the same tunnel */
	bool responder;            /* we answered the exchange that made it: the
				    * peer installs it only when the answer arrives */
};

enum ike_sa_event { IKE_SA_UP, IKE_SA_DOWN };

/* Why a tunnel's negotiation failed or its SA went away, in the classes an
 * operator thinks in: one mismatch seen from either role is one class (our
 * AUTH refused by the peer, the peer's AUTH refused by us: both
 * IKE_FAIL_AUTH). */
enum ike_fail_class {
	IKE_FAIL_NONE = 0,
	IKE_FAIL_AUTH,	      /* a pre-shared key did not verify, on either side */
	IKE_FAIL_PROPOSAL,    /* no IKE or ESP proposal in common, or no DH group */
	IKE_FAIL_IDENTITY,    /* the peer's identity is not the one configured */
	IKE_FAIL_SELECTORS,   /* traffic selectors not ours */
	IKE_FAIL_NO_ANSWER,   /* no response after every retransmission */
	IKE_FAIL_UNREACHABLE, /* the peer's address cannot be sent to */
	IKE_FAIL_DEAD_PEER,   /* dead peer detection gave up */
	IKE_FAIL_DELETED,     /* the peer deleted the SA */
	IKE_FAIL_LOCAL,	      /* our own configuration or resources */
	IKE_FAIL_PROTOCOL,    /* malformed or refused exchange (INVALID_SYNTAX, ...) */
	IKE_FAIL_MAX,
};

struct ike_failure {
	enum ike_fail_class cls;
	uint16_t notify;      /* the error notify involved, 0 if none */
	bool by_peer;	      /* the peer refused (its notify); else our own verdict */
	char detail[200];     /* one line for operators; never a secret */
};

/* The reason's name: "AUTHENTICATION_FAILED", "NO_PROPOSAL_CHOSEN", ... */
const char *ike_fail_reason(enum ike_fail_class c);
/* The IANA name of an error notify ("TS_UNACCEPTABLE"), or NULL. */
const char *ike_notify_name(uint16_t type);

struct ike_host {
	void *ctx;
	uint64_t (*now_ms)(void *ctx);
	int (*send)(void *ctx, const struct sockaddr_in *from, const struct sockaddr_in *to,
		    const uint8_t *msg, size_t len);
	void (*child_up)(void *ctx, const struct ike_child_sa *child);
	void (*child_down)(void *ctx, uint32_t tunnel_id, uint32_t spi_in, uint32_t spi_out);
	void (*ike_event)(void *ctx, uint32_t tunnel_id, enum ike_sa_event ev, const char *why);
	/* Optional: a negotiation of the tunnel failed, or its SA went down,
	 * and why.  Called for every attempt; the host decides what to log. */
	void (*failed)(void *ctx, uint32_t tunnel_id, const struct ike_failure *f);
};

struct ike_engine *ike_engine_new(const struct ike_host *host);
void ike_engine_free(struct ike_engine *eng); /* NULL-safe; wipes every key */

/* Adds a peer and, unless passive, starts IKE_SA_INIT at once.  Returns 0 or -errno
 * (-EEXIST if tunnel_id is in use). */
int ike_peer_add(struct ike_engine *eng, const struct ike_peer_cfg *cfg);
/* Deletes the peer's SAs politely (INFORMATIONAL Delete sent, child_down for
 * each Child SA) and forgets it. */
int ike_peer_del(struct ike_engine *eng, uint32_t tunnel_id);

/* One received IKE message; `local` is the address/port it arrived on. */
void ike_input(struct ike_engine *eng, const struct sockaddr_in *local,
	       const struct sockaddr_in *remote, const uint8_t *msg, size_t len);

uint64_t ike_next_deadline(struct ike_engine *eng); /* UINT64_MAX: no timer armed */
void ike_run_timers(struct ike_engine *eng);

/* The data plane saw an SA cross a lifetime (kilobytes, packets, sequence
 * numbers): soft starts a rekey, hard tears the Child SA down. */
void ike_child_expired(struct ike_engine *eng, uint32_t tunnel_id, uint32_t spi_in, bool hard);
/* Inbound traffic seen on the tunnel (for dpd on-demand). */
void ike_traffic_seen(struct ike_engine *eng, uint32_t tunnel_id);
/* An ICMP error (or the like) came back for a datagram we sent to `to`;
 * `quoted` is that datagram's IKE message as far as the error quotes it
 * (from the IKE header; no non-ESP marker), `what` says what came back
 * ("ICMP port unreachable from 192.0.2.1").  Never fatal by itself. */
void ike_icmp_error(struct ike_engine *eng, const struct sockaddr_in *to, const uint8_t *quoted,
		    size_t len, const char *what);
/* The tunnel stopped receiving while it sends (icmp NULL), or an ICMP
 * error came back for its ESP (icmp says what): with DPD configured, the
 * peer is probed now instead of after the idle interval. */
void ike_peer_suspect(struct ike_engine *eng, uint32_t tunnel_id, const char *icmp);

/* Operator actions (`clear crypto ...`, tests). */
int ike_rekey_child(struct ike_engine *eng, uint32_t tunnel_id);
int ike_rekey_ike(struct ike_engine *eng, uint32_t tunnel_id);
int ike_clear(struct ike_engine *eng, uint32_t tunnel_id); /* delete and start again */
/* Milliseconds until the tunnel's next attempt (re-initiation after a
 * failure), -1 if none is scheduled. */
int64_t ike_next_attempt_ms(struct ike_engine *eng, uint32_t tunnel_id);

/* Tunables (`crypto ikev2 cookie-challenge N`, tests): COOKIEs are demanded
 * once this many responder SAs are half-open (default 64); IKE messages
 * larger than frag_size bytes are sent as RFC 7383 fragments when the peer
 * supports them (default 1280). */
void ike_set_cookie_threshold(struct ike_engine *eng, unsigned half_open);
void ike_set_fragment_size(struct ike_engine *eng, unsigned bytes);
/* Pacing: IKE_SA_INIT exchanges of ours in flight at once, to start with
 * (it then adapts to the answers; engine.c).  At least 1. */
void ike_set_init_window(struct ike_engine *eng, unsigned n);

/* Tests: each time the timer heap is read, every peer's deadline is
 * recomputed as a walk would, and a wrong one aborts (timers.c). */
void ike_set_timer_check(struct ike_engine *eng, bool on);

/* `crypto ikev2 keylog FILE`: NULL turns it off. Returns 0 or -errno. */
int ike_set_keylog(struct ike_engine *eng, const char *path);

/* Show data, as json-c objects the caller owns (keys as in docs/CONTROL.md):
 * {"sas":[...]} for `show crypto ikev2 sa [detailed]`, {"...counters"} for stats. */
struct json_object *ike_show_sa(struct ike_engine *eng, bool detailed);
struct json_object *ike_show_stats(struct ike_engine *eng);

#endif
