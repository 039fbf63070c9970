/* lk_roster: the room's participants and the SSRC -> mid -> track -> identity chain (see
 * lk_roster.h). Participants and mids change on signalling events (allocation is fine
 * there); the per-packet lookup walks a small fixed table. */
#include <string.h>

#include <glib.h>

#include "lk_roster.h"
#include "log.h"

#define LK_ROSTER_SOURCES	16

struct lk_roster_peer {
	char		*sid;
	char		*identity;
	GPtrArray	*tracks;	/* track sids (char *) */
};

struct lk_roster_src {
	uint32_t	 ssrc;
	char		 mid[32];
	char		 identity[257];	/* "" until resolved */
};

struct lk_roster {
	lk_roster_cb	*cb;
	void		*arg;
	char		*self;
	GPtrArray	*peers;		/* struct lk_roster_peer * */
	GHashTable	*mid_track;	/* mid -> track sid */
	GHashTable	*gone;		/* sids that left: a repeated departure is no news */
	struct lk_roster_src src[LK_ROSTER_SOURCES];
	int		 nsrc;
	int		 last;		/* index of the last source looked up */
};

static void
lk_roster_peer_free(gpointer p)
{
	struct lk_roster_peer *peer = p;

	g_free(peer->sid);
	g_free(peer->identity);
	g_ptr_array_free(peer->tracks, TRUE);
	g_free(peer);
}

struct lk_roster *
lk_roster_new(lk_roster_cb *cb, void *arg)
{
	struct lk_roster *r = g_new0(struct lk_roster, 1);

	r->cb = cb;
	r->arg = arg;
	r->peers = g_ptr_array_new_with_free_func(lk_roster_peer_free);
	r->mid_track = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	r->gone = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	return r;
}

void
lk_roster_set_self(struct lk_roster *r, const char *identity)
{
	g_free(r->self);
	r->self = g_strdup(identity);
}

/* Forgets every resolved identity: a mapping changed. */
static void
lk_roster_unresolve(struct lk_roster *r)
{
	for (int i = 0; i < r->nsrc; i++)
		r->src[i].identity[0] = '\0';
}

void
lk_roster_update(struct lk_roster *r, const Lk__ParticipantInfo *pi)
{
	struct lk_roster_peer *p = NULL;
	guint i;
	size_t k;

	if (pi->sid == NULL || pi->sid[0] == '\0' || pi->identity == NULL ||
	    (r->self != NULL && strcmp(pi->identity, r->self) == 0))
		return;
	for (i = 0; i < r->peers->len && p == NULL; i++)
		if (strcmp(((struct lk_roster_peer *)g_ptr_array_index(r->peers, i))->sid,
		    pi->sid) == 0)
			p = g_ptr_array_index(r->peers, i);
	if (pi->state == LK__PARTICIPANT_INFO__STATE__DISCONNECTED) {
		if (p != NULL) {
			log_info("livekit: participant %s left", p->identity);
			r->cb(r->arg, p->identity, 0);
			g_hash_table_add(r->gone, g_strdup(p->sid));
			g_ptr_array_remove(r->peers, p);
		} else if (!g_hash_table_contains(r->gone, pi->sid)) {
			/* The server batches the updates of participants who publish nothing (a
			 * listener's join and leave can come as one departure): it was here. */
			log_info("livekit: participant %s came and left between two updates",
			    pi->identity);
			r->cb(r->arg, pi->identity, 1);
			r->cb(r->arg, pi->identity, 0);
			g_hash_table_add(r->gone, g_strdup(pi->sid));
		}
		return;
	}
	if (p == NULL) {
		p = g_new0(struct lk_roster_peer, 1);
		p->sid = g_strdup(pi->sid);
		p->identity = g_strdup(pi->identity);
		p->tracks = g_ptr_array_new_with_free_func(g_free);
		g_ptr_array_add(r->peers, p);
		log_info("livekit: participant %s (%s) is in the room", p->identity, p->sid);
		r->cb(r->arg, p->identity, 1);
	}
	g_ptr_array_set_size(p->tracks, 0);
	for (k = 0; k < pi->n_tracks; k++)
		g_ptr_array_add(p->tracks, g_strdup(pi->tracks[k]->sid));
	lk_roster_unresolve(r);
}

void
lk_roster_map_mid(struct lk_roster *r, const char *mid, const char *track)
{
	g_hash_table_replace(r->mid_track, g_strdup(mid), g_strdup(track));
	lk_roster_unresolve(r);
}

static struct lk_roster_src *
lk_roster_src(struct lk_roster *r, uint32_t ssrc)
{
	struct lk_roster_src *e;
	int i;

	if (r->nsrc > 0 && r->src[r->last].ssrc == ssrc)
		return &r->src[r->last];
	for (i = 0; i < r->nsrc; i++)
		if (r->src[i].ssrc == ssrc) {
			r->last = i;
			return &r->src[i];
		}
	if (r->nsrc == LK_ROSTER_SOURCES) {
		/* forget the oldest */
		memmove(&r->src[0], &r->src[1], sizeof r->src[0] * (LK_ROSTER_SOURCES - 1));
		r->nsrc--;
	}
	e = &r->src[r->nsrc];
	memset(e, 0, sizeof *e);
	e->ssrc = ssrc;
	r->last = r->nsrc++;
	return e;
}

void
lk_roster_map_ssrc(struct lk_roster *r, uint32_t ssrc, const char *mid)
{
	struct lk_roster_src *e = lk_roster_src(r, ssrc);

	g_strlcpy(e->mid, mid, sizeof e->mid);
	e->identity[0] = '\0';
}

const char *
lk_roster_source(struct lk_roster *r, uint32_t ssrc, const char *mid)
{
	struct lk_roster_src *e = lk_roster_src(r, ssrc);
	const char *track;
	guint i, j;

	if (e->identity[0] != '\0')
		return e->identity;
	if (e->mid[0] == '\0' && mid != NULL && mid[0] != '\0')
		g_strlcpy(e->mid, mid, sizeof e->mid);
	if (e->mid[0] == '\0' || (track = g_hash_table_lookup(r->mid_track, e->mid)) == NULL)
		return e->identity;
	for (i = 0; i < r->peers->len; i++) {
		struct lk_roster_peer *p = g_ptr_array_index(r->peers, i);

		for (j = 0; j < p->tracks->len; j++)
			if (strcmp(g_ptr_array_index(p->tracks, j), track) == 0) {
				g_strlcpy(e->identity, p->identity, sizeof e->identity);
				return e->identity;
			}
	}
	return e->identity;
}

void
lk_roster_free(struct lk_roster *r)
{
	if (r == NULL)
		return;
	g_ptr_array_free(r->peers, TRUE);
	g_hash_table_destroy(r->mid_track);
	g_hash_table_destroy(r->gone);
	g_free(r->self);
	g_free(r);
}
