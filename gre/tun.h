/* tun.h: TUN devices for the userspace data plane.
 *
 * One device per tunnel, one queue (fd) per worker (IFF_MULTI_QUEUE), no
 * packet-information header: a read returns one bare IP packet.  The device
 * is created without carrier; the tunnel layer turns carrier on only while
 * an SA is installed (TUNSETCARRIER), so routing sees the tunnel go down at
 * once.  The device lives as long as one queue fd is open.
 * Every read and write carries a struct virtio_net_hdr first (IFF_VNET_HDR)
 * and the device offers checksum and TCPv4 segmentation offload, which
 * gre/offload.c completes in userspace.
 *
 * Links, addresses, MTU and flags go through one rtnetlink socket that the
 * module opens on first use and tun_fini() closes; it belongs to the control
 * thread, so every function here but tun_open and tun_set_carrier is the
 * control thread's alone.  Those functions log each failure themselves,
 * naming the device, the step and the kernel's reason. */
#ifndef VTID_GRE_TUN_H
#define VTID_GRE_TUN_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

/* Creates (or attaches to) device `name` with nq queues; fds[] get them,
 * non-blocking.  Returns 0 or -errno; on failure no fd is left open. */
int tun_open(const char *name, int nq, int *fds);
int tun_set_carrier(int fd, bool up);
int tun_ifindex(const char *name);
/* A device just made by tun_open, still down: its MTU and, in the same
 * request, IPv6 address generation "none" (vtid tunnels carry IPv4 only: no
 * link-local address, so no router solicitations queued to a device that
 * would only drop them; with IPv6 forwarding on, the kernel still sends two
 * MLD reports for ff02::2 when carrier comes up); then addr/plen unless addr
 * is 0.0.0.0.  Below an MTU of 1280 the kernel keeps no IPv6 state for the
 * device and the switch is left out; should a later tun_set_mtu raise it to
 * 1280 or more, the kernel starts IPv6 again with its defaults.
 * Both requests are sent before either answer is read. */
int tun_configure(int ifindex, const char *name, uint16_t mtu, struct in_addr addr, uint8_t plen);
int tun_set_mtu(int ifindex, const char *name, uint16_t mtu);
int tun_set_up(int ifindex, const char *name, bool up);
/* The same IPv6 switch-off through the device's disable_ipv6 sysctl, for
 * devices made elsewhere (the kernel data plane's). */
int tun_disable_ipv6(const char *name);
/* Closes the netlink socket (NULL-safe: nothing open, nothing done); the
 * next call opens a new one. */
void tun_fini(void);

#endif
