/* test_bridge: two carrier calls joined through the path the LiveKit leg will use, on
 * 127.0.0.1 without LiveKit. Peer A sends PCMU RTP with a 1000 Hz tone to media session
 * A, peer B sends PCMA RTP with 700 Hz to session B (two workers, so the sessions live
 * in different threads), and a third, C, G.722 (16 kHz) with 1300 Hz. The bridge consumer stands where the LiveKit session will: in
 * another thread's event loop (here the test's control loop), it drains each session's
 * tap (8 kHz frames, woken by the tap's eventfd), converts them to 48 kHz, feeds them to a
 * 48 kHz mix-minus mixer, and every 20 ms takes each leg's mix, converts it back to 8 kHz
 * and queues it on the tap for the worker to encode and send. What each RTP peer receives
 * is decoded and measured: A must hear 700 and 1300 Hz and not its own 1000 Hz, and so on
 * for B and C, at the level that was sent and nothing else; before the bridge and after it ends both hear silence. A
 * recording of A made while bridged (the two share the jitter buffer) holds A's tone, and
 * the bridge carries on after it ends; a beep played to A takes the place of the mix and
 * leaves no backlog behind (A hears B again right after). The CPU
 * time of the media workers and of the consumer over the bridged seconds is printed as a
 * figure (doc/media.md quotes it from an unsanitised build). */
#include <arpa/inet.h>
#include <dirent.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "loop.h"
#include "media.h"
#include "media_tap.h"
#include "mixer.h"
#include "resample.h"
#include "rtp.h"
#include "tap.h"
#include "tone.h"
#include "wav.h"
#include "xmalloc.h"

#define LK_RATE		48000
#define LK_FRAME	960
#define HEARD_MAX	(16000 * 10)
#define NPEERS		3

struct peer {
	const char	*name;
	int		 fd, port;
	struct sockaddr_in to;
	enum codec	 codec;
	int		 pt, rate, frame;
	struct codec_ctx *enc, *dec;
	uint16_t	 seq;
	uint32_t	 ts, ssrc;
	size_t		 phase;
	double		 freq;
	int16_t		*heard;
	size_t		 heard_n;
	/* the session and its bridge leg */
	struct media_session *ms;
	struct media_tap *tap;
	struct loop_fd	*lfd;
	struct resample	*up, *down;
	int		 src;
	uint64_t	 up_frames;
};

static struct config cfg;
static struct mixer *mix;
static struct peer pa, pb, pc;
static struct peer *const peers[NPEERS] = { &pa, &pb, &pc };
static struct loop_timer *timer;
static int64_t t0, ticks_done, stop_at;
static bool bridged;
static bool rec_done, beep_done;
static int64_t rec_ms;
static int64_t consumer_ns;	/* CPU the bridge consumer spent: resampling and mixing */

static int64_t
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
on_event(struct media_session *ms, const struct media_event *ev, void *arg)
{
	(void)ms;
	(void)arg;
	if (ev->type == MEDIA_EV_RECORD_DONE) {
		rec_done = true;
		rec_ms = ev->duration_ms;
	} else if (ev->type == MEDIA_EV_PLAY_DONE)
		beep_done = true;
}

static void
peer_init(struct peer *p, const char *name, enum codec c, int pt, double freq, uint32_t ssrc)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;

	memset(p, 0, sizeof *p);
	p->name = name;
	p->codec = c;
	p->pt = pt;
	p->rate = codec_rate(c);
	p->frame = p->rate / 50;
	p->freq = freq;
	p->ssrc = ssrc;
	p->seq = 1;
	p->ts = 1000;
	p->enc = codec_new(c);
	p->dec = codec_new(c);
	p->heard = xcalloc(HEARD_MAX, sizeof *p->heard);
	p->fd = socket(AF_INET, SOCK_DGRAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(p->fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(p->fd, (struct sockaddr *)&sa, &len);
	p->port = ntohs(sa.sin_port);
	p->src = -1;
}

static int
peer_start(struct peer *p, const char *enc_name)
{
	struct trunk t;
	char offer[512], *answer = NULL;
	int status = 0;

	memset(&t, 0, sizeof t);
	t.id = "carrier";
	t.srtp = SRTP_OFF;
	t.codecs[0] = CODEC_PCMU;
	t.codecs[1] = CODEC_PCMA;
	t.codecs[2] = CODEC_G722;
	t.n_codecs = 3;
	snprintf(offer, sizeof offer, "v=0\r\no=peer 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %d\r\na=rtpmap:%d %s/8000\r\n"
	    "a=rtcp-mux\r\na=ptime:20\r\n", p->port, p->pt, p->pt, enc_name);
	p->ms = media_session_new(&cfg, &t, offer, strlen(offer), &answer, &status, on_event, p);
	free(answer);
	if (p->ms == NULL)
		return status;
	p->to.sin_family = AF_INET;
	p->to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p->to.sin_port = htons((uint16_t)media_session_port(p->ms));
	return 0;
}

static void
peer_tx(struct peer *p)
{
	uint8_t b[RTP_HDR_LEN + CODEC_MAX_PAYLOAD];
	int16_t pcm[320];
	int len;

	tone_fill(pcm, (size_t)p->frame, p->freq, p->rate, 0.3, &p->phase);
	rtp_write_hdr(b, p->seq == 1, (uint8_t)p->pt, p->seq, p->ts, p->ssrc);
	p->seq++;
	p->ts += (uint32_t)codec_clock(p->codec) / 50;
	len = codec_encode(p->enc, pcm, b + RTP_HDR_LEN, CODEC_MAX_PAYLOAD);
	sendto(p->fd, b, (size_t)(RTP_HDR_LEN + len), 0, (struct sockaddr *)&p->to, sizeof p->to);
}

static void
peer_rx(struct peer *p)
{
	uint8_t b[2048];
	struct rtp_hdr h;
	int len;

	while ((len = (int)recv(p->fd, b, sizeof b, MSG_DONTWAIT)) > 0) {
		int16_t pcm[CODEC_MAX_FRAME];
		int n;

		if (rtp_parse(b, (size_t)len, &h) < 0 || h.pt != p->pt)
			continue;	/* RTCP */
		n = codec_decode(p->dec, h.payload, h.payload_len, pcm, CODEC_MAX_FRAME);
		if (n > 0 && p->heard_n + (size_t)n <= HEARD_MAX) {
			memcpy(p->heard + p->heard_n, pcm, (size_t)n * sizeof *pcm);
			p->heard_n += (size_t)n;
		}
	}
}

/* The consumer's side of a tap: the caller's frames at 48 kHz into the mixer, as the
 * LiveKit leg would hand them to lk_session_push_pcm(). */
static void
leg_ready(int fd, int events, void *arg)
{
	struct peer *p = arg;
	int16_t f[MEDIA_TAP_MAX_FRAME], up[LK_FRAME + 1];
	int64_t c0 = cpu_ns();

	(void)fd;
	(void)events;
	media_tap_ack(p->tap);
	while (media_tap_pop(p->tap, MEDIA_TAP_UP, f)) {
		size_t n = resample_process(p->up, f, (size_t)media_tap_frame(p->tap), up);

		mixer_push(mix, p->src, up, n);
		p->up_frames++;
	}
	consumer_ns += cpu_ns() - c0;
}

/* Every 20 ms: each leg's mix-minus back to 8 kHz, queued for its worker. */
static void
legs_tick(void)
{
	int16_t down[LK_FRAME];
	int64_t c0 = cpu_ns();
	int i;

	mixer_tick(mix);
	for (i = 0; i < NPEERS; i++) {
		struct peer *p = peers[i];
		size_t n = resample_process(p->down, mixer_out(mix, p->src), LK_FRAME, down);

		if (n == (size_t)media_tap_frame(p->tap))
			media_tap_push(p->tap, MEDIA_TAP_DOWN, down);
	}
	consumer_ns += cpu_ns() - c0;
}

static void
leg_bridge(struct peer *p)
{
	p->tap = media_tap_new(p->rate);
	p->up = resample_new(p->rate, LK_RATE);
	p->down = resample_new(LK_RATE, p->rate);
	p->src = mixer_add(mix);
	p->lfd = loop_fd_add(media_tap_fd(p->tap), LOOP_IN, leg_ready, p);
	media_session_bridge(p->ms, p->tap);
}

static void
leg_unbridge(struct peer *p)
{
	media_session_bridge(p->ms, NULL);
	loop_fd_del(p->lfd);
	media_tap_free(p->tap);		/* the worker lets go of its reference too */
	resample_free(p->up);
	resample_free(p->down);
	mixer_remove(mix, p->src);
	p->tap = NULL;
}

/* One clock for the peers and the mixer, kept to the 20 ms grid however late a timer
 * fires (a one-shot timer re-armed from its callback would drift). */
static void
on_tick(void *arg)
{
	int64_t due = (loop_mono_ms() - t0) / 20;
	int i;

	(void)arg;
	for (; ticks_done <= due; ticks_done++) {
		for (i = 0; i < NPEERS; i++)
			peer_tx(peers[i]);
		if (bridged)
			legs_tick();
	}
	for (i = 0; i < NPEERS; i++)
		peer_rx(peers[i]);
	if (loop_mono_ms() >= stop_at) {
		loop_stop();
		return;
	}
	{
		int64_t wait = t0 + ticks_done * 20 - loop_mono_ms() + 1;

		/* a slow run (valgrind) may already be past the next tick */
		loop_timer_start(timer, wait > 0 ? (unsigned)wait : 1);
	}
}

static void
run_ms(int ms)
{
	stop_at = loop_mono_ms() + ms;
	loop_timer_start(timer, 1);
	loop_run();
	loop_timer_stop(timer);
}

/* CPU time (ms) of the media workers (threads named media-N), from schedstat's ns. */
static double
workers_cpu_ms(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	double total = 0;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[300], name[32] = "";
		unsigned long long ns = 0;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(name, sizeof name, f) == NULL)
			name[0] = '\0';
		fclose(f);
		if (strncmp(name, "media-", 6) != 0)
			continue;
		snprintf(path, sizeof path, "/proc/self/task/%s/schedstat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			total += (double)ns / 1e6;
		fclose(f);
	}
	if (d != NULL)
		closedir(d);
	return total;
}

static double
db(double r)
{
	return 10.0 * log10(r > 1e-30 ? r : 1e-30);
}

/* What p heard from `from` to `to` (in ms of its stream): each other peer's tone at the
 * level it was sent, its own tone not at all, and nothing much besides the tones. */
static void
check_heard(struct peer *p, int from_ms, size_t to)
{
	double ref = 0.3 * 32767 * 0.3 * 32767 / 4, ms = 0, tones = 0;
	size_t from = (size_t)from_ms * (size_t)p->rate / 1000, n = to - from, i;
	const int16_t *x = p->heard + from;
	int k;

	for (i = 0; i < n; i++)
		ms += (double)x[i] * x[i];
	ms /= (double)n;
	for (k = 0; k < NPEERS; k++) {
		double pw = tone_power(x, n, peers[k]->freq, p->rate);

		if (peers[k] == p) {
			ok(db(pw / ref) < -40, "%s: its own %.0f Hz is not in what it hears (%.0f dB)",
			    p->name, p->freq, db(pw / ref));
			continue;
		}
		ok(fabs(db(pw / ref)) < 1.0, "%s hears %.0f Hz at the level sent (%+.2f dB)",
		    p->name, peers[k]->freq, db(pw / ref));
		tones += 2 * pw;	/* a tone's mean square is twice its Goertzel power */
	}
	/* 100% when every tick was on time; a late tick on a loaded machine (or valgrind)
	 * leaves a gap whose edges splatter a few percent: 80% still rules out an echo of
	 * its own voice, aliases and images, which are what this guards against. */
	ok(tones / ms > 0.80, "%s: the others' tones are %.1f%% of what it hears", p->name,
	    100 * tones / ms);
}

/* Silence (under -50 dBFS; G.722's decoder idles a little above zero) from from_ms of
 * p's stream to the sample `to`, at least 125 ms of it. */
static bool
silent(const struct peer *p, int from_ms, size_t to)
{
	size_t from = (size_t)from_ms * (size_t)p->rate / 1000, i;
	double ms = 0;

	if (to <= from + (size_t)p->rate / 8) {
		printf("# %s: only %zu ms heard\n", p->name, to * 1000 / (size_t)p->rate);
		return false;
	}
	for (i = from; i < to; i++)
		ms += (double)p->heard[i] * p->heard[i];
	ms /= (double)(to - from);
	if (db(ms / (32767.0 * 32767.0)) > -50) {
		printf("# %s: %.0f dBFS\n", p->name, db(ms / (32767.0 * 32767.0)));
		return false;
	}
	return true;
}

/* p's stream so far, in ms. */
static int
heard_ms(const struct peer *p)
{
	return (int)(p->heard_n * 1000 / (size_t)p->rate);
}

int
main(void)
{
	static const char *const names[NPEERS] = { "PCMU", "PCMA", "G722" };
	struct media_tap_stats st[NPEERS];
	int mark[NPEERS], i;
	bool all;
	double cpu_w0, cpu_w, cpu_m;
	struct timespec ts0, ts1;
	char dir[] = "/tmp/test_bridge.XXXXXX", path[64];

	if (mkdtemp(dir) == NULL || loop_init() < 0 || media_init(2) < 0) {
		printf("Bail out! cannot set up\n");
		return 1;
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.general.external_ip = "";
	cfg.general.rtp_port_min = 44000;
	cfg.general.rtp_port_max = 44999;
	mix = mixer_new(LK_RATE, 8);
	timer = loop_timer_new(on_tick, NULL);
	peer_init(&pa, "A (PCMU, sends 1000 Hz)", CODEC_PCMU, 0, 1000, 0xa);
	peer_init(&pb, "B (PCMA, sends 700 Hz)", CODEC_PCMA, 8, 700, 0xb);
	peer_init(&pc, "C (G.722, sends 1300 Hz)", CODEC_G722, 9, 1300, 0xc);
	for (i = 0; i < NPEERS; i++)
		is_int(peer_start(peers[i], names[i]), 0, "session %c answered (%s)", 'A' + i,
		    names[i]);
	{
		struct media_tap *wrong = media_tap_new(16000);

		is_int(media_session_bridge(pa.ms, wrong), -1, "a 16 kHz tap on a PCMU call refused");
		media_tap_free(wrong);
	}

	t0 = loop_mono_ms();
	run_ms(400);
	for (all = true, i = 0; i < NPEERS; i++)
		all &= silent(peers[i], 100, peers[i]->heard_n);
	ok(all, "before the bridge all three hear silence");

	for (i = 0; i < NPEERS; i++) {
		leg_bridge(peers[i]);
		mark[i] = heard_ms(peers[i]);
	}
	bridged = true;
	is_int(media_session_bridged(pa.ms), 8000, "A bridged at 8 kHz");
	is_int(media_session_bridged(pc.ms), 16000, "C bridged at 16 kHz");
	snprintf(path, sizeof path, "%s/a.wav", dir);
	media_session_record(pa.ms, path, 1000, 0);
	cpu_w0 = workers_cpu_ms();
	consumer_ns = 0;
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	run_ms(3000);
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	cpu_w = workers_cpu_ms() - cpu_w0;
	cpu_m = (double)consumer_ns / 1e6;
	/* The first 500 ms bridged fill the jitter buffers and the filters; then 2.5 s. */
	for (i = 0; i < NPEERS; i++)
		check_heard(peers[i], mark[i] + 500, peers[i]->heard_n);
	{
		int16_t *pcm = NULL;
		size_t n = 0;

		ok(rec_done && rec_ms == 1000 && wav_read(path, 8000, &pcm, &n) == 0 &&
		    n >= 2000 && tone_dominant(pcm + 800, n - 800, 8000) == 1000,
		    "A recorded while bridged: %lld ms of 1000 Hz (and the bridge went on after)",
		    (long long)rec_ms);
		free(pcm);
		unlink(path);
	}
	for (i = 0; i < NPEERS; i++) {
		struct peer *p = peers[i];

		media_tap_stats(p->tap, &st[i]);
		ok(p->up_frames >= 140 && st[i].up_frames >= p->up_frames && st[i].up_dropped == 0,
		    "%c: the worker delivered %llu frames of 20 ms, none dropped", 'A' + i,
		    (unsigned long long)st[i].up_frames);
		/* Underruns: 1 at the start natively; valgrind's slowness makes about 10. */
		ok(st[i].down_played >= 135 && st[i].down_underrun <= 15,
		    "%c: the worker sent %llu mixed frames (underruns %llu, trimmed %llu)", 'A' + i,
		    (unsigned long long)st[i].down_played,
		    (unsigned long long)st[i].down_underrun,
		    (unsigned long long)st[i].down_trimmed);
	}
	{
		double wall = (double)(ts1.tv_sec - ts0.tv_sec) * 1000 +
		    (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;

		printf("# CPU over %.0f ms bridged (%d calls): media workers %.1f ms, consumer "
		    "(resample + mix) %.1f ms: %.2f%% of a core per call\n", wall, NPEERS, cpu_w,
		    cpu_m, (cpu_w + cpu_m) / wall * 100 / NPEERS);
	}

	{
		/* A beep (400 ms of 1000 Hz) has A's ticks; the mix meanwhile is dropped. */
		size_t b0 = pa.heard_n;
		struct media_tap_stats s2;
		double ref = 0.3 * 32767 * 0.3 * 32767 / 4;

		media_session_beep(pa.ms);
		run_ms(1400);
		media_tap_stats(pa.tap, &s2);
		ok(beep_done && tone_dominant(pa.heard + b0 + 400, 2400, 8000) == 1000,
		    "a beep to a bridged caller is heard instead of the mix");
		double lvl = pa.heard_n > b0 + 10400 ? db(tone_power(pa.heard + b0 + 4800,
		    pa.heard_n - b0 - 4800, 700, 8000) / ref) : -99;

		ok(s2.down_trimmed - st[0].down_trimmed >= 15 && fabs(lvl) < 1.0,
		    "and after it the mix is back (700 Hz at %+.2f dB), the %llu frames it "
		    "displaced dropped", lvl,
		    (unsigned long long)(s2.down_trimmed - st[0].down_trimmed));
	}
	bridged = false;
	for (i = 0; i < NPEERS; i++) {
		mark[i] = heard_ms(peers[i]);
		leg_unbridge(peers[i]);
	}
	is_int(media_session_bridged(pa.ms), 0, "A no longer bridged");
	run_ms(600);
	for (all = true, i = 0; i < NPEERS; i++)
		all &= silent(peers[i], mark[i] + 200, peers[i]->heard_n);
	ok(all, "after the bridge ends all three hear silence again");

	for (i = 0; i < NPEERS; i++)
		media_session_free(peers[i]->ms);
	run_ms(100);
	media_fini();
	loop_timer_free(timer);
	loop_free();
	mixer_free(mix);
	for (i = 0; i < NPEERS; i++) {
		codec_free(peers[i]->enc);
		codec_free(peers[i]->dec);
		close(peers[i]->fd);
		free(peers[i]->heard);
	}
	rmdir(dir);
	return tap_done();
}
