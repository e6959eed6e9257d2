/* ifmap.c: interface names as IOS writes them, hardware-only lines, and the
 * OSPF process IOS creates by itself.
 *
 * Names.  Linux holds a device name of at most 15 bytes without '/', ':' or
 * blanks; IOS names (`FastEthernet0/1`) have a '/'.  `interface-map IOSNAME
 * LINUXDEV` makes the IOS name stand for the device everywhere: the model
 * keeps the names as the user wrote them (so printing gives back the
 * configuration as written) and whoever talks to the kernel or to FRR asks
 * cfg_linux_ifname() for the device.  The check of a name Linux cannot hold
 * happens over the whole model (cfg_ifmap_check), so a file may give the
 * map after the interface block and a session may type it after the
 * `interface` line; a name that stays unmapped is an error at its line that
 * gives the `interface-map` line to add.
 *
 * Hardware.  Lines such as `speed auto` or `no cdp enable` configure what a
 * Linux device does not have or negotiates itself: they are kept (printed
 * back, so a pasted IOS configuration survives `write memory`) and each is
 * reported by cfg_notes() as ignored on Linux.
 *
 * OSPF.  IOS creates `router ospf N` when `ip ospf N area A` is configured
 * on an interface and no such process exists; so does vtid, when the
 * configuration has no `router ospf` at all (FRR runs one OSPF process, so
 * an existing `router ospf M` is the one every interface joins). */
#include "conf/internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ERR(pos, ...) cfg_errors_add(errs, (pos).line, (pos).col, __VA_ARGS__)

bool cfg_linux_ifname_ok(const char *n)
{
	size_t l = strlen(n);
	if (l == 0 || l > 15 || !strcmp(n, ".") || !strcmp(n, ".."))
		return false;
	for (const char *p = n; *p; p++)
		if (*p == '/' || *p == ':' || (unsigned char)*p <= ' ' || (unsigned char)*p >= 127)
			return false;
	return true;
}

/* The letters before the first digit. */
static size_t alpha_len(const char *s)
{
	size_t l = 0;
	while (s[l] && !isdigit((unsigned char)s[l]))
		l++;
	return l;
}

/* IOS spells a name in any case and abbreviates its type (`fa0/1`,
 * `fastethernet0/1` for FastEthernet0/1): the map entry the name
 * designates, exactly or as the one abbreviation it can be. */
const struct cfg_ifmap *cfg_find_ifmap(const struct cfg_model *m, const char *ios)
{
	const struct cfg_ifmap *hit = NULL;
	int n = 0;
	if (!m || !ios)
		return NULL;
	for (size_t i = 0; i < m->n_ifmap; i++)
		if (!strcasecmp(m->ifmap[i].ios, ios))
			return &m->ifmap[i];
	size_t al = alpha_len(ios);
	for (size_t i = 0; al && i < m->n_ifmap; i++) {
		const char *x = m->ifmap[i].ios;
		size_t bl = alpha_len(x);
		if (al <= bl && !strncasecmp(x, ios, al) && !strcasecmp(x + bl, ios + al) &&
		    n++ == 0)
			hit = &m->ifmap[i];
	}
	return n == 1 ? hit : NULL;
}

const char *cfg_linux_ifname(const struct cfg_model *m, const char *name)
{
	const struct cfg_ifmap *x = cfg_find_ifmap(m, name);
	return x ? x->dev : name;
}

struct cfg_interface *cfg_find_interface_dev(const struct cfg_model *m, const char *name)
{
	struct cfg_interface *i = cfg_find_interface(m, name);
	if (i || !m || !name)
		return i;
	const char *dev = cfg_linux_ifname(m, name);
	for (size_t k = 0; k < m->n_interface; k++)
		if (!m->interface[k].is_tunnel &&
		    !strcmp(cfg_linux_ifname(m, m->interface[k].name), dev))
			return &m->interface[k];
	return NULL;
}

void cfg_ifname_canon(const struct cfg_model *m, const char *in, char *out, size_t len)
{
	const struct cfg_ifmap *hit = cfg_find_ifmap(m, in);
	snprintf(out, len, "%s", hit ? hit->ios : in);
}

void cfg_ifnames_canon(struct cfg_model *m)
{
	char n[CFG_NAME_MAX];
	for (size_t i = 0; i < m->n_interface; i++) {
		struct cfg_interface *x = &m->interface[i];
		if (x->src_if[0]) {
			cfg_ifname_canon(m, x->src_if, n, sizeof(n));
			memcpy(x->src_if, n, sizeof(n));
		}
		if (x->is_tunnel)
			continue;
		cfg_ifname_canon(m, x->name, n, sizeof(n));
		if (strcmp(n, x->name) && !cfg_find_interface(m, n)) {
			memcpy(x->name, n, sizeof(n));
			cfg_model_index_drop(m); /* renamed in place */
		}
	}
}

static const char *why_not_linux(const char *n)
{
	if (strlen(n) > 15)
		return "longer than 15 characters";
	if (strchr(n, '/'))
		return "it has a '/'";
	if (strchr(n, ':'))
		return "it has a ':'";
	return "not a Linux device name";
}

void cfg_ifmap_check(const struct cfg_model *m, struct cfg_errors *errs)
{
	for (size_t i = 0; i < m->n_ifmap; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->ifmap[i].dev, m->ifmap[j].dev)) {
				ERR(m->ifmap[i].pos, "%s is already the device of %s",
				    m->ifmap[i].dev, m->ifmap[j].ios);
				break;
			}
	for (size_t i = 0; i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		if (!x->is_tunnel && !cfg_find_ifmap(m, x->name) && !cfg_linux_ifname_ok(x->name)) {
			ERR(x->name_pos,
			    "%s is not a Linux device name (%s): add `interface-map %s LINUXDEV`",
			    x->name, why_not_linux(x->name), x->name);
			continue;
		}
		if (x->is_tunnel && x->src_if[0] && !cfg_find_ifmap(m, x->src_if) &&
		    !cfg_linux_ifname_ok(x->src_if))
			ERR(x->src_if_pos,
			    "%s is not a Linux device name (%s): add `interface-map %s LINUXDEV`",
			    x->src_if, why_not_linux(x->src_if), x->src_if);
		if (x->is_tunnel)
			continue;
		const char *dev = cfg_linux_ifname(m, x->name);
		for (size_t j = 0; j < i; j++) {
			const struct cfg_interface *y = &m->interface[j];
			if (!y->is_tunnel && !strcmp(cfg_linux_ifname(m, y->name), dev)) {
				ERR(x->name_pos,
				    "interface %s and interface %s are both the device %s: "
				    "configure it in one block",
				    y->name, x->name, dev);
				break;
			}
		}
	}
}

void cfg_notes(const struct cfg_model *m, struct cfg_errors *notes)
{
	memset(notes, 0, sizeof(*notes));
	for (size_t i = 0; m && i < m->n_interface; i++) {
		const struct cfg_interface *x = &m->interface[i];
		for (int j = 0; j < x->n_hw; j++)
			cfg_errors_add(notes, x->hw[j].pos.line, x->hw[j].pos.col,
				       "ignored on Linux: %s (interface %s)", x->hw[j].text, x->name);
	}
}

int cfg_note_format(const struct cfg_error *e, const char *file, char *buf, size_t len)
{
	char pos[64] = "";
	if (e->line && e->col)
		snprintf(pos, sizeof(pos), "%d:%d: ", e->line, e->col);
	else if (e->line)
		snprintf(pos, sizeof(pos), "%d: ", e->line);
	return snprintf(buf, len, "%s%s%snote: %s", file ? file : "",
			file ? (*pos ? ":" : ": ") : "", pos, e->msg);
}

/* `ip ospf N area A`: the process number N, or 0 for another line. */
static unsigned long ospf_area_process(const char *text)
{
	const char *p = text + strlen("ip ospf ");
	char *end;
	if (strncmp(text, "ip ospf ", 8) || !isdigit((unsigned char)*p))
		return 0;
	unsigned long n = strtoul(p, &end, 10);
	if (strncmp(end, " area ", 6) || n < 1 || n > 65535)
		return 0;
	return n;
}

static bool has_ospf_router(const struct cfg_model *m)
{
	for (size_t i = 0; i < m->n_router; i++)
		if (!strcmp(m->router[i].header, "router ospf") ||
		    !strncmp(m->router[i].header, "router ospf ", 12))
			return true;
	return false;
}

int cfg_ospf_autocreate(struct cfg_model *m, struct cfg_pos pos)
{
	if (has_ospf_router(m))
		return 0;
	for (size_t i = 0; i < m->n_interface; i++)
		for (size_t j = 0; j < m->interface[i].n_ospf; j++) {
			unsigned long n = ospf_area_process(m->interface[i].ospf[j].text);
			if (!n)
				continue;
			struct cfg_router *r = CFG_PUSH(m->router, m->n_router, m->cap_router);
			if (!r)
				return -ENOMEM;
			snprintf(r->header, sizeof(r->header), "router ospf %lu", n);
			r->pos = pos;
			return 0;
		}
	return 0;
}

void cfg_ospf_drop_areas(struct cfg_model *m)
{
	if (has_ospf_router(m))
		return;
	for (size_t i = 0; i < m->n_interface; i++) {
		struct cfg_interface *x = &m->interface[i];
		for (size_t j = 0; j < x->n_ospf;) {
			if (ospf_area_process(x->ospf[j].text))
				cfg_vec_remove(x->ospf, &x->n_ospf, sizeof(*x->ospf), j);
			else
				j++;
		}
	}
}
