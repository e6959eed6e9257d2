/* dp_rx.c: the receive path, run by the worker threads (and, for ESP in
 * UDP that arrives on IKE's socket, by the control thread: udp_input).
 *
 * recvmmsg on the worker's raw ESP socket (its share of the SPIs), or one
 * read of a run of datagrams on its ESP-in-UDP socket -> SPI lookup ->
 * replay check -> decrypt/verify -> replay update -> lifetimes, and the
 * first packet on a rekey's answered pair makes our side of it current ->
 * GRE decap (key, sequence; Cisco keepalives reflected or answered, see
 * dp_keepalive.c) -> ECN, MSS clamp -> the link's TUN queue of this
 * worker, consecutive TCP segments coalesced (GRO, offload.c) into one
 * write.  Plain GRE arrives on the raw proto-47 socket and is refused for
 * protected links.  The sending ESP socket's error queue (ICMP
 * unreachable quoting our SPI) is read here too.
 * Every packet from outside is checked before each read of its bytes and
 * every drop is counted.  Threading rules: dp_user_int.h. */
#include "gre/dp_user_int.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gre/byteorder.h"
#include "lib/errqueue.h"
#include "lib/log.h"

/* ---- to the TUN device ---- */

static void dp_tun_write_raw(struct dp_link *l, int q, uint8_t *frame, size_t len, size_t payload,
			     int npkts)
{
	if (write(l->qfd[q < l->nq ? q : 0], frame, len) < 0) {
		CTR_ADD(l->ctr.recv_errors, (uint64_t)npkts);
		return;
	}
	CTR_ADD(l->ctr.pkts_decaps, (uint64_t)npkts);
	CTR_ADD(l->ctr.bytes_in, payload);
}

void dp_gro_emit(void *link, int q, uint8_t *frame, size_t len, size_t bytes, int nseg)
{
	dp_tun_write_raw(link, q, frame, len, bytes, nseg);
}

/* Writes an inner packet to the device; its vnet header goes into the
 * bytes just before it (ESP/GRE headers, no longer needed: every caller has
 * at least 16 there).  With a GRO run (a worker's), consecutive TCP
 * segments of a protected link are coalesced (offload.c) until the end of
 * the receive batch; plain GRE links never are: their checksums are not
 * covered by an ICV and the kernel must verify them. */
static void dp_tun_write(struct dp_link *l, int q, struct off_gro *gro, uint8_t *ip, size_t len)
{
	if (gro && l->cfg.protected && off_gro_add(gro, l, q, ip, len))
		return;
	off_gro_flush(gro); /* keep the flow's order */
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
static void dp_inner_deliver(struct dp_link *l, int q, struct off_gro *gro, uint8_t *ip, size_t len,
			     uint8_t outer_tos)
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
	dp_tun_write(l, q, gro, ip, tot);
}

/* ---- GRE and ESP ---- */

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

static void dp_gre_input(struct dp_link *l, int q, struct off_gro *gro, int slot, uint8_t *g,
			 size_t len, const uint8_t *end, uint8_t outer_tos)
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
		dp_inner_deliver(l, q, gro, ip, len - gi.hdr_len, outer_tos);
		return;
	}
	if (gi.proto == 0 && len == gi.hdr_len) {
		dp_keepalive_answer(l->dp, l);
		return;
	}
	CTR_ADD(l->ctr.recv_errors, 1); /* other payload types are not ours */
}

void dp_esp_input(struct dp *dp, int slot, int tun_q, struct off_gro *gro, uint8_t *esp, size_t len,
		  const uint8_t *end, uint32_t src, uint32_t dst, bool natt, uint8_t outer_tos)
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
		dp_gre_input(l, tun_q, gro, slot, p, plen, end, outer_tos);
		return;
	}
	if (rx.next_hdr != IPPROTO_IPIP || s->mode != DP_ESP_TUNNEL) {
		CTR_ADD(l->ctr.recv_errors, 1);
		return;
	}
	if (l->cfg.encap == DP_ENCAP_NONE) {
		dp_inner_deliver(l, tun_q, gro, p, plen, outer_tos);
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
	dp_gre_input(l, tun_q, gro, slot, p + ihl, tot - ihl, end, p[1]);
}

/* ---- the sockets ---- */

/* The sending ESP socket has IP_RECVERR: an ICMP unreachable from the
 * peer's address quoting the SPI the link sends on now (its host takes no
 * ESP any more: its IPsec is gone) is counted on the link; vtid reads the
 * count as a reason to ask the peer at once (dead peer detection).  The
 * queue must be emptied, or the socket stays readable. */
void dp_esp_errors(struct dp *dp, int fd)
{
	for (int n = 0; n < 64; n++) {
		struct errq_icmp e;
		int r = errq_read(fd, &e);
		if (r < 0)
			return;
		/* IP_HDRINCL: the quote starts at our IP header */
		const uint8_t *q = e.data;
		size_t ihl;
		if (r == 0 || e.type != ICMP_DEST_UNREACH || e.len < 20 || (q[0] >> 4) != 4 ||
		    (ihl = (size_t)(q[0] & 15) * 4) < 20 || e.len < ihl + 4 || q[9] != IPPROTO_ESP)
			continue;
		uint32_t src, dst;
		memcpy(&src, q + 12, 4);
		memcpy(&dst, q + 16, 4);
		struct dp_link *lk = dp_link_lookup_addr(dp, dst, src);
		struct dp_sa *o =
		    lk ? atomic_load_explicit(&lk->out_sa, memory_order_acquire) : NULL;
		if (o && o->spi == rd32(q + ihl))
			CTR_ADD(lk->ctr.icmp_unreach, 1);
	}
}

void dp_raw_input(struct dp_worker *w, struct dp_wbuf *wb, int fd, bool esp)
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
				dp_esp_input(dp, w->idx, w->idx, wb->gro, ip + ihl, tot - ihl,
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
			dp_gre_input(l, w->idx, wb->gro, w->idx, ip + ihl, tot - ihl,
				     wb->rx[i] + DP_BUFSZ, ip[1]);
		}
		off_gro_flush(wb->gro);
		if (n < DP_BATCH)
			return;
	}
}

/* ESP in UDP on the workers' 4500 socket.  With UDP_GRO one read may
 * hold a run of datagrams from one peer, all `seg` bytes but the last;
 * each is copied into a receive buffer (room for dp_esp_input's keepalive
 * reflection) and handled as if it had arrived alone, in order. */
void dp_udp_input(struct dp_worker *w, struct dp_wbuf *wb, int fd)
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
			dp_esp_input(dp, w->idx, w->idx, wb->gro, b, dl, b + DP_BUFSZ,
				     from.sin_addr.s_addr, 0, true, tos);
		}
		off_gro_flush(wb->gro);
	}
}
