/* dialplan: which rule decides an inbound call, as a pure function of the configuration,
 * the called DID, the caller and the instant. No I/O, no clocks, no globals. */
#ifndef SCAIDIAL_DIALPLAN_H
#define SCAIDIAL_DIALPLAN_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define DIALPLAN_MAX_STEPS	8

struct dialplan_request {
	const char	*did;		/* called number, any form number_normalize() takes */
	const char	*caller;	/* calling number or user part as received ("" if none) */
	int64_t		 now;		/* unix seconds */
};

/* One thing to do. A ring step's successor in the chain is what runs when nobody answers. */
struct dialplan_step {
	const struct rule *rule;	/* the rule this step comes from */
	enum action	 action;
	const struct extension *extension;	/* ring_extension, voicemail */
	int		 timeout;	/* ring_extension, seconds */
	const char	*target;	/* forward */
	enum forward_method method;	/* forward */
	int		 status;	/* hangup: SIP status */
};

enum dialplan_result {
	DIALPLAN_OK = 0,
	DIALPLAN_NO_DID,		/* no such DID: answer like any unknown request */
	DIALPLAN_NO_RULE,		/* the DID's dialplan has no rule for this call */
};

struct dialplan_decision {
	const struct did *did;
	const struct dialplan *dialplan;
	struct dialplan_step steps[DIALPLAN_MAX_STEPS];
	size_t		 n_steps;	/* >= 1 on DIALPLAN_OK; always ends in a final step */
};

/* Walks the DID's rules in priority order; the first matching rule gives steps[0]. A ring
 * step is followed by its on_no_answer: "voicemail" adds the rung extension's voicemail,
 * "hangup" adds a hangup (480), "continue" adds the steps of the next matching rule. */
enum dialplan_result dialplan_decide(const struct config *, const struct dialplan_request *,
	    struct dialplan_decision *);
/* 1 when the rule's matchers (caller, did, time windows) accept the request. */
int	 dialplan_rule_matches(const struct rule *, const char *did, const char *caller,
	    int64_t now);
const char *dialplan_result_name(enum dialplan_result);

#endif
