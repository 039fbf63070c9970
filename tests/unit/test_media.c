/* test_media: the media engine end to end on 127.0.0.1 (and ::1). The test plays the
 * carrier: it writes an SDP offer for its own UDP socket, creates a session through the API
 * the SIP layer uses, and sends real RTP (a 1000 Hz tone, RFC 4733 digits, SRTP) to the
 * answered port from the control loop's timers; what the engine recorded is read back from
 * the WAV and measured (dominant frequency, duration), what it sent is decoded and measured
 * too. */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "buf.h"
#include "codec.h"
#include "dtmf.h"
#include "loop.h"
#include "rtcp.h"
#include "media.h"
#include "rtp.h"
#include "sdp.h"
#include "srtp.h"
#include "tap.h"
#include "tone.h"
#include "wav.h"
#include "xmalloc.h"

struct peer {
	int		 fd, foreign_fd;
	int		 port;
	int		 family;
	struct sockaddr_storage to;
	socklen_t	 tolen;
	enum codec	 codec;
	int		 pt, dtmf_pt;
	struct codec_ctx *cx, *dec;
	uint16_t	 seq;
	uint32_t	 ts, ssrc;
	size_t		 phase, fphase;
	double		 freq;
	int		 frames;		/* tone frames to send */
	int		 sent;
	char		 digit_after;		/* an RFC 4733 digit after the tone */
	struct dtmf_tx	 dtx;
	bool		 garbage;		/* interleave junk and a foreign source */
	bool		 swap;			/* send frames in swapped pairs */
	int		 drop;			/* a frame never sent (0 = none) */
	uint8_t		 held[RTP_HDR_LEN + CODEC_MAX_PAYLOAD + SRTP_SESS_TRAILER];
	int		 held_len;
	struct srtp_sess *srtp;
	/* what the engine sent us */
	int		 rx_packets, rx_from_port, rx_auth_failed;
	int16_t		*heard;
	size_t		 heard_n, heard_max;
	int		 te_packets, te_ends, te_event;
	struct rtp_rx	 prx;			/* our statistics of the engine's stream */
	int		 sr_seen;
	uint32_t	 sr_packets;		/* the engine's SR: packets it says it sent */
	int		 rx_at_sr;		/* what we had received when it came */
	bool		 answer_rtcp;		/* reply to an SR with an RR */
	int		 byes;			/* RTCP BYEs received */
	/* the session's events */
	struct media_session *ms;
	bool		 rec_done, play_done, timeout;
	int		 play_status;
	enum media_record_end rec_reason;
	int64_t		 rec_ms;
	char		 digits[16];
	int		 n_digits;
	/* when to stop */
	int		 want;			/* 1 rec, 2 play, 3 timeout, 4 te ends, 0 time */
	int64_t		 deadline;
	struct loop_timer *timer;
};

static struct config cfg;
static char tmpdir[64];

static void
on_event(struct media_session *ms, const struct media_event *ev, void *arg)
{
	struct peer *p = arg;

	(void)ms;
	switch (ev->type) {
	case MEDIA_EV_DTMF:
		if (p->n_digits < 15)
			p->digits[p->n_digits++] = ev->digit;
		break;
	case MEDIA_EV_PLAY_DONE:
		p->play_done = true;
		p->play_status = ev->status;
		break;
	case MEDIA_EV_RECORD_DONE:
		p->rec_done = true;
		p->rec_reason = ev->reason;
		p->rec_ms = ev->duration_ms;
		break;
	case MEDIA_EV_RTP_TIMEOUT:
		p->timeout = true;
		break;
	}
}

static int
port_of(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? ntohs(((const struct sockaddr_in6 *)ss)->sin6_port) :
	    ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static void
peer_send(struct peer *p, int fd, uint8_t *buf, int len)
{
	if (p->srtp != NULL)
		srtp_sess_protect(p->srtp, buf, &len);
	sendto(fd, buf, (size_t)len, 0, (struct sockaddr *)&p->to, p->tolen);
}

static void
peer_junk(struct peer *p)
{
	uint8_t b[200];
	int i;

	for (i = 0; i < 200; i++)
		b[i] = (uint8_t)(rand() & 0xff);
	sendto(p->fd, b, (size_t)(rand() % 200), 0, (struct sockaddr *)&p->to, p->tolen);
	rtp_write_hdr(b, false, (uint8_t)p->pt, p->seq, p->ts, p->ssrc);
	sendto(p->fd, b, 5, 0, (struct sockaddr *)&p->to, p->tolen);	/* truncated */
	b[0] = 0xa0;
	b[40] = 250;	/* padding longer than the packet */
	sendto(p->fd, b, 41, 0, (struct sockaddr *)&p->to, p->tolen);
	rtp_write_hdr(b, false, 99, p->seq, p->ts, p->ssrc);	/* unknown payload type */
	sendto(p->fd, b, 172, 0, (struct sockaddr *)&p->to, p->tolen);
	b[0] = 0x8f;	/* 15 CSRCs in a short packet */
	sendto(p->fd, b, 40, 0, (struct sockaddr *)&p->to, p->tolen);
}

/* The foreign source sends a valid packet of a 400 Hz tone: must never be recorded. */
static void
peer_foreign(struct peer *p)
{
	uint8_t b[RTP_HDR_LEN + CODEC_MAX_PAYLOAD + 64];
	int16_t pcm[960];
	int n = codec_frame_samples(p->codec), len;

	tone_fill(pcm, (size_t)n, 400, codec_rate(p->codec), 0.5, &p->fphase);
	rtp_write_hdr(b, false, (uint8_t)p->pt, p->seq, p->ts, p->ssrc);
	len = codec_encode(p->dec, pcm, b + RTP_HDR_LEN, CODEC_MAX_PAYLOAD);
	sendto(p->foreign_fd, b, (size_t)(RTP_HDR_LEN + len), 0, (struct sockaddr *)&p->to,
	    p->tolen);
}

static void
peer_tx(struct peer *p)
{
	uint8_t b[RTP_HDR_LEN + CODEC_MAX_PAYLOAD + SRTP_SESS_TRAILER];
	int16_t pcm[960];
	int n = codec_frame_samples(p->codec), len;
	uint32_t step = (uint32_t)codec_clock(p->codec) / 50;

	if (p->sent < p->frames) {
		tone_fill(pcm, (size_t)n, p->freq, codec_rate(p->codec), 0.3, &p->phase);
		rtp_write_hdr(b, p->sent == 0, (uint8_t)p->pt, p->seq++, p->ts, p->ssrc);
		len = codec_encode(p->cx, pcm, b + RTP_HDR_LEN, CODEC_MAX_PAYLOAD);
		if (p->swap && p->sent % 2 == 0 && p->sent + 1 < p->frames) {
			memcpy(p->held, b, (size_t)(RTP_HDR_LEN + len));
			p->held_len = RTP_HDR_LEN + len;
		} else if (p->drop == 0 || p->sent != p->drop) {
			peer_send(p, p->fd, b, RTP_HDR_LEN + len);
		}
		if (p->held_len > 0 && p->sent % 2 == 1) {
			peer_send(p, p->fd, p->held, p->held_len);
			p->held_len = 0;
		}
		if (p->garbage && p->sent % 5 == 2) {
			peer_junk(p);
			peer_foreign(p);
		}
		p->sent++;
		p->ts += step;
		if (p->sent == p->frames && p->digit_after)
			dtmf_tx_start(&p->dtx, p->digit_after, p->ts, codec_clock(p->codec), 100);
	} else if (p->dtx.active) {
		uint8_t ev[4];
		bool marker;
		uint32_t ets;

		dtmf_tx_next(&p->dtx, ev, &marker, &ets);
		rtp_write_hdr(b, marker, (uint8_t)p->dtmf_pt, p->seq++, ets, p->ssrc);
		memcpy(b + RTP_HDR_LEN, ev, 4);
		peer_send(p, p->fd, b, RTP_HDR_LEN + 4);
		p->ts += step;
	}
}

static void
peer_rx(struct peer *p)
{
	uint8_t b[2048];
	struct sockaddr_storage src;
	struct rtp_hdr h;

	for (;;) {
		socklen_t sl = sizeof src;
		int len = (int)recvfrom(p->fd, b, sizeof b, MSG_DONTWAIT, (struct sockaddr *)&src,
		    &sl);

		if (len < 0)
			break;
		if (len >= 2 && b[1] >= 200 && b[1] <= 204) {	/* RTCP (muxed) */
			struct rtcp_remote rem;
			int64_t now = loop_now_ms() * 1000;

			if (p->srtp == NULL && rtcp_has_bye(b, (size_t)len))
				p->byes++;
			if (p->srtp != NULL || b[1] != 200)
				continue;
			memset(&rem, 0, sizeof rem);
			if (rtcp_parse(b, (size_t)len, p->ssrc, &p->prx, &rem, now) < 0)
				continue;
			p->sr_seen++;
			p->sr_packets = (uint32_t)b[20] << 24 | (uint32_t)b[21] << 16 |
			    (uint32_t)b[22] << 8 | b[23];
			p->rx_at_sr = p->rx_packets;
			if (p->answer_rtcp) {
				struct rtcp_tx tx = { .ssrc = p->ssrc };
				uint8_t rr[256];
				size_t n = rtcp_build(rr, sizeof rr, &tx, &p->prx, "peer", now);

				sendto(p->fd, rr, n, 0, (struct sockaddr *)&p->to, p->tolen);
			}
			continue;
		}
		if (p->srtp != NULL && srtp_sess_unprotect(p->srtp, b, &len) < 0) {
			p->rx_auth_failed++;
			continue;
		}
		if (rtp_parse(b, (size_t)len, &h) < 0)
			continue;
		p->rx_packets++;
		rtp_rx_update(&p->prx, &h, (uint32_t)(loop_mono_ms() * 8));
		if (port_of(&src) == port_of(&p->to))
			p->rx_from_port++;
		if (h.pt == p->dtmf_pt && h.payload_len >= 4) {
			p->te_packets++;
			p->te_event = h.payload[0];
			if (h.payload[1] & 0x80)
				p->te_ends++;
		} else if (h.pt == p->pt && p->heard != NULL) {
			int16_t pcm[CODEC_MAX_FRAME];
			int n = codec_decode(p->dec, h.payload, h.payload_len, pcm, CODEC_MAX_FRAME);

			if (n > 0 && p->heard_n + (size_t)n <= p->heard_max) {
				memcpy(p->heard + p->heard_n, pcm, (size_t)n * sizeof *pcm);
				p->heard_n += (size_t)n;
			}
		}
	}
}

static bool
peer_done(struct peer *p)
{
	switch (p->want) {
	case 1: return p->rec_done;
	case 2: return p->play_done;
	case 3: return p->timeout;
	case 4: return p->te_ends >= 3;
	default: return false;
	}
}

static void
peer_tick(void *arg)
{
	struct peer *p = arg;

	peer_tx(p);
	peer_rx(p);
	if (peer_done(p) || loop_mono_ms() >= p->deadline) {
		loop_stop();
		return;
	}
	loop_timer_start(p->timer, 20);
}

/* Runs the loop until the peer's condition or ms elapse. */
static void
peer_run(struct peer *p, int want, int ms)
{
	p->want = want;
	p->deadline = loop_mono_ms() + ms;
	loop_timer_start(p->timer, 20);
	loop_run();
	loop_timer_stop(p->timer);
}

/* The loopback address of the family with port, in ss. */
static socklen_t
loopback(int family, int port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = in6addr_loopback;
		s6->sin6_port = htons((uint16_t)port);
		return sizeof *s6;
	}
	((struct sockaddr_in *)ss)->sin_family = AF_INET;
	((struct sockaddr_in *)ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return sizeof(struct sockaddr_in);
}

static int
udp_socket(int family, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback(family, 0, &ss);
	int fd = socket(family, SOCK_DGRAM, 0);

	bind(fd, (struct sockaddr *)&ss, len);
	len = sizeof ss;
	getsockname(fd, (struct sockaddr *)&ss, &len);
	if (port != NULL)
		*port = port_of(&ss);
	return fd;
}

static void
peer_init_family(struct peer *p, int family, enum codec c, int pt)
{
	memset(p, 0, sizeof *p);
	p->family = family;
	p->fd = udp_socket(family, &p->port);
	p->foreign_fd = udp_socket(family, NULL);
	p->codec = c;
	p->pt = pt;
	p->dtmf_pt = 101;
	p->cx = codec_new(c);
	p->dec = codec_new(c);
	p->ssrc = 0x5eed0001;
	p->seq = 100;
	p->ts = 1000;
	p->freq = 1000;
	p->timer = loop_timer_new(peer_tick, p);
}

static void
peer_init(struct peer *p, enum codec c, int pt)
{
	peer_init_family(p, AF_INET, c, pt);
}

static void
peer_fini(struct peer *p)
{
	if (p->ms != NULL)
		media_session_free(p->ms);
	close(p->fd);
	close(p->foreign_fd);
	codec_free(p->cx);
	codec_free(p->dec);
	srtp_sess_free(p->srtp);
	loop_timer_free(p->timer);
	free(p->heard);
}

static char *
offer_for(const struct peer *p, const char *name, int rate, const char *extra,
    const char *proto)
{
	char *s = xmalloc(1024);

	const char *ip = p->family == AF_INET6 ? "IP6 ::1" : "IP4 127.0.0.1";

	snprintf(s, 1024, "v=0\r\no=peer 1 1 IN %s\r\ns=-\r\nc=IN %s\r\n"
	    "t=0 0\r\nm=audio %d %s %d 101\r\na=rtpmap:%d %s/%d%s\r\n"
	    "a=rtpmap:101 telephone-event/%d\r\na=fmtp:101 0-16\r\na=rtcp-mux\r\n%s",
	    ip, ip, p->port, proto, p->pt, p->pt, name, rate, strcmp(name, "opus") == 0 ? "/2" : "",
	    codec_clock(p->codec), extra);
	return s;
}

static struct trunk
mk_trunk(enum srtp_mode m)
{
	struct trunk t;

	memset(&t, 0, sizeof t);
	t.id = "carrier";
	t.srtp = m;
	t.codecs[0] = CODEC_OPUS;
	t.codecs[1] = CODEC_PCMA;
	t.codecs[2] = CODEC_PCMU;
	t.codecs[3] = CODEC_G722;
	t.n_codecs = 4;
	return t;
}

static int
start_session(struct peer *p, const char *offer, const struct trunk *t, char **answer)
{
	int status = 0;

	p->ms = media_session_new(&cfg, t, offer, strlen(offer), answer, &status, on_event, p);
	if (p->ms != NULL) {
		p->tolen = loopback(p->family, media_session_port(p->ms), &p->to);
	}
	return p->ms != NULL ? 0 : status;
}

/* Reads the recording back: its dominant frequency past the first 100 ms, its length. */
static void
check_recording(const char *what, const char *path, int rate, double want_hz, int want_ms,
    int tol_ms)
{
	int16_t *pcm = NULL;
	size_t n = 0;

	is_int(wav_read(path, rate, &pcm, &n), 0, "%s: recording readable at %d Hz", what, rate);
	ok(labs((long)(n * 1000 / (size_t)rate) - want_ms) <= tol_ms,
	    "%s: recording lasts %zu ms (want %d +- %d)", what, n * 1000 / (size_t)rate, want_ms,
	    tol_ms);
	if (n > (size_t)rate / 5)
		is_int((int)tone_dominant(pcm + rate / 10, n - (size_t)rate / 10, rate),
		    (int)want_hz, "%s: recording's dominant frequency", what);
	else
		ok(0, "%s: recording too short to measure", what);
	free(pcm);
}

static void
test_tone(const char *name, int family, enum codec c, int pt, int rate_sdp, bool garbage)
{
	struct trunk t = mk_trunk(SRTP_OPTIONAL);
	struct peer p;
	struct media_stats st;
	char *offer, *answer = NULL, path[128];
	int rate = codec_rate(c);

	peer_init_family(&p, family, c, pt);
	offer = offer_for(&p, name, rate_sdp, "", "RTP/AVP");
	is_int(start_session(&p, offer, &t, &answer), 0, "%s: session answered", name);
	if (family == AF_INET6)
		ok(answer != NULL && strstr(answer, "c=IN IP6 ::1\r\n") != NULL,
		    "%s: answered with our IPv6 address", name);
	if (p.ms == NULL)
		goto out;
	is_int(media_session_neg(p.ms)->codec, c, "%s: codec negotiated", name);
	snprintf(path, sizeof path, "%s/%s-%d.wav", tmpdir, name, family);
	media_session_record(p.ms, path, 1000, 0);
	p.frames = 75;	/* 1.5 s: the recording stops at 1 s */
	p.garbage = garbage;
	peer_run(&p, 1, 6000);
	ok(p.rec_done, "%s: recording done", name);
	is_int(p.rec_reason, MEDIA_REC_MAX, "%s: ended at max_ms", name);
	ok(p.rec_ms >= 980 && p.rec_ms <= 1000, "%s: reported duration %lld ms", name,
	    (long long)p.rec_ms);
	check_recording(name, path, rate, 1000, 1000, 20);
	ok(p.rx_packets > 20, "%s: the engine sends to us too (%d packets)", name, p.rx_packets);
	is_int(p.rx_from_port, p.rx_packets, "%s: symmetric RTP: all from the answered port", name);
	if (garbage) {
		media_session_stats(p.ms, &st);
		ok(st.dropped_invalid >= 40, "%s: junk dropped and counted (%llu)", name,
		    (unsigned long long)st.dropped_invalid);
		ok(st.dropped_foreign >= 8, "%s: a foreign source dropped and counted (%llu)", name,
		    (unsigned long long)st.dropped_foreign);
		ok(st.latched && st.rx_packets >= 45, "%s: latched, %llu packets counted", name,
		    (unsigned long long)st.rx_packets);
	}
out:
	free(offer);
	free(answer);
	peer_fini(&p);
}

static void
test_hash_ends_recording(void)
{
	struct trunk t = mk_trunk(SRTP_OFF);
	struct peer p;
	char *offer, *answer = NULL, path[128];

	peer_init(&p, CODEC_PCMU, 0);
	offer = offer_for(&p, "PCMU", 8000, "", "RTP/AVP");
	is_int(start_session(&p, offer, &t, &answer), 0, "#: session answered");
	if (p.ms == NULL)
		goto out;
	snprintf(path, sizeof path, "%s/hash.wav", tmpdir);
	media_session_record(p.ms, path, 10000, 3000);
	p.frames = 30;
	p.digit_after = '#';
	peer_run(&p, 1, 5000);
	ok(p.rec_done, "#: recording done");
	is_int(p.rec_reason, MEDIA_REC_DIGIT, "#: ended by the digit");
	is_int(p.n_digits, 1, "#: one digit reported for the whole event");
	is_int(p.digits[0], '#', "#: it is '#'");
	check_recording("#", path, 8000, 1000, 600, 25);

	/* Reordered and lost packets: the jitter buffer puts them back in order and conceals
	 * the lost one, so the recording keeps exactly the time that was sent. */
	memset(p.digits, 0, sizeof p.digits);
	p.n_digits = 0;
	p.rec_done = false;
	p.sent = 0;
	p.frames = 40;
	p.swap = true;
	p.drop = 17;
	snprintf(path, sizeof path, "%s/reorder.wav", tmpdir);
	media_session_record(p.ms, path, 10000, 3000);
	peer_run(&p, 1, 5000);
	ok(p.rec_done && p.rec_reason == MEDIA_REC_DIGIT, "reorder: ended by '#'");
	is_int(p.rec_ms, 800, "reorder: 40 frames, one of them concealed: exactly 800 ms");
	check_recording("reorder", path, 8000, 1000, 800, 0);
	{
		int16_t *pcm = NULL;
		size_t n = 0, f, i;
		int bad = 0, bad_at = -1;

		/* Frame by frame against the tone that was sent: only the dropped one differs. */
		wav_read(path, 8000, &pcm, &n);
		for (f = 0; f + 1 <= n / 160; f++) {
			double err = 0, sig = 0;

			for (i = f * 160; i < (f + 1) * 160; i++) {
				double want = 0.3 * 32767.0 * sin(2.0 * M_PI * 1000.0 * (double)i / 8000);

				err += (pcm[i] - want) * (pcm[i] - want);
				sig += want * want;
			}
			if (err * 100 > sig) {	/* worse than 20 dB */
				bad++;
				bad_at = (int)f;
			}
		}
		ok(bad == 1 && bad_at == 17, "reorder: every frame in its place but the lost "
		    "one (%d differ, last at %d)", bad, bad_at);
		free(pcm);
	}
out:
	free(offer);
	free(answer);
	peer_fini(&p);
}

static void
test_srtp(void)
{
	struct trunk t = mk_trunk(SRTP_REQUIRED);
	unsigned char key[SDP_KEY_LEN];
	struct sdp_crypto mine;
	struct sdp_desc d;
	struct peer p;
	char *offer, *answer = NULL, path[128], line[128], b64[48];
	size_t i;

	peer_init(&p, CODEC_PCMA, 8);
	for (i = 0; i < sizeof key; i++)
		key[i] = (unsigned char)(i * 11 + 3);
	sdp_base64_encode(key, sizeof key, b64);
	snprintf(line, sizeof line, "a=crypto:7 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n", b64);
	offer = offer_for(&p, "PCMA", 8000, line, "RTP/SAVP");
	is_int(start_session(&p, offer, &t, &answer), 0, "srtp: session answered");
	if (p.ms == NULL)
		goto out;
	ok(media_session_neg(p.ms)->srtp, "srtp: negotiated");
	is_int(sdp_parse(answer, strlen(answer), &d), 0, "srtp: answer parses");
	is_int(d.n_crypto, 1, "srtp: answer has our key");
	mine.tag = 7;
	mine.suite = SDP_SUITE_AES_CM_128_HMAC_SHA1_80;
	memcpy(mine.key, key, sizeof key);
	p.srtp = srtp_sess_new(&mine, &d.crypto[0]);
	snprintf(path, sizeof path, "%s/srtp.wav", tmpdir);
	media_session_record(p.ms, path, 600, 0);
	p.frames = 50;
	peer_run(&p, 1, 5000);
	ok(p.rec_done, "srtp: recording done");
	check_recording("srtp", path, 8000, 1000, 600, 20);
	ok(p.rx_packets > 10 && p.rx_auth_failed == 0,
	    "srtp: what the engine sent authenticates with the answer's key (%d ok, %d bad)",
	    p.rx_packets, p.rx_auth_failed);
out:
	free(offer);
	free(answer);
	peer_fini(&p);

	peer_init(&p, CODEC_PCMU, 0);
	offer = offer_for(&p, "PCMU", 8000, "", "RTP/AVP");
	{
		int status = 0;
		struct media_session *ms = media_session_new(&cfg, &t, offer, strlen(offer),
		    &answer, &status, on_event, &p);

		ok(ms == NULL && status == 488 && answer == NULL,
		    "srtp required, plain offer: no session, 488");
		ms = media_session_new(&cfg, &t, "garbage", 7, &answer, &status, on_event, &p);
		ok(ms == NULL && status == 400, "garbage offer: no session, 400");
		{
			/* Room for one port pair: the second call gets 503. */
			struct config small = cfg;
			struct trunk plain = mk_trunk(SRTP_OFF);
			struct media_session *one, *two;
			char *a1 = NULL, *a2 = NULL;

			small.general.rtp_port_min = 43100;
			small.general.rtp_port_max = 43101;
			one = media_session_new(&small, &plain, offer, strlen(offer), &a1, &status,
			    on_event, &p);
			ok(one != NULL && media_session_port(one) == 43100, "ports: the one pair");
			two = media_session_new(&small, &plain, offer, strlen(offer), &a2, &status,
			    on_event, &p);
			ok(two == NULL && status == 503 && a2 == NULL, "ports: exhausted -> 503");
			media_session_free(one);
			free(a1);
		}
	}
	free(offer);
	peer_fini(&p);
}

static void
test_play_dtmf_hold(void)
{
	struct trunk t = mk_trunk(SRTP_OFF);
	struct wav_writer *ww;
	struct peer p;
	char *offer, *answer = NULL, path[128];
	int16_t pcm[16000];
	size_t ph = 0;
	int before;

	peer_init(&p, CODEC_PCMU, 0);
	offer = offer_for(&p, "PCMU", 8000, "", "RTP/AVP");
	is_int(start_session(&p, offer, &t, &answer), 0, "play: session answered");
	if (p.ms == NULL)
		goto out;
	p.heard_max = 8000 * 3;
	p.heard = xcalloc(p.heard_max, sizeof *p.heard);
	media_session_beep(p.ms);
	peer_run(&p, 2, 3000);
	peer_run(&p, 0, 100);	/* the last packets in flight */
	ok(p.play_done && p.play_status == 0, "beep: played out");
	{
		size_t i, first = 0, last = 0;

		for (i = 0; i < p.heard_n; i++)
			if (abs(p.heard[i]) > 1000) {
				if (first == 0)
					first = i;
				last = i;
			}
		ok(last > first && labs((long)(last - first) - 8 * MEDIA_BEEP_MS) < 200,
		    "beep: %zu ms of tone heard", (last - first) / 8);
		if (last > first)
			is_int((int)tone_dominant(p.heard + first, last - first, 8000),
			    MEDIA_BEEP_HZ, "beep: heard at %d Hz", MEDIA_BEEP_HZ);
	}

	/* A 16 kHz prompt of 600 Hz, played into an 8 kHz codec. */
	snprintf(path, sizeof path, "%s/prompt.wav", tmpdir);
	tone_fill(pcm, 16000, 600, 16000, 0.3, &ph);
	ww = wav_create(path, 16000);
	wav_write(ww, pcm, 8000);
	wav_close(ww);
	p.heard_n = 0;
	p.play_done = false;
	media_session_play(p.ms, path);
	peer_run(&p, 2, 3000);
	ok(p.play_done && p.play_status == 0, "prompt: played out");
	ok(p.heard_n >= 3600, "prompt: %zu samples heard", p.heard_n);
	if (p.heard_n >= 3600)
		is_int((int)tone_dominant(p.heard + 400, 3000, 8000), 600,
		    "prompt: heard at 600 Hz after rate conversion");
	p.play_done = false;
	media_session_play(p.ms, "/nonexistent.wav");
	peer_run(&p, 2, 2000);
	ok(p.play_done && p.play_status == -1, "prompt: an unreadable file reports -1");

	is_int(media_session_send_dtmf(p.ms, '7'), 0, "dtmf: sent");
	peer_run(&p, 4, 2000);
	is_int(p.te_event, 7, "dtmf: the peer got event 7");
	is_int(p.te_ends, 3, "dtmf: end of event three times");
	ok(p.te_packets >= 7, "dtmf: %d telephone-event packets", p.te_packets);
	is_int(media_session_send_dtmf(p.ms, 'x'), -1, "dtmf: 'x' refused");

	/* Hold: the peer sends sendonly; we answer recvonly and stop sending. */
	{
		char *hold = offer_for(&p, "PCMU", 8000, "a=sendonly\r\n", "RTP/AVP"), *ans = NULL;

		is_int(media_session_update(p.ms, &t, hold, strlen(hold), &ans), 0, "hold: answered");
		ok(ans != NULL && strstr(ans, "a=recvonly") != NULL, "hold: answer is recvonly");
		peer_run(&p, 0, 200);
		before = p.rx_packets;
		peer_run(&p, 0, 400);
		is_int(p.rx_packets - before, 0, "hold: nothing sent to a holding peer");
		free(hold);
		free(ans);
	}
	media_session_set_timeout(p.ms, 300);
	peer_run(&p, 3, 2000);
	ok(p.timeout, "timeout: reported after 300 ms without RTP");
out:
	free(offer);
	free(answer);
	peer_fini(&p);
}

/* RTCP: the engine's first SR comes after half the 5 s interval, counts what it sent, and
 * the RR we answer with reaches its statistics (our loss, jitter and the round trip). */
static void
test_rtcp(void)
{
	struct trunk t = mk_trunk(SRTP_OFF);
	struct media_stats st;
	struct peer p;
	char *offer, *answer = NULL;

	peer_init(&p, CODEC_PCMU, 0);
	offer = offer_for(&p, "PCMU", 8000, "", "RTP/AVP");
	is_int(start_session(&p, offer, &t, &answer), 0, "rtcp: session answered");
	if (p.ms == NULL)
		goto out;
	p.frames = 1000;
	p.answer_rtcp = true;
	peer_run(&p, 0, 3200);
	is_int(p.sr_seen, 1, "rtcp: one SR in the first 3.2 s (at 2.5 s)");
	ok(p.sr_packets > 100 && abs((int)p.sr_packets - p.rx_at_sr) <= 3,
	    "rtcp: the SR counts %u packets sent, we had %d", p.sr_packets, p.rx_at_sr);
	peer_run(&p, 0, 100);
	media_session_stats(p.ms, &st);
	ok(st.peer_report, "rtcp: our RR reached the session's figures");
	is_int(st.peer_lost, 0, "rtcp: the peer reports no loss");
	ok(st.rtt_ms >= 0 && st.rtt_ms < 100, "rtcp: round trip %d ms on loopback", st.rtt_ms);
	ok(st.rx_packets >= 120 && st.rx_lost == 0, "rtcp: %llu packets received, none lost",
	    (unsigned long long)st.rx_packets);
	ok(st.rx_jitter_ms < 20, "rtcp: jitter %u ms", st.rx_jitter_ms);
	is_int(p.byes, 0, "rtcp: no BYE while the session lives");
	media_session_free(p.ms);
	p.ms = NULL;
	peer_run(&p, 0, 200);
	is_int(p.byes, 1, "rtcp: a BYE when the session ends");
out:
	free(offer);
	free(answer);
	peer_fini(&p);
}

/* Outbound: our offer, the carrier's answer (written by sdp_answer() for a PCMA-first
 * trunk, pointing at the test's socket), then a tone recorded through the answered
 * session; before the answer, nothing can be played. */
static void
test_outbound(void)
{
	struct trunk ours = mk_trunk(SRTP_OPTIONAL), theirs;
	unsigned char key[SDP_KEY_LEN];
	struct sdp_neg n;
	struct peer p;
	struct media_session *ms;
	char *offer = NULL, *answer = NULL, path[128];
	int status = 0;

	memset(key, 0x33, sizeof key);
	peer_init(&p, CODEC_PCMA, 8);
	memset(&theirs, 0, sizeof theirs);
	theirs.id = "carrier";
	theirs.codecs[0] = CODEC_PCMA;
	theirs.n_codecs = 1;
	theirs.srtp = SRTP_OFF;

	ms = media_session_offer(&cfg, &ours, "127.0.0.1", &offer, &status, on_event, &p);
	ok(ms != NULL && offer != NULL, "outbound: offer written");
	if (ms == NULL)
		goto out;
	ok(strstr(offer, "m=audio ") != NULL && strstr(offer, "a=crypto:1 ") != NULL,
	    "outbound: offer has audio and SDES (srtp optional)");
	is_int(media_session_play(ms, "/dev/null"), -1, "outbound: nothing plays before the answer");
	{
		struct sdp_local l = { "127.0.0.1", p.port, 9, 1, key, SDP_SENDRECV };

		is_int(sdp_answer(&theirs, offer, strlen(offer), &l, &n, &answer), 0,
		    "outbound: the carrier side answers our offer");
	}
	is_int(media_session_answer(ms, &ours, "v=0\r\n", 5), 400,
	    "outbound: a garbage answer is refused");
	is_int(media_session_answer(ms, &ours, answer, strlen(answer)), 0,
	    "outbound: answer accepted");
	is_int(media_session_neg(ms)->codec, CODEC_PCMA, "outbound: PCMA, the carrier's choice");
	ok(!media_session_neg(ms)->srtp, "outbound: plain RTP (the carrier has srtp off)");
	p.ms = ms;
	p.tolen = loopback(AF_INET, media_session_port(ms), &p.to);
	snprintf(path, sizeof path, "%s/outbound.wav", tmpdir);
	media_session_record(ms, path, 500, 0);
	p.frames = 40;
	peer_run(&p, 1, 4000);
	ok(p.rec_done && p.rec_reason == MEDIA_REC_MAX, "outbound: recording done");
	check_recording("outbound", path, 8000, 1000, 500, 0);
	ok(p.rx_packets > 10, "outbound: the engine sends to the answered address");

	/* An offer abandoned before any answer (CANCEL): freed at once. */
	free(offer);
	offer = NULL;
	ms = media_session_offer(&cfg, &ours, NULL, &offer, &status, on_event, &p);
	ok(ms != NULL, "outbound: a second offer");
	media_session_free(ms);
out:
	free(offer);
	free(answer);
	peer_fini(&p);
}

/* A re-INVITE moves the media to another address and codec (a transfer on the carrier's
 * side): we answer the new codec, send there, and record what comes from there. */
static void
test_reinvite(void)
{
	struct trunk t = mk_trunk(SRTP_OFF);
	struct peer p;
	char *offer, *answer = NULL, *re, *ans2 = NULL, path[128];
	int before;

	peer_init(&p, CODEC_PCMU, 0);
	offer = offer_for(&p, "PCMU", 8000, "", "RTP/AVP");
	is_int(start_session(&p, offer, &t, &answer), 0, "re-INVITE: session answered");
	if (p.ms == NULL)
		goto out;
	p.frames = 10;
	peer_run(&p, 0, 300);
	ok(p.rx_packets > 5, "re-INVITE: media flows to the first address");

	close(p.fd);	/* the carrier's media moves to another port, and to PCMA */
	p.fd = udp_socket(AF_INET, &p.port);
	codec_free(p.cx);
	codec_free(p.dec);
	p.codec = CODEC_PCMA;
	p.pt = 8;
	p.cx = codec_new(CODEC_PCMA);
	p.dec = codec_new(CODEC_PCMA);
	re = offer_for(&p, "PCMA", 8000, "", "RTP/AVP");
	is_int(media_session_update(p.ms, &t, re, strlen(re), &ans2), 0, "re-INVITE: answered");
	{
		char mline[64];

		snprintf(mline, sizeof mline, "m=audio %d RTP/AVP 8 101\r\n",
		    media_session_port(p.ms));
		ok(ans2 != NULL && strstr(ans2, mline) != NULL,
		    "re-INVITE: PCMA answered on the same port");
		ok(strstr(answer, " 1 IN IP4 ") != NULL && ans2 != NULL &&
		    strstr(ans2, " 2 IN IP4 ") != NULL, "re-INVITE: the o= version moved on");
	}
	is_int(media_session_neg(p.ms)->codec, CODEC_PCMA, "re-INVITE: PCMA now");
	snprintf(path, sizeof path, "%s/reinvite.wav", tmpdir);
	media_session_record(p.ms, path, 600, 0);
	before = p.rx_packets;
	p.sent = 0;
	p.frames = 45;
	p.phase = 0;
	p.rec_done = false;
	p.heard_max = 8000;
	p.heard = xcalloc(p.heard_max, sizeof *p.heard);
	peer_run(&p, 1, 4000);
	ok(p.rx_packets - before > 10, "re-INVITE: the engine sends to the new address");
	ok(p.rec_done, "re-INVITE: recording done");
	check_recording("re-INVITE", path, 8000, 1000, 600, 0);
	ok(p.heard_n > 0, "re-INVITE: it sends PCMA (payload type 8)");
	free(re);
	free(ans2);
out:
	free(offer);
	free(answer);
	peer_fini(&p);
}

/* The workers are named media-N and block every signal, so SIGTERM and SIGHUP reach the
 * control thread. */
static void
test_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int workers = 0, blocked = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], line[256];
		unsigned long long blk = 0;
		FILE *f;

		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(line, sizeof line, f) == NULL || strncmp(line, "media-", 6) != 0) {
			fclose(f);
			continue;
		}
		fclose(f);
		workers++;
		snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		while (fgets(line, sizeof line, f) != NULL)
			if (sscanf(line, "SigBlk: %llx", &blk) == 1)
				break;
		fclose(f);
		if ((blk & (1ULL << (SIGTERM - 1))) && (blk & (1ULL << (SIGHUP - 1))) &&
		    (blk & (1ULL << (SIGINT - 1))))
			blocked++;
	}
	if (d != NULL)
		closedir(d);
	is_int(workers, 2, "threads: two workers named media-N");
	is_int(blocked, 2, "threads: both block SIGTERM, SIGHUP, SIGINT");
}

int
main(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/test_media.XXXXXX");
	if (mkdtemp(tmpdir) == NULL || loop_init() < 0 || media_init(2) < 0) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.general.external_ip = "";
	cfg.general.rtp_port_min = 42000;
	cfg.general.rtp_port_max = 42999;
	srand(4);
	test_threads();

	test_tone("PCMU", AF_INET, CODEC_PCMU, 0, 8000, true);
	test_tone("PCMA", AF_INET, CODEC_PCMA, 8, 8000, false);
	test_tone("opus", AF_INET, CODEC_OPUS, 111, 48000, false);
	test_tone("G722", AF_INET, CODEC_G722, 9, 8000, false);
	test_tone("PCMU over IPv6", AF_INET6, CODEC_PCMU, 0, 8000, true);
	test_hash_ends_recording();
	test_srtp();
	test_play_dtmf_hold();
	test_rtcp();
	test_outbound();
	test_reinvite();
	{
		struct media_totals tot;
		struct peer idle;

		peer_init(&idle, CODEC_PCMU, 0);
		peer_run(&idle, 0, 200);	/* the last sessions' goodbyes */
		peer_fini(&idle);
		media_totals(&tot);
		is_int(tot.sessions_started, 12, "totals: 12 sessions started");
		is_int(tot.sessions_active, 0, "totals: none left");
		ok(tot.rx_packets > 400 && tot.tx_packets > 400, "totals: %llu packets in, %llu out",
		    (unsigned long long)tot.rx_packets, (unsigned long long)tot.tx_packets);
		ok(tot.dropped_foreign >= 20 && tot.dropped_invalid >= 100,
		    "totals: the junk and the foreign packets counted");
		is_int(tot.rtp_timeouts, 1, "totals: one RTP timeout");
		{
			struct buf b;
			char want[128];

			buf_init(&b);
			media_metrics(&b);
			snprintf(want, sizeof want, "\nscaidial_rtp_packets_total{direction=\"in\"} %llu\n",
			    (unsigned long long)tot.rx_packets);
			ok(strstr(b.data, want) != NULL &&
			    strstr(b.data, "\nscaidial_media_sessions_total 12\n") != NULL &&
			    strstr(b.data, "\nscaidial_rtp_timeouts_total 1\n") != NULL &&
			    strstr(b.data, "# TYPE scaidial_rtp_dropped_total counter\n") != NULL,
			    "metrics: the totals in Prometheus text");
			buf_free(&b);
		}
	}
	{
		/* A session still open at media_fini() is closed by it, its recording finished
		 * (ASan and valgrind check that nothing leaks). */
		struct trunk t = mk_trunk(SRTP_OFF);
		struct peer idle;
		char *offer, *answer = NULL, path[128];

		peer_init(&idle, CODEC_PCMU, 0);
		offer = offer_for(&idle, "PCMU", 8000, "", "RTP/AVP");
		is_int(start_session(&idle, offer, &t, &answer), 0, "fini: a session left open");
		snprintf(path, sizeof path, "%s/left-open.wav", tmpdir);
		media_session_record(idle.ms, path, 5000, 0);
		idle.frames = 10;
		peer_run(&idle, 0, 300);
		idle.ms = NULL;		/* media_fini() owns it now */
		media_fini();
		ok(access(path, R_OK) == 0, "fini: its recording exists");
		free(offer);
		free(answer);
		peer_fini(&idle);
	}

	loop_free();
	{
		char cmd[128];

		snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return tap_done();
}
