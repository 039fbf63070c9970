/* media_tap: the two SPSC frame rings between a media worker and a bridge consumer; see
 * media_tap.h.
 *
 * Ring protocol. head (written by the producer only) is the next index to fill, tail the
 * oldest unread one; slot i lives at i % MEDIA_TAP_SLOTS and the ring holds at most
 * SLOTS - 1 frames. The consumer CLAIMS a slot by moving tail from t to t + 1 with a
 * compare-and-swap before it copies the frame out; on overflow the producer drops the
 * oldest frame with the same compare-and-swap, so exactly one of them gets each frame.
 * A consumer that claimed slot t and was preempted in its copy could, after SLOTS - 1
 * more pushes, see the producer reuse that slot: it announces the slot in `reading`
 * before claiming, and the producer refuses to write over it (dropping the new frame
 * instead, counted like any drop). All the index operations are sequentially consistent,
 * which is what makes the two "check then act" pairs (claim vs. drop, publish vs. the
 * empty test behind the wake-up) impossible to interleave badly. */
#include "media_tap.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "xmalloc.h"

struct media_ring {
	_Atomic uint64_t head;
	char		 pad0[56];	/* the producer's and consumer's indices on their own lines */
	_Atomic uint64_t tail;
	_Atomic uint64_t reading;	/* index + 1 of the slot being copied out, 0: none */
	char		 pad1[48];
	atomic_uint_fast64_t pushed, dropped;
	int16_t		*pcm;		/* MEDIA_TAP_SLOTS frames of the tap's size */
};

struct media_tap {
	struct media_ring ring[2];
	atomic_int	 refs;
	int		 rate, frame;
	int		 fd;
	atomic_uint_fast64_t played, underrun, trimmed;
	/* Both rings' slots follow, sized for the rate: at 8 kHz a tap is 10 KiB of frames
	 * where slots for 48 kHz made it 60. */
	int16_t		 frames[];
};

struct media_tap *
media_tap_new(int rate)
{
	struct media_tap *t;

	if (rate != 8000 && rate != 16000 && rate != 48000)
		return errno = EINVAL, NULL;
	t = xcalloc(1, sizeof *t + 2 * MEDIA_TAP_SLOTS * (size_t)(rate / 50) * sizeof(int16_t));
	t->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (t->fd < 0) {
		free(t);
		return NULL;
	}
	t->rate = rate;
	t->frame = rate / 50;
	t->ring[MEDIA_TAP_UP].pcm = t->frames;
	t->ring[MEDIA_TAP_DOWN].pcm = t->frames + MEDIA_TAP_SLOTS * t->frame;
	atomic_init(&t->refs, 1);
	return t;
}

void
media_tap_ref(struct media_tap *t)
{
	atomic_fetch_add(&t->refs, 1);
}

void
media_tap_free(struct media_tap *t)
{
	if (t == NULL || atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	close(t->fd);
	free(t);
}

int
media_tap_rate(const struct media_tap *t)
{
	return t->rate;
}

int
media_tap_frame(const struct media_tap *t)
{
	return t->frame;
}

int
media_tap_fd(const struct media_tap *t)
{
	return t->fd;
}

void
media_tap_ack(struct media_tap *t)
{
	uint64_t v;
	ssize_t r = read(t->fd, &v, sizeof v);

	(void)r;	/* EAGAIN: nothing was signalled, which is fine */
}

int
media_tap_push(struct media_tap *t, enum media_tap_dir d, const int16_t *pcm)
{
	struct media_ring *r = &t->ring[d];
	uint64_t h = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint64_t tl = atomic_load(&r->tail), rd;
	int dropped = 0;

	if (h - tl >= MEDIA_TAP_SLOTS - 1 && atomic_compare_exchange_strong(&r->tail, &tl, tl + 1))
		dropped = 1;	/* failing means the consumer just took it: there is room */
	rd = atomic_load(&r->reading);
	if (rd != 0 && (rd - 1) % MEDIA_TAP_SLOTS == h % MEDIA_TAP_SLOTS) {
		/* the consumer still copies from that slot: the new frame goes too */
		atomic_fetch_add_explicit(&r->dropped, 1 + (uint64_t)dropped, memory_order_relaxed);
		return 1;
	}
	memcpy(r->pcm + h % MEDIA_TAP_SLOTS * (uint64_t)t->frame, pcm,
	    (size_t)t->frame * sizeof *pcm);
	atomic_store(&r->head, h + 1);
	atomic_fetch_add_explicit(&r->pushed, 1, memory_order_relaxed);
	if (dropped)
		atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
	if (d == MEDIA_TAP_UP && atomic_load(&r->tail) == h) {
		uint64_t one = 1;
		ssize_t w = write(t->fd, &one, sizeof one);

		(void)w;	/* EAGAIN: the counter is already set */
	}
	return dropped;
}

bool
media_tap_pop(struct media_tap *t, enum media_tap_dir d, int16_t *pcm)
{
	struct media_ring *r = &t->ring[d];
	uint64_t tl;

	for (;;) {
		tl = atomic_load(&r->tail);
		if (tl == atomic_load(&r->head))
			return false;
		atomic_store(&r->reading, tl + 1);
		if (atomic_compare_exchange_strong(&r->tail, &tl, tl + 1))
			break;
		/* the producer dropped it meanwhile: the next one is the oldest now */
	}
	memcpy(pcm, r->pcm + tl % MEDIA_TAP_SLOTS * (uint64_t)t->frame, (size_t)t->frame * sizeof *pcm);
	atomic_store(&r->reading, 0);
	return true;
}

size_t
media_tap_count(struct media_tap *t, enum media_tap_dir d)
{
	uint64_t tl = atomic_load(&t->ring[d].tail);
	uint64_t h = atomic_load(&t->ring[d].head);

	return h > tl ? (size_t)(h - tl) : 0;
}

void
media_tap_count_play(struct media_tap *t, bool played)
{
	atomic_fetch_add_explicit(played ? &t->played : &t->underrun, 1, memory_order_relaxed);
}

void
media_tap_count_trim(struct media_tap *t, unsigned frames)
{
	atomic_fetch_add_explicit(&t->trimmed, frames, memory_order_relaxed);
}

void
media_tap_stats(struct media_tap *t, struct media_tap_stats *s)
{
	s->up_frames = atomic_load_explicit(&t->ring[MEDIA_TAP_UP].pushed, memory_order_relaxed);
	s->up_dropped = atomic_load_explicit(&t->ring[MEDIA_TAP_UP].dropped,
	    memory_order_relaxed);
	s->down_frames = atomic_load_explicit(&t->ring[MEDIA_TAP_DOWN].pushed,
	    memory_order_relaxed);
	s->down_dropped = atomic_load_explicit(&t->ring[MEDIA_TAP_DOWN].dropped,
	    memory_order_relaxed);
	s->down_played = atomic_load_explicit(&t->played, memory_order_relaxed);
	s->down_underrun = atomic_load_explicit(&t->underrun, memory_order_relaxed);
	s->down_trimmed = atomic_load_explicit(&t->trimmed, memory_order_relaxed);
}

int
media_tap_timer(int fd, bool lead)
{
	const int64_t tick = 20000000;
	struct itimerspec its = { .it_interval = { 0, tick } };
	struct timespec now;
	int64_t t;

	if (clock_gettime(CLOCK_MONOTONIC, &now) != 0)
		return -1;
	t = ((int64_t)now.tv_sec * 1000000000 + now.tv_nsec) / tick * tick + tick;
	if (lead)
		t -= MEDIA_TAP_LEAD_MS * 1000000;
	if (t <= (int64_t)now.tv_sec * 1000000000 + now.tv_nsec)
		t += tick;
	its.it_value.tv_sec = (time_t)(t / 1000000000);
	its.it_value.tv_nsec = (long)(t % 1000000000);
	return timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL);
}
