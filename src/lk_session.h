/* lk_session: scaidial as one participant of a LiveKit room, without an SDK. It joins over
 * the signalling WebSocket (lk_signal.c), publishes one Opus microphone track and
 * subscribes to the room's audio on one peer connection (webrtc.c, the /rtc/v1 model),
 * and hands decoded 48 kHz mono PCM per remote participant to its owner. With a dtmf
 * callback it also opens LiveKit's data channels (datachan.c) for SIP DTMF both ways. A
 * lost signalling connection is resumed without disturbing the media (lk_signal.c).
 *
 * A session lives on one GMainContext (a media worker thread's, or the probe's): every
 * call and callback happens on that context's thread. Sessions share nothing mutable, so
 * any number can run in one process. */
#ifndef SCAIDIAL_LK_SESSION_H
#define SCAIDIAL_LK_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "lk_audio.h"
#include "lk_rtcp.h"

struct lk_session;

struct lk_session_cb {
	/* The server accepted the join. */
	void	(*joined)(void *arg, const char *room, const char *identity);
	/* Another participant is in the room (joined 1: at our join or later) or left (0). */
	void	(*participant)(void *arg, const char *identity, int joined);
	/* Media flows: ICE + DTLS are up and our track is published; push PCM from now on. */
	void	(*publishing)(void *arg);
	/* n samples (mono, at the session's PCM rate) from a remote participant ("" if not
	 * yet known). */
	void	(*audio)(void *arg, const char *identity, const int16_t *pcm, size_t n);
	/* The session ended (error, server leave, or lk_session_leave done). Last call. */
	void	(*disconnected)(void *arg, const char *reason);
	/* Optional. When set, the session opens LiveKit's data channels (_reliable, _lossy)
	 * and reports SIP DTMF digits other participants send; NULL: audio only. */
	void	(*dtmf)(void *arg, const char *identity, char digit);
	/* Optional (with dtmf): an application data packet (publishData) from identity on
	 * topic ("" when none); payload valid during the call only. */
	void	(*data)(void *arg, const char *identity, const char *topic,
		    const uint8_t *payload, size_t n);
};

struct lk_session *lk_session_new(GMainContext *, const char *url, const char *token,
	    const struct lk_session_cb *, void *arg);
/* 20 ms of mono at the session's PCM rate (rate / 50 samples) to publish; dropped
 * (return 1) until publishing() was called. -1 on an encoding or send failure. */
int	 lk_session_push_pcm(struct lk_session *, const int16_t *pcm);
/* One DTMF digit (0-9 * # A-D) to the room as a SipDTMF data packet on _reliable: 0 sent,
 * 1 not yet (the data channels are not open), -1 refused (bad digit, no data channels). */
int	 lk_session_send_dtmf(struct lk_session *, char digit);
/* The PCM rate both ways (48000 until set; 8000, 12000, 16000, 24000 or 48000): Opus
 * encodes from and decodes to the carrier codec's rate itself, so no resampling is needed
 * on our side. 0, or -1 for another rate. */
int	 lk_session_set_rate(struct lk_session *, int rate);
/* What the session knows of its media path (for end-of-call lines and probes). */
struct lk_session_stats {
	struct lk_rtcp_stats rtcp;	/* RTT, loss at the SFU, NACKs answered */
	int		 nack;		/* the server's answer kept NACK for our track */
	char		 ice_transport[8];	/* "udp", "tcp", "" before ICE chose a pair */
	uint64_t	 test_dropped;	/* packets lk_session_test_drop() held back */
};
void	 lk_session_stats(const struct lk_session *, struct lk_session_stats *);
/* Test hook (scaidial-lkprobe --drop-every): every Nth RTP packet of ours goes into the
 * send history but not onto the wire, as if lost, so NACK retransmission can be seen
 * working against a real SFU; with resend 0, NACKs are not answered either (the control
 * case). every 0 (the default) sends everything. */
void	 lk_session_test_drop(struct lk_session *, unsigned every, int resend);
/* Sends leave and closes the signalling connection; disconnected() follows. */
void	 lk_session_leave(struct lk_session *);
void	 lk_session_free(struct lk_session *);

#endif
