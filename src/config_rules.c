/* config_rules: dialplans and their rules. A rule is checked against everything it will
 * meet at call time (its extension exists in the dialplan's tenant and can take the
 * action, its regexes compile, its time windows and zone parse, its forward target is
 * allowed by the tenant's toll-fraud guard), so that a call never finds a broken rule. */
#include "config_int.h"

#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "number.h"
#include "strmap.h"
#include "timewin.h"
#include "tz.h"

static void
cr_regex(struct cp *cp, const config_setting_t *match, const char *what, const char *key,
    bool *has, regex_t *re)
{
	const char *pat = cp_str(cp, match, what, key, 0, NULL);
	char msg[256];
	int rc;

	*has = false;
	if (pat == NULL)
		return;
	rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, re, msg, sizeof(msg));
		regfree(re);
		cp_err(cp, config_setting_get_member(match, key), "%s: %s regex \"%s\": %s",
		    what, key, pat, msg);
		return;
	}
	*has = true;
}

static void
cr_match(struct cp *cp, const config_setting_t *s, const char *what, struct rule *r)
{
	static const char *const keys[] = { "caller", "did", "time", "timezone", NULL };
	const config_setting_t *match = config_setting_get_member(s, "match");

	r->tz = cp->cfg->general.timezone;
	if (match == NULL)
		return;
	if (!config_setting_is_group(match)) {
		cp_err(cp, match, "%s: match must be a group { caller = ...; time = ...; }", what);
		return;
	}
	cp_known(cp, match, what, keys);
	cr_regex(cp, match, what, "caller", &r->has_caller, &r->caller_re);
	cr_regex(cp, match, what, "did", &r->has_did, &r->did_re);

	const char *zone = cp_str(cp, match, what, "timezone", 0, NULL);

	if (zone != NULL)
		r->tz = cp_zone(cp, config_setting_get_member(match, "timezone"), what, zone);

	size_t n;
	const char **wins = cp_strlist(cp, match, what, "time", 1, &n);

	r->windows = arena_alloc(cp->a, (n ? n : 1) * sizeof(*r->windows));
	for (size_t i = 0; i < n; i++) {
		char err[256];

		if (timewin_parse(wins[i], &r->windows[r->n_windows], err, sizeof(err)) == -1)
			cp_err(cp, config_setting_get_member(match, "time"), "%s: time \"%s\": %s",
			    what, wins[i], err);
		else
			r->n_windows++;
	}
	if (wins != NULL && n == 0)
		cp_err(cp, config_setting_get_member(match, "time"),
		    "%s: time must name at least one window", what);
}

static const struct extension *
cr_extension(struct cp *cp, const config_setting_t *s, const char *what,
    const struct dialplan *dp)
{
	const char *id = cp_str(cp, s, what, "extension", 1, "");
	const struct extension *e;

	if (id[0] == '\0' || dp->tenant == NULL)
		return NULL;
	e = config_find_extension(cp->cfg, dp->tenant, id);
	if (e == NULL)
		cp_err(cp, config_setting_get_member(s, "extension"),
		    "%s: no extension \"%s\" in tenant \"%s\"", what, id, dp->tenant->id);
	return e;
}

static int
cr_allowed(const struct tenant *t, const char *number)
{
	for (size_t i = 0; i < t->n_outbound_allow; i++) {
		if (number_glob_match(t->outbound_allow[i], number))
			return 1;
	}
	return 0;
}

static void
cr_forward(struct cp *cp, const config_setting_t *s, const char *what,
    const struct dialplan *dp, struct rule *r)
{
	static const char *const methods[] = { "refer", "bridge", NULL };
	static const char *const fallbacks[] = { "none", "bridge", NULL };
	const char *target = cp_str(cp, s, what, "target", 1, "");
	char norm[32];

	r->method = (enum forward_method)cp_enum_or(cp, s, what, "method", methods,
	    FORWARD_REFER);
	r->fallback_bridge = cp_enum_or(cp, s, what, "fallback", fallbacks, 0) == 1;
	if (r->fallback_bridge && r->method != FORWARD_REFER)
		cp_err(cp, config_setting_get_member(s, "fallback"), "%s: fallback = \"bridge\" "
		    "applies to method = \"refer\" only", what);
	/* How long the target rings when bridged (the REFER's carrier decides its own). */
	r->timeout = cp_int(cp, s, what, "timeout", 0, 30, 1, 600);
	r->target = target;
	if (target[0] == '\0')
		return;
	if (strncmp(target, "sip:", 4) == 0 || strncmp(target, "sips:", 5) == 0) {
		if (!cp_sip_uri_ok(target))
			cp_err(cp, config_setting_get_member(s, "target"),
			    "%s: target \"%s\" is not a valid SIP URI", what, target);
		return;
	}
	if (number_normalize(target, norm, sizeof(norm)) == -1 || norm[0] != '+') {
		cp_err(cp, config_setting_get_member(s, "target"), "%s: target \"%s\" must be an "
		    "E.164 number (+15557654321) or a sip: URI", what, target);
		return;
	}
	r->target = arena_strdup(cp->a, norm);
	/* The same toll-fraud guard as originate: checked now, not when a caller is waiting. */
	if (dp->tenant != NULL && !cr_allowed(dp->tenant, norm))
		cp_err(cp, config_setting_get_member(s, "target"), "%s: target %s is not allowed "
		    "by tenant \"%s\" policy.outbound_allow", what, norm, dp->tenant->id);
}

/* Settings that only some actions take: a "timeout" on a hangup rule is a mistake. */
static void
cr_only(struct cp *cp, const config_setting_t *s, const char *what, enum action a)
{
	static const struct {
		const char	*key;
		unsigned	 actions;
	} only[] = {
		{ "extension", 1u << ACTION_RING_EXTENSION | 1u << ACTION_VOICEMAIL },
		{ "timeout", 1u << ACTION_RING_EXTENSION | 1u << ACTION_FORWARD },
		{ "on_no_answer", 1u << ACTION_RING_EXTENSION },
		{ "target", 1u << ACTION_FORWARD },
		{ "method", 1u << ACTION_FORWARD },
		{ "fallback", 1u << ACTION_FORWARD },
		{ "status", 1u << ACTION_HANGUP },
	};

	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
		const config_setting_t *m = config_setting_get_member(s, only[i].key);

		if (m != NULL && !(only[i].actions & (1u << a)))
			cp_err(cp, m, "%s: %s does not apply to action \"%s\"", what, only[i].key,
			    config_action_name(a));
	}
}

static void
cr_rule(struct cp *cp, const config_setting_t *s, const struct dialplan *dp, struct rule *r)
{
	static const char *const keys[] = { "priority", "match", "action", "extension",
	    "timeout", "on_no_answer", "target", "method", "fallback", "status", NULL };
	static const char *const actions[] = { "hangup", "ring_extension", "voicemail",
	    "forward", NULL };
	static const char *const noanswer[] = { "hangup", "voicemail", "continue", NULL };
	char what[160];

	r->priority = cp_int(cp, s, "rule", "priority", 1, 0, 0, 1000000);
	snprintf(what, sizeof(what), "dialplan \"%s\" rule %d", dp->id, r->priority);
	cp_known(cp, s, what, keys);
	cp_loc(cp, s, &r->loc);
	cr_match(cp, s, what, r);
	int action = cp_enum(cp, s, what, "action", actions, 1, ACTION_HANGUP);

	r->action = action < 0 ? ACTION_HANGUP : (enum action)action;
	/* Without a valid action the other settings cannot be judged. */
	if (action < 0)
		return;
	cr_only(cp, s, what, r->action);
	switch (r->action) {
	case ACTION_RING_EXTENSION:
		r->extension = cr_extension(cp, s, what, dp);
		r->timeout = cp_int(cp, s, what, "timeout", 0, 30, 1, 600);
		r->on_no_answer = (enum no_answer)cp_enum_or(cp, s, what, "on_no_answer",
		    noanswer, NOANSWER_HANGUP);
		if (r->on_no_answer == NOANSWER_VOICEMAIL && r->extension != NULL &&
		    !r->extension->voicemail)
			cp_err(cp, config_setting_get_member(s, "on_no_answer"), "%s: "
			    "on_no_answer = \"voicemail\" but extension \"%s\" has no voicemail",
			    what, r->extension->id);
		break;
	case ACTION_VOICEMAIL:
		r->extension = cr_extension(cp, s, what, dp);
		if (r->extension != NULL && !r->extension->voicemail)
			cp_err(cp, config_setting_get_member(s, "extension"), "%s: extension "
			    "\"%s\" has no voicemail (set voicemail = true on it)", what,
			    r->extension->id);
		break;
	case ACTION_FORWARD:
		cr_forward(cp, s, what, dp, r);
		break;
	case ACTION_HANGUP:
		r->status = cp_int(cp, s, what, "status", 0, 603, 400, 699);
		break;
	}
}

/* A dialplan that does not make it into the index is never seen by config_free. */
static void
cr_rules_free(struct dialplan *dp)
{
	for (size_t k = 0; k < dp->n_rules; k++) {
		if (dp->rules[k].has_caller)
			regfree(&dp->rules[k].caller_re);
		if (dp->rules[k].has_did)
			regfree(&dp->rules[k].did_re);
	}
	dp->n_rules = 0;
}

static int
cr_rule_cmp(const void *a, const void *b)
{
	const struct rule *x = a, *y = b;

	return (x->priority > y->priority) - (x->priority < y->priority);
}

void
config_parse_dialplans(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "id", "tenant", "rules", NULL };
	const config_setting_t *list = cp_section(cp, root, "dialplans", 1, 0);
	struct config *cfg = cp->cfg;
	int n = list ? config_setting_length(list) : 0;

	cfg->dialplans = arena_alloc(cp->a, (size_t)(n ? n : 1) * sizeof(*cfg->dialplans));
	cfg->idx_dialplan = strmap_new((size_t)n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct dialplan *dp = &cfg->dialplans[cfg->n_dialplans];
		char what[128];

		dp->id = cp_str(cp, s, "dialplan", "id", 1, "");
		snprintf(what, sizeof(what), "dialplan \"%s\"", dp->id);
		cp_known(cp, s, what, keys);
		if (dp->id[0] != '\0' && !cp_id_ok(dp->id))
			cp_err(cp, s, "%s: id must be 1..64 of [A-Za-z0-9_.@+-]", what);
		cp_loc(cp, s, &dp->loc);

		const char *tenant = cp_str(cp, s, what, "tenant", 1, "");

		dp->tenant = tenant[0] ? config_find_tenant(cfg, tenant) : NULL;
		if (tenant[0] && dp->tenant == NULL)
			cp_err(cp, config_setting_get_member(s, "tenant"), "%s: no tenant \"%s\"",
			    what, tenant);

		const config_setting_t *rules = cp_section(cp, s, "rules", 1, 1);
		int nr = rules ? config_setting_length(rules) : 0;

		dp->rules = arena_alloc(cp->a, (size_t)(nr ? nr : 1) * sizeof(*dp->rules));
		for (int k = 0; k < nr; k++)
			cr_rule(cp, config_setting_get_elem(rules, (unsigned)k), dp,
			    &dp->rules[dp->n_rules++]);
		if (rules != NULL && nr == 0)
			cp_err(cp, rules, "%s: rules must hold at least one rule", what);
		qsort(dp->rules, dp->n_rules, sizeof(*dp->rules), cr_rule_cmp);
		for (size_t k = 1; k < dp->n_rules; k++) {
			if (dp->rules[k].priority == dp->rules[k - 1].priority) {
				config_errors_add(cp->errs, dp->rules[k].loc.file, dp->rules[k].loc.line,
				    "%s: two rules have priority %d (the order would be a guess)",
				    what, dp->rules[k].priority);
			}
		}
		if (dp->id[0] == '\0') {
			cr_rules_free(dp);
			continue;
		}
		if (strmap_put(cfg->idx_dialplan, dp->id, dp) != NULL) {
			cp_err(cp, s, "%s is defined twice", what);
			cr_rules_free(dp);
			continue;
		}
		cfg->n_dialplans++;
	}
}
