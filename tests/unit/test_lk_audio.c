/* test_lk_audio: Opus RTP out and back in: the tone survives (by its frequency), loss is
 * concealed without a hole, late and duplicate packets are dropped, the RTP header and the
 * audio-level and mid extensions are right. */
#include <math.h>
#include <stdint.h>

#include "lk_audio.h"
#include "tap.h"

#define NPKT	50

static int16_t out[NPKT * 2 * LK_AUDIO_FRAME];
static size_t nout;
static uint32_t last_ssrc;

static void
pcm_cb(void *arg, uint32_t ssrc, const int16_t *pcm, size_t n)
{
	(void)arg;
	last_ssrc = ssrc;
	for (size_t i = 0; i < n && nout < sizeof out / sizeof out[0]; i++)
		out[nout++] = pcm[i];
}

/* Frequency from the rising zero crossings of the last half second of out. */
static double
freq(void)
{
	size_t start = nout - LK_AUDIO_RATE / 2, i;
	int rising = 0;

	for (i = start + 1; i < nout; i++)
		if (out[i - 1] < 0 && out[i] >= 0)
			rising++;
	return rising * 2.0;
}

int
main(void)
{
	static uint8_t pkt[NPKT][1500];
	int len[NPKT];
	int16_t pcm[LK_AUDIO_FRAME];
	struct lk_audio_tx *tx = lk_audio_tx_new(0x11223344);
	struct lk_audio_rx *rx = lk_audio_rx_new(pcm_cb, NULL);
	double ph = 0;
	char mid[16];
	int i, k;

	ok(tx != NULL && rx != NULL, "objects");
	for (i = 0; i < NPKT; i++) {
		for (k = 0; k < LK_AUDIO_FRAME; k++) {
			pcm[k] = (int16_t)(16000 * sin(ph));
			ph += 2 * M_PI * 440 / LK_AUDIO_RATE;
		}
		len[i] = lk_audio_tx_frame(tx, pcm, 111, 1, pkt[i], sizeof pkt[i]);
	}
	ok(len[0] > 20 && len[NPKT - 1] > 20, "packets made (%d bytes)", len[0]);
	is_int(pkt[0][0], 0x90, "version 2 with an extension");
	is_int(pkt[0][1], 0x80 | 111, "marker on the first packet, PT 111");
	is_int(pkt[1][1], 111, "no marker afterwards");
	is_int((uint16_t)((pkt[1][2] << 8 | pkt[1][3]) - (pkt[0][2] << 8 | pkt[0][3])), 1,
	    "sequence +1");
	is_int((uint32_t)((uint32_t)pkt[1][4] << 24 | pkt[1][5] << 16 | pkt[1][6] << 8 | pkt[1][7]) -
	    (uint32_t)((uint32_t)pkt[0][4] << 24 | pkt[0][5] << 16 | pkt[0][6] << 8 | pkt[0][7]),
	    960, "timestamp +960");
	ok(pkt[0][12] == 0xbe && pkt[0][13] == 0xde && pkt[0][16] == 0x10,
	    "one-byte extension, id 1, one byte");
	ok(pkt[5][17] <= 10, "audio level of a loud tone is near 0 dBov (%d)", pkt[5][17]);

	/* Deliver all but packet 20; 21 arrives twice, 10 arrives late at the end. */
	for (i = 0; i < NPKT; i++) {
		if (i == 20)
			continue;
		lk_audio_rx_packet(rx, pkt[i], (size_t)len[i], 111, 0, mid, sizeof mid);
		if (i == 21)
			lk_audio_rx_packet(rx, pkt[i], (size_t)len[i], 111, 0, mid, sizeof mid);
	}
	lk_audio_rx_packet(rx, pkt[10], (size_t)len[10], 111, 0, mid, sizeof mid);
	is_int(nout, NPKT * LK_AUDIO_FRAME, "one lost packet concealed, duplicate and late dropped");
	ok(last_ssrc == 0x11223344, "ssrc reported");
	ok(fabs(freq() - 440) <= 10, "the tone comes back at 440 Hz (%.0f)", freq());

	lk_audio_rx_packet(rx, pkt[3], (size_t)len[3], 0, 0, mid, sizeof mid);
	is_int(nout, NPKT * LK_AUDIO_FRAME, "another payload type is ignored");

	/* A packet from another source with a mid extension (id 3, "1"). */
	{
		uint8_t p[200];
		int n = lk_audio_tx_frame(tx, pcm, 111, 0, p, sizeof p);
		uint8_t q[240];

		memcpy(q, p, 12);
		q[0] |= 0x10;
		q[8] = 9;
		q[12] = 0xbe; q[13] = 0xde; q[14] = 0; q[15] = 1;
		q[16] = 0x30; q[17] = '1'; q[18] = 0; q[19] = 0;
		memcpy(q + 20, p + 12, (size_t)n - 12);
		lk_audio_rx_packet(rx, q, (size_t)n + 8, 111, 3, mid, sizeof mid);
		is_str(mid, "1", "mid from the RTP extension");
		ok(last_ssrc >> 24 == 9, "a second source decodes");
	}
	/* More sources than decoders over a long call: the quietest slot is reused. */
	{
		uint8_t p[200];
		int n = lk_audio_tx_frame(tx, pcm, 111, 0, p, sizeof p), ok_all = 1;

		for (uint32_t ssrc = 100; ssrc < 100 + 2 * LK_AUDIO_MAX_SOURCES; ssrc++) {
			size_t before = nout;

			p[8] = (uint8_t)(ssrc >> 24);
			p[9] = (uint8_t)(ssrc >> 16);
			p[10] = (uint8_t)(ssrc >> 8);
			p[11] = (uint8_t)ssrc;
			lk_audio_rx_packet(rx, p, (size_t)n, 111, 0, mid, sizeof mid);
			if (nout == before || last_ssrc != ssrc)
				ok_all = 0;
		}
		ok(ok_all, "the 17th to 32nd sources still decode");
	}
	/* DTX: the next packet in sequence starts 400 ms later (19 frames skipped): the gap
	 * is filled with the decoder's comfort noise, 20 frames in all; a packet after a
	 * lost one (sequence gap) is concealment's, not this. */
	{
		struct lk_audio_rx *rx2 = lk_audio_rx_new(pcm_cb, NULL);
		uint8_t p[2][200];
		int n0 = lk_audio_tx_frame(tx, pcm, 111, 0, p[0], sizeof p[0]);
		int n1 = lk_audio_tx_frame(tx, pcm, 111, 0, p[1], sizeof p[1]);
		uint32_t ts = (uint32_t)p[1][4] << 24 | (uint32_t)p[1][5] << 16 |
		    (uint32_t)p[1][6] << 8 | p[1][7];
		size_t before;

		ts += 19 * LK_AUDIO_FRAME;
		p[1][4] = (uint8_t)(ts >> 24);
		p[1][5] = (uint8_t)(ts >> 16);
		p[1][6] = (uint8_t)(ts >> 8);
		p[1][7] = (uint8_t)ts;
		nout = 0;
		lk_audio_rx_packet(rx2, p[0], (size_t)n0, 111, 0, mid, sizeof mid);
		before = nout;
		lk_audio_rx_packet(rx2, p[1], (size_t)n1, 111, 0, mid, sizeof mid);
		is_int(nout - before, 20 * LK_AUDIO_FRAME, "a DTX pause of 19 frames is filled");
		lk_audio_rx_free(rx2);
	}
	/* At 8 kHz (a G.711 caller's rate) the same stream decodes to 8 kHz frames. */
	{
		struct lk_audio_rx *rx3 = lk_audio_rx_new(pcm_cb, NULL);

		ok(lk_audio_rx_rate(rx3, 8000) == 0 && lk_audio_rx_rate(rx3, 44100) == -1,
		    "8 kHz accepted, 44.1 kHz refused");
		nout = 0;
		for (i = 0; i < NPKT; i++)
			lk_audio_rx_packet(rx3, pkt[i], (size_t)len[i], 111, 0, mid, sizeof mid);
		is_int(nout, NPKT * 160, "20 ms packets decode to 160 samples each");
		lk_audio_rx_free(rx3);
	}
	for (k = 0; k < LK_AUDIO_FRAME; k++)
		pcm[k] = 0;
	is_int(lk_audio_level(pcm, LK_AUDIO_FRAME), 127, "silence is level 127");
	lk_audio_tx_free(tx);
	lk_audio_rx_free(rx);
	return tap_done();
}
