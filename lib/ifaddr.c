/* ifaddr.c: see ifaddr.h. */
#include "lib/ifaddr.h"

#include <errno.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <sys/socket.h>

#include "lib/log.h"

int ifaddr_reannounce(const char *ifname)
{
	unsigned idx = if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	int rc = -ENOMEM, n = 0;
	if (!sk)
		goto out;
	if ((rc = nl_connect(sk, NETLINK_ROUTE)) < 0 ||
	    (rc = rtnl_addr_alloc_cache(sk, &cache)) < 0) {
		log_warn("%s: reading its addresses: %s", ifname, nl_geterror(rc));
		rc = -EIO;
		goto out;
	}
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		if (rtnl_addr_get_ifindex(a) != (int)idx || rtnl_addr_get_family(a) != AF_INET)
			continue;
		if ((rc = rtnl_addr_add(sk, a, NLM_F_REPLACE)) < 0) {
			log_warn("%s: announcing its address again: %s", ifname, nl_geterror(rc));
			rc = -EIO;
			goto out;
		}
		n++;
	}
	rc = n;
out:
	nl_cache_free(cache);
	nl_socket_free(sk);
	return rc;
}

void ifaddr_link_change(struct rtnl_link *chg, int up, unsigned mtu)
{
	if (up > 0)
		rtnl_link_set_flags(chg, IFF_UP);
	else if (up == 0)
		rtnl_link_unset_flags(chg, IFF_UP);
	if (mtu)
		rtnl_link_set_mtu(chg, mtu);
}
