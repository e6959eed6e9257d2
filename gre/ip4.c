/* ip4.c: IPv4 header helpers, the TCP MSS clamp and the ICMP
 * fragmentation-needed error; see ip4.h. */
#include "gre/ip4.h"

#include <netinet/in.h>
#include <string.h>

#include "gre/byteorder.h"
#include "gre/gre.h"

size_t ip4_check(const uint8_t *ip, size_t len, size_t *tot)
{
	if (len < 20 || (ip[0] >> 4) != 4)
		return 0;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	size_t t = rd16(ip + 2);
	if (ihl < 20 || t < ihl || t > len)
		return 0;
	*tot = t;
	return ihl;
}

void ip4_build(uint8_t *ip, uint8_t tos, size_t tot, bool df, uint8_t proto, uint32_t src,
	       uint32_t dst, bool csum)
{
	ip[0] = 0x45;
	ip[1] = tos;
	wr16(ip + 2, (uint16_t)tot);
	wr16(ip + 4, 0); /* id: the kernel fills it in for IP_HDRINCL */
	wr16(ip + 6, df ? 0x4000 : 0);
	ip[8] = 64;
	ip[9] = proto;
	wr16(ip + 10, 0);
	memcpy(ip + 12, &src, 4);
	memcpy(ip + 16, &dst, 4);
	if (csum)
		wr16(ip + 10, gre_inet_csum(ip, 20));
}

/* ---- TCP MSS clamp ---- */

int dp_mss_clamp(uint8_t *ip, size_t len, uint16_t mss)
{
	size_t tot, ihl = ip4_check(ip, len, &tot);
	if (!ihl || ip[9] != IPPROTO_TCP || (rd16(ip + 6) & 0x1fff))
		return 0;
	uint8_t *tcp = ip + ihl;
	size_t tl = tot - ihl;
	if (tl < 20 || !(tcp[13] & 0x02)) /* SYN only */
		return 0;
	size_t doff = (size_t)(tcp[12] >> 4) * 4;
	if (doff < 20 || doff > tl)
		return 0;
	for (size_t o = 20; o < doff;) {
		uint8_t kind = tcp[o];
		if (kind == 0)
			break;
		if (kind == 1) {
			o++;
			continue;
		}
		if (o + 1 >= doff || tcp[o + 1] < 2 || o + tcp[o + 1] > doff)
			break;
		if (kind == 2 && tcp[o + 1] == 4) {
			uint16_t cur = rd16(tcp + o + 2);
			if (cur <= mss)
				return 0;
			wr16(tcp + 16, gre_csum_adjust(rd16(tcp + 16), cur, mss));
			wr16(tcp + o + 2, mss);
			return 1;
		}
		o += tcp[o + 1];
	}
	return 0;
}

/* ---- ICMP fragmentation needed ---- */

size_t ip4_frag_needed(uint8_t *out, const uint8_t *ip, size_t ihl, uint16_t mtu)
{
	size_t quote = ihl + 8;
	/* RFC 1122 3.2.2: no ICMP error about an ICMP error or a non-initial
	 * fragment */
	if (rd16(ip + 6) & 0x1fff)
		return 0;
	if (ip[9] == IPPROTO_ICMP) {
		uint8_t type = ip[ihl];
		if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
			return 0;
	}
	/* Injected through the TUN, the error arrives from "outside": a local
	 * source address (the router's own) would be dropped as a martian, so
	 * it claims to come from the packet's destination, which routes back
	 * through this tunnel and passes reverse-path checks.  The kernel takes
	 * the path MTU from the quoted header, whoever sent the error. */
	uint32_t src, dst;
	memcpy(&src, ip + 16, 4);
	memcpy(&dst, ip + 12, 4);
	uint8_t *icmp = out + 20;
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed and DF set (RFC 1191) */
	wr16(icmp + 2, 0);
	wr16(icmp + 4, 0);
	wr16(icmp + 6, mtu);
	memcpy(icmp + 8, ip, quote);
	wr16(icmp + 2, gre_inet_csum(icmp, 8 + quote));
	ip4_build(out, 0xc0, 20 + 8 + quote, false, IPPROTO_ICMP, src, dst, true);
	return 20 + 8 + quote;
}
