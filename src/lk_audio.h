/* lk_audio: the Opus side of a LiveKit session. The sender encodes 20 ms of mono PCM into
 * one RTP packet (with the RFC 6464 audio level LiveKit uses for active speakers); the
 * receiver keeps one Opus decoder per remote SSRC (up to 16; the one quiet longest makes
 * room for a new one), conceals short gaps and hands out mono PCM. The PCM rate is 48 kHz
 * unless set to the carrier's (8 or 16 kHz): Opus encodes from and decodes to any of its
 * rates itself, so a G.711 call needs no resampling on our side at all. No allocation per
 * packet: decoders are made once per new SSRC, buffers live in the objects. */
#ifndef SCAIDIAL_LK_AUDIO_H
#define SCAIDIAL_LK_AUDIO_H

#include <stddef.h>
#include <stdint.h>

#define LK_AUDIO_RATE		48000
#define LK_AUDIO_FRAME		960	/* samples in 20 ms */
#define LK_AUDIO_MAX_FRAME	5760	/* 120 ms, Opus's longest */
#define LK_AUDIO_MAX_SOURCES	16

struct lk_audio_tx;
struct lk_audio_rx;

struct lk_audio_tx *lk_audio_tx_new(uint32_t ssrc);
/* The PCM rate of the frames to come (8000, 12000, 16000, 24000, 48000): 0, or -1. */
int	 lk_audio_tx_rate(struct lk_audio_tx *, int rate);
/* One RTP packet for 20 ms of PCM (rate / 50 samples) into out (cap bytes); its length, or -1. ext_level is
 * the negotiated extmap id of ssrc-audio-level (0: none). */
int	 lk_audio_tx_frame(struct lk_audio_tx *, const int16_t *pcm, int pt, int ext_level,
	    uint8_t *out, size_t cap);
void	 lk_audio_tx_free(struct lk_audio_tx *);

/* ssrc: the RTP source; pcm: n samples of mono at the receiver's rate. */
typedef void	 lk_audio_pcm_cb(void *arg, uint32_t ssrc, const int16_t *pcm, size_t n);

struct lk_audio_rx *lk_audio_rx_new(lk_audio_pcm_cb *, void *arg);
/* The PCM rate to decode to (as lk_audio_tx_rate): 0, or -1. */
int	 lk_audio_rx_rate(struct lk_audio_rx *, int rate);
/* One decrypted RTP packet; those of another payload type than pt are ignored. The mid
 * of the RTP sdes:mid extension (ext_mid) is copied to mid when present. */
void	 lk_audio_rx_packet(struct lk_audio_rx *, const uint8_t *pkt, size_t len, int pt,
	    int ext_mid, char *mid, size_t midsz);
void	 lk_audio_rx_forget(struct lk_audio_rx *, uint32_t ssrc);
void	 lk_audio_rx_free(struct lk_audio_rx *);

/* RFC 6464 level, 0 (loud) to 127 (silence), of n samples. */
int	 lk_audio_level(const int16_t *pcm, size_t n);

#endif
