/* Unit tests of the relay thread: two taps standing for two legs' media sessions at
 * different rates (8 kHz G.711 and 16 kHz G.722); what one leg's worker pushes UP must
 * reach the other leg's DOWN ring at that leg's rate, tone intact, each way. */
#include <string.h>
#include <time.h>

#include "media_tap.h"
#include "relay.h"
#include "tap.h"
#include "tone.h"

#define FRAMES	40

static void
nap_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

/* Pushes FRAMES frames of hz into src's UP ring (as src's worker would, 10 at a time so
 * the rings never overflow) and collects what reaches dst's DOWN ring. */
static size_t
carry(struct media_tap *src, struct media_tap *dst, double hz, int16_t *got, size_t max)
{
	int16_t frame[MEDIA_TAP_MAX_FRAME];
	size_t phase = 0, n = 0;
	int fs = media_tap_frame(src), fd = media_tap_frame(dst);

	for (int sent = 0; sent < FRAMES; ) {
		for (int k = 0; k < 10; k++, sent++) {
			tone_fill(frame, (size_t)fs, hz, media_tap_rate(src), 0.5, &phase);
			media_tap_push(src, MEDIA_TAP_UP, frame);
		}
		for (int w = 0; w < 200 && media_tap_count(dst, MEDIA_TAP_DOWN) < 10; w++)
			nap_ms(2);
		while (n + (size_t)fd <= max && media_tap_pop(dst, MEDIA_TAP_DOWN, got + n))
			n += (size_t)fd;
	}
	return n;
}

int
main(void)
{
	static int16_t got[FRAMES * MEDIA_TAP_MAX_FRAME];
	struct media_tap *a = media_tap_new(8000), *b = media_tap_new(16000);
	struct media_tap *c = media_tap_new(8000), *d = media_tap_new(8000);
	struct relay *r, *r2;
	size_t n;
	double f;

	r = relay_start_taps(a, b);
	ok(r != NULL, "a relay between 8 kHz and 16 kHz starts");
	r2 = relay_start_taps(c, d);
	ok(r2 != NULL, "a second one (same rates) runs on the same thread");
	is_int((int)relay_count(), 2, "two relays");

	n = carry(a, b, 1000, got, sizeof(got) / sizeof(got[0]));
	is_int((int)n, FRAMES * 320, "every 8 kHz frame of A arrives as one 16 kHz frame at B");
	/* Skip the filter's start-up before measuring. */
	f = tone_dominant(got + 640, n - 640, 16000);
	ok(f >= 975 && f <= 1025, "A's 1000 Hz tone is 1000 Hz at B (%.0f)", f);
	ok(tone_power(got + 640, n - 640, 1000, 16000) > 100 * tone_power(got + 640, n - 640,
	    3000, 16000), "and nothing much else");

	n = carry(b, a, 600, got, sizeof(got) / sizeof(got[0]));
	is_int((int)n, FRAMES * 160, "every 16 kHz frame of B arrives as one 8 kHz frame at A");
	f = tone_dominant(got + 320, n - 320, 8000);
	ok(f >= 575 && f <= 625, "B's 600 Hz tone is 600 Hz at A (%.0f)", f);

	n = carry(c, d, 1400, got, sizeof(got) / sizeof(got[0]));
	is_int((int)n, FRAMES * 160, "same rate: copied frame for frame");
	f = tone_dominant(got, n, 8000);
	ok(f >= 1375 && f <= 1425, "1400 Hz stays 1400 Hz (%.0f)", f);
	ok(media_tap_count(a, MEDIA_TAP_DOWN) == 0 && media_tap_count(b, MEDIA_TAP_DOWN) == 0,
	    "nothing crossed between the two calls");

	relay_stop(r);
	relay_stop(r2);
	for (int w = 0; w < 200 && relay_count() > 0; w++)
		nap_ms(2);
	is_int((int)relay_count(), 0, "stopped relays are gone");
	/* Stopped before the thread took the start: freed from the pending list. */
	for (int k = 0; k < 50; k++)
		relay_stop(relay_start_taps(a, b));
	for (int w = 0; w < 200 && relay_count() > 0; w++)
		nap_ms(2);
	is_int((int)relay_count(), 0, "relays stopped at once after their start are gone too");
	n = relay_frames();
	tone_fill(got, 160, 1000, 8000, 0.5, &(size_t){ 0 });
	media_tap_push(c, MEDIA_TAP_UP, got);
	nap_ms(20);
	ok(relay_frames() == n && media_tap_count(d, MEDIA_TAP_DOWN) == 0,
	    "a stopped relay carries nothing");
	/* The daemon's stop: a live relay's stop posted, then relay_fini() at once, and one
	 * still running (ASan and valgrind watch for a double free or a leak). */
	r = relay_start_taps(a, b);
	r2 = relay_start_taps(c, d);
	nap_ms(20);
	relay_stop(r);
	relay_fini();
	ok(relay_count() == 0, "relay_fini frees a relay being stopped and one still running");
	media_tap_free(a);
	media_tap_free(b);
	media_tap_free(c);
	media_tap_free(d);
	return tap_done();
}
