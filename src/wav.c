/* wav: reading prompts and writing recordings; see wav.h. */
#include "wav.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "xmalloc.h"

struct wav_writer {
	FILE	*f;
	size_t	 samples;
	int	 rate;
};

static uint32_t
le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint16_t
le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static void
put_le32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

int16_t *
wav_resample(const int16_t *in, size_t n, int from, int to, size_t *out_n)
{
	size_t m = (size_t)((uint64_t)n * (uint64_t)to / (uint64_t)from), i;
	int16_t *out = xmalloc((m ? m : 1) * sizeof *out);

	for (i = 0; i < m; i++) {
		uint64_t pos = (uint64_t)i * (uint64_t)from * 65536 / (uint64_t)to;
		size_t k = (size_t)(pos >> 16);
		int64_t frac = (int64_t)(pos & 0xffff);
		int64_t a = in[k], b = k + 1 < n ? in[k + 1] : in[k];

		out[i] = (int16_t)(a + ((b - a) * frac >> 16));
	}
	*out_n = m;
	return out;
}

/* Finds the fmt and data chunks; fills the format fields and leaves f at the data. */
static int
wav_chunks(FILE *f, int *format, int *channels, int *rate, int *bits, uint32_t *data_len)
{
	uint8_t h[12], c[8], fmt[16];
	int have_fmt = 0;

	if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0)
		return -1;
	for (;;) {
		uint32_t len;

		if (fread(c, 1, 8, f) != 8)
			return -1;
		len = le32(c + 4);
		if (memcmp(c, "fmt ", 4) == 0) {
			if (len < 16 || fread(fmt, 1, 16, f) != 16)
				return -1;
			*format = le16(fmt);
			*channels = le16(fmt + 2);
			*rate = (int)le32(fmt + 4);
			*bits = le16(fmt + 14);
			have_fmt = 1;
			len -= 16;
		} else if (memcmp(c, "data", 4) == 0) {
			if (!have_fmt)
				return -1;
			*data_len = len;
			return 0;
		}
		if (fseek(f, (long)(len + (len & 1)), SEEK_CUR) != 0)
			return -1;
	}
}

int
wav_read(const char *path, int rate, int16_t **pcm, size_t *n)
{
	int format = 0, channels = 0, frate = 0, bits = 0, err = EINVAL, bps;
	uint32_t data_len = 0;
	uint8_t *raw = NULL;
	int16_t *mono = NULL;
	size_t frames, i, got;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (wav_chunks(f, &format, &channels, &frate, &bits, &data_len) < 0)
		goto out;
	/* 1: PCM (16-bit), 6: A-law, 7: mu-law (8-bit); WAVE_FORMAT_EXTENSIBLE is not read. */
	if (channels < 1 || channels > 2 || frate < 8000 || frate > 48000 ||
	    !((format == 1 && bits == 16) || ((format == 6 || format == 7) && bits == 8)))
		goto out;
	bps = bits / 8 * channels;
	if (data_len / (uint32_t)bps > (uint32_t)frate * WAV_MAX_SECONDS) {
		err = EFBIG;
		goto out;
	}
	raw = xmalloc(data_len ? data_len : 1);
	got = fread(raw, 1, data_len, f);	/* a short file: what is there */
	frames = got / (size_t)bps;
	mono = xmalloc((frames ? frames : 1) * sizeof *mono);
	for (i = 0; i < frames; i++) {
		int ch, sum = 0;

		for (ch = 0; ch < channels; ch++) {
			const uint8_t *s = raw + i * (size_t)bps + (size_t)ch * (size_t)(bits / 8);

			sum += format == 1 ? (int16_t)le16(s) : format == 6 ?
			    codec_alaw_decode(*s) : codec_ulaw_decode(*s);
		}
		mono[i] = (int16_t)(sum / channels);
	}
	if (frate != rate) {
		*pcm = wav_resample(mono, frames, frate, rate, n);
		free(mono);
	} else {
		*pcm = mono;
		*n = frames;
	}
	mono = NULL;
	err = 0;
out:
	free(raw);
	free(mono);
	fclose(f);
	if (err != 0) {
		errno = err;
		return -1;
	}
	return 0;
}

static void
wav_header(uint8_t h[44], int rate, uint32_t data_len)
{
	memcpy(h, "RIFF", 4);
	put_le32(h + 4, 36 + data_len);
	memcpy(h + 8, "WAVEfmt ", 8);
	put_le32(h + 16, 16);
	h[20] = 1; h[21] = 0;		/* PCM */
	h[22] = 1; h[23] = 0;		/* mono */
	put_le32(h + 24, (uint32_t)rate);
	put_le32(h + 28, (uint32_t)rate * 2);
	h[32] = 2; h[33] = 0;
	h[34] = 16; h[35] = 0;
	memcpy(h + 36, "data", 4);
	put_le32(h + 40, data_len);
}

struct wav_writer *
wav_create(const char *path, int rate)
{
	struct wav_writer *w;
	uint8_t h[44];
	FILE *f;

	if ((f = fopen(path, "wb")) == NULL)
		return NULL;
	wav_header(h, rate, 0);
	if (fwrite(h, 1, sizeof h, f) != sizeof h) {
		fclose(f);
		return NULL;
	}
	w = xcalloc(1, sizeof *w);
	w->f = f;
	w->rate = rate;
	return w;
}

int
wav_write(struct wav_writer *w, const int16_t *pcm, size_t n)
{
	uint8_t b[2 * 960];
	size_t i, k;

	while (n > 0) {
		k = n < 960 ? n : 960;
		for (i = 0; i < k; i++) {
			b[2 * i] = (uint8_t)pcm[i];
			b[2 * i + 1] = (uint8_t)((uint16_t)pcm[i] >> 8);
		}
		if (fwrite(b, 2, k, w->f) != k)
			return -1;
		w->samples += k;
		pcm += k;
		n -= k;
	}
	return 0;
}

size_t
wav_samples(const struct wav_writer *w)
{
	return w->samples;
}

int
wav_close(struct wav_writer *w)
{
	uint8_t h[44];
	int r = 0;

	wav_header(h, w->rate, (uint32_t)(w->samples * 2));
	if (fseek(w->f, 0, SEEK_SET) != 0 || fwrite(h, 1, sizeof h, w->f) != sizeof h)
		r = -1;
	if (fclose(w->f) != 0)
		r = -1;
	free(w);
	return r;
}
