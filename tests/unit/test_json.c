/* Unit tests of the JSON writer: exact output for every kind of value, separators at
 * every nesting level, escaping, UTF-8 passed through or repaired, misuse detected. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "tap.h"

static struct buf b;
static struct json j;

static void
start(void)
{
	buf_reset(&b);
	json_init(&j, &b);
}

static void
str(const char *in, size_t len, const char *want, const char *what)
{
	start();
	json_stringn(&j, in, len);
	is_str(b.data, want, "string: %s", what);
}

int
main(void)
{
	buf_init(&b);

	start();
	json_object_begin(&j);
	json_object_end(&j);
	is_str(b.data, "{}", "empty object");
	is_int(json_finish(&j), 0, "empty object is a complete document");

	start();
	json_array_begin(&j);
	json_array_end(&j);
	is_str(b.data, "[]", "empty array");

	start();
	json_object_begin(&j);
	json_kv_string(&j, "a", "x");
	json_kv_int(&j, "b", -42);
	json_kv_bool(&j, "c", true);
	json_kv_bool(&j, "d", false);
	json_kv_null(&j, "e");
	json_kv_uint(&j, "f", 7);
	json_kv_string(&j, "g", NULL);
	json_object_end(&j);
	is_str(b.data, "{\"a\":\"x\",\"b\":-42,\"c\":true,\"d\":false,\"e\":null,\"f\":7,\"g\":null}",
	    "object with every scalar kind");
	is_int(json_finish(&j), 0, "balanced");

	start();
	json_array_begin(&j);
	json_int(&j, 1);
	json_array_begin(&j);
	json_array_end(&j);
	json_object_begin(&j);
	json_key(&j, "k");
	json_array_begin(&j);
	json_int(&j, 2);
	json_int(&j, 3);
	json_array_end(&j);
	json_kv_string(&j, "z", "");
	json_object_end(&j);
	json_null(&j);
	json_array_end(&j);
	is_str(b.data, "[1,[],{\"k\":[2,3],\"z\":\"\"},null]", "commas at every level");
	is_int(json_finish(&j), 0, "nested document is complete");

	start();
	json_int(&j, INT64_MIN);
	is_str(b.data, "-9223372036854775808", "INT64_MIN");
	start();
	json_int(&j, INT64_MAX);
	is_str(b.data, "9223372036854775807", "INT64_MAX");
	start();
	json_uint(&j, UINT64_MAX);
	is_str(b.data, "18446744073709551615", "UINT64_MAX");
	start();
	json_int(&j, 0);
	is_str(b.data, "0", "zero");

	str("plain", 5, "\"plain\"", "plain text");
	str("", 0, "\"\"", "empty");
	str("a\"b\\c/d", 7, "\"a\\\"b\\\\c/d\"", "quote and backslash escaped, slash not");
	str("\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"", "short escapes");
	str("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\x7f\"", "other control characters as \\u00XX");
	str("a\0b", 3, "\"a\\u0000b\"", "NUL inside a counted string");
	str("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", "two-byte UTF-8 passes through");
	str("\xe2\x82\xac", 3, "\"\xe2\x82\xac\"", "three-byte UTF-8 passes through");
	str("\xf0\x9f\x93\x9e", 4, "\"\xf0\x9f\x93\x9e\"", "four-byte UTF-8 passes through");
	str("\xff", 1, "\"\xef\xbf\xbd\"", "invalid byte becomes U+FFFD");
	str("a\xc3", 2, "\"a\xef\xbf\xbd\"", "truncated sequence becomes U+FFFD");
	str("\xc0\xaf", 2, "\"\xef\xbf\xbd\xef\xbf\xbd\"", "overlong slash: two replacements");
	str("\xed\xa0\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "surrogate refused");
	str("\xf4\x90\x80\x80", 4, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"",
	    "above U+10FFFF refused");
	str("\xe0\x80\x80", 3, "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"", "overlong 3-byte refused");

	start();
	json_object_begin(&j);
	json_kv_string(&j, "ke\"y", "v");
	json_object_end(&j);
	is_str(b.data, "{\"ke\\\"y\":\"v\"}", "keys are escaped too");

	is_int(json_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2, "utf8_len 2");
	is_int(json_utf8_len((const unsigned char *)"\xc3", 1), 0, "utf8_len short input");
	is_int(json_utf8_len((const unsigned char *)"\x80", 1), 0, "utf8_len lone continuation");

	/* Misuse is reported, not silently turned into invalid output. */
	start();
	json_object_begin(&j);
	is_int(json_finish(&j), -1, "unclosed object is misuse");
	start();
	json_object_begin(&j);
	json_int(&j, 1);
	json_object_end(&j);
	is_int(json_finish(&j), -1, "value without key in an object is misuse");
	start();
	json_array_begin(&j);
	json_object_end(&j);
	is_int(json_finish(&j), -1, "mismatched close is misuse");
	start();
	json_int(&j, 1);
	json_int(&j, 2);
	is_int(json_finish(&j), -1, "two top-level values is misuse");
	start();
	json_array_begin(&j);
	json_key(&j, "k");
	is_int(json_finish(&j), -1, "key in an array is misuse");
	start();
	for (int i = 0; i < JSON_MAX_DEPTH + 2; i++)
		json_array_begin(&j);
	is_int(json_finish(&j), -1, "too deep is misuse");
	start();
	for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
		json_array_begin(&j);
	for (int i = 0; i < JSON_MAX_DEPTH - 1; i++)
		json_array_end(&j);
	is_int(json_finish(&j), 0, "deepest allowed nesting is fine");

	/* A long string with a few escapes keeps its plain runs intact. */
	{
		struct buf in, want;

		buf_init(&in);
		buf_init(&want);
		buf_addc(&want, '"');
		for (int i = 0; i < 5000; i++) {
			buf_adds(&in, "+1555123");
			buf_adds(&want, "+1555123");
			if (i % 1000 == 0) {
				buf_addc(&in, '\t');
				buf_adds(&want, "\\t");
			}
		}
		buf_addc(&want, '"');
		str(in.data, in.len, want.data, "long string with escapes");
		buf_free(&in);
		buf_free(&want);
	}

	buf_free(&b);
	return tap_done();
}
