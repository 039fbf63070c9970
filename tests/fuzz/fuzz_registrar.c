/* libFuzzer target: a desk phone's REGISTER or INVITE as anyone could send it, through
 * sofia-sip's parser and then the registrar's digest check (the Authorization or
 * Proxy-Authorization parameters, the nonce, the username lookup), against a fixed
 * configuration. Any crash, leak or sanitizer report is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>

#include "config.h"
#include "sip_guard.h"
#include "sip_registrar.h"
#include "sip_registrar_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_conf[] =
    "tenants = ( { id = \"acme\"; name = \"Acme\"; } );\n"
    "extensions = ( { id = \"3001\"; tenant = \"acme\"; type = \"sip\";\n"
    "  username = \"desk3001\"; password = \"s3cret\"; } );\n";

static struct config *fuzz_cfg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_src src = { .family = AF_INET, .addr = { 198, 51, 100, 9 }, .port = 5099 };
	const struct extension *e;
	msg_t *msg;
	sip_t *sip;
	bool stale;
	char why[160], realm[64];

	if (fuzz_cfg == NULL) {
		struct config_errors errs = { 0 };

		sip_registrar_auth_init(NULL);
		if (config_load_string("/tmp/fuzz/scaidial.conf", fuzz_conf, &fuzz_cfg, &errs) != 0)
			abort();
	}
	msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)size);
	if (msg == NULL)
		return 0;
	sip = sip_object(msg);
	if (sip != NULL && sip->sip_request != NULL) {
		sip_registrar_realm(sip, realm, sizeof(realm));
		(void)sip_registrar_check(fuzz_cfg, sip, "REGISTER", false, &src, &e, &stale, why,
		    sizeof(why));
		(void)sip_registrar_check(fuzz_cfg, sip, "INVITE", true, &src, &e, &stale, why,
		    sizeof(why));
		if (sip->sip_authorization != NULL)
			for (const char *const *p = sip->sip_authorization->au_params; p && *p; p++)
				(void)sip_registrar_nonce_check(*p, &src, false, 0);
	}
	msg_destroy(msg);
	return 0;
}
