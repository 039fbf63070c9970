/* fuzz_lk: libFuzzer target for what a LiveKit server (or anyone on the path before DTLS
 * authenticates it) hands the LiveKit client as text or packets: SDP answers, trickle
 * candidateInit JSON, decrypted RTP into the Opus receiver and the RTCP statistics, and
 * decrypted RTCP (SR, RR, NACK) into lk_rtcp. The first byte picks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lk_audio.h"
#include "lk_rtcp.h"
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

static void
fuzz_resend(void *arg, const uint8_t *pkt, size_t len)
{
	(void)arg;
	if (len > 0)
		(void)pkt[len - 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lk_audio_rx *rx;
	static struct lk_rtcp *rtcp;
	uint8_t ours[40] = { 0x80, 111, 0, 5, 0, 0, 0, 0, 0x11, 0x22, 0x33, 0x44 };
	uint8_t rep[1500];
	struct lk_sdp_answer a;
	char cand[512], mid[32], *s;

	if (size < 1)
		return 0;
	if (rtcp == NULL)
		rtcp = lk_rtcp_new(0x11223344u, "fuzz");
	switch (data[0] % 4) {
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
	case 2:
		if (rx == NULL)
			rx = lk_audio_rx_new(fuzz_pcm, NULL);
		lk_audio_rx_packet(rx, data + 1, size - 1, 111, 2, mid, sizeof mid);
		lk_rtcp_received(rtcp, data + 1, size - 1, 1700000000000000LL);
		break;
	default:
		/* Something in the history (seq 5) for NACKs to find, then a report to build
		 * from whatever the input left in the statistics. */
		lk_rtcp_sent(rtcp, ours, sizeof ours, 1700000000000000LL);
		(void)lk_rtcp_input(rtcp, data + 1, size - 1, 1700000000000000LL, fuzz_resend,
		    NULL);
		(void)lk_rtcp_build(rtcp, rep, sizeof rep, 1700000000000000LL);
		break;
	}
	return 0;
}
