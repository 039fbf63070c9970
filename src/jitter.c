/* jitter: adaptive jitter buffer; see jitter.h. */
#include "jitter.h"

#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct jitter_slot {
	bool		 used;
	uint32_t	 ts;
	uint16_t	 len;
	uint16_t	 cap;
	/* Sized by the packets that come (160 bytes of G.711 where the largest possible
	 * payload made each of the 24 slots 1.3 KiB: 30 KiB per call). */
	uint8_t		*data;
};

struct jitter {
	int		 clock, frame;
	bool		 started;
	bool		 priming;	/* nothing handed out since the (re)start */
	int		 back_run;	/* consecutive packets from far in the past */
	uint32_t	 next;		/* playout point */
	uint32_t	 newest;	/* highest timestamp stored */
	int		 count;
	/* RFC 3550 A.8 style estimate, scaled by 16 */
	bool		 have_transit;
	uint32_t	 transit;
	uint32_t	 jitter16;
	uint64_t	 lost, late;
	struct jitter_slot slot[JITTER_SLOTS];
};

struct jitter *
jitter_new(int clock, int frame)
{
	struct jitter *j = xcalloc(1, sizeof *j);

	j->clock = clock;
	j->frame = frame;
	return j;
}

void
jitter_free(struct jitter *j)
{
	if (j == NULL)
		return;
	for (int i = 0; i < JITTER_SLOTS; i++)
		free(j->slot[i].data);
	free(j);
}

int
jitter_target_ms(const struct jitter *j)
{
	int jit_ms = (int)((uint64_t)(j->jitter16 >> 4) * 1000 / (uint64_t)j->clock);
	int t = 2 * jit_ms + 20;

	if (t < JITTER_MIN_MS)
		t = JITTER_MIN_MS;
	if (t > JITTER_MAX_MS)
		t = JITTER_MAX_MS;
	return t;
}

static void
jitter_reset(struct jitter *j, uint32_t ts)
{
	int i;

	for (i = 0; i < JITTER_SLOTS; i++)
		j->slot[i].used = false;
	j->count = 0;
	j->started = true;
	j->priming = true;
	j->back_run = 0;
	j->next = ts;
	j->newest = ts;
}

static struct jitter_slot *
jitter_find(struct jitter *j, uint32_t ts)
{
	int i;

	for (i = 0; i < JITTER_SLOTS; i++)
		if (j->slot[i].used && j->slot[i].ts == ts)
			return &j->slot[i];
	return NULL;
}

/* The stored packet with the lowest timestamp at or after the playout point. */
static struct jitter_slot *
jitter_oldest(struct jitter *j)
{
	struct jitter_slot *best = NULL;
	int i;

	for (i = 0; i < JITTER_SLOTS; i++)
		if (j->slot[i].used && (best == NULL ||
		    (int32_t)(j->slot[i].ts - best->ts) < 0))
			best = &j->slot[i];
	return best;
}

int
jitter_put(struct jitter *j, uint32_t ts, const uint8_t *payload, size_t len,
    uint32_t arrival)
{
	struct jitter_slot *s = NULL;
	uint32_t transit = arrival - ts;
	int32_t d;
	int i;

	if (len > JITTER_MAX_PAYLOAD || len == 0)
		return -1;
	if (j->have_transit) {
		int64_t dt = (int32_t)(transit - j->transit);

		if (dt < 0)
			dt = -dt;
		if (dt < j->clock)	/* a resync is not jitter */
			j->jitter16 += (uint32_t)dt - ((j->jitter16 + 8) >> 4);
	}
	j->have_transit = true;
	j->transit = transit;

	d = (int32_t)(ts - j->next);
	if (j->started && d < -j->clock && ++j->back_run < 3) {
		/* One stray old packet is late; three in a row are a restarted sender. */
		j->late++;
		return -1;
	}
	if (!j->started || d > j->clock || d < -j->clock)
		jitter_reset(j, ts);
	else if (d < 0 && j->priming)
		j->next = ts;	/* the stream began earlier than its first arrival */
	else if (d < 0 || jitter_find(j, ts) != NULL) {
		j->late++;
		return -1;
	}
	j->back_run = 0;
	for (i = 0; i < JITTER_SLOTS && s == NULL; i++)
		if (!j->slot[i].used)
			s = &j->slot[i];
	if (s == NULL) {
		/* Full: the ring spans more than any target; the oldest goes as lost. */
		s = jitter_oldest(j);
		j->lost++;
		j->count--;
	}
	if (len > s->cap) {
		s->cap = (uint16_t)((len + 63) & ~(size_t)63);
		free(s->data);
		s->data = xmalloc(s->cap);
	}
	s->used = true;
	s->ts = ts;
	s->len = (uint16_t)len;
	memcpy(s->data, payload, len);
	j->count++;
	if ((int32_t)(ts - j->newest) > 0)
		j->newest = ts;
	return 0;
}

enum jitter_out
jitter_get(struct jitter *j, bool flush, const uint8_t **payload, size_t *len)
{
	struct jitter_slot *s;
	uint32_t wait;

	if (!j->started || j->count == 0)
		return JITTER_NONE;
	wait = (uint32_t)((uint64_t)jitter_target_ms(j) * (uint64_t)j->clock / 1000);
	if (j->priming && !flush && j->newest - j->next <= wait)
		return JITTER_NONE;	/* earlier packets may still come */
	j->priming = false;
	if ((s = jitter_find(j, j->next)) != NULL) {
		*payload = s->data;
		*len = s->len;
		s->used = false;
		j->count--;
		return JITTER_PACKET;
	}
	s = jitter_oldest(j);
	if ((int32_t)(s->ts - j->next) < 0) {
		/* A packet that straddles the playout point (another packetisation): take it. */
		*payload = s->data;
		*len = s->len;
		s->used = false;
		j->count--;
		j->next = s->ts;
		return JITTER_PACKET;
	}
	if (s->ts - j->next < (uint32_t)j->frame) {
		/* Less than a frame missing (packet sizes that do not line up): close it. */
		j->next = s->ts;
		return jitter_get(j, flush, payload, len);
	}
	/* Lost once more than the target delay's worth has arrived after it. */
	if (flush || j->newest - j->next > wait) {
		j->lost++;
		return JITTER_LOST;
	}
	return JITTER_NONE;
}

void
jitter_advance(struct jitter *j, uint32_t units)
{
	j->next += units;
}

uint64_t
jitter_lost(const struct jitter *j)
{
	return j->lost;
}

uint64_t
jitter_late(const struct jitter *j)
{
	return j->late;
}
