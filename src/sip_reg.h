/* sip_reg: the registration client. Every trunk in mode "register" keeps one REGISTER
 * binding at its registrar: digest authentication, refresh before expiry (sofia-sip's nua
 * does the refresh), exponential backoff with jitter after failures (Retry-After honoured),
 * a fresh REGISTER after a network change, and Expires: 0 when the trunk goes away or the
 * daemon stops. Each state change is written to the store's registrations table. */
#ifndef SCAIDIAL_SIP_REG_H
#define SCAIDIAL_SIP_REG_H

#include <stdint.h>

#include "sip_nua.h"

struct config;

enum sip_reg_state { REG_UNREGISTERED, REG_REGISTERING, REG_REGISTERED, REG_FAILED };

/* First and longest delay before a REGISTER is tried again after a failure (ms). */
#define SIP_REG_BACKOFF_MIN_MS	4000
#define SIP_REG_BACKOFF_MAX_MS	900000

void	 sip_reg_init(nua_t *, const struct config *);
/* Only trunks whose registration settings changed register again; removed trunks
 * unregister, new ones register. */
void	 sip_reg_reload(const struct config *oldc, const struct config *newc);
void	 sip_reg_event(nua_event_t, int status, const char *phrase, nua_handle_t *,
	    struct sip_owner *, const sip_t *);
void	 sip_reg_network_changed(void);
/* Sends Expires: 0 for every binding; sip_reg_pending() counts those not answered yet. */
void	 sip_reg_shutdown(void);
int	 sip_reg_pending(void);
void	 sip_reg_fini(void);

struct sip_reg_info {
	enum sip_reg_state state;
	int		 status;	/* last SIP status, 0 before any answer */
	const char	*reason;	/* its phrase or our reason ("" if none) */
	int		 expires_in;	/* seconds, while registered */
	int64_t		 since_ms;	/* unix ms the state began */
	int		 failures;	/* in a row */
	int		 retry_in;	/* seconds to the next try, while failed */
};
/* 0 and the trunk's state, or -1 when the trunk does not register. */
int	 sip_reg_info(const char *trunk_id, struct sip_reg_info *);
const char *sip_reg_state_name(enum sip_reg_state);
/* Registered bindings now. */
int	 sip_reg_count_registered(void);

#endif
