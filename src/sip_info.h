/* sip_info: the digit a SIP INFO carries (the DTMF that phones and carriers without
 * RFC 4733 send): application/dtmf-relay ("Signal=5\r\nDuration=160") or application/dtmf
 * ("5"). A pure function on the untrusted body, fuzzed (tests/fuzz/fuzz-sip-info.sh). */
#ifndef SCAIDIAL_SIP_INFO_H
#define SCAIDIAL_SIP_INFO_H

#include <stddef.h>

/* The digit (0-9, *, #, A-D), or 0 when the content type is neither or the body holds
 * none. content_type may be NULL; body need not be NUL-terminated. */
char	 sip_info_digit(const char *content_type, const char *body, size_t len);

#endif
