/* test_gre_mss: the TCP MSS clamp of the userspace data plane
 * (dp_mss_clamp): SYN options rewritten with a checksum that still
 * verifies, everything else left alone, malformed options survived. */
#include <string.h>

#include "gre/dp_user_int.h"
#include "gre/offload.h"
#include "tests/unit/tcheck.h"

static size_t syn(uint8_t *p, uint8_t flags, const uint8_t *opts, size_t olen)
{
	size_t len = 20 + 20 + olen;
	memset(p, 0, len);
	p[0] = 0x45;
	p[2] = 0;
	p[3] = (uint8_t)len;
	p[8] = 64;
	p[9] = 6;
	memcpy(p + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	uint8_t *t = p + 20;
	t[1] = 22;
	t[3] = 99;
	t[12] = (uint8_t)(((20 + olen) / 4) << 4);
	t[13] = flags;
	memcpy(t + 20, opts, olen);
	/* a correct checksum to start from */
	uint8_t ph[12];
	memcpy(ph, p + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = 0;
	ph[11] = (uint8_t)(20 + olen);
	uint64_t s = off_csum_add(off_csum_add(0, ph, 12), t, 20 + olen);
	uint16_t c = off_csum_fold(s);
	t[16] = c >> 8;
	t[17] = (uint8_t)c;
	return len;
}

static int tcp_ok(const uint8_t *p, size_t len)
{
	uint8_t ph[12];
	memcpy(ph, p + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = 0;
	ph[11] = (uint8_t)(len - 20);
	return off_csum_fold(off_csum_add(off_csum_add(0, ph, 12), p + 20, len - 20)) == 0;
}

static void test_clamp_syn(void)
{
	uint8_t p[128];
	/* NOP NOP, MSS 1460, NOP, window scale 7 */
	static const uint8_t o[] = {1, 1, 2, 4, 0x05, 0xb4, 1, 3, 3, 7, 0, 0};
	size_t len = syn(p, 0x02, o, sizeof(o));
	CHECK(tcp_ok(p, len));
	CHECK_EQ_INT(dp_mss_clamp(p, len, 1360), 1);
	CHECK_EQ_INT(p[40 + 4] << 8 | p[40 + 5], 1360);
	CHECK(tcp_ok(p, len));
	/* already small enough: untouched */
	CHECK_EQ_INT(dp_mss_clamp(p, len, 1400), 0);
	CHECK_EQ_INT(p[44] << 8 | p[45], 1360);
	/* SYN-ACK is clamped too (the other direction) */
	len = syn(p, 0x12, o, sizeof(o));
	CHECK_EQ_INT(dp_mss_clamp(p, len, 1000), 1);
	CHECK(tcp_ok(p, len));
}

static void test_leave_alone(void)
{
	uint8_t p[128];
	static const uint8_t o[] = {2, 4, 0x05, 0xb4};
	size_t len = syn(p, 0x10, o, sizeof(o)); /* plain ACK */
	CHECK_EQ_INT(dp_mss_clamp(p, len, 536), 0);
	CHECK_EQ_INT(p[42] << 8 | p[43], 1460);
	/* malformed options: zero length, length past the header, EOL first */
	static const uint8_t bad1[] = {8, 0, 2, 4, 0x05, 0xb4, 0, 0};
	len = syn(p, 0x02, bad1, sizeof(bad1));
	CHECK_EQ_INT(dp_mss_clamp(p, len, 536), 0);
	static const uint8_t bad2[] = {1, 1, 2, 40};
	len = syn(p, 0x02, bad2, sizeof(bad2));
	CHECK_EQ_INT(dp_mss_clamp(p, len, 536), 0);
	static const uint8_t bad3[] = {0, 0, 2, 4, 0x05, 0xb4, 0, 0};
	len = syn(p, 0x02, bad3, sizeof(bad3));
	CHECK_EQ_INT(dp_mss_clamp(p, len, 536), 0);
	/* truncated packets: fewer bytes than the IP header says */
	len = syn(p, 0x02, o, sizeof(o));
	for (size_t l = 0; l < len; l++)
		CHECK_EQ_INT(dp_mss_clamp(p, l, 536), 0);
	/* cut inside the options, the IP and TCP headers agreeing: the option
	 * walker itself meets the end (NOP NOP, then MSS at option bytes 2-5) */
	for (size_t l = 40; l < len; l++) {
		syn(p, 0x02, o, sizeof(o));
		size_t doff = (l - 20) & ~(size_t)3;
		p[3] = (uint8_t)l;
		p[20 + 12] = (uint8_t)((doff / 4) << 4);
		CHECK_EQ_INT(dp_mss_clamp(p, l, 536), doff >= 28 ? 1 : 0);
	}
	len = syn(p, 0x02, o, sizeof(o));
	/* not TCP */
	p[9] = 17;
	CHECK_EQ_INT(dp_mss_clamp(p, len, 536), 0);
}

int main(void)
{
	RUN(test_clamp_syn);
	RUN(test_leave_alone);
	return tcheck_done();
}
