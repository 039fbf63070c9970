/* store_schema: connection settings, numbered migrations and crash recovery.
 * Migrations are append-only: migration N is never edited once released, a change is a
 * new migration N+1. Each runs in its own transaction together with its schema_version
 * row, so a crash mid-migration leaves the database at N-1, and the next start retries. */
#include "store_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* Times are unix ms in INTEGER columns, NOT NULL DEFAULT 0: 0 means "not yet", as in
 * store.h, so no NULL/0 ambiguity reaches the API. Strings are nullable TEXT. */
static const char *const store_migrations[STORE_SCHEMA_VERSION] = {
	/* 1: the first schema. */
	"CREATE TABLE calls ("
	"  id                TEXT NOT NULL PRIMARY KEY,"
	"  tenant            TEXT,"
	"  direction         TEXT,"
	"  did               TEXT,"
	"  caller            TEXT,"
	"  callee            TEXT,"
	"  trunk             TEXT,"
	"  dialplan          TEXT,"
	"  rule_priority     INTEGER NOT NULL DEFAULT -1,"
	"  action            TEXT,"
	"  room              TEXT,"
	"  state             TEXT NOT NULL,"
	"  config_generation INTEGER NOT NULL DEFAULT 0,"
	"  started_ms        INTEGER NOT NULL DEFAULT 0,"
	"  answered_ms       INTEGER NOT NULL DEFAULT 0,"
	"  ended_ms          INTEGER NOT NULL DEFAULT 0,"
	"  cause             TEXT,"
	"  sip_status        INTEGER NOT NULL DEFAULT 0"
	");"
	/* Serves both "active" (ended_ms = 0 ORDER BY started_ms) and the CDR walk
	 * (ended_ms >= since ORDER BY ended_ms DESC). */
	"CREATE INDEX calls_ended ON calls (ended_ms, started_ms);"
	"CREATE INDEX calls_started ON calls (started_ms);"
	/* A leg without its call is meaningless, and deleting a call (retention) takes its
	 * legs with it. */
	"CREATE TABLE call_legs ("
	"  id          TEXT NOT NULL PRIMARY KEY,"
	"  call_id     TEXT NOT NULL REFERENCES calls (id) ON DELETE CASCADE,"
	"  kind        TEXT,"
	"  identity    TEXT,"
	"  sip_call_id TEXT,"
	"  state       TEXT NOT NULL,"
	"  started_ms  INTEGER NOT NULL DEFAULT 0,"
	"  answered_ms INTEGER NOT NULL DEFAULT 0,"
	"  ended_ms    INTEGER NOT NULL DEFAULT 0,"
	"  cause       TEXT,"
	"  sip_status  INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX call_legs_call ON call_legs (call_id, started_ms);"
	/* No foreign key on call_id: a caller's message must be kept even if the row of
	 * its call was lost (a failed write) or pruned by retention. */
	"CREATE TABLE voicemail_messages ("
	"  id          TEXT NOT NULL PRIMARY KEY,"
	"  call_id     TEXT,"
	"  tenant      TEXT,"
	"  extension   TEXT,"
	"  caller      TEXT,"
	"  created_ms  INTEGER NOT NULL DEFAULT 0,"
	"  duration_ms INTEGER NOT NULL DEFAULT 0,"
	"  path        TEXT,"
	"  transcript  TEXT"
	");"
	"CREATE INDEX voicemail_extension ON voicemail_messages (extension, created_ms);"
	"CREATE INDEX voicemail_created ON voicemail_messages (created_ms);"
	"CREATE TABLE registrations ("
	"  id         INTEGER PRIMARY KEY,"
	"  trunk      TEXT NOT NULL,"
	"  at_ms      INTEGER NOT NULL DEFAULT 0,"
	"  state      TEXT,"
	"  sip_status INTEGER NOT NULL DEFAULT 0,"
	"  reason     TEXT,"
	"  expires    INTEGER NOT NULL DEFAULT 0"
	");"
	"CREATE INDEX registrations_trunk ON registrations (trunk, at_ms);"
	"CREATE INDEX registrations_at ON registrations (at_ms);",
	/* 2: where a voicemail message was copied to (storage.s3_*). */
	"ALTER TABLE voicemail_messages ADD COLUMN url TEXT;",
	/* 3: desk phones' bindings (sip_registrar) in the same event log: their rows have
	 * trunk = '' and name the extension, its tenant, the contact, where the REGISTER came
	 * from and the phone's User-Agent. */
	"ALTER TABLE registrations ADD COLUMN extension TEXT;"
	"ALTER TABLE registrations ADD COLUMN tenant TEXT;"
	"ALTER TABLE registrations ADD COLUMN contact TEXT;"
	"ALTER TABLE registrations ADD COLUMN source TEXT;"
	"ALTER TABLE registrations ADD COLUMN user_agent TEXT;"
	"CREATE INDEX registrations_extension ON registrations (extension, at_ms);",
};

int64_t
store_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
store_exec(sqlite3 *db, const char *sql, const char *path, const char *what,
    char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	snprintf(err, errlen, "database %s: %s: %s", path, what,
	    msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	return -1;
}

int
store_schema_configure(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
	return store_exec(db, "PRAGMA foreign_keys = ON", path, "enabling foreign keys",
	    err, errlen);
}

/* Reads a one-column text answer (PRAGMA journal_mode returns the mode now in force). */
static int
store_pragma_text(sqlite3 *db, const char *sql, char *out, size_t outlen)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	snprintf(out, outlen, "%s", (const char *)sqlite3_column_text(st, 0) ?
	    (const char *)sqlite3_column_text(st, 0) : "");
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
store_current_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(db, "SELECT coalesce(max(version), 0) FROM schema_version",
	    -1, &st, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	*version = sqlite3_column_int(st, 0);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

static int
store_migrate_one(sqlite3 *db, int v, const char *path, char *err, size_t errlen)
{
	char what[64], sql[128];

	snprintf(what, sizeof(what), "migration %d", v);
	if (store_exec(db, "BEGIN IMMEDIATE", path, what, err, errlen) == -1)
		return -1;
	snprintf(sql, sizeof(sql),
	    "INSERT INTO schema_version (version, applied_ms) VALUES (%d, %lld)",
	    v, (long long)store_now_ms());
	if (store_exec(db, store_migrations[v - 1], path, what, err, errlen) == -1 ||
	    store_exec(db, sql, path, what, err, errlen) == -1 ||
	    store_exec(db, "COMMIT", path, what, err, errlen) == -1) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	log_info("store: %s: schema migrated to version %d", path, v);
	return 0;
}

int
store_schema_migrate(sqlite3 *db, const char *path, int *version, char *err,
    size_t errlen)
{
	char mode[32];
	int v;

	/* The first statement that reads the file: a file that is not SQLite fails here
	 * ("file is not a database") and is left untouched. */
	if (store_pragma_text(db, "PRAGMA journal_mode = WAL", mode, sizeof(mode)) == -1) {
		snprintf(err, errlen, "database %s: %s", path, sqlite3_errmsg(db));
		return -1;
	}
	if (strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "database %s: cannot use WAL journal (mode is %s)",
		    path, mode);
		return -1;
	}
	/* WAL + synchronous=NORMAL: a commit is in the WAL file (in the page cache) when
	 * COMMIT returns, so it survives the process crashing or being killed -9. The WAL
	 * is fsynced only at checkpoints, so a power loss or kernel crash can lose the last
	 * commits (never corrupt the database). Call records are worth that trade: FULL
	 * would fsync on every commit. */
	if (store_exec(db, "PRAGMA synchronous = NORMAL", path, "setting synchronous",
	    err, errlen) == -1)
		return -1;
	/* A big batch grows the WAL; give the space back after the next checkpoint. */
	if (store_exec(db, "PRAGMA journal_size_limit = 67108864", path,
	    "setting journal_size_limit", err, errlen) == -1)
		return -1;
	if (store_exec(db, "CREATE TABLE IF NOT EXISTS schema_version ("
	    " version INTEGER NOT NULL PRIMARY KEY,"
	    " applied_ms INTEGER NOT NULL)", path, "creating schema_version", err,
	    errlen) == -1)
		return -1;
	if (store_current_version(db, &v) == -1) {
		snprintf(err, errlen, "database %s: reading schema_version: %s", path,
		    sqlite3_errmsg(db));
		return -1;
	}
	if (v > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "database %s: schema version %d is newer than "
		    "this scaidial supports (%d)", path, v, STORE_SCHEMA_VERSION);
		return -1;
	}
	for (v++; v <= STORE_SCHEMA_VERSION; v++)
		if (store_migrate_one(db, v, path, err, errlen) == -1)
			return -1;
	*version = STORE_SCHEMA_VERSION;
	return 0;
}

int
store_schema_recover(sqlite3 *db, const char *path, int64_t now_ms, int *recovered,
    char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int calls = 0, rc = -1;

	if (store_exec(db, "BEGIN IMMEDIATE", path, "crash recovery", err, errlen) == -1)
		return -1;
	/* Nothing is live before the writer starts, so every open call and every open leg
	 * (even of an already-ended call) is a leftover of the previous run. */
	if (sqlite3_prepare_v2(db, "UPDATE calls SET ended_ms = ?1, state = 'ended',"
	    " cause = 'daemon_restart' WHERE ended_ms = 0", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	calls = sqlite3_changes(db);
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(db, "UPDATE call_legs SET ended_ms = ?1, state = 'ended',"
	    " cause = 'daemon_restart' WHERE ended_ms = 0", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	if (store_exec(db, "COMMIT", path, "crash recovery", err, errlen) == -1)
		goto out;
	/* The caller logs the count: it is the operator's line, once per start. */
	*recovered = calls;
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "database %s: crash recovery: %s", path, sqlite3_errmsg(db));
out:
	sqlite3_finalize(st);
	if (rc == -1)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}
