/* tun.h: TUN devices for the userspace data plane.
 *
 * One device per tunnel, one queue (fd) per worker (IFF_MULTI_QUEUE), no
 * packet-information header: a read returns one bare IP packet.  The device
 * is created without carrier; the tunnel layer turns carrier on only while
 * an SA is installed (TUNSETCARRIER), so routing sees the tunnel go down at
 * once.  The device lives as long as one queue fd is open.
 * Every read and write carries a struct virtio_net_hdr first (IFF_VNET_HDR)
 * and the device offers checksum and TCPv4 segmentation offload, which
 * gre/offload.c completes in userspace. */
#ifndef VTID_GRE_TUN_H
#define VTID_GRE_TUN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Creates (or attaches to) device `name` with nq queues; fds[] get them,
 * non-blocking.  Returns 0 or -errno; on failure no fd is left open. */
int tun_open(const char *name, int nq, int *fds);
int tun_set_carrier(int fd, bool up);
/* vtid tunnels carry IPv4 only: no link-local address, no router or
 * listener solicitations queued to a device that would only drop them. */
int tun_disable_ipv6(const char *name);
int tun_ifindex(const char *name);
int tun_set_mtu(const char *name, uint16_t mtu);
int tun_set_up(const char *name, bool up);
/* Adds addr/plen through rtnetlink (libnl-route-3). */
int tun_add_addr(int ifindex, struct in_addr addr, uint8_t plen);

#endif
