/* rules.c: which payloads each exchange may carry (RFC 7296 1.2-1.5, 3).
 *
 * One table, read by one function, before any exchange handler runs, so a
 * handler can assume the payloads it needs exist and that anything
 * authenticated-only arrived inside SK.  A payload that must be encrypted
 * and arrives in the clear never matches: the message is refused. */
#include "ike/msg.h"

#include <stddef.h>

struct pl_rule {
	uint8_t type;
	uint8_t min, max;
};

struct exch_rules {
	uint8_t exch;
	bool response;
	bool encrypted; /* every payload must be inside SK */
	struct pl_rule r[14];
};

enum { MANY = 255 };

static const struct exch_rules rules[] = {
    {IKEV2_EXCH_IKE_SA_INIT,
     false,
     false,
     {{IKEV2_PL_SA, 1, 1},
      {IKEV2_PL_KE, 1, 1},
      {IKEV2_PL_NONCE, 1, 1},
      {IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_VENDOR, 0, MANY},
      {IKEV2_PL_CERTREQ, 0, MANY}}},
    {IKEV2_EXCH_IKE_SA_INIT,
     true,
     false,
     {{IKEV2_PL_SA, 1, 1},
      {IKEV2_PL_KE, 1, 1},
      {IKEV2_PL_NONCE, 1, 1},
      {IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_VENDOR, 0, MANY},
      {IKEV2_PL_CERTREQ, 0, MANY}}},
    {IKEV2_EXCH_IKE_AUTH,
     false,
     true,
     {{IKEV2_PL_IDI, 1, 1},
      {IKEV2_PL_IDR, 0, 1},
      {IKEV2_PL_AUTH, 0, 1},
      {IKEV2_PL_CERT, 0, MANY},
      {IKEV2_PL_CERTREQ, 0, MANY},
      {IKEV2_PL_SA, 0, 1},
      {IKEV2_PL_TSI, 0, 1},
      {IKEV2_PL_TSR, 0, 1},
      {IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_VENDOR, 0, MANY},
      {IKEV2_PL_CP, 0, 1},
      {IKEV2_PL_EAP, 0, 1}}},
    {IKEV2_EXCH_IKE_AUTH,
     true,
     true,
     {{IKEV2_PL_IDR, 0, 1},
      {IKEV2_PL_AUTH, 0, 1},
      {IKEV2_PL_CERT, 0, MANY},
      {IKEV2_PL_SA, 0, 1},
      {IKEV2_PL_TSI, 0, 1},
      {IKEV2_PL_TSR, 0, 1},
      {IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_VENDOR, 0, MANY},
      {IKEV2_PL_CP, 0, 1},
      {IKEV2_PL_EAP, 0, 1}}},
    {IKEV2_EXCH_CREATE_CHILD_SA,
     false,
     true,
     {{IKEV2_PL_SA, 1, 1},
      {IKEV2_PL_NONCE, 1, 1},
      {IKEV2_PL_KE, 0, 1},
      {IKEV2_PL_TSI, 0, 1},
      {IKEV2_PL_TSR, 0, 1},
      {IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_VENDOR, 0, MANY}}},
    {IKEV2_EXCH_CREATE_CHILD_SA,
     true,
     true,
     {{IKEV2_PL_SA, 1, 1},
      {IKEV2_PL_NONCE, 1, 1},
      {IKEV2_PL_KE, 0, 1},
      {IKEV2_PL_TSI, 0, 1},
      {IKEV2_PL_TSR, 0, 1},
      {IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_VENDOR, 0, MANY}}},
    {IKEV2_EXCH_INFORMATIONAL,
     false,
     true,
     {{IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_DELETE, 0, MANY},
      {IKEV2_PL_CP, 0, 1},
      {IKEV2_PL_VENDOR, 0, MANY}}},
    {IKEV2_EXCH_INFORMATIONAL,
     true,
     true,
     {{IKEV2_PL_NOTIFY, 0, MANY},
      {IKEV2_PL_DELETE, 0, MANY},
      {IKEV2_PL_CP, 0, 1},
      {IKEV2_PL_VENDOR, 0, MANY}}},
};

static const char *const rule_err_str[] = {
    [IKE_RULE_OK] = "ok",
    [IKE_RULE_UNEXPECTED] = "unexpected payload",
    [IKE_RULE_COUNT] = "missing or repeated payload",
    [IKE_RULE_NOT_ENCRYPTED] = "payload must be encrypted",
    [IKE_RULE_SK_MISSING] = "exchange must be encrypted",
};

const char *ike_rule_err_str(enum ike_rule_err e)
{
	return e <= IKE_RULE_SK_MISSING ? rule_err_str[e] : "?";
}

/* An error notify, or a COOKIE demand, replaces the payloads of a
 * response (RFC 7296 1.2, 1.3, 2.6, 2.21), so the minimum counts do not
 * apply to such a response.  A request never gets this exemption: an error
 * notify in a request is just a notify, and the payloads the exchange needs
 * must still be there, or a handler would read what is not. */
static bool response_carries_error(const struct ike_msg *m)
{
	if (!(m->hdr.flags & IKEV2_FLAG_RESPONSE))
		return false;
	for (size_t i = 0; i < m->n; i++) {
		if (m->pl[i].type != IKEV2_PL_NOTIFY || m->pl[i].len < 4)
			continue;
		uint16_t t = (uint16_t)(m->pl[i].body[2] << 8 | m->pl[i].body[3]);
		if (t <= IKEV2_N_ERROR_MAX ||
		    (t == IKEV2_N_COOKIE && m->hdr.exch == IKEV2_EXCH_IKE_SA_INIT))
			return true;
	}
	return false;
}

enum ike_rule_err ike_rules_check(const struct ike_msg *m, uint8_t *bad_type)
{
	uint8_t dummy;
	if (!bad_type)
		bad_type = &dummy;
	*bad_type = 0;
	bool response = m->hdr.flags & IKEV2_FLAG_RESPONSE;
	const struct exch_rules *er = NULL;
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].exch == m->hdr.exch && rules[i].response == response)
			er = &rules[i];
	if (!er)
		return IKE_RULE_UNEXPECTED;
	if (er->encrypted && m->sk < 0)
		return IKE_RULE_SK_MISSING;
	if (!er->encrypted && m->sk >= 0) {
		*bad_type = IKEV2_PL_SK;
		return IKE_RULE_UNEXPECTED;
	}
	bool error = response_carries_error(m);
	uint8_t count[256] = {0};
	for (size_t i = 0; i < m->n; i++) {
		const struct ike_pl *pl = &m->pl[i];
		if (pl->type == IKEV2_PL_SK || pl->type == IKEV2_PL_SKF)
			continue;
		const struct pl_rule *r = NULL;
		for (size_t j = 0; j < sizeof(er->r) / sizeof(er->r[0]) && er->r[j].type; j++)
			if (er->r[j].type == pl->type)
				r = &er->r[j];
		*bad_type = pl->type;
		if (!r)
			return IKE_RULE_UNEXPECTED;
		if (er->encrypted && !pl->encrypted)
			return IKE_RULE_NOT_ENCRYPTED;
		if (count[pl->type] < 255)
			count[pl->type]++;
		if (r->max != MANY && count[pl->type] > r->max)
			return IKE_RULE_COUNT;
	}
	*bad_type = 0;
	if (error)
		return IKE_RULE_OK;
	for (size_t j = 0; j < sizeof(er->r) / sizeof(er->r[0]) && er->r[j].type; j++) {
		if (count[er->r[j].type] < er->r[j].min) {
			*bad_type = er->r[j].type;
			return IKE_RULE_COUNT;
		}
	}
	return IKE_RULE_OK;
}
