/* reload: the generation in force, and how a new one replaces it.
 *
 * Watching: inotify on the *directories* that hold the files, never on the files, because
 * editors and `sed -i` save by writing a new file and renaming it over the old one (a
 * watch on the old inode would go quiet), and Kubernetes swaps a "..data" symlink to a new
 * directory. For every file read we walk its path the way the kernel resolves it, symlink
 * by symlink, and remember each (directory, name) it passed through: an event on any of
 * those names, or on a name matching an @include pattern, schedules a reload. Events are
 * debounced, so a burst of writes becomes one reload; a reload whose files hash the same
 * as the generation in force changes nothing. */
#include "reload.h"

#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "xmalloc.h"

#define RELOAD_DEBOUNCE_MS	150
#define RELOAD_MAX_HOPS		40
#define RELOAD_WATCH_MASK	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | \
	IN_DELETE | IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

struct reload_name {
	char		*dir;
	char		*name;		/* a name, or a pattern when glob is set */
	int		 glob;
};

struct reload_watch {
	int		 wd;
	char		*dir;
};

struct reload_hook_entry {
	reload_hook	*fn;
	void		*arg;
};

static struct {
	char		*path;
	struct config	*current;
	struct reload_status st;
	struct config_errors last_errors;
	int		 have_errors;
	int		 fd;
	struct loop_fd	*lfd;
	struct loop_timer *debounce;
	struct reload_name *names;
	size_t		 n_names;
	struct reload_watch *watches;
	size_t		 n_watches;
	struct reload_hook_entry *hooks;
	size_t		 n_hooks;
} rl = { .fd = -1 };

static void
reload_names_clear(void)
{
	for (size_t i = 0; i < rl.n_names; i++) {
		free(rl.names[i].dir);
		free(rl.names[i].name);
	}
	free(rl.names);
	rl.names = NULL;
	rl.n_names = 0;
}

static void
reload_name_add(const char *dir, const char *name, int glob)
{
	for (size_t i = 0; i < rl.n_names; i++) {
		if (strcmp(rl.names[i].dir, dir) == 0 && strcmp(rl.names[i].name, name) == 0)
			return;
	}
	rl.names = xrealloc(rl.names, (rl.n_names + 1) * sizeof(*rl.names));
	rl.names[rl.n_names].dir = xstrdup(dir);
	rl.names[rl.n_names].name = xstrdup(name);
	rl.names[rl.n_names].glob = glob;
	rl.n_names++;
}

/* Resolves path component by component, recording (directory, name) for each component
 * that is passed, including those met inside symlink targets. */
static void
reload_trace(const char *path)
{
	char dir[PATH_MAX] = "/";
	char rest[PATH_MAX];
	int hops = 0;

	if (path[0] != '/' || strlen(path) >= sizeof(rest))
		return;
	strcpy(rest, path);
	while (rest[0] != '\0') {
		char *p = rest, name[NAME_MAX + 1], cand[PATH_MAX], link[PATH_MAX];
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 0)
			break;
		if (n > NAME_MAX)
			return;
		memcpy(name, p, n);
		name[n] = '\0';
		memmove(rest, p + n, strlen(p + n) + 1);
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			char *slash = strrchr(dir, '/');

			if (slash != NULL && slash != dir)
				*slash = '\0';
			else
				strcpy(dir, "/");
			continue;
		}
		reload_name_add(dir, name, 0);
		if (snprintf(cand, sizeof(cand), "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
		    name) >= (int)sizeof(cand))
			return;
		ssize_t ln = readlink(cand, link, sizeof(link) - 1);

		if (ln < 0) {
			strcpy(dir, cand);
			continue;
		}
		if (++hops > RELOAD_MAX_HOPS)
			return;
		link[ln] = '\0';
		/* Splice the target in front of what is left; absolute targets restart at /. */
		if (strlen(link) + strlen(rest) + 2 >= sizeof(rest))
			return;
		size_t ll = strlen(link), rl_ = strlen(rest);

		memmove(rest + ll + 1, rest, rl_ + 1);
		memcpy(rest, link, ll);
		rest[ll] = '/';
		if (link[0] == '/')
			strcpy(dir, "/");
	}
}

static void
reload_glob(const char *pattern)
{
	const char *slash = strrchr(pattern, '/');

	if (slash == NULL)
		return;
	char *dir = xstrndup(pattern, (size_t)(slash - pattern));

	reload_trace(dir);
	reload_name_add(dir[0] ? dir : "/", slash + 1, 1);
	free(dir);
}

static void
reload_watch_dirs(void)
{
	struct reload_watch *keep = NULL;
	size_t n_keep = 0;

	for (size_t i = 0; i < rl.n_names; i++) {
		const char *dir = rl.names[i].dir;
		size_t k;

		for (k = 0; k < n_keep; k++) {
			if (strcmp(keep[k].dir, dir) == 0)
				break;
		}
		if (k < n_keep)
			continue;
		/* A directory that does not exist (yet) cannot be watched; the file that names
		 * it is, and fixing that file reloads. */
		int wd = inotify_add_watch(rl.fd, dir, RELOAD_WATCH_MASK);

		if (wd == -1) {
			log_debug("config: cannot watch %s: %s", dir, strerror(errno));
			continue;
		}
		keep = xrealloc(keep, (n_keep + 1) * sizeof(*keep));
		keep[n_keep].wd = wd;
		keep[n_keep].dir = xstrdup(dir);
		n_keep++;
	}
	/* Drop watches no longer needed; the same directory keeps the same wd. */
	for (size_t i = 0; i < rl.n_watches; i++) {
		size_t k;

		for (k = 0; k < n_keep; k++) {
			if (keep[k].wd == rl.watches[i].wd)
				break;
		}
		if (k == n_keep)
			inotify_rm_watch(rl.fd, rl.watches[i].wd);
		free(rl.watches[i].dir);
	}
	free(rl.watches);
	rl.watches = keep;
	rl.n_watches = n_keep;
}

static void
reload_rewatch(void)
{
	const struct config *c = rl.current;

	if (rl.fd == -1)
		return;
	reload_names_clear();
	for (size_t i = 0; i < c->n_files; i++)
		reload_trace(c->files[i]);
	for (size_t i = 0; i < c->n_globs; i++)
		reload_glob(c->globs[i]);
	if (rl.have_errors) {
		for (size_t i = 0; i < rl.last_errors.n_files; i++)
			reload_trace(rl.last_errors.files[i]);
		for (size_t i = 0; i < rl.last_errors.n_globs; i++)
			reload_glob(rl.last_errors.globs[i]);
	}
	reload_watch_dirs();
	log_debug("config: watching %zu names in %zu directories", rl.n_names, rl.n_watches);
}

static int
reload_relevant(int wd, const char *name, uint32_t mask)
{
	const char *dir = NULL;

	for (size_t i = 0; i < rl.n_watches; i++) {
		if (rl.watches[i].wd == wd)
			dir = rl.watches[i].dir;
	}
	if (dir == NULL)
		return 0;
	/* The directory itself went away or moved: its files are gone from where we read. */
	if (mask & (IN_DELETE_SELF | IN_MOVE_SELF))
		return 1;
	if (name == NULL || name[0] == '\0')
		return 0;
	for (size_t i = 0; i < rl.n_names; i++) {
		if (strcmp(rl.names[i].dir, dir) != 0)
			continue;
		if (rl.names[i].glob ? fnmatch(rl.names[i].name, name, FNM_PERIOD) == 0 :
		    strcmp(rl.names[i].name, name) == 0)
			return 1;
	}
	return 0;
}

static void
reload_inotify(int fd, int events, void *arg)
{
	_Alignas(struct inotify_event) char ev[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)];
	int hit = 0;

	(void)events;
	(void)arg;
	for (;;) {
		ssize_t n = read(fd, ev, sizeof(ev));

		if (n <= 0)
			break;
		for (char *p = ev; p < ev + n;) {
			struct inotify_event *ie = (struct inotify_event *)p;

			if (ie->mask & IN_Q_OVERFLOW)
				hit = 1;
			else if (reload_relevant(ie->wd, ie->len ? ie->name : NULL, ie->mask))
				hit = 1;
			p += sizeof(*ie) + ie->len;
		}
	}
	if (hit)
		loop_timer_start(rl.debounce, RELOAD_DEBOUNCE_MS);
}

static void
reload_debounced(void *arg)
{
	(void)arg;
	reload_run("inotify", NULL);
}

/* RELOADING=1 carries the CLOCK_MONOTONIC time of the request (systemd >= 253 wants it to
 * tell this reload from an earlier one; older versions ignore it). READY=1 ends the
 * reload, refused or not. The STATUS= line is main.c's (calls and generation). */
static void
reload_notify(int reloading)
{
	struct timespec ts;

	if (!reloading) {
		sd_notify(0, "READY=1");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000);
}

int
reload_init(const char *path, struct config *cfg)
{
	rl.path = xstrdup(path);
	rl.current = cfg;
	cfg->generation = 1;
	rl.st.generation = 1;
	rl.st.loaded_ms = cfg->loaded_ms;
	rl.debounce = loop_timer_new(reload_debounced, NULL);
	rl.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (rl.fd == -1) {
		/* SIGHUP and scaidial-ctl reload still work without inotify. */
		log_warn("config: inotify unavailable (%s): edits need scaidial-ctl reload",
		    strerror(errno));
		return 0;
	}
	rl.lfd = loop_fd_add(rl.fd, LOOP_IN, reload_inotify, NULL);
	reload_rewatch();
	return 0;
}

void
reload_fini(void)
{
	loop_fd_del(rl.lfd);
	rl.lfd = NULL;
	if (rl.fd != -1)
		close(rl.fd);
	rl.fd = -1;
	loop_timer_free(rl.debounce);
	rl.debounce = NULL;
	reload_names_clear();
	for (size_t i = 0; i < rl.n_watches; i++)
		free(rl.watches[i].dir);
	free(rl.watches);
	rl.watches = NULL;
	rl.n_watches = 0;
	config_errors_free(&rl.last_errors);
	rl.have_errors = 0;
	config_unref(rl.current);
	rl.current = NULL;
	free(rl.hooks);
	rl.hooks = NULL;
	rl.n_hooks = 0;
	free(rl.path);
	rl.path = NULL;
}

struct config *
reload_current(void)
{
	return rl.current;
}

void
reload_get_status(struct reload_status *st)
{
	*st = rl.st;
	st->last_errors = rl.have_errors ? &rl.last_errors : NULL;
}

void
reload_add_hook(reload_hook *fn, void *arg)
{
	rl.hooks = xrealloc(rl.hooks, (rl.n_hooks + 1) * sizeof(*rl.hooks));
	rl.hooks[rl.n_hooks].fn = fn;
	rl.hooks[rl.n_hooks].arg = arg;
	rl.n_hooks++;
}

static void
reload_refused(const char *origin, struct config_errors *errs)
{
	char *first = errs->n ? config_error_format(&errs->v[0]) : xstrdup("unknown error");

	rl.st.reloads_refused++;
	rl.st.last_error_ms = loop_now_ms();
	/* One stable line per refusal, then every error on its own line. */
	log_error("config: reload refused (%s): %zu error%s, generation %llu stays in force: %s",
	    origin, errs->n, errs->n == 1 ? "" : "s", (unsigned long long)rl.st.generation,
	    first);
	free(first);
	for (size_t i = 0; i < errs->n; i++) {
		char *line = config_error_format(&errs->v[i]);

		log_error("config: %s", line);
		free(line);
	}
}

/* Deep copy, so the caller's errors and the kept ones are freed independently. */
static void
reload_errors_copy(struct config_errors *dst, const struct config_errors *src)
{
	memset(dst, 0, sizeof(*dst));
	dst->v = xcalloc(src->n ? src->n : 1, sizeof(*dst->v));
	for (size_t i = 0; i < src->n; i++) {
		dst->v[i].file = src->v[i].file ? xstrdup(src->v[i].file) : NULL;
		dst->v[i].line = src->v[i].line;
		dst->v[i].msg = xstrdup(src->v[i].msg);
	}
	dst->n = src->n;
	dst->files = xcalloc(src->n_files ? src->n_files : 1, sizeof(char *));
	for (size_t i = 0; i < src->n_files; i++)
		dst->files[i] = xstrdup(src->files[i]);
	dst->n_files = src->n_files;
	dst->globs = xcalloc(src->n_globs ? src->n_globs : 1, sizeof(char *));
	for (size_t i = 0; i < src->n_globs; i++)
		dst->globs[i] = xstrdup(src->globs[i]);
	dst->n_globs = src->n_globs;
}

int
reload_run(const char *origin, struct config_errors *out)
{
	struct config_errors errs = { 0 };
	struct config *cfg;

	reload_notify(1);
	if (config_load(rl.path, &cfg, &errs) == -1) {
		reload_refused(origin, &errs);
		config_errors_free(&rl.last_errors);
		reload_errors_copy(&rl.last_errors, &errs);
		rl.have_errors = 1;
		reload_rewatch();
		reload_notify(0);
		if (out != NULL)
			*out = errs;
		else
			config_errors_free(&errs);
		return -1;
	}
	if (rl.have_errors) {
		config_errors_free(&rl.last_errors);
		rl.have_errors = 0;
	}
	if (memcmp(cfg->digest, rl.current->digest, sizeof(cfg->digest)) == 0) {
		rl.st.reloads_unchanged++;
		log_info("config: reload (%s): files unchanged, generation %llu stays in force",
		    origin, (unsigned long long)rl.st.generation);
		config_unref(cfg);
		reload_rewatch();
		reload_notify(0);
		return 0;
	}
	struct config *old = rl.current;

	cfg->generation = old->generation + 1;
	log_set_level((enum log_level)cfg->general.log_level);
	for (size_t i = 0; i < rl.n_hooks; i++)
		rl.hooks[i].fn(old, cfg, rl.hooks[i].arg);
	rl.current = cfg;
	rl.st.generation = cfg->generation;
	rl.st.loaded_ms = cfg->loaded_ms;
	rl.st.reloads_ok++;
	log_info("config: generation %llu in force (%s): %zu files, %zu tenants, %zu trunks, "
	    "%zu DIDs, %zu extensions, %zu dialplans", (unsigned long long)cfg->generation,
	    origin, cfg->n_files, cfg->n_tenants, cfg->n_trunks, cfg->n_dids,
	    cfg->n_extensions, cfg->n_dialplans);
	/* Calls in progress hold their own references; the old generation lives on until
	 * the last of them ends. */
	config_unref(old);
	reload_rewatch();
	reload_notify(0);
	return 0;
}
