/* json: the writer. See json.h. */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"

void
json_init(struct json *j, struct buf *b)
{
	memset(j, 0, sizeof(*j));
	j->b = b;
}

int
json_finish(struct json *j)
{
	if (j->depth != 0 || j->after_key)
		j->misused = true;
	return j->misused ? -1 : 0;
}

/* Before any value: the comma between siblings, and a check that an object member has
 * its key. */
static void
json_sep(struct json *j)
{
	if (j->depth == 0) {
		if (j->has_items[0])
			j->misused = true;	/* a second top-level value */
		j->has_items[0] = true;
		return;
	}
	if (j->kind[j->depth - 1] == '{') {
		if (!j->after_key)
			j->misused = true;
		j->after_key = false;
		return;
	}
	if (j->has_items[j->depth])
		buf_addc(j->b, ',');
	j->has_items[j->depth] = true;
}

static void
json_open(struct json *j, char kind)
{
	json_sep(j);
	if (j->depth >= JSON_MAX_DEPTH - 1) {
		j->misused = true;
		return;
	}
	buf_addc(j->b, kind);
	j->kind[j->depth] = (unsigned char)kind;
	j->depth++;
	j->has_items[j->depth] = false;
}

static void
json_close(struct json *j, char kind)
{
	if (j->depth == 0 || j->kind[j->depth - 1] != (unsigned char)kind || j->after_key) {
		j->misused = true;
		return;
	}
	j->depth--;
	buf_addc(j->b, kind == '{' ? '}' : ']');
}

void
json_object_begin(struct json *j)
{
	json_open(j, '{');
}

void
json_object_end(struct json *j)
{
	json_close(j, '{');
}

void
json_array_begin(struct json *j)
{
	json_open(j, '[');
}

void
json_array_end(struct json *j)
{
	json_close(j, '[');
}

void
json_key(struct json *j, const char *key)
{
	if (j->depth == 0 || j->kind[j->depth - 1] != '{' || j->after_key) {
		j->misused = true;
		return;
	}
	if (j->has_items[j->depth])
		buf_addc(j->b, ',');
	j->has_items[j->depth] = true;
	json_quote(j->b, key, strlen(key));
	buf_addc(j->b, ':');
	j->after_key = true;
}

size_t
json_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return 0;	/* continuation byte, 0xc0/0xc1 (always overlong), > 0xf4 */
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
		return 0;	/* overlong */
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;	/* surrogate halves are not characters */
	if (cp > 0x10ffff)
		return 0;
	return len;
}

void
json_quote(struct buf *b, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, run = 0;

	buf_addc(b, '"');
	while (i < len) {
		unsigned char c = p[i];
		size_t n;

		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			run++;
			continue;
		}
		/* Copy the plain run in one go: strings of 10,000 DIDs add up. */
		buf_add(b, p + i - run, run);
		run = 0;
		switch (c) {
		case '"':
			buf_adds(b, "\\\"");
			i++;
			continue;
		case '\\':
			buf_adds(b, "\\\\");
			i++;
			continue;
		case '\n':
			buf_adds(b, "\\n");
			i++;
			continue;
		case '\r':
			buf_adds(b, "\\r");
			i++;
			continue;
		case '\t':
			buf_adds(b, "\\t");
			i++;
			continue;
		case '\b':
			buf_adds(b, "\\b");
			i++;
			continue;
		case '\f':
			buf_adds(b, "\\f");
			i++;
			continue;
		}
		if (c < 0x20) {
			buf_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		n = json_utf8_len(p + i, len - i);
		if (n == 0) {
			buf_adds(b, "\xef\xbf\xbd");	/* U+FFFD for each bad byte */
			i++;
			continue;
		}
		buf_add(b, p + i, n);
		i += n;
	}
	buf_add(b, p + i - run, run);
	buf_addc(b, '"');
}

void
json_stringn(struct json *j, const char *s, size_t len)
{
	json_sep(j);
	json_quote(j->b, s, len);
}

void
json_string(struct json *j, const char *s)
{
	if (s == NULL) {
		json_null(j);
		return;
	}
	json_stringn(j, s, strlen(s));
}

void
json_int(struct json *j, int64_t v)
{
	json_sep(j);
	buf_printf(j->b, "%" PRId64, v);
}

void
json_uint(struct json *j, uint64_t v)
{
	json_sep(j);
	buf_printf(j->b, "%" PRIu64, v);
}

void
json_bool(struct json *j, bool v)
{
	json_sep(j);
	buf_adds(j->b, v ? "true" : "false");
}

void
json_null(struct json *j)
{
	json_sep(j);
	buf_adds(j->b, "null");
}

void
json_kv_string(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	json_string(j, v);
}

void
json_kv_int(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_int(j, v);
}

void
json_kv_uint(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_uint(j, v);
}

void
json_kv_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}

void
json_kv_null(struct json *j, const char *key)
{
	json_key(j, key);
	json_null(j);
}
