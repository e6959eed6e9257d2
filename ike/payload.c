/* payload.c: what the exchanges (exch_*.c) ask of a decoded message and of
 * nonces, written once: the notifies a message carries, whether a Nonce
 * payload has a size RFC 7296 3.9 allows, and the nonce order that decides
 * rekey collisions and duplicate IKE SAs (2.8.1). */
#include "ike/priv.h"

#include <string.h>

bool ike_msg_notify(const struct ike_msg *m, uint16_t type, struct ike_notify_pl *out)
{
	const struct ike_pl *pl;
	for (size_t i = 0; (pl = ike_msg_find(m, IKEV2_PL_NOTIFY, i)); i++) {
		struct ike_notify_pl n;
		if (ike_notify_pl_decode(pl->body, pl->len, &n) == 0 && n.type == type) {
			if (out)
				*out = n;
			return true;
		}
	}
	return false;
}

uint16_t ike_msg_error(const struct ike_msg *m)
{
	const struct ike_pl *pl;
	for (size_t i = 0; (pl = ike_msg_find(m, IKEV2_PL_NOTIFY, i)); i++) {
		struct ike_notify_pl n;
		if (ike_notify_pl_decode(pl->body, pl->len, &n) == 0 && n.type <= IKEV2_N_ERROR_MAX)
			return n.type;
	}
	return 0;
}

bool ike_nonce_ok(const struct ike_pl *np)
{
	return np && np->len >= 16 && np->len <= IKE_MAX_NONCE;
}

int ike_nonce_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl;
	int c = memcmp(a, b, n);
	return c ? c : (al < bl ? -1 : al > bl);
}

void ike_nonce_min(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out,
		   size_t *out_len)
{
	if (ike_nonce_cmp(a, al, b, bl) <= 0) {
		memcpy(out, a, al);
		*out_len = al;
	} else {
		memcpy(out, b, bl);
		*out_len = bl;
	}
}
