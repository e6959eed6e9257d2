/* dp_worker.c: a worker thread of the userspace data plane: its buffers
 * and its loop.
 *
 * Each worker sleeps in epoll_wait on its own set: its queue of every
 * link's TUN device (dp_tx.c), its raw ESP and GRE sockets and, with ESP
 * in UDP steered to the workers, its UDP socket (dp_rx.c), the sending ESP
 * socket's error queue (worker 0, with several workers), and the stop
 * eventfd.  Around each batch of events it bumps its `rcu` counter (odd:
 * tables in use; even: quiescent), the whole of the contract with the
 * control thread (dp_user_int.h).  Worker 0 also runs the keepalive clock
 * (dp_keepalive.c), so it wakes at least once a second.  Everything a
 * worker owns -- send queue, receive buffers, GRO run -- is in the struct
 * dp_wbuf it allocates here and passes down. */
#include "gre/dp_user_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "lib/log.h"

void *dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	struct dp_wbuf *wb = calloc(1, sizeof(*wb));
	size_t ntx = DP_TXQ + DP_CTLQ;
	uint8_t *mem = malloc((ntx + DP_BATCH) * DP_BUFSZ + DP_SBUF);
	if (!wb || !mem) {
		log_err("dp: worker %d: out of memory", w->idx);
		free(wb);
		free(mem);
		return NULL;
	}
	for (size_t i = 0; i < ntx; i++)
		wb->tx[i] = mem + i * DP_BUFSZ;
	for (size_t i = 0; i < DP_BATCH; i++)
		wb->rx[i] = mem + (ntx + i) * DP_BUFSZ;
	wb->sbuf = mem + (ntx + DP_BATCH) * DP_BUFSZ;
	if (off_gro_init(&wb->gro_run, dp_gro_emit) == 0)
		wb->gro = &wb->gro_run; /* without it, packets are written one by one */
	struct epoll_event evs[16];
	uint64_t last_tick = 0;
	while (!atomic_load(&dp->stopping)) {
		/* worker 0 also runs the keepalive clock: wake at least once a second */
		int n = epoll_wait(w->epfd, evs, 16, w->idx == 0 ? 1000 : -1);
		if (n < 0 && errno != EINTR) {
			log_err("dp: worker %d: epoll_wait: %s", w->idx, strerror(errno));
			break;
		}
		atomic_fetch_add(&w->rcu, 1); /* odd: tables in use */
		atomic_thread_fence(memory_order_seq_cst);
		for (int i = 0; i < n; i++) {
			uint64_t d = evs[i].data.u64;
			switch (d & DP_EVK_MASK) {
			case DP_EVK_LINK: {
				struct dp_link *l = dp_link_lookup_id(dp, d >> DP_EVK_BITS);
				if (l)
					dp_tun_read(w, l, wb);
				break;
			}
			case DP_EVK_ESP:
				if (evs[i].events & EPOLLERR)
					dp_esp_errors(dp, w->esp_fd);
				dp_raw_input(w, wb, w->esp_fd, true);
				break;
			case DP_EVK_ESPERR:
				dp_esp_errors(dp, dp->esp_fd);
				break;
			case DP_EVK_GRE:
				dp_raw_input(w, wb, w->gre_fd, false);
				break;
			case DP_EVK_UDP:
				dp_udp_input(w, wb, w->udp_fd);
				break;
			default:
				break;
			}
		}
		if (w->idx == 0) {
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
			if (now - last_tick >= 1000) {
				last_tick = now;
				dp_keepalive_tick(dp, 0, now, wb->tx[0]);
			}
		}
		atomic_fetch_add(&w->rcu, 1); /* even: quiescent */
	}
	off_gro_fini(&wb->gro_run);
	free(mem);
	free(wb);
	return NULL;
}
