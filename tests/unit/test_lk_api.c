/* test_lk_api: the pure parts of the RoomService client: the base URL derived from
 * livekit.url, and the reading of Twirp answers (bodies as livekit-server 1.13.5 sent them
 * in tests/integration/lk-api.sh, and protojson's other spellings). */
#include "lk_api.h"
#include "lk_api_int.h"
#include "tap.h"

static struct lk_api_result got;
static int calls;
static char kind[32], state[32], identity[64], attrs[256], room[64];
static long long joined_at;
static int have_array;		/* participants was not NULL */

static void
capture(const struct lk_api_result *r, void *arg)
{
	size_t i;

	(void)arg;
	calls++;
	got = *r;	/* its pointers die with the callback: copy what is checked */
	have_array = r->participants != NULL;
	joined_at = r->n_participants > 0 ? (long long)r->participants[0].joined_at : 0;
	attrs[0] = kind[0] = state[0] = identity[0] = room[0] = '\0';
	if (r->room != NULL)
		snprintf(room, sizeof(room), "%s/%s/%u/%u/%u/%s/%lld", r->room->sid, r->room->name,
		    r->room->empty_timeout, r->room->departure_timeout, r->room->max_participants,
		    r->room->metadata, (long long)r->room->creation_time);
	if (r->n_participants > 0) {
		snprintf(kind, sizeof(kind), "%s", r->participants[0].kind);
		snprintf(state, sizeof(state), "%s", r->participants[0].state);
		snprintf(identity, sizeof(identity), "%s", r->participants[0].identity);
		for (i = 0; i < r->participants[0].n_attrs; i++)
			snprintf(attrs + strlen(attrs), sizeof(attrs) - strlen(attrs), "%s=%s;",
			    r->participants[0].attrs[i].key, r->participants[0].attrs[i].value);
	}
}

static int
parse(enum lk_api_reply kind_, const char *body)
{
	struct lk_api_result r = { .status = 200 };

	calls = 0;
	memset(&got, 0, sizeof(got));
	return lk_api_reply_ok(kind_, body, strlen(body), &r, capture, NULL);
}

static void
test_base_url(void)
{
	char out[64];

	ok(lk_api_base_url("ws://127.0.0.1:7880", out, sizeof(out)) == 0, "ws:// accepted");
	is_str(out, "http://127.0.0.1:7880", "ws:// becomes http://");
	lk_api_base_url("wss://lk.example.com/", out, sizeof(out));
	is_str(out, "https://lk.example.com", "wss:// becomes https://, trailing / dropped");
	lk_api_base_url("https://lk.example.com/prefix//", out, sizeof(out));
	is_str(out, "https://lk.example.com/prefix", "https:// kept with its path");
	ok(lk_api_base_url("ftp://x", out, sizeof(out)) == -1, "other schemes refused");
	ok(lk_api_base_url("ws://", out, sizeof(out)) == -1, "no host refused");
	ok(lk_api_base_url(NULL, out, sizeof(out)) == -1, "NULL refused");
	ok(lk_api_base_url("ws://a-rather-long-host-name.example.com:7880", out, 16) == -1,
	    "too long for the buffer: refused, not truncated");
}

static void
test_replies(void)
{
	static const char twirp_err[] =
	    "{\"code\":\"not_found\",\"msg\":\"requested room does not exist\"}";
	char err[256];

	is_int(parse(LK_REPLY_ROOM, "{\"sid\":\"RM_F32SNduVj8Cq\",\"name\":\"room1\","
	    "\"emptyTimeout\":300,\"departureTimeout\":20,\"maxParticipants\":5,"
	    "\"creationTime\":\"1795550060\",\"enabledCodecs\":[{\"mime\":\"audio/opus\"}],"
	    "\"metadata\":\"meta1\"}"), 0, "a Room (lowerCamel, int64 as a string)");
	is_str(room, "RM_F32SNduVj8Cq/room1/300/20/5/meta1/1795550060", "... every field read");
	is_int(got.ok, 1, "... ok");

	parse(LK_REPLY_ROOM, "{\"sid\":\"RM_1\",\"name\":\"r\",\"empty_timeout\":7,"
	    "\"max_participants\":2,\"creation_time\":42}");
	is_str(room, "RM_1/r/7/0/2//42", "a Room in snake case, absent fields empty or 0");

	parse(LK_REPLY_PARTICIPANTS, "{\"participants\":[{\"sid\":\"PA_7xUzeScFz2AU\","
	    "\"identity\":\"sip_+15551230001\",\"state\":\"ACTIVE\",\"joinedAt\":\"1795550006\","
	    "\"name\":\"Bob Caller\",\"kind\":\"SIP\",\"attributes\":{\"sip.callID\":\"SCL_1\","
	    "\"sip.callStatus\":\"active\"}}]}");
	is_int(got.n_participants, 1, "ListParticipants: one participant");
	is_str(identity, "sip_+15551230001", "... identity");
	is_str(kind, "sip", "... kind SIP reported lowercase");
	is_str(state, "active", "... state ACTIVE reported lowercase");
	is_str(attrs, "sip.callID=SCL_1;sip.callStatus=active;", "... attributes in order");
	is_int(joined_at, 1795550006, "... joined_at from an int64 string");

	parse(LK_REPLY_PARTICIPANTS, "{}");
	is_int(calls, 1, "an empty room: protojson omits the list, still one callback");
	is_int(got.n_participants, 0, "... with no participant");
	ok(have_array, "... and a non-NULL (empty) array");

	parse(LK_REPLY_PARTICIPANTS, "{\"participants\":[{\"identity\":\"a\",\"kind\":4,"
	    "\"state\":2,\"attributes\":{\"n\":1,\"s\":\"x\"}},{\"identity\":\"b\"}]}");
	is_int(got.n_participants, 2, "two participants");
	is_str(kind, "agent", "an enum as a number (4 = AGENT)");
	is_str(state, "active", "state 2 = ACTIVE");
	is_str(attrs, "s=x;", "a non-string attribute value is skipped");

	parse(LK_REPLY_PARTICIPANTS, "{\"participants\":[{\"identity\":\"c\"}]}");
	is_str(kind, "standard", "kind omitted (zero value) = standard");
	is_str(state, "joining", "state omitted (zero value) = joining");

	parse(LK_REPLY_PARTICIPANT, "{\"identity\":\"d\",\"kind\":\"AGENT\",\"attributes\":"
	    "{\"sip.callStatus\":\"hangup\"}}");
	is_str(identity, "d", "UpdateParticipant: the participant itself");
	is_str(attrs, "sip.callStatus=hangup;", "... its attributes");

	is_int(parse(LK_REPLY_NONE, "{}"), 0, "DeleteRoom's empty answer");
	is_int(parse(LK_REPLY_PARTICIPANTS, "{\"participants\":{}}"), -1,
	    "participants that is not an array: refused");
	is_int(calls, 0, "... without a callback");
	is_int(parse(LK_REPLY_ROOM, "[1]"), -1, "not an object: refused");
	is_int(parse(LK_REPLY_ROOM, "{\"sid\":\"RM_1\"} trailing"), -1, "trailing bytes: refused");
	is_int(parse(LK_REPLY_ROOM, ""), -1, "empty body: refused");

	lk_api_reply_error(twirp_err, strlen(twirp_err), 404, err, sizeof(err));
	is_str(err, "twirp not_found: requested room does not exist (HTTP 404)", "a Twirp error");
	lk_api_reply_error("invalid token: ...", strlen("invalid token: ..."), 401, err,
	    sizeof(err));
	is_str(err, "HTTP 401", "a plain-text error: the status");
}

int
main(void)
{
	test_base_url();
	test_replies();
	return tap_done();
}
