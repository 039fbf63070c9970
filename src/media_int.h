/* media_int.h: what media.c (the pool, the queues, the control-side API) and
 * media_worker.c (a session's packets and ticks inside its worker) share. Fields are
 * grouped by the thread that may touch them; the worker-side ones are handed over whole
 * with the MEDIA_MSG_ADD message and never read by the control thread afterwards. */
#ifndef SCAIDIAL_MEDIA_INT_H
#define SCAIDIAL_MEDIA_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "codec.h"
#include "dtmf.h"
#include "jitter.h"
#include "media.h"
#include "media_tap.h"
#include "rtcp.h"
#include "rtp.h"
#include "sdp.h"
#include "srtp.h"
#include "wav.h"

#define MEDIA_TICK_MS		20
#define MEDIA_RX_BURST		64	/* datagrams read per wake-up and socket */
/* Frames queued for the caller beyond which the oldest are skipped: the consumer's clock
 * and ours tick at the same rate, so more than this is a burst that would stay as delay. */
#define MEDIA_TAP_DOWN_MAX	4

enum media_msg_type {
	MEDIA_MSG_ADD,
	MEDIA_MSG_DEL,
	MEDIA_MSG_UPDATE,
	MEDIA_MSG_PLAY,
	MEDIA_MSG_BEEP,
	MEDIA_MSG_PLAY_STOP,
	MEDIA_MSG_RECORD,
	MEDIA_MSG_RECORD_STOP,
	MEDIA_MSG_DTMF,
	MEDIA_MSG_TIMEOUT,
	MEDIA_MSG_BRIDGE,
};

struct media_msg {
	struct media_msg *next;
	enum media_msg_type type;
	struct media_session *ms;
	char		*path;
	int		 a, b;
	char		 digit;
	struct sdp_neg	 neg;
	struct codec_ctx *codec;	/* UPDATE: a new codec context, or NULL */
	struct srtp_sess *srtp;		/* UPDATE: new SRTP contexts, or NULL */
	struct media_tap *tap;		/* BRIDGE: the tap (a reference), or NULL */
};

struct media_worker {
	int		 id;
	pthread_t	 thread;
	int		 epfd;
	int		 msgfd;		/* eventfd: messages queued */
	int		 tickfd;	/* timerfd: every MEDIA_TICK_MS */
	pthread_mutex_t	 mu;
	struct media_msg *head, **tail;
	atomic_int	 load;		/* sessions pinned here */
	/* worker thread only */
	struct media_session *sessions;
	int64_t		 now_ms;	/* monotonic, refreshed per wake-up */
	int64_t		 mono_us;	/* the same in us (arrival times for jitter) */
	int64_t		 now_us;	/* wall clock (RTCP NTP times) */
	uint32_t	 rand;		/* RTCP interval spreading; quality does not matter */
	uint8_t		 buf[RTP_MAX_PACKET + SRTP_SESS_TRAILER];
	int16_t		 pcm[CODEC_MAX_FRAME];
};

/* One of a session's two sockets, as registered with epoll. */
struct media_sock {
	struct media_session *ms;
	int		 idx;		/* 0 RTP, 1 RTCP */
};

struct media_session {
	/* control thread only */
	media_event_cb	*cb;
	void		*arg;
	bool		 freed;
	struct media_worker *w;
	struct sdp_neg	 neg;		/* as last answered */
	uint64_t	 sess_id, sess_ver;
	unsigned char	 key[SDP_KEY_LEN];
	char		 local_addr[64];
	int		 port;
	int		 tap_rate;	/* bridged at this rate, 0: not bridged */

	/* shared, under stats_mu */
	pthread_mutex_t	 stats_mu;
	struct media_stats stats;

	/* worker thread only (after MEDIA_MSG_ADD) */
	struct media_session *next, *prev;
	int		 fd[2];
	struct media_sock sock[2];
	struct sdp_neg	 wneg;
	struct codec_ctx *codec;
	struct srtp_sess *srtp;
	int		 rate, clock, frame;	/* PCM rate, RTP clock, samples per 20 ms */
	struct rtp_latch rtp_peer, rtcp_peer;
	bool		 send_ok;	/* a destination address is known */
	struct rtp_rx	 rx;
	struct rtcp_tx	 tx;
	struct rtcp_remote remote;
	struct dtmf_rx	 drx;
	struct dtmf_tx	 dtx;
	uint16_t	 seq;
	uint32_t	 ts;
	bool		 first_sent;
	int64_t		 last_rx_ms;
	int64_t		 next_rtcp_ms;
	int		 timeout_ms;
	bool		 timeout_fired;
	uint64_t	 dropped_invalid, srtp_failed;
	/* playback */
	int16_t		*play;
	size_t		 play_n, play_pos;
	/* recording */
	struct wav_writer *rec;
	char		*rec_path;
	size_t		 rec_max;		/* samples */
	size_t		 rec_silence_limit;	/* samples, 0 = none */
	size_t		 rec_silence_run;
	int		 rec_silence_ms;
	struct jitter	*jb;		/* while recording or bridged */
	/* bridge (media_session_bridge): the tap and a partial frame of the caller's audio
	 * (a peer's ptime need not be 20 ms) */
	struct media_tap *tap;
	int16_t		 tap_acc[MEDIA_TAP_MAX_FRAME];
	int		 tap_acc_n;
	int64_t		 rec_last_pkt_ms;
};

/* Totals (media_totals()): workers add what changed since a session last published. */
struct media_counters {
	atomic_uint_fast64_t sessions_started, sessions_active;
	atomic_uint_fast64_t rx_packets, tx_packets, rx_lost;
	atomic_uint_fast64_t dropped_foreign, dropped_invalid, srtp_failed, rtp_timeouts;
};

extern struct media_counters media_counters;

/* media.c */
void	 media_post_event(struct media_session *, const struct media_event *);
void	 media_post_gone(struct media_session *);

/* media_worker.c */
void	 media_worker_msg(struct media_worker *, struct media_msg *);
void	 media_worker_rx(struct media_worker *, struct media_sock *);
void	 media_worker_tick(struct media_worker *);
void	 media_worker_destroy(struct media_worker *, struct media_session *, bool quiet);

#endif
