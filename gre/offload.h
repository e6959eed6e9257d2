/* offload.h: TUN offloads for the userspace data plane (IFF_VNET_HDR).
 *
 * Out (TSO): with TUN_F_CSUM|TUN_F_TSO4 the kernel hands the tunnel device
 * TCP super-packets of up to 64 KiB with a virtio_net_hdr in front, and
 * leaves checksums to us.  Each super-packet is one read() instead of ~45,
 * and the device's queue holds 45x more data before it drops.  We cut it
 * into MSS-sized IPv4/TCP segments (RFC 793 sequence numbers, IP ids
 * counting up, FIN/PSH on the last segment only, CWR on the first only) and
 * complete every checksum, before GRE/ESP.  Every field of the header is
 * untrusted in principle (it comes from the kernel, but a bug there must
 * not become an overflow here): all lengths are checked.
 *
 * In (GRO): the reverse, for decapsulated packets on their way to the
 * device; see struct off_gro.  None of this keeps state of its own: a
 * struct off_gro belongs to one thread, which passes it in. */
#ifndef VTID_GRE_OFFLOAD_H
#define VTID_GRE_OFFLOAD_H

#include <stdbool.h>
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

/* Receive coalescing: consecutive TCP segments of one flow, offered one by
 * one, are merged into a single super-packet written once with a GSO vnet
 * header, so the kernel runs its stack once per ~45 segments.  Only what
 * Linux's own GRO would merge is merged: same addresses, ports, TOS/TTL,
 * ACK, window and options; in-order sequence numbers; plain ACK (+PSH,
 * which ends the run); full-MSS segments except the last.  A run belongs
 * to one destination, (dev, q), opaque here, and leaves through emit():
 * frame is the vnet header and the super-packet, len bytes in all; bytes
 * is the IP bytes of the nseg packets as they arrived. */
#define OFF_GRO_MAX 65535

typedef void (*off_gro_emit_fn)(void *dev, int q, uint8_t *frame, size_t len, size_t bytes,
				int nseg);

struct off_gro {
	off_gro_emit_fn emit;
	uint8_t *buf; /* vnet header + super-packet: OFF_VNET_HDR_LEN + OFF_GRO_MAX */
	void *dev;    /* the held run's destination; NULL: none held */
	int q;
	size_t len; /* super-packet bytes */
	size_t hl;  /* IP + TCP header bytes */
	size_t mss;
	uint32_t next_seq;
	int nseg;
	bool last_short;
};

/* 0 or -ENOMEM (then buf is NULL and the struct must not be used). */
int off_gro_init(struct off_gro *g, off_gro_emit_fn emit);
void off_gro_fini(struct off_gro *g);
/* Copies the IPv4 packet into the run, emitting the held run first when
 * the packet does not continue it.  false: not a segment GRO merges; the
 * caller flushes (to keep the flow's order) and writes it alone. */
bool off_gro_add(struct off_gro *g, void *dev, int q, const uint8_t *ip, size_t len);
/* Emits the held run, if any.  NULL-safe. */
void off_gro_flush(struct off_gro *g);

#endif
