/* dp_kernel_int.h: the kernel data-plane backend's insides, shared by
 *   dp_kernel.c       dp_kernel_ops: links (GRE devices through libnl-route),
 *                     carrier, the SA book-keeping and make-before-break,
 *                     counters, expiry events, the probe, leftovers;
 *   dp_kernel_xfrm.c  XFRM through libnl-xfrm: states, policies, their
 *                     counters, the dumps that find leftovers, and the pure
 *                     parameter building (unit-tested: test_gre_kernel.c).
 *
 * Ownership: everything this backend creates carries vtid's mark, and
 * nothing else is ever changed or removed:
 *   - XFRM states and policies: a reqid in DPK_REQID_BASE..+0xffff (link
 *     slot s uses DPK_REQID_BASE + 2s, and + 1 for an outbound SA that
 *     waits; the probe uses DPK_REQID_BASE itself);
 *   - devices: the interface group DPK_GROUP (IFLA_GROUP, set in the very
 *     message that creates the device, so no unmarked device can be left);
 *   - a VTI link's states and policies also carry its XFRM mark
 *     (dpk_vti_mark: the device's ikey and okey), without which the kernel
 *     neither finds them for its traffic nor lets them be deleted.
 * One vtid per network namespace: at start it removes every marked entry
 * (an earlier vtid was killed), so a second one would take the first's. */
#ifndef VTID_GRE_DP_KERNEL_INT_H
#define VTID_GRE_DP_KERNEL_INT_H

#include <linux/xfrm.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "gre/dp.h"

struct nl_sock;
struct nlmsghdr;

#define DPK_REQID_BASE 0x76740000u /* "vt" */
#define DPK_REQID_MASK 0xffff0000u
#define DPK_GROUP      0x7674u
#define DPK_MAX_SLOT   0x7fffu
#define DPK_PROBE_DEV  "vtidprobe0"
#define DPK_PROBE_SPI  0x767400ffu
#define DPK_PROBE_DST  "127.255.255.254" /* never a tunnel endpoint */

static inline bool dpk_reqid_ours(uint32_t reqid)
{
	return (reqid & DPK_REQID_MASK) == DPK_REQID_BASE;
}

static inline uint32_t dpk_reqid(unsigned slot, bool parked)
{
	return DPK_REQID_BASE + 2 * slot + (parked ? 1 : 0);
}

/* A VTI link's mark: its reqid, unique per link and recognisably vtid's. */
static inline uint32_t dpk_vti_mark(unsigned slot)
{
	return dpk_reqid(slot, false);
}

/* What one link's XFRM entries select and how they protect it. */
struct dpk_flow {
	struct in_addr local, remote; /* the outer tunnel endpoints */
	/* false: GRE between the endpoints, ESP transport (tunnel source/32
	 * <-> destination/32, protocol 47); true: native VTI, ESP tunnel mode
	 * between the endpoints for 0.0.0.0/0 <-> 0.0.0.0/0, any protocol,
	 * only for packets with `mark` (the vti device sets it both ways) */
	bool vti;
	uint32_t mark; /* 0 = none; else value with mask 0xffffffff */
};

/* ---- pure parameter building (no netlink) ---- */

/* The kernel's algorithm attributes for one SA, from its suite rows. */
struct dpk_alg {
	bool aead;
	const char *enc_name;  /* XFRMA_ALG_AEAD or XFRMA_ALG_CRYPT name */
	uint32_t enc_key_bits; /* AEAD: key and salt together (RFC 4106 keymat) */
	uint32_t icv_bits;     /* AEAD: ICV length */
	const char *auth_name; /* XFRMA_ALG_AUTH_TRUNC name, NULL for AEAD */
	uint32_t auth_key_bits;
	uint32_t auth_trunc_bits;
};
/* 0, -EINVAL (sizes that do not fit the rows, AEAD with integrity or CBC
 * without), -ENOTSUP (a row the kernel has no name for). */
int dpk_alg_from_sa(const struct dp_sa_cfg *sa, struct dpk_alg *out);

/* The anti-replay shape: a legacy 32-bit window in xfrm_usersa_info, or
 * XFRMA_REPLAY_ESN_VAL (bitmap mode) for ESN or a window above 32. */
struct dpk_replay {
	uint8_t legacy_window; /* xfrm_usersa_info.replay_window */
	bool esn_attr;	       /* send XFRMA_REPLAY_ESN_VAL */
	uint32_t window;       /* its replay_window */
	uint32_t bmp_len;      /* its bitmap, in 32-bit words */
};
void dpk_replay_from_sa(const struct dp_sa_cfg *sa, struct dpk_replay *out);

/* A byte or packet limit: 0 (none) is XFRM_INF to the kernel. */
static inline uint64_t dpk_limit(uint64_t v)
{
	return v ? v : XFRM_INF;
}

/* The newest 128 bits of a bitmap-mode window (kernel layout: the bit of
 * sequence s is (s - 1) mod window), bit 0 = `top`, as dp_sa_stats wants. */
void dpk_bitmap_newest(const uint32_t *bmp, uint32_t bmp_len, uint32_t window, uint64_t top,
		       uint32_t out[4]);

/* libnl error (negative NLE_*) -> -errno for dp_ops callers. */
int dpk_errno(int nle);

/* ---- XFRM (dp_kernel_xfrm.c); every failure is logged with `what` ---- */

struct dpk_state_key {
	struct in_addr src, dst; /* outer addresses of this direction */
	uint32_t spi;		 /* host order */
	uint32_t reqid;
	bool vti;		 /* selector 0/0 any protocol (else GRE src/32 -> dst/32) */
	uint32_t mark;		 /* 0 = none */
	/* ESP in UDP (UDP_ENCAP_ESPINUDP) from encap_sport to encap_dport of
	 * this direction, host order; 0 = raw ESP */
	uint16_t encap_sport, encap_dport;
};
int dpk_state_add(struct nl_sock *sk, const struct dpk_state_key *k, const struct dp_sa_cfg *sa,
		  const char *what);
/* -ENOENT (quietly) when the kernel has no such state (it expired).
 * `mark`: the state's (0 = none); the kernel finds a marked state only
 * with its mark. */
int dpk_state_del(struct nl_sock *sk, struct in_addr dst, uint32_t spi, uint32_t mark,
		  const char *what);
/* Counters, sequence numbers and the replay bitmap of one state. */
int dpk_state_stats(struct nl_sock *sk, struct in_addr dst, uint32_t spi, uint32_t mark,
		    bool inbound, struct dp_sa_stats *out);

/* The flow's policy in direction dir, XFRM_POLICY_OUT (local -> remote)
 * or XFRM_POLICY_IN (remote -> local), with one ESP template (transport,
 * or tunnel between the endpoints for VTI) naming `reqid`. */
int dpk_policy_add(struct nl_sock *sk, const struct dpk_flow *f, int dir, uint32_t reqid,
		   bool replace, const char *what);
int dpk_policy_del(struct nl_sock *sk, const struct dpk_flow *f, int dir, const char *what);

/* Removes every state and policy with one of vtid's reqids; returns how
 * many, or -errno. */
int dpk_xfrm_flush_ours(struct nl_sock *sk);

/* An XFRM_MSG_EXPIRE for one of vtid's states. */
struct dpk_expire {
	uint32_t spi, reqid;
	struct in_addr src, dst;
	bool hard;
	uint64_t packets, bytes, replay_fail, auth_fail;
};
/* 0 and *out filled, or -EINVAL (not an expire message, truncated, not ours). */
int dpk_expire_parse(const struct nlmsghdr *nlh, size_t len, struct dpk_expire *out);

/* XFRM_MSG_ACQUIRE: traffic matched one of our policies and the kernel
 * has no state for it; reqid from the policy's template. */
struct dpk_acquire {
	uint32_t reqid;
	struct in_addr src, dst;
};
/* 0 and *out filled, or -EINVAL (not an acquire, truncated, not ours). */
int dpk_acquire_parse(const struct nlmsghdr *nlh, size_t len, struct dpk_acquire *out);

/* A socket for requests (NETLINK_XFRM), or the listener for expire and
 * acquire events. */
int dpk_xfrm_socket(struct nl_sock **out, bool events);
/* The probe: an ESP state (rfc4106, transport) added and removed. */
int dpk_xfrm_probe(struct nl_sock *sk, char *why, size_t len);

#endif
