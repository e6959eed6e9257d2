/* dp.c: picks a data-plane backend by name (`dataplane auto|userspace|kernel`).
 * "auto" asks the kernel backend's probe (once per process): a kernel that
 * can create a GRE device and an ESP state gets the kernel backend. */
#include "gre/dp.h"

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
