/* test_registrar: the digest check of desk phones (sip_registrar_auth.c) on requests
 * parsed by sofia-sip, as the daemon sees them: the stateless nonce (source, kind, age,
 * tampering), a right and a wrong response, an unknown user (the same FAIL as a wrong
 * password), a stale nonce with a right response (a new challenge), what is refused
 * (another algorithm, auth-int, a REGISTER for someone else's To). */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/evp.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>

#include "config.h"
#include "loop.h"
#include "sip_guard.h"
#include "sip_registrar.h"
#include "sip_registrar_int.h"
#include "tap.h"

static const char conf[] =
    "livekit: { url = \"ws://127.0.0.1:7880\"; api_key = \"k\"; api_secret = \"s\"; };\n"
    "webhooks: { secret = \"x\"; wave_ring = \"http://127.0.0.1:9/r\"; };\n"
    "tenants = ( { id = \"acme\"; name = \"A\"; }, { id = \"beta\"; name = \"B\"; } );\n"
    "extensions = ( { id = \"3001\"; tenant = \"acme\"; type = \"sip\";"
    " username = \"desk3001\"; password = \"s3cret\"; },\n"
    " { id = \"4001\"; tenant = \"beta\"; type = \"sip\"; username = \"desk4001\";"
    " password = \"other\"; },\n"
    " { id = \"5001\"; tenant = \"beta\"; type = \"wave\"; user = \"u\"; } );\n";

static void
md5hex(const char *s, char out[33])
{
	unsigned char d[16];
	unsigned int n = 0;

	EVP_Digest(s, strlen(s), d, &n, EVP_md5(), NULL);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* A request as a phone sends it: METHOD to sip:127.0.0.1, To user to_user, with an
 * Authorization (or Proxy-) for user/password/nonce when user is not NULL. extra: more
 * digest parameters, or NULL. */
static msg_t *
request(const char *method, const char *to_user, const char *user, const char *password,
    const char *nonce, const char *realm, const char *extra, bool proxy)
{
	char ha1[33], ha2[33], resp[33], buf[2048], tmp[512], auth[700] = "";
	const char *uri = "sip:127.0.0.1";
	msg_t *msg;
	int n;

	if (user != NULL) {
		snprintf(tmp, sizeof(tmp), "%s:%s:%s", user, realm, password);
		md5hex(tmp, ha1);
		snprintf(tmp, sizeof(tmp), "%s:%s", method, uri);
		md5hex(tmp, ha2);
		snprintf(tmp, sizeof(tmp), "%s:%s:00000001:abcdef:auth:%s", ha1, nonce, ha2);
		md5hex(tmp, resp);
		snprintf(auth, sizeof(auth), "%s: Digest username=\"%s\", realm=\"%s\", "
		    "nonce=\"%s\", uri=\"%s\", response=\"%s\", qop=auth, nc=00000001, "
		    "cnonce=\"abcdef\"%s%s\r\n", proxy ? "Proxy-Authorization" : "Authorization",
		    user, realm, nonce, uri, resp, extra ? ", " : "", extra ? extra : "");
	}
	n = snprintf(buf, sizeof(buf), "%s %s SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1\r\n"
	    "From: <sip:%s@127.0.0.1>;tag=1\r\nTo: <sip:%s@127.0.0.1>\r\n"
	    "Call-ID: c1\r\nCSeq: 1 %s\r\nContact: <sip:%s@192.0.2.7:5060>\r\n%s"
	    "Content-Length: 0\r\n\r\n", method, uri, to_user, to_user, method, to_user, auth);
	msg = msg_make(sip_default_mclass(), 0, buf, (size_t)n);
	return msg;
}

static enum sip_registrar_auth
check(const struct config *cfg, msg_t *msg, const char *method, bool proxy,
    const struct sip_src *src, const struct extension **e, bool *stale)
{
	char why[160];
	enum sip_registrar_auth r;

	r = sip_registrar_check(cfg, sip_object(msg), method, proxy, src, e, stale, why,
	    sizeof(why));
	msg_destroy(msg);
	return r;
}

int
main(void)
{
	struct config *cfg = NULL;
	struct config_errors errs = { 0 };
	struct sip_src src = { .family = AF_INET, .port = 5060 }, other = src;
	const struct extension *e;
	int64_t now = loop_mono_ms() / 1000;
	char nonce[65], bad[65];
	bool stale;

	inet_pton(AF_INET, "192.0.2.7", src.addr);
	inet_pton(AF_INET, "192.0.2.8", other.addr);
	snprintf(src.text, sizeof(src.text), "192.0.2.7");
	sip_registrar_auth_init(NULL);
	if (config_load_string("test", conf, &cfg, &errs) != 0) {
		for (size_t i = 0; i < errs.n; i++)
			printf("# %s\n", errs.v[i].msg);
		ok(0, "the test configuration loads");
		config_errors_free(&errs);
		printf("1..%d\n", tap_n);
		return 1;
	}

	/* The nonce. */
	sip_registrar_nonce(&src, false, now, nonce);
	is_int(strlen(nonce), 64, "a nonce is 64 hex digits");
	is_int(sip_registrar_nonce_check(nonce, &src, false, now), 0, "it checks for its source");
	is_int(sip_registrar_nonce_check(nonce, &other, false, now), -1,
	    "not for another address");
	is_int(sip_registrar_nonce_check(nonce, &src, true, now), -1,
	    "not as a 407's (the kind is signed)");
	is_int(sip_registrar_nonce_check(nonce, &src, false, now + SIP_REGISTRAR_NONCE_TTL_S), 0,
	    "good until its lifetime ends");
	is_int(sip_registrar_nonce_check(nonce, &src, false, now + SIP_REGISTRAR_NONCE_TTL_S + 1),
	    -1, "and stale after it");
	memcpy(bad, nonce, sizeof(bad));
	bad[3] = bad[3] == '0' ? '1' : '0';	/* another issue time, same MAC */
	is_int(sip_registrar_nonce_check(bad, &src, false, now), -1, "a tampered nonce is refused");
	is_int(sip_registrar_nonce_check("abc", &src, false, now), -1, "a short one too");
	is_int(sip_registrar_nonce_check(NULL, &src, false, now), -1, "and none at all");

	/* The digest. */
	is_int(check(cfg, request("REGISTER", "desk3001", NULL, NULL, NULL, NULL, NULL, false),
	    "REGISTER", false, &src, &e, &stale), SIP_REGISTRAR_AUTH_CHALLENGE,
	    "no credentials: challenge");
	is_int(check(cfg, request("REGISTER", "desk3001", "desk3001", "s3cret", nonce,
	    "127.0.0.1", NULL, false), "REGISTER", false, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_OK, "the right password: OK");
	ok(e != NULL && strcmp(e->id, "3001") == 0 && strcmp(e->tenant->id, "acme") == 0,
	    "as extension 3001 of acme");
	is_int(check(cfg, request("REGISTER", "desk3001", "desk3001", "wrong", nonce,
	    "127.0.0.1", NULL, false), "REGISTER", false, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_FAIL, "a wrong password: FAIL");
	ok(e == NULL && !stale, "naming no extension");
	is_int(check(cfg, request("REGISTER", "nosuch", "nosuch", "s3cret", nonce, "127.0.0.1",
	    NULL, false), "REGISTER", false, &src, &e, &stale), SIP_REGISTRAR_AUTH_FAIL,
	    "an unknown user: the same FAIL");
	is_int(check(cfg, request("REGISTER", "5001", "5001", "", nonce, "127.0.0.1", NULL,
	    false), "REGISTER", false, &src, &e, &stale), SIP_REGISTRAR_AUTH_FAIL,
	    "a wave extension's id is no username");
	is_int(check(cfg, request("REGISTER", "desk4001", "desk3001", "s3cret", nonce,
	    "127.0.0.1", NULL, false), "REGISTER", false, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_FAIL, "a REGISTER for another user's To: FAIL");
	is_int(check(cfg, request("REGISTER", "desk3001", "desk3001", "s3cret", nonce,
	    "127.0.0.1", NULL, false), "REGISTER", false, &other, &e, &stale),
	    SIP_REGISTRAR_AUTH_CHALLENGE, "the right password with another address's nonce: "
	    "challenge");
	ok(stale, "marked stale (the phone re-answers without asking its user)");
	is_int(check(cfg, request("REGISTER", "desk3001", "desk3001", "s3cret", nonce,
	    "elsewhere", NULL, false), "REGISTER", false, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_CHALLENGE, "credentials for another realm: challenge");
	is_int(check(cfg, request("REGISTER", "desk3001", "desk3001", "s3cret", nonce,
	    "127.0.0.1", "algorithm=SHA-256", false), "REGISTER", false, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_FAIL, "SHA-256 is refused (MD5 only)");
	is_int(check(cfg, request("REGISTER", "desk3001", "desk3001", "s3cret", nonce,
	    "127.0.0.1", "algorithm=MD5-sess", false), "REGISTER", false, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_FAIL, "MD5-sess is refused");

	/* An INVITE: Proxy-Authorization against a 407's nonce, any To. */
	sip_registrar_nonce(&src, true, now, nonce);
	is_int(check(cfg, request("INVITE", "+15557654321", "desk4001", "other", nonce,
	    "127.0.0.1", NULL, true), "INVITE", true, &src, &e, &stale), SIP_REGISTRAR_AUTH_OK,
	    "an INVITE with Proxy-Authorization: OK");
	ok(e != NULL && strcmp(e->id, "4001") == 0, "as 4001 of beta");
	is_int(check(cfg, request("INVITE", "+15557654321", "desk4001", "other", nonce,
	    "127.0.0.1", NULL, false), "INVITE", true, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_CHALLENGE, "an Authorization (not Proxy-) for an INVITE: challenge");
	is_int(check(cfg, request("REGISTER", "desk4001", "desk4001", "other", nonce,
	    "127.0.0.1", NULL, false), "REGISTER", false, &src, &e, &stale),
	    SIP_REGISTRAR_AUTH_CHALLENGE, "a 407's nonce in a REGISTER: stale challenge");

	ok(sip_registrar_find(cfg, "desk4001") != NULL && sip_registrar_find(cfg, "u") == NULL,
	    "usernames are found across tenants; a wave user is not one");
	ok(sip_registrar_enabled(cfg), "a configuration with a sip extension enables it");
	config_unref(cfg);
	config_errors_free(&errs);
	cfg = NULL;
	if (config_load_string("test", "", &cfg, &errs) == 0) {
		ok(!sip_registrar_enabled(cfg), "one without does not");
		config_unref(cfg);
	}
	config_errors_free(&errs);

	/* Usernames are unique across tenants: a REGISTER names only the username. */
	{
		static const char dup[] =
		    "tenants = ( { id = \"a\"; name = \"A\"; }, { id = \"b\"; name = \"B\"; } );\n"
		    "extensions = ( { id = \"1\"; tenant = \"a\"; type = \"sip\"; username = \"x\";"
		    " password = \"p\"; },\n"
		    "  { id = \"2\"; tenant = \"b\"; type = \"sip\"; username = \"x\";"
		    " password = \"q\"; } );\n";
		char *line = NULL;

		cfg = NULL;
		ok(config_load_string("dup.conf", dup, &cfg, &errs) == -1 && errs.n == 1,
		    "a username used in two tenants is refused");
		if (errs.n > 0)
			line = config_error_format(&errs.v[0]);
		is_str(line, "dup.conf:3: extension \"2\": username \"x\" is already the username "
		    "of extension \"1\" (dup.conf:2); usernames of sip extensions must be unique "
		    "across tenants", "with FILE:LINE of both");
		free(line);
		config_errors_free(&errs);
	}
	sip_registrar_fini();
	return tap_done();
}
