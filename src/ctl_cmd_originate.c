/* ctl_cmd_originate: `originate --extension EXT --to NUMBER [--trunk ID] [--tenant ID]
 * [--timeout S]`, the click-to-call entry of tenant apps (originate.c does the work). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl_cmd_int.h"
#include "json.h"
#include "log.h"
#include "originate.h"

int
ctl_cmd_originate(const struct ctl_request *req, struct buf *out)
{
	struct originate_req o = { 0 };
	struct originate_result res;
	char err[256];

	for (int i = 1; i < req->argc; i += 2) {
		const char *opt = req->argv[i], *val = i + 1 < req->argc ? req->argv[i + 1] : NULL;
		char *end;

		if (val == NULL)
			return ctl_cmd_err(out, "%s needs a value", opt);
		if (strcmp(opt, "--extension") == 0)
			o.extension = val;
		else if (strcmp(opt, "--to") == 0)
			o.to = val;
		else if (strcmp(opt, "--trunk") == 0)
			o.trunk = val;
		else if (strcmp(opt, "--tenant") == 0)
			o.tenant = val;
		else if (strcmp(opt, "--timeout") == 0) {
			long t = strtol(val, &end, 10);

			if (*end != '\0' || t < 1 || t > 600)
				return ctl_cmd_err(out, "--timeout: seconds from 1 to 600");
			o.timeout_s = (int)t;
		} else
			return ctl_cmd_err(out, "unknown option '%s'", opt);
	}
	if (o.extension == NULL || o.to == NULL)
		return ctl_cmd_err(out, "usage: originate --extension EXT --to NUMBER [--trunk ID] "
		    "[--tenant ID] [--timeout S]");
	if (originate_start(&o, &res, err, sizeof(err)) != 0)
		return ctl_cmd_err(out, "%s", err);
	log_info("ctl: call %s originated by uid=%u pid=%d", res.call_id, (unsigned)req->uid,
	    (int)req->pid);
	if (req->json) {
		struct json j;

		json_init(&j, out);
		json_object_begin(&j);
		json_kv_string(&j, "call_id", res.call_id);
		json_kv_string(&j, "room", res.room);
		json_kv_string(&j, "livekit_url", res.livekit_url);
		json_kv_string(&j, "identity", res.identity);
		json_kv_string(&j, "token", res.token);
		json_kv_string(&j, "to", res.to);
		json_kv_string(&j, "from", res.from);
		json_kv_string(&j, "trunk", res.trunk);
		json_object_end(&j);
		free(res.token);
		return ctl_cmd_json_done(&j, out);
	}
	buf_printf(out, "%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n%-12s %s\n"
	    "%-12s %s\n", "call", res.call_id, "room", res.room, "livekit_url", res.livekit_url,
	    "identity", res.identity, "to", res.to, "from", res.from, "trunk", res.trunk,
	    "token", res.token);
	free(res.token);
	return 0;
}
