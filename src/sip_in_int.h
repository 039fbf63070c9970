/* sip_in_int.h: what the three files of the inbound SIP side share: sip_in.c (requests,
 * the dialog, the dialplan's steps), sip_in_room.c (ring_extension of wave users and bots,
 * the LiveKit room, transfers asked from it) and sip_in_fwd.c (forward by REFER and by
 * bridge, ringing desk phones). Not for other modules: their interface is sip_in.h. */
#ifndef SCAIDIAL_SIP_IN_INT_H
#define SCAIDIAL_SIP_IN_INT_H

#include <stddef.h>

#include "call.h"
#include "fwd_bridge.h"
#include "media.h"
#include "sip_nua.h"

struct call_room;
struct dialplan_step;
struct fwd_bridge;
struct ring;
struct sip_desk;
struct voicemail;

struct sip_leg {
	struct sip_owner owner;		/* first: the handle's magic */
	struct call	*call;
	nua_handle_t	*nh;
	int		 answered;
	int		 recorded;	/* the end is in the store */
	char		*offer;		/* the INVITE's SDP, NULL without one */
	size_t		 offer_len;
	struct voicemail *vm;		/* while the call is in voicemail */
	struct ring	*ring;		/* while an extension rings */
	struct call_room *room;		/* the caller's participant in the call's room */
	struct media_session *ms;	/* answered to the room, or only to be transferred */
	char		 cause[40];	/* why the call ended, for the room's legs */
	char		*refer_to;	/* forward by REFER: the target, sent once answered */
	int		 refer_sent;
	int		 xfer;		/* the REFER is a transfer asked from the room */
	char		 fwd_leg[CALL_ID_LEN + 1];	/* the forward leg's record */
	struct sip_desk	*desk;		/* ring_extension of a desk phone: its side */
	struct fwd_bridge *fwd;		/* forward by bridge: the target's side */
	int		 early;		/* 183 with our SDP sent (the bridge's) */
	int		 ok_sent;	/* the bridge's 200 sent, the ACK not in yet */
	char		 end_on_ready[32];	/* the target left before the caller's ACK: why */
};

/* sip_in.c */
/* A final non-2xx answer to the INVITE, recorded as the end of the call. */
void	 sip_in_reject(struct sip_leg *, int status, const char *phrase, const char *cause);
/* sip_in_reject() with the media layer's status, cause media_refused. */
void	 sip_in_refuse_media(struct sip_leg *, int status);
/* A response carrying our SDP (status and phrase as sofia's SIP_200_OK gives them). */
void	 sip_in_respond_sdp(struct sip_leg *, int status, const char *phrase, const char *sdp);
/* BYE when answered, else 503; recorded with cause. */
void	 sip_in_end(struct sip_leg *, const char *cause);
/* The caller's media events (RTP timeout, digits), for any session the call answers with. */
void	 sip_in_media_event(struct media_session *, const struct media_event *, void *arg);
/* Carries out the call's current dialplan step. */
void	 sip_in_run_step(struct sip_leg *);

/* sip_in_room.c */
void	 sip_in_room_ring(struct sip_leg *, const struct dialplan_step *);
/* The ring ended unanswered (why): on to the next step, or 480. */
void	 sip_in_room_ring_done(void *arg, const char *why);

/* sip_in_fwd.c */
char	*sip_in_fwd_refer_uri(const struct call *, const char *target);
void	 sip_in_fwd_refer(struct sip_leg *, const struct dialplan_step *);
void	 sip_in_fwd_refer_send(struct sip_leg *);
void	 sip_in_fwd_refer_outcome(struct sip_leg *, int status, const char *how);
void	 sip_in_fwd_notify(struct sip_leg *, const sip_t *);
void	 sip_in_fwd_bridge(struct sip_leg *, const struct dialplan_step *,
	    struct media_session *answered_ms);
void	 sip_in_fwd_ring_desk(struct sip_leg *, const struct dialplan_step *);
extern const struct fwd_bridge_ops sip_in_fwd_ops;

#endif
