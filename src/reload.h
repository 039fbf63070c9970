/* reload: owns the configuration generation in force and every way to change it: inotify
 * on every file loaded (and the directories holding them), SIGHUP, and the admin socket.
 * A new generation is parsed and validated whole; only a valid one replaces the current. */
#ifndef SCAIDIAL_RELOAD_H
#define SCAIDIAL_RELOAD_H

#include <stdint.h>

#include "config.h"

/* Installs the first generation (valid, loaded by the caller; takes its reference) and
 * starts watching its files. */
int	 reload_init(const char *config_path, struct config *);
void	 reload_fini(void);

/* The generation in force. Borrowed: config_ref() it to keep it across loop turns. */
struct config *reload_current(void);

/* Re-reads the configuration now. origin names the trigger in the log ("inotify",
 * "SIGHUP", "ctl"). Returns 0 when the files are valid (swapped in, or unchanged); -1 when
 * refused, with the errors in *errs (caller frees) if errs is not NULL. */
int	 reload_run(const char *origin, struct config_errors *errs);

struct reload_status {
	uint64_t	 generation;
	int64_t		 loaded_ms;		/* when the generation in force was installed */
	uint64_t	 reloads_ok;		/* swaps, not counting the first load */
	uint64_t	 reloads_unchanged;
	uint64_t	 reloads_refused;
	const struct config_errors *last_errors;	/* of the last refusal, NULL if none since */
	int64_t		 last_error_ms;
};
void	 reload_get_status(struct reload_status *);

/* Called after each swap, old and new both alive during the call, so subsystems can start,
 * stop or refresh only what changed (SIP registrations, listeners). */
typedef void	reload_hook(const struct config *oldc, const struct config *newc, void *arg);
void	 reload_add_hook(reload_hook *, void *arg);

#endif
