/* sip_info: the digit of a SIP INFO body (see sip_info.h). */
#include <strings.h>

#include "sip_info.h"

static int
sip_info_is_digit(char d)
{
	return (d >= '0' && d <= '9') || d == '*' || d == '#' || (d >= 'A' && d <= 'D');
}

char
sip_info_digit(const char *ct, const char *body, size_t len)
{
	const char *b = body, *end = body + len;
	char d = 0;

	if (ct == NULL || body == NULL)
		return 0;
	if (strcasecmp(ct, "application/dtmf-relay") == 0) {
		for (; end - b >= 7; b++)
			if (strncasecmp(b, "Signal=", 7) == 0) {
				for (b += 7; b < end && (*b == ' ' || *b == '\t'); b++)
					;
				d = b < end ? *b : 0;
				break;
			}
	} else if (strcasecmp(ct, "application/dtmf") == 0) {
		for (; b < end && (*b == ' ' || *b == '\t'); b++)
			;
		d = b < end ? *b : 0;
	}
	return sip_info_is_digit(d) ? d : 0;
}
