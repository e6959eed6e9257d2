/* dp_tx.c: the send path, run by the worker threads (the keepalives of
 * dp_keepalive.c use its two stages too).
 *
 * A worker reads its own queue of a link's TUN device: a TCP super-packet
 * is cut into segments (offload.c), anything else has its checksum
 * completed.  Each inner packet then goes: DF/MTU check (too big with DF:
 * ICMP fragmentation-needed back through the TUN) -> MSS clamp -> GRE
 * header written in the headroom (dp_output) -> ESP in place and the outer
 * IPv4 header, or the peer's UDP port for ESP in UDP (dp_output_outer) ->
 * queued in the worker's struct dp_wbuf.  Control traffic (OSPF, BFD, IKE,
 * GRE) has its own queue, flushed before the bulk one, so bulk never
 * delays it.  A flush is one sendmmsg per run of messages for one socket
 * (raw ESP, raw GRE or the IKE UDP socket), and for ESP in UDP one sendmsg
 * with UDP GSO per run of equal-sized packets to one peer.
 * Threading rules: dp_user_int.h. */
#include "gre/dp_user_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gre/byteorder.h"

/* ---- ICMP fragmentation needed back to the sender through the TUN ---- */

static void dp_frag_needed(struct dp_link *l, int q, const uint8_t *ip, size_t ihl, uint16_t mtu)
{
	uint8_t frame[OFF_VNET_HDR_LEN + IP4_FRAG_NEEDED_MAX];
	memset(frame, 0, OFF_VNET_HDR_LEN);
	size_t n = ip4_frag_needed(frame + OFF_VNET_HDR_LEN, ip, ihl, mtu);
	if (!n)
		return;
	if (write(l->qfd[q], frame, OFF_VNET_HDR_LEN + n) < 0)
		CTR_ADD(l->ctr.send_errors, 1);
	CTR_ADD(l->ctr.frag_needed, 1);
}

/* ---- GRE, then ESP and the outer header ---- */

/* Second stage of output, after GRE: a packet at p (plen bytes) that is
 * already what the outer header will carry for a plain link, or the GRE
 * packet (or the bare inner IP for DP_ENCAP_NONE) for a protected one, is
 * protected with the link's current outbound SA (ESP, tunnel mode adding
 * its IP header) and framed: outer IPv4 header, or for ESP in UDP the
 * peer's port (the UDP socket adds the headers).  `end` bounds the buffer
 * (for ESP's trailer); headroom before p must hold ESP + IV + outer IP
 * (+ 20 in tunnel mode with GRE).  Returns the socket to send on, or -1
 * when the packet was dropped (counted). */
int dp_output_outer(struct dp_link *l, int slot, uint8_t *p, size_t plen, uint8_t tos, bool df,
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
	return dp_output_outer(l, slot, p, plen, tos, df, pkt - DP_HEADROOM + DP_BUFSZ, out,
			       out_len, to);
}

void dp_send_one(struct dp_link *l, int sfd, uint8_t *o, size_t ol, struct sockaddr_in *to)
{
	if (sfd < 0 || sendto(sfd, o, ol, MSG_DONTWAIT, (struct sockaddr *)to, sizeof(*to)) < 0)
		CTR_ADD(l->ctr.send_errors, 1);
}

/* ---- batching and sending ---- */

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

/* ESP-in-UDP with UDP GSO (UDP_SEGMENT): a run of equal-sized packets to
 * one peer leaves in one sendmsg, cut into datagrams by the kernel after
 * routing.  Returns how many messages from k it sent, 0 when it did not
 * apply (then sendmmsg takes over).  The first refusal of UDP_SEGMENT
 * turns it off for the whole backend (dp->udp_gso_broken). */
static int dp_send_udp_gso(struct dp *dp, struct dp_wbuf *wb, int k, int j)
{
	if (atomic_load_explicit(&dp->udp_gso_broken, memory_order_relaxed))
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
			atomic_store(&dp->udp_gso_broken, true); /* no GSO here: plain sends */
		return 0;
	}
	return m - k;
}

static void dp_send_run(struct dp *dp, struct dp_wbuf *wb, int first, int n)
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
				int g = dp_send_udp_gso(dp, wb, k, j);
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
static void dp_flush(struct dp *dp, struct dp_wbuf *wb)
{
	if (wb->nctl)
		dp_send_run(dp, wb, DP_TXQ, wb->nctl);
	if (wb->nbulk)
		dp_send_run(dp, wb, 0, wb->nbulk);
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

void dp_tun_read(struct dp_worker *w, struct dp_link *l, struct dp_wbuf *wb)
{
	int fd = l->qfd[w->idx < l->nq ? w->idx : 0];
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
				dp_flush(w->dp, wb);
			int room = DP_TXQ - wb->nbulk;
			for (int i = 0; i < room; i++)
				segs[i] = wb->tx[wb->nbulk + i] + DP_HEADROOM;
			n = off_tso_split(pkt, len, &vh, segs, DP_INNER_CAP, lens, room);
			if (n < 0 && room < DP_TXQ) {
				dp_flush(w->dp, wb);
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
				dp_flush(w->dp, wb);
			memcpy(wb->tx[DP_TXQ + wb->nctl] + DP_HEADROOM, pkt, len);
			dp_queue(w, l, wb, DP_TXQ + wb->nctl, len);
		} else {
			if (wb->nbulk == DP_TXQ)
				dp_flush(w->dp, wb);
			memcpy(wb->tx[wb->nbulk] + DP_HEADROOM, pkt, len);
			dp_queue(w, l, wb, wb->nbulk, len);
		}
	}
	dp_flush(w->dp, wb);
}
