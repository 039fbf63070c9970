/* ctl_cmd: dispatch of the admin commands, and the ones about the daemon itself: help,
 * status, reload, metrics. The configuration listings are in ctl_cmd_config.c, calls and
 * voicemail in ctl_cmd_calls.c. */
#include "ctl_cmd.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "ctl_cmd_int.h"
#include "ctl_fmt.h"
#include "json.h"
#include "lk_bridge.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "sip.h"
#include "sip_guard.h"
#include "sip_reg.h"
#include "sip_registrar.h"
#include "webhook.h"
#include "media.h"
#include "store.h"

typedef int	ctl_cmd_fn(const struct ctl_request *, struct buf *);

static int	ctl_cmd_help(const struct ctl_request *, struct buf *);
static int	ctl_cmd_status(const struct ctl_request *, struct buf *);
static int	ctl_cmd_reload(const struct ctl_request *, struct buf *);
static int	ctl_cmd_metrics(const struct ctl_request *, struct buf *);

static const struct ctl_cmd {
	const char	*name;
	const char	*args;		/* usage after the name */
	int		 min_args;	/* words after the name */
	int		 max_args;
	ctl_cmd_fn	*fn;
	const char	*what;
} ctl_cmds[] = {
	{ "help", "", 0, 0, ctl_cmd_help, "the commands and what they do" },
	{ "status", "", 0, 0, ctl_cmd_status,
	    "version, uptime, configuration in force, last reload error, counts" },
	{ "reload", "", 0, 0, ctl_cmd_reload,
	    "read the configuration again; FILE:LINE errors when refused" },
	{ "trunks", "", 0, 0, ctl_cmd_trunks, "the trunks of the configuration in force" },
	{ "dids", "", 0, 0, ctl_cmd_dids, "the numbers and where they go" },
	{ "extensions", "", 0, 0, ctl_cmd_extensions, "the extensions and their targets" },
	{ "dialplans", "", 0, 0, ctl_cmd_dialplans, "the dialplans and their rules" },
	{ "registrations", "", 0, 0, ctl_cmd_registrations,
	    "desk phones registered now: contact, source, user agent, expires in" },
	{ "calls", "", 0, 0, ctl_cmd_calls, "calls in progress" },
	{ "call", "ID", 1, 1, ctl_cmd_call, "one call with its legs" },
	{ "hangup", "ID", 1, 1, ctl_cmd_hangup, "end a call in progress" },
	{ "transfer", "ID --to TARGET [--method refer|bridge]", 3, 5, ctl_cmd_transfer,
	    "transfer an answered call in a room: REFER, or a bridge through the trunk" },
	{ "originate", "--extension EXT --to NUMBER [--trunk ID] [--tenant ID] [--timeout S]",
	    4, 10, ctl_cmd_originate,
	    "click-to-call: the room and the user's token now, the number rung meanwhile" },
	{ "cdr", "[--since ISO8601] [--limit N]", 0, 4, ctl_cmd_cdr,
	    "finished calls, newest first (default 100, at most 10000)" },
	{ "voicemail", "[EXT]", 0, 1, ctl_cmd_voicemail, "voicemail messages" },
	{ "metrics", "", 0, 0, ctl_cmd_metrics,
	    "Prometheus text exposition (--json does not apply)" },
};

#define CTL_NCMDS	(sizeof(ctl_cmds) / sizeof(ctl_cmds[0]))

int
ctl_cmd_err(struct buf *out, const char *fmt, ...)
{
	va_list ap;

	buf_reset(out);
	va_start(ap, fmt);
	buf_vprintf(out, fmt, ap);
	va_end(ap);
	return -1;
}

int
ctl_cmd_json_done(struct json *j, struct buf *out)
{
	if (json_finish(j) == 0) {
		buf_addc(out, '\n');
		return 0;
	}
	log_error("ctl: a command built an unbalanced JSON document");
	return ctl_cmd_err(out, "internal error: bad JSON output");
}

int
ctl_cmd_run(const struct ctl_request *req, struct buf *out)
{
	const char *name = req->argv[0];

	for (size_t i = 0; i < CTL_NCMDS; i++) {
		const struct ctl_cmd *c = &ctl_cmds[i];
		int nargs = req->argc - 1;

		if (strcmp(c->name, name) != 0)
			continue;
		if (nargs < c->min_args || nargs > c->max_args) {
			if (c->args[0] == '\0')
				return ctl_cmd_err(out, "%s takes no arguments", c->name);
			return ctl_cmd_err(out, "usage: %s %s", c->name, c->args);
		}
		return c->fn(req, out);
	}
	return ctl_cmd_err(out, "unknown command '%s' (try 'help')", name);
}

static int
ctl_cmd_help(const struct ctl_request *req, struct buf *out)
{
	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_array_begin(&j);
		for (size_t i = 0; i < CTL_NCMDS; i++) {
			json_object_begin(&j);
			json_kv_string(&j, "command", ctl_cmds[i].name);
			json_kv_string(&j, "args", ctl_cmds[i].args);
			json_kv_string(&j, "description", ctl_cmds[i].what);
			json_object_end(&j);
		}
		json_array_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	static const char *const hdr[] = { "COMMAND", "DESCRIPTION" };
	struct ctl_table t;

	ctl_table_init(&t, 2, hdr);
	for (size_t i = 0; i < CTL_NCMDS; i++) {
		char usage[128];

		snprintf(usage, sizeof(usage), "%s%s%s", ctl_cmds[i].name,
		    ctl_cmds[i].args[0] ? " " : "", ctl_cmds[i].args);
		ctl_table_row(&t, (const char *const[]){ usage, ctl_cmds[i].what });
	}
	ctl_table_render(&t, out);
	buf_adds(out, "Any command takes --json first for one JSON document instead.\n");
	return 0;
}

static size_t
ctl_cmd_rules(const struct config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_dialplans; i++)
		n += cfg->dialplans[i].n_rules;
	return n;
}

static void
ctl_cmd_status_json(struct json *j, const struct config *cfg, const struct reload_status *st,
    int active)
{
	int64_t now = loop_now_ms();
	char t[40];

	json_object_begin(j);
	json_kv_string(j, "version", PACKAGE_VERSION);
	json_kv_string(j, "started", ctl_fmt_time_str(loop_started_ms(), t, sizeof(t)));
	json_kv_int(j, "started_ms", loop_started_ms());
	json_kv_int(j, "uptime_seconds", (now - loop_started_ms()) / 1000);
	json_kv_uint(j, "generation", st->generation);
	json_kv_string(j, "loaded", ctl_fmt_time_str(st->loaded_ms, t, sizeof(t)));
	json_kv_int(j, "loaded_ms", st->loaded_ms);
	json_kv_string(j, "config_file", cfg->main_file);
	json_key(j, "config_files");
	json_array_begin(j);
	for (size_t i = 0; i < cfg->n_files; i++)
		json_string(j, cfg->files[i]);
	json_array_end(j);
	json_key(j, "reloads");
	json_object_begin(j);
	json_kv_uint(j, "ok", st->reloads_ok);
	json_kv_uint(j, "unchanged", st->reloads_unchanged);
	json_kv_uint(j, "refused", st->reloads_refused);
	json_object_end(j);
	json_key(j, "last_reload_error");
	if (st->last_errors == NULL)
		json_null(j);
	else {
		json_object_begin(j);
		json_kv_string(j, "at", ctl_fmt_time_str(st->last_error_ms, t, sizeof(t)));
		json_kv_int(j, "at_ms", st->last_error_ms);
		json_key(j, "errors");
		json_array_begin(j);
		for (size_t i = 0; i < st->last_errors->n; i++) {
			const struct config_error *e = &st->last_errors->v[i];
			char *text = config_error_format(e);

			json_object_begin(j);
			json_kv_string(j, "file", e->file);
			json_kv_int(j, "line", e->line);
			json_kv_string(j, "message", e->msg);
			json_kv_string(j, "text", text);
			json_object_end(j);
			free(text);
		}
		json_array_end(j);
		json_object_end(j);
	}
	json_key(j, "counts");
	json_object_begin(j);
	json_kv_uint(j, "tenants", cfg->n_tenants);
	json_kv_uint(j, "trunks", cfg->n_trunks);
	json_kv_uint(j, "dids", cfg->n_dids);
	json_kv_uint(j, "extensions", cfg->n_extensions);
	json_kv_uint(j, "dialplans", cfg->n_dialplans);
	json_kv_uint(j, "rules", ctl_cmd_rules(cfg));
	json_key(j, "calls_active");
	if (active < 0)
		json_null(j);
	else
		json_int(j, active);
	json_kv_int(j, "registrations_up", sip_reg_count_registered());
	json_kv_uint(j, "desk_phone_bindings", sip_registrar_count());
	json_object_end(j);
	json_key(j, "sip");
	json_object_begin(j);
	json_kv_string(j, "listen", sip_listen_url());
	json_kv_bool(j, "listeners_need_restart", sip_listeners_stale());
	json_kv_bool(j, "stopping", sip_stopping());
	json_object_end(j);
	json_object_end(j);
}

#define KV(key, ...) do {					\
	buf_printf(out, "%-19s ", key);			\
	buf_printf(out, __VA_ARGS__);				\
	buf_addc(out, '\n');					\
} while (0)

static int
ctl_cmd_status(const struct ctl_request *req, struct buf *out)
{
	const struct config *cfg = reload_current();
	struct reload_status st;
	int active = ctl_cmd_calls_active_count();
	int64_t now = loop_now_ms();
	char t[40], d[64];

	reload_get_status(&st);
	if (req->json) {
		struct json j;

		json_init(&j, out);
		ctl_cmd_status_json(&j, cfg, &st, active);
		return ctl_cmd_json_done(&j, out);
	}
	KV("version", "%s", PACKAGE_VERSION);
	KV("started", "%s", ctl_fmt_time_str(loop_started_ms(), t, sizeof(t)));
	KV("uptime", "%s", ctl_fmt_duration((now - loop_started_ms()) / 1000, d, sizeof(d)));
	KV("config generation", "%" PRIu64, st.generation);
	KV("config loaded", "%s", ctl_fmt_time_str(st.loaded_ms, t, sizeof(t)));
	KV("config file", "%s (%zu file%s read)", cfg->main_file, cfg->n_files,
	    cfg->n_files == 1 ? "" : "s");
	KV("reloads", "%" PRIu64 " ok, %" PRIu64 " unchanged, %" PRIu64 " refused",
	    st.reloads_ok, st.reloads_unchanged, st.reloads_refused);
	if (st.last_errors == NULL)
		KV("last reload error", "none");
	else {
		KV("last reload error", "refused at %s, %zu error%s:",
		    ctl_fmt_time_str(st.last_error_ms, t, sizeof(t)), st.last_errors->n,
		    st.last_errors->n == 1 ? "" : "s");
		for (size_t i = 0; i < st.last_errors->n; i++) {
			char *line = config_error_format(&st.last_errors->v[i]);

			buf_printf(out, "  %s\n", line);
			free(line);
		}
	}
	KV("tenants", "%zu", cfg->n_tenants);
	KV("trunks", "%zu", cfg->n_trunks);
	KV("dids", "%zu", cfg->n_dids);
	KV("extensions", "%zu", cfg->n_extensions);
	KV("dialplans", "%zu (%zu rule%s)", cfg->n_dialplans, ctl_cmd_rules(cfg),
	    ctl_cmd_rules(cfg) == 1 ? "" : "s");
	if (active < 0)
		KV("active calls", "unknown (database unavailable)");
	else
		KV("active calls", "%d", active);
	KV("registrations up", "%d", sip_reg_count_registered());
	KV("desk phones", "%zu binding%s", sip_registrar_count(),
	    sip_registrar_count() == 1 ? "" : "s");
	KV("sip listening", "%s%s", sip_listen_url(), sip_listeners_stale() ?
	    " (sip_listen changed: restart to apply)" : "");
	return 0;
}

static int
ctl_cmd_reload(const struct ctl_request *req, struct buf *out)
{
	struct config_errors errs = { 0 };
	struct reload_status before, after;

	log_info("ctl: reload requested by uid=%u pid=%d", (unsigned)req->uid, (int)req->pid);
	reload_get_status(&before);
	if (reload_run("ctl", &errs) == -1) {
		buf_reset(out);
		for (size_t i = 0; i < errs.n; i++) {
			char *line = config_error_format(&errs.v[i]);

			buf_printf(out, "%s\n", line);
			free(line);
		}
		if (errs.n == 0)
			buf_adds(out, "reload refused\n");
		config_errors_free(&errs);
		return -1;
	}
	config_errors_free(&errs);
	reload_get_status(&after);
	bool changed = after.generation != before.generation;

	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_object_begin(&j);
		json_kv_string(&j, "result", changed ? "loaded" : "unchanged");
		json_kv_uint(&j, "generation", after.generation);
		json_object_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	buf_printf(out, "generation %" PRIu64 " in force (%s)\n", after.generation,
	    changed ? "loaded" : "files unchanged");
	return 0;
}

static void
ctl_cmd_metric(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The SIP side and the webhooks: registrations by state, refusals, deliveries. */
static void
ctl_cmd_metrics_sip(struct buf *out, const struct config *cfg)
{
	static const enum sip_reg_state states[] = { REG_UNREGISTERED, REG_REGISTERING,
	    REG_REGISTERED, REG_FAILED };
	struct sip_guard_stats gs;
	struct webhook_stats ws;

	ctl_cmd_metric(out, "scaidial_registrations", "gauge",
	    "Trunk registrations by state.");
	for (size_t k = 0; k < sizeof(states) / sizeof(states[0]); k++) {
		int n = 0;

		for (size_t i = 0; i < cfg->n_trunks; i++) {
			struct sip_reg_info ri;

			if (sip_reg_info(cfg->trunks[i].id, &ri) == 0 && ri.state == states[k])
				n++;
		}
		buf_printf(out, "scaidial_registrations{state=\"%s\"} %d\n",
		    sip_reg_state_name(states[k]), n);
	}
	ctl_cmd_metric(out, "scaidial_desk_phone_bindings", "gauge",
	    "Desk phones' registrations with us (sip extensions' contacts).");
	buf_printf(out, "scaidial_desk_phone_bindings %zu\n", sip_registrar_count());
	sip_guard_get_stats(&gs);
	ctl_cmd_metric(out, "scaidial_sip_refused_total", "counter",
	    "SIP requests refused with the one answer strangers get, and of those, from "
	    "throttled sources.");
	buf_printf(out, "scaidial_sip_refused_total{throttled=\"no\"} %" PRIu64 "\n",
	    gs.refused - gs.throttled);
	buf_printf(out, "scaidial_sip_refused_total{throttled=\"yes\"} %" PRIu64 "\n",
	    gs.throttled);
	webhook_stats(&ws);
	ctl_cmd_metric(out, "scaidial_webhooks_total", "counter", "Webhook deliveries by outcome.");
	buf_printf(out, "scaidial_webhooks_total{outcome=\"delivered\"} %" PRIu64 "\n", ws.sent);
	buf_printf(out, "scaidial_webhooks_total{outcome=\"failed\"} %" PRIu64 "\n", ws.failed);
	buf_printf(out, "scaidial_webhooks_total{outcome=\"dropped\"} %" PRIu64 "\n", ws.dropped);
	ctl_cmd_metric(out, "scaidial_webhook_retries_total", "counter",
	    "Webhook attempts after the first.");
	buf_printf(out, "scaidial_webhook_retries_total %" PRIu64 "\n", ws.retried);
	ctl_cmd_metric(out, "scaidial_webhooks_queued", "gauge", "Webhook deliveries not finished.");
	buf_printf(out, "scaidial_webhooks_queued %u\n", ws.queued);
}

/* Prometheus text exposition format 0.0.4. Names and labels are a monitoring interface:
 * add, do not rename. */
static int
ctl_cmd_metrics(const struct ctl_request *req, struct buf *out)
{
	const struct config *cfg = reload_current();
	struct reload_status st;
	uint64_t queued = 0, written = 0, failed = 0;
	int active = ctl_cmd_calls_active_count();

	(void)req;
	reload_get_status(&st);
	store_stats(&queued, &written, &failed);
	ctl_cmd_metric(out, "scaidial_up", "gauge", "1 while the daemon runs.");
	buf_adds(out, "scaidial_up 1\n");
	ctl_cmd_metric(out, "scaidial_uptime_seconds", "gauge", "Seconds since the daemon started.");
	buf_printf(out, "scaidial_uptime_seconds %" PRId64 "\n",
	    (loop_now_ms() - loop_started_ms()) / 1000);
	ctl_cmd_metric(out, "scaidial_config_generation", "gauge",
	    "Generation of the configuration in force.");
	buf_printf(out, "scaidial_config_generation %" PRIu64 "\n", st.generation);
	ctl_cmd_metric(out, "scaidial_config_reloads_total", "counter",
	    "Configuration reloads by result.");
	buf_printf(out, "scaidial_config_reloads_total{result=\"ok\"} %" PRIu64 "\n",
	    st.reloads_ok);
	buf_printf(out, "scaidial_config_reloads_total{result=\"unchanged\"} %" PRIu64 "\n",
	    st.reloads_unchanged);
	buf_printf(out, "scaidial_config_reloads_total{result=\"refused\"} %" PRIu64 "\n",
	    st.reloads_refused);
	ctl_cmd_metric(out, "scaidial_config_objects", "gauge",
	    "Objects in the configuration in force, by kind.");
	buf_printf(out, "scaidial_config_objects{kind=\"tenants\"} %zu\n", cfg->n_tenants);
	buf_printf(out, "scaidial_config_objects{kind=\"trunks\"} %zu\n", cfg->n_trunks);
	buf_printf(out, "scaidial_config_objects{kind=\"dids\"} %zu\n", cfg->n_dids);
	buf_printf(out, "scaidial_config_objects{kind=\"extensions\"} %zu\n", cfg->n_extensions);
	buf_printf(out, "scaidial_config_objects{kind=\"dialplans\"} %zu\n", cfg->n_dialplans);
	buf_printf(out, "scaidial_config_objects{kind=\"rules\"} %zu\n", ctl_cmd_rules(cfg));
	if (active >= 0) {
		ctl_cmd_metric(out, "scaidial_calls_active", "gauge", "Calls in progress.");
		buf_printf(out, "scaidial_calls_active %d\n", active);
	}
	ctl_cmd_metric(out, "scaidial_store_writes_total", "counter",
	    "Database writes carried out, by result.");
	buf_printf(out, "scaidial_store_writes_total{result=\"ok\"} %" PRIu64 "\n", written);
	buf_printf(out, "scaidial_store_writes_total{result=\"failed\"} %" PRIu64 "\n", failed);
	ctl_cmd_metric(out, "scaidial_store_queue_length", "gauge",
	    "Database writes queued, not yet carried out.");
	buf_printf(out, "scaidial_store_queue_length %" PRIu64 "\n", queued);
	ctl_cmd_metrics_sip(out, cfg);
	ctl_cmd_metric(out, "scaidial_livekit_bridges", "gauge",
	    "Calls whose SIP participant is in (or joining) a LiveKit room.");
	buf_printf(out, "scaidial_livekit_bridges %zu\n", lk_bridge_count());
	media_metrics(out);
	return 0;
}
