/* nft.h: a table of vtid's own in nftables, replaced whole (nft.c). */
#ifndef VTID_NFT_H
#define VTID_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct nftt;

/* family_table: "ip vtid".  NULL on failure. */
struct nftt *nftt_new(const char *family_table);
/* Deletes the table if it exists, then frees.  NULL-safe. */
void nftt_free(struct nftt *t);

/* Makes the table exactly body ("table ip vtid { ... }", or "" for no
 * table) in one transaction; named counters still named keep their values.
 * check_only: a dry run that changes nothing.  On failure err holds nft's
 * message and nothing changed.  0 or -errno. */
int nftt_apply(struct nftt *t, const char *body, bool check_only, char *err, size_t errlen);
/* Runs any nft script in the table's context (reset counter ...). */
int nftt_run(struct nftt *t, const char *script, bool json, char **out, char *err,
	     size_t errlen);
/* The table as nft's JSON listing (NULL when there is none); caller puts it. */
struct json_object *nftt_list(struct nftt *t);
/* A named counter's packets (or bytes) in a listing, 0 if absent. */
int64_t nftt_counter(struct json_object *listing, const char *name, bool bytes);
/* Whether the body in force contains text. */
bool nftt_applied_has(const struct nftt *t, const char *text);
const char *nftt_table(const struct nftt *t);
/* FNV-1a, for naming counters and chains after what they hold (h = 0 starts). */
uint64_t nftt_hash(uint64_t h, const void *p, size_t n);

#endif
