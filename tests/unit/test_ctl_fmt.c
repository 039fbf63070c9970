/* Unit tests of the admin commands' formatting and argument parsing: aligned tables,
 * UTC times, durations, ISO-8601 --since values, bounded counts. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "ctl_fmt.h"
#include "tap.h"

static void
time_ok(const char *in, int64_t want)
{
	int64_t ms = -1;

	if (ok(ctl_parse_time(in, &ms) == 0, "parses %s", in) && ms != want)
		is_int(ms, want, "%s is %lld", in, (long long)want);
}

static void
time_bad(const char *in)
{
	int64_t ms;

	ok(ctl_parse_time(in, &ms) == -1, "refuses '%s'", in);
}

int
main(void)
{
	struct ctl_table t;
	struct buf b;
	char s[64];
	long n;

	buf_init(&b);
	ctl_table_init(&t, 3, (const char *const[]){ "ID", "TENANT", "X" });
	ctl_table_row(&t, (const char *const[]){ "carrier1", "acme", "1" });
	ctl_table_row(&t, (const char *const[]){ "p", NULL, "" });
	ctl_table_row(&t, (const char *const[]){ "caf\xc3\xa9", "b", "longer" });
	ctl_table_render(&t, &b);
	is_str(b.data,
	    "ID        TENANT  X\n"
	    "carrier1  acme    1\n"
	    "p         -       -\n"
	    "caf\xc3\xa9      b       longer\n",
	    "table: header, padding by characters, '-' for empty, no trailing blanks");

	buf_reset(&b);
	ctl_table_init(&t, 2, (const char *const[]){ "A", "B" });
	t.indent = "  ";
	ctl_table_render(&t, &b);
	is_str(b.data, "  A  B\n", "empty table: indented header only");

	is_str(ctl_fmt_time_str(0, s, sizeof(s)), "-", "time 0 is '-'");
	is_str(ctl_fmt_time_str(1, s, sizeof(s)), "1970-01-01T00:00:00Z", "epoch");
	is_str(ctl_fmt_time_str(1795510800123LL, s, sizeof(s)), "2026-11-24T09:00:00Z",
	    "a time in 2026");
	is_str(ctl_fmt_time_str(951782400000LL, s, sizeof(s)), "2000-02-29T00:00:00Z",
	    "leap day 2000");
	buf_reset(&b);
	ctl_fmt_time(&b, 4107542399000LL);
	is_str(b.data, "2100-02-28T23:59:59Z", "2100 is not a leap year");

	is_str(ctl_fmt_duration(0, s, sizeof(s)), "0s", "0s");
	is_str(ctl_fmt_duration(-5, s, sizeof(s)), "0s", "negative is 0s");
	is_str(ctl_fmt_duration(59, s, sizeof(s)), "59s", "59s");
	is_str(ctl_fmt_duration(61, s, sizeof(s)), "1m 1s", "1m 1s");
	is_str(ctl_fmt_duration(3723, s, sizeof(s)), "1h 2m 3s", "1h 2m 3s");
	is_str(ctl_fmt_duration(90061, s, sizeof(s)), "1d 1h 1m 1s", "1d 1h 1m 1s");

	is_str(ctl_fmt_trunc("short", 40, s, sizeof(s)), "short", "trunc: short kept");
	is_str(ctl_fmt_trunc("abcdef", 3, s, sizeof(s)), "abc...", "trunc: cut with ...");
	is_str(ctl_fmt_trunc("\xc3\xa9\xc3\xa9\xc3\xa9", 2, s, sizeof(s)), "\xc3\xa9\xc3\xa9...",
	    "trunc: counts characters");
	is_str(ctl_fmt_trunc("a\nb", 40, s, sizeof(s)), "a b", "trunc: newline becomes blank");
	is_str(ctl_fmt_trunc(NULL, 40, s, sizeof(s)), "", "trunc: NULL is empty");
	is_str(ctl_fmt_trunc("abcdefghij", 40, s, 8), "abcd...", "trunc: bounded by outlen");

	time_ok("2026-11-24T09:00:00Z", 1795510800000LL);
	time_ok("2026-11-24T09:00:00", 1795510800000LL);
	time_ok("2026-11-24 09:00:00Z", 1795510800000LL);
	time_ok("2026-11-24T09:00Z", 1795510800000LL);
	time_ok("2026-11-24", 1795478400000LL);
	time_ok("2026-11-24T10:00:00+01:00", 1795510800000LL);
	time_ok("2026-11-24T04:00:00-0500", 1795510800000LL);
	time_ok("2026-11-24T09:00:00.250Z", 1795510800250LL);
	time_ok("1970-01-01T00:00:00Z", 0);
	time_ok("2024-02-29", 1709164800000LL);
	time_bad("");
	time_bad("yesterday");
	time_bad("2026-13-01");
	time_bad("2026-02-30");
	time_bad("2025-02-29");
	time_bad("2026-11-24T24:00:00Z");
	time_bad("2026-11-24T09:60Z");
	time_bad("2026-11-24T09:00:00Q");
	time_bad("2026-11-24T09");
	time_bad("2026-11-24T09:00:00.Z");
	time_bad("2026-1-24");
	time_bad("1795510800");

	ok(ctl_parse_count("100", 1, 10000, &n) == 0 && n == 100, "count 100");
	ok(ctl_parse_count("10000", 1, 10000, &n) == 0 && n == 10000, "count at max");
	ok(ctl_parse_count("10001", 1, 10000, &n) == -1, "count above max");
	ok(ctl_parse_count("0", 1, 10000, &n) == -1, "count below min");
	ok(ctl_parse_count("-1", 1, 10000, &n) == -1, "negative count");
	ok(ctl_parse_count("1e3", 1, 10000, &n) == -1, "not a number");
	ok(ctl_parse_count("", 1, 10000, &n) == -1, "empty count");
	ok(ctl_parse_count("99999999999999999999", 1, 10000, &n) == -1, "huge count");

	buf_free(&b);
	return tap_done();
}
