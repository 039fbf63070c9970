/* codec: G.711 (own), G.722 (spandsp), Opus (libopus) behind codec.h. */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

#include <opus/opus.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#include "xmalloc.h"

struct codec_ctx {
	enum codec		 codec;
	g722_encode_state_t	*g722_enc;
	g722_decode_state_t	*g722_dec;
	OpusEncoder		*opus_enc;
	OpusDecoder		*opus_dec;
	/* Concealment for the waveform codecs: the last good frame, faded on each loss. */
	int16_t			 last[CODEC_MAX_RATE / 1000 * CODEC_FRAME_MS];
	int			 last_n;
	int			 fade;		/* /16: 16 = full, 0 = silent */
	uint8_t			*silence;	/* cached payload of digital silence */
	int			 silence_len;
};

/* G.711 decoding: the ITU-T G.711 expansions, computed once by the formula (mu-law:
 * ((q << 3) + 0x84) << seg, less the bias; A-law: segment 0 and 1 linear, then doubling)
 * and written out so the hot path is one load. */
static const int16_t codec_ulaw_dec[256] = {
	-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956,
	-23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
	-15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412,
	-11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
	-7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140,
	-5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
	-3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004,
	-2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
	-1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436,
	-1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
	-876, -844, -812, -780, -748, -716, -684, -652,
	-620, -588, -556, -524, -492, -460, -428, -396,
	-372, -356, -340, -324, -308, -292, -276, -260,
	-244, -228, -212, -196, -180, -164, -148, -132,
	-120, -112, -104, -96, -88, -80, -72, -64,
	-56, -48, -40, -32, -24, -16, -8, 0,
	32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956,
	23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
	15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412,
	11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
	7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140,
	5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
	3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004,
	2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
	1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436,
	1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
	876, 844, 812, 780, 748, 716, 684, 652,
	620, 588, 556, 524, 492, 460, 428, 396,
	372, 356, 340, 324, 308, 292, 276, 260,
	244, 228, 212, 196, 180, 164, 148, 132,
	120, 112, 104, 96, 88, 80, 72, 64,
	56, 48, 40, 32, 24, 16, 8, 0,
};

static const int16_t codec_alaw_dec[256] = {
	-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736,
	-7552, -7296, -8064, -7808, -6528, -6272, -7040, -6784,
	-2752, -2624, -3008, -2880, -2240, -2112, -2496, -2368,
	-3776, -3648, -4032, -3904, -3264, -3136, -3520, -3392,
	-22016, -20992, -24064, -23040, -17920, -16896, -19968, -18944,
	-30208, -29184, -32256, -31232, -26112, -25088, -28160, -27136,
	-11008, -10496, -12032, -11520, -8960, -8448, -9984, -9472,
	-15104, -14592, -16128, -15616, -13056, -12544, -14080, -13568,
	-344, -328, -376, -360, -280, -264, -312, -296,
	-472, -456, -504, -488, -408, -392, -440, -424,
	-88, -72, -120, -104, -24, -8, -56, -40,
	-216, -200, -248, -232, -152, -136, -184, -168,
	-1376, -1312, -1504, -1440, -1120, -1056, -1248, -1184,
	-1888, -1824, -2016, -1952, -1632, -1568, -1760, -1696,
	-688, -656, -752, -720, -560, -528, -624, -592,
	-944, -912, -1008, -976, -816, -784, -880, -848,
	5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736,
	7552, 7296, 8064, 7808, 6528, 6272, 7040, 6784,
	2752, 2624, 3008, 2880, 2240, 2112, 2496, 2368,
	3776, 3648, 4032, 3904, 3264, 3136, 3520, 3392,
	22016, 20992, 24064, 23040, 17920, 16896, 19968, 18944,
	30208, 29184, 32256, 31232, 26112, 25088, 28160, 27136,
	11008, 10496, 12032, 11520, 8960, 8448, 9984, 9472,
	15104, 14592, 16128, 15616, 13056, 12544, 14080, 13568,
	344, 328, 376, 360, 280, 264, 312, 296,
	472, 456, 504, 488, 408, 392, 440, 424,
	88, 72, 120, 104, 24, 8, 56, 40,
	216, 200, 248, 232, 152, 136, 184, 168,
	1376, 1312, 1504, 1440, 1120, 1056, 1248, 1184,
	1888, 1824, 2016, 1952, 1632, 1568, 1760, 1696,
	688, 656, 752, 720, 560, 528, 624, 592,
	944, 912, 1008, 976, 816, 784, 880, 848,
};

int16_t
codec_ulaw_decode(uint8_t u)
{
	return codec_ulaw_dec[u];
}

int16_t
codec_alaw_decode(uint8_t a)
{
	return codec_alaw_dec[a];
}

/* Highest segment whose end the (biased) magnitude does not exceed; 8 = beyond. */
static int
codec_seg(int v, const int16_t *end)
{
	int s;

	for (s = 0; s < 8; s++)
		if (v <= end[s])
			break;
	return s;
}

uint8_t
codec_ulaw_encode(int16_t pcm)
{
	static const int16_t end[8] = { 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff };
	int v = pcm >> 2, mask = 0xff, seg;

	if (v < 0) {
		v = -v;
		mask = 0x7f;
	}
	if (v > 8159)
		v = 8159;
	v += 0x21;
	seg = codec_seg(v, end);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask);
}

uint8_t
codec_alaw_encode(int16_t pcm)
{
	static const int16_t end[8] = { 0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff };
	int v = pcm >> 3, mask = 0xd5, seg, a;

	if (v < 0) {
		mask = 0x55;
		v = -v - 1;
	}
	seg = codec_seg(v, end);
	if (seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	a = seg << 4;
	a |= seg < 2 ? (v >> 1) & 0xf : (v >> seg) & 0xf;
	return (uint8_t)(a ^ mask);
}

int
codec_rate(enum codec c)
{
	switch (c) {
	case CODEC_OPUS: return 48000;
	case CODEC_G722: return 16000;
	default: return 8000;
	}
}

int
codec_clock(enum codec c)
{
	return c == CODEC_OPUS ? 48000 : 8000;
}

int
codec_frame_samples(enum codec c)
{
	return codec_rate(c) / 1000 * CODEC_FRAME_MS;
}

struct codec_ctx *
codec_new(enum codec c)
{
	struct codec_ctx *x = xcalloc(1, sizeof *x);
	int err;

	x->codec = c;
	switch (c) {
	case CODEC_G722:
		x->g722_enc = g722_encode_init(NULL, 64000, 0);
		x->g722_dec = g722_decode_init(NULL, 64000, 0);
		if (x->g722_enc == NULL || x->g722_dec == NULL)
			goto fail;
		break;
	case CODEC_OPUS:
		x->opus_enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
		if (x->opus_enc == NULL)
			goto fail;
		x->opus_dec = opus_decoder_create(48000, 1, &err);
		if (x->opus_dec == NULL)
			goto fail;
		/* Narrow enough for a phone line, with in-band FEC for lossy paths. */
		opus_encoder_ctl(x->opus_enc, OPUS_SET_BITRATE(32000));
		opus_encoder_ctl(x->opus_enc, OPUS_SET_INBAND_FEC(1));
		opus_encoder_ctl(x->opus_enc, OPUS_SET_PACKET_LOSS_PERC(5));
		opus_encoder_ctl(x->opus_enc, OPUS_SET_COMPLEXITY(5));
		break;
	default:
		break;
	}
	return x;
fail:
	codec_free(x);
	return NULL;
}

void
codec_free(struct codec_ctx *x)
{
	if (x == NULL)
		return;
	if (x->g722_enc != NULL)
		g722_encode_free(x->g722_enc);
	if (x->g722_dec != NULL)
		g722_decode_free(x->g722_dec);
	if (x->opus_enc != NULL)
		opus_encoder_destroy(x->opus_enc);
	if (x->opus_dec != NULL)
		opus_decoder_destroy(x->opus_dec);
	free(x->silence);
	free(x);
}

int
codec_encode(struct codec_ctx *x, const int16_t *pcm, uint8_t *out, size_t max)
{
	int n = codec_frame_samples(x->codec), i;

	switch (x->codec) {
	case CODEC_PCMU:
	case CODEC_PCMA:
		if (max < (size_t)n)
			return -1;
		for (i = 0; i < n; i++)
			out[i] = x->codec == CODEC_PCMU ? codec_ulaw_encode(pcm[i]) :
			    codec_alaw_encode(pcm[i]);
		return n;
	case CODEC_G722:
		if (max < (size_t)n / 2)
			return -1;
		return g722_encode(x->g722_enc, out, pcm, n);
	case CODEC_OPUS: {
		opus_int32 r = opus_encode(x->opus_enc, pcm, n, out,
		    (opus_int32)(max > CODEC_MAX_PAYLOAD ? CODEC_MAX_PAYLOAD : max));

		return r < 0 ? -1 : (int)r;
	}
	default:
		return -1;
	}
}

int
codec_silence(struct codec_ctx *x, uint8_t *out, size_t max)
{
	if (x->silence == NULL) {
		int16_t zero[CODEC_MAX_RATE / 1000 * CODEC_FRAME_MS] = { 0 };
		uint8_t buf[CODEC_MAX_PAYLOAD];
		int i, n = -1;

		/* A few frames first, so the encoder has settled on silence. */
		for (i = 0; i < 3; i++)
			n = codec_encode(x, zero, buf, sizeof buf);
		if (n <= 0)
			return -1;
		x->silence = xmalloc((size_t)n);
		memcpy(x->silence, buf, (size_t)n);
		x->silence_len = n;
	}
	if ((size_t)x->silence_len > max)
		return -1;
	memcpy(out, x->silence, (size_t)x->silence_len);
	return x->silence_len;
}

static void
codec_keep(struct codec_ctx *x, const int16_t *pcm, int n)
{
	int keep = n < (int)(sizeof x->last / sizeof x->last[0]) ? n :
	    (int)(sizeof x->last / sizeof x->last[0]);

	memcpy(x->last, pcm + n - keep, (size_t)keep * sizeof *pcm);
	x->last_n = keep;
	x->fade = 16;
}

int
codec_decode(struct codec_ctx *x, const uint8_t *in, size_t len, int16_t *pcm, size_t max)
{
	size_t i;
	int n;

	switch (x->codec) {
	case CODEC_PCMU:
	case CODEC_PCMA:
		if (len > max)
			return -1;
		for (i = 0; i < len; i++)
			pcm[i] = x->codec == CODEC_PCMU ? codec_ulaw_dec[in[i]] :
			    codec_alaw_dec[in[i]];
		n = (int)len;
		break;
	case CODEC_G722:
		if (len * 2 > max)
			return -1;
		n = g722_decode(x->g722_dec, pcm, in, (int)len);
		break;
	case CODEC_OPUS:
		if (len == 0)
			return -1;
		n = opus_decode(x->opus_dec, in, (opus_int32)len, pcm, (int)max, 0);
		if (n < 0)
			return -1;
		return n;
	default:
		return -1;
	}
	if (n > 0)
		codec_keep(x, pcm, n);
	return n;
}

int
codec_conceal(struct codec_ctx *x, int16_t *pcm, int n)
{
	int i;

	if (x->codec == CODEC_OPUS) {
		int r = opus_decode(x->opus_dec, NULL, 0, pcm, n, 0);

		if (r == n)
			return n;
	}
	/* Repeat the last frame, a quarter quieter each time: silence after four losses. */
	x->fade = x->fade > 4 ? x->fade - 4 : 0;
	for (i = 0; i < n; i++)
		pcm[i] = x->last_n > 0 ?
		    (int16_t)(x->last[i % x->last_n] * x->fade / 16) : 0;
	return n;
}
