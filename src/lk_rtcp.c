/* lk_rtcp: the LiveKit leg's RTCP (see lk_rtcp.h): send history and NACK answers, SR/RR
 * counts, reading the SFU's reports. Building and reading SR/RR is rtcp.c's. */
#include <stdlib.h>
#include <string.h>

#include "lk_rtcp.h"
#include "bytes.h"
#include "rtcp.h"
#include "rtp.h"

#define LK_RTCP_SR	200
#define LK_RTCP_RTPFB	205
#define LK_RTCP_NACK	1	/* RTPFB FMT: generic NACK (RFC 4585 6.2.1) */
#define LK_RTCP_CLOCK	48000

struct lk_rtcp_slot {
	uint16_t	 seq;
	uint16_t	 len;	/* 0: empty */
	uint8_t		 pkt[LK_RTCP_HIST_BYTES];
};

struct lk_rtcp {
	struct rtcp_tx	 tx;
	char		 cname[64];
	struct rtp_rx	 rx[LK_RTCP_SOURCES];
	struct rtp_rx	*rxp[LK_RTCP_SOURCES];	/* for rtcp_build_blocks */
	uint64_t	 seen[LK_RTCP_SOURCES];	/* tick of each source's last packet */
	uint64_t	 tick;
	struct lk_rtcp_stats st;
	struct lk_rtcp_slot hist[LK_RTCP_HISTORY];
};

struct lk_rtcp *
lk_rtcp_new(uint32_t ssrc, const char *cname)
{
	struct lk_rtcp *r;
	int i;

	r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	r->tx.ssrc = ssrc;
	r->tx.clock = LK_RTCP_CLOCK;
	strncpy(r->cname, cname, sizeof r->cname - 1);
	for (i = 0; i < LK_RTCP_SOURCES; i++)
		r->rxp[i] = &r->rx[i];
	r->st.rtt_us = -1;
	return r;
}

void
lk_rtcp_sent(struct lk_rtcp *r, const uint8_t *pkt, size_t len, int64_t now_us)
{
	struct lk_rtcp_slot *sl;
	struct rtp_hdr h;

	if (rtp_parse(pkt, len, &h) != 0)
		return;
	r->tx.packets++;
	r->tx.octets += (uint32_t)h.payload_len;
	r->tx.last_ts = h.ts;
	r->tx.last_ts_us = now_us;
	sl = &r->hist[h.seq % LK_RTCP_HISTORY];
	if (len > sizeof sl->pkt) {
		sl->len = 0;
		return;
	}
	memcpy(sl->pkt, pkt, len);
	sl->len = (uint16_t)len;
	sl->seq = h.seq;
}

void
lk_rtcp_received(struct lk_rtcp *r, const uint8_t *pkt, size_t len, int64_t now_us)
{
	struct rtp_hdr h;
	uint64_t ms;
	int i, k = 0;

	if (rtp_parse(pkt, len, &h) != 0)
		return;
	/* The source's slot, or the one quiet longest (an unused one has seen 0). */
	for (i = 0; i < LK_RTCP_SOURCES; i++) {
		if (r->rx[i].init && r->rx[i].ssrc == h.ssrc)
			break;
		if (r->seen[i] < r->seen[k])
			k = i;
	}
	if (i == LK_RTCP_SOURCES) {
		i = k;
		memset(&r->rx[i], 0, sizeof r->rx[i]);
	}
	r->seen[i] = ++r->tick;
	/* Arrival on the source's 48 kHz clock, modulo 2^32 (only differences matter). */
	ms = (uint64_t)now_us / 1000;
	(void)rtp_rx_update(&r->rx[i], &h, (uint32_t)(ms * (LK_RTCP_CLOCK / 1000) +
	    (uint64_t)now_us % 1000 * (LK_RTCP_CLOCK / 1000) / 1000));
}

size_t
lk_rtcp_build(struct lk_rtcp *r, uint8_t *buf, size_t max, int64_t now_us)
{
	size_t n;

	n = rtcp_build_blocks(buf, max, &r->tx, r->rxp, LK_RTCP_SOURCES, r->cname, now_us);
	if (n > 0)
		r->st.reports_sent++;
	return n;
}

/* RFC 4585 6.2.1: each FCI entry is a lost packet id and a bitmask of the 16 after it. */
static void
lk_rtcp_nack(struct lk_rtcp *r, const uint8_t *fci, size_t n, lk_rtcp_resend_cb *resend,
    void *arg)
{
	uint16_t pid, blp, seq;
	const struct lk_rtcp_slot *sl;
	int b;

	r->st.nacks++;
	for (; n >= 4; fci += 4, n -= 4) {
		pid = (uint16_t)(fci[0] << 8 | fci[1]);
		blp = (uint16_t)(fci[2] << 8 | fci[3]);
		for (b = -1; b < 16; b++) {
			if (b >= 0 && !(blp & (1u << b)))
				continue;
			seq = (uint16_t)(pid + b + 1);
			r->st.nacked++;
			if (resend == NULL)
				continue;	/* lk_session's test hook: not answered */
			sl = &r->hist[seq % LK_RTCP_HISTORY];
			if (sl->len == 0 || sl->seq != seq) {
				r->st.missed++;
				continue;
			}
			r->st.retransmitted++;
			resend(arg, sl->pkt, sl->len);
		}
	}
}

int
lk_rtcp_input(struct lk_rtcp *r, const uint8_t *buf, size_t len, int64_t now_us,
    lk_rtcp_resend_cb *resend, void *arg)
{
	struct rtcp_remote rem;
	struct rtp_rx none, *rx;
	size_t off = 0, plen;
	const uint8_t *p;
	int i;

	if (len < 4)
		return -1;
	while (off < len) {
		p = buf + off;
		if (len - off < 4 || (p[0] >> 6) != 2)
			return -1;
		plen = ((size_t)(p[2] << 8 | p[3]) + 1) * 4;
		if (plen > len - off)
			return -1;
		off += plen;
		if (p[1] == LK_RTCP_RTPFB && (p[0] & 0x1f) == LK_RTCP_NACK && plen >= 12) {
			if (bytes_get32(p + 8) == r->tx.ssrc)
				lk_rtcp_nack(r, p + 12, plen - 12, resend, arg);
			continue;
		}
		/* One packet at a time to rtcp.c, with the statistics of the SR's sender, so
		 * our next report block about it carries its LSR/DLSR. */
		memset(&none, 0, sizeof none);
		rx = &none;
		if (p[1] == LK_RTCP_SR && plen >= 8)
			for (i = 0; i < LK_RTCP_SOURCES; i++)
				if (r->rx[i].init && r->rx[i].ssrc == bytes_get32(p + 4))
					rx = &r->rx[i];
		memset(&rem, 0, sizeof rem);
		rem.rtt_us = -1;
		if (rtcp_parse(p, plen, r->tx.ssrc, rx, &rem, now_us) != 0)
			return -1;
		r->st.sr_received += rem.sr_count;
		r->st.rr_received += rem.rr_count;
		if (!rem.have)
			continue;
		r->st.have_remote = 1;
		r->st.fraction_lost = rem.fraction_lost;
		r->st.cumulative_lost = rem.cumulative_lost;
		r->st.jitter = rem.jitter;
		if (rem.rtt_us >= 0)
			r->st.rtt_us = rem.rtt_us;
	}
	return 0;
}

void
lk_rtcp_stats(const struct lk_rtcp *r, struct lk_rtcp_stats *st)
{
	*st = r->st;
}

void
lk_rtcp_free(struct lk_rtcp *r)
{
	free(r);
}
