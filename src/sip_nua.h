/* sip_nua: the one place that sets sofia-sip's magic types before including nua.h, so
 * every SIP file sees the same handle and callback types. */
#ifndef SCAIDIAL_SIP_NUA_H
#define SCAIDIAL_SIP_NUA_H

struct sip_owner;
#define NUA_MAGIC_T		void
#define NUA_HMAGIC_T		struct sip_owner

#include "loop.h"
#include <sofia-sip/nua.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag.h>

/* What a nua handle belongs to: its hmagic points at one of these as the first member. */
enum sip_owner_kind { SIP_OWNER_REG, SIP_OWNER_CALL, SIP_OWNER_PING, SIP_OWNER_OUT };
struct sip_owner {
	enum sip_owner_kind kind;
};

#endif
