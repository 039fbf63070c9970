/* test_dtmf: a sent event read back by the receiver gives the digit exactly once, with the
 * end packet three times; retransmissions and lost first packets. */
#include <string.h>

#include "dtmf.h"
#include "tap.h"

static void
test_round_trip(char digit, int clock)
{
	struct dtmf_tx tx;
	struct dtmf_rx rx;
	uint8_t p[DTMF_PAYLOAD_LEN];
	bool marker;
	uint32_t ts;
	int packets = 0, ends = 0, markers = 0, reported = 0, last_dur = 0, same_ts = 1;
	char got = 0;

	memset(&rx, 0, sizeof rx);
	is_int(dtmf_tx_start(&tx, digit, 123456, clock, 100), 0, "'%c' at %d: start", digit, clock);
	while (dtmf_tx_next(&tx, p, &marker, &ts)) {
		char d = dtmf_rx_packet(&rx, ts, p, sizeof p);

		packets++;
		markers += marker;
		same_ts &= ts == 123456;
		if (p[1] & 0x80)
			ends++;
		last_dur = p[2] << 8 | p[3];
		if (d) {
			reported++;
			got = d;
		}
		if (packets > 50)
			break;
	}
	is_int(packets, 5 + 2, "'%c' at %d: 5 packets over 100 ms, the last end repeated twice",
	    digit, clock);
	is_int(ends, 3, "'%c' at %d: end-of-event three times", digit, clock);
	is_int(markers, 1, "'%c' at %d: marker on the first packet only", digit, clock);
	ok(same_ts, "'%c' at %d: every packet carries the event's timestamp", digit, clock);
	is_int(last_dur, clock / 10, "'%c' at %d: final duration 100 ms", digit, clock);
	is_int(reported, 1, "'%c' at %d: reported once", digit, clock);
	is_int(got, digit, "'%c' at %d: the right digit", digit, clock);
}

int
main(void)
{
	struct dtmf_rx rx;
	uint8_t p[4] = { 11, 0x0a, 0, 160 };
	struct dtmf_tx tx;

	test_round_trip('5', 8000);
	test_round_trip('#', 8000);
	test_round_trip('*', 48000);
	test_round_trip('D', 8000);

	memset(&rx, 0, sizeof rx);
	is_int(dtmf_rx_packet(&rx, 1000, p, 4), '#', "first packet reports '#'");
	is_int(dtmf_rx_packet(&rx, 1000, p, 4), 0, "a retransmission does not");
	p[1] |= 0x80;
	is_int(dtmf_rx_packet(&rx, 1000, p, 4), 0, "nor its end packet");
	is_int(dtmf_rx_packet(&rx, 2000, p, 4), '#', "the same key again (new timestamp) does");
	p[0] = 1;
	is_int(dtmf_rx_packet(&rx, 3000, p, 4), '1',
	    "an event whose first packets were lost is reported by its end packet");
	is_int(dtmf_rx_packet(&rx, 4000, p, 3), 0, "a short payload is ignored");
	p[0] = 40;
	is_int(dtmf_rx_packet(&rx, 5000, p, 4), 0, "a non-DTMF event is ignored");
	is_int(dtmf_tx_start(&tx, 'x', 0, 8000, 100), -1, "'x' is not a digit");
	is_int(dtmf_event_of('a'), 12, "lower-case a is event 12");
	return tap_done();
}
