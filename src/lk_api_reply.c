/* lk_api_reply: reads the Twirp answers of lk_api.c with json-c. Separate from lk_api.c
 * because json-c's headers and json.c's declare the same names (json_bool). protojson
 * may spell a field in lowerCamel or snake case, an enum as a name or a number, an int64
 * as a string, and omits zero values: the readers accept all of that. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>
#include <json-c/linkhash.h>

#include "lk_api_int.h"
#include "xmalloc.h"

/* A member of a protojson object: the lowerCamel name, else the proto (snake) name. */
static struct json_object *
lk_api_get(struct json_object *o, const char *camel, const char *snake)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(o, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(o, camel, &v) && snake != NULL)
		json_object_object_get_ex(o, snake, &v);
	return v;
}

static const char *
lk_api_str(struct json_object *o, const char *camel, const char *snake)
{
	struct json_object *v = lk_api_get(o, camel, snake);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/* uint32 arrive as numbers, int64 as strings (protojson): either way here. */
static int64_t
lk_api_int(struct json_object *o, const char *camel, const char *snake)
{
	struct json_object *v = lk_api_get(o, camel, snake);

	if (json_object_is_type(v, json_type_int))
		return json_object_get_int64(v);
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return 0;
}

/* An enum as its lowercase name; protojson omits zero values, hence names[0]. */
static void
lk_api_enum(struct json_object *o, const char *key, const char * const *names, size_t n,
    char *out, size_t outlen)
{
	struct json_object *v = lk_api_get(o, key, NULL);
	const char *s = names[0];
	int64_t i64;
	size_t i;

	if (json_object_is_type(v, json_type_string))
		s = json_object_get_string(v);
	else if (json_object_is_type(v, json_type_int)) {
		i64 = json_object_get_int64(v);
		if (i64 >= 0 && (uint64_t)i64 < n)
			s = names[i64];
	}
	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[i] = '\0';
}

struct lk_api_pbuf {
	char		 kind[24];
	char		 state[24];
	struct lk_attr	*attrs;
};

static void
lk_api_participant(struct json_object *o, struct lk_participant *p, struct lk_api_pbuf *pb)
{
	static const char * const kinds[] = { "STANDARD", "INGRESS", "EGRESS", "SIP", "AGENT",
	    "CONNECTOR" };
	static const char * const states[] = { "JOINING", "JOINED", "ACTIVE", "DISCONNECTED" };
	struct json_object *attrs = lk_api_get(o, "attributes", NULL);
	size_t n = 0;

	p->sid = lk_api_str(o, "sid", NULL);
	p->identity = lk_api_str(o, "identity", NULL);
	p->name = lk_api_str(o, "name", NULL);
	p->metadata = lk_api_str(o, "metadata", NULL);
	p->joined_at = lk_api_int(o, "joinedAt", "joined_at");
	lk_api_enum(o, "kind", kinds, 6, pb->kind, sizeof(pb->kind));
	lk_api_enum(o, "state", states, 4, pb->state, sizeof(pb->state));
	p->kind = pb->kind;
	p->state = pb->state;
	if (json_object_is_type(attrs, json_type_object)) {
		pb->attrs = xcalloc((size_t)json_object_object_length(attrs) + 1,
		    sizeof(*pb->attrs));
		json_object_object_foreach(attrs, key, val) {
			if (!json_object_is_type(val, json_type_string))
				continue;
			pb->attrs[n].key = key;
			pb->attrs[n].value = json_object_get_string(val);
			n++;
		}
	}
	p->attrs = pb->attrs;
	p->n_attrs = n;
}

static void
lk_api_room(struct json_object *o, struct lk_room *r)
{
	r->sid = lk_api_str(o, "sid", NULL);
	r->name = lk_api_str(o, "name", NULL);
	r->metadata = lk_api_str(o, "metadata", NULL);
	r->empty_timeout = (unsigned)lk_api_int(o, "emptyTimeout", "empty_timeout");
	r->departure_timeout = (unsigned)lk_api_int(o, "departureTimeout", "departure_timeout");
	r->max_participants = (unsigned)lk_api_int(o, "maxParticipants", "max_participants");
	r->creation_time = lk_api_int(o, "creationTime", "creation_time");
}

static int
lk_api_reply_deliver(enum lk_api_reply reply, struct json_object *doc,
    struct lk_api_result *res, lk_api_cb *cb, void *arg)
{
	struct lk_participant *ps = NULL;
	struct lk_api_pbuf *pbs = NULL;
	struct json_object *arr = NULL;
	struct lk_room room;
	size_t n = 0, i;

	if (!json_object_is_type(doc, json_type_object))
		return -1;
	switch (reply) {
	case LK_REPLY_NONE:
		break;
	case LK_REPLY_ROOM:
		lk_api_room(doc, &room);
		res->room = &room;
		break;
	case LK_REPLY_PARTICIPANT:
	case LK_REPLY_PARTICIPANTS:
		if (reply == LK_REPLY_PARTICIPANTS) {
			/* An empty list is omitted altogether. */
			arr = lk_api_get(doc, "participants", NULL);
			if (arr != NULL && !json_object_is_type(arr, json_type_array))
				return -1;
			n = arr != NULL ? json_object_array_length(arr) : 0;
		} else
			n = 1;
		ps = xcalloc(n + 1, sizeof(*ps));
		pbs = xcalloc(n + 1, sizeof(*pbs));
		for (i = 0; i < n; i++)
			lk_api_participant(arr != NULL ? json_object_array_get_idx(arr, i) : doc,
			    &ps[i], &pbs[i]);
		res->participants = ps;
		res->n_participants = n;
		break;
	}
	res->ok = 1;
	res->error = "";
	cb(res, arg);
	for (i = 0; i < n; i++)
		free(pbs[i].attrs);
	free(pbs);
	free(ps);
	return 0;
}

/* The whole body must be one JSON value; NULL otherwise. */
static struct json_object *
lk_api_parse(const char *body, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *doc;

	if (tok == NULL || len > INT32_MAX)
		return NULL;
	doc = json_tokener_parse_ex(tok, body, (int)len);
	if (doc != NULL && (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len)) {
		json_object_put(doc);
		doc = NULL;
	}
	json_tokener_free(tok);
	return doc;
}

int
lk_api_reply_ok(enum lk_api_reply reply, const char *body, size_t len,
    struct lk_api_result *res, lk_api_cb *cb, void *arg)
{
	struct json_object *doc = lk_api_parse(body, len);
	int rc = lk_api_reply_deliver(reply, doc, res, cb, arg);

	json_object_put(doc);
	return rc;
}

void
lk_api_reply_error(const char *body, size_t len, long status, char *err, size_t errlen)
{
	struct json_object *doc = lk_api_parse(body, len);

	if (lk_api_str(doc, "code", NULL)[0] != '\0')
		snprintf(err, errlen, "twirp %s: %s (HTTP %ld)", lk_api_str(doc, "code", NULL),
		    lk_api_str(doc, "msg", NULL), status);
	else
		snprintf(err, errlen, "HTTP %ld", status);
	json_object_put(doc);
}
