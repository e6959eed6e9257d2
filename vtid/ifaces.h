/* ifaces.h: plain interfaces (`interface eth1`, `interface FastEthernet0/1`
 * with its `interface-map`) made what their lines say, through libnl-route-3:
 * `ip address` added to the device (NLM_F_REPLACE) and, on a change or
 * `no ip address`, the one vtid added removed again (never an address vtid
 * found there); `shutdown` / `no shutdown` the device's admin state;
 * `description` its alias (IFLA_IFALIAS).  A device that does not exist is
 * named in a warning and configured when it appears (link events).  The
 * same netlink events (links, IPv4 addresses) tell the daemon when a
 * `tunnel source INTERFACE` may have moved (on_change, coalesced). */
#ifndef VTID_IFACES_H
#define VTID_IFACES_H

#include "lib/loop.h"

struct cfg_model;
struct json_object;
struct ifaces;

/* on_change(ctx): an address or a link changed (run from the loop, at most
 * every IFACES_SETTLE_MS). */
enum { IFACES_SETTLE_MS = 150 };
struct ifaces *ifaces_new(struct loop *loop, void (*on_change)(void *ctx), void *ctx);
/* Removes the addresses vtid added (a clean stop, as vtid's nftables
 * tables go); admin state and alias stay.  NULL-safe. */
void ifaces_free(struct ifaces *x);
/* Brings every plain interface of m to what m says (and what m no longer
 * configures back: its vtid address removed, its alias cleared). */
void ifaces_apply(struct ifaces *x, const struct cfg_model *m);
/* `show interfaces`: the plain interfaces of m (ifname NULL: all), as
 * objects appended to arr; ifname may be the configured name or the device. */
void ifaces_show(struct ifaces *x, const struct cfg_model *m, const char *ifname,
		 struct json_object *arr);
/* The primary IPv4 address of a device: 0, or -ENOENT (none), -errno. */
int ifaces_primary_v4(const char *dev, uint32_t *addr_be);

#endif
