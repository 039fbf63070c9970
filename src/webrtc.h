/* webrtc: one WebRTC transport as LiveKit's single peer connection uses it: one libnice
 * ICE stream with one component (BUNDLE + rtcp-mux), full ICE as the controlling agent,
 * trickle both ways, host candidates on every interface including loopback, STUN and TURN
 * servers from the join response; DTLS-SRTP on top (dtls.c). It moves SRTP packets; what
 * they carry is the caller's business. Everything runs on the GMainContext given. */
#ifndef SCAIDIAL_WEBRTC_H
#define SCAIDIAL_WEBRTC_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "dtls.h"

struct webrtc;

enum webrtc_state {
	WEBRTC_CONNECTED,	/* ICE and DTLS are up, SRTP keys in place */
	WEBRTC_FAILED,
};

struct webrtc_cb {
	/* A local candidate, "candidate:..." (no "a="). */
	void	(*candidate)(void *arg, const char *cand);
	void	(*state)(void *arg, enum webrtc_state, const char *why);
	/* A decrypted RTP packet (not RTCP); buf may be modified. */
	void	(*rtp)(void *arg, uint8_t *buf, size_t len);
	/* A decrypted RTCP compound packet; NULL: RTCP is dropped. */
	void	(*rtcp)(void *arg, const uint8_t *buf, size_t len);
	/* DTLS application data (SCTP); NULL when data channels are not used. */
	void	(*data)(void *arg, const uint8_t *buf, size_t len);
};

struct webrtc *webrtc_new(GMainContext *, const struct webrtc_cb *, void *arg);
/* stun:, turn: or turns: URLs from JoinResponse.ice_servers; call before webrtc_gather().
 * Host names are resolved asynchronously; gathering waits for them. */
void	 webrtc_add_ice_server(struct webrtc *, const char *url, const char *user,
	    const char *pass);
int	 webrtc_gather(struct webrtc *);
const char *webrtc_ufrag(const struct webrtc *);
const char *webrtc_pwd(const struct webrtc *);
/* From the first answer. setup: the remote a=setup value. */
int	 webrtc_set_remote(struct webrtc *, const char *ufrag, const char *pwd,
	    const char *fingerprint, const char *setup);
int	 webrtc_add_remote_candidate(struct webrtc *, const char *cand);
void	 webrtc_remote_candidates_done(struct webrtc *);
/* Protects and sends one RTP packet; buf has DTLS_SRTP_TRAILER bytes free after len. */
int	 webrtc_send_rtp(struct webrtc *, uint8_t *buf, int len);
/* Protects and sends one RTCP compound packet; the same room needed after len. */
int	 webrtc_send_rtcp(struct webrtc *, uint8_t *buf, int len);
/* The selected ICE pair's transport, "udp", "tcp" or "" before ICE has one. */
const char *webrtc_transport(const struct webrtc *);
/* SCTP over DTLS; 0 on success. */
int	 webrtc_send_data(struct webrtc *, const uint8_t *, size_t);
int	 webrtc_dtls_client(const struct webrtc *);
void	 webrtc_free(struct webrtc *);

#endif
