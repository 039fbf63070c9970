/* test_rtp: RTP header parsing (CSRC, extension, padding against the length), receive
 * statistics (loss, wrap, jitter per RFC 3550 A.8), the latch, port pairs, RTCP. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "rtcp.h"
#include "rtp.h"
#include "tap.h"

static void
test_parse(void)
{
	uint8_t p[64];
	struct rtp_hdr h;
	size_t n;

	memset(p, 0xee, sizeof p);
	n = rtp_write_hdr(p, true, 8, 0xabcd, 0x01020304, 0xdeadbeef);
	is_int(n, 12, "header is 12 bytes");
	is_int(rtp_parse(p, 32, &h), 0, "plain packet parses");
	ok(h.marker && h.pt == 8 && h.seq == 0xabcd && h.ts == 0x01020304 &&
	    h.ssrc == 0xdeadbeef, "fields read back");
	ok(h.payload == p + 12 && h.payload_len == 20, "payload after the header");

	p[0] = 0x82;	/* two CSRCs */
	is_int(rtp_parse(p, 32, &h), 0, "CSRCs parse");
	ok(h.cc == 2 && h.payload == p + 20 && h.payload_len == 12, "payload after the CSRCs");
	is_int(rtp_parse(p, 19, &h), -1, "CSRC list longer than the packet refused");

	p[0] = 0x90;	/* extension, 2 words */
	p[12] = 0xbe; p[13] = 0xde; p[14] = 0; p[15] = 2;
	is_int(rtp_parse(p, 32, &h), 0, "extension parses");
	ok(h.ext && h.payload == p + 24 && h.payload_len == 8, "payload after the extension");
	is_int(rtp_parse(p, 23, &h), -1, "extension longer than the packet refused");
	is_int(rtp_parse(p, 14, &h), -1, "truncated extension header refused");

	p[0] = 0xa0;	/* padding */
	p[31] = 4;
	is_int(rtp_parse(p, 32, &h), 0, "padding parses");
	is_int(h.payload_len, 16, "padding removed");
	p[31] = 21;
	is_int(rtp_parse(p, 32, &h), -1, "padding longer than the payload refused");
	p[31] = 0;
	is_int(rtp_parse(p, 32, &h), -1, "zero padding count refused");
	p[0] = 0x40;
	is_int(rtp_parse(p, 32, &h), -1, "version 1 refused");
	is_int(rtp_parse(p, 11, &h), -1, "short packet refused");

	p[0] = 0x81; p[1] = 200;
	ok(rtp_is_rtcp(p, 28), "SR recognised under rtcp-mux");
	p[1] = 0x80 | 8;
	ok(!rtp_is_rtcp(p, 28), "PCMA with marker is not RTCP");
}

static void
feed(struct rtp_rx *rx, uint16_t seq, uint32_t ts, uint32_t arrival)
{
	struct rtp_hdr h = { 0 };

	h.seq = seq;
	h.ts = ts;
	h.ssrc = 0x1234;
	h.payload_len = 160;
	rtp_rx_update(rx, &h, arrival);
}

static void
test_stats(void)
{
	struct rtp_rx rx;
	uint16_t s;
	int i;

	memset(&rx, 0, sizeof rx);
	/* 100 packets from seq 65500 (wraps), every 10th lost, perfect timing. */
	for (i = 0, s = 65500; i < 100; i++, s++) {
		if (i % 10 != 5)
			feed(&rx, s, (uint32_t)i * 160, 1000 + (uint32_t)i * 160);
		if (i == 3)
			is_int(rtp_rx_jitter(&rx), 0, "no jitter right after the probation");
	}
	is_int(rx.cycles, 65536, "sequence wrap counted as a cycle");
	is_int(rtp_rx_expected(&rx), 100, "expected 100");
	is_int(rtp_rx_lost(&rx), 10, "10 lost");
	is_int(rtp_rx_fraction(&rx), (10 << 8) / 100, "fraction lost 10%% in 1/256");
	is_int(rtp_rx_fraction(&rx), 0, "next interval starts empty");
	is_int(rtp_rx_jitter(&rx), 0, "no jitter with perfect timing");

	/* Arrival alternately on time and 40 units late: |D| = 40 each time, so the A.8
	 * estimate converges to 40. */
	memset(&rx, 0, sizeof rx);
	for (i = 0; i < 2000; i++)
		feed(&rx, (uint16_t)i, (uint32_t)i * 160,
		    (uint32_t)i * 160 + (i % 2 ? 40u : 0u) + 5000);
	ok(rtp_rx_jitter(&rx) >= 38 && rtp_rx_jitter(&rx) <= 40,
	    "jitter converges to 40 (got %u)", rtp_rx_jitter(&rx));
	is_int(rtp_rx_lost(&rx), 0, "nothing lost");

	feed(&rx, 2000 + 20000, 0, 0);	/* a jump: not counted until confirmed */
	is_int(rtp_rx_expected(&rx), 2000, "a wild jump is not believed at once");
	feed(&rx, 2000 + 20001, 160, 160);
	is_int(rtp_rx_expected(&rx), 1, "two in sequence after the jump: source restarted");
}

static void
sin4(struct sockaddr_in *s, const char *a, int port)
{
	memset(s, 0, sizeof *s);
	s->sin_family = AF_INET;
	s->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, a, &s->sin_addr);
}

static void
test_latch(void)
{
	struct sockaddr_in sdp, a, b;
	struct rtp_latch l;

	sin4(&sdp, "10.0.0.5", 4000);
	sin4(&a, "203.0.113.9", 31000);
	sin4(&b, "198.51.100.1", 31000);
	ok(rtp_addr_private((struct sockaddr *)&sdp), "10/8 is private");
	ok(!rtp_addr_private((struct sockaddr *)&a), "203.0.113.9 is not");
	rtp_latch_init(&l, (struct sockaddr *)&sdp, sizeof sdp);
	ok(!l.latched, "not latched before a packet");
	ok(rtp_latch_check(&l, (struct sockaddr *)&a, sizeof a), "first packet accepted");
	ok(l.latched && memcmp(&l.addr, &a, sizeof a) == 0, "latched to its source");
	ok(!rtp_latch_check(&l, (struct sockaddr *)&b, sizeof b), "another source dropped");
	a.sin_port = htons(31002);
	ok(!rtp_latch_check(&l, (struct sockaddr *)&a, sizeof a), "another port dropped");
	is_int(l.dropped, 2, "drops counted");
}

static void
test_ports(void)
{
	int fds[2], fds2[2], port = 0, port2 = 0;
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;

	is_int(rtp_open_pair(AF_INET, 41001, 41010, fds, &port), 0, "pair opened");
	ok(port >= 41002 && port <= 41009 && port % 2 == 0, "even port in range (%d)", port);
	getsockname(fds[1], (struct sockaddr *)&sa, &len);
	is_int(ntohs(sa.sin_port), port + 1, "RTCP on the next port");
	is_int(rtp_open_pair(AF_INET, 41001, 41010, fds2, &port2), 0, "second pair opened");
	ok(port2 != port, "a different pair");
	close(fds2[0]);
	close(fds2[1]);
	close(fds[0]);
	close(fds[1]);
	{
		int held[4][2], p[4], i, all = 1;

		for (i = 0; i < 4; i++)
			all &= rtp_open_pair(AF_INET, 41100, 41107, held[i], &p[i]) == 0;
		ok(all, "four pairs fill 41100-41107");
		ok(rtp_open_pair(AF_INET, 41100, 41107, fds, &port) < 0, "a fifth is refused");
		for (i = 0; i < 4; i++) {
			close(held[i][0]);
			close(held[i][1]);
		}
	}
}

static void
test_rtcp(void)
{
	struct rtp_rx rx_a, rx_b;
	struct rtcp_tx tx = { .ssrc = 0xaaaa, .packets = 500, .octets = 80000,
	    .last_ts = 80000, .last_ts_us = 1700000000000000LL, .clock = 8000 };
	struct rtcp_remote rem;
	uint8_t buf[256];
	size_t n;
	int i;

	/* B received 100 of our packets with 10 lost. */
	memset(&rx_b, 0, sizeof rx_b);
	for (i = 0; i < 100; i++)
		if (i % 10 != 3) {
			struct rtp_hdr h = { .seq = (uint16_t)i, .ts = (uint32_t)i * 160,
			    .ssrc = 0xaaaa, .payload_len = 160 };
			rtp_rx_update(&rx_b, &h, (uint32_t)i * 160);
		}
	/* A sends an SR; B reads it, then B's RR carries LSR/DLSR back to A. */
	memset(&rx_a, 0, sizeof rx_a);
	n = rtcp_build(buf, sizeof buf, &tx, &rx_a, "scaidial@test", 1700000000000000LL);
	ok(n > 0 && n % 4 == 0 && buf[1] == 200, "SR built (%zu bytes)", n);
	memset(&rem, 0, sizeof rem);
	is_int(rtcp_parse(buf, n, 0xbbbb, &rx_b, &rem, 1700000000000000LL), 0, "SR parses");
	ok(rx_b.lsr != 0, "SR's NTP time kept for LSR");
	{
		struct rtcp_tx txb = { .ssrc = 0xbbbb };

		n = rtcp_build(buf, sizeof buf, &txb, &rx_b, "peer",
		    1700000000000000LL + 250000);
	}
	ok(n > 0 && buf[1] == 201 && (buf[0] & 0x1f) == 1, "RR with one report block");
	memset(&rem, 0, sizeof rem);
	is_int(rtcp_parse(buf, n, 0xaaaa, &rx_a, &rem, 1700000000000000LL + 300000), 0,
	    "RR parses");
	ok(rem.have, "report about our ssrc found");
	is_int(rem.cumulative_lost, 10, "peer reports 10 lost");
	is_int(rem.fraction_lost, 25, "peer reports fraction 25/256");
	ok(rem.rtt_ms >= 45 && rem.rtt_ms <= 55, "round trip from LSR/DLSR ~50 ms (%d)",
	    rem.rtt_ms);
	buf[3] += 10;
	is_int(rtcp_parse(buf, n, 0xaaaa, &rx_a, &rem, 0), -1, "length past the end refused");
	is_int(rtcp_parse(buf, 3, 0xaaaa, &rx_a, &rem, 0), -1, "truncated packet refused");
	is_int(rtcp_build(buf, 16, &tx, &rx_b, "x", 0), 0, "too small a buffer: nothing built");
	n = rtcp_build(buf, sizeof buf, &tx, &rx_b, "x", 0);
	ok(!rtcp_has_bye(buf, n), "a report alone has no BYE");
	n = rtcp_append_bye(buf, n, sizeof buf, tx.ssrc);
	ok(n > 0 && rtcp_has_bye(buf, n), "BYE appended and found");
	memset(&rem, 0, sizeof rem);
	is_int(rtcp_parse(buf, n, 0xbbbb, &rx_b, &rem, 0), 0, "a compound packet with BYE parses");
	is_int(rtcp_append_bye(buf, n, n + 4, 1), 0, "no room for BYE: nothing appended");
}

int
main(void)
{
	test_parse();
	test_stats();
	test_latch();
	test_ports();
	test_rtcp();
	return tap_done();
}
