/* libFuzzer target: an inbound SIP message as a carrier or a scanner could send it,
 * through sofia-sip's parser and then our own reading of it (which DID it calls, who
 * calls, dialplan decision), against a fixed configuration. Any crash, leak or sanitizer
 * report is a bug. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_parser.h>

#include "config.h"
#include "dialplan.h"
#include "sip_route.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char fuzz_conf[] =
    "tenants = ( { id = \"acme\"; name = \"Acme\"; } );\n"
    "trunks = ( { id = \"t1\"; tenant = \"acme\"; mode = \"peer\";\n"
    "  address = \"sip:192.0.2.1\"; allowed_addresses = [ \"192.0.2.0/24\" ]; } );\n"
    "dids = ( { number = \"+15551230001\"; trunk = \"t1\"; dialplan = \"main\"; } );\n"
    "dialplans = ( { id = \"main\"; tenant = \"acme\"; rules = (\n"
    "  { priority = 10; match = { caller = \"^\\\\+1555999\"; time = \"mon-fri 09:00-17:00\";\n"
    "    timezone = \"UTC\"; }; action = \"hangup\"; status = 603; },\n"
    "  { priority = 20; action = \"hangup\"; status = 486; } ); } );\n";

static struct config *fuzz_cfg;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dialplan_decision dd;
	const char *number;
	const struct did *did;
	msg_t *msg;
	sip_t *sip;

	if (fuzz_cfg == NULL) {
		struct config_errors errs = { 0 };

		if (config_load_string("/tmp/fuzz/scaidial.conf", fuzz_conf, &fuzz_cfg, &errs) != 0)
			abort();
	}
	/* msg_make copies the bytes; a terminated copy is not needed. */
	msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)size);
	if (msg == NULL)
		return 0;
	sip = sip_object(msg);
	if (sip != NULL && sip->sip_request != NULL) {
		did = sip_route_did(fuzz_cfg, sip, &number);
		if (did != NULL)
			(void)dialplan_decide(fuzz_cfg, &(struct dialplan_request){
			    .did = did->number, .caller = sip_route_caller(sip),
			    .now = 1795549614 }, &dd);
		(void)number;
	}
	msg_destroy(msg);
	return 0;
}
