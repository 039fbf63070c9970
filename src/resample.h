/* resample: sample-rate conversion between the carrier codecs' rates and LiveKit's
 * 48 kHz (8 or 16 kHz <-> 48 kHz; any integer ratio of rates up to 48 kHz works). A
 * windowed-sinc (Kaiser) low-pass at the higher rate, run as a polyphase filter: up by L
 * computes each output phase from its own L-th of the taps (no multiplications by the
 * inserted zeros), down by M computes only the outputs it keeps. The pass band reaches
 * 93% of the lower rate's Nyquist frequency (3.7 kHz for 8 kHz), the stop band starts at
 * it, about 70 dB down, so an out-of-band tone does not alias into the call. Streaming:
 * the history carries over between calls, so 20 ms frames join seamlessly. Group delay:
 * (taps - 1) / 2 samples at the higher rate, 4 ms. No allocation after resample_new(). */
#ifndef SCAIDIAL_RESAMPLE_H
#define SCAIDIAL_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

#define RESAMPLE_TAPS_PER_PHASE	64

struct resample;

/* NULL (errno EINVAL) unless one rate is an integer multiple of the other, both within
 * 8000..48000. Equal rates copy. */
struct resample *resample_new(int in_rate, int out_rate);
void	 resample_free(struct resample *);
/* Converts n samples; out must hold resample_out_max(n). Returns the samples written
 * (n * L, or about n / M: the phase carries over when n is not a multiple of M). */
size_t	 resample_process(struct resample *, const int16_t *in, size_t n, int16_t *out);
size_t	 resample_out_max(const struct resample *, size_t n);
/* The filter's delay in output samples (for tests and alignment). */
int	 resample_delay(const struct resample *);

#endif
