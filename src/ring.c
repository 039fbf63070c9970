/* ring: room, ring webhook, timeout (see ring.h). The room is deleted when the ring
 * stops without anyone having been connected, so a caller who gives up leaves nothing
 * behind on the LiveKit server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "call.h"
#include "config.h"
#include "dialplan.h"
#include "json.h"
#include "lk_api.h"
#include "lk_token.h"
#include "log.h"
#include "loop.h"
#include "ring.h"
#include "webhook.h"
#include "xmalloc.h"

/* A user who opens the ring a little late can still join. */
#define RING_TOKEN_TTL_S	3600
#define RING_ROOM_EMPTY_S	60

struct ring {
	struct config	*cfg;		/* the call's generation (a reference) */
	char		 call_id[CALL_ID_LEN + 1];
	char		 room[160];
	const struct extension *ext;
	char		*from, *to;
	struct loop_timer *timer;
	const char	*early;		/* why the ring ends before its timeout, if it does */
	ring_ready_cb	*ready;
	ring_done_cb	*done;
	void		*arg;
};

void
ring_room_name(const struct call *c, char *out, size_t outlen)
{
	snprintf(out, outlen, "%s%s", c->cfg->livekit.room_prefix, c->id);
}

static void
ring_finish(struct ring *r, const char *why)
{
	ring_done_cb *done = r->done;

	r->done = NULL;
	loop_timer_stop(r->timer);
	if (done != NULL)
		done(r->arg, why);
}

static void
ring_timeout(void *arg)
{
	struct ring *r = arg;

	if (r->early != NULL) {
		ring_finish(r, r->early);
		return;
	}
	log_info("ring: call %s: %s did not answer in time", r->call_id, r->ext->id);
	ring_finish(r, "timeout");
}

static void
ring_sent(const struct webhook_result *res, void *arg)
{
	struct ring *r = arg;

	if (res->outcome == WEBHOOK_DELIVERED) {
		log_info("ring: call %s: %s delivered (attempt %u, %lld ms)", r->call_id,
		    r->ext->type == EXT_BOT ? "bot.kickoff" : "call.ringing", res->attempts,
		    (long long)res->elapsed_ms);
		return;
	}
	log_warn("ring: call %s: %s not delivered: %s; going on without it", r->call_id,
	    r->ext->type == EXT_BOT ? "bot.kickoff" : "call.ringing", res->error);
	ring_finish(r, "webhook_failed");
}

void
ring_identity(const struct extension *e, char *out, size_t outlen)
{
	if (e->type == EXT_BOT)
		snprintf(out, outlen, "bot-%s", e->bot);
	else
		snprintf(out, outlen, "%s", e->user);
}

/* The token the webhook hands out: the wave user, or the bot, in the call's room. */
char *
ring_token(const struct config *cfg, const struct extension *e, const char *room)
{
	char identity[LK_TOKEN_MAX_IDENTITY];
	struct lk_token_claims cl = { .identity = identity, .name = identity,
	    .ttl_s = RING_TOKEN_TTL_S, .kind = e->type == EXT_BOT ? "agent" : NULL,
	    .video = { .room_join = true, .room = room, .can_publish = true,
	    .can_subscribe = true, .can_publish_data = true } };

	ring_identity(e, identity, sizeof(identity));
	return lk_token_mint(cfg->livekit.api_key, cfg->livekit.api_secret, &cl,
	    loop_now_ms() / 1000);
}

static void
ring_notify(struct ring *r)
{
	const struct extension *e = r->ext;
	const char *url = e->type == EXT_BOT ? r->cfg->webhooks.bot_kickoff :
	    r->cfg->webhooks.wave_ring;
	const char *event = e->type == EXT_BOT ? "bot.kickoff" : "call.ringing";
	char identity[128], *token;
	struct buf body;
	struct json j;

	ring_identity(e, identity, sizeof(identity));
	if ((token = ring_token(r->cfg, e, r->room)) == NULL) {
		log_error("ring: call %s: cannot mint a token for %s", r->call_id, identity);
		ring_finish(r, "no_token");
		return;
	}
	buf_init(&body);
	json_init(&j, &body);
	json_object_begin(&j);
	json_kv_string(&j, "event", event);
	json_kv_string(&j, "call_id", r->call_id);
	json_kv_string(&j, "tenant", e->tenant->id);
	json_kv_string(&j, "extension", e->id);
	if (e->type == EXT_BOT)
		json_kv_string(&j, "bot", e->bot);
	else
		json_kv_string(&j, "user", e->user);
	json_kv_string(&j, "identity", identity);
	json_kv_string(&j, "from", r->from);
	json_kv_string(&j, "to", r->to);
	json_kv_string(&j, "room", r->room);
	json_kv_string(&j, "livekit_url", r->cfg->livekit.url);
	json_kv_string(&j, "token", token);
	json_object_end(&j);
	free(token);
	if (json_finish(&j) != 0 ||
	    webhook_send(url, event, body.data, body.len, ring_sent, r) == -1) {
		log_error("ring: call %s: %s could not be queued", r->call_id, event);
		buf_free(&body);
		ring_finish(r, "webhook_failed");
		return;
	}
	buf_free(&body);
}

static void
ring_room_made(const struct lk_api_result *res, void *arg)
{
	struct ring *r = arg;

	if (!res->ok) {
		log_warn("ring: call %s: room %s not created: %s", r->call_id, r->room, res->error);
		ring_finish(r, "no_room");
		return;
	}
	log_info("ring: call %s: room %s created (%lld ms)", r->call_id, r->room,
	    (long long)res->elapsed_ms);
	if (r->ready != NULL && r->ready(r->arg, r->room) != 0) {
		ring_finish(r, "no_livekit");
		return;
	}
	ring_notify(r);
}

struct ring *
ring_start(const struct call *c, const struct dialplan_step *st, ring_ready_cb *ready,
    ring_done_cb *done, void *arg)
{
	struct ring *r = xcalloc(1, sizeof(*r));

	r->cfg = config_ref(c->cfg);
	snprintf(r->call_id, sizeof(r->call_id), "%s", c->id);
	ring_room_name(c, r->room, sizeof(r->room));
	r->ext = st->extension;
	r->from = xstrdup(c->caller);
	r->to = xstrdup(c->callee);
	r->ready = ready;
	r->done = done;
	r->arg = arg;
	r->timer = loop_timer_new(ring_timeout, r);
	loop_timer_start(r->timer, (unsigned)(st->timeout > 0 ? st->timeout : 30) * 1000);
	log_info("ring: call %s: ringing %s extension %s for %d s in room %s", r->call_id,
	    config_ext_type_name(r->ext->type), r->ext->id, st->timeout, r->room);
	if (lk_api_create_room(&r->cfg->livekit, &(struct lk_room_opts){ .name = r->room,
	    .empty_timeout = RING_ROOM_EMPTY_S, .metadata = r->call_id }, ring_room_made, r) == -1) {
		log_warn("ring: call %s: room %s could not be requested", r->call_id, r->room);
		/* Reported from the loop, never from inside the caller's own call. */
		r->early = "no_room";
		loop_timer_start(r->timer, 0);
	}
	return r;
}

static void
ring_room_deleted(const struct lk_api_result *res, void *arg)
{
	free(arg);
	if (!res->ok)
		log_debug("ring: room not deleted: %s", res->error);
}

static void
ring_free(struct ring *r)
{
	webhook_cancel(r);
	lk_api_cancel(r);
	loop_timer_free(r->timer);
	config_unref(r->cfg);
	free(r->from);
	free(r->to);
	free(r);
}

void
ring_answered(struct ring *r)
{
	if (r != NULL)
		ring_free(r);
}

void
ring_stop(struct ring *r)
{
	if (r == NULL)
		return;
	/* Nobody was connected: the room goes with the ring (the request keeps its own
	 * copy of the name, freed when it is answered). */
	char *room = xstrdup(r->room);

	if (lk_api_delete_room(&r->cfg->livekit, room, ring_room_deleted, room) == -1)
		free(room);
	ring_free(r);
}
