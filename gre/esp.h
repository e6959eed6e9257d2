/* esp.h: ESP (RFC 4303) packet transforms for one SA, in place.
 *
 * An esp_sa holds the keys of one direction of a Child SA and one OpenSSL
 * context per worker ("slot"), so workers never share a cipher context and
 * the hot path takes no lock except the inbound replay window's short
 * critical sections.  Transforms, chosen from lib/suite.h rows:
 *   AES-GCM-16 (RFC 4106)  nonce salt|IV(8), AAD SPI|seq (ESN: SPI|seq_hi|seq_lo)
 *   ChaCha20-Poly1305 (RFC 7634), same layout
 *   AES-CBC + HMAC-SHA1-96 / SHA2-256/384/512 (RFC 3602, 2404, 4868):
 *   encrypt-then-MAC over SPI|seq|IV|ciphertext, with seq_hi appended to the
 *   MAC input only under ESN (RFC 4303 2.2.1).
 * AEAD IVs are the 64-bit sequence number (unique per key, RFC 4106 3.1);
 * CBC IVs are random.
 *
 * Buffer layout, outbound: the caller places the payload at
 * esp + esp_hdr_len(sa) and passes the room it has after `esp`; padding,
 * pad length, next header and ICV are written after the payload.
 * Inbound: esp_decrypt() verifies and decrypts in place and reports where
 * the payload is.  Every malformed or forged packet is refused with a
 * reason and counted in the SA's stats. */
#ifndef VTID_GRE_ESP_H
#define VTID_GRE_ESP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "gre/dp.h"
#include "gre/replay.h"

#define ESP_HDR_LEN	8 /* SPI + sequence */
#define ESP_MAX_IV	16
#define ESP_MAX_ICV	32
#define ESP_MAX_TRAILER (15 + 2 + ESP_MAX_ICV) /* worst pad + padlen/nh + ICV */

struct esp_sa;

struct esp_counters {
	_Atomic uint64_t packets, bytes;
	_Atomic uint64_t replay_fail, auth_fail, pad_fail, malformed;
};

/* slots: how many independent contexts (one per thread that will use it). */
int esp_sa_new(const struct dp_sa_cfg *cfg, int slots, struct esp_sa **out);
void esp_sa_free(struct esp_sa *sa);

uint32_t esp_sa_spi(const struct esp_sa *sa);
size_t esp_hdr_len(const struct esp_sa *sa); /* ESP header + IV */
/* Bytes after the payload for a payload of plen bytes: pad + 2 + ICV. */
size_t esp_trailer_len(const struct esp_sa *sa, size_t plen);
size_t esp_max_overhead(const struct esp_sa *sa); /* hdr + worst trailer */
struct esp_counters *esp_sa_counters(struct esp_sa *sa);

/* Outbound: next sequence number to send, 0 when the space is exhausted
 * (2^32-1 without ESN, 2^64-1 with it): the SA must not send again. */
uint64_t esp_next_seq(struct esp_sa *sa);
uint64_t esp_last_seq(const struct esp_sa *sa);
/* Tests only: outbound, the next esp_next_seq() returns last + 1; inbound,
 * the window behaves as if `last` was the highest authentic number seen. */
void esp_sa_set_last_seq(struct esp_sa *sa, uint64_t last);

/* Encrypts in place.  Payload of plen bytes at esp + esp_hdr_len(sa);
 * cap = bytes writable from esp.  Returns the ESP packet length or -errno
 * (-ENOSPC when cap is short, -EIO on an OpenSSL failure). */
int esp_encrypt(struct esp_sa *sa, int slot, uint64_t seq, uint8_t *esp, size_t plen,
		uint8_t next_hdr, size_t cap);

struct esp_rx {
	size_t off; /* payload offset from the start of the ESP packet */
	size_t len; /* payload length */
	uint8_t next_hdr;
	uint64_t seq; /* full (ESN-inferred) sequence number */
};

/* Decrypts in place a packet that starts at the SPI.  0 on success, else
 * -EMSGSIZE (truncated/misaligned), -EALREADY (replayed or too old),
 * -EBADMSG (ICV failed), -EPROTO (bad padding), -EIO (OpenSSL).
 * Counters are updated for every outcome. */
int esp_decrypt(struct esp_sa *sa, int slot, uint8_t *esp, size_t len, struct esp_rx *rx);

/* Snapshot for dp_sa_stats. */
void esp_sa_stats(struct esp_sa *sa, struct dp_sa_stats *out);

#endif
