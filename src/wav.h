/* wav: RIFF/WAVE files of 16-bit PCM, the format of prompts (played) and of recordings.
 * Reading loads a whole (bounded) prompt into memory, mixed down to mono and converted to
 * the rate asked for only when the file's rate differs. Writing streams mono 16-bit PCM and
 * fixes the header's sizes on close, so a recording cut short by a crash is still readable
 * up to its last flush by tools that ignore the sizes. Blocking file I/O: call it from a
 * media worker, never from the control loop. */
#ifndef SCAIDIAL_WAV_H
#define SCAIDIAL_WAV_H

#include <stddef.h>
#include <stdint.h>

#define WAV_MAX_SECONDS	600

/* Returns 0 with *pcm (malloc'd) and *n samples at rate, or -1 with errno (EINVAL: not a
 * 16-bit PCM or G.711 WAV, EFBIG: longer than WAV_MAX_SECONDS). */
int	 wav_read(const char *path, int rate, int16_t **pcm, size_t *n);

struct wav_writer;

struct wav_writer *wav_create(const char *path, int rate);	/* NULL with errno */
int	 wav_write(struct wav_writer *, const int16_t *pcm, size_t n);
size_t	 wav_samples(const struct wav_writer *);
/* Finishes the header and closes; returns 0 or -1 (the file is incomplete). */
int	 wav_close(struct wav_writer *);

/* Linear-interpolation rate conversion of n samples: returns a malloc'd buffer and *out_n. */
int16_t *wav_resample(const int16_t *in, size_t n, int from, int to, size_t *out_n);

#endif
