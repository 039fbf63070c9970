/* store_read: the read side. Its connection belongs to the thread that opened the store
 * (the control loop, which answers scaidial-ctl); in WAL mode its reads see the last
 * commit and never wait for the writer. Every walk is bounded by a LIMIT. Statements are
 * prepared per call, not cached: reads are rare (an operator's command) and this way a
 * callback may itself call another read. */
#include "store.h"

#include <stdio.h>

#include "log.h"
#include "store_int.h"

/* The most rows one walk hands over, also the bound of store_calls_active. */
#define STORE_READ_MAX		10000
/* The control loop must not stall long; a reader is blocked only in rare WAL recovery. */
#define STORE_READ_BUSY_MS	250

static sqlite3 *store_rdb;

int
store_read_open(const char *path, char *err, size_t errlen)
{
	if (sqlite3_open_v2(path, &store_rdb, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: read connection: %s", path,
		    store_rdb ? sqlite3_errmsg(store_rdb) : "out of memory");
		goto fail;
	}
	if (store_schema_configure(store_rdb, path, err, errlen) == -1)
		goto fail;
	sqlite3_busy_timeout(store_rdb, STORE_READ_BUSY_MS);
	/* A bug that wrote through this connection would bypass the writer's ordering. */
	if (sqlite3_exec(store_rdb, "PRAGMA query_only = 1", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "database %s: read connection: %s", path,
		    sqlite3_errmsg(store_rdb));
		goto fail;
	}
	return 0;
fail:
	store_read_close();
	return -1;
}

void
store_read_close(void)
{
	sqlite3_close(store_rdb);
	store_rdb = NULL;
}

static sqlite3_stmt *
store_prepare(const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (store_rdb == NULL) {
		log_error("store: read while the store is not open");
		return NULL;
	}
	if (sqlite3_prepare_v2(store_rdb, sql, -1, &st, NULL) != SQLITE_OK) {
		log_error("store: read failed: %s", sqlite3_errmsg(store_rdb));
		return NULL;
	}
	return st;
}

static int
store_limit(int limit)
{
	return limit <= 0 || limit > STORE_READ_MAX ? STORE_READ_MAX : limit;
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

#define CALL_COLUMNS "id, tenant, direction, did, caller, callee, trunk, dialplan," \
	" rule_priority, action, room, state, config_generation, started_ms, answered_ms," \
	" ended_ms, cause, sip_status"

static void
store_call_row(sqlite3_stmt *st, struct store_call *c)
{
	c->id = col_text(st, 0);
	c->tenant = col_text(st, 1);
	c->direction = col_text(st, 2);
	c->did = col_text(st, 3);
	c->caller = col_text(st, 4);
	c->callee = col_text(st, 5);
	c->trunk = col_text(st, 6);
	c->dialplan = col_text(st, 7);
	c->rule_priority = sqlite3_column_int(st, 8);
	c->action = col_text(st, 9);
	c->room = col_text(st, 10);
	c->state = col_text(st, 11);
	c->config_generation = (uint64_t)sqlite3_column_int64(st, 12);
	c->started_ms = sqlite3_column_int64(st, 13);
	c->answered_ms = sqlite3_column_int64(st, 14);
	c->ended_ms = sqlite3_column_int64(st, 15);
	c->cause = col_text(st, 16);
	c->sip_status = sqlite3_column_int(st, 17);
}

static void
store_leg_row(sqlite3_stmt *st, struct store_leg *l)
{
	l->id = col_text(st, 0);
	l->call_id = col_text(st, 1);
	l->kind = col_text(st, 2);
	l->identity = col_text(st, 3);
	l->sip_call_id = col_text(st, 4);
	l->state = col_text(st, 5);
	l->started_ms = sqlite3_column_int64(st, 6);
	l->answered_ms = sqlite3_column_int64(st, 7);
	l->ended_ms = sqlite3_column_int64(st, 8);
	l->cause = col_text(st, 9);
	l->sip_status = sqlite3_column_int(st, 10);
}

static void
store_voicemail_row(sqlite3_stmt *st, struct store_voicemail *v)
{
	v->id = col_text(st, 0);
	v->call_id = col_text(st, 1);
	v->tenant = col_text(st, 2);
	v->extension = col_text(st, 3);
	v->caller = col_text(st, 4);
	v->created_ms = sqlite3_column_int64(st, 5);
	v->duration_ms = sqlite3_column_int64(st, 6);
	v->path = col_text(st, 7);
	v->transcript = col_text(st, 8);
	v->url = col_text(st, 9);
}

static void
store_registration_row(sqlite3_stmt *st, struct store_registration *r)
{
	r->trunk = col_text(st, 0);
	r->at_ms = sqlite3_column_int64(st, 1);
	r->state = col_text(st, 2);
	r->sip_status = sqlite3_column_int(st, 3);
	r->reason = col_text(st, 4);
	r->expires = sqlite3_column_int(st, 5);
}

/* One walk's callback; which member is used depends on the table read. */
struct store_cbs {
	store_call_cb		*call;
	store_leg_cb		*leg;
	store_voicemail_cb	*voicemail;
	store_registration_cb	*registration;
};

/* Hands one row to the callback that matches it; returns the callback's answer. */
static int
store_hand(sqlite3_stmt *st, const struct store_cbs *cbs, void *arg)
{
	if (cbs->call != NULL) {
		struct store_call c;

		store_call_row(st, &c);
		return cbs->call(&c, arg);
	}
	if (cbs->leg != NULL) {
		struct store_leg l;

		store_leg_row(st, &l);
		return cbs->leg(&l, arg);
	}
	if (cbs->voicemail != NULL) {
		struct store_voicemail v;

		store_voicemail_row(st, &v);
		return cbs->voicemail(&v, arg);
	}
	if (cbs->registration != NULL) {
		struct store_registration r;

		store_registration_row(st, &r);
		return cbs->registration(&r, arg);
	}
	return 0;	/* no callback: only counting */
}

/* Steps st to the end (or until the callback says stop) and finalizes it. *n counts the
 * rows handed over; returns 0, 1 when the callback stopped the walk, -1 on error. */
static int
store_walk(sqlite3_stmt *st, const struct store_cbs *cbs, void *arg, int *n)
{
	int rc = SQLITE_DONE, stop = 0;

	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		(*n)++;
		stop = store_hand(st, cbs, arg) != 0;
	}
	if (!stop && rc != SQLITE_DONE) {
		log_error("store: read failed: %s", sqlite3_errmsg(store_rdb));
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return stop;
}

int
store_calls_active(store_call_cb *cb, void *arg)
{
	sqlite3_stmt *st;
	int n = 0;

	st = store_prepare("SELECT " CALL_COLUMNS " FROM calls WHERE ended_ms = 0"
	    " ORDER BY started_ms, rowid LIMIT ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, STORE_READ_MAX);
	return store_walk(st, &(struct store_cbs){ .call = cb }, arg, &n) == -1 ? -1 : n;
}

/* Calls that ended at or after since_ms, the most recently ended first. */
int
store_calls_finished(int64_t since_ms, int limit, store_call_cb *cb, void *arg)
{
	sqlite3_stmt *st;
	int n = 0;

	st = store_prepare("SELECT " CALL_COLUMNS " FROM calls WHERE ended_ms > 0"
	    " AND ended_ms >= ?1 ORDER BY ended_ms DESC, started_ms DESC LIMIT ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, since_ms);
	sqlite3_bind_int(st, 2, store_limit(limit));
	return store_walk(st, &(struct store_cbs){ .call = cb }, arg, &n) == -1 ? -1 : n;
}

/* Returns the rows handed over: 0 when there is no such call, else 1 + its legs. */
int
store_call_get(const char *id, store_call_cb *ccb, store_leg_cb *lcb, void *arg)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	st = store_prepare("SELECT " CALL_COLUMNS " FROM calls WHERE id = ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	if ((rc = store_walk(st, &(struct store_cbs){ .call = ccb }, arg, &n)) != 0)
		return rc == -1 ? -1 : n;
	if (n == 0)
		return 0;
	st = store_prepare("SELECT id, call_id, kind, identity, sip_call_id, state,"
	    " started_ms, answered_ms, ended_ms, cause, sip_status FROM call_legs"
	    " WHERE call_id = ?1 ORDER BY started_ms, rowid LIMIT ?2");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, STORE_READ_MAX);
	return store_walk(st, &(struct store_cbs){ .leg = lcb }, arg, &n) == -1 ? -1 : n;
}

/* extension NULL: every extension. Newest first. */
int
store_voicemail_list(const char *extension, int limit, store_voicemail_cb *cb, void *arg)
{
	sqlite3_stmt *st;
	int n = 0;

	/* Two statements rather than "?1 IS NULL OR ...", which would defeat the index. */
	if (extension != NULL)
		st = store_prepare("SELECT id, call_id, tenant, extension, caller, created_ms,"
		    " duration_ms, path, transcript, url FROM voicemail_messages WHERE extension = ?2"
		    " ORDER BY created_ms DESC, rowid DESC LIMIT ?1");
	else
		st = store_prepare("SELECT id, call_id, tenant, extension, caller, created_ms,"
		    " duration_ms, path, transcript, url FROM voicemail_messages"
		    " ORDER BY created_ms DESC, rowid DESC LIMIT ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, store_limit(limit));
	if (extension != NULL)
		sqlite3_bind_text(st, 2, extension, -1, SQLITE_TRANSIENT);
	return store_walk(st, &(struct store_cbs){ .voicemail = cb }, arg, &n) == -1 ? -1 : n;
}

/* trunk NULL: every trunk. Newest first. */
int
store_registrations_recent(const char *trunk, int limit, store_registration_cb *cb,
    void *arg)
{
	sqlite3_stmt *st;
	int n = 0;

	if (trunk != NULL)
		st = store_prepare("SELECT trunk, at_ms, state, sip_status, reason, expires"
		    " FROM registrations WHERE trunk = ?2 ORDER BY at_ms DESC, id DESC"
		    " LIMIT ?1");
	else
		st = store_prepare("SELECT trunk, at_ms, state, sip_status, reason, expires"
		    " FROM registrations ORDER BY at_ms DESC, id DESC LIMIT ?1");
	if (st == NULL)
		return -1;
	sqlite3_bind_int(st, 1, store_limit(limit));
	if (trunk != NULL)
		sqlite3_bind_text(st, 2, trunk, -1, SQLITE_TRANSIENT);
	return store_walk(st, &(struct store_cbs){ .registration = cb }, arg, &n) == -1 ? -1 : n;
}
