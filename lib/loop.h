/* loop.h: the control plane's single-threaded event loop.
 *
 * epoll for file descriptors, one-shot timers on a monotonic clock in a
 * binary heap (a hub arms a few timers per tunnel: arming and cancelling
 * are O(log N), not a walk of a sorted list).  The clock
 * is injectable: tests install their own now() and drive time by hand.  A
 * timer is a struct the owner embeds; arming an armed timer re-arms it (a
 * timer is never armed twice), cancelling an idle one is a no-op. */
#ifndef VTID_LOOP_H
#define VTID_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
typedef void (*loop_fd_fn)(void *arg, int fd, uint32_t events);
typedef void (*loop_timer_fn)(void *arg);

struct loop_timer {
	struct loop *loop; /* while armed */
	size_t pos;        /* 1 + its index in the loop's heap; 0 = not armed */
	uint64_t deadline; /* ms on the loop's clock */
	uint64_t seq;      /* arming order: equal deadlines run first armed, first */
	loop_timer_fn fn;
	void *arg;
};

struct loop *loop_new(void);
void loop_free(struct loop *loop); /* NULL-safe; fds are not closed */

/* events: EPOLLIN / EPOLLOUT.  One registration per fd. */
int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *arg);
int loop_mod_fd(struct loop *loop, int fd, uint32_t events);
void loop_del_fd(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg);
void loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t delay_ms);
void loop_timer_arm_at(struct loop *loop, struct loop_timer *t, uint64_t deadline_ms);
void loop_timer_cancel(struct loop_timer *t);
bool loop_timer_armed(const struct loop_timer *t);

uint64_t loop_now_ms(struct loop *loop);
/* Tests: replace the clock (NULL restores CLOCK_MONOTONIC). */
void loop_set_clock(struct loop *loop, uint64_t (*now_ms)(void *ctx), void *ctx);

/* Called before every wait, so a component with its own timer wheel (the
 * IKE engine) can re-arm one loop timer to its next deadline. */
void loop_set_prepare(struct loop *loop, void (*fn)(void *arg), void *arg);

/* Runs until loop_stop(); returns 0, or -errno if epoll fails. */
int loop_run(struct loop *loop);
/* One round: waits at most max_wait_ms (-1 = until something happens),
 * dispatches ready fds and due timers. */
int loop_once(struct loop *loop, int max_wait_ms);
void loop_stop(struct loop *loop);

uint64_t monotonic_ms(void);

#endif
