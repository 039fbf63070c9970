/* test_lk_token: tokens from lk_token.c taken apart the way a verifier does: base64url
 * decoded, header and claims parsed (json-c) and checked field by field, the HS256
 * signature recomputed with OpenSSL and compared; a different secret must not verify. */
#include <stdint.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lk_token.h"
#include "tap.h"

#define NOW	1764000000	/* 2025-11-24 */

static int
b64url_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/* Decodes [s, s+n) strictly (URL alphabet, no padding); -1 on any other character. */
static long
b64url_decode(const char *s, size_t n, unsigned char *out)
{
	unsigned acc = 0;
	int bits = 0;
	long o = 0;
	size_t i;

	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		int v = b64url_val((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return o;
}

/* Parses one base64url JSON segment; the whole segment must be one JSON object. */
static struct json_object *
segment_json(const char *s, size_t n)
{
	unsigned char buf[8192];
	struct json_tokener *tok;
	struct json_object *o;
	long len;

	if (n > sizeof(buf) * 4 / 3 || (len = b64url_decode(s, n, buf)) < 0)
		return NULL;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, (const char *)buf, (int)len);
	if (o != NULL && (json_tokener_get_parse_end(tok) != (size_t)len ||
	    !json_object_is_type(o, json_type_object))) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

static struct json_object *
get(struct json_object *o, const char *k)
{
	struct json_object *v = NULL;

	if (json_object_is_type(o, json_type_object))
		json_object_object_get_ex(o, k, &v);
	return v;
}

static size_t
size_of(struct json_object *o)
{
	return json_object_is_type(o, json_type_object) ? (size_t)json_object_object_length(o) : 0;
}

static int64_t
int_at(struct json_object *o, const char *k)
{
	struct json_object *v = get(o, k);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : -1;
}

/* HS256 verification as livekit-server does it; 1 when tok is signed with secret. */
static int
verify(const char *tok, const char *secret)
{
	const char *dot2 = strrchr(tok, '.');
	unsigned char mac[EVP_MAX_MD_SIZE], sig[64];
	unsigned int maclen = 0;
	long siglen;

	if (dot2 == NULL)
		return 0;
	siglen = b64url_decode(dot2 + 1, strlen(dot2 + 1), sig);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)tok,
	    (size_t)(dot2 - tok), mac, &maclen);
	return siglen == (long)maclen && CRYPTO_memcmp(mac, sig, maclen) == 0;
}

struct parts {
	struct json_object *header;
	struct json_object *claims;
	int	 segments;
	int	 charset_ok;
};

static struct parts
split(const char *tok)
{
	struct parts p = { NULL, NULL, 0, 1 };
	const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	const char *c;

	p.segments = 1;
	for (c = tok; *c; c++) {
		if (*c == '.')
			p.segments++;
		else if (b64url_val((unsigned char)*c) < 0)
			p.charset_ok = 0;
	}
	if (d1 != NULL && d2 != NULL) {
		p.header = segment_json(tok, (size_t)(d1 - tok));
		p.claims = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
	}
	return p;
}

static const char *
str_at(struct json_object *o, const char *path1, const char *path2)
{
	struct json_object *v = get(o, path1);

	if (path2 != NULL)
		v = get(v, path2);
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* 1 true, 0 false, -1 absent, -2 not a boolean. */
static int
bool_at(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v = get(get(o, k1), k2);

	if (v == NULL)
		return -1;
	if (!json_object_is_type(v, json_type_boolean))
		return -2;
	return json_object_get_boolean(v) ? 1 : 0;
}

static void
test_b64url(void)
{
	char out[16];
	static const unsigned char bin[] = { 0xfb, 0xff, 0xbf };

	lk_token_b64url("f", 1, out);
	is_str(out, "Zg", "b64url: 1 byte, no padding");
	lk_token_b64url("fo", 2, out);
	is_str(out, "Zm8", "b64url: 2 bytes, no padding");
	lk_token_b64url("foo", 3, out);
	is_str(out, "Zm9v", "b64url: 3 bytes");
	lk_token_b64url("foob", 4, out);
	is_str(out, "Zm9vYg", "b64url: 4 bytes");
	lk_token_b64url(bin, 3, out);
	is_str(out, "-_-_", "b64url: the URL alphabet (- and _, never + and /)");
	lk_token_b64url("", 0, out);
	is_str(out, "", "b64url: empty");
}

static void
test_sip_token(void)
{
	struct lk_attr extra[] = { { "scaidial.tenant", "acme" } };
	struct lk_sip_identity s = {
		.room = "acme-call-42",
		.identity = "sip_+15551230001",
		.name = "Caller \"Bob\" \xc3\xa9",
		.call_id = "SCL_abc123",
		.phone_number = "+15551230001",
		.trunk_phone_number = "+15557654321",
		.call_status = "active",
		.metadata = "{\"call\":42}",
		.extra = extra,
		.n_extra = 1,
	};
	char *tok = lk_token_sip("devkey", "secret", &s, NOW);
	struct parts p;
	struct json_object *attrs, *video;

	ok(tok != NULL, "sip token minted");
	if (tok == NULL)
		return;
	p = split(tok);
	is_int(p.segments, 3, "three dot-separated segments");
	ok(p.charset_ok, "only base64url characters (no padding, no + or /)");
	ok(p.header != NULL, "header decodes to JSON");
	is_str(str_at(p.header, "alg", NULL), "HS256", "header alg HS256");
	is_str(str_at(p.header, "typ", NULL), "JWT", "header typ JWT");
	is_int(size_of(p.header), 2, "header has nothing else");
	ok(p.claims != NULL, "claims decode to JSON");
	is_str(str_at(p.claims, "iss", NULL), "devkey", "iss = API key");
	is_str(str_at(p.claims, "sub", NULL), "sip_+15551230001", "sub = identity");
	is_int(int_at(p.claims, "nbf"), NOW, "nbf = now");
	is_int(int_at(p.claims, "iat"), NOW, "iat = now");
	is_int(int_at(p.claims, "exp"), NOW + 24 * 3600,
	    "exp = now + 24 h (LiveKit SIP's validity)");
	is_str(str_at(p.claims, "name", NULL), "Caller \"Bob\" \xc3\xa9",
	    "name survives quotes and UTF-8");
	is_str(str_at(p.claims, "kind", NULL), "sip", "kind = sip");
	is_str(str_at(p.claims, "metadata", NULL), "{\"call\":42}", "metadata is a string");
	video = get(p.claims, "video");
	is_int(bool_at(p.claims, "video", "roomJoin"), 1, "video.roomJoin");
	is_str(str_at(p.claims, "video", "room"), "acme-call-42", "video.room");
	is_int(bool_at(p.claims, "video", "canPublish"), 1, "video.canPublish");
	is_int(bool_at(p.claims, "video", "canSubscribe"), 1, "video.canSubscribe");
	is_int(bool_at(p.claims, "video", "canPublishData"), 1, "video.canPublishData");
	is_int(bool_at(p.claims, "video", "canUpdateOwnMetadata"), 1,
	    "video.canUpdateOwnMetadata");
	is_int(size_of(video), 6, "no admin grants in a participant token");
	attrs = get(p.claims, "attributes");
	is_str(str_at(attrs, "sip.callID", NULL), "SCL_abc123", "attributes sip.callID");
	is_str(str_at(attrs, "sip.phoneNumber", NULL), "+15551230001", "attributes sip.phoneNumber");
	is_str(str_at(attrs, "sip.trunkPhoneNumber", NULL), "+15557654321",
	    "attributes sip.trunkPhoneNumber");
	is_str(str_at(attrs, "sip.callStatus", NULL), "active", "attributes sip.callStatus");
	is_str(str_at(attrs, "scaidial.tenant", NULL), "acme", "extra attribute");
	is_int(size_of(attrs), 5, "exactly those attributes");
	is_int(size_of(p.claims), 10, "no unexpected top-level claim");
	ok(verify(tok, "secret"), "the signature verifies with the secret");
	ok(!verify(tok, "secreT"), "and not with another secret");
	json_object_put(p.header);
	json_object_put(p.claims);
	free(tok);
}

static void
test_api_token(void)
{
	struct lk_token_claims c = {
		.identity = "",
		.ttl_s = 600,
		.video = { .room = "r1", .room_admin = true, .room_create = true },
	};
	char *tok = lk_token_mint("APIkey", "a-secret-of-32-characters-or-more", &c, NOW);
	struct parts p;

	ok(tok != NULL, "API token (no identity) minted");
	if (tok == NULL)
		return;
	p = split(tok);
	is_int(int_at(p.claims, "exp"), NOW + 600, "exp = now + ttl");
	is_int(bool_at(p.claims, "video", "roomAdmin"), 1, "video.roomAdmin");
	is_int(bool_at(p.claims, "video", "roomCreate"), 1, "video.roomCreate");
	is_int(bool_at(p.claims, "video", "roomJoin"), -1, "no roomJoin");
	is_int(bool_at(p.claims, "video", "canPublish"), 0,
	    "canPublish written as false (absent would mean true)");
	is_int(bool_at(p.claims, "video", "canSubscribe"), 0, "canSubscribe false");
	ok(get(p.claims, "kind") == NULL, "no kind when none given");
	ok(get(p.claims, "attributes") == NULL, "no attributes when none given");
	ok(verify(tok, "a-secret-of-32-characters-or-more"), "verifies");
	json_object_put(p.header);
	json_object_put(p.claims);
	free(tok);
}

static void
test_refusals(void)
{
	char longid[LK_TOKEN_MAX_IDENTITY + 2];
	struct lk_attr bad[] = { { "k", NULL } };
	struct lk_token_claims c = { .identity = "a", .video = { .room_join = true, .room = "r" } };
	char *tok;

	ok((tok = lk_token_mint("", "s", &c, NOW)) == NULL, "refused: empty API key");
	free(tok);
	ok((tok = lk_token_mint("k", "", &c, NOW)) == NULL, "refused: empty secret");
	free(tok);
	c.video.room = NULL;
	ok((tok = lk_token_mint("k", "s", &c, NOW)) == NULL, "refused: roomJoin without a room");
	free(tok);
	c.video.room = "r";
	c.identity = "";
	ok((tok = lk_token_mint("k", "s", &c, NOW)) == NULL, "refused: roomJoin without identity");
	free(tok);
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	c.identity = longid;
	ok((tok = lk_token_mint("k", "s", &c, NOW)) == NULL, "refused: identity over 256 bytes");
	free(tok);
	longid[LK_TOKEN_MAX_IDENTITY] = '\0';
	ok((tok = lk_token_mint("k", "s", &c, NOW)) != NULL, "accepted: identity of 256 bytes");
	free(tok);
	c.identity = "a";
	c.attrs = bad;
	c.n_attrs = 1;
	ok((tok = lk_token_mint("k", "s", &c, NOW)) == NULL, "refused: attribute without value");
	free(tok);
}

/* Bytes a SIP peer controls (a display name) must still give valid JSON claims. */
static void
test_hostile_strings(void)
{
	struct lk_attr a[] = { { "sip.h.x", "a\x01\x7f\xff\xfe\"\\" } };
	struct lk_token_claims c = {
		.identity = "id\n\t", .name = "\xc3\x28 bad utf8", .attrs = a, .n_attrs = 1,
		.video = { .room_join = true, .room = "r\"oom" },
	};
	char *tok = lk_token_mint("k", "s", &c, NOW);
	struct parts p;

	ok(tok != NULL, "hostile strings: minted");
	if (tok == NULL)
		return;
	p = split(tok);
	ok(p.claims != NULL, "hostile strings: claims are still valid JSON");
	is_str(str_at(p.claims, "sub", NULL), "id\n\t", "control characters escaped and restored");
	is_str(str_at(p.claims, "video", "room"), "r\"oom", "quote in room escaped");
	is_str(str_at(p.claims, "name", NULL), "\xef\xbf\xbd( bad utf8",
	    "an invalid UTF-8 byte becomes U+FFFD");
	json_object_put(p.header);
	json_object_put(p.claims);
	free(tok);
}

int
main(void)
{
	test_b64url();
	test_sip_token();
	test_api_token();
	test_refusals();
	test_hostile_strings();
	return tap_done();
}
