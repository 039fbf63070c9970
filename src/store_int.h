/* store_int.h: what store.c, store_schema.c and store_read.c share; not for other modules. */
#ifndef SCAIDIAL_STORE_INT_H
#define SCAIDIAL_STORE_INT_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* The newest schema this binary knows; migrations 1..STORE_SCHEMA_VERSION are in
 * store_schema.c. */
#define STORE_SCHEMA_VERSION	3

/* How long a connection waits for a lock held by another process (an operator's sqlite3
 * shell, a backup) before a statement fails with SQLITE_BUSY. */
#define STORE_BUSY_TIMEOUT_MS	5000

int64_t	 store_now_ms(void);

/* Connection set-up common to the writer and the reader: busy timeout, foreign keys. */
int	 store_schema_configure(sqlite3 *, const char *path, char *err, size_t errlen);
/* Writer connection only: WAL, synchronous, then every pending migration. *version gets
 * the schema version now in force. */
int	 store_schema_migrate(sqlite3 *, const char *path, int *version,
	    char *err, size_t errlen);
/* Closes calls and legs left open by a previous run; *recovered = calls closed. */
int	 store_schema_recover(sqlite3 *, const char *path, int64_t now_ms, int *recovered,
	    char *err, size_t errlen);

/* The read connection belongs to the thread that called store_open (the control loop). */
int	 store_read_open(const char *path, char *err, size_t errlen);
void	 store_read_close(void);

#endif
