/* dtls: DTLS-SRTP for one WebRTC transport. OpenSSL runs the handshake over memory BIOs
 * (the caller moves datagrams to and from ICE), the peer's certificate is checked against
 * the sha-256 fingerprint of the remote SDP, and the SRTP keys exported from the handshake
 * ("EXTRACTOR-dtls_srtp") feed two libsrtp2 sessions, one per direction. The certificate is
 * self-signed, made once per process and shared read-only by every transport. */
#ifndef SCAIDIAL_DTLS_H
#define SCAIDIAL_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define DTLS_SRTP_TRAILER	148	/* room to leave after an RTP packet to protect */

struct dtls;

typedef void	 dtls_send_cb(void *arg, const uint8_t *, size_t);
/* ok 1: keys are in place; ok 0: the handshake or the fingerprint check failed. */
typedef void	 dtls_done_cb(void *arg, int ok, const char *why);
/* Application data (SCTP for data channels) received after the handshake. */
typedef void	 dtls_data_cb(void *arg, const uint8_t *, size_t);

/* Our certificate's fingerprint, "AB:CD:..." (sha-256); NULL if it could not be made. */
const char	*dtls_fingerprint(void);

struct dtls	*dtls_new(GMainContext *, dtls_send_cb *, dtls_done_cb *, void *arg);
/* server: 1 when the remote SDP said setup:active (we accept), 0 for passive (we connect). */
int		 dtls_start(struct dtls *, int server, const char *remote_fingerprint);
void		 dtls_input(struct dtls *, const uint8_t *, size_t);
int		 dtls_ready(const struct dtls *);
/* 1 when we are the DTLS client (the remote said setup:passive). */
int		 dtls_is_client(const struct dtls *);
void		 dtls_set_data_cb(struct dtls *, dtls_data_cb *);
/* Sends application data once the handshake is over; 0 on success. */
int		 dtls_send_data(struct dtls *, const uint8_t *, size_t);
/* In place; buf must have DTLS_SRTP_TRAILER bytes free after *len. 0 on success. */
int		 dtls_protect_rtp(struct dtls *, uint8_t *buf, int *len);
/* The same for an RTCP compound packet (SRTCP adds its index as well). */
int		 dtls_protect_rtcp(struct dtls *, uint8_t *buf, int *len);
int		 dtls_unprotect_rtp(struct dtls *, uint8_t *buf, int *len);
int		 dtls_unprotect_rtcp(struct dtls *, uint8_t *buf, int *len);
const char	*dtls_srtp_profile(const struct dtls *);
void		 dtls_free(struct dtls *);

#endif
