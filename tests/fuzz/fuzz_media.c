/* libFuzzer target: every parser the media engine runs on bytes from the network. The
 * first input byte picks one: an SDP offer answered for a trunk (and our answer must parse
 * again: what we write we can read), an RTP packet into the receive statistics, an RTCP
 * compound packet, an RFC 4733 payload, a codec payload decoded by each codec, a sequence
 * of arrivals into the jitter buffer (and the report we would build afterwards). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "dtmf.h"
#include "jitter.h"
#include "rtcp.h"
#include "rtp.h"
#include "sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
fuzz_sdp(const uint8_t *data, size_t size, uint8_t sel)
{
	static const enum codec prefs[4][4] = {
		{ CODEC_PCMU, CODEC_PCMA, CODEC_G722, CODEC_OPUS },
		{ CODEC_OPUS, CODEC_G722, CODEC_PCMA, CODEC_PCMU },
		{ CODEC_PCMA, CODEC_PCMU, CODEC_OPUS, CODEC_G722 },
		{ CODEC_G722, CODEC_OPUS, CODEC_PCMU, CODEC_PCMA },
	};
	unsigned char key[SDP_KEY_LEN];
	struct sdp_local l = { (sel & 0x40) ? "2001:db8::5" : "192.0.2.1", 40000, 1, 1, key,
	    SDP_SENDRECV };
	struct sdp_neg neg, neg2;
	struct sdp_desc d;
	struct trunk t;
	char *answer = NULL, *offer;

	memset(key, 0x42, sizeof key);
	memset(&t, 0, sizeof t);
	t.id = "fuzz";
	memcpy(t.codecs, prefs[sel & 3], sizeof prefs[0]);
	t.n_codecs = 1 + ((sel >> 2) & 3);
	t.srtp = (enum srtp_mode)((sel >> 4) % 3);
	if (sdp_answer(&t, (const char *)data, size, &l, &neg, &answer) == 0) {
		if (sdp_parse(answer, strlen(answer), &d) != 0)
			abort();	/* we wrote an answer we cannot read */
		free(answer);
	}
	/* The same bytes as an answer to our own offer. */
	offer = sdp_offer(&t, &l);
	(void)sdp_accept(&t, &l, (const char *)data, size, &neg2);
	free(offer);
}

static void
fuzz_codecs(const uint8_t *data, size_t size)
{
	static int16_t pcm[CODEC_MAX_FRAME];
	static struct codec_ctx *cx[CODEC_COUNT];
	int c;

	for (c = 0; c < CODEC_COUNT; c++) {
		if (cx[c] == NULL)
			cx[c] = codec_new((enum codec)c);
		if (size <= CODEC_MAX_PAYLOAD)
			(void)codec_decode(cx[c], data, size, pcm, CODEC_MAX_FRAME);
		(void)codec_conceal(cx[c], pcm, codec_frame_samples((enum codec)c));
	}
}

/* Records of 5 bytes: timestamp step (signed, frames), arrival step, payload length. */
static void
fuzz_jitter(const uint8_t *data, size_t size)
{
	struct jitter *j = jitter_new(8000, 160);
	uint32_t ts = 1000, arr = 0;
	const uint8_t *p;
	size_t len, i, guard = 0;

	for (i = 0; i + 5 <= size; i += 5) {
		ts += (uint32_t)((int8_t)data[i] * 160 + data[i + 1]);
		arr += (uint32_t)data[i + 2] * 40;
		static const uint8_t pay[JITTER_MAX_PAYLOAD + 256];

		(void)jitter_put(j, ts, pay, (size_t)data[i + 3] * 6, arr);
		while (guard++ < 100000) {
			enum jitter_out o = jitter_get(j, data[i + 4] & 1, &p, &len);

			if (o == JITTER_NONE)
				break;
			jitter_advance(j, o == JITTER_PACKET ? (uint32_t)len * 2 + 1 : 160);
		}
	}
	jitter_free(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rtp_rx rx;
	static struct dtmf_rx drx;
	struct rtcp_remote rem;
	struct rtp_hdr h;
	uint8_t sel;

	if (size < 2)
		return 0;
	sel = data[1];
	switch (data[0] % 6) {
	case 0:
		fuzz_sdp(data + 2, size - 2, sel);
		break;
	case 1:
		if (rtp_parse(data + 2, size - 2, &h) == 0) {
			if (h.payload + h.payload_len > data + size)
				abort();
			rtp_rx_update(&rx, &h, (uint32_t)size * 160);
			(void)rtp_rx_fraction(&rx);
			(void)dtmf_rx_packet(&drx, h.ts, h.payload, h.payload_len);
		}
		(void)rtp_is_rtcp(data + 2, size - 2);
		break;
	case 2:
		memset(&rem, 0, sizeof rem);
		(void)rtcp_parse(data + 2, size - 2, 0x11223344, &rx, &rem, 1700000000000000LL);
		{
			/* What we would report next must build from whatever was read. */
			struct rtcp_tx tx = { .ssrc = 1, .packets = sel, .clock = 8000 };
			uint8_t out[512];

			(void)rtcp_build(out, sizeof out, &tx, &rx, "fuzz", 1700000000000000LL);
		}
		break;
	case 3:
		fuzz_codecs(data + 2, size - 2);
		break;
	case 4: {
		unsigned char out[64];

		(void)sdp_base64_decode((const char *)data + 2, size - 2, out, sizeof out);
		break;
	}
	case 5:
		fuzz_jitter(data + 2, size - 2);
		break;
	}
	return 0;
}
