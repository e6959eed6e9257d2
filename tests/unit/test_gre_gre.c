/* test_gre_gre: GRE header build/parse (gre/gre.c): every combination of
 * key, sequence and checksum both ways, fixed wire bytes, bad checksum,
 * truncated headers, refused versions and RFC 1701 flags. */
#include <errno.h>
#include <string.h>

#include "gre/gre.h"
#include "tests/unit/tcheck.h"

static void test_all_combinations(void)
{
	for (int m = 0; m < 8; m++) {
		struct gre_params p = {
		    .csum = m & 1, .key_set = m & 2, .seq = m & 4, .key = 0xdeadbeef};
		uint8_t buf[128];
		size_t hl = gre_hdr_len(&p);
		CHECK_EQ_INT(hl, 4 + 4 * ((m & 1) + !!(m & 2) + !!(m & 4)));
		for (int i = 0; i < 21; i++)
			buf[hl + i] = (uint8_t)(0x45 + i); /* odd length: checksum pads */
		gre_build(&p, GRE_PROTO_IPV4, 0x01020304, buf, 21);
		struct gre_info gi;
		CHECK_EQ_INT(gre_parse(buf, hl + 21, &gi), 0);
		CHECK_EQ_INT(gi.hdr_len, hl);
		CHECK_EQ_INT(gi.proto, GRE_PROTO_IPV4);
		CHECK_EQ_INT(gi.csum_set, p.csum);
		CHECK_EQ_INT(gi.key_set, p.key_set);
		CHECK_EQ_INT(gi.seq_set, p.seq);
		if (p.key_set)
			CHECK_EQ_INT(gi.key, 0xdeadbeef);
		if (p.seq)
			CHECK_EQ_INT(gi.seq, 0x01020304);
		/* every truncation of the header is refused */
		for (size_t l = 0; l < hl; l++)
			CHECK_EQ_INT(gre_parse(buf, l, &gi), -EMSGSIZE);
	}
}

static void test_wire_bytes(void)
{
	/* RFC 2784/2890 layout: C K S flags, proto, csum|reserved1, key, seq */
	struct gre_params p = {.csum = true, .key_set = true, .seq = true, .key = 42};
	uint8_t buf[16 + 4] = {0};
	memcpy(buf + 16, "\x45\x00\x00\x14", 4);
	gre_build(&p, GRE_PROTO_IPV4, 7, buf, 4);
	static const uint8_t hdr[] = {0xb0, 0x00, 0x08, 0x00, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 7};
	CHECK_MEM(buf, hdr, 4);
	CHECK_MEM(buf + 6, hdr + 6, 10);
	/* checksum: one's complement sum of header and payload is 0xffff */
	CHECK_EQ_INT(gre_inet_csum(buf, sizeof(buf)), 0);
	uint8_t plain[4];
	struct gre_params q = {0};
	gre_build(&q, GRE_PROTO_IPV4, 0, plain, 0);
	CHECK_MEM(plain, "\x00\x00\x08\x00", 4);
}

static void test_bad_checksum(void)
{
	struct gre_params p = {.csum = true};
	uint8_t buf[8 + 20];
	memset(buf + 8, 0x11, 20);
	gre_build(&p, GRE_PROTO_IPV4, 0, buf, 20);
	struct gre_info gi;
	CHECK_EQ_INT(gre_parse(buf, sizeof(buf), &gi), 0);
	buf[8 + 5] ^= 0x10; /* payload corrupted */
	CHECK_EQ_INT(gre_parse(buf, sizeof(buf), &gi), -EBADMSG);
	buf[8 + 5] ^= 0x10;
	buf[5] ^= 1; /* checksum corrupted */
	CHECK_EQ_INT(gre_parse(buf, sizeof(buf), &gi), -EBADMSG);
}

static void test_refused_flags(void)
{
	struct gre_info gi;
	uint8_t v1[8] = {0x00, 0x01, 0x88, 0x0b}; /* version 1 (PPTP) */
	CHECK_EQ_INT(gre_parse(v1, 8, &gi), -EPROTONOSUPPORT);
	uint8_t r[8] = {0x40, 0x00, 0x08, 0x00}; /* routing present */
	CHECK_EQ_INT(gre_parse(r, 8, &gi), -EPROTONOSUPPORT);
	uint8_t ssr[8] = {0x08, 0x00, 0x08, 0x00}; /* strict source route */
	CHECK_EQ_INT(gre_parse(ssr, 8, &gi), -EPROTONOSUPPORT);
	uint8_t rec[8] = {0x03, 0x00, 0x08, 0x00}; /* recursion control */
	CHECK_EQ_INT(gre_parse(rec, 8, &gi), -EPROTONOSUPPORT);
	uint8_t ka[4] = {0x00, 0x00, 0x00, 0x00}; /* protocol 0: keepalive reply */
	CHECK_EQ_INT(gre_parse(ka, 4, &gi), 0);
	CHECK_EQ_INT(gi.proto, 0);
	CHECK_EQ_INT(gi.hdr_len, 4);
}

/* RFC 6040 section 4.2's decapsulation table, every cell, with the header
 * checksum still valid wherever the inner ECN field changed. */
static void test_ecn_decap(void)
{
	enum { N = 0, E1 = 1, E0 = 2, CE = 3, DROP = 9 };
	static const int want[4][4] = {
	    /* inner \ outer: Not-ECT ECT(1) ECT(0) CE */
	    [N] = {N, N, N, DROP},
	    [E1] = {E1, E1, E1, CE},
	    [E0] = {E0, E1, E0, CE},
	    [CE] = {CE, CE, CE, CE},
	};
	for (int in = 0; in < 4; in++) {
		for (int out = 0; out < 4; out++) {
			uint8_t ip[20] = {0x45, (uint8_t)(0xb8 | in), 0, 20, 0x12, 0x34, 0x40, 0,
					  64, 17, 0, 0, 10, 1, 1, 1, 10, 4, 4, 4};
			uint16_t c = gre_inet_csum(ip, 20);
			ip[10] = (uint8_t)(c >> 8);
			ip[11] = (uint8_t)c;
			bool keep = gre_ecn_decap(ip, sizeof(ip), (uint8_t)(0x28 | out));
			if (want[in][out] == DROP) {
				CHECK(!keep);
				continue;
			}
			CHECK(keep);
			CHECK_EQ_INT(ip[1] & 3, want[in][out]);
			CHECK_EQ_INT(ip[1] & ~3, 0xb8); /* the DSCP is the inner's */
			CHECK_EQ_INT(gre_inet_csum(ip, 20), 0);
		}
	}
}

int main(void)
{
	RUN(test_all_combinations);
	RUN(test_wire_bytes);
	RUN(test_bad_checksum);
	RUN(test_refused_flags);
	RUN(test_ecn_decap);
	return tcheck_done();
}
