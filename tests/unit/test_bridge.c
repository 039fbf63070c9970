/* test_bridge: two carrier calls joined through the path the LiveKit leg will use, on
 * 127.0.0.1 without LiveKit. Peer A sends PCMU RTP with a 1000 Hz tone to media session
 * A, peer B sends PCMA RTP with 700 Hz to session B (two workers, so the sessions live
 * in different threads). The bridge consumer stands where the LiveKit session will: in
 * another thread's event loop (here the test's control loop), it drains each session's
 * tap (8 kHz frames, woken by the tap's eventfd), converts them to 48 kHz, feeds them to a
 * 48 kHz mix-minus mixer, and every 20 ms takes each leg's mix, converts it back to 8 kHz
 * and queues it on the tap for the worker to encode and send. What each RTP peer receives
 * is decoded and measured: A must hear 700 Hz and not its own 1000 Hz, B the reverse, at
 * the level that was sent; before the bridge and after it ends both hear silence. A
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
#define HEARD_MAX	(8000 * 10)

struct peer {
	const char	*name;
	int		 fd, port;
	struct sockaddr_in to;
	enum codec	 codec;
	int		 pt;
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
static struct peer pa, pb;
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
	t.n_codecs = 2;
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
	int16_t pcm[160];
	int len;

	tone_fill(pcm, 160, p->freq, 8000, 0.3, &p->phase);
	rtp_write_hdr(b, p->seq == 1, (uint8_t)p->pt, p->seq, p->ts, p->ssrc);
	p->seq++;
	p->ts += 160;
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
	struct peer *legs[2] = { &pa, &pb };
	int16_t down[LK_FRAME];
	int64_t c0 = cpu_ns();
	int i;

	mixer_tick(mix);
	for (i = 0; i < 2; i++) {
		size_t n = resample_process(legs[i]->down, mixer_out(mix, legs[i]->src), LK_FRAME,
		    down);

		if (n == (size_t)media_tap_frame(legs[i]->tap))
			media_tap_push(legs[i]->tap, MEDIA_TAP_DOWN, down);
	}
	consumer_ns += cpu_ns() - c0;
}

static void
leg_bridge(struct peer *p)
{
	p->tap = media_tap_new(8000);
	p->up = resample_new(8000, LK_RATE);
	p->down = resample_new(LK_RATE, 8000);
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

	(void)arg;
	for (; ticks_done <= due; ticks_done++) {
		peer_tx(&pa);
		peer_tx(&pb);
		if (bridged)
			legs_tick();
	}
	peer_rx(&pa);
	peer_rx(&pb);
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

/* What p heard from sample `from` to `to`: the power of the wanted and of the unwanted
 * tone, relative to a tone of the amplitude the peers send. */
static void
check_heard(struct peer *p, size_t from, size_t to, double want_hz, double own_hz)
{
	double ref = 0.3 * 32767 * 0.3 * 32767 / 4;
	double pw = tone_power(p->heard + from, to - from, want_hz, 8000);
	double po = tone_power(p->heard + from, to - from, own_hz, 8000);

	is_int((int)tone_dominant(p->heard + from, to - from, 8000), (int)want_hz,
	    "%s hears %.0f Hz", p->name, want_hz);
	ok(fabs(db(pw / ref)) < 1.0, "%s: at the level sent (%+.2f dB)", p->name, db(pw / ref));
	ok(db(po / ref) < -40, "%s: its own %.0f Hz is not in what it hears (%.0f dB)", p->name,
	    own_hz, db(po / ref));
}

static bool
silent(const struct peer *p, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (abs(p->heard[i]) > 16)
			return false;
	return to > from + 1000;
}

int
main(void)
{
	struct media_tap_stats sa, sb;
	size_t a0, b0, a1, b1;
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
	is_int(peer_start(&pa, "PCMU"), 0, "session A answered (PCMU)");
	is_int(peer_start(&pb, "PCMA"), 0, "session B answered (PCMA)");
	{
		struct media_tap *wrong = media_tap_new(16000);

		is_int(media_session_bridge(pa.ms, wrong), -1, "a 16 kHz tap on a PCMU call refused");
		media_tap_free(wrong);
	}

	t0 = loop_mono_ms();
	run_ms(400);
	a0 = pa.heard_n;
	b0 = pb.heard_n;
	ok(silent(&pa, 800, a0) && silent(&pb, 800, b0),
	    "before the bridge both hear silence (%zu, %zu samples)", a0, b0);

	leg_bridge(&pa);
	leg_bridge(&pb);
	bridged = true;
	is_int(media_session_bridged(pa.ms), 8000, "A bridged at 8 kHz");
	snprintf(path, sizeof path, "%s/a.wav", dir);
	media_session_record(pa.ms, path, 1000, 0);
	cpu_w0 = workers_cpu_ms();
	consumer_ns = 0;
	clock_gettime(CLOCK_MONOTONIC, &ts0);
	run_ms(3000);
	clock_gettime(CLOCK_MONOTONIC, &ts1);
	cpu_w = workers_cpu_ms() - cpu_w0;
	cpu_m = (double)consumer_ns / 1e6;
	a1 = pa.heard_n;
	b1 = pb.heard_n;
	/* The first 500 ms bridged fill the jitter buffers and the filters; then 2.5 s. */
	check_heard(&pa, a0 + 4000, a1, 700, 1000);
	check_heard(&pb, b0 + 4000, b1, 1000, 700);
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
	media_tap_stats(pa.tap, &sa);
	media_tap_stats(pb.tap, &sb);
	ok(pa.up_frames >= 140 && pb.up_frames >= 140 && sa.up_dropped == 0 &&
	    sb.up_dropped == 0, "the workers delivered %llu and %llu frames of 20 ms, none dropped",
	    (unsigned long long)sa.up_frames, (unsigned long long)sb.up_frames);
	/* Underruns: 1 each at the start natively; valgrind's slowness makes about 10. */
	ok(sa.down_played >= 135 && sb.down_played >= 135 &&
	    sa.down_underrun <= 15 && sb.down_underrun <= 15,
	    "the workers sent %llu and %llu mixed frames (underruns %llu, %llu; trimmed %llu, %llu)",
	    (unsigned long long)sa.down_played, (unsigned long long)sb.down_played,
	    (unsigned long long)sa.down_underrun, (unsigned long long)sb.down_underrun,
	    (unsigned long long)sa.down_trimmed, (unsigned long long)sb.down_trimmed);
	{
		double wall = (double)(ts1.tv_sec - ts0.tv_sec) * 1000 +
		    (double)(ts1.tv_nsec - ts0.tv_nsec) / 1e6;

		printf("# CPU over %.0f ms bridged (2 calls): media workers %.1f ms, consumer "
		    "(resample + mix) %.1f ms: %.2f%% of a core per call\n",
		    wall, cpu_w, cpu_m, (cpu_w + cpu_m) / wall * 100 / 2);
	}

	{
		/* A beep (400 ms of 1000 Hz) has A's ticks; the mix meanwhile is dropped. */
		size_t b0a = pa.heard_n;
		struct media_tap_stats s2;

		media_session_beep(pa.ms);
		run_ms(1000);
		media_tap_stats(pa.tap, &s2);
		ok(beep_done && tone_dominant(pa.heard + b0a + 400, 2400, 8000) == 1000,
		    "a beep to a bridged caller is heard instead of the mix");
		ok(s2.down_trimmed - sa.down_trimmed >= 15 && pa.heard_n > b0a + 7200 &&
		    tone_dominant(pa.heard + b0a + 4800, pa.heard_n - b0a - 4800, 8000) == 700,
		    "and after it the mix is back, the %llu frames it displaced dropped",
		    (unsigned long long)(s2.down_trimmed - sa.down_trimmed));
	}
	bridged = false;
	a1 = pa.heard_n;
	b1 = pb.heard_n;
	leg_unbridge(&pa);
	leg_unbridge(&pb);
	is_int(media_session_bridged(pa.ms), 0, "A no longer bridged");
	run_ms(600);
	ok(silent(&pa, a1 + 1600, pa.heard_n) && silent(&pb, b1 + 1600, pb.heard_n),
	    "after the bridge ends both hear silence again");

	media_session_free(pa.ms);
	media_session_free(pb.ms);
	run_ms(100);
	media_fini();
	loop_timer_free(timer);
	loop_free();
	mixer_free(mix);
	codec_free(pa.enc);
	codec_free(pa.dec);
	codec_free(pb.enc);
	codec_free(pb.dec);
	close(pa.fd);
	close(pb.fd);
	free(pa.heard);
	free(pb.heard);
	rmdir(dir);
	return tap_done();
}
