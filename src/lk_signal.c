/* lk_signal: LiveKit's WebSocket signalling client (see lk_signal.h). Owns the SoupSession,
 * the validate request, the WebSocket connection and the ping timers of one session; every
 * callback runs on the GMainContext given to lk_signal_new(). */
#include <string.h>

#include <libsoup/soup.h>

#include "lk_signal.h"
#include "log.h"

#define LK_SIGNAL_MAX_FRAME	(4 * 1024 * 1024)
#define LK_SIGNAL_RETRIES	6	/* resume attempts, 0.25 s to 4 s apart (~12 s) */

struct lk_signal {
	GMainContext		*ctx;
	SoupSession		*soup;
	SoupWebsocketConnection	*ws;
	GCancellable		*cancel;
	char			*base;		/* http(s)://host:port[/prefix] */
	char			*query_v1;
	char			*query_v0;
	char			*token;
	uint8_t			*join_pb;	/* the JoinRequest, packed, for resuming */
	size_t			 join_len;
	char			*psid;		/* our participant sid once joined */
	int			 leaving;
	int			 attempts;	/* resume attempts since the last open */
	GSource			*retry_src;
	int			 v1;
	const struct lk_signal_cb *cb;
	void			*arg;
	GSource			*ping_src;
	int			 ping_timeout_s;
	int64_t			 last_pong_us;	/* monotonic */
	int64_t			 rtt_ms;
	int			 closed;	/* closed() was called */
};

static void	lk_signal_connect(struct lk_signal *);
static void	lk_signal_lost(struct lk_signal *, const char *);

char *
lk_signal_base_url(const char *url)
{
	const char *rest;
	const char *scheme;
	char *s;
	size_t n;

	if (g_str_has_prefix(url, "wss://")) {
		scheme = "https://";
		rest = url + 6;
	} else if (g_str_has_prefix(url, "ws://")) {
		scheme = "http://";
		rest = url + 5;
	} else if (g_str_has_prefix(url, "https://")) {
		scheme = "https://";
		rest = url + 8;
	} else if (g_str_has_prefix(url, "http://")) {
		scheme = "http://";
		rest = url + 7;
	} else
		return NULL;
	if (*rest == '\0' || *rest == '/')
		return NULL;
	s = g_strconcat(scheme, rest, NULL);
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

char *
lk_signal_query_v1(const char *token, const Lk__JoinRequest *join)
{
	Lk__WrappedJoinRequest w = LK__WRAPPED_JOIN_REQUEST__INIT;
	uint8_t *jb, *wb;
	size_t jn, wn;
	char *b64, *esc_tok, *esc_join, *q, *p;

	jn = lk__join_request__get_packed_size(join);
	jb = g_malloc(jn ? jn : 1);
	lk__join_request__pack(join, jb);
	w.compression = LK__WRAPPED_JOIN_REQUEST__COMPRESSION__NONE;
	w.join_request.data = jb;
	w.join_request.len = jn;
	wn = lk__wrapped_join_request__get_packed_size(&w);
	wb = g_malloc(wn ? wn : 1);
	lk__wrapped_join_request__pack(&w, wb);
	b64 = g_base64_encode(wb, wn);
	/* Go's base64.URLEncoding: the URL alphabet, padding kept. */
	for (p = b64; *p != '\0'; p++) {
		if (*p == '+')
			*p = '-';
		else if (*p == '/')
			*p = '_';
	}
	esc_tok = g_uri_escape_string(token, NULL, FALSE);
	esc_join = g_uri_escape_string(b64, NULL, FALSE);
	q = g_strdup_printf("access_token=%s&join_request=%s", esc_tok, esc_join);
	g_free(esc_join);
	g_free(esc_tok);
	g_free(b64);
	g_free(wb);
	g_free(jb);
	return q;
}

char *
lk_signal_query_v0(const char *token, const Lk__JoinRequest *join)
{
	const Lk__ClientInfo *ci = join->client_info;
	const Lk__ConnectionSettings *cs = join->connection_settings;
	char *esc_tok, *esc_ver, *q;

	esc_tok = g_uri_escape_string(token, NULL, FALSE);
	esc_ver = g_uri_escape_string(ci && ci->version ? ci->version : "", NULL, FALSE);
	q = g_strdup_printf("access_token=%s&protocol=%d&sdk=cpp&version=%s&auto_subscribe=%d"
	    "&adaptive_stream=0", esc_tok, ci ? ci->protocol : 0, esc_ver,
	    cs ? cs->auto_subscribe : 1);
	g_free(esc_ver);
	g_free(esc_tok);
	return q;
}

static void
lk_signal_source_drop(GSource **src)
{
	if (*src != NULL) {
		g_source_destroy(*src);
		g_source_unref(*src);
		*src = NULL;
	}
}

static void
lk_signal_fail(struct lk_signal *sig, const char *reason)
{
	if (sig->closed)
		return;
	sig->closed = 1;
	lk_signal_source_drop(&sig->ping_src);
	lk_signal_source_drop(&sig->retry_src);
	sig->cb->closed(sig->arg, reason);
}

static void
lk_signal_drop_ws(struct lk_signal *sig)
{
	if (sig->ws == NULL)
		return;
	g_signal_handlers_disconnect_by_data(sig->ws, sig);
	if (soup_websocket_connection_get_state(sig->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(sig->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
	g_object_unref(sig->ws);
	sig->ws = NULL;
}

static gboolean
lk_signal_retry(gpointer arg)
{
	struct lk_signal *sig = arg;
	Lk__JoinRequest *j;

	lk_signal_source_drop(&sig->retry_src);
	j = lk__join_request__unpack(NULL, sig->join_len, sig->join_pb);
	if (j == NULL) {
		lk_signal_fail(sig, "cannot rebuild the join request");
		return G_SOURCE_REMOVE;
	}
	j->reconnect = 1;
	j->reconnect_reason = LK__RECONNECT_REASON__RR_SIGNAL_DISCONNECTED;
	j->participant_sid = sig->psid;	/* borrowed until the pack below */
	g_free(sig->query_v1);
	sig->query_v1 = lk_signal_query_v1(sig->token, j);
	j->participant_sid = NULL;
	lk__join_request__free_unpacked(j, NULL);
	log_info("livekit: resuming the session (attempt %d)", sig->attempts);
	lk_signal_connect(sig);
	return G_SOURCE_REMOVE;
}

/* The WebSocket went away without a leave: resume with reconnect=1 (the peer connection
 * keeps running meanwhile), a few times with backoff, then give up. */
static void
lk_signal_lost(struct lk_signal *sig, const char *reason)
{
	if (sig->closed)
		return;
	lk_signal_drop_ws(sig);
	if (sig->leaving || sig->psid == NULL || !sig->v1 || sig->attempts >= LK_SIGNAL_RETRIES) {
		lk_signal_fail(sig, reason);
		return;
	}
	log_warn("livekit: signalling lost (%s), resuming", reason);
	sig->retry_src = g_timeout_source_new(250u << sig->attempts);
	sig->attempts++;
	g_source_set_callback(sig->retry_src, lk_signal_retry, sig, NULL);
	g_source_attach(sig->retry_src, sig->ctx);
}

void
lk_signal_set_participant(struct lk_signal *sig, const char *sid)
{
	g_free(sig->psid);
	sig->psid = g_strdup(sid);
}

void
lk_signal_resume(struct lk_signal *sig)
{
	lk_signal_lost(sig, "the server asked for a resume");
}

static void
lk_signal_on_message(SoupWebsocketConnection *ws, gint type, GBytes *data, gpointer arg)
{
	struct lk_signal *sig = arg;
	Lk__SignalResponse *r;
	gsize n;
	const uint8_t *p;

	(void)ws;
	if (type != SOUP_WEBSOCKET_DATA_BINARY) {
		/* We never send text, so the server never switches to protojson. */
		log_warn("livekit: ignoring a text signalling frame");
		return;
	}
	p = g_bytes_get_data(data, &n);
	r = lk__signal_response__unpack(NULL, n, p);
	if (r == NULL) {
		log_warn("livekit: undecodable signalling frame (%zu bytes)", (size_t)n);
		return;
	}
	if (r->message_case == LK__SIGNAL_RESPONSE__MESSAGE_REFRESH_TOKEN &&
	    r->refresh_token != NULL && r->refresh_token[0] != '\0') {
		/* A resume hours into a call must not present the expired original. */
		g_free(sig->token);
		sig->token = g_strdup(r->refresh_token);
	}
	if (r->message_case == LK__SIGNAL_RESPONSE__MESSAGE_PONG_RESP) {
		sig->last_pong_us = g_get_monotonic_time();
		sig->rtt_ms = g_get_real_time() / 1000 - r->pong_resp->last_ping_timestamp;
	}
	sig->cb->message(sig->arg, r);
	lk__signal_response__free_unpacked(r, NULL);
}

static void
lk_signal_on_closed(SoupWebsocketConnection *ws, gpointer arg)
{
	struct lk_signal *sig = arg;
	char reason[128];

	g_snprintf(reason, sizeof reason, "websocket closed (code %u)",
	    soup_websocket_connection_get_close_code(ws));
	lk_signal_lost(sig, reason);
}

static void
lk_signal_on_ws(GObject *src, GAsyncResult *res, gpointer arg)
{
	struct lk_signal *sig = arg;
	GError *err = NULL;
	SoupWebsocketConnection *ws;
	char reason[256];

	ws = soup_session_websocket_connect_finish(SOUP_SESSION(src), res, &err);
	if (ws == NULL) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_snprintf(reason, sizeof reason, "websocket: %s", err->message);
			lk_signal_lost(sig, reason);
		}
		g_error_free(err);
		return;
	}
	if (sig->attempts > 0)
		log_info("livekit: signalling resumed");
	sig->attempts = 0;
	sig->last_pong_us = g_get_monotonic_time();
	sig->ws = ws;
	soup_websocket_connection_set_max_incoming_payload_size(ws, LK_SIGNAL_MAX_FRAME);
	g_signal_connect(ws, "message", G_CALLBACK(lk_signal_on_message), sig);
	g_signal_connect(ws, "closed", G_CALLBACK(lk_signal_on_closed), sig);
	log_info("livekit: signalling connected on %s", sig->v1 ? "/rtc/v1" : "/rtc");
	sig->cb->open(sig->arg, sig->v1);
}

static void
lk_signal_connect(struct lk_signal *sig)
{
	SoupMessage *msg;
	char *uri;

	uri = g_strdup_printf("%s%s?%s", sig->base, sig->v1 ? "/rtc/v1" : "/rtc",
	    sig->v1 ? sig->query_v1 : sig->query_v0);
	msg = soup_message_new("GET", uri);
	g_free(uri);
	if (msg == NULL) {
		lk_signal_fail(sig, "bad url");
		return;
	}
	soup_session_websocket_connect_async(sig->soup, msg, NULL, NULL, G_PRIORITY_DEFAULT,
	    sig->cancel, lk_signal_on_ws, sig);
	g_object_unref(msg);
}

/* /rtc/v1/validate answers 200 when the server knows the v1 route and accepts the token,
 * 404 on servers older than v1.9.1, and 401/403 with a reason for a bad token. */
static void
lk_signal_on_validate(GObject *src, GAsyncResult *res, gpointer arg)
{
	struct lk_signal *sig = arg;
	SoupMessage *msg;
	GError *err = NULL;
	GBytes *body;
	guint status;
	char reason[512];
	gsize n = 0;
	const char *p;

	body = soup_session_send_and_read_finish(SOUP_SESSION(src), res, &err);
	if (body == NULL) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_snprintf(reason, sizeof reason, "validate: %s", err->message);
			lk_signal_fail(sig, reason);
		}
		g_error_free(err);
		return;
	}
	msg = soup_session_get_async_result_message(SOUP_SESSION(src), res);
	status = soup_message_get_status(msg);
	p = g_bytes_get_data(body, &n);
	if (status == SOUP_STATUS_OK) {
		sig->v1 = 1;
		lk_signal_connect(sig);
	} else if (status == SOUP_STATUS_NOT_FOUND) {
		log_info("livekit: the server has no /rtc/v1 (404), using /rtc");
		sig->v1 = 0;
		lk_signal_connect(sig);
	} else {
		g_snprintf(reason, sizeof reason, "validate: HTTP %u: %.*s", status,
		    (int)MIN(n, 200), p != NULL ? p : "");
		g_strchomp(reason);
		lk_signal_fail(sig, reason);
	}
	g_bytes_unref(body);
}

struct lk_signal *
lk_signal_new(GMainContext *ctx, const char *url, const char *token,
    const Lk__JoinRequest *join, const struct lk_signal_cb *cb, void *arg)
{
	struct lk_signal *sig;
	SoupMessage *msg;
	char *uri;

	sig = g_new0(struct lk_signal, 1);
	sig->base = lk_signal_base_url(url);
	if (sig->base == NULL) {
		log_error("livekit: not a ws(s):// or http(s):// url: %s", url);
		g_free(sig);
		return NULL;
	}
	sig->ctx = g_main_context_ref(ctx);
	sig->cb = cb;
	sig->arg = arg;
	sig->token = g_strdup(token);
	sig->query_v1 = lk_signal_query_v1(token, join);
	sig->join_len = lk__join_request__get_packed_size(join);
	sig->join_pb = g_malloc(sig->join_len ? sig->join_len : 1);
	lk__join_request__pack(join, sig->join_pb);
	sig->query_v0 = lk_signal_query_v0(token, join);
	sig->cancel = g_cancellable_new();

	/* libsoup runs its I/O on the thread-default context of the calls that start it. */
	g_main_context_push_thread_default(ctx);
	sig->soup = soup_session_new_with_options("user-agent", "scaidial/" PACKAGE_VERSION,
	    "timeout", 15, NULL);
	uri = g_strdup_printf("%s/rtc/v1/validate?%s", sig->base, sig->query_v1);
	msg = soup_message_new("GET", uri);
	g_free(uri);
	if (msg != NULL) {
		soup_session_send_and_read_async(sig->soup, msg, G_PRIORITY_DEFAULT, sig->cancel,
		    lk_signal_on_validate, sig);
		g_object_unref(msg);
	}
	g_main_context_pop_thread_default(ctx);
	if (msg == NULL) {
		log_error("livekit: bad url %s", url);
		lk_signal_free(sig);
		return NULL;
	}
	return sig;
}

int
lk_signal_send(struct lk_signal *sig, const Lk__SignalRequest *req)
{
	size_t n;
	uint8_t *b;

	if (sig->ws == NULL || sig->closed ||
	    soup_websocket_connection_get_state(sig->ws) != SOUP_WEBSOCKET_STATE_OPEN)
		return -1;
	n = lk__signal_request__get_packed_size(req);
	b = g_malloc(n ? n : 1);
	lk__signal_request__pack(req, b);
	soup_websocket_connection_send_binary(sig->ws, b, n);
	g_free(b);
	return 0;
}

static gboolean
lk_signal_ping(gpointer arg)
{
	struct lk_signal *sig = arg;
	Lk__SignalRequest req = LK__SIGNAL_REQUEST__INIT;
	Lk__Ping ping = LK__PING__INIT;
	int64_t now = g_get_monotonic_time();

	if (sig->ws == NULL)
		return G_SOURCE_CONTINUE;	/* resuming */
	if (now - sig->last_pong_us > (int64_t)sig->ping_timeout_s * G_USEC_PER_SEC) {
		log_warn("livekit: no pong for %d s", sig->ping_timeout_s);
		lk_signal_lost(sig, "ping timeout");
		return G_SOURCE_CONTINUE;
	}
	ping.timestamp = g_get_real_time() / 1000;
	ping.rtt = sig->rtt_ms;
	req.message_case = LK__SIGNAL_REQUEST__MESSAGE_PING_REQ;
	req.ping_req = &ping;
	lk_signal_send(sig, &req);
	return G_SOURCE_CONTINUE;
}

void
lk_signal_set_ping(struct lk_signal *sig, int interval_s, int timeout_s)
{
	lk_signal_source_drop(&sig->ping_src);
	if (interval_s <= 0 || sig->closed)
		return;
	sig->ping_timeout_s = timeout_s > interval_s ? timeout_s : 3 * interval_s;
	sig->last_pong_us = g_get_monotonic_time();
	sig->ping_src = g_timeout_source_new_seconds((guint)interval_s);
	g_source_set_callback(sig->ping_src, lk_signal_ping, sig, NULL);
	g_source_attach(sig->ping_src, sig->ctx);
}

void
lk_signal_leave(struct lk_signal *sig)
{
	Lk__SignalRequest req = LK__SIGNAL_REQUEST__INIT;
	Lk__LeaveRequest leave = LK__LEAVE_REQUEST__INIT;

	sig->leaving = 1;
	g_cancellable_cancel(sig->cancel);
	if (sig->ws == NULL ||
	    soup_websocket_connection_get_state(sig->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
		lk_signal_fail(sig, "left");
		return;
	}
	leave.reason = LK__DISCONNECT_REASON__CLIENT_INITIATED;
	leave.action = LK__LEAVE_REQUEST__ACTION__DISCONNECT;
	req.message_case = LK__SIGNAL_REQUEST__MESSAGE_LEAVE;
	req.leave = &leave;
	lk_signal_send(sig, &req);
	soup_websocket_connection_close(sig->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, "leave");
}

int64_t
lk_signal_rtt_ms(const struct lk_signal *sig)
{
	return sig->rtt_ms;
}

void
lk_signal_free(struct lk_signal *sig)
{
	if (sig == NULL)
		return;
	sig->closed = 1;
	if (sig->cancel != NULL) {
		g_cancellable_cancel(sig->cancel);
		g_object_unref(sig->cancel);
	}
	lk_signal_source_drop(&sig->ping_src);
	lk_signal_source_drop(&sig->retry_src);
	lk_signal_drop_ws(sig);
	if (sig->soup != NULL)
		g_object_unref(sig->soup);
	if (sig->ctx != NULL)
		g_main_context_unref(sig->ctx);
	g_free(sig->base);
	g_free(sig->query_v1);
	g_free(sig->query_v0);
	g_free(sig->token);
	g_free(sig->join_pb);
	g_free(sig->psid);
	g_free(sig);
}
