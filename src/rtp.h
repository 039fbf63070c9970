/* rtp: RTP packets (RFC 3550): the header read and written in place, the receive
 * statistics of one source (sequence tracking of appendix A.1, interarrival jitter of A.8),
 * the symmetric-RTP latch that decides which source address is the peer, and the even/odd
 * UDP port pairs taken from general.rtp_ports. Parsing and statistics are pure and
 * allocation-free: they run once per packet in a media worker. */
#ifndef SCAIDIAL_RTP_H
#define SCAIDIAL_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RTP_HDR_LEN	12
#define RTP_MAX_PACKET	1500

struct rtp_hdr {
	bool		 marker;
	uint8_t		 pt;
	uint16_t	 seq;
	uint32_t	 ts;
	uint32_t	 ssrc;
	uint8_t		 cc;		/* CSRC count */
	bool		 ext;		/* a header extension was skipped */
	const uint8_t	*payload;	/* into the packet: after CSRCs and extension */
	size_t		 payload_len;	/* padding removed */
};

/* Returns 0 and fills h, or -1 when the bytes are not a well-formed RTP packet (version,
 * CSRC list, extension and padding all checked against len). */
int	 rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h);
/* Writes a 12-byte header (no CSRC, no extension) and returns RTP_HDR_LEN. */
size_t	 rtp_write_hdr(uint8_t *buf, bool marker, uint8_t pt, uint16_t seq, uint32_t ts,
	    uint32_t ssrc);
/* With rtcp-mux: RTCP packet types 200..204 land in the RTP payload type range 72..76
 * once the marker bit is taken off (RFC 5761 section 4). */
bool	 rtp_is_rtcp(const uint8_t *buf, size_t len);

/* What we know about the one source we receive (RFC 3550 A.1, A.3, A.8). */
struct rtp_rx {
	bool		 init;
	uint32_t	 ssrc;
	uint16_t	 max_seq;
	uint32_t	 cycles;
	uint32_t	 base_seq;
	uint32_t	 bad_seq;
	uint32_t	 probation;
	uint32_t	 received;
	uint32_t	 expected_prior;
	uint32_t	 received_prior;
	uint32_t	 transit;
	bool		 transit_set;
	uint32_t	 jitter;	/* in timestamp units, scaled by 16 (A.8) */
	uint64_t	 octets;
	/* From the last SR the peer sent: for LSR/DLSR in our reports. */
	uint32_t	 lsr;
	int64_t	 	 lsr_arrival_us;
};

/* Counts one packet. arrival is the arrival time in the source's timestamp units.
 * Returns true when the packet is in sequence enough to be used (false during the
 * probation of a new or restarted source). */
bool	 rtp_rx_update(struct rtp_rx *, const struct rtp_hdr *, uint32_t arrival);
uint32_t rtp_rx_expected(const struct rtp_rx *);
int32_t	 rtp_rx_lost(const struct rtp_rx *);	/* cumulative, may be negative (dups) */
uint32_t rtp_rx_ext_max(const struct rtp_rx *);
/* Fraction lost since the previous call, 8-bit fixed point (A.3); moves the interval on. */
uint8_t	 rtp_rx_fraction(struct rtp_rx *);
uint32_t rtp_rx_jitter(const struct rtp_rx *);	/* timestamp units */

/* Symmetric RTP: the first acceptable packet's source becomes the peer; afterwards
 * packets from any other address are dropped and counted. */
struct rtp_latch {
	struct sockaddr_storage addr;
	socklen_t	 len;
	bool		 latched;
	uint64_t	 dropped;
};

/* sdp: the address from the SDP, the destination until a packet arrives. */
void	 rtp_latch_init(struct rtp_latch *, const struct sockaddr *sdp, socklen_t);
/* Returns true when a packet from src is the peer's (latching on the first one). */
bool	 rtp_latch_check(struct rtp_latch *, const struct sockaddr *src, socklen_t);
bool	 rtp_addr_private(const struct sockaddr *);

/* Opens a UDP pair (RTP on an even port, RTCP on the next) in [min, max] for the family
 * (AF_INET or AF_INET6), non-blocking, close-on-exec. Returns 0 with fds and the RTP port,
 * or -1 with errno (EADDRINUSE when the range is exhausted). Thread-safe. */
int	 rtp_open_pair(int family, int min, int max, int fds[2], int *port);

#endif
