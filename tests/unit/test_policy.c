/* Unit tests of the outbound number policy (the toll-fraud guard). */
#include <stddef.h>

#include "config.h"
#include "policy.h"
#include "tap.h"

int
main(void)
{
	const char *pats[] = { "+1*", "+4420????????" };
	struct tenant t = { .id = "acme", .outbound_allow = pats, .n_outbound_allow = 2 };
	struct tenant none = { .id = "empty" };

	ok(policy_outbound_allowed(&t, "+15557654321"), "+1* allows a NANP number");
	ok(policy_outbound_allowed(&t, "+1 (555) 765-4321"), "written with separators too");
	ok(policy_outbound_allowed(&t, "0015557654321"), "and with 00 for +");
	ok(policy_outbound_allowed(&t, "+442079460018"), "+4420???????? allows a London number");
	ok(!policy_outbound_allowed(&t, "+4420794600189"), "but not one digit longer");
	ok(!policy_outbound_allowed(&t, "+448712345678"), "nor another UK number");
	ok(!policy_outbound_allowed(&t, "+8821234567"), "a satellite number is refused");
	ok(!policy_outbound_allowed(&t, "15557654321"), "no '+': not E.164, refused");
	ok(!policy_outbound_allowed(&t, "1001"), "a short number is refused");
	ok(!policy_outbound_allowed(&t, "+1555x"), "garbage is refused");
	ok(!policy_outbound_allowed(&t, ""), "empty is refused");
	ok(!policy_outbound_allowed(&none, "+15557654321"), "an empty list allows nothing");
	ok(!policy_outbound_allowed(NULL, "+15557654321"), "no tenant allows nothing");

	ok(policy_target_allowed(&t, "+15557654321"), "target: a number as above");
	ok(!policy_target_allowed(&t, "+33123456789"), "target: a refused number");
	ok(policy_target_allowed(&t, "sip:+15557654321@127.0.0.4:5080"),
	    "target: a URI whose user is an allowed number");
	ok(!policy_target_allowed(&t, "sip:+33123456789@carrier.example"),
	    "target: a URI whose user is a refused number");
	ok(!policy_target_allowed(&t, "sip:0033123456789;phone-context=x@carrier.example"),
	    "target: a user parameter does not hide the number");
	ok(policy_target_allowed(&t, "sip:alice@pbx.example"), "target: a named user is not a number");
	ok(policy_target_allowed(&none, "sip:alice@pbx.example"), "even with an empty list");
	ok(!policy_target_allowed(&none, "sip:+15557654321@carrier.example"),
	    "but a number in a URI is checked against the empty list");
	ok(!policy_target_allowed(&t, ""), "target: empty is refused");
	return tap_done();
}
