/* ring: the signalling half of ring_extension. Creates the call's LiveKit room, tells the
 * tenant app (call.ringing, with a token for the wave user) or the bot platform
 * (bot.kickoff, with the bot's token), and hands the call on to its next dialplan step when
 * the rule's timeout passes, the room cannot be created, or the webhook is not delivered.
 * The SIP side gives the caller 180 Ringing meanwhile. */
#ifndef SCAIDIAL_RING_H
#define SCAIDIAL_RING_H

#include <stddef.h>

struct call;
struct config;
struct dialplan_step;
struct extension;
struct ring;

/* Nobody answered: why ("timeout", "webhook_failed", "no_room"). */
typedef void	ring_done_cb(void *arg, const char *why);
/* The room exists (before the webhook goes): the caller's participant can join. Not 0:
 * it cannot, and the ring ends ("no_livekit"). */
typedef int	ring_ready_cb(void *arg, const char *room);

/* The room name of a call: livekit.room_prefix + the call id. */
void	 ring_room_name(const struct call *, char *out, size_t outlen);
struct ring *ring_start(const struct call *, const struct dialplan_step *, ring_ready_cb *,
	    ring_done_cb *, void *arg);
/* The identity the ring's token is for: the wave user, or "bot-" + the bot's id. */
void	 ring_identity(const struct extension *, char *out, size_t outlen);
/* A token for the extension's user (wave) or bot to join room, valid an hour; malloc'd,
 * NULL when livekit.api_key/api_secret are unusable. */
char	*ring_token(const struct config *, const struct extension *, const char *room);
/* Someone answered: timers and pending requests are dropped, no callback; the room stays
 * (it is the call's now). */
void	 ring_answered(struct ring *);
/* The ring ended unanswered (the call ended, or moved on to its next step): timers and
 * pending requests are dropped, no callback, and the room is deleted. */
void	 ring_stop(struct ring *);

#endif
