/* dtmf: RFC 4733 telephone-events. Receiving reports each digit once, on the first packet
 * of its event that arrives (all packets of an event share its RTP timestamp, so
 * retransmissions and the three end packets are recognised and ignored); a lost first
 * packet is made up for by the next one. Sending produces one packet per 20 ms tick for the
 * digit's duration, then the end-of-event packet three times (RFC 4733 2.5.1.4). Pure state
 * machines: the media worker owns the clock and the socket. SIP INFO digits are the SIP
 * layer's business. */
#ifndef SCAIDIAL_DTMF_H
#define SCAIDIAL_DTMF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DTMF_PAYLOAD_LEN	4
#define DTMF_DEFAULT_MS		100

struct dtmf_rx {
	bool		 seen;
	uint32_t	 ts;		/* timestamp of the last event reported */
	int		 event;
};

/* Returns the digit ('0'-'9', '*', '#', 'A'-'D') when this packet starts a new event,
 * else 0 (a retransmission, an end packet of a reported event, a malformed payload, an
 * event that is not a DTMF digit). */
char	 dtmf_rx_packet(struct dtmf_rx *, uint32_t ts, const uint8_t *payload, size_t len);

struct dtmf_tx {
	bool		 active;
	int		 event;
	uint32_t	 ts;		/* the event's timestamp (when it started) */
	uint32_t	 step;		/* clock units per 20 ms */
	uint32_t	 length;	/* total duration, clock units */
	uint32_t	 elapsed;
	int		 ends_sent;
};

/* Returns 0, or -1 when digit is not a DTMF digit. */
int	 dtmf_tx_start(struct dtmf_tx *, char digit, uint32_t ts, int clock, int ms);
/* The packet for this tick: fills out (DTMF_PAYLOAD_LEN bytes), *marker for the first
 * one, *ts with the event's timestamp; returns false when the event is over. */
bool	 dtmf_tx_next(struct dtmf_tx *, uint8_t out[DTMF_PAYLOAD_LEN], bool *marker,
	    uint32_t *ts);

int	 dtmf_event_of(char digit);	/* -1 when not a digit */
char	 dtmf_digit_of(int event);	/* 0 when not a digit */

#endif
