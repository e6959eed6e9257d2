#include "lib/loop.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

struct fd_reg {
	int fd;
	loop_fd_fn fn;
	void *arg;
	struct fd_reg *next;
};

struct loop {
	int epfd;
	bool stop;
	struct fd_reg *fds;
	struct loop_timer **heap; /* armed timers, a min-heap on (deadline, seq) */
	size_t n_heap, cap_heap;
	uint64_t seq;
	uint64_t (*now_fn)(void *ctx);
	void *now_ctx;
	void (*prepare)(void *arg);
	void *prepare_arg;
};

uint64_t monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	if (!loop)
		return NULL;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		free(loop);
		return NULL;
	}
	return loop;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	while (loop->fds) {
		struct fd_reg *r = loop->fds;
		loop->fds = r->next;
		free(r);
	}
	while (loop->n_heap)
		loop_timer_cancel(loop->heap[0]);
	free(loop->heap);
	close(loop->epfd);
	free(loop);
}

static struct fd_reg *find_fd(struct loop *loop, int fd)
{
	for (struct fd_reg *r = loop->fds; r; r = r->next)
		if (r->fd == fd)
			return r;
	return NULL;
}

int loop_add_fd(struct loop *loop, int fd, uint32_t events, loop_fd_fn fn, void *arg)
{
	if (find_fd(loop, fd))
		return -EEXIST;
	struct fd_reg *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->fd = fd;
	r->fn = fn;
	r->arg = arg;
	struct epoll_event ev = {.events = events, .data.ptr = r};
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int err = -errno;
		free(r);
		return err;
	}
	r->next = loop->fds;
	loop->fds = r;
	return 0;
}

int loop_mod_fd(struct loop *loop, int fd, uint32_t events)
{
	struct fd_reg *r = find_fd(loop, fd);
	if (!r)
		return -ENOENT;
	struct epoll_event ev = {.events = events, .data.ptr = r};
	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void loop_del_fd(struct loop *loop, int fd)
{
	for (struct fd_reg **pp = &loop->fds; *pp; pp = &(*pp)->next) {
		if ((*pp)->fd == fd) {
			struct fd_reg *r = *pp;
			*pp = r->next;
			epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
			/* The registration may still sit in the current epoll batch:
			 * mark it dead; loop_once skips entries whose fd is -1. */
			r->fd = -1;
			r->fn = NULL;
			r->next = NULL;
			free(r);
			return;
		}
	}
}

void loop_timer_init(struct loop_timer *t, loop_timer_fn fn, void *arg)
{
	t->loop = NULL;
	t->pos = 0;
	t->deadline = 0;
	t->seq = 0;
	t->fn = fn;
	t->arg = arg;
}

bool loop_timer_armed(const struct loop_timer *t)
{
	return t->pos != 0;
}

static bool timer_before(const struct loop_timer *a, const struct loop_timer *b)
{
	return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
}

static void heap_put(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->pos = i + 1;
}

/* Moves heap[i] up or down to its place. */
static void heap_fix(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	while (i > 0 && timer_before(t, loop->heap[(i - 1) / 2])) {
		heap_put(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= loop->n_heap)
			break;
		if (c + 1 < loop->n_heap && timer_before(loop->heap[c + 1], loop->heap[c]))
			c++;
		if (!timer_before(loop->heap[c], t))
			break;
		heap_put(loop, i, loop->heap[c]);
		i = c;
	}
	heap_put(loop, i, t);
}

void loop_timer_cancel(struct loop_timer *t)
{
	if (!t->pos)
		return;
	struct loop *loop = t->loop;
	size_t i = t->pos - 1;
	struct loop_timer *last = loop->heap[--loop->n_heap];
	t->pos = 0;
	t->loop = NULL;
	if (last != t) {
		heap_put(loop, i, last);
		heap_fix(loop, i);
	}
}

void loop_timer_arm_at(struct loop *loop, struct loop_timer *t, uint64_t deadline)
{
	if (t->pos && t->loop != loop)
		loop_timer_cancel(t);
	t->deadline = deadline;
	t->seq = loop->seq++;
	if (t->pos) {
		heap_fix(loop, t->pos - 1);
		return;
	}
	if (loop->n_heap == loop->cap_heap) {
		size_t cap = loop->cap_heap ? loop->cap_heap * 2 : 64;
		struct loop_timer **h = realloc(loop->heap, cap * sizeof(*h));
		if (!h)
			abort(); /* a timer that silently never fires would be worse */
		loop->heap = h;
		loop->cap_heap = cap;
	}
	t->loop = loop;
	heap_put(loop, loop->n_heap++, t);
	heap_fix(loop, loop->n_heap - 1);
}

void loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t delay_ms)
{
	loop_timer_arm_at(loop, t, loop_now_ms(loop) + delay_ms);
}

uint64_t loop_now_ms(struct loop *loop)
{
	return loop->now_fn ? loop->now_fn(loop->now_ctx) : monotonic_ms();
}

void loop_set_clock(struct loop *loop, uint64_t (*now_ms)(void *ctx), void *ctx)
{
	loop->now_fn = now_ms;
	loop->now_ctx = ctx;
}

static void run_timers(struct loop *loop)
{
	uint64_t now = loop_now_ms(loop);
	/* Run only timers due now; a callback that re-arms for "now" runs next round. */
	while (loop->n_heap && loop->heap[0]->deadline <= now) {
		struct loop_timer *t = loop->heap[0];
		loop_timer_cancel(t);
		t->fn(t->arg);
		if (loop->stop)
			break;
	}
}

void loop_set_prepare(struct loop *loop, void (*fn)(void *arg), void *arg)
{
	loop->prepare = fn;
	loop->prepare_arg = arg;
}

int loop_once(struct loop *loop, int max_wait_ms)
{
	struct epoll_event evs[32];
	int wait = max_wait_ms;

	if (loop->prepare)
		loop->prepare(loop->prepare_arg);

	if (loop->n_heap) {
		uint64_t now = loop_now_ms(loop);
		uint64_t d = loop->heap[0]->deadline;
		int until = d <= now ? 0 : (d - now > 60000 ? 60000 : (int)(d - now));
		if (wait < 0 || until < wait)
			wait = until;
	}
	int n = epoll_wait(loop->epfd, evs, 32, wait);
	if (n < 0) {
		if (errno == EINTR)
			return 0;
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		struct fd_reg *r = evs[i].data.ptr;
		/* A callback earlier in this batch may have removed r: check it is still registered. */
		bool live = false;
		for (struct fd_reg *x = loop->fds; x; x = x->next)
			if (x == r) {
				live = true;
				break;
			}
		if (live && r->fn)
			r->fn(r->arg, r->fd, evs[i].events);
		if (loop->stop)
			return 0;
	}
	run_timers(loop);
	return 0;
}

int loop_run(struct loop *loop)
{
	loop->stop = false;
	while (!loop->stop) {
		int err = loop_once(loop, -1);
		if (err < 0)
			return err;
	}
	return 0;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}
