/* test_gre_offload: TSO segmentation and checksum completion (gre/offload.c)
 * on a TCP super-packet built here: every segment must be a valid IPv4/TCP
 * packet (both checksums verify from scratch), sequence numbers and ids
 * advance, flags are split right, and the payload reassembles exactly. */
#include <errno.h>
#include <string.h>

#include "gre/gre.h"
#include "gre/offload.h"
#include "tests/unit/tcheck.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* TCP checksum verifies: sum over pseudo-header and segment is 0xffff */
static int tcp_ok(const uint8_t *ip, size_t len)
{
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)((len - ihl) >> 8);
	ph[11] = (uint8_t)(len - ihl);
	uint64_t s = off_csum_add(0, ph, 12);
	s = off_csum_add(s, ip + ihl, len - ihl);
	return off_csum_fold(s) == 0;
}

static size_t build(uint8_t *p, size_t payload, uint8_t flags)
{
	memset(p, 0, 40);
	p[0] = 0x45;
	p[2] = (uint8_t)((40 + payload) >> 8);
	p[3] = (uint8_t)(40 + payload);
	p[4] = 0x12;
	p[5] = 0x34;
	p[6] = 0x40;
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, "\x0a\x01\x01\x01\x0a\x02\x02\x02", 8);
	uint8_t *t = p + 20;
	t[0] = 0x9c;
	t[1] = 0x40;
	t[3] = 80;
	memcpy(t + 4, "\xff\xff\xff\x00", 4); /* sequence wraps inside the burst */
	t[12] = 5 << 4;
	t[13] = flags;
	t[14] = 0xff;
	for (size_t i = 0; i < payload; i++)
		p[40 + i] = (uint8_t)(i * 13 + i / 251);
	return 40 + payload;
}

static void test_tso_split(void)
{
	static uint8_t pkt[65536], segbuf[64][2048];
	uint8_t *out[64];
	size_t lens[64];
	for (int i = 0; i < 64; i++)
		out[i] = segbuf[i];
	size_t payload = 10000, mss = 1388;
	size_t len = build(pkt, payload, 0x18 | 0x01 | 0x80); /* PSH ACK FIN CWR */
	struct virtio_net_hdr vh = {.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
				    .hdr_len = 40,
				    .gso_size = (uint16_t)mss,
				    .csum_start = 20,
				    .csum_offset = 16};
	int n = off_tso_split(pkt, len, &vh, out, 2048, lens, 64);
	CHECK_EQ_INT(n, 8); /* 7 full + 1 of 284 */
	size_t got = 0;
	for (int i = 0; i < n; i++) {
		uint8_t *s = out[i];
		size_t want = i < 7 ? mss : payload - 7 * mss;
		CHECK_EQ_INT(lens[i], 40 + want);
		CHECK_EQ_INT(rd16(s + 2), 40 + want);
		CHECK_EQ_INT(rd16(s + 4), 0x1234 + i);
		CHECK_EQ_INT(gre_inet_csum(s, 20), 0); /* IP header checksum */
		CHECK(tcp_ok(s, lens[i]));
		CHECK_EQ_INT(rd32(s + 24), (uint32_t)(0xffffff00u + (uint32_t)(i * mss)));
		uint8_t f = s[33];
		CHECK_EQ_INT(!!(f & 0x01), i == n - 1); /* FIN last */
		CHECK_EQ_INT(!!(f & 0x08), i == n - 1); /* PSH last */
		CHECK_EQ_INT(!!(f & 0x80), i == 0);	/* CWR first */
		CHECK(f & 0x10);			/* ACK always */
		CHECK_MEM(s + 40, pkt + 40 + got, want);
		got += want;
	}
	CHECK_EQ_INT(got, payload);
}

static void test_tso_refusals(void)
{
	static uint8_t pkt[4096], segbuf[4][2048];
	uint8_t *out[4] = {segbuf[0], segbuf[1], segbuf[2], segbuf[3]};
	size_t lens[4];
	size_t len = build(pkt, 3000, 0x10);
	struct virtio_net_hdr vh = {.gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 1000};
	CHECK_EQ_INT(off_tso_split(pkt, len, &vh, out, 2048, lens, 4), 3);
	CHECK_EQ_INT(off_tso_split(pkt, len, &vh, out, 2048, lens, 2), -EINVAL); /* too many */
	CHECK_EQ_INT(off_tso_split(pkt, len, &vh, out, 500, lens, 4), -EINVAL);	 /* no room */
	vh.gso_size = 0;
	CHECK_EQ_INT(off_tso_split(pkt, len, &vh, out, 2048, lens, 4), -EINVAL);
	vh.gso_size = 1000;
	vh.gso_type = VIRTIO_NET_HDR_GSO_UDP;
	CHECK_EQ_INT(off_tso_split(pkt, len, &vh, out, 2048, lens, 4), -EINVAL);
	vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	for (size_t l = 0; l < 40; l++) /* truncated headers */
		CHECK_EQ_INT(off_tso_split(pkt, l, &vh, out, 2048, lens, 4), -EINVAL);
	pkt[32] = 15 << 4; /* data offset past the end of a short packet */
	CHECK_EQ_INT(off_tso_split(pkt, 50, &vh, out, 2048, lens, 4), -EINVAL);
}

static void test_finish_csum(void)
{
	uint8_t pkt[200];
	size_t len = build(pkt, 100, 0x18);
	/* as the kernel hands it: the field holds the pseudo-header sum */
	uint8_t ph[12];
	memcpy(ph, pkt + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = 0;
	ph[11] = 120;
	uint16_t partial = (uint16_t)~off_csum_fold(off_csum_add(0, ph, 12));
	pkt[36] = (uint8_t)(partial >> 8);
	pkt[37] = (uint8_t)partial;
	struct virtio_net_hdr vh = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 20, .csum_offset = 16};
	CHECK_EQ_INT(off_finish_csum(pkt, len, &vh), 0);
	CHECK(tcp_ok(pkt, len));
	vh.csum_start = 199;
	CHECK_EQ_INT(off_finish_csum(pkt, len, &vh), -EINVAL);
	vh.csum_start = 20;
	vh.csum_offset = 200;
	CHECK_EQ_INT(off_finish_csum(pkt, len, &vh), -EINVAL);
}

/* Byte-at-a-time RFC 1071 sum in network order, the reference. */
static uint64_t ref_sum(uint64_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sum += i & 1 ? p[i] : (uint32_t)p[i] << 8;
	return sum;
}

static void test_csum_matches_rfc1071(void)
{
	static uint8_t buf[1601];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	for (size_t l = 0; l <= 301; l += 7)
		CHECK_EQ_INT(off_csum_fold(off_csum_add(0, buf, l)), gre_inet_csum(buf, l));
	/* every length up to a full segment, at odd and even addresses, and
	 * chained as the pseudo-header is: the same as the reference */
	int bad = 0;
	for (size_t off = 0; off < 4; off++)
		for (size_t l = 0; l + off <= sizeof(buf); l++) {
			uint64_t pre = ref_sum(0, buf + sizeof(buf) - 12, 12);
			if (off_csum_fold(off_csum_add(pre, buf + off, l)) !=
			    off_csum_fold(ref_sum(pre, buf + off, l)))
				bad++;
		}
	CHECK_EQ_INT(bad, 0);
	/* all ones: the sum that folds to the other zero */
	memset(buf, 0xff, sizeof(buf));
	for (size_t l = 0; l <= 64; l++)
		CHECK_EQ_INT(off_csum_fold(off_csum_add(0, buf, l)), off_csum_fold(ref_sum(0, buf, l)));
}

int main(void)
{
	RUN(test_tso_split);
	RUN(test_tso_refusals);
	RUN(test_finish_csum);
	RUN(test_csum_matches_rfc1071);
	return tcheck_done();
}
