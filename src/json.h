/* json: a small streaming JSON writer into a struct buf, for the admin socket's --json
 * output. No parser and no DOM: callers emit values in document order and the writer
 * places the commas and colons, tracked by a nesting stack. Strings are escaped for
 * quotes, backslashes and control characters; valid UTF-8 passes through unchanged and
 * every invalid byte becomes U+FFFD, so the output is always valid JSON whatever the
 * database or a SIP peer handed us. */
#ifndef SCAIDIAL_JSON_H
#define SCAIDIAL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define JSON_MAX_DEPTH	32

struct json {
	struct buf	*b;
	int		 depth;
	bool		 after_key;		/* a key was written, its value is due */
	bool		 misused;		/* unbalanced or too deep: see json_finish() */
	unsigned char	 kind[JSON_MAX_DEPTH];	/* '{' or '[' per open level */
	bool		 has_items[JSON_MAX_DEPTH];
};

void	 json_init(struct json *, struct buf *);
/* 0 when exactly one complete document was written, -1 after any misuse. */
int	 json_finish(struct json *);

void	 json_object_begin(struct json *);
void	 json_object_end(struct json *);
void	 json_array_begin(struct json *);
void	 json_array_end(struct json *);
/* Inside an object: the key of the next value. */
void	 json_key(struct json *, const char *);

void	 json_string(struct json *, const char *);	/* NULL writes null */
void	 json_stringn(struct json *, const char *, size_t);
void	 json_int(struct json *, int64_t);
void	 json_uint(struct json *, uint64_t);
void	 json_bool(struct json *, bool);
void	 json_null(struct json *);

/* key + value, the common case in objects. */
void	 json_kv_string(struct json *, const char *key, const char *);
void	 json_kv_int(struct json *, const char *key, int64_t);
void	 json_kv_uint(struct json *, const char *key, uint64_t);
void	 json_kv_bool(struct json *, const char *key, bool);
void	 json_kv_null(struct json *, const char *key);

/* Appends s as a quoted, escaped JSON string (no comma handling): also for callers that
 * only need one string literal. */
void	 json_quote(struct buf *, const char *s, size_t len);

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when s[0..n) does not start one
 * (overlong forms, surrogates and code points above U+10FFFF are invalid). */
size_t	 json_utf8_len(const unsigned char *s, size_t n);

#endif
