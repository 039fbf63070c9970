/* relay: the media of forward by bridge (a B2BUA): the audio of two SIP legs' media
 * sessions carried across, each way, by one consumer thread. Each session is bridged to
 * a media_tap of its own codec's rate; the relay thread waits on the taps' eventfds
 * (epoll), pops the frames one session's worker pushed UP and pushes them DOWN to the
 * other session (converted by resample.c when the rates differ), so the workers' own
 * 20 ms clocks pace what is sent. Nothing is allocated or locked per frame; a mutex guards
 * only the list of relays being added or removed.
 *
 * relay_start/relay_stop are called from the control thread; the thread starts with the
 * first relay and stops in relay_fini(). */
#ifndef SCAIDIAL_RELAY_H
#define SCAIDIAL_RELAY_H

#include <stddef.h>
#include <stdint.h>

struct media_session;
struct media_tap;
struct relay;

/* Bridges both answered sessions and relays between them. NULL (with errno) when a
 * session is not answered, a rate has no converter, or the thread cannot start. */
struct relay *relay_start(struct media_session *a, struct media_session *b);
/* Ends the bridge of both sessions (they go back to sending silence) and lets the relay
 * go; the thread frees it. Call before freeing either session. */
void	 relay_stop(struct relay *);

/* The same between two taps the caller made (tests, benchmarks): a's UP goes to b's
 * DOWN and b's UP to a's DOWN. The relay takes its own references. */
struct relay *relay_start_taps(struct media_tap *a, struct media_tap *b);

/* Frames carried since start, both ways (for metrics and tests). */
uint64_t relay_frames(void);
size_t	 relay_count(void);
/* Stops the thread; relays still running are freed. */
void	 relay_fini(void);

#endif
