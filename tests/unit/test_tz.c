/* Unit tests of tz: DST edges of real zones (northern, southern, 30-minute DST, none),
 * instants past the last listed transition (footer rule), a sweep of instants and of every
 * transition cross-checked against glibc's localtime_r (TZ is set here, in the test only),
 * synthetic TZif files of each version and footer form, and bad names and files. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "tz.h"

static char tmpdir[] = "/tmp/scaidial-test-tz.XXXXXX";

static int64_t
utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	    .tm_hour = h, .tm_min = mi, .tm_sec = s };

	return (int64_t)timegm(&tm);
}

static struct tz *
load(const char *name)
{
	char err[256];
	struct tz *z = NULL;

	if (tz_load(name, &z, err, sizeof(err)) == -1)
		printf("# tz_load(%s): %s\n", name, err);
	return z;
}

static void
offset_is(const struct tz *z, int64_t t, int32_t want, const char *what)
{
	if (z == NULL) {
		ok(0, "%s: zone not loaded", what);
		return;
	}
	is_int(tz_offset(z, t), want, "%s %s: offset %+d s at %lld", tz_name(z), what,
	    (int)want, (long long)t);
}

static void
local_is(const struct tz *z, int64_t t, int wday, int hh, int mm, const char *what)
{
	struct tz_local l;

	if (z == NULL) {
		ok(0, "%s: zone not loaded", what);
		return;
	}
	tz_local(z, t, &l);
	ok(l.wday == wday && l.minute == hh * 60 + mm, "%s %s: local day %d %02d:%02d",
	    tz_name(z), what, wday, hh, mm);
	if (l.wday != wday || l.minute != hh * 60 + mm)
		printf("#   got day %d %02d:%02d\n", l.wday, l.minute / 60, l.minute % 60);
}

static void
test_edges(void)
{
	struct tz *ny = load("America/New_York"), *lon = load("Europe/London");
	struct tz *syd = load("Australia/Sydney"), *lh = load("Australia/Lord_Howe");
	struct tz *kol = load("Asia/Kolkata"), *u = load("UTC");

	offset_is(ny, utc(2026, 3, 8, 6, 59, 59), -5 * 3600, "before spring-forward");
	offset_is(ny, utc(2026, 3, 8, 7, 0, 0), -4 * 3600, "at spring-forward");
	offset_is(ny, utc(2026, 11, 1, 5, 59, 59), -4 * 3600, "before fall-back");
	offset_is(ny, utc(2026, 11, 1, 6, 0, 0), -5 * 3600, "at fall-back");
	local_is(ny, utc(2026, 3, 8, 6, 59, 59), 6, 1, 59, "Sunday 01:59 before the gap");
	local_is(ny, utc(2026, 3, 8, 7, 0, 0), 6, 3, 0, "Sunday 03:00 after the gap");
	local_is(ny, utc(2026, 3, 9, 13, 0, 0), 0, 9, 0, "Monday after spring-forward");
	local_is(ny, utc(2026, 1, 5, 14, 0, 0), 0, 9, 0, "a winter Monday");
	/* The repeated hour of fall-back: 01:30 twice, an hour apart. */
	local_is(ny, utc(2026, 11, 1, 5, 30, 0), 6, 1, 30, "first 01:30");
	local_is(ny, utc(2026, 11, 1, 6, 30, 0), 6, 1, 30, "second 01:30");

	offset_is(lon, utc(2026, 3, 29, 0, 59, 59), 0, "before BST");
	offset_is(lon, utc(2026, 3, 29, 1, 0, 0), 3600, "BST begins");
	offset_is(lon, utc(2026, 10, 25, 0, 59, 59), 3600, "before GMT");
	offset_is(lon, utc(2026, 10, 25, 1, 0, 0), 0, "GMT again");

	/* Southern: summer time spans the new year. */
	offset_is(syd, utc(2026, 1, 15, 0, 0, 0), 11 * 3600, "January is AEDT");
	offset_is(syd, utc(2026, 4, 4, 15, 59, 59), 11 * 3600, "before AEDT ends");
	offset_is(syd, utc(2026, 4, 4, 16, 0, 0), 10 * 3600, "AEDT ends");
	offset_is(syd, utc(2026, 7, 1, 0, 0, 0), 10 * 3600, "July is AEST");
	offset_is(syd, utc(2026, 10, 3, 15, 59, 59), 10 * 3600, "before AEDT begins");
	offset_is(syd, utc(2026, 10, 3, 16, 0, 0), 11 * 3600, "AEDT begins");
	local_is(syd, utc(2026, 10, 3, 16, 0, 0), 6, 3, 0, "Sunday 03:00 after the gap");

	/* Lord Howe moves its clocks by half an hour. */
	offset_is(lh, utc(2026, 4, 4, 14, 59, 59), 11 * 3600, "before DST ends");
	offset_is(lh, utc(2026, 4, 4, 15, 0, 0), 10 * 3600 + 1800, "DST ends");
	offset_is(lh, utc(2026, 10, 3, 15, 29, 59), 10 * 3600 + 1800, "before DST begins");
	offset_is(lh, utc(2026, 10, 3, 15, 30, 0), 11 * 3600, "DST begins");
	local_is(lh, utc(2026, 10, 3, 15, 30, 0), 6, 2, 30, "Sunday 02:30 after the gap");

	offset_is(kol, utc(2026, 6, 1, 0, 0, 0), 5 * 3600 + 1800, "2026");
	offset_is(kol, utc(2100, 6, 1, 0, 0, 0), 5 * 3600 + 1800, "2100");
	local_is(kol, utc(2026, 3, 9, 18, 29, 0), 0, 23, 59, "Monday 23:59");
	local_is(kol, utc(2026, 3, 9, 18, 30, 0), 1, 0, 0, "Tuesday 00:00");

	/* Far future: past any listed transition, so the footer rule decides. */
	offset_is(ny, utc(2100, 1, 1, 0, 0, 0), -5 * 3600, "2100 winter");
	offset_is(ny, utc(2100, 7, 1, 0, 0, 0), -4 * 3600, "2100 summer");
	offset_is(ny, utc(2100, 3, 14, 6, 59, 59), -5 * 3600, "2100 before spring-forward");
	offset_is(ny, utc(2100, 3, 14, 7, 0, 0), -4 * 3600, "2100 spring-forward");
	offset_is(ny, utc(2100, 11, 7, 5, 59, 59), -4 * 3600, "2100 before fall-back");
	offset_is(ny, utc(2100, 11, 7, 6, 0, 0), -5 * 3600, "2100 fall-back");
	offset_is(syd, utc(2100, 1, 1, 0, 0, 0), 11 * 3600, "2100 January");
	offset_is(lh, utc(2100, 1, 1, 0, 0, 0), 11 * 3600, "2100 January");
	offset_is(ny, INT64_MAX, -5 * 3600, "end of time does not overflow");
	offset_is(ny, INT64_MIN, -(4 * 3600 + 56 * 60 + 2), "start of time is LMT");

	offset_is(u, utc(2026, 7, 1, 0, 0, 0), 0, "summer");
	local_is(u, -60, 2, 23, 59, "1969-12-31 (Wednesday) 23:59");
	local_is(u, 0, 3, 0, 0, "1970-01-01 (Thursday) 00:00");
	is_str(u ? tz_name(u) : NULL, "UTC", "tz_name gives the name as loaded");
	tz_free(ny);
	tz_free(lon);
	tz_free(syd);
	tz_free(lh);
	tz_free(kol);
	tz_free(u);
}

/* glibc's view of t in the zone TZ names (tzset and localtime_r: test-only). */
static long
glibc_local(int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;

	localtime_r(&tt, tm);
	return tm->tm_gmtoff;
}

/* Writes the first disagreement only: whylen is 0 once one was found. */
static int
agrees(const struct tz *z, int64_t t, char *why, size_t whylen)
{
	struct tm tm;
	struct tz_local l;
	long off = glibc_local(t, &tm);

	tz_local(z, t, &l);
	if (tz_offset(z, t) != off || l.wday != (tm.tm_wday + 6) % 7 ||
	    l.minute != tm.tm_hour * 60 + tm.tm_min) {
		if (whylen > 0)
			snprintf(why, whylen, "t=%lld: glibc %+ld day %d %02d:%02d, tz %+d day %d "
			    "%02d:%02d", (long long)t, off, (tm.tm_wday + 6) % 7, tm.tm_hour,
			    tm.tm_min, (int)tz_offset(z, t), l.wday, l.minute / 60, l.minute % 60);
		return 0;
	}
	return 1;
}

/* Every 55h13m from 1890 to 2150, and the exact second of every change glibc sees: the
 * offsets on both sides of each transition must agree, listed or footer-made. */
static void
sweep(const char *name, const char *tzval, int has_changes)
{
	struct tz *z = load(name);
	const int64_t step = 55 * 3600 + 13 * 60;
	int64_t from = utc(1890, 1, 1, 0, 0, 0), to = utc(2150, 1, 1, 0, 0, 0);
	long prev_off;
	struct tm tm;
	size_t n = 0, edges = 0, bad = 0;
	char why[256] = "";

	if (z == NULL) {
		ok(0, "sweep %s: zone not loaded", name);
		return;
	}
	setenv("TZ", tzval, 1);
	tzset();
	prev_off = glibc_local(from, &tm);
	for (int64_t t = from; t < to; t += step) {
		long off = glibc_local(t, &tm);

		n++;
		if (!agrees(z, t, why, bad ? 0 : sizeof(why)))
			bad++;
		if (off != prev_off) {
			/* Bisect to the first second of the new offset. */
			int64_t lo = t - step, hi = t;

			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;

				if (glibc_local(mid, &tm) == prev_off)
					lo = mid;
				else
					hi = mid;
			}
			edges++;
			if (!agrees(z, lo, why, bad ? 0 : sizeof(why)))
				bad++;
			if (!agrees(z, hi, why, bad ? 0 : sizeof(why)))
				bad++;
		}
		prev_off = off;
	}
	ok(bad == 0 && (edges > 0) == has_changes, "%s agrees with glibc at "
	    "%zu instants and both sides of %zu transitions", name, n, edges);
	if (bad)
		printf("#   %zu disagreements; first: %s\n", bad, why);
	else if ((edges > 0) != has_changes)
		printf("#   %zu transitions seen\n", edges);
	tz_free(z);
}

static void
test_sweeps(void)
{
	static const char *const zones[] = {
		"America/New_York", "Europe/London", "Europe/Dublin", "Australia/Sydney",
		"Australia/Lord_Howe", "Asia/Kolkata", "America/Sao_Paulo", "Pacific/Chatham",
		"America/St_Johns", "Africa/Casablanca", "Asia/Tehran", "America/Nuuk",
		"America/Santiago", "Asia/Jerusalem", "Pacific/Apia", "America/Scoresbysund",
		"Europe/Moscow", "Pacific/Kiritimati", "America/Los_Angeles", "Asia/Gaza",
	};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		sweep(zones[i], zones[i], 1);
	unsetenv("TZ");
	tzset();
}

/* ---- synthetic TZif files ---- */

struct tzif {
	char		 version;	/* '\0', '2', '3' */
	int		 n_trans;
	const int64_t	*trans;
	const unsigned char *idx;
	int		 n_types;
	const int32_t	*offs;
	const char	*footer;	/* NULL: none written (v1) */
	int		 leaps;
};

static void
put32(FILE *f, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };

	fwrite(b, 1, 4, f);
}

static void
put_hdr(FILE *f, char version, const struct tzif *s, int n_trans)
{
	static const char zero[15];

	fwrite("TZif", 1, 4, f);
	fputc(version, f);
	fwrite(zero, 1, 15, f);
	put32(f, 0);			/* isutcnt */
	put32(f, 0);			/* isstdcnt */
	put32(f, (uint32_t)s->leaps);
	put32(f, (uint32_t)n_trans);
	put32(f, (uint32_t)s->n_types);
	put32(f, 4);			/* charcnt: "ABC\0" */
}

static void
put_block(FILE *f, const struct tzif *s, int tsize, int n_trans)
{
	for (int i = 0; i < n_trans; i++) {
		if (tsize == 8)
			put32(f, (uint32_t)((uint64_t)s->trans[i] >> 32));
		put32(f, (uint32_t)s->trans[i]);
	}
	for (int i = 0; i < n_trans; i++)
		fputc(s->idx[i], f);
	for (int i = 0; i < s->n_types; i++) {
		put32(f, (uint32_t)s->offs[i]);
		fputc(0, f);
		fputc(0, f);
	}
	fwrite("ABC", 1, 4, f);
	for (int i = 0; i < s->leaps; i++) {
		if (tsize == 8)
			put32(f, 0);
		put32(f, (uint32_t)(78796800 + i));
		put32(f, (uint32_t)(i + 1));
	}
}

static void
write_tzif(const char *name, const struct tzif *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(2);
	}
	if (s->version == '\0') {
		put_hdr(f, '\0', s, s->n_trans);
		put_block(f, s, 4, s->n_trans);
	} else {
		/* Like zic -b slim: an empty 32-bit block, then the real one. */
		put_hdr(f, s->version, s, 0);
		put_block(f, s, 4, 0);
		put_hdr(f, s->version, s, s->n_trans);
		put_block(f, s, 8, s->n_trans);
		if (s->footer != NULL)
			fprintf(f, "\n%s\n", s->footer);
	}
	fclose(f);
}

static void
write_header_only(const char *name, const struct tzif *s)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(2);
	}
	put_hdr(f, '2', s, s->n_trans);
	fclose(f);
}

static void
write_raw(const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if ((f = fopen(path, "wb")) == NULL) {
		perror(path);
		exit(2);
	}
	fwrite(data, 1, len, f);
	fclose(f);
}

/* A slim file that is standard time until 1970 and then follows the footer rule, checked
 * against glibc reading the same rule straight from TZ (glibc applies such a rule from
 * 1970 on only, hence the one transition). */
static void
footer_vs_glibc(const char *name, const char *rule, int32_t std_off, int has_changes)
{
	static const int64_t trans[] = { 0 };
	static const unsigned char idx[] = { 0 };
	int32_t offs[] = { std_off };
	struct tzif s = { .version = '3', .n_trans = 1, .trans = trans, .idx = idx,
	    .n_types = 1, .offs = offs, .footer = rule };
	char tzval[512];

	write_tzif(name, &s);
	snprintf(tzval, sizeof(tzval), "%s", rule);
	sweep(name, tzval, has_changes);
}

static void
expect_load_error(const char *name, const char *want, const char *what)
{
	char err[256] = "";
	struct tz *z = (struct tz *)1;
	int rc = tz_load(name, &z, err, sizeof(err));

	ok(rc == -1 && z == NULL && strstr(err, want) != NULL, "%s: refused with \"%s\"", what,
	    want);
	if (rc != -1 || strstr(err, want) == NULL)
		printf("#   rc %d, err \"%s\"\n", rc, err);
	if (rc == 0)
		tz_free(z);
}

static void
test_synthetic(void)
{
	static const int64_t trans[] = { 1000000000, 1100000000, 1200000000 };
	static const unsigned char idx[] = { 1, 0, 1 };
	static const int32_t offs[] = { 3600, 7200 };
	struct tz *z;

	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	setenv("TZDIR", tmpdir, 1);

	struct tzif v1 = { .version = '\0', .n_trans = 3, .trans = trans, .idx = idx,
	    .n_types = 2, .offs = offs };

	write_tzif("V1", &v1);
	z = load("V1");
	offset_is(z, 999999999, 3600, "v1: before the first transition, type 0");
	offset_is(z, 1000000000, 7200, "v1: first transition");
	offset_is(z, 1100000000, 3600, "v1: second transition");
	offset_is(z, 1199999999, 3600, "v1: just before the last");
	offset_is(z, 2000000000, 7200, "v1: after the last, its type stays");
	tz_free(z);

	struct tzif v2 = v1;

	v2.version = '2';
	v2.footer = "";
	write_tzif("V2Empty", &v2);
	z = load("V2Empty");
	offset_is(z, 4000000000LL, 7200, "v2, empty footer: the last type stays");
	tz_free(z);

	v2.footer = "<+0330>-3:30";
	write_tzif("V2Footer", &v2);
	z = load("V2Footer");
	offset_is(z, 1199999999, 3600, "v2: listed transitions first");
	offset_is(z, 1200000000, 3 * 3600 + 1800, "v2: the footer from the last on");
	offset_is(z, 4000000000LL, 3 * 3600 + 1800, "v2: the footer far on");
	tz_free(z);

	footer_vs_glibc("US", "EST5EDT,M3.2.0,M11.1.0", -5 * 3600, 1);
	footer_vs_glibc("Half", "<+0330>-3:30", 3 * 3600 + 1800, 0);
	footer_vs_glibc("Neg", "<-03>3", -3 * 3600, 0);
	footer_vs_glibc("Julian1", "XST3XDT,J60/1:30,J300/-1", -3 * 3600, 1);
	footer_vs_glibc("Julian0", "XST-5XDT-6:30,59/0,299/23:59:59", 5 * 3600, 1);
	footer_vs_glibc("Past24h", "IST-2IDT,M3.4.4/26,M10.5.0", 2 * 3600, 1);
	footer_vs_glibc("NegTime", "<-02>2<-01>,M3.5.0/-1,M10.5.0/0", -2 * 3600, 1);
	footer_vs_glibc("Big", "XST0XDT,M3.5.0/-167,M10.1.0/167", 0, 1);
	/* Negative DST: before 1970 glibc takes the "GMT0" side; so does this file. */
	footer_vs_glibc("Dublin", "IST-1GMT0,M10.5.0,M3.5.0/1", 0, 1);
	footer_vs_glibc("Week5", "AAA-10BBB,M2.5.6/23,M10.5.0/3", 10 * 3600, 1);
	footer_vs_glibc("Seconds", "<+0545>-5:45:30<+0645>,M4.1.0/2:00:15,M9.1.0",
	    5 * 3600 + 45 * 60 + 30, 1);

	/* DST all year (RFC 8536 3.3.1): never a gap at the turn of the year, which glibc
	 * does have, so this one is checked by hand. */
	v2.footer = "EST5EDT,0/0,J365/25";
	write_tzif("AllYear", &v2);
	z = load("AllYear");
	offset_is(z, utc(2030, 1, 1, 4, 59, 59), -4 * 3600, "all-year DST: 2029-12-31 23:59");
	offset_is(z, utc(2030, 1, 1, 5, 0, 0), -4 * 3600, "all-year DST: 2030-01-01 01:00");
	offset_is(z, utc(2030, 1, 1, 0, 0, 0), -4 * 3600, "all-year DST: 2029-12-31 20:00");
	offset_is(z, utc(2030, 7, 1, 0, 0, 0), -4 * 3600, "all-year DST: July");
	offset_is(z, utc(2032, 12, 31, 12, 0, 0), -4 * 3600, "all-year DST: a leap year's end");
	tz_free(z);

	struct tzif leap = v2;

	leap.leaps = 2;
	leap.footer = "UTC0";
	write_tzif("Leaps", &leap);
	expect_load_error("Leaps", "leap seconds", "a zone counting leap seconds");

	v2.footer = "EST5EDT,M13.1.0,M11.1.0";
	write_tzif("BadFooter", &v2);
	expect_load_error("BadFooter", "unsupported TZ rule", "month 13 in the footer");
	v2.footer = "E5";
	write_tzif("ShortAbbr", &v2);
	expect_load_error("ShortAbbr", "unsupported TZ rule", "a two-letter abbreviation");
	v2.footer = NULL;
	write_tzif("NoFooter", &v2);
	expect_load_error("NoFooter", "no footer", "v2 without its footer");

	static const unsigned char badidx[] = { 1, 5, 1 };
	struct tzif bi = v1;

	bi.idx = badidx;
	write_tzif("BadIdx", &bi);
	expect_load_error("BadIdx", "not a valid TZif", "a type index out of range");

	static const int64_t unsorted[] = { 1000000000, 900000000, 1200000000 };
	struct tzif un = v1;

	un.trans = unsorted;
	write_tzif("Unsorted", &un);
	expect_load_error("Unsorted", "not a valid TZif", "transitions out of order");

	write_raw("Text", "hello, world\n", 13);
	expect_load_error("Text", "not a TZif file", "a text file");
	write_raw("Empty", "", 0);
	expect_load_error("Empty", "not a TZif file", "an empty file");
	write_header_only("Short", &v1);
	expect_load_error("Short", "truncated", "a header without its data");

	/* UTC is the config's default and must not depend on tzdata being installed. */
	z = load("UTC");
	offset_is(z, 1700000000, 0, "UTC without a UTC file");
	tz_free(z);

	char d[600];

	snprintf(d, sizeof(d), "%s/Dir", tmpdir);
	mkdir(d, 0700);
	expect_load_error("Dir", "unknown time zone 'Dir'", "a directory");
	unsetenv("TZDIR");
}

/* Every strict prefix of a real file is refused, and random damage never crashes the
 * reader (the sanitizer and valgrind runs of this test watch the reads). */
static void
test_corrupt(void)
{
	unsigned char *data, *copy;
	size_t len, refused = 0, loaded = 0;
	struct tz *z;
	char err[256];
	FILE *f = fopen("/usr/share/zoneinfo/America/New_York", "rb");

	if (f == NULL) {
		ok(0, "read America/New_York for the damage tests");
		return;
	}
	data = malloc(1 << 16);
	copy = malloc(1 << 16);
	len = fread(data, 1, 1 << 16, f);
	fclose(f);
	for (size_t n = 0; n < len; n++) {
		write_raw("Cut", data, n);
		if (tz_load("Cut", &z, err, sizeof(err)) == -1)
			refused++;
		tz_free(z);
	}
	is_int(refused, len, "each of the %zu truncations of America/New_York is refused", len);
	srand(8536);
	for (int i = 0; i < 3000; i++) {
		memcpy(copy, data, len);
		for (int k = rand() % 4; k >= 0; k--)
			copy[(size_t)rand() % len] ^= (unsigned char)(1 + rand() % 255);
		write_raw("Damaged", copy, len);
		if (tz_load("Damaged", &z, err, sizeof(err)) == 0) {
			loaded++;
			for (int64_t t = -4000000000LL; t < 8000000000LL; t += 97000000)
				(void)tz_offset(z, t);
			tz_free(z);
		}
	}
	ok(1, "3000 damaged copies read without a crash (%zu still loaded)", loaded);
	free(data);
	free(copy);
}

static void
test_names(void)
{
	struct tz *z;

	expect_load_error("Mars/Base", "unknown time zone 'Mars/Base'", "Mars/Base");
	expect_load_error("America", "unknown time zone 'America'", "a zone directory");
	expect_load_error("/etc/passwd", "bad time zone name '/etc/passwd'", "an absolute path");
	expect_load_error("../../../etc/passwd", "bad time zone name", "a relative escape");
	expect_load_error("America/../../etc/passwd", "bad time zone name", "'..' inside");
	expect_load_error("", "bad time zone name ''", "an empty name");
	expect_load_error("Europe/Paris\n", "bad time zone name", "a newline");
	expect_load_error("Europe Paris", "bad time zone name", "a space");
	expect_load_error("Europe/", "bad time zone name", "a trailing '/'");
	expect_load_error("Europe//Paris", "bad time zone name", "an empty component");
	expect_load_error("zone.tab", "bad time zone name", "a dot");
	z = load("Etc/GMT+5");
	ok(z != NULL, "Etc/GMT+5: '+' is allowed");
	offset_is(z, 1700000000, -5 * 3600, "POSIX-style sign: GMT+5 is west");
	tz_free(z);
	z = load("America/Argentina/Buenos_Aires");
	offset_is(z, 1700000000, -3 * 3600, "three components and '_'");
	tz_free(z);
}

int
main(void)
{
	test_edges();
	test_names();
	test_sweeps();
	test_synthetic();
	setenv("TZDIR", tmpdir, 1);
	test_corrupt();
	unsetenv("TZDIR");
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
