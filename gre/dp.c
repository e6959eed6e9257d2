/* dp.c: picks a data-plane backend by name (`dataplane auto|userspace|kernel`),
 * "auto" asks the kernel backend's probe (once per process): a kernel that
 * can create a GRE device and an ESP state gets the kernel backend.  Also
 * the checks of a new link both backends make. */
#include "gre/dp.h"
#include "gre/dp_user_int.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct dp_ops *dp_ops_pick(const char *name, char *why, size_t len)
{
	if (name && !strcmp(name, "userspace")) {
		snprintf(why, len, "configured");
		return &dp_user_ops;
	}
	if (name && !strcmp(name, "kernel")) {
		bool ok = dp_kernel_ops.available();
		snprintf(why, len, "%s", dp_kernel_ops.why ? dp_kernel_ops.why() : "");
		return ok ? &dp_kernel_ops : NULL;
	}
	if (name && strcmp(name, "auto") != 0) {
		snprintf(why, len, "unknown data plane %s", name);
		return NULL;
	}
	bool ok = dp_kernel_ops.available();
	snprintf(why, len, "auto: %s", dp_kernel_ops.why ? dp_kernel_ops.why() : "");
	return ok ? &dp_kernel_ops : &dp_user_ops;
}

const struct dp_ops *dp_ops_by_name(const char *name)
{
	if (name && !strcmp(name, "userspace"))
		return &dp_user_ops;
	if (name && !strcmp(name, "kernel"))
		return &dp_kernel_ops;
	if (name && strcmp(name, "auto") != 0)
		return NULL;
	return dp_kernel_ops.available() ? &dp_kernel_ops : &dp_user_ops;
}

int dp_workers(const struct dp_ops *ops, const struct dp *dp)
{
	/* struct dp is the userspace backend's own only when ops says so */
	return ops == &dp_user_ops && dp ? dp->nworkers : 0;
}

int dp_link_cfg_check(const struct dp_link_cfg *cfg)
{
	if (!cfg->name[0] || memchr(cfg->name, 0, IFNAMSIZ) == NULL || cfg->prefixlen > 32)
		return -EINVAL;
	return 0;
}

int dp_link_cfg_clash(const struct dp_link_cfg *cfg, const struct dp_link_cfg *o)
{
	if (!strcmp(o->name, cfg->name))
		return -EEXIST;
	if (o->local.s_addr == cfg->local.s_addr && o->remote.s_addr == cfg->remote.s_addr)
		return -EADDRINUSE;
	return 0;
}
