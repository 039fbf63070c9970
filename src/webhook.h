/* webhook: signed, retried webhook deliveries over http.c. Each delivery is an HTTP POST of
 * a JSON body with X-Scaidial-Event, X-Scaidial-Delivery (one id for all its attempts) and
 * X-Scaidial-Signature: sha256=<hex HMAC-SHA256 of the body keyed with webhooks.secret>.
 * Connection errors, timeouts, 5xx and 429 are retried with exponential backoff and jitter
 * (Retry-After honoured) until max_attempts or max_total_ms; other statuses are final.
 * Deliveries wait in a bounded queue; when it is full the oldest waiting one is dropped.
 * Nothing here blocks: everything runs from the control loop. */
#ifndef SCAIDIAL_WEBHOOK_H
#define SCAIDIAL_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zero fields take the defaults in brackets. */
struct webhook_params {
	unsigned	 max_attempts;		/* [5] */
	unsigned	 max_total_ms;		/* [60000] no attempt starts later than this */
	unsigned	 backoff_base_ms;	/* [1000] delay before the 2nd attempt, doubled after */
	unsigned	 backoff_max_ms;	/* [30000] cap of the computed delay; a longer
						   Retry-After is obeyed within max_total_ms */
	unsigned	 connect_timeout_ms;	/* [3000] per attempt */
	unsigned	 timeout_ms;		/* [10000] per attempt */
	unsigned	 max_queue;		/* [256] deliveries not finished, in flight included */
	unsigned	 max_in_flight;		/* [8] concurrent POSTs */
};

enum webhook_outcome {
	WEBHOOK_DELIVERED,	/* a 2xx answer */
	WEBHOOK_FAILED,		/* a final error status, or attempts / time exhausted */
	WEBHOOK_DROPPED,	/* pushed out of a full queue, or webhook_fini() */
};

struct webhook_result {
	enum webhook_outcome outcome;
	const char	*delivery_id;
	unsigned	 attempts;
	long		 status;	/* last HTTP status, 0 if none */
	const char	*error;		/* why it failed; "" when delivered */
	int64_t		 elapsed_ms;	/* from webhook_send() to the outcome */
	const char	*response;	/* the last answer's body (NUL-terminated), "" if none */
	size_t		 response_len;
};

/* Runs once per delivery unless webhook_cancel() dropped it first. */
typedef void	webhook_done_cb(const struct webhook_result *, void *arg);

struct webhook_stats {
	uint64_t	 sent;		/* delivered (2xx) */
	uint64_t	 failed;	/* given up or final error status */
	uint64_t	 retried;	/* attempts after the first */
	uint64_t	 dropped;	/* pushed out of a full queue */
	unsigned	 queued;	/* unfinished right now */
};

/* After http_init(); webhook_fini() before http_fini(). params may be NULL; secret ""
 * sends unsigned deliveries (logged). */
int	 webhook_init(const char *secret, const struct webhook_params *);
void	 webhook_fini(void);		/* drops what is left; callbacks see WEBHOOK_DROPPED */
void	 webhook_set_secret(const char *);	/* after a reload */

/* Queues a delivery; 0, or -1 when the arguments are unusable (nothing queued, no callback).
 * cb may be NULL. arg also tags the delivery for webhook_cancel(). */
int	 webhook_send(const char *url, const char *event, const char *body, size_t len,
	    webhook_done_cb *cb, void *arg);
/* What webhook_send_ex() may change; zero fields keep webhook_send()'s behaviour. */
struct webhook_send_opts {
	const char	*method;	/* NULL: POST */
	const char	*content_type;	/* NULL: application/json */
	const char * const *headers;	/* more "Name: value" strings, NULL-terminated */
	unsigned	 timeout_ms;	/* per attempt; 0: webhook_params.timeout_ms */
	size_t		 max_response;	/* 0: 64 KiB (kept and handed to the callback) */
	bool		 raw;		/* no X-Scaidial-* headers and no signature (S3) */
	const char	*aws_sigv4;	/* libcurl CURLOPT_AWS_SIGV4 provider string, or NULL */
	const char	*userpwd;	/* "key:secret" for aws_sigv4 */
};
/* webhook_send() with other bodies and methods, under the same queue and retry policy.
 * The body is copied. */
int	 webhook_send_ex(const char *url, const char *event, const void *body, size_t len,
	    const struct webhook_send_opts *, webhook_done_cb *cb, void *arg);
/* Drops every delivery sent with this arg, in flight or waiting, without callbacks
 * (e.g. the call that asked for them ended). Returns how many. */
int	 webhook_cancel(const void *arg);

void	 webhook_stats(struct webhook_stats *);

/* "sha256=" + 64 lowercase hex digits + NUL. */
#define WEBHOOK_SIG_LEN	(7 + 64 + 1)
void	 webhook_sign(const char *secret, const void *body, size_t len,
	    char out[WEBHOOK_SIG_LEN]);

#endif
