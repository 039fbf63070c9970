/* fwd_bridge: forward by bridge (see fwd_bridge.h).
 *
 * The caller is answered only when the target answers, so a target that never does
 * leaves the caller free for the dialplan's next step. Early media is bridged early: a
 * 183 with SDP from the target makes the caller's media session at once, answers the
 * caller with 183 and that SDP, and starts the relay, so the caller hears the target's
 * own ringback or announcement; the 200 that follows repeats the same SDP. */
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "config.h"
#include "fwd_bridge.h"
#include "log.h"
#include "loop.h"
#include "number.h"
#include "policy.h"
#include "relay.h"
#include "sip_out.h"
#include "store.h"
#include "xmalloc.h"

struct fwd_bridge {
	struct call	*call;
	struct sip_out	*out;
	struct media_session *ms;	/* the caller's */
	char		*offer;		/* the caller's SDP until it is answered */
	size_t		 offer_len;
	char		*answer;	/* our SDP to the caller once made */
	struct relay	*relay;
	char		 leg_id[CALL_ID_LEN + 1];
	const struct fwd_bridge_ops *ops;
	void		*arg;
	media_event_cb	*mcb;
	void		*marg;
	int		 caller_answered;
	int		 target_answered;
	int		 finished;	/* the forward leg's end is recorded */
};

static void
fb_record_end(struct fwd_bridge *fb, const char *cause, int status)
{
	if (fb->finished)
		return;
	fb->finished = 1;
	store_leg_ended(fb->leg_id, 0, cause, status);
}

/* The caller's media session answering its offer; 0, or the SIP status of the refusal. */
static int
fb_caller_media(struct fwd_bridge *fb)
{
	int status = 500;

	if (fb->ms != NULL)
		return 0;
	fb->ms = media_session_new(fb->call->cfg, fb->call->trunk, fb->offer, fb->offer_len,
	    &fb->answer, &status, fb->mcb, fb->marg);
	if (fb->ms == NULL) {
		log_warn("sip: call %s: forward: the caller's SDP cannot be answered: %d",
		    fb->call->id, status);
		return status;
	}
	return 0;
}

/* Starts relaying once both sessions carry media. */
static void
fb_relay(struct fwd_bridge *fb)
{
	struct media_session *far = sip_out_media(fb->out);

	if (fb->relay != NULL || fb->ms == NULL || far == NULL)
		return;
	if ((fb->relay = relay_start(fb->ms, far)) == NULL)
		log_warn("sip: call %s: forward: the media relay cannot start", fb->call->id);
	else
		log_info("sip: call %s: forward: relaying media (%s <-> %s)", fb->call->id,
		    config_codec_name(media_session_neg(fb->ms)->codec),
		    config_codec_name(media_session_neg(far)->codec));
}

static void
fb_progress(void *arg, int status, int early)
{
	struct fwd_bridge *fb = arg;

	if (early && !fb->caller_answered && fb->answer == NULL) {
		if (fb_caller_media(fb) != 0) {
			/* The target's early media cannot reach this caller; the call goes on
			 * without it (the caller hears nothing until the answer). */
			early = 0;
		} else {
			fb->ops->early(fb->arg, fb->answer);
		}
	} else if (!early && !fb->caller_answered && fb->answer == NULL) {
		fb->ops->ringing(fb->arg);
	}
	(void)status;
	if (early)
		fb_relay(fb);
}

static void
fb_answered(void *arg)
{
	struct fwd_bridge *fb = arg;
	int status;

	fb->target_answered = 1;
	store_leg_answered(fb->leg_id, 0);
	if ((status = fb_caller_media(fb)) != 0) {
		fb_record_end(fb, "media_failed", status);
		sip_out_hangup(fb->out, "media_failed");
		fb->ops->failed(fb->arg, status, "media_failed");
		return;
	}
	fb_relay(fb);
	if (!fb->caller_answered) {
		fb->caller_answered = 1;
		fb->ops->answer(fb->arg, fb->answer);
	}
}

static void
fb_ended(void *arg, int status, const char *cause)
{
	struct fwd_bridge *fb = arg;

	relay_stop(fb->relay);
	fb->relay = NULL;
	fb_record_end(fb, cause, status);
	if (fb->target_answered)
		fb->ops->ended(fb->arg, cause);
	else
		fb->ops->failed(fb->arg, status, cause);
}

static void
fb_digit(void *arg, char digit)
{
	struct fwd_bridge *fb = arg;

	if (fb->ms == NULL || !fb->caller_answered)
		return;
	if (media_session_send_dtmf(fb->ms, digit) == -1)
		fb->ops->info_digit(fb->arg, digit);
}

static const struct sip_out_cb fb_out_cb = {
	.progress = fb_progress,
	.answered = fb_answered,
	.ended = fb_ended,
	.digit = fb_digit,
};

struct fwd_bridge *
fwd_bridge_start(struct call *c, const char *target, int timeout_s, const char *offer,
    size_t offer_len, struct media_session *answered_ms, media_event_cb *mcb, void *marg,
    const struct fwd_bridge_ops *ops, void *arg, enum fwd_bridge_refusal *why)
{
	int uri = strncmp(target, "sip:", 4) == 0 || strncmp(target, "sips:", 5) == 0;
	struct fwd_bridge *fb;

	/* The configuration check refused numbers the policy does not allow; a number
	 * inside a sip: URI is only seen here. */
	if (!policy_target_allowed(c->tenant, target)) {
		log_warn("sip: call %s: forward to %s refused: not allowed by tenant %s "
		    "policy.outbound_allow", c->id, target, c->tenant->id);
		*why = FWD_BRIDGE_DENIED;
		return NULL;
	}
	fb = xcalloc(1, sizeof(*fb));
	fb->call = c;
	fb->ops = ops;
	fb->arg = arg;
	fb->mcb = mcb;
	fb->marg = marg;
	if (offer != NULL) {
		fb->offer = xstrndup(offer, offer_len);
		fb->offer_len = offer_len;
	}
	call_uuid(fb->leg_id);
	fb->out = sip_out_start(&(struct sip_out_req){ .cfg = c->cfg, .trunk = c->trunk,
	    .target_uri = uri ? target : NULL, .to_number = uri ? NULL : target,
	    .from_number = c->caller, .call_id = c->id, .timeout_s = timeout_s },
	    &fb_out_cb, fb);
	if (fb->out == NULL) {
		free(fb->offer);
		free(fb);
		*why = FWD_BRIDGE_FAILED;
		return NULL;
	}
	/* Taken over only now: a refusal leaves the caller's session with the caller. */
	fb->ms = answered_ms;
	fb->caller_answered = answered_ms != NULL;
	store_leg_insert(&(struct store_leg){ .id = fb->leg_id, .call_id = c->id,
	    .kind = "forward", .identity = sip_out_uri(fb->out),
	    .sip_call_id = sip_out_sip_call_id(fb->out), .state = "dialing",
	    .started_ms = loop_now_ms() });
	log_info("sip: call %s: forward by bridge to %s", c->id, sip_out_uri(fb->out));
	return fb;
}

void
fwd_bridge_digit(struct fwd_bridge *fb, char digit)
{
	if (fb != NULL && fb->target_answered && sip_out_send_dtmf(fb->out, digit) == 0)
		log_info("sip: call %s: forward: digit %c sent to the target", fb->call->id,
		    digit);
}

struct media_session *
fwd_bridge_media(struct fwd_bridge *fb)
{
	return fb != NULL ? fb->ms : NULL;
}

void
fwd_bridge_free(struct fwd_bridge *fb, const char *cause)
{
	if (fb == NULL)
		return;
	relay_stop(fb->relay);
	fb_record_end(fb, cause, 0);
	sip_out_free(fb->out);
	if (fb->ms != NULL)
		media_session_free(fb->ms);
	free(fb->answer);
	free(fb->offer);
	free(fb);
}
