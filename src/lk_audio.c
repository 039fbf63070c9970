/* lk_audio: Opus encode/packetize and depacketize/decode (see lk_audio.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <opus.h>

#include "lk_audio.h"

#define LK_AUDIO_MAX_GAP	5	/* lost packets concealed; beyond, the decoder restarts */

struct lk_audio_tx {
	OpusEncoder	*enc;
	int		 frame;		/* PCM samples per 20 ms at the encoder's rate */
	uint32_t	 ssrc;
	uint16_t	 seq;
	uint32_t	 ts;
	int		 started;
};

struct lk_audio_src {
	OpusDecoder	*dec;
	uint32_t	 ssrc;
	uint16_t	 next_seq;
	int		 have_seq;
	int		 used;
	uint64_t	 seen;		/* rx->tick of its last packet */
};

struct lk_audio_rx {
	lk_audio_pcm_cb	*cb;
	void		*arg;
	int		 rate;		/* of the PCM handed out */
	struct lk_audio_src src[LK_AUDIO_MAX_SOURCES];
	uint64_t	 tick;		/* packets seen */
};

int
lk_audio_level(const int16_t *pcm, size_t n)
{
	double sum = 0, rms, db;
	size_t i;

	for (i = 0; i < n; i++)
		sum += (double)pcm[i] * pcm[i];
	if (n == 0 || sum == 0)
		return 127;
	rms = sqrt(sum / (double)n) / 32768.0;
	db = -20.0 * log10(rms);
	if (db < 0)
		db = 0;
	return db > 127 ? 127 : (int)db;
}

struct lk_audio_tx *
lk_audio_tx_new(uint32_t ssrc)
{
	struct lk_audio_tx *tx;

	tx = calloc(1, sizeof *tx);
	if (tx == NULL)
		return NULL;
	if (lk_audio_tx_rate(tx, LK_AUDIO_RATE) != 0) {
		free(tx);
		return NULL;
	}
	tx->ssrc = ssrc;
	tx->seq = (uint16_t)random();
	tx->ts = (uint32_t)random();
	return tx;
}

int
lk_audio_tx_rate(struct lk_audio_tx *tx, int rate)
{
	OpusEncoder *enc;
	int err;

	if (rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 && rate != 48000)
		return -1;
	enc = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &err);
	if (enc == NULL)
		return -1;
	opus_encoder_ctl(enc, OPUS_SET_BITRATE(rate <= 16000 ? 24000 : 32000));
	opus_encoder_ctl(enc, OPUS_SET_INBAND_FEC(1));
	opus_encoder_ctl(enc, OPUS_SET_PACKET_LOSS_PERC(5));
	/* The default (9-10) costs about twice the CPU for a telephone line's audio that
	 * a listener cannot tell apart; 5 is what the SIP side's Opus uses too. */
	opus_encoder_ctl(enc, OPUS_SET_COMPLEXITY(5));
	if (tx->enc != NULL)
		opus_encoder_destroy(tx->enc);
	tx->enc = enc;
	tx->frame = rate / 50;
	return 0;
}

int
lk_audio_tx_frame(struct lk_audio_tx *tx, const int16_t *pcm, int pt, int ext_level,
    uint8_t *out, size_t cap)
{
	size_t hl = 12;
	int n;

	if (cap < 12 + 8 + 1)
		return -1;
	out[0] = 0x80;
	out[1] = (uint8_t)(pt & 0x7f) | (tx->started ? 0 : 0x80);
	out[2] = (uint8_t)(tx->seq >> 8);
	out[3] = (uint8_t)tx->seq;
	out[4] = (uint8_t)(tx->ts >> 24);
	out[5] = (uint8_t)(tx->ts >> 16);
	out[6] = (uint8_t)(tx->ts >> 8);
	out[7] = (uint8_t)tx->ts;
	out[8] = (uint8_t)(tx->ssrc >> 24);
	out[9] = (uint8_t)(tx->ssrc >> 16);
	out[10] = (uint8_t)(tx->ssrc >> 8);
	out[11] = (uint8_t)tx->ssrc;
	if (ext_level > 0 && ext_level < 15) {
		/* RFC 8285 one-byte header: one element, padded to 4 bytes. */
		out[0] |= 0x10;
		out[12] = 0xbe;
		out[13] = 0xde;
		out[14] = 0;
		out[15] = 1;
		out[16] = (uint8_t)(ext_level << 4);	/* length 1 - 1 */
		out[17] = (uint8_t)lk_audio_level(pcm, (size_t)tx->frame);
		out[18] = 0;
		out[19] = 0;
		hl = 20;
	}
	n = opus_encode(tx->enc, pcm, tx->frame, out + hl, (opus_int32)(cap - hl));
	if (n < 0)
		return -1;
	tx->started = 1;
	tx->seq++;
	tx->ts += LK_AUDIO_FRAME;	/* Opus's RTP clock is 48 kHz whatever the PCM rate */
	return (int)hl + n;
}

void
lk_audio_tx_free(struct lk_audio_tx *tx)
{
	if (tx == NULL)
		return;
	opus_encoder_destroy(tx->enc);
	free(tx);
}

struct lk_audio_rx *
lk_audio_rx_new(lk_audio_pcm_cb *cb, void *arg)
{
	struct lk_audio_rx *rx;

	rx = calloc(1, sizeof *rx);
	if (rx == NULL)
		return NULL;
	rx->cb = cb;
	rx->arg = arg;
	rx->rate = LK_AUDIO_RATE;
	return rx;
}

int
lk_audio_rx_rate(struct lk_audio_rx *rx, int rate)
{
	int i;

	if (rate != 8000 && rate != 12000 && rate != 16000 && rate != 24000 && rate != 48000)
		return -1;
	if (rate == rx->rate)
		return 0;
	/* Decoders are made at the output rate: the next packet of each source makes one. */
	for (i = 0; i < LK_AUDIO_MAX_SOURCES; i++) {
		if (rx->src[i].dec != NULL)
			opus_decoder_destroy(rx->src[i].dec);
		rx->src[i].dec = NULL;
		rx->src[i].used = 0;
	}
	rx->rate = rate;
	return 0;
}

static struct lk_audio_src *
lk_audio_rx_source(struct lk_audio_rx *rx, uint32_t ssrc)
{
	struct lk_audio_src *free_slot = NULL;
	int i, err;

	struct lk_audio_src *oldest = &rx->src[0];

	for (i = 0; i < LK_AUDIO_MAX_SOURCES; i++) {
		if (rx->src[i].used && rx->src[i].ssrc == ssrc)
			return &rx->src[i];
		if (!rx->src[i].used && free_slot == NULL)
			free_slot = &rx->src[i];
		if (rx->src[i].seen < oldest->seen)
			oldest = &rx->src[i];
	}
	if (free_slot == NULL)
		free_slot = oldest;	/* a source gone quiet makes room (people come and go) */
	if (free_slot->dec == NULL) {
		free_slot->dec = opus_decoder_create(rx->rate, 1, &err);
		if (free_slot->dec == NULL)
			return NULL;
	} else
		opus_decoder_ctl(free_slot->dec, OPUS_RESET_STATE);
	free_slot->used = 1;
	free_slot->ssrc = ssrc;
	free_slot->have_seq = 0;
	return free_slot;
}

/* The mid in an RFC 8285 one-byte extension block, if one element has id want. */
static void
lk_audio_ext_mid(const uint8_t *p, size_t n, int want, char *mid, size_t midsz)
{
	size_t i = 0, l;
	int id;

	while (i < n) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		id = p[i] >> 4;
		l = (size_t)(p[i] & 15) + 1;
		if (id == 15 || i + 1 + l > n)
			return;
		if (id == want && midsz > 0) {
			if (l >= midsz)
				l = midsz - 1;
			memcpy(mid, p + i + 1, l);
			mid[l] = '\0';
			return;
		}
		i += 1 + l;
	}
}

void
lk_audio_rx_packet(struct lk_audio_rx *rx, const uint8_t *p, size_t len, int pt, int ext_mid,
    char *mid, size_t midsz)
{
	struct lk_audio_src *s;
	size_t off = 12, xl;
	uint32_t ssrc;
	uint16_t seq, gap;
	int cc, n, i, frame = rx->rate / 50;
	int16_t pcm[LK_AUDIO_MAX_FRAME];	/* on the stack: 11 KiB a call saved */

	if (midsz > 0)
		mid[0] = '\0';
	if (len < 12 || (p[0] >> 6) != 2 || (p[1] & 0x7f) != pt)
		return;
	cc = p[0] & 15;
	off += 4 * (size_t)cc;
	if (p[0] & 0x10) {
		if (len < off + 4)
			return;
		xl = 4 * (size_t)((p[off + 2] << 8) | p[off + 3]);
		if (len < off + 4 + xl)
			return;
		if (ext_mid > 0 && p[off] == 0xbe && p[off + 1] == 0xde)
			lk_audio_ext_mid(p + off + 4, xl, ext_mid, mid, midsz);
		off += 4 + xl;
	}
	if (p[0] & 0x20) {
		if (len <= off || p[len - 1] > len - off)
			return;
		len -= p[len - 1];
	}
	if (len <= off)
		return;
	seq = (uint16_t)((p[2] << 8) | p[3]);
	ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	s = lk_audio_rx_source(rx, ssrc);
	if (s == NULL)
		return;
	s->seen = ++rx->tick;
	gap = (uint16_t)(seq - s->next_seq);
	if (s->have_seq) {
		if (gap >= 0x8000)
			return;	/* late or duplicate */
		if (gap > 0 && gap <= LK_AUDIO_MAX_GAP) {
			/* Conceal all but the last lost packet; recover that one from FEC. */
			for (i = 0; i + 1 < gap; i++) {
				n = opus_decode(s->dec, NULL, 0, pcm, frame, 0);
				if (n > 0)
					rx->cb(rx->arg, ssrc, pcm, (size_t)n);
			}
			n = opus_decode(s->dec, p + off, (opus_int32)(len - off), pcm,
			    frame, 1);
			if (n > 0)
				rx->cb(rx->arg, ssrc, pcm, (size_t)n);
		}
	}
	n = opus_decode(s->dec, p + off, (opus_int32)(len - off), pcm,
	    LK_AUDIO_MAX_FRAME * rx->rate / LK_AUDIO_RATE, 0);
	s->next_seq = (uint16_t)(seq + 1);
	s->have_seq = 1;
	if (n > 0)
		rx->cb(rx->arg, ssrc, pcm, (size_t)n);
}

void
lk_audio_rx_forget(struct lk_audio_rx *rx, uint32_t ssrc)
{
	int i;

	for (i = 0; i < LK_AUDIO_MAX_SOURCES; i++)
		if (rx->src[i].used && rx->src[i].ssrc == ssrc)
			rx->src[i].used = 0;
}

void
lk_audio_rx_free(struct lk_audio_rx *rx)
{
	int i;

	if (rx == NULL)
		return;
	for (i = 0; i < LK_AUDIO_MAX_SOURCES; i++)
		if (rx->src[i].dec != NULL)
			opus_decoder_destroy(rx->src[i].dec);
	free(rx);
}
