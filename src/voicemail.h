/* voicemail: the voicemail action of a call. Answers the caller's media offer, plays the
 * extension's greeting (or general.voicemail_greeting), a beep, records until '#', silence,
 * the longest message or hang-up, stores the WAV under the spool, writes the
 * voicemail_messages row and sends the voicemail.created event. The recording outlives the
 * SIP dialog: a caller who hangs up mid-message still leaves it. */
#ifndef SCAIDIAL_VOICEMAIL_H
#define SCAIDIAL_VOICEMAIL_H

#include <stddef.h>

struct call;
struct extension;
struct media_session;
struct voicemail;

/* Messages shorter than this are not kept (a caller who hung up at the beep). */
#define VOICEMAIL_MIN_MS	1000

/* The action is over and the SIP side should hang up, for cause. */
typedef void	voicemail_done_cb(void *arg, const char *cause);

/* Answers the call's SDP offer for a message to ext. NULL and *sip_status when the
 * offer cannot be answered; else the voicemail and *answer (malloc'd SDP) for the 200. */
struct voicemail *voicemail_answer(const struct call *, const struct extension *,
	    const char *offer, size_t offer_len, char **answer, int *sip_status,
	    voicemail_done_cb *, void *arg);
/* The 200 is out: the greeting starts. */
void	 voicemail_start(struct voicemail *);
/* A digit that arrived by SIP INFO (RFC 4733 digits come through the media session). */
void	 voicemail_digit(struct voicemail *, char digit);
struct media_session *voicemail_media(struct voicemail *);
/* The SIP dialog ended: a recording in progress is finished and kept, then everything is
 * freed; done is not called any more. */
void	 voicemail_caller_gone(struct voicemail *);
/* Recordings still being finished (their message not stored yet). */
int	 voicemail_busy(void);
/* At exit, after the SIP side is gone and before media_fini(). */
void	 voicemail_fini(void);

#endif
