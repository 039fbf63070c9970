/* call: the registry of calls in progress (see call.h). A list is enough: limits are
 * checked once per INVITE and a 2-core machine carries hundreds of calls, not millions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "call.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

static struct call *call_list;
static size_t call_n;

void
call_uuid(char out[CALL_ID_LEN + 1])
{
	unsigned char b[16];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t r = getrandom(b + got, sizeof(b) - got, 0);

		if (r <= 0)
			log_fatal("call: getrandom: no randomness for call ids");
		got += (size_t)r;
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, CALL_ID_LEN + 1,
	    "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
	    b[12], b[13], b[14], b[15]);
}

struct call *
call_new(struct config *cfg, const struct did *did, const char *caller, const char *callee,
    const char *sip_call_id, const char *source)
{
	struct call *c = xcalloc(1, sizeof(*c));

	call_uuid(c->id);
	call_uuid(c->leg_id);
	c->cfg = config_ref(cfg);
	c->did = did;
	c->trunk = did ? did->trunk : NULL;
	c->tenant = c->trunk ? c->trunk->tenant : NULL;
	c->caller = xstrdup(caller ? caller : "");
	c->callee = xstrdup(callee ? callee : "");
	c->sip_call_id = xstrdup(sip_call_id ? sip_call_id : "");
	snprintf(c->source, sizeof(c->source), "%s", source ? source : "");
	c->state = CALL_ROUTING;
	c->started_ms = loop_now_ms();
	c->next = call_list;
	call_list = c;
	call_n++;
	return c;
}

void
call_free(struct call *c)
{
	struct call **pp;

	if (c == NULL)
		return;
	for (pp = &call_list; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			call_n--;
			break;
		}
	}
	config_unref(c->cfg);
	free(c->caller);
	free(c->callee);
	free(c->sip_call_id);
	free(c);
}

struct call *
call_find(const char *id)
{
	for (struct call *c = call_list; c != NULL; c = c->next)
		if (strcmp(c->id, id) == 0)
			return c;
	return NULL;
}

struct call *
call_first(void)
{
	return call_list;
}

size_t
call_count(void)
{
	return call_n;
}

size_t
call_count_tenant(const char *tenant_id)
{
	size_t n = 0;

	for (struct call *c = call_list; c != NULL; c = c->next)
		if (c->tenant != NULL && strcmp(c->tenant->id, tenant_id) == 0)
			n++;
	return n;
}

size_t
call_count_trunk(const char *trunk_id)
{
	size_t n = 0;

	for (struct call *c = call_list; c != NULL; c = c->next)
		if (c->trunk != NULL && strcmp(c->trunk->id, trunk_id) == 0)
			n++;
	return n;
}

const char *
call_state_name(enum call_state s)
{
	switch (s) {
	case CALL_ROUTING:
		return "routing";
	case CALL_RINGING:
		return "ringing";
	case CALL_ANSWERED:
		return "answered";
	case CALL_ENDING:
		return "ending";
	}
	return "?";
}
