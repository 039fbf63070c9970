/* mixer: per-source PCM jitter buffers and the mix-minus; see mixer.h. The mix is computed
 * as one 32-bit sum of all playing sources per sample, from which each listener's own
 * frame is subtracted: O(N) per tick rather than O(N^2), and exact before the final clip. */
#include "mixer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

#define MIXER_WINDOW_TICKS	50	/* a second: how long unused depth must persist */
#define MIXER_CALM_TICKS	500	/* 10 s without underrun lowers the target a frame */
#define MIXER_PAUSE_PEAK	328	/* -40 dBFS: a frame this quiet ends a phrase, not a burst */

struct mixer_src {
	bool		 used, playing;
	int16_t		*fifo;
	size_t		 rd, n;		/* oldest sample, samples held */
	size_t		 target;	/* depth to reach before playing */
	size_t		 min_after;	/* least depth after a pull in this window */
	int		 window, calm;
	int16_t		*frame;		/* this tick's frame */
	int16_t		*out;		/* this tick's mix-minus for the source */
	struct mixer_src_stats st;
};

struct mixer {
	int		 rate, frame, max;
	size_t		 cap;		/* FIFO samples per source */
	struct mixer_src *src;
	int32_t		*sum;
	int16_t		*all;		/* mixer_out(-1) */
};

struct mixer *
mixer_new(int rate, int max_sources)
{
	struct mixer *m;

	if (rate < 8000 || rate > 48000 || rate % 50 != 0 || max_sources < 1 ||
	    max_sources > MIXER_MAX_SOURCES)
		return NULL;
	m = xcalloc(1, sizeof *m);
	m->rate = rate;
	m->frame = rate / 50;
	m->max = max_sources;
	m->cap = (size_t)rate * MIXER_FIFO_MS / 1000;
	m->src = xcalloc((size_t)max_sources, sizeof *m->src);
	m->sum = xcalloc((size_t)m->frame, sizeof *m->sum);
	m->all = xcalloc((size_t)m->frame, sizeof *m->all);
	return m;
}

void
mixer_free(struct mixer *m)
{
	int i;

	if (m == NULL)
		return;
	for (i = 0; i < m->max; i++) {
		free(m->src[i].fifo);
		free(m->src[i].frame);
		free(m->src[i].out);
	}
	free(m->src);
	free(m->sum);
	free(m->all);
	free(m);
}

int
mixer_frame(const struct mixer *m)
{
	return m->frame;
}

static size_t
mixer_ms(const struct mixer *m, int ms)
{
	return (size_t)m->rate * (size_t)ms / 1000;
}

int
mixer_add(struct mixer *m)
{
	int i;

	for (i = 0; i < m->max; i++) {
		struct mixer_src *s = &m->src[i];

		if (s->used)
			continue;
		/* A source's buffers come with its first use and stay for the next one: a
		 * call's mixer mostly has one talker of its eight. */
		if (s->fifo == NULL) {
			s->fifo = xcalloc(m->cap, sizeof *s->fifo);
			s->frame = xcalloc((size_t)m->frame, sizeof *s->frame);
			s->out = xcalloc((size_t)m->frame, sizeof *s->out);
		}
		s->used = true;
		s->playing = false;
		s->rd = s->n = 0;
		s->target = mixer_ms(m, MIXER_TARGET_MS);
		s->min_after = (size_t)-1;
		s->window = s->calm = 0;
		memset(s->frame, 0, (size_t)m->frame * sizeof *s->frame);
		memset(&s->st, 0, sizeof s->st);
		return i;
	}
	return -1;
}

void
mixer_remove(struct mixer *m, int id)
{
	if (id >= 0 && id < m->max)
		m->src[id].used = false;
}

/* Drops the k oldest samples. */
static void
mixer_skip(struct mixer *m, struct mixer_src *s, size_t k)
{
	s->rd = (s->rd + k) % m->cap;
	s->n -= k;
}

void
mixer_push(struct mixer *m, int id, const int16_t *pcm, size_t n)
{
	struct mixer_src *s;

	if (id < 0 || id >= m->max || !m->src[id].used)
		return;
	s = &m->src[id];
	if (n > m->cap) {	/* only the newest FIFO's worth can matter */
		s->st.overflow += n - m->cap;
		pcm += n - m->cap;
		n = m->cap;
	}
	if (s->n + n > m->cap) {
		size_t k = s->n + n - m->cap;

		s->st.overflow += k;
		mixer_skip(m, s, k);
	}
	while (n > 0) {
		size_t wr = (s->rd + s->n) % m->cap, run = m->cap - wr;

		if (run > n)
			run = n;
		memcpy(s->fifo + wr, pcm, run * sizeof *pcm);
		s->n += run;
		pcm += run;
		n -= run;
	}
}

/* Adapts the depth: a second whose every tick left more than the target's margin sheds
 * the excess; ten seconds without running dry lower the target by a frame. */
static void
mixer_adapt(struct mixer *m, struct mixer_src *s)
{
	size_t margin = s->target - (size_t)m->frame;

	if (s->n < s->min_after)
		s->min_after = s->n;
	if (++s->window >= MIXER_WINDOW_TICKS) {
		if (s->min_after != (size_t)-1 && s->min_after > margin + (size_t)m->frame / 2) {
			size_t k = s->min_after - margin;

			s->st.trimmed += k;
			mixer_skip(m, s, k);
		}
		s->window = 0;
		s->min_after = (size_t)-1;
	}
	if (++s->calm >= MIXER_CALM_TICKS) {
		s->calm = 0;
		if (s->target > mixer_ms(m, MIXER_TARGET_MS))
			s->target -= (size_t)m->frame;
	}
}

static int
mixer_peak(const int16_t *pcm, size_t n)
{
	int peak = 0;

	for (size_t i = 0; i < n; i++) {
		int v = pcm[i] < 0 ? -pcm[i] : pcm[i];

		if (v > peak)
			peak = v;
	}
	return peak;
}

static void
mixer_pull(struct mixer *m, struct mixer_src *s)
{
	size_t f = (size_t)m->frame, run;

	if (s->playing && s->n < f) {
		/* Dry: what is left is kept for when it resumes. After sound, the network was
		 * late: wait longer next time. After near-silence it is a pause (Opus DTX sends
		 * one packet per 400 ms in silence, browsers and the SDKs use it): counted,
		 * but it is no reason to add delay for everyone's next words. */
		s->playing = false;
		s->st.underruns++;
		if (mixer_peak(s->frame, f) >= MIXER_PAUSE_PEAK) {
			s->calm = 0;
			if (s->target + f <= mixer_ms(m, MIXER_TARGET_MAX_MS))
				s->target += f;
		} else {
			s->st.pauses++;
		}
	}
	if (!s->playing && s->n >= s->target) {
		s->playing = true;
		s->window = 0;
		s->min_after = (size_t)-1;
	}
	if (!s->playing) {
		memset(s->frame, 0, f * sizeof *s->frame);
		return;
	}
	run = m->cap - s->rd;
	if (run >= f)
		memcpy(s->frame, s->fifo + s->rd, f * sizeof *s->frame);
	else {
		memcpy(s->frame, s->fifo + s->rd, run * sizeof *s->frame);
		memcpy(s->frame + run, s->fifo, (f - run) * sizeof *s->frame);
	}
	mixer_skip(m, s, f);
	s->st.frames++;
	mixer_adapt(m, s);
}

void
mixer_tick(struct mixer *m)
{
	int i, k;

	memset(m->sum, 0, (size_t)m->frame * sizeof *m->sum);
	for (i = 0; i < m->max; i++) {
		struct mixer_src *s = &m->src[i];

		if (!s->used)
			continue;
		mixer_pull(m, s);
		if (!s->playing)
			continue;
		for (k = 0; k < m->frame; k++)
			m->sum[k] += s->frame[k];
	}
}

static int16_t
mixer_clip(int32_t v)
{
	return v > 32767 ? 32767 : v < -32768 ? -32768 : (int16_t)v;
}

const int16_t *
mixer_out(struct mixer *m, int id)
{
	struct mixer_src *s;
	int k;

	if (id < 0 || id >= m->max || !m->src[id].used) {
		for (k = 0; k < m->frame; k++)
			m->all[k] = mixer_clip(m->sum[k]);
		return m->all;
	}
	s = &m->src[id];
	for (k = 0; k < m->frame; k++)
		s->out[k] = mixer_clip(m->sum[k] - (s->playing ? s->frame[k] : 0));
	return s->out;
}

void
mixer_src_stats(const struct mixer *m, int id, struct mixer_src_stats *out)
{
	const struct mixer_src *s;

	memset(out, 0, sizeof *out);
	if (id < 0 || id >= m->max || !m->src[id].used)
		return;
	s = &m->src[id];
	*out = s->st;
	out->target_ms = (int)(s->target * 1000 / (size_t)m->rate);
	out->depth_ms = (int)(s->n * 1000 / (size_t)m->rate);
}
