/* msg.h: the IKEv2 message codec (RFC 7296 3, RFC 7383 2.5).
 *
 * Decoding needs no SA: ike_msg_decode() checks the header and walks the
 * generic payload chain, recording each payload's type and body (pointers
 * into the caller's buffer, which must outlive the ike_msg).  An SK payload
 * ends the clear chain; after the caller has decrypted it (ike_sk_open),
 * ike_msg_decode_inner() appends the inner payloads marked encrypted.
 * Per-payload decoders (SA, KE, ID, N, D, TS, ...) run on demand over a body.
 *
 * Every read goes through struct ike_cur: a window with a sticky error flag.
 * A read past the end sets the flag and yields zeros, so a parser checks
 * once at the end instead of before each field; ike_cur_sub() narrows a
 * window to a nested structure (proposal, transform, attribute) and
 * consumes it from the parent.
 *
 * Encoding: struct ike_wbuf builds into a caller buffer; payloads are opened
 * with ike_w_begin() (which patches the previous payload's Next Payload) and
 * closed with ike_w_end() (which writes the length).  Errors are sticky too. */
#ifndef VTID_IKE_MSG_H
#define VTID_IKE_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ike/ikev2.h"
#include "lib/suite.h"

/* ---- read cursor ---- */
struct ike_cur {
	const uint8_t *p;
	size_t len, off;
	bool err;
};
void ike_cur_init(struct ike_cur *c, const uint8_t *p, size_t len);
uint8_t ike_cur_u8(struct ike_cur *c);
uint16_t ike_cur_u16(struct ike_cur *c);
uint32_t ike_cur_u32(struct ike_cur *c);
/* NULL (and the error flag) when fewer than n bytes remain. */
const uint8_t *ike_cur_bytes(struct ike_cur *c, size_t n);
/* A window over the next n bytes; the parent advances past them. */
struct ike_cur ike_cur_sub(struct ike_cur *c, size_t n);
size_t ike_cur_left(const struct ike_cur *c);

/* ---- decoded message ---- */
enum { IKE_MSG_MAX_PL = 48, IKE_MAX_SPI = 8 };

struct ike_hdr {
	uint8_t spi_i[8], spi_r[8];
	uint8_t next, version, exch, flags;
	uint32_t msgid, len;
};

struct ike_pl {
	uint8_t type;
	bool critical;
	bool encrypted;	     /* arrived inside SK */
	const uint8_t *body; /* after the generic header */
	size_t len;
	size_t off; /* offset of the generic header in the message */
};

/* Why a message was refused; each maps to one counter. */
enum ike_decode_err {
	IKE_DEC_OK = 0,
	IKE_DEC_SHORT,	     /* shorter than the header or header length */
	IKE_DEC_VERSION,     /* major version not 2 */
	IKE_DEC_BAD_LENGTH,  /* a payload length below 4 or past the end */
	IKE_DEC_TOO_MANY,    /* more payloads than IKE_MSG_MAX_PL */
	IKE_DEC_CRITICAL,    /* unknown payload with the critical bit */
	IKE_DEC_SK_NOT_LAST, /* SK/SKF followed by more bytes */
	IKE_DEC_MAX,
};
const char *ike_decode_err_str(enum ike_decode_err e);

struct ike_msg {
	struct ike_hdr hdr;
	const uint8_t *raw;
	size_t raw_len;
	struct ike_pl pl[IKE_MSG_MAX_PL];
	size_t n;
	int sk;			      /* index of the SK or SKF payload, -1 if none */
	uint8_t sk_first;	      /* SK's Next Payload: the first inner payload type */
	uint8_t unsupported_critical; /* the type behind IKE_DEC_CRITICAL */
};

int ike_hdr_decode(const uint8_t *buf, size_t len, struct ike_hdr *h);
/* 0 or -EBADMSG with *why set. */
int ike_msg_decode(const uint8_t *buf, size_t len, struct ike_msg *m, enum ike_decode_err *why);
int ike_msg_decode_inner(struct ike_msg *m, uint8_t first, const uint8_t *p, size_t len,
			 enum ike_decode_err *why);
/* The i-th payload of a type (0-based), or NULL. */
const struct ike_pl *ike_msg_find(const struct ike_msg *m, uint8_t type, size_t nth);
size_t ike_msg_count(const struct ike_msg *m, uint8_t type);
bool ike_payload_known(uint8_t type);

/* ---- per-payload bodies ---- */
struct ike_xform {
	uint8_t type;
	uint16_t id;
	uint16_t key_bits; /* 0: no Key Length attribute */
	bool unknown_attr; /* an attribute we don't understand: transform unusable */
};

struct ike_prop {
	uint8_t num, proto, spi_size;
	uint8_t spi[IKE_MAX_SPI];
	struct ike_xform x[64];
	uint8_t n_x;
};

struct ike_sa_pl {
	struct ike_prop prop[16];
	uint8_t n_prop;
};
int ike_sa_pl_decode(const uint8_t *p, size_t len, struct ike_sa_pl *sa);

struct ike_ke_pl {
	uint16_t group;
	const uint8_t *data;
	size_t len;
};
int ike_ke_pl_decode(const uint8_t *p, size_t len, struct ike_ke_pl *ke);

struct ike_id_pl {
	uint8_t type;
	const uint8_t *data;
	size_t len;
};
int ike_id_pl_decode(const uint8_t *p, size_t len, struct ike_id_pl *id);

struct ike_auth_pl {
	uint8_t method;
	const uint8_t *data;
	size_t len;
};
int ike_auth_pl_decode(const uint8_t *p, size_t len, struct ike_auth_pl *a);

struct ike_notify_pl {
	uint8_t proto, spi_size;
	uint16_t type;
	uint8_t spi[IKE_MAX_SPI];
	const uint8_t *data;
	size_t len;
};
int ike_notify_pl_decode(const uint8_t *p, size_t len, struct ike_notify_pl *n);

struct ike_delete_pl {
	uint8_t proto, spi_size;
	uint16_t n_spi;
	const uint8_t *spis; /* n_spi * spi_size bytes */
};
int ike_delete_pl_decode(const uint8_t *p, size_t len, struct ike_delete_pl *d);

struct ike_ts {
	uint8_t proto;
	uint16_t port_lo, port_hi;
	uint32_t addr_lo, addr_hi; /* host order */
};
struct ike_ts_pl {
	struct ike_ts ts[8];
	uint8_t n;
	uint8_t n_skipped; /* IPv6 or unknown types, ignored */
};
int ike_ts_pl_decode(const uint8_t *p, size_t len, struct ike_ts_pl *ts);

/* SKF header fields (RFC 7383 2.5); the body after them is IV|ct|ICV. */
struct ike_skf_pl {
	uint16_t num, total;
};
int ike_skf_pl_decode(const uint8_t *p, size_t len, struct ike_skf_pl *f);

/* ---- encoder ---- */
struct ike_wbuf {
	uint8_t *buf;
	size_t cap, len;
	size_t np_off; /* where the next payload's type goes */
	bool err;
};
void ike_w_init(struct ike_wbuf *w, uint8_t *buf, size_t cap);
void ike_w_u8(struct ike_wbuf *w, uint8_t v);
void ike_w_u16(struct ike_wbuf *w, uint16_t v);
void ike_w_u32(struct ike_wbuf *w, uint32_t v);
void ike_w_bytes(struct ike_wbuf *w, const void *p, size_t n);
/* Reserves n bytes and returns their offset. */
size_t ike_w_skip(struct ike_wbuf *w, size_t n);
void ike_w_put16(struct ike_wbuf *w, size_t off, uint16_t v);
void ike_w_put32(struct ike_wbuf *w, size_t off, uint32_t v);

/* The 28-byte header; np_off points at its Next Payload. Length fixed by ike_w_finish. */
void ike_w_hdr(struct ike_wbuf *w, const uint8_t spi_i[8], const uint8_t spi_r[8], uint8_t exch,
	       uint8_t flags, uint32_t msgid);
size_t ike_w_begin(struct ike_wbuf *w, uint8_t type);
void ike_w_end(struct ike_wbuf *w, size_t start);
/* Writes the total length into the header. */
void ike_w_finish(struct ike_wbuf *w);

/* Convenience payload writers. */
void ike_w_notify(struct ike_wbuf *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
		  uint16_t type, const void *data, size_t len);
void ike_w_nonce(struct ike_wbuf *w, const uint8_t *n, size_t len);
void ike_w_ke(struct ike_wbuf *w, uint16_t group, const uint8_t *pub, size_t len);
void ike_w_id(struct ike_wbuf *w, uint8_t pl_type, uint8_t id_type, const uint8_t *data,
	      size_t len);
void ike_w_auth(struct ike_wbuf *w, uint8_t method, const uint8_t *data, size_t len);
void ike_w_ts(struct ike_wbuf *w, uint8_t pl_type, const struct ike_ts *ts, size_t n);
void ike_w_delete(struct ike_wbuf *w, uint8_t proto, uint8_t spi_size, const uint8_t *spis,
		  uint16_t n);
/* SA payload: props[i] encoded with its transforms; proposal numbers kept. */
void ike_w_sa(struct ike_wbuf *w, const struct ike_prop *props, size_t n);

/* ---- payload rules (rules.c) ----
 * Checked after decoding (and SK decryption) and before any handler runs. */
enum ike_rule_err {
	IKE_RULE_OK = 0,
	IKE_RULE_UNEXPECTED,	/* a payload this exchange does not carry */
	IKE_RULE_COUNT,		/* too many or too few of a type */
	IKE_RULE_NOT_ENCRYPTED, /* a payload that must be inside SK came in the clear */
	IKE_RULE_SK_MISSING,	/* an exchange that must be encrypted has no SK */
};
/* Checks a decoded message against the rule set for its exchange type and
 * direction (request/response).  A response carrying an error notify (or an
 * IKE_SA_INIT response carrying a COOKIE) is exempt from the minimum counts,
 * since it legitimately lacks the rest; a request never is. */
enum ike_rule_err ike_rules_check(const struct ike_msg *m, uint8_t *bad_type);
const char *ike_rule_err_str(enum ike_rule_err e);

#endif
