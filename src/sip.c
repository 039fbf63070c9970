/* sip: sofia-sip's nua in the control loop (see sip.h).
 *
 * nua binds one address for UDP and TCP (NUTAG_URL) and one for
 * TLS (NUTAG_SIPS_URL); sip_listen is turned into those two URLs. nua cannot rebind a
 * running stack, so a changed sip_listen is reported as needing a restart. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "relay.h"
#include "reload.h"
#include "sip.h"
#include "sip_guard.h"
#include "originate.h"
#include "sip_in.h"
#include "sip_nua.h"
#include "sip_out.h"
#include "sip_ping.h"
#include "sip_reg.h"
#include "sip_registrar.h"
#include "xmalloc.h"

#include <sofia-sip/su_log.h>

/* sofia-sip's own logs; exported by the library but not declared in its headers. */
extern su_log_t tport_log[], nta_log[], nua_log[], sresolv_log[];

static nua_t *sip_nua;
static char sip_url[300], sip_sips_url[300];
static char sip_tls_dir[64];
static bool sip_stale;
static bool sip_shut;		/* nua_shutdown() completed: nua_destroy() is allowed */
static int sip_state;		/* 0 running, 1 stopping, 2 shut down */
static void (*sip_done)(void *);
static void *sip_done_arg;
static struct loop_timer *sip_stop_timer, *sip_poll_timer;

/* The two URLs nua binds, from the configuration's listeners. 0, or -1 with err. */
static int
sip_urls(const struct config *cfg, char *url, size_t ulen, char *sips, size_t slen,
    char *err, size_t errlen)
{
	const struct listen_addr *plain = NULL, *tls = NULL;
	int udp = 0, tcp = 0;

	url[0] = sips[0] = '\0';
	for (size_t i = 0; i < cfg->general.n_listen; i++) {
		const struct listen_addr *l = &cfg->general.listen[i];

		if (l->proto == LISTEN_TLS) {
			if (tls != NULL) {
				snprintf(err, errlen, "%s:%d: sip_listen: only one tls listener is "
				    "supported", l->loc.file, l->loc.line);
				return -1;
			}
			tls = l;
			continue;
		}
		if (plain != NULL && (strcmp(plain->host, l->host) != 0 || plain->port != l->port)) {
			snprintf(err, errlen, "%s:%d: sip_listen: udp and tcp listeners must share "
			    "one address and port (sofia-sip binds one)", l->loc.file, l->loc.line);
			return -1;
		}
		plain = l;
		if (l->proto == LISTEN_UDP)
			udp = 1;
		else
			tcp = 1;
	}
	if (plain != NULL) {
		const char *h = plain->host;
		int v6 = strchr(h, ':') != NULL;

		/* Both: no transport parameter, which binds sofia's default set (UDP and TCP).
		 * A list ("udp,tcp") would do the same, but Debian's sofia-sip 1.12.11 reads it
		 * from a stack array that has gone out of scope. */
		snprintf(url, ulen, "sip:%s%s%s:%d%s", v6 ? "[" : "", h, v6 ? "]" : "",
		    plain->port, udp && tcp ? "" : udp ? ";transport=udp" : ";transport=tcp");
	}
	if (tls != NULL) {
		const char *h = tls->host;
		int v6 = strchr(h, ':') != NULL;

		snprintf(sips, slen, "sips:%s%s%s:%d", v6 ? "[" : "", h, v6 ? "]" : "", tls->port);
	}
	if (url[0] == '\0' && sips[0] == '\0') {
		snprintf(err, errlen, "sip_listen: no listener configured");
		return -1;
	}
	return 0;
}

/* sofia-sip reads its TLS identity from a directory holding agent.pem (key and
 * certificate together); it is written from tls_key and tls_cert, readable by us only,
 * and removed once the listener is up. */
static int
sip_tls_prepare(const struct config *cfg, char *err, size_t errlen)
{
	const char *parts[2] = { cfg->general.tls_key, cfg->general.tls_cert };
	char path[128];
	FILE *out;

	snprintf(sip_tls_dir, sizeof(sip_tls_dir), "/tmp/scaidial-tls.XXXXXX");
	if (mkdtemp(sip_tls_dir) == NULL) {
		snprintf(err, errlen, "tls: cannot make a private directory: %s", strerror(errno));
		sip_tls_dir[0] = '\0';
		return -1;
	}
	snprintf(path, sizeof(path), "%s/agent.pem", sip_tls_dir);
	if ((out = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "tls: %s: %s", path, strerror(errno));
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		FILE *in = fopen(parts[i], "r");
		char buf[4096];
		size_t n;

		if (in == NULL) {
			snprintf(err, errlen, "tls: %s: %s", parts[i], strerror(errno));
			fclose(out);
			return -1;
		}
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			fwrite(buf, 1, n, out);
		fclose(in);
	}
	if (fclose(out) != 0) {
		snprintf(err, errlen, "tls: %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
sip_tls_cleanup(void)
{
	char path[128];

	if (sip_tls_dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/agent.pem", sip_tls_dir);
	unlink(path);
	rmdir(sip_tls_dir);
	sip_tls_dir[0] = '\0';
}

/* sofia-sip writes its diagnostics in pieces; they become our debug lines, one per line,
 * instead of raw text on stderr. */
static char sip_logbuf[1024];
static size_t sip_loglen;

static void
sip_sofia_log(void *stream, char const *fmt, va_list ap)
{
	char *nl;
	int n;

	(void)stream;
	n = vsnprintf(sip_logbuf + sip_loglen, sizeof(sip_logbuf) - sip_loglen, fmt, ap);
	if (n > 0)
		sip_loglen += (size_t)n < sizeof(sip_logbuf) - sip_loglen ? (size_t)n :
		    sizeof(sip_logbuf) - sip_loglen - 1;
	while ((nl = memchr(sip_logbuf, '\n', sip_loglen)) != NULL ||
	    sip_loglen >= sizeof(sip_logbuf) - 1) {
		size_t len = nl ? (size_t)(nl - sip_logbuf) : sip_loglen;
		size_t used = nl ? len + 1 : len;

		sip_logbuf[len] = '\0';
		if (len > 0)
			log_debug("sip: sofia: %s", sip_logbuf);
		memmove(sip_logbuf, sip_logbuf + used, sip_loglen - used);
		sip_loglen -= used;
	}
}

static void
sip_finish_stop(void)
{
	void (*done)(void *) = sip_done;

	if (sip_state == 2)
		return;
	sip_state = 2;
	loop_timer_stop(sip_stop_timer);
	loop_timer_stop(sip_poll_timer);
	sip_done = NULL;
	if (done != NULL)
		done(sip_done_arg);
}

static void
sip_nua_event(nua_event_t ev, int status, char const *phrase, nua_t *nua, void *magic,
    nua_handle_t *nh, struct sip_owner *owner, sip_t const *sip, tagi_t tags[])
{
	(void)magic;
	(void)nua;
	switch (ev) {
	case nua_r_register:
	case nua_r_unregister:
		if (owner != NULL && owner->kind == SIP_OWNER_REG)
			sip_reg_event(ev, status, phrase, nh, owner, sip);
		return;
	case nua_r_options:
		if (owner != NULL && owner->kind == SIP_OWNER_PING)
			sip_ping_event(status, phrase, nh, owner, sip);
		return;
	case nua_r_shutdown:
		if (status >= 200) {
			log_info("sip: stack shut down (%d %s)", status, phrase);
			sip_shut = true;
			sip_finish_stop();
		}
		return;
	case nua_i_network_changed:
		log_info("sip: the local network changed");
		sip_reg_network_changed();
		return;
	case nua_i_error:
		log_warn("sip: stack error: %d %s", status, phrase);
		return;
	default:
		break;
	}
	if (owner != NULL && owner->kind == SIP_OWNER_OUT) {
		sip_out_event(ev, status, phrase, nh, owner, sip, tags);
		return;
	}
	sip_in_event(ev, status, phrase, nh, owner, sip, tags);
}

static void
sip_reload_hook(const struct config *oldc, const struct config *newc, void *arg)
{
	char url[300], sips[300], err[256];

	(void)arg;
	if (sip_state != 0)
		return;
	if (sip_urls(newc, url, sizeof(url), sips, sizeof(sips), err, sizeof(err)) == -1 ||
	    strcmp(url, sip_url) != 0 || strcmp(sips, sip_sips_url) != 0) {
		if (!sip_stale)
			log_warn("sip: sip_listen changed; the listeners in force (%s%s%s) stay "
			    "until scaidial restarts", sip_url, sip_sips_url[0] ? " " : "",
			    sip_sips_url);
		sip_stale = true;
	} else {
		sip_stale = false;
	}
	sip_reg_reload(oldc, newc);
	sip_ping_reload(newc);
}

int
sip_init(const struct config *cfg, char *err, size_t errlen)
{
	const char *ua = cfg->general.user_agent;

	if (sip_urls(cfg, sip_url, sizeof(sip_url), sip_sips_url, sizeof(sip_sips_url), err,
	    errlen) == -1)
		return -1;
	if (sip_sips_url[0] != '\0' && sip_tls_prepare(cfg, err, errlen) == -1) {
		sip_tls_cleanup();
		return -1;
	}
	sip_guard_init();
	su_log_redirect(NULL, sip_sofia_log, NULL);
	su_log_redirect(tport_log, sip_sofia_log, NULL);
	su_log_redirect(nta_log, sip_sofia_log, NULL);
	su_log_redirect(nua_log, sip_sofia_log, NULL);
	su_log_redirect(sresolv_log, sip_sofia_log, NULL);
	/* Without this, nua_create() starts a thread of its own for the stack; the design
	 * wants every nua call and callback in the control thread, with no hop between. */
	su_root_threading(loop_root(), 0);
	sip_nua = nua_create(loop_root(), sip_nua_event, NULL,
	    TAG_IF(sip_url[0] != '\0', NUTAG_URL(sip_url)),
	    TAG_IF(sip_sips_url[0] != '\0', NUTAG_SIPS_URL(sip_sips_url)),
	    TAG_IF(sip_sips_url[0] != '\0', NUTAG_CERTIFICATE_DIR(sip_tls_dir)),
	    TAG_END());
	sip_tls_cleanup();
	if (sip_nua == NULL) {
		snprintf(err, errlen, "sip: cannot listen on %s%s%s: %s", sip_url,
		    sip_sips_url[0] ? " " : "", sip_sips_url, strerror(errno));
		return -1;
	}
	nua_set_params(sip_nua,
	    SIPTAG_USER_AGENT_STR(ua), SIPTAG_SERVER_STR(ua),
	    NUTAG_APPL_METHOD("OPTIONS"), NUTAG_APPL_METHOD("REGISTER"),
	    SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, REGISTER, NOTIFY"),
	    NUTAG_AUTOANSWER(0), NUTAG_AUTOALERT(0), NUTAG_AUTOACK(1),
	    NUTAG_MEDIA_ENABLE(0), NUTAG_ENABLEMESSAGE(0),
	    NUTAG_SESSION_TIMER(1800), NUTAG_MIN_SE(90),
	    NUTAG_SESSION_REFRESHER(nua_remote_refresher),
	    NUTAG_DETECT_NETWORK_UPDATES(NUA_NW_DETECT_TRY_FULL),
	    NUTAG_OUTBOUND("no-options-keepalive, no-validate"),
	    TAG_END());
	sip_state = 0;
	sip_stale = false;
	sip_stop_timer = loop_timer_new((loop_timer_cb *)sip_finish_stop, NULL);
	sip_in_init(sip_nua);
	sip_registrar_init(sip_nua);
	sip_out_init(sip_nua);
	sip_reg_init(sip_nua, cfg);
	sip_ping_init(sip_nua, cfg);
	reload_add_hook(sip_reload_hook, NULL);
	log_info("sip: listening on %s%s%s", sip_url, sip_sips_url[0] ? " " : "", sip_sips_url);
	return 0;
}

/* Bindings are given a moment to be removed before the stack itself is shut down. */
static int64_t sip_stop_began;

static void
sip_wait_cb(void *arg)
{
	(void)arg;
	if (sip_state != 1)
		return;
	if (sip_reg_pending() > 0 && loop_mono_ms() - sip_stop_began < SIP_STOP_LIMIT_MS / 2) {
		loop_timer_start(sip_poll_timer, 50);
		return;
	}
	nua_shutdown(sip_nua);
}

void
sip_stop(void (*done)(void *), void *arg)
{
	if (sip_nua == NULL || sip_state != 0) {
		if (sip_nua == NULL && done != NULL)
			done(arg);
		return;
	}
	sip_state = 1;
	sip_done = done;
	sip_done_arg = arg;
	sip_stop_began = loop_mono_ms();
	log_info("sip: stopping: refusing new calls, ending %s, removing registrations",
	    "calls in progress");
	sip_in_stop_all("daemon_stop");
	sip_out_stop_all("daemon_stop");
	sip_ping_fini();
	sip_reg_shutdown();
	sip_poll_timer = loop_timer_new(sip_wait_cb, NULL);
	loop_timer_start(sip_poll_timer, 50);
	loop_timer_start(sip_stop_timer, SIP_STOP_LIMIT_MS);
}

bool
sip_stopping(void)
{
	return sip_state != 0;
}

void
sip_fini(void)
{
	if (sip_nua == NULL)
		return;
	originate_fini();
	sip_in_fini();
	sip_registrar_fini();
	sip_out_fini();
	relay_fini();
	sip_reg_fini();
	sip_ping_fini();
	/* nua refuses to be destroyed before its shutdown completed; at exit the memory
	 * goes with the process then. */
	if (sip_shut)
		nua_destroy(sip_nua);
	sip_nua = NULL;
	loop_timer_free(sip_stop_timer);
	loop_timer_free(sip_poll_timer);
	sip_stop_timer = sip_poll_timer = NULL;
	sip_guard_fini();
}

bool
sip_listeners_stale(void)
{
	return sip_stale;
}

const char *
sip_listen_url(void)
{
	static char both[sizeof(sip_url) + sizeof(sip_sips_url) + 1];

	snprintf(both, sizeof(both), "%s%s%s", sip_url, sip_url[0] && sip_sips_url[0] ? " " : "",
	    sip_sips_url);
	return both;
}
