/* timewin: weekly time windows of dialplan rules ("mon-fri 09:00-17:30"). */
#ifndef SCAIDIAL_TIMEWIN_H
#define SCAIDIAL_TIMEWIN_H

#include <stddef.h>

#include "config.h"
#include "tz.h"

/* Grammar, one window per string:  [DAYS] [HH:MM-HH:MM]   (at least one of the two)
 *   DAYS  = DAY | DAY-DAY | DAYS,DAYS | "*"     DAY = mon tue wed thu fri sat sun
 *   a day range may wrap (fri-mon); a time range whose end is not after its start runs past
 *   midnight ("22:00-06:00": 22:00 on the named day to 06:00 the next); "24:00" ends a day.
 * Returns 0, or -1 with a message in err that names what is wrong. */
int	 timewin_parse(const char *, struct time_window *, char *err, size_t errlen);
/* 1 when the local time falls in any of the n windows (n == 0 matches always). */
int	 timewin_match(const struct time_window *, size_t n, const struct tz_local *);

#endif
