/* sip_in: requests that reach us from outside: INVITEs (new calls through the dialplan,
 * and re-INVITEs on calls in progress), OPTIONS and REGISTER; and the life of each
 * inbound call's SIP dialog until it ends and is recorded. */
#ifndef SCAIDIAL_SIP_IN_H
#define SCAIDIAL_SIP_IN_H

#include "sip_nua.h"

void	 sip_in_init(nua_t *);
void	 sip_in_event(nua_event_t, int status, const char *phrase, nua_handle_t *,
	    struct sip_owner *, const sip_t *, tagi_t *tags);
/* Ends every call (cause) and refuses new INVITEs with 503 from now on. */
void	 sip_in_stop_all(const char *cause);
/* Ends one call: BYE when answered, else a final answer. -1 when no such call. */
int	 sip_in_hangup(const char *call_id, const char *cause);
/* Transfers an answered inbound call that is in a room to target (E.164 or sip: URI) by
 * method "refer" (default when NULL) or "bridge". 0 under way; -1 and err when refused. */
int	 sip_in_transfer(const char *call_id, const char *target, const char *method, char *err,
	    size_t errlen);
void	 sip_in_fini(void);

#endif
