/* daemon.c: start-up, wiring and shut-down of the vtid process (see daemon.h). */
#include "vtid/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "gre/dp.h"
#include "ike/ike.h"
#include "lib/log.h"
#include "vtid/ikeio.h"
#include "vtid/tunnel.h"

/* ---- glue: IKE engine <-> sockets, clock, tunnel layer ---- */

static uint64_t clock_now(void *ctx)
{
	struct vtid *v = ctx;
	return loop_now_ms(v->loop);
}

static int ike_send(void *ctx, const struct sockaddr_in *from, const struct sockaddr_in *to,
		    const uint8_t *msg, size_t len)
{
	struct vtid *v = ctx;
	return ikeio_send(v->io, from, to, msg, len);
}

static void ike_child_up(void *ctx, const struct ike_child_sa *c)
{
	struct vtid *v = ctx;
	tunnels_child_up(v->tunnels, c);
}

static void ike_child_down(void *ctx, uint32_t tunnel_id, uint32_t spi_in, uint32_t spi_out)
{
	struct vtid *v = ctx;
	tunnels_child_down(v->tunnels, tunnel_id, spi_in, spi_out);
}

static void ike_failed(void *ctx, uint32_t tunnel_id, const struct ike_failure *f)
{
	struct vtid *v = ctx;
	tunnels_failed(v->tunnels, tunnel_id, f);
}

static void ike_event(void *ctx, uint32_t tunnel_id, enum ike_sa_event ev, const char *why)
{
	struct vtid *v = ctx;
	tunnels_ike_event(v->tunnels, tunnel_id, ev, why);
}

static void on_ike_msg(void *ctx, const struct sockaddr_in *local, const struct sockaddr_in *remote,
		       const uint8_t *msg, size_t len)
{
	struct vtid *v = ctx;
	ike_input(v->ike, local, remote, msg, len);
}

static void on_ike_icmp(void *ctx, const struct sockaddr_in *to, const uint8_t *quoted,
			size_t len, const char *what)
{
	struct vtid *v = ctx;
	ike_icmp_error(v->ike, to, quoted, len, what);
}

static void on_udp_esp(void *ctx, const struct sockaddr_in *local, const struct sockaddr_in *remote,
		       const uint8_t *pkt, size_t len)
{
	struct vtid *v = ctx;
	if (v->dp_ops->udp_input)
		v->dp_ops->udp_input(v->dp, pkt, len, remote, local);
}

static void ike_timer_fired(void *arg)
{
	struct vtid *v = arg;
	ikeio_catch_up(v->io);
	ike_run_timers(v->ike);
}

/* Before each wait: keep one loop timer on the engine's next deadline. */
static void prepare(void *arg)
{
	struct vtid *v = arg;
	uint64_t d = ike_next_deadline(v->ike);
	if (d == UINT64_MAX)
		loop_timer_cancel(&v->ike_timer);
	else if (!loop_timer_armed(&v->ike_timer) || v->ike_timer.deadline != d)
		loop_timer_arm_at(v->loop, &v->ike_timer, d);
}

/* ---- glue: data plane events ---- */

static void dp_event(void *ctx, struct dp_link *link, enum dp_event ev, uint32_t spi, bool inbound)
{
	struct vtid *v = ctx;
	tunnels_dp_event(v->tunnels, link, ev, spi, inbound);
}

static void on_dp_event_fd(void *arg, int fd, uint32_t events)
{
	struct vtid *v = arg;
	(void)fd;
	(void)events;
	v->dp_ops->dispatch(v->dp);
}

/* ---- signals ---- */

static void on_signal(void *arg, int fd, uint32_t events)
{
	struct vtid *v = arg;
	struct signalfd_siginfo si;
	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			char err[512];
			log_notice("SIGHUP: reloading %s", v->opts.conf_path);
			if (vtid_reload(v, v->opts.conf_path, NULL, err, sizeof(err)) < 0)
				log_err("reload failed, configuration unchanged:\n%s", err);
		} else {
			log_notice("signal %d: shutting down", (int)si.ssi_signo);
			loop_stop(v->loop);
		}
	}
}

static int setup_signals(struct vtid *v)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	v->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (v->sigfd < 0)
		return -errno;
	return loop_add_fd(v->loop, v->sigfd, EPOLLIN, on_signal, v);
}

/* The data plane is chosen once at start: switching backends under live
 * tunnels would drop them all, so a changed `dataplane` line takes effect at
 * the next start (and says so). */
static int start_dataplane(struct vtid *v, const char *name)
{
	char why[400];
	v->dp_ops = dp_ops_pick(name, why, sizeof(why));
	if (!v->dp_ops) {
		log_err("dataplane %s: not available here: %s", name ? name : "auto", why);
		return -ENOTSUP;
	}
	struct dp_init init = {.on_event = dp_event,
			       .ctx = v,
			       .workers = v->opts.workers,
			       .udp_encap_fd = ikeio_natt_fd(v->io)};
	int err = v->dp_ops->create(&init, &v->dp);
	if (err < 0) {
		log_err("dataplane %s: %s", v->dp_ops->name, strerror(-err));
		return err;
	}
	int efd = v->dp_ops->event_fd ? v->dp_ops->event_fd(v->dp) : -1;
	if (efd >= 0)
		loop_add_fd(v->loop, efd, EPOLLIN, on_dp_event_fd, v);
	log_info("dataplane: %s (%s)", v->dp_ops->name, why);
	return 0;
}

int vtid_start_core(struct vtid *v, const char *dataplane)
{
	int err;
	v->sigfd = -1;
	v->loop = loop_new();
	if (!v->loop)
		return -ENOMEM;
	v->started_ms = loop_now_ms(v->loop);
	if ((err = setup_signals(v)) < 0)
		return err;
	struct ike_host host = {.ctx = v,
				.now_ms = clock_now,
				.send = ike_send,
				.child_up = ike_child_up,
				.child_down = ike_child_down,
				.ike_event = ike_event,
				.failed = ike_failed};
	v->ike = ike_engine_new(&host);
	if (!v->ike)
		return -ENOMEM;
	loop_timer_init(&v->ike_timer, ike_timer_fired, v);
	loop_set_prepare(v->loop, prepare, v);
	if ((err = ikeio_new(v->loop, v->opts.ike_port ? v->opts.ike_port : 500,
			     v->opts.natt_port ? v->opts.natt_port : 4500, on_ike_msg, on_udp_esp, v,
			     &v->io)) < 0)
		return err;
	ikeio_on_error(v->io, on_ike_icmp);
	if ((err = start_dataplane(v, dataplane)) < 0)
		return err;
	struct tunnels_init ti = {.loop = v->loop,
				  .ike = v->ike,
				  .dp_ops = v->dp_ops,
				  .dp = v->dp,
				  .now_ms = clock_now,
				  .clock_ctx = v};
	v->tunnels = tunnels_new(&ti);
	if (!v->tunnels)
		return -ENOMEM;
	return 0;
}

void vtid_stop_core(struct vtid *v)
{
	/* Tunnels first: they send Deletes through the engine and sockets. */
	tunnels_free(v->tunnels);
	v->tunnels = NULL;
	ike_engine_free(v->ike);
	v->ike = NULL;
	if (v->dp_ops && v->dp) {
		int efd = v->dp_ops->event_fd ? v->dp_ops->event_fd(v->dp) : -1;
		if (efd >= 0)
			loop_del_fd(v->loop, efd);
		v->dp_ops->destroy(v->dp);
	}
	v->dp = NULL;
	ikeio_free(v->io);
	v->io = NULL;
	if (v->sigfd >= 0) {
		loop_del_fd(v->loop, v->sigfd);
		close(v->sigfd);
	}
	loop_timer_cancel(&v->ike_timer);
	loop_free(v->loop);
	v->loop = NULL;
}
