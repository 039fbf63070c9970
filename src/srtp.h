/* srtp: SDES-keyed SRTP and SRTCP (RFC 3711, keys from RFC 4568 a=crypto) for one media
 * session, over libsrtp2. One context protects what we send with our key, another
 * unprotects what the peer sends with its key; both transform packets in place, so the
 * packet path allocates nothing. The functions are prefixed srtp_sess_ because libsrtp
 * owns the plain srtp_ names. */
#ifndef SCAIDIAL_SRTP_H
#define SCAIDIAL_SRTP_H

#include <stddef.h>

#include "sdp.h"

/* Room after a packet that srtp_sess_protect*() may write into: libsrtp assumes it may
 * write SRTP_MAX_TRAILER_LEN (tag + MKI, 144) whatever the suite. */
#define SRTP_SESS_TRAILER	160

struct srtp_sess;

/* Initialises libsrtp once per process (thread-safe). Returns 0 or -1. */
int	 srtp_sess_lib_init(void);

/* local: the key and suite we send with; remote: the peer's. NULL on a bad suite/key. */
struct srtp_sess *srtp_sess_new(const struct sdp_crypto *local,
	    const struct sdp_crypto *remote);
void	 srtp_sess_free(struct srtp_sess *);

/* *len in and out; buf must have SRTP_SESS_TRAILER bytes of room after *len.
 * Return 0, or -1 (the packet must be dropped: failed authentication, a replay, garbage). */
int	 srtp_sess_protect(struct srtp_sess *, unsigned char *buf, int *len);
int	 srtp_sess_unprotect(struct srtp_sess *, unsigned char *buf, int *len);
int	 srtp_sess_protect_rtcp(struct srtp_sess *, unsigned char *buf, int *len);
int	 srtp_sess_unprotect_rtcp(struct srtp_sess *, unsigned char *buf, int *len);

#endif
