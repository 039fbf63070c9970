/* config_parse: libconfig text → struct config, checking every setting as it goes.
 * Strict on purpose: an unknown setting is an error, because a misspelt "expirse" that
 * silently falls back to a default is how a PBX ends up doing something nobody wrote. */
#include "config_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "log.h"
#include "number.h"
#include "strmap.h"
#include "tz.h"
#include "xmalloc.h"

#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR	"/var"
#endif
#ifndef PKGDATADIR
#define PKGDATADIR	"/usr/share/scaidial"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif

void
cp_err(struct cp *cp, const config_setting_t *s, const char *fmt, ...)
{
	const char *file = NULL;
	int line = 0;
	va_list ap;
	struct buf b;

	if (s != NULL)
		config_src_map(cp->src, config_setting_source_line(s), &file, &line);
	if (file == NULL && cp->src->n_files > 0)
		file = cp->src->files[0];
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	config_errors_add(cp->errs, file, line, "%s", b.data);
	buf_free(&b);
}

void
cp_known(struct cp *cp, const config_setting_t *grp, const char *what,
    const char *const *keys)
{
	int n = config_setting_length(grp);

	for (int i = 0; i < n; i++) {
		const config_setting_t *m = config_setting_get_elem(grp, (unsigned)i);
		const char *name = config_setting_name(m);
		size_t k;

		if (name == NULL)
			continue;
		for (k = 0; keys[k] != NULL; k++) {
			if (strcmp(keys[k], name) == 0)
				break;
		}
		if (keys[k] == NULL)
			cp_err(cp, m, "%s: unknown setting \"%s\"", what, name);
	}
}

static const config_setting_t *
cp_member(const config_setting_t *grp, const char *key)
{
	return grp ? config_setting_get_member(grp, key) : NULL;
}

const char *
cp_str(struct cp *cp, const config_setting_t *grp, const char *what, const char *key,
    int required, const char *def)
{
	const config_setting_t *s = cp_member(grp, key);

	if (s == NULL) {
		if (required)
			cp_err(cp, grp, "%s: %s is required", what, key);
		return def ? arena_strdup(cp->a, def) : NULL;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		cp_err(cp, s, "%s: %s must be a string", what, key);
		return def ? arena_strdup(cp->a, def) : NULL;
	}
	const char *v = config_setting_get_string(s);

	if (required && v[0] == '\0') {
		cp_err(cp, s, "%s: %s must not be empty", what, key);
		return arena_strdup(cp->a, v);
	}
	return arena_strdup(cp->a, v);
}

int
cp_int(struct cp *cp, const config_setting_t *grp, const char *what, const char *key,
    int required, int def, int min, int max)
{
	const config_setting_t *s = cp_member(grp, key);
	long long v;

	if (s == NULL) {
		if (required)
			cp_err(cp, grp, "%s: %s is required", what, key);
		return def;
	}
	if (config_setting_type(s) == CONFIG_TYPE_INT)
		v = config_setting_get_int(s);
	else if (config_setting_type(s) == CONFIG_TYPE_INT64)
		v = config_setting_get_int64(s);
	else {
		cp_err(cp, s, "%s: %s must be a whole number", what, key);
		return def;
	}
	if (v < min || v > max) {
		cp_err(cp, s, "%s: %s = %lld is out of range (%d..%d)", what, key, v, min, max);
		return def;
	}
	return (int)v;
}

int
cp_bool(struct cp *cp, const config_setting_t *grp, const char *what, const char *key,
    int def)
{
	const config_setting_t *s = cp_member(grp, key);

	if (s == NULL)
		return def;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cp_err(cp, s, "%s: %s must be true or false", what, key);
		return def;
	}
	return config_setting_get_bool(s);
}

int
cp_enum(struct cp *cp, const config_setting_t *grp, const char *what, const char *key,
    const char *const *names, int required, int def)
{
	const config_setting_t *s = cp_member(grp, key);

	if (s == NULL) {
		if (required) {
			cp_err(cp, grp, "%s: %s is required", what, key);
			return -1;
		}
		return def;
	}
	if (config_setting_type(s) == CONFIG_TYPE_STRING) {
		const char *v = config_setting_get_string(s);

		for (int i = 0; names[i] != NULL; i++) {
			if (strcmp(names[i], v) == 0)
				return i;
		}
	}
	struct buf b;

	buf_init(&b);
	for (int i = 0; names[i] != NULL; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		cp_err(cp, s, "%s: %s = \"%s\" is not one of: %s", what, key,
		    config_setting_get_string(s), b.data);
	else
		cp_err(cp, s, "%s: %s must be one of: %s", what, key, b.data);
	buf_free(&b);
	return -1;
}

int
cp_enum_or(struct cp *cp, const config_setting_t *grp, const char *what, const char *key,
    const char *const *names, int def)
{
	int v = cp_enum(cp, grp, what, key, names, 0, def);

	return v < 0 ? def : v;
}

const char **
cp_strlist(struct cp *cp, const config_setting_t *grp, const char *what, const char *key,
    int single_ok, size_t *n)
{
	const config_setting_t *s = cp_member(grp, key);
	const char **v;

	*n = 0;
	if (s == NULL)
		return NULL;
	if (single_ok && config_setting_type(s) == CONFIG_TYPE_STRING) {
		v = arena_alloc(cp->a, sizeof(*v));
		v[0] = arena_strdup(cp->a, config_setting_get_string(s));
		*n = 1;
		return v;
	}
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		cp_err(cp, s, "%s: %s must be a list of strings, like [ \"a\", \"b\" ]", what, key);
		return NULL;
	}
	int len = config_setting_length(s);

	v = arena_alloc(cp->a, (size_t)(len + 1) * sizeof(*v));
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING) {
			cp_err(cp, e, "%s: %s[%d] must be a string", what, key, i);
			continue;
		}
		v[(*n)++] = arena_strdup(cp->a, config_setting_get_string(e));
	}
	return v;
}

void
cp_loc(struct cp *cp, const config_setting_t *s, struct config_loc *loc)
{
	const char *file;

	loc->file = NULL;
	config_src_map(cp->src, s ? config_setting_source_line(s) : 0, &file, &loc->line);
	for (size_t i = 0; file != NULL && i < cp->cfg->n_files; i++) {
		if (strcmp(cp->cfg->files[i], file) == 0)
			loc->file = cp->cfg->files[i];
	}
}

const config_setting_t *
cp_section(struct cp *cp, const config_setting_t *grp, const char *key, int list,
    int required)
{
	const config_setting_t *s = cp_member(grp, key);

	if (s == NULL) {
		if (required)
			cp_err(cp, grp, "%s is required", key);
		return NULL;
	}
	if (list ? !config_setting_is_list(s) : !config_setting_is_group(s)) {
		cp_err(cp, s, list ? "%s must be a list of groups: %s = ( { ... }, { ... } );"
		    : "%s must be a group: %s = { ... };", key, key);
		return NULL;
	}
	if (list) {
		int n = config_setting_length(s);

		for (int i = 0; i < n; i++) {
			const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);

			if (!config_setting_is_group(e)) {
				cp_err(cp, e, "%s[%d] must be a group { ... }", key, i);
				return NULL;
			}
		}
	}
	return s;
}

const struct tz *
cp_zone(struct cp *cp, const config_setting_t *s, const char *what, const char *name)
{
	struct config *cfg = cp->cfg;
	char err[256];
	struct tz *z;

	for (size_t i = 0; i < cfg->n_zones; i++) {
		if (strcmp(tz_name(cfg->zones[i]), name) == 0)
			return cfg->zones[i];
	}
	if (tz_load(name, &z, err, sizeof(err)) == -1) {
		cp_err(cp, s, "%s: %s", what, err);
		return NULL;
	}
	cfg->zones = xrealloc(cfg->zones, (cfg->n_zones + 1) * sizeof(*cfg->zones));
	cfg->zones[cfg->n_zones++] = z;
	return z;
}

int
cp_id_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return 0;
	for (; *s; s++) {
		if (!isalnum((unsigned char)*s) && strchr("_.@+-", *s) == NULL)
			return 0;
	}
	return 1;
}

int
cp_sip_uri_ok(const char *s)
{
	const char *host;

	if (strncmp(s, "sip:", 4) == 0)
		host = s + 4;
	else if (strncmp(s, "sips:", 5) == 0)
		host = s + 5;
	else
		return 0;
	if (strchr(host, '@') != NULL)
		host = strchr(host, '@') + 1;
	if (*host == '\0' || *host == ':' || *host == ';')
		return 0;
	for (const char *p = s; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	}
	return 1;
}

static int
cp_ip_ok(const char *s)
{
	unsigned char addr[16];

	return inet_pton(AF_INET, s, addr) == 1 || inet_pton(AF_INET6, s, addr) == 1;
}

static int
cp_http_url_ok(const char *s)
{
	const char *host;

	if (strncmp(s, "http://", 7) == 0)
		host = s + 7;
	else if (strncmp(s, "https://", 8) == 0)
		host = s + 8;
	else
		return 0;
	if (*host == '\0' || *host == '/' || *host == ':')
		return 0;
	for (const char *p = s; *p; p++) {
		if (isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
			return 0;
	}
	return 1;
}

/* Relative paths in general are taken from the main file's directory, so a config tree
 * can be moved (tests, the quick start) without rewriting it. */
static const char *
cp_path(struct cp *cp, const char *path)
{
	if (path == NULL || path[0] == '/' || path[0] == '\0' || cp->src->n_files == 0)
		return path;
	const char *main = cp->src->files[0];
	const char *slash = strrchr(main, '/');

	if (slash == NULL)
		return path;
	struct buf b;

	buf_init(&b);
	buf_add(&b, main, (size_t)(slash - main + 1));
	buf_adds(&b, path);
	const char *r = arena_strdup(cp->a, b.data);

	buf_free(&b);
	return r;
}

static void
cp_listen(struct cp *cp, const config_setting_t *gen)
{
	static const char *const def[] = { "udp:0.0.0.0:5060", "tcp:0.0.0.0:5060" };
	struct config_general *g = &cp->cfg->general;
	const config_setting_t *s = cp_member(gen, "sip_listen");
	const char **v;
	size_t n;

	v = cp_strlist(cp, gen, "general", "sip_listen", 0, &n);
	if (s == NULL) {
		v = (const char **)def;
		n = 2;
	} else if (n == 0 && v != NULL) {
		cp_err(cp, s, "general: sip_listen must name at least one address");
	}
	g->listen = arena_alloc(cp->a, (n ? n : 1) * sizeof(*g->listen));
	for (size_t i = 0; i < n; i++) {
		struct listen_addr *l = &g->listen[g->n_listen];
		const char *e = v[i], *host, *colon;
		char hostbuf[64];
		size_t hl;

		if (strncmp(e, "udp:", 4) == 0)
			l->proto = LISTEN_UDP;
		else if (strncmp(e, "tcp:", 4) == 0)
			l->proto = LISTEN_TCP;
		else if (strncmp(e, "tls:", 4) == 0)
			l->proto = LISTEN_TLS;
		else {
			cp_err(cp, s, "general: sip_listen \"%s\": expected udp:, tcp: or tls: "
			    "then ADDRESS:PORT", e);
			continue;
		}
		host = e + 4;
		if (*host == '[') {
			const char *close = strchr(host, ']');

			if (close == NULL) {
				cp_err(cp, s, "general: sip_listen \"%s\": missing ']'", e);
				continue;
			}
			hl = (size_t)(close - host - 1);
			host++;
			colon = close[1] == ':' ? close + 1 : NULL;
			if (close[1] != '\0' && colon == NULL) {
				cp_err(cp, s, "general: sip_listen \"%s\": junk after ']'", e);
				continue;
			}
		} else {
			colon = strrchr(host, ':');
			hl = colon ? (size_t)(colon - host) : strlen(host);
		}
		if (hl == 0 || hl >= sizeof(hostbuf)) {
			cp_err(cp, s, "general: sip_listen \"%s\": missing address", e);
			continue;
		}
		memcpy(hostbuf, host, hl);
		hostbuf[hl] = '\0';
		if (!cp_ip_ok(hostbuf)) {
			cp_err(cp, s, "general: sip_listen \"%s\": \"%s\" is not an IP address",
			    e, hostbuf);
			continue;
		}
		l->port = l->proto == LISTEN_TLS ? 5061 : 5060;
		if (colon != NULL) {
			char *end;
			long p = strtol(colon + 1, &end, 10);

			if (colon[1] == '\0' || *end != '\0' || p < 1 || p > 65535) {
				cp_err(cp, s, "general: sip_listen \"%s\": bad port", e);
				continue;
			}
			l->port = (int)p;
		}
		l->host = arena_strdup(cp->a, hostbuf);
		cp_loc(cp, s, &l->loc);
		for (size_t j = 0; j < g->n_listen; j++) {
			if (g->listen[j].proto == l->proto && g->listen[j].port == l->port &&
			    strcmp(g->listen[j].host, l->host) == 0) {
				cp_err(cp, s, "general: sip_listen \"%s\" is listed twice", e);
				l = NULL;
				break;
			}
			/* sofia-sip binds one address for UDP and TCP together, and one for TLS. */
			if ((g->listen[j].proto == LISTEN_TLS) == (l->proto == LISTEN_TLS) &&
			    (g->listen[j].port != l->port || strcmp(g->listen[j].host, l->host) != 0)) {
				cp_err(cp, s, "general: sip_listen \"%s\": %s", e, l->proto == LISTEN_TLS ?
				    "only one tls: listener is supported" :
				    "udp: and tcp: listeners must share one address and port");
				l = NULL;
				break;
			}
		}
		if (l != NULL)
			g->n_listen++;
	}
}

static void
cp_general(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "sip_listen", "external_ip", "rtp_ports", "database",
	    "spool_dir", "control_socket", "log_level", "user_agent", "tls_cert", "tls_key",
	    "timezone", "voicemail_greeting", "voicemail_max_seconds",
	    "voicemail_silence_seconds", "registrar_min_expires", "registrar_max_expires", NULL };
	static const char *const levels[] = { "error", "warn", "info", "debug", NULL };
	const config_setting_t *gen = cp_section(cp, root, "general", 0, 0);
	struct config_general *g = &cp->cfg->general;

	if (gen != NULL)
		cp_known(cp, gen, "general", keys);
	cp_listen(cp, gen);
	g->tls_cert = cp_path(cp, cp_str(cp, gen, "general", "tls_cert", 0, ""));
	g->tls_key = cp_path(cp, cp_str(cp, gen, "general", "tls_key", 0, ""));
	for (size_t i = 0; i < g->n_listen; i++) {
		if (g->listen[i].proto != LISTEN_TLS)
			continue;
		if (g->tls_cert[0] == '\0' || g->tls_key[0] == '\0')
			cp_err(cp, gen, "general: a tls: listener needs tls_cert and tls_key");
		else if (access(g->tls_cert, R_OK) != 0 || access(g->tls_key, R_OK) != 0)
			cp_err(cp, cp_member(gen, "tls_cert"),
			    "general: cannot read tls_cert \"%s\" or tls_key \"%s\"",
			    g->tls_cert, g->tls_key);
		break;
	}
	g->external_ip = cp_str(cp, gen, "general", "external_ip", 0, "");
	if (g->external_ip[0] != '\0' && !cp_ip_ok(g->external_ip))
		cp_err(cp, cp_member(gen, "external_ip"),
		    "general: external_ip \"%s\" is not an IP address", g->external_ip);

	const config_setting_t *rp = cp_member(gen, "rtp_ports");

	g->rtp_port_min = 10000;
	g->rtp_port_max = 20000;
	if (rp != NULL) {
		if (!config_setting_is_aggregate(rp) || config_setting_length(rp) != 2 ||
		    config_setting_type(config_setting_get_elem(rp, 0)) != CONFIG_TYPE_INT ||
		    config_setting_type(config_setting_get_elem(rp, 1)) != CONFIG_TYPE_INT) {
			cp_err(cp, rp, "general: rtp_ports must be [ FIRST, LAST ]");
		} else {
			int lo = config_setting_get_int_elem(rp, 0);
			int hi = config_setting_get_int_elem(rp, 1);

			if (lo < 1024 || hi > 65535 || hi - lo < 3)
				cp_err(cp, rp, "general: rtp_ports [ %d, %d ] must lie within "
				    "1024..65535 and hold at least 4 ports", lo, hi);
			else {
				g->rtp_port_min = lo;
				g->rtp_port_max = hi;
			}
		}
	}
	g->database = cp_path(cp, cp_str(cp, gen, "general", "database", 0,
	    LOCALSTATEDIR "/lib/scaidial/scaidial.db"));
	g->spool_dir = cp_path(cp, cp_str(cp, gen, "general", "spool_dir", 0,
	    LOCALSTATEDIR "/spool/scaidial"));
	g->control_socket = cp_path(cp, cp_str(cp, gen, "general", "control_socket", 0,
	    RUNSTATEDIR "/scaidial/ctl.sock"));
	if (g->database[0] == '\0')
		cp_err(cp, cp_member(gen, "database"), "general: database must not be empty");
	if (g->spool_dir[0] == '\0')
		cp_err(cp, cp_member(gen, "spool_dir"), "general: spool_dir must not be empty");
	if (g->control_socket[0] == '\0' || strlen(g->control_socket) >= 108)
		cp_err(cp, cp_member(gen, "control_socket"),
		    "general: control_socket must be a path of 1..107 characters");
	g->log_level = cp_enum_or(cp, gen, "general", "log_level", levels, LOG_LVL_INFO);
	g->user_agent = cp_str(cp, gen, "general", "user_agent", 0, "scaidial");
	for (const char *p = g->user_agent; *p; p++) {
		if (iscntrl((unsigned char)*p)) {
			cp_err(cp, cp_member(gen, "user_agent"),
			    "general: user_agent must not hold control characters");
			break;
		}
	}
	const char *zone = cp_str(cp, gen, "general", "timezone", 0, "UTC");

	g->timezone = cp_zone(cp, cp_member(gen, "timezone"), "general: timezone", zone);
	/* Read when a message is left, not now: a missing file means beep without greeting. */
	g->voicemail_greeting = cp_path(cp, cp_str(cp, gen, "general", "voicemail_greeting", 0,
	    PKGDATADIR "/greeting.wav"));
	g->voicemail_max_s = cp_int(cp, gen, "general", "voicemail_max_seconds", 0, 180, 5, 3600);
	g->voicemail_silence_s = cp_int(cp, gen, "general", "voicemail_silence_seconds", 0, 10,
	    0, 300);
	/* Desk phones' bindings (sip_registrar): shorter asks get 423, longer are cut. */
	g->registrar_min_expires = cp_int(cp, gen, "general", "registrar_min_expires", 0, 60,
	    1, 86400);
	g->registrar_max_expires = cp_int(cp, gen, "general", "registrar_max_expires", 0, 3600,
	    1, 86400);
	if (g->registrar_max_expires < g->registrar_min_expires)
		cp_err(cp, cp_member(gen, "registrar_max_expires"), "general: "
		    "registrar_max_expires (%d) is below registrar_min_expires (%d)",
		    g->registrar_max_expires, g->registrar_min_expires);
}

static void
cp_livekit(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "url", "api_key", "api_secret", "room_prefix", NULL };
	const config_setting_t *lk = cp_section(cp, root, "livekit", 0, 0);
	struct config_livekit *l = &cp->cfg->livekit;

	if (lk != NULL)
		cp_known(cp, lk, "livekit", keys);
	l->url = cp_str(cp, lk, "livekit", "url", 0, "");
	l->api_key = cp_str(cp, lk, "livekit", "api_key", 0, "");
	l->api_secret = cp_str(cp, lk, "livekit", "api_secret", 0, "");
	l->room_prefix = cp_str(cp, lk, "livekit", "room_prefix", 0, "call-");
	if (l->url[0] != '\0' && strncmp(l->url, "ws://", 5) != 0 &&
	    strncmp(l->url, "wss://", 6) != 0)
		cp_err(cp, cp_member(lk, "url"),
		    "livekit: url \"%s\" must start with ws:// or wss://", l->url);
	if (strlen(l->room_prefix) > 32 ||
	    (l->room_prefix[0] != '\0' && !cp_id_ok(l->room_prefix)))
		cp_err(cp, cp_member(lk, "room_prefix"),
		    "livekit: room_prefix must be at most 32 of [A-Za-z0-9_.@+-]");
}

static void
cp_webhooks(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "secret", "wave_ring", "bot_kickoff",
	    "transcription", "call_events", NULL };
	const config_setting_t *wh = cp_section(cp, root, "webhooks", 0, 0);
	struct config_webhooks *w = &cp->cfg->webhooks;
	const char **urls[] = { &w->wave_ring, &w->bot_kickoff, &w->transcription,
	    &w->call_events };
	int any = 0;

	if (wh != NULL)
		cp_known(cp, wh, "webhooks", keys);
	w->secret = cp_str(cp, wh, "webhooks", "secret", 0, "");
	for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		const char *key = keys[i + 1];

		*urls[i] = cp_str(cp, wh, "webhooks", key, 0, "");
		if ((*urls[i])[0] == '\0')
			continue;
		any = 1;
		if (!cp_http_url_ok(*urls[i]))
			cp_err(cp, cp_member(wh, key),
			    "webhooks: %s \"%s\" must be an http:// or https:// URL", key, *urls[i]);
	}
	if (any && w->secret[0] == '\0')
		cp_err(cp, wh, "webhooks: secret is required to sign the webhooks");
}

/* storage: { s3_endpoint; s3_bucket; s3_region; s3_access_key; s3_secret_key; s3_prefix; } */
static void
cp_storage(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "s3_endpoint", "s3_bucket", "s3_region",
	    "s3_access_key", "s3_secret_key", "s3_prefix", NULL };
	const config_setting_t *st = cp_section(cp, root, "storage", 0, 0);
	struct config_storage *s = &cp->cfg->storage;
	const char **v[] = { &s->s3_endpoint, &s->s3_bucket, &s->s3_region, &s->s3_access_key,
	    &s->s3_secret_key, &s->s3_prefix };

	if (st != NULL)
		cp_known(cp, st, "storage", keys);
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		*v[i] = cp_str(cp, st, "storage", keys[i], 0, "");
	if (s->s3_endpoint[0] == '\0') {
		if (st != NULL && (s->s3_bucket[0] || s->s3_access_key[0]))
			cp_err(cp, st, "storage: s3_endpoint is required with the other s3_ settings");
		return;
	}
	if (!cp_http_url_ok(s->s3_endpoint) || strchr(s->s3_endpoint + 8, '/') != NULL)
		cp_err(cp, cp_member(st, "s3_endpoint"),
		    "storage: s3_endpoint \"%s\" must be http(s)://host[:port] without a path",
		    s->s3_endpoint);
	for (size_t i = 1; i < 5; i++)
		if ((*v[i])[0] == '\0')
			cp_err(cp, st, "storage: %s is required with s3_endpoint", keys[i]);
	/* They go into a URL path and a SigV4 scope: keep them to plain characters. */
	if (s->s3_bucket[0] != '\0' && !cp_id_ok(s->s3_bucket))
		cp_err(cp, cp_member(st, "s3_bucket"), "storage: s3_bucket must be of [A-Za-z0-9_.@+-]");
	if (s->s3_region[0] != '\0' && !cp_id_ok(s->s3_region))
		cp_err(cp, cp_member(st, "s3_region"), "storage: s3_region must be of [A-Za-z0-9_.@+-]");
	for (const char *c = s->s3_prefix; *c != '\0'; c++)
		if (!(*c == '/' || *c == '-' || *c == '_' || *c == '.' ||
		    (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z'))) {
			cp_err(cp, cp_member(st, "s3_prefix"),
			    "storage: s3_prefix must be of [A-Za-z0-9/_.-]");
			break;
		}
	if (strchr(s->s3_access_key, ':') != NULL)
		cp_err(cp, cp_member(st, "s3_access_key"), "storage: s3_access_key holds a ':'");
}

static void
cp_tenants(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "id", "name", "policy", NULL };
	static const char *const pkeys[] = { "max_concurrent_calls", "voicemail_transcripts",
	    "outbound_allow", NULL };
	const config_setting_t *list = cp_section(cp, root, "tenants", 1, 0);
	struct config *cfg = cp->cfg;
	int n = list ? config_setting_length(list) : 0;

	cfg->tenants = arena_alloc(cp->a, (size_t)(n ? n : 1) * sizeof(*cfg->tenants));
	cfg->idx_tenant = strmap_new((size_t)n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct tenant *t = &cfg->tenants[cfg->n_tenants];
		char what[128];

		t->id = cp_str(cp, s, "tenant", "id", 1, "");
		snprintf(what, sizeof(what), "tenant \"%s\"", t->id);
		cp_known(cp, s, what, keys);
		if (t->id[0] != '\0' && !cp_id_ok(t->id))
			cp_err(cp, s, "%s: id must be 1..64 of [A-Za-z0-9_.@+-]", what);
		t->name = cp_str(cp, s, what, "name", 0, t->id);
		cp_loc(cp, s, &t->loc);

		const config_setting_t *pol = cp_member(s, "policy");

		if (pol != NULL && !config_setting_is_group(pol)) {
			cp_err(cp, pol, "%s: policy must be a group { ... }", what);
			pol = NULL;
		}
		if (pol != NULL)
			cp_known(cp, pol, what, pkeys);
		t->max_concurrent_calls = cp_int(cp, pol, what, "max_concurrent_calls", 0, 0, 0,
		    1000000);
		t->voicemail_transcripts = cp_bool(cp, pol, what, "voicemail_transcripts", 0);
		t->outbound_allow = cp_strlist(cp, pol, what, "outbound_allow", 0,
		    &t->n_outbound_allow);
		for (size_t k = 0; k < t->n_outbound_allow; k++) {
			const char *p = t->outbound_allow[k];

			if (p[0] != '+' || strspn(p + 1, "0123456789*?") != strlen(p + 1))
				cp_err(cp, cp_member(pol, "outbound_allow"), "%s: outbound_allow "
				    "pattern \"%s\" must be '+' then digits, '*' and '?'", what, p);
		}
		if (t->voicemail_transcripts && cfg->webhooks.transcription[0] == '\0')
			cp_err(cp, pol, "%s: voicemail_transcripts needs webhooks.transcription",
			    what);
		if (t->id[0] == '\0')
			continue;
		if (strmap_put(cfg->idx_tenant, t->id, t) != NULL) {
			cp_err(cp, s, "%s is defined twice", what);
			continue;
		}
		cfg->n_tenants++;
	}
}

/* "198.51.100.0/24", "2001:db8::/32", or a bare address (a /32 or /128). */
static int
cp_cidr(const char *s, struct cidr *c)
{
	char addr[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	int max;

	if (n == 0 || n >= sizeof(addr))
		return -1;
	memcpy(addr, s, n);
	addr[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, addr, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	c->prefix = max;
	if (slash != NULL) {
		char *end;
		long p = strtol(slash + 1, &end, 10);

		if (slash[1] == '\0' || *end != '\0' || p < 0 || p > max)
			return -1;
		c->prefix = (int)p;
	}
	for (int bit = c->prefix; bit < max; bit++)
		c->addr[bit / 8] &= (unsigned char)~(0x80 >> (bit % 8));
	return 0;
}

static void
cp_trunk_codecs(struct cp *cp, const config_setting_t *s, const char *what, struct trunk *t)
{
	static const char *const names[] = { "opus", "PCMU", "PCMA", "G722", NULL };
	size_t n;
	const char **v = cp_strlist(cp, s, what, "codecs", 0, &n);

	if (v == NULL) {
		t->codecs[0] = CODEC_PCMU;
		t->codecs[1] = CODEC_PCMA;
		t->n_codecs = 2;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int c;

		for (c = 0; names[c] != NULL; c++) {
			if (strcasecmp(names[c], v[i]) == 0)
				break;
		}
		if (names[c] == NULL) {
			cp_err(cp, cp_member(s, "codecs"), "%s: unknown codec \"%s\" (known: opus, "
			    "PCMU, PCMA, G722)", what, v[i]);
			continue;
		}
		for (size_t k = 0; k < t->n_codecs; k++) {
			if (t->codecs[k] == (enum codec)c) {
				cp_err(cp, cp_member(s, "codecs"), "%s: codec \"%s\" is listed twice",
				    what, v[i]);
				c = -1;
				break;
			}
		}
		if (c >= 0)
			t->codecs[t->n_codecs++] = (enum codec)c;
	}
	if (t->n_codecs == 0)
		cp_err(cp, cp_member(s, "codecs"), "%s: codecs must name at least one codec", what);
}

static void
cp_trunks(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "id", "tenant", "mode", "registrar", "address",
	    "proxy", "username", "password", "expires", "allowed_addresses", "codecs", "srtp",
	    "dtmf", "max_concurrent_calls", NULL };
	static const char *const modes[] = { "register", "peer", NULL };
	static const char *const srtps[] = { "off", "optional", "required", NULL };
	static const char *const dtmfs[] = { "rfc4733", "info", NULL };
	const config_setting_t *list = cp_section(cp, root, "trunks", 1, 0);
	struct config *cfg = cp->cfg;
	int n = list ? config_setting_length(list) : 0;

	cfg->trunks = arena_alloc(cp->a, (size_t)(n ? n : 1) * sizeof(*cfg->trunks));
	cfg->idx_trunk = strmap_new((size_t)n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct trunk *t = &cfg->trunks[cfg->n_trunks];
		char what[128];

		t->id = cp_str(cp, s, "trunk", "id", 1, "");
		snprintf(what, sizeof(what), "trunk \"%s\"", t->id);
		cp_known(cp, s, what, keys);
		if (t->id[0] != '\0' && !cp_id_ok(t->id))
			cp_err(cp, s, "%s: id must be 1..64 of [A-Za-z0-9_.@+-]", what);
		cp_loc(cp, s, &t->loc);

		const char *tenant = cp_str(cp, s, what, "tenant", 1, "");

		t->tenant = tenant[0] ? config_find_tenant(cfg, tenant) : NULL;
		if (tenant[0] && t->tenant == NULL)
			cp_err(cp, cp_member(s, "tenant"), "%s: no tenant \"%s\"", what, tenant);
		int mode = cp_enum(cp, s, what, "mode", modes, 1, TRUNK_REGISTER);
		/* With no valid mode, what the mode requires is unknown: no follow-on errors. */
		int reg = mode == TRUNK_REGISTER, peer = mode == TRUNK_PEER;

		t->mode = mode < 0 ? TRUNK_REGISTER : (enum trunk_mode)mode;
		t->registrar = cp_str(cp, s, what, "registrar", reg, "");
		t->address = cp_str(cp, s, what, "address", peer, "");
		t->proxy = cp_str(cp, s, what, "proxy", 0, "");
		t->username = cp_str(cp, s, what, "username", reg, "");
		t->password = cp_str(cp, s, what, "password", reg, "");
		const char *uris[] = { "registrar", "address", "proxy" };
		const char *vals[] = { t->registrar, t->address, t->proxy };

		for (size_t k = 0; k < 3; k++) {
			if (vals[k][0] != '\0' && !cp_sip_uri_ok(vals[k]))
				cp_err(cp, cp_member(s, uris[k]), "%s: %s \"%s\" is not a sip: or "
				    "sips: URI", what, uris[k], vals[k]);
		}
		if (peer && t->registrar[0] != '\0')
			cp_err(cp, cp_member(s, "registrar"),
			    "%s: registrar is for mode \"register\"; peer trunks use address", what);
		t->expires = cp_int(cp, s, what, "expires", 0, 300, 30, 86400);

		size_t na;
		const char **addrs = cp_strlist(cp, s, what, "allowed_addresses", 0, &na);

		t->allowed = arena_alloc(cp->a, (na ? na : 1) * sizeof(*t->allowed));
		for (size_t k = 0; k < na; k++) {
			if (cp_cidr(addrs[k], &t->allowed[t->n_allowed]) == -1)
				cp_err(cp, cp_member(s, "allowed_addresses"), "%s: allowed_addresses "
				    "\"%s\" is not an address or CIDR block", what, addrs[k]);
			else
				t->n_allowed++;
		}
		/* A peer trunk authenticates by source address alone: with no list it would
		 * accept calls (and bill them) from anyone on the Internet. */
		if (peer && na == 0)
			cp_err(cp, s, "%s: a peer trunk needs allowed_addresses", what);
		cp_trunk_codecs(cp, s, what, t);
		t->srtp = (enum srtp_mode)cp_enum_or(cp, s, what, "srtp", srtps, SRTP_OFF);
		t->dtmf = (enum dtmf_mode)cp_enum_or(cp, s, what, "dtmf", dtmfs, DTMF_RFC4733);
		t->max_concurrent_calls = cp_int(cp, s, what, "max_concurrent_calls", 0, 0, 0,
		    1000000);
		if (t->id[0] == '\0')
			continue;
		if (strmap_put(cfg->idx_trunk, t->id, t) != NULL) {
			cp_err(cp, s, "%s is defined twice", what);
			continue;
		}
		cfg->n_trunks++;
	}
}

static void
cp_extensions(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "id", "tenant", "type", "user", "bot", "username",
	    "password", "voicemail", "greeting", NULL };
	static const char *const types[] = { "wave", "bot", "sip", NULL };
	/* The one setting each type needs, and which of the others it must not carry. */
	static const char *const own[][3] = {
		[EXT_WAVE] = { "user", NULL, NULL },
		[EXT_BOT] = { "bot", NULL, NULL },
		[EXT_SIP] = { "username", "password", NULL },
	};
	const config_setting_t *list = cp_section(cp, root, "extensions", 1, 0);
	struct config *cfg = cp->cfg;
	int n = list ? config_setting_length(list) : 0;

	/* A desk phone's REGISTER names only its username, so usernames are unique across
	 * tenants. */
	struct strmap *usernames = strmap_new((size_t)n);

	cfg->extensions = arena_alloc(cp->a, (size_t)(n ? n : 1) * sizeof(*cfg->extensions));
	cfg->idx_extension = strmap_new((size_t)n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct extension *e = &cfg->extensions[cfg->n_extensions];
		char what[160];

		e->id = cp_str(cp, s, "extension", "id", 1, "");
		snprintf(what, sizeof(what), "extension \"%s\"", e->id);
		cp_known(cp, s, what, keys);
		if (e->id[0] != '\0' && !cp_id_ok(e->id))
			cp_err(cp, s, "%s: id must be 1..64 of [A-Za-z0-9_.@+-]", what);
		cp_loc(cp, s, &e->loc);

		const char *tenant = cp_str(cp, s, what, "tenant", 1, "");

		e->tenant = tenant[0] ? config_find_tenant(cfg, tenant) : NULL;
		if (tenant[0] && e->tenant == NULL)
			cp_err(cp, cp_member(s, "tenant"), "%s: no tenant \"%s\"", what, tenant);
		int type = cp_enum(cp, s, what, "type", types, 1, EXT_WAVE);

		e->type = type < 0 ? EXT_WAVE : (enum ext_type)type;
		if (type >= 0) {
			static const char *const typed[] = { "user", "bot", "username", "password" };

			for (size_t k = 0; k < 4; k++) {
				int mine = 0;

				for (size_t m = 0; own[e->type][m] != NULL; m++)
					mine |= strcmp(own[e->type][m], typed[k]) == 0;
				if (!mine && cp_member(s, typed[k]) != NULL)
					cp_err(cp, cp_member(s, typed[k]), "%s: %s is not a setting of "
					    "%s extensions", what, typed[k], types[e->type]);
			}
		}
		e->user = cp_str(cp, s, what, "user", type == EXT_WAVE, "");
		e->bot = cp_str(cp, s, what, "bot", type == EXT_BOT, "");
		e->username = cp_str(cp, s, what, "username", type == EXT_SIP, "");
		e->password = cp_str(cp, s, what, "password", type == EXT_SIP, "");
		if (e->username[0] != '\0') {
			const struct extension *o = strmap_put(usernames, e->username, e);

			if (o != NULL)
				cp_err(cp, cp_member(s, "username"), "%s: username \"%s\" is "
				    "already the username of extension \"%s\" (%s:%d); usernames of "
				    "sip extensions must be unique across tenants", what, e->username,
				    o->id, o->loc.file, o->loc.line);
		}
		e->voicemail = cp_bool(cp, s, what, "voicemail", 0);
		e->greeting = cp_str(cp, s, what, "greeting", 0, "");
		if (e->greeting[0] != '\0' && e->greeting[0] != '/') {
			struct buf b;

			buf_init(&b);
			buf_printf(&b, "%s/%s", cfg->general.spool_dir, e->greeting);
			e->greeting = arena_strdup(cp->a, b.data);
			buf_free(&b);
		}
		if (e->greeting[0] != '\0' && !e->voicemail)
			cp_err(cp, cp_member(s, "greeting"), "%s: greeting is set but voicemail is "
			    "not enabled", what);
		if (e->id[0] == '\0' || e->tenant == NULL)
			continue;
		char *key = arena_alloc(cp->a, strlen(e->tenant->id) + strlen(e->id) + 2);

		sprintf(key, "%s\x1f%s", e->tenant->id, e->id);
		if (strmap_put(cfg->idx_extension, key, e) != NULL) {
			cp_err(cp, s, "%s is defined twice in tenant \"%s\"", what, e->tenant->id);
			continue;
		}
		cfg->n_extensions++;
	}
	strmap_free(usernames);
}

static void
cp_dids(struct cp *cp, const config_setting_t *root)
{
	static const char *const keys[] = { "number", "trunk", "dialplan", NULL };
	const config_setting_t *list = cp_section(cp, root, "dids", 1, 0);
	struct config *cfg = cp->cfg;
	int n = list ? config_setting_length(list) : 0;

	cfg->dids = arena_alloc(cp->a, (size_t)(n ? n : 1) * sizeof(*cfg->dids));
	cfg->idx_did = strmap_new((size_t)n);
	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
		struct did *d = &cfg->dids[cfg->n_dids];
		char what[96], norm[32];
		const char *number = cp_str(cp, s, "did", "number", 1, "");

		snprintf(what, sizeof(what), "did \"%s\"", number);
		cp_known(cp, s, what, keys);
		cp_loc(cp, s, &d->loc);
		if (number[0] != '\0' && (number_normalize(number, norm, sizeof(norm)) == -1 ||
		    norm[0] != '+')) {
			cp_err(cp, cp_member(s, "number"), "%s: number must be E.164, like "
			    "+15551230001", what);
			number = "";
		}
		const char *trunk = cp_str(cp, s, what, "trunk", 1, "");
		const char *dp = cp_str(cp, s, what, "dialplan", 1, "");

		d->trunk = trunk[0] ? config_find_trunk(cfg, trunk) : NULL;
		if (trunk[0] && d->trunk == NULL)
			cp_err(cp, cp_member(s, "trunk"), "%s: no trunk \"%s\"", what, trunk);
		d->dialplan = dp[0] ? config_find_dialplan(cfg, dp) : NULL;
		if (dp[0] && d->dialplan == NULL)
			cp_err(cp, cp_member(s, "dialplan"), "%s: no dialplan \"%s\"", what, dp);
		if (d->trunk && d->dialplan && d->trunk->tenant && d->dialplan->tenant &&
		    d->trunk->tenant != d->dialplan->tenant)
			cp_err(cp, s, "%s: trunk \"%s\" (tenant \"%s\") and dialplan \"%s\" (tenant "
			    "\"%s\") belong to different tenants", what, trunk,
			    d->trunk->tenant->id, dp, d->dialplan->tenant->id);
		if (number[0] == '\0')
			continue;
		d->number = arena_strdup(cp->a, norm);
		const struct did *old = strmap_put(cfg->idx_did, d->number, d);

		if (old != NULL) {
			cp_err(cp, s, "%s: number %s is already defined at %s:%d", what, d->number,
			    old->loc.file ? old->loc.file : "?", old->loc.line);
			continue;
		}
		cfg->n_dids++;
	}
}

/* Checks that need the whole generation: what the extensions in use require elsewhere. */
static void
cp_cross(struct cp *cp, const config_setting_t *root)
{
	const struct config *cfg = cp->cfg;
	int wave = 0, bot = 0;

	for (size_t i = 0; i < cfg->n_extensions; i++) {
		wave |= cfg->extensions[i].type == EXT_WAVE;
		bot |= cfg->extensions[i].type == EXT_BOT;
	}
	if ((wave || bot) && (cfg->livekit.url[0] == '\0' || cfg->livekit.api_key[0] == '\0' ||
	    cfg->livekit.api_secret[0] == '\0'))
		cp_err(cp, cp_member(root, "livekit") ? cp_member(root, "livekit") : root,
		    "livekit: url, api_key and api_secret are required by wave and bot extensions");
	if (wave && cfg->webhooks.wave_ring[0] == '\0')
		cp_err(cp, cp_member(root, "webhooks") ? cp_member(root, "webhooks") : root,
		    "webhooks: wave_ring is required by wave extensions");
	if (bot && cfg->webhooks.bot_kickoff[0] == '\0')
		cp_err(cp, cp_member(root, "webhooks") ? cp_member(root, "webhooks") : root,
		    "webhooks: bot_kickoff is required by bot extensions");
}

int
config_parse(struct config *cfg, const struct config_src *src, struct config_errors *errs)
{
	static const char *const keys[] = { "general", "livekit", "webhooks", "storage",
	    "tenants", "trunks", "dids", "extensions", "dialplans", NULL };
	struct cp cp = { .cfg = cfg, .src = src, .errs = errs, .a = cfg->arena };
	size_t before = errs->n;
	config_t lc;

	cfg->n_files = src->n_files;
	cfg->files = arena_alloc(cfg->arena, (src->n_files + 1) * sizeof(*cfg->files));
	for (size_t i = 0; i < src->n_files; i++)
		cfg->files[i] = arena_strdup(cfg->arena, src->files[i]);
	cfg->main_file = src->n_files ? cfg->files[0] : "";
	config_init(&lc);
	/* Every @include was expanded by config_src; point libconfig's own include handling
	 * at nothing so that it can never open a file we did not vet. */
	config_set_include_dir(&lc, "/nonexistent/scaidial-no-include");
	/* An empty source has no buffer at all; libconfig wants a string. */
	if (config_read_string(&lc, src->text.data ? src->text.data : "") != CONFIG_TRUE) {
		const char *file;
		int line;

		config_src_map(src, config_error_line(&lc), &file, &line);
		if (file == NULL && src->n_files > 0)
			file = src->files[0];
		config_errors_add(errs, file, line, "syntax error: %s", config_error_text(&lc));
		config_destroy(&lc);
		return (int)(errs->n - before);
	}
	const config_setting_t *root = config_root_setting(&lc);

	cp_known(&cp, root, "top level", keys);
	cp_general(&cp, root);
	cp_livekit(&cp, root);
	cp_webhooks(&cp, root);
	cp_storage(&cp, root);
	cp_tenants(&cp, root);
	cp_trunks(&cp, root);
	cp_extensions(&cp, root);
	config_parse_dialplans(&cp, root);
	cp_dids(&cp, root);
	cp_cross(&cp, root);
	config_destroy(&lc);
	return (int)(errs->n - before);
}
