/* sip_desk: desk phones' calls (extensions of type "sip", registered with sip_registrar).
 * Ringing one for ring_extension: an INVITE (sip_out) to the contact it registered, sent
 * to the address its REGISTER came from; when it answers, the caller's media session is
 * made and the two are relayed (relay.c). And a desk phone dialling out: its INVITE
 * authenticated like its REGISTER (407), and the tenant's trunk chosen for it.
 *
 * The caller's dialog stays sip_in's: what must be said to the caller (180, 200 with our
 * SDP, a failure) is asked for through the same ops as forward by bridge uses.
 * Control thread only. */
#ifndef SCAIDIAL_SIP_DESK_H
#define SCAIDIAL_SIP_DESK_H

#include <stddef.h>

#include "fwd_bridge.h"
#include "media.h"
#include "sip_nua.h"

struct call;
struct extension;
struct sip_desk;
struct sip_src;
struct tenant;
struct trunk;

/* Rings ext's newest binding for timeout_s; offer is the caller's SDP, answered when the
 * phone answers (ops->answer); mcb/marg get the caller's media events. ops->failed
 * reports a phone that is busy, declines or does not answer; ops->ended a hang-up from
 * the phone after it answered. NULL and *why ("not_registered", "desk_unreachable")
 * when nothing was sent. */
struct sip_desk *sip_desk_ring(struct call *, const struct extension *, int timeout_s,
	    const char *offer, size_t offer_len, media_event_cb *mcb, void *marg,
	    const struct fwd_bridge_ops *, void *arg, const char **why);
/* The caller pressed a digit (RFC 4733 or SIP INFO): sent on to the answered phone
 * (RFC 4733 when it offered telephone-event, else INFO). The phone's digits reach the
 * caller the same way through ops->info_digit or the caller's media session. */
void	 sip_desk_digit(struct sip_desk *, char digit);
/* The caller's media session once the phone answered, else NULL. */
struct media_session *sip_desk_media(struct sip_desk *);
/* The caller's side ended, or the ring is over: the phone is hung up if it is still up,
 * its leg recorded with cause (unless it ended by itself), everything freed. No op is
 * called after it. NULL is a no-op. */
void	 sip_desk_free(struct sip_desk *, const char *cause);

/* A desk phone's own INVITE (from a source no trunk allows). 0: authenticated as *ext,
 * to dial *number (E.164) through *trunk, caller ID *caller_id (a DID of that trunk,
 * else the extension's username). -1: answered already (407 challenge, the strangers'
 * 403, or 403/503 for a number the tenant may not call or no trunk) and nh destroyed. */
int	 sip_desk_dial_check(nua_t *, nua_handle_t *, const sip_t *, const struct sip_src *,
	    const struct extension **ext, const struct trunk **trunk, char *number,
	    size_t numlen, const char **caller_id);
/* The trunk a tenant's desk phones dial out through: its register-mode trunk registered
 * the longest, else its first peer trunk whose keepalive answers (or not yet pinged),
 * else its first peer trunk at all, else NULL. */
const struct trunk *sip_desk_trunk(const struct config *, const struct tenant *);

#endif
