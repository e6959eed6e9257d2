/* nft.c: one nftables table of vtid's own, replaced whole, atomically.
 *
 * Access lists (acl.c) and QoS classification (qos.c) each own a table
 * built from the configuration.  A change is one transaction: the table's
 * rules are flushed and written again, chains and named counters the new
 * text no longer names are deleted, and named counters it still names are
 * kept with their values (their names hash what they count, so an edit
 * resets only what it changes).  The kernel moves from the old rules to the
 * new at once.  The user's own tables are never touched. */
#include "vtid/nft.h"

#include <errno.h>
#include <json-c/json.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtid/show.h"

struct nftt {
	struct nft_ctx *ctx;
	char table[48]; /* "ip vtid" */
	char *applied;	/* the body in force */
	bool installed;
};

uint64_t nftt_hash(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	if (!h)
		h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct nftt *nftt_new(const char *family_table)
{
	struct nftt *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	snprintf(t->table, sizeof(t->table), "%s", family_table);
	t->ctx = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!t->ctx || nft_ctx_buffer_output(t->ctx) < 0 || nft_ctx_buffer_error(t->ctx) < 0) {
		nftt_free(t);
		return NULL;
	}
	/* A table left by a vtid that did not exit cleanly keeps enforcing
	 * until the first apply replaces (or removes) it. */
	t->installed = true;
	return t;
}

int nftt_run(struct nftt *t, const char *script, bool json, char **out, char *err, size_t errlen)
{
	nft_ctx_output_set_flags(t->ctx, json ? NFT_CTX_OUTPUT_JSON : 0);
	int rc = nft_run_cmd_from_buffer(t->ctx, script);
	const char *o = nft_ctx_get_output_buffer(t->ctx);
	const char *e = nft_ctx_get_error_buffer(t->ctx);
	if (out)
		*out = rc == 0 && o ? strdup(o) : NULL;
	if (rc != 0 && err && errlen) {
		snprintf(err, errlen, "%s", e && *e ? e : "nftables refused the rules");
		size_t n = strlen(err);
		while (n && err[n - 1] == '\n')
			err[--n] = '\0';
	}
	return rc == 0 ? 0 : -EINVAL;
}

struct json_object *nftt_list(struct nftt *t)
{
	if (!t->installed)
		return NULL;
	char cmd[64], *out = NULL;
	snprintf(cmd, sizeof(cmd), "list table %s", t->table);
	if (nftt_run(t, cmd, true, &out, NULL, 0) < 0 || !out) {
		free(out);
		return NULL;
	}
	struct json_object *o = json_tokener_parse(out);
	free(out);
	return o;
}

/* Deletes what the table holds of `kind` ("chain", "counter") and the new
 * body does not name. */
static void w_obsolete(const struct nftt *t, struct json_object *listing, const char *kind,
		       const char *body, struct sbuf *b)
{
	struct json_object *arr, *item, *obj, *name;
	if (!listing || !json_object_object_get_ex(listing, "nftables", &arr))
		return;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		item = json_object_array_get_idx(arr, i);
		if (!json_object_object_get_ex(item, kind, &obj) ||
		    !json_object_object_get_ex(obj, "name", &name))
			continue;
		const char *n = json_object_get_string(name);
		char want[96];
		snprintf(want, sizeof(want), "%s %s ", kind, n);
		if (!strstr(body, want))
			sbuf_printf(b, "delete %s %s %s\n", kind, t->table, n);
	}
}

int nftt_apply(struct nftt *t, const char *body, bool check_only, char *err, size_t errlen)
{
	if (!body)
		body = "";
	if (!check_only && t->applied && !strcmp(t->applied, body) && (t->installed || !*body))
		return 0;
	struct sbuf script = {0};
	struct json_object *listing = nftt_list(t);
	if (*body) {
		sbuf_printf(&script, "add table %s\nflush table %s\n", t->table, t->table);
		w_obsolete(t, listing, "chain", body, &script);
		w_obsolete(t, listing, "counter", body, &script);
		sbuf_printf(&script, "%s", body);
	} else if (listing) {
		sbuf_printf(&script, "delete table %s\n", t->table);
	}
	json_object_put(listing);
	int rc = 0;
	if (script.failed) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
	} else if (script.buf) {
		nft_ctx_set_dry_run(t->ctx, check_only);
		rc = nftt_run(t, script.buf, false, NULL, err, errlen);
		nft_ctx_set_dry_run(t->ctx, false);
	}
	if (rc == 0 && !check_only) {
		free(t->applied);
		t->applied = strdup(body);
		t->installed = *body != '\0';
	}
	sbuf_free(&script);
	return rc;
}

bool nftt_applied_has(const struct nftt *t, const char *text)
{
	return t->applied && strstr(t->applied, text);
}

int64_t nftt_counter(struct json_object *listing, const char *name, bool bytes)
{
	struct json_object *arr, *item, *obj, *n, *p;
	if (!listing || !json_object_object_get_ex(listing, "nftables", &arr))
		return 0;
	for (size_t i = 0; i < json_object_array_length(arr); i++) {
		item = json_object_array_get_idx(arr, i);
		if (json_object_object_get_ex(item, "counter", &obj) &&
		    json_object_object_get_ex(obj, "name", &n) &&
		    !strcmp(json_object_get_string(n), name) &&
		    json_object_object_get_ex(obj, bytes ? "bytes" : "packets", &p))
			return json_object_get_int64(p);
	}
	return 0;
}

const char *nftt_table(const struct nftt *t)
{
	return t->table;
}

void nftt_free(struct nftt *t)
{
	if (!t)
		return;
	if (t->ctx && t->installed) {
		struct json_object *listing = nftt_list(t);
		if (listing) {
			char cmd[64];
			snprintf(cmd, sizeof(cmd), "delete table %s", t->table);
			nftt_run(t, cmd, false, NULL, NULL, 0);
		}
		json_object_put(listing);
	}
	if (t->ctx)
		nft_ctx_free(t->ctx);
	free(t->applied);
	free(t);
}
