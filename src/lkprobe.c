/* scaidial-lkprobe: joins a LiveKit room the way scaidial's calls do (lk_session.c),
 * publishes a sine tone and records what the room says, so a LiveKit deployment can be
 * checked without the SIP side. Several --token options run several participants at
 * once, each on a thread and GMainContext of its own, as the daemon runs its calls. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lk_session.h"
#include "log.h"

#define PROBE_MAX	8

struct probe {
	char		 tag[8];	/* "" alone, "[N] " with several participants */
	const char	*url;
	const char	*token;
	const struct lk_session_cb *cb;
	const char	*record;
	GMainLoop	*loop;
	struct lk_session *s;
	double		 tone;
	int		 seconds;
	unsigned	 drop_every;	/* --drop-every: test hook, see lk_session_test_drop */
	int		 no_resend;	/* --no-resend: the same, NACKs not answered */
	int		 rc;
	int64_t		 t0;		/* monotonic us at start */
	int64_t		 pub_t0;	/* when publishing began, 0 before */
	uint64_t	 sent;		/* frames pushed */
	double		 phase;
	int		 left;		/* leave was sent */
	float		*mix;		/* recording, 48 kHz mono */
	size_t		 mix_len;	/* capacity in samples */
	size_t		 mix_end;	/* highest sample written */
	GHashTable	*pos;		/* identity -> next sample position (gint64 *) */
	uint64_t	 heard;		/* samples received */
	int64_t		 heard_t0;	/* when the first remote audio came, 0 before */
	const char	*dtmf;		/* digits still to send */
	int64_t		 dtmf_next;	/* monotonic us of the next digit */
};

static void
probe_usage(void)
{
	fprintf(stderr, "usage: scaidial-lkprobe --url URL --token JWT [--token JWT...] [--tone HZ] "
	    "[--seconds N] [--record FILE.wav] [--dtmf DIGITS] [--no-data] [--drop-every N [--no-resend]] [-v]\n");
	exit(2);
}

static void
probe_joined(void *arg, const char *room, const char *identity)
{
	struct probe *p = arg;

	printf("%sjoined room %s as %s\n", p->tag, room, identity);
	fflush(stdout);
}

static void
probe_participant(void *arg, const char *identity, int joined)
{
	struct probe *p = arg;

	printf("%sparticipant %s %s\n", p->tag, identity, joined ? "present" : "left");
	fflush(stdout);
}

static void
probe_publishing(void *arg)
{
	struct probe *p = arg;

	p->pub_t0 = g_get_monotonic_time();
	printf("%spublishing %.0f Hz for %d s\n", p->tag, p->tone, p->seconds);
	fflush(stdout);
}

static void
probe_audio(void *arg, const char *identity, const int16_t *pcm, size_t n)
{
	struct probe *p = arg;
	gint64 *pos;
	size_t i;

	p->heard += n;
	if (p->heard_t0 == 0)
		p->heard_t0 = g_get_monotonic_time();
	pos = g_hash_table_lookup(p->pos, identity);
	if (pos == NULL) {
		/* A source starts where the wall clock is; it then runs on its own samples. */
		pos = g_new(gint64, 1);
		*pos = (g_get_monotonic_time() - p->t0) * 48 / 1000;
		g_hash_table_insert(p->pos, g_strdup(identity), pos);
		printf("%shearing %s\n", p->tag, identity[0] != '\0' ? identity : "(unknown)");
		fflush(stdout);
	}
	if (p->mix == NULL)
		return;
	for (i = 0; i < n && (size_t)*pos + i < p->mix_len; i++)
		p->mix[*pos + (gint64)i] += pcm[i];
	*pos += (gint64)n;
	if ((size_t)*pos > p->mix_end)
		p->mix_end = (size_t)*pos < p->mix_len ? (size_t)*pos : p->mix_len;
}

static void
probe_disconnected(void *arg, const char *reason)
{
	struct probe *p = arg;

	if (!p->left) {
		fprintf(stderr, "scaidial-lkprobe: %sdisconnected: %s\n", p->tag, reason);
		p->rc = 1;
	}
	g_main_loop_quit(p->loop);
}

static void
probe_dtmf(void *arg, const char *identity, char digit)
{
	struct probe *p = arg;

	printf("%sdtmf from %s: %c\n", p->tag, identity, digit);
	fflush(stdout);
}

/* Sends the --dtmf digits, 200 ms apart, a second into publishing and half a second after
 * the first remote audio: the server forwards a data packet only to participants whose
 * own channels are open by then. A peer we hear has its (single, v1) peer connection up,
 * and its data channels follow within a few round trips; a fixed delay alone lost digits
 * to a peer that joined late on a loaded machine. */
static void
probe_send_dtmf(struct probe *p, int64_t now)
{
	int r;

	if (p->dtmf == NULL || *p->dtmf == '\0' || now < p->dtmf_next ||
	    now < p->pub_t0 + G_USEC_PER_SEC || p->heard_t0 == 0 ||
	    now < p->heard_t0 + G_USEC_PER_SEC / 2)
		return;
	r = lk_session_send_dtmf(p->s, *p->dtmf);
	if (r == 1)
		return;
	if (r == 0)
		printf("%sdtmf sent: %c\n", p->tag, *p->dtmf);
	else
		fprintf(stderr, "scaidial-lkprobe: cannot send DTMF %c\n", *p->dtmf);
	fflush(stdout);
	p->dtmf++;
	p->dtmf_next = now + 200000;
}

static const struct lk_session_cb probe_cb = {
	.joined = probe_joined,
	.participant = probe_participant,
	.publishing = probe_publishing,
	.audio = probe_audio,
	.disconnected = probe_disconnected,
	.dtmf = probe_dtmf,
};

/* Every 10 ms: push the frames that are due by the clock, so timer jitter does not drift
 * the stream; after --seconds, leave. */
static gboolean
probe_tick(gpointer arg)
{
	struct probe *p = arg;
	int16_t pcm[LK_AUDIO_FRAME];
	int64_t now = g_get_monotonic_time();
	uint64_t due;
	int i;

	if (p->pub_t0 == 0) {
		if (now - p->t0 > (int64_t)(p->seconds + 20) * G_USEC_PER_SEC) {
			fprintf(stderr, "scaidial-lkprobe: %sno media after %d s\n", p->tag,
			    p->seconds + 20);
			p->rc = 1;
			g_main_loop_quit(p->loop);
			return G_SOURCE_REMOVE;
		}
		return G_SOURCE_CONTINUE;
	}
	probe_send_dtmf(p, now);
	due = (uint64_t)(now - p->pub_t0) / 20000 + 1;
	while (p->sent < due && p->sent < (uint64_t)p->seconds * 50) {
		for (i = 0; i < LK_AUDIO_FRAME; i++) {
			pcm[i] = (int16_t)(12000 * sin(p->phase));
			p->phase += 2 * M_PI * p->tone / LK_AUDIO_RATE;
		}
		p->phase = fmod(p->phase, 2 * M_PI);
		if (lk_session_push_pcm(p->s, pcm) < 0)
			log_warn("lkprobe: a frame could not be sent");
		p->sent++;
	}
	if (p->sent >= (uint64_t)p->seconds * 50 && !p->left) {
		p->left = 1;
		lk_session_leave(p->s);
	}
	return G_SOURCE_CONTINUE;
}

static void
probe_le16(FILE *f, unsigned v)
{
	fputc((int)(v & 0xff), f);
	fputc((int)((v >> 8) & 0xff), f);
}

static void
probe_le32(FILE *f, uint32_t v)
{
	probe_le16(f, v & 0xffff);
	probe_le16(f, v >> 16);
}

static int
probe_write_wav(const struct probe *p, const char *path)
{
	FILE *f;
	size_t i;
	uint32_t bytes = (uint32_t)(p->mix_end * 2);

	f = fopen(path, "wb");
	if (f == NULL) {
		fprintf(stderr, "scaidial-lkprobe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	fwrite("RIFF", 1, 4, f);
	probe_le32(f, 36 + bytes);
	fwrite("WAVEfmt ", 1, 8, f);
	probe_le32(f, 16);
	probe_le16(f, 1);		/* PCM */
	probe_le16(f, 1);		/* mono */
	probe_le32(f, LK_AUDIO_RATE);
	probe_le32(f, LK_AUDIO_RATE * 2);
	probe_le16(f, 2);
	probe_le16(f, 16);
	fwrite("data", 1, 4, f);
	probe_le32(f, bytes);
	for (i = 0; i < p->mix_end; i++) {
		float v = p->mix[i];

		v = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
		probe_le16(f, (unsigned)(uint16_t)(int16_t)lrintf(v));
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "scaidial-lkprobe: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* The media path as RTCP saw it: one line, for people and for the tests. */
static void
probe_print_stats(const struct probe *p, const struct lk_session_stats *st)
{
	const struct lk_rtcp_stats *r = &st->rtcp;
	char rtt[32] = "?";

	if (r->rtt_us >= 0)
		g_snprintf(rtt, sizeof rtt, "%.3f ms", (double)r->rtt_us / 1000);
	printf("%srtcp: ice %s, rtt %s, reports sent %" G_GUINT64_FORMAT " received sr %"
	    G_GUINT64_FORMAT " rr %" G_GUINT64_FORMAT ", sfu lost %d (%.1f %%) jitter %u, "
	    "nack %s: %" G_GUINT64_FORMAT " nacks for %" G_GUINT64_FORMAT " packets, "
	    "retransmitted %" G_GUINT64_FORMAT " missed %" G_GUINT64_FORMAT
	    ", test-dropped %" G_GUINT64_FORMAT "\n", p->tag,
	    st->ice_transport[0] != '\0' ? st->ice_transport : "?", rtt, r->reports_sent,
	    r->sr_received, r->rr_received, r->cumulative_lost, r->fraction_lost * 100.0 / 256,
	    r->jitter, st->nack ? "on" : "off", r->nacks, r->nacked, r->retransmitted, r->missed,
	    st->test_dropped);
}

/* One participant, start to finish, on this thread's own context. */
static gpointer
probe_run(gpointer arg)
{
	struct probe *p = arg;
	GMainContext *ctx;
	GSource *tick;
	struct lk_session_stats st;

	if (p->record != NULL) {
		p->mix_len = (size_t)(p->seconds + 25) * LK_AUDIO_RATE;
		p->mix = g_new0(float, p->mix_len);
	}
	p->pos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	p->loop = g_main_loop_new(ctx, FALSE);
	p->t0 = g_get_monotonic_time();
	p->s = lk_session_new(ctx, p->url, p->token, p->cb, p);
	if (p->s == NULL) {
		fprintf(stderr, "scaidial-lkprobe: %scannot start the session\n", p->tag);
		p->rc = 1;
	} else {
		tick = g_timeout_source_new(10);
		g_source_set_callback(tick, probe_tick, p, NULL);
		g_source_attach(tick, ctx);
		lk_session_test_drop(p->s, p->drop_every, !p->no_resend);
		g_main_loop_run(p->loop);
		g_source_destroy(tick);
		g_source_unref(tick);
		lk_session_stats(p->s, &st);
		lk_session_free(p->s);
		printf("%ssent %.1f s, heard %.1f s from %u source(s)\n", p->tag,
		    (double)p->sent / 50, (double)p->heard / LK_AUDIO_RATE,
		    g_hash_table_size(p->pos));
		probe_print_stats(p, &st);
		fflush(stdout);
		if (p->dtmf != NULL && *p->dtmf != '\0') {
			/* --dtmf waits for another participant to be heard: none was. */
			fprintf(stderr, "scaidial-lkprobe: %sDTMF %s not sent: no other "
			    "participant was heard\n", p->tag, p->dtmf);
			p->rc = 1;
		}
		if (p->record != NULL && probe_write_wav(p, p->record) != 0)
			p->rc = 1;
	}
	g_main_loop_unref(p->loop);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	g_hash_table_destroy(p->pos);
	g_free(p->mix);
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' },
		{ "tone", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 's' },
		{ "record", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "dtmf", required_argument, NULL, 'd' },
		{ "no-data", no_argument, NULL, 'n' },
		{ "drop-every", required_argument, NULL, 'D' },
		{ "no-resend", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	static struct probe probes[PROBE_MAX];
	GThread *threads[PROBE_MAX];
	struct lk_session_cb cb = probe_cb;
	const char *url = NULL, *tokens[PROBE_MAX], *record = NULL, *dtmf = NULL;
	double tone = 440;
	int seconds = 5, ntok = 0, rc = 0, i, c;
	long drop_every = 0;
	int no_resend = 0;
	char *end;

	log_init("scaidial-lkprobe", 1);
	log_set_level(LOG_LVL_WARN);
	while ((c = getopt_long(argc, argv, "u:t:f:s:r:vd:n", opts, NULL)) != -1) {
		switch (c) {
		case 'u': url = optarg; break;
		case 't':
			if (ntok == PROBE_MAX)
				probe_usage();
			tokens[ntok++] = optarg;
			break;
		case 'r': record = optarg; break;
		case 'd':
			if (strspn(optarg, "0123456789*#ABCD") != strlen(optarg))
				probe_usage();
			dtmf = optarg;
			break;
		case 'n': cb.dtmf = NULL; break;
		case 'v': log_set_level(log_get_level() == LOG_LVL_WARN ? LOG_LVL_INFO :
			      LOG_LVL_DEBUG); break;
		case 'f':
			tone = strtod(optarg, &end);
			if (*end != '\0' || tone < 0 || tone > 20000)
				probe_usage();
			break;
		case 'D':
			drop_every = strtol(optarg, &end, 10);
			if (*end != '\0' || drop_every < 2 || drop_every > 1000000)
				probe_usage();
			break;
		case 'R': no_resend = 1; break;
		case 's':
			seconds = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || seconds < 1 || seconds > 86400)
				probe_usage();
			break;
		default:
			probe_usage();
		}
	}
	if (url == NULL || ntok == 0 || optind != argc || (cb.dtmf == NULL && dtmf != NULL) ||
	    (no_resend && drop_every == 0))
		probe_usage();
	for (i = 0; i < ntok; i++) {
		struct probe *p = &probes[i];

		if (ntok > 1)
			g_snprintf(p->tag, sizeof p->tag, "[%d] ", i + 1);
		p->url = url;
		p->token = tokens[i];
		p->cb = &cb;
		p->tone = tone;
		p->seconds = seconds;
		p->drop_every = (unsigned)drop_every;
		p->no_resend = no_resend;
		p->dtmf = dtmf;
		p->record = i == 0 ? record : NULL;	/* what the first participant hears */
		threads[i] = g_thread_new("lkprobe", probe_run, p);
	}
	for (i = 0; i < ntok; i++) {
		g_thread_join(threads[i]);
		if (probes[i].rc != 0)
			rc = probes[i].rc;
	}
	return rc;
}
