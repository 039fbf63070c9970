/* fuzz_sip_info: src/sip_info.c reads INFO bodies a far end sends. The first input byte
 * picks the content type; a digit found must be one of the sixteen DTMF symbols. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_info.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const types[] = { "application/dtmf-relay", "application/dtmf",
	    "APPLICATION/DTMF-RELAY", "text/plain" };
	char *body, d;

	if (len == 0)
		return 0;
	/* A copy of exactly the body's size, so that a read past it is caught. */
	body = malloc(len - 1 ? len - 1 : 1);
	memcpy(body, data + 1, len - 1);
	d = sip_info_digit(types[data[0] % 4], body, len - 1);
	if (d != 0 && strchr("0123456789*#ABCD", d) == NULL)
		abort();
	free(body);
	return 0;
}
