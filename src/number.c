#include "number.h"

#include <ctype.h>
#include <string.h>

int
number_normalize(const char *in, char *out, size_t outlen)
{
	size_t n = 0, digits = 0;
	int plus = 0;
	const char *p = in;

	while (*p == ' ')
		p++;
	if (*p == '+') {
		plus = 1;
		p++;
	} else if (p[0] == '0' && p[1] == '0') {
		plus = 1;
		p += 2;
	}
	if (outlen < 2)
		return -1;
	if (plus)
		out[n++] = '+';
	for (; *p; p++) {
		if (strchr(" -.()", *p) != NULL)
			continue;
		if (!isdigit((unsigned char)*p))
			return -1;
		if (++digits > 15 || n + 1 >= outlen)
			return -1;
		out[n++] = *p;
	}
	if (digits == 0)
		return -1;
	out[n] = '\0';
	return 0;
}

int
number_glob_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s || (*pat == '?' && isdigit((unsigned char)*s))) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}
