/* offload.c: TSO segmentation and checksum completion; see offload.h. */
#include "gre/offload.h"

#include <errno.h>
#include <string.h>

/* RFC 1071 1.2: the one's complement sum does not depend on byte order.
 * Native 32-bit words go into a 64-bit accumulator (no carry is lost below
 * 2^32 words), folded to 16 bits and swapped once into network order; the
 * even tail and an odd last byte are added big-endian as before.  Called
 * for every TCP segment the data plane cuts, so it runs eight words a turn. */
uint64_t off_csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = 0;
	while (len >= 32) {
		uint32_t w[8];
		memcpy(w, p, sizeof(w));
		acc += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
		p += 32;
		len -= 32;
	}
	while (len >= 4) {
		uint32_t w;
		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	while (acc >> 16)
		acc = (acc & 0xffff) + (acc >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	acc = (acc & 0xff) << 8 | acc >> 8;
#endif
	sum += acc;
	if (len >= 2) {
		sum += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

uint16_t off_csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

int off_finish_csum(uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh)
{
	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
		return 0;
	size_t start = vh->csum_start, off = vh->csum_offset;
	if (start >= len || off + 2 > len - start)
		return -EINVAL;
	/* the field already holds the pseudo-header sum: sum from start on */
	uint16_t c = off_csum_fold(off_csum_add(0, pkt + start, len - start));
	wr16(pkt + start + off, c);
	return 0;
}

int off_tso_split(const uint8_t *pkt, size_t len, const struct virtio_net_hdr *vh, uint8_t **out,
		  size_t cap, size_t *lens, int max)
{
	if ((vh->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) != VIRTIO_NET_HDR_GSO_TCPV4)
		return -EINVAL;
	if (len < 20 || (pkt[0] >> 4) != 4)
		return -EINVAL;
	size_t ihl = (size_t)(pkt[0] & 15) * 4;
	if (ihl < 20 || len < ihl + 20 || pkt[9] != 6)
		return -EINVAL;
	const uint8_t *tcp = pkt + ihl;
	size_t doff = (size_t)(tcp[12] >> 4) * 4, hl = ihl + doff;
	size_t mss = vh->gso_size;
	if (doff < 20 || hl > len || mss == 0)
		return -EINVAL;
	size_t plen = len - hl;
	size_t nseg = plen ? (plen + mss - 1) / mss : 1;
	if (nseg > (size_t)max || hl + (mss < plen ? mss : plen) > cap)
		return -EINVAL;
	uint32_t seq =
	    (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
	uint16_t id = rd16(pkt + 4);
	uint8_t flags = tcp[13];
	for (size_t i = 0; i < nseg; i++) {
		size_t off = i * mss, n = plen - off < mss ? plen - off : mss;
		uint8_t *s = out[i];
		memcpy(s, pkt, hl);
		memcpy(s + hl, pkt + hl + off, n);
		/* IPv4: length, id, checksum */
		wr16(s + 2, (uint16_t)(hl + n));
		wr16(s + 4, (uint16_t)(id + i));
		wr16(s + 10, 0);
		wr16(s + 10, off_csum_fold(off_csum_add(0, s, ihl)));
		/* TCP: sequence, flags, checksum over pseudo-header + segment */
		uint8_t *t = s + ihl;
		uint32_t sq = seq + (uint32_t)off;
		t[4] = sq >> 24;
		t[5] = sq >> 16;
		t[6] = sq >> 8;
		t[7] = (uint8_t)sq;
		uint8_t f = flags;
		if (i + 1 < nseg)
			f &= (uint8_t)~0x09; /* FIN, PSH only on the last */
		if (i > 0)
			f &= (uint8_t)~0x80; /* CWR only on the first */
		t[13] = f;
		wr16(t + 16, 0);
		uint64_t sum = off_csum_add(0, s + 12, 8); /* source, destination */
		sum += 6 + (doff + n);
		sum = off_csum_add(sum, t, doff + n);
		wr16(t + 16, off_csum_fold(sum));
		lens[i] = hl + n;
	}
	return (int)nseg;
}
