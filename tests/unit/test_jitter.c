/* test_jitter: the jitter buffer hands packets out in order whatever order they came in,
 * conceals exactly the packets that never came, waits longer when the network jitters, and
 * resynchronises on a jump. */
#include <string.h>

#include "jitter.h"
#include "tap.h"

#define FRAME 160
#define N 200

struct run {
	int	 out[N * 2];	/* frame numbers handed out, -1 for a concealed frame */
	int	 n;
};

static void
drain(struct jitter *j, struct run *r, bool flush)
{
	const uint8_t *p;
	size_t len;
	enum jitter_out o;

	while ((o = jitter_get(j, flush, &p, &len)) != JITTER_NONE && r->n < N * 2) {
		if (o == JITTER_PACKET) {
			int f;

			memcpy(&f, p, sizeof f);
			r->out[r->n++] = f;
		} else
			r->out[r->n++] = -1;
		jitter_advance(j, FRAME);
	}
}

static void
put(struct jitter *j, int f, uint32_t arrival)
{
	jitter_put(j, 1000u + (uint32_t)f * FRAME, (const uint8_t *)&f, sizeof f, arrival);
}

static int
in_order(const struct run *r, int n, int *concealed)
{
	int i, want = 0;

	*concealed = 0;
	for (i = 0; i < r->n; i++) {
		if (r->out[i] == -1) {
			(*concealed)++;
			want++;
			continue;
		}
		if (r->out[i] != want)
			return 0;
		want++;
	}
	return want == n;
}

int
main(void)
{
	struct jitter *j;
	struct run r;
	int i, conc;
	uint8_t big[JITTER_MAX_PAYLOAD + 1] = { 0 };

	/* In order, perfect timing. */
	j = jitter_new(8000, FRAME);
	memset(&r, 0, sizeof r);
	for (i = 0; i < N; i++) {
		put(j, i, (uint32_t)i * FRAME);
		drain(j, &r, false);
	}
	ok(in_order(&r, N, &conc) && conc == 0, "in order: all %d out at once, none concealed", N);
	is_int(jitter_target_ms(j), 20, "in order: target stays at one frame");
	is_int(jitter_put(j, 1000u + 5 * FRAME, (const uint8_t *)"x", 1, 0), -1,
	    "a packet whose time has passed is refused");
	jitter_free(j);

	/* Pairs swapped: 1 0 3 2 ... nothing lost, everything in order. */
	j = jitter_new(8000, FRAME);
	memset(&r, 0, sizeof r);
	for (i = 0; i < N; i += 2) {
		put(j, i + 1, (uint32_t)i * FRAME);
		drain(j, &r, false);
		put(j, i, (uint32_t)(i + 1) * FRAME);
		drain(j, &r, false);
	}
	ok(in_order(&r, N, &conc) && conc == 0, "swapped pairs: reordered, none concealed");
	jitter_free(j);

	/* Loss: frames 10 and 50 never come. */
	j = jitter_new(8000, FRAME);
	memset(&r, 0, sizeof r);
	for (i = 0; i < N; i++) {
		if (i != 10 && i != 50)
			put(j, i, (uint32_t)i * FRAME);
		drain(j, &r, false);
	}
	ok(in_order(&r, N, &conc), "loss: the rest in order");
	is_int(conc, 2, "loss: exactly the two missing frames concealed");
	is_int(jitter_lost(j), 2, "loss: counted");
	jitter_free(j);

	/* Heavy jitter: each packet delayed 0-100 ms at random, so they arrive shuffled. */
	{
		uint32_t arr[N];
		int order[N], k;

		srand(7);
		for (i = 0; i < N; i++) {
			arr[i] = (uint32_t)i * FRAME + (uint32_t)(rand() % 800);
			order[i] = i;
		}
		for (i = 1; i < N; i++)	/* sort by arrival */
			for (k = i; k > 0 && arr[order[k]] < arr[order[k - 1]]; k--) {
				int t = order[k];

				order[k] = order[k - 1];
				order[k - 1] = t;
			}
		j = jitter_new(8000, FRAME);
		memset(&r, 0, sizeof r);
		for (i = 0; i < N; i++) {
			put(j, order[i], arr[order[i]]);
			drain(j, &r, false);
		}
		drain(j, &r, true);
		ok(jitter_target_ms(j) > 60, "jitter: target grew to %d ms", jitter_target_ms(j));
		ok(in_order(&r, N, &conc), "jitter: handed out in order");
		ok(conc <= 4, "jitter: %d of %d concealed (packets that came later than the target)",
		    conc, N);
		jitter_free(j);
	}

	/* A jump of 5 s: resynchronised, not 250 frames of concealment. */
	j = jitter_new(8000, FRAME);
	memset(&r, 0, sizeof r);
	for (i = 0; i < 10; i++) {
		put(j, i, (uint32_t)i * FRAME);
		drain(j, &r, false);
	}
	for (i = 260; i < 270; i++) {
		put(j, i, (uint32_t)i * FRAME);
		drain(j, &r, false);
	}
	is_int(r.n, 20, "jump: 20 frames out");
	is_int(jitter_lost(j), 0, "jump: nothing concealed");
	is_int(r.out[10], 260, "jump: resumed at the new timestamp");

	/* Flush: the hole before the last packets is concealed at the end of the stream. */
	memset(&r, 0, sizeof r);
	put(j, 271, 271 * FRAME);
	drain(j, &r, false);
	is_int(r.n, 0, "flush: a one-frame hole is waited for");
	drain(j, &r, true);
	ok(r.n == 2 && r.out[0] == -1 && r.out[1] == 271, "flush: concealed, then the packet");
	is_int(jitter_put(j, 5, big, sizeof big, 0), -1, "an oversized payload is refused");
	is_int(jitter_put(j, 1000u + 271 * FRAME, (const uint8_t *)"x", 1, 0), -1,
	    "a duplicate is refused");
	jitter_free(j);
	return tap_done();
}
