/* http_drive: issues http.c requests on the real control loop, for
 * tests/integration/http.sh. One line per completion on stdout:
 *   done SEQ err=NAME status=S len=N retry_after=R elapsed_ms=T error=TEXT
 * with the body after it when -b is given, then
 *   counts max_active=A max_waiting=W refused=R cancelled=C
 *
 * usage: http_drive [-X METHOD] [-d BODY] [-H "Name: value"]... [-c CONNECT_MS]
 *     [-t TIMEOUT_MS] [-m MAX_RESPONSE] [-n COUNT] [-x CANCEL_AFTER_MS] [-b] URL */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "log.h"
#include "loop.h"

#define MAX_HEADERS	8

static struct {
	int		 count, settled, refused, cancelled, print_body;
	int		 max_active, max_waiting;
	char		*seqs;		/* request i's callback arg is &seqs[i] */
	int		 owner;		/* the tag every request carries */
} d;

static void
drive_counts(void)
{
	int a, w;

	http_counts(&a, &w);
	if (a > d.max_active)
		d.max_active = a;
	if (w > d.max_waiting)
		d.max_waiting = w;
}

static void
drive_done(const struct http_result *r, void *arg)
{
	static const char *names[] = { "ok", "connect", "timeout", "too_large", "cancelled",
	    "other" };

	printf("done %d err=%s status=%ld len=%zu retry_after=%d elapsed_ms=%lld error=%s\n",
	    (int)((char *)arg - d.seqs), names[r->err], r->status, r->body_len,
	    r->retry_after_s, (long long)r->elapsed_ms, r->error);
	if (d.print_body)
		printf("%s\n", r->body);
	fflush(stdout);
	if (r->err == HTTP_ERR_CANCELLED)
		d.cancelled++;
	drive_counts();
	if (++d.settled + d.refused >= d.count)
		loop_stop();
}

static void
drive_cancel(void *arg)
{
	(void)arg;
	printf("cancel_owner %d\n", http_cancel_owner(&d.owner));
}

int
main(int argc, char **argv)
{
	const char *headers[MAX_HEADERS + 1] = { NULL };
	struct http_opts o = { .headers = headers, .owner = &d.owner };
	struct loop_timer *cancel = NULL;
	int c, nh = 0, cancel_ms = 0, i;

	d.count = 1;
	while ((c = getopt(argc, argv, "X:d:H:c:t:m:n:x:b")) != -1) {
		switch (c) {
		case 'X': o.method = optarg; break;
		case 'd': o.body = optarg; o.body_len = strlen(optarg); break;
		case 'H': if (nh < MAX_HEADERS) headers[nh++] = optarg; break;
		case 'c': o.connect_timeout_ms = (unsigned)atoi(optarg); break;
		case 't': o.timeout_ms = (unsigned)atoi(optarg); break;
		case 'm': o.max_response = (size_t)atol(optarg); break;
		case 'n': d.count = atoi(optarg); break;
		case 'x': cancel_ms = atoi(optarg); break;
		case 'b': d.print_body = 1; break;
		default: return 2;
		}
	}
	if (optind != argc - 1 || d.count < 1)
		return 2;
	d.seqs = calloc((size_t)d.count, 1);
	log_init("http_drive", 1);
	if (loop_init() != 0 || http_init() != 0)
		return 2;
	for (i = 0; i < d.count; i++) {
		if (http_request(argv[optind], &o, drive_done, &d.seqs[i]) == NULL)
			d.refused++;
		drive_counts();
	}
	if (cancel_ms > 0) {
		cancel = loop_timer_new(drive_cancel, NULL);
		loop_timer_start(cancel, (unsigned)cancel_ms);
	}
	if (d.settled + d.refused < d.count)
		loop_run();
	printf("counts max_active=%d max_waiting=%d refused=%d cancelled=%d\n", d.max_active,
	    d.max_waiting, d.refused, d.cancelled);
	loop_timer_free(cancel);
	http_fini();
	loop_free();
	free(d.seqs);
	return 0;
}
