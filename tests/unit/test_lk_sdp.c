/* test_lk_sdp: our offers, LiveKit-style answers and trickle candidates; the /rtc/v1
 * query encoding. */
#include <glib.h>

#include "lk_sdp.h"
#include "lk_signal.h"
#include "tap.h"

/* An answer shaped like pion's (livekit-server v1.13.5) to a two-m-line offer. */
static const char answer[] =
    "v=0\r\no=- 123 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
    "a=fingerprint:sha-256 0A:1B:2C\r\na=group:BUNDLE 0 1\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=setup:active\r\na=mid:0\r\na=ice-ufrag:srvU\r\na=ice-pwd:srvPassword\r\n"
    "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    "a=rtcp-fb:111 nack\r\na=rtcp-fb:111 transport-cc\r\n"
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=recvonly\r\n"
    "a=candidate:1 1 udp 2130706431 127.0.0.1 7882 typ host\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111 63\r\nc=IN IP4 0.0.0.0\r\n"
    "a=mid:1\r\na=rtpmap:63 red/48000/2\r\na=rtpmap:111 OPUS/48000/2\r\n"
    "a=rtcp-fb:111 nack pli\r\na=rtcp-fb:63 nack\r\n"
    "a=extmap:2/sendonly urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
    "a=ssrc:3000000001 cname:x\r\na=ssrc:3000000001 msid:PA_x|TR_y TR_y\r\na=sendonly\r\n"
    "m=audio 0 UDP/TLS/RTP/SAVPF 0\r\na=mid:2\r\n";

static int ncand;
static char lastcand[256], lastmid[32];

static void
cand(void *arg, const char *mid, const char *c)
{
	(void)arg;
	ncand++;
	g_strlcpy(lastcand, c, sizeof lastcand);
	g_strlcpy(lastmid, mid, sizeof lastmid);
}

int
main(void)
{
	struct lk_sdp_offer o = { .ufrag = "ufragA", .pwd = "pwdA", .fingerprint = "AA:BB",
	    .session_id = 42, .version = 3, .nmedia = 2, .ssrc = 12345, .stream_id = "st",
	    .track_id = "TA_1", .cname = "cn" };
	struct lk_sdp_answer a;
	char c[256], mid[16], *s, *j;
	Lk__JoinRequest jr = LK__JOIN_REQUEST__INIT;
	Lk__ClientInfo ci = LK__CLIENT_INFO__INIT;

	s = lk_sdp_write_offer(&o);
	ok(strstr(s, "a=group:BUNDLE 0 1\r\n") != NULL, "offer bundles both m-lines");
	ok(strstr(s, "a=mid:0\r\n") && strstr(s, "a=mid:1\r\n"), "mids 0 and 1");
	ok(strstr(s, "a=sendonly\r\na=msid:st TA_1\r\n") != NULL, "first m-line sends, msid track = cid");
	ok(strstr(s, "a=ssrc:12345 msid:st TA_1\r\n") != NULL, "ssrc msid line");
	ok(strstr(s, "a=recvonly\r\n") != NULL, "second m-line receives");
	ok(strstr(s, "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtcp-fb:111 nack\r\n") != NULL,
	    "we offer generic NACK for Opus");
	ok(strstr(s, "a=setup:actpass\r\n") && strstr(s, "a=fingerprint:sha-256 AA:BB\r\n"),
	    "actpass with our fingerprint");
	ok(strstr(s, "m=application") == NULL, "no data channels unless asked");
	g_free(s);

	o.data = 1;
	s = lk_sdp_write_offer(&o);
	ok(strstr(s, "a=group:BUNDLE 0 1 2\r\n") != NULL, "with data: three m-lines bundled");
	ok(strstr(s, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n") != NULL &&
	    strstr(s, "a=mid:1\r\na=sctp-port:5000\r\n") != NULL, "m=application is mid 1");
	ok(strstr(s, "a=mid:2\r\n") != NULL && strstr(s, "a=recvonly") > strstr(s, "m=application"),
	    "the receiving audio moves to mid 2");
	g_free(s);
	o.nmedia = 1;
	s = lk_sdp_write_offer(&o);
	ok(strstr(s, "a=group:BUNDLE 0 1\r\n") != NULL && strstr(s, "m=application") != NULL,
	    "with data and one audio m-line: the application m-line still comes");
	g_free(s);

	is_int(lk_sdp_parse_answer(answer, &a, cand, NULL), 0, "answer parses");
	is_str(a.ufrag, "srvU", "ice-ufrag");
	is_str(a.pwd, "srvPassword", "ice-pwd");
	is_str(a.fingerprint, "0A:1B:2C", "fingerprint");
	is_str(a.setup, "active", "setup");
	is_int(a.nmedia, 3, "three m-lines");
	is_int(a.media[0].opus_pt, 111, "opus pt");
	is_int(a.media[0].ext_audio_level, 1, "audio level ext id");
	ok(lk_sdp_has_nack(&a.media[0], 111), "a=rtcp-fb:111 nack: NACK for Opus");
	ok(!lk_sdp_has_nack(&a.media[0], 63) && !lk_sdp_has_nack(&a.media[0], -1),
	    "not for another payload type");
	ok(!lk_sdp_has_nack(&a.media[1], 111), "\"nack pli\" is not generic NACK");
	ok(lk_sdp_has_nack(&a.media[1], 63), "per payload type");
	is_int(a.media[1].opus_pt, 111, "opus pt found after red, case-insensitive");
	is_int(a.media[1].ext_mid, 2, "mid ext id with direction");
	is_int(a.media[1].nssrc, 1, "one ssrc, listed once");
	ok(a.media[1].ssrc[0] == 3000000001u, "ssrc above 2^31");
	is_int(a.media[1].dir, LK_SDP_SENDONLY, "direction");
	is_int(a.media[2].rejected, 1, "port 0 is rejected");
	is_int(ncand, 1, "one candidate");
	is_str(lastcand, "candidate:1 1 udp 2130706431 127.0.0.1 7882 typ host", "candidate text");
	is_str(lastmid, "0", "candidate mid");
	is_int(lk_sdp_parse_answer("v=0\r\nm=audio 9 X 111\r\n", &a, NULL, NULL), -1,
	    "no credentials: refused");

	is_int(lk_sdp_trickle_parse("{\"candidate\":\"candidate:2 1 udp 1 127.0.0.1 7882 typ host\","
	    "\"sdpMid\":\"0\",\"sdpMLineIndex\":0,\"usernameFragment\":null}", c, sizeof c, mid,
	    sizeof mid), 0, "trickle parses");
	is_str(c, "candidate:2 1 udp 1 127.0.0.1 7882 typ host", "trickle candidate");
	is_str(mid, "0", "trickle mid");
	is_int(lk_sdp_trickle_parse("{\"x\":\"candidate\", \"candidate\" : \"a\\\"b\\u0041\"}", c,
	    sizeof c, mid, sizeof mid), 0, "escapes and a key-like value");
	is_str(c, "a\"bA", "unescaped");
	is_int(lk_sdp_trickle_parse("{\"candidate\":\"\"}", c, sizeof c, mid, sizeof mid), -1,
	    "empty candidate (end of candidates) is not a candidate");
	is_int(lk_sdp_trickle_parse("{\"candidate\":\"abc", c, sizeof c, mid, sizeof mid), -1,
	    "unterminated");
	j = lk_sdp_trickle_json("candidate:1 1 udp 5 10.0.0.1 9 typ host", "0", 0, "uf");
	is_str(j, "{\"candidate\":\"candidate:1 1 udp 5 10.0.0.1 9 typ host\",\"sdpMid\":\"0\","
	    "\"sdpMLineIndex\":0,\"usernameFragment\":\"uf\"}", "trickle json");
	g_free(j);

	s = lk_signal_base_url("wss://lk.example.com/");
	is_str(s, "https://lk.example.com", "wss -> https, slash dropped");
	g_free(s);
	ok(lk_signal_base_url("ftp://x") == NULL, "other schemes refused");
	ci.version = "1";
	ci.protocol = 17;
	jr.client_info = &ci;
	s = lk_signal_query_v1("tok", &jr);
	/* WrappedJoinRequest{join_request: JoinRequest{client_info{version "1", protocol 17}}}
	 * = 12 07 0a 05 12 01 31 18 11 -> base64url "EgcKBRIBMRgR" (no padding needed) */
	is_str(s, "access_token=tok&join_request=EgcKBRIBMRgR", "v1 query");
	g_free(s);
	ci.version = "12";
	s = lk_signal_query_v1("tok", &jr);
	is_str(s, "access_token=tok&join_request=EggKBhICMTIYEQ%3D%3D", "padding kept, escaped");
	g_free(s);
	return tap_done();
}
