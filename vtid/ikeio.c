#include "vtid/ikeio.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/errqueue.h"
#include "lib/log.h"
#include "lib/loop.h"

enum { IKEIO_MAX_MSG = 65536 };

struct ikeio {
	struct loop *loop;
	int fd_ike, fd_natt;
	uint16_t port_ike, port_natt;
	ikeio_ike_fn on_ike;
	ikeio_esp_fn on_esp;
	ikeio_err_fn on_err;
	void *ctx;
	struct ikeio_stats stats;
	uint8_t buf[IKEIO_MAX_MSG + 4];
};

/* The NAT-T port is opened with SO_REUSEPORT so that the userspace data
 * plane can join it and take the ESP datagrams into its workers (it steers
 * them with a program on this socket's group, gre/dp_user.c).  Port 500 is
 * bound first, without it, so a second vtid still fails to start. */
static int open_udp(uint16_t port, bool reuseport, int *out)
{
	int one = 1;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto fail;
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) < 0)
		goto fail;
	/* IKE and ESP-in-UDP must never be fragmented by us into something the
	 * peer can't reassemble; let the kernel fragment if the path needs it. */
	int pmtu = IP_PMTUDISC_DONT;
	setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
	/* A hub's thousands of peers all start at once while its loop is busy
	 * creating their devices: the default buffer (about 200 KiB) dropped
	 * a tenth of their IKE_SA_INIT at 3,000 tunnels (bench/scale.sh), each
	 * drop a retransmission later.  8 MiB holds that burst; past the
	 * system limit only with CAP_NET_ADMIN (FORCE), else what it allows. */
	int buf = 8 << 20;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto fail;
	*out = fd;
	return 0;
fail:;
	int err = -errno;
	close(fd);
	return err;
}

/* IP_RECVERR queues each ICMP error that quotes one of our datagrams; the
 * queue must be emptied or the socket stays readable (EPOLLERR).  The
 * engine decides what an error means (never, alone, that a peer failed). */
static void drain_errors(struct ikeio *io, int fd)
{
	for (int n = 0; n < 64; n++) {
		struct errq_icmp e;
		int r = errq_read(fd, &e);
		if (r < 0)
			return;
		if (r == 0 || e.err == EMSGSIZE)
			continue;
		io->stats.rx_icmp++;
		char what[64];
		snprintf(what, sizeof(what), "%s from %s", errq_icmp_name(e.type, e.code),
			 e.offender.sin_family ? inet_ntoa(e.offender.sin_addr) : "?");
		const uint8_t *q = e.data;
		size_t ql = e.len;
		if (fd == io->fd_natt) { /* our IKE on 4500 starts with the marker */
			if (ql < 4 || (q[0] | q[1] | q[2] | q[3]))
				continue;
			q += 4;
			ql -= 4;
		}
		if (io->on_err)
			io->on_err(io->ctx, &e.to, q, ql, what);
	}
}

/* Reads at most `budget` datagrams; true when the socket was emptied. */
static bool read_batch(struct ikeio *io, int fd, int budget)
{
	for (int n = 0; n < budget; n++) {
		struct sockaddr_in remote;
		char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct iovec iov = {.iov_base = io->buf, .iov_len = sizeof(io->buf)};
		struct msghdr mh = {.msg_name = &remote,
				    .msg_namelen = sizeof(remote),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		ssize_t len = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (len < 0 && (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
				errno == ENETUNREACH || errno == EPROTO || errno == ENOPROTOOPT ||
				errno == EHOSTDOWN || errno == ENONET || errno == EACCES)) {
			/* the pending error of a queued ICMP: read the queue */
			drain_errors(io, fd);
			continue;
		}
		if (len < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
				io->stats.rx_errors++;
				log_warn_rl("ikeio: recvmsg: %s", strerror(errno));
			}
			return true;
		}
		if ((mh.msg_flags & MSG_TRUNC) || mh.msg_namelen < sizeof(remote) ||
		    remote.sin_family != AF_INET) {
			io->stats.rx_errors++;
			continue;
		}
		struct sockaddr_in local = {.sin_family = AF_INET};
		local.sin_port = htons(fd == io->fd_ike ? io->port_ike : io->port_natt);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				local.sin_addr = pi.ipi_addr;
			}
		}
		const uint8_t *p = io->buf;
		size_t l = (size_t)len;
		if (fd == io->fd_natt) {
			if (l == 1 && p[0] == 0xff) { /* NAT-keepalive, RFC 3948 2.3 */
				io->stats.rx_keepalive++;
				continue;
			}
			if (l < 4) {
				io->stats.rx_short++;
				continue;
			}
			if (p[0] | p[1] | p[2] | p[3]) {
				io->stats.rx_esp++;
				if (io->on_esp)
					io->on_esp(io->ctx, &local, &remote, p, l);
				continue;
			}
			p += 4;
			l -= 4;
		}
		io->stats.rx_ike++;
		io->on_ike(io->ctx, &local, &remote, p, l);
	}
	return false;
}

static void on_readable(void *arg, int fd, uint32_t events)
{
	struct ikeio *io = arg;
	if (events & EPOLLERR)
		drain_errors(io, fd);
	read_batch(io, fd, 64); /* bounded, so one busy socket can't starve the loop */
}

void ikeio_catch_up(struct ikeio *io)
{
	if (!io)
		return;
	bool ike_done = false, natt_done = io->fd_natt < 0;
	for (int round = 0; round < 64 && !(ike_done && natt_done); round++) {
		if (!ike_done)
			ike_done = read_batch(io, io->fd_ike, 64);
		if (!natt_done)
			natt_done = read_batch(io, io->fd_natt, 64);
	}
}

int ikeio_new(struct loop *loop, uint16_t port_ike, uint16_t port_natt, ikeio_ike_fn on_ike,
	      ikeio_esp_fn on_esp, void *ctx, struct ikeio **out)
{
	struct ikeio *io = calloc(1, sizeof(*io));
	int err;
	if (!io)
		return -ENOMEM;
	io->loop = loop;
	io->fd_ike = io->fd_natt = -1;
	io->port_ike = port_ike;
	io->port_natt = port_natt;
	io->on_ike = on_ike;
	io->on_esp = on_esp;
	io->ctx = ctx;
	if ((err = open_udp(port_ike, false, &io->fd_ike)) < 0 ||
	    (err = open_udp(port_natt, true, &io->fd_natt)) < 0 ||
	    (err = loop_add_fd(loop, io->fd_ike, EPOLLIN, on_readable, io)) < 0 ||
	    (err = loop_add_fd(loop, io->fd_natt, EPOLLIN, on_readable, io)) < 0) {
		log_err("ikeio: cannot open IKE sockets on ports %u/%u: %s", port_ike, port_natt,
			strerror(-err));
		ikeio_free(io);
		return err;
	}
	*out = io;
	return 0;
}

void ikeio_on_error(struct ikeio *io, ikeio_err_fn on_err)
{
	io->on_err = on_err;
}

void ikeio_free(struct ikeio *io)
{
	if (!io)
		return;
	if (io->fd_ike >= 0) {
		loop_del_fd(io->loop, io->fd_ike);
		close(io->fd_ike);
	}
	if (io->fd_natt >= 0) {
		loop_del_fd(io->loop, io->fd_natt);
		close(io->fd_natt);
	}
	free(io);
}

int ikeio_send(struct ikeio *io, const struct sockaddr_in *from, const struct sockaddr_in *to,
	       const uint8_t *msg, size_t len)
{
	static const uint8_t marker[4];
	bool natt = ntohs(from->sin_port) == io->port_natt;
	int fd = natt ? io->fd_natt : io->fd_ike;
	struct iovec iov[2];
	int n = 0;
	if (natt)
		iov[n++] = (struct iovec){.iov_base = (void *)marker, .iov_len = 4};
	iov[n++] = (struct iovec){.iov_base = (void *)msg, .iov_len = len};

	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	memset(cbuf, 0, sizeof(cbuf));
	struct msghdr mh = {.msg_name = (void *)to,
			    .msg_namelen = sizeof(*to),
			    .msg_iov = iov,
			    .msg_iovlen = (size_t)n,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
	struct in_pktinfo pi = {.ipi_spec_dst = from->sin_addr};
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(fd, &mh, MSG_DONTWAIT) < 0) {
		int err = errno;
		io->stats.tx_errors++;
		log_warn_rl("ikeio: send to %s: %s", inet_ntoa(to->sin_addr), strerror(err));
		return -err;
	}
	io->stats.tx_ike++;
	return 0;
}

int ikeio_natt_fd(const struct ikeio *io)
{
	return io->fd_natt;
}

uint16_t ikeio_natt_port(const struct ikeio *io)
{
	return io->port_natt;
}

const struct ikeio_stats *ikeio_stats(const struct ikeio *io)
{
	return &io->stats;
}
