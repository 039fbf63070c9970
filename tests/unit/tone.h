/* tone.h: test helpers that make and measure tones (a sine generator and the Goertzel
 * filter), so tests check what was heard, not that something arrived. */
#ifndef SCAIDIAL_TEST_TONE_H
#define SCAIDIAL_TEST_TONE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

static void __attribute__((unused))
tone_fill(int16_t *pcm, size_t n, double freq, int rate, double amp, size_t *phase)
{
	size_t i;

	for (i = 0; i < n; i++)
		pcm[i] = (int16_t)(amp * 32767.0 * sin(2.0 * M_PI * freq * (double)(*phase + i) / rate));
	*phase += n;
}

/* Power of pcm at freq (Goertzel), normalised by the length. */
static double __attribute__((unused))
tone_power(const int16_t *pcm, size_t n, double freq, int rate)
{
	double w = 2.0 * M_PI * freq / rate, c = 2.0 * cos(w), s1 = 0, s2 = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double s = pcm[i] + c * s1 - s2;

		s2 = s1;
		s1 = s;
	}
	return (s1 * s1 + s2 * s2 - c * s1 * s2) / ((double)n * n);
}

/* The frequency from 100 Hz to the Nyquist limit (step 25 Hz) with the most power. */
static double __attribute__((unused))
tone_dominant(const int16_t *pcm, size_t n, int rate)
{
	double best = 0, best_f = 0, f;

	for (f = 100; f < rate / 2.0 && f <= 8000; f += 25) {
		double p = tone_power(pcm, n, f, rate);

		if (p > best) {
			best = p;
			best_f = f;
		}
	}
	return best_f;
}

#endif
