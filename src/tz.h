/* tz: IANA time zones read from the system's TZif files (/usr/share/zoneinfo, or $TZDIR),
 * so that the dialplan can turn an instant into local wall time for any zone without
 * touching the process-wide TZ (which is neither thread-safe nor per-rule). */
#ifndef SCAIDIAL_TZ_H
#define SCAIDIAL_TZ_H

#include <stddef.h>
#include <stdint.h>

struct tz;

/* name: "UTC", "America/New_York", ... (no paths, no ".."). On failure returns -1 and a
 * message in err ("unknown time zone 'Mars/Base'"). */
int	 tz_load(const char *name, struct tz **, char *err, size_t errlen);
void	 tz_free(struct tz *);
const char *tz_name(const struct tz *);
/* Seconds east of UTC in force at unix time t (DST included). */
int32_t	 tz_offset(const struct tz *, int64_t t);

/* Local wall time of t in the zone: wday 0 = Monday ... 6 = Sunday, minute of day. */
struct tz_local {
	int	 wday;
	int	 minute;
};
void	 tz_local(const struct tz *, int64_t t, struct tz_local *);

#endif
