/* sip_reg: one REGISTER binding per trunk in mode "register" (see sip_reg.h).
 *
 * A failed binding is not left to nua's own retries: its handle is destroyed and a
 * fresh one made after the backoff, so an unanswerable registrar (403, a wrong
 * password that draws 401 after 401) costs one request per backoff step, never a loop. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <sofia-sip/url.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "sip_reg.h"
#include "store.h"
#include "xmalloc.h"

struct reg {
	struct sip_owner owner;		/* first: the handle's magic */
	char		*trunk;
	char		*registrar, *proxy, *username, *password;
	int		 expires;
	nua_handle_t	*nh;
	enum sip_reg_state state;
	int		 status;
	char		 reason[128];
	int64_t		 since_ms;
	int64_t		 expires_at;	/* monotonic ms, while registered */
	int		 failures;
	int		 auth_tries;	/* challenges answered for the current request */
	int64_t		 retry_at;	/* monotonic ms, while a retry is armed */
	struct loop_timer *retry;
	int		 removing;	/* unregistering for good: freed when answered */
	struct reg	*next;
};

static nua_t *reg_nua;
static struct reg *reg_list;
static int reg_stopping;

static void reg_start(struct reg *);

const char *
sip_reg_state_name(enum sip_reg_state s)
{
	switch (s) {
	case REG_UNREGISTERED:
		return "unregistered";
	case REG_REGISTERING:
		return "registering";
	case REG_REGISTERED:
		return "registered";
	case REG_FAILED:
		return "failed";
	}
	return "?";
}

static void
reg_set(struct reg *r, enum sip_reg_state s, int status, const char *reason, int expires)
{
	int changed = r->state != s || r->status != status;

	r->status = status;
	snprintf(r->reason, sizeof(r->reason), "%s", reason ? reason : "");
	if (r->state != s)
		r->since_ms = loop_now_ms();
	r->state = s;
	if (!changed)
		return;
	store_registration_event(&(struct store_registration){ .trunk = r->trunk,
	    .at_ms = loop_now_ms(), .state = sip_reg_state_name(s), .sip_status = status,
	    .reason = r->reason, .expires = expires });
}

static struct reg *
reg_find(const char *trunk)
{
	for (struct reg *r = reg_list; r != NULL; r = r->next)
		if (!r->removing && strcmp(r->trunk, trunk) == 0)
			return r;
	return NULL;
}

static void
reg_drop_handle(struct reg *r)
{
	if (r->nh != NULL) {
		nua_handle_destroy(r->nh);
		r->nh = NULL;
	}
}

static void
reg_free(struct reg *r)
{
	struct reg **pp;

	for (pp = &reg_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	reg_drop_handle(r);
	loop_timer_free(r->retry);
	free(r->trunk);
	free(r->registrar);
	free(r->proxy);
	free(r->username);
	free(r->password);
	free(r);
}

static void
reg_retry_cb(void *arg)
{
	struct reg *r = arg;

	r->retry_at = 0;
	if (!reg_stopping)
		reg_start(r);
}

/* The next delay: doubling from the minimum, capped, +-20 % so that many trunks that
 * failed together do not come back together; never sooner than Retry-After. */
static unsigned
reg_backoff_ms(int failures, unsigned retry_after_s)
{
	uint64_t d = SIP_REG_BACKOFF_MIN_MS;
	uint32_t rnd = 0;

	for (int i = 1; i < failures && d < SIP_REG_BACKOFF_MAX_MS; i++)
		d *= 2;
	if (d > SIP_REG_BACKOFF_MAX_MS)
		d = SIP_REG_BACKOFF_MAX_MS;
	if (getrandom(&rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)loop_mono_ms();
	d = d * (80 + rnd % 41) / 100;
	if ((uint64_t)retry_after_s * 1000 > d)
		d = (uint64_t)retry_after_s * 1000;
	return (unsigned)d;
}

static void
reg_fail(struct reg *r, int status, const char *reason, unsigned retry_after_s)
{
	unsigned ms;

	reg_drop_handle(r);
	r->failures++;
	r->expires_at = 0;
	ms = reg_backoff_ms(r->failures, retry_after_s);
	reg_set(r, REG_FAILED, status, reason, 0);
	log_warn("sip: trunk %s: registration failed: %d %s; next try in %u s (failure %d)",
	    r->trunk, status, reason, (ms + 500) / 1000, r->failures);
	if (reg_stopping)
		return;
	r->retry_at = loop_mono_ms() + ms;
	loop_timer_start(r->retry, ms);
}

/* "sip:user@host" from the registrar URI, the address of record we register. */
static char *
reg_aor(const struct reg *r)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *u = url_make(home, r->registrar);
	char *aor;

	if (u == NULL || u->url_host == NULL) {
		su_home_deinit(home);
		return NULL;
	}
	aor = xasprintf("%s:%s@%s", u->url_type == url_sips ? "sips" : "sip", r->username,
	    u->url_host);
	su_home_deinit(home);
	return aor;
}

static void
reg_start(struct reg *r)
{
	char expires[16], *aor;

	loop_timer_stop(r->retry);
	reg_drop_handle(r);
	if ((aor = reg_aor(r)) == NULL) {
		reg_fail(r, 0, "registrar URI has no host", 0);
		return;
	}
	snprintf(expires, sizeof(expires), "%d", r->expires);
	r->auth_tries = 0;
	r->nh = nua_handle(reg_nua, &r->owner, SIPTAG_TO_STR(aor), SIPTAG_FROM_STR(aor),
	    TAG_END());
	free(aor);
	if (r->nh == NULL) {
		reg_fail(r, 0, "cannot create a SIP handle", 0);
		return;
	}
	reg_set(r, REG_REGISTERING, r->status, r->reason, 0);
	log_info("sip: trunk %s: registering at %s as %s", r->trunk, r->registrar, r->username);
	nua_register(r->nh, NUTAG_REGISTRAR(URL_STRING_MAKE(r->registrar)),
	    TAG_IF(r->proxy[0] != '\0', NUTAG_PROXY(URL_STRING_MAKE(r->proxy))),
	    NUTAG_M_USERNAME(r->username), SIPTAG_EXPIRES_STR(expires),
	    NUTAG_OUTBOUND("no-options-keepalive, no-validate"), TAG_END());
}

static struct reg *
reg_new(const struct trunk *t)
{
	struct reg *r = xcalloc(1, sizeof(*r));

	r->owner.kind = SIP_OWNER_REG;
	r->trunk = xstrdup(t->id);
	r->registrar = xstrdup(t->registrar);
	r->proxy = xstrdup(t->proxy);
	r->username = xstrdup(t->username);
	r->password = xstrdup(t->password);
	r->expires = t->expires;
	r->state = REG_UNREGISTERED;
	r->since_ms = loop_now_ms();
	r->retry = loop_timer_new(reg_retry_cb, r);
	r->next = reg_list;
	reg_list = r;
	return r;
}

/* Expires: 0 for a binding that goes away; freed once answered (or at once if it never
 * registered). */
static void
reg_remove(struct reg *r)
{
	loop_timer_stop(r->retry);
	if (r->nh != NULL && (r->state == REG_REGISTERED || r->state == REG_REGISTERING)) {
		r->removing = 1;
		log_info("sip: trunk %s: unregistering", r->trunk);
		nua_unregister(r->nh, TAG_END());
		return;
	}
	reg_set(r, REG_UNREGISTERED, 0, "removed", 0);
	reg_free(r);
}

void
sip_reg_init(nua_t *nua, const struct config *cfg)
{
	reg_nua = nua;
	reg_stopping = 0;
	for (size_t i = 0; i < cfg->n_trunks; i++)
		if (cfg->trunks[i].mode == TRUNK_REGISTER)
			reg_start(reg_new(&cfg->trunks[i]));
}

static int
reg_same(const struct reg *r, const struct trunk *t)
{
	return strcmp(r->registrar, t->registrar) == 0 && strcmp(r->proxy, t->proxy) == 0 &&
	    strcmp(r->username, t->username) == 0 && strcmp(r->password, t->password) == 0 &&
	    r->expires == t->expires;
}

void
sip_reg_reload(const struct config *oldc, const struct config *newc)
{
	struct reg *r, *next;

	(void)oldc;
	for (r = reg_list; r != NULL; r = next) {
		const struct trunk *t;

		next = r->next;
		if (r->removing)
			continue;
		t = config_find_trunk(newc, r->trunk);
		if (t == NULL || t->mode != TRUNK_REGISTER) {
			log_info("sip: trunk %s: no longer registers (configuration changed)", r->trunk);
			reg_remove(r);
		} else if (!reg_same(r, t)) {
			log_info("sip: trunk %s: registration settings changed", r->trunk);
			/* The old binding goes with Expires: 0, the new one starts afresh. */
			reg_remove(r);
			reg_start(reg_new(t));
		}
	}
	for (size_t i = 0; i < newc->n_trunks; i++) {
		const struct trunk *t = &newc->trunks[i];

		if (t->mode == TRUNK_REGISTER && reg_find(t->id) == NULL)
			reg_start(reg_new(t));
	}
}

/* The realm of the challenge in a 401/407, for nua_authenticate. */
static int
reg_realm(const sip_t *sip, char *out, size_t outlen)
{
	const msg_auth_t *au = sip->sip_www_authenticate ? sip->sip_www_authenticate :
	    sip->sip_proxy_authenticate;
	const char *realm;

	if (au == NULL || au->au_scheme == NULL)
		return -1;
	realm = msg_params_find(au->au_params, "realm=");
	if (realm == NULL)
		return -1;
	snprintf(out, outlen, "%s", realm);
	return 0;
}

static void
reg_challenged(struct reg *r, int status, const char *phrase, const sip_t *sip)
{
	char realm[256], *cred;

	/* One answer per challenge; a second challenge right after means the password is
	 * wrong (unless the server says the nonce was stale). */
	if (++r->auth_tries > 2 || reg_realm(sip, realm, sizeof(realm)) == -1) {
		reg_fail(r, status, r->auth_tries > 2 ? "authentication refused" : phrase, 0);
		return;
	}
	/* realm already carries its quotes */
	cred = xasprintf("Digest:%s:%s:%s", realm, r->username, r->password);
	nua_authenticate(r->nh, NUTAG_AUTH(cred), TAG_END());
	free(cred);
}

static int
reg_expires(const sip_t *sip, int asked)
{
	if (sip != NULL && sip->sip_contact != NULL && sip->sip_contact->m_expires != NULL)
		return atoi(sip->sip_contact->m_expires);
	if (sip != NULL && sip->sip_expires != NULL)
		return (int)sip->sip_expires->ex_delta;
	return asked;
}

void
sip_reg_event(nua_event_t ev, int status, const char *phrase, nua_handle_t *nh,
    struct sip_owner *owner, const sip_t *sip)
{
	struct reg *r = (struct reg *)owner;

	if (r == NULL || r->nh != nh || status < 200)
		return;
	if (ev == nua_r_unregister) {
		log_info("sip: trunk %s: unregistered (%d %s)", r->trunk, status, phrase);
		reg_drop_handle(r);
		r->expires_at = 0;
		reg_set(r, REG_UNREGISTERED, status, phrase, 0);
		if (r->removing || reg_stopping)
			reg_free(r);
		return;
	}
	if (status < 300) {
		int exp = reg_expires(sip, r->expires);

		if (r->state != REG_REGISTERED)
			log_info("sip: trunk %s: registered (%d %s), expires in %d s", r->trunk,
			    status, phrase, exp);
		else
			log_debug("sip: trunk %s: refreshed, expires in %d s", r->trunk, exp);
		r->failures = 0;
		r->auth_tries = 0;
		r->expires_at = loop_mono_ms() + (int64_t)exp * 1000;
		reg_set(r, REG_REGISTERED, status, phrase, exp);
		return;
	}
	if ((status == 401 || status == 407) && sip != NULL) {
		reg_challenged(r, status, phrase, sip);
		return;
	}
	reg_fail(r, status, phrase,
	    sip && sip->sip_retry_after ? (unsigned)sip->sip_retry_after->af_delta : 0);
}

void
sip_reg_network_changed(void)
{
	for (struct reg *r = reg_list; r != NULL; r = r->next)
		if (!r->removing) {
			log_info("sip: trunk %s: network changed, registering again", r->trunk);
			reg_start(r);
		}
}

void
sip_reg_shutdown(void)
{
	struct reg *r, *next;

	reg_stopping = 1;
	for (r = reg_list; r != NULL; r = next) {
		next = r->next;
		if (!r->removing)
			reg_remove(r);
	}
}

int
sip_reg_pending(void)
{
	int n = 0;

	for (struct reg *r = reg_list; r != NULL; r = r->next)
		n++;
	return n;
}

void
sip_reg_fini(void)
{
	while (reg_list != NULL)
		reg_free(reg_list);
	reg_nua = NULL;
}

int
sip_reg_info(const char *trunk_id, struct sip_reg_info *info)
{
	struct reg *r = reg_find(trunk_id);
	int64_t now = loop_mono_ms();

	if (r == NULL)
		return -1;
	info->state = r->state;
	info->status = r->status;
	info->reason = r->reason;
	info->since_ms = r->since_ms;
	info->failures = r->failures;
	info->expires_in = r->state == REG_REGISTERED && r->expires_at > now ?
	    (int)((r->expires_at - now) / 1000) : 0;
	info->retry_in = r->retry_at > now ? (int)((r->retry_at - now + 999) / 1000) : 0;
	return 0;
}

int
sip_reg_count_registered(void)
{
	int n = 0;

	for (struct reg *r = reg_list; r != NULL; r = r->next)
		if (!r->removing && r->state == REG_REGISTERED)
			n++;
	return n;
}
