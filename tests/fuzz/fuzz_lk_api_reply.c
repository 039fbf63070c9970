/* fuzz_lk_api_reply: src/lk_api_reply.c reads whatever the host in livekit.url answers.
 * Every input is read as each kind of reply and as an error body; the callback touches
 * every string and attribute it is given, so a bad pointer shows up under ASan. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lk_api_int.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static size_t sink;

static void
touch(const char *s)
{
	sink += strlen(s);
}

static void
fuzz_cb(const struct lk_api_result *r, void *arg)
{
	size_t i, k;

	(void)arg;
	touch(r->error);
	if (r->room != NULL) {
		touch(r->room->sid);
		touch(r->room->name);
		touch(r->room->metadata);
		sink += r->room->empty_timeout + r->room->max_participants;
	}
	for (i = 0; i < r->n_participants; i++) {
		const struct lk_participant *p = &r->participants[i];

		touch(p->sid);
		touch(p->identity);
		touch(p->name);
		touch(p->kind);
		touch(p->state);
		touch(p->metadata);
		for (k = 0; k < p->n_attrs; k++) {
			touch(p->attrs[k].key);
			touch(p->attrs[k].value);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *body = malloc(size + 1), err[512];
	enum lk_api_reply kinds[] = { LK_REPLY_NONE, LK_REPLY_ROOM, LK_REPLY_PARTICIPANTS,
	    LK_REPLY_PARTICIPANT };
	size_t i;

	if (body == NULL)
		return 0;
	memcpy(body, data, size);
	body[size] = '\0';	/* http.c's bodies are NUL-terminated */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		struct lk_api_result res = { .status = 200, .error = "" };

		lk_api_reply_ok(kinds[i], body, size, &res, fuzz_cb, NULL);
	}
	lk_api_reply_error(body, size, 404, err, sizeof(err));
	touch(err);
	free(body);
	return 0;
}
