/* bench_media: N concurrent carrier sessions each receiving 50 packets/s of PCMU (a 1 kHz
 * tone) and recording it to a WAV file, as a voicemail-heavy moment would. A forked child
 * plays the N carriers from one UDP socket, so the figures taken in the parent (CPU time by
 * getrusage, VmRSS) are the media engine's own. Usage: bench_media [SESSIONS] [SECONDS]
 * [WORKERS] [pcmu|opus]. Prints one line of results; see bench/RESULTS.md. */
#include <arpa/inet.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "log.h"
#include "loop.h"
#include "media.h"
#include "rtp.h"

static int n_done, n_ok;
static bool use_opus;
static int64_t want_ms;

static void
on_event(struct media_session *ms, const struct media_event *ev, void *arg)
{
	(void)ms;
	(void)arg;
	if (ev->type != MEDIA_EV_RECORD_DONE)
		return;
	n_done++;
	if (ev->duration_ms >= want_ms * 95 / 100)
		n_ok++;
}

static long
rss_kib(void)
{
	char line[256];
	long v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static double
cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* The carriers: every 20 ms one packet to each session's port, until killed. */
static void
sender(int fd, const int *ports, int n)
{
	struct mmsghdr *mm = calloc((size_t)n, sizeof *mm);
	struct iovec *iov = calloc((size_t)n, sizeof *iov);
	struct sockaddr_in *to = calloc((size_t)n, sizeof *to);
	uint8_t (*pkt)[RTP_HDR_LEN + CODEC_MAX_PAYLOAD] = calloc((size_t)n, sizeof *pkt);
	uint8_t tone[CODEC_MAX_PAYLOAD];
	int16_t pcm[960];
	size_t tlen = 160;
	struct timespec next;
	uint32_t k = 0, step = use_opus ? 960 : 160;
	int i;

	for (i = 0; i < 960; i++)	/* 1 kHz: a square wave */
		pcm[i] = (int16_t)((i * 1000 * 2 / (use_opus ? 48000 : 8000)) % 2 ? -10000 : 10000);
	if (use_opus) {
		struct codec_ctx *cx = codec_new(CODEC_OPUS);

		tlen = (size_t)codec_encode(cx, pcm, tone, sizeof tone);
		codec_free(cx);
	} else
		for (i = 0; i < 160; i++)
			tone[i] = codec_ulaw_encode(pcm[i]);
	for (i = 0; i < n; i++) {
		to[i].sin_family = AF_INET;
		to[i].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		to[i].sin_port = htons((uint16_t)ports[i]);
		iov[i].iov_base = pkt[i];
		iov[i].iov_len = RTP_HDR_LEN + tlen;
		mm[i].msg_hdr.msg_name = &to[i];
		mm[i].msg_hdr.msg_namelen = sizeof to[i];
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	for (;;) {
		char sink[2048];

		for (i = 0; i < n; i++) {
			rtp_write_hdr(pkt[i], k == 0, use_opus ? 111 : 0, (uint16_t)k, k * step,
			    0x1000u + (uint32_t)i);
			memcpy(pkt[i] + RTP_HDR_LEN, tone, tlen);
		}
		for (i = 0; i < n; i += 256)
			sendmmsg(fd, mm + i, (unsigned)(n - i < 256 ? n - i : 256), 0);
		while (recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0)
			;	/* what the engine sends back */
		k++;
		next.tv_nsec += 20000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
	}
}

static void
stop_loop(void *arg)
{
	(void)arg;
	loop_stop();
}

static void
run_for(int ms)
{
	struct loop_timer *t = loop_timer_new(stop_loop, NULL);

	loop_timer_start(t, (unsigned)ms);
	loop_run();
	loop_timer_free(t);
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 500, secs = argc > 2 ? atoi(argv[2]) : 10;
	int workers = argc > 3 ? atoi(argv[3]) : 0, i, fd, *ports;
	struct media_session **ms;
	struct sockaddr_in sa;
	struct config cfg;
	struct trunk t;
	socklen_t sl = sizeof sa;
	char dir[] = "/tmp/bench_media.XXXXXX", offer[512], path[256], cmd[300];
	long rss0, rss1;
	double c0, c1, cpu;
	int64_t w0, w1;
	pid_t child;

	log_init("bench_media", 1);
	log_set_level(LOG_LVL_WARN);
	if (mkdtemp(dir) == NULL || loop_init() < 0 || media_init(workers) < 0)
		return 1;
	memset(&cfg, 0, sizeof cfg);
	cfg.general.external_ip = "127.0.0.1";
	cfg.general.rtp_port_min = 30000;
	cfg.general.rtp_port_max = 30000 + 2 * n + 100;
	memset(&t, 0, sizeof t);
	t.id = "bench";
	use_opus = argc > 4 && strcmp(argv[4], "opus") == 0;
	t.codecs[0] = use_opus ? CODEC_OPUS : CODEC_PCMU;
	t.n_codecs = 1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	snprintf(offer, sizeof offer, "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
	    "c=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %d RTP/AVP %s\r\n", ntohs(sa.sin_port),
	    use_opus ? "111\r\na=rtpmap:111 opus/48000/2" : "0");

	rss0 = rss_kib();
	ms = calloc((size_t)n, sizeof *ms);
	ports = calloc((size_t)n, sizeof *ports);
	for (i = 0; i < n; i++) {
		char *answer = NULL;
		int status = 0;

		ms[i] = media_session_new(&cfg, &t, offer, strlen(offer), &answer, &status,
		    on_event, NULL);
		if (ms[i] == NULL) {
			fprintf(stderr, "session %d: %d\n", i, status);
			return 1;
		}
		free(answer);
		ports[i] = media_session_port(ms[i]);
		snprintf(path, sizeof path, "%s/%d.wav", dir, i);
		media_session_record(ms[i], path, (secs + 30) * 1000, 0);
	}
	if ((child = fork()) == 0) {
		sender(fd, ports, n);
		_exit(0);
	}
	run_for(2000);		/* warm-up: every session latched and recording */
	rss1 = rss_kib();
	c0 = cpu_s();
	w0 = loop_mono_ms();
	run_for(secs * 1000);
	c1 = cpu_s();
	w1 = loop_mono_ms();
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	want_ms = (int64_t)(secs + 2) * 1000 * 9 / 10;
	for (i = 0; i < n; i++)
		media_session_record_stop(ms[i]);
	for (i = 0; i < 100 && n_done < n; i++)
		run_for(50);
	cpu = 100.0 * (c1 - c0) / ((double)(w1 - w0) / 1000);
	printf("%s sessions %d workers %d seconds %d: cpu %.1f%% of one core (%.3f%% per session),"
	    " rss %.1f KiB per session (%ld KiB before, %ld KiB with sessions), recordings"
	    " complete %d/%d\n", use_opus ? "opus" : "pcmu", n, workers, secs, cpu, cpu / n,
	    (double)(rss1 - rss0) / n, rss0, rss1, n_ok, n);
	for (i = 0; i < n; i++)
		media_session_free(ms[i]);
	run_for(200);
	media_fini();
	loop_free();
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	free(ms);
	free(ports);
	return n_ok == n ? 0 : 1;
}
