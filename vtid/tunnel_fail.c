/* tunnel_fail.c: why a tunnel is down, kept until it is up again.
 *
 * The IKE engine reports every failed attempt (ike.h, struct ike_failure);
 * a tunnel keeps the last one with how many of that class came in a row.
 * The log gets one line when a tunnel starts failing or its failure class
 * changes, a summary every TUNNEL_FAIL_SUMMARY_MS while it repeats, and one
 * line when it is up again: never one per retry.  The line is written a
 * moment after the failure (a zero timer), once the engine has scheduled
 * the next attempt, so it can say when that is. */
#include "vtid/tunnel.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"

enum { TUNNEL_FAIL_SUMMARY_MS = 300000, TUNNEL_UP_CONFIRM_MS = 2000 };

static uint64_t mono_ms(const struct tunnel *tn)
{
	const struct tunnels_init *e = tunnels_env(tn->owner);
	return e->now_ms(e->clock_ctx);
}

static void fail_log(void *arg)
{
	struct tunnel *tn = arg;
	struct tunnel_failure *f = &tn->fail;
	if (f->cls == IKE_FAIL_NONE)
		return;
	int64_t next = ike_next_attempt_ms(tunnels_env(tn->owner)->ike, tn->id);
	char retry[48] = "";
	if (next >= 0)
		snprintf(retry, sizeof(retry), " - retrying in %lld s",
			 (long long)((next + 999) / 1000));
	if (f->count == 1)
		log_notice("%s: %s: %s%s", tn->spec.name, ike_fail_reason(f->cls), f->detail,
			   retry);
	else
		log_notice("%s: still down: %s, %llu times in a row since %lld s ago: %s%s",
			   tn->spec.name, ike_fail_reason(f->cls), (unsigned long long)f->count,
			   (long long)(time(NULL) - f->since), f->detail, retry);
	f->logged_ms = mono_ms(tn);
}

/* Up for TUNNEL_UP_CONFIRM_MS: the failures are over.  (A responder sees
 * its SA up before the initiator has checked the responder's AUTH; an
 * AUTHENTICATION_FAILED can still follow within a round trip.) */
static void up_confirmed(void *arg)
{
	struct tunnel *tn = arg;
	struct tunnel_failure *f = &tn->fail;
	if (!tn->ike_up)
		return;
	if (f->cls != IKE_FAIL_NONE)
		log_notice("%s: up again after %llu failed attempt%s (last: %s)", tn->spec.name,
			   (unsigned long long)f->count, f->count == 1 ? "" : "s",
			   ike_fail_reason(f->cls));
	loop_timer_cancel(&tn->fail_timer);
	memset(f, 0, sizeof(*f));
}

void tunnel_fail_init(struct tunnel *tn)
{
	loop_timer_init(&tn->fail_timer, fail_log, tn);
	loop_timer_init(&tn->fail_up_timer, up_confirmed, tn);
}

void tunnel_fail_fini(struct tunnel *tn)
{
	loop_timer_cancel(&tn->fail_timer);
	loop_timer_cancel(&tn->fail_up_timer);
}

void tunnels_failed(struct tunnels *t, uint32_t tunnel_id, const struct ike_failure *f)
{
	struct tunnel *tn = tunnel_by_id(t, tunnel_id);
	if (!tn || f->cls <= IKE_FAIL_NONE || f->cls >= IKE_FAIL_MAX)
		return;
	struct tunnel_failure *k = &tn->fail;
	loop_timer_cancel(&tn->fail_up_timer); /* not up after all */
	bool changed = k->cls != f->cls;
	tn->fail_count[f->cls]++;
	if (changed) {
		k->cls = f->cls;
		k->count = 0;
		k->since = time(NULL);
	}
	k->count++;
	k->notify = f->notify;
	k->by_peer = f->by_peer;
	k->at = time(NULL);
	snprintf(k->detail, sizeof(k->detail), "%s", f->detail);
	if (changed || mono_ms(tn) >= k->logged_ms + TUNNEL_FAIL_SUMMARY_MS)
		loop_timer_arm(tunnels_env(t)->loop, &tn->fail_timer, 0);
}

void tunnel_fail_up(struct tunnel *tn)
{
	loop_timer_arm(tunnels_env(tn->owner)->loop, &tn->fail_up_timer, TUNNEL_UP_CONFIRM_MS);
}

static void iso8601(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void tunnel_fail_json(struct tunnels *t, struct tunnel *tn, struct json_object *o)
{
	const struct tunnel_failure *f = &tn->fail;
	if (f->cls != IKE_FAIL_NONE) {
		struct json_object *x = json_object_new_object();
		char at[32];
		iso8601(f->at, at, sizeof(at));
		json_object_object_add(x, "reason", json_object_new_string(ike_fail_reason(f->cls)));
		json_object_object_add(x, "detail", json_object_new_string(f->detail));
		json_object_object_add(x, "at", json_object_new_string(at));
		json_object_object_add(x, "age_s", json_object_new_int64(time(NULL) - f->at));
		json_object_object_add(x, "count", json_object_new_int64((int64_t)f->count));
		json_object_object_add(x, "by_peer", json_object_new_boolean(f->by_peer));
		const char *nn = ike_notify_name(f->notify);
		if (nn)
			json_object_object_add(x, "notify", json_object_new_string(nn));
		json_object_object_add(o, "last_failure", x);
	}
	if (!tn->carrier) {
		int64_t next = ike_next_attempt_ms(tunnels_env(t)->ike, tn->id);
		json_object_object_add(o, "next_attempt_s",
				       json_object_new_int64(next < 0 ? -1 : (next + 999) / 1000));
	}
}

struct json_object *tunnel_fail_counts(const struct tunnel *tn)
{
	struct json_object *o = json_object_new_object();
	for (int c = IKE_FAIL_NONE + 1; c < IKE_FAIL_MAX; c++)
		json_object_object_add(o, ike_fail_reason((enum ike_fail_class)c),
				       json_object_new_int64((int64_t)tn->fail_count[c]));
	return o;
}
