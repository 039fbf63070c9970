/* policy: the outbound number policy (see policy.h). */
#include <string.h>

#include "config.h"
#include "number.h"
#include "policy.h"

int
policy_outbound_allowed(const struct tenant *t, const char *number)
{
	char norm[32];

	if (t == NULL || number == NULL ||
	    number_normalize(number, norm, sizeof(norm)) == -1 || norm[0] != '+')
		return 0;
	for (size_t i = 0; i < t->n_outbound_allow; i++)
		if (number_glob_match(t->outbound_allow[i], norm))
			return 1;
	return 0;
}

int
policy_target_allowed(const struct tenant *t, const char *target)
{
	char user[64], norm[32];
	const char *u, *end;
	size_t n;

	if (target == NULL || target[0] == '\0')
		return 0;
	if (strncmp(target, "sip:", 4) != 0 && strncmp(target, "sips:", 5) != 0)
		return policy_outbound_allowed(t, target);
	u = target + (target[3] == ':' ? 4 : 5);
	end = strchr(u, '@');
	if (end == NULL)
		return 1;	/* sip:host: no user, nobody's number */
	/* The user part ends at '@' or at a user parameter (";phone-context=..."). */
	n = strcspn(u, ";@");
	if (n >= sizeof(user))
		return 0;
	memcpy(user, u, n);
	user[n] = '\0';
	if (number_normalize(user, norm, sizeof(norm)) == -1)
		return 1;	/* a name, not a number */
	return policy_outbound_allowed(t, user);
}
