/* privs.c: what vtid keeps of root's powers once it starts.
 *
 * vtid's work needs three capabilities: CAP_NET_ADMIN (tunnel devices,
 * addresses, routes, socket buffers beyond the limits, later nftables and
 * tc), CAP_NET_RAW (raw ESP and GRE sockets) and CAP_NET_BIND_SERVICE (UDP
 * 500).  Everything else is dropped from the effective, permitted,
 * inheritable and ambient sets and from the bounding set, and
 * no_new_privs is set, so the vtysh it runs (as uid 0, where execve would
 * otherwise grant the full bounding set) and anything that could be made to
 * run through it gets no more.  It happens before the data plane's worker
 * threads exist, since capabilities belong to threads, not processes.
 *
 * The uid stays 0: vtid owns root's files (its configuration, /run/vtid,
 * a key log).  Without CAP_DAC_OVERRIDE it reaches FRR's sockets and
 * /etc/frr as a member of FRR's groups (frr, frrvty), added here first;
 * it joins group vtid too, so that without CAP_CHOWN it can still hand
 * its control socket to that group (ctl_server_restrict).
 * A later split that parses IKE in an unprivileged process would start
 * from this point: that process needs none of the three. */
#include "vtid/privs.h"

#include <errno.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "lib/log.h"

static const cap_value_t kept[] = {CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE};

static bool is_kept(cap_value_t c)
{
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		if (kept[i] == c)
			return true;
	return false;
}

/* Adds FRR's groups to ours, so vtysh reaches FRR's vty sockets (group
 * frrvty) and reads /etc/frr (group frr) without CAP_DAC_OVERRIDE, and
 * vtid's operators' group, which the control socket is given to. */
static void join_groups(void)
{
	static const char *const names[] = {"frr", "frrvty", "vtid"};
	int n = getgroups(0, NULL);
	if (n < 0)
		return;
	gid_t *groups = calloc((size_t)n + sizeof(names) / sizeof(names[0]), sizeof(*groups));
	if (!groups || (n = getgroups(n, groups)) < 0) {
		free(groups);
		return;
	}
	int added = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct group *g = getgrnam(names[i]);
		if (!g)
			continue;
		bool have = false;
		for (int j = 0; j < n; j++)
			have |= groups[j] == g->gr_gid;
		if (!have) {
			groups[n++] = g->gr_gid;
			added++;
		}
	}
	if (added && setgroups((size_t)n, groups) < 0)
		log_warn("privileges: cannot join groups frr, frrvty, vtid: %s", strerror(errno));
	free(groups);
}

int privs_drop(void)
{
	cap_t now = cap_get_proc();
	if (!now)
		return -errno;
	cap_flag_value_t may_setpcap = CAP_CLEAR, may_setgid = CAP_CLEAR;
	cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &may_setpcap);
	cap_get_flag(now, CAP_SETGID, CAP_EFFECTIVE, &may_setgid);
	if (may_setgid == CAP_SET)
		join_groups();
	int err = 0;
	/* The bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the rest below. */
	for (cap_value_t c = 0; cap_valid(c) && may_setpcap == CAP_SET; c++) {
		if (is_kept(c) || CAP_IS_SUPPORTED(c) == 0)
			continue;
		if (cap_drop_bound(c) < 0 && errno != EINVAL) {
			err = -errno;
			break;
		}
	}
	cap_t want = cap_init();
	if (!want) {
		cap_free(now);
		return -ENOMEM;
	}
	cap_value_t have[sizeof(kept) / sizeof(kept[0])];
	int n = 0;
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		cap_flag_value_t v = CAP_CLEAR;
		cap_get_flag(now, kept[i], CAP_PERMITTED, &v);
		if (v == CAP_SET)
			have[n++] = kept[i];
	}
	if (n) {
		cap_set_flag(want, CAP_PERMITTED, n, have, CAP_SET);
		cap_set_flag(want, CAP_EFFECTIVE, n, have, CAP_SET);
	}
	if (err == 0 && cap_set_proc(want) < 0)
		err = -errno;
	if (err == 0 && CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() < 0)
		err = -errno;
	if (err == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		err = -errno;
	cap_free(want);
	cap_free(now);
	if (err < 0)
		log_err("privileges: cannot drop capabilities: %s", strerror(-err));
	else
		log_info("privileges: keeping CAP_NET_ADMIN, CAP_NET_RAW, CAP_NET_BIND_SERVICE");
	return err;
}
