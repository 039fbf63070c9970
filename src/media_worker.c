/* media_worker: what a media worker does for each session pinned to it: reading its RTP and
 * RTCP (SRTP, validation, the latch, statistics, DTMF, recording, the bridge tap's up
 * direction), and on every 20 ms tick sending one frame (DTMF event, prompt or beep, the
 * bridge tap's next frame, or silence), RTCP every 5 s and the timeout checks. Runs in the worker thread only; nothing here allocates per packet. */
#include "media_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "log.h"
#include "xmalloc.h"

/* Mean absolute amplitude under which a frame counts as silence (about -45 dBFS). */
#define MEDIA_SILENCE_LEVEL	150

static void
media_sockaddr(const char *addr, int port, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	if (strchr(addr, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &s6->sin6_addr);
		*len = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &s4->sin_addr);
		*len = sizeof *s4;
	}
}

/* The peer as the SDP gives it; a latch already made is kept unless the address moved. */
static void
media_set_peer(struct media_session *ms, const struct sdp_neg *neg, bool keep_latch)
{
	struct sockaddr_storage ss;
	socklen_t len;

	if (keep_latch && ms->rtp_peer.latched &&
	    strcmp(neg->remote_addr, ms->wneg.remote_addr) == 0 &&
	    neg->remote_port == ms->wneg.remote_port)
		return;
	media_sockaddr(neg->remote_addr, neg->remote_port, &ss, &len);
	rtp_latch_init(&ms->rtp_peer, (struct sockaddr *)&ss, len);
	media_sockaddr(neg->remote_addr, neg->remote_rtcp_port, &ss, &len);
	rtp_latch_init(&ms->rtcp_peer, (struct sockaddr *)&ss, len);
	ms->send_ok = neg->remote_port != 0 && strcmp(neg->remote_addr, "0.0.0.0") != 0 &&
	    strcmp(neg->remote_addr, "::") != 0;
}

static void
media_publish(struct media_session *ms)
{
	struct media_stats s, old;

	memset(&s, 0, sizeof s);
	s.rx_packets = ms->rx.received;
	s.rx_octets = ms->rx.octets;
	s.tx_packets = ms->tx.packets;
	s.tx_octets = ms->tx.octets;
	s.rx_lost = rtp_rx_lost(&ms->rx);
	s.rx_jitter_ms = ms->clock ? rtp_rx_jitter(&ms->rx) * 1000u / (uint32_t)ms->clock : 0;
	s.dropped_foreign = ms->rtp_peer.dropped + ms->rtcp_peer.dropped;
	s.dropped_invalid = ms->dropped_invalid;
	s.srtp_failed = ms->srtp_failed;
	s.peer_report = ms->remote.have;
	s.peer_fraction_lost = ms->remote.fraction_lost;
	s.peer_lost = ms->remote.cumulative_lost;
	s.peer_jitter_ms = ms->clock ? ms->remote.jitter * 1000u / (uint32_t)ms->clock : 0;
	s.rtt_ms = ms->remote.have ? ms->remote.rtt_ms : -1;
	s.codec = ms->wneg.codec;
	s.srtp = ms->srtp != NULL;
	s.latched = ms->rtp_peer.latched;
	pthread_mutex_lock(&ms->stats_mu);
	s.local_port = ms->stats.local_port;
	old = ms->stats;
	ms->stats = s;
	pthread_mutex_unlock(&ms->stats_mu);
	atomic_fetch_add(&media_counters.rx_packets, s.rx_packets - old.rx_packets);
	atomic_fetch_add(&media_counters.tx_packets, s.tx_packets - old.tx_packets);
	atomic_fetch_add(&media_counters.dropped_foreign, s.dropped_foreign - old.dropped_foreign);
	atomic_fetch_add(&media_counters.dropped_invalid, s.dropped_invalid - old.dropped_invalid);
	atomic_fetch_add(&media_counters.srtp_failed, s.srtp_failed - old.srtp_failed);
	/* Loss can shrink (a late packet after all); the total only counts growth. */
	if (s.rx_lost > old.rx_lost)
		atomic_fetch_add(&media_counters.rx_lost, (uint64_t)(s.rx_lost - old.rx_lost));
}

static void media_rx_drain(struct media_worker *, struct media_session *, bool);

/* The jitter buffer serves the recording and the bridge; it lives while either does. */
static void
media_jb_need(struct media_session *ms)
{
	if (ms->jb == NULL)
		ms->jb = jitter_new(ms->clock, ms->clock / (1000 / MEDIA_TICK_MS));
}

static void
media_jb_release(struct media_session *ms)
{
	if (ms->rec == NULL && ms->tap == NULL) {
		jitter_free(ms->jb);
		ms->jb = NULL;
	}
}

static void
media_play_end(struct media_session *ms, int status)
{
	struct media_event ev = { .type = MEDIA_EV_PLAY_DONE, .status = status };

	if (ms->play == NULL)
		return;
	free(ms->play);
	ms->play = NULL;
	media_post_event(ms, &ev);
}

static void
media_rec_end(struct media_worker *w, struct media_session *ms, enum media_record_end reason,
    bool quiet)
{
	struct media_event ev = { .type = MEDIA_EV_RECORD_DONE, .reason = reason };

	if (ms->rec == NULL)
		return;
	if (reason == MEDIA_REC_DIGIT || reason == MEDIA_REC_STOPPED) {
		/* What the jitter buffer still holds was said before the end. */
		struct wav_writer *keep = ms->rec;

		media_rx_drain(w, ms, true);
		if (ms->rec != keep)
			return;		/* it filled up meanwhile and ended itself */
	}
	ev.duration_ms = (int64_t)wav_samples(ms->rec) * 1000 / ms->rate;
	if (wav_close(ms->rec) < 0)
		ev.reason = MEDIA_REC_ERROR;
	ms->rec = NULL;
	media_jb_release(ms);
	ev.path = ms->rec_path;
	media_publish(ms);	/* the figures as they were when the recording ended */
	if (!quiet)
		media_post_event(ms, &ev);
	free(ms->rec_path);
	ms->rec_path = NULL;
}

static void
media_rec_write(struct media_worker *w, struct media_session *ms, const int16_t *pcm,
    size_t n)
{
	size_t room = ms->rec_max - wav_samples(ms->rec), i;
	uint64_t sum = 0;

	if (n > room)
		n = room;
	if (wav_write(ms->rec, pcm, n) < 0) {
		media_rec_end(w, ms, MEDIA_REC_ERROR, false);
		return;
	}
	for (i = 0; i < n; i++)
		sum += (uint64_t)abs(pcm[i]);
	if (n > 0 && sum / n < MEDIA_SILENCE_LEVEL)
		ms->rec_silence_run += n;
	else
		ms->rec_silence_run = 0;
	if (wav_samples(ms->rec) >= ms->rec_max)
		media_rec_end(w, ms, MEDIA_REC_MAX, false);
	else if (ms->rec_silence_limit && ms->rec_silence_run >= ms->rec_silence_limit)
		media_rec_end(w, ms, MEDIA_REC_SILENCE, false);
}

/* The caller's decoded audio to the bridge consumer, cut into 20 ms frames. */
static void
media_tap_deliver(struct media_session *ms, const int16_t *pcm, int n)
{
	while (n > 0) {
		int take = ms->frame - ms->tap_acc_n;

		if (take > n)
			take = n;
		memcpy(ms->tap_acc + ms->tap_acc_n, pcm, (size_t)take * sizeof *pcm);
		ms->tap_acc_n += take;
		pcm += take;
		n -= take;
		if (ms->tap_acc_n == ms->frame) {
			media_tap_push(ms->tap, MEDIA_TAP_UP, ms->tap_acc);
			ms->tap_acc_n = 0;
		}
	}
}

/* Hands what the jitter buffer can order (or declares lost) to the recording and the
 * bridge, decoded once for both. */
static void
media_rx_drain(struct media_worker *w, struct media_session *ms, bool flush)
{
	const uint8_t *p;
	size_t len;
	enum jitter_out o;

	while (ms->jb != NULL && (o = jitter_get(ms->jb, flush, &p, &len)) != JITTER_NONE) {
		int n;

		if (o == JITTER_PACKET) {
			n = codec_decode(ms->codec, p, len, w->pcm, CODEC_MAX_FRAME);
			if (n <= 0) {	/* undecodable: stands in as a lost frame */
				ms->dropped_invalid++;
				n = codec_conceal(ms->codec, w->pcm, ms->frame);
			}
		} else
			n = codec_conceal(ms->codec, w->pcm, ms->frame);
		jitter_advance(ms->jb, (uint32_t)((int64_t)n * ms->clock / ms->rate));
		if (ms->tap != NULL)
			media_tap_deliver(ms, w->pcm, n);
		if (ms->rec != NULL)
			media_rec_write(w, ms, w->pcm, (size_t)n);
	}
}

static void
media_rx_packet(struct media_worker *w, struct media_session *ms, const struct rtp_hdr *h,
    uint32_t arrival)
{
	ms->rec_last_pkt_ms = w->now_ms;
	if (jitter_put(ms->jb, h->ts, h->payload, h->payload_len, arrival) == 0)
		media_rx_drain(w, ms, false);
}

static void
media_rx_rtp(struct media_worker *w, struct media_session *ms, int len,
    const struct sockaddr *src, socklen_t slen)
{
	struct rtp_hdr h;
	uint32_t arrival;
	char digit;

	if (ms->srtp != NULL && (len < RTP_HDR_LEN ||
	    srtp_sess_unprotect(ms->srtp, w->buf, &len) < 0)) {
		ms->srtp_failed++;
		return;
	}
	if (rtp_parse(w->buf, (size_t)len, &h) < 0 ||
	    (h.pt != ms->wneg.pt && (ms->wneg.dtmf_pt < 0 || h.pt != ms->wneg.dtmf_pt))) {
		ms->dropped_invalid++;
		return;
	}
	if (!rtp_latch_check(&ms->rtp_peer, src, slen))
		return;
	ms->send_ok = true;
	arrival = (uint32_t)(w->mono_us * ms->clock / 1000000);
	rtp_rx_update(&ms->rx, &h, arrival);
	ms->last_rx_ms = w->now_ms;
	if (h.pt == ms->wneg.pt) {
		if (ms->jb != NULL)
			media_rx_packet(w, ms, &h, arrival);
		return;
	}
	digit = dtmf_rx_packet(&ms->drx, h.ts, h.payload, h.payload_len);
	if (digit != 0) {
		struct media_event ev = { .type = MEDIA_EV_DTMF, .digit = digit };

		media_post_event(ms, &ev);
		if (digit == '#' && ms->rec != NULL)
			media_rec_end(w, ms, MEDIA_REC_DIGIT, false);
	}
}

static void
media_rx_rtcp(struct media_worker *w, struct media_session *ms, int len,
    const struct sockaddr *src, socklen_t slen)
{
	struct rtp_rx rx;
	struct rtcp_remote remote;

	if (ms->srtp != NULL && srtp_sess_unprotect_rtcp(ms->srtp, w->buf, &len) < 0) {
		ms->srtp_failed++;
		return;
	}
	rx = ms->rx;
	remote = ms->remote;
	/* Read into copies: only a well-formed packet from the peer's address counts. */
	if (rtcp_parse(w->buf, (size_t)len, ms->tx.ssrc, &rx, &remote, w->now_us) < 0) {
		ms->dropped_invalid++;
		return;
	}
	if (!rtp_latch_check(ms->wneg.rtcp_mux ? &ms->rtp_peer : &ms->rtcp_peer, src, slen))
		return;
	ms->rx.lsr = rx.lsr;
	ms->rx.lsr_arrival_us = rx.lsr_arrival_us;
	ms->remote = remote;
	media_publish(ms);	/* the peer's view of our stream is news for the metrics */
}

void
media_worker_rx(struct media_worker *w, struct media_sock *sk)
{
	struct media_session *ms = sk->ms;
	struct sockaddr_storage src;
	int i;

	for (i = 0; i < MEDIA_RX_BURST; i++) {
		socklen_t slen = sizeof src;
		ssize_t n = recvfrom(ms->fd[sk->idx], w->buf, RTP_MAX_PACKET, 0,
		    (struct sockaddr *)&src, &slen);

		if (n < 0)
			break;
		if (n < 8) {
			ms->dropped_invalid++;
			continue;
		}
		if (sk->idx == 1 || (ms->wneg.rtcp_mux && rtp_is_rtcp(w->buf, (size_t)n)))
			media_rx_rtcp(w, ms, (int)n, (struct sockaddr *)&src, slen);
		else
			media_rx_rtp(w, ms, (int)n, (struct sockaddr *)&src, slen);
	}
}

static void
media_send(struct media_session *ms, int idx, uint8_t *buf, int len, struct rtp_latch *to)
{
	ssize_t r = sendto(ms->fd[idx], buf, (size_t)len, MSG_DONTWAIT,
	    (struct sockaddr *)&to->addr, to->len);

	(void)r;	/* UDP: a lost datagram is the network's, not an error of ours */
}

static void
media_send_rtcp(struct media_worker *w, struct media_session *ms, bool bye)
{
	int len = (int)rtcp_build(w->buf, RTP_MAX_PACKET, &ms->tx, &ms->rx, "scaidial",
	    w->now_us);

	if (len == 0 || !ms->send_ok)
		return;
	if (bye)
		len = (int)rtcp_append_bye(w->buf, (size_t)len, RTP_MAX_PACKET, ms->tx.ssrc);
	if (ms->srtp != NULL && srtp_sess_protect_rtcp(ms->srtp, w->buf, &len) < 0)
		return;
	if (ms->wneg.rtcp_mux)
		media_send(ms, 0, w->buf, len, &ms->rtp_peer);
	else
		media_send(ms, 1, w->buf, len, &ms->rtcp_peer);
}

/* The bridge's next frame for the caller, or NULL (an underrun: silence goes out). A
 * backlog beyond MEDIA_TAP_DOWN_MAX is skipped, oldest first: it would only add delay. */
static const int16_t *
media_tap_next(struct media_worker *w, struct media_session *ms)
{
	size_t queued = media_tap_count(ms->tap, MEDIA_TAP_DOWN);
	unsigned trimmed = 0;
	bool got;

	for (; queued > MEDIA_TAP_DOWN_MAX; queued--)
		if (media_tap_pop(ms->tap, MEDIA_TAP_DOWN, w->pcm))
			trimmed++;
	got = media_tap_pop(ms->tap, MEDIA_TAP_DOWN, w->pcm);
	media_tap_count_play(ms->tap, got);
	if (trimmed > 0)
		media_tap_count_trim(ms->tap, trimmed);
	return got ? w->pcm : NULL;
}

/* While DTMF or a prompt has the tick, the bridge's frame for it is dropped: kept, it
 * would only be delay once the bridge has the tick again. */
static void
media_tap_skip(struct media_worker *w, struct media_session *ms)
{
	if (ms->tap != NULL && media_tap_pop(ms->tap, MEDIA_TAP_DOWN, w->pcm))
		media_tap_count_trim(ms->tap, 1);
}

/* The next 20 ms of what we play: the prompt, the bridge, or silence (NULL). */
static const int16_t *
media_next_frame(struct media_worker *w, struct media_session *ms)
{
	size_t left;

	if (ms->play == NULL)
		return ms->tap != NULL ? media_tap_next(w, ms) : NULL;
	media_tap_skip(w, ms);
	left = ms->play_n - ms->play_pos;
	if (left >= (size_t)ms->frame) {
		memcpy(w->pcm, ms->play + ms->play_pos, (size_t)ms->frame * sizeof *w->pcm);
	} else {
		memcpy(w->pcm, ms->play + ms->play_pos, left * sizeof *w->pcm);
		memset(w->pcm + left, 0, ((size_t)ms->frame - left) * sizeof *w->pcm);
	}
	ms->play_pos += (size_t)ms->frame;
	if (ms->play_pos >= ms->play_n)
		media_play_end(ms, 0);
	return w->pcm;
}

static void
media_send_frame(struct media_worker *w, struct media_session *ms)
{
	uint32_t step = (uint32_t)ms->clock / (1000 / MEDIA_TICK_MS);
	bool sending = ms->send_ok && (ms->wneg.dir & SDP_SENDONLY);
	uint8_t *pay = w->buf + RTP_HDR_LEN;
	const int16_t *pcm;
	int plen, len;

	if (ms->dtx.active) {
		uint8_t ev[DTMF_PAYLOAD_LEN];
		bool marker;
		uint32_t ets;

		dtmf_tx_next(&ms->dtx, ev, &marker, &ets);
		media_tap_skip(w, ms);
		if (sending) {
			rtp_write_hdr(w->buf, marker, (uint8_t)ms->wneg.dtmf_pt, ms->seq++, ets,
			    ms->tx.ssrc);
			memcpy(pay, ev, sizeof ev);
			plen = sizeof ev;
			goto send;
		}
		goto next;
	}
	pcm = media_next_frame(w, ms);
	if (!sending)
		goto next;
	if (pcm == NULL && ms->wneg.codec == CODEC_G722) {
		/* G.722 is ADPCM: one payload repeated walks the peer's decoder into a low hum
		 * (-45 dBFS within 200 ms), so its silence is encoded every time (cheap). */
		memset(w->pcm, 0, (size_t)ms->frame * sizeof *w->pcm);
		pcm = w->pcm;
	}
	plen = pcm == NULL ? codec_silence(ms->codec, pay, CODEC_MAX_PAYLOAD) :
	    codec_encode(ms->codec, pcm, pay, CODEC_MAX_PAYLOAD);
	if (plen <= 0)
		goto next;
	rtp_write_hdr(w->buf, !ms->first_sent, (uint8_t)ms->wneg.pt, ms->seq++, ms->ts,
	    ms->tx.ssrc);
	ms->first_sent = true;
send:
	len = RTP_HDR_LEN + plen;
	if (ms->srtp != NULL && srtp_sess_protect(ms->srtp, w->buf, &len) < 0)
		goto next;
	media_send(ms, 0, w->buf, len, &ms->rtp_peer);
	ms->tx.packets++;
	ms->tx.octets += (uint32_t)plen;
	ms->tx.last_ts = ms->ts;
	ms->tx.last_ts_us = w->now_us;
next:
	ms->ts += step;
}

static void
media_session_tick(struct media_worker *w, struct media_session *ms)
{
	if (ms->timeout_ms > 0 && !ms->timeout_fired && (ms->wneg.dir & SDP_RECVONLY) &&
	    w->now_ms - ms->last_rx_ms >= ms->timeout_ms) {
		struct media_event ev = { .type = MEDIA_EV_RTP_TIMEOUT };

		ms->timeout_fired = true;
		atomic_fetch_add(&media_counters.rtp_timeouts, 1);
		media_post_event(ms, &ev);
	}
	if (ms->rec != NULL && ms->rec_silence_ms > 0 &&
	    w->now_ms - ms->rec_last_pkt_ms >= ms->rec_silence_ms)
		media_rec_end(w, ms, MEDIA_REC_SILENCE, false);
	if (w->now_ms >= ms->next_rtcp_ms) {
		/* RFC 3550 6.3.1: spread over 0.5-1.5 intervals, so sessions started together
		 * do not report together for ever. */
		w->rand = w->rand * 1103515245u + 12345u;
		ms->next_rtcp_ms = w->now_ms + RTCP_INTERVAL_MS / 2 +
		    (int64_t)((w->rand >> 8) % RTCP_INTERVAL_MS);
		media_send_rtcp(w, ms, false);
		media_publish(ms);
	}
	media_send_frame(w, ms);
}

void
media_worker_tick(struct media_worker *w)
{
	struct media_session *ms;

	for (ms = w->sessions; ms != NULL; ms = ms->next)
		media_session_tick(w, ms);
}

static void
media_apply_neg(struct media_session *ms, const struct sdp_neg *neg)
{
	ms->rate = codec_rate(neg->codec);
	ms->clock = codec_clock(neg->codec);
	ms->frame = codec_frame_samples(neg->codec);
	ms->wneg = *neg;
}

static void
media_worker_add(struct media_worker *w, struct media_session *ms)
{
	struct epoll_event ev;
	int i;

	media_set_peer(ms, &ms->wneg, false);
	media_apply_neg(ms, &ms->wneg);
	ms->tx.clock = ms->clock;
	ms->last_rx_ms = w->now_ms;
	ms->next_rtcp_ms = w->now_ms + RTCP_INTERVAL_MS / 2;	/* RFC 3550 6.2: half at first */
	for (i = 0; i < 2; i++) {
		ms->sock[i].ms = ms;
		ms->sock[i].idx = i;
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.ptr = &ms->sock[i];
		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, ms->fd[i], &ev) < 0)
			log_error("media: epoll_ctl: %s", strerror(errno));
	}
	ms->next = w->sessions;
	ms->prev = NULL;
	if (w->sessions != NULL)
		w->sessions->prev = ms;
	w->sessions = ms;
}

/* Frees everything the worker holds for the session; quiet: no recording event. */
void
media_worker_destroy(struct media_worker *w, struct media_session *ms, bool quiet)
{
	int i;

	media_rec_end(w, ms, MEDIA_REC_STOPPED, quiet);
	media_tap_free(ms->tap);
	ms->tap = NULL;
	media_jb_release(ms);
	media_send_rtcp(w, ms, true);	/* the last report, and goodbye */
	media_publish(ms);
	atomic_fetch_sub(&media_counters.sessions_active, 1);
	free(ms->play);
	ms->play = NULL;
	for (i = 0; i < 2; i++) {
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, ms->fd[i], NULL);
		close(ms->fd[i]);
	}
	codec_free(ms->codec);
	srtp_sess_free(ms->srtp);
	ms->codec = NULL;
	ms->srtp = NULL;
	if (ms->prev != NULL)
		ms->prev->next = ms->next;
	else
		w->sessions = ms->next;
	if (ms->next != NULL)
		ms->next->prev = ms->prev;
}

static void
media_beep(struct media_session *ms)
{
	size_t n = (size_t)ms->rate * MEDIA_BEEP_MS / 1000, i;

	media_play_end(ms, 1);
	ms->play = xmalloc(n * sizeof *ms->play);
	for (i = 0; i < n; i++)
		ms->play[i] = (int16_t)(8000.0 * sin(2.0 * M_PI * MEDIA_BEEP_HZ * (double)i /
		    ms->rate));
	ms->play_n = n;
	ms->play_pos = 0;
}

static void
media_play(struct media_session *ms, const char *path)
{
	int16_t *pcm = NULL;
	size_t n = 0;
	int r;

	media_play_end(ms, 1);
	r = wav_read(path, ms->rate, &pcm, &n);
	if (r < 0 || n == 0) {
		struct media_event ev = { .type = MEDIA_EV_PLAY_DONE, .status = -1 };

		log_warn("media: cannot play %s: %s", path, r < 0 ? strerror(errno) : "empty");
		if (r == 0)
			free(pcm);
		media_post_event(ms, &ev);
		return;
	}
	ms->play = pcm;
	ms->play_n = n;
	ms->play_pos = 0;
}

static void
media_record(struct media_worker *w, struct media_session *ms, char *path, int max_ms,
    int silence_ms)
{
	media_rec_end(w, ms, MEDIA_REC_STOPPED, false);
	ms->rec_path = path;
	ms->rec = wav_create(path, ms->rate);
	if (ms->rec == NULL) {
		struct media_event ev = { .type = MEDIA_EV_RECORD_DONE, .path = path,
		    .reason = MEDIA_REC_ERROR };

		log_warn("media: cannot record to %s: %s", path, strerror(errno));
		media_post_event(ms, &ev);
		free(path);
		ms->rec_path = NULL;
		return;
	}
	media_jb_need(ms);
	ms->rec_max = (size_t)((int64_t)max_ms * ms->rate / 1000);
	ms->rec_silence_ms = silence_ms;
	ms->rec_silence_limit = (size_t)((int64_t)silence_ms * ms->rate / 1000);
	ms->rec_silence_run = 0;
	ms->rec_last_pkt_ms = w->now_ms;
}

static void
media_update(struct media_worker *w, struct media_session *ms, struct media_msg *m)
{
	if (m->codec != NULL) {
		media_play_end(ms, 1);
		media_rec_end(w, ms, MEDIA_REC_STOPPED, false);
		codec_free(ms->codec);
		ms->codec = m->codec;
		m->codec = NULL;
		/* The jitter buffer counts in the old clock; a tap at another rate is no use. */
		if (ms->tap != NULL && media_tap_rate(ms->tap) != codec_rate(m->neg.codec)) {
			media_tap_free(ms->tap);
			ms->tap = NULL;
		}
		jitter_free(ms->jb);
		ms->jb = NULL;
		ms->tap_acc_n = 0;
	}
	if (m->srtp != NULL) {
		srtp_sess_free(ms->srtp);
		ms->srtp = m->srtp;
		m->srtp = NULL;
	}
	media_set_peer(ms, &m->neg, true);
	media_apply_neg(ms, &m->neg);
	ms->tx.clock = ms->clock;
	ms->timeout_fired = false;
	if (ms->tap != NULL)
		media_jb_need(ms);
}

/* Takes over the message's reference to the tap (NULL: the bridge ends). */
static void
media_bridge(struct media_session *ms, struct media_tap *tap)
{
	media_tap_free(ms->tap);
	ms->tap = tap;
	ms->tap_acc_n = 0;
	if (tap != NULL)
		media_jb_need(ms);
	else
		media_jb_release(ms);
}

/* Takes over m's path (freed here or kept by the session). */
void
media_worker_msg(struct media_worker *w, struct media_msg *m)
{
	struct media_session *ms = m->ms;

	switch (m->type) {
	case MEDIA_MSG_ADD:
		media_worker_add(w, ms);
		break;
	case MEDIA_MSG_DEL:
		media_worker_destroy(w, ms, true);
		media_post_gone(ms);
		break;
	case MEDIA_MSG_UPDATE:
		media_update(w, ms, m);
		break;
	case MEDIA_MSG_PLAY:
		media_play(ms, m->path);
		break;
	case MEDIA_MSG_BEEP:
		media_beep(ms);
		break;
	case MEDIA_MSG_PLAY_STOP:
		media_play_end(ms, 1);
		break;
	case MEDIA_MSG_RECORD:
		media_record(w, ms, m->path, m->a, m->b);
		m->path = NULL;
		break;
	case MEDIA_MSG_RECORD_STOP:
		media_rec_end(w, ms, MEDIA_REC_STOPPED, false);
		break;
	case MEDIA_MSG_DTMF:
		dtmf_tx_start(&ms->dtx, m->digit, ms->ts,
		    ms->wneg.dtmf_clock > 0 ? ms->wneg.dtmf_clock : ms->clock, DTMF_DEFAULT_MS);
		break;
	case MEDIA_MSG_TIMEOUT:
		ms->timeout_ms = m->a;
		ms->timeout_fired = false;
		ms->last_rx_ms = w->now_ms;
		break;
	case MEDIA_MSG_BRIDGE:
		media_bridge(ms, m->tap);
		m->tap = NULL;
		break;
	}
	media_tap_free(m->tap);
	codec_free(m->codec);
	srtp_sess_free(m->srtp);
	free(m->path);
	free(m);
}
