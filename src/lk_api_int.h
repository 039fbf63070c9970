/* lk_api_int.h: between lk_api.c (requests) and lk_api_reply.c (answers). */
#ifndef SCAIDIAL_LK_API_INT_H
#define SCAIDIAL_LK_API_INT_H

#include <stddef.h>

#include "lk_api.h"

enum lk_api_reply { LK_REPLY_NONE, LK_REPLY_ROOM, LK_REPLY_PARTICIPANTS, LK_REPLY_PARTICIPANT };

/* A 200 answer: parsed into res (room or participants, as reply says), then cb(res, arg)
 * runs; -1 (and no callback) when the body is not the message expected. */
int	 lk_api_reply_ok(enum lk_api_reply, const char *body, size_t len,
	    struct lk_api_result *res, lk_api_cb *cb, void *arg);
/* Any other status: "twirp CODE: MSG (HTTP n)" from a Twirp error body, else "HTTP n". */
void	 lk_api_reply_error(const char *body, size_t len, long status, char *err,
	    size_t errlen);

#endif
