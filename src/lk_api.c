/* lk_api: the Twirp RoomService client (see lk_api.h): requests are written with json.c
 * (which makes any string valid UTF-8) and sent through http.c; lk_api_reply.c reads the
 * answers. Twirp answers 200 with the method's message, or an error
 * status with {"code": "...", "msg": "..."}; protojson may spell fields in lowerCamel or
 * snake case, enums as names or numbers, and int64 as strings, so the readers accept all. */
#include "lk_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "buf.h"
#include "config.h"
#include "http.h"
#include "json.h"
#include "lk_api_int.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define LK_API_TOKEN_TTL_S	600
#define LK_API_CONNECT_MS	3000
#define LK_API_TIMEOUT_MS	10000
#define LK_API_MAX_RESPONSE	(4 * 1024 * 1024)	/* a big room's ListParticipants */
#define LK_API_URL_MAX		1024

struct lk_api_call {
	enum lk_api_reply reply;
	const char	*method;
	lk_api_cb	*cb;
	void		*arg;
};

int
lk_api_base_url(const char *u, char *out, size_t outlen)
{
	const char *scheme, *rest;
	size_t len;
	int n;

	if (u == NULL)
		return -1;
	if (strncmp(u, "ws://", 5) == 0)
		scheme = "http://", rest = u + 5;
	else if (strncmp(u, "wss://", 6) == 0)
		scheme = "https://", rest = u + 6;
	else if (strncmp(u, "http://", 7) == 0)
		scheme = "http://", rest = u + 7;
	else if (strncmp(u, "https://", 8) == 0)
		scheme = "https://", rest = u + 8;
	else
		return -1;
	len = strlen(rest);
	while (len > 0 && rest[len - 1] == '/')
		len--;
	if (len == 0 || len > INT32_MAX)
		return -1;
	n = snprintf(out, outlen, "%s%.*s", scheme, (int)len, rest);
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static void
lk_api_done(const struct http_result *hr, void *arg)
{
	struct lk_api_call *c = arg;
	struct lk_api_result res = {
		.status = hr->status,
		.elapsed_ms = hr->elapsed_ms,
	};
	char err[512];

	if (hr->err == HTTP_ERR_CANCELLED)
		goto out;
	if (hr->err != HTTP_OK) {
		snprintf(err, sizeof(err), "%s", hr->error);
		goto fail;
	}
	if (hr->status == 200) {
		if (lk_api_reply_ok(c->reply, hr->body, hr->body_len, &res, c->cb, c->arg) == 0)
			goto out;
		snprintf(err, sizeof(err), "unreadable answer");
		goto fail;
	}
	lk_api_reply_error(hr->body, hr->body_len, hr->status, err, sizeof(err));
fail:
	log_warn("lk_api: %s failed: %s", c->method, err);
	res.error = err;
	c->cb(&res, c->arg);
out:
	free(c);
}

/* One Twirp call: the request body in b (consumed), a token with the grants in v. */
static int
lk_api_call(const struct config_livekit *lk, const char *method, enum lk_api_reply reply,
    const struct lk_video_grant *v, struct buf *b, lk_api_cb *cb, void *arg)
{
	char url[LK_API_URL_MAX], auth[2048];
	const char *hdrs[3] = { "Content-Type: application/json", auth, NULL };
	struct lk_token_claims claims = { .identity = "", .video = *v,
	    .ttl_s = LK_API_TOKEN_TTL_S };
	struct http_opts o = {
		.headers = hdrs,
		.body = b->data,
		.body_len = b->len,
		.connect_timeout_ms = LK_API_CONNECT_MS,
		.timeout_ms = LK_API_TIMEOUT_MS,
		.max_response = LK_API_MAX_RESPONSE,
		.owner = arg,
	};
	struct lk_api_call *c = NULL;
	char *tok = NULL;
	size_t blen;
	int rc = -1;

	if (lk_api_base_url(lk->url, url, sizeof(url)) != 0) {
		log_error("lk_api: livekit.url \"%s\" is not ws://, wss://, http:// or https://",
		    lk->url != NULL ? lk->url : "");
		goto out;
	}
	blen = strlen(url);
	if (snprintf(url + blen, sizeof(url) - blen, "/twirp/livekit.RoomService/%s",
	    method) >= (int)(sizeof(url) - blen))
		goto out;
	if ((tok = lk_token_mint(lk->api_key, lk->api_secret, &claims,
	    loop_now_ms() / 1000)) == NULL) {
		log_error("lk_api: cannot mint an API token (livekit.api_key/api_secret set?)");
		goto out;
	}
	if (snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok) >= (int)sizeof(auth))
		goto out;
	c = xcalloc(1, sizeof(*c));
	c->reply = reply;
	c->method = method;
	c->cb = cb;
	c->arg = arg;
	if (http_request(url, &o, lk_api_done, c) == NULL) {
		free(c);
		goto out;
	}
	rc = 0;
out:
	free(tok);
	buf_free(b);
	return rc;
}

/* Opens the request object: {"room": room, ... */
static void
lk_api_body(struct json *j, struct buf *b, const char *room)
{
	buf_init(b);
	json_init(j, b);
	json_object_begin(j);
	if (room != NULL)
		json_kv_string(j, "room", room);
}

static int
lk_api_body_end(struct json *j, struct buf *b)
{
	json_object_end(j);
	if (json_finish(j) == 0)
		return 0;
	buf_free(b);
	return -1;
}

int
lk_api_create_room(const struct config_livekit *lk, const struct lk_room_opts *ro,
    lk_api_cb *cb, void *arg)
{
	struct lk_video_grant v = { .room_create = true };
	struct buf b;
	struct json j;

	if (ro->name == NULL || ro->name[0] == '\0')
		return -1;
	lk_api_body(&j, &b, NULL);
	json_kv_string(&j, "name", ro->name);
	if (ro->empty_timeout)
		json_kv_uint(&j, "empty_timeout", ro->empty_timeout);
	if (ro->departure_timeout)
		json_kv_uint(&j, "departure_timeout", ro->departure_timeout);
	if (ro->max_participants)
		json_kv_uint(&j, "max_participants", ro->max_participants);
	if (ro->metadata != NULL)
		json_kv_string(&j, "metadata", ro->metadata);
	if (lk_api_body_end(&j, &b) != 0)
		return -1;
	return lk_api_call(lk, "CreateRoom", LK_REPLY_ROOM, &v, &b, cb, arg);
}

int
lk_api_delete_room(const struct config_livekit *lk, const char *room, lk_api_cb *cb,
    void *arg)
{
	struct lk_video_grant v = { .room_create = true };
	struct buf b;
	struct json j;

	if (room == NULL || room[0] == '\0')
		return -1;
	lk_api_body(&j, &b, room);
	if (lk_api_body_end(&j, &b) != 0)
		return -1;
	return lk_api_call(lk, "DeleteRoom", LK_REPLY_NONE, &v, &b, cb, arg);
}

int
lk_api_list_participants(const struct config_livekit *lk, const char *room, lk_api_cb *cb,
    void *arg)
{
	struct lk_video_grant v = { .room_admin = true, .room = room };
	struct buf b;
	struct json j;

	if (room == NULL || room[0] == '\0')
		return -1;
	lk_api_body(&j, &b, room);
	if (lk_api_body_end(&j, &b) != 0)
		return -1;
	return lk_api_call(lk, "ListParticipants", LK_REPLY_PARTICIPANTS, &v, &b, cb, arg);
}

int
lk_api_remove_participant(const struct config_livekit *lk, const char *room,
    const char *identity, lk_api_cb *cb, void *arg)
{
	struct lk_video_grant v = { .room_admin = true, .room = room };
	struct buf b;
	struct json j;

	if (room == NULL || room[0] == '\0' || identity == NULL || identity[0] == '\0')
		return -1;
	lk_api_body(&j, &b, room);
	json_kv_string(&j, "identity", identity);
	if (lk_api_body_end(&j, &b) != 0)
		return -1;
	return lk_api_call(lk, "RemoveParticipant", LK_REPLY_NONE, &v, &b, cb, arg);
}

int
lk_api_update_participant(const struct config_livekit *lk, const char *room,
    const char *identity, const char *metadata, const struct lk_attr *attrs, size_t n,
    lk_api_cb *cb, void *arg)
{
	struct lk_video_grant v = { .room_admin = true, .room = room };
	struct buf b;
	struct json j;
	size_t i;

	if (room == NULL || room[0] == '\0' || identity == NULL || identity[0] == '\0')
		return -1;
	for (i = 0; i < n; i++)
		if (attrs[i].key == NULL || attrs[i].value == NULL)
			return -1;
	lk_api_body(&j, &b, room);
	json_kv_string(&j, "identity", identity);
	if (metadata != NULL)
		json_kv_string(&j, "metadata", metadata);
	if (n > 0) {
		json_key(&j, "attributes");
		json_object_begin(&j);
		for (i = 0; i < n; i++)
			json_kv_string(&j, attrs[i].key, attrs[i].value);
		json_object_end(&j);
	}
	if (lk_api_body_end(&j, &b) != 0)
		return -1;
	return lk_api_call(lk, "UpdateParticipant", LK_REPLY_PARTICIPANT, &v, &b, cb, arg);
}

int
lk_api_cancel(const void *arg)
{
	return http_cancel_owner(arg);
}
