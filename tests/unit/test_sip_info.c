/* Unit tests of the SIP INFO digit parser. */
#include <string.h>

#include "sip_info.h"
#include "tap.h"

static char
dig(const char *ct, const char *body)
{
	return sip_info_digit(ct, body, strlen(body));
}

int
main(void)
{
	is_int(dig("application/dtmf-relay", "Signal=5\r\nDuration=160\r\n"), '5', "dtmf-relay 5");
	is_int(dig("Application/DTMF-Relay", "signal= #\r\n"), '#', "case and blanks do not matter");
	is_int(dig("application/dtmf-relay", "Duration=160\r\nSignal=*\r\n"), '*',
	    "Signal need not come first");
	is_int(dig("application/dtmf", "  D"), 'D', "application/dtmf D");
	is_int(dig("application/dtmf-relay", "Signal=x\r\n"), 0, "x is no digit");
	is_int(dig("application/dtmf-relay", "Signal="), 0, "a body that ends after = has none");
	is_int(dig("application/dtmf-relay", "Signa"), 0, "a cut body has none");
	is_int(dig("text/plain", "5"), 0, "another content type carries none");
	is_int(sip_info_digit(NULL, "5", 1), 0, "no content type, no digit");
	is_int(sip_info_digit("application/dtmf", "57", 1), '5', "only len bytes are read");
	return tap_done();
}
