/* Unit tests of the config loader: the sample configuration, every class of validation
 * error with its FILE:LINE, includes, lookups and generation identity. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char tmpdir[] = "/tmp/scaidial-test-config.XXXXXX";

/* A valid configuration; tests append to it or replace parts. Line numbers matter: the
 * expectations below count from here (line 1 = "general: {"). */
static const char base[] =
    "general: {\n"						/* 1 */
    "  sip_listen = [ \"udp:127.0.0.1:5060\" ];\n"		/* 2 */
    "  database = \"state/scaidial.db\";\n"			/* 3 */
    "};\n"							/* 4 */
    "livekit: { url = \"ws://127.0.0.1:7880\"; api_key = \"k\"; api_secret = \"s\"; };\n"	/* 5 */
    "webhooks: { secret = \"x\"; wave_ring = \"http://127.0.0.1:1/r\"; };\n"	/* 6 */
    "tenants = ( { id = \"acme\"; policy = { outbound_allow = [ \"+1*\" ]; }; } );\n"	/* 7 */
    "trunks = ( { id = \"t1\"; tenant = \"acme\"; mode = \"peer\";\n"	/* 8 */
    "  address = \"sip:192.0.2.1\"; allowed_addresses = [ \"192.0.2.0/24\" ]; } );\n"	/* 9 */
    "extensions = ( { id = \"1001\"; tenant = \"acme\"; type = \"wave\"; user = \"a\"; voicemail = true; } );\n" /* 10 */
    "dids = ( { number = \"+15551230001\"; trunk = \"t1\"; dialplan = \"main\"; } );\n"	/* 11 */
    "dialplans = ( { id = \"main\"; tenant = \"acme\"; rules = (\n"	/* 12 */
    "  { priority = 10; action = \"ring_extension\"; extension = \"1001\"; on_no_answer = \"voicemail\"; }\n" /* 13 */
    ") } );\n";							/* 14 */

static char *
path_of(const char *name)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static void
write_file(const char *name, const char *text)
{
	FILE *f = fopen(path_of(name), "w");

	if (f == NULL) {
		perror(name);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

/* base with "from" replaced by "to" (from must occur), written as scaidial.conf. */
static void
write_variant(const char *from, const char *to, const char *extra)
{
	char text[8192];
	const char *at = from ? strstr(base, from) : NULL;

	if (from != NULL && at == NULL) {
		printf("Bail out! test bug: \"%s\" not in base\n", from);
		exit(2);
	}
	if (at != NULL)
		snprintf(text, sizeof(text), "%.*s%s%s%s", (int)(at - base), base, to,
		    at + strlen(from), extra ? extra : "");
	else
		snprintf(text, sizeof(text), "%s%s", base, extra ? extra : "");
	write_file("scaidial.conf", text);
}

/* Loads scaidial.conf and checks that it is refused with an error at line whose message
 * contains want. */
static void
expect_error(int line, const char *want, const char *what)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;
	char prefix[600];
	int found = 0;

	snprintf(prefix, sizeof(prefix), "%s:%d: ", path_of("scaidial.conf"), line);
	int rc = config_load(path_of("scaidial.conf"), &cfg, &errs);

	for (size_t i = 0; i < errs.n; i++) {
		char *s = config_error_format(&errs.v[i]);

		if (strncmp(s, prefix, strlen(prefix)) == 0 && strstr(s, want) != NULL)
			found = 1;
		free(s);
	}
	if (!ok(rc == -1 && cfg == NULL && found, "%s", what)) {
		printf("#   want %s...%s\n", prefix, want);
		for (size_t i = 0; i < errs.n; i++) {
			char *s = config_error_format(&errs.v[i]);

			printf("#   got  %s\n", s);
			free(s);
		}
	}
	config_unref(cfg);
	config_errors_free(&errs);
}

static struct config *
load_ok(const char *what)
{
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;

	if (!ok(config_load(path_of("scaidial.conf"), &cfg, &errs) == 0, "%s", what)) {
		for (size_t i = 0; i < errs.n; i++) {
			char *s = config_error_format(&errs.v[i]);

			printf("#   %s\n", s);
			free(s);
		}
	}
	config_errors_free(&errs);
	return cfg;
}

static void
test_sample(void)
{
	const char *top = getenv("TOP_SRCDIR");
	char path[1024];
	struct config_errors errs = { 0 };
	struct config *cfg = NULL;

	snprintf(path, sizeof(path), "%s/etc/scaidial.conf", top ? top : ".");
	int rc = config_load(path, &cfg, &errs);

	for (size_t i = 0; i < errs.n; i++) {
		char *s = config_error_format(&errs.v[i]);

		printf("#   %s\n", s);
		free(s);
	}
	config_errors_free(&errs);
	if (!ok(rc == 0 && cfg != NULL, "the shipped etc/scaidial.conf is valid"))
		return;
	is_int(cfg->n_files, 5, "sample: main file and four conf.d files read");
	is_int(cfg->n_globs, 1, "sample: one include pattern recorded for watching");
	ok(strstr(cfg->files[1], "conf.d/10-tenants.conf") != NULL,
	    "sample: conf.d files are read in name order");
	is_int(cfg->n_tenants, 1, "sample: tenants");
	is_int(cfg->n_trunks, 2, "sample: trunks");
	is_int(cfg->n_dids, 3, "sample: dids");
	is_int(cfg->n_extensions, 3, "sample: extensions");
	is_int(cfg->n_dialplans, 3, "sample: dialplans");
	const struct dialplan *dp = config_find_dialplan(cfg, "main");

	ok(dp != NULL && dp->n_rules == 4 && dp->rules[0].priority == 10 &&
	    dp->rules[3].priority == 100, "sample: rules sorted by priority");
	ok(dp != NULL && dp->rules[1].n_windows == 1 && dp->rules[1].tz != NULL,
	    "sample: time window and zone parsed");
	const struct extension *e = config_find_extension(cfg, config_find_tenant(cfg, "acme"),
	    "1001");

	ok(e != NULL && strcmp(e->greeting, "/var/spool/scaidial/greetings/1001.wav") == 0,
	    "sample: greeting resolved against spool_dir");
	ok(e != NULL && e->loc.line == 6 && strstr(e->loc.file, "30-extensions.conf") != NULL,
	    "sample: locations point into the included file");
	config_unref(cfg);
}

static void
test_valid_base(void)
{
	write_variant(NULL, NULL, NULL);
	struct config *cfg = load_ok("the base configuration is valid");

	if (cfg == NULL)
		return;
	is_str(cfg->general.database, path_of("state/scaidial.db"),
	    "relative database path resolved against the main file's directory");
	ok(config_find_did(cfg, "+15551230001") != NULL, "DID found as written");
	ok(config_find_did(cfg, "15551230001") != NULL, "DID found without '+'");
	ok(config_find_did(cfg, "+1 (555) 123-0001") != NULL, "DID found with separators");
	ok(config_find_did(cfg, "0015551230001") != NULL, "DID found with 00 prefix");
	ok(config_find_did(cfg, "+15551230009") == NULL, "unknown DID not found");
	ok(config_find_did(cfg, "sip:evil") == NULL, "garbage is not a DID");
	is_int(cfg->general.rtp_port_min, 10000, "rtp_ports default");
	is_int(cfg->trunks[0].n_codecs, 2, "codecs default to PCMU, PCMA");
	is_int(cfg->dialplans[0].rules[0].timeout, 30, "ring timeout default");

	struct config *again = config_ref(cfg);

	ok(again == cfg && cfg->refs == 2, "config_ref shares the generation");
	config_unref(again);
	unsigned char d1[32];

	memcpy(d1, cfg->digest, 32);
	config_unref(cfg);
	cfg = load_ok("loading the same files again works");
	ok(cfg != NULL && memcmp(d1, cfg->digest, 32) == 0, "same files, same digest");
	config_unref(cfg);
	write_variant(NULL, NULL, "# a comment changes the text\n");
	cfg = load_ok("a comment-only change is valid");
	ok(cfg != NULL && memcmp(d1, cfg->digest, 32) != 0, "changed files, changed digest");
	config_unref(cfg);
}

static void
test_errors(void)
{
	write_variant("database = \"state/scaidial.db\";", "database = ;", NULL);
	expect_error(3, "syntax error", "syntax error with its line");
	write_variant("database =", "databse =", NULL);
	expect_error(3, "unknown setting \"databse\"", "unknown setting in general");
	write_variant("[ \"udp:127.0.0.1:5060\" ]", "[ \"udp:127.0.0.1:5060\", \"tcp:127.0.0.1:5070\" ]", NULL);
	expect_error(2, "udp: and tcp: listeners must share one address and port",
	    "udp and tcp listeners on different ports");
	write_variant("mode = \"peer\";", "mode = \"peer\"; expirse = 60;", NULL);
	expect_error(8, "trunk \"t1\": unknown setting \"expirse\"", "unknown setting in a trunk");
	write_variant("tenant = \"acme\"; mode", "tenant = \"nope\"; mode", NULL);
	expect_error(8, "trunk \"t1\": no tenant \"nope\"", "trunk -> tenant must resolve");
	write_variant("trunk = \"t1\"", "trunk = \"t9\"", NULL);
	expect_error(11, "no trunk \"t9\"", "DID -> trunk must resolve");
	write_variant("dialplan = \"main\"", "dialplan = \"mian\"", NULL);
	expect_error(11, "no dialplan \"mian\"", "DID -> dialplan must resolve");
	write_variant("extension = \"1001\"", "extension = \"1002\"", NULL);
	expect_error(13, "no extension \"1002\" in tenant \"acme\"", "rule -> extension must resolve");
	write_variant("type = \"wave\"; user = \"a\";", "type = \"wave\";", NULL);
	expect_error(10, "user is required", "wave extension needs user");
	write_variant("user = \"a\";", "user = \"a\"; bot = \"7\";", NULL);
	expect_error(10, "bot is not a setting of wave extensions", "setting of another type");
	write_variant("type = \"wave\"; user = \"a\";", "type = \"sip\"; username = \"a\";", NULL);
	expect_error(10, "password is required", "sip extension needs password");
	write_variant("type = \"wave\"", "type = \"fax\"", NULL);
	expect_error(10, "type = \"fax\" is not one of: wave, bot, sip", "unknown extension type");
	write_variant("mode = \"peer\"", "mode = \"pear\"", NULL);
	expect_error(8, "mode = \"pear\" is not one of: register, peer", "unknown trunk mode");
	write_variant("mode = \"peer\";", "mode = \"peer\"; srtp = \"maybe\";", NULL);
	expect_error(8, "srtp = \"maybe\"", "unknown srtp mode");
	write_variant("mode = \"peer\";", "mode = \"peer\"; codecs = [ \"G729\" ];", NULL);
	expect_error(8, "unknown codec \"G729\"", "unknown codec");
	write_variant("action = \"ring_extension\"", "action = \"ring\"", NULL);
	expect_error(13, "action = \"ring\" is not one of", "unknown action");
	write_variant("on_no_answer = \"voicemail\"", "on_no_answer = \"later\"", NULL);
	expect_error(13, "on_no_answer = \"later\"", "unknown on_no_answer");
	write_variant("priority = 10;", "priority = 10; match = { caller = \"^(+1\"; };", NULL);
	expect_error(13, "caller regex \"^(+1\"", "regex must compile");
	write_variant("priority = 10;", "priority = 10; match = { time = \"mun-fri 09:00-17:00\"; };",
	    NULL);
	expect_error(13, "time \"mun-fri 09:00-17:00\"", "time window must parse");
	write_variant("priority = 10;", "priority = 10; match = { time = \"mon 25:00-26:00\"; };",
	    NULL);
	expect_error(13, "time \"mon 25:00-26:00\"", "hours must be in range");
	write_variant("priority = 10;", "priority = 10; match = { timezone = \"Mars/Base\"; };",
	    NULL);
	expect_error(13, "Mars/Base", "time zone must exist");
	write_variant("priority = 10;", "priority = 10; match = { timezone = \"../../etc/passwd\"; };",
	    NULL);
	expect_error(13, "etc/passwd", "time zone must not be a path");
	write_variant("\"192.0.2.0/24\"", "\"192.0.2.0/33\"", NULL);
	expect_error(9, "\"192.0.2.0/33\" is not an address or CIDR block", "bad CIDR prefix");
	write_variant("\"192.0.2.0/24\"", "\"192.0.2.300\"", NULL);
	expect_error(9, "\"192.0.2.300\" is not an address", "bad CIDR address");
	write_variant("udp:127.0.0.1:5060", "udp:127.0.0.1:99999", NULL);
	expect_error(2, "bad port", "SIP port out of range");
	write_variant("udp:127.0.0.1:5060", "sctp:127.0.0.1:5060", NULL);
	expect_error(2, "expected udp:, tcp: or tls:", "unknown transport");
	write_variant("database =", "rtp_ports = [ 20000, 10000 ]; database =", NULL);
	expect_error(3, "rtp_ports [ 20000, 10000 ]", "RTP range must be sane");
	write_variant("mode = \"peer\";", "mode = \"peer\"; expires = 5;", NULL);
	expect_error(8, "expires = 5 is out of range", "expires must be in range");
	write_variant("mode = \"peer\";", "mode = \"peer\"; max_concurrent_calls = \"ten\";", NULL);
	expect_error(8, "max_concurrent_calls must be a whole number", "wrong type");
	write_variant("priority = 10; action = \"ring_extension\"; extension = \"1001\"; "
	    "on_no_answer = \"voicemail\";", "priority = 10; action = \"hangup\"; status = 200;",
	    NULL);
	expect_error(13, "status = 200 is out of range", "hangup status must be 4xx-6xx");
	write_variant("priority = 10; action = \"ring_extension\"; extension = \"1001\"; "
	    "on_no_answer = \"voicemail\";", "priority = 10; action = \"hangup\"; timeout = 5;",
	    NULL);
	expect_error(13, "timeout does not apply to action \"hangup\"", "inapplicable setting");
	write_variant("priority = 10; action = \"ring_extension\"; extension = \"1001\"; "
	    "on_no_answer = \"voicemail\";", "priority = 10; action = \"forward\"; "
	    "target = \"+449001234567\";", NULL);
	expect_error(13, "not allowed by tenant \"acme\" policy.outbound_allow",
	    "forward target must pass outbound_allow");
	write_variant("priority = 10; action = \"ring_extension\"; extension = \"1001\"; "
	    "on_no_answer = \"voicemail\";", "priority = 10; action = \"forward\"; "
	    "target = \"+15557654321\"; method = \"bridge\"; fallback = \"bridge\";", NULL);
	expect_error(13, "fallback = \"bridge\" applies to method = \"refer\" only",
	    "a bridge has no fallback");
	write_variant("priority = 10; action = \"ring_extension\"; extension = \"1001\"; "
	    "on_no_answer = \"voicemail\";", "priority = 10; action = \"forward\"; "
	    "target = \"+15557654321\"; fallback = \"voicemail\";", NULL);
	expect_error(13, "fallback", "fallback is none or bridge");
	write_variant("priority = 10; action = \"ring_extension\"; extension = \"1001\"; "
	    "on_no_answer = \"voicemail\";", "priority = 10; action = \"hangup\"; "
	    "fallback = \"bridge\";", NULL);
	expect_error(13, "fallback does not apply to action \"hangup\"", "fallback is forward's");
	write_variant("voicemail = true;", "voicemail = false;", NULL);
	expect_error(13, "extension \"1001\" has no voicemail", "voicemail needs a mailbox");
	write_variant("address = \"sip:192.0.2.1\"; allowed_addresses = [ \"192.0.2.0/24\" ];",
	    "address = \"sip:192.0.2.1\";", NULL);
	expect_error(8, "a peer trunk needs allowed_addresses", "peer trunk must be locked down");
	write_variant("address = \"sip:192.0.2.1\"", "address = \"192.0.2.1\"", NULL);
	expect_error(9, "is not a sip: or sips: URI", "address must be a SIP URI");
	write_variant("url = \"ws://127.0.0.1:7880\"", "url = \"http://127.0.0.1:7880\"", NULL);
	expect_error(5, "must start with ws:// or wss://", "LiveKit URL scheme");
	write_variant("wave_ring = \"http://127.0.0.1:1/r\"", "wave_ring = \"\"", NULL);
	expect_error(6, "wave_ring is required by wave extensions", "wave needs its webhook");
}

static void
test_duplicates(void)
{
	write_variant(NULL, NULL, "tenants2 = 1;\n");
	expect_error(15, "unknown setting \"tenants2\"", "unknown top-level setting");
	write_variant("tenants = ( { id = \"acme\";", "tenants = ( { id = \"acme\"; }, { id = \"acme\";",
	    NULL);
	expect_error(7, "tenant \"acme\" is defined twice", "duplicate tenant");
	write_variant("dids = ( { number = \"+15551230001\"; trunk = \"t1\"; dialplan = \"main\"; } );",
	    "dids = ( { number = \"+15551230001\"; trunk = \"t1\"; dialplan = \"main\"; },\n"
	    "{ number = \"+1 (555) 123-0001\"; trunk = \"t1\"; dialplan = \"main\"; } );", NULL);
	expect_error(12, "number +15551230001 is already defined at", "duplicate DID after normalising");
	write_variant("\"+15551230001\"", "\"555-0100\"", NULL);
	expect_error(11, "number must be E.164", "DID must be E.164");
	write_variant("extensions = ( {", "extensions = ( { id = \"1001\"; tenant = \"acme\"; "
	    "type = \"bot\"; bot = \"7\"; }, {", NULL);
	expect_error(10, "extension \"1001\" is defined twice in tenant \"acme\"",
	    "duplicate extension in a tenant");
	write_variant("on_no_answer = \"voicemail\"; }", "on_no_answer = \"voicemail\"; },\n"
	    "  { priority = 10; action = \"hangup\"; }", NULL);
	expect_error(14, "two rules have priority 10", "duplicate rule priority");
}

static void
test_many_errors(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;

	{
		char text[8192];

		snprintf(text, sizeof(text), "%s", base);
		/* Three independent mistakes on lines 3, 8 and 11. */
		char *p = strstr(text, "database =");
		memcpy(p, "databaso =", 10);
		p = strstr(text, "mode = \"peer\"");
		memcpy(p, "mode = \"pe3r\"", 13);
		p = strstr(text, "trunk = \"t1\"");
		memcpy(p, "trunk = \"t2\"", 12);
		write_file("scaidial.conf", text);
	}
	ok(config_load(path_of("scaidial.conf"), &cfg, &errs) == -1, "several mistakes refused");
	is_int(errs.n, 3, "every error is reported, not only the first");
	for (size_t i = 0; errs.n != 3 && i < errs.n; i++)
		printf("#   %d: %s\n", errs.v[i].line, errs.v[i].msg);
	ok(errs.n == 3 && errs.v[0].line == 3 && errs.v[1].line == 8 && errs.v[2].line == 11,
	    "errors come in file order");
	ok(errs.n_files == 1 && strcmp(errs.files[0], path_of("scaidial.conf")) == 0,
	    "a refused attempt reports the files it read");
	config_errors_free(&errs);
}

static void
test_includes(void)
{
	struct config_errors errs = { 0 };
	struct config *cfg;
	char text[8192];

	mkdir(path_of("conf.d"), 0755);
	/* Move trunks into conf.d/trunks.conf, which itself includes a sibling. */
	const char *t = strstr(base, "trunks = (");
	const char *e = strstr(base, "extensions = (");

	snprintf(text, sizeof(text), "%.*s@include \"conf.d/trunks.conf\"\n%s", (int)(t - base),
	    base, e);
	write_file("scaidial.conf", text);
	snprintf(text, sizeof(text), "# trunks\n@include \"more.conf\"\n%.*s", (int)(e - t), t);
	write_file("conf.d/trunks.conf", text);
	write_file("conf.d/more.conf", "# nothing yet\n");
	cfg = load_ok("nested includes are relative to the including file");
	ok(cfg != NULL && cfg->n_files == 3, "every included file is recorded");
	ok(cfg != NULL && cfg->trunks[0].loc.line == 3 &&
	    strcmp(cfg->trunks[0].loc.file, path_of("conf.d/trunks.conf")) == 0,
	    "locations inside an include are that file's lines");
	config_unref(cfg);

	write_file("conf.d/more.conf", "# a mistake\nwhat = ;\n");
	ok(config_load(path_of("scaidial.conf"), &cfg, &errs) == -1 && errs.n == 1 &&
	    errs.v[0].line == 2 && strcmp(errs.v[0].file, path_of("conf.d/more.conf")) == 0,
	    "a syntax error in an include names that file and line");
	config_errors_free(&errs);

	write_file("conf.d/more.conf", "@include \"trunks.conf\"\n");
	ok(config_load(path_of("scaidial.conf"), &cfg, &errs) == -1 && errs.n >= 1 &&
	    strstr(errs.v[0].msg, "include loop") != NULL, "an include loop is refused");
	config_errors_free(&errs);

	write_file("conf.d/more.conf", "@include \"missing.conf\"\n");
	ok(config_load(path_of("scaidial.conf"), &cfg, &errs) == -1 && errs.n == 1 &&
	    errs.v[0].line == 1 && strstr(errs.v[0].msg, "cannot read") != NULL,
	    "a missing include is reported where it is included");
	config_errors_free(&errs);

	write_file("conf.d/more.conf", "/* @include \"missing.conf\" */\n# @include \"x\"\n");
	cfg = load_ok("@include inside comments is ignored");
	config_unref(cfg);

	write_file("conf.d/more.conf", "@include \"*.none\"\n");
	cfg = load_ok("a pattern that matches nothing includes nothing");
	config_unref(cfg);

	write_file("conf.d/more.conf", "x = \"\0\";\n");
	{
		FILE *f = fopen(path_of("conf.d/more.conf"), "w");

		fwrite("x = 1;\n\0\0", 1, 9, f);
		fclose(f);
	}
	ok(config_load(path_of("scaidial.conf"), &cfg, &errs) == -1 && errs.n == 1 &&
	    strstr(errs.v[0].msg, "NUL") != NULL, "a binary file is refused");
	config_errors_free(&errs);

	ok(config_load(path_of("nothing-here.conf"), &cfg, &errs) == -1 && errs.n == 1 &&
	    strstr(errs.v[0].msg, "No such file") != NULL, "a missing main file is refused");
	config_errors_free(&errs);

	ok(config_load_string("<fuzz>", "@include \"/etc/passwd\"\n", &cfg, &errs) == -1 &&
	    errs.n >= 1 && strstr(errs.v[0].msg, "not allowed") != NULL,
	    "config_load_string refuses @include");
	config_errors_free(&errs);

	/* Found by fuzz_config: an empty source used to reach libconfig as a NULL string. */
	cfg = NULL;
	ok(config_load_string("<fuzz>", "", &cfg, &errs) == 0 && cfg != NULL && errs.n == 0,
	    "an empty configuration is every default, not a crash");
	if (cfg != NULL)
		config_unref(cfg);
	config_errors_free(&errs);
}

/* storage: the optional S3 copy of voicemail messages. */
static void
test_storage(void)
{
	struct config *cfg;

	write_variant(NULL, NULL, "storage: { s3_endpoint = \"http://127.0.0.1:9000\";"
	    " s3_bucket = \"vm-bucket\"; s3_region = \"us-east-1\"; s3_access_key = \"AK\";"
	    " s3_secret_key = \"SK\"; s3_prefix = \"a/b\"; };\n");
	cfg = load_ok("a complete storage section loads");
	if (cfg != NULL) {
		is_str(cfg->storage.s3_endpoint, "http://127.0.0.1:9000", "s3_endpoint");
		is_str(cfg->storage.s3_bucket, "vm-bucket", "s3_bucket");
		is_str(cfg->storage.s3_prefix, "a/b", "s3_prefix");
	}
	config_unref(cfg);
	cfg = NULL;
	write_variant(NULL, NULL, NULL);
	cfg = load_ok("no storage section");
	if (cfg != NULL)
		is_str(cfg->storage.s3_endpoint, "", "no storage: s3_endpoint is empty");
	config_unref(cfg);
	write_variant(NULL, NULL, "storage: { s3_endpoint = \"http://127.0.0.1:9000\"; };\n");
	expect_error(15, "storage: s3_bucket is required with s3_endpoint", "s3_bucket required");
	write_variant(NULL, NULL, "storage: { s3_bucket = \"b\"; };\n");
	expect_error(15, "storage: s3_endpoint is required", "a bucket without an endpoint");
	write_variant(NULL, NULL, "storage: { s3_endpoint = \"http://h:9/path\"; s3_bucket = \"b\";"
	    " s3_region = \"r\"; s3_access_key = \"AK\"; s3_secret_key = \"SK\"; };\n");
	expect_error(15, "without a path", "an endpoint with a path");
	write_variant(NULL, NULL, "storage: { s3_endpoint = \"ftp://h\"; s3_bucket = \"b\";"
	    " s3_region = \"r\"; s3_access_key = \"AK\"; s3_secret_key = \"SK\"; };\n");
	expect_error(15, "must be http(s)://host", "an endpoint that is not http(s)");
	write_variant(NULL, NULL, "storage: { s3_endpoint = \"http://h\"; s3_bucket = \"b/c\";"
	    " s3_region = \"r\"; s3_access_key = \"AK\"; s3_secret_key = \"SK\"; s3_prefix = \"x y\"; };\n");
	expect_error(15, "s3_bucket must be of", "a bucket with a slash");
	expect_error(15, "s3_prefix must be of", "a prefix with a blank");
	write_variant(NULL, NULL, "storage: { s3_endpont = \"http://h\"; };\n");
	expect_error(15, "unknown setting \"s3_endpont\"", "unknown setting in storage");
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_sample();
	test_valid_base();
	test_errors();
	test_duplicates();
	test_many_errors();
	test_includes();
	test_storage();
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", tmpdir);
	return tap_done();
}
