/* cmap.h: `show crypto map` built from the running configuration (cmap.c). */
#ifndef VTID_CMAP_H
#define VTID_CMAP_H

struct cfg_model;
struct json_object;

/* {"crypto_maps": [...]}, one object per entry, of map `name` only when it
 * is not NULL. */
struct json_object *cmap_show(const struct cfg_model *m, const char *name);
/* Adds "crypto_map" ("NAME") to each interface of a `show crypto ipsec sa`
 * object whose tunnel a crypto map entry protects. */
void cmap_annotate_ipsec_sa(const struct cfg_model *m, struct json_object *o);

#endif
