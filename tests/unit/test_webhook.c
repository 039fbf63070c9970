/* test_webhook: the signature receivers check (RFC 4231 HMAC-SHA256 vectors, formatted as
 * X-Scaidial-Signature wants it) and webhook_send()'s refusals of unusable arguments. */
#include "webhook.h"
#include "tap.h"

int
main(void)
{
	char sig[WEBHOOK_SIG_LEN];
	char key131[132];

	webhook_sign("Jefe", "what do ya want for nothing?", 28, sig);
	is_str(sig, "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
	    "RFC 4231 test case 2, lowercase hex after sha256=");
	memset(key131, 0xaa, 131);
	key131[131] = '\0';
	webhook_sign(key131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, sig);
	is_str(sig, "sha256=60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
	    "RFC 4231 test case 6 (a key longer than the block)");
	webhook_sign("k", "", 0, sig);
	is_int(strlen(sig), WEBHOOK_SIG_LEN - 1, "an empty body is signed too");

	/* Before webhook_init() nothing is queued, whatever the arguments. */
	is_int(webhook_send("http://127.0.0.1:1/", "call.ringing", "{}", 2, NULL, NULL), -1,
	    "refused before webhook_init()");
	return tap_done();
}
