/* call: the calls in progress, owned by the control thread. A call holds a reference to the
 * configuration generation it arrived under, so a reload never changes a call midway; the
 * registry answers the questions limits and scaidial-ctl ask (how many calls a tenant or a
 * trunk has, which call has this id). Records in the store mirror what happens here. */
#ifndef SCAIDIAL_CALL_H
#define SCAIDIAL_CALL_H

#include <stddef.h>
#include <stdint.h>

#include "dialplan.h"

#define CALL_ID_LEN	36	/* a UUID in text */

enum call_state {
	CALL_ROUTING,		/* INVITE accepted, the dialplan's step is starting */
	CALL_RINGING,
	CALL_ANSWERED,
	CALL_ENDING,		/* BYE or final answer sent, waiting for the dialog to end */
};

struct config;

struct call {
	char		 id[CALL_ID_LEN + 1];
	char		 leg_id[CALL_ID_LEN + 1];	/* the SIP leg */
	struct config	*cfg;		/* the generation the call arrived under (a reference) */
	const struct did *did;
	const struct trunk *trunk;
	const struct tenant *tenant;
	struct dialplan_decision decision;
	size_t		 step;		/* index into decision.steps */
	char		*caller;
	char		*callee;
	char		*sip_call_id;
	char		 source[64];	/* the carrier's address, for logs */
	enum call_state	 state;
	int64_t		 started_ms;
	int64_t		 answered_ms;
	void		*sip;		/* the SIP side's handle (sip_in.c) */
	struct call	*next;
};

/* A new call in the registry, in state CALL_ROUTING, with fresh ids; takes a reference
 * to cfg. Never fails (allocation failure is fatal, as everywhere). */
struct call *call_new(struct config *cfg, const struct did *, const char *caller,
	    const char *callee, const char *sip_call_id, const char *source);
/* Removes the call from the registry and frees it; drops its configuration reference. */
void	 call_free(struct call *);

struct call *call_find(const char *id);
struct call *call_first(void);		/* iterate with ->next */
size_t	 call_count(void);
/* Calls in progress for a tenant or trunk of any generation, matched by id. */
size_t	 call_count_tenant(const char *tenant_id);
size_t	 call_count_trunk(const char *trunk_id);

const char *call_state_name(enum call_state);
/* A random (version 4) UUID in text, for call and leg ids. */
void	 call_uuid(char out[CALL_ID_LEN + 1]);

#endif
