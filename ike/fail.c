/* fail.c: why a tunnel's negotiation failed, in the classes of ike.h, told
 * to the host once per attempt.  The host (vtid/tunnel.c) keeps the last
 * one per tunnel and decides what reaches the log; the engine only says
 * what happened, where it was decided. */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const reasons[IKE_FAIL_MAX] = {
    [IKE_FAIL_NONE] = "NONE",
    [IKE_FAIL_AUTH] = "AUTHENTICATION_FAILED",
    [IKE_FAIL_PROPOSAL] = "NO_PROPOSAL_CHOSEN",
    [IKE_FAIL_IDENTITY] = "IDENTITY_MISMATCH",
    [IKE_FAIL_SELECTORS] = "TS_UNACCEPTABLE",
    [IKE_FAIL_NO_ANSWER] = "NO_RESPONSE",
    [IKE_FAIL_UNREACHABLE] = "PEER_UNREACHABLE",
    [IKE_FAIL_DEAD_PEER] = "DEAD_PEER",
    [IKE_FAIL_DELETED] = "DELETED_BY_PEER",
    [IKE_FAIL_LOCAL] = "LOCAL_CONFIGURATION",
    [IKE_FAIL_PROTOCOL] = "PROTOCOL_ERROR",
};

const char *ike_fail_reason(enum ike_fail_class c)
{
	return c < IKE_FAIL_MAX && reasons[c] ? reasons[c] : "UNKNOWN";
}

const char *ike_notify_name(uint16_t type)
{
	switch (type) {
	case IKEV2_N_UNSUPPORTED_CRITICAL_PAYLOAD:
		return "UNSUPPORTED_CRITICAL_PAYLOAD";
	case IKEV2_N_INVALID_IKE_SPI:
		return "INVALID_IKE_SPI";
	case IKEV2_N_INVALID_MAJOR_VERSION:
		return "INVALID_MAJOR_VERSION";
	case IKEV2_N_INVALID_SYNTAX:
		return "INVALID_SYNTAX";
	case IKEV2_N_INVALID_MESSAGE_ID:
		return "INVALID_MESSAGE_ID";
	case IKEV2_N_INVALID_SPI:
		return "INVALID_SPI";
	case IKEV2_N_NO_PROPOSAL_CHOSEN:
		return "NO_PROPOSAL_CHOSEN";
	case IKEV2_N_INVALID_KE_PAYLOAD:
		return "INVALID_KE_PAYLOAD";
	case IKEV2_N_AUTHENTICATION_FAILED:
		return "AUTHENTICATION_FAILED";
	case IKEV2_N_SINGLE_PAIR_REQUIRED:
		return "SINGLE_PAIR_REQUIRED";
	case IKEV2_N_NO_ADDITIONAL_SAS:
		return "NO_ADDITIONAL_SAS";
	case IKEV2_N_INTERNAL_ADDRESS_FAILURE:
		return "INTERNAL_ADDRESS_FAILURE";
	case IKEV2_N_FAILED_CP_REQUIRED:
		return "FAILED_CP_REQUIRED";
	case IKEV2_N_TS_UNACCEPTABLE:
		return "TS_UNACCEPTABLE";
	case IKEV2_N_INVALID_SELECTORS:
		return "INVALID_SELECTORS";
	case IKEV2_N_TEMPORARY_FAILURE:
		return "TEMPORARY_FAILURE";
	case IKEV2_N_CHILD_SA_NOT_FOUND:
		return "CHILD_SA_NOT_FOUND";
	}
	return NULL;
}

/* The class an error notify from the peer falls in. */
enum ike_fail_class ike_fail_class_of(uint16_t notify)
{
	switch (notify) {
	case IKEV2_N_AUTHENTICATION_FAILED:
		return IKE_FAIL_AUTH;
	case IKEV2_N_NO_PROPOSAL_CHOSEN:
	case IKEV2_N_INVALID_KE_PAYLOAD:
		return IKE_FAIL_PROPOSAL;
	case IKEV2_N_TS_UNACCEPTABLE:
	case IKEV2_N_SINGLE_PAIR_REQUIRED:
	case IKEV2_N_INVALID_SELECTORS:
		return IKE_FAIL_SELECTORS;
	default:
		return IKE_FAIL_PROTOCOL;
	}
}

void ike_fail(struct ike_peer *p, const struct ike_sa *sa, enum ike_fail_class cls,
	      uint16_t notify, bool by_peer, const char *fmt, ...)
{
	if (!p || p->deleting || !p->eng->host.failed)
		return;
	/* An SA still completing its IKE_AUTH counts only against a Delete:
	 * the peer dropping a duplicate while the other SA comes up is no
	 * failure, but both ends' attempts run at once when both initiate, so
	 * a real refusal must not wait on the other.  One the peer began and
	 * abandoned long ago (it restarted the tunnel) counts for nothing. */
	uint64_t now = ike_now(p->eng);
	for (const struct ike_sa *o = p->sas; o; o = o->peer_next)
		if (o != sa &&
		    (ike_sa_usable(o) ||
		     (cls == IKE_FAIL_DELETED && o->state == IKE_STATE_AUTH &&
		      (o->initiator || ike_sa_peer_attempt_live(o, now)))))
			return;
	struct ike_failure f = {.cls = cls, .notify = notify, .by_peer = by_peer};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f.detail, sizeof(f.detail), fmt, ap);
	va_end(ap);
	p->eng->st.fail[cls < IKE_FAIL_MAX ? cls : IKE_FAIL_NONE]++;
	p->eng->host.failed(p->eng->host.ctx, p->cfg.tunnel_id, &f);
}

/* "aes-gcm-256/prf-sha256/group19" for each proposal of an SA payload, as
 * far as it fits: what the peer offered, for the operator comparing it with
 * the configuration. */
static void describe_offer(const struct ike_sa_pl *sa, bool esp, char *out, size_t len)
{
	size_t off = 0;
	out[0] = '\0';
	for (size_t i = 0; i < sa->n_prop && off + 1 < len; i++) {
		const struct ike_prop *p = &sa->prop[i];
		off += (size_t)snprintf(out + off, len - off, "%s", i ? ", " : "");
		for (size_t j = 0; j < p->n_x && off + 1 < len; j++) {
			const struct ike_xform *x = &p->x[j];
			if (esp && x->type == SUITE_ESN)
				continue;
			const struct suite *s =
			    suite_by_id((enum suite_type)x->type, x->id,
					x->type == SUITE_ENCR ? x->key_bits : 0);
			const char *tag = x->type == SUITE_PRF ? "prf-" : "";
			if (s)
				off += (size_t)snprintf(out + off, len - off, "%s%s%s", j ? "/" : "",
							tag, s->name);
			else
				off += (size_t)snprintf(out + off, len - off, "%stype%u:%u",
							j ? "/" : "", x->type, x->id);
		}
	}
	if (off >= len && len > 4)
		memcpy(out + len - 4, "...", 4);
}

void ike_describe_ike_offer(const struct ike_sa_pl *sa, char *out, size_t len)
{
	describe_offer(sa, false, out, len);
}

void ike_describe_esp_offer(const struct ike_sa_pl *sa, char *out, size_t len)
{
	describe_offer(sa, true, out, len);
}

/* An ID payload for the log: an address, a name or a key ID in hex. */
void ike_describe_id(const struct ike_id_pl *id, char *out, size_t len)
{
	if (id->type == IKE_ID_IPV4_ADDR && id->len == 4) {
		inet_ntop(AF_INET, id->data, out, (socklen_t)len);
		return;
	}
	if (id->type == IKE_ID_FQDN || id->type == IKE_ID_RFC822_ADDR) {
		size_t n = id->len < len - 1 ? id->len : len - 1;
		for (size_t i = 0; i < n; i++)
			out[i] = id->data[i] >= 0x20 && id->data[i] < 0x7f ? (char)id->data[i] : '?';
		out[n] = '\0';
		return;
	}
	size_t off = (size_t)snprintf(out, len, "id type %u ", id->type);
	for (size_t i = 0; i < id->len && off + 3 < len; i++)
		off += (size_t)snprintf(out + off, len - off, "%02x", id->data[i]);
}
