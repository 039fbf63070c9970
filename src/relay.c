/* relay: SIP-to-SIP media, one consumer thread over every bridged pair (see relay.h).
 *
 * Adding and removing go through a short list under a mutex and an eventfd that wakes the
 * thread; the thread alone touches the epoll set and frees relays, and it applies
 * removals only after the batch of events it is handling, so no event it still holds can
 * point at freed memory. */
#include "relay.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "codec.h"
#include "log.h"
#include "media.h"
#include "media_tap.h"
#include "resample.h"
#include "sdp.h"
#include "xmalloc.h"

/* One direction: frames popped from src's UP ring go to dst's DOWN ring. */
struct relay_dir {
	struct relay	*r;
	struct media_tap *src, *dst;
	struct resample	*rs;		/* NULL when the rates are equal */
	int16_t		 in[MEDIA_TAP_MAX_FRAME];
	int16_t		 out[MEDIA_TAP_MAX_FRAME * 6];
};

struct relay {
	struct relay_dir dir[2];
	struct media_session *ms[2];	/* control thread only */
	bool		 added;		/* in the epoll set (relay thread only) */
	bool		 stopping;	/* under relay_mu */
	bool		 pending;	/* on the pending list; under relay_mu */
	bool		 apply_stop;	/* stopping, as the thread took it (relay thread only) */
	struct relay	*next;		/* the thread's own list */
	struct relay	*pend_next;	/* the pending list (a live relay is on both when
					 * its removal is posted) */
};

static pthread_mutex_t relay_mu = PTHREAD_MUTEX_INITIALIZER;
static struct relay *relay_pending;	/* to add or remove (stopping), under relay_mu */
static struct relay *relay_live;	/* the thread's own */
static pthread_t relay_thread;
static bool relay_running;
static int relay_ep = -1, relay_wake = -1;
static atomic_bool relay_quit;
static atomic_uint_fast64_t relay_nframes;
static atomic_uint_fast64_t relay_ndropped, relay_nunderrun;
static atomic_size_t relay_n;

static void
relay_dir_move(struct relay_dir *d)
{
	int in_frame = media_tap_frame(d->src), out_frame = media_tap_frame(d->dst);

	media_tap_ack(d->src);
	while (media_tap_pop(d->src, MEDIA_TAP_UP, d->in)) {
		if (d->rs == NULL) {
			media_tap_push(d->dst, MEDIA_TAP_DOWN, d->in);
		} else {
			size_t n = resample_process(d->rs, d->in, (size_t)in_frame, d->out);

			/* Integer ratios of 20 ms frames convert one frame into exactly one. */
			if (n >= (size_t)out_frame)
				media_tap_push(d->dst, MEDIA_TAP_DOWN, d->out);
		}
		atomic_fetch_add_explicit(&relay_nframes, 1, memory_order_relaxed);
	}
}

static void
relay_free(struct relay *r)
{
	for (int i = 0; i < 2; i++) {
		struct media_tap_stats st;

		/* What a worker pushed that the relay did not take in time, and the ticks a
		 * worker found nothing to send: the relay's own health, logged at the end. */
		media_tap_stats(r->dir[i].src, &st);
		atomic_fetch_add(&relay_ndropped, st.up_dropped);
		atomic_fetch_add(&relay_nunderrun, st.down_underrun);
		resample_free(r->dir[i].rs);
		media_tap_free(r->dir[i].src);
	}
	free(r);
}

static void
relay_unlink_live(struct relay *r)
{
	for (struct relay **pp = &relay_live; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

/* Applies what the control thread asked for. */
static void
relay_apply(void)
{
	struct relay *list, *r, *next;

	pthread_mutex_lock(&relay_mu);
	list = relay_pending;
	relay_pending = NULL;
	/* What each relay asked for as of now: a stop posted later comes back on the list. */
	for (r = list; r != NULL; r = r->pend_next) {
		r->pending = false;
		r->apply_stop = r->stopping;
	}
	pthread_mutex_unlock(&relay_mu);
	for (r = list; r != NULL; r = next) {
		next = r->pend_next;
		if (r->apply_stop) {
			if (r->added) {
				for (int i = 0; i < 2; i++)
					epoll_ctl(relay_ep, EPOLL_CTL_DEL, media_tap_fd(r->dir[i].src),
					    NULL);
				relay_unlink_live(r);
			}
			relay_free(r);
			atomic_fetch_sub(&relay_n, 1);
			continue;
		}
		for (int i = 0; i < 2; i++) {
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &r->dir[i] };

			epoll_ctl(relay_ep, EPOLL_CTL_ADD, media_tap_fd(r->dir[i].src), &ev);
		}
		r->added = true;
		r->next = relay_live;
		relay_live = r;
	}
}

static void *
relay_main(void *arg)
{
	struct epoll_event evs[256];

	(void)arg;
	while (!atomic_load(&relay_quit)) {
		int n = epoll_wait(relay_ep, evs, 256, -1);
		bool apply = false;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				uint64_t v;

				if (read(relay_wake, &v, sizeof(v)) < 0 && errno != EAGAIN)
					log_warn("relay: wake-up read failed: %s", strerror(errno));
				apply = true;
			} else {
				relay_dir_move(evs[i].data.ptr);
			}
		}
		if (apply)
			relay_apply();
	}
	return NULL;
}

static int
relay_thread_start(void)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int err;

	if (relay_running)
		return 0;
	if ((relay_ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -1;
	if ((relay_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0 ||
	    epoll_ctl(relay_ep, EPOLL_CTL_ADD, relay_wake, &ev) < 0)
		goto fail;
	atomic_store(&relay_quit, false);
	if ((err = pthread_create(&relay_thread, NULL, relay_main, NULL)) != 0) {
		errno = err;
		goto fail;
	}
	relay_running = true;
	return 0;
fail:
	err = errno;
	if (relay_wake >= 0)
		close(relay_wake);
	close(relay_ep);
	relay_wake = relay_ep = -1;
	errno = err;
	return -1;
}

/* Puts r on the pending list (once: a relay stopped before its start was applied is
 * already there, and goes straight from pending to freed). */
static void
relay_post(struct relay *r, bool stop)
{
	uint64_t one = 1;

	pthread_mutex_lock(&relay_mu);
	if (stop)
		r->stopping = true;
	if (!r->pending) {
		r->pending = true;
		r->pend_next = relay_pending;
		relay_pending = r;
	}
	pthread_mutex_unlock(&relay_mu);
	if (write(relay_wake, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("relay: wake-up write failed: %s", strerror(errno));
}

struct relay *
relay_start_taps(struct media_tap *a, struct media_tap *b)
{
	struct relay *r;

	if (relay_thread_start() == -1)
		return NULL;
	r = xcalloc(1, sizeof(*r));
	r->dir[0] = (struct relay_dir){ .r = r, .src = a, .dst = b };
	r->dir[1] = (struct relay_dir){ .r = r, .src = b, .dst = a };
	for (int i = 0; i < 2; i++) {
		struct relay_dir *d = &r->dir[i];
		int in = media_tap_rate(d->src), out = media_tap_rate(d->dst);

		if (in != out && (d->rs = resample_new(in, out)) == NULL) {
			resample_free(r->dir[0].rs);
			free(r);
			errno = EINVAL;
			return NULL;
		}
	}
	/* Each direction holds a reference to its source: the pair holds both taps. */
	media_tap_ref(a);
	media_tap_ref(b);
	atomic_fetch_add(&relay_n, 1);
	relay_post(r, false);
	return r;
}

struct relay *
relay_start(struct media_session *a, struct media_session *b)
{
	const struct sdp_neg *na = media_session_neg(a), *nb = media_session_neg(b);
	struct media_tap *ta, *tb;
	struct relay *r = NULL;

	if (na == NULL || nb == NULL) {
		errno = EINVAL;
		return NULL;
	}
	ta = media_tap_new(codec_rate(na->codec));
	tb = media_tap_new(codec_rate(nb->codec));
	if (ta == NULL || tb == NULL)
		goto out;
	if (media_session_bridge(a, ta) == -1 || media_session_bridge(b, tb) == -1) {
		media_session_bridge(a, NULL);
		errno = EINVAL;
		goto out;
	}
	if ((r = relay_start_taps(ta, tb)) == NULL) {
		media_session_bridge(a, NULL);
		media_session_bridge(b, NULL);
		goto out;
	}
	r->ms[0] = a;
	r->ms[1] = b;
out:
	/* The sessions and the relay hold their own references now. */
	media_tap_free(ta);
	media_tap_free(tb);
	return r;
}

void
relay_stop(struct relay *r)
{
	if (r == NULL)
		return;
	for (int i = 0; i < 2; i++)
		if (r->ms[i] != NULL)
			media_session_bridge(r->ms[i], NULL);
	relay_post(r, true);
}

uint64_t
relay_frames(void)
{
	return atomic_load(&relay_nframes);
}

size_t
relay_count(void)
{
	return atomic_load(&relay_n);
}

void
relay_fini(void)
{
	struct relay *r;

	if (!relay_running)
		return;
	log_info("relay: %llu frames carried since start, %llu dropped by full rings, %llu "
	    "ticks without a frame to send", (unsigned long long)atomic_load(&relay_nframes),
	    (unsigned long long)atomic_load(&relay_ndropped),
	    (unsigned long long)atomic_load(&relay_nunderrun));
	atomic_store(&relay_quit, true);
	{
		uint64_t one = 1;

		if (write(relay_wake, &one, sizeof(one)) < 0)
			log_warn("relay: wake-up write failed: %s", strerror(errno));
	}
	pthread_join(relay_thread, NULL);
	relay_running = false;
	/* Whatever was still pending goes now (removals unlink from the live list first),
	 * then whatever is still live. */
	relay_apply();
	while ((r = relay_live) != NULL) {
		relay_live = r->next;
		relay_free(r);
		atomic_fetch_sub(&relay_n, 1);
	}
	close(relay_wake);
	close(relay_ep);
	relay_wake = relay_ep = -1;
}
