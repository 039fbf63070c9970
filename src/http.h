/* http: asynchronous HTTP client for the control thread. One libcurl multi handle is driven
 * by the control loop (its sockets become loop fds, its timeout one loop timer), so no
 * request ever blocks the loop, DNS included (libcurl's threaded resolver). Each request
 * has its own connect and total timeouts and a response size cap; at most
 * HTTP_MAX_ACTIVE transfers run at once and up to HTTP_MAX_WAITING more wait their turn.
 * Completion is reported once, to the request's callback, from the loop. */
#ifndef SCAIDIAL_HTTP_H
#define SCAIDIAL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_ACTIVE		32
#define HTTP_MAX_WAITING	256

enum http_error {
	HTTP_OK,		/* a complete response arrived, whatever its status */
	HTTP_ERR_CONNECT,	/* DNS failure, refused, unreachable */
	HTTP_ERR_TIMEOUT,	/* connect or total timeout */
	HTTP_ERR_TOO_LARGE,	/* the response body exceeded max_response */
	HTTP_ERR_CANCELLED,	/* http_cancel*() or http_fini(): caller cleanup only */
	HTTP_ERR_OTHER,		/* TLS, protocol, ... (see error text) */
};

struct http_result {
	enum http_error	 err;
	const char	*error;		/* human text; "" when err == HTTP_OK */
	long		 status;	/* HTTP status, 0 without a response */
	const char	*body;		/* NUL-terminated, never NULL */
	size_t		 body_len;
	int		 retry_after_s;	/* Retry-After in seconds, -1 when absent */
	int64_t		 elapsed_ms;	/* from http_request() to completion */
};

struct http_req;
/* Called once per request. The result and the request are valid only during the call. */
typedef void	http_done_cb(const struct http_result *, void *arg);

struct http_opts {
	const char	*method;	/* NULL: POST when there is a body, else GET */
	const char * const *headers;	/* "Name: value" strings, NULL-terminated; may be NULL */
	const char	*body;		/* copied; NULL for none */
	size_t		 body_len;
	unsigned	 connect_timeout_ms;	/* 0: 5000 */
	unsigned	 timeout_ms;		/* 0: 30000 (connect included) */
	size_t		 max_response;		/* 0: 1 MiB */
	const void	*owner;		/* tag for http_cancel_owner(); NULL = none */
	const char	*aws_sigv4;	/* CURLOPT_AWS_SIGV4 ("aws:amz:REGION:s3"); NULL = none */
	const char	*userpwd;	/* CURLOPT_USERPWD, the SigV4 key pair; NULL = none */
};

int	 http_init(void);		/* after loop_init(); 0 or -1 */
void	 http_fini(void);		/* cancels everything still pending */

/* NULL (and no callback) when the waiting list is full or libcurl refuses the options;
 * a URL it cannot fetch (bad scheme, unknown host) is reported through the callback. */
struct http_req *http_request(const char *url, const struct http_opts *,
	    http_done_cb *, void *arg);
/* The callback runs at once with HTTP_ERR_CANCELLED, so the caller can free its context. */
void	 http_cancel(struct http_req *);
/* Cancels every pending request tagged with owner; returns how many. */
int	 http_cancel_owner(const void *owner);

/* Active (in libcurl) and waiting requests, for metrics and tests. */
void	 http_counts(int *active, int *waiting);

#endif
