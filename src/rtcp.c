/* rtcp: building and reading RTCP compound packets; see rtcp.h. */
#include "rtcp.h"

#include <string.h>

#include "bytes.h"
#define RTCP_SR		200
#define RTCP_RR		201
#define RTCP_SDES	202
#define RTCP_BYE	203
#define NTP_UNIX_OFFSET	2208988800ULL

static void
rtcp_ntp(int64_t us, uint32_t *sec, uint32_t *frac)
{
	*sec = (uint32_t)((uint64_t)(us / 1000000) + NTP_UNIX_OFFSET);
	*frac = (uint32_t)(((uint64_t)(us % 1000000) << 32) / 1000000);
}

uint32_t
rtcp_ntp_mid(int64_t us)
{
	uint32_t s, f;

	rtcp_ntp(us, &s, &f);
	return s << 16 | f >> 16;
}

static size_t
rtcp_report_block(uint8_t *b, struct rtp_rx *rx, int64_t now_us)
{
	int32_t lost = rtp_rx_lost(rx);
	uint32_t dlsr = 0;

	bytes_put32(b, rx->ssrc);
	bytes_put32(b + 4, (uint32_t)lost & 0xffffff);
	b[4] = rtp_rx_fraction(rx);
	bytes_put32(b + 8, rtp_rx_ext_max(rx));
	bytes_put32(b + 12, rtp_rx_jitter(rx));
	bytes_put32(b + 16, rx->lsr);
	if (rx->lsr != 0 && now_us >= rx->lsr_arrival_us)	/* since that SR, 1/65536 s */
		dlsr = (uint32_t)((uint64_t)(now_us - rx->lsr_arrival_us) * 65536 / 1000000);
	bytes_put32(b + 20, dlsr);
	return 24;
}

size_t
rtcp_build(uint8_t *buf, size_t max, const struct rtcp_tx *tx, struct rtp_rx *rx,
    const char *cname, int64_t now_us)
{
	return rtcp_build_blocks(buf, max, tx, &rx, 1, cname, now_us);
}

size_t
rtcp_build_blocks(uint8_t *buf, size_t max, const struct rtcp_tx *tx, struct rtp_rx *const *rx,
    int nrx, const char *cname, int64_t now_us)
{
	size_t n = 0, clen = strlen(cname), sdes_len, need;
	int rc = 0, i;
	int sr = tx->packets > 0;

	for (i = 0; i < nrx; i++)
		if (rx[i]->init && rx[i]->received > 0)
			rc++;
	if (rc > 31)
		return 0;
	need = 8 + (sr ? 20 : 0) + 24 * (size_t)rc;
	if (clen > 255)
		clen = 255;
	sdes_len = (8 + 2 + clen + 1 + 3) & ~(size_t)3;	/* chunk + end, padded to words */
	if (max < need + sdes_len)
		return 0;
	buf[0] = (uint8_t)(0x80 | rc);
	buf[1] = sr ? RTCP_SR : RTCP_RR;
	buf[2] = 0;
	buf[3] = (uint8_t)(need / 4 - 1);
	bytes_put32(buf + 4, tx->ssrc);
	n = 8;
	if (sr) {
		int64_t since = now_us - tx->last_ts_us;
		uint32_t s, f, ts;

		rtcp_ntp(now_us, &s, &f);
		/* The RTP time that corresponds to now, from the last packet's stamp (a clock
		 * stepped backwards or an hour of silence: that stamp as it is). */
		if (since < 0 || since > 3600LL * 1000000)
			since = 0;
		ts = tx->last_ts + (uint32_t)(since * tx->clock / 1000000);
		bytes_put32(buf + 8, s);
		bytes_put32(buf + 12, f);
		bytes_put32(buf + 16, ts);
		bytes_put32(buf + 20, tx->packets);
		bytes_put32(buf + 24, tx->octets);
		n += 20;
	}
	for (i = 0; i < nrx; i++)
		if (rx[i]->init && rx[i]->received > 0)
			n += rtcp_report_block(buf + n, rx[i], now_us);
	memset(buf + n, 0, sdes_len);
	buf[n] = 0x81;
	buf[n + 1] = RTCP_SDES;
	buf[n + 2] = 0;
	buf[n + 3] = (uint8_t)(sdes_len / 4 - 1);
	bytes_put32(buf + n + 4, tx->ssrc);
	buf[n + 8] = 1;	/* CNAME */
	buf[n + 9] = (uint8_t)clen;
	memcpy(buf + n + 10, cname, clen);
	return n + sdes_len;
}

size_t
rtcp_append_bye(uint8_t *buf, size_t len, size_t max, uint32_t ssrc)
{
	if (max < len + 8)
		return 0;
	buf[len] = 0x81;
	buf[len + 1] = RTCP_BYE;
	buf[len + 2] = 0;
	buf[len + 3] = 1;
	bytes_put32(buf + len + 4, ssrc);
	return len + 8;
}

bool
rtcp_has_bye(const uint8_t *buf, size_t len)
{
	size_t off = 0;

	while (len - off >= 4 && (buf[off] >> 6) == 2) {
		size_t plen = ((size_t)(buf[off + 2] << 8 | buf[off + 3]) + 1) * 4;

		if (plen > len - off)
			return false;
		if (buf[off + 1] == RTCP_BYE)
			return true;
		off += plen;
	}
	return false;
}

static void
rtcp_blocks(const uint8_t *b, int count, size_t avail, uint32_t our_ssrc,
    struct rtcp_remote *r, int64_t now_us)
{
	int i;

	for (i = 0; i < count && avail >= 24; i++, b += 24, avail -= 24) {
		uint32_t lsr, dlsr, cum;

		if (bytes_get32(b) != our_ssrc)
			continue;
		r->have = true;
		r->fraction_lost = b[4];
		cum = bytes_get32(b + 4) & 0xffffff;
		r->cumulative_lost = (cum & 0x800000) ? (int32_t)(cum | 0xff000000u) : (int32_t)cum;
		r->jitter = bytes_get32(b + 12);
		lsr = bytes_get32(b + 16);
		dlsr = bytes_get32(b + 20);
		r->rtt_ms = -1;
		r->rtt_us = -1;
		if (lsr != 0) {
			uint32_t rtt = rtcp_ntp_mid(now_us) - lsr - dlsr;

			/* On a LAN the three truncated times can add up to a unit below zero. */
			if (rtt >= 0xfffffffdu)
				rtt = 0;
			if (rtt < (60u << 16)) {
				r->rtt_ms = (int32_t)(((uint64_t)rtt * 1000) >> 16);
				r->rtt_us = (int64_t)(((uint64_t)rtt * 1000000) >> 16);
			}
		}
	}
}

int
rtcp_parse(const uint8_t *buf, size_t len, uint32_t our_ssrc, struct rtp_rx *rx,
    struct rtcp_remote *r, int64_t now_us)
{
	size_t off = 0;

	if (len < 4)
		return -1;
	while (off < len) {
		const uint8_t *p = buf + off;
		size_t plen;
		int count;

		if (len - off < 4 || (p[0] >> 6) != 2)
			return -1;
		plen = ((size_t)(p[2] << 8 | p[3]) + 1) * 4;
		if (plen > len - off)
			return -1;
		count = p[0] & 0x1f;
		if (p[1] == RTCP_SR && plen >= 28) {
			if (rx->init && bytes_get32(p + 4) == rx->ssrc) {
				rx->lsr = bytes_get32(p + 8) << 16 | bytes_get32(p + 12) >> 16;
				rx->lsr_arrival_us = now_us;
			}
			r->sr_count++;
			rtcp_blocks(p + 28, count, plen - 28, our_ssrc, r, now_us);
		} else if (p[1] == RTCP_RR && plen >= 8) {
			r->rr_count++;
			rtcp_blocks(p + 8, count, plen - 8, our_ssrc, r, now_us);
		}
		off += plen;
	}
	return 0;
}
