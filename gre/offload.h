/* offload.h: TUN offloads for the userspace data plane (IFF_VNET_HDR).
 *
 * With TUN_F_CSUM|TUN_F_TSO4 the kernel hands the tunnel device TCP
 * super-packets of up to 64 KiB with a virtio_net_hdr in front, and leaves
 * checksums to us.  Each super-packet is one read() instead of ~45, and the
 * device's queue holds 45x more data before it drops.  We cut it into
 * MSS-sized IPv4/TCP segments (RFC 793 sequence numbers, IP ids counting
 * up, FIN/PSH on the last segment only, CWR on the first only) and
 * complete every checksum, before GRE/ESP.  Every field of the header is
 * untrusted in principle (it comes from the kernel, but a bug there must
 * not become an overflow here): all lengths are checked. */
#ifndef VTID_GRE_OFFLOAD_H
#define VTID_GRE_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>

#include <linux/virtio_net.h>

#define OFF_VNET_HDR_LEN ((size_t)sizeof(struct virtio_net_hdr))

/* One's complement sum (not folded, not complemented) of len bytes,
 * added to sum; fast for the per-segment TCP checksums. */
uint64_t off_csum_add(uint64_t sum, const void *data, size_t len);
uint16_t off_csum_fold(uint64_t sum); /* fold to 16 bits and complement */

/* A non-GSO packet: completes the checksum the kernel left partial
 * (VIRTIO_NET_HDR_F_NEEDS_CSUM).  0 or -EINVAL. */
int off_finish_csum(uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh);

/* A GSO_TCPV4 packet: writes segments to out[i] (each with room for cap
 * bytes), lengths to lens[i].  Returns the number of segments or -EINVAL
 * (malformed, or more than max segments needed). */
int off_tso_split(const uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh, uint8_t **out,
		  size_t cap, size_t *lens, int max);

#endif
