/* originate: click-to-call (see originate.h). Checks come first and in the order a
 * sysadmin reads the refusal: the extension, the number, the trunk, the tenant's policy,
 * the limits; nothing is sent or recorded before all of them pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "call_events.h"
#include "call_room.h"
#include "config.h"
#include "lk_api.h"
#include "log.h"
#include "loop.h"
#include "media.h"
#include "number.h"
#include "originate.h"
#include "policy.h"
#include "reload.h"
#include "ring.h"
#include "sip.h"
#include "sip_out.h"
#include "sip_ping.h"
#include "sip_reg.h"
#include "store.h"
#include "xmalloc.h"

#define ORIG_ROOM_EMPTY_S	60

struct orig {
	struct call	*call;
	struct sip_out	*out;
	struct call_room *room;
	char		 room_name[160];
	char		 identity[256];
	char		 user_leg[CALL_ID_LEN + 1];
	int		 ringback;	/* the carrier rings without early media */
	int		 early;		/* early media flows */
	int		 answered;
	struct orig	*next;
};

static struct orig *orig_list;

static struct orig *
orig_find(const char *call_id)
{
	for (struct orig *o = orig_list; o != NULL; o = o->next)
		if (strcmp(o->call->id, call_id) == 0)
			return o;
	return NULL;
}

static void
orig_free(struct orig *o, const char *cause)
{
	struct orig **pp;

	for (pp = &orig_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			break;
		}
	lk_api_cancel(o);
	sip_out_free(o->out);
	call_room_end(o->room, cause);
	call_free(o->call);
	free(o);
}

/* The far end's audio to the room, once there is any and the room is joined. */
static void
orig_bridge(struct orig *o)
{
	struct media_session *ms = sip_out_media(o->out);

	if (o->room == NULL || ms == NULL || media_session_bridged(ms) != 0)
		return;
	call_room_ringback(o->room, 0);
	if (call_room_bridge(o->room, ms) != 0)
		sip_out_hangup(o->out, "bridge_failed");
}

static void
orig_progress(void *arg, int status, int early_media)
{
	struct orig *o = arg;
	struct call *c = o->call;

	if (c->state == CALL_ROUTING) {
		c->state = CALL_RINGING;
		store_call_set_state(c->id, "ringing");
		if (o->room != NULL)
			call_room_status(o->room, "ringing");
	}
	log_info("originate: call %s: %d from %s%s", c->id, status, sip_out_uri(o->out),
	    early_media ? " with early media" : "");
	if (early_media) {
		o->early = 1;
		orig_bridge(o);
	} else if (!o->early && !o->ringback) {
		o->ringback = 1;
		if (o->room != NULL)
			call_room_ringback(o->room, 1);
	}
}

static void
orig_answered(void *arg)
{
	struct orig *o = arg;
	struct call *c = o->call;

	o->answered = 1;
	c->state = CALL_ANSWERED;
	c->answered_ms = loop_now_ms();
	store_call_answered(c->id, 0);
	store_leg_answered(c->leg_id, 0);
	call_events_answered(c);
	log_info("originate: call %s: %s answered", c->id, c->callee);
	if (o->room != NULL) {
		orig_bridge(o);
		call_room_status(o->room, "active");
	}
}

static void
orig_ended(void *arg, int status, const char *cause)
{
	struct orig *o = arg;
	struct call *c = o->call;

	c->state = CALL_ENDING;
	store_leg_ended(c->leg_id, 0, cause, status);
	store_call_ended(c->id, 0, cause, status);
	call_events_ended(c, cause, status);
	if (status)
		log_info("originate: call %s: ended: %s (SIP %d)", c->id, cause, status);
	else
		log_info("originate: call %s: ended: %s", c->id, cause);
	orig_free(o, cause);
}

static void
orig_digit(void *arg, char digit)
{
	struct orig *o = arg;

	if (o->room != NULL)
		call_room_dtmf(o->room, digit);
}

static const struct sip_out_cb orig_out_cb = {
	.progress = orig_progress,
	.answered = orig_answered,
	.ended = orig_ended,
	.digit = orig_digit,
};

static void
orig_room_arrived(void *arg, const char *identity)
{
	struct orig *o = arg;

	log_info("originate: call %s: %s is in the room", o->call->id, identity);
}

static void
orig_room_empty(void *arg)
{
	struct orig *o = arg;

	sip_out_hangup(o->out, "room_empty");
}

static void
orig_room_lost(void *arg, const char *why)
{
	struct orig *o = arg;

	(void)why;
	sip_out_hangup(o->out, "livekit_lost");
}

static void
orig_room_dtmf(void *arg, char digit)
{
	struct orig *o = arg;

	if (sip_out_send_dtmf(o->out, digit) != 0)
		log_warn("originate: call %s: digit %c not sent", o->call->id, digit);
}

static const struct call_room_cb orig_room_cb = {
	.arrived = orig_room_arrived,
	.empty = orig_room_empty,
	.lost = orig_room_lost,
	.dtmf = orig_room_dtmf,
};

static void
orig_room_made(const struct lk_api_result *res, void *arg)
{
	struct orig *o = arg;
	struct call *c = o->call;

	if (!res->ok) {
		log_warn("originate: call %s: room %s not created: %s", c->id, o->room_name,
		    res->error);
		sip_out_hangup(o->out, "no_room");
		return;
	}
	o->room = call_room_join(c, o->room_name, o->identity, o->user_leg,
	    o->answered ? "active" : c->state == CALL_RINGING ? "ringing" : "dialing",
	    &orig_room_cb, o);
	if (o->room == NULL) {
		sip_out_hangup(o->out, "no_livekit");
		return;
	}
	if (o->early || o->answered)
		orig_bridge(o);
	else if (o->ringback)
		call_room_ringback(o->room, 1);
}

/* The tenant's trunk that has been usable longest: registered, or a peer answering
 * OPTIONS. */
static const struct trunk *
orig_pick_trunk(const struct config *cfg, const struct tenant *t)
{
	const struct trunk *best = NULL;
	int64_t best_since = 0;

	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct trunk *k = &cfg->trunks[i];
		struct sip_reg_info ri;
		struct sip_ping_info pi;
		int64_t since;

		if (k->tenant != t)
			continue;
		if (sip_reg_info(k->id, &ri) == 0 && ri.state == REG_REGISTERED)
			since = ri.since_ms;
		else if (sip_ping_info(k->id, &pi) == 0 && pi.up)
			since = pi.since_ms;
		else
			continue;
		if (best == NULL || since < best_since) {
			best = k;
			best_since = since;
		}
	}
	return best;
}

static const struct extension *
orig_find_ext(const struct config *cfg, const struct originate_req *req, char *err,
    size_t errlen)
{
	const struct extension *e = NULL;
	const struct tenant *t;
	int n = 0;

	if (req->tenant != NULL) {
		if ((t = config_find_tenant(cfg, req->tenant)) == NULL) {
			snprintf(err, errlen, "no tenant '%s'", req->tenant);
			return NULL;
		}
		if ((e = config_find_extension(cfg, t, req->extension)) == NULL)
			snprintf(err, errlen, "tenant %s has no extension '%s'", t->id,
			    req->extension);
		return e;
	}
	for (size_t i = 0; i < cfg->n_extensions; i++)
		if (strcmp(cfg->extensions[i].id, req->extension) == 0) {
			e = &cfg->extensions[i];
			n++;
		}
	if (n == 0)
		snprintf(err, errlen, "no extension '%s'", req->extension);
	else if (n > 1)
		snprintf(err, errlen, "extension '%s' exists in %d tenants: give --tenant",
		    req->extension, n);
	return n == 1 ? e : NULL;
}

/* The caller ID: the first of the trunk's numbers, else its username. */
static const char *
orig_caller_id(const struct config *cfg, const struct trunk *k)
{
	for (size_t i = 0; i < cfg->n_dids; i++)
		if (cfg->dids[i].trunk == k)
			return cfg->dids[i].number;
	return k->username;
}

int
originate_start(const struct originate_req *req, struct originate_result *res, char *err,
    size_t errlen)
{
	struct config *cfg = reload_current();
	const struct extension *e;
	const struct trunk *k;
	const struct tenant *t;
	struct call *c;
	struct orig *o;
	char to[32];

	memset(res, 0, sizeof(*res));
	if (sip_stopping()) {
		snprintf(err, errlen, "the daemon is stopping");
		return -1;
	}
	if ((e = orig_find_ext(cfg, req, err, errlen)) == NULL)
		return -1;
	t = e->tenant;
	if (e->type == EXT_SIP) {
		snprintf(err, errlen, "extension %s is a desk phone: it dials from the phone",
		    e->id);
		return -1;
	}
	if (number_normalize(req->to, to, sizeof(to)) != 0 || to[0] != '+') {
		snprintf(err, errlen, "'%s' is not a number in international form (+CC...)",
		    req->to);
		return -1;
	}
	if (req->trunk != NULL) {
		if ((k = config_find_trunk(cfg, req->trunk)) == NULL) {
			snprintf(err, errlen, "no trunk '%s'", req->trunk);
			return -1;
		}
		if (k->tenant != t) {
			snprintf(err, errlen, "trunk %s belongs to tenant %s, not %s", k->id,
			    k->tenant->id, t->id);
			return -1;
		}
	} else if ((k = orig_pick_trunk(cfg, t)) == NULL) {
		snprintf(err, errlen, "no trunk of tenant %s is available (registered, or a "
		    "peer answering OPTIONS)", t->id);
		return -1;
	}
	if (!policy_outbound_allowed(t, to)) {
		snprintf(err, errlen, "%s is not allowed for tenant %s (policy outbound_allow)",
		    to, t->id);
		log_warn("originate: %s for extension %s refused: not in tenant %s's "
		    "outbound_allow", to, e->id, t->id);
		return -1;
	}
	if (t->max_concurrent_calls > 0 &&
	    call_count_tenant(t->id) >= (size_t)t->max_concurrent_calls) {
		snprintf(err, errlen, "tenant %s is at its limit of %d calls", t->id,
		    t->max_concurrent_calls);
		return -1;
	}
	if (k->max_concurrent_calls > 0 &&
	    call_count_trunk(k->id) >= (size_t)k->max_concurrent_calls) {
		snprintf(err, errlen, "trunk %s is at its limit of %d calls", k->id,
		    k->max_concurrent_calls);
		return -1;
	}
	if (cfg->livekit.url[0] == '\0') {
		snprintf(err, errlen, "no livekit section in the configuration");
		return -1;
	}

	c = call_new(cfg, NULL, orig_caller_id(cfg, k), to, "", "");
	c->trunk = k;
	c->tenant = t;
	o = xcalloc(1, sizeof(*o));
	o->call = c;
	ring_room_name(c, o->room_name, sizeof(o->room_name));
	ring_identity(e, o->identity, sizeof(o->identity));
	if ((res->token = ring_token(cfg, e, o->room_name)) == NULL) {
		snprintf(err, errlen, "cannot mint a token: check livekit.api_key/api_secret");
		goto fail;
	}
	o->out = sip_out_start(&(struct sip_out_req){ .cfg = cfg, .trunk = k,
	    .to_number = to, .from_number = c->caller, .call_id = c->id,
	    .timeout_s = req->timeout_s }, &orig_out_cb, o);
	if (o->out == NULL) {
		snprintf(err, errlen, "the INVITE could not be sent through trunk %s (see the "
		    "daemon's log)", k->id);
		goto fail;
	}
	o->next = orig_list;
	orig_list = o;
	call_uuid(o->user_leg);
	store_call_insert(&(struct store_call){ .id = c->id, .tenant = t->id,
	    .direction = "outbound", .did = "", .caller = c->caller, .callee = to,
	    .trunk = k->id, .dialplan = "", .rule_priority = -1, .action = "originate",
	    .room = o->room_name, .state = "dialing", .config_generation = cfg->generation,
	    .started_ms = c->started_ms });
	store_leg_insert(&(struct store_leg){ .id = o->user_leg, .call_id = c->id,
	    .kind = e->type == EXT_BOT ? "bot" : "wave", .identity = o->identity,
	    .state = "invited", .started_ms = c->started_ms });
	store_leg_insert(&(struct store_leg){ .id = c->leg_id, .call_id = c->id, .kind = "sip",
	    .identity = sip_out_uri(o->out), .sip_call_id = sip_out_sip_call_id(o->out),
	    .state = "dialing", .started_ms = c->started_ms });
	call_events_started(c);
	log_info("originate: call %s: extension %s (%s) -> %s through trunk %s as %s, room %s",
	    c->id, e->id, o->identity, to, k->id, c->caller[0] ? c->caller : "(no caller ID)",
	    o->room_name);
	if (lk_api_create_room(&cfg->livekit, &(struct lk_room_opts){ .name = o->room_name,
	    .empty_timeout = ORIG_ROOM_EMPTY_S, .metadata = c->id }, orig_room_made, o) == -1) {
		log_warn("originate: call %s: room %s could not be requested", c->id,
		    o->room_name);
		sip_out_hangup(o->out, "no_room");
	}
	snprintf(res->call_id, sizeof(res->call_id), "%s", c->id);
	snprintf(res->room, sizeof(res->room), "%s", o->room_name);
	snprintf(res->identity, sizeof(res->identity), "%s", o->identity);
	snprintf(res->to, sizeof(res->to), "%s", to);
	snprintf(res->from, sizeof(res->from), "%s", c->caller);
	snprintf(res->trunk, sizeof(res->trunk), "%s", k->id);
	res->livekit_url = cfg->livekit.url;
	return 0;
fail:
	free(res->token);
	res->token = NULL;
	call_free(c);
	free(o);
	return -1;
}

int
originate_hangup(const char *call_id, const char *cause)
{
	struct orig *o = orig_find(call_id);

	if (o == NULL)
		return -1;
	sip_out_hangup(o->out, cause);
	return 0;
}

void
originate_fini(void)
{
	while (orig_list != NULL)
		orig_free(orig_list, "daemon_stop");
}
