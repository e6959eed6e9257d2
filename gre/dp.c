/* dp.c: picks a data-plane backend by name.  Only the userspace backend
 * exists so far; "kernel" answers NULL until gre/dp_kernel.c lands, and
 * "auto" therefore means userspace. */
#include "gre/dp.h"

#include <string.h>

const struct dp_ops *dp_ops_by_name(const char *name)
{
	if (!name || !strcmp(name, "auto") || !strcmp(name, "userspace"))
		return &dp_user_ops;
	return NULL;
}
