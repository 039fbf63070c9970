/* sip_registrar_auth: the digest check of desk phones' requests (see sip_registrar.h).
 *
 * Nonces are stateless: hex(issued second, 8 random bytes, HMAC-SHA256 over both, the
 * source address and whether it was a 401 or a 407, cut to 16 bytes), keyed by 32 random
 * bytes drawn at start. A stranger costs us nothing to remember, a nonce cannot be used
 * from another address, and after a restart the phones' old nonces simply draw a stale
 * challenge. Within its lifetime a nonce may be replayed (no nonce-count is kept): the
 * digest still binds method and URI, and the replay must come from the same address.
 *
 * Every answer is computed the same way for every username: an unknown user's response
 * is checked against a random password, so the work, the status and the headers are
 * those of a known user with a wrong password. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sofia-sip/auth_digest.h>
#include <sofia-sip/url.h>

#include "config.h"
#include "log.h"
#include "loop.h"
#include "sip_guard.h"
#include "sip_registrar.h"
#include "sip_registrar_int.h"

static unsigned char auth_key[32];
static char auth_decoy[33];		/* the password an unknown user is checked against */
static nua_t *auth_nua;

void
sip_registrar_auth_init(nua_t *nua)
{
	unsigned char r[16];

	auth_nua = nua;
	if (getrandom(auth_key, sizeof(auth_key), 0) != (ssize_t)sizeof(auth_key) ||
	    getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		log_fatal("registrar: getrandom: no randomness for nonces");
	for (size_t i = 0; i < sizeof(r); i++)
		snprintf(auth_decoy + 2 * i, 3, "%02x", r[i]);
}

static void
auth_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[b[i] >> 4];
		out[2 * i + 1] = hx[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static int
auth_unhex(const char *s, unsigned char *b, size_t n)
{
	for (size_t i = 0; i < 2 * n; i++) {
		int c = s[i], v;

		if (c >= '0' && c <= '9')
			v = c - '0';
		else if (c >= 'a' && c <= 'f')
			v = c - 'a' + 10;
		else
			return -1;
		if (i % 2 == 0)
			b[i / 2] = (unsigned char)(v << 4);
		else
			b[i / 2] |= (unsigned char)v;
	}
	return 0;
}

/* The MAC of a nonce's first 16 bytes for this source and challenge kind. */
static void
auth_mac(const unsigned char head[16], const struct sip_src *src, bool proxy,
    unsigned char mac[16])
{
	unsigned char msg[16 + 1 + 16 + 1], full[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	memcpy(msg, head, 16);
	msg[16] = (unsigned char)src->family;
	memcpy(msg + 17, src->addr, 16);
	msg[33] = proxy ? 1 : 0;
	if (HMAC(EVP_sha256(), auth_key, (int)sizeof(auth_key), msg, sizeof(msg), full,
	    &len) == NULL || len < 16)
		log_fatal("registrar: HMAC-SHA256 failed");
	memcpy(mac, full, 16);
}

void
sip_registrar_nonce(const struct sip_src *src, bool proxy, int64_t now_s, char out[65])
{
	unsigned char head[16], mac[16];

	for (int i = 0; i < 8; i++)
		head[i] = (unsigned char)((uint64_t)now_s >> (56 - 8 * i));
	if (getrandom(head + 8, 8, 0) != 8)
		log_fatal("registrar: getrandom: no randomness for nonces");
	auth_mac(head, src, proxy, mac);
	auth_hex(head, 16, out);
	auth_hex(mac, 16, out + 32);
}

int
sip_registrar_nonce_check(const char *nonce, const struct sip_src *src, bool proxy,
    int64_t now_s)
{
	unsigned char head[16], mac[16], want[16];
	int64_t issued = 0;

	if (nonce == NULL || strlen(nonce) != 64 || auth_unhex(nonce, head, 16) == -1 ||
	    auth_unhex(nonce + 32, mac, 16) == -1)
		return -1;
	auth_mac(head, src, proxy, want);
	if (CRYPTO_memcmp(mac, want, 16) != 0)
		return -1;
	for (int i = 0; i < 8; i++)
		issued = (int64_t)((uint64_t)issued << 8 | head[i]);
	if (issued > now_s || now_s - issued > SIP_REGISTRAR_NONCE_TTL_S)
		return -1;
	return 0;
}

void
sip_registrar_realm(const sip_t *sip, char *out, size_t outlen)
{
	const char *h = sip->sip_request && sip->sip_request->rq_url->url_host ?
	    sip->sip_request->rq_url->url_host : "";
	size_t n = strlen(h);

	/* The domain the phone registers to, as registrars usually name their realm; it is
	 * echoed in a quoted string, so only the characters of a host are kept. */
	if (n == 0 || n >= outlen || n > 63 || strspn(h, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") != n)
		h = "sip";
	snprintf(out, outlen, "%s", h);
}

/* The Authorization (or Proxy-Authorization) of our realm, if the request has one. */
static const msg_auth_t *
auth_header(const sip_t *sip, bool proxy, const char *realm)
{
	const msg_auth_t *au = proxy ? sip->sip_proxy_authorization : sip->sip_authorization;

	for (; au != NULL; au = au->au_next) {
		if (au->au_scheme == NULL || strcasecmp(au->au_scheme, "Digest") != 0)
			continue;
		for (const char *const *p = au->au_params; p && *p; p++)
			if (strncasecmp(*p, "realm=", 6) == 0 && auth_strcmp(*p + 6, realm) == 0)
				return au;
	}
	return NULL;
}

enum sip_registrar_auth
sip_registrar_check(const struct config *cfg, const sip_t *sip, const char *method,
    bool proxy, const struct sip_src *src, const struct extension **extp, bool *stale,
    char *why, size_t whylen)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	auth_response_t ar = { .ar_size = sizeof(ar) };
	auth_hexmd5_t ha1, expect;
	const struct extension *ext;
	const msg_auth_t *au;
	const char *to_user, *secret;
	char realm[64], got[33];
	enum sip_registrar_auth r = SIP_REGISTRAR_AUTH_FAIL;
	int ok;

	*extp = NULL;
	*stale = false;
	why[0] = '\0';
	sip_registrar_realm(sip, realm, sizeof(realm));
	if ((au = auth_header(sip, proxy, realm)) == NULL) {
		r = SIP_REGISTRAR_AUTH_CHALLENGE;
		goto out;
	}
	if (auth_digest_response_get(home, &ar, au->au_params) < 0 || ar.ar_username == NULL ||
	    ar.ar_nonce == NULL || ar.ar_uri == NULL || ar.ar_response == NULL ||
	    strlen(ar.ar_response) != 32) {
		snprintf(why, whylen, "malformed credentials");
		goto out;
	}
	if ((ar.ar_algorithm != NULL && !ar.ar_md5) || ar.ar_md5sess || ar.ar_auth_int ||
	    (ar.ar_qop != NULL && (!ar.ar_auth || ar.ar_cnonce == NULL || ar.ar_nc == NULL))) {
		snprintf(why, whylen, "unsupported digest (algorithm %.20s, qop %.20s)",
		    ar.ar_algorithm ? ar.ar_algorithm : "MD5", ar.ar_qop ? ar.ar_qop : "none");
		goto out;
	}
	/* A REGISTER is for the user it names in To; any other request is checked only
	 * against the credentials. */
	to_user = sip->sip_to && sip->sip_to->a_url->url_user ? sip->sip_to->a_url->url_user : "";
	ext = sip_registrar_find(cfg, ar.ar_username);
	secret = ext != NULL ? ext->password : auth_decoy;
	auth_digest_a1(&ar, ha1, secret);
	auth_digest_response(&ar, expect, ha1, method, NULL, 0);
	for (int i = 0; i < 32; i++)
		got[i] = (char)(ar.ar_response[i] >= 'A' && ar.ar_response[i] <= 'F' ?
		    ar.ar_response[i] - 'A' + 'a' : ar.ar_response[i]);
	got[32] = '\0';
	ok = CRYPTO_memcmp(got, expect, 32) == 0;
	if (ext == NULL || !ok) {
		snprintf(why, whylen, "%s user \"%.40s\"", ext == NULL ? "unknown" :
		    "wrong password for", ar.ar_username);
		goto out;
	}
	if (strcmp(method, "REGISTER") == 0 && strcmp(to_user, ar.ar_username) != 0) {
		snprintf(why, whylen, "user \"%.40s\" registering To \"%.40s\"", ar.ar_username,
		    to_user);
		goto out;
	}
	if (sip_registrar_nonce_check(ar.ar_nonce, src, proxy, loop_mono_ms() / 1000) == -1) {
		*stale = true;
		r = SIP_REGISTRAR_AUTH_CHALLENGE;
		goto out;
	}
	*extp = ext;
	r = SIP_REGISTRAR_AUTH_OK;
out:
	su_home_deinit(home);
	return r;
}

void
sip_registrar_challenge(nua_handle_t *nh, const sip_t *sip, bool proxy,
    const struct sip_src *src, bool stale)
{
	char realm[64], nonce[65], hdr[256];

	sip_registrar_realm(sip, realm, sizeof(realm));
	sip_registrar_nonce(src, proxy, loop_mono_ms() / 1000, nonce);
	snprintf(hdr, sizeof(hdr), "Digest realm=\"%s\", nonce=\"%s\", algorithm=MD5, "
	    "qop=\"auth\"%s", realm, nonce, stale ? ", stale=true" : "");
	/* The same bare headers as sip_guard's refusal: nothing names the product. */
	if (proxy)
		nua_respond(nh, SIP_407_PROXY_AUTH_REQUIRED, NUTAG_WITH_THIS(auth_nua),
		    SIPTAG_PROXY_AUTHENTICATE_STR(hdr), SIPTAG_USER_AGENT(SIP_NONE),
		    SIPTAG_ALLOW(SIP_NONE), SIPTAG_SUPPORTED(SIP_NONE), TAG_END());
	else
		nua_respond(nh, SIP_401_UNAUTHORIZED, NUTAG_WITH_THIS(auth_nua),
		    SIPTAG_WWW_AUTHENTICATE_STR(hdr), SIPTAG_USER_AGENT(SIP_NONE),
		    SIPTAG_ALLOW(SIP_NONE), SIPTAG_SUPPORTED(SIP_NONE), TAG_END());
	nua_handle_destroy(nh);
}
