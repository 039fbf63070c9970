/* lk_api: LiveKit's server API (Twirp RoomService) over http.c, asynchronously, from the
 * control loop. Each call POSTs protojson to <livekit.url as http(s)>/twirp/
 * livekit.RoomService/<Method> with a 10-minute token carrying just the grants that method
 * needs, and reports once to its callback with the reply already parsed (jansson). */
#ifndef SCAIDIAL_LK_API_H
#define SCAIDIAL_LK_API_H

#include <stddef.h>
#include <stdint.h>

#include "lk_token.h"

struct config_livekit;

struct lk_room {
	const char	*sid;
	const char	*name;
	const char	*metadata;
	unsigned	 empty_timeout;		/* seconds */
	unsigned	 departure_timeout;
	unsigned	 max_participants;
	int64_t		 creation_time;		/* unix seconds */
};

struct lk_participant {
	const char	*sid;
	const char	*identity;
	const char	*name;
	const char	*kind;		/* lowercase, as in tokens: "standard", "sip", "agent", ... */
	const char	*state;		/* "joining", "joined", "active", "disconnected" */
	const char	*metadata;
	const struct lk_attr *attrs;
	size_t		 n_attrs;
	int64_t		 joined_at;	/* unix seconds */
};

/* Everything is valid during the callback only; absent strings are "". */
struct lk_api_result {
	int		 ok;		/* 1 when the server answered 200 */
	const char	*error;		/* "" when ok: "twirp not_found: ..." or a transport error */
	long		 status;	/* HTTP status, 0 without an answer */
	int64_t		 elapsed_ms;
	const struct lk_room *room;	/* CreateRoom */
	const struct lk_participant *participants;	/* ListParticipants, UpdateParticipant */
	size_t		 n_participants;
};

/* Runs once per call unless lk_api_cancel(arg) ran first. */
typedef void	lk_api_cb(const struct lk_api_result *, void *arg);

struct lk_room_opts {
	const char	*name;
	unsigned	 empty_timeout;		/* seconds; 0: the server's default */
	unsigned	 departure_timeout;	/* seconds; 0: the server's default */
	unsigned	 max_participants;	/* 0: unlimited */
	const char	*metadata;		/* NULL: none */
};

/* Each returns 0 when the request is under way, -1 (no callback) when the configuration or
 * the arguments are unusable or the HTTP client is saturated. */
int	 lk_api_create_room(const struct config_livekit *, const struct lk_room_opts *,
	    lk_api_cb *, void *arg);
int	 lk_api_delete_room(const struct config_livekit *, const char *room,
	    lk_api_cb *, void *arg);
int	 lk_api_list_participants(const struct config_livekit *, const char *room,
	    lk_api_cb *, void *arg);
int	 lk_api_remove_participant(const struct config_livekit *, const char *room,
	    const char *identity, lk_api_cb *, void *arg);
/* metadata NULL leaves it unchanged; the attributes given are set (others are kept; a
 * value "" deletes that attribute, as in LiveKit). */
int	 lk_api_update_participant(const struct config_livekit *, const char *room,
	    const char *identity, const char *metadata, const struct lk_attr *, size_t n,
	    lk_api_cb *, void *arg);

/* Drops every pending call made with this arg (not NULL), without callbacks. */
int	 lk_api_cancel(const void *arg);

/* ws://h:p/x → http://h:p/x, wss:// → https://, http(s):// kept; trailing '/' removed.
 * 0, or -1 for any other scheme or when out is too small. */
int	 lk_api_base_url(const char *livekit_url, char *out, size_t outlen);

#endif
