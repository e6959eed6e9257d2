/* show.c: `show crypto ikev2 sa [detailed]`, `show crypto ikev2 stats`
 * as json-c objects, and the Wireshark key log.
 *
 * Key log (`crypto ikev2 keylog FILE`): one line per IKE SA in the format
 * of Wireshark's ikev2_decryption_table UAT and one per Child SA direction
 * in the format of its esp_sa UAT, appended as SAs come up: to the files
 * ikev2_decryption_table and esp_sa when FILE is a directory, else all to FILE.  For debugging in a
 * lab only: the file holds live keys, which is the point of it. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *sa_status(const struct ike_sa *sa)
{
	switch (sa->state) {
	case IKE_STATE_ESTABLISHED:
	case IKE_STATE_REKEYING:
		return "READY";
	case IKE_STATE_REKEYED:
	case IKE_STATE_DELETING:
	case IKE_STATE_DEAD:
		return "DELETE";
	default:
		return "IN-NEG";
	}
}

static void add_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, json_object_new_string(v ? v : ""));
}

static void add_int(struct json_object *o, const char *k, int64_t v)
{
	json_object_object_add(o, k, json_object_new_int64(v));
}

static void addr_port(char *buf, size_t n, const struct sockaddr_in *a)
{
	char ip[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	snprintf(buf, n, "%s/%u", ip, ntohs(a->sin_port));
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = 0;
}

static void ts_str(char *buf, size_t n, const struct ike_ts *t)
{
	char lo[INET_ADDRSTRLEN], hi[INET_ADDRSTRLEN];
	uint32_t a = htonl(t->addr_lo), b = htonl(t->addr_hi);
	inet_ntop(AF_INET, &a, lo, sizeof(lo));
	inet_ntop(AF_INET, &b, hi, sizeof(hi));
	if (t->addr_lo == t->addr_hi)
		snprintf(buf, n, "%s/32", lo);
	else if (t->addr_lo == 0 && t->addr_hi == 0xffffffffu)
		snprintf(buf, n, "0.0.0.0/0");
	else
		snprintf(buf, n, "%s-%s", lo, hi);
	size_t l = strlen(buf);
	if (t->proto)
		snprintf(buf + l, n - l, " proto %u", t->proto);
}

static struct json_object *child_json(const struct ike_child *c, uint64_t now, bool detailed)
{
	struct json_object *o = json_object_new_object();
	char buf[96];
	ts_str(buf, sizeof(buf), &c->ts_l);
	add_str(o, "local_selector", buf);
	ts_str(buf, sizeof(buf), &c->ts_r);
	add_str(o, "remote_selector", buf);
	snprintf(buf, sizeof(buf), "0x%08x", c->spi_in);
	add_str(o, "spi_in", buf);
	snprintf(buf, sizeof(buf), "0x%08x", c->spi_out);
	add_str(o, "spi_out", buf);
	add_str(o, "mode", c->transport ? "transport" : "tunnel");
	if (detailed) {
		add_str(o, "state", ike_child_state_name(c->state));
		add_str(o, "encryption", c->encr ? c->encr->display : "");
		add_str(o, "integrity", c->integ ? c->integ->display : "");
		add_str(o, "pfs", c->pfs ? c->pfs->display : "none");
		add_int(o, "active_time", c->up_ms ? (int64_t)((now - c->up_ms) / 1000) : 0);
		add_int(o, "esn", c->esn);
	}
	return o;
}

struct json_object *ike_show_sa(struct ike_engine *eng, bool detailed)
{
	struct json_object *root = json_object_new_object(), *arr = json_object_new_array();
	json_object_object_add(root, "sas", arr);
	if (!eng)
		return root;
	uint64_t now = ike_now(eng);
	for (struct ike_peer *p = eng->peers; p; p = p->next) {
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
			if (sa->state == IKE_STATE_DEAD)
				continue;
			struct json_object *o = json_object_new_object();
			char buf[64];
			add_int(o, "tunnel_id", p->cfg.tunnel_id);
			addr_port(buf, sizeof(buf), &sa->local);
			add_str(o, "local", buf);
			addr_port(buf, sizeof(buf), &sa->remote);
			add_str(o, "remote", buf);
			add_str(o, "status", sa_status(sa));
			add_str(o, "role", sa->initiator ? "INITIATOR" : "RESPONDER");
			add_str(o, "encryption", sa->encr ? sa->encr->display : "");
			add_int(o, "keysize", sa->encr ? sa->encr->key_len * 8 : 0);
			add_str(o, "prf", sa->prf ? sa->prf->display : "");
			add_str(o, "hash", sa->integ ? sa->integ->display : "None");
			add_str(o, "dh_group", sa->dh_group ? sa->dh_group->display : "");
			add_int(o, "dh_group_id", sa->dh_group ? sa->dh_group->id : 0);
			add_str(o, "auth_sign", "PSK");
			add_str(o, "auth_verify", "PSK");
			add_int(o, "lifetime", p->cfg.ike_lifetime_s);
			add_int(o, "active_time",
				sa->established_ms ? (int64_t)((now - sa->established_ms) / 1000)
						   : 0);
			hex(buf, sa->spi_i, 8);
			add_str(o, "spi_i", buf);
			hex(buf, sa->spi_r, 8);
			add_str(o, "spi_r", buf);
			if (detailed) {
				add_str(o, "state", ike_state_name(sa->state));
				add_int(o, "nat_t", sa->natt);
				add_int(o, "fragmentation", sa->frag_ok);
				add_int(o, "msgid_out", sa->msgid_out);
				add_int(o, "msgid_in", sa->msgid_in);
			}
			struct json_object *ch = json_object_new_array();
			for (struct ike_child *c = sa->children; c; c = c->next)
				if (c->state != CHILD_DEAD && c->state != CHILD_CREATING)
					json_object_array_add(ch, child_json(c, now, detailed));
			json_object_object_add(o, "children", ch);
			json_object_array_add(arr, o);
		}
	}
	return root;
}

struct json_object *ike_show_stats(struct ike_engine *eng)
{
	struct json_object *o = json_object_new_object();
	if (!eng)
		return o;
	const struct ike_stats *s = &eng->st;
	unsigned sas = 0, established = 0;
	for (struct ike_peer *p = eng->peers; p; p = p->next)
		for (struct ike_sa *sa = p->sas; sa; sa = sa->peer_next) {
			sas += sa->state != IKE_STATE_DEAD;
			established += ike_sa_usable(sa);
		}
	add_int(o, "sas", sas);
	add_int(o, "established", established);
	add_int(o, "half_open", eng->half_open);
	add_int(o, "cookie_threshold", eng->cookie_threshold);
#define C(f) add_int(o, #f, (int64_t)s->f)
	C(rx);
	C(tx);
	C(retransmits);
	C(rx_retransmits);
	C(rule_err);
	C(sk_fail);
	C(no_sa);
	C(bad_msgid);
	C(unknown_peer);
	C(bad_proposal);
	C(auth_fail);
	C(invalid_ke_sent);
	C(invalid_ke_rcvd);
	C(cookies_sent);
	C(cookie_bad);
	C(ts_unacceptable);
	C(timeouts);
	C(dpd_dead);
	C(frag_rx);
	C(frag_tx);
	C(frag_drop);
	C(ike_up);
	C(ike_down);
	C(child_up);
	C(child_down);
	C(ike_rekeys);
	C(child_rekeys);
	C(collisions);
	C(dup_sa_deleted);
	C(auth_probes);
	C(delete_acked);
	C(delete_unacked);
	C(initial_contact);
	C(half_open_refused);
	C(bad_payload);
	C(resend_refused);
	C(zero_spi);
	C(icmp_errors);
	C(icmp_ignored);
	C(worry_probes);
	C(early_request);
	C(init_started);
#undef C
	struct json_object *fl = json_object_new_object();
	for (int c = IKE_FAIL_NONE + 1; c < IKE_FAIL_MAX; c++)
		add_int(fl, ike_fail_reason((enum ike_fail_class)c), (int64_t)s->fail[c]);
	json_object_object_add(o, "failures", fl);
	struct json_object *d = json_object_new_object();
	for (int i = 1; i < IKE_DEC_MAX; i++)
		add_int(d, ike_decode_err_str((enum ike_decode_err)i), (int64_t)s->dec_err[i]);
	json_object_object_add(o, "decode_errors", d);
	return o;
}

static FILE *keylog_fopen(const char *path);

int ike_set_keylog(struct ike_engine *eng, const char *path)
{
	if (!eng)
		return -EINVAL;
	free(eng->keylog_path);
	eng->keylog_path = NULL;
	if (!path)
		return 0;
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
		FILE *f = keylog_fopen(path);
		if (!f)
			return -errno;
		fclose(f);
	}
	eng->keylog_path = strdup(path);
	return eng->keylog_path ? 0 : -ENOMEM;
}

/* Wireshark's names for the algorithms (its UAT value strings). */
/* Wireshark's names for its decryption tables (lib/suite.c).  An AEAD
 * carries its own ICV: Wireshark wants "NULL" authentication beside it in
 * esp_sa (and "NONE" in the IKEv2 table) and refuses the SA otherwise. */
static const char *ws_ike_encr(const struct suite *e)
{
	return e->ws_ike;
}

static const char *ws_ike_integ(const struct suite *i)
{
	return i ? i->ws_ike : SUITE_WS_IKE_NO_INTEG;
}

static const char *ws_esp_encr(const struct suite *e)
{
	return e->ws_esp;
}

static const char *ws_esp_integ(const struct suite *i)
{
	return i ? i->ws_esp : SUITE_WS_ESP_NO_INTEG;
}

/* Opens a key-log file for appending: never through a symbolic link (the
 * file holds live keys, and vtid runs as root), created 0600 whatever the
 * umask, and a file that is not ours to write (not a regular file, or
 * readable by others) is refused. */
static FILE *keylog_fopen(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
		      0600);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || fchmod(fd, 0600) < 0) {
		close(fd);
		errno = EPERM;
		return NULL;
	}
	FILE *f = fdopen(fd, "a");
	if (!f)
		close(fd);
	return f;
}

/* A directory gets Wireshark's two file names; a file gets every line. */
static FILE *keylog_open(struct ike_engine *eng, const char *table)
{
	struct stat st;
	if (stat(eng->keylog_path, &st) == 0 && S_ISDIR(st.st_mode)) {
		char path[4096];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", eng->keylog_path, table) >=
		    sizeof(path))
			return NULL;
		return keylog_fopen(path);
	}
	return keylog_fopen(eng->keylog_path);
}

static void fhex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

/* ikev2_decryption_table: SPIi,SPIr,SK_ei,SK_er,"encr",SK_ai,SK_ar,"integ" */
void ike_keylog_ike(struct ike_sa *sa)
{
	struct ike_engine *eng = sa->eng;
	const char *e = sa->encr ? ws_ike_encr(sa->encr) : NULL, *i = ws_ike_integ(sa->integ);
	if (!eng->keylog_path || !e || !i)
		return;
	FILE *f = keylog_open(eng, "ikev2_decryption_table");
	if (!f)
		return;
	fhex(f, sa->spi_i, 8);
	fputc(',', f);
	fhex(f, sa->spi_r, 8);
	fputc(',', f);
	fhex(f, sa->keys.sk_ei, sa->keys.encr_len);
	fputc(',', f);
	fhex(f, sa->keys.sk_er, sa->keys.encr_len);
	fprintf(f, ",\"%s\",", e);
	fhex(f, sa->keys.sk_ai, sa->keys.integ_len);
	fputc(',', f);
	fhex(f, sa->keys.sk_ar, sa->keys.integ_len);
	fprintf(f, ",\"%s\"\n", i);
	fclose(f);
}

static void esp_line(FILE *f, const struct sockaddr_in *src, const struct sockaddr_in *dst,
		     uint32_t spi, const char *e, const uint8_t *ek, size_t ekl, const char *i,
		     const uint8_t *ik, size_t ikl)
{
	char s[INET_ADDRSTRLEN], d[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &src->sin_addr, s, sizeof(s));
	inet_ntop(AF_INET, &dst->sin_addr, d, sizeof(d));
	fprintf(f, "\"IPv4\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x", s, d, spi, e);
	fhex(f, ek, ekl);
	fprintf(f, "\",\"%s\",\"0x", i);
	fhex(f, ik, ikl);
	fprintf(f, "\"\n");
}

/* esp_sa: "IPv4","src","dst","0xSPI","encr","0xkey","integ","0xkey", one line
 * per direction. */
void ike_keylog_child(struct ike_sa *sa, const struct ike_child_sa *c)
{
	struct ike_engine *eng = sa->eng;
	const char *e = ws_esp_encr(c->encr), *i = ws_esp_integ(c->integ);
	if (!eng->keylog_path || !e || !i)
		return;
	FILE *f = keylog_open(eng, "esp_sa");
	if (!f)
		return;
	esp_line(f, &c->local, &c->remote, c->spi_out, e, c->key_out_encr, c->encr_key_len, i,
		 c->key_out_integ, c->integ_key_len);
	esp_line(f, &c->remote, &c->local, c->spi_in, e, c->key_in_encr, c->encr_key_len, i,
		 c->key_in_integ, c->integ_key_len);
	fclose(f);
}
