/* fuzz_lk: libFuzzer target for what a LiveKit server (or anyone on the path before DTLS
 * authenticates it) hands the LiveKit client as text or packets: SDP answers, trickle
 * candidateInit JSON, and decrypted RTP into the Opus receiver. The first byte picks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lk_audio.h"
#include "lk_sdp.h"

static void
fuzz_cand(void *arg, const char *mid, const char *c)
{
	(void)arg;
	(void)mid;
	(void)strlen(c);
}

static void
fuzz_pcm(void *arg, uint32_t ssrc, const int16_t *pcm, size_t n)
{
	(void)arg;
	(void)ssrc;
	if (n > 0)
		(void)pcm[n - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lk_audio_rx *rx;
	struct lk_sdp_answer a;
	char cand[512], mid[32], *s;

	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
	case 1:
		s = malloc(size);
		if (s == NULL)
			return 0;
		memcpy(s, data + 1, size - 1);
		s[size - 1] = '\0';
		if (data[0] % 3 == 0)
			(void)lk_sdp_parse_answer(s, &a, fuzz_cand, NULL);
		else
			(void)lk_sdp_trickle_parse(s, cand, sizeof cand, mid, sizeof mid);
		free(s);
		break;
	default:
		if (rx == NULL)
			rx = lk_audio_rx_new(fuzz_pcm, NULL);
		lk_audio_rx_packet(rx, data + 1, size - 1, 111, 2, mid, sizeof mid);
		break;
	}
	return 0;
}
