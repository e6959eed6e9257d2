/* spec.h: a tunnel's configuration resolved from the model (see spec.c). */
#ifndef VTID_SPEC_H
#define VTID_SPEC_H

#include <errno.h>
#include <stddef.h>

#include "vtid/tunnel.h"

struct cfg_model;

/* The model's tunnel interfaces: counted once per apply by the caller,
 * not per tunnel (10,000 tunnels would make that 10^8 reads). */
size_t spec_count_tunnels(const struct cfg_model *m);
/* Fills spec for interface `name` of a model with `tunnels` tunnel
 * interfaces; 0, or -EINVAL with err saying what is missing. */
int spec_from_model(const struct cfg_model *m, size_t tunnels, const char *name,
		    struct tunnel_spec *spec, char *err, size_t len);
/* Wipes the spec (it holds pre-shared keys). */
void spec_wipe(struct tunnel_spec *spec);

#endif
