/* lk_api_drive: runs lk_api.c calls on the real control loop, one after another, for
 * tests/integration/lk-api.sh; also mints tokens with lk_token.c.
 *
 *   lk_api_drive -u URL -k KEY -s SECRET STEP...
 *     create:ROOM:EMPTY_TIMEOUT:DEPARTURE_TIMEOUT:MAX_PARTICIPANTS:METADATA
 *     list:ROOM   delete:ROOM
 *     remove:ROOM:IDENTITY   update:ROOM:IDENTITY:KEY=VALUE
 *   lk_api_drive -k KEY -s SECRET sip-token ROOM IDENTITY NAME CALL_ID PHONE TRUNK_PHONE
 *     (minted "now", or at the unix time in $LK_TOKEN_NOW)
 *
 * Each step prints "step N METHOD ok" or "step N METHOD error=TEXT", then what it returned:
 *   room sid=... name=... empty_timeout=... departure_timeout=... max_participants=...
 *       metadata=...
 *   participants N
 *   participant identity=... kind=... state=... name=... attr:KEY=VALUE ... */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "http.h"
#include "lk_api.h"
#include "lk_token.h"
#include "log.h"
#include "loop.h"

static struct config_livekit lk;
static char **steps;
static int n_steps, cur;
static const char *cur_method;
static int failures;

static void	next_step(void);

static void
print_participant(const struct lk_participant *p)
{
	size_t i;

	printf("participant identity=%s kind=%s state=%s sid=%s name=%s", p->identity, p->kind,
	    p->state, p->sid, p->name);
	for (i = 0; i < p->n_attrs; i++)
		printf(" attr:%s=%s", p->attrs[i].key, p->attrs[i].value);
	printf("\n");
}

static void
step_done(const struct lk_api_result *r, void *arg)
{
	size_t i;

	(void)arg;
	if (r->ok)
		printf("step %d %s ok elapsed_ms=%lld\n", cur, cur_method, (long long)r->elapsed_ms);
	else {
		printf("step %d %s error=%s\n", cur, cur_method, r->error);
		failures++;
	}
	if (r->room != NULL)
		printf("room sid=%s name=%s empty_timeout=%u departure_timeout=%u "
		    "max_participants=%u metadata=%s\n", r->room->sid, r->room->name,
		    r->room->empty_timeout, r->room->departure_timeout,
		    r->room->max_participants, r->room->metadata);
	if (r->participants != NULL && strcmp(cur_method, "list") == 0)
		printf("participants %zu\n", r->n_participants);
	for (i = 0; i < r->n_participants; i++)
		print_participant(&r->participants[i]);
	fflush(stdout);
	cur++;
	next_step();
}

/* Splits s at ':' into at most max fields (the last keeps any further ':'). */
static int
fields(char *s, char **f, int max)
{
	int n = 0;

	while (n < max - 1) {
		char *c = strchr(s, ':');

		f[n++] = s;
		if (c == NULL)
			return n;
		*c = '\0';
		s = c + 1;
	}
	f[n++] = s;
	return n;
}

static void
next_step(void)
{
	char *f[6];
	int n, rc = -1;

	if (cur >= n_steps) {
		loop_stop();
		return;
	}
	n = fields(steps[cur], f, 6);
	cur_method = f[0];
	if (strcmp(f[0], "create") == 0 && n == 6) {
		struct lk_room_opts o = { .name = f[1], .empty_timeout = (unsigned)atoi(f[2]),
		    .departure_timeout = (unsigned)atoi(f[3]),
		    .max_participants = (unsigned)atoi(f[4]), .metadata = f[5] };

		rc = lk_api_create_room(&lk, &o, step_done, NULL);
	} else if (strcmp(f[0], "list") == 0 && n == 2)
		rc = lk_api_list_participants(&lk, f[1], step_done, NULL);
	else if (strcmp(f[0], "delete") == 0 && n == 2)
		rc = lk_api_delete_room(&lk, f[1], step_done, NULL);
	else if (strcmp(f[0], "remove") == 0 && n == 3)
		rc = lk_api_remove_participant(&lk, f[1], f[2], step_done, NULL);
	else if (strcmp(f[0], "update") == 0 && n == 4) {
		char *eq = strchr(f[3], '=');
		struct lk_attr a = { f[3], eq != NULL ? eq + 1 : "" };

		if (eq != NULL)
			*eq = '\0';
		rc = lk_api_update_participant(&lk, f[1], f[2], NULL, &a, 1, step_done, NULL);
	}
	if (rc != 0) {
		printf("step %d %s refused\n", cur, f[0]);
		failures++;
		cur++;
		next_step();
	}
}

static int
sip_token(char **a)
{
	struct lk_sip_identity s = {
		.room = a[0], .identity = a[1], .name = a[2], .call_id = a[3],
		.phone_number = a[4], .trunk_phone_number = a[5], .call_status = "active",
	};
	const char *now = getenv("LK_TOKEN_NOW");
	char *tok = lk_token_sip(lk.api_key, lk.api_secret, &s,
	    now != NULL ? (int64_t)atoll(now) : (int64_t)time(NULL));

	if (tok == NULL)
		return 1;
	printf("%s\n", tok);
	free(tok);
	return 0;
}

int
main(int argc, char **argv)
{
	int i;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (strcmp(argv[i], "-u") == 0)
			lk.url = argv[i + 1];
		else if (strcmp(argv[i], "-k") == 0)
			lk.api_key = argv[i + 1];
		else if (strcmp(argv[i], "-s") == 0)
			lk.api_secret = argv[i + 1];
		else
			break;
	}
	if (i < argc && strcmp(argv[i], "sip-token") == 0 && argc - i == 7)
		return sip_token(argv + i + 1);
	if (lk.url == NULL || lk.api_key == NULL || lk.api_secret == NULL || i >= argc) {
		fprintf(stderr, "usage: see the comment at the top of lk_api_drive.c\n");
		return 2;
	}
	steps = argv + i;
	n_steps = argc - i;
	log_init("lk_api_drive", 1);
	log_set_level(LOG_LVL_DEBUG);
	if (loop_init() != 0 || http_init() != 0)
		return 2;
	next_step();
	if (cur < n_steps)
		loop_run();
	http_fini();
	loop_free();
	return failures ? 1 : 0;
}
