/* call_room: a call's presence in its LiveKit room, seen from the control thread. The SIP
 * participant joins (lk_bridge) with LiveKit SIP's identity and attributes, so agents
 * written for LiveKit SIP work unchanged; every other participant that joins is a leg of
 * the call in the store (kind "bot" for the bot identities scaidial mints, "wave"
 * otherwise), with its times. The owner (the SIP side) hears when the participant it waits
 * for arrives, when the room empties after that, and the digits the room sends; it hands
 * over the answered media session to bridge the audio. */
#ifndef SCAIDIAL_CALL_ROOM_H
#define SCAIDIAL_CALL_ROOM_H

#include <stddef.h>

struct call;
struct call_room;
struct media_session;

struct call_room_cb {
	/* The awaited identity (any participant when none was given) is in the room. */
	void	(*arrived)(void *arg, const char *identity);
	/* After an arrival, the last participant but ours left. */
	void	(*empty)(void *arg);
	/* Our participant could not join or was dropped by the server. */
	void	(*lost)(void *arg, const char *why);
	/* A SipDTMF digit from the room. */
	void	(*dtmf)(void *arg, char digit);
	/* A participant asks (data message on CALL_ROOM_TRANSFER_TOPIC) to transfer the far
	 * end to target by method ("refer", "bridge", or NULL: the owner's default). May be
	 * NULL: such messages are then ignored. */
	void	(*transfer)(void *arg, const char *identity, const char *target,
		    const char *method);
};

/* The topic of transfer requests: {"to": "+15551234567" | "sip:...", "method": "refer" |
 * "bridge"} published by any participant (agent or user). */
#define CALL_ROOM_TRANSFER_TOPIC	"scaidial.transfer"

/* Joins room (created already) as the call's SIP participant with sip.callStatus status
 * ("ringing", "dialing"). await: the identity whose arrival answers the call, or NULL;
 * await_leg: that participant's leg when it is in the store already (else NULL: a leg is
 * recorded when it joins, as for everyone). */
struct call_room *call_room_join(const struct call *, const char *room, const char *await,
	    const char *await_leg, const char *status, const struct call_room_cb *, void *arg);
/* Bridges the audio of an answered session with the room; again after a re-INVITE that
 * changed the codec's rate. 0, or -1 (logged) when the session cannot be bridged. */
int	 call_room_bridge(struct call_room *, struct media_session *);
/* sip.callStatus of our participant ("active", "hangup", ...). */
void	 call_room_status(struct call_room *, const char *status);
/* Ringback (the carrier's 180 without early media) played into the room while on is 1. */
void	 call_room_ringback(struct call_room *, int on);
/* A digit from the caller to the room as SipDTMF. */
void	 call_room_dtmf(struct call_room *, char digit);
/* Leaves, deletes the room, ends the legs still in it with cause. */
void	 call_room_end(struct call_room *, const char *cause);

#endif
