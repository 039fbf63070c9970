/* scaidial-ctl: the admin client. Sends one request line to the daemon's control socket
 * and prints the answer; the protocol is described in ctl.h. Exit status: 0 answered OK
 * (body on stdout), 1 answered ERR (message on stderr), 2 no usable answer (no daemon,
 * permission, timeout, garbled reply) or a bad command line. */
#include <errno.h>
#include <getopt.h>
#include <libconfig.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/etc"
#endif
#ifndef RUNSTATEDIR
#define RUNSTATEDIR	"/run"
#endif
#define DEFAULT_CONFIG	SYSCONFDIR "/scaidial/scaidial.conf"
#define DEFAULT_SOCKET	RUNSTATEDIR "/scaidial/ctl.sock"
#define TIMEOUT_S	30
#define MAX_CONFIG	(16 * 1024 * 1024)

enum { EXIT_OK = 0, EXIT_REFUSED = 1, EXIT_UNREACHABLE = 2 };

static void
usage(FILE *f)
{
	fprintf(f, "usage: scaidial-ctl [-s SOCKET] [-c CONFIG] [--json] COMMAND [ARGS]\n"
	    "  -s SOCKET  the daemon's control socket (default: general.control_socket\n"
	    "             of the configuration, else " DEFAULT_SOCKET ")\n"
	    "  -c CONFIG  configuration file to read the socket from\n"
	    "             (default " DEFAULT_CONFIG ")\n"
	    "  --json     one JSON document instead of text\n"
	    "  -V         print the version and exit\n"
	    "Commands: help, status, reload, trunks, dids, extensions, dialplans, calls,\n"
	    "call ID, hangup ID, transfer ID --to TARGET [--method refer|bridge],\n"
	    "originate --extension EXT --to NUMBER [--trunk ID] [--tenant ID] [--timeout S],\n"
	    "cdr [--since ISO8601] [--limit N], voicemail [EXT], metrics.\n"
	    "`scaidial-ctl help` asks the daemon what it understands.\n");
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0, cap = 0;

	if (f == NULL)
		return NULL;
	for (;;) {
		if (cap - len < 4096) {
			char *n;

			if (cap >= MAX_CONFIG || (n = realloc(text, cap + 65536)) == NULL) {
				free(text);
				fclose(f);
				return NULL;
			}
			text = n;
			cap += 65536;
		}
		size_t got = fread(text + len, 1, cap - len - 1, f);

		len += got;
		if (got == 0)
			break;
	}
	fclose(f);
	text[len] = '\0';
	return text;
}

/* general.control_socket of the configuration, or NULL. Only the main file is read, and
 * its @include lines are blanked: the setting lives in the main file in every layout we
 * ship, and an include the caller may not read must not hide it. Relative paths are
 * relative to the file's directory, as the daemon reads them. */
static char *
socket_from_config(const char *path)
{
	char *text = slurp(path), *result = NULL;
	const char *value;
	config_t cfg;

	if (text == NULL)
		return NULL;
	for (char *line = text; line != NULL && *line != '\0';) {
		char *p = line + strspn(line, " \t");
		char *nl = strchr(line, '\n');

		if (strncmp(p, "@include", 8) == 0)
			memset(p, ' ', nl != NULL ? (size_t)(nl - p) : strlen(p));
		line = nl != NULL ? nl + 1 : NULL;
	}
	config_init(&cfg);
	if (config_read_string(&cfg, text) == CONFIG_TRUE &&
	    config_lookup_string(&cfg, "general.control_socket", &value) == CONFIG_TRUE &&
	    value[0] != '\0') {
		const char *slash = strrchr(path, '/');

		if (value[0] == '/' || slash == NULL)
			result = strdup(value);
		else if (asprintf(&result, "%.*s/%s", (int)(slash - path), path, value) == -1)
			result = NULL;
	}
	config_destroy(&cfg);
	free(text);
	return result;
}

/* The request line: [--json ]word( word)*\n. Words with blanks or control characters
 * cannot be carried by the protocol, so they are refused here with a clear message. */
static int
build_request(bool json, int argc, char **argv, char *line, size_t linelen)
{
	size_t len = 0;

	line[0] = '\0';
	if (json)
		len = (size_t)snprintf(line, linelen, "--json");
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] == '\0') {
			fprintf(stderr, "scaidial-ctl: empty argument %d\n", i + 1);
			return -1;
		}
		for (const unsigned char *p = (const unsigned char *)a; *p != '\0'; p++) {
			if (*p <= 0x20 || *p == 0x7f) {
				fprintf(stderr, "scaidial-ctl: argument '%s' holds a space or a "
				    "control character, which the control protocol cannot "
				    "carry\n", a);
				return -1;
			}
		}
		if (len + strlen(a) + 2 >= linelen) {
			fprintf(stderr, "scaidial-ctl: command too long (at most %d bytes)\n",
			    CTL_MAX_REQUEST - 1);
			return -1;
		}
		len += (size_t)snprintf(line + len, linelen - len, "%s%s", len > 0 ? " " : "",
		    a);
	}
	line[len++] = '\n';
	line[len] = '\0';
	return 0;
}

static int
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads the answer and streams its body out. Returns the exit status. */
static int
read_answer(int fd, const char *path, int send_errno)
{
	char buf[65536], head[4];
	size_t hlen = 0;
	FILE *out = NULL;
	int status = EXIT_UNREACHABLE;

	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			/* A reset after the answer began still ends a complete answer: the
			 * daemon closes as soon as it has written. */
			if (out != NULL && errno == ECONNRESET)
				break;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				fprintf(stderr, "scaidial-ctl: %s: no answer within %d s\n", path,
				    TIMEOUT_S);
			else
				fprintf(stderr, "scaidial-ctl: %s: %s\n", path, strerror(errno));
			return EXIT_UNREACHABLE;
		}
		if (n == 0)
			break;
		size_t off = 0;

		while (out == NULL && off < (size_t)n && hlen < sizeof(head))
			head[hlen++] = buf[off++];
		if (out == NULL) {
			if (hlen >= 3 && memcmp(head, "OK\n", 3) == 0) {
				out = stdout;
				status = EXIT_OK;
				if (hlen == 4)
					fputc(head[3], out);
			} else if (hlen == 4 && memcmp(head, "ERR\n", 4) == 0) {
				out = stderr;
				status = EXIT_REFUSED;
			} else if (memcmp(head, "OK\n", hlen < 3 ? hlen : 3) != 0 &&
			    memcmp(head, "ERR\n", hlen) != 0) {
				fprintf(stderr, "scaidial-ctl: %s: garbled answer\n", path);
				return EXIT_UNREACHABLE;
			}
		}
		if (out != NULL && off < (size_t)n)
			fwrite(buf + off, 1, (size_t)n - off, out);
	}
	if (out == NULL) {
		if (hlen == 0 && send_errno != 0)
			fprintf(stderr, "scaidial-ctl: %s: %s\n", path, strerror(send_errno));
		else
			fprintf(stderr, "scaidial-ctl: %s: the daemon closed the connection "
			    "without %s answer\n", path, hlen == 0 ? "an" : "a complete");
		return EXIT_UNREACHABLE;
	}
	if (fflush(out) == EOF && status == EXIT_OK)
		return EXIT_UNREACHABLE;
	return status;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *sock = NULL, *conf = DEFAULT_CONFIG;
	char *from_conf = NULL, line[CTL_MAX_REQUEST + 1];
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = TIMEOUT_S };
	bool json = false;
	int ch, fd, rc, send_errno = 0;

	/* '+': options stop at the command, whose own options (cdr --since) are its own. */
	while ((ch = getopt_long(argc, argv, "+s:c:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			sock = optarg;
			break;
		case 'c':
			conf = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'V':
			printf("scaidial-ctl %s\n", PACKAGE_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_UNREACHABLE;
		}
	}
	argc -= optind;
	argv += optind;
	/* `scaidial-ctl status --json` means what it says too. */
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			json = true;
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(*argv));
			argc--;
			i--;
		}
	}
	if (argc == 0) {
		usage(stderr);
		return EXIT_UNREACHABLE;
	}
	if (build_request(json, argc, argv, line, sizeof(line)) == -1)
		return EXIT_UNREACHABLE;
	if (sock == NULL)
		sock = from_conf = socket_from_config(conf);
	if (sock == NULL)
		sock = DEFAULT_SOCKET;
	if (strlen(sock) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "scaidial-ctl: %s: socket path too long\n", sock);
		free(from_conf);
		return EXIT_UNREACHABLE;
	}
	memcpy(sun.sun_path, sock, strlen(sock) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		fprintf(stderr, "scaidial-ctl: socket: %s\n", strerror(errno));
		free(from_conf);
		return EXIT_UNREACHABLE;
	}
	/* Bounded waits: connect (full backlog), send and every receive. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		fprintf(stderr, "scaidial-ctl: cannot connect to %s: %s%s\n", sock,
		    strerror(errno), errno == ENOENT || errno == ECONNREFUSED ?
		    " (is scaidial running?)" : "");
		close(fd);
		free(from_conf);
		return EXIT_UNREACHABLE;
	}
	/* A daemon that refuses at once (busy) may close before we finish sending: its
	 * answer is still there to read. */
	if (send_all(fd, line, strlen(line)) == -1)
		send_errno = errno;
	rc = read_answer(fd, sock, send_errno);
	close(fd);
	free(from_conf);
	return rc;
}
