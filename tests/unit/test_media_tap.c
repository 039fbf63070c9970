/* test_media_tap: the bridge tap's lock-free frame rings: order, overflow dropping the
 * oldest (and counting it), the eventfd wake-up on empty -> not empty, the reference
 * count, and a producer and a consumer thread racing for a while: every frame the consumer
 * gets must be whole (never torn by a concurrent write), in order, and frames received
 * plus frames dropped must equal frames pushed. */
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "media_tap.h"
#include "tap.h"

/* A frame that says which it is in its first two samples, and in all the others. */
static void
fill(int16_t *pcm, int n, unsigned seq)
{
	int i;

	pcm[0] = (int16_t)(seq & 0x7fff);
	pcm[1] = (int16_t)(seq >> 15);
	for (i = 2; i < n; i++)
		pcm[i] = (int16_t)((seq * 31 + (unsigned)i) & 0x7fff);
}

/* The frame's sequence number, or -1 when its samples do not belong to one frame. */
static long
seq_of(const int16_t *pcm, int n)
{
	unsigned seq = (unsigned)pcm[0] | (unsigned)pcm[1] << 15;
	int i;

	for (i = 2; i < n; i++)
		if ((unsigned)pcm[i] != ((seq * 31 + (unsigned)i) & 0x7fff))
			return -1;
	return (long)seq;
}

static bool
readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void
test_single(void)
{
	struct media_tap *t = media_tap_new(8000);
	struct media_tap_stats st;
	int16_t f[MEDIA_TAP_MAX_FRAME], g[MEDIA_TAP_MAX_FRAME];
	unsigned i;
	int drops = 0;
	bool order = true;

	ok(media_tap_new(11025) == NULL, "a rate that is not 8, 16 or 48 kHz is refused");
	is_int(media_tap_frame(t), 160, "8 kHz: 160-sample frames");
	ok(!media_tap_pop(t, MEDIA_TAP_UP, g), "empty ring pops nothing");
	ok(!readable(media_tap_fd(t)), "no wake-up before anything is pushed");
	fill(f, 160, 0);
	media_tap_push(t, MEDIA_TAP_UP, f);
	ok(readable(media_tap_fd(t)), "the first frame wakes the consumer");
	media_tap_ack(t);
	fill(f, 160, 1);
	media_tap_push(t, MEDIA_TAP_UP, f);
	ok(!readable(media_tap_fd(t)), "a second frame into a non-empty ring does not wake again");
	for (i = 2; i < 20; i++) {
		fill(f, 160, i);
		drops += media_tap_push(t, MEDIA_TAP_UP, f);
	}
	is_int(drops, 20 - (MEDIA_TAP_SLOTS - 1), "20 frames into %d places: the excess dropped",
	    MEDIA_TAP_SLOTS - 1);
	is_int(media_tap_count(t, MEDIA_TAP_UP), MEDIA_TAP_SLOTS - 1, "the ring is full");
	for (i = 20 - (MEDIA_TAP_SLOTS - 1); i < 20; i++)
		if (!media_tap_pop(t, MEDIA_TAP_UP, g) || seq_of(g, 160) != (long)i)
			order = false;
	ok(order, "the newest frames are kept, in order (the oldest were dropped)");
	ok(!media_tap_pop(t, MEDIA_TAP_UP, g), "and then it is empty");
	fill(f, 160, 3);
	media_tap_push(t, MEDIA_TAP_DOWN, f);
	ok(media_tap_pop(t, MEDIA_TAP_DOWN, g) && memcmp(f, g, 320) == 0,
	    "the down ring is separate and carries its frame");
	media_tap_stats(t, &st);
	ok(st.up_frames == 20 && st.up_dropped == 5 && st.down_frames == 1 && st.down_dropped == 0,
	    "stats: 20 up, 5 dropped, 1 down");
	media_tap_ref(t);	/* as the session does */
	media_tap_free(t);
	fill(f, 160, 4);
	media_tap_push(t, MEDIA_TAP_DOWN, f);	/* still alive: ASan would object otherwise */
	ok(media_tap_pop(t, MEDIA_TAP_DOWN, g), "the tap lives while the other reference does");
	media_tap_free(t);
}

#define RACE_FRAMES	60000

struct race {
	struct media_tap *t;
	atomic_bool	 done;
	long		 got, torn, disorder;
};

static void *
producer(void *arg)
{
	struct race *r = arg;
	int16_t f[MEDIA_TAP_MAX_FRAME];
	unsigned i;

	for (i = 0; i < RACE_FRAMES; i++) {
		fill(f, 960, i);
		media_tap_push(r->t, MEDIA_TAP_UP, f);
		if (i % 64 == 0)
			sched_yield();
	}
	atomic_store(&r->done, true);
	return NULL;
}

static void
test_race(void)
{
	struct race r;
	pthread_t th;
	int16_t g[MEDIA_TAP_MAX_FRAME];
	long last = -1;
	unsigned n = 0;
	struct media_tap_stats st;

	memset(&r, 0, sizeof r);
	r.t = media_tap_new(48000);
	pthread_create(&th, NULL, producer, &r);
	for (;;) {
		bool fin = atomic_load(&r.done);

		while (media_tap_pop(r.t, MEDIA_TAP_UP, g)) {
			long s = seq_of(g, 960);

			if (s < 0)
				r.torn++;
			else {
				if (s <= last)
					r.disorder++;
				last = s;
			}
			r.got++;
			if (++n % 997 == 0) {	/* now and then a slow consumer: overflow */
				struct timespec ts = { 0, 200000 };

				nanosleep(&ts, NULL);
			}
		}
		if (fin && media_tap_count(r.t, MEDIA_TAP_UP) == 0)
			break;
		sched_yield();
	}
	pthread_join(th, NULL);
	media_tap_stats(r.t, &st);
	is_int(r.torn, 0, "race: no torn frame in %ld received", r.got);
	is_int(r.disorder, 0, "race: every frame after the one before it");
	ok((uint64_t)r.got + st.up_dropped == RACE_FRAMES,
	    "race: %ld received + %llu dropped = %d pushed", r.got,
	    (unsigned long long)st.up_dropped, RACE_FRAMES);
	media_tap_free(r.t);
}

int
main(void)
{
	test_single();
	test_race();
	return tap_done();
}
