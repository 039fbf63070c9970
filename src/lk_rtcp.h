/* lk_rtcp: RTCP on the LiveKit leg. It keeps the last LK_RTCP_HISTORY Opus RTP packets we
 * sent (in the clear, before SRTP) so that a generic NACK from the SFU (RFC 4585, PT 205
 * FMT 1) is answered by sending them again, same sequence number and timestamp (LiveKit
 * negotiates no RTX for audio); it counts what it sends for our sender reports and what it
 * receives from each remote SSRC for the receiver report blocks (rtp.c's RFC 3550
 * statistics), builds the compound SR/RR + SDES CNAME (rtcp.c), and reads the SFU's
 * SR/RR for what they say about our stream (RTT from our SR's LSR/DLSR, loss, jitter).
 *
 * Pure and allocation-free after lk_rtcp_new(): it runs once per packet on the session's
 * context thread. Times are wall-clock microseconds (NTP in SRs). */
#ifndef SCAIDIAL_LK_RTCP_H
#define SCAIDIAL_LK_RTCP_H

#include <stddef.h>
#include <stdint.h>

#define LK_RTCP_HISTORY		32	/* packets kept for NACKs: 640 ms of 20 ms frames */
#define LK_RTCP_HIST_BYTES	256	/* larger packets (not made at our 24-32 kbit/s) are not kept */
#define LK_RTCP_SOURCES		16	/* remote SSRCs reported on, as lk_audio decodes */
#define LK_RTCP_INTERVAL_MS	5000

/* What a session can report about its RTCP (lk_session_stats()). */
struct lk_rtcp_stats {
	uint64_t	 reports_sent;	/* compound SR/RR packets we sent */
	uint64_t	 sr_received;	/* SRs and RRs from the SFU */
	uint64_t	 rr_received;
	int		 have_remote;	/* the SFU reported on our stream */
	int64_t		 rtt_us;	/* from our last SR's LSR/DLSR (1/65536 s steps); -1 unknown */
	uint8_t		 fraction_lost;	/* of our stream, as the SFU last saw it (1/256) */
	int32_t		 cumulative_lost;
	uint32_t	 jitter;	/* of our stream at the SFU, 48 kHz units */
	uint64_t	 nacks;		/* NACK packets about our SSRC */
	uint64_t	 nacked;	/* sequence numbers they asked for */
	uint64_t	 retransmitted;	/* of those, sent again from the history */
	uint64_t	 missed;	/* asked for but no longer (or never) in the history */
};

struct lk_rtcp;

/* Sends one packet again; pkt is the clear RTP packet from the history. */
typedef void	 lk_rtcp_resend_cb(void *arg, const uint8_t *pkt, size_t len);

struct lk_rtcp *lk_rtcp_new(uint32_t ssrc, const char *cname);
/* One RTP packet of ours, in the clear, just before it is protected and sent. */
void	 lk_rtcp_sent(struct lk_rtcp *, const uint8_t *pkt, size_t len, int64_t now_us);
/* One decrypted RTP packet from a remote source (its clock: 48 kHz, Opus). */
void	 lk_rtcp_received(struct lk_rtcp *, const uint8_t *pkt, size_t len, int64_t now_us);
/* The compound report to send now (SR once we sent anything, else RR; a block per remote
 * source heard; SDES CNAME), in the clear; its length, or 0 when max is too small. */
size_t	 lk_rtcp_build(struct lk_rtcp *, uint8_t *buf, size_t max, int64_t now_us);
/* A decrypted RTCP compound packet from the SFU: SR/RR read, NACKs for our SSRC answered
 * through resend (NULL: counted, not answered). 0, or -1 when it is malformed (what came
 * before the fault is kept). */
int	 lk_rtcp_input(struct lk_rtcp *, const uint8_t *buf, size_t len, int64_t now_us,
	    lk_rtcp_resend_cb *resend, void *arg);
void	 lk_rtcp_stats(const struct lk_rtcp *, struct lk_rtcp_stats *);
void	 lk_rtcp_free(struct lk_rtcp *);

#endif
