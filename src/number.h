/* number: telephone numbers as written by carriers and sysadmins, brought to one form so
 * that "+1 (555) 123-0001", "0015551230001" and "+15551230001" compare equal. */
#ifndef SCAIDIAL_NUMBER_H
#define SCAIDIAL_NUMBER_H

#include <stddef.h>

/* Removes visual separators (space, '-', '.', '(', ')'), turns a leading "00" into '+'.
 * The result is '+' and 1..15 digits (E.164) or 1..15 digits without '+' (a national or
 * short number, kept as written). Returns 0, or -1 when in is not a number at all. */
int	 number_normalize(const char *in, char *out, size_t outlen);
/* 1 when a normalised E.164 number matches a glob pattern ('*' any run, '?' one digit). */
int	 number_glob_match(const char *pattern, const char *number);

#endif
