/* dialplan: the decision for an inbound call. The first rule (by priority) whose matchers
 * all accept gives the first step; a ring step is followed by what its on_no_answer says,
 * and "continue" carries on with the next rule that also matches this same call. The
 * whole chain is worked out up front, so the call never consults the config again and a
 * reload in the middle of ringing cannot change what happens next. */
#include "dialplan.h"

#include <regex.h>
#include <string.h>

#include "number.h"
#include "timewin.h"
#include "tz.h"

/* Nobody answered: SIP 480 Temporarily Unavailable. */
#define DIALPLAN_NO_ANSWER_STATUS	480

int
dialplan_rule_matches(const struct rule *r, const char *did, const char *caller,
    int64_t now)
{
	char norm[32];

	/* A caller pattern is a filter on who calls; an anonymous call is no one. */
	if (r->has_caller && (caller == NULL || caller[0] == '\0' ||
	    regexec(&r->caller_re, caller, 0, NULL, 0) != 0))
		return 0;
	if (r->has_did) {
		if (did == NULL)
			return 0;
		if (number_normalize(did, norm, sizeof(norm)) == 0)
			did = norm;
		if (regexec(&r->did_re, did, 0, NULL, 0) != 0)
			return 0;
	}
	if (r->n_windows > 0) {
		struct tz_local l;

		tz_local(r->tz, now, &l);
		if (!timewin_match(r->windows, r->n_windows, &l))
			return 0;
	}
	return 1;
}

/* Index of the first rule at or after "from" that matches, or n_rules. */
static size_t
dialplan_next_rule(const struct dialplan *dp, size_t from, const char *did,
    const struct dialplan_request *req)
{
	for (size_t i = from; i < dp->n_rules; i++) {
		if (dialplan_rule_matches(&dp->rules[i], did, req->caller, req->now))
			return i;
	}
	return dp->n_rules;
}

static struct dialplan_step *
dialplan_add(struct dialplan_decision *d, const struct rule *r, enum action a)
{
	struct dialplan_step *s = &d->steps[d->n_steps++];

	memset(s, 0, sizeof(*s));
	s->rule = r;
	s->action = a;
	return s;
}

static void
dialplan_add_hangup(struct dialplan_decision *d, const struct rule *r, int status)
{
	dialplan_add(d, r, ACTION_HANGUP)->status = status;
}

/* A step that ends the call's handling: hangup, voicemail or forward. */
static void
dialplan_add_final(struct dialplan_decision *d, const struct rule *r)
{
	struct dialplan_step *s;

	switch (r->action) {
	case ACTION_VOICEMAIL:
		dialplan_add(d, r, ACTION_VOICEMAIL)->extension = r->extension;
		break;
	case ACTION_FORWARD:
		s = dialplan_add(d, r, ACTION_FORWARD);
		s->target = r->target;
		s->method = r->method;
		break;
	case ACTION_HANGUP:
	case ACTION_RING_EXTENSION:
		dialplan_add_hangup(d, r, r->status);
		break;
	}
}

/* Fills the steps from rule i on. Every ring step keeps one slot free behind it, so the
 * chain always ends in a final step however many "continue" rules match. */
static void
dialplan_chain(struct dialplan_decision *d, const struct dialplan *dp, size_t i,
    const char *did, const struct dialplan_request *req)
{
	for (;;) {
		const struct rule *r = &dp->rules[i];
		struct dialplan_step *s;

		if (r->action != ACTION_RING_EXTENSION) {
			dialplan_add_final(d, r);
			return;
		}
		if (d->n_steps + 2 > DIALPLAN_MAX_STEPS) {
			dialplan_add_hangup(d, r, DIALPLAN_NO_ANSWER_STATUS);
			return;
		}
		s = dialplan_add(d, r, ACTION_RING_EXTENSION);
		s->extension = r->extension;
		s->timeout = r->timeout;
		switch (r->on_no_answer) {
		case NOANSWER_VOICEMAIL:
			dialplan_add(d, r, ACTION_VOICEMAIL)->extension = r->extension;
			return;
		case NOANSWER_HANGUP:
			dialplan_add_hangup(d, r, DIALPLAN_NO_ANSWER_STATUS);
			return;
		case NOANSWER_CONTINUE:
			break;
		}
		if ((i = dialplan_next_rule(dp, i + 1, did, req)) == dp->n_rules) {
			dialplan_add_hangup(d, r, DIALPLAN_NO_ANSWER_STATUS);
			return;
		}
	}
}

enum dialplan_result
dialplan_decide(const struct config *cfg, const struct dialplan_request *req,
    struct dialplan_decision *d)
{
	size_t i;

	memset(d, 0, sizeof(*d));
	if (req->did == NULL || (d->did = config_find_did(cfg, req->did)) == NULL)
		return DIALPLAN_NO_DID;
	if ((d->dialplan = d->did->dialplan) == NULL)
		return DIALPLAN_NO_RULE;
	/* Rules see the DID as the config wrote it (normalised E.164), not as the carrier
	 * sent it, so one did pattern fits every carrier's spelling. */
	i = dialplan_next_rule(d->dialplan, 0, d->did->number, req);
	if (i == d->dialplan->n_rules)
		return DIALPLAN_NO_RULE;
	dialplan_chain(d, d->dialplan, i, d->did->number, req);
	return DIALPLAN_OK;
}

const char *
dialplan_result_name(enum dialplan_result r)
{
	switch (r) {
	case DIALPLAN_OK:
		return "ok";
	case DIALPLAN_NO_DID:
		return "no_did";
	case DIALPLAN_NO_RULE:
		return "no_rule";
	}
	return "unknown";
}
