/* scaidial-lkprobe: joins a LiveKit room the way scaidial's calls do (lk_session.c),
 * publishes a sine tone and records what the room says, so a LiveKit deployment can be
 * checked without the SIP side. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lk_session.h"
#include "log.h"

struct probe {
	GMainLoop	*loop;
	struct lk_session *s;
	double		 tone;
	int		 seconds;
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
	const char	*dtmf;		/* digits still to send */
	int64_t		 dtmf_next;	/* monotonic us of the next digit */
};

static void
probe_usage(void)
{
	fprintf(stderr, "usage: scaidial-lkprobe --url URL --token JWT [--tone HZ] "
	    "[--seconds N] [--record FILE.wav] [--dtmf DIGITS] [--no-data] [-v]\n");
	exit(2);
}

static void
probe_joined(void *arg, const char *room, const char *identity)
{
	(void)arg;
	printf("joined room %s as %s\n", room, identity);
	fflush(stdout);
}

static void
probe_participant(void *arg, const char *identity, int joined)
{
	(void)arg;
	printf("participant %s %s\n", identity, joined ? "present" : "left");
	fflush(stdout);
}

static void
probe_publishing(void *arg)
{
	struct probe *p = arg;

	p->pub_t0 = g_get_monotonic_time();
	printf("publishing %.0f Hz for %d s\n", p->tone, p->seconds);
	fflush(stdout);
}

static void
probe_audio(void *arg, const char *identity, const int16_t *pcm, size_t n)
{
	struct probe *p = arg;
	gint64 *pos;
	size_t i;

	p->heard += n;
	pos = g_hash_table_lookup(p->pos, identity);
	if (pos == NULL) {
		/* A source starts where the wall clock is; it then runs on its own samples. */
		pos = g_new(gint64, 1);
		*pos = (g_get_monotonic_time() - p->t0) * 48 / 1000;
		g_hash_table_insert(p->pos, g_strdup(identity), pos);
		printf("hearing %s\n", identity[0] != '\0' ? identity : "(unknown)");
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
		fprintf(stderr, "scaidial-lkprobe: disconnected: %s\n", reason);
		p->rc = 1;
	}
	g_main_loop_quit(p->loop);
}

static void
probe_dtmf(void *arg, const char *identity, char digit)
{
	(void)arg;
	printf("dtmf from %s: %c\n", identity, digit);
	fflush(stdout);
}

/* Sends the --dtmf digits, 200 ms apart, once the data channels are open. */
static void
probe_send_dtmf(struct probe *p, int64_t now)
{
	int r;

	if (p->dtmf == NULL || *p->dtmf == '\0' || now < p->dtmf_next)
		return;
	r = lk_session_send_dtmf(p->s, *p->dtmf);
	if (r == 1)
		return;
	if (r == 0)
		printf("dtmf sent: %c\n", *p->dtmf);
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
			fprintf(stderr, "scaidial-lkprobe: no media after %d s\n", p->seconds + 20);
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
		{ NULL, 0, NULL, 0 },
	};
	struct probe p;
	struct lk_session_cb cb = probe_cb;
	const char *url = NULL, *token = NULL, *record = NULL;
	GMainContext *ctx;
	GSource *tick;
	char *end;
	int c;

	memset(&p, 0, sizeof p);
	p.tone = 440;
	p.seconds = 5;
	log_init("scaidial-lkprobe", 1);
	log_set_level(LOG_LVL_WARN);
	while ((c = getopt_long(argc, argv, "u:t:f:s:r:vd:n", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (strspn(optarg, "0123456789*#ABCD") != strlen(optarg))
				probe_usage();
			p.dtmf = optarg;
			break;
		case 'n': cb.dtmf = NULL; break;
		case 'u': url = optarg; break;
		case 't': token = optarg; break;
		case 'r': record = optarg; break;
		case 'v': log_set_level(log_get_level() == LOG_LVL_WARN ? LOG_LVL_INFO :
			      LOG_LVL_DEBUG); break;
		case 'f':
			p.tone = strtod(optarg, &end);
			if (*end != '\0' || p.tone < 0 || p.tone > 20000)
				probe_usage();
			break;
		case 's':
			p.seconds = (int)strtol(optarg, &end, 10);
			if (*end != '\0' || p.seconds < 1 || p.seconds > 86400)
				probe_usage();
			break;
		default:
			probe_usage();
		}
	}
	if (url == NULL || token == NULL || optind != argc)
		probe_usage();
	if (record != NULL) {
		p.mix_len = (size_t)(p.seconds + 25) * LK_AUDIO_RATE;
		p.mix = calloc(p.mix_len, sizeof *p.mix);
		if (p.mix == NULL)
			log_fatal("lkprobe: out of memory");
	}
	p.pos = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	ctx = g_main_context_new();
	g_main_context_push_thread_default(ctx);
	p.loop = g_main_loop_new(ctx, FALSE);
	p.t0 = g_get_monotonic_time();
	if (cb.dtmf == NULL && p.dtmf != NULL)
		probe_usage();
	p.s = lk_session_new(ctx, url, token, &cb, &p);
	if (p.s == NULL) {
		fprintf(stderr, "scaidial-lkprobe: cannot start the session\n");
		return 1;
	}
	tick = g_timeout_source_new(10);
	g_source_set_callback(tick, probe_tick, &p, NULL);
	g_source_attach(tick, ctx);
	g_main_loop_run(p.loop);
	g_source_destroy(tick);
	g_source_unref(tick);
	lk_session_free(p.s);
	printf("sent %.1f s, heard %.1f s from %u source(s)\n", (double)p.sent / 50,
	    (double)p.heard / LK_AUDIO_RATE, g_hash_table_size(p.pos));
	if (record != NULL && probe_write_wav(&p, record) != 0)
		p.rc = 1;
	g_main_loop_unref(p.loop);
	g_main_context_pop_thread_default(ctx);
	g_main_context_unref(ctx);
	g_hash_table_destroy(p.pos);
	free(p.mix);
	return p.rc;
}
