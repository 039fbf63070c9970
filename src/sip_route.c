/* sip_route: the DID and caller of an inbound request (see sip_route.h). */
#include <stddef.h>

#include <sofia-sip/sip_header.h>

#include "config.h"
#include "sip_route.h"

static const char *
route_user(const url_t *u)
{
	return u != NULL && u->url_user != NULL ? u->url_user : "";
}

const struct did *
sip_route_did(const struct config *cfg, const sip_t *sip, const char **number)
{
	const char *ruri = sip->sip_request ? route_user(sip->sip_request->rq_url) : "";
	const char *to = sip->sip_to ? route_user(sip->sip_to->a_url) : "";
	const struct did *d;

	*number = ruri[0] ? ruri : to;
	if (ruri[0] && (d = config_find_did(cfg, ruri)) != NULL)
		return d;
	if (to[0] && (d = config_find_did(cfg, to)) != NULL) {
		*number = to;
		return d;
	}
	return NULL;
}

const char *
sip_route_caller(const sip_t *sip)
{
	return sip->sip_from ? route_user(sip->sip_from->a_url) : "";
}
