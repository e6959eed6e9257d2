/* ifaddr.h: an interface's IPv4 addresses announced again on netlink. */
#ifndef VTID_LIB_IFADDR_H
#define VTID_LIB_IFADDR_H

/* Re-adds each IPv4 address of `ifname` as it is (NLM_F_REPLACE), so the
 * kernel sends RTM_NEWADDR for it again and listeners that missed it (FRR's
 * zebra starting while the device appeared) learn it; nothing changes on
 * the interface.  Returns how many were announced, or -errno. */
int ifaddr_reannounce(const char *ifname);

#endif
