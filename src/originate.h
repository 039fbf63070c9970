/* originate: click-to-call. A tenant app asks (scaidial-ctl originate, on the admin
 * socket) to connect one of its wave users (or bots) to a number: scaidial checks the
 * request, picks the trunk, records the call with its two legs (the user's and the SIP
 * one), and answers at once with the room and the user's token; the INVITE goes out in the
 * same breath and the room is created beside it. The SIP participant joins the room and
 * carries the far end's audio there: ringback (early media, or a tone while the carrier
 * rings without it), then the call. Either side hanging up ends both. */
#ifndef SCAIDIAL_ORIGINATE_H
#define SCAIDIAL_ORIGINATE_H

#include <stddef.h>

#include "call.h"

struct originate_req {
	const char	*extension;	/* the extension's id */
	const char	*tenant;	/* NULL: the only tenant with that extension id */
	const char	*to;		/* any form number_normalize() accepts */
	const char	*trunk;		/* NULL: the tenant's trunk available longest */
	int		 timeout_s;	/* 0: SIP_OUT_TIMEOUT_S */
};

struct originate_result {
	char		 call_id[CALL_ID_LEN + 1];
	char		 room[160];
	char		 identity[256];	/* the user's (or bot's) identity in the room */
	char		 to[32];	/* E.164 */
	char		 from[32];	/* the caller ID sent */
	char		 trunk[64];
	char		*token;		/* malloc'd; the caller frees it */
	const char	*livekit_url;	/* valid while the call's configuration is */
};

/* 0 and res filled: the call is under way. -1 and a message for the requester in err:
 * nothing was sent and nothing recorded. */
int	 originate_start(const struct originate_req *, struct originate_result *res,
	    char *err, size_t errlen);
/* Ends an originated call (CANCEL or BYE); -1 when id is no originated call. */
int	 originate_hangup(const char *call_id, const char *cause);
/* At exit, after the stack stopped: frees what is left, without callbacks. */
void	 originate_fini(void);

#endif
