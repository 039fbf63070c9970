/* sip_guard: source checks, identical refusals and per-source budgets (see sip_guard.h).
 *
 * sofia-sip answers every request it hands to the application, so a throttled source
 * still gets the one 403; what throttling saves is everything else (number lookup,
 * dialplan, database, a log line per request). The table of sources is fixed in size:
 * a flood from many addresses recycles the oldest entries instead of growing memory. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <sofia-sip/msg_addr.h>
#include <sofia-sip/url.h>

#include "config.h"
#include "log.h"
#include "reload.h"
#include "sip_guard.h"

#define GUARD_SLOTS	4096
#define GUARD_PENALTY_MS 60000	/* how long a source stays throttled past its window */

struct guard_slot {
	int		 family;
	unsigned char	 addr[16];
	int64_t		 window_ms;	/* start of the current window */
	uint32_t	 requests;
	uint32_t	 refused;
	int64_t		 throttled_until;
	uint64_t	 unlogged;	/* refusals not logged one by one since the last line */
	int64_t		 logged_ms;
};

static struct guard_slot guard_tab[GUARD_SLOTS];
static uint64_t guard_refused, guard_throttled;

void
sip_guard_init(void)
{
	memset(guard_tab, 0, sizeof(guard_tab));
	guard_refused = guard_throttled = 0;
}

void
sip_guard_fini(void)
{
}

static void
guard_set(struct sip_src *s, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		s->family = AF_INET;
		memcpy(s->addr, &in->sin_addr, 4);
		s->port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			s->family = AF_INET;
			memcpy(s->addr, in6->sin6_addr.s6_addr + 12, 4);
		} else {
			s->family = AF_INET6;
			memcpy(s->addr, &in6->sin6_addr, 16);
		}
		s->port = ntohs(in6->sin6_port);
	}
	if (s->family == 0 || inet_ntop(s->family, s->addr, s->text, sizeof(s->text)) == NULL)
		snprintf(s->text, sizeof(s->text), "unknown");
}

int
sip_guard_source(nua_t *nua, struct sip_src *s)
{
	msg_t *msg = nua_current_request(nua);
	su_addrinfo_t *ai;

	memset(s, 0, sizeof(*s));
	snprintf(s->text, sizeof(s->text), "unknown");
	if (msg == NULL || (ai = msg_addrinfo(msg)) == NULL || ai->ai_addr == NULL)
		return -1;
	guard_set(s, (const struct sockaddr *)ai->ai_addr);
	return s->family ? 0 : -1;
}

bool
sip_guard_host_is(const char *host, const struct sip_src *s)
{
	unsigned char a[16];
	char buf[128];
	size_t n;

	if (host == NULL || s->family == 0)
		return false;
	/* [v6] as URIs write it */
	n = strlen(host);
	if (n >= 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, n - 2);
		buf[n - 2] = '\0';
		host = buf;
	}
	if (s->family == AF_INET && inet_pton(AF_INET, host, a) == 1)
		return memcmp(a, s->addr, 4) == 0;
	if (s->family == AF_INET6 && inet_pton(AF_INET6, host, a) == 1)
		return memcmp(a, s->addr, 16) == 0;
	return false;
}

static bool
guard_cidr_has(const struct cidr *c, const struct sip_src *s)
{
	int bits = c->prefix, i = 0;

	if (c->family != s->family)
		return false;
	for (; bits >= 8; bits -= 8, i++)
		if (c->addr[i] != s->addr[i])
			return false;
	if (bits > 0) {
		unsigned char mask = (unsigned char)(0xff << (8 - bits));

		if ((c->addr[i] & mask) != (s->addr[i] & mask))
			return false;
	}
	return true;
}

/* The numeric host of a SIP URI string, if it has one. */
static bool
guard_uri_host_is(const char *uri, const struct sip_src *s)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *url;
	bool r = false;

	if (uri == NULL || uri[0] == '\0')
		return false;
	url = url_hdup(home, (url_t const *)url_make(home, uri));
	if (url != NULL && url->url_host != NULL)
		r = sip_guard_host_is(url->url_host, s);
	su_home_deinit(home);
	return r;
}

bool
sip_guard_trunk_allows(const struct trunk *t, const struct sip_src *s)
{
	if (s->family == 0)
		return false;
	if (t->n_allowed > 0) {
		for (size_t i = 0; i < t->n_allowed; i++)
			if (guard_cidr_has(&t->allowed[i], s))
				return true;
		return false;
	}
	return guard_uri_host_is(t->registrar, s) || guard_uri_host_is(t->address, s) ||
	    guard_uri_host_is(t->proxy, s);
}

const struct trunk *
sip_guard_find_trunk(const struct config *cfg, const struct sip_src *s)
{
	for (size_t i = 0; i < cfg->n_trunks; i++)
		if (sip_guard_trunk_allows(&cfg->trunks[i], s))
			return &cfg->trunks[i];
	return NULL;
}

static uint32_t
guard_hash(const struct sip_src *s)
{
	uint32_t h = 2166136261u;
	size_t n = s->family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < n; i++)
		h = (h ^ s->addr[i]) * 16777619u;
	return h;
}

/* The source's slot: found, or a free or stale one taken over. Linear probing over a
 * short run keeps the cost bounded whatever the table holds. */
static struct guard_slot *
guard_slot(const struct sip_src *s, int64_t now)
{
	uint32_t h = guard_hash(s);
	struct guard_slot *victim = NULL;

	for (unsigned i = 0; i < 8; i++) {
		struct guard_slot *g = &guard_tab[(h + i) % GUARD_SLOTS];

		if (g->family == s->family && memcmp(g->addr, s->addr, 16) == 0)
			return g;
		if (g->family == 0 || (now - g->window_ms > SIP_GUARD_WINDOW_MS &&
		    now > g->throttled_until)) {
			if (victim == NULL)
				victim = g;
		}
	}
	if (victim == NULL)	/* every slot busy: the oldest window goes */
		for (unsigned i = 0; i < 8; i++) {
			struct guard_slot *g = &guard_tab[(h + i) % GUARD_SLOTS];

			if (victim == NULL || g->window_ms < victim->window_ms)
				victim = g;
		}
	memset(victim, 0, sizeof(*victim));
	victim->family = s->family;
	memcpy(victim->addr, s->addr, 16);
	victim->window_ms = now;
	return victim;
}

bool
sip_guard_admit(const struct sip_src *s)
{
	int64_t now = loop_mono_ms();
	struct guard_slot *g;

	if (s->family == 0)
		return true;
	/* A carrier's traffic is its own business (trunk and tenant limits apply); budgets
	 * are for addresses no trunk allows. */
	if (sip_guard_find_trunk(reload_current(), s) != NULL)
		return true;
	g = guard_slot(s, now);
	if (now - g->window_ms > SIP_GUARD_WINDOW_MS) {
		g->window_ms = now;
		g->requests = g->refused = 0;
	}
	g->requests++;
	if (now < g->throttled_until)
		return false;
	if (g->requests > SIP_GUARD_MAX_REQUESTS || g->refused > SIP_GUARD_MAX_REFUSED) {
		g->throttled_until = now + GUARD_PENALTY_MS;
		log_warn("sip: throttling %s: %u requests, %u refused in %d s; its requests are "
		    "refused unread for %d s", s->text, g->requests, g->refused,
		    SIP_GUARD_WINDOW_MS / 1000, GUARD_PENALTY_MS / 1000);
		return false;
	}
	return true;
}

void
sip_guard_refuse(nua_t *nua, nua_handle_t *nh, const char *method, const struct sip_src *s,
    const char *reason)
{
	int64_t now = loop_mono_ms();
	struct guard_slot *g = s->family ? guard_slot(s, now) : NULL;

	nua_respond(nh, SIP_GUARD_STATUS, SIP_GUARD_PHRASE, NUTAG_WITH_THIS(nua),
	    SIPTAG_USER_AGENT(SIP_NONE), SIPTAG_ALLOW(SIP_NONE), SIPTAG_SUPPORTED(SIP_NONE), TAG_END());
	nua_handle_destroy(nh);
	guard_refused++;
	if (g == NULL) {
		log_info("sip: refused %s from %s: %s", method, s->text, reason);
		return;
	}
	g->refused++;
	if (now < g->throttled_until) {
		guard_throttled++;
		g->unlogged++;
		/* One summary line a window instead of one line a request. */
		if (now - g->logged_ms >= SIP_GUARD_WINDOW_MS) {
			log_info("sip: refused %s from %s: throttled (%llu refused unread since "
			    "the last line)", method, s->text, (unsigned long long)g->unlogged);
			g->unlogged = 0;
			g->logged_ms = now;
		}
		return;
	}
	log_info("sip: refused %s from %s: %s", method, s->text, reason);
	g->logged_ms = now;
}

void
sip_guard_get_stats(struct sip_guard_stats *st)
{
	int64_t now = loop_mono_ms();

	st->refused = guard_refused;
	st->throttled = guard_throttled;
	st->sources = 0;
	for (size_t i = 0; i < GUARD_SLOTS; i++)
		if (guard_tab[i].family != 0 && (now - guard_tab[i].window_ms <= SIP_GUARD_WINDOW_MS ||
		    now < guard_tab[i].throttled_until))
			st->sources++;
}
