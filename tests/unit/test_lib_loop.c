#include <sys/epoll.h>
#include <unistd.h>

#include "lib/loop.h"
#include "tests/unit/tcheck.h"

static uint64_t fake_now;
static uint64_t clock_fn(void *ctx)
{
	(void)ctx;
	return fake_now;
}

static int order[8], n_order;
static void record(void *arg)
{
	order[n_order++] = (int)(long)arg;
}

static void test_timers_fire_in_deadline_order(void)
{
	struct loop *loop = loop_new();
	struct loop_timer a, b, c;
	loop_set_clock(loop, clock_fn, NULL);
	fake_now = 1000;
	n_order = 0;
	loop_timer_init(&a, record, (void *)1L);
	loop_timer_init(&b, record, (void *)2L);
	loop_timer_init(&c, record, (void *)3L);
	loop_timer_arm(loop, &a, 300);
	loop_timer_arm(loop, &b, 100);
	loop_timer_arm(loop, &c, 200);
	loop_timer_arm(loop, &a, 50); /* re-arming moves it, never duplicates */
	fake_now = 1150;
	loop_once(loop, 0);
	CHECK_EQ_INT(n_order, 2);
	CHECK_EQ_INT(order[0], 1);
	CHECK_EQ_INT(order[1], 2);
	CHECK(loop_timer_armed(&c));
	loop_timer_cancel(&c);
	loop_timer_cancel(&c); /* idle cancel is a no-op */
	fake_now = 5000;
	loop_once(loop, 0);
	CHECK_EQ_INT(n_order, 2);
	loop_free(loop);
}

static int reads;
static void on_read(void *arg, int fd, uint32_t ev)
{
	char buf[16];
	(void)arg;
	(void)ev;
	if (read(fd, buf, sizeof(buf)) > 0)
		reads++;
}

/* Thousands of timers armed, re-armed and cancelled at random: they fire
 * in (deadline, arming order), each once, the cancelled never. */
static int fired[4000], n_fired;
static void record_many(void *arg)
{
	fired[n_fired++] = (int)(long)arg;
}

static void test_timer_heap_many(void)
{
	enum { N = 4000 };
	static struct loop_timer t[N];
	static uint64_t when[N], armed_seq[N];
	static bool live[N];
	struct loop *loop = loop_new();
	loop_set_clock(loop, clock_fn, NULL);
	fake_now = 0;
	n_fired = 0;
	uint32_t r = 12345;
	uint64_t seq = 0;
	for (int i = 0; i < N; i++)
		loop_timer_init(&t[i], record_many, (void *)(long)i);
	for (int round = 0; round < 3 * N; round++) {
		r = r * 1103515245 + 12345;
		int i = (int)((r >> 8) % N);
		if ((r >> 4) % 5 == 0) {
			loop_timer_cancel(&t[i]);
			live[i] = false;
		} else {
			when[i] = 1 + (r >> 16) % 64; /* many equal deadlines */
			armed_seq[i] = seq++;
			loop_timer_arm_at(loop, &t[i], when[i]);
			live[i] = true;
		}
	}
	int n_live = 0;
	for (int i = 0; i < N; i++) {
		n_live += live[i];
		CHECK(loop_timer_armed(&t[i]) == live[i]);
	}
	fake_now = 1000;
	loop_once(loop, 0);
	CHECK_EQ_INT(n_fired, n_live);
	bool order_ok = true;
	for (int k = 0; k < n_fired; k++) {
		int i = fired[k];
		order_ok &= live[i];
		live[i] = false; /* once */
		if (k > 0) {
			int j = fired[k - 1];
			order_ok &= when[j] < when[i] || (when[j] == when[i] && armed_seq[j] < armed_seq[i]);
		}
	}
	CHECK(order_ok);
	loop_free(loop);
}

static void test_fd_callbacks(void)
{
	int p[2];
	struct loop *loop = loop_new();
	CHECK(pipe(p) == 0);
	reads = 0;
	CHECK_EQ_INT(loop_add_fd(loop, p[0], EPOLLIN, on_read, NULL), 0);
	CHECK(loop_add_fd(loop, p[0], EPOLLIN, on_read, NULL) < 0);
	CHECK(write(p[1], "x", 1) == 1);
	loop_once(loop, 1000);
	CHECK_EQ_INT(reads, 1);
	loop_del_fd(loop, p[0]);
	CHECK(write(p[1], "y", 1) == 1);
	loop_once(loop, 10);
	CHECK_EQ_INT(reads, 1);
	close(p[0]);
	close(p[1]);
	loop_free(loop);
}

int main(void)
{
	RUN(test_timers_fire_in_deadline_order);
	RUN(test_timer_heap_many);
	RUN(test_fd_callbacks);
	return tcheck_done();
}
