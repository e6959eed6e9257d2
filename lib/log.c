#include "lib/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static enum log_target target = LOG_TO_STDERR;
static int max_level = LOG_INFO;
static unsigned debug_mask;
static const char *log_ident = "vtid";
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_init(const char *ident, enum log_target t, int level)
{
	log_ident = ident;
	target = t;
	max_level = level;
	if (t == LOG_TO_SYSLOG)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_set_level(int level)
{
	max_level = level;
}

int log_get_level(void)
{
	return max_level;
}

void log_set_debug(unsigned mask, bool on)
{
	if (on)
		debug_mask |= mask;
	else
		debug_mask &= ~mask;
}

bool log_debug_on(unsigned mask)
{
	return (debug_mask & mask) != 0;
}

static void vlog(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void vlog(int level, const char *fmt, va_list ap)
{
	static const char *names[] = {"emerg", "alert", "crit", "error",
				      "warning", "notice", "info", "debug"};
	if (level > max_level)
		return;
	if (target == LOG_TO_SYSLOG) {
		vsyslog(level, fmt, ap);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%02d:%02d:%02d.%03ld %s %s: ", tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, log_ident, names[level & 7]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

bool log_ratelimit_take(struct log_ratelimit *rl, double now)
{
	enum { BURST = 10 };
	if (rl->last == 0)
		rl->tokens = BURST;
	else
		rl->tokens += now - rl->last;
	if (rl->tokens > BURST)
		rl->tokens = BURST;
	rl->last = now;
	if (rl->tokens < 1) {
		rl->suppressed++;
		return false;
	}
	rl->tokens -= 1;
	return true;
}

void log_ratelimited(struct log_ratelimit *rl, int level, const char *fmt, ...)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (!log_ratelimit_take(rl, (double)ts.tv_sec + (double)ts.tv_nsec / 1e9))
		return;
	if (rl->suppressed) {
		log_msg(level, "(%lu similar messages suppressed)", rl->suppressed);
		rl->suppressed = 0;
	}
	va_list ap;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}
