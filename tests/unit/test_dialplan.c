/* Unit tests of dialplan_decide: priority order, caller and DID patterns, time windows
 * across DST changes and midnight, every on_no_answer chain and its bound, unknown DIDs
 * and calls no rule takes. Configs are built by hand (each matcher alone) and from
 * libconfig text through config_load_string (the way the daemon gets them). */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "config.h"
#include "dialplan.h"
#include "strmap.h"
#include "tap.h"
#include "timewin.h"
#include "tz.h"

static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi };

	return (int64_t)timegm(&tm);
}

/* 2026-03-09 is the Monday after spring-forward in New York (UTC-4 from 2026-03-08). */
#define SPRING_MON_1300Z	utc(2026, 3, 9, 13, 0)
#define WINTER_MON_1400Z	utc(2026, 1, 5, 14, 0)

/* ---- configs built by hand ---- */

#define MAX_RULES	16

struct hand {
	struct config	 cfg;
	struct tenant	 tenant;
	struct extension ext[3];
	struct dialplan	 dp[2];
	struct did	 did[2];
	struct tz	*ny, *london;
};

static void
hand_init(struct hand *h)
{
	char err[256];

	memset(h, 0, sizeof(*h));
	h->cfg.refs = 1;
	h->cfg.arena = arena_new();
	h->cfg.idx_did = strmap_new(4);
	h->tenant.id = "acme";
	for (int i = 0; i < 3; i++) {
		h->ext[i].tenant = &h->tenant;
		h->ext[i].voicemail = true;
	}
	h->ext[0].id = "1001";
	h->ext[1].id = "2001";
	h->ext[2].id = "3001";
	if (tz_load("America/New_York", &h->ny, err, sizeof(err)) == -1 ||
	    tz_load("Europe/London", &h->london, err, sizeof(err)) == -1) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	h->did[0].number = "+15551230001";
	h->did[0].dialplan = &h->dp[0];
	h->did[1].number = "+442079460018";
	h->did[1].dialplan = &h->dp[1];
	h->dp[0].id = "main";
	h->dp[1].id = "uk";
	for (int i = 0; i < 2; i++) {
		h->dp[i].tenant = &h->tenant;
		h->dp[i].rules = arena_alloc(h->cfg.arena, MAX_RULES * sizeof(struct rule));
		strmap_put(h->cfg.idx_did, h->did[i].number, &h->did[i]);
	}
	h->cfg.dids = h->did;
	h->cfg.n_dids = 2;
	h->cfg.dialplans = h->dp;
	h->cfg.n_dialplans = 2;
}

static void
hand_free(struct hand *h)
{
	for (int i = 0; i < 2; i++) {
		/* All slots: tests shorten n_rules to drop rules. */
		for (size_t k = 0; k < MAX_RULES; k++) {
			if (h->dp[i].rules[k].has_caller)
				regfree(&h->dp[i].rules[k].caller_re);
			if (h->dp[i].rules[k].has_did)
				regfree(&h->dp[i].rules[k].did_re);
		}
	}
	tz_free(h->ny);
	tz_free(h->london);
	strmap_free(h->cfg.idx_did);
	arena_free(h->cfg.arena);
}

/* Appends a rule; rules must be added in priority order, as the loader sorts them. */
static struct rule *
add_rule(struct hand *h, int dp, int prio, enum action a)
{
	struct rule *r;

	if (h->dp[dp].n_rules == MAX_RULES)
		exit(2);
	r = &h->dp[dp].rules[h->dp[dp].n_rules++];

	r->priority = prio;
	r->action = a;
	r->status = 603;
	r->timeout = 30;
	return r;
}

static struct rule *
add_ring(struct hand *h, int dp, int prio, int ext, enum no_answer na)
{
	struct rule *r = add_rule(h, dp, prio, ACTION_RING_EXTENSION);

	r->extension = &h->ext[ext];
	r->timeout = 20 + prio;
	r->on_no_answer = na;
	return r;
}

static void
set_caller(struct rule *r, const char *re)
{
	if (regcomp(&r->caller_re, re, REG_EXTENDED | REG_NOSUB) != 0)
		exit(2);
	r->has_caller = true;
}

static void
set_did(struct rule *r, const char *re)
{
	if (regcomp(&r->did_re, re, REG_EXTENDED | REG_NOSUB) != 0)
		exit(2);
	r->has_did = true;
}

static void
set_window(struct hand *h, struct rule *r, const char *win, const struct tz *z)
{
	char err[256];

	if (r->windows == NULL)
		r->windows = arena_alloc(h->cfg.arena, 4 * sizeof(*r->windows));
	if (timewin_parse(win, &r->windows[r->n_windows++], err, sizeof(err)) == -1) {
		printf("Bail out! %s\n", err);
		exit(1);
	}
	r->tz = z;
}

static enum dialplan_result
decide(const struct config *cfg, const char *did, const char *caller, int64_t now,
    struct dialplan_decision *d)
{
	struct dialplan_request req = { .did = did, .caller = caller, .now = now };

	return dialplan_decide(cfg, &req, d);
}

/* The decision's steps as text, e.g. "ring:1001/45 voicemail:1001", for one-line checks. */
static const char *
steps_str(const struct dialplan_decision *d)
{
	static char buf[512];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < d->n_steps && n < sizeof(buf) - 64; i++) {
		const struct dialplan_step *s = &d->steps[i];
		const char *sep = i ? " " : "";

		switch (s->action) {
		case ACTION_RING_EXTENSION:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sring:%s/%d", sep,
			    s->extension ? s->extension->id : "?", s->timeout);
			break;
		case ACTION_VOICEMAIL:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%svoicemail:%s", sep,
			    s->extension ? s->extension->id : "?");
			break;
		case ACTION_HANGUP:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%shangup:%d", sep,
			    s->status);
			break;
		case ACTION_FORWARD:
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%sforward:%s/%s", sep,
			    s->target ? s->target : "?", config_forward_method_name(s->method));
			break;
		}
	}
	return buf;
}

static void
decides(const struct config *cfg, const char *did, const char *caller, int64_t now,
    const char *want, const char *what)
{
	struct dialplan_decision d;
	enum dialplan_result rc = decide(cfg, did, caller, now, &d);

	if (rc != DIALPLAN_OK) {
		ok(0, "%s: %s", what, want);
		printf("#   result %s\n", dialplan_result_name(rc));
		return;
	}
	is_str(steps_str(&d), want, "%s", what);
}

static void
test_order_and_matchers(void)
{
	struct hand h;
	struct dialplan_decision d;
	struct rule *r;

	hand_init(&h);
	r = add_rule(&h, 0, 10, ACTION_HANGUP);
	set_caller(r, "^\\+1555999");
	r = add_ring(&h, 0, 20, 0, NOANSWER_VOICEMAIL);
	set_window(&h, r, "mon-fri 09:00-17:30", h.ny);
	r = add_ring(&h, 0, 30, 1, NOANSWER_HANGUP);
	set_did(r, "^\\+1555123000[12]$");
	add_rule(&h, 0, 100, ACTION_VOICEMAIL)->extension = &h.ext[0];

	decides(&h.cfg, "+15551230001", "+15559990000", SPRING_MON_1300Z, "hangup:603",
	    "the first rule wins over later matching ones");
	decides(&h.cfg, "+15551230001", "+15550000000", SPRING_MON_1300Z,
	    "ring:1001/40 voicemail:1001", "a caller the pattern refuses goes on to rule 20");
	decides(&h.cfg, "+15551230001", "", SPRING_MON_1300Z, "ring:1001/40 voicemail:1001",
	    "an anonymous caller never matches a caller pattern");
	decides(&h.cfg, "+15551230001", NULL, SPRING_MON_1300Z, "ring:1001/40 voicemail:1001",
	    "a NULL caller is anonymous too");
	decides(&h.cfg, "+15551230001", "anonymous", SPRING_MON_1300Z,
	    "ring:1001/40 voicemail:1001", "a non-numeric caller is matched as text");
	decides(&h.cfg, "+15551230001", "x+15559990000", SPRING_MON_1300Z,
	    "ring:1001/40 voicemail:1001", "the caller pattern is anchored as written");

	/* Rule 20 only in office hours, New York time. */
	decides(&h.cfg, "+15551230001", "+15550000000", SPRING_MON_1300Z - 60,
	    "ring:2001/50 hangup:480", "08:59 EDT on the Monday after spring-forward: closed");
	decides(&h.cfg, "+15551230001", "+15550000000", WINTER_MON_1400Z,
	    "ring:1001/40 voicemail:1001", "09:00 EST on a winter Monday (14:00Z): open");
	decides(&h.cfg, "+15551230001", "+15550000000", WINTER_MON_1400Z - 60,
	    "ring:2001/50 hangup:480", "08:59 EST (13:59Z): closed");
	decides(&h.cfg, "+15551230001", "+15550000000", utc(2026, 3, 9, 21, 29),
	    "ring:1001/40 voicemail:1001", "17:29 EDT: open");
	decides(&h.cfg, "+15551230001", "+15550000000", utc(2026, 3, 9, 21, 30),
	    "ring:2001/50 hangup:480", "17:30 EDT: closed");
	decides(&h.cfg, "+15551230001", "+15550000000", utc(2026, 3, 14, 15, 0),
	    "ring:2001/50 hangup:480", "Saturday: closed");
	decides(&h.cfg, "+15551230001", "+15550000000", utc(2026, 11, 2, 14, 0),
	    "ring:1001/40 voicemail:1001", "09:00 EST on the Monday after fall-back: open");
	decides(&h.cfg, "+15551230001", "+15550000000", utc(2026, 11, 2, 13, 0),
	    "ring:2001/50 hangup:480", "08:00 EST (would be 09:00 EDT): closed");

	/* DID pattern: on the normalised number, however the carrier wrote it. */
	decides(&h.cfg, "15551230001", "+15550000000", utc(2026, 3, 14, 15, 0),
	    "ring:2001/50 hangup:480", "DID without '+' is found and matched normalised");
	decides(&h.cfg, "001 (555) 123-0001", "+15550000000", utc(2026, 3, 14, 15, 0),
	    "ring:2001/50 hangup:480", "DID with 00 and separators");
	ok(decide(&h.cfg, "+15551230001", "+15550000000", utc(2026, 3, 14, 15, 0), &d) ==
	    DIALPLAN_OK && d.did == &h.did[0] && d.dialplan == &h.dp[0] &&
	    d.steps[0].rule == &h.dp[0].rules[2] && d.steps[1].rule == &h.dp[0].rules[2],
	    "decision names the DID, the dialplan and the rule of each step");

	r = &h.dp[0].rules[2];
	ok(dialplan_rule_matches(r, "+15551230002", "", 0), "did pattern: +15551230002 matches");
	ok(!dialplan_rule_matches(r, "+15551230003", "", 0), "did pattern: +15551230003 not");
	ok(dialplan_rule_matches(r, "+1 (555) 123-0002", "", 0),
	    "did pattern: normalised before matching");
	ok(!dialplan_rule_matches(r, NULL, "", 0), "did pattern: no DID, no match");
	ok(dialplan_rule_matches(&h.dp[0].rules[3], NULL, NULL, 0),
	    "a rule without matchers always matches");
	hand_free(&h);

	/* A pattern that would accept the empty string still wants a caller. */
	hand_init(&h);
	set_caller(add_rule(&h, 0, 10, ACTION_HANGUP), "^[^+]*$");
	add_rule(&h, 0, 20, ACTION_VOICEMAIL)->extension = &h.ext[0];
	decides(&h.cfg, "+15551230001", "", 0, "voicemail:1001",
	    "an empty caller does not match a caller pattern that accepts \"\"");
	decides(&h.cfg, "+15551230001", "1001", 0, "hangup:603",
	    "a short internal caller matches it");
	decides(&h.cfg, "+15551230001", "+15550000000", 0, "voicemail:1001",
	    "an E.164 caller does not");
	hand_free(&h);
}

static void
test_did_pattern_rule(void)
{
	struct hand h;

	hand_init(&h);
	/* The same dialplan for two DIDs; a did pattern splits them. */
	h.did[1].dialplan = &h.dp[0];
	set_did(add_rule(&h, 0, 10, ACTION_HANGUP), "^\\+44");
	h.dp[0].rules[0].status = 404;
	add_rule(&h, 0, 20, ACTION_FORWARD)->target = "+15557654321";
	h.dp[0].rules[1].method = FORWARD_BRIDGE;
	decides(&h.cfg, "+442079460018", "+15550000000", 0, "hangup:404",
	    "the did pattern takes the UK number");
	decides(&h.cfg, "0044 20 7946 0018", "+15550000000", 0, "hangup:404",
	    "also when the carrier writes it with 00");
	decides(&h.cfg, "+15551230001", "+15550000000", 0, "forward:+15557654321/bridge",
	    "the US number falls through to the forward");
	hand_free(&h);
}

static void
test_midnight(void)
{
	struct hand h;
	struct rule *r;

	hand_init(&h);
	r = add_rule(&h, 1, 10, ACTION_VOICEMAIL);
	r->extension = &h.ext[2];
	set_window(&h, r, "fri 22:00-06:00", h.london);
	set_window(&h, r, "sat-sun", h.london);
	add_ring(&h, 1, 20, 0, NOANSWER_HANGUP);

	/* 2026-03-27 is a Friday; London is on GMT until Sunday 29 March 01:00Z. */
	decides(&h.cfg, "+442079460018", "", utc(2026, 3, 26, 23, 0), "ring:1001/40 hangup:480",
	    "Thursday 23:00: Friday's night has not begun");
	decides(&h.cfg, "+442079460018", "", utc(2026, 3, 27, 21, 59), "ring:1001/40 hangup:480",
	    "Friday 21:59: not yet");
	decides(&h.cfg, "+442079460018", "", utc(2026, 3, 27, 22, 0), "voicemail:3001",
	    "Friday 22:00: night window");
	decides(&h.cfg, "+442079460018", "", utc(2026, 3, 28, 5, 59), "voicemail:3001",
	    "Saturday 05:59: still Friday's night (and Saturday)");
	decides(&h.cfg, "+442079460018", "", utc(2026, 3, 30, 0, 30), "ring:1001/40 hangup:480",
	    "Monday 01:30 BST: the weekend is over");
	decides(&h.cfg, "+442079460018", "", utc(2026, 3, 29, 22, 59), "voicemail:3001",
	    "Sunday 23:59 BST: weekend");
	decides(&h.cfg, "+442079460018", "", utc(2026, 3, 29, 23, 0), "ring:1001/40 hangup:480",
	    "Monday 00:00 BST (23:00Z Sunday): not the weekend any more");
	hand_free(&h);
}

static void
test_chains(void)
{
	struct hand h;
	struct dialplan_decision d;
	struct rule *r;

	hand_init(&h);
	/* ring 1001, continue (rule 20 only for +1555999 callers), ring 2001, voicemail */
	add_ring(&h, 0, 10, 0, NOANSWER_CONTINUE);
	set_caller(add_ring(&h, 0, 20, 2, NOANSWER_HANGUP), "^\\+1555999");
	add_ring(&h, 0, 30, 1, NOANSWER_VOICEMAIL);
	add_rule(&h, 0, 40, ACTION_HANGUP);
	decides(&h.cfg, "+15551230001", "+15550000000", 0,
	    "ring:1001/30 ring:2001/50 voicemail:2001",
	    "continue skips a rule that does not match and takes the next that does");
	decides(&h.cfg, "+15551230001", "+15559990000", 0,
	    "ring:1001/30 ring:3001/40 hangup:480", "continue takes a matching rule 20");
	ok(decide(&h.cfg, "+15551230001", "+15550000000", 0, &d) == DIALPLAN_OK &&
	    d.n_steps == 3 && d.steps[0].rule == &h.dp[0].rules[0] &&
	    d.steps[1].rule == &h.dp[0].rules[2] && d.steps[2].rule == &h.dp[0].rules[2],
	    "each chained step names its own rule");
	hand_free(&h);

	/* continue into a final action */
	hand_init(&h);
	add_ring(&h, 0, 10, 0, NOANSWER_CONTINUE);
	r = add_rule(&h, 0, 20, ACTION_FORWARD);
	r->target = "sip:reception@pbx.example";
	r->method = FORWARD_REFER;
	decides(&h.cfg, "+15551230001", "", 0,
	    "ring:1001/30 forward:sip:reception@pbx.example/refer", "continue into a forward");
	h.dp[0].rules[1].action = ACTION_HANGUP;
	h.dp[0].rules[1].status = 486;
	decides(&h.cfg, "+15551230001", "", 0, "ring:1001/30 hangup:486",
	    "continue into a hangup keeps its status");
	h.dp[0].rules[1].action = ACTION_VOICEMAIL;
	h.dp[0].rules[1].extension = &h.ext[1];
	decides(&h.cfg, "+15551230001", "", 0, "ring:1001/30 voicemail:2001",
	    "continue into another extension's voicemail");
	hand_free(&h);

	/* continue with nothing after it */
	hand_init(&h);
	add_ring(&h, 0, 10, 0, NOANSWER_CONTINUE);
	set_caller(add_rule(&h, 0, 20, ACTION_VOICEMAIL), "^\\+44");
	h.dp[0].rules[1].extension = &h.ext[0];
	decides(&h.cfg, "+15551230001", "+15550000000", 0, "ring:1001/30 hangup:480",
	    "continue with no later matching rule ends in 480");
	h.dp[0].n_rules = 1;
	decides(&h.cfg, "+15551230001", "+15550000000", 0, "ring:1001/30 hangup:480",
	    "continue on the last rule ends in 480");
	hand_free(&h);

	/* the bound: ten rings that all continue */
	hand_init(&h);
	for (int i = 0; i < 10; i++)
		add_ring(&h, 0, 10 + i, i % 3, NOANSWER_CONTINUE);
	ok(decide(&h.cfg, "+15551230001", "", 0, &d) == DIALPLAN_OK &&
	    d.n_steps == DIALPLAN_MAX_STEPS, "a long continue chain fills DIALPLAN_MAX_STEPS");
	is_str(steps_str(&d), "ring:1001/30 ring:2001/31 ring:3001/32 ring:1001/33 "
	    "ring:2001/34 ring:3001/35 ring:1001/36 hangup:480",
	    "and still ends in a final step");
	h.dp[0].rules[9].on_no_answer = NOANSWER_VOICEMAIL;
	h.dp[0].n_rules = 7;
	h.dp[0].rules[6].on_no_answer = NOANSWER_VOICEMAIL;
	is_str((decide(&h.cfg, "+15551230001", "", 0, &d), steps_str(&d)),
	    "ring:1001/30 ring:2001/31 ring:3001/32 ring:1001/33 ring:2001/34 ring:3001/35 "
	    "ring:1001/36 voicemail:1001", "seven rings and a voicemail fit exactly");
	hand_free(&h);
}

static void
test_no_did_no_rule(void)
{
	struct hand h;
	struct dialplan_decision d;

	hand_init(&h);
	set_caller(add_rule(&h, 0, 10, ACTION_HANGUP), "^\\+44");
	set_window(&h, add_rule(&h, 0, 20, ACTION_HANGUP), "sat-sun", h.ny);
	is_int(decide(&h.cfg, "+15551239999", "+15550000000", 0, &d), DIALPLAN_NO_DID,
	    "an unknown DID");
	ok(d.n_steps == 0 && d.did == NULL, "leaves no steps and no DID");
	is_int(decide(&h.cfg, "sip:1001@evil", "", 0, &d), DIALPLAN_NO_DID, "a non-number DID");
	is_int(decide(&h.cfg, "", "", 0, &d), DIALPLAN_NO_DID, "an empty DID");
	is_int(decide(&h.cfg, NULL, "", 0, &d), DIALPLAN_NO_DID, "a NULL DID");
	is_int(decide(&h.cfg, "+15551230001", "+15550000000", WINTER_MON_1400Z, &d),
	    DIALPLAN_NO_RULE, "no rule takes a weekday call from +1");
	ok(d.n_steps == 0 && d.did == &h.did[0] && d.dialplan == &h.dp[0],
	    "the decision still names the DID and dialplan");
	is_int(decide(&h.cfg, "+15551230001", "+15550000000", utc(2026, 1, 10, 14, 0), &d),
	    DIALPLAN_OK, "a Saturday call is taken by rule 20");
	h.did[0].dialplan = NULL;
	is_int(decide(&h.cfg, "+15551230001", "", 0, &d), DIALPLAN_NO_RULE,
	    "a DID without a dialplan");
	is_str(dialplan_result_name(DIALPLAN_OK), "ok", "result name ok");
	is_str(dialplan_result_name(DIALPLAN_NO_DID), "no_did", "result name no_did");
	is_str(dialplan_result_name(DIALPLAN_NO_RULE), "no_rule", "result name no_rule");
	hand_free(&h);

	/* A window without a zone is read in UTC. */
	hand_init(&h);
	set_window(&h, add_rule(&h, 0, 10, ACTION_HANGUP), "mon 09:00-10:00", NULL);
	is_int(decide(&h.cfg, "+15551230001", "", WINTER_MON_1400Z - 5 * 3600, &d),
	    DIALPLAN_OK, "zone-less window: Monday 09:00 UTC");
	is_int(decide(&h.cfg, "+15551230001", "", WINTER_MON_1400Z, &d), DIALPLAN_NO_RULE,
	    "zone-less window: Monday 14:00 UTC");
	hand_free(&h);
}

/* ---- configs from libconfig text ---- */

static const char conf[] =
    "general: { sip_listen = [ \"udp:127.0.0.1:5060\" ]; database = \"/tmp/x.db\";\n"
    "  timezone = \"Europe/London\"; };\n"
    "livekit: { url = \"ws://127.0.0.1:7880\"; api_key = \"k\"; api_secret = \"s\"; };\n"
    "webhooks: { secret = \"x\"; wave_ring = \"http://127.0.0.1:1/r\";\n"
    "  bot_kickoff = \"http://127.0.0.1:1/b\"; };\n"
    "tenants = ( { id = \"acme\"; policy = { outbound_allow = [ \"+1*\" ]; }; } );\n"
    "trunks = ( { id = \"t1\"; tenant = \"acme\"; mode = \"peer\";\n"
    "  address = \"sip:192.0.2.1\"; allowed_addresses = [ \"192.0.2.0/24\" ]; } );\n"
    "extensions = (\n"
    "  { id = \"1001\"; tenant = \"acme\"; type = \"wave\"; user = \"alice\";\n"
    "    voicemail = true; },\n"
    "  { id = \"2001\"; tenant = \"acme\"; type = \"bot\"; bot = \"42\"; },\n"
    "  { id = \"3001\"; tenant = \"acme\"; type = \"sip\"; username = \"3001\";\n"
    "    password = \"pw\"; voicemail = true; } );\n"
    "dids = ( { number = \"+15551230001\"; trunk = \"t1\"; dialplan = \"main\"; },\n"
    "  { number = \"+1 555 123 0002\"; trunk = \"t1\"; dialplan = \"night\"; } );\n"
    "dialplans = (\n"
    "  { id = \"main\"; tenant = \"acme\"; rules = (\n"
    /* written out of order on purpose: the loader sorts by priority */
    "    { priority = 100; action = \"voicemail\"; extension = \"1001\"; },\n"
    "    { priority = 10; match = { caller = \"^\\\\+1555999\"; }; action = \"hangup\";\n"
    "      status = 603; },\n"
    "    { priority = 30; action = \"ring_extension\"; extension = \"2001\";\n"
    "      on_no_answer = \"continue\"; },\n"
    "    { priority = 20; match = { time = \"mon-fri 09:00-17:30\";\n"
    "        timezone = \"America/New_York\"; };\n"
    "      action = \"ring_extension\"; extension = \"1001\"; timeout = 25;\n"
    "      on_no_answer = \"voicemail\"; },\n"
    "    { priority = 40; match = { did = \"^\\\\+15551230001$\"; caller = \"^\\\\+44\"; };\n"
    "      action = \"forward\"; target = \"+15557654321\"; method = \"bridge\"; }\n"
    "  ); },\n"
    "  { id = \"night\"; tenant = \"acme\"; rules = (\n"
    "    { priority = 1; match = { time = [ \"mon-thu 18:00-08:00\", \"fri 18:00-24:00\" ]; };\n"
    "      action = \"ring_extension\"; extension = \"3001\"; on_no_answer = \"hangup\"; }\n"
    "  ); }\n"
    ");\n";

static void
test_from_text(void)
{
	struct config *cfg = NULL;
	struct config_errors errs = { 0 };
	struct dialplan_decision d;

	if (config_load_string("dialplan.conf", conf, &cfg, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++) {
			char *m = config_error_format(&errs.v[i]);

			printf("# %s\n", m);
			free(m);
		}
		ok(0, "the test configuration loads");
		config_errors_free(&errs);
		return;
	}
	ok(1, "the test configuration loads");
	decides(cfg, "+15551230001", "+15559990001", SPRING_MON_1300Z, "hangup:603",
	    "text: the caller rule first, though written second");
	decides(cfg, "+15551230001", "+15550000000", SPRING_MON_1300Z,
	    "ring:1001/25 voicemail:1001", "text: office hours in New York (09:00 EDT)");
	decides(cfg, "+15551230001", "+15550000000", SPRING_MON_1300Z - 60,
	    "ring:2001/30 voicemail:1001", "text: 08:59 EDT, the bot, then continue to 100");
	decides(cfg, "+15551230001", "+15550000000", WINTER_MON_1400Z,
	    "ring:1001/25 voicemail:1001", "text: 09:00 EST in winter");
	decides(cfg, "+15551230001", "+442079460018", WINTER_MON_1400Z - 60,
	    "ring:2001/30 forward:+15557654321/bridge",
	    "text: continue into the forward for UK callers");
	decides(cfg, "15551230001", "+15550000000", WINTER_MON_1400Z - 60,
	    "ring:2001/30 voicemail:1001", "text: DID without '+'");
	/* "night" windows are in the general zone, London. 2026-01-08 is a Thursday. */
	decides(cfg, "+15551230002", "", utc(2026, 1, 8, 18, 0), "ring:3001/30 hangup:480",
	    "text: Thursday 18:00 London, night line open");
	decides(cfg, "+15551230002", "", utc(2026, 1, 9, 7, 59), "ring:3001/30 hangup:480",
	    "text: Friday 07:59, still Thursday's night");
	is_int(decide(cfg, "+15551230002", "", utc(2026, 1, 9, 8, 0), &d), DIALPLAN_NO_RULE,
	    "text: Friday 08:00, closed");
	decides(cfg, "+15551230002", "", utc(2026, 1, 9, 23, 59), "ring:3001/30 hangup:480",
	    "text: Friday 23:59, the second window");
	is_int(decide(cfg, "+15551230002", "", utc(2026, 1, 10, 0, 0), &d), DIALPLAN_NO_RULE,
	    "text: Saturday 00:00, closed (24:00 ended Friday)");
	decides(cfg, "+15551230002", "", utc(2026, 7, 9, 17, 0), "ring:3001/30 hangup:480",
	    "text: Thursday 18:00 BST (17:00Z)");
	is_int(decide(cfg, "+15551230002", "", utc(2026, 7, 9, 16, 59), &d), DIALPLAN_NO_RULE,
	    "text: Thursday 17:59 BST, closed");
	is_int(decide(cfg, "+15551230009", "", 0, &d), DIALPLAN_NO_DID, "text: unknown DID");
	config_unref(cfg);
}

int
main(void)
{
	test_order_and_matchers();
	test_did_pattern_rule();
	test_midnight();
	test_chains();
	test_no_did_no_rule();
	test_from_text();
	return tap_done();
}
