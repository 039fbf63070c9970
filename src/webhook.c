/* webhook: signed deliveries with retries (see webhook.h). A delivery is queued (waiting
 * for one of max_in_flight slots), in flight (one http.c request), or backing off (its own
 * loop timer). The list keeps send order, so "oldest" is the head. */
#include "webhook.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "http.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define WEBHOOK_MAX_RESPONSE	(64 * 1024)	/* receivers' answers are not read */
#define WEBHOOK_ID_LEN		37
#define WEBHOOK_MAX_HEADERS	8	/* extra headers of webhook_send_ex() */

enum webhook_state { WH_QUEUED, WH_IN_FLIGHT, WH_BACKOFF };

struct webhook_dlv {
	struct webhook_dlv *prev, *next;
	enum webhook_state state;
	char		*url;
	char		*url_log;	/* without the query, which may hold credentials */
	char		*event;
	char		*body;
	size_t		 len;
	struct webhook_send_opts o;	/* strings and headers owned */
	char		**hdrs;		/* o.headers */
	char		 sig[WEBHOOK_SIG_LEN];	/* "" when unsigned */
	char		 id[WEBHOOK_ID_LEN];
	unsigned	 attempts;
	int64_t		 start_ms;
	long		 last_status;
	char		 last_error[192];
	struct http_req	*req;
	struct loop_timer *timer;
	webhook_done_cb	*cb;
	void		*arg;
};

static struct {
	bool		 up;
	char		*secret;
	struct webhook_params p;
	struct webhook_dlv *head, *tail;
	unsigned	 n, in_flight;
	struct webhook_stats st;
} wh;

static void	webhook_pump(void);

void
webhook_sign(const char *secret, const void *body, size_t len, char out[WEBHOOK_SIG_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), body, len, mac, &maclen);
	memcpy(out, "sha256=", 7);
	for (i = 0; i < maclen && i < 32; i++) {
		out[7 + 2 * i] = hex[mac[i] >> 4];
		out[7 + 2 * i + 1] = hex[mac[i] & 0xf];
	}
	out[7 + 2 * i] = '\0';
}

static uint32_t
webhook_random(void)
{
	uint32_t v;

	if (RAND_bytes((unsigned char *)&v, sizeof(v)) != 1)
		v = (uint32_t)loop_mono_ms() * 2654435761u;
	return v;
}

/* A random (version 4) UUID: receivers use it to drop a delivery they saw already. */
static void
webhook_new_id(char out[WEBHOOK_ID_LEN])
{
	unsigned char b[16];
	size_t i;

	if (RAND_bytes(b, sizeof(b)) != 1)
		for (i = 0; i < sizeof(b); i++)
			b[i] = (unsigned char)webhook_random();
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, WEBHOOK_ID_LEN,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
	    b[12], b[13], b[14], b[15]);
}

static void
webhook_unlink(struct webhook_dlv *d)
{
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		wh.head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		wh.tail = d->prev;
	wh.n--;
}

/* Unlinks and frees d; its in-flight request is cancelled first. */
static void
webhook_free(struct webhook_dlv *d)
{
	webhook_unlink(d);
	if (d->req != NULL) {
		struct http_req *r = d->req;

		d->req = NULL;
		http_cancel(r);
	}
	if (d->state == WH_IN_FLIGHT)
		wh.in_flight--;
	loop_timer_free(d->timer);
	free(d->url);
	free(d->url_log);
	free(d->event);
	free(d->body);
	for (size_t i = 0; d->hdrs != NULL && d->hdrs[i] != NULL; i++)
		free(d->hdrs[i]);
	free(d->hdrs);
	free((char *)d->o.method);
	free((char *)d->o.content_type);
	free((char *)d->o.aws_sigv4);
	free((char *)d->o.userpwd);
	free(d);
}

static void
webhook_finish(struct webhook_dlv *d, enum webhook_outcome outcome,
    const struct http_result *last)
{
	char id[WEBHOOK_ID_LEN], error[sizeof(d->last_error)];
	struct webhook_result res = {
		.outcome = outcome,
		.delivery_id = id,
		.attempts = d->attempts,
		.status = d->last_status,
		.error = outcome == WEBHOOK_DELIVERED ? "" : error,
		.elapsed_ms = loop_mono_ms() - d->start_ms,
		.response = last != NULL ? last->body : "",
		.response_len = last != NULL ? last->body_len : 0,
	};
	webhook_done_cb *cb = d->cb;
	void *arg = d->arg;

	memcpy(id, d->id, sizeof(id));
	memcpy(error, d->last_error, sizeof(error));

	switch (outcome) {
	case WEBHOOK_DELIVERED:
		wh.st.sent++;
		break;
	case WEBHOOK_FAILED:
		wh.st.failed++;
		break;
	case WEBHOOK_DROPPED:
		wh.st.dropped++;
		break;
	}
	/* Freed before the callback, which may send or cancel deliveries. */
	webhook_free(d);
	if (cb != NULL)
		cb(&res, arg);
}

static unsigned
webhook_backoff_ms(const struct webhook_dlv *d, int retry_after_s)
{
	uint64_t delay = wh.p.backoff_base_ms;
	unsigned i;

	for (i = 1; i < d->attempts && delay < wh.p.backoff_max_ms; i++)
		delay *= 2;
	if (delay > wh.p.backoff_max_ms)
		delay = wh.p.backoff_max_ms;
	/* "Equal jitter": at least half the delay, so retries never bunch up near zero. */
	delay = delay / 2 + (delay / 2 > 0 ? webhook_random() % (delay / 2 + 1) : 0);
	if (retry_after_s >= 0 && (uint64_t)retry_after_s * 1000 > delay)
		delay = (uint64_t)retry_after_s * 1000;
	return delay > 86400000u ? 86400000u : (unsigned)delay;
}

static bool
webhook_retriable(const struct http_result *res)
{
	if (res->err != HTTP_OK)
		return true;	/* connect, timeout, reset, TLS: the receiver may recover */
	return res->status >= 500 || res->status == 429 || res->status == 408;
}

static void
webhook_backoff_done(void *arg)
{
	struct webhook_dlv *d = arg;

	d->state = WH_QUEUED;
	webhook_pump();
}

/* Settles one attempt: delivered, retry later, or give up. Does not start others. */
static void
webhook_settle(struct webhook_dlv *d, const struct http_result *res)
{
	int64_t now, delay;

	d->req = NULL;
	d->state = WH_QUEUED;
	wh.in_flight--;
	d->last_status = res->status;
	/* A 2xx with an oversized body is still delivered: retrying would deliver it twice. */
	if ((res->err == HTTP_OK || res->err == HTTP_ERR_TOO_LARGE) &&
	    res->status >= 200 && res->status < 300) {
		log_debug("webhook: %s delivery %s to %s: HTTP %ld after %u attempt(s), %lld ms",
		    d->event, d->id, d->url_log, res->status, d->attempts,
		    (long long)(loop_mono_ms() - d->start_ms));
		webhook_finish(d, WEBHOOK_DELIVERED, res);
		return;
	}
	if (res->err == HTTP_OK)
		snprintf(d->last_error, sizeof(d->last_error), "HTTP %ld", res->status);
	else
		snprintf(d->last_error, sizeof(d->last_error), "%s", res->error);

	now = loop_mono_ms();
	delay = -1;
	if (webhook_retriable(res) && d->attempts < wh.p.max_attempts) {
		delay = webhook_backoff_ms(d, res->retry_after_s);
		if (now + delay - d->start_ms > wh.p.max_total_ms)
			delay = -1;
	}
	if (delay >= 0)
		log_warn("webhook: %s delivery %s to %s attempt %u failed: %s; retry in %lld ms",
		    d->event, d->id, d->url_log, d->attempts, d->last_error, (long long)delay);
	else
		log_warn("webhook: %s delivery %s to %s attempt %u failed: %s; no retry",
		    d->event, d->id, d->url_log, d->attempts, d->last_error);
	if (delay < 0) {
		log_error("webhook: %s delivery %s to %s given up after %u attempt(s) in %lld ms: %s",
		    d->event, d->id, d->url_log, d->attempts, (long long)(now - d->start_ms),
		    d->last_error);
		webhook_finish(d, WEBHOOK_FAILED, res);
		return;
	}
	d->state = WH_BACKOFF;
	loop_timer_start(d->timer, (unsigned)delay);
}

static void
webhook_attempt_done(const struct http_result *res, void *arg)
{
	struct webhook_dlv *d = arg;

	if (res->err == HTTP_ERR_CANCELLED) {
		/* webhook_free() cancelled it, or http_fini() ran first: freed by our owner. */
		d->req = NULL;
		return;
	}
	webhook_settle(d, res);
	webhook_pump();
}

static void
webhook_start(struct webhook_dlv *d)
{
	char h_event[128], h_id[64], h_attempt[48], h_sig[32 + WEBHOOK_SIG_LEN], h_ct[160];
	const char *hdrs[6 + WEBHOOK_MAX_HEADERS];
	size_t n = 0;
	struct http_opts o = {
		.method = d->o.method,
		.body = d->body,
		.body_len = d->len,
		.headers = hdrs,
		.connect_timeout_ms = wh.p.connect_timeout_ms,
		.timeout_ms = d->o.timeout_ms ? d->o.timeout_ms : wh.p.timeout_ms,
		.max_response = d->o.max_response ? d->o.max_response : WEBHOOK_MAX_RESPONSE,
		.aws_sigv4 = d->o.aws_sigv4,
		.userpwd = d->o.userpwd,
	};

	d->attempts++;
	if (d->attempts > 1)
		wh.st.retried++;
	snprintf(h_ct, sizeof(h_ct), "Content-Type: %s",
	    d->o.content_type != NULL ? d->o.content_type : "application/json");
	hdrs[n++] = h_ct;
	for (size_t i = 0; d->hdrs != NULL && d->hdrs[i] != NULL; i++)
		hdrs[n++] = d->hdrs[i];
	if (d->o.raw)
		goto send;
	snprintf(h_event, sizeof(h_event), "X-Scaidial-Event: %s", d->event);
	hdrs[n++] = h_event;
	snprintf(h_id, sizeof(h_id), "X-Scaidial-Delivery: %s", d->id);
	hdrs[n++] = h_id;
	snprintf(h_attempt, sizeof(h_attempt), "X-Scaidial-Attempt: %u", d->attempts);
	hdrs[n++] = h_attempt;
	if (d->sig[0] != '\0') {
		snprintf(h_sig, sizeof(h_sig), "X-Scaidial-Signature: %s", d->sig);
		hdrs[n++] = h_sig;
	}
send:
	hdrs[n] = NULL;
	d->state = WH_IN_FLIGHT;
	wh.in_flight++;
	d->req = http_request(d->url, &o, webhook_attempt_done, d);
	if (d->req == NULL) {
		/* http.c is saturated: count it as a failed attempt and back off. */
		struct http_result res = { .err = HTTP_ERR_OTHER, .error = "http client busy",
		    .body = "", .retry_after_s = -1 };

		webhook_settle(d, &res);
	}
}

static void
webhook_pump(void)
{
	struct webhook_dlv *d, *next;

	for (d = wh.head; d != NULL && wh.in_flight < wh.p.max_in_flight; d = next) {
		next = d->next;
		if (d->state == WH_QUEUED) {
			webhook_start(d);
			/* d may be gone, and with it next: start over from the head. */
			next = wh.head;
		}
	}
}

static void
webhook_drop_oldest(void)
{
	struct webhook_dlv *d;

	for (d = wh.head; d != NULL; d = d->next)
		if (d->state != WH_IN_FLIGHT)
			break;
	if (d == NULL)
		return;
	snprintf(d->last_error, sizeof(d->last_error), "queue full");
	log_error("webhook: queue full (%u), dropped %s delivery %s to %s after %u attempt(s)",
	    wh.n, d->event, d->id, d->url_log, d->attempts);
	webhook_finish(d, WEBHOOK_DROPPED, NULL);
}

static char *
webhook_strdup0(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

int
webhook_send(const char *url, const char *event, const char *body, size_t len,
    webhook_done_cb *cb, void *arg)
{
	return webhook_send_ex(url, event, body, len, NULL, cb, arg);
}

int
webhook_send_ex(const char *url, const char *event, const void *body, size_t len,
    const struct webhook_send_opts *o, webhook_done_cb *cb, void *arg)
{
	static const struct webhook_send_opts none;
	struct webhook_dlv *d;
	size_t nh = 0;

	if (o == NULL)
		o = &none;
	while (o->headers != NULL && o->headers[nh] != NULL)
		nh++;
	if (nh > WEBHOOK_MAX_HEADERS)
		return -1;
	for (size_t i = 0; i < nh; i++)
		if (strpbrk(o->headers[i], "\r\n") != NULL)
			return -1;
	if ((o->content_type != NULL && strpbrk(o->content_type, "\r\n") != NULL) ||
	    (o->aws_sigv4 != NULL) != (o->userpwd != NULL))
		return -1;

	if (!wh.up || url == NULL || event == NULL || event[0] == '\0' || body == NULL ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
	    strpbrk(event, "\r\n") != NULL)
		return -1;
	while (wh.n >= wh.p.max_queue && wh.head != NULL) {
		unsigned before = wh.n;

		webhook_drop_oldest();
		if (wh.n == before)
			break;
	}
	d = xcalloc(1, sizeof(*d));
	d->url = xstrdup(url);
	d->url_log = xstrndup(url, strcspn(url, "?#"));
	d->event = xstrdup(event);
	d->body = xmalloc(len + 1);
	memcpy(d->body, body, len);
	d->body[len] = '\0';
	d->len = len;
	d->o = *o;
	d->o.method = webhook_strdup0(o->method);
	d->o.content_type = webhook_strdup0(o->content_type);
	d->o.aws_sigv4 = webhook_strdup0(o->aws_sigv4);
	d->o.userpwd = webhook_strdup0(o->userpwd);
	d->o.headers = NULL;
	if (nh > 0) {
		d->hdrs = xcalloc(nh + 1, sizeof(*d->hdrs));
		for (size_t i = 0; i < nh; i++)
			d->hdrs[i] = xstrdup(o->headers[i]);
	}
	if (wh.secret[0] != '\0' && !o->raw)
		webhook_sign(wh.secret, body, len, d->sig);
	webhook_new_id(d->id);
	d->start_ms = loop_mono_ms();
	d->timer = loop_timer_new(webhook_backoff_done, d);
	d->cb = cb;
	d->arg = arg;
	d->state = WH_QUEUED;
	d->prev = wh.tail;
	if (wh.tail != NULL)
		wh.tail->next = d;
	else
		wh.head = d;
	wh.tail = d;
	wh.n++;
	webhook_pump();
	return 0;
}

int
webhook_cancel(const void *arg)
{
	struct webhook_dlv *d, *next;
	int n = 0;

	for (d = wh.head; d != NULL; d = next) {
		next = d->next;
		if (d->arg == arg) {
			webhook_free(d);
			n++;
		}
	}
	if (n > 0)
		webhook_pump();
	return n;
}

void
webhook_stats(struct webhook_stats *st)
{
	*st = wh.st;
	st->queued = wh.n;
}

void
webhook_set_secret(const char *secret)
{
	free(wh.secret);
	wh.secret = xstrdup(secret != NULL ? secret : "");
}

int
webhook_init(const char *secret, const struct webhook_params *p)
{
	static const struct webhook_params none;

	if (p == NULL)
		p = &none;
	wh.p = *p;
	wh.p.max_attempts = p->max_attempts ? p->max_attempts : 5;
	wh.p.max_total_ms = p->max_total_ms ? p->max_total_ms : 60000;
	wh.p.backoff_base_ms = p->backoff_base_ms ? p->backoff_base_ms : 1000;
	wh.p.backoff_max_ms = p->backoff_max_ms ? p->backoff_max_ms : 30000;
	wh.p.connect_timeout_ms = p->connect_timeout_ms ? p->connect_timeout_ms : 3000;
	wh.p.timeout_ms = p->timeout_ms ? p->timeout_ms : 10000;
	wh.p.max_queue = p->max_queue ? p->max_queue : 256;
	wh.p.max_in_flight = p->max_in_flight ? p->max_in_flight : 8;
	/* A full queue must hold at least one delivery that is not in flight, to drop. */
	if (wh.p.max_in_flight >= wh.p.max_queue)
		wh.p.max_in_flight = wh.p.max_queue > 1 ? wh.p.max_queue - 1 : 1;
	if (wh.p.max_queue < 2)
		wh.p.max_queue = 2;
	webhook_set_secret(secret);
	if (wh.secret[0] == '\0')
		log_warn("webhook: no webhooks.secret: deliveries go out unsigned");
	wh.up = true;
	return 0;
}

void
webhook_fini(void)
{
	wh.up = false;
	while (wh.head != NULL) {
		snprintf(wh.head->last_error, sizeof(wh.head->last_error), "shutting down");
		webhook_finish(wh.head, WEBHOOK_DROPPED, NULL);
	}
	free(wh.secret);
	wh.secret = NULL;
}
