/* ifaddr.h: an interface's IPv4 addresses announced again on netlink;
 * the link change both data-plane backends send. */
#ifndef VTID_LIB_IFADDR_H
#define VTID_LIB_IFADDR_H

/* Re-adds each IPv4 address of `ifname` as it is (NLM_F_REPLACE), so the
 * kernel sends RTM_NEWADDR for it again and listeners that missed it (FRR's
 * zebra starting while the device appeared) learn it; nothing changes on
 * the interface.  Returns how many were announced, or -errno. */
int ifaddr_reannounce(const char *ifname);

struct rtnl_link;
/* Fills a libnl change request: admin up (up > 0), down (up == 0) or left
 * as is (up < 0), and the MTU when mtu is not 0. */
void ifaddr_link_change(struct rtnl_link *chg, int up, unsigned mtu);

#endif
