/* show.c: text forms of the show commands, rendered from the same json-c
 * object that `... json` prints, so the two can never disagree.  Layouts
 * follow Cisco IOS-XE. */
#include "vtid/show.h"

#include <inttypes.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;
		va_start(ap, fmt);
		int n = vsnprintf(b->buf ? b->buf + b->len : NULL, b->buf ? room : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->buf && (size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap - b->len <= (size_t)n)
			cap *= 2;
		char *nb = realloc(b->buf, cap);
		if (!nb) {
			b->failed = true;
			return;
		}
		b->buf = nb;
		b->cap = cap;
	}
}

void sbuf_free(struct sbuf *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = b->cap = 0;
}

static const char *s(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, k, &v))
		return "";
	return json_object_get_string(v);
}

static int64_t n(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, k, &v))
		return 0;
	return json_object_get_int64(v);
}

static struct json_object *arr(struct json_object *o, const char *k)
{
	struct json_object *v;
	if (!o || !json_object_object_get_ex(o, k, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

static size_t len(struct json_object *a)
{
	return a ? json_object_array_length(a) : 0;
}

void show_ikev2_sa_text(struct json_object *o, bool detailed, struct sbuf *b)
{
	struct json_object *sas = arr(o, "sas");
	sbuf_printf(b, " IPv4 Crypto IKEv2  SA \n\n");
	if (len(sas) == 0)
		return;
	sbuf_printf(b, "Tunnel-id Local                 Remote                fvrf/ivrf            Status \n");
	for (size_t i = 0; i < len(sas); i++) {
		struct json_object *sa = json_object_array_get_idx(sas, i);
		sbuf_printf(b, "%-9" PRId64 " %-21s %-21s %-20s %-7s\n", n(sa, "tunnel_id"),
			    s(sa, "local"), s(sa, "remote"), "none/none", s(sa, "status"));
		/* IOS prints the group's number */
		sbuf_printf(b,
			    "      Encr: %s, keysize: %" PRId64 ", PRF: %s, Hash: %s, DH Grp:%" PRId64
			    ", Auth sign: %s, Auth verify: %s\n",
			    s(sa, "encryption"), n(sa, "keysize"), s(sa, "prf"), s(sa, "hash"),
			    n(sa, "dh_group_id"), s(sa, "auth_sign"), s(sa, "auth_verify"));
		sbuf_printf(b, "      Life/Active Time: %" PRId64 "/%" PRId64 " sec\n",
			    n(sa, "lifetime"), n(sa, "active_time"));
		if (!detailed) {
			sbuf_printf(b, "\n");
			continue;
		}
		if (*s(sa, "interface"))
			sbuf_printf(b, "      Interface: %s\n", s(sa, "interface"));
		bool initiator = strcmp(s(sa, "role"), "INITIATOR") == 0;
		sbuf_printf(b, "      Local spi: %-24s Remote spi: %s\n",
			    s(sa, initiator ? "spi_i" : "spi_r"), s(sa, initiator ? "spi_r" : "spi_i"));
		sbuf_printf(b, "      Local req msg id:  %-16" PRId64 " Remote req msg id:  %" PRId64 "\n",
			    n(sa, "msgid_out"), n(sa, "msgid_in"));
		sbuf_printf(b, "      Fragmentation is %s\n",
			    n(sa, "fragmentation") ? "enabled" : "not negotiated");
		sbuf_printf(b, "      NAT-T is %s\n", n(sa, "nat_t") ? "detected" : "not detected");
		sbuf_printf(b, "      Initiator of SA : %s\n",
			    strcmp(s(sa, "role"), "INITIATOR") == 0 ? "Yes" : "No");
		struct json_object *ch = arr(sa, "children");
		for (size_t j = 0; j < len(ch); j++) {
			struct json_object *c = json_object_array_get_idx(ch, j);
			sbuf_printf(b, "      Child sa: local selector  %s\n", s(c, "local_selector"));
			sbuf_printf(b, "                remote selector %s\n", s(c, "remote_selector"));
			sbuf_printf(b, "                ESP spi in/out: %s/%s, mode %s\n", s(c, "spi_in"),
				    s(c, "spi_out"), s(c, "mode"));
		}
		sbuf_printf(b, "\n");
	}
}

void show_ikev2_stats_text(struct json_object *o, struct sbuf *b)
{
	sbuf_printf(b, "--------------------------------------------------------------------------------\n");
	sbuf_printf(b, "                           Crypto IKEv2 SA Statistics\n");
	sbuf_printf(b, "--------------------------------------------------------------------------------\n");
	json_object_object_foreach(o, key, val)
	{
		if (json_object_is_type(val, json_type_int))
			sbuf_printf(b, "%-40s: %" PRId64 "\n", key, json_object_get_int64(val));
		else if (json_object_is_type(val, json_type_string))
			sbuf_printf(b, "%-40s: %s\n", key, json_object_get_string(val));
	}
	struct json_object *fl;
	if (json_object_object_get_ex(o, "failures", &fl)) {
		sbuf_printf(b, "Failed attempts by reason:\n");
		json_object_object_foreach(fl, reason, cnt)
			sbuf_printf(b, "  %-38s: %" PRId64 "\n", reason, json_object_get_int64(cnt));
	}
}

static void ipsec_sa_list(struct sbuf *b, const char *title, struct json_object *list, bool inbound)
{
	sbuf_printf(b, "     %s esp sas:\n", title);
	for (size_t i = 0; i < len(list); i++) {
		struct json_object *sa = json_object_array_get_idx(list, i);
		sbuf_printf(b, "      spi: %s(%" PRId64 ")\n", s(sa, "spi"), n(sa, "spi_decimal"));
		sbuf_printf(b, "        transform: %s ,\n", s(sa, "transform"));
		sbuf_printf(b, "        in use settings ={%s, }\n", s(sa, "mode"));
		sbuf_printf(b,
			    "        sa timing: remaining key lifetime (k/sec): (%" PRId64 "/%" PRId64
			    ")\n",
			    n(sa, "remaining_kb"), n(sa, "remaining_sec"));
		if (inbound) {
			sbuf_printf(b, "        replay detection support: %s\n",
				    n(sa, "replay_window") ? "Y" : "N");
			if (n(sa, "replay_window"))
				sbuf_printf(b, "        replay window size: %" PRId64 ", bitmap: %s\n",
					    n(sa, "replay_window"), s(sa, "replay_bitmap"));
		}
		sbuf_printf(b, "        Status: %s(%s)\n\n", s(sa, "state"), s(sa, "state"));
	}
	sbuf_printf(b, "\n");
}

void show_ipsec_sa_text(struct json_object *o, struct sbuf *b)
{
	struct json_object *ifs = arr(o, "interfaces");
	for (size_t i = 0; i < len(ifs); i++) {
		struct json_object *x = json_object_array_get_idx(ifs, i);
		struct json_object *in = arr(x, "inbound"), *out = arr(x, "outbound");
		sbuf_printf(b, "\ninterface: %s\n", s(x, "interface"));
		/* IOS: the map's name for a crypto map, the tunnel's head for
		 * tunnel protection */
		if (*s(x, "crypto_map"))
			sbuf_printf(b, "    Crypto map tag: %s, local addr %s\n\n", s(x, "crypto_map"),
				    s(x, "local_addr"));
		else
			sbuf_printf(b, "    Crypto map tag: %s-head-0, local addr %s\n\n",
				    s(x, "interface"), s(x, "local_addr"));
		sbuf_printf(b, "   protected vrf: (none)\n");
		sbuf_printf(b, "   local  ident (addr/mask/prot/port): (%s)\n", s(x, "local_ident"));
		sbuf_printf(b, "   remote ident (addr/mask/prot/port): (%s)\n", s(x, "remote_ident"));
		sbuf_printf(b, "   current_peer %s port %" PRId64 "\n", s(x, "current_peer"),
			    n(x, "peer_port") ? n(x, "peer_port") : 500);
		sbuf_printf(b, "     PERMIT, flags={origin_is_acl,}\n");
		sbuf_printf(b,
			    "    #pkts encaps: %" PRId64 ", #pkts encrypt: %" PRId64
			    ", #pkts digest: %" PRId64 "\n",
			    n(x, "pkts_encaps"), n(x, "pkts_encrypt"), n(x, "pkts_digest"));
		sbuf_printf(b,
			    "    #pkts decaps: %" PRId64 ", #pkts decrypt: %" PRId64
			    ", #pkts verify: %" PRId64 "\n",
			    n(x, "pkts_decaps"), n(x, "pkts_decrypt"), n(x, "pkts_verify"));
		sbuf_printf(b, "    #pkts replay failed: %" PRId64 ", #pkts auth failed: %" PRId64 "\n",
			    n(x, "replay_failures"), n(x, "auth_failures"));
		sbuf_printf(b, "    #send errors %" PRId64 ", #recv errors %" PRId64 "\n\n",
			    n(x, "send_errors"), n(x, "recv_errors"));
		sbuf_printf(b, "     local crypto endpt.: %s, remote crypto endpt.: %s\n",
			    s(x, "local_addr"), s(x, "current_peer"));
		sbuf_printf(b, "     plaintext mtu %" PRId64 ", path mtu %" PRId64 ", ip mtu %" PRId64 "\n",
			    n(x, "ip_mtu"), n(x, "path_mtu"), n(x, "ip_mtu"));
		struct json_object *cur = len(out) ? json_object_array_get_idx(out, 0) : NULL;
		sbuf_printf(b, "     current outbound spi: %s(%" PRId64 ")\n",
			    cur ? s(cur, "spi") : "0x0", cur ? n(cur, "spi_decimal") : 0);
		const char *pfs = cur ? s(cur, "pfs_group") : "N";
		sbuf_printf(b, "     PFS (Y/N): %s, DH group: %s\n\n", strcmp(pfs, "N") ? "Y" : "N",
			    strcmp(pfs, "N") ? pfs : "none");
		ipsec_sa_list(b, "inbound", in, true);
		ipsec_sa_list(b, "outbound", out, false);
	}
}

void show_crypto_session_text(struct json_object *o, bool detail, struct sbuf *b)
{
	struct json_object *ss = arr(o, "sessions");
	sbuf_printf(b, "Crypto session current status\n\n");
	for (size_t i = 0; i < len(ss); i++) {
		struct json_object *x = json_object_array_get_idx(ss, i);
		sbuf_printf(b, "Interface: %s\n", s(x, "interface"));
		if (detail)
			sbuf_printf(b, "Uptime: %" PRId64 " sec\n", n(x, "uptime"));
		sbuf_printf(b, "Session status: %s\n", s(x, "status"));
		struct json_object *lf, *na;
		if (json_object_object_get_ex(x, "last_failure", &lf))
			sbuf_printf(b, "Last failure: %s, %" PRId64 " time%s, %" PRId64 " s ago: %s\n",
				    s(lf, "reason"), n(lf, "count"), n(lf, "count") == 1 ? "" : "s",
				    n(lf, "age_s"), s(lf, "detail"));
		if (json_object_object_get_ex(x, "next_attempt_s", &na) && json_object_get_int64(na) >= 0)
			sbuf_printf(b, "Next attempt in %" PRId64 " s\n", json_object_get_int64(na));
		sbuf_printf(b, "Peer: %s port %" PRId64 "\n", s(x, "peer"), n(x, "peer_port"));
		sbuf_printf(b, "  Session ID: %" PRId64 "\n", n(x, "tunnel_id"));
		sbuf_printf(b, "  IKEv2 SA: local %s remote %s %s\n", s(x, "ike_local"),
			    s(x, "ike_remote"), s(x, "ike_status"));
		struct json_object *fl = arr(x, "flows");
		for (size_t j = 0; j < len(fl); j++) {
			struct json_object *f = json_object_array_get_idx(fl, j);
			sbuf_printf(b, "  IPSEC FLOW: permit %s\n", s(f, "flow"));
			sbuf_printf(b, "        Active SAs: %" PRId64 ", origin: crypto map\n",
				    n(f, "active_sas"));
			if (detail)
				sbuf_printf(b,
					    "        Inbound:  #pkts dec'ed %" PRId64 " drop %" PRId64
					    "\n        Outbound: #pkts enc'ed %" PRId64 " drop %" PRId64 "\n",
					    n(f, "pkts_decrypted"), n(f, "in_drops"), n(f, "pkts_encrypted"),
					    n(f, "out_drops"));
		}
		sbuf_printf(b, "\n");
	}
}

/* IOS's uptime: hh:mm:ss under a day, then 1d02h, then 2w3d. */
static void uptime_str(char *buf, size_t len, int64_t sec)
{
	if (sec < 86400)
		snprintf(buf, len, "%02d:%02d:%02d", (int)(sec / 3600), (int)(sec / 60 % 60),
			 (int)(sec % 60));
	else if (sec < 7 * 86400)
		snprintf(buf, len, "%dd%02dh", (int)(sec / 86400), (int)(sec / 3600 % 24));
	else
		snprintf(buf, len, "%dw%dd", (int)(sec / (7 * 86400)), (int)(sec / 86400 % 7));
}

void show_crypto_session_brief_text(struct json_object *o, struct sbuf *b)
{
	struct json_object *ss = arr(o, "sessions");
	sbuf_printf(b, "Crypto sessions: %" PRId64 "\n\n", n(o, "total"));
	sbuf_printf(b, "%-15s %-5s %-15s %-9s %-16s %s\n", "Peer", "Port", "Interface", "IKEv2 SA",
		    "Status", "Uptime");
	for (size_t i = 0; i < len(ss); i++) {
		struct json_object *x = json_object_array_get_idx(ss, i);
		char up[24] = "-";
		if (strncmp(s(x, "status"), "UP", 2) == 0)
			uptime_str(up, sizeof(up), n(x, "uptime"));
		sbuf_printf(b, "%-15s %-5" PRId64 " %-15s %-9s %-16s %s\n", s(x, "peer"),
			    n(x, "peer_port"), s(x, "interface"), s(x, "ike_status"), s(x, "status"),
			    up);
	}
}

void show_crypto_summary_text(struct json_object *o, struct sbuf *b)
{
	static const struct {
		const char *key, *title;
	} lines[] = {{"tunnels", "Tunnels"}, {"ike_sas", "IKEv2 SAs"}, {"child_sas", "Child SAs"}};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct json_object *c;
		if (!json_object_object_get_ex(o, lines[i].key, &c))
			continue;
		sbuf_printf(b, "%s: %" PRId64 " total", lines[i].title, n(c, "total"));
		/* the states there are, in the object's order (IOS's) */
		json_object_object_foreach(c, st, cnt)
		{
			if (strcmp(st, "total") != 0 && json_object_get_int64(cnt) != 0)
				sbuf_printf(b, ", %" PRId64 " %s", json_object_get_int64(cnt), st);
		}
		sbuf_printf(b, "\n");
	}
}

void show_dataplane_text(struct json_object *o, struct sbuf *b)
{
	struct json_object *l, *sas, *x;
	sbuf_printf(b, "Data plane: %s\n", s(o, "backend"));
	sbuf_printf(b, "  Requested: dataplane %s (%s)\n", s(o, "requested"), s(o, "requested_by"));
	sbuf_printf(b, "  Reason: %s\n", s(o, "reason"));
	if (json_object_object_get_ex(o, "configured_next_start", &x))
		sbuf_printf(b, "  Configured now: dataplane %s, takes effect when vtid restarts\n",
			    json_object_get_string(x));
	if (json_object_object_get_ex(o, "workers", &x))
		sbuf_printf(b, "  Worker threads: %" PRId64 "\n", json_object_get_int64(x));
	if (json_object_object_get_ex(o, "links", &l)) {
		sbuf_printf(b, "  Links: %" PRId64, n(l, "total"));
		if (json_object_object_get_ex(l, "multi_queue", NULL))
			sbuf_printf(b,
				    " (%" PRId64 " multi-queue, %" PRId64 " queues each; %" PRId64
				    " single-queue)",
				    n(l, "multi_queue"), n(l, "queues_per_multi_queue_link"),
				    n(l, "single_queue"));
		sbuf_printf(b, "\n");
		if (json_object_object_get_ex(l, "multi_queue_up_to_tunnels", &x))
			sbuf_printf(b,
				    "  Multi-queue devices: made while the configuration holds at "
				    "most %" PRId64 " tunnels\n",
				    json_object_get_int64(x));
	}
	if (json_object_object_get_ex(o, "sas", &sas))
		sbuf_printf(b, "  SAs installed: %" PRId64 " (%" PRId64 " inbound, %" PRId64 " outbound)\n",
			    n(sas, "total"), n(sas, "inbound"), n(sas, "outbound"));
}

void show_interfaces_text(struct json_object *o, struct sbuf *b)
{
	struct json_object *ifs = arr(o, "interfaces");
	for (size_t i = 0; i < len(ifs); i++) {
		struct json_object *x = json_object_array_get_idx(ifs, i);
		sbuf_printf(b, "%s is %s, line protocol is %s", s(x, "interface"), s(x, "status"),
			    s(x, "line_protocol"));
		if (*s(x, "line_protocol_reason"))
			sbuf_printf(b, " (%s)", s(x, "line_protocol_reason"));
		bool plain = *s(x, "hardware") != '\0';
		if (plain)
			sbuf_printf(b, "\n  Hardware is %s %s\n", s(x, "hardware"), s(x, "device"));
		else
			sbuf_printf(b, "\n  Hardware is Tunnel\n");
		if (*s(x, "description"))
			sbuf_printf(b, "  Description: %s\n", s(x, "description"));
		sbuf_printf(b, "  Internet address is %s/%" PRId64 "\n", s(x, "internet_address"),
			    n(x, "prefix_length"));
		sbuf_printf(b, "  MTU %" PRId64 " bytes, BW %" PRId64 " Kbit/sec\n", n(x, "mtu"),
			    n(x, "bandwidth_kbit"));
		if (plain) {
			sbuf_printf(b, "     %" PRId64 " packets input, %" PRId64 " bytes, %" PRId64
				       " input errors\n",
				    n(x, "packets_input"), n(x, "bytes_input"), n(x, "input_errors"));
			sbuf_printf(b, "     %" PRId64 " packets output, %" PRId64 " bytes, %" PRId64
				       " output errors\n",
				    n(x, "packets_output"), n(x, "bytes_output"),
				    n(x, "output_errors"));
			continue;
		}
		sbuf_printf(b, "  Tunnel source %s, destination %s\n", s(x, "tunnel_source"),
			    s(x, "tunnel_destination"));
		sbuf_printf(b, "  Tunnel protocol/transport %s\n", s(x, "tunnel_mode"));
		if (json_object_object_get_ex(x, "tunnel_key", NULL))
			sbuf_printf(b, "  Key 0x%" PRIX64 ", sequencing disabled\n",
				    (uint64_t)n(x, "tunnel_key"));
		if (*s(x, "tunnel_protection"))
			sbuf_printf(b, "  Tunnel protection via IPSec (profile \"%s\")\n",
				    s(x, "tunnel_protection"));
		sbuf_printf(b, "  Last state change %" PRId64 " sec ago, %" PRId64 " transitions\n",
			    n(x, "last_change_sec"), n(x, "carrier_transitions"));
		sbuf_printf(b, "     %" PRId64 " packets input, %" PRId64 " bytes, %" PRId64
			       " input errors\n",
			    n(x, "packets_input"), n(x, "bytes_input"), n(x, "input_errors"));
		sbuf_printf(b, "     %" PRId64 " packets output, %" PRId64 " bytes, %" PRId64
			       " output errors\n",
			    n(x, "packets_output"), n(x, "bytes_output"), n(x, "output_errors"));
	}
}

/* IOS's `show access-lists`: the match count only where there is one; the
 * implicit deny, which IOS never prints, only once it has matched. */
void show_access_lists_text(struct json_object *o, struct sbuf *b)
{
	struct json_object *acls = arr(o, "access_lists");
	for (size_t i = 0; i < len(acls); i++) {
		struct json_object *a = json_object_array_get_idx(acls, i);
		bool std = strcmp(s(a, "type"), "standard") == 0;
		sbuf_printf(b, "%s IP access list %s\n", std ? "Standard" : "Extended", s(a, "name"));
		struct json_object *ents = arr(a, "entries");
		for (size_t j = 0; j < len(ents); j++) {
			struct json_object *e = json_object_array_get_idx(ents, j), *imp;
			int64_t m = n(e, "matches");
			if (json_object_object_get_ex(e, "implicit", &imp)) {
				if (m)
					sbuf_printf(b, "    (implicit %s: %" PRId64 " match%s)\n",
						    s(e, "line"), m, m == 1 ? "" : "es");
				continue;
			}
			sbuf_printf(b, "    %" PRId64 " %s", n(e, "seq"), s(e, "line"));
			if (m)
				sbuf_printf(b, " (%" PRId64 " match%s)", m, m == 1 ? "" : "es");
			sbuf_printf(b, "\n");
		}
	}
}

/* IOS's `show policy-map interface`, nested classes indented under their
 * parent's class, as IOS prints a hierarchical policy. */
static void policy_classes_text(struct json_object *classes, int ind, struct sbuf *b)
{
	for (size_t i = 0; i < len(classes); i++) {
		struct json_object *c = json_object_array_get_idx(classes, i), *q, *sp, *v;
		sbuf_printf(b, "\n%*sClass-map: %s (%s)\n", ind, "", s(c, "class"),
			    json_object_object_get_ex(c, "match_any", &v) && json_object_get_boolean(v)
				? "match-any"
				: "match-all");
		sbuf_printf(b, "%*s  %" PRId64 " packets, %" PRId64 " bytes\n", ind, "",
			    n(c, "packets"), n(c, "bytes"));
		sbuf_printf(b, "%*s  30 second offered rate %" PRId64 " bps, drop rate %" PRId64 " bps\n",
			    ind, "", n(c, "offered_rate_bps"), n(c, "drop_rate_bps"));
		sbuf_printf(b, "%*s  Match: %s\n", ind, "", s(c, "match"));
		if (json_object_object_get_ex(c, "priority_kbps", &v)) {
			if (json_object_object_get_ex(c, "priority_percent", &v))
				sbuf_printf(b, "%*s  Priority: %" PRId64 "%%\n", ind, "",
					    json_object_get_int64(v));
			else
				sbuf_printf(b, "%*s  Priority: %" PRId64 " kbps\n", ind, "",
					    n(c, "priority_kbps"));
		}
		if (json_object_object_get_ex(c, "queueing", &q)) {
			sbuf_printf(b, "%*s  Queueing\n", ind, "");
			sbuf_printf(b, "%*s  queue limit %" PRId64 " packets\n", ind, "",
				    n(q, "queue_limit"));
			sbuf_printf(b,
				    "%*s  (queue depth/total drops/no-buffer drops) %" PRId64 "/%" PRId64
				    "/0\n",
				    ind, "", n(q, "queue_depth"), n(q, "total_drops"));
			sbuf_printf(b, "%*s  (pkts output/bytes output) %" PRId64 "/%" PRId64 "\n", ind,
				    "", n(q, "pkts_output"), n(q, "bytes_output"));
		}
		if (json_object_object_get_ex(c, "bandwidth_kbps", &v))
			sbuf_printf(b, "%*s  bandwidth %" PRId64 " kbps\n", ind, "",
				    json_object_get_int64(v));
		if (json_object_object_get_ex(c, "bandwidth_percent", &v))
			sbuf_printf(b, "%*s  bandwidth %" PRId64 "%%\n", ind, "",
				    json_object_get_int64(v));
		if (json_object_object_get_ex(c, "bandwidth_remaining_percent", &v))
			sbuf_printf(b, "%*s  bandwidth remaining %" PRId64 "%%\n", ind, "",
				    json_object_get_int64(v));
		if (json_object_object_get_ex(c, "shape_average_bps", &v))
			sbuf_printf(b, "%*s  shape (average) cir %" PRId64 "\n", ind, "",
				    json_object_get_int64(v));
		if (json_object_object_get_ex(c, "police_cir_bps", &v))
			sbuf_printf(b,
				    "%*s  police:\n%*s      cir %" PRId64 " bps\n%*s    conformed: "
				    "transmit\n%*s    exceeded %" PRId64 " packets: drop\n",
				    ind, "", ind, "", json_object_get_int64(v), ind, "", ind, "",
				    n(c, "police_exceeded"));
		if (json_object_object_get_ex(c, "set_dscp", &v))
			sbuf_printf(b, "%*s  QoS Set\n%*s    dscp %" PRId64 "\n", ind, "", ind, "",
				    json_object_get_int64(v));
		if (json_object_object_get_ex(c, "service_policy", &sp)) {
			sbuf_printf(b, "\n%*s  Service-policy : %s\n", ind, "", s(sp, "policy"));
			policy_classes_text(arr(sp, "classes"), ind + 4, b);
		}
	}
}

void show_policy_map_text(struct json_object *o, struct sbuf *b)
{
	struct json_object *ifs = arr(o, "interfaces");
	for (size_t i = 0; i < len(ifs); i++) {
		struct json_object *x = json_object_array_get_idx(ifs, i);
		sbuf_printf(b, " %s \n", s(x, "interface"));
		struct json_object *pols = arr(x, "policies");
		for (size_t j = 0; j < len(pols); j++) {
			struct json_object *p = json_object_array_get_idx(pols, j);
			sbuf_printf(b, "\n  Service-policy %s: %s\n", s(p, "direction"), s(p, "policy"));
			policy_classes_text(arr(p, "classes"), 4, b);
		}
		sbuf_printf(b, "\n");
	}
}

/* IOS's `show crypto map`; the tunnels an entry protects are vtid's. */
void show_crypto_map_text(struct json_object *o, struct sbuf *b)
{
	struct json_object *maps = arr(o, "crypto_maps");
	for (size_t i = 0; i < len(maps); i++) {
		struct json_object *x = json_object_array_get_idx(maps, i), *acl, *v;
		sbuf_printf(b, "Crypto Map IPv4 \"%s\" %" PRId64 " %s\n", s(x, "map"), n(x, "seq"),
			    s(x, "type"));
		if (*s(x, "description"))
			sbuf_printf(b, "\tDescription: %s\n", s(x, "description"));
		if (*s(x, "peer"))
			sbuf_printf(b, "\tPeer = %s\n", s(x, "peer"));
		if (*s(x, "ikev2_profile"))
			sbuf_printf(b, "\tIKEv2 Profile: %s\n", s(x, "ikev2_profile"));
		json_object_object_get_ex(x, "access_list", &acl);
		if (*s(acl, "name")) {
			struct json_object *e = arr(acl, "entries");
			sbuf_printf(b, "\t%s IP access list %s\n",
				    strcmp(s(acl, "type"), "standard") ? "Extended" : "Standard",
				    s(acl, "name"));
			for (size_t j = 0; j < len(e); j++)
				sbuf_printf(b, "\t    access-list %s %s\n", s(acl, "name"),
					    json_object_get_string(json_object_array_get_idx(e, j)));
		} else {
			sbuf_printf(b, "\tNo matching address list set.\n");
		}
		if (*s(x, "peer"))
			sbuf_printf(b, "\tCurrent peer: %s\n", s(x, "peer"));
		if (json_object_object_get_ex(x, "lifetime_kb_disabled", &v) &&
		    json_object_get_boolean(v))
			sbuf_printf(b, "\tSecurity association lifetime: %" PRId64 " seconds\n",
				    n(x, "lifetime_sec"));
		else
			sbuf_printf(b,
				    "\tSecurity association lifetime: %" PRId64 " kilobytes/%" PRId64
				    " seconds\n",
				    n(x, "lifetime_kb"), n(x, "lifetime_sec"));
		sbuf_printf(b, "\tResponder-Only (Y/N): N\n");
		if (strcmp(s(x, "pfs"), "N"))
			sbuf_printf(b, "\tPFS (Y/N): Y\n\tDH group:  %s\n", s(x, "pfs"));
		else
			sbuf_printf(b, "\tPFS (Y/N): N\n");
		sbuf_printf(b, "\tTransform sets={ \n");
		struct json_object *ts = arr(x, "transform_sets");
		for (size_t j = 0; j < len(ts); j++) {
			struct json_object *t = json_object_array_get_idx(ts, j);
			sbuf_printf(b, "\t\t%s:  { %s  } , \n", s(t, "name"), s(t, "transform"));
		}
		sbuf_printf(b, "\t}\n");
		struct json_object *tun = arr(x, "tunnels");
		if (len(tun)) {
			sbuf_printf(b, "\tProtects GRE tunnels:");
			for (size_t j = 0; j < len(tun); j++)
				sbuf_printf(b, " %s",
					    json_object_get_string(json_object_array_get_idx(tun, j)));
			sbuf_printf(b, "\n");
		}
		struct json_object *ifs = arr(x, "interfaces");
		if (len(ifs)) {
			sbuf_printf(b, "\tInterfaces using crypto map %s:\n", s(x, "map"));
			for (size_t j = 0; j < len(ifs); j++)
				sbuf_printf(b, "\t\t%s\n",
					    json_object_get_string(json_object_array_get_idx(ifs, j)));
		}
		sbuf_printf(b, "\n");
	}
}
