/* farewell.c: Deletes sent for IKE SAs that are already gone.
 *
 * When a tunnel is removed, shut down or cleared, its IKE SA is freed at
 * once (keys wiped, host told) but RFC 7296 1.4.1 still wants the Delete
 * exchange to complete.  The Delete request was sealed before the SA went,
 * so only its bytes are kept here, with no key: they are sent again on the
 * usual back-off until the peer's response arrives, which is recognised by
 * its SPIs, message ID and source address and then ends the entry quietly.
 * Anything else for those SPIs is dropped without the "unknown IKE SA"
 * warning.  The table is small and fixed; when it is full the oldest entry
 * gives way (the peer then learns of the end by DPD or INITIAL_CONTACT). */
#include "ike/priv.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

enum {
	FAREWELL_TRIES = 3, /* sends in all: at 0, +0.5 s, +1.5 s; given up at +3.5 s */
};

static void farewell_clear(struct ike_farewell *f)
{
	free(f->msg);
	memset(f, 0, sizeof(*f));
}

void ike_farewell_add(struct ike_sa *sa, uint32_t msgid)
{
	struct ike_engine *eng = sa->eng;
	if (!sa->req || sa->req_is_frags)
		return;
	struct ike_farewell *slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < IKE_FAREWELLS; i++) {
		struct ike_farewell *f = &eng->farewell[i];
		if (!f->msg) {
			slot = f;
			break;
		}
		if (!oldest || f->sent_ms < oldest->sent_ms)
			oldest = f;
	}
	if (!slot) {
		eng->st.delete_unacked++;
		farewell_clear(oldest);
		slot = oldest;
	}
	memcpy(slot->spi_i, sa->spi_i, 8);
	memcpy(slot->spi_r, sa->spi_r, 8);
	slot->msgid = msgid;
	slot->local = sa->local;
	slot->remote = sa->remote;
	slot->msg = sa->req; /* sealed already: no key goes with it */
	slot->len = sa->req_len;
	sa->req = NULL;
	sa->req_len = 0;
	slot->sent_ms = ike_now(eng);
	slot->tries = 1;
	slot->next_ms = slot->sent_ms + IKE_RETX_BASE_MS;
}

bool ike_farewell_input(struct ike_engine *eng, const struct ike_hdr *h,
			const struct sockaddr_in *remote)
{
	for (size_t i = 0; i < IKE_FAREWELLS; i++) {
		struct ike_farewell *f = &eng->farewell[i];
		if (!f->msg || memcmp(f->spi_i, h->spi_i, 8) != 0 ||
		    memcmp(f->spi_r, h->spi_r, 8) != 0 ||
		    f->remote.sin_addr.s_addr != remote->sin_addr.s_addr)
			continue;
		if ((h->flags & IKEV2_FLAG_RESPONSE) && h->msgid == f->msgid) {
			eng->st.delete_acked++;
			log_debug("ike: Delete of a removed IKE SA answered by %s",
				  inet_ntoa(remote->sin_addr));
			farewell_clear(f);
		} else {
			eng->st.no_sa++;
		}
		return true;
	}
	return false;
}

void ike_farewell_timers(struct ike_engine *eng, uint64_t now)
{
	for (size_t i = 0; i < IKE_FAREWELLS; i++) {
		struct ike_farewell *f = &eng->farewell[i];
		if (!f->msg || now < f->next_ms)
			continue;
		if (f->tries >= FAREWELL_TRIES) {
			eng->st.delete_unacked++;
			farewell_clear(f);
			continue;
		}
		ike_send_raw(eng, &f->local, &f->remote, f->msg, f->len);
		eng->st.retransmits++;
		f->next_ms = now + ((uint64_t)IKE_RETX_BASE_MS << f->tries);
		f->tries++;
	}
}

uint64_t ike_farewell_deadline(const struct ike_engine *eng)
{
	uint64_t d = UINT64_MAX;
	for (size_t i = 0; i < IKE_FAREWELLS; i++)
		if (eng->farewell[i].msg && eng->farewell[i].next_ms < d)
			d = eng->farewell[i].next_ms;
	return d;
}

void ike_farewell_fini(struct ike_engine *eng)
{
	for (size_t i = 0; i < IKE_FAREWELLS; i++)
		farewell_clear(&eng->farewell[i]);
}
