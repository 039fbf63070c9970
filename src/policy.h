/* policy: what a tenant may call out to (the toll-fraud guard). One answer for every
 * path that places a call to a number: the forward step's bridge, originate, desk
 * phones dialling out. */
#ifndef SCAIDIAL_POLICY_H
#define SCAIDIAL_POLICY_H

struct tenant;

/* 1 when the tenant's policy.outbound_allow lets it call number (any form
 * number_normalize() accepts; compared in E.164). The patterns are those of
 * number_glob_match(), the same the configuration check applies to forward targets. A
 * number that is not E.164 after normalising (no country code: "5551234", "1001"), and
 * every number when the list is empty, is refused: a tenant calls out only where it was
 * explicitly allowed to. */
int	 policy_outbound_allowed(const struct tenant *, const char *number);
/* The same for a forward or dial target: an E.164 number, or a SIP URI whose user part
 * is a number (checked as that number). A URI with a user that is no number ("alice",
 * a desk phone's name) is not a call to the telephone network and is allowed. 0 for an
 * empty or unparsable target. */
int	 policy_target_allowed(const struct tenant *, const char *target);

#endif
