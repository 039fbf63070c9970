/* sip_in_fwd: the forward step (REFER to the carrier, or a bridge to the target through the
 * trunk) and ringing a desk phone, which is carried as a bridge is (see sip_in_int.h). */
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
#include <sofia-sip/url.h>

/* The Refer-To of a forward target: a SIP URI as written, or the E.164 number at the
 * carrier the call came from (the trunk's address, else its registrar). */
char *
sip_in_fwd_refer_uri(const struct call *c, const char *target)
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
void
sip_in_fwd_refer(struct sip_leg *leg, const struct dialplan_step *st)
{
	struct call *c = leg->call;
	char *answer = NULL;
	int status = 500;

	/* The same guard as the bridge: the carrier would place this call for us. */
	if (!policy_target_allowed(c->tenant, st->target)) {
		log_warn("sip: call %s: forward to %s refused: not allowed by tenant %s "
		    "policy.outbound_allow", c->id, st->target, c->tenant->id);
		sip_in_reject(leg, 403, "Forbidden", "forward_denied");
		return;
	}
	if ((leg->refer_to = sip_in_fwd_refer_uri(c, st->target)) == NULL) {
		log_warn("sip: call %s: trunk %s has no carrier address to REFER to", c->id,
		    c->trunk->id);
		sip_in_reject(leg, 480, "Temporarily Unavailable", "refer_failed");
		return;
	}
	if (leg->offer == NULL || (leg->ms = media_session_new(c->cfg, c->trunk, leg->offer,
	    leg->offer_len, &answer, &status, sip_in_media_event, leg)) == NULL) {
		if (leg->offer == NULL)
			status = 488;
		sip_in_refuse_media(leg, status);
		return;
	}
	sip_in_respond_sdp(leg, SIP_200_OK, answer);
	free(answer);
}

void
sip_in_fwd_refer_send(struct sip_leg *leg)
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
void
sip_in_fwd_refer_outcome(struct sip_leg *leg, int status, const char *how)
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
		sip_in_end(leg, leg->xfer ? "transferred" : "forwarded");
	} else {
		log_warn("sip: call %s: transfer to %s failed (%s %d)", leg->call->id,
		    leg->refer_to, how, status);
		store_leg_ended(leg->fwd_leg, 0, "refer_failed", status);
		if (st->rule->fallback_bridge && leg->ms != NULL && !leg->recorded) {
			log_info("sip: call %s: falling back to forward by bridge", leg->call->id);
			sip_in_fwd_bridge(leg, st, leg->ms);
			return;
		}
		sip_in_end(leg, "refer_failed");
	}
}

void
sip_in_fwd_notify(struct sip_leg *leg, const sip_t *sip)
{
	int status = 0;

	if (leg->refer_sent != 1 || leg->recorded || sip == NULL || sip->sip_payload == NULL)
		return;
	/* message/sipfrag: "SIP/2.0 200 OK" */
	if (sip->sip_payload->pl_len > 12 && strncmp(sip->sip_payload->pl_data, "SIP/2.0 ", 8) == 0)
		status = atoi(sip->sip_payload->pl_data + 8);
	if (status >= 200)
		sip_in_fwd_refer_outcome(leg, status, "NOTIFY");
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
	sip_in_respond_sdp(leg, SIP_183_SESSION_PROGRESS, sdp);
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
	leg->ok_sent = 1;
	sip_in_respond_sdp(leg, SIP_200_OK, sdp);
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
		sip_in_end(leg, "forward_failed");
	} else if (c->step + 1 < c->decision.n_steps) {
		c->step++;
		sip_in_run_step(leg);
	} else {
		sip_in_reject(leg, st, sip_status_phrase(st) ? sip_status_phrase(st) :
		    "Temporarily Unavailable", "forward_failed");
	}
}

static void
in_fwd_ended(void *arg, const char *cause)
{
	struct sip_leg *leg = arg;

	fwd_bridge_free(leg->fwd, cause);
	leg->fwd = NULL;
	/* A 200 cannot be taken back: the BYE waits for the caller's ACK. */
	if (leg->ok_sent && !leg->answered) {
		snprintf(leg->end_on_ready, sizeof(leg->end_on_ready), "%s", cause);
		return;
	}
	sip_in_end(leg, cause);
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

const struct fwd_bridge_ops sip_in_fwd_ops = {
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
		sip_in_room_ring_done(leg, cause);
}

static void
in_desk_ended(void *arg, const char *cause)
{
	struct sip_leg *leg = arg;

	sip_desk_free(leg->desk, cause);
	leg->desk = NULL;
	sip_in_end(leg, cause);
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

void
sip_in_fwd_ring_desk(struct sip_leg *leg, const struct dialplan_step *st)
{
	struct call *c = leg->call;
	const char *why = "not_registered";

	if (leg->offer == NULL) {
		sip_in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->desk = sip_desk_ring(c, st->extension, st->timeout, leg->offer, leg->offer_len,
	    sip_in_media_event, leg, &in_desk_ops, leg, &why);
	if (leg->desk == NULL) {
		sip_in_room_ring_done(leg, why);
		return;
	}
	in_fwd_ringing(leg);
}

/* forward by bridge: the target is called through the DID's trunk; the caller is
 * answered when it answers (or hears its early media). answered_ms: the session of a
 * call already answered for a REFER that failed. */
void
sip_in_fwd_bridge(struct sip_leg *leg, const struct dialplan_step *st,
    struct media_session *answered_ms)
{
	struct call *c = leg->call;
	enum fwd_bridge_refusal why = FWD_BRIDGE_FAILED;
	const char *cause;

	if (answered_ms == NULL && leg->offer == NULL) {
		log_warn("sip: call %s: INVITE without SDP (delayed offer) cannot be bridged: "
		    "answering 488", c->id);
		sip_in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->fwd = fwd_bridge_start(c, st->target, st->rule->timeout, leg->offer,
	    leg->offer_len, answered_ms, sip_in_media_event, leg, &sip_in_fwd_ops, leg, &why);
	if (leg->fwd != NULL) {
		if (answered_ms != NULL)
			leg->ms = NULL;		/* the bridge's now */
		return;
	}
	cause = why == FWD_BRIDGE_DENIED ? "forward_denied" : "forward_failed";
	if (leg->answered) {
		sip_in_end(leg, cause);
	} else if (c->step + 1 < c->decision.n_steps) {
		log_info("sip: call %s: %s: on to the next step", c->id, cause);
		c->step++;
		sip_in_run_step(leg);
	} else if (why == FWD_BRIDGE_DENIED) {
		sip_in_reject(leg, 403, "Forbidden", cause);
	} else {
		sip_in_reject(leg, 480, "Temporarily Unavailable", cause);
	}
}
