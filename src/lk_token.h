/* lk_token: LiveKit access tokens, HS256 JWTs signed with the API secret (what
 * livekit-server's auth/verifier.go accepts): iss = API key, sub = identity, nbf/iat/exp,
 * and LiveKit's claims (name, kind, video grants, metadata, attributes). The SIP leg's
 * token follows LiveKit SIP's own (protocol sip/token.go): kind "sip", full room grants,
 * sip.* attributes, valid 24 h. Pure functions: no I/O, no state. */
#ifndef SCAIDIAL_LK_TOKEN_H
#define SCAIDIAL_LK_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LK_TOKEN_DEFAULT_TTL_S	(6 * 3600)
#define LK_TOKEN_SIP_TTL_S	(24 * 3600)
#define LK_TOKEN_MAX_IDENTITY	256	/* the server refuses longer identities */

/* Participant attributes LiveKit SIP sets (protocol livekit/attrs.go). */
#define LK_ATTR_SIP_CALL_ID		"sip.callID"
#define LK_ATTR_SIP_PHONE_NUMBER	"sip.phoneNumber"
#define LK_ATTR_SIP_TRUNK_PHONE_NUMBER	"sip.trunkPhoneNumber"
#define LK_ATTR_SIP_CALL_STATUS		"sip.callStatus"	/* "active" once answered */

struct lk_attr {
	const char	*key;
	const char	*value;
};

/* The "video" claim. canPublish/canSubscribe/canPublishData are always written, because
 * the server reads an absent one as true; the other flags only when set. */
struct lk_video_grant {
	bool		 room_join;
	const char	*room;		/* NULL: no room (CreateRoom needs none) */
	bool		 can_publish;
	bool		 can_subscribe;
	bool		 can_publish_data;
	bool		 can_update_own_metadata;
	bool		 hidden;
	bool		 room_create;
	bool		 room_list;
	bool		 room_admin;	/* with room: the participant APIs of that room */
};

struct lk_token_claims {
	const char	*identity;	/* sub; required to join, "" allowed for API calls */
	const char	*name;		/* NULL: omitted */
	const char	*kind;		/* "standard", "sip", "agent", ...; NULL: omitted */
	const char	*metadata;	/* NULL: omitted */
	const struct lk_attr *attrs;
	size_t		 n_attrs;
	struct lk_video_grant video;
	unsigned	 ttl_s;		/* 0: LK_TOKEN_DEFAULT_TTL_S */
};

/* Returns a malloc'd "header.payload.signature", or NULL when the key or secret is empty,
 * the identity too long, or a join grant lacks an identity or room. now_s: unix seconds
 * (nbf = iat = now_s, exp = now_s + ttl). */
char	*lk_token_mint(const char *api_key, const char *api_secret,
	    const struct lk_token_claims *, int64_t now_s);

/* The SIP participant of one call. */
struct lk_sip_identity {
	const char	*room;
	const char	*identity;
	const char	*name;
	const char	*call_id;		/* each NULL: attribute omitted */
	const char	*phone_number;
	const char	*trunk_phone_number;
	const char	*call_status;
	const char	*metadata;
	const struct lk_attr *extra;		/* more attributes */
	size_t		 n_extra;
};

#define LK_TOKEN_SIP_MAX_EXTRA	16
char	*lk_token_sip(const char *api_key, const char *api_secret,
	    const struct lk_sip_identity *, int64_t now_s);

/* Base64url without padding (RFC 7515 2): writes 4*ceil(n/3) or fewer chars and a NUL;
 * out needs LK_B64URL_LEN(n) bytes. Returns the length written. */
#define LK_B64URL_LEN(n)	(((n) + 2) / 3 * 4 + 1)
size_t	 lk_token_b64url(const void *, size_t, char *out);

#endif
