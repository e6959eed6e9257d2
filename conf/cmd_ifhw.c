/* cmd_ifhw.c: `interface-map IOSNAME LINUXDEV` and the hardware-only lines
 * of plain interfaces (see ifmap.c for what they mean).
 *
 * The hardware lines, exactly (each kept as typed and reported as ignored
 * on Linux; a line replaces the earlier one of the same setting):
 *   speed WORD, duplex auto|full|half, media-type WORD  (`no` removes)
 *   [no] negotiation auto, [no] cdp enable, [no] mop enabled,
 *   [no] ip route-cache [WORD], [no] ip mroute-cache,
 *   [no] keepalive [N]  (on a TunnelN: GRE keepalives, cmd_if.c)
 * Tunnels refuse them. */
#include "conf/internal.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

#define SESSION(ctx) ((struct cfg_session *)(ctx))

/* "Tunnel1", "tu1": vtid's own devices, never a map's IOS name. */
static bool tunnel_like(const char *n)
{
	size_t l = 0;
	while (n[l] && !isdigit((unsigned char)n[l]))
		l++;
	return l >= 2 && l <= 6 && !strncasecmp(n, "tunnel", l) && n[l];
}

static int h_ifmap(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	struct cfg_session *s = SESSION(ctx);
	struct cfg_model *c = s->cand;
	const char *ios = cli_arg(m, "ios"), *dev = cli_arg(m, "dev");
	if (strlen(ios) >= CFG_NAME_MAX)
		return cfg_fail(err, cfg_argcol(m, "ios"), "name too long (at most %d characters)",
				CFG_NAME_MAX - 1);
	struct cfg_ifmap *x = NULL;
	for (size_t i = 0; i < c->n_ifmap && !x; i++)
		if (!strcasecmp(c->ifmap[i].ios, ios))
			x = &c->ifmap[i];
	if (cfg_no(m)) {
		if (x)
			cfg_vec_remove(c->ifmap, &c->n_ifmap, sizeof(*c->ifmap),
				       (size_t)(x - c->ifmap));
		return 0;
	}
	if (tunnel_like(ios))
		return cfg_fail(err, cfg_argcol(m, "ios"),
				"%s is a tunnel: vtid creates TunnelN devices itself", ios);
	if (!cfg_linux_ifname_ok(dev))
		return cfg_fail(err, cfg_argcol(m, "dev"),
				"expected a Linux device name (at most 15 characters, no '/', ':' "
				"or blank)");
	for (size_t i = 0; i < c->n_ifmap; i++) {
		const struct cfg_ifmap *o = &c->ifmap[i];
		if (o == x)
			continue;
		if (!strcmp(o->dev, dev))
			return cfg_fail(err, cfg_argcol(m, "dev"), "%s is already the device of %s",
					dev, o->ios);
		if (!strcasecmp(o->dev, ios))
			return cfg_fail(err, cfg_argcol(m, "ios"),
					"%s is the device of %s: an IOS name cannot be another "
					"map's device",
					ios, o->ios);
	}
	if (!x) {
		x = CFG_PUSH(c->ifmap, c->n_ifmap, c->cap_ifmap);
		if (!x)
			return -ENOMEM;
	}
	snprintf(x->ios, sizeof(x->ios), "%s", ios);
	snprintf(x->dev, sizeof(x->dev), "%s", dev);
	x->pos = cfg_here(s);
	cfg_ifnames_canon(c);
	return 0;
}

/* The setting a hardware line configures: its words without `no` and
 * without the value of a valued setting. */
static void hw_key(const char *text, char *key, size_t len)
{
	if (!strncmp(text, "no ", 3))
		text += 3;
	size_t n = strcspn(text, " ");
	if (!strncmp(text, "ip ", 3) || !strncmp(text, "cdp ", 4) || !strncmp(text, "mop ", 4) ||
	    !strncmp(text, "negotiation ", 12))
		n += 1 + strcspn(text + n + 1, " ");
	snprintf(key, len, "%.*s", (int)n, text);
}

int cfg_hw_line(struct cfg_session *s, const struct cli_match *m, struct cli_error *err)
{
	struct cfg_interface *i = cfg_find_interface(s->cand, cfg_top(s)->obj);
	char text[CFG_HW_TEXT], key[CFG_HW_TEXT], k2[CFG_HW_TEXT];
	size_t o = 0;
	if (!i)
		return cfg_fail(err, 1, "no interface");
	if (i->is_tunnel)
		return cfg_fail(err, s->line_indent + 1,
				"a Tunnel interface has no hardware to configure");
	for (int a = 0; a < m->nargs; a++) {
		int r = snprintf(text + o, sizeof(text) - o, "%s%s", o ? " " : "",
				 m->args[a].value);
		if (r < 0 || (size_t)r >= sizeof(text) - o)
			return cfg_fail(err, m->args[a].col, "line too long");
		o += (size_t)r;
	}
	hw_key(text, key, sizeof(key));
	/* `no speed`, `no duplex`, `no media-type`: back to the default, a
	 * line IOS does not print. */
	bool remove = cfg_no(m) && (!strcmp(key, "speed") || !strcmp(key, "duplex") ||
				    !strcmp(key, "media-type"));
	for (int k = 0; k < i->n_hw; k++) {
		hw_key(i->hw[k].text, k2, sizeof(k2));
		if (strcmp(key, k2))
			continue;
		if (remove) {
			memmove(&i->hw[k], &i->hw[k + 1], sizeof(i->hw[0]) * (size_t)(i->n_hw - k - 1));
			i->n_hw--;
			memset(&i->hw[i->n_hw], 0, sizeof(i->hw[0]));
			return 0;
		}
		memcpy(i->hw[k].text, text, sizeof(text));
		i->hw[k].pos = (struct cfg_pos){s->line_no, s->line_no ? s->line_indent + 1 : 0};
		return 0;
	}
	if (remove)
		return 0;
	if (i->n_hw == CFG_HW_MAX)
		return cfg_fail(err, s->line_indent + 1, "too many hardware lines (at most %d)",
				CFG_HW_MAX);
	struct cfg_hwline *h = &i->hw[i->n_hw++];
	memcpy(h->text, text, sizeof(text));
	h->pos = (struct cfg_pos){s->line_no, s->line_no ? s->line_indent + 1 : 0};
	return 0;
}

static int h_hw(const struct cli_match *m, void *ctx, struct cli_error *err)
{
	return cfg_hw_line(SESSION(ctx), m, err);
}

#define HW " (ignored on Linux)"
const struct cli_cmd cfg_cmds_ifhw[] = {
    {CFG_MODE_CONFIG, "interface-map WORD$ios WORD$dev",
     "Let an IOS interface name stand for a Linux device\nIOS name (FastEthernet0/1)\n"
     "Linux device (eth1)",
     h_ifmap, 0},
    {CFG_MODE_CONFIG, "no interface-map WORD$ios [WORD]",
     "Negate a command\nIOS interface name\nIOS name\nLinux device", h_ifmap, 0},
    {CFG_MODE_IF, "speed WORD", "Speed" HW "\n10, 100, 1000, auto...", h_hw, 0},
    {CFG_MODE_IF, "no speed [WORD]", "Negate a command\nSpeed" HW "\nSpeed", h_hw, 0},
    {CFG_MODE_IF, "duplex <auto|full|half>", "Duplex" HW "\nAuto\nFull\nHalf", h_hw, 0},
    {CFG_MODE_IF, "no duplex [WORD]", "Negate a command\nDuplex" HW "\nDuplex", h_hw, 0},
    {CFG_MODE_IF, "media-type WORD", "Media type" HW "\nType (rj45, sfp...)", h_hw, 0},
    {CFG_MODE_IF, "no media-type [WORD]", "Negate a command\nMedia type" HW "\nType", h_hw, 0},
    {CFG_MODE_IF, "[no] negotiation auto",
     "Negate a command\nLink negotiation" HW "\nAuto negotiation", h_hw, 0},
    {CFG_MODE_IF, "[no] cdp enable", "Negate a command\nCisco Discovery Protocol" HW "\nEnable",
     h_hw, 0},
    {CFG_MODE_IF, "[no] mop enabled",
     "Negate a command\nDEC Maintenance Operation Protocol" HW "\nEnabled", h_hw, 0},
    {CFG_MODE_IF, "[no] ip route-cache [WORD]",
     "Negate a command\nIP configuration\nFast switching cache" HW "\ncef, same-interface...",
     h_hw, 0},
    {CFG_MODE_IF, "[no] ip mroute-cache",
     "Negate a command\nIP configuration\nMulticast fast switching" HW, h_hw, 0},
};
const size_t cfg_n_cmds_ifhw = sizeof(cfg_cmds_ifhw) / sizeof(cfg_cmds_ifhw[0]);
