/* Unit tests of the store: schema and WAL on a fresh database, every write and read,
 * failed writes, crash recovery, refusals at open (too-new schema, not SQLite, missing or
 * unwritable directory), 10,000 queued writes with reads in between, odd strings. */
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "tap.h"

static char tmpdir[] = "/tmp/scaidial-test-store.XXXXXX";
static char dbpath[512];

static const char odd[] = "O'Brien \"Bob\"; DROP TABLE calls; -- Zoë 日本語 🎉 \\ %s %n";

/* Rows collected by the callbacks, copied since they are valid only during the call. */
struct seen {
	int	 n;
	char	 ids[16][64];
	char	 state[16][32];
	char	 cause[16][32];
	char	 text[16][256];
	int64_t	 t[16];		/* answered_ms, ended_ms, created_ms or at_ms */
	int	 stop_after;
};

static void
seen_put(struct seen *s, const char *id, const char *state, const char *cause,
    const char *text, int64_t t)
{
	if (s->n < 16) {
		snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", id ? id : "(null)");
		snprintf(s->state[s->n], sizeof(s->state[0]), "%s", state ? state : "(null)");
		snprintf(s->cause[s->n], sizeof(s->cause[0]), "%s", cause ? cause : "(null)");
		snprintf(s->text[s->n], sizeof(s->text[0]), "%s", text ? text : "(null)");
		s->t[s->n] = t;
	}
	s->n++;
}

static int
call_cb(const struct store_call *c, void *arg)
{
	struct seen *s = arg;

	seen_put(s, c->id, c->state, c->cause, c->caller, c->ended_ms);
	return s->stop_after > 0 && s->n >= s->stop_after;
}

static int
leg_cb(const struct store_leg *l, void *arg)
{
	struct seen *s = arg;

	seen_put(s, l->id, l->state, l->cause, l->identity, l->ended_ms);
	return 0;
}

static int
vm_url_cb(const struct store_voicemail *v, void *arg)
{
	seen_put(arg, v->id, NULL, NULL, v->url, 0);
	return 0;
}

static int
vm_cb(const struct store_voicemail *v, void *arg)
{
	seen_put(arg, v->id, v->extension, v->caller, v->transcript, v->created_ms);
	return 0;
}

static int
reg_cb(const struct store_registration *r, void *arg)
{
	seen_put(arg, r->trunk, r->state, r->reason, NULL, r->at_ms);
	return 0;
}

static int
rm_one(const char *p, const struct stat *sb, int flag, struct FTW *f)
{
	(void)sb; (void)flag; (void)f;
	return remove(p);
}

/* Runs one SQL statement on a private connection; the first column of the first row (as
 * text) goes to out. */
static int
sql1(const char *path, const char *sql, char *out, size_t outlen)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1, step;

	if (out != NULL)
		*out = '\0';
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto out;
	step = sqlite3_step(st);
	if (step == SQLITE_ROW && out != NULL)
		snprintf(out, outlen, "%s", sqlite3_column_text(st, 0) ?
		    (const char *)sqlite3_column_text(st, 0) : "");
	rc = step == SQLITE_ROW || step == SQLITE_DONE ? 0 : -1;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

static void
call(const char *id, int64_t started, const char *caller)
{
	struct store_call c = {
		.id = id, .tenant = "acme", .direction = "inbound", .did = "+15551230001",
		.caller = caller, .callee = "+15551230001", .trunk = "t1",
		.dialplan = "main", .rule_priority = 10, .action = "ring_extension",
		.room = "room-1", .state = "ringing", .config_generation = 3,
		.started_ms = started,
	};

	store_call_insert(&c);
}

static void
leg(const char *id, const char *call_id, const char *kind, int64_t started)
{
	struct store_leg l = {
		.id = id, .call_id = call_id, .kind = kind, .identity = kind,
		.sip_call_id = "abc@host", .state = "ringing", .started_ms = started,
	};

	store_leg_insert(&l);
}

static void
test_fresh(void)
{
	char err[512], out[64];
	int rec = -1;

	is_int(store_open(dbpath, &rec, err, sizeof(err)), 0, "fresh database opens");
	is_int(rec, 0, "nothing to recover in a fresh database");
	is_int(store_schema_version(), 3, "schema version 3");
	sql1(dbpath, "PRAGMA journal_mode", out, sizeof(out));
	is_str(out, "wal", "journal mode is WAL");
	sql1(dbpath, "SELECT max(version) FROM schema_version", out, sizeof(out));
	is_str(out, "3", "schema_version holds version 3");
	sql1(dbpath, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN"
	    " ('calls', 'call_legs', 'voicemail_messages', 'registrations')", out,
	    sizeof(out));
	is_str(out, "4", "the four tables exist");
	sql1(dbpath, "SELECT applied_ms > 1600000000000 FROM schema_version", out,
	    sizeof(out));
	is_str(out, "1", "applied_ms is unix ms");
}

static void
test_calls(void)
{
	struct seen s;
	uint64_t q, w, f;

	call("c1", 1000, "+15550000001");
	call("c2", 2000, "+15550000002");
	call("c3", 3000, "+15550000003");
	leg("c1-wave", "c1", "wave", 1500);	/* queued first, started later */
	leg("c1-sip", "c1", "sip", 1000);
	store_call_answered("c1", 1100);
	store_leg_answered("c1-sip", 1100);
	store_call_set_state("c1", "bridged");
	store_call_ended("c2", 2500, "caller_bye", 200);
	store_call_ended("c3", 5000, "no_answer", 480);
	store_call_ended("c3", 6000, "caller_bye", 200);	/* first end wins */
	store_flush();
	store_stats(&q, &w, &f);
	is_int(q, 0, "nothing queued after flush");
	is_int(w, 11, "11 writes done");
	is_int(f, 0, "no write failed");

	memset(&s, 0, sizeof(s));
	is_int(store_calls_active(call_cb, &s), 1, "one active call");
	is_str(s.ids[0], "c1", "the active call is c1");
	is_str(s.state[0], "bridged", "set_state after answer took effect");

	memset(&s, 0, sizeof(s));
	is_int(store_calls_finished(0, 10, call_cb, &s), 2, "two finished calls");
	is_str(s.ids[0], "c3", "newest first: c3");
	is_str(s.ids[1], "c2", "then c2");
	is_int(s.t[0], 5000, "c3 ended at 5000 (the second end was ignored)");
	is_str(s.cause[0], "no_answer", "c3 keeps its first cause");
	is_str(s.state[1], "ended", "an ended call has state ended");

	memset(&s, 0, sizeof(s));
	is_int(store_calls_finished(3000, 10, call_cb, &s), 1, "since 3000: one call");
	is_str(s.ids[0], "c3", "since 3000: c3");
	memset(&s, 0, sizeof(s));
	is_int(store_calls_finished(0, 1, call_cb, &s), 1, "limit 1: one call");
	is_str(s.ids[0], "c3", "limit 1: the newest");
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	is_int(store_calls_finished(0, 10, call_cb, &s), 1, "a non-zero callback stops");

	memset(&s, 0, sizeof(s));
	is_int(store_call_get("c1", call_cb, leg_cb, &s), 3, "call_get: call + 2 legs");
	is_str(s.ids[0], "c1", "the call row comes first");
	is_str(s.ids[1], "c1-sip", "legs by started_ms: sip");
	is_str(s.ids[2], "c1-wave", "then wave");
	is_str(s.state[1], "answered", "the answered leg says so");
	is_str(s.state[2], "ringing", "the other leg still rings");
	memset(&s, 0, sizeof(s));
	is_int(store_call_get("nope", call_cb, leg_cb, &s), 0, "unknown call: 0 rows");
	is_int(s.n, 0, "unknown call: no callback");
}

static struct store_call got;
static char gotbuf[18][128];

static int
copy_call(const struct store_call *c, void *arg)
{
	const char *in[] = { c->id, c->tenant, c->direction, c->did, c->caller, c->callee,
	    c->trunk, c->dialplan, c->action, c->room, c->state, c->cause };
	const char **outp[] = { &got.id, &got.tenant, &got.direction, &got.did,
	    &got.caller, &got.callee, &got.trunk, &got.dialplan, &got.action, &got.room,
	    &got.state, &got.cause };

	(void)arg;
	got = *c;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		snprintf(gotbuf[i], sizeof(gotbuf[i]), "%s", in[i] ? in[i] : "(null)");
		*outp[i] = gotbuf[i];
	}
	return 0;
}

static void
test_fields(void)
{
	store_call_answered("c1", 0);	/* already answered: ignored */
	store_flush();
	is_int(store_call_get("c1", copy_call, NULL, NULL), 3, "call_get without leg cb");
	is_str(got.tenant, "acme", "tenant");
	is_str(got.direction, "inbound", "direction");
	is_str(got.did, "+15551230001", "did");
	is_str(got.callee, "+15551230001", "callee");
	is_str(got.trunk, "t1", "trunk");
	is_str(got.dialplan, "main", "dialplan");
	is_int(got.rule_priority, 10, "rule_priority");
	is_str(got.action, "ring_extension", "action");
	is_str(got.room, "room-1", "room");
	is_int(got.config_generation, 3, "config_generation");
	is_int(got.started_ms, 1000, "started_ms");
	is_int(got.answered_ms, 1100, "answered_ms kept from the first answer");
	is_int(got.ended_ms, 0, "ended_ms 0 = not yet");
	is_str(got.cause, "(null)", "no cause yet");
}

static void
test_voicemail(void)
{
	struct store_voicemail v = {
		.id = "v1", .call_id = "c2", .tenant = "acme", .extension = "1001",
		.caller = "+15550000002", .created_ms = 100, .duration_ms = 4200,
		.path = "/var/spool/scaidial/v1.wav",
	};
	struct seen s;

	store_voicemail_insert(&v);
	v.id = "v2", v.created_ms = 200, v.call_id = NULL;
	store_voicemail_insert(&v);
	v.id = "v3", v.extension = "1002", v.created_ms = 300, v.transcript = "already";
	store_voicemail_insert(&v);
	store_voicemail_transcript("v1", odd);
	store_flush();

	memset(&s, 0, sizeof(s));
	is_int(store_voicemail_list("1001", 10, vm_cb, &s), 2, "two messages for 1001");
	is_str(s.ids[0], "v2", "newest first: v2");
	is_str(s.ids[1], "v1", "then v1");
	is_str(s.text[0], "(null)", "v2 has no transcript yet (NULL)");
	is_str(s.text[1], odd, "v1's transcript round-trips quotes and unicode");
	memset(&s, 0, sizeof(s));
	is_int(store_voicemail_list(NULL, 10, vm_cb, &s), 3, "NULL extension: all three");
	is_str(s.ids[0], "v3", "all: newest first");
	is_str(s.text[0], "already", "transcript given at insert");
	memset(&s, 0, sizeof(s));
	is_int(store_voicemail_list("1001", 1, vm_cb, &s), 1, "limit 1");
	is_int(store_voicemail_list("9999", 10, vm_cb, &s), 0, "no messages for 9999");

	store_voicemail_url("v1", "http://127.0.0.1:9/b/v1.wav");
	store_flush();
	memset(&s, 0, sizeof(s));
	is_int(store_voicemail_list("1001", 10, vm_url_cb, &s), 2, "two messages, with urls");
	is_str(s.text[0], "(null)", "v2 was not uploaded (url NULL)");
	is_str(s.text[1], "http://127.0.0.1:9/b/v1.wav", "v1's url is stored (migration 2)");
}

static void
test_registrations(void)
{
	struct store_registration r = {
		.trunk = "t1", .at_ms = 10, .state = "registering", .expires = 3600,
	};
	struct seen s;

	store_registration_event(&r);
	r.at_ms = 20, r.state = "registered", r.sip_status = 200;
	store_registration_event(&r);
	r.trunk = "t2", r.at_ms = 15, r.state = "failed", r.sip_status = 403;
	r.reason = "Forbidden";
	store_registration_event(&r);
	store_flush();

	memset(&s, 0, sizeof(s));
	is_int(store_registrations_recent("t1", 10, reg_cb, &s), 2, "two events for t1");
	is_str(s.state[0], "registered", "newest first: registered");
	is_str(s.state[1], "registering", "then registering");
	memset(&s, 0, sizeof(s));
	is_int(store_registrations_recent(NULL, 2, reg_cb, &s), 2, "all trunks, limit 2");
	is_str(s.ids[1], "t2", "t2's event sorts between t1's");
	is_str(s.cause[1], "Forbidden", "reason kept");

	/* A desk phone's binding (sip_registrar): migration 3's columns, trunk ''. */
	char out[256];

	store_registration_event(&(struct store_registration){ .at_ms = 30,
	    .state = "registered", .expires = 60, .extension = "3001", .tenant = "acme",
	    .contact = "sip:3001@192.0.2.1:5062", .source = "192.0.2.1:5062/udp",
	    .user_agent = "phone 1.0" });
	store_flush();
	sql1(dbpath, "SELECT trunk || '|' || extension || '|' || tenant || '|' || contact ||"
	    " '|' || source || '|' || user_agent || '|' || expires FROM registrations"
	    " WHERE extension = '3001'", out, sizeof(out));
	is_str(out, "|3001|acme|sip:3001@192.0.2.1:5062|192.0.2.1:5062/udp|phone 1.0|60",
	    "a desk phone's event keeps extension, tenant, contact, source, user agent");
}

static void
test_failed_writes(void)
{
	uint64_t f0, f1, w0, w1;
	struct seen s;

	store_stats(NULL, &w0, &f0);
	call("c2", 9000, "dup");			/* duplicate id */
	leg("orphan", "no-such-call", "sip", 1);	/* foreign key */
	call("c4", 4000, odd);				/* fine, same batch or not */
	store_call_ended("c4", 4500, odd, 0);
	store_flush();
	store_stats(NULL, &w1, &f1);
	is_int(f1 - f0, 2, "two writes failed and were counted");
	is_int(w1 - w0, 2, "the other two were written");
	memset(&s, 0, sizeof(s));
	is_int(store_call_get("c4", call_cb, NULL, &s), 1, "c4 is there");
	is_str(s.text[0], odd, "caller with quotes and unicode round-trips");
	memset(&s, 0, sizeof(s));
	store_call_get("c2", call_cb, NULL, &s);
	is_str(s.text[0], "+15550000002", "the duplicate did not replace c2");
}

static void
test_load(void)
{
	char id[32];
	int reads_ok = 1, last = -1, n;
	uint64_t f0, f1, w0, w1, q;

	store_stats(NULL, &w0, &f0);
	for (int i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "load-%05d", i);
		call(id, 100000 + i, "+15550001111");
		store_call_ended(id, 200000 + i, "caller_bye", 200);
		if (i % 500 == 0) {
			/* Reads see some prefix of the writes, never go backwards. */
			n = store_calls_finished(200000, 10000, NULL, NULL);
			if (n < last || n < 0)
				reads_ok = 0;
			last = n;
		}
	}
	ok(reads_ok, "reads during the load succeed and only grow");
	store_flush();
	store_stats(&q, &w1, &f1);
	is_int(q, 0, "queue empty after flush");
	is_int(w1 - w0, 10000, "10,000 writes done");
	is_int(f1 - f0, 0, "none failed");
	is_int(store_calls_finished(200000, 10000, NULL, NULL), 5000,
	    "all 5,000 loaded calls are finished");
	is_int(store_calls_active(NULL, NULL), 1, "still one active call");
}

static void
test_recovery(void)
{
	char err[512];
	struct seen s;
	int rec = -1;

	store_call_ended("c1", 7000, "caller_bye", 200);
	store_leg_ended("c1-sip", 7000, "caller_bye", 200);	/* c1-wave stays open */
	call("c9", 8000, "+15550000009");
	leg("c9-sip", "c9", "sip", 8000);
	store_flush();
	store_close();
	store_close();		/* twice is harmless */
	is_int(store_schema_version(), 0, "closed: no schema version");
	is_int(store_calls_active(NULL, NULL), -1, "closed: reads fail");
	store_call_set_state("c1", "ghost");	/* closed: dropped, no crash */
	store_flush();				/* closed: returns */

	is_int(store_open(dbpath, &rec, err, sizeof(err)), 0, "reopens");
	is_int(rec, 1, "one call recovered");
	memset(&s, 0, sizeof(s));
	is_int(store_call_get("c9", call_cb, leg_cb, &s), 2, "c9 and its leg");
	is_str(s.state[0], "ended", "c9 ended");
	is_str(s.cause[0], "daemon_restart", "c9's cause is daemon_restart");
	ok(s.t[0] > 1600000000000LL, "c9 ended now (unix ms)");
	is_str(s.cause[1], "daemon_restart", "c9's leg closed too");
	ok(s.t[1] == s.t[0], "leg ended at the same time");
	memset(&s, 0, sizeof(s));
	store_call_get("c1", call_cb, leg_cb, &s);
	is_str(s.cause[0], "caller_bye", "c1 keeps its own cause");
	is_str(s.cause[1], "caller_bye", "c1-sip keeps its own cause");
	is_str(s.cause[2], "daemon_restart", "c1's open leg was closed");
	is_int(store_calls_active(NULL, NULL), 0, "no active call after recovery");
	store_call_set_state("c9", "ringing");
	store_call_answered("c9", 9000);
	store_flush();
	memset(&s, 0, sizeof(s));
	store_call_get("c9", call_cb, NULL, &s);
	is_str(s.state[0], "ended", "state changes after the end are ignored");
	store_close();
	is_int(store_open(dbpath, &rec, err, sizeof(err)), 0, "reopens again");
	is_int(rec, 0, "nothing more to recover");
	store_close();
}

static void
test_refusals(void)
{
	char err[512], path[600], out[64], buf[256];
	const char junk[] = "this is a text file, not a database; it must stay as it is.\n";
	FILE *fp;
	int rec;

	sql1(dbpath, "INSERT INTO schema_version VALUES (7, 0)", NULL, 0);
	is_int(store_open(dbpath, &rec, err, sizeof(err)), -1, "a too-new schema is refused");
	ok(strstr(err, "schema version 7 is newer than this scaidial supports (3)")
	    != NULL && strstr(err, dbpath) != NULL, "error says why and where: %s", err);
	is_int(store_schema_version(), 0, "refused: not open");
	sql1(dbpath, "DELETE FROM schema_version WHERE version = 7", NULL, 0);
	is_int(store_open(dbpath, &rec, err, sizeof(err)), 0, "opens once the row is gone");
	is_int(store_open(dbpath, &rec, err, sizeof(err)), -1, "a second open is refused");
	store_close();
	sql1(dbpath, "SELECT count(*) FROM calls", out, sizeof(out));
	ok(atoi(out) > 5000, "the refused opens left the data alone");

	snprintf(path, sizeof(path), "%s/junk.db", tmpdir);
	fp = fopen(path, "w");
	for (int i = 0; i < 20; i++)
		fputs(junk, fp);
	fclose(fp);
	is_int(store_open(path, &rec, err, sizeof(err)), -1, "a non-SQLite file is refused");
	ok(strstr(err, "not a database") != NULL && strstr(err, path) != NULL,
	    "error names the file and the reason: %s", err);
	fp = fopen(path, "r");
	ok(fp != NULL && fgets(buf, sizeof(buf), fp) != NULL && strcmp(buf, junk) == 0,
	    "the file is untouched");
	if (fp != NULL)
		fclose(fp);

	snprintf(path, sizeof(path), "%s/missing/dir/scaidial.db", tmpdir);
	is_int(store_open(path, &rec, err, sizeof(err)), -1, "a missing directory is refused");
	ok(strstr(err, "No such file or directory") != NULL && strstr(err, path) != NULL,
	    "error names the path and the reason: %s", err);
	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	ok(access(path, F_OK) == -1, "the directory was not created");

	snprintf(path, sizeof(path), "%s/junk.db/scaidial.db", tmpdir);
	is_int(store_open(path, &rec, err, sizeof(err)), -1, "a file as directory is refused");
	ok(strstr(err, "Not a directory") != NULL || strstr(err, "is not a directory") != NULL,
	    "error says not a directory: %s", err);

	if (geteuid() == 0) {
		ok(1, "# SKIP unwritable directory: running as root");
		ok(1, "# SKIP unwritable directory: running as root");
	} else {
		snprintf(path, sizeof(path), "%s/ro", tmpdir);
		mkdir(path, 0500);
		snprintf(path, sizeof(path), "%s/ro/scaidial.db", tmpdir);
		is_int(store_open(path, &rec, err, sizeof(err)), -1,
		    "an unwritable directory is refused");
		ok(strstr(err, "not writable") != NULL && strstr(err, path) != NULL,
		    "error says not writable: %s", err);
		snprintf(path, sizeof(path), "%s/ro", tmpdir);
		chmod(path, 0700);
	}
	is_int(store_open("", &rec, err, sizeof(err)), -1, "an empty path is refused");
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/scaidial.db", tmpdir);
	test_fresh();
	test_calls();
	test_fields();
	test_voicemail();
	test_registrations();
	test_failed_writes();
	test_load();
	test_recovery();
	test_refusals();
	nftw(tmpdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return tap_done();
}
