/* mixer: mix-minus for a conference of N sources, clock-driven. Sources push PCM whenever
 * it arrives (irregularly, in any amounts: the room's participants as LiveKit decodes
 * them, a carrier leg's tap); each source has its own PCM jitter buffer that starts
 * playing once it holds its target depth, rebuffers when it runs dry (and raises the
 * target by a frame when that happens mid-sound: running dry after near-silence is a
 * pause, as Opus DTX makes one, and raises nothing), and sheds depth it has not needed for
 * a second, so a burst does not stay as delay. Every 20 ms the owner calls mixer_tick(), which pulls exactly one frame
 * from each source (silence from one that is buffering); mixer_out(id) is then the sum of
 * every source but `id`, summed in 32 bits and clipped once (no wrap-around however many
 * talk at once). One thread owns a mixer; it allocates nothing after mixer_new(). */
#ifndef SCAIDIAL_MIXER_H
#define SCAIDIAL_MIXER_H

#include <stddef.h>
#include <stdint.h>

#define MIXER_MAX_SOURCES	32
#define MIXER_FIFO_MS		400	/* per source; beyond it the oldest samples go */
#define MIXER_TARGET_MS		20	/* initial and smallest jitter-buffer depth */
#define MIXER_TARGET_MAX_MS	200

struct mixer;

struct mixer_src_stats {
	uint64_t	 frames;		/* ticks that played this source's audio */
	uint64_t	 underruns;		/* ticks it had not enough for: rebuffering */
	uint64_t	 pauses;		/* of those, after near-silence: no target raise */
	uint64_t	 overflow;		/* samples dropped because its FIFO was full */
	uint64_t	 trimmed;		/* samples shed to bring the delay down */
	int		 target_ms, depth_ms;
};

/* rate: of every source and output (8000..48000); frame: rate / 50 samples. */
struct mixer *mixer_new(int rate, int max_sources);
void	 mixer_free(struct mixer *);
int	 mixer_frame(const struct mixer *);
/* A new source's id (0..max_sources-1), -1 when full. */
int	 mixer_add(struct mixer *);
void	 mixer_remove(struct mixer *, int id);
/* n samples of source id, as they come. */
void	 mixer_push(struct mixer *, int id, const int16_t *pcm, size_t n);
/* One 20 ms tick: one frame from each source. */
void	 mixer_tick(struct mixer *);
/* After a tick: everyone but id (id -1: everyone, for a listener who is no source). The
 * frame stays valid until the next tick or mixer_out() for the same id. */
const int16_t *mixer_out(struct mixer *, int id);
void	 mixer_src_stats(const struct mixer *, int id, struct mixer_src_stats *);

#endif
