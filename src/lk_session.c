/* lk_session: the LiveKit participant state machine (see lk_session.h). It owns one
 * signalling connection, one WebRTC transport, the data channels, the Opus sender and
 * receiver, and the room's roster (lk_roster.c).
 *
 * The sequence on /rtc/v1: join -> add_track -> track_published -> our offer (one sendonly
 * m-line) -> answer -> trickle both ways -> ICE + DTLS. When someone publishes audio the
 * server asks for receive sections (media_sections_requirement); we add that many recvonly
 * m-lines and offer again; its answer maps the mids to track sids (mid_to_track_id). */
#include <stdio.h>
#include <string.h>

#include "datachan.h"
#include "lk_roster.h"
#include "lk_rtcp.h"
#include "lk_sdp.h"
#include "lk_session.h"
#include "lk_signal.h"
#include "log.h"
#include "rtcp.h"
#include "webrtc.h"

#define LK_PROTOCOL		17
#define LK_RTP_MAX		1500

struct lk_session {
	GMainContext	*ctx;
	const struct lk_session_cb *cb;
	void		*arg;
	struct lk_signal *sig;
	struct webrtc	*rtc;
	struct lk_audio_tx *tx;
	struct lk_audio_rx *rx;
	struct datachan	*dc;		/* NULL without cb->dtmf */
	int		 dc_open;	/* _reliable is open */
	int		 v1;
	int		 joined;
	int		 ended;
	char		*identity;
	char		*track_cid;	/* AddTrackRequest.cid = msid track id */
	char		*stream_id;
	uint32_t	 ssrc;
	uint64_t	 sdp_session;
	unsigned	 offer_id;
	int		 offer_pending;	/* waiting for the answer to offer_id */
	int		 offered_media;	/* m-lines in the last offer */
	int		 want_media;	/* m-lines wanted: 1 + receive sections asked for */
	int		 answered;	/* a first answer set the remote transport */
	int		 track_published;
	int		 connected;
	int		 publishing;
	int		 send_pt;
	int		 send_ext_level;
	int		 recv_pt;
	int		 recv_ext_mid;
	GPtrArray	*local_cands;	/* before the first answer */
	GPtrArray	*remote_cands;	/* before the first answer */
	int		 remote_final;
	struct lk_roster *roster;
	struct lk_rtcp	*rtcp;
	GSource		*rtcp_timer;	/* every second */
	unsigned	 rtcp_ticks;	/* seconds since media is up */
	int		 nack;		/* the answer kept a=rtcp-fb:<opus> nack */
	unsigned	 drop_every;	/* test hook: lk_session_test_drop() */
	int		 no_resend;	/* the same: NACKs not answered */
	uint64_t	 frames;
	uint64_t	 dropped;
	char		 pkt_mid[32];	/* of the packet being decoded */
	uint8_t		 pkt[LK_RTP_MAX + DTLS_SRTP_TRAILER];
	uint8_t		 rtcp_pkt[LK_RTP_MAX + DTLS_SRTP_TRAILER];
};

/* The media path's figures in the log at the end, for the daemon's calls too. */
static void
lk_session_log_rtcp(const struct lk_session *s)
{
	struct lk_rtcp_stats st;
	char rtt[32] = "unknown";

	if (!s->connected)
		return;
	lk_rtcp_stats(s->rtcp, &st);
	if (st.rtt_us >= 0)
		g_snprintf(rtt, sizeof rtt, "%.1f ms", (double)st.rtt_us / 1000);
	log_info("livekit: media over ICE %s: rtt %s, the SFU lost %d of our packets, "
	    "%" G_GUINT64_FORMAT " NACKed, %" G_GUINT64_FORMAT " sent again",
	    webrtc_transport(s->rtc), rtt, st.cumulative_lost, st.nacked, st.retransmitted);
}

static void
lk_session_end(struct lk_session *s, const char *reason)
{
	if (s->ended)
		return;
	s->ended = 1;
	log_info("livekit: session ended: %s", reason);
	lk_session_log_rtcp(s);
	s->cb->disconnected(s->arg, reason);
}

static void
lk_session_send(struct lk_session *s, Lk__SignalRequest *req)
{
	if (lk_signal_send(s->sig, req) != 0)
		log_warn("livekit: cannot send a signalling request now");
}

static void
lk_session_send_candidate(struct lk_session *s, const char *cand)
{
	Lk__SignalRequest req = LK__SIGNAL_REQUEST__INIT;
	Lk__TrickleRequest tr = LK__TRICKLE_REQUEST__INIT;
	char *json;

	json = lk_sdp_trickle_json(cand, "0", 0, webrtc_ufrag(s->rtc));
	tr.candidateinit = json;
	tr.target = LK__SIGNAL_TARGET__PUBLISHER;
	req.message_case = LK__SIGNAL_REQUEST__MESSAGE_TRICKLE;
	req.trickle = &tr;
	lk_session_send(s, &req);
	g_free(json);
}

static void
lk_session_offer(struct lk_session *s)
{
	Lk__SignalRequest req = LK__SIGNAL_REQUEST__INIT;
	Lk__SessionDescription sd = LK__SESSION_DESCRIPTION__INIT;
	struct lk_sdp_offer o;
	char *sdp;

	if (s->offer_pending || s->ended)
		return;
	memset(&o, 0, sizeof o);
	o.ufrag = webrtc_ufrag(s->rtc);
	o.pwd = webrtc_pwd(s->rtc);
	o.fingerprint = dtls_fingerprint();
	o.session_id = s->sdp_session;
	o.version = ++s->offer_id;
	o.nmedia = s->want_media;
	o.ssrc = s->ssrc;
	o.stream_id = s->stream_id;
	o.track_id = s->track_cid;
	o.cname = s->stream_id;
	o.data = s->cb->dtmf != NULL;
	sdp = lk_sdp_write_offer(&o);
	sd.type = "offer";
	sd.sdp = sdp;
	sd.id = s->offer_id;
	req.message_case = LK__SIGNAL_REQUEST__MESSAGE_OFFER;
	req.offer = &sd;
	log_debug("livekit: offer %u with %d m-lines", s->offer_id, o.nmedia);
	lk_session_send(s, &req);
	g_free(sdp);
	s->offer_pending = 1;
	s->offered_media = o.nmedia;
}

/* Our candidates go out once the first answer is in: the server accepts trickle only
 * for an offer it has, and libnice then knows the credentials to answer its checks. */
static void
lk_session_flush_candidates(struct lk_session *s)
{
	guint i;

	if (!s->answered)
		return;
	for (i = 0; i < s->local_cands->len; i++)
		lk_session_send_candidate(s, g_ptr_array_index(s->local_cands, i));
	g_ptr_array_set_size(s->local_cands, 0);
}

static void
lk_session_maybe_publishing(struct lk_session *s)
{
	if (s->publishing || !s->connected || !s->answered || s->send_pt < 0)
		return;
	s->publishing = 1;
	log_info("livekit: publishing");
	s->cb->publishing(s->arg);
}

static void
lk_session_answer_cand(void *arg, const char *mid, const char *cand)
{
	struct lk_session *s = arg;

	(void)mid;
	if (webrtc_add_remote_candidate(s->rtc, cand) != 0)
		log_debug("livekit: unusable candidate %s", cand);
}

static void
lk_session_on_answer(struct lk_session *s, const Lk__SessionDescription *sd)
{
	struct lk_sdp_answer *a;
	size_t i;
	int k;
	guint j;

	if (sd->id != s->offer_id)
		log_debug("livekit: answer %u for offer %u", sd->id, s->offer_id);
	a = g_new(struct lk_sdp_answer, 1);
	if (lk_sdp_parse_answer(sd->sdp, a, NULL, NULL) != 0) {
		g_free(a);
		lk_session_end(s, "unusable SDP answer");
		return;
	}
	s->offer_pending = 0;
	for (i = 0; i < sd->n_mid_to_track_id; i++)
		lk_roster_map_mid(s->roster, sd->mid_to_track_id[i]->key,
		    sd->mid_to_track_id[i]->value);
	s->send_pt = a->media[0].rejected ? -1 : a->media[0].opus_pt;
	s->send_ext_level = a->media[0].ext_audio_level;
	if (s->send_pt >= 0 && lk_sdp_has_nack(&a->media[0], s->send_pt) != s->nack) {
		s->nack = !s->nack;
		log_info("livekit: the answer %s NACK for our track", s->nack ? "keeps" :
		    "drops");
	}
	for (k = 1; k < a->nmedia; k++) {
		const struct lk_sdp_media *m = &a->media[k];

		if (m->rejected || m->opus_pt < 0)
			continue;
		s->recv_pt = m->opus_pt;
		if (m->ext_mid > 0)
			s->recv_ext_mid = m->ext_mid;
		for (int n = 0; n < m->nssrc; n++)
			lk_roster_map_ssrc(s->roster, m->ssrc[n], m->mid);
	}
	if (!s->answered) {
		if (webrtc_set_remote(s->rtc, a->ufrag, a->pwd, a->fingerprint, a->setup) != 0) {
			g_free(a);
			lk_session_end(s, "cannot set the remote ICE/DTLS parameters");
			return;
		}
		s->answered = 1;
		lk_sdp_parse_answer(sd->sdp, a, lk_session_answer_cand, s);
		for (j = 0; j < s->remote_cands->len; j++)
			lk_session_answer_cand(s, "", g_ptr_array_index(s->remote_cands, j));
		g_ptr_array_set_size(s->remote_cands, 0);
		if (s->remote_final)
			webrtc_remote_candidates_done(s->rtc);
		lk_session_flush_candidates(s);
	}
	g_free(a);
	lk_session_maybe_publishing(s);
	if (s->want_media != s->offered_media)
		lk_session_offer(s);
}

static void
lk_session_on_trickle(struct lk_session *s, const Lk__TrickleRequest *t)
{
	char cand[512], mid[32];

	if (!s->v1 && t->target == LK__SIGNAL_TARGET__SUBSCRIBER)
		return;	/* v0's second peer connection, which we do not run */
	if (t->candidateinit != NULL && t->candidateinit[0] != '\0' &&
	    lk_sdp_trickle_parse(t->candidateinit, cand, sizeof cand, mid, sizeof mid) == 0) {
		if (s->answered)
			lk_session_answer_cand(s, mid, cand);
		else
			g_ptr_array_add(s->remote_cands, g_strdup(cand));
	}
	if (t->final) {
		s->remote_final = 1;
		if (s->answered)
			webrtc_remote_candidates_done(s->rtc);
	}
}

static void
lk_session_on_join(struct lk_session *s, const Lk__JoinResponse *j)
{
	Lk__SignalRequest req = LK__SIGNAL_REQUEST__INIT;
	Lk__AddTrackRequest at = LK__ADD_TRACK_REQUEST__INIT;
	size_t i, k;

	if (j->participant == NULL) {
		lk_session_end(s, "join response without participant");
		return;
	}
	if (s->joined) {
		/* A resume the server did not know: it started us afresh. */
		lk_session_end(s, "the server did not resume the session");
		return;
	}
	s->joined = 1;
	s->identity = g_strdup(j->participant->identity);
	lk_roster_set_self(s->roster, s->identity);
	log_info("livekit: joined room %s as %s (%s), server %s", j->room ? j->room->name : "?",
	    s->identity, j->participant->sid,
	    j->server_info && j->server_info->version ? j->server_info->version : "?");
	lk_signal_set_ping(s->sig, j->ping_interval, j->ping_timeout);
	lk_signal_set_participant(s->sig, j->participant->sid);
	for (i = 0; i < j->n_ice_servers; i++)
		for (k = 0; k < j->ice_servers[i]->n_urls; k++)
			webrtc_add_ice_server(s->rtc, j->ice_servers[i]->urls[k],
			    j->ice_servers[i]->username, j->ice_servers[i]->credential);
	if (webrtc_gather(s->rtc) != 0) {
		lk_session_end(s, "cannot gather ICE candidates");
		return;
	}
	s->cb->joined(s->arg, j->room && j->room->name ? j->room->name : "", s->identity);
	for (i = 0; i < j->n_other_participants; i++)
		lk_roster_update(s->roster, j->other_participants[i]);

	at.cid = s->track_cid;
	at.name = "microphone";
	at.type = LK__TRACK_TYPE__AUDIO;
	at.source = LK__TRACK_SOURCE__MICROPHONE;
	at.disable_red = 1;
	req.message_case = LK__SIGNAL_REQUEST__MESSAGE_ADD_TRACK;
	req.add_track = &at;
	lk_session_send(s, &req);
}

static void
lk_session_on_message(void *arg, const Lk__SignalResponse *r)
{
	struct lk_session *s = arg;
	const ProtobufCFieldDescriptor *fd;
	size_t i;

	fd = protobuf_c_message_descriptor_get_field(&lk__signal_response__descriptor,
	    (unsigned)r->message_case);
	if (r->message_case != LK__SIGNAL_RESPONSE__MESSAGE_PONG_RESP)
		log_debug("livekit: <- %s", fd != NULL ? fd->name : "(outside our subset)");
	switch (r->message_case) {
	case LK__SIGNAL_RESPONSE__MESSAGE_JOIN:
		lk_session_on_join(s, r->join);
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_TRACK_PUBLISHED:
		if (r->track_published->cid != NULL &&
		    strcmp(r->track_published->cid, s->track_cid) == 0 && !s->track_published) {
			s->track_published = 1;
			lk_session_offer(s);
		}
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_ANSWER:
		lk_session_on_answer(s, r->answer);
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_OFFER:
		/* /rtc (v0) subscriber offers need SCTP data channels: not supported. */
		log_warn("livekit: <- offer from the server (v0 subscriber), not answered");
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_TRICKLE:
		lk_session_on_trickle(s, r->trickle);
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_UPDATE:
		for (i = 0; i < r->update->n_participants; i++)
			lk_roster_update(s->roster, r->update->participants[i]);
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_MEDIA_SECTIONS_REQUIREMENT:
		log_debug("livekit: receive sections wanted: audio %u video %u",
		    r->media_sections_requirement->num_audios,
		    r->media_sections_requirement->num_videos);
		/* Video is never subscribed; only audio sections are added. */
		if (s->want_media + (int)r->media_sections_requirement->num_audios >
		    LK_SDP_MAX_MEDIA) {
			log_warn("livekit: too many receive sections asked for");
			break;
		}
		s->want_media += (int)r->media_sections_requirement->num_audios;
		if (s->track_published)
			lk_session_offer(s);
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_LEAVE:
		log_info("livekit: <- leave (reason %d, action %d)", r->leave->reason,
		    r->leave->action);
		if (r->leave->action == LK__LEAVE_REQUEST__ACTION__RESUME)
			lk_signal_resume(s->sig);
		else
			lk_session_end(s, "the server asked us to leave");
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_RECONNECT:
		log_info("livekit: session resumed");
		if (s->offer_pending) {
			/* its answer may have been lost with the old socket */
			s->offer_pending = 0;
			lk_session_offer(s);
		}
		break;
	case LK__SIGNAL_RESPONSE__MESSAGE_TRACK_UNPUBLISHED:
	case LK__SIGNAL_RESPONSE__MESSAGE_ROOM_UPDATE:
	case LK__SIGNAL_RESPONSE__MESSAGE_PONG_RESP:
	default:
		break;
	}
}

static void
lk_session_on_open(void *arg, int v1)
{
	struct lk_session *s = arg;

	s->v1 = v1;
	if (!v1)
		log_warn("livekit: /rtc (v0): publishing only, receiving needs /rtc/v1");
}

static void
lk_session_on_closed(void *arg, const char *reason)
{
	lk_session_end(arg, reason);
}

static void
lk_session_on_candidate(void *arg, const char *cand)
{
	struct lk_session *s = arg;

	if (!s->answered)
		g_ptr_array_add(s->local_cands, g_strdup(cand));
	else
		lk_session_send_candidate(s, cand);
}

static void
lk_session_dc_send(void *arg, const uint8_t *p, size_t n)
{
	struct lk_session *s = arg;

	if (webrtc_send_data(s->rtc, p, n) != 0)
		log_debug("livekit: an SCTP packet could not be sent");
}

static void
lk_session_dc_open(void *arg, uint16_t sid, const char *label)
{
	struct lk_session *s = arg;

	log_info("livekit: data channel %s open (stream %u)", label, sid);
	if (strcmp(label, "_reliable") == 0)
		s->dc_open = 1;
}

static void
lk_session_dc_message(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *p, size_t n)
{
	struct lk_session *s = arg;
	Lk__DataPacket *dp;
	const char *d;

	(void)sid;
	if (ppid != DATACHAN_PPID_BINARY)
		return;
	dp = lk__data_packet__unpack(NULL, n, p);
	if (dp == NULL) {
		log_debug("livekit: undecodable data packet (%zu bytes)", n);
		return;
	}
	if (dp->value_case == LK__DATA_PACKET__VALUE_SIP_DTMF) {
		/* lk --publish-dtmf sends several digits in one packet, code 0. */
		for (d = dp->sip_dtmf->digit; d != NULL && *d != '\0'; d++)
			s->cb->dtmf(s->arg, dp->participant_identity, *d);
	} else if (dp->value_case == LK__DATA_PACKET__VALUE_USER && s->cb->data != NULL) {
		s->cb->data(s->arg, dp->participant_identity,
		    dp->user->topic != NULL ? dp->user->topic : "", dp->user->payload.data,
		    dp->user->payload.len);
	}
	lk__data_packet__free_unpacked(dp, NULL);
}

static void
lk_session_dc_closed(void *arg)
{
	struct lk_session *s = arg;

	log_warn("livekit: the data channels' SCTP association ended");
	s->dc_open = 0;
}

static const struct datachan_cb lk_session_dc_cb = {
	.send = lk_session_dc_send,
	.open = lk_session_dc_open,
	.message = lk_session_dc_message,
	.closed = lk_session_dc_closed,
};

/* Reports go out 1 s and 2 s after media is up, then every LK_RTCP_INTERVAL_MS: the early
 * SRs give the SFU our NTP/RTP mapping soon (one sent before its receiver for our track is
 * set up is lost on it), and its RRs the LSR our RTT needs. */
static gboolean
lk_session_rtcp_tick(gpointer arg)
{
	struct lk_session *s = arg;
	unsigned t = ++s->rtcp_ticks;
	size_t n;

	if ((t > 2 && t % (LK_RTCP_INTERVAL_MS / 1000) != 0) || s->ended)
		return G_SOURCE_CONTINUE;
	n = lk_rtcp_build(s->rtcp, s->rtcp_pkt, LK_RTP_MAX, g_get_real_time());
	if (n > 0 && webrtc_send_rtcp(s->rtc, s->rtcp_pkt, (int)n) != 0)
		log_debug("livekit: an RTCP report could not be sent");
	return G_SOURCE_CONTINUE;
}

static void
lk_session_resend(void *arg, const uint8_t *pkt, size_t len)
{
	struct lk_session *s = arg;

	/* pkt is in the history: protect a copy, the history keeps the clear packet. */
	memcpy(s->pkt, pkt, len);
	if (webrtc_send_rtp(s->rtc, s->pkt, (int)len) != 0)
		log_debug("livekit: a retransmission could not be sent");
}

static void
lk_session_on_rtcp(void *arg, const uint8_t *buf, size_t len)
{
	struct lk_session *s = arg;

	if (lk_rtcp_input(s->rtcp, buf, len, g_get_real_time(),
	    s->no_resend ? NULL : lk_session_resend, s) != 0)
		log_debug("livekit: malformed RTCP from the server (%zu bytes)", len);
}

static void
lk_session_on_rtc_state(void *arg, enum webrtc_state st, const char *why)
{
	struct lk_session *s = arg;

	if (st == WEBRTC_FAILED) {
		lk_session_end(s, why);
		return;
	}
	s->connected = 1;
	if (s->rtcp_timer == NULL) {
		s->rtcp_timer = g_timeout_source_new_seconds(1);
		g_source_set_callback(s->rtcp_timer, lk_session_rtcp_tick, s, NULL);
		g_source_attach(s->rtcp_timer, s->ctx);
	}
	if (s->cb->dtmf != NULL && s->dc == NULL) {
		/* LiveKit's client channels: both must open or the server drops the PC. */
		s->dc = datachan_new(s->ctx, webrtc_dtls_client(s->rtc), &lk_session_dc_cb, s);
		datachan_open(s->dc, "_reliable", 1, -1);
		datachan_open(s->dc, "_lossy", 0, 0);
		if (datachan_start(s->dc) != 0) {
			lk_session_end(s, "cannot start SCTP");
			return;
		}
	}
	lk_session_maybe_publishing(s);
}

static void
lk_session_on_data(void *arg, const uint8_t *p, size_t n)
{
	struct lk_session *s = arg;

	if (s->dc != NULL)
		datachan_input(s->dc, p, n);
}

/* RFC 4733 event codes, as LiveKit SIP uses them. */
static int
lk_session_dtmf_code(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c == '*')
		return 10;
	if (c == '#')
		return 11;
	if (c >= 'A' && c <= 'D')
		return 12 + (c - 'A');
	return -1;
}

int
lk_session_send_dtmf(struct lk_session *s, char digit)
{
	Lk__DataPacket dp = LK__DATA_PACKET__INIT;
	Lk__SipDTMF dtmf = LK__SIP_DTMF__INIT;
	char d[2] = { digit, '\0' };
	uint8_t buf[64];
	size_t n;
	int code = lk_session_dtmf_code(digit);

	if (code < 0 || s->cb->dtmf == NULL)
		return -1;
	if (s->dc == NULL || !s->dc_open || s->ended)
		return 1;
	dtmf.code = (uint32_t)code;
	dtmf.digit = d;
	dp.value_case = LK__DATA_PACKET__VALUE_SIP_DTMF;
	dp.sip_dtmf = &dtmf;
	n = lk__data_packet__get_packed_size(&dp);
	if (n > sizeof buf)
		return -1;
	lk__data_packet__pack(&dp, buf);
	return datachan_send(s->dc, "_reliable", DATACHAN_PPID_BINARY, buf, n) == 0 ? 0 : -1;
}

static void
lk_session_on_pcm(void *arg, uint32_t ssrc, const int16_t *pcm, size_t n)
{
	struct lk_session *s = arg;

	s->cb->audio(s->arg, lk_roster_source(s->roster, ssrc, s->pkt_mid), pcm, n);
}

static void
lk_session_on_rtp(void *arg, uint8_t *buf, size_t len)
{
	struct lk_session *s = arg;

	if (s->recv_pt < 0)
		return;
	lk_rtcp_received(s->rtcp, buf, len, g_get_real_time());
	lk_audio_rx_packet(s->rx, buf, len, s->recv_pt, s->recv_ext_mid, s->pkt_mid,
	    sizeof s->pkt_mid);
}

static void
lk_session_on_roster(void *arg, const char *identity, int present)
{
	struct lk_session *s = arg;

	s->cb->participant(s->arg, identity, present);
}

static const struct lk_signal_cb lk_session_signal_cb = {
	.open = lk_session_on_open,
	.message = lk_session_on_message,
	.closed = lk_session_on_closed,
};

static const struct webrtc_cb lk_session_rtc_cb = {
	.candidate = lk_session_on_candidate,
	.state = lk_session_on_rtc_state,
	.rtp = lk_session_on_rtp,
	.rtcp = lk_session_on_rtcp,
	.data = lk_session_on_data,
};

struct lk_session *
lk_session_new(GMainContext *ctx, const char *url, const char *token,
    const struct lk_session_cb *cb, void *arg)
{
	Lk__JoinRequest join = LK__JOIN_REQUEST__INIT;
	Lk__ClientInfo ci = LK__CLIENT_INFO__INIT;
	Lk__ConnectionSettings cs = LK__CONNECTION_SETTINGS__INIT;
	struct lk_session *s;

	s = g_new0(struct lk_session, 1);
	s->ctx = g_main_context_ref(ctx);
	s->cb = cb;
	s->arg = arg;
	s->send_pt = -1;
	s->recv_pt = -1;
	s->want_media = 1;
	s->ssrc = g_random_int();
	s->sdp_session = ((uint64_t)g_random_int() << 31) ^ g_random_int();
	s->track_cid = g_strdup_printf("TA_%08x%08x", g_random_int(), g_random_int());
	s->stream_id = g_strdup_printf("scaidial-%08x", g_random_int());
	s->local_cands = g_ptr_array_new_with_free_func(g_free);
	s->remote_cands = g_ptr_array_new_with_free_func(g_free);
	s->roster = lk_roster_new(lk_session_on_roster, s);
	s->tx = lk_audio_tx_new(s->ssrc);
	s->rx = lk_audio_rx_new(lk_session_on_pcm, s);
	s->rtcp = lk_rtcp_new(s->ssrc, s->stream_id);
	s->rtc = webrtc_new(ctx, &lk_session_rtc_cb, s);
	if (s->tx == NULL || s->rx == NULL || s->rtcp == NULL || s->rtc == NULL)
		goto fail;

	ci.sdk = LK__CLIENT_INFO__SDK__CPP;
	ci.version = PACKAGE_VERSION;
	ci.protocol = LK_PROTOCOL;
	ci.client_protocol = 0;
	ci.os = "linux";
	cs.auto_subscribe = 1;
	join.client_info = &ci;
	join.connection_settings = &cs;
	s->sig = lk_signal_new(ctx, url, token, &join, &lk_session_signal_cb, s);
	if (s->sig == NULL)
		goto fail;
	return s;
fail:
	lk_session_free(s);
	return NULL;
}

int
lk_session_push_pcm(struct lk_session *s, const int16_t *pcm)
{
	int n;

	if (!s->publishing || s->ended)
		return 1;
	n = lk_audio_tx_frame(s->tx, pcm, s->send_pt, s->send_ext_level, s->pkt, LK_RTP_MAX);
	if (n < 0)
		return -1;
	lk_rtcp_sent(s->rtcp, s->pkt, (size_t)n, g_get_real_time());
	if (s->drop_every > 0 && ++s->frames % s->drop_every == 0) {
		s->dropped++;
		return 0;	/* "lost on the way": in the history, never sent */
	}
	return webrtc_send_rtp(s->rtc, s->pkt, n);
}

void
lk_session_test_drop(struct lk_session *s, unsigned every, int resend)
{
	s->drop_every = every;
	s->no_resend = !resend;
}

void
lk_session_stats(const struct lk_session *s, struct lk_session_stats *st)
{
	lk_rtcp_stats(s->rtcp, &st->rtcp);
	st->nack = s->nack;
	g_strlcpy(st->ice_transport, s->rtc != NULL ? webrtc_transport(s->rtc) : "",
	    sizeof st->ice_transport);
	st->test_dropped = s->dropped;
}

int
lk_session_set_rate(struct lk_session *s, int rate)
{
	if (lk_audio_tx_rate(s->tx, rate) != 0 || lk_audio_rx_rate(s->rx, rate) != 0)
		return -1;
	return 0;
}

void
lk_session_leave(struct lk_session *s)
{
	size_t n;

	if (s->ended)
		return;
	if (s->connected) {
		/* A last report and BYE (RFC 3550 6.6) for our stream. */
		n = lk_rtcp_build(s->rtcp, s->rtcp_pkt, LK_RTP_MAX, g_get_real_time());
		n = n > 0 ? rtcp_append_bye(s->rtcp_pkt, n, LK_RTP_MAX, s->ssrc) : 0;
		if (n > 0)
			(void)webrtc_send_rtcp(s->rtc, s->rtcp_pkt, (int)n);
	}
	if (s->sig != NULL)
		lk_signal_leave(s->sig);
	else
		lk_session_end(s, "left");
}

void
lk_session_free(struct lk_session *s)
{
	if (s == NULL)
		return;
	if (s->rtcp_timer != NULL) {
		g_source_destroy(s->rtcp_timer);
		g_source_unref(s->rtcp_timer);
	}
	lk_signal_free(s->sig);
	datachan_free(s->dc);
	webrtc_free(s->rtc);
	lk_audio_tx_free(s->tx);
	lk_audio_rx_free(s->rx);
	lk_rtcp_free(s->rtcp);
	g_ptr_array_free(s->local_cands, TRUE);
	g_ptr_array_free(s->remote_cands, TRUE);
	lk_roster_free(s->roster);
	g_free(s->identity);
	g_free(s->track_cid);
	g_free(s->stream_id);
	g_main_context_unref(s->ctx);
	g_free(s);
}
