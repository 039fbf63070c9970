/* vmpost_answer: reads what the transcription service answered (vmpost_transcript(), see
 * vmpost.h): untrusted bytes, so it stands alone for tests/fuzz/fuzz-vmpost-answer.sh. A
 * minimal JSON reader: the top-level object's "transcript" string is decoded, every other
 * member is skipped without being interpreted. */
#include "vmpost.h"

#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* Appends the JSON string at *p (just past its opening quote) to out, decoded. */
static int
vmpost_json_string(const char **pp, const char *end, struct buf *out)
{
	const char *p = *pp;

	while (p < end && *p != '"') {
		unsigned char c = (unsigned char)*p++;
		unsigned cp = 0;

		if (c < 0x20)
			return -1;
		if (c != '\\') {
			buf_add(out, (const char *)&c, 1);
			continue;
		}
		if (p >= end)
			return -1;
		switch (*p++) {
		case '"': buf_add(out, "\"", 1); continue;
		case '\\': buf_add(out, "\\", 1); continue;
		case '/': buf_add(out, "/", 1); continue;
		case 'b': buf_add(out, "\b", 1); continue;
		case 'f': buf_add(out, "\f", 1); continue;
		case 'n': buf_add(out, "\n", 1); continue;
		case 'r': buf_add(out, "\r", 1); continue;
		case 't': buf_add(out, "\t", 1); continue;
		case 'u': break;
		default: return -1;
		}
		for (int pair = 0; pair < 2; pair++) {
			unsigned v = 0;

			if (end - p < 4)
				return -1;
			for (int i = 0; i < 4; i++) {
				char h = *p++;

				v <<= 4;
				if (h >= '0' && h <= '9')
					v |= (unsigned)(h - '0');
				else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
					v |= (unsigned)((h | 0x20) - 'a' + 10);
				else
					return -1;
			}
			if (pair == 0 && v >= 0xd800 && v < 0xdc00) {
				cp = v;
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u')
					return -1;
				p += 2;
				continue;
			}
			if (pair == 1) {
				if (v < 0xdc00 || v >= 0xe000)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (v - 0xdc00);
			} else if (v >= 0xdc00 && v < 0xe000)
				return -1;
			else
				cp = v;
			break;
		}
		if (cp == 0)
			return -1;	/* would cut the C string */
		char u[4];
		size_t n;

		if (cp < 0x80) {
			u[0] = (char)cp; n = 1;
		} else if (cp < 0x800) {
			u[0] = (char)(0xc0 | (cp >> 6)); u[1] = (char)(0x80 | (cp & 0x3f)); n = 2;
		} else if (cp < 0x10000) {
			u[0] = (char)(0xe0 | (cp >> 12)); u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
			u[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
		} else {
			u[0] = (char)(0xf0 | (cp >> 18)); u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
			u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); u[3] = (char)(0x80 | (cp & 0x3f));
			n = 4;
		}
		buf_add(out, u, n);
	}
	if (p >= end)
		return -1;
	*pp = p + 1;
	return 0;
}

static const char *
vmpost_ws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* Skips one JSON value that is not a string: a scalar, or a nested object or array. */
static const char *
vmpost_skip(const char *p, const char *end)
{
	int depth = 0;

	for (; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\')
					p++;
			if (p >= end)
				return NULL;
			continue;
		}
		if (*p == '{' || *p == '[')
			depth++;
		else if (*p == '}' || *p == ']') {
			if (depth == 0)
				return p;
			if (--depth == 0)
				return p + 1;
		} else if (*p == ',' && depth == 0)
			return p;
	}
	return depth == 0 ? p : NULL;
}

char *
vmpost_transcript(const char *body, size_t len)
{
	const char *p = body, *end = body + len;
	struct buf key, val;
	char *out = NULL;
	int found = 0;

	p = vmpost_ws(p, end);
	if (p == end || memchr(body, '\0', len) != NULL)
		return NULL;
	if (*p != '{') {
		while (end > p && (end[-1] == ' ' || end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == '\t'))
			end--;
		return xstrndup(p, (size_t)(end - p));
	}
	buf_init(&key);
	buf_init(&val);
	p = vmpost_ws(p + 1, end);
	while (p < end && *p != '}') {
		key.len = 0;
		if (*p != '"' || (p++, vmpost_json_string(&p, end, &key)) == -1)
			goto out;
		p = vmpost_ws(p, end);
		if (p >= end || *p != ':')
			goto out;
		p = vmpost_ws(p + 1, end);
		if (p < end && *p == '"' && key.len == 10 &&
		    memcmp(key.data, "transcript", 10) == 0) {
			val.len = 0;
			p++;
			if (vmpost_json_string(&p, end, &val) == -1)
				goto out;
			found = 1;
		} else if (p < end && *p == '"') {
			struct buf skip;

			buf_init(&skip);
			p++;
			int rc = vmpost_json_string(&p, end, &skip);

			buf_free(&skip);
			if (rc == -1)
				goto out;
		} else if ((p = vmpost_skip(p, end)) == NULL)
			goto out;
		p = vmpost_ws(p, end);
		if (p < end && *p == ',')
			p = vmpost_ws(p + 1, end);
		else if (p >= end || *p != '}')
			goto out;
	}
	if (p < end && found)
		out = xstrndup(val.len ? val.data : "", val.len);
out:
	buf_free(&key);
	buf_free(&val);
	return out;
}
