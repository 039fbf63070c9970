/* timewin: weekly windows of local time. A window that ends at or before its start runs
 * past midnight and belongs to the day it starts on: "fri 22:00-06:00" is Friday 22:00 to
 * Saturday 06:00, and Saturday 05:00 matches because Friday is in the window's days. */
#include "timewin.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define TIMEWIN_ALL_DAYS	0x7fu
#define TIMEWIN_DAY_MIN		(24 * 60)

static const char *const timewin_day_names[7] = {
	"mon", "tue", "wed", "thu", "fri", "sat", "sun"
};

/* The day name in s[0..n), case-insensitive; -1 when it is none. */
static int
timewin_day(const char *s, size_t n)
{
	for (int i = 0; i < 7; i++) {
		if (n == 3 && strncasecmp(s, timewin_day_names[i], 3) == 0)
			return i;
	}
	return -1;
}

/* One item of a day list: "*", DAY or DAY-DAY (which may wrap: fri-mon). */
static int
timewin_parse_days_item(const char *s, size_t n, const char *whole, unsigned *days,
    char *err, size_t errlen)
{
	const char *dash = memchr(s, '-', n);
	size_t n1 = dash ? (size_t)(dash - s) : n;
	int from, to;

	if (n == 1 && s[0] == '*') {
		*days |= TIMEWIN_ALL_DAYS;
		return 0;
	}
	if (n == 0) {
		snprintf(err, errlen, "empty day in '%s'", whole);
		return -1;
	}
	if ((from = timewin_day(s, n1)) == -1) {
		snprintf(err, errlen, "bad day '%.*s' in '%s' (want mon tue wed thu fri sat "
		    "sun)", (int)n1, s, whole);
		return -1;
	}
	if (dash == NULL) {
		*days |= 1u << from;
		return 0;
	}
	if ((to = timewin_day(dash + 1, n - n1 - 1)) == -1) {
		snprintf(err, errlen, "bad day '%.*s' in '%s' (want mon tue wed thu fri sat "
		    "sun)", (int)(n - n1 - 1), dash + 1, whole);
		return -1;
	}
	for (int d = from;; d = (d + 1) % 7) {
		*days |= 1u << d;
		if (d == to)
			break;
	}
	return 0;
}

static int
timewin_parse_days(const char *s, size_t n, const char *whole, unsigned *days, char *err,
    size_t errlen)
{
	const char *end = s + n;

	*days = 0;
	for (;;) {
		const char *comma = memchr(s, ',', (size_t)(end - s));
		const char *item_end = comma ? comma : end;

		if (timewin_parse_days_item(s, (size_t)(item_end - s), whole, days, err,
		    errlen) == -1)
			return -1;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

/* H:MM or HH:MM at *sp, in minutes after midnight; 24:00 allowed (the caller decides
 * where). */
static int
timewin_parse_clock(const char **sp, const char *whole, int *out, char *err, size_t errlen)
{
	const char *s = *sp;
	int h = 0, m, nh = 0;

	for (; isdigit((unsigned char)*s) && nh < 3; s++, nh++)
		h = h * 10 + (*s - '0');
	if (nh == 0 || nh > 2 || s[0] != ':' || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[2]) || isdigit((unsigned char)s[3])) {
		snprintf(err, errlen, "bad time in '%s' (want HH:MM-HH:MM, e.g. 09:00-17:30)",
		    whole);
		return -1;
	}
	m = (s[1] - '0') * 10 + (s[2] - '0');
	if (h > 24) {
		snprintf(err, errlen, "hour %d out of range in '%s' (00..23, or 24:00 to end "
		    "a day)", h, whole);
		return -1;
	}
	if (m > 59) {
		snprintf(err, errlen, "minute %d out of range in '%s' (00..59)", m, whole);
		return -1;
	}
	if (h == 24 && m != 0) {
		snprintf(err, errlen, "time 24:%02d out of range in '%s' (24:00 is the "
		    "latest)", m, whole);
		return -1;
	}
	*sp = s + 3;
	*out = h * 60 + m;
	return 0;
}

static int
timewin_parse_times(const char *s, size_t n, const char *whole, struct time_window *w,
    char *err, size_t errlen)
{
	const char *p = s;

	if (timewin_parse_clock(&p, whole, &w->start_min, err, errlen) == -1)
		return -1;
	if (*p != '-') {
		snprintf(err, errlen, "bad time in '%s' (want HH:MM-HH:MM, e.g. 09:00-17:30)",
		    whole);
		return -1;
	}
	p++;
	if (timewin_parse_clock(&p, whole, &w->end_min, err, errlen) == -1)
		return -1;
	if (p != s + n) {
		snprintf(err, errlen, "bad time in '%s' (want HH:MM-HH:MM, e.g. 09:00-17:30)",
		    whole);
		return -1;
	}
	if (w->start_min == TIMEWIN_DAY_MIN) {
		snprintf(err, errlen, "24:00 can only end a window, in '%s'", whole);
		return -1;
	}
	return 0;
}

/* The next whitespace-separated word of s: its start in *word, its length returned. */
static size_t
timewin_word(const char **sp, const char **word)
{
	const char *s = *sp;
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	*word = s;
	while (s[n] != '\0' && !isspace((unsigned char)s[n]))
		n++;
	*sp = s + n;
	return n;
}

int
timewin_parse(const char *s, struct time_window *w, char *err, size_t errlen)
{
	const char *p = s, *word;
	size_t n;

	w->days = TIMEWIN_ALL_DAYS;
	w->start_min = 0;
	w->end_min = TIMEWIN_DAY_MIN;
	if ((n = timewin_word(&p, &word)) == 0) {
		snprintf(err, errlen, "empty time window (want e.g. 'mon-fri 09:00-17:30')");
		return -1;
	}
	/* Days come first and never start with a digit; a lone time means every day. */
	if (!isdigit((unsigned char)word[0])) {
		if (timewin_parse_days(word, n, s, &w->days, err, errlen) == -1)
			return -1;
		if ((n = timewin_word(&p, &word)) == 0)
			return 0;
	}
	if (!isdigit((unsigned char)word[0])) {
		snprintf(err, errlen, "unexpected '%.*s' in '%s' (days go in one word: "
		    "'mon,wed,fri 09:00-12:00')", (int)n, word, s);
		return -1;
	}
	if (timewin_parse_times(word, n, s, w, err, errlen) == -1)
		return -1;
	if ((n = timewin_word(&p, &word)) != 0) {
		snprintf(err, errlen, "unexpected '%.*s' after the time range in '%s'", (int)n,
		    word, s);
		return -1;
	}
	return 0;
}

static int
timewin_match_one(const struct time_window *w, const struct tz_local *l)
{
	int yesterday = (l->wday + 6) % 7;

	if (w->start_min < w->end_min)
		return (w->days & 1u << l->wday) && l->minute >= w->start_min &&
		    l->minute < w->end_min;
	/* Past midnight: the evening part on the day itself, the morning part the day after
	 * one of the window's days. */
	return ((w->days & 1u << l->wday) && l->minute >= w->start_min) ||
	    ((w->days & 1u << yesterday) && l->minute < w->end_min);
}

int
timewin_match(const struct time_window *w, size_t n, const struct tz_local *l)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++) {
		if (timewin_match_one(&w[i], l))
			return 1;
	}
	return 0;
}
