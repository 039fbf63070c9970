/* lk_token: LiveKit access tokens (see lk_token.h). The claims are written with json.c so
 * that every string (a caller's name, an attribute from a SIP header) is escaped and valid
 * UTF-8 whatever bytes it came from. */
#include "lk_token.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "buf.h"
#include "json.h"
#include "xmalloc.h"

size_t
lk_token_b64url(const void *data, size_t n, char *out)
{
	static const char al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = data;
	size_t i, o = 0;

	for (i = 0; i + 2 < n; i += 3) {
		out[o++] = al[p[i] >> 2];
		out[o++] = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = al[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		out[o++] = al[p[i + 2] & 63];
	}
	if (n - i == 1) {
		out[o++] = al[p[i] >> 2];
		out[o++] = al[(p[i] & 3) << 4];
	} else if (n - i == 2) {
		out[o++] = al[p[i] >> 2];
		out[o++] = al[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		out[o++] = al[(p[i + 1] & 15) << 2];
	}
	out[o] = '\0';
	return o;
}

static void
lk_token_b64_add(struct buf *b, const void *data, size_t n)
{
	char *tmp = xmalloc(LK_B64URL_LEN(n));
	size_t len = lk_token_b64url(data, n, tmp);

	buf_add(b, tmp, len);
	free(tmp);
}

static void
lk_token_video(struct json *j, const struct lk_video_grant *v)
{
	json_key(j, "video");
	json_object_begin(j);
	if (v->room_join)
		json_kv_bool(j, "roomJoin", true);
	if (v->room != NULL)
		json_kv_string(j, "room", v->room);
	json_kv_bool(j, "canPublish", v->can_publish);
	json_kv_bool(j, "canSubscribe", v->can_subscribe);
	json_kv_bool(j, "canPublishData", v->can_publish_data);
	if (v->can_update_own_metadata)
		json_kv_bool(j, "canUpdateOwnMetadata", true);
	if (v->hidden)
		json_kv_bool(j, "hidden", true);
	if (v->room_create)
		json_kv_bool(j, "roomCreate", true);
	if (v->room_list)
		json_kv_bool(j, "roomList", true);
	if (v->room_admin)
		json_kv_bool(j, "roomAdmin", true);
	json_object_end(j);
}

static int
lk_token_claims_json(struct buf *b, const char *api_key, const struct lk_token_claims *c,
    int64_t now_s)
{
	struct json j;
	size_t i;

	json_init(&j, b);
	json_object_begin(&j);
	json_kv_string(&j, "iss", api_key);
	json_kv_string(&j, "sub", c->identity);
	json_kv_int(&j, "nbf", now_s);
	json_kv_int(&j, "iat", now_s);
	json_kv_int(&j, "exp", now_s + (c->ttl_s ? c->ttl_s : LK_TOKEN_DEFAULT_TTL_S));
	if (c->name != NULL)
		json_kv_string(&j, "name", c->name);
	if (c->kind != NULL)
		json_kv_string(&j, "kind", c->kind);
	lk_token_video(&j, &c->video);
	if (c->metadata != NULL)
		json_kv_string(&j, "metadata", c->metadata);
	if (c->n_attrs > 0) {
		json_key(&j, "attributes");
		json_object_begin(&j);
		for (i = 0; i < c->n_attrs; i++)
			json_kv_string(&j, c->attrs[i].key, c->attrs[i].value);
		json_object_end(&j);
	}
	json_object_end(&j);
	return json_finish(&j);
}

char *
lk_token_mint(const char *api_key, const char *api_secret, const struct lk_token_claims *c,
    int64_t now_s)
{
	static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf claims, tok;
	char *out = NULL;
	size_t i;

	if (api_key == NULL || api_key[0] == '\0' || api_secret == NULL ||
	    api_secret[0] == '\0' || c->identity == NULL ||
	    strlen(c->identity) > LK_TOKEN_MAX_IDENTITY)
		return NULL;
	if (c->video.room_join && (c->identity[0] == '\0' || c->video.room == NULL))
		return NULL;
	for (i = 0; i < c->n_attrs; i++)
		if (c->attrs[i].key == NULL || c->attrs[i].value == NULL)
			return NULL;
	buf_init(&claims);
	buf_init(&tok);
	if (lk_token_claims_json(&claims, api_key, c, now_s) != 0)
		goto out;
	lk_token_b64_add(&tok, header, sizeof(header) - 1);
	buf_addc(&tok, '.');
	lk_token_b64_add(&tok, claims.data, claims.len);
	if (HMAC(EVP_sha256(), api_secret, (int)strlen(api_secret),
	    (const unsigned char *)tok.data, tok.len, mac, &maclen) == NULL)
		goto out;
	buf_addc(&tok, '.');
	lk_token_b64_add(&tok, mac, maclen);
	out = buf_steal(&tok);
out:
	buf_free(&claims);
	buf_free(&tok);
	return out;
}

char *
lk_token_sip(const char *api_key, const char *api_secret, const struct lk_sip_identity *s,
    int64_t now_s)
{
	struct lk_attr attrs[4 + LK_TOKEN_SIP_MAX_EXTRA];
	struct lk_token_claims c = {
		.identity = s->identity,
		.name = s->name,
		.kind = "sip",
		.metadata = s->metadata,
		.attrs = attrs,
		.ttl_s = LK_TOKEN_SIP_TTL_S,
		.video = {
			.room_join = true,
			.room = s->room,
			.can_publish = true,
			.can_subscribe = true,
			.can_publish_data = true,
			.can_update_own_metadata = true,
		},
	};
	size_t n = 0, i;

	if (s->n_extra > LK_TOKEN_SIP_MAX_EXTRA)
		return NULL;
	if (s->call_id != NULL)
		attrs[n++] = (struct lk_attr){ LK_ATTR_SIP_CALL_ID, s->call_id };
	if (s->phone_number != NULL)
		attrs[n++] = (struct lk_attr){ LK_ATTR_SIP_PHONE_NUMBER, s->phone_number };
	if (s->trunk_phone_number != NULL)
		attrs[n++] = (struct lk_attr){ LK_ATTR_SIP_TRUNK_PHONE_NUMBER,
		    s->trunk_phone_number };
	if (s->call_status != NULL)
		attrs[n++] = (struct lk_attr){ LK_ATTR_SIP_CALL_STATUS, s->call_status };
	for (i = 0; i < s->n_extra; i++)
		attrs[n++] = s->extra[i];
	c.n_attrs = n;
	return lk_token_mint(api_key, api_secret, &c, now_s);
}
