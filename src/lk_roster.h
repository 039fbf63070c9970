/* lk_roster: who is in a LiveKit room and whose audio an RTP source carries. Built from
 * JoinResponse.other_participants and ParticipantUpdate (participants and their track
 * sids), SessionDescription.mid_to_track_id (mid -> track) and the answer's a=ssrc lines
 * or the RTP sdes:mid extension (SSRC -> mid). Arrivals and departures are reported. */
#ifndef SCAIDIAL_LK_ROSTER_H
#define SCAIDIAL_LK_ROSTER_H

#include <stddef.h>
#include <stdint.h>

#include "lk_proto/lk_signal.pb-c.h"

struct lk_roster;

/* present 1: the participant is in the room (at our join or later); 0: it left. */
typedef void	 lk_roster_cb(void *arg, const char *identity, int present);

struct lk_roster *lk_roster_new(lk_roster_cb *, void *arg);
/* Our own identity, which the server also lists and which is never reported. */
void	 lk_roster_set_self(struct lk_roster *, const char *identity);
void	 lk_roster_update(struct lk_roster *, const Lk__ParticipantInfo *);
void	 lk_roster_map_mid(struct lk_roster *, const char *mid, const char *track_sid);
void	 lk_roster_map_ssrc(struct lk_roster *, uint32_t ssrc, const char *mid);
/* The identity behind an RTP source; mid: from the packet's mid extension, or "". Never
 * NULL: "" while unknown. Cheap enough per packet (no allocation). */
const char *lk_roster_source(struct lk_roster *, uint32_t ssrc, const char *mid);
void	 lk_roster_free(struct lk_roster *);

#endif
