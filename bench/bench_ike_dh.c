/* bench_ike_dh.c: IKE Diffie-Hellman cost through ike/crypto.h.
 *
 * For DH groups 14, 19 and 31 it repeats "generate an ephemeral key pair and
 * derive g^ir against a fixed peer value" (what one IKE_SA_INIT or a PFS
 * CREATE_CHILD_SA costs a responder) for a fixed wall-clock time and prints
 * one line per group:
 *   group14 keygen+derive/s 123.4 (n=62 in 0.50 s)
 * Usage: bench_ike_dh [seconds per group, default 0.5].  Measurement only:
 * nothing here is asserted, and it is not part of the test suite. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ike/crypto.h"
#include "lib/suite.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int bench_group(uint16_t id, double seconds)
{
	const struct suite *g = suite_by_id(SUITE_DH, id, 0);
	uint8_t peer[IKE_MAX_DH_PUB], secret[IKE_MAX_DH_SECRET];
	struct ike_dh *other = NULL;
	size_t peer_len = 0, n;
	double start, end;
	unsigned long count = 0;
	int rc;

	if (!g)
		return -1;
	rc = ike_dh_new(g, &other);
	if (!rc)
		rc = ike_dh_public(other, peer, sizeof(peer), &peer_len);
	ike_dh_free(other);
	if (rc) {
		fprintf(stderr, "%s: setup failed (%d)\n", g->name, rc);
		return -1;
	}
	start = now();
	do {
		struct ike_dh *dh = NULL;
		rc = ike_dh_new(g, &dh);
		if (!rc)
			rc = ike_dh_shared(dh, peer, peer_len, secret, sizeof(secret), &n);
		ike_dh_free(dh);
		if (rc) {
			fprintf(stderr, "%s: failed (%d)\n", g->name, rc);
			return -1;
		}
		count++;
		end = now();
	} while (end - start < seconds);
	printf("%s keygen+derive/s %.1f (n=%lu in %.2f s)\n", g->name,
	       (double)count / (end - start), count, end - start);
	return 0;
}

int main(int argc, char **argv)
{
	static const uint16_t groups[] = {IKEV2_DH_MODP_2048, IKEV2_DH_ECP_256,
					  IKEV2_DH_CURVE25519};
	double seconds = argc > 1 ? atof(argv[1]) : 0.5;
	int failed = 0;

	if (seconds <= 0 || seconds > 60)
		seconds = 0.5;
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (bench_group(groups[i], seconds))
			failed = 1;
	return failed;
}
