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
#include "sip_in_int.h"
#include "sip_desk.h"
#include "sip_registrar.h"
#include "sip_route.h"
#include "media.h"
#include "voicemail.h"
#include "ring.h"

#include <sofia-sip/url.h>
#include "store.h"
#include "xmalloc.h"

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
void
sip_in_reject(struct sip_leg *leg, int status, const char *phrase, const char *cause)
{
	nua_respond(leg->nh, status, phrase, TAG_END());
	in_record_end(leg, cause, status);
}

/* The caller's offer cannot be answered: the media layer's status and its phrase. */
void
sip_in_refuse_media(struct sip_leg *leg, int status)
{
	const char *phrase = sip_status_phrase(status);

	sip_in_reject(leg, status, phrase != NULL ? phrase : "Not Acceptable Here",
	    "media_refused");
}

void
sip_in_respond_sdp(struct sip_leg *leg, int status, const char *phrase, const char *sdp)
{
	nua_respond(leg->nh, status, phrase, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(sdp), TAG_END());
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

static void
in_vm_done(void *arg, const char *cause)
{
	sip_in_end(arg, cause);
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
		sip_in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->vm = voicemail_answer(c, ext, leg->offer, leg->offer_len, &answer, &status,
	    in_vm_done, leg);
	if (leg->vm == NULL) {
		log_warn("sip: call %s: the caller's SDP cannot be answered: %d", c->id, status);
		sip_in_refuse_media(leg, status);
		return;
	}
	sip_in_respond_sdp(leg, SIP_200_OK, answer);
	free(answer);
	voicemail_start(leg->vm);
}

void
sip_in_media_event(struct media_session *ms, const struct media_event *ev, void *arg)
{
	struct sip_leg *leg = arg;

	(void)ms;
	if (ev->type == MEDIA_EV_RTP_TIMEOUT && !leg->recorded)
		sip_in_end(leg, "rtp_timeout");
	else if (ev->type == MEDIA_EV_DTMF && leg->room != NULL)
		call_room_dtmf(leg->room, ev->digit);
	else if (ev->type == MEDIA_EV_DTMF && leg->fwd != NULL)
		fwd_bridge_digit(leg->fwd, ev->digit);
	else if (ev->type == MEDIA_EV_DTMF && leg->desk != NULL)
		sip_desk_digit(leg->desk, ev->digit);
}

/* Carries out the call's current dialplan step. */
void
sip_in_run_step(struct sip_leg *leg)
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
		sip_in_reject(leg, status, sip_status_phrase(status) ? sip_status_phrase(status) :
		    "Declined", "dialplan_hangup");
		return;
	case ACTION_VOICEMAIL:
		in_voicemail(leg, st->extension);
		return;
	case ACTION_RING_EXTENSION:
		sip_in_room_ring(leg, st);
		return;
	case ACTION_FORWARD:
		if (st->method == FORWARD_REFER) {
			sip_in_fwd_refer(leg, st);
			return;
		}
		sip_in_fwd_bridge(leg, st, NULL);
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
		sip_in_reject(leg, 488, "Not Acceptable Here", "no_offer");
		return;
	}
	leg->fwd = fwd_bridge_start(c, number, 0, leg->offer, leg->offer_len, NULL,
	    sip_in_media_event, leg, &sip_in_fwd_ops, leg, &why);
	if (leg->fwd == NULL)
		sip_in_reject(leg, why == FWD_BRIDGE_DENIED ? 403 : 480, why == FWD_BRIDGE_DENIED ?
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
		sip_in_reject(leg, 480, "Temporarily Unavailable", "no_rule");
		return;
	}
	sip_in_run_step(leg);
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
	sip_in_respond_sdp(leg, SIP_200_OK, answer);
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
	if (leg->desk != NULL)
		sip_desk_digit(leg->desk, digit);
}

static void
in_state(struct sip_leg *leg, tagi_t *tags)
{
	int cs = -1;

	tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
	if (cs == nua_callstate_ready && leg->refer_to != NULL && !leg->refer_sent)
		sip_in_fwd_refer_send(leg);
	if (cs == nua_callstate_ready && !leg->answered) {
		leg->answered = 1;
		leg->call->state = CALL_ANSWERED;
		leg->call->answered_ms = loop_now_ms();
		store_call_answered(leg->call->id, 0);
		store_leg_answered(leg->call->leg_id, 0);
		call_events_answered(leg->call);
		if (leg->end_on_ready[0] != '\0')
			sip_in_end(leg, leg->end_on_ready);
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
			sip_in_fwd_notify(leg, sip);
		return;
	case nua_r_refer:
		if (leg != NULL && status >= 300)
			sip_in_fwd_refer_outcome(leg, status, "REFER");
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

void
sip_in_end(struct sip_leg *leg, const char *cause)
{
	if (leg->recorded)
		return;
	if (leg->answered) {
		nua_bye(leg->nh, TAG_END());
		in_record_end(leg, cause, 0);
	} else {
		sip_in_reject(leg, 503, "Service Unavailable", cause);
	}
}

void
sip_in_stop_all(const char *cause)
{
	in_stopping = 1;
	for (struct call *c = call_first(); c != NULL; c = c->next)
		if (c->sip != NULL)
			sip_in_end(c->sip, cause);
}

int
sip_in_hangup(const char *call_id, const char *cause)
{
	struct call *c = call_find(call_id);

	if (c == NULL || c->sip == NULL)
		return -1;
	sip_in_end(c->sip, cause);
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
