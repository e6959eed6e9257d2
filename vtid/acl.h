/* acl.h: IOS access lists enforced by the kernel's nftables (acl.c). */
#ifndef VTID_ACL_H
#define VTID_ACL_H

#include <stddef.h>

struct acl_engine;
struct cfg_acl;
struct cfg_acl_entry;
struct cfg_model;
struct sbuf;
struct json_object;
struct loop;

/* NULL on failure (no libnftables context). */
struct acl_engine *acl_engine_new(struct loop *loop);
/* Removes vtid's table (clean exit) and frees.  NULL-safe. */
void acl_engine_free(struct acl_engine *a);

/* Makes the kernel enforce exactly the access-groups of m, in one nftables
 * transaction: on failure nothing changed and err says which entry the
 * kernel refused and why.  0 or -errno. */
int acl_apply(struct acl_engine *a, const struct cfg_model *m, char *err, size_t errlen);

/* `show access-lists [NAME]` as json-c, with the kernel's match counts:
 * {"access_lists":[{"name","type","entries":[{"seq","action","line","matches"
 * [,"implicit":true]}]}]}.  NULL name: all. */
struct json_object *acl_show(struct acl_engine *a, const struct cfg_model *m, const char *name);
/* `clear access-list counters [NAME]`: -ENOENT if NAME is no ACL. */
int acl_clear(struct acl_engine *a, const struct cfg_model *m, const char *name);

/* One entry's match as nftables text (empty for `permit ip any any`), for
 * QoS classes that match an access list. */
void acl_entry_match(const struct cfg_acl *a, const struct cfg_acl_entry *e, struct sbuf *b);

#endif
