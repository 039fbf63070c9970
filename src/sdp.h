/* sdp: offer/answer (RFC 3264) for the carrier leg's one audio stream. Pure functions over
 * text: sdp_parse() reads a session description into a value, sdp_answer() picks the codec,
 * DTMF, direction and SRTP suite an offer and a trunk have in common and writes the answer,
 * sdp_offer() / sdp_accept() do the same for calls we place. Nothing here touches a socket,
 * a clock or a random source: the caller passes its address, port, session id and key.
 *
 * Errors are SIP status codes the SIP layer sends as they are: 400 for text that is not a
 * session description, 488 when nothing acceptable is in it (no common codec, SRTP
 * required but offered plain RTP, SAVP without a suite we know, no audio stream). */
#ifndef SCAIDIAL_SDP_H
#define SCAIDIAL_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

#define SDP_MAX_FMTS	16
#define SDP_MAX_CRYPTO	8
#define SDP_MAX_MEDIA	8
#define SDP_KEY_LEN	30	/* AES-128 master key (16) + salt (14) */

enum sdp_dir { SDP_INACTIVE = 0, SDP_SENDONLY = 1, SDP_RECVONLY = 2, SDP_SENDRECV = 3 };

enum sdp_suite {
	SDP_SUITE_NONE,
	SDP_SUITE_AES_CM_128_HMAC_SHA1_80,
	SDP_SUITE_AES_CM_128_HMAC_SHA1_32,
};

struct sdp_crypto {
	int		 tag;
	enum sdp_suite	 suite;
	unsigned char	 key[SDP_KEY_LEN];
};

struct sdp_fmt {
	int		 pt;
	char		 name[24];	/* encoding name as written ("PCMU", "opus") */
	int		 rate;		/* RTP clock rate */
	int		 channels;
	char		 fmtp[128];
};

/* An m= line other than the audio stream we use: kept to reject it in the answer. */
struct sdp_other {
	char		 media[16];
	char		 proto[32];
	char		 fmt[16];	/* the first format, echoed with port 0 */
};

/* What one description says about its (first usable) audio stream. */
struct sdp_desc {
	uint64_t	 sess_id, sess_ver;
	char		 addr[64];	/* connection address of the audio stream */
	int		 family;	/* AF_INET or AF_INET6 */
	int		 port;		/* 0 = stream rejected */
	int		 rtcp_port;	/* a=rtcp or port + 1 */
	char		 rtcp_addr[64];	/* a=rtcp's address, "" when not given */
	bool		 rtcp_mux;
	bool		 savp;		/* RTP/SAVP or RTP/SAVPF */
	bool		 avpf;		/* the profile carries an F */
	enum sdp_dir	 dir;		/* as the sender of this description means it */
	int		 ptime, maxptime;	/* 0 when absent */
	struct sdp_fmt	 fmts[SDP_MAX_FMTS];
	size_t		 n_fmts;
	struct sdp_crypto crypto[SDP_MAX_CRYPTO];	/* usable lines only, in order */
	size_t		 n_crypto;
	int		 audio_index;	/* which m= line is the audio stream */
	struct sdp_other others[SDP_MAX_MEDIA];	/* every m= line, index order */
	size_t		 n_media;
};

/* The outcome of a negotiation: what the media engine sends and expects. */
struct sdp_neg {
	enum codec	 codec;
	int		 pt;		/* payload type of the codec on the wire, both ways */
	int		 clock;		/* its RTP clock rate (8000 for G.722, 48000 for Opus) */
	int		 dtmf_pt;	/* telephone-event, -1 when the peer has none */
	int		 dtmf_clock;	/* its rate (durations count in it); may differ from
					 * the codec's, as baresip offers with Opus */
	int		 ptime;		/* the peer's wish (informative); we send 20 ms */
	enum sdp_dir	 dir;		/* ours: SDP_SENDRECV, SDP_SENDONLY (peer holds us)... */
	char		 remote_addr[64];
	int		 remote_family;
	int		 remote_port;
	int		 remote_rtcp_port;
	bool		 rtcp_mux;
	bool		 srtp;
	struct sdp_crypto local;	/* the key we send with */
	struct sdp_crypto remote;	/* the key the peer sends with */
};

/* What the caller contributes to a description it writes. */
struct sdp_local {
	const char	*addr;		/* numeric IPv4 or IPv6 address for c= and o= */
	int		 port;		/* RTP; RTCP is port + 1 unless muxed */
	uint64_t	 sess_id, sess_ver;
	const unsigned char *key;	/* SDP_KEY_LEN random bytes; NULL = no SRTP offered */
	enum sdp_dir	 dir;		/* for sdp_offer(): the direction we offer */
};

/* Returns 0, or 400 when the text is not a session description with an audio stream
 * (488 when it has none). */
int	 sdp_parse(const char *text, size_t len, struct sdp_desc *);

/* Answers an offer for the trunk. On success returns 0, fills *neg and sets *answer to a
 * malloc'd description; otherwise returns a SIP status (400, 488) and sets nothing. */
int	 sdp_answer(const struct trunk *, const char *offer, size_t len,
	    const struct sdp_local *, struct sdp_neg *, char **answer);

/* Writes an offer with the trunk's codecs in order (plus telephone-event), SDES keys when
 * the trunk's srtp is not off (RTP/SAVP when it is required). Returns a malloc'd string. */
char	*sdp_offer(const struct trunk *, const struct sdp_local *);

/* Reads the answer to sdp_offer(trunk, local): 0 and *neg, or 488/400. */
int	 sdp_accept(const struct trunk *, const struct sdp_local *, const char *answer,
	    size_t len, struct sdp_neg *);

/* "AES_CM_128_HMAC_SHA1_80" ...; NULL for SDP_SUITE_NONE. */
const char *sdp_suite_name(enum sdp_suite);
/* Standard base64 of a key: out must hold 4 * ((n + 2) / 3) + 1 bytes. */
void	 sdp_base64_encode(const unsigned char *in, size_t n, char *out);
/* Decodes standard base64 (padding optional); returns the byte count or -1. */
int	 sdp_base64_decode(const char *in, size_t n, unsigned char *out, size_t max);

#endif
