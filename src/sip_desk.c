/* sip_desk: desk phones' calls (see sip_desk.h).
 *
 * A desk phone has no trunk: the leg to it borrows the caller's trunk's codecs and DTMF
 * mode (so the relay seldom resamples), plain RTP, no credentials, and as its next hop
 * the address the phone's REGISTER came from, which is where a phone behind NAT can be
 * reached. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "number.h"
#include "policy.h"
#include "relay.h"
#include "reload.h"
#include "sip_desk.h"
#include "sip_guard.h"
#include "sip_out.h"
#include "sip_ping.h"
#include "sip_reg.h"
#include "sip_registrar.h"
#include "store.h"
#include "xmalloc.h"

struct sip_desk {
	struct call	*call;
	struct sip_out	*out;
	struct trunk	 hop;		/* the leg's settings; proxy points at dest */
	char		 dest[128];
	char		*offer;
	size_t		 offer_len;
	struct media_session *ms;	/* the caller's, once the phone answered */
	struct relay	*relay;
	media_event_cb	*mcb;
	void		*marg;
	const struct fwd_bridge_ops *ops;
	void		*arg;
	int		 answered;
	int		 recorded;
	char		 leg_id[CALL_ID_LEN + 1];
};

static void
desk_record_end(struct sip_desk *d, const char *cause, int status)
{
	if (d->recorded)
		return;
	d->recorded = 1;
	store_leg_ended(d->leg_id, 0, cause, status);
}

static void
desk_answered(void *arg)
{
	struct sip_desk *d = arg;
	struct call *c = d->call;
	char *answer = NULL;
	int status = 500;

	d->answered = 1;
	store_leg_answered(d->leg_id, 0);
	d->ms = media_session_new(c->cfg, c->trunk, d->offer, d->offer_len, &answer, &status,
	    d->mcb, d->marg);
	if (d->ms == NULL || (d->relay = relay_start(d->ms, sip_out_media(d->out))) == NULL) {
		log_warn("sip: call %s: the desk phone answered but the media cannot be relayed "
		    "(%d)", c->id, status);
		desk_record_end(d, "media_failed", status);
		sip_out_hangup(d->out, "media_failed");
		free(answer);
		/* The phone is hung up: to the caller this is a ring that failed. */
		d->answered = 0;
		d->ops->failed(d->arg, status >= 400 ? status : 500, "media_failed");
		return;
	}
	log_info("sip: call %s: the desk phone answered: relaying media", c->id);
	d->ops->answer(d->arg, answer);
	free(answer);
}

static void
desk_progress(void *arg, int status, int early_media)
{
	struct sip_desk *d = arg;

	(void)status;
	(void)early_media;
	d->ops->ringing(d->arg);
}

static void
desk_ended(void *arg, int status, const char *cause)
{
	struct sip_desk *d = arg;

	relay_stop(d->relay);
	d->relay = NULL;
	desk_record_end(d, cause, status);
	if (d->answered)
		d->ops->ended(d->arg, cause);
	else
		d->ops->failed(d->arg, status, cause);
}

static void
desk_digit(void *arg, char digit)
{
	struct sip_desk *d = arg;

	if (d->ms != NULL && media_session_send_dtmf(d->ms, digit) == -1)
		d->ops->info_digit(d->arg, digit);
}

static const struct sip_out_cb desk_out_cb = {
	.progress = desk_progress,
	.answered = desk_answered,
	.ended = desk_ended,
	.digit = desk_digit,
};

struct sip_desk *
sip_desk_ring(struct call *c, const struct extension *e, int timeout_s, const char *offer,
    size_t offer_len, media_event_cb *mcb, void *marg, const struct fwd_bridge_ops *ops,
    void *arg, const char **why)
{
	struct sip_registrar_target t;
	struct sip_desk *d;

	if (sip_registrar_contact(e, &t) == -1) {
		log_info("sip: call %s: desk phone %s (tenant %s) is not registered", c->id, e->id,
		    e->tenant->id);
		*why = "not_registered";
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	d->call = c;
	d->ops = ops;
	d->arg = arg;
	d->mcb = mcb;
	d->marg = marg;
	d->offer = xstrndup(offer, offer_len);
	d->offer_len = offer_len;
	snprintf(d->dest, sizeof(d->dest), "%s", t.dest);
	d->hop = *c->trunk;
	d->hop.id = "";
	d->hop.registrar = d->hop.address = d->hop.username = d->hop.password = "";
	d->hop.proxy = d->dest;
	d->hop.srtp = SRTP_OFF;
	d->hop.n_allowed = 0;
	d->hop.allowed = NULL;
	d->out = sip_out_start(&(struct sip_out_req){ .cfg = c->cfg, .trunk = &d->hop,
	    .target_uri = t.uri, .from_number = c->caller, .call_id = c->id,
	    .timeout_s = timeout_s }, &desk_out_cb, d);
	if (d->out == NULL) {
		free(d->offer);
		free(d);
		*why = "desk_unreachable";
		return NULL;
	}
	call_uuid(d->leg_id);
	store_leg_insert(&(struct store_leg){ .id = d->leg_id, .call_id = c->id,
	    .kind = "sip", .identity = t.uri, .sip_call_id = sip_out_sip_call_id(d->out),
	    .state = "ringing", .started_ms = loop_now_ms() });
	log_info("sip: call %s: ringing desk phone %s (tenant %s) at %s via %s", c->id, e->id,
	    e->tenant->id, t.uri, t.dest);
	return d;
}

void
sip_desk_digit(struct sip_desk *d, char digit)
{
	if (d != NULL && d->answered && sip_out_send_dtmf(d->out, digit) == 0)
		log_info("sip: call %s: digit %c to the desk phone", d->call->id, digit);
}

struct media_session *
sip_desk_media(struct sip_desk *d)
{
	return d != NULL ? d->ms : NULL;
}

void
sip_desk_free(struct sip_desk *d, const char *cause)
{
	if (d == NULL)
		return;
	relay_stop(d->relay);
	desk_record_end(d, cause, 0);
	sip_out_free(d->out);
	if (d->ms != NULL)
		media_session_free(d->ms);
	free(d->offer);
	free(d);
}

const struct trunk *
sip_desk_trunk(const struct config *cfg, const struct tenant *tn)
{
	const struct trunk *best = NULL, *peer = NULL, *any = NULL;
	int64_t since = 0;

	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct trunk *t = &cfg->trunks[i];
		struct sip_reg_info ri;
		struct sip_ping_info pi;

		if (t->tenant != tn)
			continue;
		if (t->mode == TRUNK_REGISTER) {
			if (sip_reg_info(t->id, &ri) == 0 && ri.state == REG_REGISTERED &&
			    (best == NULL || ri.since_ms < since)) {
				best = t;
				since = ri.since_ms;
			}
		} else if (peer == NULL && (sip_ping_info(t->id, &pi) == -1 || pi.up ||
		    pi.status == 0)) {
			peer = t;
		} else if (any == NULL) {
			any = t;
		}
	}
	/* A peer whose last keepalive failed may be back by now: better tried than
	 * refused outright. */
	return best != NULL ? best : peer != NULL ? peer : any;
}

/* The caller ID a desk phone's call shows: a DID of the trunk it leaves through (carriers
 * accept only their own numbers), else the extension's username. */
static const char *
desk_caller_id(const struct config *cfg, const struct trunk *t, const struct extension *e)
{
	for (size_t i = 0; i < cfg->n_dids; i++)
		if (cfg->dids[i].trunk == t)
			return cfg->dids[i].number;
	return e->username;
}

int
sip_desk_dial_check(nua_t *nua, nua_handle_t *nh, const sip_t *sip,
    const struct sip_src *src, const struct extension **extp, const struct trunk **trunkp,
    char *number, size_t numlen, const char **caller_id)
{
	const struct config *cfg = reload_current();
	const struct extension *e;
	const struct trunk *t;
	const char *user;
	bool stale;
	char why[160];

	switch (sip_registrar_check(cfg, sip, "INVITE", true, src, &e, &stale, why,
	    sizeof(why))) {
	case SIP_REGISTRAR_AUTH_CHALLENGE:
		sip_registrar_challenge(nh, sip, true, src, stale);
		return -1;
	case SIP_REGISTRAR_AUTH_FAIL:
		sip_guard_refuse(nua, nh, "INVITE", src, why);
		return -1;
	case SIP_REGISTRAR_AUTH_OK:
		break;
	}
	user = sip->sip_request->rq_url->url_user ? sip->sip_request->rq_url->url_user : "";
	if (number_normalize(user, number, numlen) != 0 ||
	    !policy_outbound_allowed(e->tenant, number)) {
		log_warn("sip: desk phone %s (tenant %s) dials \"%.40s\": refused, not allowed by "
		    "the tenant's policy.outbound_allow", e->id, e->tenant->id, user);
		nua_respond(nh, SIP_403_FORBIDDEN, NUTAG_WITH_THIS(nua), TAG_END());
		nua_handle_destroy(nh);
		return -1;
	}
	if ((t = sip_desk_trunk(cfg, e->tenant)) == NULL) {
		log_warn("sip: desk phone %s (tenant %s) dials %s: the tenant has no trunk up: "
		    "answering 503", e->id, e->tenant->id, number);
		nua_respond(nh, SIP_503_SERVICE_UNAVAILABLE, NUTAG_WITH_THIS(nua), TAG_END());
		nua_handle_destroy(nh);
		return -1;
	}
	*extp = e;
	*trunkp = t;
	*caller_id = desk_caller_id(cfg, t, e);
	return 0;
}
