/* sip_ping: OPTIONS keepalives to peer trunks (see sip_ping.h). Any final answer below 500
 * means the peer is there (a 404 or 405 to OPTIONS is still a live SIP stack); 5xx, 6xx
 * and no answer (408 from our transaction layer) mean it is not. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "sip_ping.h"
#include "xmalloc.h"

struct ping {
	struct sip_owner owner;		/* first: the handle's magic */
	char		*trunk;
	char		*address;
	nua_handle_t	*nh;		/* while an OPTIONS is out */
	int64_t		 sent_ms;	/* monotonic */
	int		 up, status, rtt_ms, answered;
	char		 reason[96];
	int64_t		 since_ms;
	struct ping	*next;
};

static nua_t *ping_nua;
static struct ping *ping_list;
static struct loop_timer *ping_timer;

static void
ping_free(struct ping *p)
{
	if (p->nh != NULL)
		nua_handle_destroy(p->nh);
	free(p->trunk);
	free(p->address);
	free(p);
}

static void
ping_send(struct ping *p)
{
	if (p->nh != NULL)	/* the last one is still out: its timeout will tell */
		return;
	p->nh = nua_handle(ping_nua, &p->owner, NUTAG_URL(p->address), SIPTAG_TO_STR(p->address),
	    TAG_END());
	if (p->nh == NULL)
		return;
	p->sent_ms = loop_mono_ms();
	nua_options(p->nh, TAG_END());
}

static void
ping_tick(void *arg)
{
	(void)arg;
	for (struct ping *p = ping_list; p != NULL; p = p->next)
		ping_send(p);
	loop_timer_start(ping_timer, SIP_PING_INTERVAL_MS);
}

static struct ping *
ping_find(const char *trunk)
{
	for (struct ping *p = ping_list; p != NULL; p = p->next)
		if (strcmp(p->trunk, trunk) == 0)
			return p;
	return NULL;
}

void
sip_ping_reload(const struct config *cfg)
{
	struct ping *keep = NULL, *p, *next;

	/* Peers that stay (same address) keep their state; the rest start afresh. */
	for (size_t i = 0; i < cfg->n_trunks; i++) {
		const struct trunk *t = &cfg->trunks[i];

		if (t->mode != TRUNK_PEER || t->address[0] == '\0')
			continue;
		p = ping_find(t->id);
		if (p != NULL && strcmp(p->address, t->address) == 0) {
			struct ping **pp;

			for (pp = &ping_list; *pp != p; pp = &(*pp)->next)
				;
			*pp = p->next;
		} else {
			p = xcalloc(1, sizeof(*p));
			p->owner.kind = SIP_OWNER_PING;
			p->trunk = xstrdup(t->id);
			p->address = xstrdup(t->address);
			p->since_ms = loop_now_ms();
			snprintf(p->reason, sizeof(p->reason), "not pinged yet");
		}
		p->next = keep;
		keep = p;
	}
	for (p = ping_list; p != NULL; p = next) {
		next = p->next;
		ping_free(p);
	}
	ping_list = keep;
	for (p = ping_list; p != NULL; p = p->next)
		if (!p->answered)
			ping_send(p);
}

void
sip_ping_init(nua_t *nua, const struct config *cfg)
{
	ping_nua = nua;
	ping_timer = loop_timer_new(ping_tick, NULL);
	sip_ping_reload(cfg);
	loop_timer_start(ping_timer, SIP_PING_INTERVAL_MS);
}

void
sip_ping_event(int status, const char *phrase, nua_handle_t *nh, struct sip_owner *owner,
    const sip_t *sip)
{
	struct ping *p = (struct ping *)owner;
	int up;

	(void)sip;
	if (status < 200 || p == NULL || p->nh != nh)
		return;
	nua_handle_destroy(p->nh);
	p->nh = NULL;
	up = status < 500;
	if (up != p->up || !p->answered) {
		p->since_ms = loop_now_ms();
		if (up)
			log_info("sip: trunk %s: peer %s answers OPTIONS (%d %s)", p->trunk,
			    p->address, status, phrase);
		else
			log_warn("sip: trunk %s: peer %s does not answer OPTIONS (%d %s)", p->trunk,
			    p->address, status, phrase);
	}
	p->answered = 1;
	p->up = up;
	p->status = status;
	p->rtt_ms = (int)(loop_mono_ms() - p->sent_ms);
	snprintf(p->reason, sizeof(p->reason), "%s", phrase ? phrase : "");
}

void
sip_ping_fini(void)
{
	while (ping_list != NULL) {
		struct ping *p = ping_list;

		ping_list = p->next;
		ping_free(p);
	}
	loop_timer_free(ping_timer);
	ping_timer = NULL;
}

int
sip_ping_info(const char *trunk_id, struct sip_ping_info *info)
{
	struct ping *p = ping_find(trunk_id);

	if (p == NULL)
		return -1;
	info->up = p->answered && p->up;
	info->status = p->status;
	info->reason = p->reason;
	info->rtt_ms = p->rtt_ms;
	info->since_ms = p->since_ms;
	return 0;
}
