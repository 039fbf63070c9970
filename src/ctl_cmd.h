/* ctl_cmd: the admin commands behind the socket (help, status, reload, trunks, dids,
 * extensions, dialplans, calls, call, cdr, voicemail, metrics). Each renders either
 * aligned text or one JSON document into a buffer; ctl.c owns the connection. Commands
 * read the generation in force and the store, both from the control thread. */
#ifndef SCAIDIAL_CTL_CMD_H
#define SCAIDIAL_CTL_CMD_H

#include <stdbool.h>
#include <sys/types.h>

struct buf;

struct ctl_request {
	bool		 json;
	int		 argc;		/* >= 1: argv[0] is the command */
	char		**argv;
	uid_t		 uid;		/* the peer, for the log of state-changing commands */
	pid_t		 pid;
};

/* Runs one request. Returns 0 with the body in out (answered OK), or -1 with the error
 * message in out (answered ERR). */
int	 ctl_cmd_run(const struct ctl_request *, struct buf *out);

#endif
