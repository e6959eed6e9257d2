/* bench_ike_handshake.c: full IKEv2 handshakes per second on one core
 * (IKE_SA_INIT + IKE_AUTH + first Child SA, both sides computed in this
 * process over the in-memory network of the unit tests), for DH groups 14,
 * 19 and 31 with AES-GCM-256/SHA-256.  Prints figures; asserts nothing. */
#include <stdio.h>
#include <time.h>

#include "ike/ike.h"
#include "lib/log.h"
#include "tests/unit/test_ike_net.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	const char *groups[] = {"group14", "group19", "group31"};
	log_init("bench_ike_handshake", LOG_TO_STDERR, LOG_ERR);
	for (size_t g = 0; g < 3; g++) {
		int ok = 0;
		double t0 = now_s();
		for (int i = 0; i < n; i++) {
			struct tnet net;
			struct ike_peer_cfg ca, cb;
			tnet_init(&net, 2, (uint64_t)i + 1);
			tnet_cfg(&ca, &net.side[0], &net.side[1], 1);
			tnet_cfg(&cb, &net.side[1], &net.side[0], 2);
			ca.ike[0].dh[0] = cb.ike[0].dh[0] = suite_by_name(SUITE_DH, groups[g]);
			cb.passive = true;
			ike_peer_add(net.side[1].eng, &cb);
			ike_peer_add(net.side[0].eng, &ca);
			tnet_run(&net, 100);
			ok += net.side[0].n_child == 1 && net.side[1].n_child == 1;
			tnet_fini(&net);
		}
		double dt = now_s() - t0;
		printf("ike handshake %-8s %5d/%d established  %8.1f handshakes/s (both sides, one "
		       "core)\n",
		       groups[g], ok, n, n / dt);
	}
	return 0;
}
