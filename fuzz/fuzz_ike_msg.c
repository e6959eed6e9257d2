/* fuzz_ike_msg.c: the IKEv2 decoder with no SA: header, payload chain,
 * every payload body decoder, and the payload rules. */
#include <stddef.h>
#include <stdint.h>

#include "ike/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ike_msg m;
	enum ike_decode_err why;
	if (ike_msg_decode(data, size, &m, &why) < 0)
		return 0;
	(void)ike_rules_check(&m, NULL);
	for (size_t i = 0; i < m.n; i++) {
		const struct ike_pl *p = &m.pl[i];
		union {
			struct ike_sa_pl sa;
			struct ike_ke_pl ke;
			struct ike_id_pl id;
			struct ike_auth_pl auth;
			struct ike_notify_pl n;
			struct ike_delete_pl d;
			struct ike_ts_pl ts;
			struct ike_skf_pl skf;
		} u;
		switch (p->type) {
		case IKEV2_PL_SA:
			(void)ike_sa_pl_decode(p->body, p->len, &u.sa);
			break;
		case IKEV2_PL_KE:
			(void)ike_ke_pl_decode(p->body, p->len, &u.ke);
			break;
		case IKEV2_PL_IDI:
		case IKEV2_PL_IDR:
			(void)ike_id_pl_decode(p->body, p->len, &u.id);
			break;
		case IKEV2_PL_AUTH:
			(void)ike_auth_pl_decode(p->body, p->len, &u.auth);
			break;
		case IKEV2_PL_NOTIFY:
			(void)ike_notify_pl_decode(p->body, p->len, &u.n);
			break;
		case IKEV2_PL_DELETE:
			(void)ike_delete_pl_decode(p->body, p->len, &u.d);
			break;
		case IKEV2_PL_TSI:
		case IKEV2_PL_TSR:
			(void)ike_ts_pl_decode(p->body, p->len, &u.ts);
			break;
		case IKEV2_PL_SKF:
			(void)ike_skf_pl_decode(p->body, p->len, &u.skf);
			break;
		}
	}
	return 0;
}
