/* router_block.c: the lines a routing block may hold.
 *
 * A routing block's lines reach FRR's vtysh inside the block's node, and
 * vtysh runs a line its node does not know in the parent node, and so on up
 * to global configuration (command_config_read_one_line, lib/command.c in
 * FRR 8.4): inside `router ospf`, `log file /tmp/x` set FRR's global log
 * file and `no router ospf` deleted the very instance the block stands
 * for.  So a block takes only lines of its own FRR node, or of a sub-node
 * the block entered (`address-family ...` in bgp, `peer`/`profile` in
 * bfd), followed the way vtysh follows them: a line its sub-node does not
 * know is tried in the parent node, and then the line's node is that one.
 *
 * The words are the first words of the commands FRR 8.4.4 installs in each
 * node: vtysh's own `list` in that node (`vtysh -C -f` on "router ospf\n
 * list"), plus the hidden ones of ospfd/ospf_vty.c (`router-id`) and
 * bgpd/bgp_vty.c (`redistribute`, `maximum-paths`).  They are compared
 * exactly, as FRR spells them.  An abbreviation is refused: FRR would take
 * `log` for `log-adjacency-changes` in router ospf, and then, the rest of
 * `log file /tmp/x` not fitting, run the line as the global `log file`.
 *
 * No line taken here may match a global command when vtysh walks up: where
 * a node's word is also a global command's word, or a prefix of one, the
 * rule names the words that follow too, or limits them: `mpls ldp-sync`
 * (global `mpls ldp`), `segment-routing on|...` (global `segment-routing`),
 * `bgp ebgp-requires-policy` and the node's other `bgp` settings (global
 * `bgp as-path`, `bgp update-delay` ...), `route-map vpn import|export`
 * (global `route-map NAME permit N`), `nexthop vpn export` (global
 * `nexthop-group NAME`), `vni N` in l2vpn evpn and nothing more (global
 * `vni N prefix-routes-only`), `router-id A.B.C.D` in ospf and no `no`
 * form (global `router-id A.B.C.D vrf NAME`, `no router-id`).  The
 * `ip|ipv6 access-list` of `bmp targets` and the `nexthop` of `vrf-policy`
 * are refused for the same reason.  tests/integration/t-router-block.sh
 * checks these lists against the installed vtysh. */
#include "conf/router_block.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum rnode {
	RN_NONE,
	RN_OSPF,
	RN_BGP,
	RN_BGP_AF, /* any address-family but l2vpn evpn */
	RN_BGP_EVPN,
	RN_BGP_VNI,
	RN_BGP_VNC, /* vnc defaults, nve-group, l2-group */
	RN_BGP_VRF_POLICY,
	RN_BGP_BMP,
	RN_BGP_SRV6,
	RN_BFD,
	RN_BFD_PEER,
	RN_BFD_PROFILE,
};

/* Each node's words: the first words of its commands, compared exactly.
 * "a b" names the word after too, "a|b" takes either. */
static const char *const ospf_words[] = {
    "aggregation",
    "area",
    "auto-cost",
    "capability",
    "compatible",
    "default-information",
    "default-metric",
    "distance",
    "distribute-list",
    "fast-reroute",
    "graceful-restart",
    "log-adjacency-changes",
    "max-metric",
    "maximum-paths",
    "mpls ldp-sync",
    "mpls-te",
    "neighbor",
    "network",
    "ospf",
    "passive-interface",
    "pce",
    "proactive-arp",
    "redistribute",
    "refresh",
    "router-info",
    "segment-routing on|global-block|node-msd|prefix",
    "summary-address",
    "timers",
    "write-multiplier",
};

static const char *const bgp_words[] = {
    "aggregate-address",
    "auto-summary",
    "bgp allow-martian-nexthop|always-compare-med|bestpath|client-to-client|cluster-id|"
    "conditional-advertisement|confederation|dampening|default|deterministic-med|"
    "disable-ebgp-connected-route-check|ebgp-requires-policy|fast-convergence|"
    "fast-external-failover|graceful-restart|graceful-restart-disable|graceful-shutdown|"
    "hard-administrative-reset|listen|log-neighbor-changes|long-lived-graceful-restart|"
    "max-med|minimum-holdtime|network|reject-as-sets|route-map|route-reflector|router-id|"
    "shutdown|suppress-duplicates|suppress-fib-pending",
    "bmp mirror",
    "coalesce-time",
    "distance",
    "maximum-paths",
    "neighbor",
    "network",
    "rd",
    "read-quanta",
    "redistribute",
    "synchronization",
    "table-map",
    "timers",
    "update-delay",
    "vnc advertise-un-method|export|redistribute",
    "write-quanta",
};

/* The union over FRR's address families (ipv4/ipv6 unicast, multicast,
 * labeled-unicast, vpn, flowspec, l2vpn evpn; evpn's `vni` aside): a word
 * one family lacks is refused by FRR there, and none of them starts a
 * global command, so vtysh's walk up cannot leave the block. */
static const char *const af_words[] = {
    "advertise",
    "advertise-all-vni",
    "advertise-default-gw",
    "advertise-pip",
    "advertise-subnet",
    "advertise-svi-ip",
    "aggregate-address",
    "autort",
    "bgp dampening|retain",
    "default-originate",
    "disable-ead-evi-rx",
    "disable-ead-evi-tx",
    "distance",
    "dup-addr-detection",
    "ead-es-frag",
    "ead-es-route-target",
    "enable-resolve-overlay-index",
    "export",
    "flooding",
    "import",
    "label",
    "local-install",
    "maximum-paths",
    "neighbor",
    "network",
    "nexthop vpn export",
    "rd",
    "redistribute",
    "route-map vpn import|export",
    "route-target",
    "route-target6",
    "rt",
    "rt6",
    "sid",
    "table-map",
    "use-es-l3nhg",
};

static const char *const vni_words[] = {
    "advertise-default-gw", "advertise-subnet", "advertise-svi-ip", "rd", "route-target",
};

static const char *const vnc_words[] = {
    "export", "l2rd", "labels",	      "logical-network-id",
    "prefix", "rd",   "redistribute", "response-lifetime",
    "rt",
};

static const char *const vrf_policy_words[] = {
    "export",
    "label",
    "rd",
    "rt",
};

static const char *const bmp_words[] = {
    "bmp",
};

static const char *const srv6_words[] = {
    "locator",
};

static const char *const bfd_peer_words[] = {
    "detect-multiplier", "echo",    "echo-interval",	"echo-mode", "minimum-ttl",
    "passive-mode",	 "profile", "receive-interval", "shutdown",  "transmit-interval",
};

/* A profile takes what a peer takes but `profile`. */
static const char *const bfd_profile_words[] = {
    "detect-multiplier", "echo",	"echo-interval",
    "echo-mode",	 "minimum-ttl", "passive-mode",
    "receive-interval",	 "shutdown",	"transmit-interval",
};

/* Lines that enter a sub-node (with `no` they delete it and stay), and
 * words that need a limit. */
static const struct {
	enum rnode in;
	const char *pat;
	enum rnode opens; /* RN_NONE: none */
	int max_words;	  /* at most this many words (after a `no`); 0 = any */
	bool not_no;	  /* no `no` form */
} specials[] = {
    {RN_BGP, "address-family l2vpn evpn", RN_BGP_EVPN, 0, false},
    {RN_BGP, "address-family", RN_BGP_AF, 0, false},
    {RN_BGP, "bmp targets", RN_BGP_BMP, 0, false},
    {RN_BGP, "segment-routing srv6", RN_BGP_SRV6, 0, false},
    {RN_BGP, "vnc defaults|nve-group|l2-group", RN_BGP_VNC, 0, false},
    {RN_BGP, "vrf-policy", RN_BGP_VRF_POLICY, 0, false},
    /* global `vni N prefix-routes-only`, and `vni N` outside evpn */
    {RN_BGP_EVPN, "vni", RN_BGP_VNI, 2, false},
    {RN_BFD, "peer", RN_BFD_PEER, 0, false},
    {RN_BFD, "profile", RN_BFD_PROFILE, 0, false},
    /* ospfd's hidden `router-id A.B.C.D`; anything longer, and every
     * `no router-id`, is zebra's global router-id */
    {RN_OSPF, "router-id", RN_NONE, 2, true},
};

#define WORDS(a) a, sizeof(a) / sizeof(a[0])

static const struct {
	const char *const *words;
	size_t n;
	const char *exit; /* leaves the sub-node besides `exit`; NULL */
} nodes[] = {
    [RN_OSPF] = {WORDS(ospf_words), NULL},
    [RN_BGP] = {WORDS(bgp_words), NULL},
    [RN_BGP_AF] = {WORDS(af_words), "exit-address-family"},
    [RN_BGP_EVPN] = {WORDS(af_words), "exit-address-family"},
    [RN_BGP_VNI] = {WORDS(vni_words), "exit-vni"},
    [RN_BGP_VNC] = {WORDS(vnc_words), "exit-vnc"},
    [RN_BGP_VRF_POLICY] = {WORDS(vrf_policy_words), "exit-vrf-policy"},
    [RN_BGP_BMP] = {WORDS(bmp_words), NULL},
    [RN_BGP_SRV6] = {WORDS(srv6_words), NULL},
    [RN_BFD] = {NULL, 0, NULL}, /* peer, profile: specials */
    [RN_BFD_PEER] = {WORDS(bfd_peer_words), NULL},
    [RN_BFD_PROFILE] = {WORDS(bfd_profile_words), NULL},
};

enum { WORDS_MAX = 8, DEPTH_MAX = 4 };

struct words {
	int n; /* all the words of the line */
	struct {
		const char *s;
		size_t len;
		int col; /* 1-based */
	} w[WORDS_MAX];
	int end_col; /* just past the last word */
};

static void split(const char *line, struct words *t)
{
	const char *p = line;
	t->n = 0;
	t->end_col = 1;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t l = strcspn(p, " \t");
		if (t->n < WORDS_MAX) {
			t->w[t->n].s = p;
			t->w[t->n].len = l;
			t->w[t->n].col = (int)(p - line) + 1;
		}
		t->n++;
		p += l;
		t->end_col = (int)(p - line) + 1;
	}
}

static bool word_is(const struct words *t, int i, const char *w)
{
	return i < t->n && i < WORDS_MAX && t->w[i].len == strlen(w) &&
	       memcmp(t->w[i].s, w, t->w[i].len) == 0;
}

/* How many words of pat the line matches from word `from` (the whole
 * pattern: its word count). */
static int pat_match(const char *pat, const struct words *t, int from, int *pat_words)
{
	int i = 0, matched = 0;
	for (const char *p = pat; *p; i++) {
		size_t wl = strcspn(p, " ");
		bool ok = false;
		for (const char *a = p; a < p + wl;) {
			size_t al = strcspn(a, "|");
			if (al > (size_t)(p + wl - a))
				al = (size_t)(p + wl - a);
			int k = from + i;
			if (k < t->n && k < WORDS_MAX && t->w[k].len == al &&
			    memcmp(t->w[k].s, a, al) == 0)
				ok = true;
			a += al + (a[al] == '|');
		}
		if (ok && matched == i)
			matched++;
		p += wl + (p[wl] == ' ');
	}
	*pat_words = i;
	return matched;
}

/* Where the walk through a block's lines stands: the node stack, as
 * vtysh's (st[0] the block's node). */
struct walk {
	enum rnode st[DEPTH_MAX];
	int depth; /* index of the current node */
};

/* Why a line was refused: the words from the first one on that named
 * nothing (best = how many words did), and where. */
struct why {
	int best, col;
};

/* Does the line match pat (and have at most max_words words after `no`,
 * when max_words)?  If not, why learns how far it went. */
static bool try_pat(const char *pat, int max_words, const struct words *t, int from,
		    struct why *why)
{
	int pw, m = pat_match(pat, t, from, &pw);
	if (m == pw && (!max_words || t->n - from <= max_words))
		return true;
	if (m == pw)
		m = max_words; /* the words beyond are wrong */
	if (m > why->best) {
		why->best = m;
		int k = from + m;
		why->col = k < t->n && k < WORDS_MAX ? t->w[k].col : t->end_col;
	}
	return false;
}

/* One line: 0 and the walk moved on, or -1 and why. */
static int step(struct walk *wk, const struct words *t, struct why *why)
{
	bool no = word_is(t, 0, "no");
	int from = no ? 1 : 0;
	why->best = 0;
	why->col = from < t->n && from < WORDS_MAX ? t->w[from].col : t->end_col;
	if (from >= t->n)
		return -1;
	for (int d = wk->depth; d >= 0; d--) {
		enum rnode nd = wk->st[d];
		if (d > 0 && !no && t->n == 1 &&
		    (word_is(t, 0, "exit") || (nodes[nd].exit && word_is(t, 0, nodes[nd].exit)))) {
			wk->depth = d - 1;
			return 0;
		}
		for (size_t i = 0; i < sizeof(specials) / sizeof(specials[0]); i++) {
			if (specials[i].in != nd || (no && specials[i].not_no) ||
			    !try_pat(specials[i].pat, specials[i].max_words, t, from, why))
				continue;
			wk->depth = d;
			if (!no && specials[i].opens != RN_NONE && d + 1 < DEPTH_MAX)
				wk->st[++wk->depth] = specials[i].opens;
			return 0;
		}
		for (size_t i = 0; i < nodes[nd].n; i++) {
			if (try_pat(nodes[nd].words[i], 0, t, from, why)) {
				wk->depth = d;
				return 0;
			}
		}
	}
	return -1;
}

static enum rnode block_node(const char *header, const char **name)
{
	if (!strncmp(header, "router ospf", 11) && (!header[11] || header[11] == ' ')) {
		*name = "router ospf";
		return RN_OSPF;
	}
	if (!strncmp(header, "router bgp", 10) && (!header[10] || header[10] == ' ')) {
		*name = "router bgp";
		return RN_BGP;
	}
	if (!strcmp(header, "bfd")) {
		*name = "bfd";
		return RN_BFD;
	}
	*name = header;
	return RN_NONE;
}

int cfg_router_line_check(const struct cfg_router *r, const char *line, int *col, char *msg,
			  size_t msglen)
{
	const char *name;
	struct walk wk = {.st = {block_node(r->header, &name)}, .depth = 0};
	struct words t;
	struct why why;
	if (wk.st[0] == RN_NONE) {
		*col = 1;
		snprintf(msg, msglen, "unknown routing block '%s'", name);
		return -EINVAL;
	}
	/* The lines already there were taken: they only move the walk. */
	for (size_t i = 0; i < r->n_line; i++) {
		split(r->line[i].text, &t);
		step(&wk, &t, &why);
	}
	split(line, &t);
	if (step(&wk, &t, &why) == 0)
		return 0;
	*col = why.col;
	bool no = word_is(&t, 0, "no");
	int from = no ? 1 : 0;
	if (from >= t.n) {
		snprintf(msg, msglen, "incomplete command");
		return -EINVAL;
	}
	/* Quote the keywords up to the first one that is wrong here. */
	char words[96] = "";
	size_t o = 0;
	if (no)
		o += (size_t)snprintf(words, sizeof(words), "no ");
	for (int i = from; i <= from + why.best && i < t.n && i < WORDS_MAX; i++) {
		int n = snprintf(words + o, sizeof(words) - o, "%s%.*s", i > from ? " " : "",
				 (int)t.w[i].len, t.w[i].s);
		if (n < 0 || (size_t)n >= sizeof(words) - o)
			break; /* cut short: what fits is quoted */
		o += (size_t)n;
	}
	const char *why_text = "FRR global configuration belongs outside routing blocks";
	if (word_is(&t, from, "router") || (word_is(&t, from, "bfd") && t.n == from + 1))
		why_text =
		    no ? "a routing block is removed by `no router ...` or `no bfd` at the top "
			 "level, not indented"
		       : "a routing block starts at the top level, not indented";
	else if (word_is(&t, 0, "exit") && t.n == 1)
		why_text = "in FRR it would leave the block: end the block with a line that is not "
			   "indented";
	snprintf(msg, msglen, "`%s` is not a %s command (%s)", words, name, why_text);
	return -EINVAL;
}
