/* gre.c: GRE header build/parse, and the checksum and ECN helpers the
 * data plane shares (RFC 1071, RFC 1624, RFC 6040); see gre.h. */
#include "gre/gre.h"

#include <errno.h>
#include <string.h>

#include "gre/byteorder.h"

uint16_t gre_inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t sum = 0;
	while (len >= 2) {
		sum += rd16(p);
		p += 2;
		len -= 2;
	}
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t gre_csum_adjust(uint16_t sum, uint16_t old, uint16_t new)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	uint32_t s = (uint16_t)~sum + (uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

size_t gre_hdr_len(const struct gre_params *p)
{
	return 4 + (p->csum ? 4 : 0) + (p->key_set ? 4 : 0) + (p->seq ? 4 : 0);
}

void gre_build(const struct gre_params *p, uint16_t proto, uint32_t seq, uint8_t *hdr, size_t plen)
{
	uint16_t flags =
	    (p->csum ? GRE_F_CSUM : 0) | (p->key_set ? GRE_F_KEY : 0) | (p->seq ? GRE_F_SEQ : 0);
	size_t off = 4;
	wr16(hdr, flags);
	wr16(hdr + 2, proto);
	if (p->csum) {
		memset(hdr + off, 0, 4); /* checksum and reserved1 are 0 while summing */
		off += 4;
	}
	if (p->key_set) {
		wr32(hdr + off, p->key);
		off += 4;
	}
	if (p->seq) {
		wr32(hdr + off, seq);
		off += 4;
	}
	if (p->csum)
		wr16(hdr + 4, gre_inet_csum(hdr, off + plen));
}

int gre_parse(const uint8_t *pkt, size_t len, struct gre_info *out)
{
	memset(out, 0, sizeof(*out));
	if (len < 4)
		return -EMSGSIZE;
	uint16_t flags = rd16(pkt);
	/* version must be 0; routing (0x4000) and strict source route /
	 * recursion (0x0800, 0x0700) belong to RFC 1701 and are refused */
	if ((flags & 0x0007) || (flags & 0x4000) || (flags & 0x0800) || (flags & 0x0700))
		return -EPROTONOSUPPORT;
	out->proto = rd16(pkt + 2);
	size_t off = 4;
	out->csum_set = flags & GRE_F_CSUM;
	if (out->csum_set) {
		if (len < off + 4)
			return -EMSGSIZE;
		off += 4;
	}
	if (flags & GRE_F_KEY) {
		if (len < off + 4)
			return -EMSGSIZE;
		out->key_set = true;
		out->key = rd32(pkt + off);
		off += 4;
	}
	if (flags & GRE_F_SEQ) {
		if (len < off + 4)
			return -EMSGSIZE;
		out->seq_set = true;
		out->seq = rd32(pkt + off);
		off += 4;
	}
	if (out->csum_set && gre_inet_csum(pkt, len) != 0)
		return -EBADMSG;
	out->hdr_len = off;
	return 0;
}

bool gre_ecn_decap(uint8_t *ip, size_t len, uint8_t outer_tos)
{
	enum { NOT_ECT = 0, ECT1 = 1, ECT0 = 2, CE = 3 };
	if (len < 20 || (ip[0] >> 4) != 4)
		return true; /* not IPv4: nothing to fold */
	uint8_t out = outer_tos & 3, in = ip[1] & 3, want = in;
	if (in == NOT_ECT)
		return out != CE; /* the congestion mark cannot be passed on */
	if (out == CE)
		want = CE;
	else if (out == ECT1 && in == ECT0)
		want = ECT1;
	if (want == in)
		return true;
	/* the header checksum, updated for the TOS byte (the low byte of the
	 * header's first 16-bit word) */
	uint16_t old_w = rd16(ip);
	ip[1] = (uint8_t)((ip[1] & ~3) | want);
	wr16(ip + 10, gre_csum_adjust(rd16(ip + 10), old_w, rd16(ip)));
	return true;
}
