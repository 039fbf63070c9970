/* media: the worker pool, the two message queues (control -> worker, one per worker;
 * worker -> control, one for all) and the control-side session API; see media.h. Each queue
 * is a mutex-protected list woken by an eventfd: a lock per message, none per packet. */
#include "media_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "xmalloc.h"

struct media_evmsg {
	struct media_evmsg *next;
	struct media_session *ms;
	struct media_event ev;
	char		*path;
	bool		 gone;
};

struct media_counters media_counters;

static struct media_worker *media_workers;
static int media_nworkers;
static atomic_bool media_stopping;

static pthread_mutex_t media_evmu = PTHREAD_MUTEX_INITIALIZER;
static struct media_evmsg *media_evhead, **media_evtail = &media_evhead;
static int media_evfd = -1;
static struct loop_fd *media_evlfd;

static void
media_wake(int fd)
{
	uint64_t one = 1;
	ssize_t r = write(fd, &one, sizeof one);

	(void)r;	/* the counter cannot overflow in practice; EAGAIN means it is set */
}

static void
media_evpush(struct media_evmsg *e)
{
	pthread_mutex_lock(&media_evmu);
	*media_evtail = e;
	media_evtail = &e->next;
	pthread_mutex_unlock(&media_evmu);
	media_wake(media_evfd);
}

void
media_post_event(struct media_session *ms, const struct media_event *ev)
{
	struct media_evmsg *e = xcalloc(1, sizeof *e);

	e->ms = ms;
	e->ev = *ev;
	if (ev->path != NULL) {
		e->path = xstrdup(ev->path);
		e->ev.path = e->path;
	}
	media_evpush(e);
}

void
media_post_gone(struct media_session *ms)
{
	struct media_evmsg *e = xcalloc(1, sizeof *e);

	e->ms = ms;
	e->gone = true;
	media_evpush(e);
}

static struct media_evmsg *
media_evtake(void)
{
	struct media_evmsg *list;

	pthread_mutex_lock(&media_evmu);
	list = media_evhead;
	media_evhead = NULL;
	media_evtail = &media_evhead;
	pthread_mutex_unlock(&media_evmu);
	return list;
}

static void
media_session_release(struct media_session *ms)
{
	pthread_mutex_destroy(&ms->stats_mu);
	free(ms);
}

/* Control thread: runs the callbacks. */
static void
media_ev_ready(int fd, int events, void *arg)
{
	struct media_evmsg *e, *next;
	uint64_t v;
	ssize_t r = read(fd, &v, sizeof v);

	(void)r;
	(void)events;
	(void)arg;
	for (e = media_evtake(); e != NULL; e = next) {
		next = e->next;
		if (e->gone)
			media_session_release(e->ms);
		else if (!e->ms->freed && e->ms->cb != NULL)
			e->ms->cb(e->ms, &e->ev, e->ms->arg);
		free(e->path);
		free(e);
	}
}

static void
media_msg_post(struct media_worker *w, struct media_msg *m)
{
	pthread_mutex_lock(&w->mu);
	*w->tail = m;
	w->tail = &m->next;
	pthread_mutex_unlock(&w->mu);
	media_wake(w->msgfd);
}

static struct media_msg *
media_msg_new(struct media_session *ms, enum media_msg_type type)
{
	struct media_msg *m = xcalloc(1, sizeof *m);

	m->ms = ms;
	m->type = type;
	return m;
}

static void
media_clock(struct media_worker *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	w->mono_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	w->now_ms = w->mono_us / 1000;
	clock_gettime(CLOCK_REALTIME, &ts);
	w->now_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
media_worker_messages(struct media_worker *w)
{
	struct media_msg *m, *next;
	uint64_t v;
	ssize_t r = read(w->msgfd, &v, sizeof v);

	(void)r;
	pthread_mutex_lock(&w->mu);
	m = w->head;
	w->head = NULL;
	w->tail = &w->head;
	pthread_mutex_unlock(&w->mu);
	for (; m != NULL; m = next) {
		next = m->next;
		media_worker_msg(w, m);
	}
}

static void *
media_worker_main(void *arg)
{
	struct media_worker *w = arg;
	struct epoll_event evs[64];

	for (;;) {
		int n = epoll_wait(w->epfd, evs, 64, -1), i;
		uint64_t ticks = 0;
		bool msgs = false;

		if (n < 0 && errno != EINTR)
			break;
		media_clock(w);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &w->msgfd)
				msgs = true;
			else if (evs[i].data.ptr == &w->tickfd) {
				if (read(w->tickfd, &ticks, sizeof ticks) != sizeof ticks)
					ticks = 0;
			} else
				media_worker_rx(w, evs[i].data.ptr);
		}
		/* A late wake-up catches up a little, not without bound. */
		for (; ticks > 0 && ticks < 4; ticks--)
			media_worker_tick(w);
		if (ticks >= 4)
			media_worker_tick(w);
		if (msgs)
			media_worker_messages(w);
		if (atomic_load(&media_stopping))
			break;
	}
	while (w->sessions != NULL) {
		struct media_session *ms = w->sessions;

		media_worker_destroy(w, ms, true);
		media_session_release(ms);
	}
	return NULL;
}

static void
media_worker_close(struct media_worker *w)
{
	if (w->epfd >= 0)
		close(w->epfd);
	if (w->msgfd >= 0)
		close(w->msgfd);
	if (w->tickfd >= 0)
		close(w->tickfd);
	w->epfd = w->msgfd = w->tickfd = -1;
}

static int
media_worker_start(struct media_worker *w, int id)
{
	struct epoll_event ev;
	sigset_t all, old;
	char name[16];
	int r;

	w->id = id;
	w->rand = (uint32_t)id * 2654435761u + (uint32_t)getpid();
	w->tail = &w->head;
	pthread_mutex_init(&w->mu, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->msgfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->tickfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (w->epfd < 0 || w->msgfd < 0 || w->tickfd < 0 ||
	    media_tap_timer(w->tickfd, false) < 0)
		return -1;
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.ptr = &w->msgfd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->msgfd, &ev) < 0)
		return -1;
	ev.data.ptr = &w->tickfd;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->tickfd, &ev) < 0)
		return -1;
	/* Signals are the control thread's business: workers start with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w->thread, NULL, media_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return errno = r, -1;
	snprintf(name, sizeof name, "media-%u", (unsigned)id % 1000);
	pthread_setname_np(w->thread, name);	/* top -H, gdb: which worker is busy */
	return 0;
}

int
media_init(int workers)
{
	int i;

	if (workers <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);

		workers = n > 0 ? (int)n : 1;
	}
	if (srtp_sess_lib_init() < 0) {
		log_error("media: libsrtp failed to initialise");
		return -1;
	}
	atomic_store(&media_stopping, false);
	media_evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (media_evfd < 0 || (media_evlfd = loop_fd_add(media_evfd, LOOP_IN, media_ev_ready,
	    NULL)) == NULL) {
		log_error("media: event queue: %s", strerror(errno));
		return -1;
	}
	media_workers = xcalloc((size_t)workers, sizeof *media_workers);
	for (i = 0; i < workers; i++) {
		media_workers[i].epfd = media_workers[i].msgfd = media_workers[i].tickfd = -1;
		if (media_worker_start(&media_workers[i], i) < 0) {
			log_error("media: cannot start worker %d: %s", i, strerror(errno));
			media_worker_close(&media_workers[i]);
			pthread_mutex_destroy(&media_workers[i].mu);
			media_nworkers = i;
			media_fini();
			return -1;
		}
	}
	media_nworkers = workers;
	log_info("media: %d workers", workers);
	return 0;
}

void
media_fini(void)
{
	struct media_evmsg *e, *next;
	int i;

	atomic_store(&media_stopping, true);
	for (i = 0; i < media_nworkers; i++) {
		struct media_worker *w = &media_workers[i];
		struct media_msg *m, *mn;

		media_wake(w->msgfd);
		pthread_join(w->thread, NULL);
		for (m = w->head; m != NULL; m = mn) {
			mn = m->next;
			media_tap_free(m->tap);
			free(m->path);
			free(m);
		}
		pthread_mutex_destroy(&w->mu);
	}
	for (i = 0; i < media_nworkers; i++)
		media_worker_close(&media_workers[i]);
	/* Sessions the worker already released are only freed now; other events go unheard. */
	for (e = media_evtake(); e != NULL; e = next) {
		next = e->next;
		if (e->gone)
			media_session_release(e->ms);
		free(e->path);
		free(e);
	}
	if (media_evlfd != NULL)
		loop_fd_del(media_evlfd);
	media_evlfd = NULL;
	if (media_evfd >= 0)
		close(media_evfd);
	media_evfd = -1;
	free(media_workers);
	media_workers = NULL;
	media_nworkers = 0;
}

/* The local address that routes to the peer (connecting a UDP socket sends nothing). */
static void
media_local_addr(const struct config *cfg, const struct sdp_desc *d, char *out, size_t max)
{
	/* d: the peer's address, family and port (only those fields are read). */
	struct sockaddr_storage ss, local;
	socklen_t len = sizeof local;
	int fd;

	if (cfg->general.external_ip != NULL && cfg->general.external_ip[0] != '\0') {
		snprintf(out, max, "%s", cfg->general.external_ip);
		return;
	}
	snprintf(out, max, "%s", d->family == AF_INET6 ? "::1" : "127.0.0.1");
	memset(&ss, 0, sizeof ss);
	if (d->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)(d->port ? d->port : 9));
		inet_pton(AF_INET6, d->addr, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)(d->port ? d->port : 9));
		inet_pton(AF_INET, d->addr, &s4->sin_addr);
	}
	if ((fd = socket(d->family, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (connect(fd, (struct sockaddr *)&ss, d->family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&local, &len) == 0) {
		char a[INET6_ADDRSTRLEN];
		const void *p = local.ss_family == AF_INET6 ?
		    (const void *)&((struct sockaddr_in6 *)&local)->sin6_addr :
		    (const void *)&((struct sockaddr_in *)&local)->sin_addr;

		if (inet_ntop(local.ss_family, p, a, sizeof a) != NULL &&
		    strcmp(a, "0.0.0.0") != 0 && strcmp(a, "::") != 0)
			snprintf(out, max, "%s", a);
	}
	close(fd);
}

static void
media_random(void *p, size_t n)
{
	if (getrandom(p, n, 0) != (ssize_t)n)
		log_fatal("media: getrandom failed: %s", strerror(errno));
}

static struct media_worker *
media_pick_worker(void)
{
	struct media_worker *best = &media_workers[0];
	int i;

	for (i = 1; i < media_nworkers; i++)
		if (atomic_load(&media_workers[i].load) < atomic_load(&best->load))
			best = &media_workers[i];
	return best;
}

static void
media_start(struct media_session *ms)
{
	ms->wneg = ms->neg;
	ms->timeout_ms = MEDIA_RTP_TIMEOUT_MS;
	ms->stats.local_port = ms->port;
	ms->stats.codec = ms->neg.codec;
	ms->stats.srtp = ms->neg.srtp;
	ms->stats.rtt_ms = -1;
	ms->w = media_pick_worker();
	atomic_fetch_add(&ms->w->load, 1);
	atomic_fetch_add(&media_counters.sessions_started, 1);
	atomic_fetch_add(&media_counters.sessions_active, 1);
	media_msg_post(ms->w, media_msg_new(ms, MEDIA_MSG_ADD));
}

/* Closes what a session holds before it reached a worker, and frees it. */
static void
media_discard(struct media_session *ms)
{
	codec_free(ms->codec);
	srtp_sess_free(ms->srtp);
	if (ms->fd[0] >= 0)
		close(ms->fd[0]);
	if (ms->fd[1] >= 0)
		close(ms->fd[1]);
	media_session_release(ms);
}

static struct media_session *
media_session_alloc(const struct config *cfg, const struct sdp_desc *peer, media_event_cb *cb,
    void *arg)
{
	struct media_session *ms = xcalloc(1, sizeof *ms);

	pthread_mutex_init(&ms->stats_mu, NULL);
	ms->fd[0] = ms->fd[1] = -1;
	ms->cb = cb;
	ms->arg = arg;
	media_local_addr(cfg, peer, ms->local_addr, sizeof ms->local_addr);
	media_random(ms->key, sizeof ms->key);
	media_random(&ms->tx.ssrc, sizeof ms->tx.ssrc);
	media_random(&ms->seq, sizeof ms->seq);
	media_random(&ms->ts, sizeof ms->ts);
	media_random(&ms->sess_id, sizeof ms->sess_id);
	ms->sess_id >>= 2;	/* keeps o= within what strict parsers take (63 bits) */
	ms->sess_ver = 1;
	return ms;
}

struct media_session *
media_session_new(const struct config *cfg, const struct trunk *t, const char *offer,
    size_t offer_len, char **answer, int *sip_status, media_event_cb *cb, void *arg)
{
	struct media_session *ms;
	struct sdp_local l;
	struct sdp_desc d;
	int r;

	*answer = NULL;
	if (media_nworkers == 0) {
		*sip_status = 503;
		return NULL;
	}
	if ((r = sdp_parse(offer, offer_len, &d)) != 0) {
		*sip_status = r;
		return NULL;
	}
	ms = media_session_alloc(cfg, &d, cb, arg);
	if (rtp_open_pair(d.family, cfg->general.rtp_port_min, cfg->general.rtp_port_max,
	    ms->fd, &ms->port) < 0) {
		log_warn("media: no RTP port pair free in %d-%d: %s", cfg->general.rtp_port_min,
		    cfg->general.rtp_port_max, strerror(errno));
		*sip_status = 503;
		goto fail;
	}
	l = (struct sdp_local){ ms->local_addr, ms->port, ms->sess_id, ms->sess_ver, ms->key,
	    SDP_SENDRECV };
	if ((r = sdp_answer(t, offer, offer_len, &l, &ms->neg, answer)) != 0) {
		*sip_status = r;
		goto fail;
	}
	ms->codec = codec_new(ms->neg.codec);
	if (ms->codec == NULL || (ms->neg.srtp &&
	    (ms->srtp = srtp_sess_new(&ms->neg.local, &ms->neg.remote)) == NULL)) {
		*sip_status = 500;
		goto fail;
	}
	media_start(ms);
	return ms;
fail:
	free(*answer);
	*answer = NULL;
	media_discard(ms);
	return NULL;
}

struct media_session *
media_session_offer(const struct config *cfg, const struct trunk *t, const char *peer_addr,
    char **offer, int *sip_status, media_event_cb *cb, void *arg)
{
	struct media_session *ms;
	struct sdp_local l;
	struct sdp_desc d;

	*offer = NULL;
	if (media_nworkers == 0) {
		*sip_status = 503;
		return NULL;
	}
	memset(&d, 0, sizeof d);
	d.family = peer_addr != NULL && strchr(peer_addr, ':') != NULL ? AF_INET6 : AF_INET;
	snprintf(d.addr, sizeof d.addr, "%s", peer_addr != NULL ? peer_addr :
	    d.family == AF_INET6 ? "::1" : "127.0.0.1");
	ms = media_session_alloc(cfg, &d, cb, arg);
	if (rtp_open_pair(d.family, cfg->general.rtp_port_min, cfg->general.rtp_port_max,
	    ms->fd, &ms->port) < 0) {
		log_warn("media: no RTP port pair free in %d-%d: %s", cfg->general.rtp_port_min,
		    cfg->general.rtp_port_max, strerror(errno));
		*sip_status = 503;
		media_discard(ms);
		return NULL;
	}
	l = (struct sdp_local){ ms->local_addr, ms->port, ms->sess_id, ms->sess_ver, ms->key,
	    SDP_SENDRECV };
	if ((*offer = sdp_offer(t, &l)) == NULL) {
		*sip_status = 500;
		media_discard(ms);
		return NULL;
	}
	return ms;
}

int
media_session_answer(struct media_session *ms, const struct trunk *t, const char *answer,
    size_t len)
{
	struct sdp_local l = { ms->local_addr, ms->port, ms->sess_id, ms->sess_ver, ms->key,
	    SDP_SENDRECV };
	struct sdp_neg neg;
	int r;

	if (ms->w != NULL || ms->freed)
		return 400;
	if ((r = sdp_accept(t, &l, answer, len, &neg)) != 0)
		return r;
	ms->neg = neg;
	ms->codec = codec_new(neg.codec);
	if (ms->codec == NULL || (neg.srtp &&
	    (ms->srtp = srtp_sess_new(&neg.local, &neg.remote)) == NULL)) {
		codec_free(ms->codec);
		ms->codec = NULL;
		return 500;
	}
	media_start(ms);
	return 0;
}

int
media_session_update(struct media_session *ms, const struct trunk *t, const char *offer,
    size_t offer_len, char **answer)
{
	struct sdp_local l = { ms->local_addr, ms->port, ms->sess_id, ms->sess_ver + 1, ms->key,
	    SDP_SENDRECV };
	struct sdp_neg neg;
	struct media_msg *m;
	int r;

	*answer = NULL;
	if (ms->w == NULL)
		return 400;
	if ((r = sdp_answer(t, offer, offer_len, &l, &neg, answer)) != 0)
		return r;
	/* Our SRTP contexts hold state (rollover counters, replay windows): keep them unless
	 * the keys changed. */
	m = media_msg_new(ms, MEDIA_MSG_UPDATE);
	if (neg.codec != ms->neg.codec && (m->codec = codec_new(neg.codec)) == NULL)
		goto fail;
	if (neg.srtp != ms->neg.srtp)
		goto fail;	/* SRTP switched on or off mid-call: refused, see doc/media.md */
	if (neg.srtp && (neg.remote.suite != ms->neg.remote.suite ||
	    memcmp(neg.remote.key, ms->neg.remote.key, SDP_KEY_LEN) != 0 ||
	    neg.local.suite != ms->neg.local.suite) &&
	    (m->srtp = srtp_sess_new(&neg.local, &neg.remote)) == NULL)
		goto fail;
	m->neg = neg;
	if (codec_rate(neg.codec) != ms->tap_rate)
		ms->tap_rate = 0;	/* the worker lets the tap go (media_session_bridge) */
	ms->neg = neg;
	ms->sess_ver++;
	media_msg_post(ms->w, m);
	return 0;
fail:
	codec_free(m->codec);
	free(m);
	free(*answer);
	*answer = NULL;
	return 488;
}

static int
media_simple(struct media_session *ms, enum media_msg_type type, const char *path, int a,
    int b)
{
	struct media_msg *m;

	if (ms->w == NULL)
		return -1;	/* an offer not answered yet */
	m = media_msg_new(ms, type);
	if (path != NULL)
		m->path = xstrdup(path);
	m->a = a;
	m->b = b;
	media_msg_post(ms->w, m);
	return 0;
}

int
media_session_play(struct media_session *ms, const char *path)
{
	return media_simple(ms, MEDIA_MSG_PLAY, path, 0, 0);
}

int
media_session_beep(struct media_session *ms)
{
	return media_simple(ms, MEDIA_MSG_BEEP, NULL, 0, 0);
}

void
media_session_play_stop(struct media_session *ms)
{
	media_simple(ms, MEDIA_MSG_PLAY_STOP, NULL, 0, 0);
}

int
media_session_record(struct media_session *ms, const char *path, int max_ms, int silence_ms)
{
	if (path == NULL || max_ms <= 0 || silence_ms < 0)
		return -1;
	return media_simple(ms, MEDIA_MSG_RECORD, path, max_ms, silence_ms);
}

void
media_session_record_stop(struct media_session *ms)
{
	media_simple(ms, MEDIA_MSG_RECORD_STOP, NULL, 0, 0);
}

int
media_session_send_dtmf(struct media_session *ms, char digit)
{
	struct media_msg *m;

	if (ms->w == NULL || ms->neg.dtmf_pt < 0 || dtmf_event_of(digit) < 0)
		return -1;
	m = media_msg_new(ms, MEDIA_MSG_DTMF);
	m->digit = digit;
	media_msg_post(ms->w, m);
	return 0;
}

int
media_session_bridge(struct media_session *ms, struct media_tap *tap)
{
	struct media_msg *m;

	if (ms->w == NULL || ms->freed ||
	    (tap != NULL && media_tap_rate(tap) != codec_rate(ms->neg.codec)))
		return -1;
	m = media_msg_new(ms, MEDIA_MSG_BRIDGE);
	if (tap != NULL)
		media_tap_ref(tap);
	m->tap = tap;
	ms->tap_rate = tap != NULL ? media_tap_rate(tap) : 0;
	media_msg_post(ms->w, m);
	return 0;
}

int
media_session_bridged(const struct media_session *ms)
{
	return ms->tap_rate;
}

void
media_session_set_timeout(struct media_session *ms, int ms_)
{
	media_simple(ms, MEDIA_MSG_TIMEOUT, NULL, ms_ < 0 ? 0 : ms_, 0);
}

void
media_session_free(struct media_session *ms)
{
	if (ms == NULL || ms->freed)
		return;
	if (ms->w == NULL) {	/* never reached a worker */
		media_discard(ms);
		return;
	}
	ms->freed = true;
	atomic_fetch_sub(&ms->w->load, 1);
	media_msg_post(ms->w, media_msg_new(ms, MEDIA_MSG_DEL));
}

void
media_totals(struct media_totals *t)
{
	t->sessions_started = atomic_load(&media_counters.sessions_started);
	t->sessions_active = atomic_load(&media_counters.sessions_active);
	t->rx_packets = atomic_load(&media_counters.rx_packets);
	t->tx_packets = atomic_load(&media_counters.tx_packets);
	t->rx_lost = atomic_load(&media_counters.rx_lost);
	t->dropped_foreign = atomic_load(&media_counters.dropped_foreign);
	t->dropped_invalid = atomic_load(&media_counters.dropped_invalid);
	t->srtp_failed = atomic_load(&media_counters.srtp_failed);
	t->rtp_timeouts = atomic_load(&media_counters.rtp_timeouts);
}

const struct sdp_neg *
media_session_neg(const struct media_session *ms)
{
	return &ms->neg;
}

int
media_session_port(const struct media_session *ms)
{
	return ms->port;
}

void
media_session_stats(struct media_session *ms, struct media_stats *out)
{
	pthread_mutex_lock(&ms->stats_mu);
	*out = ms->stats;
	pthread_mutex_unlock(&ms->stats_mu);
}
