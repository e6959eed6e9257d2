/* dp_keepalive.c: Cisco-style GRE keepalives, on the worker threads.
 *
 * Every period the sender tunnels an IP/GRE packet addressed from the peer
 * back to itself; the peer decapsulates it and, seeing a GRE packet for
 * the tunnel's own endpoints, sends it straight back.  Its arrival (GRE
 * protocol 0) is the answer.  Each send counts one miss; an answer clears
 * them; more misses than `retries` -> DP_EV_KEEPALIVE_DOWN, and the next
 * answer -> DP_EV_KEEPALIVE_UP.
 *
 * Worker 0 runs the clock (dp_keepalive_tick, from its loop about once a
 * second) and sends through dp_tx.c's dp_output; any worker that receives
 * answers (dp_keepalive_answer) or reflects the peer's keepalives
 * (dp_keepalive_reflect, through dp_output_outer: the GRE packet is
 * already built).  The state is per link and atomic (dp_user_int.h). */
#include "gre/dp_user_int.h"

#include <netinet/in.h>
#include <string.h>

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

void dp_keepalive_answer(struct dp *dp, struct dp_link *l)
{
	atomic_store(&l->ka_missed, 0);
	if (l->cfg.keepalive_period && !atomic_exchange(&l->ka_up, true))
		dp_post_event(dp, l, DP_EV_KEEPALIVE_UP, 0, false);
}

/* A decapsulated inner IP/GRE packet between our own tunnel endpoints
 * (from us, to the peer) is the peer's keepalive: send its GRE part back. */
bool dp_keepalive_reflect(struct dp_link *l, int slot, uint8_t *ip, size_t len, const uint8_t *end)
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
	int sfd = dp_output_outer(l, slot, ip + ihl, tot - ihl, ip[1], false, end, &o, &ol, &to);
	if (sfd != -1)
		dp_send_one(l, sfd, o, ol, &to);
	return true;
}
