/* test_mixer: mix-minus judged by ear (Goertzel): four sources with four tones, pushed
 * regularly, in bursts, in random pieces at random times, and starting late; after the
 * jitter buffers settle, each source's output must carry every other tone at its full
 * level (a gap or a click would take power away from the tone) and not its own. Then the
 * clipping (sums beyond 16 bits clip, never wrap; opposite signals cancel exactly before
 * the clip), the adaptation (a source that runs dry rebuffers and waits longer next
 * time; a burst is shed within a second), removal, and the listener who is no source. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mixer.h"
#include "tap.h"
#include "tone.h"

#define RATE	48000
#define FRAME	960
#define TICKS	150
#define KEEP	100	/* the last KEEP ticks are measured */

static const double freq[4] = { 400, 700, 1000, 1300 };

static double
db(double r)
{
	return 10.0 * log10(r > 1e-30 ? r : 1e-30);
}

static void
test_mix_minus(void)
{
	struct mixer *m = mixer_new(RATE, 4);
	int id[4], i, j, t;
	size_t phase[4] = { 0 }, pushed[4] = { 0 };
	int16_t *heard[4], buf[FRAME * 4];
	double want = 0.2 * 32767 * 0.2 * 32767 / 4;
	bool exact = true, silent = true;
	struct mixer_src_stats st;
	unsigned seed = 7;

	for (i = 0; i < 4; i++) {
		id[i] = mixer_add(m);
		heard[i] = calloc(FRAME * KEEP, sizeof(int16_t));
	}
	ok(id[0] == 0 && id[3] == 3, "four sources");
	for (t = 0; t < TICKS; t++) {
		/* 0: a frame every tick */
		tone_fill(buf, FRAME, freq[0], RATE, 0.2, &phase[0]);
		mixer_push(m, id[0], buf, FRAME);
		/* 1: three frames every third tick */
		if (t % 3 == 0) {
			tone_fill(buf, FRAME * 3, freq[1], RATE, 0.2, &phase[1]);
			mixer_push(m, id[1], buf, FRAME * 3);
		}
		/* 2: random pieces, up to 30 ms ahead of or behind real time */
		{
			size_t due = (size_t)(t + 1) * FRAME;
			long lag = (long)(rand_r(&seed) % (FRAME * 3 / 2)) - FRAME * 3 / 4;

			while ((long)pushed[2] < (long)due + lag) {
				size_t k = 50 + rand_r(&seed) % 700;

				tone_fill(buf, k, freq[2], RATE, 0.2, &phase[2]);
				mixer_push(m, id[2], buf, k);
				pushed[2] += k;
			}
		}
		/* 3: starts 400 ms late */
		if (t >= 20) {
			tone_fill(buf, FRAME, freq[3], RATE, 0.2, &phase[3]);
			mixer_push(m, id[3], buf, FRAME);
		}
		mixer_tick(m);
		for (i = 0; i < 4; i++) {
			const int16_t *o = mixer_out(m, id[i]);

			if (t >= TICKS - KEEP)
				memcpy(heard[i] + (size_t)(t - (TICKS - KEEP)) * FRAME, o,
				    FRAME * sizeof *o);
		}
		if (t == 10 && tone_power(mixer_out(m, id[0]), FRAME, freq[3], RATE) > want / 1e6)
			silent = false;
	}
	ok(silent, "a source that has not started is silence to the others");
	for (i = 0; i < 4; i++)
		for (j = 0; j < 4; j++) {
			double p = tone_power(heard[i], FRAME * KEEP, freq[j], RATE);

			if (i == j && db(p / want) > -60) {
				printf("# source %d hears itself at %.1f dB\n", i, db(p / want));
				exact = false;
			}
			if (i != j && fabs(db(p / want)) > 0.3) {
				printf("# source %d hears %g Hz at %.2f dB\n", i, freq[j], db(p / want));
				exact = false;
			}
		}
	ok(exact, "each output carries exactly the other three tones, at their level");
	for (i = 0; i < 4; i++) {
		mixer_src_stats(m, id[i], &st);
		if (i == 2)
			ok(st.underruns <= 1 && st.target_ms <= 80,
			    "random arrivals: %llu underruns, target %d ms, depth %d ms",
			    (unsigned long long)st.underruns, st.target_ms, st.depth_ms);
		else
			is_int(st.underruns, 0, "source %d never ran dry (target %d ms)", i,
			    st.target_ms);
	}
	{
		const int16_t *all = mixer_out(m, -1);
		int hits = 0;

		for (j = 0; j < 4; j++)
			if (tone_power(all, FRAME, freq[j], RATE) > want / 4)
				hits++;
		is_int(hits, 4, "a listener who is no source hears all four");
	}
	mixer_remove(m, id[1]);
	mixer_tick(m);
	ok(tone_power(mixer_out(m, id[0]), FRAME, freq[1], RATE) < want / 1e6,
	    "a removed source is gone from the mix");
	is_int(mixer_add(m), id[1], "its place is taken by the next source");
	for (i = 0; i < 4; i++)
		free(heard[i]);
	mixer_free(m);
}

static void
test_clip(void)
{
	struct mixer *m = mixer_new(8000, 3);
	int16_t a[160 * 2], b[160 * 2], c[160 * 2];
	const int16_t *o;
	int i;
	bool clip = true, cancel = true, neg = true;

	for (i = 0; i < 320; i++) {
		a[i] = 20000;
		b[i] = 20000;
		c[i] = -20000;
	}
	for (i = 0; i < 3; i++)
		mixer_add(m);
	mixer_push(m, 0, a, 320);
	mixer_push(m, 1, b, 320);
	mixer_push(m, 2, c, 320);
	mixer_tick(m);
	o = mixer_out(m, 2);	/* 20000 + 20000 */
	for (i = 0; i < 160; i++)
		clip &= o[i] == 32767;
	o = mixer_out(m, 0);	/* 20000 - 20000 */
	for (i = 0; i < 160; i++)
		cancel &= o[i] == 0;
	ok(clip, "40000 clips to 32767 (no wrap to negative)");
	ok(cancel, "+20000 and -20000 cancel exactly");
	for (i = 0; i < 320; i++)
		a[i] = b[i] = -30000;
	mixer_remove(m, 2);
	mixer_push(m, 0, a, 320);
	mixer_push(m, 1, b, 320);
	mixer_tick(m);		/* the rest of the +20000 */
	mixer_tick(m);
	o = mixer_out(m, -1);
	for (i = 0; i < 160; i++)
		neg &= o[i] == -32768;
	ok(neg, "-60000 clips to -32768");
	mixer_free(m);
}

static void
test_adapt(void)
{
	struct mixer *m = mixer_new(8000, 1);
	int16_t f[160 * 15];
	struct mixer_src_stats st;
	int t, id = mixer_add(m);

	for (t = 0; t < 160 * 15; t++)	/* a 500 Hz tone: sound, not a pause */
		f[t] = (int16_t)(8000 * sin(2 * M_PI * 500 * t / 8000));
	for (t = 0; t < 60; t++) {
		if (t < 20 || t >= 25)	/* five frames missing */
			mixer_push(m, id, f, 160);
		mixer_tick(m);
	}
	mixer_src_stats(m, id, &st);
	ok(st.underruns == 1 && st.target_ms == MIXER_TARGET_MS + 20,
	    "a gap mid-sound: one underrun, the target goes from %d to %d ms", MIXER_TARGET_MS,
	    st.target_ms);
	{
		/* Opus DTX: phrases ending in near-silence, then one packet per 400 ms. Ten
		 * such pauses leave the target where it was. */
		struct mixer *d = mixer_new(8000, 1);
		int16_t q[160];
		int did = mixer_add(d);

		for (t = 0; t < 160; t++)
			q[t] = (int16_t)(t % 2 ? 40 : -40);	/* -58 dBFS */
		for (int pause = 0; pause < 10; pause++) {
			for (t = 0; t < 15; t++) {	/* 200 ms of words, 100 ms of quiet */
				mixer_push(d, did, t < 10 ? f : q, 160);
				mixer_tick(d);
			}
			for (t = 0; t < 19; t++)	/* the pause: nothing comes */
				mixer_tick(d);
		}
		mixer_src_stats(d, did, &st);
		ok(st.pauses >= 9 && st.target_ms == MIXER_TARGET_MS,
		    "DTX pauses after near-silence: %llu pauses, the target stays at %d ms",
		    (unsigned long long)st.pauses, st.target_ms);
		mixer_free(d);
	}
	mixer_push(m, id, f, 160 * 15);	/* a 300 ms burst */
	for (t = 0; t < 120; t++) {
		mixer_push(m, id, f, 160);
		mixer_tick(m);
	}
	mixer_src_stats(m, id, &st);
	ok(st.trimmed >= 160 * 10 && st.depth_ms <= st.target_ms,
	    "a burst: %llu samples shed within two seconds, depth %d ms (target %d)",
	    (unsigned long long)st.trimmed, st.depth_ms, st.target_ms);
	{
		int16_t *sec = calloc(8000, sizeof *sec);

		mixer_push(m, id, sec, 8000);	/* a second at once: more than the FIFO holds */
		free(sec);
	}
	mixer_src_stats(m, id, &st);
	ok(st.overflow >= 8000 - 3200 && st.depth_ms == 400,
	    "overflow: the oldest go, %llu samples, the FIFO stays at 400 ms",
	    (unsigned long long)st.overflow);
	mixer_free(m);
}

int
main(void)
{
	ok(mixer_new(4000, 4) == NULL && mixer_new(8000, 0) == NULL, "bad rate or size refused");
	test_mix_minus();
	test_clip();
	test_adapt();
	return tap_done();
}
