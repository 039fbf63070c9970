/* datachan: WebRTC data channels (RFC 8831/8832) for one transport: an SCTP association
 * run by usrsctp over the DTLS connection of webrtc.c, and the DCEP open/ack handshake.
 * usrsctp keeps timer threads of its own; everything it reports is handed to the
 * session's GMainContext, so callbacks come from that context's thread like the rest. */
#ifndef SCAIDIAL_DATACHAN_H
#define SCAIDIAL_DATACHAN_H

#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#define DATACHAN_PPID_BINARY	53
#define DATACHAN_PPID_STRING	51

struct datachan;

struct datachan_cb {
	/* An SCTP packet for the DTLS connection. */
	void	(*send)(void *arg, const uint8_t *, size_t);
	/* A channel is open (our open was acked, or the peer opened one). */
	void	(*open)(void *arg, uint16_t sid, const char *label);
	void	(*message)(void *arg, uint16_t sid, uint32_t ppid, const uint8_t *, size_t);
	/* The association failed or was shut down. */
	void	(*closed)(void *arg);
};

/* dtls_client: our DTLS role; it decides the parity of the stream ids we pick. */
struct datachan *datachan_new(GMainContext *, int dtls_client, const struct datachan_cb *,
	    void *arg);
/* Once DTLS is up: starts the SCTP association (port 5000 both sides). */
int	 datachan_start(struct datachan *);
/* SCTP packet from DTLS application data. */
void	 datachan_input(struct datachan *, const uint8_t *, size_t);
/* Opens a channel when the association is up (at once if it already is). max_rtx < 0:
 * reliable; ordered 0: unordered. */
int	 datachan_open(struct datachan *, const char *label, int ordered, int max_rtx);
/* 0 when queued; -1 when the channel is not open or SCTP refused. */
int	 datachan_send(struct datachan *, const char *label, uint32_t ppid, const uint8_t *,
	    size_t);
void	 datachan_free(struct datachan *);

#endif
