/* dtls: DTLS handshake and SRTP keying for one transport (see dtls.h). */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <srtp2/srtp.h>

#include "dtls.h"
#include "srtp.h"
#include "log.h"

#define DTLS_MTU	1200
#define DTLS_MAX_RECORD	4096	/* what one SSL_write() may carry: an SCTP packet */

struct dtls_cert {
	EVP_PKEY	*key;
	X509		*x509;
	SSL_CTX		*ssl_ctx;	/* one for every transport: same certificate, same rules */
	char		 fingerprint[3 * EVP_MAX_MD_SIZE];
};

struct dtls {
	GMainContext	*ctx;
	SSL		*ssl;
	BIO		*rbio;
	BIO		*wbio;
	GSource		*timer;
	dtls_send_cb	*send;
	dtls_done_cb	*done;
	dtls_data_cb	*data;
	void		*arg;
	char		 remote_fp[200];
	int		 started;
	int		 finished;	/* done() was called */
	const char	*profile;
	srtp_t		 srtp_in;
	srtp_t		 srtp_out;
};

static void	dtls_step(struct dtls *);

static void
dtls_format_fp(const unsigned char *md, unsigned n, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned i;

	for (i = 0; i < n; i++) {
		out[3 * i] = hex[md[i] >> 4];
		out[3 * i + 1] = hex[md[i] & 15];
		out[3 * i + 2] = i + 1 < n ? ':' : '\0';
	}
	if (n == 0)
		out[0] = '\0';
}

/* Any certificate passes OpenSSL's check: WebRTC certificates are self-signed and are
 * authenticated by the SDP fingerprint once the handshake is over. */
static int
dtls_verify_any(int preverify, X509_STORE_CTX *store)
{
	(void)preverify;
	(void)store;
	return 1;
}

static gpointer
dtls_cert_make(gpointer unused)
{
	struct dtls_cert *c;
	X509_NAME *name;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n;
	uint64_t serial;

	(void)unused;
	/* One libsrtp2 initialisation per process, shared with the SDES side: a second
	 * srtp_init() fails once the crypto kernel is up. */
	if (srtp_sess_lib_init() != 0) {
		log_error("dtls: libsrtp2 does not initialise");
		return NULL;
	}
	c = g_new0(struct dtls_cert, 1);
	c->key = EVP_EC_gen("P-256");
	c->x509 = X509_new();
	if (c->key == NULL || c->x509 == NULL)
		goto fail;
	RAND_bytes((unsigned char *)&serial, sizeof serial);
	ASN1_INTEGER_set_uint64(X509_get_serialNumber(c->x509), serial >> 1);
	X509_set_version(c->x509, 2);
	X509_gmtime_adj(X509_getm_notBefore(c->x509), -86400);
	X509_gmtime_adj(X509_getm_notAfter(c->x509), 30L * 86400);
	X509_set_pubkey(c->x509, c->key);
	name = X509_get_subject_name(c->x509);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"scaidial",
	    -1, -1, 0);
	X509_set_issuer_name(c->x509, name);
	if (X509_sign(c->x509, c->key, EVP_sha256()) == 0 ||
	    X509_digest(c->x509, EVP_sha256(), md, &n) != 1)
		goto fail;
	dtls_format_fp(md, n, c->fingerprint);
	c->ssl_ctx = SSL_CTX_new(DTLS_method());
	if (c->ssl_ctx == NULL)
		goto fail;
	SSL_CTX_set_min_proto_version(c->ssl_ctx, DTLS1_2_VERSION);
	if (SSL_CTX_use_certificate(c->ssl_ctx, c->x509) != 1 ||
	    SSL_CTX_use_PrivateKey(c->ssl_ctx, c->key) != 1)
		goto fail;
	SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
	    dtls_verify_any);
	/* 0 means success here */
	if (SSL_CTX_set_tlsext_use_srtp(c->ssl_ctx,
	    "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80") != 0)
		goto fail;
	/* After the handshake a call's DTLS carries only the odd SCTP packet (DTMF, a
	 * heartbeat every 30 s): its two 16 KiB record buffers are given back while empty. */
	SSL_CTX_set_mode(c->ssl_ctx, SSL_MODE_RELEASE_BUFFERS);
	/* OpenSSL keeps a DTLS connection's write buffer for good, sized by the largest
	 * record: 17 KiB by default, where our records are SCTP packets under the path
	 * MTU. */
	SSL_CTX_set_max_send_fragment(c->ssl_ctx, DTLS_MAX_RECORD);
	return c;
fail:
	log_error("dtls: cannot make the certificate: %s",
	    ERR_reason_error_string(ERR_get_error()));
	SSL_CTX_free(c->ssl_ctx);
	EVP_PKEY_free(c->key);
	X509_free(c->x509);
	g_free(c);
	return NULL;
}

static struct dtls_cert *
dtls_cert(void)
{
	static GOnce once = G_ONCE_INIT;

	return g_once(&once, dtls_cert_make, NULL);
}

const char *
dtls_fingerprint(void)
{
	struct dtls_cert *c = dtls_cert();

	return c != NULL ? c->fingerprint : NULL;
}

struct dtls *
dtls_new(GMainContext *ctx, dtls_send_cb *send, dtls_done_cb *done, void *arg)
{
	struct dtls_cert *c = dtls_cert();
	struct dtls *d;

	if (c == NULL)
		return NULL;
	d = g_new0(struct dtls, 1);
	d->ctx = g_main_context_ref(ctx);
	d->send = send;
	d->done = done;
	d->arg = arg;
	d->ssl = SSL_new(c->ssl_ctx);
	d->rbio = BIO_new(BIO_s_mem());
	d->wbio = BIO_new(BIO_s_mem());
	if (d->ssl == NULL || d->rbio == NULL || d->wbio == NULL)
		goto fail;
	BIO_set_mem_eof_return(d->rbio, -1);
	BIO_set_mem_eof_return(d->wbio, -1);
	SSL_set_bio(d->ssl, d->rbio, d->wbio);
	SSL_set_options(d->ssl, SSL_OP_NO_QUERY_MTU);
	DTLS_set_link_mtu(d->ssl, DTLS_MTU);
	return d;
fail:
	log_error("dtls: cannot set up OpenSSL: %s", ERR_reason_error_string(ERR_get_error()));
	if (d->ssl == NULL) {
		BIO_free(d->rbio);
		BIO_free(d->wbio);
	}
	d->rbio = d->wbio = NULL;
	dtls_free(d);
	return NULL;
}

static void
dtls_finish(struct dtls *d, int ok, const char *why)
{
	if (d->finished)
		return;
	d->finished = 1;
	d->done(d->arg, ok, why);
}

/* Datagrams OpenSSL queued in the write BIO go out as one send: a handshake flight with
 * our small EC certificate stays under the MTU. */
static void
dtls_flush(struct dtls *d)
{
	char *p;
	long n;

	n = BIO_get_mem_data(d->wbio, &p);
	if (n > 0) {
		d->send(d->arg, (const uint8_t *)p, (size_t)n);
		(void)BIO_reset(d->wbio);
	}
}

static gboolean
dtls_on_timer(gpointer arg)
{
	struct dtls *d = arg;

	g_source_unref(d->timer);
	d->timer = NULL;
	if (!SSL_is_init_finished(d->ssl)) {
		DTLSv1_handle_timeout(d->ssl);
		dtls_flush(d);
		dtls_step(d);
	}
	return G_SOURCE_REMOVE;
}

static void
dtls_arm_timer(struct dtls *d)
{
	struct timeval tv;
	guint ms;

	if (d->timer != NULL) {
		g_source_destroy(d->timer);
		g_source_unref(d->timer);
		d->timer = NULL;
	}
	if (SSL_is_init_finished(d->ssl) || DTLSv1_get_timeout(d->ssl, &tv) != 1)
		return;
	ms = (guint)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
	d->timer = g_timeout_source_new(ms > 0 ? ms : 1);
	g_source_set_callback(d->timer, dtls_on_timer, d, NULL);
	g_source_attach(d->timer, d->ctx);
}

static int
dtls_srtp_session(srtp_t *s, int gcm, const uint8_t *key, size_t keylen, const uint8_t *salt,
    size_t saltlen, int inbound)
{
	srtp_policy_t pol;
	uint8_t master[64];

	memset(&pol, 0, sizeof pol);
	if (gcm) {
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
	} else {
		srtp_crypto_policy_set_rtp_default(&pol.rtp);
		srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
	}
	memcpy(master, key, keylen);
	memcpy(master + keylen, salt, saltlen);
	pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	pol.key = master;
	pol.window_size = 1024;
	pol.allow_repeat_tx = 1;
	return srtp_create(s, &pol) == srtp_err_status_ok ? 0 : -1;
}

static void
dtls_handshake_done(struct dtls *d)
{
	const SRTP_PROTECTION_PROFILE *prof;
	unsigned char md[EVP_MAX_MD_SIZE];
	char fp[3 * EVP_MAX_MD_SIZE];
	uint8_t km[2 * (16 + 14)];
	size_t keylen = 16, saltlen;
	unsigned n;
	X509 *peer;
	int gcm, server = SSL_is_server(d->ssl);
	const uint8_t *ck, *sk, *cs, *ss;

	peer = SSL_get1_peer_certificate(d->ssl);
	if (peer == NULL || X509_digest(peer, EVP_sha256(), md, &n) != 1) {
		X509_free(peer);
		dtls_finish(d, 0, "no peer certificate");
		return;
	}
	X509_free(peer);
	dtls_format_fp(md, n, fp);
	if (g_ascii_strcasecmp(fp, d->remote_fp) != 0) {
		dtls_finish(d, 0, "peer certificate does not match the SDP fingerprint");
		return;
	}
	prof = SSL_get_selected_srtp_profile(d->ssl);
	if (prof == NULL) {
		dtls_finish(d, 0, "no SRTP profile negotiated");
		return;
	}
	gcm = prof->id == SRTP_AEAD_AES_128_GCM;
	saltlen = gcm ? 12 : 14;
	d->profile = prof->name;
	if (SSL_export_keying_material(d->ssl, km, 2 * (keylen + saltlen),
	    "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1) {
		dtls_finish(d, 0, "cannot export the SRTP keys");
		return;
	}
	ck = km;
	sk = km + keylen;
	cs = km + 2 * keylen;
	ss = cs + saltlen;
	if (dtls_srtp_session(&d->srtp_out, gcm, server ? sk : ck, keylen, server ? ss : cs,
	    saltlen, 0) != 0 ||
	    dtls_srtp_session(&d->srtp_in, gcm, server ? ck : sk, keylen, server ? cs : ss,
	    saltlen, 1) != 0) {
		dtls_finish(d, 0, "cannot create the SRTP sessions");
		return;
	}
	OPENSSL_cleanse(km, sizeof km);
	dtls_finish(d, 1, d->profile);
}

/* After the handshake: application data (SCTP) for the data callback; alerts and
 * retransmitted handshake records are consumed by OpenSSL. */
static void
dtls_read(struct dtls *d)
{
	unsigned char buf[4096];
	int r;

	while ((r = SSL_read(d->ssl, buf, sizeof buf)) > 0)
		if (d->data != NULL)
			d->data(d->arg, buf, (size_t)r);
	dtls_flush(d);
}

static void
dtls_step(struct dtls *d)
{
	int r, err;

	if (!SSL_is_init_finished(d->ssl)) {
		r = SSL_do_handshake(d->ssl);
		dtls_flush(d);
		if (r == 1) {
			dtls_handshake_done(d);
			dtls_arm_timer(d);
			dtls_read(d);
			return;
		} else {
			err = SSL_get_error(d->ssl, r);
			if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
				log_warn("dtls: handshake failed: %s",
				    ERR_reason_error_string(ERR_get_error()));
				dtls_finish(d, 0, "handshake failed");
			}
		}
		dtls_arm_timer(d);
		return;
	}
	dtls_read(d);
}

int
dtls_start(struct dtls *d, int server, const char *remote_fp)
{
	if (d->started)
		return 0;
	g_strlcpy(d->remote_fp, remote_fp, sizeof d->remote_fp);
	d->started = 1;
	if (server)
		SSL_set_accept_state(d->ssl);
	else
		SSL_set_connect_state(d->ssl);
	dtls_step(d);
	return 0;
}

void
dtls_input(struct dtls *d, const uint8_t *p, size_t n)
{
	if (!d->started || n > INT_MAX)
		return;	/* the peer retransmits once we know our role */
	BIO_write(d->rbio, p, (int)n);
	dtls_step(d);
}

int
dtls_ready(const struct dtls *d)
{
	return d->srtp_out != NULL && d->srtp_in != NULL;
}

int
dtls_is_client(const struct dtls *d)
{
	return d->started && !SSL_is_server(d->ssl);
}

void
dtls_set_data_cb(struct dtls *d, dtls_data_cb *cb)
{
	d->data = cb;
}

int
dtls_send_data(struct dtls *d, const uint8_t *p, size_t n)
{
	int r;

	if (!d->finished || d->srtp_out == NULL || n > INT_MAX)
		return -1;
	r = SSL_write(d->ssl, p, (int)n);
	dtls_flush(d);
	return r == (int)n ? 0 : -1;
}

int
dtls_protect_rtp(struct dtls *d, uint8_t *buf, int *len)
{
	if (d->srtp_out == NULL)
		return -1;
	return srtp_protect(d->srtp_out, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int
dtls_protect_rtcp(struct dtls *d, uint8_t *buf, int *len)
{
	if (d->srtp_out == NULL)
		return -1;
	return srtp_protect_rtcp(d->srtp_out, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int
dtls_unprotect_rtp(struct dtls *d, uint8_t *buf, int *len)
{
	if (d->srtp_in == NULL)
		return -1;
	return srtp_unprotect(d->srtp_in, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int
dtls_unprotect_rtcp(struct dtls *d, uint8_t *buf, int *len)
{
	if (d->srtp_in == NULL)
		return -1;
	return srtp_unprotect_rtcp(d->srtp_in, buf, len) == srtp_err_status_ok ? 0 : -1;
}

const char *
dtls_srtp_profile(const struct dtls *d)
{
	return d->profile;
}

void
dtls_free(struct dtls *d)
{
	if (d == NULL)
		return;
	if (d->timer != NULL) {
		g_source_destroy(d->timer);
		g_source_unref(d->timer);
	}
	if (d->srtp_in != NULL)
		srtp_dealloc(d->srtp_in);
	if (d->srtp_out != NULL)
		srtp_dealloc(d->srtp_out);
	SSL_free(d->ssl);	/* frees the BIOs */
	g_main_context_unref(d->ctx);
	g_free(d);
}
