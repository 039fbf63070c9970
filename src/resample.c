/* resample: polyphase windowed-sinc rate conversion by integer ratios; see resample.h. */
#include "resample.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define RESAMPLE_CHUNK		960	/* input samples filtered per pass */
#define RESAMPLE_KAISER_BETA	6.76	/* about 70 dB of stop-band attenuation */
#define RESAMPLE_PASS		0.93	/* cutoff, as a fraction of the lower Nyquist */

struct resample {
	int		 up, down;	/* L, M: one of them is 1 */
	int		 taps;		/* of the prototype filter */
	int		 per_out;	/* taps that make one output sample */
	float		*h;		/* up: phase-major (h[p][j]); down: the prototype; each
					 * stored time-reversed, so the dot product runs forwards */
	float		*buf;		/* history (per_out - 1 samples), then a chunk */
	int		 skip;		/* down: inputs to pass before the next output */
};

/* Modified Bessel function of the first kind, order 0 (the Kaiser window's). */
static double
resample_i0(double x)
{
	double sum = 1, term = 1;
	int k;

	for (k = 1; k < 50; k++) {
		term *= (x / (2 * k)) * (x / (2 * k));
		sum += term;
		if (term < sum * 1e-12)
			break;
	}
	return sum;
}

/* Low-pass at fc (a fraction of the high rate), DC gain `gain`. */
static void
resample_design(double *proto, int taps, double fc, double gain)
{
	double mid = (taps - 1) / 2.0, sum = 0;
	int k;

	for (k = 0; k < taps; k++) {
		double t = k - mid, r = t / mid;
		double s = t == 0 ? 2 * fc : sin(2 * M_PI * fc * t) / (M_PI * t);
		double w = resample_i0(RESAMPLE_KAISER_BETA * sqrt(fmax(0, 1 - r * r))) /
		    resample_i0(RESAMPLE_KAISER_BETA);

		proto[k] = s * w;
		sum += proto[k];
	}
	for (k = 0; k < taps; k++)
		proto[k] *= gain / sum;
}

struct resample *
resample_new(int in_rate, int out_rate)
{
	struct resample *r;
	int hi = in_rate > out_rate ? in_rate : out_rate;
	int lo = in_rate > out_rate ? out_rate : in_rate;
	double *proto;
	int k;

	if (lo < 8000 || hi > 48000 || hi % lo != 0)
		return errno = EINVAL, NULL;
	r = xcalloc(1, sizeof *r);
	r->up = out_rate / lo;
	r->down = in_rate / lo;
	if (hi == lo)
		return r;
	/* The same number of taps per output sample either way round. */
	r->taps = RESAMPLE_TAPS_PER_PHASE * (hi / lo);
	proto = xcalloc((size_t)r->taps, sizeof *proto);
	resample_design(proto, r->taps, RESAMPLE_PASS * lo / 2.0 / hi, r->up);
	r->h = xcalloc((size_t)r->taps, sizeof *r->h);
	if (r->up > 1) {
		int p, j;

		r->per_out = RESAMPLE_TAPS_PER_PHASE;
		for (p = 0; p < r->up; p++)
			for (j = 0; j < r->per_out; j++)
				r->h[p * r->per_out + (r->per_out - 1 - j)] =
				    (float)proto[p + j * r->up];
	} else {
		r->per_out = r->taps;
		for (k = 0; k < r->taps; k++)
			r->h[r->taps - 1 - k] = (float)proto[k];
	}
	free(proto);
	r->buf = xcalloc((size_t)(r->per_out - 1 + RESAMPLE_CHUNK), sizeof *r->buf);
	return r;
}

void
resample_free(struct resample *r)
{
	if (r == NULL)
		return;
	free(r->h);
	free(r->buf);
	free(r);
}

size_t
resample_out_max(const struct resample *r, size_t n)
{
	return n * (size_t)r->up / (size_t)r->down + 1;
}

int
resample_delay(const struct resample *r)
{
	if (r->taps == 0)
		return 0;
	return (r->taps - 1) / 2 / r->down;
}

static int16_t
resample_clip(float v)
{
	if (v >= 32767.0f)
		return 32767;
	if (v <= -32768.0f)
		return -32768;
	return (int16_t)lrintf(v);
}

/* x: the oldest of the n samples. Four partial sums: the compiler may not reorder a
 * floating-point sum itself, and one chain of additions is the bottleneck. n is a
 * multiple of 4 (RESAMPLE_TAPS_PER_PHASE is). */
static float
resample_dot(const float *h, const float *x, int n)
{
	float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
	int j;

	for (j = 0; j < n; j += 4) {
		a0 += h[j] * x[j];
		a1 += h[j + 1] * x[j + 1];
		a2 += h[j + 2] * x[j + 2];
		a3 += h[j + 3] * x[j + 3];
	}
	return (a0 + a1) + (a2 + a3);
}

/* One chunk: the new samples go after the history, the outputs are computed, the tail
 * becomes the next history. */
static size_t
resample_chunk(struct resample *r, const int16_t *in, size_t n, int16_t *out)
{
	size_t hist = (size_t)r->per_out - 1, i, o = 0;
	int p;

	for (i = 0; i < n; i++)
		r->buf[hist + i] = in[i];
	for (i = 0; i < n; i++) {
		const float *x = r->buf + i;	/* the oldest sample the output needs */

		if (r->up > 1) {
			for (p = 0; p < r->up; p++)
				out[o++] = resample_clip(resample_dot(r->h + p * r->per_out, x,
				    r->per_out));
		} else if (r->skip > 0)
			r->skip--;
		else {
			out[o++] = resample_clip(resample_dot(r->h, x, r->per_out));
			r->skip = r->down - 1;
		}
	}
	memmove(r->buf, r->buf + n, hist * sizeof *r->buf);
	return o;
}

size_t
resample_process(struct resample *r, const int16_t *in, size_t n, int16_t *out)
{
	size_t o = 0;

	if (r->taps == 0) {
		memcpy(out, in, n * sizeof *in);
		return n;
	}
	while (n > 0) {
		size_t c = n > RESAMPLE_CHUNK ? RESAMPLE_CHUNK : n;

		o += resample_chunk(r, in, c, out + o);
		in += c;
		n -= c;
	}
	return o;
}
