#include "loop.h"

#include <stdlib.h>
#include <time.h>

#include <sofia-sip/su.h>

#include "log.h"
#include "xmalloc.h"

struct loop_fd {
	su_wait_t	 wait;
	int		 index;
	int		 fd;
	loop_fd_cb	*cb;
	void		*arg;
};

struct loop_timer {
	su_timer_t	*timer;
	loop_timer_cb	*cb;
	void		*arg;
};

static su_root_t *loop_su_root;
static int64_t loop_t0_ms;

int
loop_init(void)
{
	loop_t0_ms = loop_now_ms();
	if (su_init() != 0)
		return -1;
	loop_su_root = su_root_create(NULL);
	return loop_su_root ? 0 : -1;
}

void
loop_run(void)
{
	su_root_run(loop_su_root);
}

void
loop_stop(void)
{
	su_root_break(loop_su_root);
}

void
loop_free(void)
{
	if (loop_su_root != NULL)
		su_root_destroy(loop_su_root);
	loop_su_root = NULL;
	su_deinit();
}

su_root_t *
loop_root(void)
{
	return loop_su_root;
}

static int
loop_su_events(int events)
{
	int e = 0;

	if (events & LOOP_IN)
		e |= SU_WAIT_IN;
	if (events & LOOP_OUT)
		e |= SU_WAIT_OUT;
	return e;
}

static int
loop_fd_wakeup(void *magic, su_wait_t *w, void *arg)
{
	struct loop_fd *lf = arg;
	int revents = su_wait_events(w, lf->fd);
	int events = 0;

	(void)magic;
	if (revents & (SU_WAIT_IN | SU_WAIT_ERR | SU_WAIT_HUP))
		events |= LOOP_IN;
	if (revents & SU_WAIT_OUT)
		events |= LOOP_OUT;
	if (events)
		lf->cb(lf->fd, events, lf->arg);
	return 0;
}

struct loop_fd *
loop_fd_add(int fd, int events, loop_fd_cb *cb, void *arg)
{
	struct loop_fd *lf = xcalloc(1, sizeof(*lf));

	lf->fd = fd;
	lf->cb = cb;
	lf->arg = arg;
	if (su_wait_create(&lf->wait, fd, loop_su_events(events)) != 0)
		goto fail;
	lf->index = su_root_register(loop_su_root, &lf->wait, loop_fd_wakeup, lf, 0);
	if (lf->index <= 0) {
		su_wait_destroy(&lf->wait);
		goto fail;
	}
	return lf;
fail:
	log_error("loop: cannot watch fd %d", fd);
	free(lf);
	return NULL;
}

void
loop_fd_events(struct loop_fd *lf, int events)
{
	su_root_eventmask(loop_su_root, lf->index, lf->fd, loop_su_events(events));
}

void
loop_fd_del(struct loop_fd *lf)
{
	if (lf == NULL)
		return;
	/* su_root_deregister also destroys the su_wait_t it was given. */
	su_root_deregister(loop_su_root, lf->index);
	free(lf);
}

static void
loop_timer_fire(void *magic, su_timer_t *t, void *arg)
{
	struct loop_timer *lt = arg;

	(void)magic;
	(void)t;
	lt->cb(lt->arg);
}

struct loop_timer *
loop_timer_new(loop_timer_cb *cb, void *arg)
{
	struct loop_timer *lt = xcalloc(1, sizeof(*lt));

	lt->timer = su_timer_create(su_root_task(loop_su_root), 0);
	if (lt->timer == NULL)
		log_fatal("loop: cannot create a timer");
	lt->cb = cb;
	lt->arg = arg;
	return lt;
}

void
loop_timer_start(struct loop_timer *lt, unsigned ms)
{
	su_timer_reset(lt->timer);
	su_timer_set_interval(lt->timer, loop_timer_fire, lt, (su_duration_t)ms);
}

void
loop_timer_stop(struct loop_timer *lt)
{
	su_timer_reset(lt->timer);
}

void
loop_timer_free(struct loop_timer *lt)
{
	if (lt == NULL)
		return;
	su_timer_destroy(lt->timer);
	free(lt);
}

static int64_t
loop_clock_ms(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
loop_now_ms(void)
{
	return loop_clock_ms(CLOCK_REALTIME);
}

int64_t
loop_mono_ms(void)
{
	return loop_clock_ms(CLOCK_MONOTONIC);
}

int64_t
loop_started_ms(void)
{
	return loop_t0_ms;
}
