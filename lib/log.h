/* log.h: one logging call for the whole daemon.
 *
 * Goes to stderr (foreground, tests) or syslog.  Anything a remote peer can
 * trigger must go through log_ratelimited() so a flood of bad packets cannot
 * flood the log.  Never pass key material or pre-shared keys to these. */
#ifndef VTID_LOG_H
#define VTID_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_target { LOG_TO_STDERR, LOG_TO_SYSLOG };

void log_init(const char *ident, enum log_target target, int max_level);
void log_set_level(int max_level);
int log_get_level(void);
/* Debug categories switched by `debug crypto ikev2|ipsec`. */
enum log_debug { LOG_DBG_IKE = 1, LOG_DBG_IPSEC = 2, LOG_DBG_FRR = 4, LOG_DBG_CTL = 8 };
void log_set_debug(unsigned mask, bool on);
bool log_debug_on(unsigned mask);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A token bucket per call site: at most `burst` messages, refilled at one
 * per second; the number suppressed is reported with the next one printed. */
struct log_ratelimit {
	double tokens;
	double last;
	unsigned long suppressed;
};
void log_ratelimited(struct log_ratelimit *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The bucket alone: true when a message may go out at `now` (seconds). */
bool log_ratelimit_take(struct log_ratelimit *rl, double now);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_dbg(cat, ...)                                                                          \
	do {                                                                                       \
		if (log_debug_on(cat))                                                             \
			log_msg(LOG_INFO, __VA_ARGS__);                                            \
	} while (0)

/* Rate-limited lines from a per-call-site bucket, one per thread (the data
 * plane's workers log through these too: no bucket is shared). */
#define log_info_rl(...)                                                                           \
	do {                                                                                       \
		static _Thread_local struct log_ratelimit rl_;                                     \
		log_ratelimited(&rl_, LOG_INFO, __VA_ARGS__);                                      \
	} while (0)

#define log_warn_rl(...)                                                                           \
	do {                                                                                       \
		static _Thread_local struct log_ratelimit rl_;                                     \
		log_ratelimited(&rl_, LOG_WARNING, __VA_ARGS__);                                   \
	} while (0)

#endif
