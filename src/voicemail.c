/* voicemail: greeting, beep, recording, message (see voicemail.h). Runs in the control
 * thread on media events; the media worker does the audio. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "call.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "media.h"
#include "store.h"
#include "vmpost.h"
#include "voicemail.h"
#include "webhook.h"
#include "xmalloc.h"

enum vm_state { VM_GREETING, VM_BEEP, VM_RECORDING, VM_FINISHED };

struct voicemail {
	struct config	*cfg;		/* the call's generation (a reference) */
	struct media_session *ms;
	enum vm_state	 state;
	char		 call_id[CALL_ID_LEN + 1];
	char		*tenant, *extension, *caller, *greeting;
	char		*path;		/* of the recording */
	int		 caller_gone;
	voicemail_done_cb *done;
	void		*arg;
	struct voicemail *next;
};

/* Every voicemail alive, for voicemail_fini(): a recording can outlive its call. */
static struct voicemail *vm_list;

static void
vm_free(struct voicemail *vm)
{
	for (struct voicemail **pp = &vm_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == vm) {
			*pp = vm->next;
			break;
		}
	if (vm->ms != NULL)
		media_session_free(vm->ms);
	config_unref(vm->cfg);
	free(vm->tenant);
	free(vm->extension);
	free(vm->caller);
	free(vm->greeting);
	free(vm->path);
	free(vm);
}

/* The SIP side is told once; after the caller left there is nobody to tell. */
static void
vm_done(struct voicemail *vm, const char *cause)
{
	voicemail_done_cb *done = vm->done;

	vm->done = NULL;
	if (done != NULL && !vm->caller_gone)
		done(vm->arg, cause);
}

/* mkdir -p for the directories of path. */
static int
vm_mkdirs(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = strchr(p + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0750) == -1 && errno != EEXIST) {
			rc = -1;
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

/* SPOOL/voicemail/TENANT/EXT/YYYYmmddTHHMMSSZ-CALL.wav: sorted by time, one per call. */
static char *
vm_path(const struct voicemail *vm)
{
	time_t now = (time_t)(loop_now_ms() / 1000);
	struct tm tm;
	char stamp[32];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	return xasprintf("%s/voicemail/%s/%s/%s-%.8s.wav", vm->cfg->general.spool_dir,
	    vm->tenant, vm->extension, stamp, vm->call_id);
}

static void
vm_event_sent(const struct webhook_result *r, void *arg)
{
	(void)arg;
	if (r->outcome != WEBHOOK_DELIVERED)
		log_warn("voicemail: voicemail.created for message %s not delivered: %s",
		    r->delivery_id, r->error);
}

static void
vm_keep(struct voicemail *vm, const char *path, int64_t duration_ms)
{
	char id[CALL_ID_LEN + 1];
	int64_t now = loop_now_ms();
	struct buf body;
	struct json j;

	call_uuid(id);
	store_voicemail_insert(&(struct store_voicemail){ .id = id, .call_id = vm->call_id,
	    .tenant = vm->tenant, .extension = vm->extension, .caller = vm->caller,
	    .created_ms = now, .duration_ms = duration_ms, .path = path });
	log_info("voicemail: message %s for %s/%s from \"%s\": %lld ms, %s", id, vm->tenant,
	    vm->extension, vm->caller, (long long)duration_ms, path);
	vmpost_message(vm->cfg, &(struct vmpost_msg){ .id = id, .call_id = vm->call_id,
	    .tenant = vm->tenant, .extension = vm->extension, .caller = vm->caller,
	    .path = path, .duration_ms = duration_ms });
	if (vm->cfg->webhooks.call_events[0] == '\0')
		return;
	buf_init(&body);
	json_init(&j, &body);
	json_object_begin(&j);
	json_kv_string(&j, "event", "voicemail.created");
	json_kv_string(&j, "id", id);
	json_kv_string(&j, "call_id", vm->call_id);
	json_kv_string(&j, "tenant", vm->tenant);
	json_kv_string(&j, "extension", vm->extension);
	json_kv_string(&j, "caller", vm->caller);
	json_kv_int(&j, "duration_ms", duration_ms);
	json_kv_string(&j, "path", path);
	json_kv_int(&j, "created_ms", now);
	json_object_end(&j);
	if (json_finish(&j) == 0)
		webhook_send(vm->cfg->webhooks.call_events, "voicemail.created", body.data,
		    body.len, vm_event_sent, NULL);
	buf_free(&body);
}

static void
vm_record(struct voicemail *vm)
{
	const struct config_general *g = &vm->cfg->general;

	vm->path = vm_path(vm);
	if (vm_mkdirs(vm->path) == -1) {
		log_error("voicemail: call %s: cannot create the directory of %s: %s",
		    vm->call_id, vm->path, strerror(errno));
		vm->state = VM_FINISHED;
		vm_done(vm, "voicemail_error");
		return;
	}
	vm->state = VM_RECORDING;
	if (media_session_record(vm->ms, vm->path, g->voicemail_max_s * 1000,
	    g->voicemail_silence_s * 1000) == -1) {
		vm->state = VM_FINISHED;
		vm_done(vm, "voicemail_error");
	}
}

static const char *
vm_reason(enum media_record_end r)
{
	switch (r) {
	case MEDIA_REC_MAX:
		return "longest message reached";
	case MEDIA_REC_SILENCE:
		return "silence";
	case MEDIA_REC_DIGIT:
		return "#";
	case MEDIA_REC_STOPPED:
		return "caller gone";
	case MEDIA_REC_ERROR:
		return "write error";
	}
	return "?";
}

static void
vm_recorded(struct voicemail *vm, const struct media_event *ev)
{
	vm->state = VM_FINISHED;
	log_info("voicemail: call %s: recording ended (%s) after %lld ms", vm->call_id,
	    vm_reason(ev->reason), (long long)ev->duration_ms);
	if (ev->reason == MEDIA_REC_ERROR)
		log_error("voicemail: call %s: %s could not be written", vm->call_id, ev->path);
	else if (ev->duration_ms < VOICEMAIL_MIN_MS) {
		log_info("voicemail: call %s: message shorter than %d ms not kept", vm->call_id,
		    VOICEMAIL_MIN_MS);
		unlink(ev->path);
	} else
		vm_keep(vm, ev->path, ev->duration_ms);
	if (vm->caller_gone) {
		vm_free(vm);
		return;
	}
	vm_done(vm, "voicemail_done");
}

static void
vm_media_cb(struct media_session *ms, const struct media_event *ev, void *arg)
{
	struct voicemail *vm = arg;

	(void)ms;
	switch (ev->type) {
	case MEDIA_EV_PLAY_DONE:
		if (vm->state == VM_GREETING) {
			if (ev->status < 0)
				log_warn("voicemail: call %s: greeting %s unreadable; beep only",
				    vm->call_id, vm->greeting);
			vm->state = VM_BEEP;
			media_session_beep(vm->ms);
		} else if (vm->state == VM_BEEP && ev->status == 0) {
			vm_record(vm);
		}
		return;
	case MEDIA_EV_DTMF:
		/* An RFC 4733 '#' ends a recording in the media worker already. */
		log_info("voicemail: call %s: digit %c", vm->call_id, ev->digit);
		if (ev->digit == '#' && vm->state == VM_GREETING)
			media_session_play_stop(vm->ms);
		return;
	case MEDIA_EV_RECORD_DONE:
		if (vm->state == VM_RECORDING)
			vm_recorded(vm, ev);
		return;
	case MEDIA_EV_RTP_TIMEOUT:
		log_warn("voicemail: call %s: no RTP from the caller", vm->call_id);
		if (vm->state == VM_RECORDING)
			media_session_record_stop(vm->ms);
		else
			vm_done(vm, "rtp_timeout");
		return;
	}
}

struct voicemail *
voicemail_answer(const struct call *c, const struct extension *ext, const char *offer,
    size_t offer_len, char **answer, int *sip_status, voicemail_done_cb *done, void *arg)
{
	struct voicemail *vm = xcalloc(1, sizeof(*vm));

	vm->cfg = config_ref(c->cfg);
	snprintf(vm->call_id, sizeof(vm->call_id), "%s", c->id);
	vm->tenant = xstrdup(ext->tenant->id);
	vm->extension = xstrdup(ext->id);
	vm->caller = xstrdup(c->caller);
	vm->greeting = xstrdup(ext->greeting[0] ? ext->greeting :
	    c->cfg->general.voicemail_greeting);
	vm->done = done;
	vm->arg = arg;
	vm->state = VM_GREETING;
	vm->next = vm_list;
	vm_list = vm;
	vm->ms = media_session_new(c->cfg, c->trunk, offer, offer_len, answer, sip_status,
	    vm_media_cb, vm);
	if (vm->ms == NULL) {
		vm_free(vm);
		return NULL;
	}
	return vm;
}

void
voicemail_start(struct voicemail *vm)
{
	log_info("voicemail: call %s: greeting %s", vm->call_id, vm->greeting);
	if (media_session_play(vm->ms, vm->greeting) == -1) {
		vm->state = VM_BEEP;
		media_session_beep(vm->ms);
	}
}

void
voicemail_digit(struct voicemail *vm, char digit)
{
	log_info("voicemail: call %s: digit %c", vm->call_id, digit);
	if (digit != '#')
		return;
	if (vm->state == VM_GREETING)	/* skip the greeting */
		media_session_play_stop(vm->ms);
	else if (vm->state == VM_RECORDING)
		media_session_record_stop(vm->ms);
}

struct media_session *
voicemail_media(struct voicemail *vm)
{
	return vm->ms;
}

int
voicemail_busy(void)
{
	int n = 0;

	for (struct voicemail *vm = vm_list; vm != NULL; vm = vm->next)
		if (vm->state == VM_RECORDING)
			n++;
	return n;
}

void
voicemail_fini(void)
{
	/* Recordings cut short by the stop: the media session completes the file. */
	while (vm_list != NULL)
		vm_free(vm_list);
	vmpost_fini();
}

void
voicemail_caller_gone(struct voicemail *vm)
{
	vm->caller_gone = 1;
	vm->done = NULL;
	if (vm->state == VM_RECORDING) {
		media_session_record_stop(vm->ms);	/* freed on RECORD_DONE */
		return;
	}
	vm_free(vm);
}
