/* tun.c: TUN device plumbing; see tun.h.
 *
 * The TUN ioctls (TUNSETIFF makes the device, TUNSETCARRIER, TUNSETOFFLOAD)
 * go to the queue fd; everything else goes through one rtnetlink socket,
 * opened on first use.  rtnetlink handles a request inside our sendmsg()
 * and queues one answer (ack or error) per request on the socket, in order,
 * so a device's requests are sent back to back and the answers read after
 * the last one: the n-th answer is the n-th request's (libnl checks the
 * sequence numbers).  An error's own errno and the kernel's extended-ack
 * text are kept by tun_nl_on_err, so each failure is logged with the device,
 * the request and the kernel's words.  A socket whose answers could not be
 * read is closed; the next call opens another. */
#include "gre/tun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/virtio_net.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>

#include "lib/ifaddr.h"
#include "lib/log.h"

/* Below this MTU the kernel drops a device's IPv6 state altogether (no
 * address, no solicitations) and refuses IPv6 link attributes for it. */
#define TUN_IPV6_MIN_MTU 1280

int tun_open(const char *name, int nq, int *fds)
{
	if (nq < 1 || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	for (int i = 0; i < nq; i++) {
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
		struct ifreq ifr;
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
		/* one queue: no IFF_MULTI_QUEUE, whose device always has 256
		 * TX queues (and as many qdiscs once up) */
		ifr.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR | (nq > 1 ? IFF_MULTI_QUEUE : 0);
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
			int err = -errno;
			if (fd >= 0)
				close(fd);
			while (i-- > 0)
				close(fds[i]);
			return err;
		}
		if (i == 0) {
			int off = 0;
			/* no carrier until an SA is installed */
			ioctl(fd, TUNSETCARRIER, &off);
			/* checksums and TCP segmentation left to us (offload.c):
			 * one read per 64 KiB super-packet.  Best effort: without
			 * it the kernel segments and we still get a vnet header */
			unsigned offl = TUN_F_CSUM | TUN_F_TSO4;
			ioctl(fd, TUNSETOFFLOAD, offl);
		}
		fds[i] = fd;
	}
	return 0;
}

int tun_set_carrier(int fd, bool up)
{
	int v = up;
	return ioctl(fd, TUNSETCARRIER, &v) < 0 ? -errno : 0;
}

int tun_disable_ipv6(const char *name)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno; /* no IPv6 in this kernel/namespace: nothing to do */
	int rc = write(fd, "1", 1) == 1 ? 0 : -errno;
	close(fd);
	return rc;
}

/* ---- the rtnetlink socket ---- */

static struct nl_sock *tun_nl;
/* the kernel has no IPv6 (ipv6.disable=1): it refuses any request that
 * carries IPv6 link attributes, so none are sent */
static bool tun_nl_no_ipv6;

/* The last error answer read: the kernel's errno and extended-ack text. */
static int tun_nl_errno;
static char tun_nl_extack[160];

static int tun_nl_on_err(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	(void)who;
	(void)arg;
	tun_nl_errno = -e->error;
	tun_nl_extack[0] = 0;
	/* libnl hands us the payload of the NLMSG_ERROR it has read whole;
	 * the TLVs follow the (capped) copy of our request */
	const struct nlmsghdr *h = (const void *)((const char *)e - NLMSG_HDRLEN);
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	size_t req = h->nlmsg_flags & NLM_F_CAPPED ? 0 : e->msg.nlmsg_len - NLMSG_HDRLEN;
	size_t off = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(*e) + req);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	if (e->msg.nlmsg_len < NLMSG_HDRLEN || off >= h->nlmsg_len ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)h + off),
		      (int)(h->nlmsg_len - off), NULL) < 0)
		return NL_STOP;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(tun_nl_extack, tb[NLMSGERR_ATTR_MSG], sizeof(tun_nl_extack));
	return NL_STOP;
}

static int tun_nl_get(struct nl_sock **out)
{
	*out = tun_nl;
	if (tun_nl)
		return 0;
	struct nl_sock *sk = nl_socket_alloc();
	if (!sk) {
		log_err("tun: route netlink socket: out of memory");
		return -ENOMEM;
	}
	int rc = nl_connect(sk, NETLINK_ROUTE);
	if (rc < 0) {
		log_err("tun: route netlink socket: %s", nl_geterror(rc));
		nl_socket_free(sk);
		return -EIO;
	}
	/* the kernel's reason in words, and no copy of the request in the
	 * answer; best effort, a kernel without them gives the errno alone */
	int one = 1, fd = nl_socket_get_fd(sk);
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* only answers arrive here, each well inside libnl's page-sized
	 * buffer: one recvmsg each, not a peek first */
	nl_socket_disable_msg_peek(sk);
	if ((rc = nl_socket_modify_err_cb(sk, NL_CB_CUSTOM, tun_nl_on_err, NULL)) < 0) {
		log_err("tun: route netlink socket: %s", nl_geterror(rc));
		nl_socket_free(sk);
		return -ENOMEM;
	}
	*out = tun_nl = sk;
	return 0;
}

void tun_fini(void)
{
	nl_socket_free(tun_nl);
	tun_nl = NULL;
}

/* One request of a batch: the message, what it does (for the log), an
 * errno its caller handles itself (not logged), and its result. */
struct tun_req {
	struct nl_msg *msg;
	char what[64];
	int quiet;
	int rc;
};

/* Sends the n requests back to back, then reads their answers in order;
 * each r[i].rc gets 0 or -errno.  Returns the first failure. */
static int tun_nl_batch(const char *dev, struct tun_req *r, int n)
{
	struct nl_sock *sk;
	int rc = tun_nl_get(&sk), sent = 0, first = 0;
	for (int i = 0; i < n; i++)
		r[i].rc = rc ? rc : -EIO; /* until its answer is read */
	if (rc)
		return rc;
	for (; sent < n; sent++) {
		int e = nl_send_auto(sk, r[sent].msg);
		if (e < 0) {
			log_err("tun: %s: %s: sending the request: %s", dev, r[sent].what,
				nl_geterror(e));
			break;
		}
	}
	bool lost = false; /* answers no longer matched to requests */
	for (int i = 0; i < sent && !lost; i++) {
		tun_nl_errno = 0;
		int e = nl_wait_for_ack(sk);
		if (e >= 0) {
			r[i].rc = 0;
		} else if (tun_nl_errno) {
			r[i].rc = -tun_nl_errno;
			if (tun_nl_errno != r[i].quiet)
				log_err("tun: %s: %s: %s%s%s", dev, r[i].what,
					strerror(tun_nl_errno), tun_nl_extack[0] ? ": " : "",
					tun_nl_extack);
		} else {
			log_err("tun: %s: %s: reading the kernel's answer: %s", dev, r[i].what,
				nl_geterror(e));
			lost = true;
		}
	}
	if (lost || sent < n)
		tun_fini();
	for (int i = 0; i < n && !first; i++)
		first = r[i].rc;
	return first;
}

/* RTM_NEWLINK for an existing device: admin state (up: 1 up, 0 down, -1
 * unchanged), MTU (0: unchanged), IPv6 address generation none. */
static int tun_link_msg(int ifindex, int up, uint16_t mtu, bool no_ll, struct nl_msg **out)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	int rc = -ENOMEM;
	*out = NULL;
	if (!orig || !chg)
		goto out;
	rtnl_link_set_ifindex(orig, ifindex);
	ifaddr_link_change(chg, up, mtu);
	if (no_ll && rtnl_link_inet6_set_addr_gen_mode(chg, IN6_ADDR_GEN_MODE_NONE) < 0)
		goto out;
	if (rtnl_link_build_change_request(orig, chg, 0, out) < 0)
		goto out;
	rc = 0;
out:
	rtnl_link_put(orig);
	rtnl_link_put(chg);
	return rc;
}

static int tun_addr_msg(int ifindex, struct in_addr addr, uint8_t plen, struct nl_msg **out)
{
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &addr, sizeof(addr));
	int rc = -ENOMEM;
	*out = NULL;
	if (!ra || !local)
		goto out;
	nl_addr_set_prefixlen(local, plen);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, AF_INET);
	if (rtnl_addr_set_local(ra, local) < 0 ||
	    rtnl_addr_build_add_request(ra, NLM_F_REPLACE, out) < 0)
		goto out;
	rc = 0;
out:
	nl_addr_put(local);
	rtnl_addr_put(ra);
	return rc;
}

/* ---- devices ---- */

int tun_ifindex(const char *name)
{
	struct nl_sock *sk;
	int rc = tun_nl_get(&sk);
	if (rc)
		return rc;
	/* an ioctl on the netlink socket reaches the device layer as on any
	 * other socket: no socket made for it, and no RTNL taken */
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(nl_socket_get_fd(sk), SIOCGIFINDEX, &ifr) < 0)
		return -errno;
	return ifr.ifr_ifindex > 0 ? ifr.ifr_ifindex : -ENODEV;
}

int tun_configure(int ifindex, const char *name, uint16_t mtu, struct in_addr addr, uint8_t plen)
{
	struct tun_req r[2];
	int n = 0, rc;
	memset(r, 0, sizeof(r));
	/* IPv6 off first, by its sysctl (no netlink attribute sets it).
	 * Address generation none alone leaves the device a multicast route
	 * (ff00::/8), and with forwarding on it sends MLD reports into the
	 * tunnel; and the kernel walks every IPv6 route at each MTU change,
	 * so 10,000 devices with a route each made MTU changes O(N^2) (8 % of
	 * a 10,000-tunnel start in rt6_mtu_change_route). */
	if (!tun_nl_no_ipv6)
		tun_disable_ipv6(name); /* best effort */
	bool no_ll = !tun_nl_no_ipv6 && mtu >= TUN_IPV6_MIN_MTU;
	if (tun_link_msg(ifindex, -1, mtu, no_ll, &r[n].msg))
		goto nomem;
	snprintf(r[n].what, sizeof(r[n].what), "setting MTU %u%s", mtu,
		 no_ll ? " and IPv6 address generation none" : "");
	r[n++].quiet = no_ll ? EAFNOSUPPORT : 0;
	if (addr.s_addr) {
		if (tun_addr_msg(ifindex, addr, plen, &r[n].msg))
			goto nomem;
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &addr, a, sizeof(a));
		snprintf(r[n].what, sizeof(r[n].what), "adding address %s/%u", a, plen);
		r[n++].quiet = EEXIST; /* NLM_F_REPLACE: not expected, and harmless */
	}
	tun_nl_batch(name, r, n);
	if (r[0].rc == -EAFNOSUPPORT && no_ll) {
		/* a kernel without IPv6: nothing to switch off */
		log_notice("tun: no IPv6 in this kernel, none to switch off on devices");
		tun_nl_no_ipv6 = true;
		nlmsg_free(r[0].msg);
		if (tun_link_msg(ifindex, -1, mtu, false, &r[0].msg))
			goto nomem;
		snprintf(r[0].what, sizeof(r[0].what), "setting MTU %u", mtu);
		r[0].quiet = 0;
		tun_nl_batch(name, r, 1);
	}
	rc = r[0].rc;
	if (!rc && n > 1 && r[1].rc != -EEXIST)
		rc = r[1].rc;
	goto out;
nomem:
	log_err("tun: %s: building a netlink request: out of memory", name);
	rc = -ENOMEM;
out:
	for (int i = 0; i < 2; i++)
		nlmsg_free(r[i].msg);
	return rc;
}

static int tun_link_change(int ifindex, const char *name, int up, uint16_t mtu)
{
	struct tun_req r;
	memset(&r, 0, sizeof(r));
	if (tun_link_msg(ifindex, up, mtu, false, &r.msg)) {
		log_err("tun: %s: building a netlink request: out of memory", name);
		return -ENOMEM;
	}
	if (mtu)
		snprintf(r.what, sizeof(r.what), "setting MTU %u", mtu);
	else
		snprintf(r.what, sizeof(r.what), "setting admin %s", up ? "up" : "down");
	tun_nl_batch(name, &r, 1);
	nlmsg_free(r.msg);
	return r.rc;
}

int tun_set_mtu(int ifindex, const char *name, uint16_t mtu)
{
	return tun_link_change(ifindex, name, -1, mtu);
}

int tun_set_up(int ifindex, const char *name, bool up)
{
	return tun_link_change(ifindex, name, up, 0);
}
