/* webhook_drive: runs the real control loop with http.c and webhook.c and sends webhooks,
 * for tests/integration/webhook.sh (the daemon does not send webhooks yet). One line per
 * outcome on stdout:
 *   result SEQ OUTCOME attempts=N status=S elapsed_ms=T id=ID error=TEXT
 * then "stats ..." and "probe ..." (how late a 20 ms loop timer fired while requests ran:
 * the proof that nothing blocked the loop). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "webhook.h"

#define PROBE_MS	20

static struct {
	const char	*url;
	const char	*event;
	int		 count;
	int		 sent;
	int		 settled;
	int		 sequential;
	int		 cancel_after_ms;
	size_t		 body_pad;
	struct loop_timer *probe;
	struct loop_timer *cancel;
	int64_t		 probe_due;
	int64_t		 probe_max_late;
	long		 probe_ticks;
	char		*tags;		/* delivery i's callback arg is &tags[i] */
} d;

static void	drive_send_one(void);

static void
drive_maybe_stop(void)
{
	if (d.settled >= d.count)
		loop_stop();
}

static void
drive_done(const struct webhook_result *r, void *arg)
{
	static const char *names[] = { "delivered", "failed", "dropped" };
	int seq = (int)((char *)arg - d.tags);

	printf("result %d %s attempts=%u status=%ld elapsed_ms=%lld id=%s error=%s\n",
	    seq, names[r->outcome], r->attempts, r->status, (long long)r->elapsed_ms,
	    r->delivery_id, r->error);
	fflush(stdout);
	d.settled++;
	if (d.sequential && d.sent < d.count)
		drive_send_one();
	drive_maybe_stop();
}

static void
drive_send_one(void)
{
	struct buf b;
	struct json j;
	char *pad;

	buf_init(&b);
	json_init(&j, &b);
	json_object_begin(&j);
	json_kv_string(&j, "event", d.event);
	json_kv_int(&j, "seq", d.sent);
	json_kv_string(&j, "note", "caf\xc3\xa9 \"quoted\"");
	if (d.body_pad > 0) {
		pad = malloc(d.body_pad + 1);
		memset(pad, 'x', d.body_pad);
		pad[d.body_pad] = '\0';
		json_kv_string(&j, "pad", pad);
		free(pad);
	}
	json_object_end(&j);
	if (json_finish(&j) != 0 ||
	    webhook_send(d.url, d.event, b.data, b.len, drive_done, &d.tags[d.sent]) != 0) {
		fprintf(stderr, "webhook_drive: cannot send\n");
		exit(2);
	}
	printf("sent seq=%d len=%zu\n", d.sent, b.len);
	fflush(stdout);
	d.sent++;
	buf_free(&b);
}

static void
drive_probe(void *arg)
{
	int64_t now = loop_mono_ms(), late = now - d.probe_due;

	(void)arg;
	if (late > d.probe_max_late)
		d.probe_max_late = late;
	d.probe_ticks++;
	d.probe_due = now + PROBE_MS;
	loop_timer_start(d.probe, PROBE_MS);
}

static void
drive_cancel(void *arg)
{
	int n = 0, i;

	(void)arg;
	for (i = 0; i < d.count; i++)
		n += webhook_cancel(&d.tags[i]);
	printf("cancelled %d\n", n);
	fflush(stdout);
	d.settled += n;
	drive_maybe_stop();
}

static void
usage(void)
{
	fprintf(stderr, "usage: webhook_drive -u URL [-e EVENT] [-k SECRET] [-n COUNT] [-S]\n"
	    "  [-a ATTEMPTS] [-b BASE_MS] [-B MAX_MS] [-T TOTAL_MS] [-c CONNECT_MS]\n"
	    "  [-t TIMEOUT_MS] [-q QUEUE] [-f IN_FLIGHT] [-x CANCEL_AFTER_MS] [-p PAD]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	struct webhook_params p = { 0 };
	struct webhook_stats st;
	const char *secret = "";
	int c, active, waiting;

	d.event = "call.ringing";
	d.count = 1;
	while ((c = getopt(argc, argv, "u:e:k:n:Sa:b:B:T:c:t:q:f:x:p:")) != -1) {
		switch (c) {
		case 'u': d.url = optarg; break;
		case 'e': d.event = optarg; break;
		case 'k': secret = optarg; break;
		case 'n': d.count = atoi(optarg); break;
		case 'S': d.sequential = 1; break;
		case 'a': p.max_attempts = (unsigned)atoi(optarg); break;
		case 'b': p.backoff_base_ms = (unsigned)atoi(optarg); break;
		case 'B': p.backoff_max_ms = (unsigned)atoi(optarg); break;
		case 'T': p.max_total_ms = (unsigned)atoi(optarg); break;
		case 'c': p.connect_timeout_ms = (unsigned)atoi(optarg); break;
		case 't': p.timeout_ms = (unsigned)atoi(optarg); break;
		case 'q': p.max_queue = (unsigned)atoi(optarg); break;
		case 'f': p.max_in_flight = (unsigned)atoi(optarg); break;
		case 'x': d.cancel_after_ms = atoi(optarg); break;
		case 'p': d.body_pad = (size_t)atol(optarg); break;
		default: usage();
		}
	}
	if (d.url == NULL || d.count < 1)
		usage();
	d.tags = calloc((size_t)d.count, 1);
	log_init("webhook_drive", 1);
	log_set_level(LOG_LVL_DEBUG);
	if (loop_init() != 0 || http_init() != 0 || webhook_init(secret, &p) != 0) {
		fprintf(stderr, "webhook_drive: init failed\n");
		return 2;
	}
	d.probe = loop_timer_new(drive_probe, NULL);
	d.probe_due = loop_mono_ms() + PROBE_MS;
	loop_timer_start(d.probe, PROBE_MS);
	if (d.cancel_after_ms > 0) {
		d.cancel = loop_timer_new(drive_cancel, NULL);
		loop_timer_start(d.cancel, (unsigned)d.cancel_after_ms);
	}
	if (d.sequential)
		drive_send_one();
	else
		while (d.sent < d.count)
			drive_send_one();
	loop_run();

	webhook_stats(&st);
	http_counts(&active, &waiting);
	printf("stats sent=%llu failed=%llu retried=%llu dropped=%llu queued=%u http_active=%d\n",
	    (unsigned long long)st.sent, (unsigned long long)st.failed,
	    (unsigned long long)st.retried, (unsigned long long)st.dropped, st.queued, active);
	printf("probe ticks=%ld max_late_ms=%lld\n", d.probe_ticks, (long long)d.probe_max_late);
	loop_timer_free(d.probe);
	loop_timer_free(d.cancel);
	webhook_fini();
	http_fini();
	loop_free();
	free(d.tags);
	return 0;
}
