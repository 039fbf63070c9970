/* ctl: the admin socket. One request line per connection, answered and closed; the
 * protocol is described in ctl.h, the commands live in ctl_cmd*.c. Everything here is
 * non-blocking and driven by the control loop: a slow or hostile client costs one slot
 * of CTL_MAX_CLIENTS and at most CTL_IDLE_MS of that slot, never the loop. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "ctl_cmd.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "reload.h"
#include "xmalloc.h"

#define CTL_MAX_ARGS		64
#define CTL_ACCEPT_BURST	32	/* accepts per wakeup, so a flood cannot starve SIP */
#define CTL_EMFILE_PAUSE_MS	200

struct ctl_client {
	struct ctl_client *prev, *next;
	int		 fd;
	struct loop_fd	*lfd;
	struct loop_timer *timer;
	uid_t		 uid;
	pid_t		 pid;
	bool		 writing;	/* the answer is built; only sending is left */
	size_t		 inlen;
	struct buf	 out;
	size_t		 outoff;
	char		 in[CTL_MAX_REQUEST];
};

static struct {
	int		 fd;
	struct loop_fd	*lfd;
	struct loop_timer *pause;	/* re-enables accept after EMFILE */
	char		*path;
	dev_t		 dev;
	ino_t		 ino;
	struct ctl_client *clients;
	int		 nclients;
	int64_t		 busy_logged_ms;
	bool		 hooked;
} ctl = { .fd = -1 };

static void
ctl_client_close(struct ctl_client *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		ctl.clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	ctl.nclients--;
	loop_fd_del(c->lfd);
	/* Safe from the timer's own callback: sofia does not touch a one-shot timer after
	 * calling it. */
	loop_timer_free(c->timer);
	close(c->fd);
	buf_free(&c->out);
	free(c);
}

static void
ctl_client_write(struct ctl_client *c)
{
	while (c->outoff < c->out.len) {
		/* MSG_NOSIGNAL: a client that went away must cost an EPIPE, not the daemon,
		 * even if someone forgets to ignore SIGPIPE. */
		ssize_t n = send(c->fd, c->out.data + c->outoff, c->out.len - c->outoff,
		    MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				loop_fd_events(c->lfd, LOOP_OUT);
				loop_timer_start(c->timer, CTL_IDLE_MS);
				return;
			}
			log_debug("ctl: client pid=%d went away during the answer (%zu of %zu "
			    "bytes sent): %s", (int)c->pid, c->outoff, c->out.len,
			    strerror(errno));
			ctl_client_close(c);
			return;
		}
		c->outoff += (size_t)n;
	}
	ctl_client_close(c);
}

/* Queues the complete answer and starts sending it; the client takes no more input. */
static void
ctl_client_answer(struct ctl_client *c, bool ok, const char *body, size_t len)
{
	buf_reset(&c->out);
	buf_adds(&c->out, ok ? "OK\n" : "ERR\n");
	buf_add(&c->out, body, len);
	if (len > 0 && body[len - 1] != '\n')
		buf_addc(&c->out, '\n');
	c->writing = true;
	loop_fd_events(c->lfd, LOOP_OUT);
	ctl_client_write(c);
}

static void
ctl_client_error(struct ctl_client *c, const char *msg)
{
	ctl_client_answer(c, false, msg, strlen(msg));
}

/* UTF-8 without control characters: what a command line typed by a person looks like. */
static bool
ctl_line_valid(const char *line, size_t len)
{
	const unsigned char *p = (const unsigned char *)line;

	for (size_t i = 0; i < len;) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return false;
		size_t n = json_utf8_len(p + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

static void
ctl_client_request(struct ctl_client *c, char *line, size_t len)
{
	struct ctl_request req = { .uid = c->uid, .pid = c->pid };
	char *argv[CTL_MAX_ARGS];
	struct buf body;
	int rc;

	if (!ctl_line_valid(line, len)) {
		log_debug("ctl: malformed request from uid=%u pid=%d", (unsigned)c->uid,
		    (int)c->pid);
		ctl_client_error(c, "malformed request");
		return;
	}
	line[len] = '\0';
	for (char *p = line, *sp; len > 0; p = sp + 1) {
		sp = strchr(p, ' ');
		if (sp != NULL)
			*sp = '\0';
		if (*p == '\0') {	/* leading, trailing or doubled space */
			ctl_client_error(c, "malformed request");
			return;
		}
		if (req.argc == CTL_MAX_ARGS) {
			ctl_client_error(c, "too many arguments");
			return;
		}
		argv[req.argc++] = p;
		if (sp == NULL)
			break;
	}
	req.argv = argv;
	if (req.argc > 0 && strcmp(argv[0], "--json") == 0) {
		req.json = true;
		req.argv++;
		req.argc--;
	}
	if (req.argc == 0) {
		ctl_client_error(c, "empty request (try 'help')");
		return;
	}
	buf_init(&body);
	rc = ctl_cmd_run(&req, &body);
	log_debug("ctl: uid=%u pid=%d: %s%s: %s", (unsigned)c->uid, (int)c->pid,
	    req.json ? "--json " : "", argv[req.json ? 1 : 0], rc == 0 ? "OK" : "ERR");
	if (rc != 0 && body.len == 0)
		buf_adds(&body, "failed");
	ctl_client_answer(c, rc == 0, body.data != NULL ? body.data : "", body.len);
	buf_free(&body);
}

static void
ctl_client_read(struct ctl_client *c)
{
	for (;;) {
		if (c->inlen == sizeof(c->in)) {
			log_debug("ctl: request too long from uid=%u pid=%d", (unsigned)c->uid,
			    (int)c->pid);
			ctl_client_error(c, "request too long");
			return;
		}
		ssize_t n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
		    MSG_DONTWAIT);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				log_debug("ctl: read from pid=%d: %s", (int)c->pid,
				    strerror(errno));
				ctl_client_close(c);
			}
			return;
		}
		if (n == 0) {
			/* A client that half-closes after an unterminated line still reads. */
			if (c->inlen == 0)
				ctl_client_close(c);
			else
				ctl_client_error(c, "request not terminated by a newline");
			return;
		}
		char *nl = memchr(c->in + c->inlen, '\n', (size_t)n);

		c->inlen += (size_t)n;
		loop_timer_start(c->timer, CTL_IDLE_MS);
		if (nl != NULL) {
			/* The LF becomes the NUL terminator, within in[]. */
			ctl_client_request(c, c->in, (size_t)(nl - c->in));
			return;
		}
	}
}

static void
ctl_client_event(int fd, int events, void *arg)
{
	struct ctl_client *c = arg;

	(void)fd;
	(void)events;
	/* Spurious wakeups are harmless: both paths stop at EAGAIN. */
	if (c->writing)
		ctl_client_write(c);
	else
		ctl_client_read(c);
}

static void
ctl_client_idle(void *arg)
{
	struct ctl_client *c = arg;

	log_debug("ctl: client uid=%u pid=%d idle for %d s (%s), disconnected",
	    (unsigned)c->uid, (int)c->pid, CTL_IDLE_MS / 1000,
	    c->writing ? "not reading its answer" : "no complete request");
	ctl_client_close(c);
}

static void
ctl_busy(int fd)
{
	static const char msg[] = "ERR\nbusy\n";
	int64_t now = loop_mono_ms();

	/* Best effort: the socket buffer of a fresh connection takes a few bytes. */
	(void)send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
	if (now - ctl.busy_logged_ms >= 1000) {
		log_warn("ctl: %d clients connected, refusing more (busy)", CTL_MAX_CLIENTS);
		ctl.busy_logged_ms = now;
	}
}

static void
ctl_accept_one(int fd)
{
	struct ucred cred = { .uid = (uid_t)-1, .pid = 0 };
	socklen_t len = sizeof(cred);
	struct ctl_client *c;

	if (ctl.nclients >= CTL_MAX_CLIENTS) {
		ctl_busy(fd);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1)
		log_debug("ctl: SO_PEERCRED: %s", strerror(errno));
	c = xcalloc(1, sizeof(*c));
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	buf_init(&c->out);
	c->lfd = loop_fd_add(fd, LOOP_IN, ctl_client_event, c);
	if (c->lfd == NULL) {
		close(fd);
		free(c);
		return;
	}
	c->timer = loop_timer_new(ctl_client_idle, c);
	loop_timer_start(c->timer, CTL_IDLE_MS);
	c->next = ctl.clients;
	if (ctl.clients != NULL)
		ctl.clients->prev = c;
	ctl.clients = c;
	ctl.nclients++;
	log_debug("ctl: connection from uid=%u pid=%d (%d open)", (unsigned)c->uid,
	    (int)c->pid, ctl.nclients);
}

static void
ctl_resume(void *arg)
{
	(void)arg;
	if (ctl.lfd != NULL)
		loop_fd_events(ctl.lfd, LOOP_IN);
}

static void
ctl_accept(int lfd, int events, void *arg)
{
	(void)events;
	(void)arg;
	for (int i = 0; i < CTL_ACCEPT_BURST; i++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd == -1) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* The listener stays readable: without a pause the loop would
				 * spin on it until a descriptor frees up. */
				log_warn("ctl: accept: %s; pausing the control socket for %d ms",
				    strerror(errno), CTL_EMFILE_PAUSE_MS);
				loop_fd_events(ctl.lfd, 0);
				loop_timer_start(ctl.pause, CTL_EMFILE_PAUSE_MS);
			} else if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("ctl: accept: %s", strerror(errno));
			return;
		}
		ctl_accept_one(fd);
	}
}

/* The socket path cannot move while we run: it is bound once. Say so when an edit asks
 * for it, rather than let the operator wonder where the socket went. */
static void
ctl_reload_hook(const struct config *oldc, const struct config *newc, void *arg)
{
	(void)oldc;
	(void)arg;
	if (ctl.path != NULL && strcmp(newc->general.control_socket, ctl.path) != 0)
		log_warn("ctl: control_socket changed to %s; the socket stays at %s until "
		    "a restart", newc->general.control_socket, ctl.path);
}

/* A socket file already at path: ours from a crash (nobody answers: remove it), or the
 * socket of a daemon that is running (refuse). */
static int
ctl_check_existing(const char *path, const struct sockaddr_un *sun, char *err,
    size_t errlen)
{
	struct stat st;
	int fd, rc;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: exists and is not a socket; "
		    "not replacing it", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "control socket: socket: %s", strerror(errno));
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	if (rc == 0 || errno == EAGAIN || errno == EINPROGRESS) {
		/* EAGAIN: a full backlog, which also means someone is listening. */
		close(fd);
		snprintf(err, errlen, "control socket %s: another process is answering on it "
		    "(is scaidial already running?)", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		snprintf(err, errlen, "control socket %s: cannot check whether it is in use: "
		    "%s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	if (unlink(path) == -1 && errno != ENOENT) {
		snprintf(err, errlen, "control socket %s: cannot remove the stale socket: %s",
		    path, strerror(errno));
		return -1;
	}
	log_info("ctl: removed stale control socket %s", path);
	return 0;
}

static int
ctl_check_dir(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	struct stat st;
	int rc = 0;

	if (slash == NULL) {
		free(dir);
		return 0;	/* the working directory exists */
	}
	if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &st) == -1) {
		snprintf(err, errlen, "control socket %s: directory %s: %s%s", path, dir,
		    strerror(errno), errno == ENOENT ? " (create it, or set "
		    "general.control_socket elsewhere)" : "");
		rc = -1;
	} else if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "control socket %s: %s is not a directory", path, dir);
		rc = -1;
	}
	free(dir);
	return rc;
}

int
ctl_init(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) == 0 || strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "control socket %s: a path of 1..%zu characters is needed",
		    path, sizeof(sun.sun_path) - 1);
		return -1;
	}
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (ctl_check_dir(path, err, errlen) == -1 ||
	    ctl_check_existing(path, &sun, err, errlen) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "control socket: socket: %s", strerror(errno));
		return -1;
	}
	/* The socket is born 0660: no window in which others could connect. The umask is
	 * process-wide, so it is put back at once. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		snprintf(err, errlen, "control socket %s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (listen(fd, SOMAXCONN) == -1 || lstat(path, &st) == -1) {
		snprintf(err, errlen, "control socket %s: listen: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	ctl.lfd = loop_fd_add(fd, LOOP_IN, ctl_accept, NULL);
	if (ctl.lfd == NULL) {
		snprintf(err, errlen, "control socket %s: cannot watch it", path);
		close(fd);
		unlink(path);
		return -1;
	}
	ctl.fd = fd;
	ctl.dev = st.st_dev;
	ctl.ino = st.st_ino;
	ctl.path = xstrdup(path);
	ctl.pause = loop_timer_new(ctl_resume, NULL);
	if (!ctl.hooked) {
		reload_add_hook(ctl_reload_hook, NULL);
		ctl.hooked = true;
	}
	log_info("ctl: listening on %s", path);
	return 0;
}

void
ctl_fini(void)
{
	struct stat st;

	while (ctl.clients != NULL)
		ctl_client_close(ctl.clients);
	if (ctl.fd == -1)
		return;
	loop_fd_del(ctl.lfd);
	ctl.lfd = NULL;
	loop_timer_free(ctl.pause);
	ctl.pause = NULL;
	close(ctl.fd);
	ctl.fd = -1;
	/* Only our own socket: another daemon may have replaced the file meanwhile. */
	if (lstat(ctl.path, &st) == 0 && st.st_dev == ctl.dev && st.st_ino == ctl.ino)
		unlink(ctl.path);
	free(ctl.path);
	ctl.path = NULL;
}
