/* vmpost: transcription and S3 copy of kept voicemail messages (see vmpost.h). A job reads
 * its WAV in VMPOST_CHUNK pieces, one per loop turn, then queues one webhook.c delivery per
 * destination and lives until each has an outcome. */
#include "vmpost.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "webhook.h"
#include "xmalloc.h"

#define VMPOST_CHUNK		(64 * 1024)
#define VMPOST_TIMEOUT_MS	120000		/* a transcriber takes its time */
#define VMPOST_MAX_ANSWER	(1024 * 1024)

struct vmpost_job {
	struct vmpost_job *next;
	struct config	*cfg;		/* a reference */
	char		*id, *call_id, *tenant, *extension, *caller, *path;
	int64_t		 duration_ms;
	int		 fd;
	char		*data;
	size_t		 len, size;
	struct loop_timer *timer;
	int64_t		 start_ms;
	int		 pending;	/* deliveries without an outcome */
	bool		 transcribe, upload;
	char		*object_url;
};

static struct vmpost_job *jobs;

static void
vmpost_free(struct vmpost_job *j)
{
	for (struct vmpost_job **pp = &jobs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			break;
		}
	if (j->fd != -1)
		close(j->fd);
	loop_timer_free(j->timer);
	config_unref(j->cfg);
	free(j->id);
	free(j->call_id);
	free(j->tenant);
	free(j->extension);
	free(j->caller);
	free(j->path);
	free(j->data);
	free(j->object_url);
	free(j);
}

static void
vmpost_settled(struct vmpost_job *j)
{
	if (--j->pending == 0)
		vmpost_free(j);
}

/* Sends event with the message's fields and one more string field to call_events. */
static void
vmpost_event(const struct vmpost_job *j, const char *event, const char *key,
    const char *value)
{
	struct buf body;
	struct json js;

	if (j->cfg->webhooks.call_events[0] == '\0')
		return;
	buf_init(&body);
	json_init(&js, &body);
	json_object_begin(&js);
	json_kv_string(&js, "event", event);
	json_kv_string(&js, "id", j->id);
	json_kv_string(&js, "call_id", j->call_id);
	json_kv_string(&js, "tenant", j->tenant);
	json_kv_string(&js, "extension", j->extension);
	json_kv_string(&js, "caller", j->caller);
	json_kv_int(&js, "duration_ms", j->duration_ms);
	json_kv_string(&js, "path", j->path);
	json_kv_string(&js, key, value);
	json_object_end(&js);
	if (json_finish(&js) == 0)
		webhook_send(j->cfg->webhooks.call_events, event, body.data, body.len, NULL,
		    NULL);
	buf_free(&body);
}

static void
vmpost_transcribed(const struct webhook_result *r, void *arg)
{
	struct vmpost_job *j = arg;
	char *text;

	if (r->outcome != WEBHOOK_DELIVERED) {
		log_error("voicemail: message %s: transcription failed after %u attempt(s): %s; "
		    "%s kept without a transcript", j->id, r->attempts, r->error, j->path);
	} else if ((text = vmpost_transcript(r->response, r->response_len)) == NULL) {
		log_error("voicemail: message %s: the transcription answer (HTTP %ld, %zu bytes) "
		    "holds no transcript", j->id, r->status, r->response_len);
	} else {
		log_info("voicemail: message %s transcribed in %lld ms (%u attempt(s)): %zu bytes",
		    j->id, (long long)r->elapsed_ms, r->attempts, strlen(text));
		store_voicemail_transcript(j->id, text);
		vmpost_event(j, "voicemail.transcribed", "transcript", text);
		free(text);
	}
	vmpost_settled(j);
}

static void
vmpost_uploaded(const struct webhook_result *r, void *arg)
{
	struct vmpost_job *j = arg;

	if (r->outcome != WEBHOOK_DELIVERED) {
		log_error("voicemail: message %s: S3 upload to %s failed after %u attempt(s): %s; "
		    "%s kept", j->id, j->object_url, r->attempts, r->error, j->path);
	} else {
		log_info("voicemail: message %s uploaded to %s in %lld ms (%u attempt(s))", j->id,
		    j->object_url, (long long)r->elapsed_ms, r->attempts);
		store_voicemail_url(j->id, j->object_url);
		vmpost_event(j, "voicemail.uploaded", "url", j->object_url);
	}
	vmpost_settled(j);
}

static void
vmpost_send_transcription(struct vmpost_job *j)
{
	char h_msg[96], h_call[96], h_ext[160], h_ten[160];
	const char *hdrs[] = { h_msg, h_call, h_ext, h_ten, NULL };
	struct webhook_send_opts o = {
		.content_type = "audio/wav",
		.headers = hdrs,
		.timeout_ms = VMPOST_TIMEOUT_MS,
		.max_response = VMPOST_MAX_ANSWER,
	};

	snprintf(h_msg, sizeof(h_msg), "X-Scaidial-Message: %s", j->id);
	snprintf(h_call, sizeof(h_call), "X-Scaidial-Call: %s", j->call_id);
	snprintf(h_ext, sizeof(h_ext), "X-Scaidial-Extension: %s", j->extension);
	snprintf(h_ten, sizeof(h_ten), "X-Scaidial-Tenant: %s", j->tenant);
	/* Counted first: a full queue may settle the delivery before webhook_send_ex returns. */
	j->pending++;
	if (webhook_send_ex(j->cfg->webhooks.transcription, "voicemail.transcription", j->data,
	    j->len, &o, vmpost_transcribed, j) == -1) {
		j->pending--;
		log_error("voicemail: message %s: cannot queue the transcription", j->id);
	}
}

static void
vmpost_send_upload(struct vmpost_job *j)
{
	const struct config_storage *s = &j->cfg->storage;
	const char *base = strrchr(j->path, '/');
	char *sigv4, *userpwd;
	struct webhook_send_opts o = {
		.method = "PUT",
		.content_type = "audio/wav",
		.timeout_ms = VMPOST_TIMEOUT_MS,
		.raw = true,
	};

	base = base != NULL ? base + 1 : j->path;
	j->object_url = xasprintf("%s/%s/%s%s%s/%s/%s", s->s3_endpoint, s->s3_bucket,
	    s->s3_prefix, s->s3_prefix[0] && s->s3_prefix[strlen(s->s3_prefix) - 1] != '/' ?
	    "/" : "", j->tenant, j->extension, base);
	sigv4 = xasprintf("aws:amz:%s:s3", s->s3_region);
	userpwd = xasprintf("%s:%s", s->s3_access_key, s->s3_secret_key);
	o.aws_sigv4 = sigv4;
	o.userpwd = userpwd;
	j->pending++;
	if (webhook_send_ex(j->object_url, "voicemail.upload", j->data, j->len, &o,
	    vmpost_uploaded, j) == -1) {
		j->pending--;
		log_error("voicemail: message %s: cannot queue the S3 upload", j->id);
	}
	free(sigv4);
	free(userpwd);
}

static void
vmpost_read(void *arg)
{
	struct vmpost_job *j = arg;
	size_t want = j->size - j->len < VMPOST_CHUNK ? j->size - j->len : VMPOST_CHUNK;
	ssize_t n = want > 0 ? read(j->fd, j->data + j->len, want) : 0;

	if (n == -1 && errno == EINTR) {
		loop_timer_start(j->timer, 0);
		return;
	}
	if (n == -1) {
		log_error("voicemail: message %s: reading %s: %s", j->id, j->path, strerror(errno));
		vmpost_free(j);
		return;
	}
	j->len += (size_t)n;
	if (n > 0 && j->len < j->size) {
		loop_timer_start(j->timer, 0);
		return;
	}
	close(j->fd);
	j->fd = -1;
	log_debug("voicemail: message %s: %zu bytes read in %lld ms", j->id, j->len,
	    (long long)(loop_mono_ms() - j->start_ms));
	j->pending = 1;		/* until both are queued: a callback cannot free j early */
	if (j->transcribe)
		vmpost_send_transcription(j);
	if (j->upload)
		vmpost_send_upload(j);
	free(j->data);		/* webhook.c holds its own copies */
	j->data = NULL;
	vmpost_settled(j);
}

void
vmpost_message(struct config *cfg, const struct vmpost_msg *m)
{
	const struct tenant *t = config_find_tenant(cfg, m->tenant);
	bool transcribe = t != NULL && t->voicemail_transcripts &&
	    cfg->webhooks.transcription[0] != '\0';
	bool upload = cfg->storage.s3_endpoint[0] != '\0';
	struct vmpost_job *j;
	struct stat st;
	const char *why = NULL;
	int fd;

	if (!transcribe && !upload)
		return;
	if ((fd = open(m->path, O_RDONLY | O_CLOEXEC)) == -1 || fstat(fd, &st) == -1)
		why = strerror(errno);
	else if (st.st_size > (off_t)VMPOST_MAX_FILE)
		why = "too large";
	if (why != NULL) {
		log_error("voicemail: message %s: %s cannot be sent: %s", m->id, m->path, why);
		if (fd != -1)
			close(fd);
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->cfg = config_ref(cfg);
	j->id = xstrdup(m->id);
	j->call_id = xstrdup(m->call_id);
	j->tenant = xstrdup(m->tenant);
	j->extension = xstrdup(m->extension);
	j->caller = xstrdup(m->caller);
	j->path = xstrdup(m->path);
	j->duration_ms = m->duration_ms;
	j->fd = fd;
	j->size = (size_t)st.st_size;
	j->data = xmalloc(j->size + 1);
	j->transcribe = transcribe;
	j->upload = upload;
	j->start_ms = loop_mono_ms();
	j->timer = loop_timer_new(vmpost_read, j);
	j->next = jobs;
	jobs = j;
	loop_timer_start(j->timer, 0);
}

int
vmpost_pending(void)
{
	int n = 0;

	for (struct vmpost_job *j = jobs; j != NULL; j = j->next)
		n++;
	return n;
}

void
vmpost_fini(void)
{
	while (jobs != NULL) {
		webhook_cancel(jobs);
		vmpost_free(jobs);
	}
}
