/* sip_registrar: desk phones' bindings (see sip_registrar.h; the digest check is in
 * sip_registrar_auth.c).
 *
 * Bindings live in memory only: a phone refreshes its binding well within its lifetime,
 * and after a restart its next REGISTER (at the latest, its next refresh) makes it again.
 * Each extension with a binding is one record holding copies of what identifies it
 * (username, tenant, id, password), so a reload keeps the bindings of an extension that
 * still exists with the same credentials and drops the others. One timer, armed for the
 * next expiry, removes bindings their phone let lapse. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/url.h>

#include "buf.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "sip_guard.h"
#include "sip_registrar.h"
#include "sip_registrar_int.h"
#include "store.h"
#include "strmap.h"
#include "xmalloc.h"

struct binding {
	char		*contact;	/* the Contact URI, without header parameters */
	char		 source[72];	/* "ADDR:PORT" the REGISTER came from */
	struct sip_src	 src;
	char		 transport[4];
	char		*user_agent;
	char		*call_id;	/* of the REGISTERs that made and refresh it, */
	uint32_t	 cseq;		/* and the latest one's CSeq (RFC 3261 10.3 step 7) */
	int64_t		 registered_ms;
	int64_t		 refreshed_ms;
	int64_t		 expires_at;	/* monotonic ms */
};

struct aor {
	struct aor	*next;		/* sorted by tenant, then extension */
	char		*username, *tenant, *ext, *password;
	struct binding	 b[SIP_REGISTRAR_MAX_BINDINGS];	/* newest registered first */
	size_t		 n;
};

static nua_t *reg_nua;
static struct aor *reg_aors;
static struct loop_timer *reg_timer;
static bool reg_hooked;

/* The username index of one configuration generation, made on first use. */
static struct strmap *reg_idx;
static const struct config *reg_idx_cfg;
static uint64_t reg_idx_gen;

bool
sip_registrar_enabled(const struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_extensions; i++)
		if (cfg->extensions[i].type == EXT_SIP)
			return true;
	return false;
}

const struct extension *
sip_registrar_find(const struct config *cfg, const char *username)
{
	/* Generation 0 (tests, fuzzing) is never cached: the pointer alone may be reused. */
	if (reg_idx == NULL || reg_idx_cfg != cfg || reg_idx_gen != cfg->generation ||
	    cfg->generation == 0) {
		strmap_free(reg_idx);
		reg_idx = strmap_new(cfg->n_extensions);
		for (size_t i = 0; i < cfg->n_extensions; i++)
			if (cfg->extensions[i].type == EXT_SIP)
				strmap_put(reg_idx, cfg->extensions[i].username, &cfg->extensions[i]);
		reg_idx_cfg = cfg;
		reg_idx_gen = cfg->generation;
	}
	return username != NULL ? strmap_get(reg_idx, username) : NULL;
}

static void
reg_event(const struct aor *a, const struct binding *b, const char *state, int expires,
    const char *reason)
{
	char src[80];

	snprintf(src, sizeof(src), "%s/%s", b->source, b->transport);
	store_registration_event(&(struct store_registration){ .trunk = "",
	    .at_ms = loop_now_ms(), .state = state, .sip_status = 0, .reason = reason,
	    .expires = expires, .extension = a->ext, .tenant = a->tenant,
	    .contact = b->contact, .source = src, .user_agent = b->user_agent });
}

static void
reg_binding_clear(struct binding *b)
{
	free(b->contact);
	free(b->user_agent);
	free(b->call_id);
	memset(b, 0, sizeof(*b));
}

/* Removes binding i of a (logged and recorded as state), and a itself once empty. */
static void
reg_remove(struct aor *a, size_t i, const char *state, const char *reason)
{
	struct binding *b = &a->b[i];

	log_info("registrar: extension %s (tenant %s): %s <%s> from %s/%s%s%s", a->ext,
	    a->tenant, state, b->contact, b->source, b->transport, reason[0] ? ": " : "", reason);
	reg_event(a, b, state, 0, reason);
	reg_binding_clear(b);
	memmove(&a->b[i], &a->b[i + 1], (a->n - i - 1) * sizeof(a->b[0]));
	a->n--;
	memset(&a->b[a->n], 0, sizeof(a->b[0]));
}

static void
reg_aor_free(struct aor *a)
{
	for (size_t i = 0; i < a->n; i++)
		reg_binding_clear(&a->b[i]);
	free(a->username);
	free(a->tenant);
	free(a->ext);
	free(a->password);
	free(a);
}

/* Unlinks and frees every record without bindings. */
static void
reg_prune(void)
{
	for (struct aor **pp = &reg_aors; *pp != NULL;) {
		struct aor *a = *pp;

		if (a->n > 0) {
			pp = &a->next;
			continue;
		}
		*pp = a->next;
		reg_aor_free(a);
	}
}

static void
reg_arm(void)
{
	int64_t next = INT64_MAX, now = loop_mono_ms();

	for (struct aor *a = reg_aors; a != NULL; a = a->next)
		for (size_t i = 0; i < a->n; i++)
			if (a->b[i].expires_at < next)
				next = a->b[i].expires_at;
	if (next == INT64_MAX) {
		loop_timer_stop(reg_timer);
		return;
	}
	loop_timer_start(reg_timer, next <= now ? 0 : (unsigned)(next - now));
}

static void
reg_expire(void *arg)
{
	int64_t now = loop_mono_ms();

	(void)arg;
	for (struct aor *a = reg_aors; a != NULL; a = a->next)
		for (size_t i = a->n; i-- > 0;)
			if (a->b[i].expires_at <= now)
				reg_remove(a, i, "expired", "");
	reg_prune();
	reg_arm();
}

static struct aor *
reg_aor_get(const struct extension *e, bool create)
{
	struct aor **pp = &reg_aors, *a;

	for (; *pp != NULL; pp = &(*pp)->next) {
		int c = strcmp((*pp)->tenant, e->tenant->id);

		if (c == 0)
			c = strcmp((*pp)->ext, e->id);
		if (c == 0)
			return *pp;
		if (c > 0)
			break;
	}
	if (!create)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->username = xstrdup(e->username);
	a->tenant = xstrdup(e->tenant->id);
	a->ext = xstrdup(e->id);
	a->password = xstrdup(e->password);
	a->next = *pp;
	*pp = a;
	return a;
}

/* "udp", "tcp" or "tls" from the top Via. */
static void
reg_transport(const sip_t *sip, char out[4])
{
	const char *p = sip->sip_via && sip->sip_via->v_protocol ? sip->sip_via->v_protocol : "";
	const char *slash = strrchr(p, '/');

	p = slash ? slash + 1 : p;
	snprintf(out, 4, "%s", strcasecmp(p, "TCP") == 0 ? "tcp" : strcasecmp(p, "TLS") == 0 ?
	    "tls" : "udp");
}

/* One Contact of the request, checked and with its lifetime. */
struct reg_contact {
	char	*uri;
	int	 expires;
};

/* Reads the request's contacts: 0; or the status to answer (400, 423). *wildcard is set
 * for "Contact: *". */
static int
reg_contacts(const struct config *cfg, const sip_t *sip, struct reg_contact *out,
    size_t *n, bool *wildcard)
{
	const int min = cfg->general.registrar_min_expires;
	const int max = cfg->general.registrar_max_expires;
	int dflt = sip->sip_expires ? (int)(sip->sip_expires->ex_delta > 86400 ? 86400 :
	    sip->sip_expires->ex_delta) : max;

	*n = 0;
	*wildcard = false;
	for (const sip_contact_t *m = sip->sip_contact; m != NULL; m = m->m_next) {
		su_home_t home[1] = { SU_HOME_INIT(home) };
		char *s;
		int exp = dflt;

		if (m->m_url->url_type == url_any) {
			/* RFC 3261 10.3 step 6: "*" only alone and with Expires: 0. */
			if (sip->sip_contact->m_next != NULL || sip->sip_expires == NULL ||
			    sip->sip_expires->ex_delta != 0)
				return 400;
			*wildcard = true;
			return 0;
		}
		if (*n == SIP_REGISTRAR_MAX_BINDINGS)
			return 400;
		if (m->m_expires != NULL) {
			char *end;
			long v = strtol(m->m_expires, &end, 10);

			/* Not a number: the request's lifetime, never a removal by accident. */
			if (end != m->m_expires && *end == '\0')
				exp = v > 86400 ? 86400 : (int)v;
		}
		if (exp < 0 || exp > 86400)
			exp = 86400;
		if (exp > 0 && exp < min)
			return 423;
		if (exp > max)
			exp = max;
		s = url_as_string(home, m->m_url);
		if (s == NULL || strlen(s) >= 480) {
			su_home_deinit(home);
			return 400;
		}
		out[*n].uri = xstrdup(s);
		out[*n].expires = exp;
		(*n)++;
		su_home_deinit(home);
	}
	return 0;
}

static void
reg_apply(struct aor *a, const struct reg_contact *c, const sip_t *sip,
    const struct sip_src *src)
{
	const char *ua = sip->sip_user_agent && sip->sip_user_agent->g_string ?
	    sip->sip_user_agent->g_string : "";
	int64_t now = loop_now_ms(), mono = loop_mono_ms();
	struct binding *b = NULL;
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->b[i].contact, c->uri) == 0) {
			b = &a->b[i];
			break;
		}
	if (c->expires == 0) {
		if (b != NULL)
			reg_remove(a, i, "unregistered", "");
		return;
	}
	if (b != NULL) {
		/* A refresh: the phone may have moved (NAT rebinding). */
		snprintf(b->source, sizeof(b->source), src->family == AF_INET6 ? "[%s]:%u" :
		    "%s:%u", src->text, src->port);
		b->src = *src;
		reg_transport(sip, b->transport);
		free(b->user_agent);
		b->user_agent = xstrndup(ua, strnlen(ua, 200));
		free(b->call_id);
		b->call_id = xstrdup(sip->sip_call_id->i_id);
		b->cseq = sip->sip_cseq->cs_seq;
		b->refreshed_ms = now;
		b->expires_at = mono + (int64_t)c->expires * 1000;
		log_debug("registrar: extension %s (tenant %s): refreshed <%s> from %s/%s, "
		    "expires %d s", a->ext, a->tenant, b->contact, b->source, b->transport,
		    c->expires);
		return;
	}
	if (a->n == SIP_REGISTRAR_MAX_BINDINGS)
		reg_remove(a, a->n - 1, "unregistered", "replaced by a newer contact");
	memmove(&a->b[1], &a->b[0], a->n * sizeof(a->b[0]));
	a->n++;
	b = &a->b[0];
	memset(b, 0, sizeof(*b));
	b->contact = xstrdup(c->uri);
	snprintf(b->source, sizeof(b->source), src->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
	    src->text, src->port);
	b->src = *src;
	reg_transport(sip, b->transport);
	b->user_agent = xstrndup(ua, strnlen(ua, 200));
	b->call_id = xstrdup(sip->sip_call_id->i_id);
	b->cseq = sip->sip_cseq->cs_seq;
	b->registered_ms = b->refreshed_ms = now;
	b->expires_at = mono + (int64_t)c->expires * 1000;
	log_info("registrar: extension %s (tenant %s): registered <%s> from %s/%s, expires %d s, "
	    "\"%s\"", a->ext, a->tenant, b->contact, b->source, b->transport, c->expires,
	    b->user_agent);
	reg_event(a, b, "registered", c->expires, "");
}

/* RFC 3261 10.3 step 7: a REGISTER older than the one that last touched a binding (same
 * Call-ID, CSeq not higher) arrived out of order and must not undo the newer one. */
static bool
reg_out_of_order(const struct aor *a, const struct reg_contact *cs, size_t n,
    const sip_t *sip)
{
	for (size_t i = 0; a != NULL && i < n; i++)
		for (size_t k = 0; k < a->n; k++)
			if (strcmp(a->b[k].contact, cs[i].uri) == 0 &&
			    strcmp(a->b[k].call_id, sip->sip_call_id->i_id) == 0 &&
			    sip->sip_cseq->cs_seq <= a->b[k].cseq)
				return true;
	return false;
}

/* 200 OK listing every binding the extension now has, each with its lifetime left. */
static void
reg_answer_ok(nua_handle_t *nh, const struct aor *a)
{
	int64_t mono = loop_mono_ms();
	struct buf list;

	buf_init(&list);
	for (size_t i = 0; a != NULL && i < a->n; i++) {
		int64_t left = (a->b[i].expires_at - mono + 999) / 1000;

		buf_printf(&list, "%s<%s>;expires=%lld", i ? ", " : "", a->b[i].contact,
		    (long long)(left > 0 ? left : 0));
	}
	nua_respond(nh, SIP_200_OK, NUTAG_WITH_THIS(reg_nua),
	    TAG_IF(list.len > 0, SIPTAG_CONTACT_STR(list.data)), TAG_END());
	nua_handle_destroy(nh);
	buf_free(&list);
}

static void
reg_bindings(nua_handle_t *nh, const sip_t *sip, const struct sip_src *src,
    const struct config *cfg, const struct extension *e)
{
	struct reg_contact cs[SIP_REGISTRAR_MAX_BINDINGS];
	size_t n = 0;
	bool wildcard;
	struct aor *a;
	int status;
	char min[16];

	status = reg_contacts(cfg, sip, cs, &n, &wildcard);
	if (status == 423) {
		snprintf(min, sizeof(min), "%d", cfg->general.registrar_min_expires);
		nua_respond(nh, SIP_423_INTERVAL_TOO_BRIEF, NUTAG_WITH_THIS(reg_nua),
		    SIPTAG_MIN_EXPIRES_STR(min), TAG_END());
		nua_handle_destroy(nh);
	} else if (status != 0) {
		nua_respond(nh, SIP_400_BAD_REQUEST, NUTAG_WITH_THIS(reg_nua), TAG_END());
		nua_handle_destroy(nh);
	}
	if (status != 0) {
		log_info("registrar: extension %s (tenant %s): REGISTER from %s answered %d",
		    e->id, e->tenant->id, src->text, status);
		goto out;
	}
	if (reg_out_of_order(reg_aor_get(e, false), cs, n, sip)) {
		nua_respond(nh, SIP_500_INTERNAL_SERVER_ERROR, NUTAG_WITH_THIS(reg_nua), TAG_END());
		nua_handle_destroy(nh);
		log_info("registrar: extension %s (tenant %s): REGISTER from %s out of order "
		    "(CSeq %u): answered 500", e->id, e->tenant->id, src->text,
		    sip->sip_cseq->cs_seq);
		goto out;
	}
	a = reg_aor_get(e, n > 0 || wildcard);
	if (wildcard) {
		while (a != NULL && a->n > 0)
			reg_remove(a, 0, "unregistered", "Contact: *");
	}
	for (size_t i = 0; i < n; i++)
		reg_apply(a, &cs[i], sip, src);
	reg_answer_ok(nh, a);
	reg_prune();
	reg_arm();
out:
	for (size_t i = 0; i < n; i++)
		free(cs[i].uri);
}

void
sip_registrar_request(nua_handle_t *nh, const sip_t *sip, const struct sip_src *src)
{
	const struct config *cfg = reload_current();
	const struct extension *e;
	enum sip_registrar_auth r;
	bool stale;
	char why[160];

	r = sip_registrar_check(cfg, sip, "REGISTER", false, src, &e, &stale, why, sizeof(why));
	if (r == SIP_REGISTRAR_AUTH_CHALLENGE)
		sip_registrar_challenge(nh, sip, false, src, stale);
	else if (r == SIP_REGISTRAR_AUTH_FAIL)
		sip_guard_refuse(reg_nua, nh, "REGISTER", src, why);
	else
		reg_bindings(nh, sip, src, cfg, e);
}

/* Keeps the bindings of extensions that still exist with the same credentials. */
static void
reg_reload(const struct config *oldc, const struct config *newc, void *arg)
{
	(void)oldc;
	(void)arg;
	for (struct aor *a = reg_aors; a != NULL; a = a->next) {
		const struct extension *e = sip_registrar_find(newc, a->username);

		if (e != NULL && strcmp(e->tenant->id, a->tenant) == 0 &&
		    strcmp(e->id, a->ext) == 0 && strcmp(e->password, a->password) == 0)
			continue;
		while (a->n > 0)
			reg_remove(a, 0, "dropped", e == NULL ? "no such extension any more" :
			    "its credentials changed");
	}
	reg_prune();
	reg_arm();
}

int
sip_registrar_contact(const struct extension *e, struct sip_registrar_target *t)
{
	int64_t now = loop_mono_ms();
	const struct binding *b = NULL;
	const struct aor *a;

	if (e->type != EXT_SIP || (a = reg_aor_get(e, false)) == NULL ||
	    strcmp(a->username, e->username) != 0)
		return -1;
	for (size_t i = 0; i < a->n; i++)
		if (a->b[i].expires_at > now &&
		    (b == NULL || a->b[i].refreshed_ms > b->refreshed_ms))
			b = &a->b[i];
	if (b == NULL)
		return -1;
	snprintf(t->uri, sizeof(t->uri), "%s", b->contact);
	snprintf(t->host, sizeof(t->host), "%s", b->src.text);
	t->port = b->src.port;
	snprintf(t->transport, sizeof(t->transport), "%s", b->transport);
	snprintf(t->dest, sizeof(t->dest), "sip:%s;transport=%s", b->source, b->transport);
	return 0;
}

void
sip_registrar_walk(sip_registrar_walk_cb *cb, void *arg)
{
	int64_t mono = loop_mono_ms();

	for (const struct aor *a = reg_aors; a != NULL; a = a->next)
		for (size_t i = 0; i < a->n; i++) {
			const struct binding *b = &a->b[i];
			int64_t left = (b->expires_at - mono + 999) / 1000;

			cb(&(struct sip_registrar_info){ .extension = a->ext, .tenant = a->tenant,
			    .username = a->username, .contact = b->contact, .source = b->source,
			    .transport = b->transport, .user_agent = b->user_agent,
			    .registered_ms = b->registered_ms, .refreshed_ms = b->refreshed_ms,
			    .expires_in = left > 0 ? (int)left : 0 }, arg);
		}
}

bool
sip_registrar_source_known(const struct sip_src *src)
{
	int64_t now = loop_mono_ms();

	for (const struct aor *a = reg_aors; a != NULL; a = a->next)
		for (size_t i = 0; i < a->n; i++)
			if (a->b[i].expires_at > now && a->b[i].src.family == src->family &&
			    memcmp(a->b[i].src.addr, src->addr, 16) == 0)
				return true;
	return false;
}

size_t
sip_registrar_count(void)
{
	size_t n = 0;

	for (const struct aor *a = reg_aors; a != NULL; a = a->next)
		n += a->n;
	return n;
}

void
sip_registrar_init(nua_t *nua)
{
	reg_nua = nua;
	sip_registrar_auth_init(nua);
	reg_timer = loop_timer_new(reg_expire, NULL);
	if (!reg_hooked)
		reload_add_hook(reg_reload, NULL);
	reg_hooked = true;
}

void
sip_registrar_fini(void)
{
	while (reg_aors != NULL) {
		struct aor *a = reg_aors;

		reg_aors = a->next;
		reg_aor_free(a);
	}
	loop_timer_free(reg_timer);
	reg_timer = NULL;
	strmap_free(reg_idx);
	reg_idx = NULL;
	reg_idx_cfg = NULL;
	reg_nua = NULL;
}
