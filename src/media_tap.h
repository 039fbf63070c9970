/* media_tap: the audio exchange between a media worker and a consumer in another thread
 * (the LiveKit leg, a mixer): two single-producer/single-consumer rings of fixed-size
 * 20 ms PCM frames at the carrier codec's rate, lock-free (C11 atomics), allocated once.
 *
 *   up   (worker -> consumer): the caller's decoded frames, after the jitter buffer,
 *        concealment applied. The consumer is woken through media_tap_fd() (an eventfd
 *        that becomes readable when the ring goes from empty to not empty).
 *   down (consumer -> worker): frames to send to the caller; the worker takes one per
 *        20 ms tick, encodes it in the carrier's codec, and sends silence when none is
 *        queued. No wake-up: the worker's clock paces it.
 *
 * A full ring drops its OLDEST frame to make room (latency stays bounded when the other
 * side stalls) and counts it. Exactly one thread may push and one other may pop on each
 * ring. The tap is reference-counted: the consumer's reference (media_tap_new) and the
 * session's while bridged (media_session_bridge); the last media_tap_free releases it, so
 * either side may go first. */
#ifndef SCAIDIAL_MEDIA_TAP_H
#define SCAIDIAL_MEDIA_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA_TAP_SLOTS		16	/* per ring: 320 ms */
#define MEDIA_TAP_MAX_FRAME	960	/* 20 ms at 48 kHz */

enum media_tap_dir {
	MEDIA_TAP_UP,		/* the caller's audio, worker -> consumer */
	MEDIA_TAP_DOWN,		/* audio for the caller, consumer -> worker */
};

struct media_tap;

struct media_tap_stats {
	uint64_t	 up_frames, up_dropped;		/* pushed by the worker; overwritten */
	uint64_t	 down_frames, down_dropped;	/* pushed by the consumer; overwritten */
	uint64_t	 down_played, down_underrun;	/* ticks with a frame / with none */
	uint64_t	 down_trimmed;			/* skipped: a backlog, or DTMF/a prompt had the tick */
};

/* rate: the PCM rate of both directions, 8000, 16000 or 48000 (the carrier codec's:
 * codec_rate() of media_session_neg()->codec). NULL when the eventfd cannot be made. */
struct media_tap *media_tap_new(int rate);
/* Drops the caller's reference; the tap goes when the session lets go too. */
void	 media_tap_free(struct media_tap *);
int	 media_tap_rate(const struct media_tap *);
int	 media_tap_frame(const struct media_tap *);	/* samples per 20 ms */
/* Readable when up frames wait; read it (media_tap_ack) before draining with _pop. */
int	 media_tap_fd(const struct media_tap *);
void	 media_tap_ack(struct media_tap *);

/* Producer side of a direction: copies one frame (media_tap_frame() samples). Returns 0,
 * or 1 when the oldest frame was dropped to make room. */
int	 media_tap_push(struct media_tap *, enum media_tap_dir, const int16_t *pcm);
/* Consumer side: copies the oldest frame into pcm; false when the ring is empty. */
bool	 media_tap_pop(struct media_tap *, enum media_tap_dir, int16_t *pcm);
size_t	 media_tap_count(struct media_tap *, enum media_tap_dir);
void	 media_tap_stats(struct media_tap *, struct media_tap_stats *);

/* Arms the timerfd fd (CLOCK_MONOTONIC) to fire every 20 ms on the process's common
 * phase: the workers' ticks on whole multiples of 20 ms, a down producer's (lead true)
 * MEDIA_TAP_LEAD_MS before them, so a frame it pushes waits that long for the worker's
 * tick instead of anything up to 20 ms. -1 with errno on failure. */
#define MEDIA_TAP_LEAD_MS	5
int	 media_tap_timer(int fd, bool lead);

/* For the media worker: takes a reference; counts a tick that played a frame (or found
 * none), and frames dropped from the down ring to keep the delay low. */
void	 media_tap_ref(struct media_tap *);
void	 media_tap_count_play(struct media_tap *, bool played);
void	 media_tap_count_trim(struct media_tap *, unsigned frames);

#endif
