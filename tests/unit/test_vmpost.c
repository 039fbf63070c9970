/* test_vmpost: the transcription answer parser (vmpost_transcript), which reads bytes from
 * the transcription service. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmpost.h"

static void
t(const char *in, const char *want, const char *what)
{
	char *got = vmpost_transcript(in, strlen(in));

	is_str(got != NULL ? got : "(none)", want != NULL ? want : "(none)", "%s", what);
	free(got);
}

int
main(void)
{
	t("{\"transcript\": \"hello there\"}", "hello there", "JSON object");
	t("  {\"id\": 3, \"words\": [1, {\"a\": \"}\"}], \"transcript\":\"x\\\"y\\n\", \"z\": null}",
	    "x\"y\n", "other members skipped, escapes decoded");
	t("{\"transcript\": \"Zo\\u00eb \\u65e5 \\ud83c\\udf89\"}", "Zo\xc3\xab \xe6\x97\xa5 "
	    "\xf0\x9f\x8e\x89", "\\u escapes and a surrogate pair become UTF-8");
	t("hello from plain text\r\n", "hello from plain text", "text/plain, trailing blanks cut");
	t("{\"text\": \"no\"}", NULL, "an object without transcript holds none");
	t("{\"transcript\": 42}", NULL, "a transcript that is not a string is none");
	t("{\"transcript\": \"open", NULL, "an unterminated string is refused");
	t("{\"transcript\": \"a\\u0000b\"}", NULL, "an escaped NUL is refused");
	t("{\"transcript\": \"\\ud800\"}", NULL, "a lone surrogate is refused");
	t("{\"transcript\": \"a\"", NULL, "an unclosed object is refused");
	t("", NULL, "an empty answer holds none");
	t("   \n", NULL, "blanks hold none");
	t("{\"transcript\": \"\"}", "", "an empty transcript is a transcript");
	ok(vmpost_transcript("a\0b", 3) == NULL, "a NUL byte in the answer is refused");
	return tap_done();
}
