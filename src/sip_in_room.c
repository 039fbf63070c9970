/* sip_in_room: ring_extension of a wave user or a bot (the caller's participant waits in
 * the call's LiveKit room and the call is answered when they arrive), the room's events
 * during the call, and transfers asked from the room (see sip_in_int.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "call.h"
#include "call_events.h"
#include "call_room.h"
#include "config.h"
#include "dialplan.h"
#include "fwd_bridge.h"
#include "log.h"
#include "loop.h"
#include "media.h"
#include "policy.h"
#include "ring.h"
#include "sip_desk.h"
#include "sip_in.h"
#include "sip_in_int.h"
#include "store.h"
#include "xmalloc.h"

/* How long the target of a transfer by bridge may ring. */
#define IN_XFER_RING_S	30

static void in_room_transfer(void *, const char *, const char *, const char *);

/* The ring ended unanswered: the next step of the chain (voicemail, hangup, the next
 * rule), or 480 when there is none. */
void
sip_in_room_ring_done(void *arg, const char *why)
{
	struct sip_leg *leg = arg;
	struct call *c = leg->call;

	call_room_end(leg->room, why);
	leg->room = NULL;
	ring_stop(leg->ring);
	leg->ring = NULL;
	if (leg->recorded)
		return;
	if (c->step + 1 >= c->decision.n_steps) {
		sip_in_reject(leg, 480, "Temporarily Unavailable", "no_answer");
		return;
	}
	c->step++;
	log_info("sip: call %s: no answer (%s): on to the next step", c->id, why);
	sip_in_run_step(leg);
}

/* The awaited user or bot is in the room: the call is answered and bridged to it. */
static void
in_room_arrived(void *arg, const char *identity)
{
	struct sip_leg *leg = arg;
	struct call *c = leg->call;
	char *answer = NULL;
	int status = 488;

	if (leg->recorded || leg->ring == NULL)
		return;
	ring_answered(leg->ring);
	leg->ring = NULL;
	if (leg->offer == NULL || (leg->ms = media_session_new(c->cfg, c->trunk, leg->offer,
	    leg->offer_len, &answer, &status, sip_in_media_event, leg)) == NULL) {
		log_warn("sip: call %s: %s answered but the caller's SDP cannot be: %d", c->id,
		    identity, status);
		sip_in_refuse_media(leg, status);
		return;
	}
	log_info("sip: call %s: answered by %s", c->id, identity);
	sip_in_respond_sdp(leg, SIP_200_OK, answer);
	free(answer);
	if (call_room_bridge(leg->room, leg->ms) != 0) {
		sip_in_end(leg, "bridge_failed");
		return;
	}
	call_room_status(leg->room, "active");
}

/* Everyone the caller was talking to has left. */
static void
in_room_empty(void *arg)
{
	struct sip_leg *leg = arg;

	if (!leg->recorded)
		sip_in_end(leg, "room_empty");
}

static void
in_room_lost(void *arg, const char *why)
{
	struct sip_leg *leg = arg;

	(void)why;
	if (leg->ring != NULL)
		sip_in_room_ring_done(leg, "livekit_lost");
	else if (!leg->recorded)
		sip_in_end(leg, "livekit_lost");
}

/* A digit from the room, to the carrier as the trunk wants it. */
static void
in_room_dtmf(void *arg, char digit)
{
	struct sip_leg *leg = arg;
	char body[48];

	if (leg->ms == NULL || leg->recorded)
		return;
	if (leg->call->trunk->dtmf == DTMF_INFO) {
		snprintf(body, sizeof(body), "Signal=%c\r\nDuration=160\r\n", digit);
		nua_info(leg->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"),
		    SIPTAG_PAYLOAD_STR(body), TAG_END());
	} else if (media_session_send_dtmf(leg->ms, digit) != 0) {
		log_warn("sip: call %s: digit %c not sent to the caller", leg->call->id, digit);
	}
}

static const struct call_room_cb in_room_cb = {
	.arrived = in_room_arrived,
	.empty = in_room_empty,
	.lost = in_room_lost,
	.dtmf = in_room_dtmf,
	.transfer = in_room_transfer,
};

static int
in_ring_ready(void *arg, const char *room)
{
	struct sip_leg *leg = arg;
	const struct dialplan_step *st = &leg->call->decision.steps[leg->call->step];
	char await[256];

	ring_identity(st->extension, await, sizeof(await));
	leg->room = call_room_join(leg->call, room, await, NULL, "ringing", &in_room_cb, leg);
	return leg->room != NULL ? 0 : -1;
}

/* ring_extension: 180 Ringing while the extension's user or bot is called to the room;
 * the caller's participant waits there and answers when they arrive. */
void
sip_in_room_ring(struct sip_leg *leg, const struct dialplan_step *st)
{
	struct call *c = leg->call;

	if (st->extension->type == EXT_SIP) {
		sip_in_fwd_ring_desk(leg, st);
		return;
	}
	nua_respond(leg->nh, SIP_180_RINGING, TAG_END());
	c->state = CALL_RINGING;
	store_call_set_state(c->id, "ringing");
	leg->ring = ring_start(c, st, in_ring_ready, sip_in_room_ring_done, leg);
}

/* A transfer of an answered call in a room, asked by a participant or scaidial-ctl:
 * REFER (the carrier takes the caller elsewhere; on failure the caller stays in the room)
 * or bridge (the target is called through the trunk and the caller, who leaves the room
 * at once, is connected to it when it answers; a failure ends the call). */
static int
in_transfer(struct sip_leg *leg, const char *target, const char *method, char *err,
    size_t errlen)
{
	struct call *c = leg->call;
	enum fwd_bridge_refusal why = FWD_BRIDGE_FAILED;
	struct media_session *ms = leg->ms;

	if (method == NULL || method[0] == '\0')
		method = "refer";
	if (strcmp(method, "refer") != 0 && strcmp(method, "bridge") != 0) {
		snprintf(err, errlen, "method '%s': refer or bridge", method);
		return -1;
	}
	if (!leg->answered || leg->room == NULL || leg->recorded || ms == NULL) {
		snprintf(err, errlen, "call %s is not an answered call in a room", c->id);
		return -1;
	}
	if (leg->refer_sent == 1 || leg->fwd != NULL) {
		snprintf(err, errlen, "call %s is being transferred already", c->id);
		return -1;
	}
	if (!policy_target_allowed(c->tenant, target)) {
		snprintf(err, errlen, "%s is not allowed for tenant %s (policy outbound_allow)",
		    target, c->tenant->id);
		log_warn("sip: call %s: transfer to %s refused by tenant %s's outbound_allow",
		    c->id, target, c->tenant->id);
		return -1;
	}
	if (strcmp(method, "refer") == 0) {
		if ((leg->refer_to = sip_in_fwd_refer_uri(c, target)) == NULL) {
			snprintf(err, errlen, "trunk %s has no carrier address to REFER to",
			    c->trunk->id);
			return -1;
		}
		leg->xfer = 1;
		sip_in_fwd_refer_send(leg);
		return 0;
	}
	leg->fwd = fwd_bridge_start(c, target, IN_XFER_RING_S, NULL, 0, ms, sip_in_media_event, leg,
	    &sip_in_fwd_ops, leg, &why);
	if (leg->fwd == NULL) {
		snprintf(err, errlen, "%s", why == FWD_BRIDGE_DENIED ?
		    "the target is not allowed (policy outbound_allow)" :
		    "the target could not be called (see the daemon's log)");
		return -1;
	}
	leg->ms = NULL;		/* the bridge's now */
	log_info("sip: call %s: transfer by bridge to %s: the caller leaves the room", c->id,
	    target);
	call_room_end(leg->room, "transferred");
	leg->room = NULL;
	return 0;
}

static void
in_room_transfer(void *arg, const char *identity, const char *target, const char *method)
{
	struct sip_leg *leg = arg;
	char err[200];

	if (in_transfer(leg, target, method, err, sizeof(err)) != 0)
		log_warn("sip: call %s: transfer asked by %s refused: %s", leg->call->id,
		    identity, err);
}

int
sip_in_transfer(const char *call_id, const char *target, const char *method, char *err,
    size_t errlen)
{
	struct call *c = call_find(call_id);

	if (c == NULL || c->sip == NULL) {
		snprintf(err, errlen, "no inbound call '%s' in progress", call_id);
		return -1;
	}
	return in_transfer(c->sip, target, method, err, errlen);
}
