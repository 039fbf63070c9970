/* call_room: the call's SIP participant and the room's other legs (see call_room.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "call.h"
#include "call_room.h"
#include "codec.h"
#include "config.h"
#include "lk_api.h"
#include "lk_bridge.h"
#include "lk_token.h"
#include "log.h"
#include "loop.h"
#include "media.h"
#include "media_tap.h"
#include "sdp.h"
#include "store.h"
#include "xmalloc.h"

/* One participant other than ours, as a leg of the call. */
struct room_leg {
	char		 id[CALL_ID_LEN + 1];
	char		*identity;
	struct room_leg	*next;
};

struct call_room {
	struct config	*cfg;		/* the call's generation (a reference) */
	char		 call_id[CALL_ID_LEN + 1];
	char		*room;
	char		 identity[LK_TOKEN_MAX_IDENTITY];
	char		*await;		/* NULL: anyone */
	char		 await_leg[CALL_ID_LEN + 1];	/* "" : recorded when they join */
	int		 arrived;
	int		 joined;	/* our participant is in the room */
	char		 status[16];	/* sip.callStatus wanted */
	char		 status_sent[16];	/* sip.callStatus it has */
	struct lk_bridge *bridge;
	struct room_leg	*legs;
	const struct call_room_cb *cb;
	void		*arg;
};

/* Our participant's identity for the far end's number: LiveKit SIP's "sip_" + it. */
static void
room_identity(const char *caller, char *out, size_t outlen)
{
	snprintf(out, outlen, "sip_%s", caller[0] ? caller : "anonymous");
}

static void room_status_send(struct call_room *);

static void
room_joined(void *arg)
{
	struct call_room *r = arg;

	log_info("room: call %s: %s is in room %s", r->call_id, r->identity, r->room);
	r->joined = 1;
	room_status_send(r);	/* a change made while it was joining */
}

static struct room_leg **
room_leg_find(struct call_room *r, const char *identity)
{
	struct room_leg **lp;

	for (lp = &r->legs; *lp != NULL; lp = &(*lp)->next)
		if (strcmp((*lp)->identity, identity) == 0)
			break;
	return lp;
}

static void
room_leg_end(struct room_leg *l, const char *cause)
{
	store_leg_ended(l->id, 0, cause, 0);
	free(l->identity);
	free(l);
}

static void
room_participant(void *arg, const char *identity, int joined)
{
	struct call_room *r = arg;
	struct room_leg **lp = room_leg_find(r, identity), *l;

	if (joined && *lp == NULL) {
		l = xcalloc(1, sizeof(*l));
		l->identity = xstrdup(identity);
		l->next = r->legs;
		r->legs = l;
		if (r->await_leg[0] != '\0' && r->await != NULL &&
		    strcmp(r->await, identity) == 0) {
			snprintf(l->id, sizeof(l->id), "%s", r->await_leg);
			r->await_leg[0] = '\0';	/* a second visit is a leg of its own */
		} else {
			call_uuid(l->id);
			store_leg_insert(&(struct store_leg){ .id = l->id, .call_id = r->call_id,
			    .kind = strncmp(identity, "bot-", 4) == 0 ? "bot" : "wave",
			    .identity = identity, .state = "joined",
			    .started_ms = loop_now_ms() });
		}
		store_leg_answered(l->id, 0);
		log_info("room: call %s: %s joined room %s", r->call_id, identity, r->room);
		if (!r->arrived && (r->await == NULL || strcmp(r->await, identity) == 0)) {
			r->arrived = 1;
			r->cb->arrived(r->arg, identity);	/* may end the room */
		}
		return;
	}
	if (joined || *lp == NULL)
		return;
	l = *lp;
	*lp = l->next;
	log_info("room: call %s: %s left room %s", r->call_id, identity, r->room);
	room_leg_end(l, "left");
	if (r->arrived && r->legs == NULL)
		r->cb->empty(r->arg);
}

static void
room_dtmf(void *arg, const char *identity, char digit)
{
	struct call_room *r = arg;

	log_info("room: call %s: digit %c from %s", r->call_id, digit, identity);
	r->cb->dtmf(r->arg, digit);
}

/* Application messages: only transfer requests are ours; other topics are the room's. */
static void
room_data(void *arg, const char *identity, const char *topic, const char *payload, size_t n)
{
	struct call_room *r = arg;
	struct json_object *o, *to = NULL, *method = NULL;

	(void)n;	/* NUL-terminated by lk_bridge */
	if (strcmp(topic, CALL_ROOM_TRANSFER_TOPIC) != 0 || r->cb->transfer == NULL)
		return;
	o = json_tokener_parse(payload);
	if (o == NULL || !json_object_object_get_ex(o, "to", &to) ||
	    !json_object_is_type(to, json_type_string) ||
	    (json_object_object_get_ex(o, "method", &method) &&
	    !json_object_is_type(method, json_type_string))) {
		log_warn("room: call %s: transfer request from %s ignored: want {\"to\": "
		    "\"+E164 or sip:URI\", \"method\": \"refer\"|\"bridge\"}", r->call_id,
		    identity);
		json_object_put(o);
		return;
	}
	log_info("room: call %s: %s asks for a transfer to %s", r->call_id, identity,
	    json_object_get_string(to));
	r->cb->transfer(r->arg, identity, json_object_get_string(to),
	    method != NULL ? json_object_get_string(method) : NULL);
	json_object_put(o);
}

static void
room_ended(void *arg, const char *reason)
{
	struct call_room *r = arg;

	log_warn("room: call %s: our participant left room %s: %s", r->call_id, r->room,
	    reason);
	r->cb->lost(r->arg, reason);
}

static const struct lk_bridge_cb room_bridge_cb = {
	.joined = room_joined,
	.participant = room_participant,
	.dtmf = room_dtmf,
	.data = room_data,
	.ended = room_ended,
};

struct call_room *
call_room_join(const struct call *c, const char *room, const char *await,
    const char *await_leg, const char *status, const struct call_room_cb *cb, void *arg)
{
	struct call_room *r;
	const char *far, *near;
	char *token;

	r = xcalloc(1, sizeof(*r));
	r->cfg = config_ref(c->cfg);
	snprintf(r->call_id, sizeof(r->call_id), "%s", c->id);
	r->room = xstrdup(room);
	r->await = await != NULL ? xstrdup(await) : NULL;
	if (await_leg != NULL)
		snprintf(r->await_leg, sizeof(r->await_leg), "%s", await_leg);
	r->cb = cb;
	r->arg = arg;
	snprintf(r->status, sizeof(r->status), "%s", status);
	snprintf(r->status_sent, sizeof(r->status_sent), "%s", status);	/* in the token */
	/* As LiveKit SIP does: the participant is the far end, the caller of an inbound
	 * call or the callee of an outbound one; the trunk's number is ours. */
	far = c->did != NULL ? c->caller : c->callee;
	near = c->did != NULL ? c->callee : c->caller;
	room_identity(far, r->identity, sizeof(r->identity));
	token = lk_token_sip(c->cfg->livekit.api_key, c->cfg->livekit.api_secret,
	    &(struct lk_sip_identity){ .room = room, .identity = r->identity,
	    .name = far[0] ? far : "anonymous", .call_id = c->id, .phone_number = far,
	    .trunk_phone_number = near, .call_status = status }, loop_now_ms() / 1000);
	if (token == NULL || (r->bridge = lk_bridge_new(c->cfg->livekit.url, token,
	    &room_bridge_cb, r)) == NULL) {
		log_error("room: call %s: cannot join room %s (%s)", c->id, room,
		    token == NULL ? "no token: check livekit.api_key/api_secret" :
		    "the LiveKit threads are not running");
		free(token);
		call_room_end(r, "no_livekit");
		return NULL;
	}
	free(token);
	log_info("room: call %s: joining room %s as %s", c->id, room, r->identity);
	return r;
}

int
call_room_bridge(struct call_room *r, struct media_session *ms)
{
	const struct sdp_neg *neg = media_session_neg(ms);
	struct media_tap *tap;

	if (neg == NULL || (tap = media_tap_new(codec_rate(neg->codec))) == NULL) {
		log_error("room: call %s: no tap for the caller's audio", r->call_id);
		return -1;
	}
	if (media_session_bridge(ms, tap) != 0) {
		log_error("room: call %s: the caller's session cannot be bridged", r->call_id);
		media_tap_free(tap);
		return -1;
	}
	lk_bridge_attach(r->bridge, tap);
	media_tap_free(tap);	/* the session and the bridge hold theirs */
	log_info("room: call %s: audio bridged at %d Hz", r->call_id, codec_rate(neg->codec));
	return 0;
}

static void
room_api_done(const struct lk_api_result *res, void *arg)
{
	char *what = arg;

	if (!res->ok)
		log_debug("room: %s: %s", what, res->error);
	free(what);
}

/* The server knows the participant only once it has joined: a change before that waits. */
static void
room_status_send(struct call_room *r)
{
	struct lk_attr a = { LK_ATTR_SIP_CALL_STATUS, r->status };
	char *what;

	if (!r->joined || strcmp(r->status, r->status_sent) == 0)
		return;
	snprintf(r->status_sent, sizeof(r->status_sent), "%s", r->status);
	what = xasprintf("sip.callStatus %s in %s", r->status, r->room);
	if (lk_api_update_participant(&r->cfg->livekit, r->room, r->identity, NULL, &a, 1,
	    room_api_done, what) == -1)
		free(what);
}

void
call_room_status(struct call_room *r, const char *status)
{
	snprintf(r->status, sizeof(r->status), "%s", status);
	room_status_send(r);
}

void
call_room_ringback(struct call_room *r, int on)
{
	lk_bridge_ringback(r->bridge, on);
}

void
call_room_dtmf(struct call_room *r, char digit)
{
	lk_bridge_send_dtmf(r->bridge, digit);
}

void
call_room_end(struct call_room *r, const char *cause)
{
	struct room_leg *l;
	char *what;

	if (r == NULL)
		return;
	lk_bridge_free(r->bridge);
	while ((l = r->legs) != NULL) {
		r->legs = l->next;
		room_leg_end(l, cause);
	}
	if (r->await_leg[0] != '\0')	/* invited, never came */
		store_leg_ended(r->await_leg, 0, cause, 0);
	/* Everyone else is disconnected with it; the request keeps its own copy. */
	what = xasprintf("room %s not deleted", r->room);
	if (lk_api_delete_room(&r->cfg->livekit, r->room, room_api_done, what) == -1)
		free(what);
	else
		log_info("room: call %s: room %s deleted (%s)", r->call_id, r->room, cause);
	config_unref(r->cfg);
	free(r->room);
	free(r->await);
	free(r);
}
