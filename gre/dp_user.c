/* dp_user.c: the userspace data-plane backend, control side: dp_user_ops.
 *
 * Creates the raw and UDP sockets (with their receive steering) and the
 * worker threads, owns links and SAs, keeps the lookup tables
 * (dp_tables.c) in step with every change to them, and hands the workers' events
 * (SA lifetimes, keepalives) to the control thread.  The workers' packet
 * path is dp_worker.c, dp_tx.c, dp_rx.c and dp_keepalive.c; the threading
 * contract is in dp_user_int.h.  Everything here but dp_post_event and
 * dp_sa_account runs on the control thread. */
#include "gre/dp_user_int.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gre/tun.h"
#include "lib/log.h"

/* ---- events (posted by the workers, dispatched on the control thread) ---- */

void dp_post_event(struct dp *dp, struct dp_link *link, enum dp_event ev, uint32_t spi,
		   bool inbound)
{
	pthread_mutex_lock(&dp->ev_lock);
	if (dp->evq_n == dp->evq_cap) {
		size_t cap = dp->evq_cap ? dp->evq_cap * 2 : 64;
		struct dp_event_rec *q = realloc(dp->evq, cap * sizeof(*q));
		if (!q) {
			pthread_mutex_unlock(&dp->ev_lock);
			log_warn_rl("dp: event queue full, event dropped");
			return;
		}
		dp->evq = q;
		dp->evq_cap = cap;
	}
	dp->evq[dp->evq_n++] = (struct dp_event_rec){link->id, ev, spi, inbound};
	pthread_mutex_unlock(&dp->ev_lock);
	uint64_t one = 1;
	if (write(dp->ev_fd, &one, sizeof(one)) < 0) {
		/* counter saturated: already readable */
	}
}

void dp_sa_account(struct dp *dp, struct dp_sa *s)
{
	struct esp_counters *c = esp_sa_counters(s->esp);
	uint64_t pk = atomic_load_explicit(&c->packets, memory_order_relaxed);
	uint64_t by = atomic_load_explicit(&c->bytes, memory_order_relaxed);
	if (((s->soft_bytes && by >= s->soft_bytes) ||
	     (s->soft_packets && pk >= s->soft_packets)) &&
	    !atomic_exchange(&s->soft_fired, true))
		dp_post_event(dp, s->link, DP_EV_SOFT_EXPIRE, s->spi, s->inbound);
	if (((s->hard_bytes && by >= s->hard_bytes) ||
	     (s->hard_packets && pk >= s->hard_packets)) &&
	    !atomic_exchange(&s->hard_fired, true))
		dp_post_event(dp, s->link, DP_EV_HARD_EXPIRE, s->spi, s->inbound);
}

static int dpu_event_fd(struct dp *dp)
{
	return dp->ev_fd;
}

static void dpu_dispatch(struct dp *dp)
{
	uint64_t v;
	if (read(dp->ev_fd, &v, sizeof(v)) < 0) {
		/* nothing pending (EAGAIN) is fine */
	}
	pthread_mutex_lock(&dp->ev_lock);
	struct dp_event_rec *q = dp->evq;
	size_t n = dp->evq_n;
	dp->evq = NULL;
	dp->evq_n = dp->evq_cap = 0;
	pthread_mutex_unlock(&dp->ev_lock);
	for (size_t i = 0; i < n; i++) {
		struct dp_link *l = dp_link_lookup_id(dp, q[i].link_id);
		if (l && dp->init.on_event)
			dp->init.on_event(dp->init.ctx, l, q[i].ev, q[i].spi, q[i].inbound);
	}
	free(q);
}

/* ---- create / destroy ---- */

static int dp_raw_socket(int proto)
{
	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
	if (fd < 0)
		return -errno;
	int one = 1, buf = 4 << 20;
	if (setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	/* bursts of a fast peer must not overflow the default receive buffer */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf));
	return fd;
}

static void dpu_destroy(struct dp *dp);

/* Receive steering.  Raw sockets each get a copy of every ESP (GRE)
 * packet, so with several workers each worker's socket carries a classic
 * BPF filter that keeps its share: ESP by SPI % n (a packet too short to
 * hold an SPI goes to worker 0, which counts it), GRE by source address
 * % n.  One SA's packets thus stay in order on one worker. */
static int dp_raw_steer(int fd, bool esp, int idx, int n)
{
	uint32_t self = idx == 0 ? 0x40000 : 0;
	struct sock_filter f_esp[] = {
	    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0),	  /* X = IP header length */
	    BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),	  /* A = packet length */
	    BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),	  /* A = bytes after the IP header */
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 4, 1, 0), /* room for an SPI? */
	    BPF_STMT(BPF_RET | BPF_K, self),		  /* no: worker 0 counts it */
	    BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0),	  /* A = SPI */
	    BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)idx, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0x40000),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_filter f_gre[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 12), /* source address */
	    BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)idx, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0x40000),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = {.len = esp ? sizeof(f_esp) / sizeof(f_esp[0])
					     : sizeof(f_gre) / sizeof(f_gre[0]),
				  .filter = esp ? f_esp : f_gre};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

/* A socket that only sends: its copies of incoming packets are dropped in
 * the kernel instead of piling up unread. */
static int dp_raw_mute(int fd)
{
	struct sock_filter none[] = {BPF_STMT(BPF_RET | BPF_K, 0)};
	struct sock_fprog prog = {.len = 1, .filter = none};
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0 ? -errno : 0;
}

/* ESP in UDP for the workers.  IKE's 4500 socket was bound with
 * SO_REUSEPORT; a classic BPF program on its group sends every datagram
 * whose first word is not zero (ESP: the SPI) to socket 1 + SPI % n of the
 * group -- worker SPI % n's, bound in worker order after IKE's -- and
 * everything else (the non-ESP marker of IKE, a one-byte NAT keepalive: the
 * load fails, which returns 0) to IKE's, socket 0.  The program is in place
 * before our sockets join, so IKE never sees a datagram hashed to us.
 * UDP_GRO hands a worker a run of equal datagrams in one read. */
static int dp_udp_sockets(struct dp *dp, int ike_fd)
{
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int one = 1, buf = 4 << 20, reuse = 0;
	socklen_t rl = sizeof(reuse);
	if (ike_fd < 0 || getsockname(ike_fd, (struct sockaddr *)&sin, &sl) < 0 ||
	    sin.sin_family != AF_INET ||
	    getsockopt(ike_fd, SOL_SOCKET, SO_REUSEPORT, &reuse, &rl) < 0 || !reuse)
		return -EOPNOTSUPP;
	struct sock_filter steer[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	    BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)dp->nworkers),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
	    BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = {.len = sizeof(steer) / sizeof(steer[0]), .filter = steer};
	if (setsockopt(ike_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) < 0)
		return -errno;
	for (int i = 0; i < dp->nworkers; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_IP, IP_RECVTOS, &one, sizeof(one)) < 0 ||
		    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
			int err = -errno;
			if (fd >= 0)
				close(fd);
			/* all or none: IKE's socket alone takes everything again */
			for (int k = 0; k < i; k++) {
				close(dp->w[k].udp_fd);
				dp->w[k].udp_fd = -1;
			}
			return err;
		}
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
		dp->w[i].udp_fd = fd;
	}
	return 0;
}

/* Every worker's receive sockets; see struct dp_worker. */
static int dp_worker_sockets(struct dp *dp)
{
	int n = dp->nworkers, rc;
	if (n == 1) {
		dp->w[0].esp_fd = dp->esp_fd;
		dp->w[0].gre_fd = dp->gre_fd;
	} else {
		for (int i = 0; i < n; i++) {
			struct dp_worker *w = &dp->w[i];
			if ((rc = w->esp_fd = dp_raw_socket(IPPROTO_ESP)) < 0 ||
			    (rc = dp_raw_steer(w->esp_fd, true, i, n)) < 0 ||
			    (rc = w->gre_fd = dp_raw_socket(IPPROTO_GRE)) < 0 ||
			    (rc = dp_raw_steer(w->gre_fd, false, i, n)) < 0)
				return rc;
		}
		if ((rc = dp_raw_mute(dp->esp_fd)) < 0 || (rc = dp_raw_mute(dp->gre_fd)) < 0)
			return rc;
	}
	rc = dp_udp_sockets(dp, dp->init.udp_encap_fd);
	if (rc < 0 && dp->init.udp_encap_fd >= 0)
		log_info("dp: ESP in UDP is read by the control thread (%s)", strerror(-rc));
	return 0;
}

static int dp_epoll_add(int epfd, int fd, uint64_t data, uint32_t extra)
{
	struct epoll_event ev = {.events = EPOLLIN | extra, .data.u64 = data};
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int dpu_create(const struct dp_init *init, struct dp **out)
{
	*out = NULL;
	struct dp *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->init = *init;
	dp->esp_fd = dp->gre_fd = dp->stop_fd = dp->ev_fd = -1;
	dp->next_link_id = 1;
	pthread_mutex_init(&dp->ev_lock, NULL);
	int n = init->workers;
	if (n <= 0) {
		long c = sysconf(_SC_NPROCESSORS_ONLN);
		n = c > 0 ? (int)c : 1;
	}
	if (n > DP_MAX_WORKERS)
		n = DP_MAX_WORKERS;
	dp->nworkers = n;
	int rc = -ENOMEM;
	dp->w = calloc((size_t)n, sizeof(*dp->w));
	dp->ctl_buf = malloc(65536);
	if (!dp->w || !dp->ctl_buf)
		goto fail;
	for (int i = 0; i < n; i++)
		dp->w[i].epfd = dp->w[i].esp_fd = dp->w[i].gre_fd = dp->w[i].udp_fd = -1;
	/* raw sockets first: while none is open the kernel answers the peer's
	 * ESP/GRE with protocol-unreachable */
	if ((rc = dp->esp_fd = dp_raw_socket(IPPROTO_ESP)) < 0)
		goto fail;
	/* ICMP errors quoting our ESP come to it (dp_esp_errors) */
	int one = 1;
	if (setsockopt(dp->esp_fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) < 0) {
		rc = -errno;
		goto fail;
	}
	if ((rc = dp->gre_fd = dp_raw_socket(IPPROTO_GRE)) < 0)
		goto fail;
	if ((rc = dp_worker_sockets(dp)) < 0)
		goto fail;
	dp->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dp->ev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dp->stop_fd < 0 || dp->ev_fd < 0) {
		rc = -errno;
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		struct dp_worker *w = &dp->w[i];
		w->dp = dp;
		w->idx = i;
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0) {
			rc = -errno;
			goto fail;
		}
		if ((rc = dp_epoll_add(w->epfd, w->esp_fd, DP_EVK_ESP, 0)) ||
		    (rc = dp_epoll_add(w->epfd, w->gre_fd, DP_EVK_GRE, 0)) ||
		    (rc = dp_epoll_add(w->epfd, dp->stop_fd, DP_EVK_STOP, 0)) ||
		    (w->udp_fd >= 0 && (rc = dp_epoll_add(w->epfd, w->udp_fd, DP_EVK_UDP, 0))))
			goto fail;
		/* with several workers the sending socket reads nothing (muted)
		 * but its error queue: worker 0 empties it */
		if (i == 0 && w->esp_fd != dp->esp_fd &&
		    (rc = dp_epoll_add(w->epfd, dp->esp_fd, DP_EVK_ESPERR, 0)))
			goto fail;
	}
	for (int i = 0; i < n; i++) {
		if ((rc = -pthread_create(&dp->w[i].th, NULL, dp_worker_main, &dp->w[i])))
			goto fail;
		dp->w[i].started = true;
	}
	*out = dp;
	return 0;
fail:
	dpu_destroy(dp);
	return rc;
}

static void dp_sa_free(struct dp_sa *s)
{
	if (!s)
		return;
	esp_sa_free(s->esp);
	free(s);
}

static void dp_link_free(struct dp_link *l)
{
	if (!l)
		return;
	while (l->sas) {
		struct dp_sa *s = l->sas;
		l->sas = s->next;
		dp_sa_free(s);
	}
	for (int i = 0; i < l->nq; i++)
		if (l->qfd[i] >= 0)
			close(l->qfd[i]);
	free(l->qfd);
	free(l);
}

static void dpu_destroy(struct dp *dp)
{
	if (!dp)
		return;
	atomic_store(&dp->stopping, true);
	if (dp->stop_fd >= 0) {
		uint64_t one = 1;
		if (write(dp->stop_fd, &one, sizeof(one)) < 0)
			log_warn("dp: cannot wake workers");
	}
	for (int i = 0; dp->w && i < dp->nworkers; i++) {
		if (dp->w[i].started)
			pthread_join(dp->w[i].th, NULL);
		dp->w[i].started = false;
		struct dp_worker *w = &dp->w[i];
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->esp_fd >= 0 && w->esp_fd != dp->esp_fd)
			close(w->esp_fd);
		if (w->gre_fd >= 0 && w->gre_fd != dp->gre_fd)
			close(w->gre_fd);
		if (w->udp_fd >= 0)
			close(w->udp_fd);
	}
	while (dp->links) {
		struct dp_link *l = dp->links;
		dp->links = l->next;
		dp_link_free(l);
	}
	tun_fini();
	free(atomic_load(&dp->sa_tab));
	free(atomic_load(&dp->link_tab));
	for (int *fd = &dp->esp_fd; fd <= &dp->ev_fd; fd++)
		if (*fd >= 0)
			close(*fd);
	pthread_mutex_destroy(&dp->ev_lock);
	free(dp->evq);
	free(dp->w);
	free(dp->ctl_buf);
	free(dp);
}

/* ---- links ---- */

uint16_t dp_compute_mtu(const struct dp_link_cfg *cfg, uint16_t path_mtu,
			const struct dp_sa_cfg *sa)
{
	struct gre_params g = {
	    .csum = cfg->gre_csum, .key_set = cfg->gre_key_set, .seq = cfg->gre_seq};
	int gre = cfg->encap == DP_ENCAP_GRE ? (int)gre_hdr_len(&g) : 0;
	int avail = path_mtu - 20;
	if (!cfg->protected)
		return (uint16_t)(avail - gre);
	/* protected: without an SA yet, assume the worst the suites allow:
	 * NAT-T, tunnel mode, CBC (IV 16, block 16), ICV 32 */
	int natt = 8, iv = 16, icv = 32, block = 16, inner_ip = 20;
	if (sa) {
		natt = sa->natt_remote_port ? 8 : 0;
		iv = sa->encr->iv_len;
		icv = sa->encr->aead ? sa->encr->icv_len : sa->integ->icv_len;
		block = sa->encr->block_len < 4 ? 4 : sa->encr->block_len;
		inner_ip = sa->mode == DP_ESP_TUNNEL && cfg->encap == DP_ENCAP_GRE ? 20 : 0;
	}
	avail -= natt + ESP_HDR_LEN + iv + icv;
	int ct = avail / block * block; /* ciphertext: payload + pad + 2 */
	int mtu = ct - 2 - gre - inner_ip;
	return (uint16_t)(mtu < 576 ? 576 : mtu);
}

/* The worker that reads queue i of link l: queue i's own worker, or for a
 * single-queue device the one its id picks, so that many such devices
 * spread over the workers. */
static int dp_queue_worker(const struct dp_link *l, int i)
{
	return l->nq == 1 ? (int)(l->id % (uint64_t)l->dp->nworkers) : i;
}

static void dp_link_unpoll(struct dp_link *l)
{
	struct dp *dp = l->dp;
	for (int i = 0; i < l->nq && i < dp->nworkers; i++)
		if (l->qfd[i] >= 0)
			epoll_ctl(dp->w[dp_queue_worker(l, i)].epfd, EPOLL_CTL_DEL, l->qfd[i],
				  NULL);
}

static int dpu_link_add(struct dp *dp, const struct dp_link_cfg *cfg, struct dp_link **out)
{
	*out = NULL;
	int rc = dp_link_cfg_check(cfg);
	if (rc)
		return rc;
	/* the clashes dp_link_cfg_clash names, without a walk over every
	 * link: the address pair through the table, the name through the
	 * kernel (a device of that name, ours or not, cannot be this TUN) */
	if (dp_link_lookup_addr(dp, cfg->remote.s_addr, cfg->local.s_addr))
		return -EADDRINUSE;
	if (tun_ifindex(cfg->name) > 0)
		return -EEXIST;
	struct dp_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->dp = dp;
	l->cfg = *cfg;
	l->nq = cfg->queues == 1 ? 1 : dp->nworkers;
	l->qfd = malloc((size_t)l->nq * sizeof(int));
	rc = -ENOMEM;
	if (!l->qfd)
		goto fail;
	for (int i = 0; i < l->nq; i++)
		l->qfd[i] = -1;
	l->gre = (struct gre_params){.csum = cfg->gre_csum,
				     .key_set = cfg->gre_key_set,
				     .key = cfg->gre_key,
				     .seq = cfg->gre_seq};
	l->path_mtu = 1500;
	atomic_store(&l->ka_up, true); /* IOS: up until retries are missed */
	uint16_t mtu = cfg->mtu ? cfg->mtu : dp_compute_mtu(cfg, l->path_mtu, NULL);
	atomic_store(&l->mtu, mtu);
	if ((rc = tun_open(cfg->name, l->nq, l->qfd)))
		goto fail;
	if ((rc = l->ifindex = tun_ifindex(cfg->name)) < 0)
		goto fail;
	if ((rc = tun_configure(l->ifindex, cfg->name, mtu, cfg->addr, cfg->prefixlen)))
		goto fail;
	l->id = dp->next_link_id++;
	if ((rc = dp_link_table_insert(dp, l)))
		goto fail;
	for (int i = 0; i < l->nq; i++) {
		if ((rc = dp_epoll_add(dp->w[dp_queue_worker(l, i)].epfd, l->qfd[i],
				       l->id << DP_EVK_BITS | DP_EVK_LINK, 0))) {
			dp_link_unpoll(l);
			dp_link_table_remove(dp, l);
			dp_synchronize(dp); /* a worker may have found it already */
			goto fail;
		}
	}
	l->next = dp->links;
	if (dp->links)
		dp->links->prev = l;
	dp->links = l;
	*out = l;
	return 0;
fail:
	log_warn("dp: cannot add link %s: %s", cfg->name, strerror(-rc));
	dp_link_free(l);
	return rc;
}

static void dpu_link_del(struct dp_link *l)
{
	if (!l)
		return;
	struct dp *dp = l->dp;
	dp_link_unpoll(l);
	if (l->prev)
		l->prev->next = l->next;
	else
		dp->links = l->next;
	if (l->next)
		l->next->prev = l->prev;
	/* the link and its inbound SAs leave the tables; one wait covers all */
	dp_link_table_remove(dp, l);
	for (struct dp_sa *s = l->sas; s; s = s->next)
		if (s->inbound)
			dp_sa_table_remove(dp, s);
	dp_synchronize(dp);
	dp_link_free(l);
}

static int dpu_link_carrier(struct dp_link *l, bool up)
{
	if (up && !l->admin_up) {
		int rc = tun_set_up(l->ifindex, l->cfg.name, true);
		if (rc)
			return rc;
		l->admin_up = true;
	}
	int rc = tun_set_carrier(l->qfd[0], up);
	if (!rc) {
		l->carrier = up;
		atomic_store(&l->carrier_on, up);
	}
	return rc;
}

/* ---- SAs ---- */

static struct dp_sa *dp_sa_find(struct dp_link *l, uint32_t spi, bool inbound)
{
	for (struct dp_sa *s = l->sas; s; s = s->next)
		if (s->spi == spi && s->inbound == inbound)
			return s;
	return NULL;
}

static int dpu_sa_add(struct dp_link *l, const struct dp_sa_cfg *cfg)
{
	struct dp *dp = l->dp;
	if (!l->cfg.protected)
		return -EINVAL;
	if (cfg->mode == DP_ESP_TRANSPORT && l->cfg.encap == DP_ENCAP_NONE)
		return -EINVAL; /* a bare inner IP packet needs tunnel mode */
	if (cfg->spi < 256)
		return -EINVAL; /* RFC 4303: 1-255 reserved, 0 never sent */
	if (dp_sa_find(l, cfg->spi, cfg->inbound))
		return -EEXIST;
	if (cfg->inbound && dp_sa_lookup(dp, cfg->spi))
		return -EEXIST;
	struct dp_sa *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	int rc = esp_sa_new(cfg, dp->nworkers + 1, &s->esp);
	if (rc) {
		free(s);
		return rc;
	}
	s->link = l;
	s->spi = cfg->spi;
	s->inbound = cfg->inbound;
	s->mode = cfg->mode;
	s->natt_local_port = cfg->natt_local_port;
	s->natt_remote_port = cfg->natt_remote_port;
	s->soft_bytes = cfg->soft_bytes;
	s->hard_bytes = cfg->hard_bytes;
	s->soft_packets = cfg->soft_packets;
	s->hard_packets = cfg->hard_packets;
	s->next = l->sas;
	l->sas = s;
	if (cfg->inbound) {
		if ((rc = dp_sa_table_insert(dp, s))) {
			l->sas = s->next;
			dp_sa_free(s);
			return rc;
		}
	} else {
		/* make-before-break: the old outbound SA stays listed (and its
		 * counters readable) until sa_del, but stops carrying at once --
		 * or, answering a rekey, once the peer is seen using the new pair */
		struct dp_sa *in = cfg->defer ? dp_sa_find(l, cfg->pair_spi, true) : NULL;
		if (in && atomic_load(&l->out_sa)) {
			atomic_store(&in->activate, s);
		} else {
			/* a pair still waiting for the peer must not take over
			 * from this newer one later; a worker that already took
			 * it over is done once dp_synchronize returns */
			bool waiting = false;
			for (struct dp_sa *i = l->sas; i; i = i->next)
				if (i->inbound && atomic_exchange(&i->activate, NULL))
					waiting = true;
			if (waiting)
				dp_synchronize(dp);
			atomic_store(&l->out_sa, s);
		}
		if (!l->cfg.mtu) {
			uint16_t mtu = dp_compute_mtu(&l->cfg, l->path_mtu, cfg);
			if (mtu != atomic_load(&l->mtu) &&
			    tun_set_mtu(l->ifindex, l->cfg.name, mtu) == 0)
				atomic_store(&l->mtu, mtu);
		}
	}
	log_dbg(LOG_DBG_IPSEC, "dp: %s SA %08x %s added", l->cfg.name, cfg->spi,
		cfg->inbound ? "in" : "out");
	return 0;
}

static int dpu_sa_del(struct dp_link *l, uint32_t spi, bool inbound)
{
	struct dp *dp = l->dp;
	struct dp_sa **pp, *s;
	for (pp = &l->sas; *pp && !((*pp)->spi == spi && (*pp)->inbound == inbound);
	     pp = &(*pp)->next)
		;
	if (!(s = *pp))
		return -ENOENT;
	*pp = s->next;
	if (inbound) {
		dp_sa_table_remove(dp, s);
		dp_synchronize(dp); /* a worker may still hold it from a lookup */
	} else {
		/* No inbound SA may still make it current; a worker that read it
		 * from one before is done once dp_synchronize returns. */
		for (struct dp_sa *i = l->sas; i; i = i->next)
			if (i->inbound && atomic_load(&i->activate) == s)
				atomic_store(&i->activate, NULL);
		dp_synchronize(dp);
		if (atomic_load(&l->out_sa) == s) {
			/* fall back to the newest remaining outbound SA, if any */
			struct dp_sa *o = l->sas;
			while (o && o->inbound)
				o = o->next;
			atomic_store(&l->out_sa, o);
			for (struct dp_sa *i = l->sas; o && i; i = i->next)
				if (i->inbound && atomic_load(&i->activate) == o)
					atomic_store(&i->activate, NULL);
		}
		dp_synchronize(dp);
	}
	dp_sa_free(s);
	return 0;
}

/* ---- stats ---- */

static int dpu_link_stats(struct dp_link *l, struct dp_link_stats *o)
{
	memset(o, 0, sizeof(*o));
	struct dp_link_ctr *c = &l->ctr;
	o->pkts_encaps = atomic_load(&c->pkts_encaps);
	o->pkts_encrypt = atomic_load(&c->pkts_encrypt);
	o->pkts_digest = atomic_load(&c->pkts_digest);
	o->pkts_decaps = atomic_load(&c->pkts_decaps);
	o->pkts_decrypt = atomic_load(&c->pkts_decrypt);
	o->pkts_verify = atomic_load(&c->pkts_verify);
	o->bytes_out = atomic_load(&c->bytes_out);
	o->bytes_in = atomic_load(&c->bytes_in);
	o->replay_fail = atomic_load(&c->replay_fail);
	o->auth_fail = atomic_load(&c->auth_fail);
	o->pad_fail = atomic_load(&c->pad_fail);
	o->send_errors = atomic_load(&c->send_errors);
	o->recv_errors = atomic_load(&c->recv_errors);
	o->no_sa_drops = atomic_load(&c->no_sa_drops);
	o->frag_needed = atomic_load(&c->frag_needed);
	o->icmp_unreach = atomic_load(&c->icmp_unreach);
	o->unprotected_drops = atomic_load(&c->unprotected_drops);
	o->malformed = atomic_load(&c->malformed);
	o->mtu = atomic_load(&l->mtu);
	o->path_mtu = l->path_mtu;
	o->carrier = l->carrier;
	o->ifindex = l->ifindex;
	return 0;
}

static int dpu_sa_stats(struct dp_link *l, uint32_t spi, bool inbound, struct dp_sa_stats *out)
{
	struct dp_sa *s = dp_sa_find(l, spi, inbound);
	if (!s)
		return -ENOENT;
	esp_sa_stats(s->esp, out);
	return 0;
}

static void dpu_udp_input(struct dp *dp, const uint8_t *pkt, size_t len,
			  const struct sockaddr_in *from, const struct sockaddr_in *to)
{
	if (len > 65536 - 64 || len < 8) {
		atomic_fetch_add(&dp->rx_malformed, 1);
		return;
	}
	memcpy(dp->ctl_buf, pkt, len);
	dp_esp_input(dp, dp->nworkers, 0, NULL, dp->ctl_buf, len, dp->ctl_buf + 65536,
		     from ? from->sin_addr.s_addr : 0, to ? to->sin_addr.s_addr : 0, true, 0);
}

static bool dpu_available(void)
{
	return access("/dev/net/tun", R_OK | W_OK) == 0;
}

const struct dp_ops dp_user_ops = {
    .name = "userspace",
    .create = dpu_create,
    .destroy = dpu_destroy,
    .link_add = dpu_link_add,
    .link_del = dpu_link_del,
    .link_carrier = dpu_link_carrier,
    .sa_add = dpu_sa_add,
    .sa_del = dpu_sa_del,
    .link_stats = dpu_link_stats,
    .sa_stats = dpu_sa_stats,
    .event_fd = dpu_event_fd,
    .dispatch = dpu_dispatch,
    .udp_input = dpu_udp_input,
    .available = dpu_available,
};
