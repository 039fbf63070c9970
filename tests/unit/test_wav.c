/* test_wav: recordings read back sample-exact; prompts in the formats carriers' prompts come
 * in (16-bit PCM mono/stereo, G.711 A-law/mu-law, other rates) read as the right tone; what
 * is not a WAV is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "tap.h"
#include "tone.h"
#include "wav.h"

static char dir[64];

/* A WAV file with an extra chunk before "data", as many editors write. */
static void
write_raw(const char *path, int format, int channels, int rate, int bits, const void *data,
    size_t len)
{
	FILE *f = fopen(path, "wb");
	unsigned char h[64];
	int blk = channels * bits / 8;

#define LE32(p, v) do { (p)[0] = (unsigned char)(v); (p)[1] = (unsigned char)((v) >> 8); \
	(p)[2] = (unsigned char)((v) >> 16); (p)[3] = (unsigned char)((v) >> 24); } while (0)
#define LE16(p, v) do { (p)[0] = (unsigned char)(v); \
	(p)[1] = (unsigned char)((v) >> 8); } while (0)
	memcpy(h, "RIFF", 4);
	LE32(h + 4, (unsigned)(4 + 24 + 12 + 8 + len));
	memcpy(h + 8, "WAVEfmt ", 8);
	LE32(h + 16, 16u);
	LE16(h + 20, format);
	LE16(h + 22, channels);
	LE32(h + 24, (unsigned)rate);
	LE32(h + 28, (unsigned)(rate * blk));
	LE16(h + 32, blk);
	LE16(h + 34, bits);
	memcpy(h + 36, "LIST", 4);
	LE32(h + 40, 3u);	/* odd length: padded to 4 */
	memcpy(h + 44, "abc\0", 4);
	memcpy(h + 48, "data", 4);
	LE32(h + 52, (unsigned)len);
	fwrite(h, 1, 56, f);
	fwrite(data, 1, len, f);
	fclose(f);
}

int
main(void)
{
	int16_t pcm[16000], st[32000], *got = NULL;
	uint8_t law[8000];
	char path[128];
	size_t n = 0, i, ph = 0;
	struct wav_writer *w;
	int same = 1;

	snprintf(dir, sizeof dir, "/tmp/test_wav.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return 1;
	tone_fill(pcm, 16000, 450, 16000, 0.5, &ph);

	snprintf(path, sizeof path, "%s/rec.wav", dir);
	w = wav_create(path, 16000);
	ok(w != NULL, "create");
	wav_write(w, pcm, 7000);
	wav_write(w, pcm + 7000, 9000);
	is_int(wav_samples(w), 16000, "samples counted");
	is_int(wav_close(w), 0, "close");
	is_int(wav_read(path, 16000, &got, &n), 0, "read back");
	is_int(n, 16000, "same length");
	for (i = 0; i < n && i < 16000; i++)
		same &= got[i] == pcm[i];
	ok(same, "sample-exact");
	free(got);

	is_int(wav_read(path, 8000, &got, &n), 0, "read at 8 kHz");
	is_int(n, 8000, "half the samples");
	is_int((int)tone_dominant(got, n, 8000), 450, "still 450 Hz");
	free(got);

	for (i = 0; i < 16000; i++)
		st[2 * i] = st[2 * i + 1] = pcm[i];
	snprintf(path, sizeof path, "%s/stereo.wav", dir);
	write_raw(path, 1, 2, 16000, 16, st, sizeof st);
	is_int(wav_read(path, 16000, &got, &n), 0, "stereo with a LIST chunk");
	ok(n == 16000 && got[100] == pcm[100], "mixed down to mono");
	free(got);

	ph = 0;
	tone_fill(pcm, 8000, 1000, 8000, 0.5, &ph);
	for (i = 0; i < 8000; i++)
		law[i] = codec_alaw_encode(pcm[i]);
	snprintf(path, sizeof path, "%s/alaw.wav", dir);
	write_raw(path, 6, 1, 8000, 8, law, sizeof law);
	is_int(wav_read(path, 8000, &got, &n), 0, "A-law WAV");
	ok(n == 8000 && tone_dominant(got, n, 8000) == 1000, "A-law: 1000 Hz");
	free(got);
	for (i = 0; i < 8000; i++)
		law[i] = codec_ulaw_encode(pcm[i]);
	snprintf(path, sizeof path, "%s/ulaw.wav", dir);
	write_raw(path, 7, 1, 8000, 8, law, sizeof law);
	is_int(wav_read(path, 48000, &got, &n), 0, "mu-law WAV read at 48 kHz");
	ok(n == 48000 && tone_dominant(got, n, 48000) == 1000, "mu-law: 1000 Hz at 48 kHz");
	free(got);

	snprintf(path, sizeof path, "%s/float.wav", dir);
	write_raw(path, 3, 1, 8000, 32, law, 800);
	errno = 0;
	ok(wav_read(path, 8000, &got, &n) < 0 && errno == EINVAL, "float WAV refused (EINVAL)");
	snprintf(path, sizeof path, "%s/text.wav", dir);
	{
		FILE *f = fopen(path, "w");

		fputs("this is not a wave file at all", f);
		fclose(f);
	}
	ok(wav_read(path, 8000, &got, &n) < 0, "a text file refused");
	ok(wav_read("/nonexistent/x.wav", 8000, &got, &n) < 0 && errno == ENOENT,
	    "a missing file: ENOENT");
	{
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", dir);
	}
	return tap_done();
}
