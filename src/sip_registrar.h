/* sip_registrar: desk phones (extensions of type "sip") registering with us. Owns the
 * digest check of their requests (RFC 2617/7616, MD5, qop=auth, stateless nonces signed
 * with a per-process key), their bindings (contact, the address the REGISTER came from,
 * expiry), the events and log lines of those bindings, and the lookup that tells the
 * call side where to send an INVITE that rings a desk phone.
 *
 * A stranger learns nothing: any username gets the same 401, and a wrong answer the same
 * 403 (sip_guard's), after the same work, whether the user exists or not. */
#ifndef SCAIDIAL_SIP_REGISTRAR_H
#define SCAIDIAL_SIP_REGISTRAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_nua.h"

struct config;
struct extension;
struct sip_src;

/* Most bindings one extension may hold; a new contact beyond it replaces the oldest. */
#define SIP_REGISTRAR_MAX_BINDINGS	5
/* How long a nonce we issued is good for; an older one draws 401 with stale=true. */
#define SIP_REGISTRAR_NONCE_TTL_S	300

void	 sip_registrar_init(nua_t *);
void	 sip_registrar_fini(void);

/* True when the configuration has a sip extension: without one every REGISTER gets
 * sip_guard's refusal, as before there was a registrar. */
bool	 sip_registrar_enabled(const struct config *);

/* Answers the REGISTER being handled (nua_i_register on a handle nobody owns); src is its
 * source, already admitted by sip_guard. Destroys nh. */
void	 sip_registrar_request(nua_handle_t *, const sip_t *, const struct sip_src *);

/* The digest check of any request from a desk phone (REGISTER: 401 and Authorization;
 * INVITE: proxy = true, 407 and Proxy-Authorization). */
enum sip_registrar_auth {
	SIP_REGISTRAR_AUTH_OK,		/* *ext is the extension that answered */
	SIP_REGISTRAR_AUTH_CHALLENGE,	/* no credentials yet, or a stale nonce: challenge */
	SIP_REGISTRAR_AUTH_FAIL,	/* wrong answer, unknown user, malformed: refuse */
};
enum sip_registrar_auth sip_registrar_check(const struct config *, const sip_t *,
	    const char *method, bool proxy, const struct sip_src *,
	    const struct extension **ext, bool *stale, char *why, size_t whylen);
/* Answers 401 (407 when proxy) with a fresh challenge for this request and source, and
 * destroys nh. */
void	 sip_registrar_challenge(nua_handle_t *, const sip_t *, bool proxy,
	    const struct sip_src *, bool stale);

/* Where to INVITE a registered desk phone: the newest live binding of ext. */
struct sip_registrar_target {
	char	 uri[512];	/* the Contact it registered: the Request-URI */
	char	 dest[128];	/* where the REGISTER came from, as "sip:ADDR:PORT;transport=T":
				 * the next hop (a phone behind NAT is reached there) */
	char	 host[64];	/* the same, in parts */
	uint16_t port;
	char	 transport[4];	/* "udp", "tcp", "tls" */
};
/* 0 and the target, or -1 when ext is not registered now. */
int	 sip_registrar_contact(const struct extension *, struct sip_registrar_target *);

/* One binding as the admin commands show it. */
struct sip_registrar_info {
	const char	*extension;
	const char	*tenant;
	const char	*username;
	const char	*contact;
	const char	*source;	/* "ADDR:PORT" */
	const char	*transport;
	const char	*user_agent;	/* "" when the phone sent none */
	int64_t		 registered_ms;	/* unix ms of the first REGISTER of this binding */
	int64_t		 refreshed_ms;	/* of the latest */
	int		 expires_in;	/* seconds left */
};
typedef void	sip_registrar_walk_cb(const struct sip_registrar_info *, void *);
/* Every live binding, by tenant, extension, then newest first. */
void	 sip_registrar_walk(sip_registrar_walk_cb *, void *);
size_t	 sip_registrar_count(void);
/* A live binding was registered from this address (a desk phone's OPTIONS keepalive is
 * answered, not refused and fed to fail2ban). */
bool	 sip_registrar_source_known(const struct sip_src *);

#endif
