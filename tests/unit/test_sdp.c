/* test_sdp: offer/answer against offers as real user agents write them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sdp.h"
#include "tap.h"

static const char sipp_offer[] =
    "v=0\r\n"
    "o=user1 53655765 2353687637 IN IP4 127.0.1.1\r\n"
    "s=-\r\n"
    "c=IN IP4 127.0.1.1\r\n"
    "t=0 0\r\n"
    "m=audio 6000 RTP/AVP 0\r\n"
    "a=rtpmap:0 PCMU/8000\r\n";

static const char baresip_offer[] =
    "v=0\r\n"
    "o=- 1553637346 2148163590 IN IP4 192.168.1.20\r\n"
    "s=-\r\n"
    "c=IN IP4 192.168.1.20\r\n"
    "t=0 0\r\n"
    "m=audio 10966 RTP/SAVP 96 0 8 101\r\n"
    "b=AS:128\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=fmtp:96 stereo=1;sprop-stereo=1\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=sendrecv\r\n"
    "a=label:1\r\n"
    "a=rtcp-rsize\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:ZBBt3ZUYJUdKX2D8yiSfxWcCBIV3kh/59qCelPvO|2^20\r\n"
    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:jK9Lm7TIWvdEg9HxqJx3J89wMI6QN1/2sfpV0vD5\r\n"
    "a=ptime:20\r\n";

/* Asterisk / FreeSWITCH style: several codecs, two telephone-events, an rtcp line, a
 * video stream we must reject, and the connection line at media level. */
static const char fs_offer[] =
    "v=0\r\n"
    "o=FreeSWITCH 1700000000 1700000001 IN IP4 203.0.113.5\r\n"
    "s=FreeSWITCH\r\n"
    "t=0 0\r\n"
    "m=audio 23456 RTP/AVP 9 8 0 102 101 13\r\n"
    "c=IN IP4 203.0.113.5\r\n"
    "a=rtpmap:9 G722/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:102 telephone-event/48000\r\n"
    "a=fmtp:102 0-16\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=rtpmap:13 CN/8000\r\n"
    "a=ptime:20\r\n"
    "a=rtcp:23457 IN IP4 203.0.113.5\r\n"
    "m=video 23458 RTP/AVP 96\r\n"
    "a=rtpmap:96 H264/90000\r\n";

static const char hold_offer[] =
    "v=0\r\n"
    "o=- 1 2 IN IP4 198.51.100.7\r\n"
    "s=-\r\n"
    "c=IN IP4 198.51.100.7\r\n"
    "t=0 0\r\n"
    "m=audio 4000 RTP/AVP 8 101\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=sendonly\r\n";

static const char old_hold_offer[] =
    "v=0\r\no=- 1 3 IN IP4 198.51.100.7\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n"
    "m=audio 4000 RTP/AVP 8\r\n";

static const char v6_mux_offer[] =
    "v=0\no=- 5 5 IN IP6 2001:db8::1\ns=-\nc=IN IP6 2001:db8::1\nt=0 0\n"
    "m=audio 5004 RTP/AVP 0 8\na=rtcp-mux\na=ptime:30\n";

static struct trunk
mk_trunk(enum srtp_mode srtp, int n, ...)
{
	struct trunk t;
	va_list ap;
	int i;

	memset(&t, 0, sizeof t);
	t.id = "carrier";
	t.srtp = srtp;
	va_start(ap, n);
	for (i = 0; i < n; i++)
		t.codecs[i] = (enum codec)va_arg(ap, int);
	va_end(ap);
	t.n_codecs = (size_t)n;
	return t;
}

static unsigned char key[SDP_KEY_LEN];

static struct sdp_local
mk_local(void)
{
	struct sdp_local l = { "192.0.2.10", 30000, 42, 1, key, SDP_SENDRECV };
	return l;
}

static int
has(const char *s, const char *needle)
{
	return s != NULL && strstr(s, needle) != NULL;
}

static void
test_sipp(void)
{
	struct trunk t = mk_trunk(SRTP_OPTIONAL, 2, CODEC_PCMA, CODEC_PCMU);
	struct sdp_local l = mk_local();
	struct sdp_neg n;
	char *a = NULL;

	is_int(sdp_answer(&t, sipp_offer, strlen(sipp_offer), &l, &n, &a), 0, "sipp: answered");
	is_int(n.codec, CODEC_PCMU, "sipp: PCMU, the only common codec");
	is_int(n.pt, 0, "sipp: payload type 0");
	is_int(n.dtmf_pt, -1, "sipp: no telephone-event offered, none answered");
	is_str(n.remote_addr, "127.0.1.1", "sipp: remote address");
	is_int(n.remote_port, 6000, "sipp: remote port");
	is_int(n.remote_rtcp_port, 6001, "sipp: RTCP on port + 1");
	ok(!n.srtp, "sipp: plain RTP under srtp optional");
	is_int(n.dir, SDP_SENDRECV, "sipp: sendrecv");
	ok(has(a, "m=audio 30000 RTP/AVP 0\r\n"), "sipp: answer m= line");
	ok(has(a, "c=IN IP4 192.0.2.10\r\n"), "sipp: answer carries our address");
	ok(has(a, "a=rtcp:30001\r\n") && has(a, "a=ptime:20\r\n") && has(a, "a=sendrecv\r\n"),
	    "sipp: rtcp, ptime, direction");
	ok(!has(a, "crypto"), "sipp: no crypto in a plain answer");
	free(a);
}

static void
test_baresip(void)
{
	struct trunk t = mk_trunk(SRTP_REQUIRED, 3, CODEC_OPUS, CODEC_PCMU, CODEC_PCMA);
	struct sdp_local l = mk_local();
	unsigned char want[SDP_KEY_LEN];
	struct sdp_neg n;
	char *a = NULL, b64[41];

	is_int(sdp_answer(&t, baresip_offer, strlen(baresip_offer), &l, &n, &a), 0,
	    "baresip: answered");
	is_int(n.codec, CODEC_OPUS, "baresip: opus first in the trunk's list");
	is_int(n.pt, 96, "baresip: the offer's dynamic payload type");
	is_int(n.clock, 48000, "baresip: opus clock 48000");
	is_int(n.dtmf_pt, 101, "baresip: telephone-event kept (only 8000 offered)");
	ok(n.srtp, "baresip: SRTP");
	is_int(n.remote.tag, 1, "baresip: first crypto line (lifetime accepted)");
	is_int(n.remote.suite, SDP_SUITE_AES_CM_128_HMAC_SHA1_32, "baresip: _32 suite");
	sdp_base64_decode("ZBBt3ZUYJUdKX2D8yiSfxWcCBIV3kh/59qCelPvO", 40, want, sizeof want);
	ok(memcmp(n.remote.key, want, SDP_KEY_LEN) == 0, "baresip: remote key decoded");
	ok(memcmp(n.local.key, key, SDP_KEY_LEN) == 0, "baresip: our key is the caller's");
	sdp_base64_encode(key, SDP_KEY_LEN, b64);
	ok(has(a, "a=crypto:1 AES_CM_128_HMAC_SHA1_32 inline:") && has(a, b64),
	    "baresip: answer a=crypto with the same tag and suite and our key");
	ok(has(a, "m=audio 30000 RTP/SAVP 96 101\r\n"), "baresip: SAVP m= line");
	ok(has(a, "a=rtpmap:96 opus/48000/2\r\n"), "baresip: opus rtpmap");
	ok(has(a, "a=rtpmap:101 telephone-event/8000\r\n"),
	    "baresip: telephone-event answered at the rate offered, not opus's");
	is_int(n.dtmf_clock, 8000, "baresip: DTMF durations count at 8000");
	free(a);

	{
		static const char mono[] = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
		    "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/AVP 107 8\r\n"
		    "a=rtpmap:107 OPUS/48000\r\n";

		t = mk_trunk(SRTP_OFF, 2, CODEC_OPUS, CODEC_PCMA);
		is_int(sdp_answer(&t, mono, strlen(mono), &l, &n, &a), 0, "opus without /2: answered");
		ok(n.codec == CODEC_OPUS && n.pt == 107 && has(a, "a=rtpmap:107 opus/48000/2\r\n"),
		    "opus without /2 (and in capitals) is opus");
		free(a);
	}
	t = mk_trunk(SRTP_OFF, 1, CODEC_PCMU);
	a = NULL;
	is_int(sdp_answer(&t, baresip_offer, strlen(baresip_offer), &l, &n, &a), 488,
	    "baresip: SAVP offer to a trunk with srtp off -> 488");
	ok(a == NULL, "baresip: no answer text on error");
	t = mk_trunk(SRTP_OPTIONAL, 1, CODEC_G722);
	is_int(sdp_answer(&t, baresip_offer, strlen(baresip_offer), &l, &n, &a), 488,
	    "baresip: no common codec -> 488");
	{
		/* Suites we do not do, and an MKI we would not honour: nothing usable. */
		static const char unusable[] = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
		    "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 7000 RTP/SAVP 0\r\n"
		    "a=crypto:1 AEAD_AES_256_GCM inline:ZBBt3ZUYJUdKX2D8yiSfxWcCBIV3kh/59qCelPvO\r\n"
		    "a=crypto:2 AES_CM_128_HMAC_SHA1_80 "
		    "inline:ZBBt3ZUYJUdKX2D8yiSfxWcCBIV3kh/59qCelPvO|2^20|1:4\r\n"
		    "a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:c2hvcnQ=\r\n";
		struct sdp_desc d;

		t = mk_trunk(SRTP_OPTIONAL, 1, CODEC_PCMU);
		is_int(sdp_parse(unusable, strlen(unusable), &d), 0, "unusable crypto: parses");
		is_int(d.n_crypto, 0, "unusable crypto: GCM, MKI and a short key all skipped");
		is_int(sdp_answer(&t, unusable, strlen(unusable), &l, &n, &a), 488,
		    "unusable crypto on RTP/SAVP -> 488");
	}
}

static void
test_fs(void)
{
	struct trunk t = mk_trunk(SRTP_OFF, 3, CODEC_PCMU, CODEC_G722, CODEC_PCMA);
	struct sdp_local l = mk_local();
	struct sdp_desc d;
	struct sdp_neg n;
	char *a = NULL;

	is_int(sdp_parse(fs_offer, strlen(fs_offer), &d), 0, "freeswitch: parses");
	is_int(d.n_fmts, 6, "freeswitch: six formats");
	is_int(d.n_media, 2, "freeswitch: two m= lines");
	is_int(d.rtcp_port, 23457, "freeswitch: a=rtcp port");
	is_str(d.rtcp_addr, "203.0.113.5", "freeswitch: a=rtcp address");
	is_int(sdp_answer(&t, fs_offer, strlen(fs_offer), &l, &n, &a), 0, "freeswitch: answered");
	is_int(n.codec, CODEC_PCMU,
	    "freeswitch: the trunk's first choice wins over the offer's order");
	is_int(n.dtmf_pt, 101, "freeswitch: telephone-event at the codec's 8000 clock");
	is_str(n.remote_addr, "203.0.113.5", "freeswitch: media-level c=");
	ok(has(a, "m=audio 30000 RTP/AVP 0 101\r\n"), "freeswitch: audio answered");
	ok(has(a, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"),
	    "freeswitch: telephone-event answered");
	ok(has(a, "m=video 0 RTP/AVP 96\r\n"), "freeswitch: video rejected with port 0");
	ok(strstr(a, "m=audio") < strstr(a, "m=video"), "freeswitch: m= lines keep their order");
	free(a);

	t = mk_trunk(SRTP_OFF, 2, CODEC_G722, CODEC_PCMU);
	is_int(sdp_answer(&t, fs_offer, strlen(fs_offer), &l, &n, &a), 0, "freeswitch: G.722");
	is_int(n.codec, CODEC_G722, "freeswitch: G722 chosen");
	is_int(n.pt, 9, "freeswitch: G722 pt 9, clock 8000");
	free(a);
	t = mk_trunk(SRTP_REQUIRED, 1, CODEC_PCMU);
	is_int(sdp_answer(&t, fs_offer, strlen(fs_offer), &l, &n, &a), 488,
	    "freeswitch: srtp required, plain offer -> 488");
}

static void
test_hold(void)
{
	struct trunk t = mk_trunk(SRTP_OPTIONAL, 2, CODEC_PCMU, CODEC_PCMA);
	struct sdp_local l = mk_local();
	struct sdp_neg n;
	char *a = NULL;

	is_int(sdp_answer(&t, hold_offer, strlen(hold_offer), &l, &n, &a), 0, "hold: answered");
	is_int(n.codec, CODEC_PCMA, "hold: PCMA by its static payload type alone");
	is_int(n.dir, SDP_RECVONLY, "hold: sendonly offer -> we only receive");
	ok(has(a, "a=recvonly\r\n"), "hold: answer says recvonly");
	free(a);
	is_int(sdp_answer(&t, old_hold_offer, strlen(old_hold_offer), &l, &n, &a), 0,
	    "old hold: answered");
	is_int(n.dir, SDP_RECVONLY, "old hold: c=0.0.0.0 -> we do not send");
	free(a);
	is_int(sdp_answer(&t, v6_mux_offer, strlen(v6_mux_offer), &l, &n, &a), 0,
	    "ipv6+mux: answered (bare LF line ends)");
	ok(n.rtcp_mux && n.remote_rtcp_port == 5004, "ipv6+mux: RTCP muxed on the RTP port");
	is_int(n.remote_family, AF_INET6, "ipv6+mux: IPv6");
	is_int(n.ptime, 30, "ipv6+mux: the peer's ptime recorded");
	ok(has(a, "a=rtcp-mux\r\n"), "ipv6+mux: answer keeps rtcp-mux");
	free(a);
}

static void
test_garbage(void)
{
	static const char *const bad[] = {
		"",
		"hello world",
		"v=1\r\no=- 1 1 IN IP4 1.2.3.4\r\n",
		"v=0\r\nm=audio 1 RTP/AVP 0\r\nc=IN IP4 1.2.3.4\r\n",	/* no o= */
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 999.1.1.1\r\nm=audio 1 RTP/AVP 0\r\n",
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 0\r\n",	/* no c= */
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 70000 RTP/AVP 0\r\n",
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nm=audio 1 RTP/AVP 300\r\n",
		"v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\nc=IN IP4 1.2.3.4\r\nBAD LINE\r\n",
	};
	struct trunk t = mk_trunk(SRTP_OPTIONAL, 1, CODEC_PCMU);
	struct sdp_local l = mk_local();
	struct sdp_neg n;
	static const char novideo[] = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\n"
	    "c=IN IP4 1.2.3.4\r\nm=video 5 RTP/AVP 96\r\n";
	char *a = NULL, big[3000];
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		is_int(sdp_answer(&t, bad[i], strlen(bad[i]), &l, &n, &a), 400,
		    "garbage %zu -> 400", i);
	is_int(sdp_answer(&t, novideo, strlen(novideo), &l, &n, &a), 488,
	    "no audio stream -> 488");
	memset(big, 'a', sizeof big);
	memcpy(big, "v=0\r\na=", 7);
	is_int(sdp_answer(&t, big, sizeof big, &l, &n, &a), 400, "an over-long line -> 400");
	is_int(sdp_answer(&t, sipp_offer, 20, &l, &n, &a), 400, "a truncated offer -> 400");
	ok(a == NULL, "no answer text from garbage");
}

static void
test_offer_accept(void)
{
	struct trunk t = mk_trunk(SRTP_OPTIONAL, 3, CODEC_OPUS, CODEC_G722, CODEC_PCMU);
	struct sdp_local l = mk_local();
	struct sdp_local peer = { "198.51.100.9", 40000, 7, 1, NULL, SDP_SENDRECV };
	unsigned char peer_key[SDP_KEY_LEN];
	struct trunk tp = mk_trunk(SRTP_OPTIONAL, 2, CODEC_G722, CODEC_PCMU);
	struct sdp_neg n_peer, n;
	char *offer, *answer = NULL;

	offer = sdp_offer(&t, &l);
	ok(has(offer, "m=audio 30000 RTP/AVP 111 9 0 101\r\n"), "offer: codecs in trunk order");
	ok(has(offer, "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") &&
	    has(offer, "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"),
	    "offer: both SDES suites under srtp optional");
	/* A second instance of our own code answers it: a round trip through both halves. */
	memset(peer_key, 0x5a, sizeof peer_key);
	peer.key = peer_key;
	is_int(sdp_answer(&tp, offer, strlen(offer), &peer, &n_peer, &answer), 0,
	    "offer: answerable");
	is_int(n_peer.codec, CODEC_G722, "offer: the answerer's preference wins at its end");
	is_int(sdp_accept(&t, &l, answer, strlen(answer), &n), 0, "accept: answer accepted");
	is_int(n.codec, CODEC_G722, "accept: G722 in the answer");
	is_int(n.dtmf_pt, 101, "accept: telephone-event");
	ok(n.srtp && n.local.tag == 1 && memcmp(n.remote.key, peer_key, SDP_KEY_LEN) == 0,
	    "accept: SRTP with the answerer's key, tag 1");
	is_int(n.remote_port, 40000, "accept: remote port");
	free(answer);
	free(offer);

	t = mk_trunk(SRTP_REQUIRED, 1, CODEC_PCMU);
	offer = sdp_offer(&t, &l);
	ok(has(offer, "RTP/SAVP"), "offer: srtp required offers RTP/SAVP");
	free(offer);
	is_int(sdp_accept(&t, &l, sipp_offer, strlen(sipp_offer), &n), 488,
	    "accept: a plain answer under srtp required -> 488");
}

static void
test_base64(void)
{
	unsigned char out[8];
	char enc[16];

	sdp_base64_encode((const unsigned char *)"foob", 4, enc);
	is_str(enc, "Zm9vYg==", "base64 encode with padding");
	is_int(sdp_base64_decode("Zm9vYmE=", 8, out, sizeof out), 5, "base64 decode length");
	ok(memcmp(out, "fooba", 5) == 0, "base64 decode content");
	is_int(sdp_base64_decode("Zm9v*mE=", 8, out, sizeof out), -1, "base64 rejects junk");
	is_int(sdp_base64_decode("Zm9vYmFyYmF6", 12, out, 4), -1, "base64 bounded by max");
}

int
main(void)
{
	memset(key, 0xa5, sizeof key);
	test_sipp();
	test_baresip();
	test_fs();
	test_hold();
	test_garbage();
	test_offer_accept();
	test_base64();
	return tap_done();
}
