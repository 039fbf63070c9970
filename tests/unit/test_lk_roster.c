/* test_lk_roster: arrivals and departures, our own entry ignored, and the SSRC -> mid ->
 * track -> identity chain from the answer's a=ssrc or the RTP mid extension. */
#include <glib.h>

#include "lk_roster.h"
#include "tap.h"

static char events[256];

static void
roster_cb(void *arg, const char *identity, int present)
{
	(void)arg;
	g_strlcat(events, present ? "+" : "-", sizeof events);
	g_strlcat(events, identity, sizeof events);
	g_strlcat(events, " ", sizeof events);
}

static void
info(Lk__ParticipantInfo *pi, Lk__TrackInfo *ti, Lk__TrackInfo **tl, const char *sid,
    const char *identity, const char *track)
{
	lk__participant_info__init(pi);
	lk__track_info__init(ti);
	pi->sid = (char *)sid;
	pi->identity = (char *)identity;
	pi->state = LK__PARTICIPANT_INFO__STATE__ACTIVE;
	if (track != NULL) {
		ti->sid = (char *)track;
		tl[0] = ti;
		pi->tracks = tl;
		pi->n_tracks = 1;
	}
}

int
main(void)
{
	struct lk_roster *r = lk_roster_new(roster_cb, NULL);
	Lk__ParticipantInfo alice, bob, me;
	Lk__TrackInfo ta, tb, tm;
	Lk__TrackInfo *la[1], *lb[1], *lm[1];

	lk_roster_set_self(r, "probe");
	info(&alice, &ta, la, "PA_a", "alice", "TR_a");
	info(&bob, &tb, lb, "PA_b", "bob", NULL);
	info(&me, &tm, lm, "PA_me", "probe", "TR_me");
	lk_roster_update(r, &alice);
	lk_roster_update(r, &bob);
	lk_roster_update(r, &me);
	lk_roster_update(r, &alice);
	is_str(events, "+alice +bob ", "arrivals reported once, ourselves never");

	is_str(lk_roster_source(r, 100, ""), "", "an unknown source has no identity yet");
	lk_roster_map_ssrc(r, 100, "2");
	is_str(lk_roster_source(r, 100, ""), "", "a mid without a track: still unknown");
	lk_roster_map_mid(r, "2", "TR_a");
	is_str(lk_roster_source(r, 100, ""), "alice", "ssrc -> mid (answer) -> track -> alice");

	lk_roster_map_mid(r, "3", "TR_b");
	is_str(lk_roster_source(r, 200, "3"), "", "bob's track is not known yet");
	info(&bob, &tb, lb, "PA_b", "bob", "TR_b");
	lk_roster_update(r, &bob);
	is_str(lk_roster_source(r, 200, ""), "bob", "mid from the RTP extension, then the update");
	is_str(lk_roster_source(r, 100, ""), "alice", "the first source is still alice");

	lk_roster_map_mid(r, "2", "TR_b");
	is_str(lk_roster_source(r, 100, ""), "bob", "a new mid_to_track_id remaps the source");

	bob.state = LK__PARTICIPANT_INFO__STATE__DISCONNECTED;
	lk_roster_update(r, &bob);
	ok(g_str_has_suffix(events, "-bob "), "departure reported");
	lk_roster_update(r, &bob);
	ok(g_str_has_suffix(events, "+bob -bob "), "a second departure is not");
	{
		Lk__ParticipantInfo eve = bob;

		eve.sid = "PA_eve";
		eve.identity = "eve";
		lk_roster_update(r, &eve);
		ok(g_str_has_suffix(events, "-bob +eve -eve "),
		    "a departure of someone never seen (a batched listener) is a visit");
		lk_roster_update(r, &eve);
		ok(g_str_has_suffix(events, "-bob +eve -eve "), "and is reported once");
	}

	for (uint32_t ssrc = 1000; ssrc < 1040; ssrc++)
		(void)lk_roster_source(r, ssrc, "");
	is_str(lk_roster_source(r, 1039, ""), "", "many sources: the table recycles, no crash");
	lk_roster_free(r);
	return tap_done();
}
