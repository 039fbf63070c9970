/* sip_in: inbound requests and the SIP side of inbound calls (see sip_in.h).
 *
 * An INVITE is judged in this order, so that every refusal a stranger can provoke looks
 * the same: the source's request budget, the called number (Request-URI user, else To),
 * whether the number's trunk allows the source; only then limits and the dialplan, whose
 * answers a trusted carrier may see. */
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
#include "number.h"
#include "policy.h"
#include "reload.h"
#include "sip_guard.h"
#include "sip_in.h"
#include "sip_desk.h"
#include "sip_registrar.h"
#include "sip_route.h"
#include "media.h"
#include "voicemail.h"
#include "ring.h"

#include <sofia-sip/url.h>
#include "store.h"
#include "xmalloc.h"

/* How long the target of a transfer by bridge may ring. */
#define IN_XFER_RING_S	30

struct sip_leg {
	struct sip_owner owner;		/* first: the handle's magic */
	struct call	*call;
	nua_handle_t	*nh;
	int		 answered;
	int		 recorded;	/* the end is in the store */
	char		*offer;		/* the INVITE's SDP, NULL without one */
	size_t		 offer_len;
	struct voicemail *vm;		/* while the call is in voicemail */
	struct ring	*ring;		/* while an extension rings */
	struct call_room *room;		/* the caller's participant in the call's room */
	struct media_session *ms;	/* answered to the room, or only to be transferred */
	char		 cause[40];	/* why the call ended, for the room's legs */
	char		*refer_to;	/* forward by REFER: the target, sent once answered */
	int		 refer_sent;
	int		 xfer;		/* the REFER is a transfer asked from the room */
	char		 fwd_leg[CALL_ID_LEN + 1];	/* the forward leg's record */
	struct sip_desk	*desk;		/* ring_extension of a desk phone: its side */
	struct fwd_bridge *fwd;		/* forward by bridge: the target's side */
	int		 early;		/* 183 with our SDP sent (the bridge's) */
};

static nua_t *in_nua;
static int in_stopping;

void
sip_in_init(nua_t *nua)
{
	in_nua = nua;
	in_stopping = 0;
}

/* The end of a call in the store, once; the registry entry goes with the dialog. */
static void
in_record_end(struct sip_leg *leg, const char *cause, int status)
{
	struct call *c = leg->call;

	if (leg->recorded)
		return;
	leg->recorded = 1;
	snprintf(leg->cause, sizeof(leg->cause), "%s", cause);
	c->state = CALL_ENDING;
	if (leg->fwd != NULL) {
		fwd_bridge_free(leg->fwd, cause);
		leg->fwd = NULL;
	}
	if (leg->desk != NULL) {
		sip_desk_free(leg->desk, cause);
		leg->desk = NULL;
	}
	store_leg_ended(c->leg_id, 0, cause, status);
	store_call_ended(c->id, 0, cause, status);
	call_events_ended(c, cause, status);
	if (status)
		log_info("sip: call %s: ended: %s (SIP %d)", c->id, cause, status);
	else
		log_info("sip: call %s: ended: %s", c->id, cause);
}

static void
in_leg_free(struct sip_leg *leg)
{
	if (leg->vm != NULL)
		voicemail_caller_gone(leg->vm);
	ring_stop(leg->ring);
	call_room_end(leg->room, leg->cause[0] ? leg->cause : "call_ended");
	sip_desk_free(leg->desk, "terminated");
	fwd_bridge_free(leg->fwd, "terminated");
	if (leg->ms != NULL)
		media_session_free(leg->ms);
	free(leg->refer_to);
	free(leg->offer);
	if (leg->nh != NULL) {
		nua_handle_bind(leg->nh, NULL);
		nua_handle_destroy(leg->nh);
	}
	call_free(leg->call);
	free(leg);
}

/* A final non-2xx answer to the INVITE, recorded as the end of the call. */
static void
in_reject(struct sip_leg *leg, int status, const char *phrase, const char *cause)
{
	nua_respond(leg->nh, status, phrase, TAG_END());
	in_record_end(leg, cause, status);
}

static void
in_insert(struct call *c, const char *sip_call_id)
{
	const struct dialplan_step *st = c->decision.n_steps ? &c->decision.steps[0] : NULL;
	char room[160] = "";

	if (st != NULL && st->action == ACTION_RING_EXTENSION && st->extension->type != EXT_SIP)
		ring_room_name(c, room, sizeof(room));

	store_call_insert(&(struct store_call){ .id = c->id, .tenant = c->tenant->id,
	    .direction = "inbound", .did = c->did->number, .caller = c->caller,
	    .callee = c->did->number, .trunk = c->trunk->id, .dialplan = c->did->dialplan->id,
	    .rule_priority = st ? st->rule->priority : -1,
	    .action = st ? config_action_name(st->action) : "", .room = room, .state = "routing",
	    .config_generation = c->cfg->generation, .started_ms = c->started_ms });
	store_leg_insert(&(struct store_leg){ .id = c->leg_id, .call_id = c->id, .kind = "sip",
	    .identity = c->source, .sip_call_id = sip_call_id, .state = "routing",
	    .started_ms = c->started_ms });
}

static void in_end(struct sip_leg *, const char *cause);

static void
in_vm_done(void *arg, const char *cause)
{
	in_end(arg, cause);
}

/* Answers the call into voicemail for ext. */
static void
in_voicemail(struct sip_leg *leg, const struct extension *ext)
{
	struct call *c = leg->call;
	char *answer = NULL;
	int status = 500;

	if (leg->offer == NULL) {
		/* A delayed offer would put our SDP in the 200 and theirs in the ACK. */
		log_warn("sip: call %s: INVITE without SDP (delayed offer) is not supported: "
		    "answering 488", c->id);
		in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->vm = voicemail_answer(c, ext, leg->offer, leg->offer_len, &answer, &status,
	    in_vm_done, leg);
	if (leg->vm == NULL) {
		log_warn("sip: call %s: the caller's SDP cannot be answered: %d", c->id, status);
		in_reject(leg, status, sip_status_phrase(status) ? sip_status_phrase(status) :
		    "Not Acceptable Here", "media_refused");
		return;
	}
	nua_respond(leg->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(answer), TAG_END());
	free(answer);
	voicemail_start(leg->vm);
}

static void in_run_step(struct sip_leg *);
static void in_bridge(struct sip_leg *, const struct dialplan_step *, struct media_session *);

/* The ring ended unanswered: the next step of the chain (voicemail, hangup, the next
 * rule), or 480 when there is none. */
static void
in_ring_done(void *arg, const char *why)
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
		in_reject(leg, 480, "Temporarily Unavailable", "no_answer");
		return;
	}
	c->step++;
	log_info("sip: call %s: no answer (%s): on to the next step", c->id, why);
	in_run_step(leg);
}

static void
in_media_event(struct media_session *ms, const struct media_event *ev, void *arg)
{
	struct sip_leg *leg = arg;

	(void)ms;
	if (ev->type == MEDIA_EV_RTP_TIMEOUT && !leg->recorded)
		in_end(leg, "rtp_timeout");
	else if (ev->type == MEDIA_EV_DTMF && leg->room != NULL)
		call_room_dtmf(leg->room, ev->digit);
	else if (ev->type == MEDIA_EV_DTMF && leg->fwd != NULL)
		fwd_bridge_digit(leg->fwd, ev->digit);
}

static void in_ring_desk(struct sip_leg *, const struct dialplan_step *);

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
	    leg->offer_len, &answer, &status, in_media_event, leg)) == NULL) {
		log_warn("sip: call %s: %s answered but the caller's SDP cannot be: %d", c->id,
		    identity, status);
		in_reject(leg, status, sip_status_phrase(status) ? sip_status_phrase(status) :
		    "Not Acceptable Here", "media_refused");
		return;
	}
	log_info("sip: call %s: answered by %s", c->id, identity);
	nua_respond(leg->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(answer), TAG_END());
	free(answer);
	if (call_room_bridge(leg->room, leg->ms) != 0) {
		in_end(leg, "bridge_failed");
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
		in_end(leg, "room_empty");
}

static void
in_room_lost(void *arg, const char *why)
{
	struct sip_leg *leg = arg;

	(void)why;
	if (leg->ring != NULL)
		in_ring_done(leg, "livekit_lost");
	else if (!leg->recorded)
		in_end(leg, "livekit_lost");
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

static void in_room_transfer(void *, const char *, const char *, const char *);

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
static void
in_ring(struct sip_leg *leg, const struct dialplan_step *st)
{
	struct call *c = leg->call;

	if (st->extension->type == EXT_SIP) {
		in_ring_desk(leg, st);
		return;
	}
	nua_respond(leg->nh, SIP_180_RINGING, TAG_END());
	c->state = CALL_RINGING;
	store_call_set_state(c->id, "ringing");
	leg->ring = ring_start(c, st, in_ring_ready, in_ring_done, leg);
}

/* The Refer-To of a forward target: a SIP URI as written, or the E.164 number at the
 * carrier the call came from (the trunk's address, else its registrar). */
static char *
in_refer_uri(const struct call *c, const char *target)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	const char *carrier = c->trunk->address[0] ? c->trunk->address : c->trunk->registrar;
	url_t *u;
	char *r;

	if (strncmp(target, "sip:", 4) == 0 || strncmp(target, "sips:", 5) == 0)
		return xstrdup(target);
	u = url_make(home, carrier);
	if (u == NULL || u->url_host == NULL)
		r = NULL;
	else
		r = xasprintf("sip:%s@%s%s%s", target, u->url_host, u->url_port ? ":" : "",
		    u->url_port ? u->url_port : "");
	su_home_deinit(home);
	return r;
}

/* forward by REFER: the call is answered (REFER needs a dialog), then the carrier is
 * asked to transfer it (RFC 3515) once the ACK is in; its NOTIFYs say how it went. */
static void
in_refer(struct sip_leg *leg, const struct dialplan_step *st)
{
	struct call *c = leg->call;
	char *answer = NULL;
	int status = 500;

	if ((leg->refer_to = in_refer_uri(c, st->target)) == NULL) {
		log_warn("sip: call %s: trunk %s has no carrier address to REFER to", c->id,
		    c->trunk->id);
		in_reject(leg, 480, "Temporarily Unavailable", "refer_failed");
		return;
	}
	if (leg->offer == NULL || (leg->ms = media_session_new(c->cfg, c->trunk, leg->offer,
	    leg->offer_len, &answer, &status, in_media_event, leg)) == NULL) {
		if (leg->offer == NULL)
			status = 488;
		in_reject(leg, status, sip_status_phrase(status) ? sip_status_phrase(status) :
		    "Not Acceptable Here", "media_refused");
		return;
	}
	nua_respond(leg->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(answer), TAG_END());
	free(answer);
}

static void
in_refer_send(struct sip_leg *leg)
{
	struct call *c = leg->call;

	leg->refer_sent = 1;
	call_uuid(leg->fwd_leg);
	store_leg_insert(&(struct store_leg){ .id = leg->fwd_leg, .call_id = c->id,
	    .kind = "forward", .identity = leg->refer_to, .state = "referring",
	    .started_ms = loop_now_ms() });
	log_info("sip: call %s: REFER to %s", c->id, leg->refer_to);
	nua_refer(leg->nh, SIPTAG_REFER_TO_STR(leg->refer_to), TAG_END());
}

/* The transfer's outcome: the REFER's own answer, or the status in a NOTIFY's sipfrag. */
static void
in_refer_outcome(struct sip_leg *leg, int status, const char *how)
{
	const struct dialplan_step *st = &leg->call->decision.steps[leg->call->step];

	if (status < 200 || leg->refer_sent != 1)
		return;
	leg->refer_sent = 2;	/* decided: later NOTIFYs change nothing */
	if (leg->xfer && status >= 300) {
		/* The caller is still in the room with whoever asked: the call goes on. */
		log_warn("sip: call %s: transfer to %s failed (%s %d): the call stays in the room",
		    leg->call->id, leg->refer_to, how, status);
		store_leg_ended(leg->fwd_leg, 0, "refer_failed", status);
		free(leg->refer_to);
		leg->refer_to = NULL;
		leg->refer_sent = 0;
		leg->xfer = 0;
		return;
	}
	if (status < 300) {
		log_info("sip: call %s: transferred to %s (%s %d)", leg->call->id, leg->refer_to,
		    how, status);
		store_leg_answered(leg->fwd_leg, 0);
		store_leg_ended(leg->fwd_leg, 0, "referred", status);
		in_end(leg, leg->xfer ? "transferred" : "forwarded");
	} else {
		log_warn("sip: call %s: transfer to %s failed (%s %d)", leg->call->id,
		    leg->refer_to, how, status);
		store_leg_ended(leg->fwd_leg, 0, "refer_failed", status);
		if (st->rule->fallback_bridge && leg->ms != NULL && !leg->recorded) {
			log_info("sip: call %s: falling back to forward by bridge", leg->call->id);
			in_bridge(leg, st, leg->ms);
			return;
		}
		in_end(leg, "refer_failed");
	}
}

static void
in_notify(struct sip_leg *leg, const sip_t *sip)
{
	int status = 0;

	if (leg->refer_sent != 1 || leg->recorded || sip == NULL || sip->sip_payload == NULL)
		return;
	/* message/sipfrag: "SIP/2.0 200 OK" */
	if (sip->sip_payload->pl_len > 12 && strncmp(sip->sip_payload->pl_data, "SIP/2.0 ", 8) == 0)
		status = atoi(sip->sip_payload->pl_data + 8);
	if (status >= 200)
		in_refer_outcome(leg, status, "NOTIFY");
}

/* forward by bridge: what the bridge asks to be said to the caller. */
static void
in_fwd_ringing(void *arg)
{
	struct sip_leg *leg = arg;

	if (leg->answered || leg->early || leg->recorded)
		return;
	nua_respond(leg->nh, SIP_180_RINGING, TAG_END());
	if (leg->call->state != CALL_RINGING) {
		leg->call->state = CALL_RINGING;
		store_call_set_state(leg->call->id, "ringing");
	}
}

static void
in_fwd_early(void *arg, const char *sdp)
{
	struct sip_leg *leg = arg;

	if (leg->answered || leg->recorded)
		return;
	leg->early = 1;
	nua_respond(leg->nh, SIP_183_SESSION_PROGRESS, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
	if (leg->call->state != CALL_RINGING) {
		leg->call->state = CALL_RINGING;
		store_call_set_state(leg->call->id, "ringing");
	}
}

static void
in_fwd_answer(void *arg, const char *sdp)
{
	struct sip_leg *leg = arg;

	if (leg->answered || leg->recorded)
		return;
	log_info("sip: call %s: forward: the target answered: answering the caller",
	    leg->call->id);
	nua_respond(leg->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
}

/* The target's failure as the caller's answer: what tells the caller something (busy,
 * declined, no such number) passes; the rest is 480. */
static int
in_fwd_status(int status)
{
	switch (status) {
	case 404: case 480: case 486: case 600: case 603: case 604:
		return status;
	}
	return 480;
}

static void
in_fwd_failed(void *arg, int status, const char *cause)
{
	struct sip_leg *leg = arg;
	struct call *c = leg->call;
	int st = in_fwd_status(status);

	fwd_bridge_free(leg->fwd, cause);
	leg->fwd = NULL;
	if (leg->recorded)
		return;
	log_info("sip: call %s: forward failed: %s (%d)", c->id, cause, status);
	if (leg->answered) {
		in_end(leg, "forward_failed");
	} else if (c->step + 1 < c->decision.n_steps) {
		c->step++;
		in_run_step(leg);
	} else {
		in_reject(leg, st, sip_status_phrase(st) ? sip_status_phrase(st) :
		    "Temporarily Unavailable", "forward_failed");
	}
}

static void
in_fwd_ended(void *arg, const char *cause)
{
	struct sip_leg *leg = arg;

	fwd_bridge_free(leg->fwd, cause);
	leg->fwd = NULL;
	in_end(leg, cause);
}

static void
in_fwd_info_digit(void *arg, char digit)
{
	struct sip_leg *leg = arg;
	char body[48];

	snprintf(body, sizeof(body), "Signal=%c\r\nDuration=100\r\n", digit);
	nua_info(leg->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"),
	    SIPTAG_PAYLOAD_STR(body), TAG_END());
}

static const struct fwd_bridge_ops in_fwd_ops = {
	.ringing = in_fwd_ringing,
	.early = in_fwd_early,
	.answer = in_fwd_answer,
	.failed = in_fwd_failed,
	.ended = in_fwd_ended,
	.info_digit = in_fwd_info_digit,
};

/* A desk phone rung by ring_extension: what its side asks, as forward by bridge does,
 * except that a phone that does not answer sends the call to on_no_answer. */
static void
in_desk_failed(void *arg, int status, const char *cause)
{
	struct sip_leg *leg = arg;

	(void)status;
	sip_desk_free(leg->desk, cause);
	leg->desk = NULL;
	if (!leg->recorded)
		in_ring_done(leg, cause);
}

static void
in_desk_ended(void *arg, const char *cause)
{
	struct sip_leg *leg = arg;

	sip_desk_free(leg->desk, cause);
	leg->desk = NULL;
	in_end(leg, cause);
}

/* The caller heard 180 when the ring began: the phone's own 180s add nothing. */
static void
in_desk_ringing(void *arg)
{
	struct sip_leg *leg = arg;

	if (leg->call->state != CALL_RINGING)
		in_fwd_ringing(arg);
}

static const struct fwd_bridge_ops in_desk_ops = {
	.ringing = in_desk_ringing,
	.early = in_fwd_early,
	.answer = in_fwd_answer,
	.failed = in_desk_failed,
	.ended = in_desk_ended,
	.info_digit = in_fwd_info_digit,
};

static void
in_ring_desk(struct sip_leg *leg, const struct dialplan_step *st)
{
	struct call *c = leg->call;
	const char *why = "not_registered";

	if (leg->offer == NULL) {
		in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->desk = sip_desk_ring(c, st->extension, st->timeout, leg->offer, leg->offer_len,
	    in_media_event, leg, &in_desk_ops, leg, &why);
	if (leg->desk == NULL) {
		in_ring_done(leg, why);
		return;
	}
	in_fwd_ringing(leg);
}

/* forward by bridge: the target is called through the DID's trunk; the caller is
 * answered when it answers (or hears its early media). answered_ms: the session of a
 * call already answered for a REFER that failed. */
static void
in_bridge(struct sip_leg *leg, const struct dialplan_step *st,
    struct media_session *answered_ms)
{
	struct call *c = leg->call;
	enum fwd_bridge_refusal why = FWD_BRIDGE_FAILED;
	const char *cause;

	if (answered_ms == NULL && leg->offer == NULL) {
		log_warn("sip: call %s: INVITE without SDP (delayed offer) cannot be bridged: "
		    "answering 488", c->id);
		in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->fwd = fwd_bridge_start(c, st->target, st->rule->timeout, leg->offer,
	    leg->offer_len, answered_ms, in_media_event, leg, &in_fwd_ops, leg, &why);
	if (leg->fwd != NULL) {
		if (answered_ms != NULL)
			leg->ms = NULL;		/* the bridge's now */
		return;
	}
	cause = why == FWD_BRIDGE_DENIED ? "forward_denied" : "forward_failed";
	if (leg->answered) {
		in_end(leg, cause);
	} else if (c->step + 1 < c->decision.n_steps) {
		log_info("sip: call %s: %s: on to the next step", c->id, cause);
		c->step++;
		in_run_step(leg);
	} else if (why == FWD_BRIDGE_DENIED) {
		in_reject(leg, 403, "Forbidden", cause);
	} else {
		in_reject(leg, 480, "Temporarily Unavailable", cause);
	}
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
		if ((leg->refer_to = in_refer_uri(c, target)) == NULL) {
			snprintf(err, errlen, "trunk %s has no carrier address to REFER to",
			    c->trunk->id);
			return -1;
		}
		leg->xfer = 1;
		in_refer_send(leg);
		return 0;
	}
	leg->fwd = fwd_bridge_start(c, target, IN_XFER_RING_S, NULL, 0, ms, in_media_event, leg,
	    &in_fwd_ops, leg, &why);
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

/* Carries out the call's current dialplan step. */
static void
in_run_step(struct sip_leg *leg)
{
	struct call *c = leg->call;
	const struct dialplan_step *st = &c->decision.steps[c->step];
	int status;

	log_info("sip: call %s: %s -> %s: rule %d of dialplan %s: %s", c->id, c->caller,
	    c->did->number, st->rule->priority, c->did->dialplan->id,
	    config_action_name(st->action));
	switch (st->action) {
	case ACTION_HANGUP:
		status = st->status ? st->status : 603;
		in_reject(leg, status, sip_status_phrase(status) ? sip_status_phrase(status) :
		    "Declined", "dialplan_hangup");
		return;
	case ACTION_VOICEMAIL:
		in_voicemail(leg, st->extension);
		return;
	case ACTION_RING_EXTENSION:
		in_ring(leg, st);
		return;
	case ACTION_FORWARD:
		if (st->method == FORWARD_REFER) {
			in_refer(leg, st);
			return;
		}
		in_bridge(leg, st, NULL);
		return;
	}
}

/* A desk phone dialling out: authenticated (407), the number checked against the
 * tenant's outbound_allow, then called through the tenant's trunk and bridged as forward
 * by bridge is (fwd_bridge.c: media relayed, the outbound leg recorded). */
static void
in_invite_desk(nua_handle_t *nh, const sip_t *sip, const struct sip_src *src)
{
	struct config *cfg = reload_current();
	const struct extension *e;
	const struct trunk *t;
	const char *cid;
	enum fwd_bridge_refusal why = FWD_BRIDGE_FAILED;
	struct sip_leg *leg;
	struct call *c;
	char number[32];

	if (sip_desk_dial_check(in_nua, nh, sip, src, &e, &t, number, sizeof(number),
	    &cid) == -1)
		return;
	if (in_stopping || (e->tenant->max_concurrent_calls > 0 && call_count_tenant(
	    e->tenant->id) >= (size_t)e->tenant->max_concurrent_calls)) {
		log_warn("sip: desk phone %s (tenant %s) dials %s: refused with %d", e->id,
		    e->tenant->id, number, in_stopping ? 503 : 486);
		nua_respond(nh, in_stopping ? 503 : 486, in_stopping ? "Service Unavailable" :
		    "Busy Here", NUTAG_WITH_THIS(in_nua), TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c = call_new(cfg, NULL, cid, number, sip->sip_call_id ? sip->sip_call_id->i_id : "",
	    src->text);
	c->trunk = t;
	c->tenant = e->tenant;
	leg = xcalloc(1, sizeof(*leg));
	leg->owner.kind = SIP_OWNER_CALL;
	leg->call = c;
	leg->nh = nh;
	c->sip = leg;
	if (sip->sip_payload != NULL && sip->sip_payload->pl_len > 0) {
		leg->offer = xstrndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
		leg->offer_len = sip->sip_payload->pl_len;
	}
	nua_handle_bind(nh, &leg->owner);
	store_call_insert(&(struct store_call){ .id = c->id, .tenant = c->tenant->id,
	    .direction = "outbound", .did = "", .caller = cid, .callee = number,
	    .trunk = t->id, .dialplan = "", .rule_priority = -1, .action = "desk_dial",
	    .room = "", .state = "routing", .config_generation = cfg->generation,
	    .started_ms = c->started_ms });
	store_leg_insert(&(struct store_leg){ .id = c->leg_id, .call_id = c->id, .kind = "sip",
	    .identity = e->id, .sip_call_id = c->sip_call_id, .state = "routing",
	    .started_ms = c->started_ms });
	call_events_started(c);
	log_info("sip: call %s: desk phone %s (tenant %s) at %s dials %s through trunk %s as "
	    "%s", c->id, e->id, e->tenant->id, src->text, number, t->id, cid);
	if (leg->offer == NULL) {
		in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->fwd = fwd_bridge_start(c, number, 0, leg->offer, leg->offer_len, NULL,
	    in_media_event, leg, &in_fwd_ops, leg, &why);
	if (leg->fwd == NULL)
		in_reject(leg, why == FWD_BRIDGE_DENIED ? 403 : 480, why == FWD_BRIDGE_DENIED ?
		    "Forbidden" : "Temporarily Unavailable", why == FWD_BRIDGE_DENIED ?
		    "forward_denied" : "forward_failed");
}

static void
in_invite_new(nua_handle_t *nh, const sip_t *sip)
{
	struct config *cfg = reload_current();
	const char *number = "", *caller;
	const struct did *did;
	struct sip_src src;
	struct sip_leg *leg;
	struct call *c;
	enum dialplan_result dr;
	char why[160];

	sip_guard_source(in_nua, &src);
	if (!sip_guard_admit(&src)) {
		sip_guard_refuse(in_nua, nh, "INVITE", &src, "throttled");
		return;
	}
	/* From an address no trunk allows, only a desk phone may call, and only once it
	 * proves it is one (407); every stranger is challenged alike. */
	if (sip_registrar_enabled(cfg) && sip_guard_find_trunk(cfg, &src) == NULL) {
		in_invite_desk(nh, sip, &src);
		return;
	}
	did = sip_route_did(cfg, sip, &number);
	if (did == NULL) {
		snprintf(why, sizeof(why), "unknown number \"%.40s\"", number);
		sip_guard_refuse(in_nua, nh, "INVITE", &src, why);
		return;
	}
	if (!sip_guard_trunk_allows(did->trunk, &src)) {
		snprintf(why, sizeof(why), "%s is not an address of trunk %s", src.text,
		    did->trunk->id);
		sip_guard_refuse(in_nua, nh, "INVITE", &src, why);
		return;
	}
	if (in_stopping) {
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(in_nua),
		    SIPTAG_RETRY_AFTER_STR("30"), TAG_END());
		nua_handle_destroy(nh);
		log_info("sip: INVITE from %s for %s refused with 503: stopping", src.text,
		    did->number);
		return;
	}
	if (did->trunk->tenant->max_concurrent_calls > 0 &&
	    call_count_tenant(did->trunk->tenant->id) >=
	    (size_t)did->trunk->tenant->max_concurrent_calls) {
		nua_respond(nh, SIP_486_BUSY_HERE, NUTAG_WITH_THIS(in_nua), TAG_END());
		nua_handle_destroy(nh);
		log_warn("sip: INVITE for %s refused with 486: tenant %s is at its limit of %d "
		    "calls", did->number, did->trunk->tenant->id,
		    did->trunk->tenant->max_concurrent_calls);
		return;
	}
	if (did->trunk->max_concurrent_calls > 0 &&
	    call_count_trunk(did->trunk->id) >= (size_t)did->trunk->max_concurrent_calls) {
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(in_nua), TAG_END());
		nua_handle_destroy(nh);
		log_warn("sip: INVITE for %s refused with 503: trunk %s is at its limit of %d "
		    "calls", did->number, did->trunk->id, did->trunk->max_concurrent_calls);
		return;
	}
	caller = sip_route_caller(sip);
	c = call_new(cfg, did, caller, did->number,
	    sip->sip_call_id ? sip->sip_call_id->i_id : "", src.text);
	leg = xcalloc(1, sizeof(*leg));
	leg->owner.kind = SIP_OWNER_CALL;
	leg->call = c;
	leg->nh = nh;
	c->sip = leg;
	if (sip->sip_payload != NULL && sip->sip_payload->pl_len > 0 &&
	    (sip->sip_content_type == NULL || sip->sip_content_type->c_type == NULL ||
	    strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0)) {
		leg->offer = xstrndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
		leg->offer_len = sip->sip_payload->pl_len;
	}
	nua_handle_bind(nh, &leg->owner);
	dr = dialplan_decide(cfg, &(struct dialplan_request){ .did = did->number,
	    .caller = caller, .now = loop_now_ms() / 1000 }, &c->decision);
	if (dr != DIALPLAN_OK)
		c->decision.n_steps = 0;
	in_insert(c, c->sip_call_id);
	call_events_started(c);
	log_info("sip: call %s: INVITE from %s (trunk %s) for %s, caller \"%s\", generation "
	    "%llu", c->id, src.text, did->trunk->id, did->number, caller,
	    (unsigned long long)cfg->generation);
	if (dr != DIALPLAN_OK) {
		log_warn("sip: call %s: dialplan %s has no rule for this call: answering 480",
		    c->id, did->dialplan->id);
		in_reject(leg, 480, "Temporarily Unavailable", "no_rule");
		return;
	}
	in_run_step(leg);
}

static void
in_options(nua_handle_t *nh, const sip_t *sip)
{
	struct sip_src src;

	(void)sip;
	sip_guard_source(in_nua, &src);
	if (!sip_guard_admit(&src)) {
		sip_guard_refuse(in_nua, nh, "OPTIONS", &src, "throttled");
		return;
	}
	if (sip_guard_find_trunk(reload_current(), &src) == NULL &&
	    !sip_registrar_source_known(&src)) {
		sip_guard_refuse(in_nua, nh, "OPTIONS", &src, "no trunk allows this address");
		return;
	}
	nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(in_nua), TAG_END());
	nua_handle_destroy(nh);
}

static void
in_register(nua_handle_t *nh, const sip_t *sip)
{
	struct sip_src src;
	char why[128];

	sip_guard_source(in_nua, &src);
	if (!sip_guard_admit(&src)) {
		sip_guard_refuse(in_nua, nh, "REGISTER", &src, "throttled");
		return;
	}
	/* Without a desk phone in the configuration there is no one to register: every
	 * REGISTER gets the stranger's answer. Otherwise every user, known or not, is
	 * challenged alike (sip_registrar). */
	if (!sip_registrar_enabled(reload_current())) {
		snprintf(why, sizeof(why), "no registering user \"%.40s\"",
		    sip->sip_to && sip->sip_to->a_url->url_user ? sip->sip_to->a_url->url_user :
		    "");
		sip_guard_refuse(in_nua, nh, "REGISTER", &src, why);
		return;
	}
	sip_registrar_request(nh, sip, &src);
}

/* A re-INVITE (hold, resume, a session refresh): the media session follows the new offer;
 * one without SDP gets our current description again. */
static void
in_reinvite(struct sip_leg *leg, const sip_t *sip)
{
	struct media_session *ms = leg->vm ? voicemail_media(leg->vm) :
	    leg->fwd ? fwd_bridge_media(leg->fwd) : leg->desk ? sip_desk_media(leg->desk) :
	    leg->ms;
	char *answer = NULL;
	int rc;

	if (ms == NULL) {
		nua_respond(leg->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	}
	if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0) {
		rc = media_session_update(ms, leg->call->trunk, leg->offer, leg->offer_len,
		    &answer);
	} else {
		rc = media_session_update(ms, leg->call->trunk, sip->sip_payload->pl_data,
		    sip->sip_payload->pl_len, &answer);
		if (rc == 0) {
			free(leg->offer);
			leg->offer = xstrndup(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
			leg->offer_len = sip->sip_payload->pl_len;
		}
	}
	if (rc != 0) {
		log_info("sip: call %s: re-INVITE refused: %d", leg->call->id, rc);
		nua_respond(leg->nh, rc, sip_status_phrase(rc) ? sip_status_phrase(rc) : "Refused",
		    TAG_END());
		return;
	}
	log_info("sip: call %s: re-INVITE answered", leg->call->id);
	/* A new codec rate ended the bridge: again at the new rate. */
	if (leg->room != NULL && ms == leg->ms && media_session_bridged(ms) == 0 &&
	    call_room_bridge(leg->room, ms) != 0)
		log_warn("sip: call %s: the room's audio could not follow the new codec",
		    leg->call->id);
	nua_respond(leg->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(answer), TAG_END());
	free(answer);
}

/* SIP INFO digits: application/dtmf-relay ("Signal=5") or application/dtmf ("5"). */
static void
in_info(struct sip_leg *leg, const sip_t *sip)
{
	const char *b, *end;
	char digit = 0;

	if (sip->sip_payload == NULL || sip->sip_content_type == NULL ||
	    sip->sip_content_type->c_type == NULL)
		return;
	b = sip->sip_payload->pl_data;
	end = b + sip->sip_payload->pl_len;
	if (strcasecmp(sip->sip_content_type->c_type, "application/dtmf-relay") == 0) {
		for (; b + 7 <= end; b++)
			if (strncasecmp(b, "Signal=", 7) == 0) {
				for (b += 7; b < end && (*b == ' ' || *b == '\t'); b++)
					;
				digit = b < end ? *b : 0;
				break;
			}
	} else if (strcasecmp(sip->sip_content_type->c_type, "application/dtmf") == 0) {
		for (; b < end && (*b == ' ' || *b == '\t'); b++)
			;
		digit = b < end ? *b : 0;
	}
	if (!((digit >= '0' && digit <= '9') || digit == '*' || digit == '#' ||
	    (digit >= 'A' && digit <= 'D'))) {
		log_debug("sip: call %s: INFO without a digit ignored", leg->call->id);
		return;
	}
	log_info("sip: call %s: INFO digit %c", leg->call->id, digit);
	if (leg->vm != NULL)
		voicemail_digit(leg->vm, digit);
	else if (leg->room != NULL)
		call_room_dtmf(leg->room, digit);
	else if (leg->fwd != NULL)
		fwd_bridge_digit(leg->fwd, digit);
}

static void
in_state(struct sip_leg *leg, tagi_t *tags)
{
	int cs = -1;

	tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
	if (cs == nua_callstate_ready && leg->refer_to != NULL && !leg->refer_sent)
		in_refer_send(leg);
	if (cs == nua_callstate_ready && !leg->answered) {
		leg->answered = 1;
		leg->call->state = CALL_ANSWERED;
		leg->call->answered_ms = loop_now_ms();
		store_call_answered(leg->call->id, 0);
		store_leg_answered(leg->call->leg_id, 0);
		call_events_answered(leg->call);
	}
	if (cs == nua_callstate_terminated) {
		in_record_end(leg, "terminated", 0);
		in_leg_free(leg);
	}
}

void
sip_in_event(nua_event_t ev, int status, const char *phrase, nua_handle_t *nh,
    struct sip_owner *owner, const sip_t *sip, tagi_t *tags)
{
	struct sip_leg *leg = owner && owner->kind == SIP_OWNER_CALL ?
	    (struct sip_leg *)owner : NULL;

	(void)phrase;
	switch (ev) {
	case nua_i_invite:
		if (leg == NULL && owner == NULL)
			in_invite_new(nh, sip);
		else if (leg != NULL)
			in_reinvite(leg, sip);
		return;
	case nua_i_info:
		if (leg != NULL)
			in_info(leg, sip);
		return;
	case nua_i_notify:
		if (leg != NULL)
			in_notify(leg, sip);
		return;
	case nua_r_refer:
		if (leg != NULL && status >= 300)
			in_refer_outcome(leg, status, "REFER");
		return;
	case nua_i_options:
		if (owner == NULL)
			in_options(nh, sip);
		else
			nua_respond(nh, SIP_200_OK, TAG_END());
		return;
	case nua_i_register:
		if (owner == NULL)
			in_register(nh, sip);
		return;
	case nua_i_cancel:
		if (leg != NULL)
			in_record_end(leg, "caller_cancel", 487);
		return;
	case nua_i_bye:
		if (leg != NULL)
			in_record_end(leg, "caller_bye", 0);
		return;
	case nua_i_state:
		if (leg != NULL)
			in_state(leg, tags);
		return;
	default:
		break;
	}
	/* Any other request on a handle nobody owns: nua has answered it; drop the handle. */
	if (owner == NULL && nh != NULL && ev < nua_r_set_params && status >= 0)
		nua_handle_destroy(nh);
}

static void
in_end(struct sip_leg *leg, const char *cause)
{
	if (leg->recorded)
		return;
	if (leg->answered) {
		nua_bye(leg->nh, TAG_END());
		in_record_end(leg, cause, 0);
	} else {
		in_reject(leg, 503, "Service Unavailable", cause);
	}
}

void
sip_in_stop_all(const char *cause)
{
	in_stopping = 1;
	for (struct call *c = call_first(); c != NULL; c = c->next)
		if (c->sip != NULL)
			in_end(c->sip, cause);
}

int
sip_in_hangup(const char *call_id, const char *cause)
{
	struct call *c = call_find(call_id);

	if (c == NULL || c->sip == NULL)
		return -1;
	in_end(c->sip, cause);
	return 0;
}

void
sip_in_fini(void)
{
	struct call *c;

	while ((c = call_first()) != NULL) {
		if (c->sip != NULL)
			in_leg_free(c->sip);
		else
			call_free(c);
	}
	in_nua = NULL;
}
