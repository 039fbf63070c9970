/* ctl_cmd_config: what the configuration in force holds: trunks, dids, extensions,
 * dialplans. Secrets (trunk and desk-phone passwords) are never shown. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "ctl_cmd_int.h"
#include "ctl_fmt.h"
#include "json.h"
#include "reload.h"
#include "sip_ping.h"
#include "sip_reg.h"
#include "tz.h"

static void
ctl_cmd_codecs(const struct trunk *t, struct buf *b)
{
	for (size_t i = 0; i < t->n_codecs; i++) {
		if (i > 0)
			buf_addc(b, ',');
		buf_adds(b, config_codec_name(t->codecs[i]));
	}
}

static const char *
ctl_cmd_remote(const struct trunk *t)
{
	return t->mode == TRUNK_REGISTER ? t->registrar : t->address;
}

/* What the trunk's SIP side is doing: its registration, or its peer's keepalive. */
static void
ctl_cmd_trunk_state(const struct trunk *t, char *state, size_t slen, char *exp, size_t elen)
{
	struct sip_reg_info ri;
	struct sip_ping_info pi;

	snprintf(exp, elen, "-");
	if (sip_reg_info(t->id, &ri) == 0) {
		if (ri.status)
			snprintf(state, slen, "%s (%d %s)", sip_reg_state_name(ri.state), ri.status,
			    ri.reason);
		else
			snprintf(state, slen, "%s", sip_reg_state_name(ri.state));
		if (ri.state == REG_REGISTERED)
			snprintf(exp, elen, "%ds", ri.expires_in);
		else if (ri.state == REG_FAILED && ri.retry_in > 0)
			snprintf(exp, elen, "retry in %ds", ri.retry_in);
	} else if (sip_ping_info(t->id, &pi) == 0) {
		if (pi.status)
			snprintf(state, slen, "%s (%d %s, %d ms)", pi.up ? "up" : "down", pi.status,
			    pi.reason, pi.rtt_ms);
		else
			snprintf(state, slen, "not pinged yet");
	} else {
		snprintf(state, slen, "-");
	}
}

static void
ctl_cmd_trunk_state_json(struct json *j, const struct trunk *t)
{
	struct sip_reg_info ri;
	struct sip_ping_info pi;

	if (sip_reg_info(t->id, &ri) == 0) {
		json_key(j, "registration");
		json_object_begin(j);
		json_kv_string(j, "state", sip_reg_state_name(ri.state));
		json_kv_int(j, "status", ri.status);
		json_kv_string(j, "reason", ri.reason);
		json_kv_int(j, "expires_in", ri.expires_in);
		json_kv_int(j, "since_ms", ri.since_ms);
		json_kv_int(j, "failures", ri.failures);
		json_kv_int(j, "retry_in", ri.retry_in);
		json_object_end(j);
	} else if (sip_ping_info(t->id, &pi) == 0) {
		json_key(j, "keepalive");
		json_object_begin(j);
		json_kv_bool(j, "up", pi.up);
		json_kv_int(j, "status", pi.status);
		json_kv_string(j, "reason", pi.reason);
		json_kv_int(j, "rtt_ms", pi.rtt_ms);
		json_kv_int(j, "since_ms", pi.since_ms);
		json_object_end(j);
	}
}

int
ctl_cmd_trunks(const struct ctl_request *req, struct buf *out)
{
	const struct config *cfg = reload_current();

	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_array_begin(&j);
		for (size_t i = 0; i < cfg->n_trunks; i++) {
			const struct trunk *t = &cfg->trunks[i];

			json_object_begin(&j);
			json_kv_string(&j, "id", t->id);
			json_kv_string(&j, "tenant", t->tenant->id);
			json_kv_string(&j, "mode", config_trunk_mode_name(t->mode));
			json_kv_string(&j, "registrar", t->registrar);
			json_kv_string(&j, "address", t->address);
			json_kv_string(&j, "proxy", t->proxy);
			json_kv_string(&j, "username", t->username);
			json_kv_int(&j, "expires", t->expires);
			json_key(&j, "codecs");
			json_array_begin(&j);
			for (size_t k = 0; k < t->n_codecs; k++)
				json_string(&j, config_codec_name(t->codecs[k]));
			json_array_end(&j);
			json_kv_string(&j, "srtp", config_srtp_name(t->srtp));
			json_kv_string(&j, "dtmf", config_dtmf_name(t->dtmf));
			json_kv_int(&j, "max_concurrent_calls", t->max_concurrent_calls);
			json_kv_uint(&j, "allowed_addresses", t->n_allowed);
			ctl_cmd_trunk_state_json(&j, t);
			json_object_end(&j);
		}
		json_array_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	static const char *const hdr[] = { "ID", "TENANT", "MODE", "REGISTRAR/ADDRESS",
	    "STATE", "EXPIRES", "CODECS", "SRTP", "DTMF", "MAX_CALLS" };
	struct ctl_table tb;
	struct buf codecs;

	buf_init(&codecs);
	ctl_table_init(&tb, 10, hdr);
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct trunk *t = &cfg->trunks[i];
		char max[24], state[200], exp[32];

		ctl_cmd_trunk_state(t, state, sizeof(state), exp, sizeof(exp));
		buf_reset(&codecs);
		ctl_cmd_codecs(t, &codecs);
		if (t->max_concurrent_calls > 0)
			snprintf(max, sizeof(max), "%d", t->max_concurrent_calls);
		else
			snprintf(max, sizeof(max), "unlimited");
		ctl_table_row(&tb, (const char *const[]){ t->id, t->tenant->id,
		    config_trunk_mode_name(t->mode), ctl_cmd_remote(t), state, exp, codecs.data,
		    config_srtp_name(t->srtp), config_dtmf_name(t->dtmf), max });
	}
	buf_free(&codecs);
	ctl_table_render(&tb, out);
	return 0;
}

int
ctl_cmd_dids(const struct ctl_request *req, struct buf *out)
{
	const struct config *cfg = reload_current();

	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_array_begin(&j);
		for (size_t i = 0; i < cfg->n_dids; i++) {
			const struct did *d = &cfg->dids[i];

			json_object_begin(&j);
			json_kv_string(&j, "number", d->number);
			json_kv_string(&j, "trunk", d->trunk->id);
			json_kv_string(&j, "tenant", d->trunk->tenant->id);
			json_kv_string(&j, "dialplan", d->dialplan->id);
			json_object_end(&j);
		}
		json_array_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	static const char *const hdr[] = { "NUMBER", "TRUNK", "TENANT", "DIALPLAN" };
	struct ctl_table tb;

	ctl_table_init(&tb, 4, hdr);
	for (size_t i = 0; i < cfg->n_dids; i++) {
		const struct did *d = &cfg->dids[i];

		ctl_table_row(&tb, (const char *const[]){ d->number, d->trunk->id,
		    d->trunk->tenant->id, d->dialplan->id });
	}
	ctl_table_render(&tb, out);
	return 0;
}

static const char *
ctl_cmd_ext_target(const struct extension *e, const char **key)
{
	switch (e->type) {
	case EXT_WAVE:
		*key = "user";
		return e->user;
	case EXT_BOT:
		*key = "bot";
		return e->bot;
	case EXT_SIP:
		*key = "username";
		return e->username;
	}
	*key = "target";
	return "";
}

int
ctl_cmd_extensions(const struct ctl_request *req, struct buf *out)
{
	const struct config *cfg = reload_current();
	const char *key;

	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_array_begin(&j);
		for (size_t i = 0; i < cfg->n_extensions; i++) {
			const struct extension *e = &cfg->extensions[i];
			const char *target = ctl_cmd_ext_target(e, &key);

			json_object_begin(&j);
			json_kv_string(&j, "tenant", e->tenant->id);
			json_kv_string(&j, "id", e->id);
			json_kv_string(&j, "type", config_ext_type_name(e->type));
			json_kv_string(&j, key, target);
			json_kv_bool(&j, "voicemail", e->voicemail);
			json_kv_string(&j, "greeting", e->greeting);
			json_object_end(&j);
		}
		json_array_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	static const char *const hdr[] = { "TENANT", "ID", "TYPE", "TARGET", "VOICEMAIL" };
	struct ctl_table tb;

	ctl_table_init(&tb, 5, hdr);
	for (size_t i = 0; i < cfg->n_extensions; i++) {
		const struct extension *e = &cfg->extensions[i];
		const char *target = ctl_cmd_ext_target(e, &key);
		char tgt[512];

		snprintf(tgt, sizeof(tgt), "%s=%s", key, target);
		ctl_table_row(&tb, (const char *const[]){ e->tenant->id, e->id,
		    config_ext_type_name(e->type), tgt, e->voicemail ? "yes" : "no" });
	}
	ctl_table_render(&tb, out);
	return 0;
}

static void
ctl_cmd_days(unsigned days, struct buf *b)
{
	static const char *const names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
	bool first = true;

	/* Runs of days as ranges: Mon-Fri,Sun. */
	for (int d = 0; d < 7; d++) {
		if (!(days & (1u << d)))
			continue;
		int e = d;

		while (e + 1 < 7 && (days & (1u << (e + 1))))
			e++;
		if (!first)
			buf_addc(b, ',');
		first = false;
		buf_adds(b, names[d]);
		if (e > d)
			buf_printf(b, "%s%s", e == d + 1 ? "," : "-", names[e]);
		d = e;
	}
}

static void
ctl_cmd_window(const struct time_window *w, struct buf *b)
{
	ctl_cmd_days(w->days, b);
	buf_printf(b, " %02d:%02d-%02d:%02d", w->start_min / 60, w->start_min % 60,
	    w->end_min / 60, w->end_min % 60);
}

/* The compiled rule keeps no pattern text (struct rule has only the regex_t), so the
 * matchers are named, not quoted. */
static void
ctl_cmd_match(const struct rule *r, struct buf *b)
{
	if (r->has_caller)
		buf_adds(b, "caller=(regex) ");
	if (r->has_did)
		buf_adds(b, "did=(regex) ");
	for (size_t i = 0; i < r->n_windows; i++) {
		buf_adds(b, i == 0 ? "time=" : "|");
		ctl_cmd_window(&r->windows[i], b);
	}
	if (r->n_windows > 0 && r->tz != NULL)
		buf_printf(b, " %s", tz_name(r->tz));
	if (b->len == 0)
		buf_adds(b, "always");
	else if (b->data[b->len - 1] == ' ')
		b->data[--b->len] = '\0';
}

static void
ctl_cmd_params(const struct rule *r, struct buf *b)
{
	switch (r->action) {
	case ACTION_RING_EXTENSION:
		buf_printf(b, "extension=%s timeout=%d", r->extension->id, r->timeout);
		break;
	case ACTION_VOICEMAIL:
		buf_printf(b, "extension=%s", r->extension->id);
		break;
	case ACTION_FORWARD:
		buf_printf(b, "target=%s method=%s", r->target,
		    config_forward_method_name(r->method));
		break;
	case ACTION_HANGUP:
		buf_printf(b, "status=%d", r->status);
		break;
	}
}

static void
ctl_cmd_rule_json(struct json *j, const struct rule *r)
{
	struct buf b;

	buf_init(&b);
	json_object_begin(j);
	json_kv_int(j, "priority", r->priority);
	json_key(j, "match");
	json_object_begin(j);
	json_kv_bool(j, "caller", r->has_caller);
	json_kv_bool(j, "did", r->has_did);
	json_key(j, "time");
	json_array_begin(j);
	for (size_t i = 0; i < r->n_windows; i++) {
		buf_reset(&b);
		ctl_cmd_window(&r->windows[i], &b);
		json_string(j, b.data);
	}
	json_array_end(j);
	json_kv_string(j, "timezone", r->n_windows > 0 && r->tz ? tz_name(r->tz) : NULL);
	json_object_end(j);
	json_kv_string(j, "action", config_action_name(r->action));
	switch (r->action) {
	case ACTION_RING_EXTENSION:
		json_kv_string(j, "extension", r->extension->id);
		json_kv_int(j, "timeout", r->timeout);
		json_kv_string(j, "on_no_answer", config_no_answer_name(r->on_no_answer));
		break;
	case ACTION_VOICEMAIL:
		json_kv_string(j, "extension", r->extension->id);
		break;
	case ACTION_FORWARD:
		json_kv_string(j, "target", r->target);
		json_kv_string(j, "method", config_forward_method_name(r->method));
		json_kv_string(j, "on_no_answer", config_no_answer_name(r->on_no_answer));
		break;
	case ACTION_HANGUP:
		json_kv_int(j, "status", r->status);
		break;
	}
	json_object_end(j);
	buf_free(&b);
}

int
ctl_cmd_dialplans(const struct ctl_request *req, struct buf *out)
{
	const struct config *cfg = reload_current();

	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_array_begin(&j);
		for (size_t i = 0; i < cfg->n_dialplans; i++) {
			const struct dialplan *dp = &cfg->dialplans[i];

			json_object_begin(&j);
			json_kv_string(&j, "id", dp->id);
			json_kv_string(&j, "tenant", dp->tenant->id);
			json_key(&j, "rules");
			json_array_begin(&j);
			for (size_t k = 0; k < dp->n_rules; k++)
				ctl_cmd_rule_json(&j, &dp->rules[k]);
			json_array_end(&j);
			json_object_end(&j);
		}
		json_array_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	static const char *const hdr[] = { "PRIORITY", "MATCH", "ACTION", "PARAMETERS",
	    "ON_NO_ANSWER" };
	struct buf m, p;

	buf_init(&m);
	buf_init(&p);
	for (size_t i = 0; i < cfg->n_dialplans; i++) {
		const struct dialplan *dp = &cfg->dialplans[i];
		struct ctl_table tb;

		buf_printf(out, "%sdialplan %s (tenant %s, %zu rule%s)\n", i > 0 ? "\n" : "",
		    dp->id, dp->tenant->id, dp->n_rules, dp->n_rules == 1 ? "" : "s");
		ctl_table_init(&tb, 5, hdr);
		tb.indent = "  ";
		for (size_t k = 0; k < dp->n_rules; k++) {
			const struct rule *r = &dp->rules[k];
			bool rings = r->action == ACTION_RING_EXTENSION ||
			    r->action == ACTION_FORWARD;
			char prio[16];

			buf_reset(&m);
			buf_reset(&p);
			ctl_cmd_match(r, &m);
			ctl_cmd_params(r, &p);
			snprintf(prio, sizeof(prio), "%d", r->priority);
			ctl_table_row(&tb, (const char *const[]){ prio, m.data,
			    config_action_name(r->action), p.data,
			    rings ? config_no_answer_name(r->on_no_answer) : "-" });
		}
		ctl_table_render(&tb, out);
	}
	buf_free(&m);
	buf_free(&p);
	return 0;
}
