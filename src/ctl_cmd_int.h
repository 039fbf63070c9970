/* ctl_cmd_int: shared by the command files (ctl_cmd.c: dispatch, help, status, reload,
 * metrics; ctl_cmd_config.c: what the configuration holds; ctl_cmd_calls.c: what the
 * store holds). Not for other modules. */
#ifndef SCAIDIAL_CTL_CMD_INT_H
#define SCAIDIAL_CTL_CMD_INT_H

#include <stdint.h>

#include "ctl_cmd.h"

struct buf;
struct json;

/* Replaces whatever out holds with the message; returns -1 for `return ctl_cmd_err()`. */
int	 ctl_cmd_err(struct buf *out, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Checks a finished JSON document: 0, or -1 with an error in out (a bug, logged). */
int	 ctl_cmd_json_done(struct json *, struct buf *out);

int	 ctl_cmd_trunks(const struct ctl_request *, struct buf *);
int	 ctl_cmd_dids(const struct ctl_request *, struct buf *);
int	 ctl_cmd_extensions(const struct ctl_request *, struct buf *);
int	 ctl_cmd_dialplans(const struct ctl_request *, struct buf *);
/* ctl_cmd_regs.c: desk phones' bindings (sip_registrar). */
int	 ctl_cmd_registrations(const struct ctl_request *, struct buf *);

int	 ctl_cmd_calls(const struct ctl_request *, struct buf *);
int	 ctl_cmd_call(const struct ctl_request *, struct buf *);
int	 ctl_cmd_hangup(const struct ctl_request *, struct buf *);
int	 ctl_cmd_originate(const struct ctl_request *, struct buf *);
int	 ctl_cmd_transfer(const struct ctl_request *, struct buf *);
int	 ctl_cmd_cdr(const struct ctl_request *, struct buf *);
int	 ctl_cmd_voicemail(const struct ctl_request *, struct buf *);
/* Calls in progress, or -1 when the store cannot say. */
int	 ctl_cmd_calls_active_count(void);

#endif
