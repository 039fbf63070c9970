/* test_codec: G.711 against ITU reference values, and a 1000 Hz tone through every codec
 * comes out as a 1000 Hz tone at the codec's rate. */
#include <string.h>

#include "codec.h"
#include "tap.h"
#include "tone.h"

static void
test_g711_vectors(void)
{
	/* Reference values of the ITU-T G.711 software (Sun's g711.c / Python's audioop). */
	static const struct { int16_t lin; uint8_t u, a; } enc[] = {
		{ 0, 0xff, 0xd5 }, { 1, 0xff, 0xd5 }, { -1, 0x7e, 0x55 },
		{ 100, 0xf2, 0xd3 }, { -100, 0x72, 0x53 }, { 1000, 0xce, 0xfa },
		{ -1000, 0x4e, 0x7a }, { 8159, 0x9f, 0x8a }, { 32767, 0x80, 0xaa },
		{ -32768, 0x00, 0x2a }, { 12345, 0x97, 0xbd }, { -4321, 0x2e, 0x05 },
	};
	static const struct { uint8_t code; int16_t u, a; } dec[] = {
		{ 0x00, -32124, -5504 }, { 0x7f, 0, -848 }, { 0x80, 32124, 5504 },
		{ 0xff, 0, 848 }, { 0x55, -716, -8 }, { 0xd5, 716, 8 },
		{ 0x2a, -5372, -32256 }, { 0xaa, 5372, 32256 }, { 0x13, -14460, -2880 },
	};
	size_t i;
	int bad_u = 0, bad_a = 0, c;

	for (i = 0; i < sizeof enc / sizeof enc[0]; i++) {
		is_int(codec_ulaw_encode(enc[i].lin), enc[i].u, "mu-law encode %d", enc[i].lin);
		is_int(codec_alaw_encode(enc[i].lin), enc[i].a, "A-law encode %d", enc[i].lin);
	}
	for (i = 0; i < sizeof dec / sizeof dec[0]; i++) {
		is_int(codec_ulaw_decode(dec[i].code), dec[i].u, "mu-law decode 0x%02x", dec[i].code);
		is_int(codec_alaw_decode(dec[i].code), dec[i].a, "A-law decode 0x%02x", dec[i].code);
	}
	/* Every code but mu-law's negative zero survives decode then encode. */
	for (c = 0; c < 256; c++) {
		if (c != 0x7f && codec_ulaw_encode(codec_ulaw_decode((uint8_t)c)) != c)
			bad_u++;
		if (codec_alaw_encode(codec_alaw_decode((uint8_t)c)) != c)
			bad_a++;
	}
	is_int(bad_u, 0, "mu-law: all 255 distinct codes round-trip");
	is_int(bad_a, 0, "A-law: all 256 codes round-trip");
}

static void
test_tone(enum codec c, const char *name)
{
	struct codec_ctx *x = codec_new(c);
	int n = codec_frame_samples(c), rate = codec_rate(c), frames = 25, f, bytes = 0;
	int16_t in[960], out[CODEC_MAX_FRAME], *all;
	uint8_t pay[CODEC_MAX_PAYLOAD];
	size_t phase = 0, got = 0;
	double p1k, p500, p2k;

	ok(x != NULL, "%s: context", name);
	if (x == NULL)
		return;
	all = calloc((size_t)(n * frames), sizeof *all);
	for (f = 0; f < frames; f++) {
		int len, m;

		tone_fill(in, (size_t)n, 1000, rate, 0.3, &phase);
		len = codec_encode(x, in, pay, sizeof pay);
		if (len <= 0)
			break;
		bytes += len;
		m = codec_decode(x, pay, (size_t)len, out, sizeof out / sizeof out[0]);
		if (m != n)
			break;
		memcpy(all + got, out, (size_t)m * sizeof *out);
		got += (size_t)m;
	}
	is_int(got, (size_t)(n * frames), "%s: %d frames of %d samples at %d Hz", name, frames, n,
	    rate);
	/* Skip the first 100 ms: G.722 and Opus have an algorithmic delay. */
	p1k = tone_power(all + n * 5, got - (size_t)n * 5, 1000, rate);
	p500 = tone_power(all + n * 5, got - (size_t)n * 5, 500, rate);
	p2k = tone_power(all + n * 5, got - (size_t)n * 5, 2000, rate);
	is_int((int)tone_dominant(all + n * 5, got - (size_t)n * 5, rate), 1000,
	    "%s: dominant frequency 1000 Hz", name);
	ok(p1k > 100 * p500 && p1k > 100 * p2k, "%s: 1 kHz 20 dB above 500 Hz and 2 kHz", name);
	ok(p1k > 0.01 * (0.3 * 32767) * (0.3 * 32767) / 4,
	    "%s: the tone keeps its level (power %.0f)", name, p1k);
	printf("# %s: %d payload bytes per 20 ms\n", name, bytes / frames);
	{
		int16_t plc[960];
		int m = codec_conceal(x, plc, n);

		is_int(m, n, "%s: concealment fills a frame", name);
	}
	{
		uint8_t s1[CODEC_MAX_PAYLOAD], s2[CODEC_MAX_PAYLOAD];
		int l1 = codec_silence(x, s1, sizeof s1), l2 = codec_silence(x, s2, sizeof s2), m;
		struct codec_ctx *d = codec_new(c);
		double peak = 0;

		ok(l1 > 0 && l1 == l2 && memcmp(s1, s2, (size_t)l1) == 0,
		    "%s: the silence payload is constant (%d bytes)", name, l1);
		for (f = 0; f < 10; f++) {
			int k;

			m = codec_decode(d, s1, (size_t)l1, out, sizeof out / sizeof out[0]);
			for (k = 0; k < m; k++)
				if (abs(out[k]) > peak)
					peak = abs(out[k]);
		}
		ok(peak < 64, "%s: it decodes to silence (peak %.0f)", name, peak);
		codec_free(d);
	}
	free(all);
	codec_free(x);
}

int
main(void)
{
	test_g711_vectors();
	test_tone(CODEC_PCMU, "PCMU");
	test_tone(CODEC_PCMA, "PCMA");
	test_tone(CODEC_G722, "G722");
	test_tone(CODEC_OPUS, "opus");
	is_int(codec_rate(CODEC_G722), 16000, "G.722 is 16 kHz PCM");
	is_int(codec_clock(CODEC_G722), 8000, "... on an 8 kHz RTP clock (RFC 3551)");
	return tap_done();
}
