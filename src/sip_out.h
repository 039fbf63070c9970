/* sip_out: one outbound INVITE leg (a UAC dialog) from the control thread: through a trunk
 * (the carrier), or straight to a URI (a registered desk phone's contact). Owns the leg's
 * nua handle, its digest answers, its ring timeout, and its media session (our offer made
 * with media_session_offer(), answered from the 183's or the 200's SDP). What the leg means
 * (an originated call, a forward by bridge, a ringing desk phone) and what is recorded in
 * the store belong to the owner, who hears about the leg through the callbacks below.
 *
 * Lifetime: sip_out_start() returns a handle the owner keeps until sip_out_free(); after
 * that no callback is made. ended() is called exactly once per leg (unless the owner frees
 * it first); the handle stays valid after ended() until freed. sip_out_free() and
 * sip_out_hangup() may be called from inside any callback.
 *
 * All functions here must be called from the control thread. */
#ifndef SCAIDIAL_SIP_OUT_H
#define SCAIDIAL_SIP_OUT_H

#include "sip_nua.h"

#define SIP_OUT_TIMEOUT_S	60	/* ring timeout when the request gives 0 */

struct config;
struct trunk;
struct media_session;
struct sip_out;

struct sip_out_req {
	const struct config *cfg;	/* read during sip_out_start() only */
	const struct trunk *trunk;	/* carrier, codecs, SRTP, credentials; may be NULL */
	/* The Request-URI when there is no trunk (a registered desk phone's contact), or a
	 * full SIP URI target through the trunk (then to_number is only the To user). */
	const char	*target_uri;	/* NULL or "" = sip:TO_NUMBER@trunk host */
	const char	*to_number;	/* user part of the R-URI and To */
	const char	*from_number;	/* caller ID user part; NULL/"" = the trunk's username */
	const char	*from_name;	/* display name; NULL/"" = none */
	const char	*call_id;	/* our call's id, for log lines */
	int		 timeout_s;	/* no final answer by then: CANCEL, ended(408,"timeout") */
};

/* Causes passed to ended():
 *   "callee_bye"      the far end hung up an answered leg (status 0)
 *   "hangup"          sip_out_hangup() with a NULL cause (else the owner's cause as given)
 *   "timeout"         timeout_s passed without a final answer (status 408, CANCEL sent)
 *   "auth_failed"     a second challenge, or a challenge with no credentials (its 401/407)
 *   "busy"            486, 600
 *   "declined"        603
 *   "not_found"       404, 604
 *   "unavailable"     480, 503 and other 5xx from the far end
 *   "rejected"        any other 3xx-6xx from the far end (the status tells which)
 *   "transport_error" nothing answered or the transport failed: a 408 or 503 with no
 *                     1xx or challenge before it (nua's own answers look the same)
 *   "media_failed"    our offer could not be made, or the answer SDP was refused (488)
 *   "rtp_timeout"     an answered leg received no RTP for MEDIA_RTP_TIMEOUT_MS
 * The SIP reason phrase is in the log line. */
struct sip_out_cb {
	/* 180/183 (status), early_media: 1 once the 183's SDP answered our offer (the media
	 * session then carries the far end's ringback; sip_out_media() is non-NULL). */
	void	(*progress)(void *arg, int status, int early_media);
	void	(*answered)(void *arg);
	void	(*ended)(void *arg, int status, const char *cause);
	/* A digit from the far end: RFC 4733 or SIP INFO. May be NULL. */
	void	(*digit)(void *arg, char digit);
};

/* Sends the INVITE (asynchronous: the answer comes through the callbacks). NULL when
 * nothing can be sent (no carrier host, no port for media, a bad URI), with the reason
 * logged; no callback is made then. */
struct sip_out *sip_out_start(const struct sip_out_req *, const struct sip_out_cb *,
	    void *arg);
/* The leg's media session once the far end's SDP answered our offer (183 or 200), else
 * NULL. Owned by the leg: valid until sip_out_free(). */
struct media_session *sip_out_media(struct sip_out *);
/* Sends a digit to the far end: RFC 4733 when it offered telephone-event, else SIP INFO
 * (application/dtmf-relay). -1 when the leg is not answered or the digit is not one. */
int	 sip_out_send_dtmf(struct sip_out *, char digit);
/* CANCEL before the answer, BYE after; ended(status, cause ? cause : "hangup") follows
 * once nua has finished (status 487 for a CANCEL, 0 for a BYE). No-op once ended. */
void	 sip_out_hangup(struct sip_out *, const char *cause);
/* Releases the leg (a BYE or CANCEL goes out first when it is still up); no callback
 * after it. */
void	 sip_out_free(struct sip_out *);

/* Facts for the owner's records and logs. */
const char *sip_out_sip_call_id(const struct sip_out *);	/* the INVITE's Call-ID */
const char *sip_out_uri(const struct sip_out *);		/* the Request-URI */
int	 sip_out_answered(const struct sip_out *);

/* For sip.c: the stack's handle; events of handles whose owner kind is SIP_OWNER_OUT. */
void	 sip_out_init(nua_t *);
void	 sip_out_event(nua_event_t, int status, const char *phrase, nua_handle_t *,
	    struct sip_owner *, const sip_t *, tagi_t *tags);
/* Daemon stop: every leg still up is hung up with cause (their ended() follow). */
void	 sip_out_stop_all(const char *cause);
/* At exit, after the stack stopped: drops the handles of legs whose owners did not free
 * them (no callback). */
void	 sip_out_fini(void);

#endif
