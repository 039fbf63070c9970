/* lk_sdp: the SDP and ICE-candidate text scaidial exchanges with a LiveKit server. It
 * writes our offers (one BUNDLE of Opus m-lines on one ICE/DTLS transport: the first
 * sends the microphone, the rest receive) and reads the server's answers and trickled
 * candidates. Pure text in and out, so the unit test and the fuzzer drive it alone. */
#ifndef SCAIDIAL_LK_SDP_H
#define SCAIDIAL_LK_SDP_H

#include <stddef.h>
#include <stdint.h>

#define LK_SDP_MAX_MEDIA	32
#define LK_SDP_MAX_SSRC		4
#define LK_SDP_EXT_AUDIO_LEVEL	1	/* our extmap ids */
#define LK_SDP_EXT_MID		2

struct lk_sdp_offer {
	const char	*ufrag;
	const char	*pwd;
	const char	*fingerprint;	/* sha-256, "AB:CD:..." */
	uint64_t	 session_id;
	unsigned	 version;	/* o= version, one more per offer */
	int		 nmedia;	/* audio m-lines: the first sends, the rest receive */
	int		 data;		/* an m=application (SCTP) after the first */
	uint32_t	 ssrc;		/* of the sending m-line */
	const char	*stream_id;	/* msid stream */
	const char	*track_id;	/* msid track = AddTrackRequest.cid */
	const char	*cname;
};

enum lk_sdp_dir { LK_SDP_SENDRECV, LK_SDP_SENDONLY, LK_SDP_RECVONLY, LK_SDP_INACTIVE };

struct lk_sdp_media {
	char		 mid[32];
	int		 rejected;	/* port 0 */
	enum lk_sdp_dir	 dir;
	int		 opus_pt;	/* -1 when Opus was not accepted */
	int		 ext_audio_level;	/* extmap ids, 0 when absent */
	int		 ext_mid;
	uint32_t	 ssrc[LK_SDP_MAX_SSRC];
	int		 nssrc;
	uint32_t	 nack_pt[4];	/* payload types with a=rtcp-fb:<pt> nack, as bits */
};

/* Whether the m-line accepted generic NACK (RFC 4585) for payload type pt. */
static inline int
lk_sdp_has_nack(const struct lk_sdp_media *m, int pt)
{
	return pt >= 0 && pt < 128 && (m->nack_pt[pt / 32] >> (pt % 32) & 1);
}

struct lk_sdp_answer {
	char		 ufrag[257];
	char		 pwd[257];
	char		 fingerprint[200];	/* the sha-256 one, upper-case hex */
	char		 setup[16];		/* active, passive, actpass */
	struct lk_sdp_media media[LK_SDP_MAX_MEDIA];
	int		 nmedia;
};

/* A newly allocated offer; g_free() it. */
char	*lk_sdp_write_offer(const struct lk_sdp_offer *);

/* Reads an answer. Each a=candidate line is handed to cand ("candidate:..." without the
 * "a=") with the mid of its m-line. 0 when usable (ICE credentials, a sha-256 fingerprint
 * and at least one m-line), -1 otherwise. */
typedef void	 lk_sdp_cand_cb(void *arg, const char *mid, const char *candidate);
int	 lk_sdp_parse_answer(const char *sdp, struct lk_sdp_answer *, lk_sdp_cand_cb *,
	    void *arg);

/* The JSON of TrickleRequest.candidateInit (pion's ICECandidateInit): the candidate
 * string and sdpMid. 0 when a non-empty "candidate" member was found. */
int	 lk_sdp_trickle_parse(const char *json, char *cand, size_t candsz, char *mid,
	    size_t midsz);
/* candidateInit for one of our candidates ("candidate:..."); g_free() it. */
char	*lk_sdp_trickle_json(const char *cand, const char *mid, int mline, const char *ufrag);

#endif
