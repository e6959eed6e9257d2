/* dp_kernel_xfrm.c: the kernel backend's XFRM side (see dp_kernel_int.h).
 *
 * States and policies are built as libnl-xfrm objects (xfrmnl_sa_*,
 * xfrmnl_sp_*), but two things libnl would do are done here instead,
 * because a state carries its keys both ways:
 *   - the algorithm attributes (keys) are appended to the built request by
 *     dpk_put_algs, never stored in a libnl object (libnl frees its copies
 *     without wiping them);
 *   - every request and every answer goes through dpk_talk, which wipes the
 *     message buffer before freeing it: the kernel's answers about states
 *     (GETSA, dumps, EXPIRE) hold the keys too.  Answers are therefore read
 *     with nl_recv into one buffer of ours (no MSG_PEEK, no realloc) and
 *     parsed from the uapi structures.
 * The request socket has NETLINK_EXT_ACK on: a refusal is logged with the
 * libnl reason and, when the kernel gave one, its own message.
 * Everything here runs on the control thread. */
#include "gre/dp_kernel_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/xfrm/lifetime.h>
#include <netlink/xfrm/sa.h>
#include <netlink/xfrm/selector.h>
#include <netlink/xfrm/sp.h>
#include <netlink/xfrm/template.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "lib/log.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

enum { DPK_RCVBUF = 65536 }; /* above the kernel's 32 KiB cap on a dump skb */

/* ---- pure parameter building ---- */

int dpk_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case 0:
		return 0;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_PERM:
		return -EPERM;
	case NLE_INVAL:
	case NLE_RANGE:
		return -EINVAL;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_AGAIN:
		return -EAGAIN;
	default:
		return -EIO;
	}
}

int dpk_alg_from_sa(const struct dp_sa_cfg *sa, struct dpk_alg *out)
{
	memset(out, 0, sizeof(*out));
	const struct suite *e = sa->encr, *i = sa->integ;
	if (!e || e->type != SUITE_ENCR)
		return -EINVAL;
	if (!e->xfrm)
		return -ENOTSUP;
	if (sa->encr_key_len != e->key_len + e->salt_len || sa->encr_key_len > sizeof(sa->encr_key))
		return -EINVAL;
	out->enc_name = e->xfrm;
	out->enc_key_bits = (uint32_t)sa->encr_key_len * 8;
	if (e->aead) {
		if (i || !e->xfrm_trunc_bits)
			return -EINVAL;
		out->aead = true;
		out->icv_bits = e->xfrm_trunc_bits;
		return 0;
	}
	if (!i || i->type != SUITE_INTEG)
		return -EINVAL;
	if (!i->xfrm || !i->xfrm_trunc_bits)
		return -ENOTSUP;
	if (sa->integ_key_len != i->key_len || sa->integ_key_len > sizeof(sa->integ_key))
		return -EINVAL;
	out->auth_name = i->xfrm;
	out->auth_key_bits = (uint32_t)sa->integ_key_len * 8;
	out->auth_trunc_bits = i->xfrm_trunc_bits;
	return 0;
}

void dpk_replay_from_sa(const struct dp_sa_cfg *sa, struct dpk_replay *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t w = sa->inbound ? sa->replay_window : 0;
	if (w > 4096)
		w = 4096;
	if (!sa->esn && w <= 32) {
		out->legacy_window = (uint8_t)w;
		return;
	}
	/* The kernel (6.1) wants a non-zero window in ESN mode even on an
	 * outbound state, where nothing is checked against it. */
	if (w == 0)
		w = 32;
	out->esn_attr = true;
	out->window = w;
	out->bmp_len = (w + 31) / 32;
}

void dpk_bitmap_newest(const uint32_t *bmp, uint32_t bmp_len, uint32_t window, uint64_t top,
		       uint32_t out[4])
{
	memset(out, 0, 4 * sizeof(uint32_t));
	if (!window || window > bmp_len * 32)
		return;
	for (uint32_t i = 0; i < 128 && i < window && (uint64_t)i < top; i++) {
		uint32_t s = (uint32_t)(top - i); /* the kernel indexes by the low 32 bits */
		uint32_t bit = (s - 1) % window;
		if (bmp[bit / 32] >> (bit % 32) & 1)
			out[i / 32] |= 1u << (i % 32);
	}
}

/* ---- talking to the kernel ---- */

typedef int (*dpk_msg_fn)(const struct nlmsghdr *nlh, void *arg);

/* The kernel's own words from an extended ack, if it sent any. */
static void ext_ack_msg(const struct nlmsghdr *m, char *buf, size_t len)
{
	buf[0] = '\0';
	if (!(m->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	const struct nlmsgerr *e = nlmsg_data(m);
	size_t off = sizeof(*e);
	if (!(m->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - NLMSG_HDRLEN; /* the echoed request */
	if (NLMSG_HDRLEN + off > m->nlmsg_len)
		return;
	const struct nlattr *a = (const struct nlattr *)((const char *)e + NLMSG_ALIGN(off));
	int rem = (int)m->nlmsg_len - NLMSG_HDRLEN - (int)NLMSG_ALIGN(off);
	for (; nla_ok(a, rem); a = nla_next(a, &rem))
		if (nla_type(a) == NLMSGERR_ATTR_MSG && nla_len(a) > 0) {
			snprintf(buf, len, "%.*s", nla_len(a), (const char *)nla_data(a));
			return;
		}
}

/* Sends msg (wiped and freed here) and reads the whole answer: the ack
 * or error of a request, everything up to NLMSG_DONE of a dump.  Data
 * messages go to fn.  Returns 0 or a negative NLE_* code; a refusal is
 * logged with `what` unless it is `quiet` (an NLE_* code, 0 = none). */
static int dpk_talk(struct nl_sock *sk, struct nl_msg *msg, dpk_msg_fn fn, void *arg,
		    const char *what, int quiet)
{
	struct nlmsghdr *h = nlmsg_hdr(msg);
	bool dump = h->nlmsg_flags & NLM_F_DUMP;
	if (!dump)
		h->nlmsg_flags |= NLM_F_ACK;
	int rc = nl_send_auto(sk, msg);
	uint32_t seq = h->nlmsg_seq;
	OPENSSL_cleanse(h, h->nlmsg_len);
	nlmsg_free(msg);
	if (rc < 0) {
		if (what)
			log_err("kernel dataplane: %s: cannot send to the kernel: %s", what,
				nl_geterror(rc));
		return rc;
	}
	rc = 0; /* bytes sent */
	char kmsg[160] = "";
	for (bool done = false; !done;) {
		unsigned char *buf = NULL;
		struct sockaddr_nl peer;
		int n = nl_recv(sk, &peer, &buf, NULL);
		if (n <= 0) {
			free(buf);
			rc = n < 0 ? n : -NLE_AGAIN;
			if (what)
				log_err("kernel dataplane: %s: no answer from the kernel: %s", what,
					nl_geterror(rc));
			return rc;
		}
		int rem = n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; nlmsg_ok(m, rem);
		     m = nlmsg_next(m, &rem)) {
			if (m->nlmsg_seq != seq)
				continue; /* a late answer to an earlier request */
			if (m->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (m->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = nlmsg_data(m);
				done = true;
				if (m->nlmsg_len < NLMSG_LENGTH(sizeof(*e))) {
					rc = -NLE_MSG_TRUNC;
				} else if (e->error) {
					rc = -nl_syserr2nlerr(-e->error);
					ext_ack_msg(m, kmsg, sizeof(kmsg));
				}
				break;
			}
			if (fn) {
				int r = fn(m, arg);
				if (r < 0 && rc == 0)
					rc = r;
			}
		}
		OPENSSL_cleanse(buf, (size_t)n);
		free(buf);
	}
	if (rc < 0 && rc != quiet && what)
		log_err("kernel dataplane: %s: %s%s%s%s", what, nl_geterror(rc),
			kmsg[0] ? " (kernel: " : "", kmsg, kmsg[0] ? ")" : "");
	return rc;
}

int dpk_xfrm_socket(struct nl_sock **out, bool events)
{
	*out = NULL;
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return -ENOMEM;
	int rc = nl_connect(sk, NETLINK_XFRM);
	if (rc < 0)
		goto fail;
	nl_socket_disable_msg_peek(sk);
	if ((rc = nl_socket_set_msg_buf_size(sk, DPK_RCVBUF)) < 0)
		goto fail;
	nl_socket_disable_auto_ack(sk);
	int one = 1, fd = nl_socket_get_fd(sk);
	if (events) {
		nl_socket_disable_seq_check(sk);
		if ((rc = nl_socket_add_membership(sk, XFRMNLGRP_EXPIRE)) < 0 ||
		    (rc = nl_socket_add_membership(sk, XFRMNLGRP_ACQUIRE)) < 0 ||
		    (rc = nl_socket_set_nonblocking(sk)) < 0)
			goto fail;
	} else {
		/* best effort: older kernels give no reasons, and echo the request */
		setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
		setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	}
	*out = sk;
	return 0;
fail:
	log_err("kernel dataplane: XFRM netlink socket%s: %s", events ? " for expiry events" : "",
		nl_geterror(rc));
	nl_socket_free(sk);
	return dpk_errno(rc);
}

/* ---- states ---- */

static struct nl_addr *v4(struct in_addr a)
{
	return nl_addr_build(AF_INET, &a, sizeof(a));
}

/* The traffic one direction of a link carries (a state's selector and a
 * policy's): src/32 -> dst/32, protocol GRE; for VTI everything,
 * 0.0.0.0/0 -> 0.0.0.0/0, any protocol (the mark tells the link's apart). */
static struct xfrmnl_sel *flow_sel(struct in_addr src, struct in_addr dst, bool vti)
{
	struct in_addr any = {0};
	struct xfrmnl_sel *sel = xfrmnl_sel_alloc();
	struct nl_addr *s = v4(vti ? any : src), *d = v4(vti ? any : dst);
	if (!sel || !s || !d) {
		xfrmnl_sel_put(sel);
		sel = NULL;
		goto out;
	}
	nl_addr_set_prefixlen(s, vti ? 0 : 32);
	nl_addr_set_prefixlen(d, vti ? 0 : 32);
	xfrmnl_sel_set_saddr(sel, s);
	xfrmnl_sel_set_daddr(sel, d);
	xfrmnl_sel_set_family(sel, AF_INET);
	xfrmnl_sel_set_prefixlen_s(sel, vti ? 0 : 32);
	xfrmnl_sel_set_prefixlen_d(sel, vti ? 0 : 32);
	xfrmnl_sel_set_proto(sel, vti ? 0 : IPPROTO_GRE);
out:
	nl_addr_put(s);
	nl_addr_put(d);
	return sel;
}

/* Appends the algorithm attributes, keys written straight into msg. */
static int dpk_put_algs(struct nl_msg *msg, const struct dp_sa_cfg *sa, const struct dpk_alg *alg)
{
	size_t ek = sa->encr_key_len;
	if (alg->aead) {
		struct nlattr *a =
		    nla_reserve(msg, XFRMA_ALG_AEAD, (int)(sizeof(struct xfrm_algo_aead) + ek));
		if (!a)
			return -NLE_NOMEM;
		struct xfrm_algo_aead *p = nla_data(a);
		memset(p, 0, sizeof(*p));
		snprintf(p->alg_name, sizeof(p->alg_name), "%s", alg->enc_name);
		p->alg_key_len = alg->enc_key_bits;
		p->alg_icv_len = alg->icv_bits;
		memcpy(p->alg_key, sa->encr_key, ek);
		return 0;
	}
	struct nlattr *c = nla_reserve(msg, XFRMA_ALG_CRYPT, (int)(sizeof(struct xfrm_algo) + ek));
	if (!c)
		return -NLE_NOMEM;
	struct xfrm_algo *cp = nla_data(c);
	memset(cp, 0, sizeof(*cp));
	snprintf(cp->alg_name, sizeof(cp->alg_name), "%s", alg->enc_name);
	cp->alg_key_len = alg->enc_key_bits;
	memcpy(cp->alg_key, sa->encr_key, ek);
	size_t ik = sa->integ_key_len;
	struct nlattr *t =
	    nla_reserve(msg, XFRMA_ALG_AUTH_TRUNC, (int)(sizeof(struct xfrm_algo_auth) + ik));
	if (!t)
		return -NLE_NOMEM;
	struct xfrm_algo_auth *tp = nla_data(t);
	memset(tp, 0, sizeof(*tp));
	snprintf(tp->alg_name, sizeof(tp->alg_name), "%s", alg->auth_name);
	tp->alg_key_len = alg->auth_key_bits;
	tp->alg_trunc_len = alg->auth_trunc_bits;
	memcpy(tp->alg_key, sa->integ_key, ik);
	return 0;
}

int dpk_state_add(struct nl_sock *sk, const struct dpk_state_key *k, const struct dp_sa_cfg *sa,
		  const char *what)
{
	struct dpk_alg alg;
	int rc = dpk_alg_from_sa(sa, &alg);
	if (rc < 0) {
		if (what)
			log_err("kernel dataplane: %s: transform %s%s%s has no kernel form with "
				"these keys",
				what, sa->encr ? sa->encr->name : "?", sa->integ ? "/" : "",
				sa->integ ? sa->integ->name : "");
		return rc;
	}
	struct dpk_replay rp;
	dpk_replay_from_sa(sa, &rp);
	struct xfrmnl_sa *x = xfrmnl_sa_alloc();
	struct xfrmnl_ltime_cfg *lt = xfrmnl_ltime_cfg_alloc();
	struct xfrmnl_sel *sel = flow_sel(k->src, k->dst, k->vti);
	struct nl_addr *src = v4(k->src), *dst = v4(k->dst);
	uint32_t *bmp = rp.esn_attr ? calloc(rp.bmp_len, sizeof(uint32_t)) : NULL;
	struct nl_msg *msg = NULL;
	rc = -NLE_NOMEM;
	if (!x || !lt || !sel || !src || !dst || (rp.esn_attr && !bmp))
		goto out;
	xfrmnl_sa_set_family(x, AF_INET);
	xfrmnl_sa_set_daddr(x, dst);
	xfrmnl_sa_set_saddr(x, src);
	xfrmnl_sa_set_spi(x, k->spi);
	xfrmnl_sa_set_proto(x, IPPROTO_ESP);
	xfrmnl_sa_set_mode(x, sa->mode == DP_ESP_TUNNEL ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
	xfrmnl_sa_set_reqid(x, k->reqid);
	xfrmnl_sa_set_sel(x, sel);
	xfrmnl_sa_set_flags(x, sa->esn ? XFRM_STATE_ESN : 0);
	if (rp.esn_attr)
		xfrmnl_sa_set_replay_state_esn(x, 0, 0, 0, 0, rp.window, rp.bmp_len, bmp);
	else
		xfrmnl_sa_set_replay_window(x, rp.legacy_window);
	xfrmnl_ltime_cfg_set_soft_bytelimit(lt, dpk_limit(sa->soft_bytes));
	xfrmnl_ltime_cfg_set_hard_bytelimit(lt, dpk_limit(sa->hard_bytes));
	xfrmnl_ltime_cfg_set_soft_packetlimit(lt, dpk_limit(sa->soft_packets));
	xfrmnl_ltime_cfg_set_hard_packetlimit(lt, dpk_limit(sa->hard_packets));
	xfrmnl_sa_set_lifetime_cfg(x, lt);
	if (k->mark)
		xfrmnl_sa_set_mark(x, k->mark, 0xffffffffu);
	if (k->encap_sport && k->encap_dport) {
		/* host order: libnl writes them in network order */
		struct in_addr none = {0};
		struct nl_addr *oa = v4(none);
		if (!oa)
			goto out;
		rc = xfrmnl_sa_set_encap_tmpl(x, UDP_ENCAP_ESPINUDP, k->encap_sport,
					      k->encap_dport, oa);
		nl_addr_put(oa);
		if (rc < 0) {
			rc = -NLE_NOMEM;
			goto out;
		}
	}
	if ((rc = xfrmnl_sa_build_add_request(x, 0, &msg)) < 0)
		goto out;
	if ((rc = dpk_put_algs(msg, sa, &alg)) < 0)
		goto out;
	rc = dpk_talk(sk, msg, NULL, NULL, what, 0);
	msg = NULL;
out:
	if (msg) {
		OPENSSL_cleanse(nlmsg_hdr(msg), nlmsg_hdr(msg)->nlmsg_len);
		nlmsg_free(msg);
		if (what)
			log_err("kernel dataplane: %s: cannot build the request: %s", what,
				nl_geterror(rc));
	} else if (rc == -NLE_NOMEM && what) {
		log_err("kernel dataplane: %s: out of memory", what);
	}
	free(bmp);
	nl_addr_put(src);
	nl_addr_put(dst);
	xfrmnl_sel_put(sel);
	xfrmnl_ltime_cfg_put(lt);
	xfrmnl_sa_put(x);
	return dpk_errno(rc);
}

int dpk_state_del(struct nl_sock *sk, struct in_addr dst, uint32_t spi, uint32_t mark,
		  const char *what)
{
	struct xfrmnl_sa *x = xfrmnl_sa_alloc();
	struct nl_addr *d = v4(dst);
	struct nl_msg *msg = NULL;
	int rc = -NLE_NOMEM;
	if (x && d) {
		xfrmnl_sa_set_daddr(x, d);
		xfrmnl_sa_set_spi(x, spi);
		xfrmnl_sa_set_proto(x, IPPROTO_ESP);
		if (mark)
			xfrmnl_sa_set_mark(x, mark, 0xffffffffu);
		rc = xfrmnl_sa_build_delete_request(x, 0, &msg);
		if (rc >= 0)
			rc = dpk_talk(sk, msg, NULL, NULL, what, -NLE_OBJ_NOTFOUND);
		else
			log_err("kernel dataplane: %s: %s", what, nl_geterror(rc));
	}
	nl_addr_put(d);
	xfrmnl_sa_put(x);
	return dpk_errno(rc);
}

/* Attribute `type` after a fixed header of `hdr` bytes, or NULL. */
static const struct nlattr *find_attr(const struct nlmsghdr *m, size_t hdr, int type)
{
	if (m->nlmsg_len < NLMSG_LENGTH(hdr))
		return NULL;
	const struct nlattr *a =
	    (const struct nlattr *)((const char *)NLMSG_DATA(m) + NLMSG_ALIGN(hdr));
	int rem = (int)m->nlmsg_len - (int)NLMSG_LENGTH(NLMSG_ALIGN(hdr));
	for (; nla_ok(a, rem); a = nla_next(a, &rem))
		if (nla_type(a) == type)
			return a;
	return NULL;
}

struct stats_ctx {
	struct dp_sa_stats *out;
	bool inbound, found;
};

static int stats_one(const struct nlmsghdr *m, void *arg)
{
	struct stats_ctx *c = arg;
	if (m->nlmsg_type != XFRM_MSG_NEWSA ||
	    m->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_usersa_info)))
		return 0;
	const struct xfrm_usersa_info *p = NLMSG_DATA(m);
	struct dp_sa_stats *o = c->out;
	c->found = true;
	o->packets = p->curlft.packets;
	o->bytes = p->curlft.bytes;
	o->replay_fail = (uint64_t)p->stats.replay + p->stats.replay_window;
	o->auth_fail = p->stats.integrity_failed;
	const struct nlattr *a;
	if ((a = find_attr(m, sizeof(*p), XFRMA_REPLAY_ESN_VAL)) &&
	    nla_len(a) >= (int)sizeof(struct xfrm_replay_state_esn)) {
		const struct xfrm_replay_state_esn *r = nla_data(a);
		uint32_t bl = r->bmp_len;
		if ((size_t)nla_len(a) < sizeof(*r) + (size_t)bl * 4)
			bl = 0;
		uint64_t top = (uint64_t)r->seq_hi << 32 | r->seq;
		o->seq = c->inbound ? top : ((uint64_t)r->oseq_hi << 32 | r->oseq);
		o->replay_window = r->replay_window;
		if (c->inbound && bl)
			dpk_bitmap_newest(r->bmp, bl, r->replay_window, top, o->bitmap);
	} else if ((a = find_attr(m, sizeof(*p), XFRMA_REPLAY_VAL)) &&
		   nla_len(a) >= (int)sizeof(struct xfrm_replay_state)) {
		const struct xfrm_replay_state *r = nla_data(a);
		o->seq = c->inbound ? r->seq : r->oseq;
		o->replay_window = p->replay_window;
		if (c->inbound)
			o->bitmap[0] = r->bitmap;
	}
	return 0;
}

int dpk_state_stats(struct nl_sock *sk, struct in_addr dst, uint32_t spi, uint32_t mark,
		    bool inbound, struct dp_sa_stats *out)
{
	struct nl_addr *d = v4(dst);
	struct nl_msg *msg = NULL;
	struct stats_ctx c = {.out = out, .inbound = inbound};
	char what[64];
	snprintf(what, sizeof(what), "reading SA %08x", spi);
	int rc = d ? xfrmnl_sa_build_get_request(d, spi, IPPROTO_ESP, mark,
							   mark ? 0xffffffffu : 0, &msg) : -NLE_NOMEM;
	nl_addr_put(d);
	if (rc < 0)
		return dpk_errno(rc);
	rc = dpk_talk(sk, msg, stats_one, &c, what, -NLE_OBJ_NOTFOUND);
	if (rc == 0 && !c.found)
		rc = -NLE_OBJ_NOTFOUND;
	return dpk_errno(rc);
}

/* ---- policies ---- */

static struct xfrmnl_sp *policy_obj(const struct dpk_flow *f, int dir)
{
	struct xfrmnl_sp *sp = xfrmnl_sp_alloc();
	bool out = dir == XFRM_POLICY_OUT;
	struct xfrmnl_sel *sel = out ? flow_sel(f->local, f->remote, f->vti)
				     : flow_sel(f->remote, f->local, f->vti);
	if (!sp || !sel) {
		xfrmnl_sp_put(sp);
		xfrmnl_sel_put(sel);
		return NULL;
	}
	xfrmnl_sp_set_sel(sp, sel);
	xfrmnl_sel_put(sel);
	xfrmnl_sp_set_dir(sp, (unsigned)dir);
	if (f->mark)
		xfrmnl_sp_set_mark(sp, f->mark, 0xffffffffu);
	return sp;
}

int dpk_policy_add(struct nl_sock *sk, const struct dpk_flow *f, int dir, uint32_t reqid,
		   bool replace, const char *what)
{
	bool out = dir == XFRM_POLICY_OUT;
	struct xfrmnl_sp *sp = policy_obj(f, dir);
	struct xfrmnl_ltime_cfg *lt = xfrmnl_ltime_cfg_alloc();
	struct xfrmnl_user_tmpl *t = xfrmnl_user_tmpl_alloc();
	struct nl_addr *s = v4(out ? f->local : f->remote), *d = v4(out ? f->remote : f->local);
	struct nl_msg *msg = NULL;
	int rc = -NLE_NOMEM;
	if (!sp || !lt || !t || !s || !d) {
		xfrmnl_user_tmpl_free(t);
		goto out;
	}
	xfrmnl_sp_set_action(sp, XFRM_POLICY_ALLOW);
	xfrmnl_ltime_cfg_set_soft_bytelimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_bytelimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_soft_packetlimit(lt, XFRM_INF);
	xfrmnl_ltime_cfg_set_hard_packetlimit(lt, XFRM_INF);
	xfrmnl_sp_set_lifetime_cfg(sp, lt);
	xfrmnl_user_tmpl_set_family(t, AF_INET);
	xfrmnl_user_tmpl_set_saddr(t, s);
	xfrmnl_user_tmpl_set_daddr(t, d);
	xfrmnl_user_tmpl_set_proto(t, IPPROTO_ESP);
	xfrmnl_user_tmpl_set_mode(t, f->vti ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT);
	xfrmnl_user_tmpl_set_reqid(t, reqid);
	/* all algorithms: IKE chose one, the state says which */
	xfrmnl_user_tmpl_set_aalgos(t, ~0u);
	xfrmnl_user_tmpl_set_ealgos(t, ~0u);
	xfrmnl_user_tmpl_set_calgos(t, ~0u);
	xfrmnl_sp_add_usertemplate(sp, t); /* the policy owns it now */
	rc = replace ? xfrmnl_sp_build_update_request(sp, 0, &msg)
		     : xfrmnl_sp_build_add_request(sp, 0, &msg);
	if (rc < 0)
		log_err("kernel dataplane: %s: %s", what, nl_geterror(rc));
	else
		rc = dpk_talk(sk, msg, NULL, NULL, what, 0);
out:
	nl_addr_put(s);
	nl_addr_put(d);
	xfrmnl_ltime_cfg_put(lt);
	xfrmnl_sp_put(sp);
	return dpk_errno(rc);
}

int dpk_policy_del(struct nl_sock *sk, const struct dpk_flow *f, int dir, const char *what)
{
	struct xfrmnl_sp *sp = policy_obj(f, dir);
	struct nl_msg *msg = NULL;
	int rc = sp ? xfrmnl_sp_build_delete_request(sp, 0, &msg) : -NLE_NOMEM;
	if (rc >= 0)
		rc = dpk_talk(sk, msg, NULL, NULL, what, -NLE_OBJ_NOTFOUND);
	xfrmnl_sp_put(sp);
	return dpk_errno(rc);
}

/* ---- leftovers of an earlier vtid ---- */

struct found {
	size_t n, cap;
	struct {
		struct in_addr dst;
		uint32_t spi;
		uint32_t index;
		uint32_t mark; /* the entry's own (value; mask ~0), 0 = none */
		uint8_t dir;
	} * v;
};

static int found_add(struct found *f)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		void *v = realloc(f->v, cap * sizeof(*f->v));
		if (!v)
			return -NLE_NOMEM;
		f->v = v;
		f->cap = cap;
	}
	memset(&f->v[f->n], 0, sizeof(f->v[0]));
	return 0;
}

/* The mark vtid gives an entry (value, mask ~0), 0 when it has none. */
static uint32_t entry_mark(const struct nlmsghdr *m, size_t hdr)
{
	const struct nlattr *a = find_attr(m, hdr, XFRMA_MARK);
	if (!a || nla_len(a) < (int)sizeof(struct xfrm_mark))
		return 0;
	const struct xfrm_mark *mk = nla_data(a);
	return mk->m == 0xffffffffu ? mk->v : 0;
}

static int found_state(const struct nlmsghdr *m, void *arg)
{
	struct found *f = arg;
	if (m->nlmsg_type != XFRM_MSG_NEWSA ||
	    m->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_usersa_info)))
		return 0;
	const struct xfrm_usersa_info *p = NLMSG_DATA(m);
	if (p->family != AF_INET || p->id.proto != IPPROTO_ESP || !dpk_reqid_ours(p->reqid))
		return 0;
	if (found_add(f) < 0)
		return -NLE_NOMEM;
	memcpy(&f->v[f->n].dst, &p->id.daddr.a4, 4);
	f->v[f->n].mark = entry_mark(m, sizeof(*p));
	f->v[f->n++].spi = ntohl(p->id.spi);
	return 0;
}

static int found_policy(const struct nlmsghdr *m, void *arg)
{
	struct found *f = arg;
	if (m->nlmsg_type != XFRM_MSG_NEWPOLICY ||
	    m->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_userpolicy_info)))
		return 0;
	const struct xfrm_userpolicy_info *p = NLMSG_DATA(m);
	const struct nlattr *a = find_attr(m, sizeof(*p), XFRMA_TMPL);
	if (!a || nla_len(a) < (int)sizeof(struct xfrm_user_tmpl))
		return 0;
	const struct xfrm_user_tmpl *t = nla_data(a);
	if (!dpk_reqid_ours(t->reqid))
		return 0;
	if (found_add(f) < 0)
		return -NLE_NOMEM;
	f->v[f->n].mark = entry_mark(m, sizeof(*p));
	f->v[f->n].index = p->index;
	f->v[f->n++].dir = p->dir;
	return 0;
}

static int dump(struct nl_sock *sk, int type, dpk_msg_fn fn, struct found *f, const char *what)
{
	struct nl_msg *msg = nlmsg_alloc_simple(type, NLM_F_DUMP);
	if (!msg)
		return -NLE_NOMEM;
	return dpk_talk(sk, msg, fn, f, what, 0);
}

int dpk_xfrm_flush_ours(struct nl_sock *sk)
{
	struct found st = {0}, po = {0};
	int n = 0, rc = dump(sk, XFRM_MSG_GETSA, found_state, &st, "listing XFRM states");
	if (rc == 0)
		rc = dump(sk, XFRM_MSG_GETPOLICY, found_policy, &po, "listing XFRM policies");
	for (size_t i = 0; rc == 0 && i < po.n; i++) {
		struct xfrmnl_sp *sp = xfrmnl_sp_alloc();
		struct nl_msg *msg = NULL;
		if (!sp)
			break;
		xfrmnl_sp_set_index(sp, po.v[i].index);
		xfrmnl_sp_set_dir(sp, po.v[i].dir);
		if (po.v[i].mark)
			xfrmnl_sp_set_mark(sp, po.v[i].mark, 0xffffffffu);
		if (xfrmnl_sp_build_delete_request(sp, 0, &msg) >= 0 &&
		    dpk_talk(sk, msg, NULL, NULL, "removing a leftover XFRM policy",
			     -NLE_OBJ_NOTFOUND) == 0)
			n++;
		xfrmnl_sp_put(sp);
	}
	for (size_t i = 0; rc == 0 && i < st.n; i++)
		if (dpk_state_del(sk, st.v[i].dst, st.v[i].spi, st.v[i].mark,
				  "removing a leftover XFRM state") == 0)
			n++;
	free(st.v);
	free(po.v);
	return rc < 0 ? dpk_errno(rc) : n;
}

/* ---- events ---- */

int dpk_expire_parse(const struct nlmsghdr *nlh, size_t len, struct dpk_expire *out)
{
	memset(out, 0, sizeof(*out));
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len || nlh->nlmsg_type != XFRM_MSG_EXPIRE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_user_expire)))
		return -EINVAL;
	const struct xfrm_user_expire *e = NLMSG_DATA(nlh);
	const struct xfrm_usersa_info *p = &e->state;
	if (p->family != AF_INET || p->id.proto != IPPROTO_ESP || !dpk_reqid_ours(p->reqid))
		return -EINVAL;
	out->spi = ntohl(p->id.spi);
	out->reqid = p->reqid;
	memcpy(&out->dst, &p->id.daddr.a4, 4);
	memcpy(&out->src, &p->saddr.a4, 4);
	out->hard = e->hard;
	out->packets = p->curlft.packets;
	out->bytes = p->curlft.bytes;
	out->replay_fail = (uint64_t)p->stats.replay + p->stats.replay_window;
	out->auth_fail = p->stats.integrity_failed;
	return 0;
}

/* The template names the reqid, and so the link; the kernel puts it in
 * XFRMA_TMPL after the fixed part. */
int dpk_acquire_parse(const struct nlmsghdr *nlh, size_t len, struct dpk_acquire *out)
{
	memset(out, 0, sizeof(*out));
	if (len < NLMSG_HDRLEN || nlh->nlmsg_len > len || nlh->nlmsg_type != XFRM_MSG_ACQUIRE ||
	    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct xfrm_user_acquire)))
		return -EINVAL;
	const struct xfrm_user_acquire *a = NLMSG_DATA(nlh);
	const struct nlattr *t = find_attr(nlh, sizeof(*a), XFRMA_TMPL);
	if (a->policy.sel.family != AF_INET || !t ||
	    nla_len(t) < (int)sizeof(struct xfrm_user_tmpl))
		return -EINVAL;
	struct xfrm_user_tmpl tmpl;
	memcpy(&tmpl, nla_data(t), sizeof(tmpl));
	if (tmpl.id.proto != IPPROTO_ESP || !dpk_reqid_ours(tmpl.reqid))
		return -EINVAL;
	out->reqid = tmpl.reqid;
	memcpy(&out->src, &a->saddr.a4, 4);
	memcpy(&out->dst, &a->id.daddr.a4, 4);
	return 0;
}

/* ---- the probe ---- */

int dpk_xfrm_probe(struct nl_sock *sk, char *why, size_t len)
{
	struct dp_sa_cfg sa = {.spi = DPK_PROBE_SPI, .mode = DP_ESP_TRANSPORT};
	sa.encr = suite_by_name(SUITE_ENCR, "aes-gcm-256");
	if (!sa.encr) {
		snprintf(why, len, "no aes-gcm-256 suite row");
		return -EINVAL;
	}
	sa.encr_key_len = (uint8_t)(sa.encr->key_len + sa.encr->salt_len);
	struct dpk_state_key k = {.spi = DPK_PROBE_SPI, .reqid = DPK_REQID_BASE};
	inet_pton(AF_INET, "127.0.0.1", &k.src);
	inet_pton(AF_INET, DPK_PROBE_DST, &k.dst);
	/* an earlier probe that was killed half-way; quiet: failures are the answer */
	dpk_state_del(sk, k.dst, k.spi, 0, NULL);
	int rc = dpk_state_add(sk, &k, &sa, NULL);
	if (rc < 0) {
		snprintf(why, len,
			 "the kernel cannot create an ESP state with %s: %s "
			 "(needs CONFIG_INET_ESP, CONFIG_XFRM_USER, AES-GCM)",
			 sa.encr->xfrm, strerror(-rc));
		return rc;
	}
	dpk_state_del(sk, k.dst, k.spi, 0, "probe: removing its ESP state");
	return 0;
}
