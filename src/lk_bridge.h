/* lk_bridge: a call's SIP participant in its LiveKit room, driven from the control thread.
 *
 * The LiveKit sessions (lk_session.c: libsoup, libnice, OpenSSL, Opus) run on GLib main
 * contexts, which the control loop (sofia's su_root) is not: lk_bridge keeps a small pool
 * of bridge threads, each with a GMainContext and one 20 ms clock for all its calls, and
 * hands each call's session to one of them. The control thread talks to a bridge through
 * these calls (each posts a message and returns at once) and hears back through the
 * callbacks, which always run on the control thread.
 *
 * Audio: once a media_tap is attached, the caller's audio (the tap's up ring) is published
 * as the participant's microphone track; every other participant's audio is mixed
 * (mixer.c) and queued on the tap's down ring for the caller. All of it at the carrier
 * codec's rate: Opus encodes from it and decodes to it, so nothing is resampled. DTMF: lk_bridge_send_dtmf() sends a SipDTMF data packet to the
 * room; digits the room sends arrive through the dtmf callback. */
#ifndef SCAIDIAL_LK_BRIDGE_H
#define SCAIDIAL_LK_BRIDGE_H

#include <stddef.h>

struct lk_bridge;
struct media_tap;

struct lk_bridge_cb {
	/* Our participant is in the room. */
	void	(*joined)(void *arg);
	/* Another participant joined (1) or left (0) the room. */
	void	(*participant)(void *arg, const char *identity, int joined);
	/* A digit (0-9 * # A-D) some participant sent as SipDTMF. */
	void	(*dtmf)(void *arg, const char *identity, char digit);
	/* An application data packet from identity on topic (payload: n bytes, valid during
	 * the call). May be NULL. */
	void	(*data)(void *arg, const char *identity, const char *topic, const char *payload,
		    size_t n);
	/* The session ended on its own (the server closed it, or it could not join): no
	 * callback follows; the owner still calls lk_bridge_free(). */
	void	(*ended)(void *arg, const char *reason);
};

/* Starts the bridge threads (threads 0: one per online CPU). 0, or -1 with a log line. */
int	 lk_bridge_init(int threads);
/* Ends every session (they leave their rooms) and joins the threads. */
void	 lk_bridge_fini(void);

/* Joins url (ws:// or wss://) with token. NULL only before lk_bridge_init(). */
struct lk_bridge *lk_bridge_new(const char *url, const char *token,
	    const struct lk_bridge_cb *, void *arg);
/* Starts the audio both ways through tap (the bridge takes its own reference; the caller
 * keeps and frees its own). A later tap replaces the first (a new codec rate). */
void	 lk_bridge_attach(struct lk_bridge *, struct media_tap *);
/* Ringback tone to the room (on 1) until off or a tap is attached: for a carrier that
 * rings without early media. */
void	 lk_bridge_ringback(struct lk_bridge *, int on);
/* A digit to the room as SipDTMF. */
void	 lk_bridge_send_dtmf(struct lk_bridge *, char digit);
/* Leaves the room; no callback runs after this returns. */
void	 lk_bridge_free(struct lk_bridge *);

/* Bridges in progress (for status and metrics). */
size_t	 lk_bridge_count(void);

#endif
