/* tun.c: TUN device plumbing; see tun.h.  Flags and MTU through ioctl (a
 * single call each), addresses through libnl-route-3. */
#include "gre/tun.h"

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

#include <netlink/netlink.h>
#include <netlink/route/addr.h>

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

int tun_set_carrier(int fd, bool up)
{
	int v = up;
	return ioctl(fd, TUNSETCARRIER, &v) < 0 ? -errno : 0;
}

int tun_ifindex(const char *name)
{
	unsigned idx = if_nametoindex(name);
	return idx ? (int)idx : -ENODEV;
}

static int tun_ioctl(unsigned long req, struct ifreq *ifr)
{
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int rc = ioctl(s, req, ifr) < 0 ? -errno : 0;
	close(s);
	return rc;
}

int tun_set_mtu(const char *name, uint16_t mtu)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_mtu = mtu;
	return tun_ioctl(SIOCSIFMTU, &ifr);
}

int tun_set_up(const char *name, bool up)
{
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	int rc = tun_ioctl(SIOCGIFFLAGS, &ifr);
	if (rc)
		return rc;
	if (up)
		ifr.ifr_flags |= IFF_UP;
	else
		ifr.ifr_flags &= ~IFF_UP;
	return tun_ioctl(SIOCSIFFLAGS, &ifr);
}

int tun_add_addr(int ifindex, struct in_addr addr, uint8_t plen)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct rtnl_addr *ra = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &addr, sizeof(addr));
	int rc = -ENOMEM;
	if (!sk || !ra || !local)
		goto out;
	if ((rc = nl_connect(sk, NETLINK_ROUTE)) < 0) {
		rc = -EIO;
		goto out;
	}
	nl_addr_set_prefixlen(local, plen);
	rtnl_addr_set_ifindex(ra, ifindex);
	rtnl_addr_set_family(ra, AF_INET);
	if ((rc = rtnl_addr_set_local(ra, local)) < 0) {
		rc = -EINVAL;
		goto out;
	}
	rc = rtnl_addr_add(sk, ra, NLM_F_REPLACE);
	if (rc < 0)
		rc = rc == -NLE_EXIST ? 0 : -EIO;
out:
	nl_addr_put(local);
	rtnl_addr_put(ra);
	nl_socket_free(sk);
	return rc;
}
