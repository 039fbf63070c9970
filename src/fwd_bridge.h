/* fwd_bridge: forward by bridge (a B2BUA): an inbound call's caller connected to a
 * target called through the DID's trunk, the audio relayed between the two SIP legs
 * (relay.c) with no LiveKit room. Owns the outbound leg (sip_out), the caller's media
 * session once it exists, the relay, and the forward leg's record in call_legs. The
 * inbound dialog stays sip_in's: what must be said to the caller (180, 183 with SDP,
 * 200 with SDP, a failure) is asked for through the ops below.
 *
 * Control thread only. */
#ifndef SCAIDIAL_FWD_BRIDGE_H
#define SCAIDIAL_FWD_BRIDGE_H

#include <stddef.h>

#include "media.h"

struct call;
struct fwd_bridge;

struct fwd_bridge_ops {
	void	(*ringing)(void *arg);			/* the target rings: 180 to the caller */
	void	(*early)(void *arg, const char *sdp);	/* early media: 183 with our SDP */
	void	(*answer)(void *arg, const char *sdp);	/* the target answered: 200 with it */
	/* The target was never reached: its status and the leg's cause (sip_out.h). The
	 * bridge is finished: free it (inside the call is fine) and go on. */
	void	(*failed)(void *arg, int status, const char *cause);
	/* The target hung up an answered bridge (or its media died): end the caller's side. */
	void	(*ended)(void *arg, const char *cause);
	/* A digit from the target for a caller without telephone-event: send SIP INFO. */
	void	(*info_digit)(void *arg, char digit);
};

enum fwd_bridge_refusal {
	FWD_BRIDGE_DENIED,	/* outbound_allow refuses the target: nothing was sent */
	FWD_BRIDGE_FAILED,	/* no INVITE could be sent (no carrier host, no RTP port) */
};

/* Calls target (E.164 or sip: URI) through the call's trunk, ringing for timeout_s.
 * offer: the caller's SDP (answered by a media session made when the target answers or
 * sends early media), or answered_ms: the caller's session when the call is already
 * answered (a REFER that failed); the bridge takes it over either way. mcb/marg receive
 * the caller's media events. NULL and *why when nothing was sent; answered_ms is then
 * left with the caller. */
struct fwd_bridge *fwd_bridge_start(struct call *, const char *target, int timeout_s,
	    const char *offer, size_t offer_len, struct media_session *answered_ms,
	    media_event_cb *mcb, void *marg, const struct fwd_bridge_ops *, void *arg,
	    enum fwd_bridge_refusal *why);
/* The caller pressed a digit: sent to the target (RFC 4733, else INFO). */
void	 fwd_bridge_digit(struct fwd_bridge *, char digit);
/* The caller's media session (for its re-INVITEs), NULL before there is one. */
struct media_session *fwd_bridge_media(struct fwd_bridge *);
/* The caller's side ended (cause): the target is hung up if it is still up, the forward
 * leg recorded, everything freed. No op is called after it. */
void	 fwd_bridge_free(struct fwd_bridge *, const char *cause);

#endif
