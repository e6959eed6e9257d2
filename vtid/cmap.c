/* cmap.c: `show crypto map [json]`: each crypto map entry as IOS shows it
 * (peer, IKEv2 profile, the access list and its entries, lifetimes, PFS,
 * transform sets, the interfaces the map is applied to), plus what vtid
 * adds: the tunnels the entry protects.  Built from the running model. */
#include "vtid/cmap.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "conf/conf.h"
#include "lib/suite.h"

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v));
}

/* "esp-gcm 256", "esp-aes 128 esp-sha-hmac": the transform as IOS names it. */
static void ts_text(const struct cfg_transform *t, char *buf, size_t len)
{
	const struct suite *e = suite_by_name(SUITE_ENCR, t->encr);
	const struct suite *h = t->integ[0] ? suite_by_name(SUITE_INTEG, t->integ) : NULL;
	char bits[8] = "";
	if (e && e->key_bits)
		snprintf(bits, sizeof(bits), " %u", e->key_bits);
	snprintf(buf, len, "%s%s%s%s", e && e->ios_ts ? e->ios_ts : t->encr, bits,
		 h && h->ios_ts ? " " : "", h && h->ios_ts ? h->ios_ts : "");
}

static struct json_object *transform_sets(const struct cfg_model *m,
					  const struct cfg_cmap_entry *e)
{
	struct json_object *a = json_object_new_array();
	char txt[96];
	for (int i = 0; i < e->n_ts; i++) {
		const struct cfg_transform *t = cfg_find_transform(m, e->ts[i]);
		struct json_object *x = json_object_new_object();
		add_str(x, "name", e->ts[i]);
		if (t)
			ts_text(t, txt, sizeof(txt));
		add_str(x, "transform", t ? txt : "");
		add_str(x, "mode", t && t->transport ? "transport" : "tunnel");
		json_object_array_add(a, x);
	}
	if (e->n_ts == 0) {
		/* IOS's default transform set, as conf/diff.c resolves it */
		struct json_object *x = json_object_new_object();
		add_str(x, "name", "#$!default_transform_set_1");
		add_str(x, "transform", "esp-aes esp-sha-hmac");
		add_str(x, "mode", "transport");
		json_object_array_add(a, x);
	}
	return a;
}

static struct json_object *entry_json(const struct cfg_model *m, const struct cfg_cmap_entry *e)
{
	struct json_object *o = json_object_new_object(), *ifs = json_object_new_array(),
			   *tun = json_object_new_array(), *acl = json_object_new_object(),
			   *ents = json_object_new_array();
	char a[16], txt[160];
	add_str(o, "map", e->map);
	json_object_object_add(o, "seq", json_object_new_int64(e->seq));
	add_str(o, "type", "ipsec-isakmp");
	add_str(o, "description", e->description);
	add_str(o, "peer", e->has_peer ? cfg_ip(e->peer, a) : "");
	add_str(o, "ikev2_profile", e->ike_profile);
	const struct cfg_acl *l = e->acl[0] ? cfg_find_acl(m, e->acl) : NULL;
	add_str(acl, "name", e->acl);
	add_str(acl, "type", l && l->standard ? "standard" : "extended");
	for (size_t i = 0; l && i < l->n_ent; i++) {
		if (l->ent[i].action == CFG_ACL_REMARK)
			continue;
		cfg_acl_entry_text(l, &l->ent[i], txt, sizeof(txt));
		json_object_array_add(ents, json_object_new_string(txt));
	}
	json_object_object_add(acl, "entries", ents);
	json_object_object_add(o, "access_list", acl);
	json_object_object_add(o, "lifetime_kb",
			       json_object_new_int64(e->lifetime_kb_disable ? 0
									    : (int64_t)e->lifetime_kb));
	json_object_object_add(o, "lifetime_sec", json_object_new_int64(e->lifetime_s));
	json_object_object_add(o, "lifetime_kb_disabled",
			       json_object_new_boolean(e->lifetime_kb_disable));
	const struct suite *g = e->pfs_group ? suite_by_id(SUITE_DH, e->pfs_group, 0) : NULL;
	add_str(o, "pfs", g ? g->name : "N");
	json_object_object_add(o, "transform_sets", transform_sets(m, e));
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		if (!x->is_tunnel && !strcmp(x->crypto_map, e->map))
			json_object_array_add(ifs, json_object_new_string(x->name));
		if (x->is_tunnel && cfg_cmap_for_tunnel(m, x) == e)
			json_object_array_add(tun, json_object_new_string(x->name));
	}
	json_object_object_add(o, "interfaces", ifs);
	json_object_object_add(o, "tunnels", tun);
	return o;
}

struct json_object *cmap_show(const struct cfg_model *m, const char *name)
{
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	for (size_t i = 0; m && i < m->n_cmap; i++)
		if (!name || !strcmp(m->cmap[i].map, name))
			json_object_array_add(arr, entry_json(m, &m->cmap[i]));
	json_object_object_add(o, "crypto_maps", arr);
	return o;
}

void cmap_annotate_ipsec_sa(const struct cfg_model *m, struct json_object *o)
{
	struct json_object *ifs, *n;
	if (!m || !json_object_object_get_ex(o, "interfaces", &ifs) ||
	    !json_object_is_type(ifs, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(ifs); i++) {
		struct json_object *x = json_object_array_get_idx(ifs, i);
		if (!json_object_object_get_ex(x, "interface", &n))
			continue;
		const struct cfg_interface *t = cfg_find_interface(m, json_object_get_string(n));
		const struct cfg_cmap_entry *e = t && !t->protection[0] ? cfg_cmap_for_tunnel(m, t)
								      : NULL;
		if (e)
			add_str(x, "crypto_map", e->map);
	}
}
