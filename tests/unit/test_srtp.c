/* test_srtp: SRTP/SRTCP round trips with keys that travelled through our own SDP offer and
 * answer (a=crypto inline base64), both suites, and what must be refused. */
#include <string.h>

#include "rtcp.h"
#include "rtp.h"
#include "sdp.h"
#include "srtp.h"
#include "tap.h"

static struct trunk
mk_trunk(enum srtp_mode m)
{
	struct trunk t;

	memset(&t, 0, sizeof t);
	t.id = "t";
	t.srtp = m;
	t.codecs[0] = CODEC_PCMU;
	t.n_codecs = 1;
	return t;
}

/* Offer from A, answer from B, both sides' negotiation results. suite_line picks which
 * of our two offered suites B takes (by dropping the other line from the offer). */
static int
negotiate(int want32, struct sdp_neg *na, struct sdp_neg *nb)
{
	unsigned char ka[SDP_KEY_LEN], kb[SDP_KEY_LEN];
	struct trunk t = mk_trunk(SRTP_REQUIRED);
	struct sdp_local la = { "127.0.0.1", 20000, 1, 1, ka, SDP_SENDRECV };
	struct sdp_local lb = { "127.0.0.1", 20002, 2, 1, kb, SDP_SENDRECV };
	char *offer, *answer = NULL, *drop;
	int r;
	size_t i;

	for (i = 0; i < SDP_KEY_LEN; i++) {
		ka[i] = (unsigned char)(i * 7 + 1);
		kb[i] = (unsigned char)(i * 13 + 5);
	}
	offer = sdp_offer(&t, &la);
	drop = strstr(offer, want32 ? "a=crypto:1 " : "a=crypto:2 ");
	if (drop != NULL)
		drop[2] = 'x';	/* "a=xrypto": an attribute B ignores */
	r = sdp_answer(&t, offer, strlen(offer), &lb, nb, &answer);
	if (r == 0)
		r = sdp_accept(&t, &la, answer, strlen(answer), na);
	free(offer);
	free(answer);
	return r;
}

static void
round_trip(int want32)
{
	const char *name = want32 ? "_32" : "_80";
	struct sdp_neg na, nb;
	struct srtp_sess *a, *b, *wrong;
	unsigned char pkt[RTP_HDR_LEN + 160 + SRTP_SESS_TRAILER], orig[RTP_HDR_LEN + 160];
	unsigned char saved[sizeof pkt];
	int len, i, savedlen;

	is_int(negotiate(want32, &na, &nb), 0, "%s: offer/answer with SDES", name);
	is_int(na.local.suite, want32 ? SDP_SUITE_AES_CM_128_HMAC_SHA1_32 :
	    SDP_SUITE_AES_CM_128_HMAC_SHA1_80, "%s: suite agreed", name);
	ok(memcmp(na.local.key, nb.remote.key, SDP_KEY_LEN) == 0 &&
	    memcmp(nb.local.key, na.remote.key, SDP_KEY_LEN) == 0,
	    "%s: each side's key reached the other through base64", name);
	a = srtp_sess_new(&na.local, &na.remote);
	b = srtp_sess_new(&nb.local, &nb.remote);
	ok(a != NULL && b != NULL, "%s: contexts created", name);
	if (a == NULL || b == NULL)
		return;

	rtp_write_hdr(orig, false, 0, 1000, 160000, 0x11223344);
	for (i = 0; i < 160; i++)
		orig[RTP_HDR_LEN + i] = (unsigned char)(i * 3);
	memcpy(pkt, orig, sizeof orig);
	len = (int)sizeof orig;
	is_int(srtp_sess_protect(a, pkt, &len), 0, "%s: protect", name);
	is_int(len, (int)sizeof orig + (want32 ? 4 : 10), "%s: auth tag length", name);
	ok(memcmp(pkt + RTP_HDR_LEN, orig + RTP_HDR_LEN, 160) != 0, "%s: payload encrypted", name);
	memcpy(saved, pkt, (size_t)len);
	savedlen = len;
	is_int(srtp_sess_unprotect(b, pkt, &len), 0, "%s: unprotect", name);
	ok(len == (int)sizeof orig && memcmp(pkt, orig, sizeof orig) == 0,
	    "%s: the peer gets the original packet back", name);
	memcpy(pkt, saved, (size_t)savedlen);
	len = savedlen;
	is_int(srtp_sess_unprotect(b, pkt, &len), -1, "%s: a replay is refused", name);

	/* A tampered packet and a wrong key. */
	rtp_write_hdr(orig, false, 0, 1001, 160160, 0x11223344);
	memcpy(pkt, orig, sizeof orig);
	len = (int)sizeof orig;
	srtp_sess_protect(a, pkt, &len);
	memcpy(saved, pkt, (size_t)len);
	savedlen = len;
	pkt[RTP_HDR_LEN + 5] ^= 1;
	is_int(srtp_sess_unprotect(b, pkt, &len), -1, "%s: a flipped bit fails auth", name);
	wrong = srtp_sess_new(&nb.local, &nb.local);
	memcpy(pkt, saved, (size_t)savedlen);
	len = savedlen;
	is_int(srtp_sess_unprotect(wrong, pkt, &len), -1, "%s: the wrong key fails auth", name);
	srtp_sess_free(wrong);
	memcpy(pkt, saved, (size_t)savedlen);
	len = savedlen;
	is_int(srtp_sess_unprotect(b, pkt, &len), 0, "%s: the untampered copy still passes", name);

	/* SRTCP: an RR from B to A. */
	{
		struct rtcp_tx tx = { .ssrc = 0x55667788 };
		struct rtp_rx rx = { 0 };
		unsigned char r[256 + SRTP_SESS_TRAILER], r0[256];
		int n = (int)rtcp_build(r, 256, &tx, &rx, "b@test", 0);

		memcpy(r0, r, (size_t)n);
		len = n;
		is_int(srtp_sess_protect_rtcp(b, r, &len), 0, "%s: protect RTCP", name);
		is_int(len, n + 4 + 10, "%s: SRTCP index + 80-bit tag", name);
		is_int(srtp_sess_unprotect_rtcp(a, r, &len), 0, "%s: unprotect RTCP", name);
		ok(len == n && memcmp(r, r0, (size_t)n) == 0, "%s: RTCP round trip", name);
	}
	srtp_sess_free(a);
	srtp_sess_free(b);
}

int
main(void)
{
	struct sdp_crypto bad = { 1, SDP_SUITE_NONE, { 0 } };

	round_trip(0);
	round_trip(1);
	ok(srtp_sess_new(&bad, &bad) == NULL, "an unknown suite is refused");
	return tap_done();
}
