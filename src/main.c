/* scaidial: the daemon. Sets the subsystems up in order, runs the control loop, and takes
 * them down in reverse. Signals arrive through a signalfd in the loop, so handlers never
 * run in the middle of anything. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "call.h"
#include "config.h"
#include "ctl.h"
#include "lk_bridge.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "sip.h"
#include "http.h"
#include "webhook.h"
#include "media.h"
#include "voicemail.h"
#include "store.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#define DEFAULT_CONFIG	SYSCONFDIR "/scaidial/scaidial.conf"

static int main_sigfd = -1;
static struct loop_fd *main_siglfd;
static int main_stopping;
/* How often the STATUS= line is re-checked; one is sent only when its text changed. */
#define MAIN_STATUS_MS	1000
static struct loop_timer *main_status_timer;

static void
usage(FILE *f)
{
	fprintf(f, "usage: scaidial [-f] [-t] [-V] [-c FILE]\n"
	    "  -c FILE  configuration file (default " DEFAULT_CONFIG ")\n"
	    "  -f       stay in the foreground and log to stderr\n"
	    "  -t       test the configuration and exit\n"
	    "  -V       print the version and exit\n");
}

static void
main_print_errors(const struct config_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++) {
		char *line = config_error_format(&errs->v[i]);

		fprintf(stderr, "%s\n", line);
		free(line);
	}
}

static size_t
main_rules(const struct config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_dialplans; i++)
		n += cfg->dialplans[i].n_rules;
	return n;
}

static int
main_test(const char *path)
{
	struct config_errors errs = { 0 };
	struct config *cfg;

	if (config_load(path, &cfg, &errs) == -1) {
		main_print_errors(&errs);
		fprintf(stderr, "scaidial: %s: %zu error%s\n", path, errs.n, errs.n == 1 ? "" : "s");
		config_errors_free(&errs);
		return 1;
	}
	printf("scaidial: %s: configuration OK: %zu file%s, %zu tenants, %zu trunks, %zu DIDs, "
	    "%zu extensions, %zu dialplans, %zu rules\n", path, cfg->n_files,
	    cfg->n_files == 1 ? "" : "s", cfg->n_tenants, cfg->n_trunks, cfg->n_dids,
	    cfg->n_extensions, cfg->n_dialplans, main_rules(cfg));
	config_unref(cfg);
	return 0;
}

/* The STATUS= line `systemctl status` shows: calls in progress and the configuration
 * generation. Calls start and end all over the SIP code, so the count is polled once a
 * second (call_count() is a counter) rather than hooked there; a swap reports at once,
 * with the new generation passed as arg (the hook runs before it is the current one).
 * Outside systemd (no NOTIFY_SOCKET) nothing is armed. */
static void
main_status(void *arg)
{
	static char last[160];
	const struct config *c = arg != NULL ? arg : reload_current();
	size_t n = call_count();
	char st[160];

	if (getenv("NOTIFY_SOCKET") == NULL || c == NULL)
		return;
	snprintf(st, sizeof(st), "%zu call%s in progress, configuration generation %llu%s", n,
	    n == 1 ? "" : "s", (unsigned long long)c->generation,
	    main_stopping ? ", stopping" : "");
	if (strcmp(st, last) != 0) {
		sd_notifyf(0, "STATUS=%s", st);
		strcpy(last, st);
	}
	if (main_status_timer != NULL)
		loop_timer_start(main_status_timer, MAIN_STATUS_MS);
}

/* What follows the configuration but is not a subsystem of its own. */
static void
main_reloaded(const struct config *oldc, const struct config *newc, void *arg)
{
	(void)oldc;
	(void)arg;
	webhook_set_secret(newc->webhooks.secret);
	main_status((void *)newc);
}

/* Recordings cut by the stop still become messages: their last event is awaited. */
#define MAIN_VOICEMAIL_WAIT_MS	3000
static struct loop_timer *main_vm_timer;
static int64_t main_vm_since;

static void
main_vm_wait(void *arg)
{
	(void)arg;
	if (voicemail_busy() > 0 && loop_mono_ms() - main_vm_since < MAIN_VOICEMAIL_WAIT_MS) {
		loop_timer_start(main_vm_timer, 50);
		return;
	}
	if (voicemail_busy() > 0)
		log_warn("main: %d voicemail recording%s not finished in time", voicemail_busy(),
		    voicemail_busy() == 1 ? "" : "s");
	loop_stop();
}

static void
main_sip_stopped(void *arg)
{
	(void)arg;
	main_vm_since = loop_mono_ms();
	main_vm_timer = loop_timer_new(main_vm_wait, NULL);
	main_vm_wait(NULL);
}

static void
main_signal(int fd, int events, void *arg)
{
	struct signalfd_siginfo si;

	(void)events;
	(void)arg;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_info("main: SIGHUP from pid %u: reloading", si.ssi_pid);
			reload_run("SIGHUP", NULL);
			break;
		case SIGTERM:
		case SIGINT:
			if (!main_stopping) {
				log_info("main: %s from pid %u: stopping",
				    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT", si.ssi_pid);
				main_stopping = 1;
				sd_notify(0, "STOPPING=1");
				main_status(NULL);
				/* Calls and registrations end first; the loop stops when SIP is done. */
				sip_stop(main_sip_stopped, NULL);
			}
			break;
		}
	}
}

static int
main_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts, so every thread inherits the mask and the
	 * signals are only ever read from the signalfd. */
	if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
		return -1;
	main_sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (main_sigfd == -1)
		return -1;
	main_siglfd = loop_fd_add(main_sigfd, LOOP_IN, main_signal, NULL);
	return main_siglfd ? 0 : -1;
}

int
main(int argc, char **argv)
{
	const char *path = DEFAULT_CONFIG;
	int foreground = 0, test = 0, ch, recovered = 0, rc = 1;
	struct config_errors errs = { 0 };
	struct config *cfg;
	char err[512];

	while ((ch = getopt(argc, argv, "c:ftVh")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'f':
			foreground = 1;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("scaidial %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (test)
		return main_test(path);

	log_init("scaidial", foreground);
	if (config_load(path, &cfg, &errs) == -1) {
		for (size_t i = 0; i < errs.n; i++) {
			char *line = config_error_format(&errs.v[i]);

			log_error("config: %s", line);
			free(line);
		}
		log_error("main: %s: %zu configuration error%s, not starting", path, errs.n,
		    errs.n == 1 ? "" : "s");
		config_errors_free(&errs);
		return 1;
	}
	log_set_level((enum log_level)cfg->general.log_level);
	/* libnice gives each call's ICE component two 64 KiB buffers (datagram receive,
	 * RFC 4571 framing) of which a UDP call touches a page or two. From the heap they
	 * held 128 KiB per call that, freed and reused, stayed resident (heaptrack, bench/
	 * RESULTS.md); mapped on their own they cost only the pages touched. */
	mallopt(M_MMAP_THRESHOLD, 64 * 1024);
	/* Detach before any thread exists: fork() keeps only the calling thread. */
	if (!foreground && daemon(0, 0) == -1) {
		log_error("main: cannot detach: %s", strerror(errno));
		config_unref(cfg);
		return 1;
	}
	if (loop_init() == -1 || main_signals() == -1) {
		log_error("main: cannot set up the event loop: %s", strerror(errno));
		config_unref(cfg);
		return 1;
	}
	if (store_open(cfg->general.database, &recovered, err, sizeof(err)) == -1) {
		log_error("main: %s", err);
		config_unref(cfg);
		goto out_loop;
	}
	if (recovered > 0)
		log_warn("store: closed %d call%s left open by an unclean stop (cause "
		    "daemon_restart)", recovered, recovered == 1 ? "" : "s");
	reload_init(path, cfg);
	if (ctl_init(cfg->general.control_socket, err, sizeof(err)) == -1) {
		log_error("main: %s", err);
		goto out_reload;
	}
	if (http_init() == -1 || webhook_init(cfg->webhooks.secret, NULL) == -1) {
		log_error("main: cannot set up the HTTP client (libcurl)");
		goto out_ctl;
	}
	reload_add_hook(main_reloaded, NULL);
	if (media_init(0) == -1) {
		log_error("main: cannot start the media workers");
		goto out_ctl;
	}
	if (lk_bridge_init(0) == -1) {
		log_error("main: cannot start the LiveKit bridge threads");
		goto out_ctl;
	}
	if (sip_init(cfg, err, sizeof(err)) == -1) {
		log_error("main: %s", err);
		goto out_ctl;
	}
	log_info("main: scaidial %s running: %s (%zu files), database %s, control socket %s",
	    PACKAGE_VERSION, path, cfg->n_files, cfg->general.database,
	    cfg->general.control_socket);
	sd_notifyf(0, "READY=1\nMAINPID=%lu", (unsigned long)getpid());
	main_status_timer = loop_timer_new(main_status, NULL);
	main_status(NULL);
	loop_run();
	rc = 0;
	log_info("main: stopped");
	sip_fini();
out_ctl:
	lk_bridge_fini();
	voicemail_fini();
	media_fini();
	loop_timer_free(main_vm_timer);
	loop_timer_free(main_status_timer);
	webhook_fini();
	http_fini();
	ctl_fini();
out_reload:
	reload_fini();
	store_close();
out_loop:
	loop_fd_del(main_siglfd);
	if (main_sigfd != -1)
		close(main_sigfd);
	loop_free();
	return rc;
}
