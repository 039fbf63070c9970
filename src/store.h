/* store: call records, legs, voicemail and registration events in SQLite (WAL).
 * Writes are queued and carried out by one writer thread, so the control loop never waits
 * on the disk; reads use their own connection and are bounded (LIMIT). Times are unix ms
 * throughout; 0 means "not yet". Strings passed in are copied before the call returns. */
#ifndef SCAIDIAL_STORE_H
#define SCAIDIAL_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store_call {
	const char	*id;
	const char	*tenant;
	const char	*direction;	/* "inbound" | "outbound" */
	const char	*did;
	const char	*caller;
	const char	*callee;
	const char	*trunk;
	const char	*dialplan;
	int		 rule_priority;	/* -1 when no rule */
	const char	*action;
	const char	*room;
	const char	*state;		/* "ringing", "answered", "ended", ... */
	uint64_t	 config_generation;
	int64_t		 started_ms;
	int64_t		 answered_ms;
	int64_t		 ended_ms;
	const char	*cause;		/* why it ended: "caller_bye", "daemon_restart", ... */
	int		 sip_status;
};

struct store_leg {
	const char	*id;
	const char	*call_id;
	const char	*kind;		/* "sip" | "wave" | "bot" | "voicemail" | "forward" */
	const char	*identity;	/* LiveKit identity or SIP URI */
	const char	*sip_call_id;
	const char	*state;
	int64_t		 started_ms;
	int64_t		 answered_ms;
	int64_t		 ended_ms;
	const char	*cause;
	int		 sip_status;
};

struct store_voicemail {
	const char	*id;
	const char	*call_id;
	const char	*tenant;
	const char	*extension;
	const char	*caller;
	int64_t		 created_ms;
	int64_t		 duration_ms;
	const char	*path;
	const char	*transcript;	/* NULL until known */
	const char	*url;		/* of the uploaded copy; NULL until uploaded */
};

/* A trunk's binding at its carrier, or (trunk NULL or "", extension set) a desk phone's
 * binding with us: "registered", "unregistered", "expired", "dropped" (by a reload). */
struct store_registration {
	const char	*trunk;
	int64_t		 at_ms;
	const char	*state;		/* "registering" | "registered" | "failed" | "unregistered" */
	int		 sip_status;
	const char	*reason;
	int		 expires;
	const char	*extension;	/* desk phones only; NULL for trunks */
	const char	*tenant;
	const char	*contact;
	const char	*source;	/* "ADDR:PORT/transport" the REGISTER came from */
	const char	*user_agent;
};

/* Opens (creating) the database, sets WAL, runs pending migrations, closes calls and legs
 * left open by a crash with cause "daemon_restart" (count in *recovered), starts the writer.
 * Returns 0, or -1 with a message in err fit for a start-up error. */
int	 store_open(const char *path, int *recovered, char *err, size_t errlen);
/* Writes everything queued, stops the writer, closes. */
void	 store_close(void);
/* Blocks until every write queued before the call is on disk (tests, shutdown). */
void	 store_flush(void);
int	 store_schema_version(void);

/* Writes are queued and never fail to the caller; failures are logged and counted
 * (store_stats). "answered" and "ended" apply once: the first wins, later ones are
 * ignored; both set state ("answered", "ended"); a time of 0 means now. set_state is
 * ignored once the call has ended. */
void	 store_call_insert(const struct store_call *);
void	 store_call_set_state(const char *id, const char *state);
void	 store_call_answered(const char *id, int64_t at_ms);
void	 store_call_ended(const char *id, int64_t at_ms, const char *cause, int sip_status);
void	 store_leg_insert(const struct store_leg *);
void	 store_leg_answered(const char *id, int64_t at_ms);
void	 store_leg_ended(const char *id, int64_t at_ms, const char *cause, int sip_status);
void	 store_voicemail_insert(const struct store_voicemail *);
void	 store_voicemail_transcript(const char *id, const char *transcript);
/* Where a copy of the message was uploaded (S3 object URL). */
void	 store_voicemail_url(const char *id, const char *url);
void	 store_registration_event(const struct store_registration *);

/* Reads. Each row is handed to the callback and valid only during it; a non-zero return
 * from the callback stops the walk. Functions return the number of rows, or -1.
 * Call them from the thread that called store_open (the read connection is its own).
 * A NULL callback only counts. limit <= 0, or above 10000, means 10000. */
typedef int	store_call_cb(const struct store_call *, void *);
typedef int	store_leg_cb(const struct store_leg *, void *);
typedef int	store_voicemail_cb(const struct store_voicemail *, void *);
typedef int	store_registration_cb(const struct store_registration *, void *);

int	 store_calls_active(store_call_cb *, void *);		/* ended_ms = 0, oldest first */
/* Calls with ended_ms >= since_ms, the most recently ended first. */
int	 store_calls_finished(int64_t since_ms, int limit, store_call_cb *, void *);	/* newest first */
/* The call, then its legs by started_ms; returns 0 for no such call, else 1 + legs. */
int	 store_call_get(const char *id, store_call_cb *, store_leg_cb *, void *);
/* extension / trunk NULL: all of them. Newest first. */
int	 store_voicemail_list(const char *extension, int limit, store_voicemail_cb *, void *);
int	 store_registrations_recent(const char *trunk, int limit, store_registration_cb *, void *);

/* Figures for metrics: writes queued now and written since start. */
void	 store_stats(uint64_t *queued, uint64_t *written, uint64_t *failed);

#endif
