/* sip_ping: OPTIONS keepalives to every trunk in mode "peer", so that `scaidial-ctl
 * trunks` (and the choice of a trunk for outbound calls) knows whether the peer answers. */
#ifndef SCAIDIAL_SIP_PING_H
#define SCAIDIAL_SIP_PING_H

#include <stdint.h>

#include "sip_nua.h"

#define SIP_PING_INTERVAL_MS	30000

struct config;

void	 sip_ping_init(nua_t *, const struct config *);
void	 sip_ping_reload(const struct config *);
void	 sip_ping_event(int status, const char *phrase, nua_handle_t *, struct sip_owner *,
	    const sip_t *);
void	 sip_ping_fini(void);

struct sip_ping_info {
	int		 up;		/* the last OPTIONS drew a final answer below 500 */
	int		 status;	/* 0 before any answer */
	const char	*reason;
	int		 rtt_ms;
	int64_t		 since_ms;	/* unix ms the up/down state began */
};
/* 0 and the peer's state, or -1 when the trunk is not a pinged peer. */
int	 sip_ping_info(const char *trunk_id, struct sip_ping_info *);

#endif
