/* Unit tests of number normalisation and outbound_allow patterns. */
#include <string.h>

#include "number.h"
#include "tap.h"

static void
norm(const char *in, const char *want)
{
	char out[32];
	int rc = number_normalize(in, out, sizeof(out));

	if (want == NULL)
		ok(rc == -1, "\"%s\" is not a number", in);
	else
		is_str(rc == 0 ? out : NULL, want, "\"%s\" normalises to %s", in, want);
}

int
main(void)
{
	norm("+15551230001", "+15551230001");
	norm("+1 (555) 123-0001", "+15551230001");
	norm("0015551230001", "+15551230001");
	norm("  +44.20.7946.0018", "+442079460018");
	norm("15551230001", "15551230001");
	norm("1001", "1001");
	norm("", NULL);
	norm("+", NULL);
	norm("sip:1001@host", NULL);
	norm("+1555123000199999", NULL);	/* 16 digits: longer than E.164 allows */
	norm("+1555\n1230001", NULL);

	ok(number_glob_match("+1*", "+15551230001"), "+1* matches a NANP number");
	ok(!number_glob_match("+1*", "+442079460018"), "+1* does not match a UK number");
	ok(number_glob_match("+44??????????", "+442079460018"), "? matches one digit each");
	ok(!number_glob_match("+44?", "+442079460018"), "? does not match a run");
	ok(number_glob_match("*", "+1"), "* matches everything");
	ok(!number_glob_match("+1900*", "+15551230001"), "literal prefix must match");
	ok(number_glob_match("+1*0001", "+15551230001"), "* in the middle backtracks");
	return tap_done();
}
