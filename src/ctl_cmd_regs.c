/* ctl_cmd_regs: `registrations`: the desk phones registered with us now, one line per
 * binding (extension, tenant, contact, the address it registered from, its User-Agent,
 * seconds left). Trunks' own registrations are shown by `trunks`. */
#include <stdio.h>

#include "buf.h"
#include "ctl_cmd_int.h"
#include "ctl_fmt.h"
#include "json.h"
#include "sip_registrar.h"

static void
ctl_cmd_regs_json(const struct sip_registrar_info *r, void *arg)
{
	struct json *j = arg;
	char t[40];

	json_object_begin(j);
	json_kv_string(j, "extension", r->extension);
	json_kv_string(j, "tenant", r->tenant);
	json_kv_string(j, "username", r->username);
	json_kv_string(j, "contact", r->contact);
	json_kv_string(j, "source", r->source);
	json_kv_string(j, "transport", r->transport);
	json_kv_string(j, "user_agent", r->user_agent);
	json_kv_string(j, "registered", ctl_fmt_time_str(r->registered_ms, t, sizeof(t)));
	json_kv_int(j, "registered_ms", r->registered_ms);
	json_kv_int(j, "refreshed_ms", r->refreshed_ms);
	json_kv_int(j, "expires_in", r->expires_in);
	json_object_end(j);
}

static void
ctl_cmd_regs_row(const struct sip_registrar_info *r, void *arg)
{
	struct ctl_table *tb = arg;
	char src[96], ua[48], exp[24];

	snprintf(src, sizeof(src), "%s/%s", r->source, r->transport);
	ctl_fmt_trunc(r->user_agent, 40, ua, sizeof(ua));
	snprintf(exp, sizeof(exp), "%ds", r->expires_in);
	ctl_table_row(tb, (const char *const[]){ r->extension, r->tenant, r->contact, src, ua,
	    exp });
}

int
ctl_cmd_registrations(const struct ctl_request *req, struct buf *out)
{
	static const char *const hdr[] = { "EXTENSION", "TENANT", "CONTACT", "SOURCE",
	    "USER_AGENT", "EXPIRES" };
	struct ctl_table tb;

	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_array_begin(&j);
		sip_registrar_walk(ctl_cmd_regs_json, &j);
		json_array_end(&j);
		return ctl_cmd_json_done(&j, out);
	}
	ctl_table_init(&tb, 6, hdr);
	sip_registrar_walk(ctl_cmd_regs_row, &tb);
	ctl_table_render(&tb, out);
	return 0;
}
