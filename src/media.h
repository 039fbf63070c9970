/* media: the carrier leg's media engine as the control thread sees it. A pool of worker
 * threads (one per core by default) each runs its own epoll loop; every session is pinned
 * to one worker for its whole life, and only that worker touches its sockets, codec, SRTP
 * contexts, recording and playback. The control thread talks to a session by posting
 * messages (each call below returns at once, never waits for a worker) and hears back
 * through one event queue drained IN the control thread: media_init() registers its eventfd
 * with the control loop (loop_fd_add), and the session's callback runs from there.
 *
 * Lifetime: media_session_new() returns a handle the caller owns until it calls
 * media_session_free(); after that no callback is made for the session (the worker finishes
 * a recording in progress so its file is complete, then the memory goes). To learn a
 * recording's duration at hang-up, call media_session_record_stop() and free the session
 * from the MEDIA_EV_RECORD_DONE callback. media_session_free() may be called from inside a
 * callback.
 *
 * All functions here must be called from the control thread (the one that runs the loop). */
#ifndef SCAIDIAL_MEDIA_H
#define SCAIDIAL_MEDIA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sdp.h"

#define MEDIA_RTP_TIMEOUT_MS	30000	/* default; media_session_set_timeout() */
#define MEDIA_BEEP_HZ		1000
#define MEDIA_BEEP_MS		400

struct media_session;

enum media_event_type {
	MEDIA_EV_DTMF,		/* digit: an RFC 4733 digit arrived */
	MEDIA_EV_PLAY_DONE,	/* status: 0 played out, 1 replaced or stopped, -1 unreadable */
	MEDIA_EV_RECORD_DONE,	/* path, duration_ms, reason */
	MEDIA_EV_RTP_TIMEOUT,	/* no RTP for the timeout while the peer should send; once */
};

enum media_record_end {
	MEDIA_REC_MAX,		/* max_ms reached */
	MEDIA_REC_SILENCE,	/* silence_ms of silence (or of no packets at all) */
	MEDIA_REC_DIGIT,	/* '#' pressed (the digit is also reported as MEDIA_EV_DTMF) */
	MEDIA_REC_STOPPED,	/* media_session_record_stop(), or a new recording started */
	MEDIA_REC_ERROR,	/* the file could not be created or written */
};

struct media_event {
	enum media_event_type type;
	char		 digit;
	int		 status;
	const char	*path;		/* valid during the callback only */
	int64_t		 duration_ms;
	enum media_record_end reason;
};

typedef void	media_event_cb(struct media_session *, const struct media_event *, void *arg);

/* Per-session figures for metrics, refreshed by the worker every RTCP interval (about 5 s),
 * when the peer's RTCP arrives, when a recording ends and when the session ends;
 * media_session_stats() returns the latest copy. */
struct media_stats {
	uint64_t	 rx_packets, rx_octets;
	uint64_t	 tx_packets, tx_octets;
	int32_t		 rx_lost;		/* cumulative, RFC 3550 */
	uint32_t	 rx_jitter_ms;		/* interarrival jitter of what we receive */
	uint64_t	 dropped_foreign;	/* from an address other than the latched peer */
	uint64_t	 dropped_invalid;	/* malformed, unknown payload type */
	uint64_t	 srtp_failed;		/* authentication or replay check failed */
	bool		 peer_report;		/* the peer's RTCP said something about us */
	uint8_t		 peer_fraction_lost;	/* 1/256 */
	int32_t		 peer_lost;
	uint32_t	 peer_jitter_ms;
	int32_t		 rtt_ms;		/* -1 when unknown */
	int		 local_port;
	enum codec	 codec;
	bool		 srtp;
	bool		 latched;
};

/* Totals over every session since media_init(), for the metrics exposition: counters
 * move when sessions publish their figures (every RTCP interval, at a recording's end and
 * at the session's end), so they lag by up to 5 s. */
struct media_totals {
	uint64_t	 sessions_started, sessions_active;
	uint64_t	 rx_packets, tx_packets, rx_lost;
	uint64_t	 dropped_foreign, dropped_invalid, srtp_failed;
	uint64_t	 rtp_timeouts;
};

void	 media_totals(struct media_totals *);
/* The totals as Prometheus text (scaidial_media_*, scaidial_rtp_*), for ctl's metrics. */
struct buf;
void	 media_metrics(struct buf *);

/* workers: 0 = one per online CPU. The control loop (loop_init) must exist. 0 or -1. */
int	 media_init(int workers);
/* Stops the workers; sessions still open are closed (recordings completed) without further
 * callbacks, and their handles are invalid afterwards. */
void	 media_fini(void);

/* Answers an SDP offer from a trunk's peer and starts the session's media on a worker: a
 * port pair from general.rtp_ports, the address from general.external_ip (else the local
 * address that routes to the peer), a fresh SDES key when SRTP is negotiated. On success
 * returns the session and sets *answer (malloc'd SDP); otherwise returns NULL and sets
 * *sip_status: 400 (not SDP), 488 (nothing acceptable: codec, SRTP), 500/503 (no port,
 * no worker). cb/arg: where events go. The config and trunk are read, not kept. */
struct media_session *media_session_new(const struct config *, const struct trunk *,
	    const char *offer, size_t offer_len, char **answer, int *sip_status,
	    media_event_cb *cb, void *arg);
/* Outbound calls: writes our offer (the trunk's codecs, SDES keys unless srtp is off) and
 * returns a session that waits for the answer; peer_addr (numeric, may be NULL) picks the
 * address family and the local address that routes to the carrier. NULL and *sip_status
 * 503/500 on failure. Until media_session_answer() succeeds nothing is sent or received
 * and play/record/DTMF are refused; media_session_free() may be called at any time. */
struct media_session *media_session_offer(const struct config *, const struct trunk *,
	    const char *peer_addr, char **offer, int *sip_status, media_event_cb *cb,
	    void *arg);
/* The answer to that offer: 0 and the media starts, or 488/400 (the session stays
 * unanswered; the caller hangs up). */
int	 media_session_answer(struct media_session *, const struct trunk *, const char *answer,
	    size_t answer_len);
/* A re-INVITE's offer (hold, resume, a new address): same port and our same key, the new
 * direction and peer. A change of codec ends a playback or recording in progress (with their
 * events). Returns 0 and *answer, or the SIP status (the session is unchanged); turning SRTP
 * on or off mid-call is refused with 488. */
int	 media_session_update(struct media_session *, const struct trunk *,
	    const char *offer, size_t offer_len, char **answer);

/* Plays a WAV prompt (16-bit PCM or G.711, any rate; converted to the codec's rate),
 * replacing whatever plays. MEDIA_EV_PLAY_DONE when it ends. These return -1 only for a
 * session not answered yet or bad arguments. */
int	 media_session_play(struct media_session *, const char *wav_path);
/* A MEDIA_BEEP_MS tone at MEDIA_BEEP_HZ (as before a voicemail recording); PLAY_DONE too. */
int	 media_session_beep(struct media_session *);
void	 media_session_play_stop(struct media_session *);
/* Records what the peer sends, decoded to mono 16-bit WAV at the codec's rate, until
 * max_ms, silence_ms of silence (0 = no silence limit), '#', or a stop. */
int	 media_session_record(struct media_session *, const char *wav_path, int max_ms,
	    int silence_ms);
void	 media_session_record_stop(struct media_session *);
/* Sends an RFC 4733 digit (100 ms); -1 when the digit is not one or the peer has no
 * telephone-event (the SIP layer then sends INFO). */
int	 media_session_send_dtmf(struct media_session *, char digit);
void	 media_session_set_timeout(struct media_session *, int ms);	/* 0 = none */

/* The bridge (doc/media.md, "Bridge"): from now on the worker pushes each decoded 20 ms
 * frame of the caller into the tap's up ring (after the jitter buffer, concealment
 * applied) and sends what the tap's down ring holds, one frame per 20 ms tick (silence
 * when it is empty; a prompt or beep playing and DTMF being sent take precedence). The
 * tap's rate must be the codec's (codec_rate(media_session_neg(ms)->codec)); the session
 * takes its own reference, so the caller may media_tap_free() its own at any time. NULL
 * ends the bridge. -1: not answered yet, or the rate does not match. A re-INVITE that
 * changes the codec's rate ends the bridge (bridge again with a tap at the new rate). */
struct media_tap;
int	 media_session_bridge(struct media_session *, struct media_tap *);
/* The rate of the tap the session is bridged to, 0 when it is not. */
int	 media_session_bridged(const struct media_session *);
void	 media_session_free(struct media_session *);

/* The negotiated values (codec, payload types, peer, SRTP) as answered. */
const struct sdp_neg *media_session_neg(const struct media_session *);
int	 media_session_port(const struct media_session *);
void	 media_session_stats(struct media_session *, struct media_stats *);

#endif
