/* call_events: call.started / call.answered / call.ended (see call_events.h). */
#include <stdint.h>

#include "buf.h"
#include "call.h"
#include "call_events.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "webhook.h"

static void
call_events_sent(const struct webhook_result *r, void *arg)
{
	(void)arg;
	if (r->outcome != WEBHOOK_DELIVERED)
		log_warn("call: event delivery %s failed: %s", r->delivery_id, r->error);
}

static void
call_events_begin(struct json *j, const struct call *c, const char *event)
{
	json_object_begin(j);
	json_kv_string(j, "event", event);
	json_kv_string(j, "call_id", c->id);
	json_kv_string(j, "tenant", c->tenant ? c->tenant->id : "");
	json_kv_string(j, "direction", c->did != NULL ? "inbound" : "outbound");
	json_kv_string(j, "from", c->caller);
	json_kv_string(j, "to", c->callee);
	json_kv_string(j, "trunk", c->trunk ? c->trunk->id : "");
	json_kv_int(j, "started_ms", c->started_ms);
}

static void
call_events_send(const struct call *c, const char *event, struct json *j, struct buf *b)
{
	json_object_end(j);
	if (json_finish(j) == 0)
		webhook_send(c->cfg->webhooks.call_events, event, b->data, b->len,
		    call_events_sent, NULL);
	buf_free(b);
}

void
call_events_started(const struct call *c)
{
	struct buf b;
	struct json j;

	if (c->cfg->webhooks.call_events[0] == '\0')
		return;
	buf_init(&b);
	json_init(&j, &b);
	call_events_begin(&j, c, "call.started");
	if (c->decision.n_steps > 0)
		json_kv_string(&j, "action", config_action_name(c->decision.steps[0].action));
	call_events_send(c, "call.started", &j, &b);
}

void
call_events_answered(const struct call *c)
{
	struct buf b;
	struct json j;

	if (c->cfg->webhooks.call_events[0] == '\0')
		return;
	buf_init(&b);
	json_init(&j, &b);
	call_events_begin(&j, c, "call.answered");
	json_kv_int(&j, "answered_ms", c->answered_ms);
	call_events_send(c, "call.answered", &j, &b);
}

void
call_events_ended(const struct call *c, const char *cause, int sip_status)
{
	int64_t now = loop_now_ms();
	struct buf b;
	struct json j;

	if (c->cfg->webhooks.call_events[0] == '\0')
		return;
	buf_init(&b);
	json_init(&j, &b);
	call_events_begin(&j, c, "call.ended");
	json_kv_int(&j, "answered_ms", c->answered_ms);
	json_kv_int(&j, "ended_ms", now);
	json_kv_string(&j, "cause", cause);
	json_kv_int(&j, "sip_status", sip_status);
	json_kv_int(&j, "duration_ms", now - c->started_ms);
	json_kv_int(&j, "talk_ms", c->answered_ms ? now - c->answered_ms : 0);
	call_events_send(c, "call.ended", &j, &b);
}
