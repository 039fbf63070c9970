/* ctl_fmt: tables, times and argument parsing for the admin commands. See ctl_fmt.h. */
#include "ctl_fmt.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

#define CTL_FMT_GAP	2	/* spaces between columns */

static size_t
ctl_fmt_chars(const char *s)
{
	size_t n = 0;

	/* Every byte that does not continue a UTF-8 sequence starts a character: good
	 * enough to align names like "Café" without a wcwidth table. */
	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

void
ctl_table_init(struct ctl_table *t, size_t ncols, const char *const *header)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	t->width = xcalloc(ncols, sizeof(*t->width));
	t->indent = "";
	ctl_table_row(t, header);
}

void
ctl_table_row(struct ctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof(*t->cells));
	}
	for (size_t c = 0; c < t->ncols; c++) {
		const char *s = cells[c] != NULL && cells[c][0] != '\0' ? cells[c] : "-";
		size_t w = ctl_fmt_chars(s);

		t->cells[t->nrows * t->ncols + c] = xstrdup(s);
		if (w > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
}

void
ctl_table_render(struct ctl_table *t, struct buf *b)
{
	for (size_t r = 0; r < t->nrows; r++) {
		buf_adds(b, t->indent);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			buf_adds(b, s);
			/* No padding after the last column: no trailing blanks. */
			if (c + 1 < t->ncols) {
				size_t pad = t->width[c] - ctl_fmt_chars(s) + CTL_FMT_GAP;

				for (size_t i = 0; i < pad; i++)
					buf_addc(b, ' ');
			}
		}
		buf_addc(b, '\n');
	}
	ctl_table_free(t);
}

void
ctl_table_free(struct ctl_table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	memset(t, 0, sizeof(*t));
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm): no
 * timegm(), no TZ, no locale. */
static int64_t
ctl_fmt_days(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
ctl_fmt_civil(int64_t days, int64_t *y, int *m, int *d)
{
	days += 719468;
	int64_t era = (days >= 0 ? days : days - 146096) / 146097;
	int64_t doe = days - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

char *
ctl_fmt_time_str(int64_t ms, char *out, size_t outlen)
{
	if (ms <= 0) {
		snprintf(out, outlen, "-");
		return out;
	}
	int64_t s = ms / 1000, days = s / 86400, rem = s % 86400, y;
	int m, d;

	ctl_fmt_civil(days, &y, &m, &d);
	snprintf(out, outlen, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, m, d,
	    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
	return out;
}

void
ctl_fmt_time(struct buf *b, int64_t ms)
{
	char s[40];

	buf_adds(b, ctl_fmt_time_str(ms, s, sizeof(s)));
}

char *
ctl_fmt_duration(int64_t sec, char *out, size_t outlen)
{
	if (sec < 0)
		sec = 0;
	int64_t d = sec / 86400, h = sec / 3600 % 24, m = sec / 60 % 60, s = sec % 60;

	if (d > 0)
		snprintf(out, outlen, "%" PRId64 "d %" PRId64 "h %" PRId64 "m %" PRId64 "s",
		    d, h, m, s);
	else if (h > 0)
		snprintf(out, outlen, "%" PRId64 "h %" PRId64 "m %" PRId64 "s", h, m, s);
	else if (m > 0)
		snprintf(out, outlen, "%" PRId64 "m %" PRId64 "s", m, s);
	else
		snprintf(out, outlen, "%" PRId64 "s", s);
	return out;
}

char *
ctl_fmt_trunc(const char *s, size_t max, char *out, size_t outlen)
{
	size_t i = 0, o = 0, chars = 0;

	if (s == NULL)
		s = "";
	/* Cut on a character boundary; control characters become blanks, as a transcript
	 * must stay one cell of one line. outlen must be at least 4. */
	while (s[i] != '\0') {
		size_t n = 1;

		while (((unsigned char)s[i + n] & 0xc0) == 0x80)
			n++;
		if (chars == max || o + n + 4 > outlen)
			break;
		for (size_t k = 0; k < n; k++, i++)
			out[o++] = (unsigned char)s[i] < 0x20 ? ' ' : s[i];
		chars++;
	}
	out[o] = '\0';
	if (s[i] != '\0')
		memcpy(out + o, "...", 4);
	return out;
}

/* Exactly n digits at *p, advancing it. */
static int
ctl_fmt_digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		*v = *v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	return 0;
}

int
ctl_parse_time(const char *s, int64_t *ms)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, mo, d, h = 0, mi = 0, sec = 0, frac_ms = 0, off = 0;
	const char *p = s;

	if (ctl_fmt_digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    ctl_fmt_digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    ctl_fmt_digits(&p, 2, &d) == -1)
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (ctl_fmt_digits(&p, 2, &h) == -1 || *p++ != ':' ||
		    ctl_fmt_digits(&p, 2, &mi) == -1)
			return -1;
		if (*p == ':') {
			p++;
			if (ctl_fmt_digits(&p, 2, &sec) == -1)
				return -1;
			if (*p == '.' || *p == ',') {
				int scale = 100;

				p++;
				if (!isdigit((unsigned char)*p))
					return -1;
				for (; isdigit((unsigned char)*p); p++, scale /= 10)
					frac_ms += (*p - '0') * scale;
			}
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;

			if (ctl_fmt_digits(&p, 2, &oh) == -1)
				return -1;
			if (*p == ':')
				p++;
			if (ctl_fmt_digits(&p, 2, &om) == -1 || oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
		}
	}
	if (*p != '\0')
		return -1;
	*ms = (ctl_fmt_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off) * 1000 +
	    frac_ms;
	return 0;
}

int
ctl_parse_count(const char *s, long min, long max, long *out)
{
	long v = 0;

	if (*s == '\0' || strlen(s) > 9)
		return -1;
	for (const char *p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (v < min || v > max)
		return -1;
	*out = v;
	return 0;
}
