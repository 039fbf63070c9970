/* ctl: the admin socket that scaidial-ctl(8) talks to. It owns the listening socket and
 * the connections; what each command does is in ctl_cmd.c.
 *
 * Protocol (a Unix stream socket, mode 0660, one request per connection):
 *
 *   request   = [ "--json" SP ] word *( SP word ) LF
 *   response  = ( "OK" LF body ) / ( "ERR" LF message ), then the server closes
 *
 * - The request line is at most CTL_MAX_REQUEST bytes, the LF included. Words are
 *   separated by single spaces (no leading, trailing or repeated ones); the first word
 *   after the optional "--json" is the command. Nothing after the LF is read.
 * - The line must be valid UTF-8 without control characters (NUL, CR, TAB, DEL, ...).
 * - The body is the command's output: aligned text columns with a header row, or with
 *   --json one JSON document (object or array). It ends with LF unless empty. `metrics`
 *   always answers Prometheus text.
 * - The message after ERR is one or more lines of text (for a refused reload one
 *   "FILE:LINE: message" line per error); --json does not change it.
 * - Fixed answers: "ERR\nrequest too long" (no LF within CTL_MAX_REQUEST bytes),
 *   "ERR\nmalformed request" (bad bytes or spacing), "ERR\nempty request (try 'help')",
 *   "ERR\nunknown command 'x' (try 'help')", "ERR\nbusy" (CTL_MAX_CLIENTS connections
 *   already open; the connection is closed at once).
 * - A client that sends no complete line within CTL_IDLE_MS, or stops reading the answer
 *   for that long, is disconnected without an answer.
 * - The peer's uid and pid (SO_PEERCRED) are logged at debug for each connection, and
 *   with every state-changing command at info.
 */
#ifndef SCAIDIAL_CTL_H
#define SCAIDIAL_CTL_H

#include <stddef.h>

#define CTL_MAX_REQUEST	4096
#define CTL_MAX_CLIENTS	64
#define CTL_IDLE_MS	10000

/* Creates the socket at path (the parent directory must exist; a stale socket file is
 * replaced, a live one is not) and starts accepting. Returns 0, or -1 with a message fit
 * for a start-up error in err. */
int	 ctl_init(const char *path, char *err, size_t errlen);
/* Closes every connection and the socket, and removes the socket file if it is ours. */
void	 ctl_fini(void);

#endif
