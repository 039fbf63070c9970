/* lk_signal: the WebSocket signalling connection to a LiveKit server. It validates the
 * route (/rtc/v1, falling back to /rtc when the server answers 404), opens the WebSocket
 * with libsoup on the caller's GMainContext, carries binary protobuf SignalRequest and
 * SignalResponse frames, sends ping_req at the server's ping_interval and treats
 * ping_timeout without a pong as a lost connection. libsoup answers the server's WebSocket
 * pings itself. A connection lost without a leave is resumed (/rtc/v1 with reconnect=1 and
 * our participant sid, and the latest refresh_token the server sent) a few times before
 * closed() is reported. */
#ifndef SCAIDIAL_LK_SIGNAL_H
#define SCAIDIAL_LK_SIGNAL_H

#include <glib.h>

#include "lk_proto/lk_signal.pb-c.h"

struct lk_signal;

struct lk_signal_cb {
	/* The WebSocket is open; v1 is 1 on /rtc/v1 (single peer connection), 0 on /rtc. */
	void	(*open)(void *arg, int v1);
	/* One decoded frame; the message is freed after the call returns. */
	void	(*message)(void *arg, const Lk__SignalResponse *);
	/* The connection failed or ended and could not be resumed; reason is a short text.
	 * No call follows. */
	void	(*closed)(void *arg, const char *reason);
};

/* url: ws://, wss://, http:// or https:// with an optional path prefix. join: the
 * JoinRequest for /rtc/v1 (its client_info also gives the v0 query parameters). */
struct lk_signal *lk_signal_new(GMainContext *, const char *url, const char *token,
	    const Lk__JoinRequest *join, const struct lk_signal_cb *, void *arg);
int	 lk_signal_send(struct lk_signal *, const Lk__SignalRequest *);
/* From JoinResponse: seconds between pings and without a pong before giving up. */
void	 lk_signal_set_ping(struct lk_signal *, int interval_s, int timeout_s);
/* Our sid from JoinResponse: from then on a lost connection is resumed. */
void	 lk_signal_set_participant(struct lk_signal *, const char *sid);
/* The server's leave asked for a resume: reconnect now. */
void	 lk_signal_resume(struct lk_signal *);
/* Sends leave (CLIENT_INITIATED) and starts the close handshake; closed() follows. */
void	 lk_signal_leave(struct lk_signal *);
int64_t	 lk_signal_rtt_ms(const struct lk_signal *);
void	 lk_signal_free(struct lk_signal *);

/* Pure helpers, exposed for the unit test. The base URL is made http(s) without a trailing
 * slash; the query for /rtc/v1 is access_token + join_request (base64url with padding). */
char	*lk_signal_base_url(const char *url);
char	*lk_signal_query_v1(const char *token, const Lk__JoinRequest *);
char	*lk_signal_query_v0(const char *token, const Lk__JoinRequest *);

#endif
