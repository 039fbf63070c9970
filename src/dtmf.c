/* dtmf: RFC 4733 receive and send state machines; see dtmf.h. */
#include "dtmf.h"

static const char dtmf_digits[] = "0123456789*#ABCD";

int
dtmf_event_of(char digit)
{
	int i;

	if (digit >= 'a' && digit <= 'd')
		digit = (char)(digit - 'a' + 'A');
	for (i = 0; i < 16; i++)
		if (dtmf_digits[i] == digit)
			return i;
	return -1;
}

char
dtmf_digit_of(int event)
{
	return event >= 0 && event < 16 ? dtmf_digits[event] : 0;
}

char
dtmf_rx_packet(struct dtmf_rx *rx, uint32_t ts, const uint8_t *p, size_t len)
{
	if (len < DTMF_PAYLOAD_LEN || p[0] >= 16)
		return 0;
	if (rx->seen && rx->ts == ts && rx->event == p[0])
		return 0;
	rx->seen = true;
	rx->ts = ts;
	rx->event = p[0];
	return dtmf_digit_of(p[0]);
}

int
dtmf_tx_start(struct dtmf_tx *tx, char digit, uint32_t ts, int clock, int ms)
{
	int ev = dtmf_event_of(digit);

	if (ev < 0 || clock <= 0)
		return -1;
	if (ms < 40)
		ms = 40;
	if (ms > 2000)
		ms = 2000;
	tx->active = true;
	tx->event = ev;
	tx->ts = ts;
	tx->step = (uint32_t)clock / 50;
	tx->length = (uint32_t)clock / 1000 * (uint32_t)ms;
	tx->elapsed = 0;
	tx->ends_sent = 0;
	return 0;
}

bool
dtmf_tx_next(struct dtmf_tx *tx, uint8_t out[DTMF_PAYLOAD_LEN], bool *marker, uint32_t *ts)
{
	uint32_t dur;
	bool end;

	if (!tx->active)
		return false;
	*marker = tx->elapsed == 0;
	tx->elapsed += tx->step;
	end = tx->elapsed >= tx->length;
	dur = end ? tx->length : tx->elapsed;
	if (dur > 0xffff)
		dur = 0xffff;
	out[0] = (uint8_t)tx->event;
	out[1] = (uint8_t)((end ? 0x80 : 0) | 10);	/* E bit, volume -10 dBm0 */
	out[2] = (uint8_t)(dur >> 8);
	out[3] = (uint8_t)dur;
	*ts = tx->ts;
	if (end && ++tx->ends_sent == 3)
		tx->active = false;
	return true;
}
