/* sip_route: what an inbound request asks for, read from its parsed headers: the DID it
 * calls and the caller's number. Pure functions of (configuration, message), so that the
 * fuzzer drives exactly what a carrier's INVITE drives. */
#ifndef SCAIDIAL_SIP_ROUTE_H
#define SCAIDIAL_SIP_ROUTE_H

#include <sofia-sip/sip.h>

struct config;
struct did;

/* The DID the request calls: the Request-URI's user when it is a configured number, else
 * To's. *number is what was asked for (for logs), never NULL. NULL when neither is ours. */
const struct did *sip_route_did(const struct config *, const sip_t *, const char **number);
/* The caller's number or name: From's user part, "" if none. */
const char *sip_route_caller(const sip_t *);

#endif
