/* sip_registrar_int: shared by sip_registrar.c (bindings) and sip_registrar_auth.c (the
 * digest check), and by the unit test and fuzz target. Not for other modules. */
#ifndef SCAIDIAL_SIP_REGISTRAR_INT_H
#define SCAIDIAL_SIP_REGISTRAR_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sip_nua.h"

struct config;
struct extension;
struct sip_src;

/* Draws the key nonces are signed with; nua is the stack answers are sent on. */
void	 sip_registrar_auth_init(nua_t *);
/* A fresh nonce (64 hex digits) for this source and challenge kind, issued at now_s. */
void	 sip_registrar_nonce(const struct sip_src *, bool proxy, int64_t now_s, char out[65]);
/* 0 when we issued nonce, for this source and kind, at most SIP_REGISTRAR_NONCE_TTL_S
 * before now_s; else -1. */
int	 sip_registrar_nonce_check(const char *nonce, const struct sip_src *, bool proxy,
	    int64_t now_s);
/* The realm of our challenges for this request: its Request-URI host, or "sip". */
void	 sip_registrar_realm(const sip_t *, char *out, size_t outlen);
/* The sip extension whose username this is, in any tenant, or NULL. */
const struct extension *sip_registrar_find(const struct config *, const char *username);

#endif
