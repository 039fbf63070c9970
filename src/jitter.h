/* jitter: an adaptive jitter buffer for one received stream, for the places where audio is
 * consumed (recording now, mixing later), never for pure relay. It stores payloads (not PCM:
 * stateful decoders must see packets in order) in a small ring, hands them back in
 * timestamp order, and decides when a missing packet is lost: once packets covering the
 * target delay have arrived after it. The target follows the measured interarrival jitter
 * (twice the jitter plus one frame, between JITTER_MIN_MS and JITTER_MAX_MS); the caller
 * conceals a lost frame (Opus PLC, repeat-and-fade for G.711/G.722, see codec.h).
 * A jump of more than a second (a new talkspurt after a long pause, a restarted sender)
 * resynchronises instead of concealing the gap. No allocation after jitter_new(). */
#ifndef SCAIDIAL_JITTER_H
#define SCAIDIAL_JITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JITTER_SLOTS		24
#define JITTER_MAX_PAYLOAD	1280
#define JITTER_MIN_MS		20
#define JITTER_MAX_MS		200

struct jitter;

enum jitter_out {
	JITTER_NONE,	/* nothing to hand out yet */
	JITTER_PACKET,	/* payload and len: the packet at the playout point */
	JITTER_LOST,	/* the packet at the playout point is lost: conceal one frame */
};

/* clock: RTP clock rate; frame: timestamp units of one 20 ms frame. */
struct jitter *jitter_new(int clock, int frame);
void	 jitter_free(struct jitter *);

/* Stores a copy. arrival: the arrival time in timestamp units. Returns 0, or -1 when the
 * packet is a duplicate, too late (its time was played or concealed) or too large. */
int	 jitter_put(struct jitter *, uint32_t ts, const uint8_t *payload, size_t len,
	    uint32_t arrival);
/* The next thing to play. flush: the stream has ended, so whatever is missing between
 * the buffered packets is lost now rather than waited for. */
enum jitter_out jitter_get(struct jitter *, bool flush, const uint8_t **payload, size_t *len);
/* Moves the playout point past what was just played: the timestamp units the decoded
 * packet covered, or one frame after JITTER_LOST. */
void	 jitter_advance(struct jitter *, uint32_t units);
int	 jitter_target_ms(const struct jitter *);
uint64_t jitter_lost(const struct jitter *);	/* frames concealed */
uint64_t jitter_late(const struct jitter *);	/* packets refused as late or duplicate */

#endif
