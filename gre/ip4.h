/* ip4.h: IPv4 header work shared by the data plane's send and receive
 * paths: validating a header, building one, the TCP MSS clamp, and the
 * ICMP fragmentation-needed error.  Pure packet work on the caller's
 * buffer: no links, no sockets, no state.  Every length is checked before
 * a byte is read: the packets come from the peer or the local stack. */
#ifndef VTID_GRE_IP4_H
#define VTID_GRE_IP4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A valid IPv4 header within len: returns the header length and sets *tot
 * to the packet's total length (<= len); 0 if invalid. */
size_t ip4_check(const uint8_t *ip, size_t len, size_t *tot);

/* Writes a 20-byte header without options (TTL 64, id 0: the kernel fills
 * it in for IP_HDRINCL); src and dst in network order; csum: compute the
 * header checksum (the kernel does it for IP_HDRINCL sockets). */
void ip4_build(uint8_t *ip, uint8_t tos, size_t tot, bool df, uint8_t proto, uint32_t src,
	       uint32_t dst, bool csum);

/* A TCP SYN's MSS option above mss is lowered to mss, the checksum
 * updated incrementally (RFC 1624).  Returns 1 when it rewrote the packet,
 * else 0 (not IPv4/TCP, a fragment, no SYN, no MSS option, or already
 * small enough). */
int dp_mss_clamp(uint8_t *ip, size_t len, uint16_t mss);

/* Largest ICMP error ip4_frag_needed writes: IP + ICMP + a quoted header
 * of at most 60 bytes + 8 bytes of its payload. */
#define IP4_FRAG_NEEDED_MAX (20 + 8 + 60 + 8)

/* Builds at out (IP4_FRAG_NEEDED_MAX bytes) the ICMP "fragmentation needed
 * and DF set" (RFC 1191) error for the IPv4 packet at ip, whose valid
 * header of ihl bytes is followed by at least 8 more; the error claims to
 * come from the packet's destination.  Returns its length, or 0 when
 * RFC 1122 forbids an error about this packet. */
size_t ip4_frag_needed(uint8_t *out, const uint8_t *ip, size_t ihl, uint16_t mtu);

#endif
