/* codec: the four audio codecs of the carrier leg behind one interface. A codec context
 * encodes and decodes 20 ms frames to and from 16-bit mono PCM at the codec's own rate
 * (8 kHz for G.711, 16 kHz for G.722, 48 kHz for Opus), so nothing is resampled on the way.
 * G.711 is ours (tables checked against the ITU reference values in the unit test), G.722
 * is spandsp's, Opus is libopus. A context belongs to one worker thread; encode/decode
 * allocate nothing. */
#ifndef SCAIDIAL_CODEC_H
#define SCAIDIAL_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define CODEC_FRAME_MS		20
#define CODEC_MAX_RATE		48000
#define CODEC_MAX_FRAME		(CODEC_MAX_RATE / 1000 * 120)	/* Opus may carry 120 ms */
#define CODEC_MAX_PAYLOAD	1275

struct codec_ctx;

struct codec_ctx *codec_new(enum codec);	/* NULL if the library refuses */
void	 codec_free(struct codec_ctx *);

int	 codec_rate(enum codec);	/* PCM samples per second */
int	 codec_clock(enum codec);	/* RTP timestamp units per second */
int	 codec_frame_samples(enum codec);	/* 20 ms of PCM */

/* One 20 ms frame (codec_frame_samples() samples) in, the payload out; returns its
 * length or -1. */
int	 codec_encode(struct codec_ctx *, const int16_t *pcm, uint8_t *out, size_t max);
/* A 20 ms payload of silence, the same bytes every time (encoded once: sending silence
 * costs no encoding, which matters for Opus). Returns its length or -1. */
int	 codec_silence(struct codec_ctx *, uint8_t *out, size_t max);
/* One payload in, PCM out (at most max samples); returns the sample count or -1. */
int	 codec_decode(struct codec_ctx *, const uint8_t *in, size_t len, int16_t *pcm,
	    size_t max);
/* Fills n samples for a lost frame: Opus's own concealment, else the last frame
 * repeated and faded. Returns n. */
int	 codec_conceal(struct codec_ctx *, int16_t *pcm, int n);

uint8_t	 codec_ulaw_encode(int16_t);
int16_t	 codec_ulaw_decode(uint8_t);
uint8_t	 codec_alaw_encode(int16_t);
int16_t	 codec_alaw_decode(uint8_t);

#endif
