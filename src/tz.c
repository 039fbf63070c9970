/* tz: IANA zones read from TZif files (RFC 8536, versions 1 to 4) and the POSIX TZ rule of
 * their footer. Each zone is a value of its own: nothing here reads or writes process-wide
 * state after tz_load() returns, so any thread may ask any zone at any time.
 *
 * An instant before the first transition takes time type 0, one between transitions the
 * type of the latest, one after the last the footer's rule (or, without a footer, the type
 * of the last transition). "Slim" files carry few or no transitions and rely on the rule;
 * "fat" files list transitions up to 2037 and then rely on it too. */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xmalloc.h"

#define TZ_DIR		"/usr/share/zoneinfo"
#define TZ_NAME_MAX	255
#define TZ_FILE_MAX	(1024 * 1024)	/* the largest real zone is a few KiB */
#define TZ_HDR_LEN	44
/* Far beyond any calendar that matters, and far enough from INT64_MAX that day and second
 * arithmetic on it cannot overflow. */
#define TZ_T_LIMIT	((int64_t)1 << 56)

enum tz_date_kind {
	TZ_DATE_JULIAN1,	/* Jn: 1..365, February 29 never counted */
	TZ_DATE_JULIAN0,	/* n: 0..365, February 29 counted */
	TZ_DATE_MONTH,		/* Mm.w.d */
};

struct tz_date {
	enum tz_date_kind kind;
	int		 day;		/* J, n: the day number; M: weekday, 0 = Sunday */
	int		 week;		/* 1..5, 5 = the last one in the month */
	int		 month;		/* 1..12 */
	int32_t		 time;		/* seconds after local midnight; may be < 0 or > 24h */
};

/* A POSIX TZ value such as "EST5EDT,M3.2.0,M11.1.0", with offsets turned east-positive. */
struct tz_rule {
	int32_t		 std_off;
	int32_t		 dst_off;
	bool		 has_dst;
	struct tz_date	 start;		/* in standard local time */
	struct tz_date	 end;		/* in daylight local time */
};

struct tz {
	char		*name;
	int64_t		*trans;		/* ascending */
	unsigned char	*trans_type;
	size_t		 n_trans;
	int32_t		*type_off;
	size_t		 n_types;
	bool		 has_rule;
	struct tz_rule	 rule;
};

struct tzif_hdr {
	char		 version;	/* '\0' for version 1, else '2', '3', ... */
	uint32_t	 isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static int64_t
tz_floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t
tz_floormod(int64_t a, int64_t b)
{
	return a - tz_floordiv(a, b) * b;
}

static bool
tz_is_leap(int64_t y)
{
	return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

static int
tz_month_len(int64_t y, int m)
{
	static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return len[m - 1] + (m == 2 && tz_is_leap(y));
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. Years are counted
 * from March so that the leap day falls at the end of a counted year; whole 400-year
 * cycles (146097 days) are taken out first to keep the arithmetic exact for any year. */
static int64_t
tz_days(int64_t y, int m, int d)
{
	int64_t cycles, yoc, doy;

	if (m <= 2)
		y--;
	cycles = tz_floordiv(y, 400);
	yoc = y - cycles * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	return cycles * 146097 + yoc * 365 + yoc / 4 - yoc / 100 + doy - 719468;
}

/* The year in which day number "days" falls. */
static int64_t
tz_year_of(int64_t days)
{
	int64_t y = 1970 + tz_floordiv(days * 400, 146097);

	while (tz_days(y, 1, 1) > days)
		y--;
	while (tz_days(y + 1, 1, 1) <= days)
		y++;
	return y;
}

static int64_t
tz_clamp(int64_t t)
{
	if (t > TZ_T_LIMIT)
		return TZ_T_LIMIT;
	if (t < -TZ_T_LIMIT)
		return -TZ_T_LIMIT;
	return t;
}

/* ---- POSIX TZ strings ---- */

/* A zone abbreviation: three or more letters, or <...> quoting digits and signs too. */
static int
tz_parse_abbr(const char **sp)
{
	const char *s = *sp;
	size_t n = 0;

	if (*s == '<') {
		for (s++; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '+' || *s == '-'; s++)
			n++;
		if (*s != '>' || n < 3)
			return -1;
		*sp = s + 1;
		return 0;
	}
	for (; (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'); s++)
		n++;
	if (n < 3)
		return -1;
	*sp = s;
	return 0;
}

static int
tz_parse_num(const char **sp, int maxdigits, int max, int *out)
{
	const char *s = *sp;
	int v = 0, n = 0;

	for (; *s >= '0' && *s <= '9' && n < maxdigits; s++, n++)
		v = v * 10 + (*s - '0');
	if (n == 0 || v > max)
		return -1;
	*sp = s;
	*out = v;
	return 0;
}

/* [+-]h[h[h]][:mm[:ss]] in seconds. Offsets allow 24 hours, v3 transition times 167. */
static int
tz_parse_hms(const char **sp, int maxh, int32_t *out)
{
	const char *s = *sp;
	int sign = 1, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		sign = *s++ == '-' ? -1 : 1;
	if (tz_parse_num(&s, 3, maxh, &h) == -1)
		return -1;
	if (*s == ':') {
		s++;
		if (tz_parse_num(&s, 2, 59, &m) == -1)
			return -1;
		if (*s == ':') {
			s++;
			if (tz_parse_num(&s, 2, 59, &sec) == -1)
				return -1;
		}
	}
	*sp = s;
	*out = sign * (h * 3600 + m * 60 + sec);
	return 0;
}

/* ,date[/time] */
static int
tz_parse_date(const char **sp, struct tz_date *d)
{
	const char *s = *sp;

	if (*s++ != ',')
		return -1;
	memset(d, 0, sizeof(*d));
	if (*s == 'J') {
		s++;
		d->kind = TZ_DATE_JULIAN1;
		if (tz_parse_num(&s, 3, 365, &d->day) == -1 || d->day < 1)
			return -1;
	} else if (*s == 'M') {
		s++;
		d->kind = TZ_DATE_MONTH;
		if (tz_parse_num(&s, 2, 12, &d->month) == -1 || d->month < 1 || *s++ != '.' ||
		    tz_parse_num(&s, 1, 5, &d->week) == -1 || d->week < 1 || *s++ != '.' ||
		    tz_parse_num(&s, 1, 6, &d->day) == -1)
			return -1;
	} else {
		d->kind = TZ_DATE_JULIAN0;
		if (tz_parse_num(&s, 3, 365, &d->day) == -1)
			return -1;
	}
	d->time = 2 * 3600;
	if (*s == '/') {
		s++;
		if (tz_parse_hms(&s, 167, &d->time) == -1)
			return -1;
	}
	*sp = s;
	return 0;
}

static int
tz_rule_parse(const char *s, struct tz_rule *r)
{
	int32_t off;

	memset(r, 0, sizeof(*r));
	if (tz_parse_abbr(&s) == -1 || tz_parse_hms(&s, 24, &off) == -1)
		return -1;
	/* POSIX offsets count hours west of Greenwich. */
	r->std_off = -off;
	if (*s == '\0')
		return 0;
	if (tz_parse_abbr(&s) == -1)
		return -1;
	r->has_dst = true;
	r->dst_off = r->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if (tz_parse_hms(&s, 24, &off) == -1)
			return -1;
		r->dst_off = -off;
	}
	/* A rule-less DST zone gets the US rules, as glibc does; zic never writes one. */
	if (*s == '\0')
		s = ",M3.2.0,M11.1.0";
	if (tz_parse_date(&s, &r->start) == -1 || tz_parse_date(&s, &r->end) == -1)
		return -1;
	return *s == '\0' ? 0 : -1;
}

/* Day number of the rule's date in year y. */
static int64_t
tz_date_day(const struct tz_date *d, int64_t y)
{
	int64_t first, day;

	switch (d->kind) {
	case TZ_DATE_JULIAN1:
		return tz_days(y, 1, 1) + d->day - 1 + (tz_is_leap(y) && d->day >= 60);
	case TZ_DATE_JULIAN0:
		return tz_days(y, 1, 1) + d->day;
	case TZ_DATE_MONTH:
		break;
	}
	first = tz_days(y, d->month, 1);
	/* 1970-01-01 was a Thursday (4 when Sunday is 0). */
	day = first + tz_floormod(d->day - (first + 4), 7) + 7 * (d->week - 1);
	while (day >= first + tz_month_len(y, d->month))
		day -= 7;
	return day;
}

/* The rule's offset at t: the latest of the DST starts and ends around t decides. Looking
 * at the neighbouring years too copes with southern zones, with negative DST (Dublin) and
 * with transition times past 24h that push a change into another year. At equal instants
 * a start wins, so a rule that is DST all year ("0/0,J365/25") never drops out of it. */
static int32_t
tz_rule_offset(const struct tz_rule *r, int64_t t)
{
	int64_t y, best = 0;
	bool found = false, dst = false;

	if (!r->has_dst)
		return r->std_off;
	y = tz_year_of(tz_floordiv(t + r->std_off, 86400));
	for (int64_t yy = y - 1; yy <= y + 1; yy++) {
		int64_t start = tz_date_day(&r->start, yy) * 86400 + r->start.time - r->std_off;
		int64_t end = tz_date_day(&r->end, yy) * 86400 + r->end.time - r->dst_off;

		if (end <= t && (!found || end > best)) {
			best = end;
			found = true;
			dst = false;
		}
		if (start <= t && (!found || start >= best)) {
			best = start;
			found = true;
			dst = true;
		}
	}
	return dst ? r->dst_off : r->std_off;
}

/* ---- TZif files ---- */

static uint32_t
tz_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
tz_be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)tz_be32(p) << 32 | tz_be32(p + 4));
}

static int
tz_parse_hdr(const unsigned char *p, size_t len, struct tzif_hdr *h)
{
	if (len < TZ_HDR_LEN || memcmp(p, "TZif", 4) != 0)
		return -1;
	h->version = (char)p[4];
	if (h->version != '\0' && (h->version < '2' || h->version > '9'))
		return -1;
	h->isutcnt = tz_be32(p + 20);
	h->isstdcnt = tz_be32(p + 24);
	h->leapcnt = tz_be32(p + 28);
	h->timecnt = tz_be32(p + 32);
	h->typecnt = tz_be32(p + 36);
	h->charcnt = tz_be32(p + 40);
	return 0;
}

static uint64_t
tz_block_len(const struct tzif_hdr *h, size_t tsize)
{
	return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
	    (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

/* Copies one data block into z after checking what a reader relies on. */
static int
tz_parse_block(struct tz *z, const struct tzif_hdr *h, const unsigned char *p, size_t tsize,
    const char **why)
{
	const unsigned char *idx = p + h->timecnt * tsize, *types = idx + h->timecnt;

	*why = "not a valid TZif file";
	if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0 ||
	    (h->isstdcnt != 0 && h->isstdcnt != h->typecnt) ||
	    (h->isutcnt != 0 && h->isutcnt != h->typecnt))
		return -1;
	if (h->leapcnt != 0) {
		*why = "counts leap seconds (a \"right/\" zone), which scaidial does not support";
		return -1;
	}
	z->n_trans = h->timecnt;
	z->n_types = h->typecnt;
	z->trans = xcalloc(z->n_trans ? z->n_trans : 1, sizeof(*z->trans));
	z->trans_type = xcalloc(z->n_trans ? z->n_trans : 1, 1);
	z->type_off = xcalloc(z->n_types, sizeof(*z->type_off));
	for (size_t i = 0; i < z->n_trans; i++) {
		z->trans[i] = tsize == 8 ? tz_be64(p + i * 8) : (int32_t)tz_be32(p + i * 4);
		z->trans_type[i] = idx[i];
		if (idx[i] >= h->typecnt || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			return -1;
	}
	for (size_t i = 0; i < z->n_types; i++) {
		int32_t off = (int32_t)tz_be32(types + i * 6);

		/* RFC 8536 bounds: -25:59:59 .. +25:59:59. */
		if (off < -93599 || off > 93599 || types[i * 6 + 5] >= h->charcnt)
			return -1;
		z->type_off[i] = off;
	}
	return 0;
}

/* The footer of a v2+ file: "\n" TZ-string "\n"; an empty string means no rule. */
static int
tz_parse_footer(struct tz *z, const unsigned char *p, size_t len, const char **why)
{
	const unsigned char *nl;
	char rule[256];
	size_t n;

	*why = "not a valid TZif file (no footer)";
	if (len < 2 || p[0] != '\n' || (nl = memchr(p + 1, '\n', len - 1)) == NULL)
		return -1;
	n = (size_t)(nl - p - 1);
	if (n == 0)
		return 0;
	*why = "unsupported TZ rule in its footer";
	if (n >= sizeof(rule))
		return -1;
	memcpy(rule, p + 1, n);
	rule[n] = '\0';
	if (tz_rule_parse(rule, &z->rule) == -1)
		return -1;
	z->has_rule = true;
	return 0;
}

static int
tz_parse_file(struct tz *z, const unsigned char *p, size_t len, const char **why)
{
	struct tzif_hdr h;
	uint64_t blen;

	*why = "not a TZif file";
	if (tz_parse_hdr(p, len, &h) == -1)
		return -1;
	*why = "truncated TZif file";
	blen = tz_block_len(&h, 4);
	if (blen > len - TZ_HDR_LEN)
		return -1;
	if (h.version == '\0')
		return tz_parse_block(z, &h, p + TZ_HDR_LEN, 4, why);
	/* Version 2 and later repeat everything with 64-bit times: skip the 32-bit part. */
	p += TZ_HDR_LEN + blen;
	len -= TZ_HDR_LEN + blen;
	*why = "not a valid TZif file";
	if (tz_parse_hdr(p, len, &h) == -1)
		return -1;
	*why = "truncated TZif file";
	blen = tz_block_len(&h, 8);
	if (blen > len - TZ_HDR_LEN)
		return -1;
	if (tz_parse_block(z, &h, p + TZ_HDR_LEN, 8, why) == -1)
		return -1;
	return tz_parse_footer(z, p + TZ_HDR_LEN + blen, len - TZ_HDR_LEN - blen, why);
}

/* IANA names only: a name is never a path of the caller's choosing. */
static bool
tz_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > TZ_NAME_MAX || name[0] == '/' || name[n - 1] == '/' ||
	    strstr(name, "..") != NULL || strstr(name, "//") != NULL)
		return false;
	for (const char *s = name; *s; s++) {
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || strchr("_+-/", *s) != NULL))
			return false;
	}
	return true;
}

/* Reads the whole file; -1 with errno set (EFTYPE-like cases as EINVAL). */
static int
tz_read(const char *path, unsigned char **out, size_t *outlen)
{
	struct stat st;
	unsigned char *p;
	size_t got = 0;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(fd, &st) == -1)
		goto fail;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TZ_FILE_MAX) {
		errno = EINVAL;
		goto fail;
	}
	p = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			free(p);
			if (r == 0)
				errno = EINVAL;
			goto fail;
		}
		got += (size_t)r;
	}
	close(fd);
	*out = p;
	*outlen = got;
	return 0;
fail:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

static struct tz *
tz_new(const char *name)
{
	struct tz *z = xcalloc(1, sizeof(*z));

	z->name = xstrdup(name);
	return z;
}

/* UTC must work even where tzdata is not installed: it is the configuration's default. */
static struct tz *
tz_utc(const char *name)
{
	struct tz *z = tz_new(name);

	z->trans = xcalloc(1, sizeof(*z->trans));
	z->trans_type = xcalloc(1, 1);
	z->type_off = xcalloc(1, sizeof(*z->type_off));
	z->n_types = 1;
	return z;
}

int
tz_load(const char *name, struct tz **out, char *err, size_t errlen)
{
	const char *dir = getenv("TZDIR"), *why;
	char path[4096];
	unsigned char *data;
	size_t len;
	struct tz *z;

	*out = NULL;
	if (!tz_name_ok(name)) {
		snprintf(err, errlen, "bad time zone name '%s' (want an IANA name such as "
		    "'Europe/Paris')", name);
		return -1;
	}
	if (dir == NULL || dir[0] == '\0')
		dir = TZ_DIR;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(err, errlen, "unknown time zone '%s'", name);
		return -1;
	}
	if (tz_read(path, &data, &len) == -1) {
		if (errno == ENOENT && strcmp(name, "UTC") == 0) {
			*out = tz_utc(name);
			return 0;
		}
		if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR)
			snprintf(err, errlen, "unknown time zone '%s'", name);
		else if (errno == EINVAL)
			snprintf(err, errlen, "time zone '%s': %s is not a TZif file", name,
			    path);
		else
			snprintf(err, errlen, "time zone '%s': %s: %s", name, path,
			    strerror(errno));
		return -1;
	}
	z = tz_new(name);
	if (tz_parse_file(z, data, len, &why) == -1) {
		snprintf(err, errlen, "time zone '%s': %s: %s", name, path, why);
		free(data);
		tz_free(z);
		return -1;
	}
	free(data);
	*out = z;
	return 0;
}

void
tz_free(struct tz *z)
{
	if (z == NULL)
		return;
	free(z->name);
	free(z->trans);
	free(z->trans_type);
	free(z->type_off);
	free(z);
}

const char *
tz_name(const struct tz *z)
{
	return z->name;
}

/* A NULL zone is UTC, so that a rule built without one still has a meaning. */
int32_t
tz_offset(const struct tz *z, int64_t t)
{
	size_t lo, hi;

	if (z == NULL)
		return 0;
	t = tz_clamp(t);
	if (z->n_trans == 0 || t >= z->trans[z->n_trans - 1]) {
		if (z->has_rule)
			return tz_rule_offset(&z->rule, t);
		return z->type_off[z->n_trans ? z->trans_type[z->n_trans - 1] : 0];
	}
	if (t < z->trans[0])
		return z->type_off[0];
	/* The last transition at or before t: trans[lo] <= t < trans[hi]. */
	lo = 0;
	hi = z->n_trans - 1;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->type_off[z->trans_type[lo]];
}

void
tz_local(const struct tz *z, int64_t t, struct tz_local *out)
{
	int64_t local, days;

	t = tz_clamp(t);
	local = t + tz_offset(z, t);
	days = tz_floordiv(local, 86400);
	/* 1970-01-01 was a Thursday: 3 when Monday is 0. */
	out->wday = (int)tz_floormod(days + 3, 7);
	out->minute = (int)((local - days * 86400) / 60);
}
