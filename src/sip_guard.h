/* sip_guard: who may talk to us. Finds a request's source address, decides whether a
 * trunk allows it, gives every refused request the same answer (so scanners cannot tell
 * unknown numbers, users and addresses apart), logs each refusal in one stable line for
 * fail2ban, and counts requests per source so that floods stop costing anything. */
#ifndef SCAIDIAL_SIP_GUARD_H
#define SCAIDIAL_SIP_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "sip_nua.h"

struct config;
struct trunk;

struct sip_src {
	int		 family;	/* AF_INET, AF_INET6, or 0 when unknown */
	unsigned char	 addr[16];	/* IPv4-mapped addresses are folded to IPv4 */
	uint16_t	 port;
	char		 text[64];	/* the address without port, for logs */
};

/* The status every refused request gets, whatever the reason. */
#define SIP_GUARD_STATUS	403
#define SIP_GUARD_PHRASE	"Forbidden"

/* Requests a source may send in SIP_GUARD_WINDOW_MS before it is throttled, and how many
 * of them may be refused (a scanner) before it is. */
#define SIP_GUARD_WINDOW_MS	10000
#define SIP_GUARD_MAX_REQUESTS	400
#define SIP_GUARD_MAX_REFUSED	20

void	 sip_guard_init(void);
void	 sip_guard_fini(void);

/* The source of the request being handled (nua_current_request). 0, or -1 if unknown. */
int	 sip_guard_source(nua_t *, struct sip_src *);
/* 1 when the address parses as a numeric IP and equals the source. */
bool	 sip_guard_host_is(const char *host, const struct sip_src *);
/* The trunk's allowed_addresses, or else the numeric host of its registrar, address or
 * proxy, hold the source. */
bool	 sip_guard_trunk_allows(const struct trunk *, const struct sip_src *);
/* The first trunk of cfg that allows the source, or NULL. */
const struct trunk *sip_guard_find_trunk(const struct config *, const struct sip_src *);

/* Counts one request from src, unless a trunk of the configuration in force allows the
 * source. Returns false when the source is over its budget: the request must then be
 * refused without further work (sip_guard_refuse does not log each). */
bool	 sip_guard_admit(const struct sip_src *);
/* Answers SIP_GUARD_STATUS, logs "sip: refused METHOD from ADDR: REASON" (one line,
 * rate-limited per source), and counts the refusal toward the source's budget. */
void	 sip_guard_refuse(nua_t *, nua_handle_t *, const char *method, const struct sip_src *,
	    const char *reason);

struct sip_guard_stats {
	uint64_t	 refused;	/* requests answered SIP_GUARD_STATUS */
	uint64_t	 throttled;	/* of those, refused unread because over budget */
	uint64_t	 sources;	/* sources being tracked now */
};
void	 sip_guard_get_stats(struct sip_guard_stats *);

#endif
