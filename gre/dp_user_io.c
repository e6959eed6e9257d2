/* dp_user_io.c: the userspace data path, run by the worker threads.
 *
 * Outbound: reads from the worker's own TUN queue (a TCP super-packet is
 * cut into segments by offload.c) -> (MSS clamp, DF/MTU check, ICMP
 * fragmentation-needed) -> GRE header written in the headroom -> ESP in
 * place -> outer IPv4 header -> one sendmmsg per batch on the raw socket
 * (or the NAT-T UDP socket).  Control traffic (OSPF, BFD, IKE, GRE) goes in
 * its own queue, flushed before the bulk one, so bulk never delays it.
 * Inbound: recvmmsg on the worker's raw ESP socket (its share of the SPIs)
 * or ESP-in-UDP socket -> SPI lookup -> replay
 * check -> decrypt/verify -> replay update -> GRE decap -> the link's TUN
 * queue of this worker, consecutive TCP segments coalesced (GRO) into one
 * write.  Plain GRE arrives on the raw proto-47 socket and is refused for
 * protected links.  Cisco GRE keepalives are sent from worker 0's clock and
 * reflected for the peer on the inbound path.
 * Every packet from outside is checked before each read of its bytes and
 * every drop is counted.  Threading rules: dp_user_int.h. */
#include "gre/dp_user_int.h"

#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "gre/offload.h"
#include "lib/log.h"

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Valid IPv4 header within len: returns header length, 0 if invalid. */
static size_t ip4_check(const uint8_t *ip, size_t len, size_t *tot)
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

static void ip4_build(uint8_t *ip, uint8_t tos, size_t tot, bool df, uint8_t proto, uint32_t src,
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

/* ---- lifetimes ---- */

static void dp_sa_account(struct dp *dp, struct dp_sa *s)
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

/* ---- TCP MSS clamp ---- */

static uint16_t csum_adjust(uint16_t sum, uint16_t old, uint16_t new)
{
	/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') */
	uint32_t s = (uint16_t)~sum + (uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

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
			wr16(tcp + 16, csum_adjust(rd16(tcp + 16), cur, mss));
			wr16(tcp + o + 2, mss);
			return 1;
		}
		o += tcp[o + 1];
	}
	return 0;
}

/* ---- ICMP fragmentation needed back to the sender through the TUN ---- */

static void dp_frag_needed(struct dp_link *l, int q, const uint8_t *ip, size_t ihl, uint16_t mtu)
{
	uint8_t frame[OFF_VNET_HDR_LEN + 20 + 8 + 60 + 8];
	uint8_t *pkt = frame + OFF_VNET_HDR_LEN;
	size_t quote = ihl + 8;
	memset(frame, 0, OFF_VNET_HDR_LEN);
	/* RFC 1122 3.2.2: no ICMP error about an ICMP error or a non-initial
	 * fragment (the caller checked the IPv4 header; 8 bytes follow it) */
	if (rd16(ip + 6) & 0x1fff)
		return;
	if (ip[9] == IPPROTO_ICMP) {
		uint8_t type = ip[ihl];
		if (type == 3 || type == 4 || type == 5 || type == 11 || type == 12)
			return;
	}
	/* Injected through the TUN, the error arrives from "outside": a local
	 * source address (the router's own) would be dropped as a martian, so
	 * it claims to come from the packet's destination, which routes back
	 * through this tunnel and passes reverse-path checks.  The kernel takes
	 * the path MTU from the quoted header, whoever sent the error. */
	uint32_t src, dst;
	memcpy(&src, ip + 16, 4);
	memcpy(&dst, ip + 12, 4);
	uint8_t *icmp = pkt + 20;
	icmp[0] = 3; /* destination unreachable */
	icmp[1] = 4; /* fragmentation needed and DF set (RFC 1191) */
	wr16(icmp + 2, 0);
	wr16(icmp + 4, 0);
	wr16(icmp + 6, mtu);
	memcpy(icmp + 8, ip, quote);
	wr16(icmp + 2, gre_inet_csum(icmp, 8 + quote));
	ip4_build(pkt, 0xc0, 20 + 8 + quote, false, IPPROTO_ICMP, src, dst, true);
	if (write(l->qfd[q], frame, OFF_VNET_HDR_LEN + 20 + 8 + quote) < 0)
		CTR_ADD(l->ctr.send_errors, 1);
	CTR_ADD(l->ctr.frag_needed, 1);
}

/* ---- outbound ---- */

/* Second stage of output: a packet at p (plen bytes) that is already what
 * the outer header will carry for a plain link, or the GRE packet (or the
 * bare inner IP for DP_ENCAP_NONE) for a protected one, is protected and
 * framed.  `end` bounds the buffer (for ESP's trailer); headroom before p
 * must hold ESP + IV + outer IP (+ 20 in tunnel mode with GRE).  Returns
 * the socket to send on, or -1 when the packet was dropped (counted). */
static int dp_output_gre(struct dp_link *l, int slot, uint8_t *p, size_t plen, uint8_t tos, bool df,
			 const uint8_t *end, uint8_t **out, size_t *out_len, struct sockaddr_in *to)
{
	struct dp *dp = l->dp;
	to->sin_family = AF_INET;
	to->sin_port = 0;
	to->sin_addr = l->cfg.remote;
	if (!l->cfg.protected) {
		p -= 20;
		ip4_build(p, tos, plen + 20, df, IPPROTO_GRE, l->cfg.local.s_addr,
			  l->cfg.remote.s_addr, false);
		*out = p;
		*out_len = plen + 20;
		CTR_ADD(l->ctr.bytes_out, plen + 20);
		return dp->gre_fd;
	}
	struct dp_sa *s = atomic_load_explicit(&l->out_sa, memory_order_acquire);
	if (!s || atomic_load_explicit(&s->hard_fired, memory_order_relaxed)) {
		CTR_ADD(l->ctr.no_sa_drops, 1);
		return -1;
	}
	uint64_t seq = esp_next_seq(s->esp);
	if (!seq) {
		if (!atomic_exchange(&s->hard_fired, true))
			dp_post_event(dp, l, DP_EV_HARD_EXPIRE, s->spi, false);
		CTR_ADD(l->ctr.no_sa_drops, 1);
		return -1;
	}
	uint8_t nh = IPPROTO_GRE;
	if (s->mode == DP_ESP_TUNNEL) {
		if (l->cfg.encap == DP_ENCAP_GRE) {
			p -= 20;
			plen += 20;
			ip4_build(p, tos, plen, df, IPPROTO_GRE, l->cfg.local.s_addr,
				  l->cfg.remote.s_addr, true);
		}
		nh = IPPROTO_IPIP;
	}
	uint8_t *esp = p - esp_hdr_len(s->esp);
	int el = esp_encrypt(s->esp, slot, seq, esp, plen, nh, (size_t)(end - esp));
	if (el < 0) {
		CTR_ADD(l->ctr.send_errors, 1);
		return -1;
	}
	CTR_ADD(l->ctr.pkts_encrypt, 1);
	CTR_ADD(l->ctr.pkts_digest, 1);
	dp_sa_account(dp, s);
	if (s->natt_remote_port) {
		to->sin_port = htons(s->natt_remote_port);
		*out = esp;
		*out_len = (size_t)el;
		CTR_ADD(l->ctr.bytes_out, (uint64_t)el);
		return dp->init.udp_encap_fd;
	}
	uint8_t *ip = esp - 20;
	ip4_build(ip, tos, (size_t)el + 20, df, IPPROTO_ESP, l->cfg.local.s_addr,
		  l->cfg.remote.s_addr, false);
	*out = ip;
	*out_len = (size_t)el + 20;
	CTR_ADD(l->ctr.bytes_out, (uint64_t)el + 20);
	return dp->esp_fd;
}

int dp_output(struct dp_link *l, int slot, uint8_t *pkt, size_t len, uint8_t **out, size_t *out_len,
	      struct sockaddr_in *to)
{
	size_t tot, ihl = ip4_check(pkt, len, &tot);
	if (!ihl) {
		CTR_ADD(l->ctr.malformed, 1);
		return -1;
	}
	len = tot;
	uint16_t mtu = atomic_load_explicit(&l->mtu, memory_order_relaxed);
	bool inner_df = rd16(pkt + 6) & 0x4000;
	if (len > mtu && inner_df) {
		/* without DF the outer packet may be fragmented by the kernel */
		dp_frag_needed(l, slot < l->nq ? slot : 0, pkt, ihl, mtu);
		return -1;
	}
	if (l->cfg.tcp_mss)
		dp_mss_clamp(pkt, len, l->cfg.tcp_mss);
	bool df = l->cfg.df == DP_DF_SET || (l->cfg.df == DP_DF_COPY && inner_df);
	uint8_t tos = pkt[1];
	uint8_t *p = pkt;
	size_t plen = len;
	if (l->cfg.encap == DP_ENCAP_GRE) {
		size_t gl = gre_hdr_len(&l->gre);
		p -= gl;
		uint32_t seq =
		    l->gre.seq ? atomic_fetch_add_explicit(&l->gre_seq_out, 1, memory_order_relaxed)
			       : 0;
		gre_build(&l->gre, GRE_PROTO_IPV4, seq, p, plen);
		plen += gl;
	}
	/* every packet the tunnel carries, GRE or a VTI's bare ESP (IOS's
	 * "#pkts encaps"), as pkts_decaps counts every one delivered */
	CTR_ADD(l->ctr.pkts_encaps, 1);
	/* the buffer ends DP_BUFSZ after its start, which is DP_HEADROOM before pkt */
	return dp_output_gre(l, slot, p, plen, tos, df, pkt - DP_HEADROOM + DP_BUFSZ, out, out_len,
			     to);
}

/* ---- Cisco-style GRE keepalives ----
 * Every period the sender tunnels an IP/GRE packet addressed from the peer
 * back to itself; the peer decapsulates it and, seeing a GRE packet for
 * the tunnel's own endpoints, sends it straight back.  Its arrival (GRE
 * protocol 0) is the answer.  Each send counts one miss; an answer clears
 * them; more misses than `retries` -> DP_EV_KEEPALIVE_DOWN, and the next
 * answer -> DP_EV_KEEPALIVE_UP. */

static void dp_send_one(struct dp_link *l, int sfd, uint8_t *o, size_t ol, struct sockaddr_in *to)
{
	if (sfd < 0 || sendto(sfd, o, ol, MSG_DONTWAIT, (struct sockaddr *)to, sizeof(*to)) < 0)
		CTR_ADD(l->ctr.send_errors, 1);
}

void dp_keepalive_tick(struct dp *dp, int slot, uint64_t now_ms, uint8_t *buf)
{
	struct dp_link_table *t = atomic_load_explicit(&dp->link_tab, memory_order_acquire);
	for (size_t i = 0; t && i < t->n; i++) {
		struct dp_link *l = t->link[i];
		uint16_t period = l->cfg.keepalive_period;
		if (!period || !atomic_load_explicit(&l->carrier_on, memory_order_relaxed) ||
		    l->cfg.encap != DP_ENCAP_GRE)
			continue;
		if (now_ms - atomic_load(&l->ka_last_ms) < (uint64_t)period * 1000)
			continue;
		atomic_store(&l->ka_last_ms, now_ms);
		uint8_t retries = l->cfg.keepalive_retries ? l->cfg.keepalive_retries : 3;
		uint32_t missed = atomic_fetch_add(&l->ka_missed, 1) + 1;
		if (missed > retries && atomic_exchange(&l->ka_up, false))
			dp_post_event(dp, l, DP_EV_KEEPALIVE_DOWN, 0, false);
		/* inner: IP from the peer to us, carrying an empty GRE (protocol 0)
		 * with this tunnel's key/sequence/checksum options */
		uint8_t *pkt = buf + DP_HEADROOM;
		size_t gl = gre_hdr_len(&l->gre);
		ip4_build(pkt, 0xc0, 20 + gl, false, IPPROTO_GRE, l->cfg.remote.s_addr,
			  l->cfg.local.s_addr, true);
		uint32_t seq = l->gre.seq ? atomic_fetch_add(&l->gre_seq_out, 1) : 0;
		gre_build(&l->gre, 0, seq, pkt + 20, 0);
		uint8_t *o;
		size_t ol;
		struct sockaddr_in to;
		int sfd = dp_output(l, slot, pkt, 20 + gl, &o, &ol, &to);
		if (sfd != -1)
			dp_send_one(l, sfd, o, ol, &to);
	}
}

static void dp_keepalive_answer(struct dp *dp, struct dp_link *l)
{
	atomic_store(&l->ka_missed, 0);
	if (l->cfg.keepalive_period && !atomic_exchange(&l->ka_up, true))
		dp_post_event(dp, l, DP_EV_KEEPALIVE_UP, 0, false);
}

/* A decapsulated inner IP/GRE packet between our own tunnel endpoints
 * (from us, to the peer) is the peer's keepalive: send its GRE part back. */
static bool dp_keepalive_reflect(struct dp_link *l, int slot, uint8_t *ip, size_t len,
				 const uint8_t *end)
{
	size_t tot, ihl = ip4_check(ip, len, &tot);
	if (!ihl || ip[9] != IPPROTO_GRE || memcmp(ip + 12, &l->cfg.local, 4) ||
	    memcmp(ip + 16, &l->cfg.remote, 4))
		return false;
	if (tot - ihl > 64)
		return true; /* a keepalive is a bare GRE header: swallow anything else */
	uint8_t *o;
	size_t ol;
	struct sockaddr_in to;
	int sfd = dp_output_gre(l, slot, ip + ihl, tot - ihl, ip[1], false, end, &o, &ol, &to);
	if (sfd != -1)
		dp_send_one(l, sfd, o, ol, &to);
	return true;
}

/* Control traffic that must not wait behind bulk: OSPF, BFD, IKE, GRE. */
static bool dp_is_control(const uint8_t *ip, size_t len)
{
	if (len < 20)
		return false;
	uint8_t proto = ip[9];
	if (proto == 89 || proto == IPPROTO_GRE)
		return true;
	size_t ihl = (size_t)(ip[0] & 15) * 4;
	if (proto != IPPROTO_UDP || len < ihl + 4)
		return false;
	uint16_t dport = rd16(ip + ihl + 2);
	return dport == 3784 || dport == 3785 || dport == 500 || dport == 4500;
}

#define DP_TXQ	128 /* bulk segments per flush: a 64 KiB GSO packet at MSS 536 fits */
#define DP_CTLQ 8
#define DP_SBUF (OFF_VNET_HDR_LEN + 65536)

struct dp_wbuf {
	uint8_t *sbuf; /* one TUN read: vnet header + up to 64 KiB */
	uint8_t *tx[DP_TXQ + DP_CTLQ];
	uint8_t *rx[DP_BATCH];
	struct mmsghdr msg[DP_TXQ + DP_CTLQ];
	struct iovec iov[DP_TXQ + DP_CTLQ];
	struct sockaddr_in addr[DP_TXQ + DP_CTLQ];
	int fd[DP_TXQ + DP_CTLQ];
	bool udp[DP_TXQ + DP_CTLQ]; /* ESP in UDP: eligible for UDP GSO */
	struct dp_link *link[DP_TXQ + DP_CTLQ];
	int nbulk, nctl; /* queued: bulk in [0, DP_TXQ), control after */
};

/* ESP-in-UDP with UDP GSO (UDP_SEGMENT): a run of equal-sized packets to
 * one peer leaves in one sendmsg, cut into datagrams by the kernel after
 * routing.  Returns how many messages from k it sent, 0 when it did not
 * apply (then sendmmsg takes over). */
static _Atomic bool dp_udp_gso_broken;

static int dp_send_udp_gso(struct dp_wbuf *wb, int k, int j)
{
	if (atomic_load_explicit(&dp_udp_gso_broken, memory_order_relaxed))
		return 0;
	size_t seg = wb->iov[k].iov_len, total = seg;
	int m = k + 1;
	while (m < j && m - k < 64 && wb->addr[m].sin_addr.s_addr == wb->addr[k].sin_addr.s_addr &&
	       wb->addr[m].sin_port == wb->addr[k].sin_port && wb->iov[m].iov_len <= seg &&
	       total + wb->iov[m].iov_len <= 65000) {
		total += wb->iov[m].iov_len;
		m++;
		if (wb->iov[m - 1].iov_len < seg)
			break; /* only the last may be shorter */
	}
	if (m - k < 2)
		return 0;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof(ctl));
	struct msghdr mh = {.msg_name = &wb->addr[k],
			    .msg_namelen = sizeof(wb->addr[k]),
			    .msg_iov = &wb->iov[k],
			    .msg_iovlen = (size_t)(m - k),
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_UDP;
	c->cmsg_type = UDP_SEGMENT;
	c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	uint16_t gso = (uint16_t)seg;
	memcpy(CMSG_DATA(c), &gso, sizeof(gso));
	if (sendmsg(wb->fd[k], &mh, MSG_DONTWAIT) < 0) {
		if (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP)
			atomic_store(&dp_udp_gso_broken, true); /* no GSO here: plain sends */
		return 0;
	}
	return m - k;
}

static void dp_send_run(struct dp_wbuf *wb, int first, int n)
{
	/* sendmmsg per run of equal sockets; a read is per link, so usually one */
	int i = first, end = first + n;
	while (i < end) {
		int j = i + 1;
		while (j < end && wb->fd[j] == wb->fd[i])
			j++;
		int k = i;
		while (k < j) {
			if (wb->udp[k]) {
				int g = dp_send_udp_gso(wb, k, j);
				if (g > 0) {
					k += g;
					continue;
				}
			}
			/* UDP runs that GSO did not take go one message at a time here,
			 * so the next message gets its own chance at a GSO run */
			unsigned cnt = wb->udp[k] ? 1u : (unsigned)(j - k);
			int r = sendmmsg(wb->fd[k], &wb->msg[k], cnt, MSG_DONTWAIT);
			if (r <= 0) {
				/* the head packet failed (EMSGSIZE, ENOBUFS...): count, skip */
				CTR_ADD(wb->link[k]->ctr.send_errors, 1);
				k++;
			} else {
				k += r;
			}
		}
		i = j;
	}
}

/* Control traffic first, then bulk. */
static void dp_flush(struct dp_wbuf *wb)
{
	if (wb->nctl)
		dp_send_run(wb, DP_TXQ, wb->nctl);
	if (wb->nbulk)
		dp_send_run(wb, 0, wb->nbulk);
	wb->nctl = wb->nbulk = 0;
}

/* Encapsulates the inner packet in buffer i (at tx[i] + DP_HEADROOM) and
 * queues it as the next message, or drops it (counted in dp_output).  A
 * GSO burst fills buffers ahead of the queue; when a segment before it was
 * dropped, the kept buffer is swapped down so queued messages and their
 * buffers stay in [0, nbulk) and the free ones above. */
static void dp_queue(struct dp_worker *w, struct dp_link *l, struct dp_wbuf *wb, int i, size_t len)
{
	int k = i >= DP_TXQ ? DP_TXQ + wb->nctl : wb->nbulk;
	uint8_t *o;
	size_t ol;
	int sfd = dp_output(l, w->idx, wb->tx[i] + DP_HEADROOM, len, &o, &ol, &wb->addr[k]);
	if (sfd == -1)
		return;
	if (sfd < 0) { /* NAT-T without the IKE socket */
		CTR_ADD(l->ctr.send_errors, 1);
		return;
	}
	if (k != i) {
		uint8_t *t = wb->tx[k];
		wb->tx[k] = wb->tx[i];
		wb->tx[i] = t;
	}
	wb->iov[k] = (struct iovec){.iov_base = o, .iov_len = ol};
	memset(&wb->msg[k], 0, sizeof(wb->msg[k]));
	wb->msg[k].msg_hdr.msg_iov = &wb->iov[k];
	wb->msg[k].msg_hdr.msg_iovlen = 1;
	wb->msg[k].msg_hdr.msg_name = &wb->addr[k];
	wb->msg[k].msg_hdr.msg_namelen = sizeof(wb->addr[k]);
	wb->fd[k] = sfd;
	wb->udp[k] = sfd == l->dp->init.udp_encap_fd;
	wb->link[k] = l;
	if (i >= DP_TXQ)
		wb->nctl++;
	else
		wb->nbulk++;
}

/* Room for one inner packet after the headroom, before ESP's trailer. */
#define DP_INNER_CAP (DP_BUFSZ - DP_HEADROOM - 64 - ESP_MAX_TRAILER)

static void dp_tun_read(struct dp_worker *w, struct dp_link *l, struct dp_wbuf *wb)
{
	int fd = l->qfd[w->idx];
	for (int reads = 0; reads < 64; reads++) {
		ssize_t r = read(fd, wb->sbuf, DP_SBUF);
		if (r <= 0)
			break;
		if ((size_t)r <= OFF_VNET_HDR_LEN) {
			CTR_ADD(l->ctr.malformed, 1);
			continue;
		}
		struct virtio_net_hdr vh;
		memcpy(&vh, wb->sbuf, sizeof(vh));
		uint8_t *pkt = wb->sbuf + OFF_VNET_HDR_LEN;
		size_t len = (size_t)r - OFF_VNET_HDR_LEN;
		if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			uint8_t *segs[DP_TXQ];
			size_t lens[DP_TXQ];
			int n;
			if (DP_TXQ - wb->nbulk < DP_TXQ / 2)
				dp_flush(wb);
			int room = DP_TXQ - wb->nbulk;
			for (int i = 0; i < room; i++)
				segs[i] = wb->tx[wb->nbulk + i] + DP_HEADROOM;
			n = off_tso_split(pkt, len, &vh, segs, DP_INNER_CAP, lens, room);
			if (n < 0 && room < DP_TXQ) {
				dp_flush(wb);
				room = DP_TXQ;
				for (int i = 0; i < room; i++)
					segs[i] = wb->tx[i] + DP_HEADROOM;
				n = off_tso_split(pkt, len, &vh, segs, DP_INNER_CAP, lens, room);
			}
			if (n < 0) {
				CTR_ADD(l->ctr.malformed, 1);
				continue;
			}
			int base = wb->nbulk;
			for (int i = 0; i < n; i++)
				dp_queue(w, l, wb, base + i, lens[i]);
			continue;
		}
		if (len > DP_INNER_CAP || off_finish_csum(pkt, len, &vh) < 0) {
			CTR_ADD(l->ctr.malformed, 1);
			continue;
		}
		if (dp_is_control(pkt, len)) {
			if (wb->nctl == DP_CTLQ)
				dp_flush(wb);
			memcpy(wb->tx[DP_TXQ + wb->nctl] + DP_HEADROOM, pkt, len);
			dp_queue(w, l, wb, DP_TXQ + wb->nctl, len);
		} else {
			if (wb->nbulk == DP_TXQ)
				dp_flush(wb);
			memcpy(wb->tx[wb->nbulk] + DP_HEADROOM, pkt, len);
			dp_queue(w, l, wb, wb->nbulk, len);
		}
	}
	dp_flush(wb);
}

/* ---- inbound ---- */

/* Receive-side coalescing (GRO) for protected links: consecutive TCP
 * segments of one flow from one receive batch are merged into a single
 * super-packet written once, with a GSO vnet header, so the kernel runs its
 * stack once per ~45 segments.  Only what Linux's own GRO would merge is
 * merged: same addresses, ports, TOS/TTL, ACK, window and options; in-order
 * sequence numbers; plain ACK (+PSH, which ends the run); full-MSS segments
 * except the last.  Plain GRE links are never coalesced: their checksums
 * are not covered by an ICV and the kernel must verify them.  Per worker,
 * through a thread-local pointer; the control thread writes directly. */
struct dp_gro {
	struct dp_link *l;
	int q;
	uint8_t *buf; /* vnet header + super-packet */
	size_t len;   /* super-packet bytes */
	size_t hl;    /* IP + TCP header bytes */
	size_t mss;
	uint32_t next_seq;
	int nseg;
	bool last_short;
};
#define DP_GRO_MAX 65535
static __thread struct dp_gro *dp_gro_tls;

static void dp_tun_write_raw(struct dp_link *l, int q, uint8_t *frame, size_t len, size_t payload,
			     int npkts)
{
	if (write(l->qfd[q], frame, len) < 0) {
		CTR_ADD(l->ctr.recv_errors, (uint64_t)npkts);
		return;
	}
	CTR_ADD(l->ctr.pkts_decaps, (uint64_t)npkts);
	CTR_ADD(l->ctr.bytes_in, payload);
}

static void dp_gro_flush(struct dp_gro *g)
{
	if (!g || !g->l)
		return;
	uint8_t *ip = g->buf + OFF_VNET_HDR_LEN;
	struct virtio_net_hdr vh = {0};
	/* counted as the segments that arrived, bytes as they arrived */
	size_t bytes = g->len + (size_t)(g->nseg - 1) * g->hl;
	if (g->nseg > 1) {
		size_t ihl = (size_t)(ip[0] & 15) * 4, tl = g->len - ihl;
		wr16(ip + 2, (uint16_t)g->len);
		wr16(ip + 10, 0);
		wr16(ip + 10, gre_inet_csum(ip, ihl));
		/* checksum left partial: the field holds the pseudo-header sum */
		uint8_t ph[12];
		memcpy(ph, ip + 12, 8);
		ph[8] = 0;
		ph[9] = IPPROTO_TCP;
		wr16(ph + 10, (uint16_t)tl);
		wr16(ip + ihl + 16, (uint16_t)~off_csum_fold(off_csum_add(0, ph, 12)));
		vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh.hdr_len = (uint16_t)g->hl;
		vh.gso_size = (uint16_t)g->mss;
		vh.csum_start = (uint16_t)ihl;
		vh.csum_offset = 16;
	} else {
		vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	}
	memcpy(g->buf, &vh, sizeof(vh));
	dp_tun_write_raw(g->l, g->q, g->buf, g->len + OFF_VNET_HDR_LEN, bytes, g->nseg);
	g->l = NULL;
	g->len = 0;
	g->nseg = 0;
}

/* Returns true when the packet was taken into the GRO buffer. */
static bool dp_gro_add(struct dp_gro *g, struct dp_link *l, int q, const uint8_t *ip, size_t len)
{
	if (len < 40 || ip[0] != 0x45 || ip[9] != IPPROTO_TCP || (rd16(ip + 6) & 0x3fff))
		return false;
	const uint8_t *t = ip + 20;
	size_t doff = (size_t)(t[12] >> 4) * 4, hl = 20 + doff;
	if (doff < 20 || hl >= len)
		return false; /* pure ACKs and odd headers go through as they are */
	uint8_t fl = t[13];
	if ((fl & ~0x08) != 0x10)
		return false; /* only ACK or ACK|PSH */
	size_t pl = len - hl;
	uint32_t seq = rd32(t + 4);
	if (g->l) {
		const uint8_t *h = g->buf + OFF_VNET_HDR_LEN, *ht = h + 20;
		bool same = g->l == l && g->q == q && hl == g->hl && !g->last_short &&
			    pl <= g->mss && seq == g->next_seq && g->len + pl <= DP_GRO_MAX &&
			    h[1] == ip[1] && h[8] == ip[8] && !memcmp(h + 12, ip + 12, 8) &&
			    !memcmp(ht, t, 4) && !memcmp(ht + 8, t + 8, 4) && ht[12] == t[12] &&
			    (ht[13] & ~0x08) == (fl & ~0x08) && !memcmp(ht + 14, t + 14, 2) &&
			    !memcmp(ht + 20, t + 20, doff - 20);
		if (!same)
			dp_gro_flush(g);
	}
	uint8_t *h = g->buf + OFF_VNET_HDR_LEN;
	if (!g->l) {
		memcpy(h, ip, len);
		g->l = l;
		g->q = q;
		g->len = len;
		g->hl = hl;
		g->mss = pl;
		g->nseg = 1;
		g->last_short = false;
	} else {
		memcpy(h + g->len, ip + hl, pl);
		g->len += pl;
		g->nseg++;
		h[20 + 13] |= fl & 0x08;
		if (pl < g->mss)
			g->last_short = true;
	}
	g->next_seq = seq + (uint32_t)pl;
	if (fl & 0x08)
		dp_gro_flush(g); /* PSH: deliver now */
	return true;
}

/* Writes an inner packet to the device; its vnet header goes into the
 * bytes just before it (ESP/GRE headers, no longer needed: every caller has
 * at least 16 there). */
static void dp_tun_write(struct dp_link *l, int q, uint8_t *ip, size_t len)
{
	struct dp_gro *g = dp_gro_tls;
	if (g && l->cfg.protected && dp_gro_add(g, l, q, ip, len))
		return;
	if (g)
		dp_gro_flush(g); /* keep the flow's order */
	struct virtio_net_hdr vh = {0};
	/* ESP already proved these bytes are what the peer sent: spare the
	 * kernel a second checksum pass */
	if (l->cfg.protected)
		vh.flags = VIRTIO_NET_HDR_F_DATA_VALID;
	memcpy(ip - OFF_VNET_HDR_LEN, &vh, sizeof(vh));
	dp_tun_write_raw(l, q, ip - OFF_VNET_HDR_LEN, len + OFF_VNET_HDR_LEN, len, 1);
}

/* outer_tos: the TOS of the header the packet came out of, for ECN
 * (RFC 6040 normal mode: a CE mark on the way is kept). */
static void dp_inner_deliver(struct dp_link *l, int q, uint8_t *ip, size_t len, uint8_t outer_tos)
{
	size_t tot;
	if (!ip4_check(ip, len, &tot)) {
		CTR_ADD(l->ctr.malformed, 1);
		return;
	}
	if (!gre_ecn_decap(ip, tot, outer_tos)) {
		CTR_ADD(l->ctr.recv_errors, 1); /* CE on a packet that cannot carry it */
		return;
	}
	if (l->cfg.tcp_mss)
		dp_mss_clamp(ip, tot, l->cfg.tcp_mss);
	dp_tun_write(l, q, ip, tot);
}

/* RFC 2890 2.2, as Linux's ip_gre does it: with sequencing on, a packet
 * older than the newest one seen is dropped.  ESP-protected tunnels also
 * have the replay window; this is the GRE-level check of `gre_seq`. */
static bool dp_gre_seq_ok(struct dp_link *l, uint32_t seq)
{
	uint64_t cur = atomic_load_explicit(&l->gre_seq_in, memory_order_relaxed);
	for (;;) {
		/* bit 32 marks "something seen"; low half is the next expected */
		if ((cur >> 32) && (int32_t)(seq - (uint32_t)cur) < 0)
			return false;
		uint64_t want = 1ull << 32 | (uint32_t)(seq + 1);
		if (atomic_compare_exchange_weak(&l->gre_seq_in, &cur, want))
			return true;
	}
}

static void dp_gre_input(struct dp_link *l, int q, int slot, uint8_t *g, size_t len,
			 const uint8_t *end, uint8_t outer_tos)
{
	struct gre_info gi;
	if (gre_parse(g, len, &gi) < 0) {
		CTR_ADD(l->ctr.malformed, 1);
		return;
	}
	if (gi.key_set != l->cfg.gre_key_set || (gi.key_set && gi.key != l->cfg.gre_key) ||
	    (l->cfg.gre_seq && !gi.seq_set)) {
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	if (l->cfg.gre_seq && !dp_gre_seq_ok(l, gi.seq)) {
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	if (gi.proto == GRE_PROTO_IPV4) {
		uint8_t *ip = g + gi.hdr_len;
		/* reflected whether or not we run keepalives ourselves, as IOS does */
		if (len - gi.hdr_len >= 20 && ip[9] == IPPROTO_GRE &&
		    dp_keepalive_reflect(l, slot, ip, len - gi.hdr_len, end))
			return;
		dp_inner_deliver(l, q, ip, len - gi.hdr_len, outer_tos);
		return;
	}
	if (gi.proto == 0 && len == gi.hdr_len) {
		dp_keepalive_answer(l->dp, l);
		return;
	}
	CTR_ADD(l->ctr.recv_errors, 1); /* other payload types are not ours */
}

void dp_esp_input(struct dp *dp, int slot, int tun_q, uint8_t *esp, size_t len, const uint8_t *end,
		  uint32_t src, uint32_t dst, bool natt, uint8_t outer_tos)
{
	if (len < 8) {
		atomic_fetch_add_explicit(&dp->rx_malformed, 1, memory_order_relaxed);
		return;
	}
	uint32_t spi = rd32(esp);
	struct dp_sa *s = dp_sa_lookup(dp, spi);
	if (!s) {
		atomic_fetch_add_explicit(&dp->rx_no_sa, 1, memory_order_relaxed);
		log_dbg(LOG_DBG_IPSEC, "dp: ESP with unknown SPI %08x", spi);
		return;
	}
	struct dp_link *l = s->link;
	if (atomic_load_explicit(&s->hard_fired, memory_order_relaxed)) {
		CTR_ADD(l->ctr.no_sa_drops, 1);
		return;
	}
	/* behind NAT the source is rewritten; the ICV still binds the SA */
	if (!natt && (src != l->cfg.remote.s_addr || dst != l->cfg.local.s_addr)) {
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	struct esp_rx rx;
	int rc = esp_decrypt(s->esp, slot, esp, len, &rx);
	switch (rc) {
	case 0:
		break;
	case -EALREADY:
		CTR_ADD(l->ctr.replay_fail, 1);
		return;
	case -EBADMSG:
		CTR_ADD(l->ctr.auth_fail, 1);
		return;
	case -EPROTO:
		CTR_ADD(l->ctr.pad_fail, 1);
		return;
	case -EMSGSIZE:
		CTR_ADD(l->ctr.malformed, 1);
		return;
	default:
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	CTR_ADD(l->ctr.pkts_decrypt, 1);
	CTR_ADD(l->ctr.pkts_verify, 1);
	dp_sa_account(dp, s);
	/* the peer sends on the pair we answered a rekey with: it has the
	 * pair, so our side of it may carry now */
	struct dp_sa *act = atomic_load_explicit(&s->activate, memory_order_acquire);
	if (act && atomic_exchange(&s->activate, NULL) == act)
		atomic_store_explicit(&l->out_sa, act, memory_order_release);
	uint8_t *p = esp + rx.off;
	size_t plen = rx.len;
	if (rx.next_hdr == IPPROTO_GRE && s->mode == DP_ESP_TRANSPORT &&
	    l->cfg.encap == DP_ENCAP_GRE) {
		dp_gre_input(l, tun_q, slot, p, plen, end, outer_tos);
		return;
	}
	if (rx.next_hdr != IPPROTO_IPIP || s->mode != DP_ESP_TUNNEL) {
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	if (l->cfg.encap == DP_ENCAP_NONE) {
		dp_inner_deliver(l, tun_q, p, plen, outer_tos);
		return;
	}
	/* tunnel mode carrying IP(GRE) between the tunnel endpoints */
	size_t tot, ihl = ip4_check(p, plen, &tot);
	if (!ihl || p[9] != IPPROTO_GRE) {
		CTR_ADD(l->ctr.malformed, 1);
		return;
	}
	if (memcmp(p + 12, &l->cfg.remote, 4) || memcmp(p + 16, &l->cfg.local, 4)) {
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	/* the ESP header's ECN onto the GRE packet's, then that onto the inner */
	if (!gre_ecn_decap(p, tot, outer_tos)) {
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	dp_gre_input(l, tun_q, slot, p + ihl, tot - ihl, end, p[1]);
}

/* The sending ESP socket has IP_RECVERR: an ICMP unreachable from the
 * peer's address quoting the SPI the link sends on now (its host takes no
 * ESP any more: its IPsec is gone) is counted on the link; vtid reads the
 * count as a reason to ask the peer at once (dead peer detection).  The
 * queue must be emptied, or the socket stays readable. */
static void dp_esp_errors(struct dp *dp, int fd)
{
	for (int n = 0; n < 64; n++) {
		uint8_t q[64];
		struct sockaddr_in to;
		char cbuf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
		struct iovec iov = {.iov_base = q, .iov_len = sizeof(q)};
		struct msghdr mh = {.msg_name = &to,
				    .msg_namelen = sizeof(to),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		ssize_t len = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
		if (len < 0)
			return;
		const struct sock_extended_err *ee = NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR &&
			    c->cmsg_len >= CMSG_LEN(sizeof(*ee)))
				ee = (const struct sock_extended_err *)CMSG_DATA(c);
		/* IP_HDRINCL: the quote starts at our IP header */
		size_t l = (size_t)len < sizeof(q) ? (size_t)len : sizeof(q), ihl;
		if (!ee || ee->ee_origin != SO_EE_ORIGIN_ICMP || ee->ee_type != ICMP_DEST_UNREACH ||
		    l < 20 || (q[0] >> 4) != 4 || (ihl = (size_t)(q[0] & 15) * 4) < 20 ||
		    l < ihl + 4 || q[9] != IPPROTO_ESP)
			continue;
		uint32_t src, dst;
		memcpy(&src, q + 12, 4);
		memcpy(&dst, q + 16, 4);
		struct dp_link *lk = dp_link_lookup_addr(dp, dst, src);
		struct dp_sa *o = lk ? atomic_load_explicit(&lk->out_sa, memory_order_acquire) : NULL;
		if (o && o->spi == rd32(q + ihl))
			CTR_ADD(lk->ctr.icmp_unreach, 1);
	}
}

static void dp_raw_input(struct dp_worker *w, struct dp_wbuf *wb, int fd, bool esp)
{
	struct dp *dp = w->dp;
	for (int round = 0; round < 4; round++) {
		for (int i = 0; i < DP_BATCH; i++) {
			wb->iov[i] = (struct iovec){.iov_base = wb->rx[i], .iov_len = DP_BUFSZ};
			memset(&wb->msg[i], 0, sizeof(wb->msg[i]));
			wb->msg[i].msg_hdr.msg_iov = &wb->iov[i];
			wb->msg[i].msg_hdr.msg_iovlen = 1;
		}
		int n = recvmmsg(fd, wb->msg, DP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			uint8_t *ip = wb->rx[i];
			size_t len = wb->msg[i].msg_len, tot, ihl;
			if ((wb->msg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
			    !(ihl = ip4_check(ip, len, &tot))) {
				atomic_fetch_add_explicit(&dp->rx_malformed, 1,
							  memory_order_relaxed);
				continue;
			}
			uint32_t src, dst;
			memcpy(&src, ip + 12, 4);
			memcpy(&dst, ip + 16, 4);
			if (esp) {
				dp_esp_input(dp, w->idx, w->idx, ip + ihl, tot - ihl,
					     wb->rx[i] + DP_BUFSZ, src, dst, false, ip[1]);
				continue;
			}
			struct dp_link *l = dp_link_lookup_addr(dp, src, dst);
			if (!l) {
				atomic_fetch_add_explicit(&dp->rx_no_link, 1, memory_order_relaxed);
				continue;
			}
			if (l->cfg.protected) {
				CTR_ADD(l->ctr.unprotected_drops, 1);
				continue;
			}
			dp_gre_input(l, w->idx, w->idx, ip + ihl, tot - ihl, wb->rx[i] + DP_BUFSZ,
				     ip[1]);
		}
		dp_gro_flush(dp_gro_tls);
		if (n < DP_BATCH)
			return;
	}
}

/* ESP in UDP on the workers' 4500 socket.  With UDP_GRO one read may
 * hold a run of datagrams from one peer, all `seg` bytes but the last;
 * each is copied into a receive buffer (room for dp_esp_input's keepalive
 * reflection) and handled as if it had arrived alone, in order. */
static void dp_udp_input(struct dp_worker *w, struct dp_wbuf *wb, int fd)
{
	struct dp *dp = w->dp;
	for (int round = 0; round < 8; round++) {
		struct sockaddr_in from;
		char ctl[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(int))];
		struct iovec iov = {.iov_base = wb->sbuf, .iov_len = DP_SBUF};
		struct msghdr mh = {.msg_name = &from,
				    .msg_namelen = sizeof(from),
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n <= 0)
			return;
		size_t len = (size_t)n, seg = len;
		uint8_t tos = 0; /* IP_RECVTOS: the outer header's, for ECN */
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS &&
			    c->cmsg_len >= CMSG_LEN(1))
				tos = *CMSG_DATA(c);
			if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
			    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
				int g;
				memcpy(&g, CMSG_DATA(c), sizeof(g));
				if (g > 0)
					seg = (size_t)g;
			}
		}
		if ((mh.msg_flags & MSG_TRUNC) || mh.msg_namelen < sizeof(from)) {
			atomic_fetch_add_explicit(&dp->rx_malformed, 1, memory_order_relaxed);
			continue;
		}
		for (size_t off = 0; off < len; off += seg) {
			size_t dl = len - off < seg ? len - off : seg;
			const uint8_t *d = wb->sbuf + off;
			/* the steering program sends only a non-zero first word
			 * here; anything else is not ours to judge */
			if (dl < 8 || dl > DP_BUFSZ || !(d[0] | d[1] | d[2] | d[3])) {
				atomic_fetch_add_explicit(&dp->rx_malformed, 1,
							  memory_order_relaxed);
				continue;
			}
			uint8_t *b = wb->rx[0]; /* GRO copies what it keeps */
			memcpy(b, d, dl);
			dp_esp_input(dp, w->idx, w->idx, b, dl, b + DP_BUFSZ, from.sin_addr.s_addr,
				     0, true, tos);
		}
		dp_gro_flush(dp_gro_tls);
	}
}

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
	struct dp_gro gro = {.buf = malloc(OFF_VNET_HDR_LEN + DP_GRO_MAX)};
	if (gro.buf)
		dp_gro_tls = &gro; /* without it, packets are written one by one */
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
	dp_gro_tls = NULL;
	free(gro.buf);
	free(mem);
	free(wb);
	return NULL;
}
