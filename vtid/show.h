/* show.h: text rendering of the show commands from their json-c objects. */
#ifndef VTID_SHOW_H
#define VTID_SHOW_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

/* A growing text buffer; on allocation failure it stops growing and sets failed. */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool failed;
};
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_free(struct sbuf *b);

void show_ikev2_sa_text(struct json_object *o, bool detailed, struct sbuf *b);
void show_ikev2_stats_text(struct json_object *o, struct sbuf *b);
void show_ipsec_sa_text(struct json_object *o, struct sbuf *b);
void show_crypto_session_text(struct json_object *o, bool detail, struct sbuf *b);
void show_crypto_session_brief_text(struct json_object *o, struct sbuf *b);
/* `show crypto session summary` and `show crypto ikev2 sa summary`: each
 * object of counts ({"total": N, STATE: n, ...}) one line. */
void show_crypto_summary_text(struct json_object *o, struct sbuf *b);
void show_dataplane_text(struct json_object *o, struct sbuf *b);
void show_interfaces_text(struct json_object *o, struct sbuf *b);
void show_access_lists_text(struct json_object *o, struct sbuf *b);
void show_policy_map_text(struct json_object *o, struct sbuf *b);
void show_crypto_map_text(struct json_object *o, struct sbuf *b);

#endif
