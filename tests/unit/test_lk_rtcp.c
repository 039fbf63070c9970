/* test_lk_rtcp: the LiveKit leg's RTCP: NACKs answered from the send history (the very
 * bytes sent, gone once older than the ring, other SSRCs ignored), our SR's counts and
 * NTP/RTP mapping, RR blocks per remote source (loss, highest sequence, LSR/DLSR), the
 * SFU's report about us read into RTT and loss, malformed packets refused. */
#include "lk_rtcp.h"
#include "bytes.h"
#include "rtcp.h"
#include "rtp.h"
#include "tap.h"

#define OUR_SSRC	0x11223344u
#define T0		1700000000000000LL	/* wall clock, us */

static uint8_t resent[64][LK_RTCP_HIST_BYTES];
static size_t resent_len[64];
static int nresent;

static void
on_resend(void *arg, const uint8_t *pkt, size_t len)
{
	(void)arg;
	if (nresent < 64) {
		memcpy(resent[nresent], pkt, len);
		resent_len[nresent] = len;
	}
	nresent++;
}

/* An Opus-like packet whose payload says which one it is. */
static size_t
make_rtp(uint8_t *b, uint32_t ssrc, uint16_t seq, uint32_t ts, size_t payload)
{
	size_t i, n = rtp_write_hdr(b, false, 111, seq, ts, ssrc);

	for (i = 0; i < payload; i++)
		b[n + i] = (uint8_t)(seq + i);
	return n + payload;
}

/* A generic NACK (RFC 4585) from the SFU about media, one FCI entry. */
static size_t
make_nack(uint8_t *b, uint32_t media, uint16_t pid, uint16_t blp)
{
	b[0] = 0x80 | 1;
	b[1] = 205;
	b[2] = 0;
	b[3] = 3;
	bytes_put32(b + 4, 0x5f5f5f5f);
	bytes_put32(b + 8, media);
	b[12] = (uint8_t)(pid >> 8);
	b[13] = (uint8_t)pid;
	b[14] = (uint8_t)(blp >> 8);
	b[15] = (uint8_t)blp;
	return 16;
}

static void
test_nack(void)
{
	struct lk_rtcp *r = lk_rtcp_new(OUR_SSRC, "cname-x");
	struct lk_rtcp_stats st;
	enum { N = LK_RTCP_HISTORY + 24, OLD = N - LK_RTCP_HISTORY - 1, KEPT = OLD + 10 };
	uint8_t pkt[200], sent[N][200], nack[16];
	size_t len[N];
	uint16_t base = 65520;	/* the ring crosses the sequence wrap */
	int i, same;

	for (i = 0; i < N; i++) {
		len[i] = make_rtp(pkt, OUR_SSRC, (uint16_t)(base + i), 1000u + 960u * (uint32_t)i,
		    60 + (size_t)i);
		memcpy(sent[i], pkt, len[i]);
		lk_rtcp_sent(r, pkt, len[i], T0 + i * 20000LL);
	}
	/* The last but one and, from its bitmask, the last (bit 0). */
	nresent = 0;
	is_int(lk_rtcp_input(r, nack, make_nack(nack, OUR_SSRC, (uint16_t)(base + N - 2), 0x0001),
	    T0 + 800000, on_resend, NULL), 0, "a NACK parses");
	is_int(nresent, 2, "two packets asked for, two sent again");
	ok(nresent == 2 && resent_len[0] == len[N - 2] &&
	    memcmp(resent[0], sent[N - 2], len[N - 2]) == 0, "the first is the one asked for, "
	    "byte for byte (same sequence number and timestamp)");
	ok(nresent == 2 && resent_len[1] == len[N - 1] &&
	    memcmp(resent[1], sent[N - 1], len[N - 1]) == 0, "the second is the next one");
	/* The last LK_RTCP_HISTORY are kept: OLD was overwritten, KEPT is there. */
	nresent = 0;
	lk_rtcp_input(r, nack, make_nack(nack, OUR_SSRC, (uint16_t)(base + OLD),
	    (uint16_t)(1u << (KEPT - OLD - 1))), T0 + 800000, on_resend, NULL);
	is_int(nresent, 1, "of a packet too old and one in the ring, one is sent");
	same = nresent == 1 && memcmp(resent[0], sent[KEPT], len[KEPT]) == 0;
	ok(same, "and it is the one in the ring (after the wrap: seq %u)",
	    (unsigned)(uint16_t)(base + KEPT));
	/* About another SSRC: nothing. */
	nresent = 0;
	lk_rtcp_input(r, nack, make_nack(nack, 0x99999999u, (uint16_t)(base + N - 2), 0),
	    T0 + 800000, on_resend, NULL);
	is_int(nresent, 0, "a NACK about another stream is not ours to answer");
	lk_rtcp_stats(r, &st);
	is_int(st.nacks, 2, "two NACKs about our stream counted");
	is_int(st.nacked, 4, "four sequence numbers asked for");
	is_int(st.retransmitted, 3, "three retransmitted");
	is_int(st.missed, 1, "one no longer in the history");
	/* Without a resend callback (the session's control-case test hook): counted only. */
	is_int(lk_rtcp_input(r, nack, make_nack(nack, OUR_SSRC, (uint16_t)(base + N - 2), 1),
	    T0 + 800000, NULL, NULL), 0, "a NACK with nothing to answer it parses");
	lk_rtcp_stats(r, &st);
	is_int(st.nacks, 3, "and is counted");
	is_int(st.nacked, 6, "with the two packets it asks for");
	is_int(st.retransmitted, 3, "but nothing is sent again");
	is_int(st.missed, 1, "nor counted as missed");
	lk_rtcp_free(r);
}

static void
test_sr_rr(void)
{
	struct lk_rtcp *r = lk_rtcp_new(OUR_SSRC, "scaidial-abc");
	struct lk_rtcp_stats st;
	uint8_t pkt[200], buf[1500];
	size_t n, octets = 0, off;
	uint32_t ts = 5000, sec, frac, rts, lsr_b;
	int64_t now;
	uint16_t s;
	int i, blocks;

	for (i = 0; i < 100; i++) {
		n = make_rtp(pkt, OUR_SSRC, (uint16_t)i, ts + 960u * (uint32_t)i, 80);
		octets += 80;
		lk_rtcp_sent(r, pkt, n, T0 + i * 20000LL);
	}
	/* Source A: 50 packets with 47 and 48 lost, on time. Source B: 30, none lost. */
	for (s = 0; s < 50; s++)
		if (s != 47 && s != 48) {
			n = make_rtp(pkt, 0xaaaa0001u, (uint16_t)(1000 + s), 960u * s, 40);
			lk_rtcp_received(r, pkt, n, T0 + s * 20000LL);
		}
	for (s = 0; s < 30; s++) {
		n = make_rtp(pkt, 0xbbbb0002u, (uint16_t)(7 + s), 960u * s, 40);
		lk_rtcp_received(r, pkt, n, T0 + s * 20000LL);
	}
	/* B's SR arrives at T0 + 1 s; our report goes 250 ms later. */
	buf[0] = 0x80;
	buf[1] = 200;
	buf[2] = 0;
	buf[3] = 6;
	bytes_put32(buf + 4, 0xbbbb0002u);
	bytes_put32(buf + 8, 0x12345678u);
	bytes_put32(buf + 12, 0x9abcdef0u);
	memset(buf + 16, 0, 12);
	is_int(lk_rtcp_input(r, buf, 28, T0 + 1000000, on_resend, NULL), 0, "a remote SR parses");

	now = T0 + 100 * 20000LL + 250000;
	n = lk_rtcp_build(r, buf, sizeof buf, now);
	ok(n > 28, "a report is built (%zu bytes)", n);
	is_int(buf[1], 200, "it starts with an SR: we have sent");
	blocks = buf[0] & 0x1f;
	is_int(blocks, 2, "with a report block per remote source");
	is_int(bytes_get32(buf + 4), OUR_SSRC, "from our SSRC");
	sec = bytes_get32(buf + 8);
	frac = bytes_get32(buf + 12);
	rts = bytes_get32(buf + 16);
	is_int(sec, (uint32_t)(now / 1000000 + 2208988800LL), "NTP seconds of now");
	(void)frac;
	/* The last packet (99) was stamped at T0 + 1.98 s; now is 270 ms later. */
	is_int(rts, ts + 960u * 99 + 270u * 48, "RTP time of now on our 48 kHz clock");
	is_int(bytes_get32(buf + 20), 100, "packet count");
	is_int(bytes_get32(buf + 24), octets, "payload octet count");
	off = 28;
	for (i = 0; i < blocks; i++, off += 24) {
		uint32_t who = bytes_get32(buf + off), cum = bytes_get32(buf + off + 4) & 0xffffff;

		if (who == 0xaaaa0001u) {
			is_int(cum, 2, "source A: 2 lost");
			is_int(bytes_get32(buf + off + 8), 1049, "source A: highest sequence 1049");
			is_int(bytes_get32(buf + off + 12), 0, "source A: no jitter (packets on time)");
			is_int(bytes_get32(buf + off + 16), 0, "source A: no LSR (it sent no SR)");
		} else {
			is_int(who, 0xbbbb0002u, "the other block is about source B");
			is_int(cum, 0, "source B: none lost");
			is_int(bytes_get32(buf + off + 8), 36, "source B: highest sequence 36");
			lsr_b = bytes_get32(buf + off + 16);
			is_int(lsr_b, 0x56789abcu, "source B: LSR from the middle of its SR's NTP");
			/* 1.25 s since its SR, in 1/65536 s */
			is_int(bytes_get32(buf + off + 20), 81920, "source B: DLSR 1.25 s");
		}
	}
	is_int(buf[off + 1], 202, "an SDES follows");
	is_int(buf[off + 8], 1, "with a CNAME item");
	ok(buf[off + 9] == 12 && memcmp(buf + off + 10, "scaidial-abc", 12) == 0,
	    "holding our CNAME");

	/* The SFU's RR about us: LSR is the middle of our SR's NTP, DLSR 10 ms, received
	 * 32.5 ms after our SR: RTT 22.5 ms. 5 % lost so far, 12 in all. */
	buf[0] = 0x81;
	buf[1] = 201;
	buf[2] = 0;
	buf[3] = 7;
	bytes_put32(buf + 4, 0x5f5f5f5f);
	bytes_put32(buf + 8, OUR_SSRC);
	bytes_put32(buf + 12, 12);
	buf[12] = 13;
	bytes_put32(buf + 16, 99);
	bytes_put32(buf + 20, 480);
	bytes_put32(buf + 24, rtcp_ntp_mid(now));
	bytes_put32(buf + 28, 655);	/* 10 ms */
	is_int(lk_rtcp_input(r, buf, 32, now + 32500, on_resend, NULL), 0, "the SFU's RR parses");
	lk_rtcp_stats(r, &st);
	ok(st.have_remote, "the SFU reported on our stream");
	ok(st.rtt_us >= 22300 && st.rtt_us <= 22700, "RTT 22.5 ms from LSR/DLSR (%lld us)",
	    (long long)st.rtt_us);
	is_int(st.fraction_lost, 13, "fraction lost as the SFU saw it");
	is_int(st.cumulative_lost, 12, "cumulative loss as the SFU saw it");
	is_int(st.jitter, 480, "jitter as the SFU saw it");
	is_int(st.rr_received, 1, "one RR counted");
	is_int(st.sr_received, 1, "one SR counted");
	is_int(st.reports_sent, 1, "one report sent");

	/* Malformed: a length past the end, a truncated header, version 1. */
	buf[3] = 40;
	is_int(lk_rtcp_input(r, buf, 32, now, on_resend, NULL), -1, "length past the end refused");
	is_int(lk_rtcp_input(r, buf, 3, now, on_resend, NULL), -1, "3 bytes refused");
	buf[3] = 7;
	buf[0] = 0x41;
	is_int(lk_rtcp_input(r, buf, 32, now, on_resend, NULL), -1, "version 1 refused");
	lk_rtcp_free(r);
}

static void
test_rr_only(void)
{
	struct lk_rtcp *r = lk_rtcp_new(OUR_SSRC, "c");
	uint8_t pkt[100], buf[200];
	size_t n;

	is_int(lk_rtcp_build(r, buf, sizeof buf, T0), 20,
	    "nothing sent or heard: an empty RR and an SDES (20 bytes)");
	is_int(buf[1], 201, "an RR, not an SR, before we send");
	n = make_rtp(pkt, 0xcccc0003u, 1, 0, 20);
	lk_rtcp_received(r, pkt, n, T0);
	n = make_rtp(pkt, 0xcccc0003u, 2, 960, 20);
	lk_rtcp_received(r, pkt, n, T0 + 20000);
	n = lk_rtcp_build(r, buf, sizeof buf, T0 + 40000);
	is_int(buf[0] & 0x1f, 1, "a block about the one source heard");
	is_int(bytes_get32(buf + 8), 0xcccc0003u, "naming it");
	is_int(lk_rtcp_build(r, buf, 20, T0), 0, "too small a buffer: nothing");
	lk_rtcp_free(r);
}

int
main(void)
{
	test_nack();
	test_sr_rr();
	test_rr_only();
	return tap_done();
}
