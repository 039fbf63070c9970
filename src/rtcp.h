/* rtcp: RTCP compound packets (RFC 3550 section 6): the SR or RR (with one report block
 * about the source we receive, and an SDES CNAME) we send every few seconds, and the
 * reports the peer sends us, read for what it says about our stream. Pure functions. */
#ifndef SCAIDIAL_RTCP_H
#define SCAIDIAL_RTCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rtp.h"

#define RTCP_INTERVAL_MS	5000

/* What we send: the sender side of our stream. */
struct rtcp_tx {
	uint32_t	 ssrc;
	uint32_t	 packets;
	uint32_t	 octets;
	uint32_t	 last_ts;	/* RTP timestamp of the last packet sent */
	int64_t		 last_ts_us;	/* when it was stamped (wall clock, us) */
	int		 clock;		/* RTP clock rate */
};

/* What the peer's last report said about our stream. */
struct rtcp_remote {
	bool		 have;
	uint8_t		 fraction_lost;
	int32_t		 cumulative_lost;
	uint32_t	 jitter;	/* timestamp units */
	int32_t		 rtt_ms;	/* -1 when the report had no LSR */
	int64_t		 rtt_us;	/* the same to 1/65536 s; -1 when unknown */
	uint32_t	 sr_count, rr_count;
};

/* Writes SR (when we sent anything) or RR, with a report block about rx when it has a
 * source, and SDES CNAME. now_us: wall clock in microseconds. Returns the length, or 0
 * when max is too small. Updates rx's fraction interval. */
size_t	 rtcp_build(uint8_t *buf, size_t max, const struct rtcp_tx *, struct rtp_rx *rx,
	    const char *cname, int64_t now_us);
/* The same with one report block per source of rx[0..nrx-1] that has received anything
 * (at most 31; 0 beyond): a WebRTC leg receives several streams. */
size_t	 rtcp_build_blocks(uint8_t *buf, size_t max, const struct rtcp_tx *,
	    struct rtp_rx *const *rx, int nrx, const char *cname, int64_t now_us);

/* Appends a BYE for ssrc to a compound packet of len bytes (RFC 3550 6.6): the last
 * report of a session that ends. Returns the new length, or 0 when max is too small. */
size_t	 rtcp_append_bye(uint8_t *buf, size_t len, size_t max, uint32_t ssrc);
/* Whether a well-formed compound packet carries a BYE. */
bool	 rtcp_has_bye(const uint8_t *buf, size_t len);

/* Reads a compound packet: an SR's NTP time goes into rx (for our LSR/DLSR), a report
 * block about our ssrc into remote. Returns 0, or -1 when the packet is malformed (every
 * length is checked against len; nothing is kept from a malformed packet's tail). */
int	 rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, struct rtp_rx *rx,
	    struct rtcp_remote *remote, int64_t now_us);

/* The middle 32 bits of the NTP time for a wall-clock microsecond count. */
uint32_t rtcp_ntp_mid(int64_t us);

#endif
