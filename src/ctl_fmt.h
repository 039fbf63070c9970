/* ctl_fmt: the pieces of the admin commands' output that need no daemon state: aligned
 * text tables, times and durations, and the parsing of command arguments (ISO-8601
 * times, bounded counts). Kept apart so the unit test links nothing else. */
#ifndef SCAIDIAL_CTL_FMT_H
#define SCAIDIAL_CTL_FMT_H

#include <stddef.h>
#include <stdint.h>

struct buf;

/* A table of strings, rendered with a header row and columns padded to their widest cell
 * (counted in characters, not bytes). Cells are copied when added. */
struct ctl_table {
	size_t		 ncols;
	size_t		 nrows;		/* the header included */
	size_t		 cap;
	char		**cells;	/* nrows * ncols */
	size_t		*width;
	const char	*indent;
};

void	 ctl_table_init(struct ctl_table *, size_t ncols, const char *const *header);
/* ncols cells; NULL or "" shows as "-". */
void	 ctl_table_row(struct ctl_table *, const char *const *cells);
/* Appends the table (one line per row) to b and frees the table. */
void	 ctl_table_render(struct ctl_table *, struct buf *);
void	 ctl_table_free(struct ctl_table *);

/* "2026-11-24T09:00:00Z" for unix ms (UTC); "-" for 0. */
void	 ctl_fmt_time(struct buf *, int64_t ms);
char	*ctl_fmt_time_str(int64_t ms, char *out, size_t outlen);
/* "3d 4h 5m 6s", "2m 3s", "0s" for a count of seconds. */
char	*ctl_fmt_duration(int64_t seconds, char *out, size_t outlen);
/* Human size-limited copy: at most max characters, "..." appended when cut. */
char	*ctl_fmt_trunc(const char *s, size_t max, char *out, size_t outlen);

/* ISO-8601 in UTC or with an offset: YYYY-MM-DD, YYYY-MM-DDTHH:MM, YYYY-MM-DDTHH:MM:SS,
 * optional fraction, optional Z or +HH:MM / -HH:MM (none = UTC); ' ' for 'T' accepted.
 * Returns 0 and unix ms, or -1. */
int	 ctl_parse_time(const char *, int64_t *ms);
/* A decimal count in [min, max]: 0 or -1. */
int	 ctl_parse_count(const char *, long min, long max, long *out);

#endif
