/* dp_kernel.c: the kernel data-plane backend, dp_kernel_ops (dataplane kernel).
 *
 * A link is a kernel GRE device named after the interface (libnl-route:
 * local, remote, key, TTL 64, DF by pmtudisc, MTU, the inner address), in
 * vtid's interface group, and for a protected link two XFRM policies,
 * GRE local/32 -> remote/32 out and back in, each with one ESP template
 * (transport, the link's reqid).  A Child SA is two XFRM states with that
 * reqid (dp_kernel_xfrm.c).
 * A native VTI link (`tunnel mode ipsec ipv4`) is a `vti` device instead
 * (ip_vti; rtnl_link_ipvti_*) whose ikey and okey are the link's mark: the
 * device marks what it sends and receives, and only entries with that
 * mark match, so its policies can select 0.0.0.0/0 <-> 0.0.0.0/0 (ESP
 * tunnel mode between the endpoints) and its states carry the mark too.
 * XFRM interfaces (if_id) are not used: libnl 3.7 has no if_id for states
 * and policies, and the kernel this is tested on has none.
 * ESP in UDP (NAT-T): the IKE socket of port 4500 gets UDP_ENCAP_ESPINUDP
 * (the kernel then takes ESP off it, and IKE with its zero marker still
 * reaches vtid), the states an encap template with the SA's ports.  Carrier is the device's admin state: it is
 * down until the tunnel layer raises carrier (a Child SA is installed), as
 * the userspace backend keeps carrier off; a down GRE device neither sends
 * nor receives.
 *
 * Make-before-break, mapped onto the kernel.  Several inbound states may
 * share the reqid: the SPI picks the state, the policy check accepts any
 * state of the reqid.  Outbound, the kernel picks for the policy's
 * template the valid state of that reqid and address pair that is not
 * dying (soft-expired), then the newest; adding a state invalidates the
 * cached routes through the older ones (state genid).  So:
 *   - sa_add outbound: the new state is the newest: current at once;
 *   - with `defer` (answering a rekey) while a current outbound SA and the
 *     pair's inbound SA exist, the state is installed under the link's
 *     second reqid ("parked"), which no policy names, so it carries
 *     nothing.  A timer reads the pair's inbound state every DPK_POLL_MS;
 *     once it has counted a packet, the parked state is removed and added
 *     again under the link's reqid (it never sent a packet: nothing is
 *     lost by re-adding it), and it is the newest: current;
 *   - an outbound SA added later without defer cancels the wait;
 *   - sa_del of the current outbound state: the kernel falls back to the
 *     newest remaining state of the reqid by itself; when the newest
 *     remaining outbound SA is parked it is promoted first, as dp.h says.
 * Gaps, exactly: (1) the switch after the pair's first packet waits for
 * the next poll (up to DPK_POLL_MS; the old SA carries meanwhile); (2) the
 * kernel prefers a state that is not dying over a newer dying one, so if
 * the current outbound state has soft-expired and an older one has not
 * (an older pair whose own limit is farther away), the older one carries;
 * (3) the kernel's add_time has a resolution of one second: two states
 * added in the same second tie, and the one found first wins (the newest:
 * states are inserted at the head of their hash chain).
 * A parked SA keeps its keys in memory (wiped when it is promoted or
 * removed): promoting it means adding it again.
 *
 * Lifetimes: byte and packet limits are the states' own soft/hard limits;
 * the kernel's XFRM_MSG_EXPIRE (group XFRMNLGRP_EXPIRE) comes in on a
 * socket of its own and becomes DP_EV_SOFT_EXPIRE / DP_EV_HARD_EXPIRE.  A
 * hard-expired state is removed by the kernel; its last counters are kept.
 * The same socket hears XFRM_MSG_ACQUIRE (group XFRMNLGRP_ACQUIRE): a
 * packet matched a link's policy and the kernel has no state for it,
 * which, with the device down until a Child SA is installed, means our
 * states were removed behind our back; it becomes DP_EV_ACQUIRE.
 * event_fd is an epoll set of that socket and the poll timer.
 *
 * Not in this backend yet, refused with a logged reason (never accepted
 * and ignored): ESP tunnel mode for a GRE link, ip tcp adjust-mss, GRE
 * keepalives, DF clear, an unprotected VTI.  The rest of the
 * ownership rules are in dp_kernel_int.h. */
#include "gre/dp_kernel_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netlink/errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/ipgre.h>
#include <netlink/route/link/ipvti.h>
#include <netlink/socket.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "gre/tun.h"
#include "lib/ifaddr.h"
#include "lib/log.h"

/* GRE flags as IFLA_GRE_[IO]FLAGS carry them (linux/if_tunnel.h, which
 * clashes with net/if.h) */
#define DPK_GRE_CSUM 0x8000
#define DPK_GRE_KEY  0x2000
#define DPK_GRE_SEQ  0x1000

enum { DPK_POLL_MS = 20, DPK_TTL = 64, DPK_PATH_MTU = 1500 };

struct dpk_sa {
	struct dpk_sa *next;
	uint32_t spi;
	bool inbound;
	bool parked;  /* outbound: under the park reqid, carries nothing */
	bool waiting; /* parked: promoted when pair_spi counts a packet */
	bool gone;    /* the kernel removed it (hard expiry); `last` holds its counters */
	uint32_t pair_spi;
	struct dp_sa_cfg *cfg; /* parked only: to add it again under the link's reqid */
	struct dp_sa_stats last;
	uint64_t order; /* add order: higher is newer */
	uint64_t added_ms;
};

struct dp_link {
	struct dp *dp;
	struct dp_link *next;
	struct dp_link_cfg cfg;
	struct dpk_flow flow; /* what its XFRM entries select, their mark */
	unsigned slot;
	int ifindex;
	bool carrier;
	bool policies;
	uint16_t mtu;
	struct dpk_sa *sas;
	/* counters of states already removed, so the link's never go back */
	uint64_t old_out_pkts, old_in_pkts, old_out_bytes, old_in_bytes, old_replay, old_auth;
};

struct dp {
	struct dp_init init;
	struct nl_sock *rt; /* NETLINK_ROUTE: devices, addresses */
	struct nl_sock *xf; /* NETLINK_XFRM requests */
	struct nl_sock *ev; /* NETLINK_XFRM, expire events */
	int epfd, timerfd;
	bool timer_armed;
	bool natt; /* the IKE 4500 socket decapsulates ESP in UDP for the kernel */
	struct dp_link *links;
	uint64_t next_order;
	uint8_t slot_used[(DPK_MAX_SLOT + 1) / 8];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct nl_addr *v4(struct in_addr a)
{
	return nl_addr_build(AF_INET, &a, sizeof(a));
}

static int route_socket(struct nl_sock **out)
{
	struct nl_sock *sk = nl_socket_alloc();
	*out = NULL;
	if (!sk)
		return -ENOMEM;
	int rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		log_err("kernel dataplane: route netlink socket: %s", nl_geterror(rc));
		nl_socket_free(sk);
		return dpk_errno(rc);
	}
	*out = sk;
	return 0;
}

/* ---- devices ---- */

static int dev_delete(struct nl_sock *rt, int ifindex, const char *name, const char *what)
{
	struct rtnl_link *l = rtnl_link_alloc();
	if (!l)
		return -ENOMEM;
	if (ifindex > 0)
		rtnl_link_set_ifindex(l, ifindex);
	rtnl_link_set_name(l, name);
	int rc = rtnl_link_delete(rt, l);
	rtnl_link_put(l);
	if (rc < 0 && rc != -NLE_OBJ_NOTFOUND && rc != -NLE_NODEV && what)
		log_err("kernel dataplane: %s: removing device %s: %s", what, name,
			nl_geterror(rc));
	return dpk_errno(rc);
}

/* Admin state and/or MTU (mtu 0: unchanged). */
static int dev_change(struct nl_sock *rt, int ifindex, const char *name, int up, unsigned mtu)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	int rc = -NLE_NOMEM;
	if (orig && chg) {
		rtnl_link_set_ifindex(orig, ifindex);
		rtnl_link_set_name(orig, name);
		ifaddr_link_change(chg, up, mtu);
		rc = rtnl_link_change(rt, orig, chg, 0);
		if (rc < 0)
			log_err("kernel dataplane: %s: setting %s%s: %s", name,
				up < 0 ? ""
				: up   ? "admin up"
				       : "admin down",
				mtu ? " MTU" : "", nl_geterror(rc));
	}
	rtnl_link_put(orig);
	rtnl_link_put(chg);
	return dpk_errno(rc);
}

/* A GRE device in vtid's group, down. */
static int dev_create(struct nl_sock *rt, const char *name, const struct dp_link_cfg *c,
		      uint16_t mtu, const char *what)
{
	struct rtnl_link *l = rtnl_link_ipgre_alloc();
	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, name);
	rtnl_link_set_group(l, DPK_GROUP);
	if (mtu)
		rtnl_link_set_mtu(l, mtu);
	rtnl_link_ipgre_set_local(l, c->local.s_addr);
	rtnl_link_ipgre_set_remote(l, c->remote.s_addr);
	rtnl_link_ipgre_set_ttl(l, DPK_TTL);
	/* pmtudisc on: DF always set; off: DF copied from the inner header */
	rtnl_link_ipgre_set_pmtudisc(l, c->df == DP_DF_SET ? 1 : 0);
	uint16_t iflags = 0, oflags = 0;
	if (c->gre_key_set) {
		iflags |= DPK_GRE_KEY;
		oflags |= DPK_GRE_KEY;
		rtnl_link_ipgre_set_ikey(l, htonl(c->gre_key));
		rtnl_link_ipgre_set_okey(l, htonl(c->gre_key));
	}
	if (c->gre_seq) {
		iflags |= DPK_GRE_SEQ;
		oflags |= DPK_GRE_SEQ;
	}
	if (c->gre_csum)
		oflags |= DPK_GRE_CSUM;
	rtnl_link_ipgre_set_iflags(l, htons(iflags));
	rtnl_link_ipgre_set_oflags(l, htons(oflags));
	int rc = rtnl_link_add(rt, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	if (rc < 0 && what)
		log_err("kernel dataplane: %s: creating GRE device %s: %s", what, name,
			nl_geterror(rc));
	return dpk_errno(rc);
}

static int dev_ifindex(struct nl_sock *rt, const char *name)
{
	struct rtnl_link *l = NULL;
	int rc = rtnl_link_get_kernel(rt, 0, name, &l);
	if (rc < 0) {
		log_err("kernel dataplane: reading device %s: %s", name, nl_geterror(rc));
		return dpk_errno(rc);
	}
	int idx = rtnl_link_get_ifindex(l);
	rtnl_link_put(l);
	return idx > 0 ? idx : -ENODEV;
}

static int dev_addr(struct nl_sock *rt, int ifindex, const char *name, struct in_addr a,
		    uint8_t plen)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *na = v4(a);
	int rc = -NLE_NOMEM;
	if (ra && na) {
		nl_addr_set_prefixlen(na, plen);
		rtnl_addr_set_ifindex(ra, ifindex);
		rtnl_addr_set_local(ra, na);
		rc = rtnl_addr_add(rt, ra, 0);
		if (rc < 0)
			log_err("kernel dataplane: %s: adding address %s/%u: %s", name,
				inet_ntoa(a), plen, nl_geterror(rc));
	}
	nl_addr_put(na);
	rtnl_addr_put(ra);
	return dpk_errno(rc);
}

/* A vti device in vtid's group, down: ESP tunnel mode between the
 * endpoints, its packets marked `mark` both ways (ikey = okey), and the
 * inner packets it delivers exempt from a second policy check (the
 * device's own check, with the mark, has been made; without the mark no
 * policy matches and the kernel would drop them). */
static int vti_create(struct nl_sock *rt, const struct dp_link_cfg *c, uint32_t mark, uint16_t mtu,
		      const char *what)
{
	struct rtnl_link *l = rtnl_link_ipvti_alloc();
	if (!l)
		return -ENOMEM;
	rtnl_link_set_name(l, c->name);
	rtnl_link_set_group(l, DPK_GROUP);
	if (mtu)
		rtnl_link_set_mtu(l, mtu);
	rtnl_link_ipvti_set_local(l, c->local.s_addr);
	rtnl_link_ipvti_set_remote(l, c->remote.s_addr);
	rtnl_link_ipvti_set_ikey(l, htonl(mark));
	rtnl_link_ipvti_set_okey(l, htonl(mark));
	int rc = rtnl_link_add(rt, l, NLM_F_CREATE | NLM_F_EXCL);
	rtnl_link_put(l);
	if (rc < 0) {
		log_err("kernel dataplane: %s: creating vti device %s: %s%s", what, c->name,
			nl_geterror(rc),
			rc == -NLE_OPNOTSUPP ? " (needs CONFIG_NET_IPVTI, module ip_vti)" : "");
		return dpk_errno(rc);
	}
	char path[96];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/disable_policy", c->name);
	FILE *f = fopen(path, "w");
	if (!f) {
		rc = -errno;
	} else {
		rc = fputs("1", f) < 0 ? -EIO : 0;
		if (fclose(f) != 0 && !rc)
			rc = -errno;
	}
	if (rc < 0) {
		log_err("kernel dataplane: %s: setting %s: %s", what, path, strerror(-rc));
		dev_delete(rt, 0, c->name, what);
	}
	return rc;
}

/* Every GRE or vti device in vtid's group (an earlier vtid's). */
static int dev_flush_ours(struct nl_sock *rt)
{
	struct nl_cache *cache = NULL;
	int rc = rtnl_link_alloc_cache(rt, AF_UNSPEC, &cache), n = 0;
	if (rc < 0) {
		log_err("kernel dataplane: listing devices: %s", nl_geterror(rc));
		return dpk_errno(rc);
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *l = (struct rtnl_link *)o;
		const char *type = rtnl_link_get_type(l);
		if (rtnl_link_get_group(l) != DPK_GROUP || !type ||
		    (strcmp(type, "gre") != 0 && strcmp(type, "vti") != 0))
			continue;
		if (dev_delete(rt, rtnl_link_get_ifindex(l), rtnl_link_get_name(l),
			       "leftover of an earlier vtid") == 0)
			n++;
	}
	nl_cache_free(cache);
	return n;
}

/* ---- the probe (available) ---- */

static char probe_why[320];

static bool probe_kernel(void)
{
	struct nl_sock *rt = NULL, *xf = NULL;
	bool ok = false;
	if (route_socket(&rt) < 0 || dpk_xfrm_socket(&xf, false) < 0) {
		snprintf(probe_why, sizeof(probe_why), "no route or XFRM netlink socket");
		goto out;
	}
	struct dp_link_cfg c = {.df = DP_DF_SET};
	inet_pton(AF_INET, "127.0.0.1", &c.local);
	inet_pton(AF_INET, DPK_PROBE_DST, &c.remote);
	dev_delete(rt, 0, DPK_PROBE_DEV, NULL);		     /* a probe that was killed half-way */
	int rc = dev_create(rt, DPK_PROBE_DEV, &c, 0, NULL); /* quiet: a failure is the answer */
	if (rc < 0) {
		snprintf(probe_why, sizeof(probe_why),
			 "the kernel cannot create a GRE device: %s (needs CONFIG_NET_IPGRE, "
			 "module ip_gre)",
			 strerror(-rc));
		goto out;
	}
	dev_delete(rt, 0, DPK_PROBE_DEV, "probe");
	if (dpk_xfrm_probe(xf, probe_why, sizeof(probe_why)) < 0)
		goto out;
	snprintf(probe_why, sizeof(probe_why),
		 "the kernel creates GRE devices and ESP states (rfc4106(gcm(aes)))");
	ok = true;
out:
	nl_socket_free(rt);
	nl_socket_free(xf);
	return ok;
}

static bool dpk_available(void)
{
	static int probed = -1;
	if (probed < 0)
		probed = probe_kernel();
	return probed;
}

static const char *dpk_why(void)
{
	dpk_available();
	return probe_why;
}

/* ---- create / destroy ---- */

static void dpk_link_del(struct dp_link *l);

static void dpk_destroy(struct dp *dp)
{
	if (!dp)
		return;
	while (dp->links)
		dpk_link_del(dp->links);
	if (dp->epfd >= 0)
		close(dp->epfd);
	if (dp->timerfd >= 0)
		close(dp->timerfd);
	nl_socket_free(dp->rt);
	nl_socket_free(dp->xf);
	nl_socket_free(dp->ev);
	free(dp);
}

static int dpk_create(const struct dp_init *init, struct dp **out)
{
	*out = NULL;
	struct dp *dp = calloc(1, sizeof(*dp));
	if (!dp)
		return -ENOMEM;
	dp->init = *init;
	dp->epfd = dp->timerfd = -1;
	dp->slot_used[0] = 1; /* slot 0: the probe's reqid */
	int rc;
	if ((rc = route_socket(&dp->rt)) < 0 || (rc = dpk_xfrm_socket(&dp->xf, false)) < 0 ||
	    (rc = dpk_xfrm_socket(&dp->ev, true)) < 0)
		goto fail;
	dp->epfd = epoll_create1(EPOLL_CLOEXEC);
	dp->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (dp->epfd < 0 || dp->timerfd < 0) {
		rc = -errno;
		goto fail;
	}
	struct epoll_event e1 = {.events = EPOLLIN, .data.u32 = 1},
			   e2 = {.events = EPOLLIN, .data.u32 = 2};
	if (epoll_ctl(dp->epfd, EPOLL_CTL_ADD, nl_socket_get_fd(dp->ev), &e1) < 0 ||
	    epoll_ctl(dp->epfd, EPOLL_CTL_ADD, dp->timerfd, &e2) < 0) {
		rc = -errno;
		goto fail;
	}
	/* what a killed vtid left: devices first (their routes go), then XFRM */
	int nd = dev_flush_ours(dp->rt), nx = dpk_xfrm_flush_ours(dp->xf);
	if (nd < 0 || nx < 0) {
		rc = nd < 0 ? nd : nx;
		goto fail;
	}
	if (nd || nx)
		log_notice("kernel dataplane: removed what an earlier vtid left: %d device%s, "
			   "%d XFRM state%s and policies",
			   nd, nd == 1 ? "" : "s", nx, nx == 1 ? "" : "s");
	/* ESP in UDP: the kernel takes it off the IKE socket of port 4500
	 * (a zero non-ESP marker still reaches IKE), and sends it from the
	 * states' encap templates */
	int encap = UDP_ENCAP_ESPINUDP;
	if (init->udp_encap_fd < 0)
		log_info("kernel dataplane: no IKE socket on port 4500: ESP in UDP (NAT-T) "
			 "is refused");
	else if (setsockopt(init->udp_encap_fd, IPPROTO_UDP, UDP_ENCAP, &encap, sizeof(encap)) <
		 0)
		log_err("kernel dataplane: UDP_ENCAP_ESPINUDP on the IKE socket of port 4500: %s "
			"(ESP in UDP, NAT-T, is refused)",
			strerror(errno));
	else
		dp->natt = true;
	*out = dp;
	return 0;
fail:
	dpk_destroy(dp);
	return rc;
}

/* ---- links ---- */

static int slot_alloc(struct dp *dp)
{
	for (unsigned s = 1; s <= DPK_MAX_SLOT; s++)
		if (!(dp->slot_used[s / 8] >> (s % 8) & 1)) {
			dp->slot_used[s / 8] |= (uint8_t)(1u << (s % 8));
			return (int)s;
		}
	return -ENOSPC;
}

static void slot_free(struct dp *dp, unsigned s)
{
	if (s && s <= DPK_MAX_SLOT)
		dp->slot_used[s / 8] &= (uint8_t) ~(1u << (s % 8));
}

/* What this backend does not do yet: refused here, with the reason. */
static int link_refused(const struct dp_link_cfg *c)
{
	const char *why = NULL;
	if (c->encap == DP_ENCAP_NONE && !c->protected)
		why = "an unprotected tunnel mode ipsec ipv4";
	else if (c->tcp_mss)
		why = "ip tcp adjust-mss";
	else if (c->keepalive_period)
		why = "GRE keepalive";
	else if (c->df == DP_DF_CLEAR)
		why = "clearing DF";
	if (!why)
		return 0;
	log_err("kernel dataplane: %s: %s is not supported by the kernel backend yet "
		"(dataplane userspace has it)",
		c->name, why);
	return -EOPNOTSUPP;
}

static int dpk_link_add(struct dp *dp, const struct dp_link_cfg *cfg, struct dp_link **out)
{
	*out = NULL;
	int rc = dp_link_cfg_check(cfg);
	if (rc || (rc = link_refused(cfg)))
		return rc;
	for (struct dp_link *o = dp->links; o; o = o->next)
		if ((rc = dp_link_cfg_clash(cfg, &o->cfg)))
			return rc;
	struct dp_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->dp = dp;
	l->cfg = *cfg;
	if ((rc = slot_alloc(dp)) < 0) {
		log_err("kernel dataplane: %s: no reqid left", cfg->name);
		free(l);
		return rc;
	}
	l->slot = (unsigned)rc;
	l->mtu = cfg->mtu ? cfg->mtu : dp_compute_mtu(cfg, DPK_PATH_MTU, NULL);
	l->flow.local = cfg->local;
	l->flow.remote = cfg->remote;
	l->flow.vti = cfg->encap == DP_ENCAP_NONE;
	l->flow.mark = l->flow.vti ? dpk_vti_mark(l->slot) : 0;
	char what[64];
	snprintf(what, sizeof(what), "%s", cfg->name);
	rc = l->flow.vti ? vti_create(dp->rt, cfg, l->flow.mark, l->mtu, what)
			 : dev_create(dp->rt, cfg->name, cfg, l->mtu, what);
	if (rc < 0)
		goto fail_slot;
	if ((rc = l->ifindex = dev_ifindex(dp->rt, cfg->name)) < 0)
		goto fail_dev;
	tun_disable_ipv6(cfg->name); /* best effort: no router solicitations into the tunnel */
	if (cfg->addr.s_addr &&
	    (rc = dev_addr(dp->rt, l->ifindex, cfg->name, cfg->addr, cfg->prefixlen)) < 0)
		goto fail_dev;
	if (cfg->protected) {
		uint32_t reqid = dpk_reqid(l->slot, false);
		snprintf(what, sizeof(what), "%s: adding the outbound XFRM policy", cfg->name);
		if ((rc = dpk_policy_add(dp->xf, &l->flow, XFRM_POLICY_OUT, reqid, false, what)) <
		    0)
			goto fail_dev;
		snprintf(what, sizeof(what), "%s: adding the inbound XFRM policy", cfg->name);
		if ((rc = dpk_policy_add(dp->xf, &l->flow, XFRM_POLICY_IN, reqid, false, what)) < 0) {
			dpk_policy_del(dp->xf, &l->flow, XFRM_POLICY_OUT, what);
			goto fail_dev;
		}
		l->policies = true;
	}
	l->next = dp->links;
	dp->links = l;
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &cfg->local, a, sizeof(a));
	inet_ntop(AF_INET, &cfg->remote, b, sizeof(b));
	if (l->flow.vti)
		log_info("kernel dataplane: %s: vti device (ifindex %d) %s -> %s, mark 0x%08x, "
			 "XFRM policies 0.0.0.0/0 ESP tunnel mode, MTU %u",
			 cfg->name, l->ifindex, a, b, l->flow.mark, l->mtu);
	else
		log_info("kernel dataplane: %s: GRE device (ifindex %d) %s -> %s, %s, MTU %u",
			 cfg->name, l->ifindex, a, b,
			 cfg->protected ? "XFRM policies GRE, ESP transport" : "plain GRE", l->mtu);
	*out = l;
	return 0;
fail_dev:
	dev_delete(dp->rt, l->ifindex, cfg->name, cfg->name);
fail_slot:
	slot_free(dp, l->slot);
	free(l);
	return rc;
}

static void sa_free(struct dpk_sa *s)
{
	if (!s)
		return;
	if (s->cfg) {
		OPENSSL_cleanse(s->cfg, sizeof(*s->cfg));
		free(s->cfg);
	}
	free(s);
}

static struct in_addr sa_dst(const struct dp_link *l, bool inbound)
{
	return inbound ? l->cfg.local : l->cfg.remote;
}

static void dpk_link_del(struct dp_link *l)
{
	if (!l)
		return;
	struct dp *dp = l->dp;
	char what[64];
	snprintf(what, sizeof(what), "%s: removing an SA", l->cfg.name);
	while (l->sas) {
		struct dpk_sa *s = l->sas;
		l->sas = s->next;
		if (!s->gone)
			dpk_state_del(dp->xf, sa_dst(l, s->inbound), s->spi, l->flow.mark, what);
		sa_free(s);
	}
	if (l->policies) {
		snprintf(what, sizeof(what), "%s: removing its XFRM policies", l->cfg.name);
		dpk_policy_del(dp->xf, &l->flow, XFRM_POLICY_OUT, what);
		dpk_policy_del(dp->xf, &l->flow, XFRM_POLICY_IN, what);
	}
	dev_delete(dp->rt, l->ifindex, l->cfg.name, l->cfg.name);
	struct dp_link **pp;
	for (pp = &dp->links; *pp && *pp != l; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = l->next;
	slot_free(dp, l->slot);
	free(l);
}

static int dpk_link_carrier(struct dp_link *l, bool up)
{
	int rc = dev_change(l->dp->rt, l->ifindex, l->cfg.name, up ? 1 : 0, 0);
	if (!rc)
		l->carrier = up;
	return rc;
}

/* ---- SAs ---- */

static struct dpk_sa *sa_find(struct dp_link *l, uint32_t spi, bool inbound)
{
	for (struct dpk_sa *s = l->sas; s; s = s->next)
		if (s->spi == spi && s->inbound == inbound)
			return s;
	return NULL;
}

/* The outbound SA that carries: the newest one under the link's reqid. */
static struct dpk_sa *sa_current(struct dp_link *l)
{
	struct dpk_sa *best = NULL;
	for (struct dpk_sa *s = l->sas; s; s = s->next)
		if (!s->inbound && !s->parked && !s->gone && (!best || s->order > best->order))
			best = s;
	return best;
}

static void arm_poll(struct dp *dp, bool on)
{
	if (dp->timer_armed == on)
		return;
	struct itimerspec its = {0};
	if (on)
		its.it_value.tv_nsec = its.it_interval.tv_nsec = DPK_POLL_MS * 1000000L;
	if (timerfd_settime(dp->timerfd, 0, &its, NULL) == 0)
		dp->timer_armed = on;
}

/* The kernel's view of one direction of an SA of link l. */
static void state_key(const struct dp_link *l, const struct dp_sa_cfg *sa, bool parked,
		      struct dpk_state_key *k)
{
	memset(k, 0, sizeof(*k));
	k->src = sa->inbound ? l->cfg.remote : l->cfg.local;
	k->dst = sa->inbound ? l->cfg.local : l->cfg.remote;
	k->spi = sa->spi;
	k->reqid = dpk_reqid(l->slot, parked);
	k->vti = l->flow.vti;
	k->mark = l->flow.mark;
	if (sa->natt_local_port && sa->natt_remote_port) {
		k->encap_sport = sa->inbound ? sa->natt_remote_port : sa->natt_local_port;
		k->encap_dport = sa->inbound ? sa->natt_local_port : sa->natt_remote_port;
	}
}

/* A parked outbound SA becomes the link's: added again under its reqid. */
static int promote(struct dp_link *l, struct dpk_sa *s)
{
	struct dp *dp = l->dp;
	char what[96];
	snprintf(what, sizeof(what), "%s: outbound SA %08x taking over", l->cfg.name, s->spi);
	struct dpk_state_key k;
	state_key(l, s->cfg, false, &k);
	int rc = dpk_state_del(dp->xf, k.dst, s->spi, l->flow.mark, what);
	if (rc < 0 && rc != -ENOENT)
		return rc;
	rc = dpk_state_add(dp->xf, &k, s->cfg, what);
	OPENSSL_cleanse(s->cfg, sizeof(*s->cfg));
	free(s->cfg);
	s->cfg = NULL;
	s->parked = s->waiting = false;
	if (rc < 0) {
		s->gone = true; /* removed above and not back: nothing to delete later */
		return rc;
	}
	s->order = ++dp->next_order;
	log_dbg(LOG_DBG_IPSEC, "kernel dataplane: %s: outbound SA %08x is current", l->cfg.name,
		s->spi);
	return 0;
}

/* The timer: parked SAs whose pair has carried a packet take over. */
static void poll_parked(struct dp *dp)
{
	bool any = false;
	for (struct dp_link *l = dp->links; l; l = l->next) {
		for (struct dpk_sa *s = l->sas; s; s = s->next) {
			if (!s->waiting)
				continue;
			struct dpk_sa *in = sa_find(l, s->pair_spi, true);
			struct dp_sa_stats st = {0};
			if (!in || in->gone) {
				s->waiting =
				    false; /* its pair went: it waits for sa_del of the current */
				continue;
			}
			if (dpk_state_stats(dp->xf, l->cfg.local, in->spi, l->flow.mark, true, &st) ==
				0 &&
			    st.packets > 0)
				promote(l, s);
			else
				any = true;
		}
	}
	arm_poll(dp, any);
}

static int dpk_sa_add(struct dp_link *l, const struct dp_sa_cfg *cfg)
{
	struct dp *dp = l->dp;
	if (!l->cfg.protected || cfg->spi < 256)
		return -EINVAL;
	if ((cfg->natt_local_port != 0) != (cfg->natt_remote_port != 0))
		return -EINVAL;
	if (cfg->natt_local_port && !dp->natt) {
		log_err("kernel dataplane: %s: SA %08x: ESP in UDP (NAT-T) needs the IKE socket "
			"of port 4500, which vtid does not have",
			l->cfg.name, cfg->spi);
		return -EOPNOTSUPP;
	}
	if (l->flow.vti && cfg->mode != DP_ESP_TUNNEL)
		return -EINVAL; /* dp.h: transport mode on a link without GRE */
	if (!l->flow.vti && cfg->mode != DP_ESP_TRANSPORT) {
		log_err("kernel dataplane: %s: SA %08x: ESP tunnel mode for GRE is not supported by "
			"the kernel backend yet (use `mode transport`, or `tunnel mode ipsec ipv4`)",
			l->cfg.name, cfg->spi);
		return -EOPNOTSUPP;
	}
	if (sa_find(l, cfg->spi, cfg->inbound))
		return -EEXIST;
	if (cfg->inbound)
		for (struct dp_link *o = dp->links; o; o = o->next)
			if (sa_find(o, cfg->spi, true))
				return -EEXIST;
	struct dpk_sa *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->spi = cfg->spi;
	s->inbound = cfg->inbound;
	s->pair_spi = cfg->pair_spi;
	struct dpk_sa *cur = cfg->inbound ? NULL : sa_current(l);
	struct dpk_sa *pair = cfg->defer ? sa_find(l, cfg->pair_spi, true) : NULL;
	s->parked = !cfg->inbound && cfg->defer && cur && pair && !pair->gone;
	if (s->parked) {
		s->waiting = true;
		s->cfg = malloc(sizeof(*s->cfg));
		if (!s->cfg) {
			free(s);
			return -ENOMEM;
		}
		memcpy(s->cfg, cfg, sizeof(*cfg));
	}
	struct dpk_state_key k;
	state_key(l, cfg, s->parked, &k);
	char what[96];
	snprintf(what, sizeof(what), "%s: adding %s SA %08x%s", l->cfg.name,
		 cfg->inbound ? "inbound" : "outbound", cfg->spi, s->parked ? " (waiting)" : "");
	int rc = dpk_state_add(dp->xf, &k, cfg, what);
	if (rc < 0) {
		sa_free(s);
		return rc;
	}
	s->order = ++dp->next_order;
	s->added_ms = mono_ms();
	s->next = l->sas;
	l->sas = s;
	if (!cfg->inbound) {
		if (s->parked) {
			arm_poll(dp, true);
		} else {
			/* an older pair never takes over from this newer one */
			for (struct dpk_sa *o = l->sas; o; o = o->next)
				o->waiting = false;
		}
		if (!l->cfg.mtu) {
			uint16_t mtu = dp_compute_mtu(&l->cfg, DPK_PATH_MTU, cfg);
			if (mtu != l->mtu &&
			    dev_change(dp->rt, l->ifindex, l->cfg.name, -1, mtu) == 0)
				l->mtu = mtu;
		}
	}
	log_dbg(LOG_DBG_IPSEC, "kernel dataplane: %s SA %08x %s added%s", l->cfg.name, cfg->spi,
		cfg->inbound ? "in" : "out", s->parked ? ", waiting for the peer" : "");
	return 0;
}

/* What a removed SA counted stays in the link's counters. */
static void retire_counters(struct dp_link *l, const struct dpk_sa *s, const struct dp_sa_stats *st)
{
	if (s->inbound) {
		l->old_in_pkts += st->packets;
		l->old_in_bytes += st->bytes;
		l->old_replay += st->replay_fail;
		l->old_auth += st->auth_fail;
	} else {
		l->old_out_pkts += st->packets;
		l->old_out_bytes += st->bytes;
	}
}

static int dpk_sa_del(struct dp_link *l, uint32_t spi, bool inbound)
{
	struct dp *dp = l->dp;
	struct dpk_sa **pp, *s;
	for (pp = &l->sas; *pp && !((*pp)->spi == spi && (*pp)->inbound == inbound);
	     pp = &(*pp)->next)
		;
	if (!(s = *pp))
		return -ENOENT;
	if (!inbound && s == sa_current(l)) {
		/* The newest other outbound SA takes over.  A parked one is
		 * promoted first, while this one still carries: promoting
		 * removes and re-adds it, and with no state of the reqid in
		 * between the kernel would drop what the link sends. */
		struct dpk_sa *n = NULL;
		for (struct dpk_sa *o = l->sas; o; o = o->next)
			if (o != s && !o->inbound && !o->gone && (!n || o->order > n->order))
				n = o;
		if (n && n->parked)
			promote(l, n);
	}
	struct dp_sa_stats st = s->last;
	if (!s->gone) {
		/* its last counters: a state that is already gone counted nothing more */
		if (dpk_state_stats(dp->xf, sa_dst(l, inbound), spi, l->flow.mark, inbound, &st) < 0)
			st = s->last;
		char what[96];
		snprintf(what, sizeof(what), "%s: removing %s SA %08x", l->cfg.name,
			 inbound ? "inbound" : "outbound", spi);
		int rc = dpk_state_del(dp->xf, sa_dst(l, inbound), spi, l->flow.mark, what);
		if (rc < 0 && rc != -ENOENT)
			return rc;
	}
	retire_counters(l, s, &st);
	*pp = s->next;
	sa_free(s);
	/* the newest remaining outbound SA carries: the kernel finds it */
	return 0;
}

/* ---- counters ---- */

static int dpk_sa_stats(struct dp_link *l, uint32_t spi, bool inbound, struct dp_sa_stats *out)
{
	struct dpk_sa *s = sa_find(l, spi, inbound);
	memset(out, 0, sizeof(*out));
	if (!s)
		return -ENOENT;
	int rc = 0;
	if (s->gone)
		*out = s->last;
	else
		rc = dpk_state_stats(l->dp->xf, sa_dst(l, inbound), spi, l->flow.mark, inbound,
				     out);
	out->added_ms = s->added_ms;
	return rc;
}

static int dpk_link_stats(struct dp_link *l, struct dp_link_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->pkts_encrypt = l->old_out_pkts;
	o->pkts_decrypt = l->old_in_pkts;
	o->replay_fail = l->old_replay;
	o->auth_fail = l->old_auth;
	for (struct dpk_sa *s = l->sas; s; s = s->next) {
		struct dp_sa_stats st = s->last;
		if (!s->gone && dpk_state_stats(l->dp->xf, sa_dst(l, s->inbound), s->spi,
						l->flow.mark, s->inbound, &st) < 0)
			continue;
		if (s->inbound) {
			o->pkts_decrypt += st.packets;
			o->replay_fail += st.replay_fail;
			o->auth_fail += st.auth_fail;
		} else {
			o->pkts_encrypt += st.packets;
		}
	}
	o->pkts_digest = o->pkts_encrypt;
	o->pkts_verify = o->pkts_decrypt;
	struct rtnl_link *d = NULL;
	int rc = rtnl_link_get_kernel(l->dp->rt, l->ifindex, NULL, &d);
	if (rc == 0) {
		/* the device counts GRE: encapsulated out, decapsulated in */
		o->pkts_encaps = rtnl_link_get_stat(d, RTNL_LINK_TX_PACKETS);
		o->pkts_decaps = rtnl_link_get_stat(d, RTNL_LINK_RX_PACKETS);
		o->bytes_out = rtnl_link_get_stat(d, RTNL_LINK_TX_BYTES);
		o->bytes_in = rtnl_link_get_stat(d, RTNL_LINK_RX_BYTES);
		o->send_errors = rtnl_link_get_stat(d, RTNL_LINK_TX_ERRORS) +
				 rtnl_link_get_stat(d, RTNL_LINK_TX_DROPPED);
		o->recv_errors = rtnl_link_get_stat(d, RTNL_LINK_RX_ERRORS) +
				 rtnl_link_get_stat(d, RTNL_LINK_RX_DROPPED);
		o->mtu = (uint16_t)rtnl_link_get_mtu(d);
		rtnl_link_put(d);
	} else {
		log_warn_rl("kernel dataplane: %s: reading the device counters: %s", l->cfg.name,
			    nl_geterror(rc));
		o->mtu = l->mtu;
	}
	o->path_mtu = DPK_PATH_MTU;
	o->carrier = l->carrier;
	o->ifindex = l->ifindex;
	return 0;
}

/* ---- events ---- */

static void on_expire(struct dp *dp, const struct dpk_expire *e)
{
	struct dp_link *l;
	unsigned slot = (e->reqid - DPK_REQID_BASE) / 2;
	for (l = dp->links; l && l->slot != slot; l = l->next)
		;
	if (!l)
		return;
	bool inbound = e->dst.s_addr == l->cfg.local.s_addr;
	struct dpk_sa *s = sa_find(l, e->spi, inbound);
	if (!s || s->gone)
		return;
	if (e->hard) {
		/* the kernel deletes it now: keep what it counted */
		s->gone = true;
		s->waiting = false;
		s->last.packets = e->packets;
		s->last.bytes = e->bytes;
		s->last.replay_fail = e->replay_fail;
		s->last.auth_fail = e->auth_fail;
		s->last.added_ms = s->added_ms;
	}
	if (dp->init.on_event)
		dp->init.on_event(dp->init.ctx, l, e->hard ? DP_EV_HARD_EXPIRE : DP_EV_SOFT_EXPIRE,
				  e->spi, inbound);
}

/* Traffic for the link and no state in the kernel (someone removed ours:
 * `ip xfrm state flush`), or none yet: the tunnel layer decides. */
static void on_acquire(struct dp *dp, const struct dpk_acquire *a)
{
	unsigned slot = (a->reqid - DPK_REQID_BASE) / 2;
	struct dp_link *l;
	for (l = dp->links; l && l->slot != slot; l = l->next)
		;
	if (l && dp->init.on_event)
		dp->init.on_event(dp->init.ctx, l, DP_EV_ACQUIRE, 0, false);
}

static int dpk_event_fd(struct dp *dp)
{
	return dp->epfd;
}

static void dpk_dispatch(struct dp *dp)
{
	uint64_t ticks;
	if (read(dp->timerfd, &ticks, sizeof(ticks)) == (ssize_t)sizeof(ticks))
		poll_parked(dp);
	for (int round = 0; round < 64; round++) {
		unsigned char *buf = NULL;
		struct sockaddr_nl peer;
		int n = nl_recv(dp->ev, &peer, &buf, NULL);
		if (n <= 0) {
			free(buf);
			if (n < 0 && n != -NLE_AGAIN)
				log_warn_rl("kernel dataplane: reading XFRM events: %s",
					    nl_geterror(n));
			break;
		}
		int rem = n;
		for (struct nlmsghdr *m = (struct nlmsghdr *)buf; nlmsg_ok(m, rem);
		     m = nlmsg_next(m, &rem)) {
			struct dpk_expire e;
			struct dpk_acquire a;
			if (peer.nl_pid != 0)
				continue;
			if (dpk_expire_parse(m, (size_t)rem, &e) == 0)
				on_expire(dp, &e);
			else if (dpk_acquire_parse(m, (size_t)rem, &a) == 0)
				on_acquire(dp, &a);
		}
		OPENSSL_cleanse(buf, (size_t)n); /* expire messages carry the keys */
		free(buf);
	}
}

const struct dp_ops dp_kernel_ops = {
    .name = "kernel",
    .create = dpk_create,
    .destroy = dpk_destroy,
    .link_add = dpk_link_add,
    .link_del = dpk_link_del,
    .link_carrier = dpk_link_carrier,
    .sa_add = dpk_sa_add,
    .sa_del = dpk_sa_del,
    .link_stats = dpk_link_stats,
    .sa_stats = dpk_sa_stats,
    .event_fd = dpk_event_fd,
    .dispatch = dpk_dispatch,
    .udp_input = NULL,
    .available = dpk_available,
    .why = dpk_why,
};
