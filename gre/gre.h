/* gre.h: GRE headers (RFC 2784 with the key and sequence extensions of
 * RFC 2890), built in front of a payload already in place and parsed
 * from untrusted bytes.  Only version 0 is accepted; the routing-present
 * and strict-source-route bits of RFC 1701 are refused. */
#ifndef VTID_GRE_GRE_H
#define VTID_GRE_GRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GRE_F_CSUM     0x8000
#define GRE_F_KEY      0x2000
#define GRE_F_SEQ      0x1000
#define GRE_PROTO_IPV4 0x0800
#define GRE_MAX_HDR    16

struct gre_params {
	bool csum, key_set, seq;
	uint32_t key;
};

struct gre_info {
	size_t hdr_len;
	uint16_t proto;
	bool key_set, seq_set, csum_set;
	uint32_t key, seq;
};

size_t gre_hdr_len(const struct gre_params *p);
/* Writes the header at hdr (gre_hdr_len bytes); the payload of plen bytes
 * must follow it already, because the checksum covers it. */
void gre_build(const struct gre_params *p, uint16_t proto, uint32_t seq, uint8_t *hdr, size_t plen);
/* Parses and, when present, verifies the checksum.  0 or -EMSGSIZE
 * (truncated), -EPROTONOSUPPORT (version/flags), -EBADMSG (checksum). */
int gre_parse(const uint8_t *pkt, size_t len, struct gre_info *out);

/* RFC 6040 normal mode, decapsulation: folds the outer header's ECN field
 * (outer_tos & 3) into the inner IPv4 header at ip (TOS and checksum
 * rewritten where it changes).  false: the packet must be dropped (the
 * outer says CE and the inner is not ECN-capable). */
bool gre_ecn_decap(uint8_t *ip, size_t len, uint8_t outer_tos);

/* RFC 1071 Internet checksum over len bytes, folded and complemented. */
uint16_t gre_inet_csum(const void *data, size_t len);
/* RFC 1624: the checksum `sum` after one 16-bit word it covers changed
 * from old to new. */
uint16_t gre_csum_adjust(uint16_t sum, uint16_t old, uint16_t new);

#endif
