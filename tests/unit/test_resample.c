/* test_resample: rate conversion between 8/16 kHz and 48 kHz, judged by what comes out:
 * a tone keeps its frequency and its level (within 0.5 dB) each way; upsampling makes no
 * images (8 kHz +- f would be there after sample repetition or zero-stuffing without a
 * filter); downsampling lets no out-of-band tone alias into the band; converting 20 ms
 * frames one by one, or odd-sized pieces, gives the same samples as one long call. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "resample.h"
#include "tap.h"
#include "tone.h"

#define SECS	1

static double
db(double p_ratio)
{
	return 10.0 * log10(p_ratio > 1e-30 ? p_ratio : 1e-30);
}

/* Converts one second of a tone (amplitude 0.5) in 20 ms frames; the output from 100 ms
 * on (past the filter's start-up) goes to *out, its length to *n. */
static int16_t *
convert(int in_rate, int out_rate, double hz, size_t *n)
{
	struct resample *r = resample_new(in_rate, out_rate);
	size_t in_n = (size_t)in_rate * SECS, frame = (size_t)in_rate / 50, phase = 0, o = 0, i;
	int16_t *in = malloc(in_n * sizeof *in);
	int16_t *out = malloc(resample_out_max(r, in_n) * sizeof *out);
	size_t skip = (size_t)out_rate / 10;

	tone_fill(in, in_n, hz, in_rate, 0.5, &phase);
	for (i = 0; i < in_n; i += frame)
		o += resample_process(r, in + i, frame, out + o);
	resample_free(r);
	free(in);
	memmove(out, out + skip, (o - skip) * sizeof *out);
	*n = o - skip;
	return out;
}

static void
check_tone(int in_rate, int out_rate, double hz)
{
	size_t n;
	int16_t *out = convert(in_rate, out_rate, hz, &n);
	double want = 0.5 * 32767 * 0.5 * 32767 / 4;	/* tone_power of amplitude 0.5 */
	double got = tone_power(out, n, hz, out_rate);

	is_int((int)n, out_rate * SECS - out_rate / 10, "%d -> %d: %d samples a second",
	    in_rate, out_rate, out_rate);
	is_int((int)tone_dominant(out, n, out_rate), (int)hz, "%d -> %d: %.0f Hz stays %.0f Hz",
	    in_rate, out_rate, hz, hz);
	ok(fabs(db(got / want)) < 0.5, "%d -> %d: %.0f Hz level %+.2f dB", in_rate, out_rate,
	    hz, db(got / want));
	if (out_rate > in_rate) {
		/* The images of zero-stuffing (or the harmonics of sample repetition). */
		double img1 = tone_power(out, n, in_rate - hz, out_rate);
		double img2 = tone_power(out, n, in_rate + hz, out_rate);

		ok(db(img1 / got) < -60 && db(img2 / got) < -60,
		    "%d -> %d: images at %.0f and %.0f Hz %.0f and %.0f dB down", in_rate,
		    out_rate, in_rate - hz, in_rate + hz, db(img1 / got), db(img2 / got));
	}
	free(out);
}

/* A tone above the lower rate's Nyquist frequency, which would fold to `alias` Hz. */
static void
check_alias(int out_rate, double hz, double alias)
{
	size_t n, i;
	int16_t *out = convert(48000, out_rate, hz, &n);
	double in_p = 0.5 * 32767 * 0.5 * 32767 / 4, p = tone_power(out, n, alias, out_rate);
	double rms = 0;

	for (i = 0; i < n; i++)
		rms += (double)out[i] * out[i];
	rms = sqrt(rms / (double)n);
	ok(db(p / in_p) < -60, "48000 -> %d: %.0f Hz does not alias to %.0f Hz (%.0f dB)",
	    out_rate, hz, alias, db(p / in_p));
	ok(rms < 20, "48000 -> %d: what remains of %.0f Hz is noise (rms %.1f)", out_rate, hz,
	    rms);
	free(out);
}

/* Frame by frame, in pieces of 7 samples, or all at once: the same samples. */
static void
check_streaming(int in_rate, int out_rate)
{
	size_t in_n = (size_t)in_rate / 5, phase = 0, a = 0, b = 0, i;
	int16_t *in = malloc(in_n * sizeof *in), *x, *y;
	struct resample *r1 = resample_new(in_rate, out_rate), *r2 = resample_new(in_rate,
	    out_rate);

	tone_fill(in, in_n, 440, in_rate, 0.7, &phase);
	x = malloc(resample_out_max(r1, in_n) * sizeof *x);
	y = malloc((resample_out_max(r2, in_n) + in_n / 7 + 1) * sizeof *y);
	a = resample_process(r1, in, in_n, x);
	for (i = 0; i < in_n; i += 7)
		b += resample_process(r2, in + i, in_n - i < 7 ? in_n - i : 7, y + b);
	ok(a == b && memcmp(x, y, a * sizeof *x) == 0,
	    "%d -> %d: in 7-sample pieces the same %zu samples as at once", in_rate, out_rate, a);
	resample_free(r1);
	resample_free(r2);
	free(in);
	free(x);
	free(y);
}

int
main(void)
{
	ok(resample_new(44100, 48000) == NULL, "44.1 -> 48 kHz (no integer ratio) refused");
	check_tone(8000, 48000, 1000);
	check_tone(8000, 48000, 3000);
	check_tone(16000, 48000, 1000);
	check_tone(16000, 48000, 6500);
	check_tone(48000, 8000, 1000);
	check_tone(48000, 8000, 3000);
	check_tone(48000, 16000, 700);
	check_tone(48000, 16000, 6500);
	check_alias(8000, 6000, 2000);
	check_alias(8000, 4500, 3500);
	check_alias(16000, 10000, 6000);
	check_streaming(8000, 48000);
	check_streaming(48000, 8000);
	check_streaming(48000, 16000);
	{
		struct resample *r = resample_new(8000, 8000);
		int16_t in[3] = { 1, -2, 3 }, out[3];

		ok(resample_process(r, in, 3, out) == 3 && memcmp(in, out, sizeof in) == 0,
		    "equal rates copy");
		resample_free(r);
	}
	return tap_done();
}
