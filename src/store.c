/* store: opening the database and the write path.
 * Every write is a queued operation carrying copies of its arguments; one writer thread
 * owns the write connection and runs whatever is queued as one transaction, so callers
 * (the control loop) never wait on the disk and a burst of events costs one commit. The
 * order of operations is the order they were queued. */
#include "store.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "store_int.h"
#include "xmalloc.h"

/* Bounds the transaction size (and the time a flush waits for the first commit). */
#define STORE_BATCH_MAX		1024
/* Past this many queued writes the disk is not keeping up; records are dropped (and
 * counted) rather than letting memory grow without bound. */
#define STORE_QUEUE_MAX		200000

enum store_stmt {
	ST_CALL_INSERT,
	ST_CALL_STATE,
	ST_CALL_ANSWERED,
	ST_CALL_ENDED,
	ST_LEG_INSERT,
	ST_LEG_ANSWERED,
	ST_LEG_ENDED,
	ST_VM_INSERT,
	ST_VM_TRANSCRIPT,
	ST_VM_URL,
	ST_REG_INSERT,
	ST_COUNT
};

/* An "answered" or "ended" that finds no row to change is normal (first end wins: a BYE
 * racing a CANCEL) and only logged at debug level. */
static const char *const store_sql[ST_COUNT] = {
	[ST_CALL_INSERT] = "INSERT INTO calls (id, tenant, direction, did, caller, callee,"
	    " trunk, dialplan, rule_priority, action, room, state, config_generation,"
	    " started_ms, answered_ms, ended_ms, cause, sip_status) VALUES (?1, ?2, ?3,"
	    " ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, coalesce(?12, 'new'), ?13, ?14, ?15, ?16,"
	    " ?17, ?18)",
	[ST_CALL_STATE] = "UPDATE calls SET state = ?2 WHERE id = ?1 AND ended_ms = 0",
	[ST_CALL_ANSWERED] = "UPDATE calls SET answered_ms = ?2, state = 'answered'"
	    " WHERE id = ?1 AND answered_ms = 0 AND ended_ms = 0",
	[ST_CALL_ENDED] = "UPDATE calls SET ended_ms = ?2, cause = ?3, sip_status = ?4,"
	    " state = 'ended' WHERE id = ?1 AND ended_ms = 0",
	[ST_LEG_INSERT] = "INSERT INTO call_legs (id, call_id, kind, identity, sip_call_id,"
	    " state, started_ms, answered_ms, ended_ms, cause, sip_status) VALUES (?1, ?2,"
	    " ?3, ?4, ?5, coalesce(?6, 'new'), ?7, ?8, ?9, ?10, ?11)",
	[ST_LEG_ANSWERED] = "UPDATE call_legs SET answered_ms = ?2, state = 'answered'"
	    " WHERE id = ?1 AND answered_ms = 0 AND ended_ms = 0",
	[ST_LEG_ENDED] = "UPDATE call_legs SET ended_ms = ?2, cause = ?3, sip_status = ?4,"
	    " state = 'ended' WHERE id = ?1 AND ended_ms = 0",
	[ST_VM_INSERT] = "INSERT INTO voicemail_messages (id, call_id, tenant, extension,"
	    " caller, created_ms, duration_ms, path, transcript) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7, ?8, ?9)",
	[ST_VM_TRANSCRIPT] = "UPDATE voicemail_messages SET transcript = ?2 WHERE id = ?1",
	[ST_VM_URL] = "UPDATE voicemail_messages SET url = ?2 WHERE id = ?1",
	[ST_REG_INSERT] = "INSERT INTO registrations (trunk, at_ms, state, sip_status,"
	    " reason, expires, extension, tenant, contact, source, user_agent) VALUES (?1,"
	    " ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
};

/* For log lines: which write failed. */
static const char *const store_op_name[ST_COUNT] = {
	[ST_CALL_INSERT] = "call insert",
	[ST_CALL_STATE] = "call state",
	[ST_CALL_ANSWERED] = "call answered",
	[ST_CALL_ENDED] = "call ended",
	[ST_LEG_INSERT] = "leg insert",
	[ST_LEG_ANSWERED] = "leg answered",
	[ST_LEG_ENDED] = "leg ended",
	[ST_VM_INSERT] = "voicemail insert",
	[ST_VM_TRANSCRIPT] = "voicemail transcript",
	[ST_VM_URL] = "voicemail url",
	[ST_REG_INSERT] = "registration event",
};

struct store_arg {
	int		 is_text;
	int64_t		 i;
	char		*s;		/* owned copy; NULL binds SQL NULL */
};

struct store_op {
	struct store_op	*next;
	enum store_stmt	 stmt;
	int		 nargs;
	int		 failed;	/* set while running a batch */
	struct store_arg args[];
};

/* The mutex and condvars are static so that writes before store_open or after
 * store_close find a valid lock (and are dropped). */
static pthread_mutex_t store_mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t store_wake = PTHREAD_COND_INITIALIZER;	/* writer: work or stop */
static pthread_cond_t store_done = PTHREAD_COND_INITIALIZER;	/* flushers: progress */

static struct {
	/* Under store_mtx. */
	int		 open;
	int		 stopping;
	struct store_op	*head, **tail;
	uint64_t	 nqueued;
	uint64_t	 seq_queued;	/* operations ever queued */
	uint64_t	 seq_done;	/* operations finished (committed or failed) */
	uint64_t	 written, failed;
	int		 dropping;

	/* Owned by the writer thread while it runs; by store_open/close otherwise. */
	sqlite3		*db;
	sqlite3_stmt	*stmts[ST_COUNT];
	pthread_t	 thread;
	char		*path;
	int		 version;
} store;

static void
store_op_free(struct store_op *op)
{
	for (int i = 0; i < op->nargs; i++)
		free(op->args[i].s);
	free(op);
}

/* Arguments are described by a format: 's' a string (copied), 'i' an int64_t, 'n' an
 * int. They bind to ?1, ?2, ... in that order. */
static void
store_queue(enum store_stmt which, const char *fmt, ...)
{
	struct store_op *op;
	size_t n = strlen(fmt);
	va_list ap;

	op = xcalloc(1, sizeof(*op) + n * sizeof(op->args[0]));
	op->stmt = which;
	op->nargs = (int)n;
	va_start(ap, fmt);
	for (size_t i = 0; i < n; i++) {
		struct store_arg *a = &op->args[i];
		const char *s;

		switch (fmt[i]) {
		case 's':
			a->is_text = 1;
			s = va_arg(ap, const char *);
			a->s = s ? xstrdup(s) : NULL;
			break;
		case 'i':
			a->i = va_arg(ap, int64_t);
			break;
		default:
			a->i = va_arg(ap, int);
			break;
		}
	}
	va_end(ap);

	pthread_mutex_lock(&store_mtx);
	if (!store.open || store.stopping) {
		pthread_mutex_unlock(&store_mtx);
		log_debug("store: not open, write dropped");
		store_op_free(op);
		return;
	}
	if (store.nqueued >= STORE_QUEUE_MAX) {
		store.failed++;
		if (!store.dropping)
			log_error("store: %" PRIu64 " writes queued, the disk is not keeping "
			    "up: dropping records", store.nqueued);
		store.dropping = 1;
		pthread_mutex_unlock(&store_mtx);
		store_op_free(op);
		return;
	}
	*store.tail = op;
	store.tail = &op->next;
	store.nqueued++;
	store.seq_queued++;
	pthread_cond_signal(&store_wake);
	pthread_mutex_unlock(&store_mtx);
}

/* Runs one operation; 0 on success (including "no row matched"), -1 logged. */
static int
store_run(struct store_op *op)
{
	sqlite3_stmt *st = store.stmts[op->stmt];
	int rc;

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	for (int i = 0; i < op->nargs; i++) {
		struct store_arg *a = &op->args[i];

		if (!a->is_text)
			sqlite3_bind_int64(st, i + 1, a->i);
		else if (a->s == NULL)
			sqlite3_bind_null(st, i + 1);
		else
			sqlite3_bind_text(st, i + 1, a->s, -1, SQLITE_STATIC);
	}
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("store: %s: %s %s failed: %s", store.path,
		    store_op_name[op->stmt], op->args[0].s ? op->args[0].s : "(null)",
		    sqlite3_errmsg(store.db));
		return -1;
	}
	if (sqlite3_changes(store.db) == 0)
		log_debug("store: %s %s: no row changed", store_op_name[op->stmt],
		    op->args[0].s ? op->args[0].s : "(null)");
	return 0;
}

/* One transaction for the whole batch. A statement that fails on its own (a duplicate
 * id) is undone alone and the batch goes on; if the transaction itself is lost (disk
 * full, I/O error, busy) every operation is retried in its own transaction so one bad
 * write cannot take its neighbours with it. Returns the number that failed. */
static int
store_run_batch(struct store_op *batch)
{
	struct store_op *op;
	int nfailed = 0;

	if (sqlite3_exec(store.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		goto one_by_one;
	for (op = batch; op != NULL; op = op->next) {
		op->failed = store_run(op) == -1;
		/* SQLite rolls the whole transaction back on some errors. */
		if (op->failed && sqlite3_get_autocommit(store.db))
			goto one_by_one;
	}
	if (sqlite3_exec(store.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_error("store: %s: commit failed: %s", store.path, sqlite3_errmsg(store.db));
		sqlite3_exec(store.db, "ROLLBACK", NULL, NULL, NULL);
		goto one_by_one;
	}
	for (op = batch; op != NULL; op = op->next)
		nfailed += op->failed;
	return nfailed;

one_by_one:
	if (!sqlite3_get_autocommit(store.db))
		sqlite3_exec(store.db, "ROLLBACK", NULL, NULL, NULL);
	for (op = batch; op != NULL; op = op->next)
		nfailed += store_run(op) == -1;
	return nfailed;
}

static void *
store_writer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&store_mtx);
	for (;;) {
		struct store_op *batch, **cut, *op;
		int n = 0, nfailed;

		while (store.head == NULL && !store.stopping)
			pthread_cond_wait(&store_wake, &store_mtx);
		if (store.head == NULL)
			break;		/* stopping, and everything is written */
		batch = store.head;
		for (cut = &store.head; *cut != NULL && n < STORE_BATCH_MAX; n++)
			cut = &(*cut)->next;
		store.head = *cut;
		if (store.head == NULL)
			store.tail = &store.head;
		*cut = NULL;
		pthread_mutex_unlock(&store_mtx);

		nfailed = store_run_batch(batch);
		while ((op = batch) != NULL) {
			batch = op->next;
			store_op_free(op);
		}

		pthread_mutex_lock(&store_mtx);
		store.nqueued -= n;
		store.seq_done += n;
		store.written += n - nfailed;
		store.failed += nfailed;
		if (store.dropping && store.nqueued < STORE_QUEUE_MAX / 2) {
			log_warn("store: writes caught up, no longer dropping records");
			store.dropping = 0;
		}
		pthread_cond_broadcast(&store_done);
	}
	pthread_mutex_unlock(&store_mtx);
	return NULL;
}

/* SQLite's own message for a missing or read-only directory is "unable to open database
 * file", which does not say what to fix. The directory is not created here: the package
 * (or systemd's StateDirectory=) owns it with the right owner and mode, and creating it
 * with ours would hide a broken install. */
static int
store_check_dir(const char *path, char *err, size_t errlen)
{
	char *dir = xstrdup(path), *slash;
	struct stat sb;
	int rc = -1;

	slash = strrchr(dir, '/');
	if (slash == NULL)
		strcpy(dir, ".");
	else if (slash == dir)
		slash[1] = '\0';
	else
		*slash = '\0';
	if (stat(dir, &sb) == -1) {
		snprintf(err, errlen, "database %s: directory %s: %s%s", path, dir,
		    strerror(errno), errno == ENOENT ? " (it is not created for you)" : "");
		goto out;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "database %s: %s is not a directory", path, dir);
		goto out;
	}
	/* WAL needs the -wal and -shm files next to the database. */
	if (access(dir, W_OK | X_OK) == -1) {
		snprintf(err, errlen, "database %s: directory %s is not writable: %s", path,
		    dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

static void
store_release(void)
{
	for (int i = 0; i < ST_COUNT; i++) {
		sqlite3_finalize(store.stmts[i]);
		store.stmts[i] = NULL;
	}
	sqlite3_close(store.db);
	store.db = NULL;
	free(store.path);
	store.path = NULL;
}

int
store_open(const char *path, int *recovered, char *err, size_t errlen)
{
	sigset_t all, old;
	int n = 0, rc = -1, perr;

	*recovered = 0;
	if (path == NULL || *path == '\0') {
		snprintf(err, errlen, "database path is empty");
		return -1;
	}
	if (store.db != NULL) {
		snprintf(err, errlen, "database %s: the store is already open", path);
		return -1;
	}
	if (store_check_dir(path, err, errlen) == -1)
		return -1;
	store.path = xstrdup(path);
	/* NOMUTEX: each connection is used by one thread at a time (the writer, the
	 * reader), so SQLite's own locking would only cost. */
	if (sqlite3_open_v2(path, &store.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: %s", path,
		    store.db ? sqlite3_errmsg(store.db) : "out of memory");
		goto out;
	}
	/* SQLite quietly falls back to read-only for a file we may not write; say so
	 * now rather than fail on the first write. */
	if (sqlite3_db_readonly(store.db, "main") == 1) {
		snprintf(err, errlen, "database %s: the file is not writable", path);
		goto out;
	}
	if (store_schema_configure(store.db, path, err, errlen) == -1 ||
	    store_schema_migrate(store.db, path, &store.version, err, errlen) == -1 ||
	    store_schema_recover(store.db, path, store_now_ms(), &n, err, errlen) == -1)
		goto out;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(store.db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &store.stmts[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "database %s: preparing statement: %s", path,
			    sqlite3_errmsg(store.db));
			goto out;
		}
	}
	if (store_read_open(path, err, errlen) == -1)
		goto out;

	pthread_mutex_lock(&store_mtx);
	store.head = NULL;
	store.tail = &store.head;
	store.nqueued = store.seq_queued = store.seq_done = 0;
	store.written = store.failed = 0;
	store.stopping = store.dropping = 0;
	store.open = 1;
	pthread_mutex_unlock(&store_mtx);

	/* Signals belong to the control loop, never to the writer. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	perr = pthread_create(&store.thread, NULL, store_writer, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (perr != 0) {
		snprintf(err, errlen, "database %s: starting the writer thread: %s", path,
		    strerror(perr));
		pthread_mutex_lock(&store_mtx);
		store.open = 0;
		pthread_mutex_unlock(&store_mtx);
		store_read_close();
		goto out;
	}
	*recovered = n;
	log_info("store: %s: open, schema version %d", path, store.version);
	rc = 0;
out:
	if (rc == -1)
		store_release();
	return rc;
}

void
store_close(void)
{
	pthread_mutex_lock(&store_mtx);
	if (!store.open) {
		pthread_mutex_unlock(&store_mtx);
		return;
	}
	/* The writer drains the queue before it sees stopping with nothing left. */
	store.stopping = 1;
	pthread_cond_signal(&store_wake);
	pthread_mutex_unlock(&store_mtx);
	pthread_join(store.thread, NULL);

	pthread_mutex_lock(&store_mtx);
	store.open = 0;
	store.stopping = 0;
	pthread_mutex_unlock(&store_mtx);
	store_read_close();
	store_release();
	store.version = 0;
}

void
store_flush(void)
{
	uint64_t want;

	pthread_mutex_lock(&store_mtx);
	want = store.seq_queued;
	while (store.open && store.seq_done < want)
		pthread_cond_wait(&store_done, &store_mtx);
	pthread_mutex_unlock(&store_mtx);
}

int
store_schema_version(void)
{
	return store.version;
}

void
store_stats(uint64_t *queued, uint64_t *written, uint64_t *failed)
{
	pthread_mutex_lock(&store_mtx);
	if (queued != NULL)
		*queued = store.nqueued;
	if (written != NULL)
		*written = store.written;
	if (failed != NULL)
		*failed = store.failed;
	pthread_mutex_unlock(&store_mtx);
}

/* A time of 0 would mean "not yet" and leave the row open forever. */
static int64_t
store_when(int64_t at_ms)
{
	return at_ms > 0 ? at_ms : store_now_ms();
}

void
store_call_insert(const struct store_call *c)
{
	store_queue(ST_CALL_INSERT, "ssssssssnsssiiiisn", c->id, c->tenant, c->direction,
	    c->did, c->caller, c->callee, c->trunk, c->dialplan, c->rule_priority,
	    c->action, c->room, c->state, (int64_t)c->config_generation, c->started_ms,
	    c->answered_ms, c->ended_ms, c->cause, c->sip_status);
}

void
store_call_set_state(const char *id, const char *state)
{
	store_queue(ST_CALL_STATE, "ss", id, state);
}

void
store_call_answered(const char *id, int64_t at_ms)
{
	store_queue(ST_CALL_ANSWERED, "si", id, store_when(at_ms));
}

void
store_call_ended(const char *id, int64_t at_ms, const char *cause, int sip_status)
{
	store_queue(ST_CALL_ENDED, "sisn", id, store_when(at_ms), cause, sip_status);
}

void
store_leg_insert(const struct store_leg *l)
{
	store_queue(ST_LEG_INSERT, "ssssssiiisn", l->id, l->call_id, l->kind, l->identity,
	    l->sip_call_id, l->state, l->started_ms, l->answered_ms, l->ended_ms, l->cause,
	    l->sip_status);
}

void
store_leg_answered(const char *id, int64_t at_ms)
{
	store_queue(ST_LEG_ANSWERED, "si", id, store_when(at_ms));
}

void
store_leg_ended(const char *id, int64_t at_ms, const char *cause, int sip_status)
{
	store_queue(ST_LEG_ENDED, "sisn", id, store_when(at_ms), cause, sip_status);
}

void
store_voicemail_insert(const struct store_voicemail *v)
{
	store_queue(ST_VM_INSERT, "sssssiiss", v->id, v->call_id, v->tenant, v->extension,
	    v->caller, v->created_ms, v->duration_ms, v->path, v->transcript);
}

void
store_voicemail_transcript(const char *id, const char *transcript)
{
	store_queue(ST_VM_TRANSCRIPT, "ss", id, transcript);
}

void
store_voicemail_url(const char *id, const char *url)
{
	store_queue(ST_VM_URL, "ss", id, url);
}

void
store_registration_event(const struct store_registration *r)
{
	store_queue(ST_REG_INSERT, "sisnsnsssss", r->trunk ? r->trunk : "", r->at_ms, r->state,
	    r->sip_status, r->reason, r->expires, r->extension, r->tenant, r->contact, r->source,
	    r->user_agent);
}
