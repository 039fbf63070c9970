/* ctl_cmd_calls: what the store holds: calls in progress, one call with its legs,
 * finished calls (cdr) and voicemail. Rows come through the store's callbacks and are
 * valid only during them, so each is rendered (or copied into a table) at once. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ctl_cmd_int.h"
#include "ctl_fmt.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "originate.h"
#include "sip_in.h"
#include "store.h"

#define CTL_CDR_DEFAULT		100
#define CTL_CDR_MAX		10000
#define CTL_VOICEMAIL_MAX	1000

struct ctl_rows {
	const struct ctl_request *req;
	struct json	 j;
	struct ctl_table t;
	int64_t		 now;
	int		 n;
	struct buf	*out;
	struct buf	 legs;		/* call ID, --json: the legs array */
	struct json	 lj;
};

static int64_t
ctl_call_seconds(const struct store_call *c, int64_t now)
{
	if (c->started_ms <= 0)
		return 0;
	return ((c->ended_ms > 0 ? c->ended_ms : now) - c->started_ms) / 1000;
}

static void
ctl_json_time(struct json *j, const char *key, int64_t ms)
{
	char t[40], k[64];

	json_key(j, key);
	if (ms > 0)
		json_string(j, ctl_fmt_time_str(ms, t, sizeof(t)));
	else
		json_null(j);
	snprintf(k, sizeof(k), "%s_ms", key);
	json_kv_int(j, k, ms);
}

static void
ctl_call_json(struct json *j, const struct store_call *c, int64_t now)
{
	json_kv_string(j, "id", c->id);
	json_kv_string(j, "tenant", c->tenant);
	json_kv_string(j, "direction", c->direction);
	json_kv_string(j, "did", c->did);
	json_kv_string(j, "from", c->caller);
	json_kv_string(j, "to", c->callee);
	json_kv_string(j, "trunk", c->trunk);
	json_kv_string(j, "dialplan", c->dialplan);
	json_key(j, "rule_priority");
	if (c->rule_priority < 0)
		json_null(j);
	else
		json_int(j, c->rule_priority);
	json_kv_string(j, "action", c->action);
	json_kv_string(j, "room", c->room);
	json_kv_string(j, "state", c->state);
	json_kv_uint(j, "config_generation", c->config_generation);
	ctl_json_time(j, "started", c->started_ms);
	ctl_json_time(j, "answered", c->answered_ms);
	ctl_json_time(j, "ended", c->ended_ms);
	json_kv_int(j, "duration_seconds", ctl_call_seconds(c, now));
	json_kv_string(j, "cause", c->cause);
	json_key(j, "sip_status");
	if (c->sip_status > 0)
		json_int(j, c->sip_status);
	else
		json_null(j);
}

static int
ctl_count_cb(const struct store_call *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

int
ctl_cmd_calls_active_count(void)
{
	return store_calls_active(ctl_count_cb, NULL);
}

static int
ctl_calls_cb(const struct store_call *c, void *arg)
{
	struct ctl_rows *r = arg;
	char d[64];

	r->n++;
	if (r->req->json) {
		json_object_begin(&r->j);
		ctl_call_json(&r->j, c, r->now);
		json_object_end(&r->j);
		return 0;
	}
	ctl_fmt_duration(ctl_call_seconds(c, r->now), d, sizeof(d));
	ctl_table_row(&r->t, (const char *const[]){ c->id, c->tenant, c->direction,
	    c->caller, c->callee, c->state, c->action, c->room, d });
	return 0;
}

/* Runs a listing: a JSON array, or a table with the given header. */
static int
ctl_rows_begin(struct ctl_rows *r, const struct ctl_request *req, struct buf *out,
    size_t ncols, const char *const *hdr)
{
	memset(r, 0, sizeof(*r));
	r->req = req;
	r->out = out;
	r->now = loop_now_ms();
	if (req->json) {
		json_init(&r->j, out);
		json_array_begin(&r->j);
	} else
		ctl_table_init(&r->t, ncols, hdr);
	return 0;
}

static int
ctl_rows_end(struct ctl_rows *r, int rc, const char *what)
{
	if (rc < 0) {
		if (!r->req->json)
			ctl_table_free(&r->t);
		return ctl_cmd_err(r->out, "cannot read %s from the database (see the log)",
		    what);
	}
	if (r->req->json) {
		json_array_end(&r->j);
		return ctl_cmd_json_done(&r->j, r->out);
	}
	ctl_table_render(&r->t, r->out);
	return 0;
}

int
ctl_cmd_calls(const struct ctl_request *req, struct buf *out)
{
	static const char *const hdr[] = { "ID", "TENANT", "DIRECTION", "FROM", "TO", "STATE",
	    "ACTION", "ROOM", "DURATION" };
	struct ctl_rows r;

	ctl_rows_begin(&r, req, out, 9, hdr);
	return ctl_rows_end(&r, store_calls_active(ctl_calls_cb, &r), "calls");
}

static int
ctl_call_one_cb(const struct store_call *c, void *arg)
{
	struct ctl_rows *r = arg;
	char t[40], d[64];

	r->n++;
	if (r->req->json) {
		json_init(&r->j, r->out);
		json_object_begin(&r->j);
		ctl_call_json(&r->j, c, r->now);
		json_object_end(&r->j);
		return 0;
	}
#define KV(key, val) buf_printf(r->out, "%-13s %s\n", key, (val) != NULL && *(val) ? (val) : "-")
	KV("id", c->id);
	KV("tenant", c->tenant);
	KV("direction", c->direction);
	KV("did", c->did);
	KV("from", c->caller);
	KV("to", c->callee);
	KV("trunk", c->trunk);
	KV("dialplan", c->dialplan);
	if (c->rule_priority >= 0)
		buf_printf(r->out, "%-13s %d\n", "rule", c->rule_priority);
	KV("action", c->action);
	KV("room", c->room);
	KV("state", c->state);
	buf_printf(r->out, "%-13s %" PRIu64 "\n", "config", c->config_generation);
	KV("started", ctl_fmt_time_str(c->started_ms, t, sizeof(t)));
	KV("answered", ctl_fmt_time_str(c->answered_ms, t, sizeof(t)));
	KV("ended", ctl_fmt_time_str(c->ended_ms, t, sizeof(t)));
	KV("duration", ctl_fmt_duration(ctl_call_seconds(c, r->now), d, sizeof(d)));
	KV("cause", c->cause);
	if (c->sip_status > 0)
		buf_printf(r->out, "%-13s %d\n", "sip status", c->sip_status);
#undef KV
	return 0;
}

static int
ctl_call_leg_cb(const struct store_leg *l, void *arg)
{
	struct ctl_rows *r = arg;
	char st[40], an[40], en[40], sip[16];

	if (r->req->json) {
		json_object_begin(&r->lj);
		json_kv_string(&r->lj, "id", l->id);
		json_kv_string(&r->lj, "kind", l->kind);
		json_kv_string(&r->lj, "identity", l->identity);
		json_kv_string(&r->lj, "sip_call_id", l->sip_call_id);
		json_kv_string(&r->lj, "state", l->state);
		ctl_json_time(&r->lj, "started", l->started_ms);
		ctl_json_time(&r->lj, "answered", l->answered_ms);
		ctl_json_time(&r->lj, "ended", l->ended_ms);
		json_kv_string(&r->lj, "cause", l->cause);
		json_key(&r->lj, "sip_status");
		if (l->sip_status > 0)
			json_int(&r->lj, l->sip_status);
		else
			json_null(&r->lj);
		json_object_end(&r->lj);
		return 0;
	}
	snprintf(sip, sizeof(sip), "%d", l->sip_status);
	ctl_table_row(&r->t, (const char *const[]){ l->id, l->kind, l->identity, l->state,
	    ctl_fmt_time_str(l->started_ms, st, sizeof(st)),
	    ctl_fmt_time_str(l->answered_ms, an, sizeof(an)),
	    ctl_fmt_time_str(l->ended_ms, en, sizeof(en)), l->cause,
	    l->sip_status > 0 ? sip : "-" });
	return 0;
}

int
ctl_cmd_call(const struct ctl_request *req, struct buf *out)
{
	static const char *const hdr[] = { "LEG", "KIND", "IDENTITY", "STATE", "STARTED",
	    "ANSWERED", "ENDED", "CAUSE", "SIP" };
	const char *id = req->argv[1];
	struct ctl_rows r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.req = req;
	r.out = out;
	r.now = loop_now_ms();
	/* Legs go to their own buffer or table: the store may hand them before or after
	 * the call, and they are shown after it. */
	if (req->json) {
		buf_init(&r.legs);
		json_init(&r.lj, &r.legs);
		json_array_begin(&r.lj);
	} else
		ctl_table_init(&r.t, 9, hdr);
	rc = store_call_get(id, ctl_call_one_cb, ctl_call_leg_cb, &r);
	if (rc < 0 || r.n == 0) {
		if (req->json)
			buf_free(&r.legs);
		else
			ctl_table_free(&r.t);
		if (rc < 0)
			return ctl_cmd_err(out, "cannot read call '%s' from the database (see the "
			    "log)", id);
		return ctl_cmd_err(out, "no call '%s'", id);
	}
	if (req->json) {
		json_array_end(&r.lj);
		if (json_finish(&r.lj) == -1 || json_finish(&r.j) == -1 || out->len == 0) {
			buf_free(&r.legs);
			return ctl_cmd_err(out, "internal error: bad JSON output");
		}
		/* Splice the legs in as the call object's last member. */
		out->data[--out->len] = '\0';
		buf_adds(out, ",\"legs\":");
		buf_add(out, r.legs.data, r.legs.len);
		buf_adds(out, "}\n");
		buf_free(&r.legs);
		return 0;
	}
	buf_adds(out, "\n");
	ctl_table_render(&r.t, out);
	return 0;
}

int
ctl_cmd_hangup(const struct ctl_request *req, struct buf *out)
{
	const char *id = req->argv[1];

	if (sip_in_hangup(id, "admin_hangup") == -1 && originate_hangup(id, "admin_hangup") == -1)
		return ctl_cmd_err(out, "no call '%s' in progress", id);
	log_info("ctl: call %s hung up by uid=%u pid=%d", id, (unsigned)req->uid, (int)req->pid);
	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_object_begin(&j);
		json_kv_string(&j, "call_id", id);
		json_kv_string(&j, "result", "hanging up");
		json_object_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	buf_printf(out, "call %s: hanging up\n", id);
	return 0;
}

int
ctl_cmd_transfer(const struct ctl_request *req, struct buf *out)
{
	const char *id = req->argv[1], *to = NULL, *method = NULL;
	char err[200];

	for (int i = 2; i < req->argc; i += 2) {
		const char *val = i + 1 < req->argc ? req->argv[i + 1] : NULL;

		if (val == NULL)
			return ctl_cmd_err(out, "%s needs a value", req->argv[i]);
		if (strcmp(req->argv[i], "--to") == 0)
			to = val;
		else if (strcmp(req->argv[i], "--method") == 0)
			method = val;
		else
			return ctl_cmd_err(out, "unknown option '%s'", req->argv[i]);
	}
	if (to == NULL)
		return ctl_cmd_err(out, "usage: transfer ID --to TARGET [--method refer|bridge]");
	if (sip_in_transfer(id, to, method, err, sizeof(err)) != 0)
		return ctl_cmd_err(out, "%s", err);
	log_info("ctl: call %s transfer to %s asked by uid=%u pid=%d", id, to,
	    (unsigned)req->uid, (int)req->pid);
	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_object_begin(&j);
		json_kv_string(&j, "call_id", id);
		json_kv_string(&j, "to", to);
		json_kv_string(&j, "method", method != NULL ? method : "refer");
		json_kv_string(&j, "result", "transferring");
		json_object_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	buf_printf(out, "call %s: transferring to %s (%s)\n", id, to,
	    method != NULL ? method : "refer");
	return 0;
}

static int
ctl_cdr_cb(const struct store_call *c, void *arg)
{
	struct ctl_rows *r = arg;
	char t[40], d[64], sip[16];

	if (r->req->json) {
		json_object_begin(&r->j);
		ctl_call_json(&r->j, c, r->now);
		json_object_end(&r->j);
		return 0;
	}
	snprintf(sip, sizeof(sip), "%d", c->sip_status);
	ctl_table_row(&r->t, (const char *const[]){ c->id, c->tenant, c->direction, c->caller,
	    c->callee, ctl_fmt_time_str(c->started_ms, t, sizeof(t)),
	    ctl_fmt_duration(ctl_call_seconds(c, r->now), d, sizeof(d)), c->action,
	    c->cause, c->sip_status > 0 ? sip : "-" });
	return 0;
}

int
ctl_cmd_cdr(const struct ctl_request *req, struct buf *out)
{
	static const char *const hdr[] = { "ID", "TENANT", "DIRECTION", "FROM", "TO",
	    "STARTED", "DURATION", "ACTION", "CAUSE", "SIP" };
	int64_t since = 0;
	long limit = CTL_CDR_DEFAULT;
	bool have_since = false, have_limit = false;
	struct ctl_rows r;

	for (int i = 1; i < req->argc; i += 2) {
		const char *opt = req->argv[i], *val = i + 1 < req->argc ? req->argv[i + 1] : NULL;

		if (strcmp(opt, "--since") == 0 && !have_since) {
			if (val == NULL)
				return ctl_cmd_err(out, "cdr: --since needs a time, like "
				    "2026-11-24T09:00:00Z");
			if (ctl_parse_time(val, &since) == -1)
				return ctl_cmd_err(out, "cdr: --since '%s' is not an ISO-8601 time "
				    "(like 2026-11-24T09:00:00Z or 2026-11-24)", val);
			have_since = true;
		} else if (strcmp(opt, "--limit") == 0 && !have_limit) {
			if (val == NULL || ctl_parse_count(val, 1, CTL_CDR_MAX, &limit) == -1)
				return ctl_cmd_err(out, "cdr: --limit wants a whole number from 1 "
				    "to %d%s%s%s", CTL_CDR_MAX, val ? ", not '" : "",
				    val ? val : "", val ? "'" : "");
			have_limit = true;
		} else
			return ctl_cmd_err(out, "cdr: unexpected '%s' (usage: cdr [--since "
			    "ISO8601] [--limit N])", opt);
	}
	ctl_rows_begin(&r, req, out, 10, hdr);
	return ctl_rows_end(&r, store_calls_finished(since, (int)limit, ctl_cdr_cb, &r),
	    "finished calls");
}

static int
ctl_voicemail_cb(const struct store_voicemail *v, void *arg)
{
	struct ctl_rows *r = arg;
	char t[40], d[64], tr[128];

	if (r->req->json) {
		json_object_begin(&r->j);
		json_kv_string(&r->j, "id", v->id);
		json_kv_string(&r->j, "call_id", v->call_id);
		json_kv_string(&r->j, "tenant", v->tenant);
		json_kv_string(&r->j, "extension", v->extension);
		json_kv_string(&r->j, "caller", v->caller);
		ctl_json_time(&r->j, "created", v->created_ms);
		json_kv_int(&r->j, "duration_ms", v->duration_ms);
		json_kv_string(&r->j, "path", v->path);
		json_kv_string(&r->j, "transcript", v->transcript);
		json_kv_string(&r->j, "url", v->url);
		json_object_end(&r->j);
		return 0;
	}
	ctl_table_row(&r->t, (const char *const[]){ v->id, v->tenant, v->extension, v->caller,
	    ctl_fmt_time_str(v->created_ms, t, sizeof(t)),
	    ctl_fmt_duration((v->duration_ms + 500) / 1000, d, sizeof(d)),
	    v->transcript != NULL ? ctl_fmt_trunc(v->transcript, 40, tr, sizeof(tr)) : NULL,
	    v->url });
	return 0;
}

int
ctl_cmd_voicemail(const struct ctl_request *req, struct buf *out)
{
	static const char *const hdr[] = { "ID", "TENANT", "EXTENSION", "CALLER", "WHEN",
	    "DURATION", "TRANSCRIPT", "COPY" };
	struct ctl_rows r;

	ctl_rows_begin(&r, req, out, 8, hdr);
	return ctl_rows_end(&r, store_voicemail_list(req->argc > 1 ? req->argv[1] : NULL,
	    CTL_VOICEMAIL_MAX, ctl_voicemail_cb, &r), "voicemail");
}
