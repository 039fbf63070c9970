/* sip: the SIP stack (sofia-sip's nua) in the control thread. Owns the listeners, hands
 * events to the registration client (sip_reg), the inbound call handling (sip_in) and the
 * peer keepalives (sip_ping), follows reloads, and stops gracefully: new INVITEs get 503,
 * calls in progress are ended and recorded, bindings removed, then the stack shuts down. */
#ifndef SCAIDIAL_SIP_H
#define SCAIDIAL_SIP_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* Binds the listeners of cfg->general.sip_listen and starts registrations and keepalives.
 * 0, or -1 with a message fit for a start-up error. */
int	 sip_init(const struct config *, char *err, size_t errlen);
/* Starts the graceful stop; done(arg) runs in the loop when it is complete (at most
 * SIP_STOP_LIMIT_MS later). */
#define SIP_STOP_LIMIT_MS	8000
void	 sip_stop(void (*done)(void *), void *arg);
bool	 sip_stopping(void);
void	 sip_fini(void);

/* The listeners in force differ from the configuration's (they change only on restart). */
bool	 sip_listeners_stale(void);
/* The listener URLs in force, e.g. "sip:127.0.0.1:5060 sips:127.0.0.1:5061". */
const char *sip_listen_url(void);

#endif
