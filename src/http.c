/* http: libcurl's multi interface on the control loop (see http.h). libcurl tells us which
 * sockets to watch (http_sock_cb) and when to call it back (http_timer_cb); we never call
 * into libcurl from inside those callbacks, and user callbacks run only after libcurl has
 * returned, so they may start or cancel requests freely. */
#include "http.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define HTTP_DEF_CONNECT_MS	5000
#define HTTP_DEF_TIMEOUT_MS	30000
#define HTTP_DEF_MAX_RESPONSE	(1024 * 1024)

struct http_req {
	struct http_req	*prev, *next;
	CURL		*easy;
	struct curl_slist *hdrs;
	char		*body;
	struct buf	 resp;
	size_t		 max_response;
	bool		 too_large;
	bool		 active;	/* in the multi handle, else waiting */
	int		 retry_after_s;
	int64_t		 start_ms;
	const void	*owner;
	http_done_cb	*cb;
	void		*arg;
	char		 errbuf[CURL_ERROR_SIZE];
};

struct http_list {
	struct http_req	*head, *tail;
	int		 n;
};

static struct {
	CURLM		*multi;
	struct loop_timer *timer;
	struct http_list active;
	struct http_list waiting;
} http;

static void
http_list_append(struct http_list *l, struct http_req *r)
{
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
	l->n++;
}

static void
http_list_remove(struct http_list *l, struct http_req *r)
{
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	l->n--;
}

static void
http_req_free(struct http_req *r)
{
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->body);
	buf_free(&r->resp);
	free(r);
}

static void
http_deliver(struct http_req *r, enum http_error err, const char *error, long status)
{
	struct http_result res = {
		.err = err,
		.error = error,
		.status = status,
		.body = r->resp.data != NULL ? r->resp.data : "",
		.body_len = r->resp.len,
		.retry_after_s = r->retry_after_s,
		.elapsed_ms = loop_mono_ms() - r->start_ms,
	};

	r->cb(&res, r->arg);
	http_req_free(r);
}

/* Detaches r from libcurl and from its list; it is then ours alone. */
static void
http_detach(struct http_req *r)
{
	if (r->active) {
		curl_multi_remove_handle(http.multi, r->easy);
		http_list_remove(&http.active, r);
	} else
		http_list_remove(&http.waiting, r);
}

static void
http_start_waiting(void)
{
	struct http_req *r;
	CURLMcode mc;

	while (http.active.n < HTTP_MAX_ACTIVE && (r = http.waiting.head) != NULL) {
		http_list_remove(&http.waiting, r);
		if ((mc = curl_multi_add_handle(http.multi, r->easy)) != CURLM_OK) {
			http_deliver(r, HTTP_ERR_OTHER, curl_multi_strerror(mc), 0);
			continue;
		}
		r->active = true;
		http_list_append(&http.active, r);
	}
}

static enum http_error
http_classify(CURLcode rc, const struct http_req *r)
{
	switch (rc) {
	case CURLE_OK:
		return HTTP_OK;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return HTTP_ERR_CONNECT;
	case CURLE_OPERATION_TIMEDOUT:
		return HTTP_ERR_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return HTTP_ERR_TOO_LARGE;
	case CURLE_WRITE_ERROR:
		return r->too_large ? HTTP_ERR_TOO_LARGE : HTTP_ERR_OTHER;
	default:
		return HTTP_ERR_OTHER;
	}
}

static void
http_finish(struct http_req *r, CURLcode rc)
{
	enum http_error err = http_classify(rc, r);
	const char *text = "";
	long status = 0;

	curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
	http_detach(r);
	if (err == HTTP_ERR_TOO_LARGE)
		text = "response too large";
	else if (err != HTTP_OK)
		text = r->errbuf[0] != '\0' ? r->errbuf : curl_easy_strerror(rc);
	http_deliver(r, err, text, status);
}

static void
http_check_done(void)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(http.multi, &left)) != NULL) {
		struct http_req *r = NULL;
		CURLcode rc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		http_finish(r, rc);
	}
	http_start_waiting();
}

static void
http_fd_ready(int fd, int events, void *arg)
{
	int ev = 0, running;

	(void)arg;
	if (events & LOOP_IN)
		ev |= CURL_CSELECT_IN;
	if (events & LOOP_OUT)
		ev |= CURL_CSELECT_OUT;
	curl_multi_socket_action(http.multi, fd, ev, &running);
	http_check_done();
}

static void
http_timer_fire(void *arg)
{
	int running;

	(void)arg;
	curl_multi_socket_action(http.multi, CURL_SOCKET_TIMEOUT, 0, &running);
	http_check_done();
}

static int
http_sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct loop_fd *lf = socketp;
	int ev = 0;

	(void)e;
	(void)userp;
	if (what == CURL_POLL_REMOVE) {
		loop_fd_del(lf);
		curl_multi_assign(http.multi, s, NULL);
		return 0;
	}
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev |= LOOP_IN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev |= LOOP_OUT;
	if (lf != NULL) {
		loop_fd_events(lf, ev);
		return 0;
	}
	if ((lf = loop_fd_add(s, ev, http_fd_ready, NULL)) == NULL)
		return -1;
	curl_multi_assign(http.multi, s, lf);
	return 0;
}

static int
http_timer_cb(CURLM *m, long ms, void *userp)
{
	(void)m;
	(void)userp;
	if (ms < 0)
		loop_timer_stop(http.timer);
	else
		loop_timer_start(http.timer, (unsigned)ms);
	return 0;
}

static size_t
http_write_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n;

	if (r->resp.len + len > r->max_response) {
		r->too_large = true;
		return 0;
	}
	buf_add(&r->resp, data, len);
	return len;
}

/* Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3). */
static size_t
http_header_cb(char *data, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	char val[64];
	size_t vl;
	char *end;
	long secs;

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0)
		r->retry_after_s = -1;	/* a new response (after 100 Continue) */
	if (len <= sizeof(name) - 1 || strncasecmp(data, name, sizeof(name) - 1) != 0)
		return len;
	data += sizeof(name) - 1;
	len -= sizeof(name) - 1;
	while (len > 0 && (*data == ' ' || *data == '\t'))
		data++, len--;
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n' || data[len - 1] == ' '))
		len--;
	vl = len < sizeof(val) - 1 ? len : sizeof(val) - 1;
	memcpy(val, data, vl);
	val[vl] = '\0';
	secs = strtol(val, &end, 10);
	if (vl > 0 && *end == '\0' && secs >= 0) {
		r->retry_after_s = secs > 86400 ? 86400 : (int)secs;
	} else {
		time_t when = curl_getdate(val, NULL), now = time(NULL);

		if (when != -1)
			r->retry_after_s = when > now ? (int)(when - now < 86400 ? when - now : 86400) : 0;
	}
	return size * n;
}

static int
http_setup(struct http_req *r, const char *url, const struct http_opts *o)
{
	CURL *e = r->easy;
	const char * const *h;
	const char *method = o->method;
	unsigned cto = o->connect_timeout_ms ? o->connect_timeout_ms : HTTP_DEF_CONNECT_MS;
	unsigned to = o->timeout_ms ? o->timeout_ms : HTTP_DEF_TIMEOUT_MS;
	int rc = 0;

	for (h = o->headers; h != NULL && *h != NULL; h++)
		r->hdrs = curl_slist_append(r->hdrs, *h);
	if (o->body != NULL) {
		r->body = xmalloc(o->body_len + 1);
		memcpy(r->body, o->body, o->body_len);
		r->body[o->body_len] = '\0';
		/* No "Expect: 100-continue" round trip before larger bodies. Not with SigV4:
		 * libcurl 7.88 signs the emptied header it then leaves out, and S3 (moto too)
		 * answers SignatureDoesNotMatch; S3 answers 100-continue at once anyway. */
		if (o->aws_sigv4 == NULL)
			r->hdrs = curl_slist_append(r->hdrs, "Expect:");
		if (method == NULL)
			method = "POST";
	}
	rc |= curl_easy_setopt(e, CURLOPT_URL, url);
#if LIBCURL_VERSION_NUM >= 0x075500
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cto);
	rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)to);
	rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max_response);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_write_cb);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_header_cb);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "scaidial/" PACKAGE_VERSION);
	if (r->hdrs != NULL)
		rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->hdrs);
	if (o->aws_sigv4 != NULL) {
#if LIBCURL_VERSION_NUM >= 0x074b00
		rc |= curl_easy_setopt(e, CURLOPT_AWS_SIGV4, o->aws_sigv4);
#else
		rc = -1;	/* libcurl before 7.75 cannot sign */
#endif
	}
	if (o->userpwd != NULL)
		rc |= curl_easy_setopt(e, CURLOPT_USERPWD, o->userpwd);
	if (method != NULL && strcmp(method, "POST") == 0) {
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
		rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body != NULL ? r->body : "");
	} else if (method != NULL && strcmp(method, "GET") != 0) {
		rc |= curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
		if (r->body != NULL) {
			rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
			rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
		}
	}
	return rc == 0 ? 0 : -1;
}

struct http_req *
http_request(const char *url, const struct http_opts *o, http_done_cb *cb, void *arg)
{
	static const struct http_opts none;
	struct http_req *r;

	if (o == NULL)
		o = &none;
	if (http.multi == NULL)
		return NULL;
	if (http.waiting.n >= HTTP_MAX_WAITING) {
		log_warn("http: %d requests waiting, refusing another", http.waiting.n);
		return NULL;
	}
	r = xcalloc(1, sizeof(*r));
	buf_init(&r->resp);
	r->max_response = o->max_response ? o->max_response : HTTP_DEF_MAX_RESPONSE;
	r->retry_after_s = -1;
	r->start_ms = loop_mono_ms();
	r->owner = o->owner;
	r->cb = cb;
	r->arg = arg;
	if ((r->easy = curl_easy_init()) == NULL || http_setup(r, url, o) != 0) {
		log_error("http: cannot set up a request to %.*s", (int)strcspn(url, "?#"), url);
		http_req_free(r);
		return NULL;
	}
	if (http.active.n < HTTP_MAX_ACTIVE) {
		/* Started here rather than by http_start_waiting(), so that a failure is a NULL
		 * return and never a callback before the caller has the handle. */
		if (curl_multi_add_handle(http.multi, r->easy) != CURLM_OK) {
			log_error("http: cannot start a request to %.*s", (int)strcspn(url, "?#"),
			    url);
			http_req_free(r);
			return NULL;
		}
		r->active = true;
		http_list_append(&http.active, r);
	} else
		http_list_append(&http.waiting, r);
	return r;
}

void
http_cancel(struct http_req *r)
{
	if (r == NULL)
		return;
	http_detach(r);
	http_deliver(r, HTTP_ERR_CANCELLED, "cancelled", 0);
	http_start_waiting();
}

int
http_cancel_owner(const void *owner)
{
	struct http_list *lists[2] = { &http.active, &http.waiting };
	struct http_req *r;
	int n = 0, i;

	if (owner == NULL)
		return 0;
	/* A cancelled request's callback may cancel others, so rescan from the head. */
	for (i = 0; i < 2; i++) {
again:
		for (r = lists[i]->head; r != NULL; r = r->next) {
			if (r->owner == owner) {
				http_detach(r);
				http_deliver(r, HTTP_ERR_CANCELLED, "cancelled", 0);
				n++;
				goto again;
			}
		}
	}
	http_start_waiting();
	return n;
}

void
http_counts(int *active, int *waiting)
{
	*active = http.active.n;
	*waiting = http.waiting.n;
}

int
http_init(void)
{
	curl_version_info_data *v;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	v = curl_version_info(CURLVERSION_NOW);
	if (!(v->features & CURL_VERSION_ASYNCHDNS))
		log_warn("http: libcurl %s resolves names synchronously: use IP addresses in URLs",
		    v->version);
	if ((http.multi = curl_multi_init()) == NULL) {
		curl_global_cleanup();
		return -1;
	}
	http.timer = loop_timer_new(http_timer_fire, NULL);
	curl_multi_setopt(http.multi, CURLMOPT_SOCKETFUNCTION, http_sock_cb);
	curl_multi_setopt(http.multi, CURLMOPT_TIMERFUNCTION, http_timer_cb);
	return 0;
}

void
http_fini(void)
{
	struct http_req *r;

	if (http.multi == NULL)
		return;
	while ((r = http.waiting.head) != NULL || (r = http.active.head) != NULL) {
		http_detach(r);
		http_deliver(r, HTTP_ERR_CANCELLED, "cancelled", 0);
	}
	curl_multi_cleanup(http.multi);
	http.multi = NULL;
	loop_timer_free(http.timer);
	http.timer = NULL;
	curl_global_cleanup();
}
