/* offload.c: the TUN offloads, see offload.h: TSO segmentation and
 * checksum completion on the way out, receive coalescing (GRO) on the way
 * in.  Pure packet work: no sockets, no links, no threads. */
#include "gre/offload.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "gre/byteorder.h"
#include "gre/gre.h"

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
		sum += rd16(p);
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
	uint32_t seq = rd32(tcp + 4);
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
		wr32(t + 4, seq + (uint32_t)off);
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

int off_gro_init(struct off_gro *g, off_gro_emit_fn emit)
{
	*g = (struct off_gro){.emit = emit, .buf = malloc(OFF_VNET_HDR_LEN + OFF_GRO_MAX)};
	return g->buf ? 0 : -ENOMEM;
}

void off_gro_fini(struct off_gro *g)
{
	free(g->buf);
	g->buf = NULL;
}

void off_gro_flush(struct off_gro *g)
{
	if (!g || !g->dev)
		return;
	uint8_t *ip = g->buf + OFF_VNET_HDR_LEN;
	struct virtio_net_hdr vh = {0};
	/* counted as the segments that arrived, bytes as they arrived */
	size_t bytes = g->len + (size_t)(g->nseg - 1) * g->hl;
	if (g->nseg > 1) {
		size_t ihl = (size_t)(ip[0] & 15) * 4, tl = g->len - ihl;
		wr16(ip + 2, (uint16_t)g->len);
		wr16(ip + 10, 0);
		wr16(ip + 10, gre_inet_csum(ip, ihl));
		/* checksum left partial: the field holds the pseudo-header sum */
		uint8_t ph[12];
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = IPPROTO_TCP;
		wr16(ph + 10, (uint16_t)tl);
		wr16(ip + ihl + 16, (uint16_t)~off_csum_fold(off_csum_add(0, ph, 12)));
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh.hdr_len = (uint16_t)g->hl;
		vh.gso_size = (uint16_t)g->mss;
		vh.csum_start = (uint16_t)ihl;
		vh.csum_offset = 16;
	} else {
		vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	memcpy(g->buf, &vh, sizeof(vh));
	g->emit(g->dev, g->q, g->buf, g->len + OFF_VNET_HDR_LEN, bytes, g->nseg);
	g->dev = NULL;
	g->len = 0;
	g->nseg = 0;
}

bool off_gro_add(struct off_gro *g, void *dev, int q, const uint8_t *ip, size_t len)
{
	if (len < 40 || ip[0] != 0x45 || ip[9] != IPPROTO_TCP || (rd16(ip + 6) & 0x3fff))
		return false;
	const uint8_t *t = ip + 20;
	size_t doff = (size_t)(t[12] >> 4) * 4, hl = 20 + doff;
	if (doff < 20 || hl >= len)
		return false; /* pure ACKs and odd headers go through as they are */
	uint8_t fl = t[13];
	if ((fl & ~0x08) != 0x10)
		return false; /* only ACK or ACK|PSH */
	size_t pl = len - hl;
	uint32_t seq = rd32(t + 4);
	if (g->dev) {
		const uint8_t *h = g->buf + OFF_VNET_HDR_LEN, *ht = h + 20;
		bool same = g->dev == dev && g->q == q && hl == g->hl && !g->last_short &&
			    pl <= g->mss && seq == g->next_seq && g->len + pl <= OFF_GRO_MAX &&
			    h[1] == ip[1] && h[8] == ip[8] && !memcmp(h + 12, ip + 12, 8) &&
			    !memcmp(ht, t, 4) && !memcmp(ht + 8, t + 8, 4) && ht[12] == t[12] &&
			    (ht[13] & ~0x08) == (fl & ~0x08) && !memcmp(ht + 14, t + 14, 2) &&
			    !memcmp(ht + 20, t + 20, doff - 20);
		if (!same)
			off_gro_flush(g);
	}
	uint8_t *h = g->buf + OFF_VNET_HDR_LEN;
	if (!g->dev) {
		memcpy(h, ip, len);
		g->dev = dev;
		g->q = q;
		g->len = len;
		g->hl = hl;
		g->mss = pl;
		g->nseg = 1;
		g->last_short = false;
	} else {
		memcpy(h + g->len, ip + hl, pl);
		g->len += pl;
		g->nseg++;
		h[20 + 13] |= fl & 0x08;
		if (pl < g->mss)
			g->last_short = true;
	}
	g->next_seq = seq + (uint32_t)pl;
	if (fl & 0x08)
		off_gro_flush(g); /* PSH: deliver now */
	return true;
}
