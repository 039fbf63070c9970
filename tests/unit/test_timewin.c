/* Unit tests of timewin: the grammar (days, lists, wrapping ranges, "*", times, "24:00"),
 * error messages that name the culprit, and matching, past midnight included. */
#include <string.h>

#include "tap.h"
#include "timewin.h"

enum { MON, TUE, WED, THU, FRI, SAT, SUN };

#define HM(h, m)	((h) * 60 + (m))

static void
parses(const char *s, unsigned days, int start, int end)
{
	struct time_window w;
	char err[256] = "";
	int rc = timewin_parse(s, &w, err, sizeof(err));

	ok(rc == 0 && w.days == days && w.start_min == start && w.end_min == end,
	    "'%s' parses to days 0x%02x %d-%d", s, days, start, end);
	if (rc != 0)
		printf("#   error: %s\n", err);
	else if (w.days != days || w.start_min != start || w.end_min != end)
		printf("#   got days 0x%02x %d-%d\n", w.days, w.start_min, w.end_min);
}

static void
refused(const char *s, const char *want)
{
	struct time_window w;
	char err[256] = "";
	int rc = timewin_parse(s, &w, err, sizeof(err));

	ok(rc == -1 && strstr(err, want) != NULL, "'%s' refused: %s", s, want);
	if (rc != -1 || strstr(err, want) == NULL)
		printf("#   rc %d, error \"%s\"\n", rc, err);
}

static int
at(const char *s, int wday, int h, int m)
{
	struct time_window w;
	struct tz_local l = { .wday = wday, .minute = HM(h, m) };
	char err[256];

	if (timewin_parse(s, &w, err, sizeof(err)) == -1) {
		printf("# cannot parse '%s': %s\n", s, err);
		return -1;
	}
	return timewin_match(&w, 1, &l);
}

static void
test_parse(void)
{
	const unsigned all = 0x7f, wk = 0x1f;

	parses("mon-fri 09:00-17:30", wk, HM(9, 0), HM(17, 30));
	parses("Mon-Fri 09:00-17:30", wk, HM(9, 0), HM(17, 30));
	parses("  sat   10:00-14:00  ", 1u << SAT, HM(10, 0), HM(14, 0));
	parses("sun", 1u << SUN, 0, 24 * 60);
	parses("*", all, 0, 24 * 60);
	parses("* 08:00-20:00", all, HM(8, 0), HM(20, 0));
	parses("09:00-17:00", all, HM(9, 0), HM(17, 0));
	parses("9:05-17:00", all, HM(9, 5), HM(17, 0));
	parses("mon,wed,fri 12:00-13:00", 1u << MON | 1u << WED | 1u << FRI, HM(12, 0),
	    HM(13, 0));
	parses("mon-tue,thu-fri", 1u << MON | 1u << TUE | 1u << THU | 1u << FRI, 0, 24 * 60);
	parses("fri-mon", 1u << FRI | 1u << SAT | 1u << SUN | 1u << MON, 0, 24 * 60);
	parses("sun-sat", all, 0, 24 * 60);
	parses("wed-wed", 1u << WED, 0, 24 * 60);
	parses("thu-wed", all, 0, 24 * 60);
	parses("sat,*", all, 0, 24 * 60);
	parses("fri 22:00-06:00", 1u << FRI, HM(22, 0), HM(6, 0));
	parses("mon-fri 18:00-24:00", wk, HM(18, 0), 24 * 60);
	parses("00:00-24:00", all, 0, 24 * 60);
	parses("mon 09:00-09:00", 1u << MON, HM(9, 0), HM(9, 0));
	parses("sat 23:59-00:00", 1u << SAT, HM(23, 59), 0);
}

static void
test_errors(void)
{
	refused("mun-fri 09:00-17:00", "bad day 'mun' in 'mun-fri 09:00-17:00'");
	refused("mon-fry 09:00-17:00", "bad day 'fry' in 'mon-fry 09:00-17:00'");
	refused("monday 09:00-17:00", "bad day 'monday'");
	refused("mon- 09:00-17:00", "bad day ''");
	refused("mon,,fri", "empty day in 'mon,,fri'");
	refused("mon, 09:00-17:00", "empty day");
	refused("mon 25:00-26:00", "hour 25 out of range in 'mon 25:00-26:00'");
	refused("09:00-25:00", "hour 25 out of range");
	refused("mon 09:60-17:00", "minute 60 out of range");
	refused("mon 09:00-24:30", "24:30 out of range");
	refused("mon 24:00-06:00", "24:00 can only end a window");
	refused("mon 9-17", "bad time in 'mon 9-17'");
	refused("mon 09:00", "bad time in 'mon 09:00'");
	refused("mon 09:00-", "bad time");
	refused("mon 09:00-17:00x", "bad time");
	refused("mon 09:0-17:00", "bad time");
	refused("mon 009:00-17:00", "bad time");
	refused("mon 09:00 - 17:00", "bad time");
	refused("mon 09:00-17:00 tue", "unexpected 'tue' after the time range");
	refused("mon wed 09:00-17:00", "unexpected 'wed'");
	refused("", "empty time window");
	refused("   ", "empty time window");
}

static void
test_match(void)
{
	struct time_window w[2];
	struct tz_local l;
	char err[256];

	is_int(at("mon-fri 09:00-17:30", MON, 9, 0), 1, "09:00 is in (start inclusive)");
	is_int(at("mon-fri 09:00-17:30", MON, 8, 59), 0, "08:59 is out");
	is_int(at("mon-fri 09:00-17:30", FRI, 17, 29), 1, "17:29 is in");
	is_int(at("mon-fri 09:00-17:30", FRI, 17, 30), 0, "17:30 is out (end exclusive)");
	is_int(at("mon-fri 09:00-17:30", SAT, 12, 0), 0, "Saturday is out");
	is_int(at("mon-fri 09:00-17:30", SUN, 12, 0), 0, "Sunday is out");
	is_int(at("sat", SAT, 0, 0), 1, "a whole day: its first minute");
	is_int(at("sat", SAT, 23, 59), 1, "a whole day: its last minute");
	is_int(at("sat", SUN, 0, 0), 0, "a whole day ends at midnight");
	is_int(at("fri-mon", SUN, 12, 0), 1, "a wrapping range holds Sunday");
	is_int(at("fri-mon", TUE, 12, 0), 0, "a wrapping range misses Tuesday");
	is_int(at("mon-fri 18:00-24:00", WED, 23, 59), 1, "24:00 end: 23:59 in");
	is_int(at("mon-fri 18:00-24:00", THU, 0, 0), 0, "24:00 end: next midnight out");

	/* Past midnight: the window belongs to the day it starts on. */
	is_int(at("fri 22:00-06:00", FRI, 21, 59), 0, "Friday 21:59 before the night window");
	is_int(at("fri 22:00-06:00", FRI, 22, 0), 1, "Friday 22:00 starts it");
	is_int(at("fri 22:00-06:00", FRI, 23, 59), 1, "Friday 23:59");
	is_int(at("fri 22:00-06:00", SAT, 0, 0), 1, "Saturday 00:00 continues it");
	is_int(at("fri 22:00-06:00", SAT, 5, 59), 1, "Saturday 05:59");
	is_int(at("fri 22:00-06:00", SAT, 6, 0), 0, "Saturday 06:00 ends it");
	is_int(at("fri 22:00-06:00", SAT, 22, 0), 0, "Saturday 22:00 is not a Friday");
	is_int(at("fri 22:00-06:00", FRI, 3, 0), 0, "Friday 03:00 belongs to Thursday's night");
	is_int(at("sun 22:00-06:00", MON, 3, 0), 1, "Sunday's night runs into Monday");
	is_int(at("mon-fri 22:00-06:00", MON, 3, 0), 0, "Monday 03:00 is Sunday's night");
	is_int(at("mon-fri 22:00-06:00", SAT, 3, 0), 1, "Saturday 03:00 is Friday's night");
	is_int(at("22:00-06:00", WED, 3, 0), 1, "every night without days");
	is_int(at("mon 09:00-09:00", MON, 9, 0), 1, "equal ends: 24 hours from the start");
	is_int(at("mon 09:00-09:00", TUE, 8, 59), 1, "equal ends: up to the next day");
	is_int(at("mon 09:00-09:00", TUE, 9, 0), 0, "equal ends: not beyond");
	is_int(at("mon 09:00-09:00", MON, 8, 59), 0, "equal ends: not before");

	/* Several windows: any of them. */
	ok(timewin_parse("mon-fri 09:00-12:00", &w[0], err, sizeof(err)) == 0 &&
	    timewin_parse("mon-fri 13:00-17:00", &w[1], err, sizeof(err)) == 0,
	    "two windows parse");
	l = (struct tz_local){ .wday = TUE, .minute = HM(12, 30) };
	is_int(timewin_match(w, 2, &l), 0, "lunch falls between two windows");
	l.minute = HM(13, 0);
	is_int(timewin_match(w, 2, &l), 1, "the second window matches");
	l.minute = HM(11, 59);
	is_int(timewin_match(w, 2, &l), 1, "the first window matches");
	is_int(timewin_match(w, 0, &l), 1, "no windows: always");
}

int
main(void)
{
	test_parse();
	test_errors();
	test_match();
	return tap_done();
}
