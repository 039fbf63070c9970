/* webrtc: ICE (libnice) + DTLS-SRTP (dtls.c) for one peer connection (see webrtc.h). */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <gio/gio.h>
#include <nice/agent.h>
#include <nice/interfaces.h>

#include "log.h"
#include "webrtc.h"

#define WEBRTC_MAX_PACKET	1500

struct webrtc {
	GMainContext	*ctx;
	NiceAgent	*agent;
	guint		 stream;
	char		*ufrag;
	char		*pwd;
	struct dtls	*dtls;
	const struct webrtc_cb *cb;
	void		*arg;
	int		 resolving;	/* ICE server names being looked up */
	int		 gather_wanted;
	int		 gathering;
	int		 remote_set;
	int		 failed;
	char		 transport[8];	/* of the selected pair */
	GCancellable	*cancel;
	uint8_t		 rx[WEBRTC_MAX_PACKET + DTLS_SRTP_TRAILER];
};

struct webrtc_server {
	struct webrtc	*w;
	int		 turn;
	NiceRelayType	 relay;
	guint		 port;
	char		*user;
	char		*pass;
};

static void
webrtc_fail(struct webrtc *w, const char *why)
{
	if (w->failed)
		return;
	w->failed = 1;
	w->cb->state(w->arg, WEBRTC_FAILED, why);
}

static void
webrtc_on_candidate(NiceAgent *agent, NiceCandidate *c, gpointer arg)
{
	struct webrtc *w = arg;
	gchar *sdp;

	sdp = nice_agent_generate_local_candidate_sdp(agent, c);
	if (sdp != NULL && g_str_has_prefix(sdp, "a="))
		w->cb->candidate(w->arg, sdp + 2);
	g_free(sdp);
}

static void
webrtc_on_state(NiceAgent *agent, guint stream, guint comp, guint state, gpointer arg)
{
	struct webrtc *w = arg;

	(void)agent;
	(void)stream;
	(void)comp;
	log_debug("webrtc: ICE %s", nice_component_state_to_string(state));
	if (state == NICE_COMPONENT_STATE_FAILED)
		webrtc_fail(w, "ICE failed");
}

/* Which pair carries the media: the ICE-TCP fallback is visible here (and in the log). */
static void
webrtc_on_pair(NiceAgent *agent, guint stream, guint comp, NiceCandidate *l, NiceCandidate *r,
    gpointer arg)
{
	struct webrtc *w = arg;
	char la[NICE_ADDRESS_STRING_LEN], ra[NICE_ADDRESS_STRING_LEN];

	(void)agent;
	(void)stream;
	(void)comp;
	g_strlcpy(w->transport, l->transport == NICE_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp",
	    sizeof w->transport);
	nice_address_to_string(&l->addr, la);
	nice_address_to_string(&r->addr, ra);
	log_info("webrtc: ICE pair %s %s:%u -> %s:%u", w->transport, la,
	    nice_address_get_port(&l->addr), ra, nice_address_get_port(&r->addr));
}

static void
webrtc_dtls_send(void *arg, const uint8_t *p, size_t n)
{
	struct webrtc *w = arg;

	nice_agent_send(w->agent, w->stream, 1, (guint)n, (const gchar *)p);
}

static void
webrtc_dtls_data(void *arg, const uint8_t *p, size_t n)
{
	struct webrtc *w = arg;

	if (w->cb->data != NULL)
		w->cb->data(w->arg, p, n);
}

static void
webrtc_dtls_done(void *arg, int ok, const char *why)
{
	struct webrtc *w = arg;

	if (ok) {
		log_info("webrtc: DTLS-SRTP up (%s)", why);
		w->cb->state(w->arg, WEBRTC_CONNECTED, why);
	} else
		webrtc_fail(w, why);
}

/* RFC 7983 demultiplexing: libnice keeps STUN, we get DTLS (20-63) and SRTP/SRTCP
 * (128-191), told apart by the RTCP packet types 192-223 in the second byte. */
static void
webrtc_on_recv(NiceAgent *agent, guint stream, guint comp, guint len, gchar *buf,
    gpointer arg)
{
	struct webrtc *w = arg;
	uint8_t b0;
	int n = (int)len;

	(void)agent;
	(void)stream;
	(void)comp;
	if (len == 0 || len > WEBRTC_MAX_PACKET)
		return;
	b0 = (uint8_t)buf[0];
	if (b0 >= 20 && b0 <= 63) {
		dtls_input(w->dtls, (const uint8_t *)buf, len);
		return;
	}
	if (b0 < 128 || b0 > 191 || len < 12 || !dtls_ready(w->dtls))
		return;
	memcpy(w->rx, buf, len);
	if ((w->rx[1] & 0x7f) >= 64 && (w->rx[1] & 0x7f) <= 95) {
		if (dtls_unprotect_rtcp(w->dtls, w->rx, &n) == 0 && w->cb->rtcp != NULL)
			w->cb->rtcp(w->arg, w->rx, (size_t)n);
		return;
	}
	if (dtls_unprotect_rtp(w->dtls, w->rx, &n) != 0)
		return;
	w->cb->rtp(w->arg, w->rx, (size_t)n);
}

static void
webrtc_add_host_addresses(struct webrtc *w)
{
	GList *ips, *l;
	NiceAddress a;

	/* Adding any address turns libnice's own discovery off, so add them all; loopback
	 * included, since a LiveKit on the same host offers 127.0.0.1 only. */
	ips = nice_interfaces_get_local_ips(TRUE);
	for (l = ips; l != NULL; l = l->next) {
		const char *ip = l->data;

		if (g_str_has_prefix(ip, "fe80") || !nice_address_set_from_string(&a, ip))
			continue;
		nice_agent_add_local_address(w->agent, &a);
	}
	g_list_free_full(ips, g_free);
}

/* libsofia-sip-ua exports a stun_message_length of its own, and libnice calls its one
 * through the PLT: in a process that loaded sofia-sip first, libnice runs sofia's and
 * reads past every STUN message it checks. 0 when libnice gets its own. */
static int
webrtc_check_symbols(void)
{
	Dl_info info;
	void *h, *own, *seen;
	int rc = -1;

	if (dladdr((void *)nice_agent_new_full, &info) == 0 || info.dli_fname == NULL)
		return 0;	/* cannot tell: assume a static or unusual build */
	h = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
	if (h == NULL)
		return 0;
	own = dlsym(h, "stun_message_length");
	seen = dlsym(RTLD_DEFAULT, "stun_message_length");
	if (own == NULL || own == seen)
		rc = 0;
	else if (dladdr(seen, &info) != 0)
		log_error("webrtc: %s's stun_message_length shadows libnice's; link libnice "
		    "before it", info.dli_fname != NULL ? info.dli_fname : "?");
	dlclose(h);
	return rc;
}

struct webrtc *
webrtc_new(GMainContext *ctx, const struct webrtc_cb *cb, void *arg)
{
	struct webrtc *w;
	const char *why;

	if (webrtc_check_symbols() != 0)
		return NULL;
	w = g_new0(struct webrtc, 1);
	w->ctx = g_main_context_ref(ctx);
	w->cb = cb;
	w->arg = arg;
	w->cancel = g_cancellable_new();
	w->dtls = dtls_new(ctx, webrtc_dtls_send, webrtc_dtls_done, w);
	if (w->dtls == NULL) {
		why = "DTLS";
		goto fail;
	}
	dtls_set_data_cb(w->dtls, webrtc_dtls_data);
	w->agent = nice_agent_new_full(ctx, NICE_COMPATIBILITY_RFC5245,
	    NICE_AGENT_OPTION_ICE_TRICKLE);
	if (w->agent == NULL) {
		why = "nice_agent_new";
		goto fail;
	}
	g_object_set(w->agent, "controlling-mode", TRUE, "upnp", FALSE, NULL);
	webrtc_add_host_addresses(w);
	w->stream = nice_agent_add_stream(w->agent, 1);
	if (w->stream == 0) {
		why = "nice_agent_add_stream";
		goto fail;
	}
	nice_agent_set_stream_name(w->agent, w->stream, "audio");
	g_signal_connect(w->agent, "new-candidate-full", G_CALLBACK(webrtc_on_candidate), w);
	g_signal_connect(w->agent, "component-state-changed", G_CALLBACK(webrtc_on_state), w);
	g_signal_connect(w->agent, "new-selected-pair-full", G_CALLBACK(webrtc_on_pair), w);
	if (!nice_agent_attach_recv(w->agent, w->stream, 1, ctx, webrtc_on_recv, w) ||
	    !nice_agent_get_local_credentials(w->agent, w->stream, &w->ufrag, &w->pwd)) {
		why = "nice_agent_attach_recv";
		goto fail;
	}
	return w;
fail:
	log_error("webrtc: cannot set up the ICE agent (%s)", why);
	webrtc_free(w);
	return NULL;
}

static void
webrtc_start_gathering(struct webrtc *w)
{
	if (w->gathering || !w->gather_wanted || w->resolving > 0)
		return;
	w->gathering = 1;
	if (!nice_agent_gather_candidates(w->agent, w->stream))
		webrtc_fail(w, "cannot gather ICE candidates");
}

static void
webrtc_server_apply(struct webrtc_server *s, const char *ip)
{
	struct webrtc *w = s->w;

	if (s->turn)
		nice_agent_set_relay_info(w->agent, w->stream, 1, ip, s->port, s->user,
		    s->pass, s->relay);
	else
		g_object_set(w->agent, "stun-server", ip, "stun-server-port", s->port, NULL);
	log_debug("webrtc: %s server %s:%u", s->turn ? "TURN" : "STUN", ip, s->port);
}

static void
webrtc_server_free(struct webrtc_server *s)
{
	g_free(s->user);
	g_free(s->pass);
	g_free(s);
}

static void
webrtc_on_resolved(GObject *src, GAsyncResult *res, gpointer arg)
{
	struct webrtc_server *s = arg;
	GError *err = NULL;
	GList *addrs;
	char *ip;

	addrs = g_resolver_lookup_by_name_finish(G_RESOLVER(src), res, &err);
	if (addrs == NULL) {
		if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			log_warn("webrtc: ICE server: %s", err->message);
			s->w->resolving--;
			webrtc_start_gathering(s->w);
		}
		g_error_free(err);
		webrtc_server_free(s);
		return;
	}
	ip = g_inet_address_to_string(addrs->data);
	webrtc_server_apply(s, ip);
	g_free(ip);
	g_resolver_free_addresses(addrs);
	s->w->resolving--;
	webrtc_start_gathering(s->w);
	webrtc_server_free(s);
}

void
webrtc_add_ice_server(struct webrtc *w, const char *url, const char *user, const char *pass)
{
	struct webrtc_server *s;
	const char *hp, *q, *colon;
	char *host;
	unsigned long port;
	GResolver *r;

	s = g_new0(struct webrtc_server, 1);
	s->w = w;
	if (g_str_has_prefix(url, "stun:")) {
		hp = url + 5;
		port = 3478;
	} else if (g_str_has_prefix(url, "turn:")) {
		hp = url + 5;
		port = 3478;
		s->turn = 1;
		s->relay = strstr(url, "transport=tcp") != NULL ? NICE_RELAY_TYPE_TURN_TCP :
		    NICE_RELAY_TYPE_TURN_UDP;
	} else if (g_str_has_prefix(url, "turns:")) {
		hp = url + 6;
		port = 5349;
		s->turn = 1;
		s->relay = NICE_RELAY_TYPE_TURN_TLS;
	} else {
		log_warn("webrtc: ignoring ICE server %s", url);
		g_free(s);
		return;
	}
	q = strchr(hp, '?');
	if (q == NULL)
		q = hp + strlen(hp);
	colon = memrchr(hp, ':', (size_t)(q - hp));
	if (colon != NULL && hp[0] != '[') {
		port = strtoul(colon + 1, NULL, 10);
		host = g_strndup(hp, (size_t)(colon - hp));
	} else
		host = g_strndup(hp, (size_t)(q - hp));
	if (port == 0 || port > 65535 || host[0] == '\0') {
		log_warn("webrtc: ignoring ICE server %s", url);
		g_free(host);
		g_free(s);
		return;
	}
	s->port = (guint)port;
	s->user = g_strdup(user != NULL ? user : "");
	s->pass = g_strdup(pass != NULL ? pass : "");
	if (g_hostname_is_ip_address(host)) {
		webrtc_server_apply(s, host);
		webrtc_server_free(s);
	} else {
		w->resolving++;
		r = g_resolver_get_default();
		g_main_context_push_thread_default(w->ctx);
		g_resolver_lookup_by_name_async(r, host, w->cancel, webrtc_on_resolved, s);
		g_main_context_pop_thread_default(w->ctx);
		g_object_unref(r);
	}
	g_free(host);
}

int
webrtc_gather(struct webrtc *w)
{
	w->gather_wanted = 1;
	webrtc_start_gathering(w);
	return w->failed ? -1 : 0;
}

const char *
webrtc_ufrag(const struct webrtc *w)
{
	return w->ufrag;
}

const char *
webrtc_pwd(const struct webrtc *w)
{
	return w->pwd;
}

int
webrtc_set_remote(struct webrtc *w, const char *ufrag, const char *pwd,
    const char *fingerprint, const char *setup)
{
	int server;

	if (w->remote_set)
		return 0;	/* later answers on the same transport: no ICE restart */
	if (!nice_agent_set_remote_credentials(w->agent, w->stream, ufrag, pwd))
		return -1;
	w->remote_set = 1;
	/* We offer actpass: an active answerer (pion's default) makes us the DTLS server. */
	server = strcmp(setup, "passive") != 0;
	return dtls_start(w->dtls, server, fingerprint);
}

int
webrtc_add_remote_candidate(struct webrtc *w, const char *cand)
{
	NiceCandidate *c;
	GSList l = { 0 };
	char *line;
	int n;

	line = g_strconcat("a=", cand, NULL);
	c = nice_agent_parse_remote_candidate_sdp(w->agent, w->stream, line);
	g_free(line);
	if (c == NULL)
		return -1;
	l.data = c;
	n = nice_agent_set_remote_candidates(w->agent, w->stream, 1, &l);
	nice_candidate_free(c);
	return n == 1 ? 0 : -1;
}

void
webrtc_remote_candidates_done(struct webrtc *w)
{
	nice_agent_peer_candidate_gathering_done(w->agent, w->stream);
}

int
webrtc_send_rtp(struct webrtc *w, uint8_t *buf, int len)
{
	if (dtls_protect_rtp(w->dtls, buf, &len) != 0)
		return -1;
	return nice_agent_send(w->agent, w->stream, 1, (guint)len, (const gchar *)buf) == len ?
	    0 : -1;
}

int
webrtc_send_rtcp(struct webrtc *w, uint8_t *buf, int len)
{
	if (dtls_protect_rtcp(w->dtls, buf, &len) != 0)
		return -1;
	return nice_agent_send(w->agent, w->stream, 1, (guint)len, (const gchar *)buf) == len ?
	    0 : -1;
}

const char *
webrtc_transport(const struct webrtc *w)
{
	return w->transport;
}

int
webrtc_send_data(struct webrtc *w, const uint8_t *p, size_t n)
{
	return dtls_send_data(w->dtls, p, n);
}

int
webrtc_dtls_client(const struct webrtc *w)
{
	return dtls_is_client(w->dtls);
}

void
webrtc_free(struct webrtc *w)
{
	if (w == NULL)
		return;
	g_cancellable_cancel(w->cancel);
	g_object_unref(w->cancel);
	if (w->agent != NULL) {
		g_signal_handlers_disconnect_by_data(w->agent, w);
		if (w->stream != 0) {
			nice_agent_attach_recv(w->agent, w->stream, 1, w->ctx, NULL, NULL);
			nice_agent_remove_stream(w->agent, w->stream);
		}
		g_object_unref(w->agent);
	}
	dtls_free(w->dtls);
	g_free(w->ufrag);
	g_free(w->pwd);
	g_main_context_unref(w->ctx);
	g_free(w);
}
