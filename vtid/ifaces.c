/* ifaces.c: plain interfaces, applied to their Linux devices (ifaces.h).
 *
 * One record per device the configuration names: what it asks for (the
 * address, admin state, description) and what vtid did (the address it
 * added, when that address was not there before; the admin state and
 * alias it set).  ifaces_apply() brings each record to the new model;
 * link events bring a device that appears (or comes back) to its record.
 * Only what changed since vtid last set it is sent again, so an operator's
 * `ip link set eth1 down` stands until the configuration says otherwise.
 *
 * Ownership of addresses, as in IOS: the address an `ip address` line
 * names is the interface's, whether or not the device had it before; vtid
 * removes it on `no ip address`, a changed address and a removed interface
 * block.  Addresses no line names are never touched.  When vtid stops, the
 * addresses stay (as zebra leaves them): a restart must not take a router's
 * addresses away, and the next start finds them as configured. */
#include "vtid/ifaces.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <json-c/json.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "conf/model.h"
#include "lib/log.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000 /* linux/if.h, which net/if.h may not be mixed with */
#endif

struct iface_rec {
	char name[CFG_NAME_MAX]; /* as configured, for logs */
	char dev[CFG_IFNAME_MAX];
	bool seen; /* in the model being applied */
	/* wanted */
	bool has_addr;
	uint32_t addr;
	uint8_t plen;
	bool shutdown;
	char descr[CFG_TEXT_MAX];
	/* done */
	bool owned; /* o_addr/o_plen added by vtid */
	uint32_t o_addr;
	uint8_t o_plen;
	bool addr_done; /* the wanted address is on the device */
	bool admin_done, admin_up;
	bool alias_done;
	char alias[CFG_TEXT_MAX];
	bool missing; /* warned: no such device */
};

struct ifaces {
	struct loop *loop;
	struct nl_sock *sk, *ev;
	struct iface_rec *rec;
	size_t n, cap;
	void (*on_change)(void *ctx);
	void *ctx;
	struct loop_timer settle;
};

static int mask_len(uint32_t mask_be)
{
	return __builtin_popcount(mask_be);
}

static const char *ip4(uint32_t a, char *buf)
{
	struct in_addr x = {.s_addr = a};
	return inet_ntop(AF_INET, &x, buf, INET_ADDRSTRLEN);
}

int ifaces_primary_v4(const char *dev, uint32_t *out)
{
	struct ifaddrs *ifa;
	int rc = -ENOENT;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	/* The kernel lists a device's primary address before its secondaries. */
	for (struct ifaddrs *p = ifa; p; p = p->ifa_next)
		if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET && !strcmp(p->ifa_name, dev)) {
			*out = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr;
			rc = 0;
			break;
		}
	freeifaddrs(ifa);
	return rc;
}

/* Whether dev already has addr/plen. */
static bool addr_present(const char *dev, uint32_t addr, uint8_t plen)
{
	struct ifaddrs *ifa;
	bool found = false;
	if (getifaddrs(&ifa) < 0)
		return false;
	for (struct ifaddrs *p = ifa; p && !found; p = p->ifa_next) {
		if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET || strcmp(p->ifa_name, dev))
			continue;
		uint32_t a = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr;
		uint32_t k = p->ifa_netmask ? ((struct sockaddr_in *)p->ifa_netmask)->sin_addr.s_addr
					    : 0xffffffffu;
		found = a == addr && mask_len(k) == plen;
	}
	freeifaddrs(ifa);
	return found;
}

/* add: NLM_F_REPLACE (an address already there is no error); else delete. */
static int addr_op(struct ifaces *x, int ifindex, uint32_t addr, uint8_t plen, bool add)
{
	struct rtnl_addr *a = rtnl_addr_alloc();
	struct nl_addr *l = nl_addr_build(AF_INET, &addr, 4);
	int rc = -NLE_NOMEM;
	if (a && l) {
		nl_addr_set_prefixlen(l, plen);
		rtnl_addr_set_ifindex(a, ifindex);
		rtnl_addr_set_family(a, AF_INET);
		rtnl_addr_set_local(a, l);
		rtnl_addr_set_prefixlen(a, plen);
		if (add && plen < 31) {
			uint32_t bc = addr | htonl(plen ? ~(0xffffffffu << (32 - plen)) : 0xffffffffu);
			struct nl_addr *b = nl_addr_build(AF_INET, &bc, 4);
			if (b) {
				rtnl_addr_set_broadcast(a, b);
				nl_addr_put(b);
			}
		}
		/* libnl's -NLE_* codes: nl_geterror() names them */
		rc = add ? rtnl_addr_add(x->sk, a, NLM_F_REPLACE) : rtnl_addr_delete(x->sk, a, 0);
	}
	nl_addr_put(l);
	rtnl_addr_put(a);
	return rc;
}

/* Admin state and/or alias (alias NULL: unchanged). */
static int link_op(struct ifaces *x, int ifindex, int up, const char *alias)
{
	struct rtnl_link *orig = rtnl_link_alloc(), *chg = rtnl_link_alloc();
	int rc = -NLE_NOMEM;
	if (orig && chg) {
		rtnl_link_set_ifindex(orig, ifindex);
		if (up > 0)
			rtnl_link_set_flags(chg, IFF_UP);
		else if (up == 0)
			rtnl_link_unset_flags(chg, IFF_UP);
		if (alias)
			rtnl_link_set_ifalias(chg, alias);
		rc = rtnl_link_change(x->sk, orig, chg, 0);
	}
	rtnl_link_put(orig);
	rtnl_link_put(chg);
	return rc;
}

static void forget_done(struct iface_rec *r)
{
	/* The device went: what vtid had set went with it. */
	r->owned = r->addr_done = r->admin_done = r->alias_done = false;
	r->alias[0] = '\0';
}

/* Brings the device to the record; quiet when nothing is to be done. */
static void sync_rec(struct ifaces *x, struct iface_rec *r)
{
	char a[INET_ADDRSTRLEN];
	int idx = (int)if_nametoindex(r->dev);
	if (idx <= 0) {
		if (r->seen && !r->missing)
			log_warn("interface %s: no device %s here: its configuration is applied "
				 "when the device appears",
				 r->name, r->dev);
		r->missing = true;
		forget_done(r);
		return;
	}
	if (r->missing && r->seen)
		log_notice("interface %s: device %s appeared: configuring it", r->name, r->dev);
	r->missing = false;
	bool same = r->has_addr && r->o_addr == r->addr && r->o_plen == r->plen;
	if (r->owned && !same) {
		int rc = addr_op(x, idx, r->o_addr, r->o_plen, false);
		if (rc < 0 && rc != -NLE_NOADDR)
			log_warn("interface %s: removing %s/%u from %s: %s", r->name,
				 ip4(r->o_addr, a), r->o_plen, r->dev, nl_geterror(rc));
		else
			log_info("interface %s: %s/%u removed from %s", r->name, ip4(r->o_addr, a),
				 r->o_plen, r->dev);
		r->owned = false;
		r->addr_done = false;
	}
	if (r->has_addr && !r->addr_done) {
		bool there = addr_present(r->dev, r->addr, r->plen);
		int rc = addr_op(x, idx, r->addr, r->plen, true);
		if (rc < 0) {
			log_err("interface %s: cannot add %s/%u to %s: %s", r->name, ip4(r->addr, a),
				r->plen, r->dev, nl_geterror(rc));
		} else {
			r->addr_done = true;
			r->owned = true;
			r->o_addr = r->addr;
			r->o_plen = r->plen;
			if (!there)
				log_info("interface %s: ip address %s/%u on %s", r->name,
					 ip4(r->addr, a), r->plen, r->dev);
		}
	}
	if (!r->has_addr)
		r->addr_done = false;
	if (r->seen && (!r->admin_done || r->admin_up != !r->shutdown)) {
		int rc = link_op(x, idx, !r->shutdown, NULL);
		if (rc < 0) {
			log_err("interface %s: cannot set %s %s: %s", r->name, r->dev,
				r->shutdown ? "down" : "up", nl_geterror(rc));
		} else {
			if (r->admin_done || r->shutdown)
				log_info("interface %s: %s", r->name,
					 r->shutdown ? "shutdown (admin down)" : "no shutdown (admin up)");
			r->admin_done = true;
			r->admin_up = !r->shutdown;
		}
	}
	/* The alias: set from the description, cleared when vtid set one and
	 * the description went. */
	bool want_alias = r->descr[0] != '\0';
	if ((want_alias && (!r->alias_done || strcmp(r->alias, r->descr))) ||
	    (!want_alias && r->alias_done)) {
		int rc = link_op(x, idx, -1, r->descr);
		if (rc < 0) {
			log_err("interface %s: cannot set the alias of %s: %s", r->name, r->dev,
				nl_geterror(rc));
		} else {
			r->alias_done = want_alias;
			snprintf(r->alias, sizeof(r->alias), "%s", r->descr);
		}
	}
}

static struct iface_rec *rec_find(struct ifaces *x, const char *dev)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->rec[i].dev, dev))
			return &x->rec[i];
	return NULL;
}

static struct iface_rec *rec_get(struct ifaces *x, const char *dev)
{
	struct iface_rec *r = rec_find(x, dev);
	if (r)
		return r;
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 8;
		struct iface_rec *v = realloc(x->rec, cap * sizeof(*v));
		if (!v)
			return NULL;
		x->rec = v;
		x->cap = cap;
	}
	r = &x->rec[x->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->dev, sizeof(r->dev), "%s", dev);
	return r;
}

void ifaces_apply(struct ifaces *x, const struct cfg_model *m)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		x->rec[i].seen = false;
	for (size_t i = 0; m && i < m->n_interface; i++) {
		const struct cfg_interface *c = &m->interface[i];
		if (c->is_tunnel)
			continue;
		const char *dev = cfg_linux_ifname(m, c->name);
		if (!cfg_linux_ifname_ok(dev))
			continue; /* refused by the checks; never reached */
		struct iface_rec *r = rec_get(x, dev);
		if (!r) {
			log_err("interface %s: out of memory", c->name);
			continue;
		}
		snprintf(r->name, sizeof(r->name), "%s", c->name);
		r->seen = true;
		r->has_addr = c->has_addr;
		r->addr = c->addr;
		r->plen = (uint8_t)mask_len(c->mask);
		r->shutdown = c->shutdown;
		snprintf(r->descr, sizeof(r->descr), "%s", c->description);
	}
	for (size_t i = 0; i < x->n;) {
		struct iface_rec *r = &x->rec[i];
		if (!r->seen) {
			/* No block any more: take back the address and alias. */
			r->has_addr = false;
			r->descr[0] = '\0';
		}
		sync_rec(x, r);
		if (!r->seen) {
			x->rec[i] = x->rec[--x->n];
			continue;
		}
		i++;
	}
}

/* ---- events ---- */

static void settle_fired(void *arg)
{
	struct ifaces *x = arg;
	if (x->on_change)
		x->on_change(x->ctx);
}

static void changed(struct ifaces *x)
{
	if (!loop_timer_armed(&x->settle))
		loop_timer_arm(x->loop, &x->settle, IFACES_SETTLE_MS);
}

static int on_msg(struct nl_msg *msg, void *arg)
{
	struct ifaces *x = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	if (h->nlmsg_type == RTM_NEWLINK || h->nlmsg_type == RTM_DELLINK) {
		struct nlattr *n = nlmsg_find_attr(h, sizeof(struct ifinfomsg), IFLA_IFNAME);
		char dev[IFNAMSIZ] = "";
		if (n)
			nla_strlcpy(dev, n, sizeof(dev));
		struct iface_rec *r = dev[0] ? rec_find(x, dev) : NULL;
		if (r && h->nlmsg_type == RTM_DELLINK) {
			if (r->seen)
				log_warn("interface %s: device %s is gone: configured again when it "
					 "appears",
					 r->name, r->dev);
			r->missing = true;
			forget_done(r);
		} else if (r && r->missing) {
			sync_rec(x, r);
		}
		changed(x);
	} else if (h->nlmsg_type == RTM_NEWADDR || h->nlmsg_type == RTM_DELADDR) {
		changed(x);
	}
	return NL_OK;
}

static void on_readable(void *arg, int fd, uint32_t events)
{
	struct ifaces *x = arg;
	(void)fd;
	(void)events;
	for (int i = 0; i < 64; i++) {
		int rc = nl_recvmsgs_default(x->ev);
		if (rc == -NLE_AGAIN || rc == 0)
			break;
		if (rc == -NLE_NOMEM || rc == -NLE_MSG_OVERFLOW) {
			/* Events lost (the socket overran): look at everything. */
			for (size_t k = 0; k < x->n; k++)
				if (x->rec[k].missing)
					sync_rec(x, &x->rec[k]);
			changed(x);
			continue;
		}
		if (rc < 0)
			break;
	}
}

struct ifaces *ifaces_new(struct loop *loop, void (*on_change)(void *ctx), void *ctx)
{
	struct ifaces *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->loop = loop;
	x->on_change = on_change;
	x->ctx = ctx;
	loop_timer_init(&x->settle, settle_fired, x);
	x->sk = nl_socket_alloc();
	x->ev = nl_socket_alloc();
	if (!x->sk || !x->ev || nl_connect(x->sk, NETLINK_ROUTE) < 0)
		goto fail;
	nl_socket_disable_seq_check(x->ev);
	nl_socket_modify_cb(x->ev, NL_CB_VALID, NL_CB_CUSTOM, on_msg, x);
	if (nl_connect(x->ev, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_memberships(x->ev, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, 0) < 0 ||
	    nl_socket_set_nonblocking(x->ev) < 0)
		goto fail;
	nl_socket_set_buffer_size(x->ev, 1 << 20, 0);
	if (loop && loop_add_fd(loop, nl_socket_get_fd(x->ev), EPOLLIN, on_readable, x) < 0)
		goto fail;
	return x;
fail:
	nl_socket_free(x->sk);
	nl_socket_free(x->ev);
	free(x);
	return NULL;
}

void ifaces_free(struct ifaces *x)
{
	if (!x)
		return;
	loop_timer_cancel(&x->settle);
	if (x->loop)
		loop_del_fd(x->loop, nl_socket_get_fd(x->ev));
	nl_socket_free(x->sk);
	nl_socket_free(x->ev);
	free(x->rec);
	free(x);
}

/* ---- show ---- */

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_u64(struct json_object *o, const char *k, uint64_t v)
{
	json_object_object_add(o, k, json_object_new_int64((int64_t)v));
}

void ifaces_show(struct ifaces *x, const struct cfg_model *m, const char *ifname,
		 struct json_object *arr)
{
	char a[INET_ADDRSTRLEN];
	for (size_t i = 0; x && m && i < m->n_interface; i++) {
		const struct cfg_interface *c = &m->interface[i];
		if (c->is_tunnel)
			continue;
		const char *dev = cfg_linux_ifname(m, c->name);
		if (ifname && strcasecmp(ifname, c->name) && strcmp(ifname, dev) &&
		    (!cfg_find_ifmap(m, ifname) || strcmp(cfg_linux_ifname(m, ifname), dev)))
			continue;
		struct json_object *o = json_object_new_object();
		struct rtnl_link *l = NULL;
		int idx = (int)if_nametoindex(dev);
		add_str(o, "interface", c->name);
		add_str(o, "device", dev);
		add_str(o, "hardware", "Linux device");
		add_str(o, "description", c->description);
		if (idx <= 0 || rtnl_link_get_kernel(x->sk, idx, NULL, &l) < 0 || !l) {
			add_str(o, "status", "deleted");
			add_str(o, "line_protocol", "down");
			add_str(o, "line_protocol_reason", "no such device");
			json_object_array_add(arr, o);
			continue;
		}
		unsigned flags = rtnl_link_get_flags(l);
		add_str(o, "status", !(flags & IFF_UP) ? "administratively down" : "up");
		add_str(o, "line_protocol", (flags & IFF_UP) && (flags & IFF_LOWER_UP) ? "up" : "down");
		add_str(o, "line_protocol_reason",
			!(flags & IFF_UP) || (flags & IFF_LOWER_UP) ? "" : "no carrier");
		uint32_t addr = 0;
		int plen = 0;
		struct ifaddrs *ifa;
		if (getifaddrs(&ifa) == 0) {
			for (struct ifaddrs *p = ifa; p; p = p->ifa_next)
				if (p->ifa_addr && p->ifa_addr->sa_family == AF_INET &&
				    !strcmp(p->ifa_name, dev)) {
					addr = ((struct sockaddr_in *)p->ifa_addr)->sin_addr.s_addr;
					if (p->ifa_netmask)
						plen = mask_len(((struct sockaddr_in *)p->ifa_netmask)
								    ->sin_addr.s_addr);
					break;
				}
			freeifaddrs(ifa);
		}
		add_str(o, "internet_address", ip4(addr, a));
		add_u64(o, "prefix_length", (uint64_t)plen);
		add_u64(o, "mtu", rtnl_link_get_mtu(l));
		add_u64(o, "bandwidth_kbit", c->bandwidth ? c->bandwidth : 100000);
		add_u64(o, "packets_input", rtnl_link_get_stat(l, RTNL_LINK_RX_PACKETS));
		add_u64(o, "bytes_input", rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES));
		add_u64(o, "input_errors", rtnl_link_get_stat(l, RTNL_LINK_RX_ERRORS));
		add_u64(o, "packets_output", rtnl_link_get_stat(l, RTNL_LINK_TX_PACKETS));
		add_u64(o, "bytes_output", rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES));
		add_u64(o, "output_errors", rtnl_link_get_stat(l, RTNL_LINK_TX_ERRORS));
		add_u64(o, "ifindex", (uint64_t)idx);
		rtnl_link_put(l);
		json_object_array_add(arr, o);
	}
}
