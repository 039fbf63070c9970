/* lk_bridge: the bridge threads and the per-call glue between a media_tap and an
 * lk_session (see lk_bridge.h and doc/media.md "Bridge").
 *
 * A struct lk_bridge is shared by two threads: the control thread (cb, arg, dead) and its
 * bridge thread (everything else). It is reference-counted: one reference for the control
 * thread's handle, one for the bridge thread's side, one per message or event in flight,
 * so neither thread waits for the other and no pointer outlives its object. Messages to a
 * bridge thread go through g_main_context_invoke (GLib's own locked queue); events back go
 * through one mutex-protected list woken by an eventfd in the control loop: a lock per
 * signalling event, none per audio frame. */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <glib.h>
#include <glib-unix.h>

#include "lk_audio.h"
#include "lk_bridge.h"
#include "lk_session.h"
#include "log.h"
#include "loop.h"
#include "media_tap.h"
#include "mixer.h"
#include "xmalloc.h"

#define LKB_MAX_THREADS		16
#define LKB_CATCH_UP		4	/* ticks made up after a late wake-up */
/* Talkers mixed for the caller: each holds a 400 ms FIFO once heard, and a phone call
 * with more than eight voices at once is no conversation. */
#define LKB_MIX_SOURCES		8
/* How long a stopping thread waits for its sessions' leave to be acknowledged. */
#define LKB_STOP_MS		2000

struct lkb_thread;

struct lk_bridge {
	atomic_int	 refs;
	/* control thread */
	const struct lk_bridge_cb *cb;
	void		*arg;
	int		 dead;		/* lk_bridge_free() ran: no more callbacks */
	/* bridge thread */
	struct lkb_thread *th;
	char		*url, *token;
	struct lk_session *s;
	int		 ended;		/* the session reported disconnected */
	int		 gone;		/* the bridge thread let go of it */
	int		 leave_asked;
	int		 publishing;
	struct media_tap *tap;
	guint		 tap_src;
	struct mixer	*mix;		/* at the tap's rate */
	GHashTable	*sources;	/* identity -> mixer source id + 1 */
	int		 ringback;	/* play ringback to the room until a tap comes */
	uint64_t	 rb_samples;	/* ringback played so far */
	struct lk_bridge *prev, *next;	/* the thread's list */
};

struct lkb_thread {
	GThread		*thread;
	GMainContext	*ctx;
	GMainLoop	*loop;
	int		 tfd;		/* the 20 ms clock */
	guint		 tick_src;
	struct lk_bridge *head;
	int		 stopping;
	guint		 stop_timer;
};

enum lkb_ev_type { LKB_EV_JOINED, LKB_EV_PARTICIPANT, LKB_EV_DTMF, LKB_EV_DATA,
	LKB_EV_ENDED };

#define LKB_DATA_MAX		4096	/* application messages longer are not for us */

struct lkb_event {
	struct lk_bridge *b;
	enum lkb_ev_type type;
	char		*text;		/* identity, or the reason */
	char		*topic;		/* LKB_EV_DATA */
	char		*payload;
	size_t		 payload_len;
	int		 joined;
	char		 digit;
	struct lkb_event *next;
};

static struct lkb_thread lkb_threads[LKB_MAX_THREADS];
static int lkb_nthreads;
static unsigned lkb_next;
static int lkb_evfd = -1;
static struct loop_fd *lkb_evfd_src;
static GMutex lkb_ev_lock;
static struct lkb_event *lkb_ev_head, **lkb_ev_tail = &lkb_ev_head;
static size_t lkb_count;	/* control thread: handles not yet freed */

static struct lk_bridge *
lkb_ref(struct lk_bridge *b)
{
	atomic_fetch_add(&b->refs, 1);
	return b;
}

static void
lkb_unref(struct lk_bridge *b)
{
	if (atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	free(b->url);
	free(b->token);
	free(b);
}

/* Bridge thread -> control thread. */
static void
lkb_queue(struct lkb_event *ev)
{
	uint64_t one = 1;

	g_mutex_lock(&lkb_ev_lock);
	*lkb_ev_tail = ev;
	lkb_ev_tail = &ev->next;
	g_mutex_unlock(&lkb_ev_lock);
	if (write(lkb_evfd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("livekit: bridge: cannot wake the control loop: %s", strerror(errno));
}

static struct lkb_event *
lkb_event_new(struct lk_bridge *b, enum lkb_ev_type type, const char *text)
{
	struct lkb_event *ev = xcalloc(1, sizeof(*ev));

	ev->b = lkb_ref(b);
	ev->type = type;
	ev->text = text != NULL ? xstrdup(text) : NULL;
	return ev;
}

static void
lkb_post(struct lk_bridge *b, enum lkb_ev_type type, const char *text, int joined,
    char digit)
{
	struct lkb_event *ev = lkb_event_new(b, type, text);

	ev->joined = joined;
	ev->digit = digit;
	lkb_queue(ev);
}

/* Control thread: the events of every bridge, in order. */
static void
lkb_events(int fd, int events, void *arg)
{
	struct lkb_event *ev, *next;
	uint64_t n;

	(void)events;
	(void)arg;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		log_warn("livekit: bridge: event fd: %s", strerror(errno));
	g_mutex_lock(&lkb_ev_lock);
	ev = lkb_ev_head;
	lkb_ev_head = NULL;
	lkb_ev_tail = &lkb_ev_head;
	g_mutex_unlock(&lkb_ev_lock);
	for (; ev != NULL; ev = next) {
		struct lk_bridge *b = ev->b;

		next = ev->next;
		/* A callback may free this bridge (dead) or another one: check each time. */
		if (!b->dead) {
			switch (ev->type) {
			case LKB_EV_JOINED:
				if (b->cb->joined != NULL)
					b->cb->joined(b->arg);
				break;
			case LKB_EV_PARTICIPANT:
				if (b->cb->participant != NULL)
					b->cb->participant(b->arg, ev->text, ev->joined);
				break;
			case LKB_EV_DTMF:
				if (b->cb->dtmf != NULL)
					b->cb->dtmf(b->arg, ev->text, ev->digit);
				break;
			case LKB_EV_DATA:
				if (b->cb->data != NULL)
					b->cb->data(b->arg, ev->text, ev->topic, ev->payload,
					    ev->payload_len);
				break;
			case LKB_EV_ENDED:
				if (b->cb->ended != NULL)
					b->cb->ended(b->arg, ev->text);
				break;
			}
		}
		free(ev->text);
		free(ev->topic);
		free(ev->payload);
		lkb_unref(b);
		free(ev);
	}
}

/* ---- bridge thread ---- */

static void
lkb_link(struct lk_bridge *b)
{
	struct lkb_thread *th = b->th;

	b->next = th->head;
	if (th->head != NULL)
		th->head->prev = b;
	th->head = b;
}

static void
lkb_unlink(struct lk_bridge *b)
{
	struct lkb_thread *th = b->th;

	if (b->prev != NULL)
		b->prev->next = b->next;
	else
		th->head = b->next;
	if (b->next != NULL)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

/* The bridge thread lets go: session, audio state, its reference. */
static void
lkb_release(struct lk_bridge *b)
{
	struct lkb_thread *th = b->th;

	if (b->gone)
		return;
	b->gone = 1;
	lkb_unlink(b);
	if (b->tap_src != 0)
		g_source_destroy(g_main_context_find_source_by_id(th->ctx, b->tap_src));
	b->tap_src = 0;
	lk_session_free(b->s);
	b->s = NULL;
	media_tap_free(b->tap);
	b->tap = NULL;
	mixer_free(b->mix);
	b->mix = NULL;
	if (b->sources != NULL)
		g_hash_table_destroy(b->sources);
	b->sources = NULL;
	if (th->stopping && th->head == NULL)
		g_main_loop_quit(th->loop);
	lkb_unref(b);
}

static gboolean
lkb_release_idle(gpointer arg)
{
	lkb_release(arg);
	return G_SOURCE_REMOVE;
}

static void
lkb_on_joined(void *arg, const char *room, const char *identity)
{
	struct lk_bridge *b = arg;

	log_info("livekit: bridge: joined room %s as %s", room, identity);
	lkb_post(b, LKB_EV_JOINED, NULL, 0, 0);
}

static void
lkb_on_participant(void *arg, const char *identity, int joined)
{
	struct lk_bridge *b = arg;
	gpointer id;

	if (!joined && b->mix != NULL &&
	    (id = g_hash_table_lookup(b->sources, identity)) != NULL) {
		mixer_remove(b->mix, GPOINTER_TO_INT(id) - 1);
		g_hash_table_remove(b->sources, identity);
	}
	lkb_post(b, LKB_EV_PARTICIPANT, identity, joined, 0);
}

static void
lkb_on_publishing(void *arg)
{
	struct lk_bridge *b = arg;

	b->publishing = 1;
}

/* A remote participant's audio: into its mixer source (made on first hearing). */
static void
lkb_on_audio(void *arg, const char *identity, const int16_t *pcm, size_t n)
{
	struct lk_bridge *b = arg;
	gpointer v;
	int id;

	if (b->mix == NULL)
		return;
	if ((v = g_hash_table_lookup(b->sources, identity)) != NULL) {
		id = GPOINTER_TO_INT(v) - 1;
	} else {
		if ((id = mixer_add(b->mix)) < 0)
			return;		/* more talkers than the mixer takes: the rest are not heard */
		g_hash_table_insert(b->sources, g_strdup(identity), GINT_TO_POINTER(id + 1));
	}
	mixer_push(b->mix, id, pcm, n);
}

static void
lkb_on_dtmf(void *arg, const char *identity, char digit)
{
	lkb_post(arg, LKB_EV_DTMF, identity, 0, digit);
}

static void
lkb_on_data(void *arg, const char *identity, const char *topic, const uint8_t *payload,
    size_t n)
{
	struct lkb_event *ev;

	if (n > LKB_DATA_MAX) {
		log_info("livekit: bridge: a %zu-byte data message from %s on \"%s\" ignored "
		    "(over %d bytes: no request of ours is that long)", n, identity, topic,
		    LKB_DATA_MAX);
		return;
	}
	ev = lkb_event_new(arg, LKB_EV_DATA, identity);
	ev->topic = xstrdup(topic);
	ev->payload = xmalloc(n + 1);
	memcpy(ev->payload, payload, n);
	ev->payload[n] = '\0';
	ev->payload_len = n;
	lkb_queue(ev);
}

static void
lkb_on_disconnected(void *arg, const char *reason)
{
	struct lk_bridge *b = arg;

	b->ended = 1;
	b->publishing = 0;
	if (!b->leave_asked)
		lkb_post(b, LKB_EV_ENDED, reason, 0, 0);
	/* Not from inside the session's own callback. */
	GSource *idle = g_idle_source_new();

	g_source_set_callback(idle, lkb_release_idle, b, NULL);
	g_source_attach(idle, b->th->ctx);
	g_source_unref(idle);
}

static const struct lk_session_cb lkb_session_cb = {
	.joined = lkb_on_joined,
	.participant = lkb_on_participant,
	.publishing = lkb_on_publishing,
	.audio = lkb_on_audio,
	.disconnected = lkb_on_disconnected,
	.dtmf = lkb_on_dtmf,
	.data = lkb_on_data,
};

/* g_unix_fd_add() would attach to the global default context; each thread runs its own. */
static guint
lkb_fd_watch(GMainContext *ctx, int fd, GUnixFDSourceFunc fn, gpointer arg)
{
	GSource *src = g_unix_fd_source_new(fd, G_IO_IN);
	guint id;

	g_source_set_priority(src, G_PRIORITY_HIGH);
	g_source_set_callback(src, G_SOURCE_FUNC(fn), arg, NULL);
	id = g_source_attach(src, ctx);
	g_source_unref(src);
	return id;
}

/* The caller's frames, published as they come (the session encodes at the tap's rate). */
static gboolean
lkb_on_tap(gint fd, GIOCondition cond, gpointer arg)
{
	struct lk_bridge *b = arg;
	int16_t pcm[MEDIA_TAP_MAX_FRAME];

	(void)fd;
	(void)cond;
	media_tap_ack(b->tap);
	while (media_tap_pop(b->tap, MEDIA_TAP_UP, pcm))
		if (b->publishing && b->s != NULL && lk_session_push_pcm(b->s, pcm) < 0)
			log_debug("livekit: bridge: a frame could not be sent");
	return G_SOURCE_CONTINUE;
}

/* 20 ms of North American ringback (440 + 480 Hz, 2 s on, 4 s off, -16 dBFS) at the
 * session's initial 48 kHz, for a room waiting on a carrier that rings without early
 * media. */
static void
lkb_ringback_frame(struct lk_bridge *b)
{
	int16_t pcm[LK_AUDIO_FRAME];

	for (int i = 0; i < LK_AUDIO_FRAME; i++) {
		double t = (double)(b->rb_samples + (uint64_t)i) / LK_AUDIO_RATE;
		double x = fmod(t, 6.0) < 2.0 ?
		    0.08 * (sin(2 * M_PI * 440 * t) + sin(2 * M_PI * 480 * t)) : 0;

		pcm[i] = (int16_t)(x * 32767);
	}
	b->rb_samples += LK_AUDIO_FRAME;
	if (lk_session_push_pcm(b->s, pcm) < 0)
		log_debug("livekit: bridge: a ringback frame could not be sent");
}

/* Every 20 ms, for every bridge of the thread: the room's mix to the caller. */
static gboolean
lkb_on_tick(gint fd, GIOCondition cond, gpointer arg)
{
	struct lkb_thread *th = arg;
	uint64_t expirations;

	(void)cond;
	if (read(fd, &expirations, sizeof(expirations)) < 0)
		return G_SOURCE_CONTINUE;
	/* A late wake-up owes the ticks it missed: the mixer's clock is the callers' (a
	 * short catch-up; the worker drops a backlog beyond MEDIA_TAP_DOWN_MAX anyway). */
	if (expirations > LKB_CATCH_UP)
		expirations = LKB_CATCH_UP;
	for (struct lk_bridge *b = th->head; b != NULL; b = b->next) {
		if (b->ringback && b->tap == NULL && b->publishing)
			lkb_ringback_frame(b);
		if (b->mix == NULL || b->tap == NULL)
			continue;
		for (uint64_t k = 0; k < expirations; k++) {
			mixer_tick(b->mix);
			media_tap_push(b->tap, MEDIA_TAP_DOWN, mixer_out(b->mix, -1));
		}
	}
	return G_SOURCE_CONTINUE;
}

struct lkb_msg {
	struct lk_bridge *b;
	enum { LKB_MSG_START, LKB_MSG_ATTACH, LKB_MSG_DTMF, LKB_MSG_RINGBACK,
	    LKB_MSG_LEAVE } type;
	struct media_tap *tap;
	char		 digit;
};

static void
lkb_msg_start(struct lk_bridge *b)
{
	lkb_link(b);
	b->s = lk_session_new(b->th->ctx, b->url, b->token, &lkb_session_cb, b);
	if (b->s == NULL) {
		log_warn("livekit: bridge: cannot start a session to %s", b->url);
		b->ended = 1;
		lkb_post(b, LKB_EV_ENDED, "cannot start the session", 0, 0);
		lkb_release(b);
	}
}

/* The caller's tap; a second one (a re-INVITE changed the codec's rate) replaces it.
 * The session and the mixer work at the tap's rate: no conversion anywhere. */
static void
lkb_msg_attach(struct lk_bridge *b, struct media_tap *tap)
{
	int rate = media_tap_rate(tap);

	if (b->gone || b->s == NULL || lk_session_set_rate(b->s, rate) != 0) {
		if (!b->gone)
			log_error("livekit: bridge: cannot carry %d Hz audio", rate);
		media_tap_free(tap);
		return;
	}
	if (b->tap_src != 0)
		g_source_destroy(g_main_context_find_source_by_id(b->th->ctx, b->tap_src));
	b->tap_src = 0;
	media_tap_free(b->tap);
	mixer_free(b->mix);
	if (b->sources != NULL)
		g_hash_table_destroy(b->sources);
	b->tap = tap;
	b->mix = mixer_new(rate, LKB_MIX_SOURCES);
	b->sources = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	b->tap_src = lkb_fd_watch(b->th->ctx, media_tap_fd(tap), lkb_on_tap, b);
}

static gboolean
lkb_msg_run(gpointer arg)
{
	struct lkb_msg *m = arg;
	struct lk_bridge *b = m->b;

	switch (m->type) {
	case LKB_MSG_START:
		lkb_msg_start(b);
		break;
	case LKB_MSG_ATTACH:
		lkb_msg_attach(b, m->tap);
		m->tap = NULL;
		break;
	case LKB_MSG_DTMF:
		if (b->s != NULL && !b->ended && lk_session_send_dtmf(b->s, m->digit) != 0)
			log_warn("livekit: bridge: digit %c not sent: the data channel is not "
			    "open", m->digit);
		break;
	case LKB_MSG_RINGBACK:
		b->ringback = m->digit;
		break;
	case LKB_MSG_LEAVE:
		b->leave_asked = 1;
		if (b->s != NULL && !b->ended)
			lk_session_leave(b->s);
		else if (!b->gone && b->s == NULL)
			lkb_release(b);
		break;
	}
	return G_SOURCE_REMOVE;
}

static void
lkb_msg_done(gpointer arg)
{
	struct lkb_msg *m = arg;

	if (m->tap != NULL)
		media_tap_free(m->tap);
	lkb_unref(m->b);
	free(m);
}

/* Control thread -> the bridge's thread. */
static void
lkb_send(struct lk_bridge *b, int type, struct media_tap *tap, char digit)
{
	struct lkb_msg *m;

	if (lkb_nthreads == 0) {	/* after lk_bridge_fini(): the threads let go already */
		if (tap != NULL)
			media_tap_free(tap);
		return;
	}
	m = xcalloc(1, sizeof(*m));
	m->b = lkb_ref(b);
	m->type = type;
	m->tap = tap;
	m->digit = digit;
	g_main_context_invoke_full(b->th->ctx, G_PRIORITY_DEFAULT, lkb_msg_run, m, lkb_msg_done);
}

static gboolean
lkb_stop_timeout(gpointer arg)
{
	struct lkb_thread *th = arg;

	th->stop_timer = 0;
	log_warn("livekit: bridge: sessions did not leave in %d ms; closing them",
	    LKB_STOP_MS);
	while (th->head != NULL)
		lkb_release(th->head);
	g_main_loop_quit(th->loop);
	return G_SOURCE_REMOVE;
}

static gboolean
lkb_stop(gpointer arg)
{
	struct lkb_thread *th = arg;

	th->stopping = 1;
	if (th->head == NULL) {
		g_main_loop_quit(th->loop);
		return G_SOURCE_REMOVE;
	}
	for (struct lk_bridge *b = th->head; b != NULL; b = b->next) {
		b->leave_asked = 1;
		if (b->s != NULL && !b->ended)
			lk_session_leave(b->s);
	}
	GSource *t = g_timeout_source_new(LKB_STOP_MS);

	g_source_set_callback(t, lkb_stop_timeout, th, NULL);
	th->stop_timer = g_source_attach(t, th->ctx);
	g_source_unref(t);
	return G_SOURCE_REMOVE;
}

static gpointer
lkb_thread_run(gpointer arg)
{
	struct lkb_thread *th = arg;

	g_main_context_push_thread_default(th->ctx);
	g_main_loop_run(th->loop);
	g_main_context_pop_thread_default(th->ctx);
	return NULL;
}

/* ---- control thread ---- */

int
lk_bridge_init(int threads)
{
	if (threads <= 0)
		threads = (int)g_get_num_processors();
	if (threads > LKB_MAX_THREADS)
		threads = LKB_MAX_THREADS;
	lkb_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (lkb_evfd < 0) {
		log_error("livekit: bridge: eventfd: %s", strerror(errno));
		return -1;
	}
	lkb_evfd_src = loop_fd_add(lkb_evfd, LOOP_IN, lkb_events, NULL);
	for (int i = 0; i < threads; i++) {
		struct lkb_thread *th = &lkb_threads[i];

		memset(th, 0, sizeof(*th));
		th->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		if (th->tfd < 0 || media_tap_timer(th->tfd, true) != 0) {
			log_error("livekit: bridge: timerfd: %s", strerror(errno));
			if (th->tfd >= 0)
				close(th->tfd);
			lkb_nthreads = i;
			lk_bridge_fini();
			return -1;
		}
		th->ctx = g_main_context_new();
		th->loop = g_main_loop_new(th->ctx, FALSE);
		th->tick_src = lkb_fd_watch(th->ctx, th->tfd, lkb_on_tick, th);
		th->thread = g_thread_new("scaidial-lk", lkb_thread_run, th);
	}
	lkb_nthreads = threads;
	log_info("livekit: bridge: %d thread(s)", threads);
	return 0;
}

void
lk_bridge_fini(void)
{
	for (int i = 0; i < lkb_nthreads; i++) {
		struct lkb_thread *th = &lkb_threads[i];

		g_main_context_invoke(th->ctx, lkb_stop, th);
		g_thread_join(th->thread);
		g_main_loop_unref(th->loop);
		g_main_context_unref(th->ctx);
		close(th->tfd);
		memset(th, 0, sizeof(*th));
	}
	lkb_nthreads = 0;
	if (lkb_evfd >= 0) {
		/* What the threads said last; handles still held are the owners' to free. */
		lkb_events(lkb_evfd, LOOP_IN, NULL);
		loop_fd_del(lkb_evfd_src);
		close(lkb_evfd);
	}
	lkb_evfd = -1;
	lkb_evfd_src = NULL;
}

struct lk_bridge *
lk_bridge_new(const char *url, const char *token, const struct lk_bridge_cb *cb, void *arg)
{
	struct lk_bridge *b;

	if (lkb_nthreads == 0)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	atomic_init(&b->refs, 2);	/* the handle's and the bridge thread's */
	b->cb = cb;
	b->arg = arg;
	b->url = xstrdup(url);
	b->token = xstrdup(token);
	b->th = &lkb_threads[lkb_next++ % (unsigned)lkb_nthreads];
	lkb_count++;
	lkb_send(b, LKB_MSG_START, NULL, 0);
	return b;
}

void
lk_bridge_attach(struct lk_bridge *b, struct media_tap *tap)
{
	media_tap_ref(tap);
	lkb_send(b, LKB_MSG_ATTACH, tap, 0);
}

void
lk_bridge_send_dtmf(struct lk_bridge *b, char digit)
{
	lkb_send(b, LKB_MSG_DTMF, NULL, digit);
}

void
lk_bridge_ringback(struct lk_bridge *b, int on)
{
	lkb_send(b, LKB_MSG_RINGBACK, NULL, (char)(on != 0));
}

void
lk_bridge_free(struct lk_bridge *b)
{
	if (b == NULL)
		return;
	b->dead = 1;
	lkb_count--;
	lkb_send(b, LKB_MSG_LEAVE, NULL, 0);
	lkb_unref(b);
}

size_t
lk_bridge_count(void)
{
	return lkb_count;
}
