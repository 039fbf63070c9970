/* srtp: SDES SRTP contexts over libsrtp2; see srtp.h. */
#include "srtp.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "xmalloc.h"

_Static_assert(SRTP_SESS_TRAILER >= SRTP_MAX_TRAILER_LEN, "SRTP trailer room");

struct srtp_sess {
	srtp_t	 tx;
	srtp_t	 rx;
};

static pthread_once_t srtp_sess_once = PTHREAD_ONCE_INIT;
static int srtp_sess_init_status;

static void
srtp_sess_do_init(void)
{
	srtp_sess_init_status = srtp_init() == srtp_err_status_ok ? 0 : -1;
}

int
srtp_sess_lib_init(void)
{
	pthread_once(&srtp_sess_once, srtp_sess_do_init);
	return srtp_sess_init_status;
}

static int
srtp_sess_ctx(srtp_t *ctx, const struct sdp_crypto *c, int inbound)
{
	unsigned char key[SDP_KEY_LEN];
	srtp_policy_t p;
	int r;

	memset(&p, 0, sizeof p);
	switch (c->suite) {
	case SDP_SUITE_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtp);
		break;
	case SDP_SUITE_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p.rtp);
		break;
	default:
		return -1;
	}
	/* RFC 4568 6.2.2: SRTCP keeps the 80-bit tag with either suite. */
	srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&p.rtcp);
	memcpy(key, c->key, sizeof key);
	p.key = key;
	p.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
	p.window_size = 128;
	r = srtp_create(ctx, &p) == srtp_err_status_ok ? 0 : -1;
	memset(key, 0, sizeof key);
	return r;
}

struct srtp_sess *
srtp_sess_new(const struct sdp_crypto *local, const struct sdp_crypto *remote)
{
	struct srtp_sess *s;

	if (srtp_sess_lib_init() < 0)
		return NULL;
	s = xcalloc(1, sizeof *s);
	if (srtp_sess_ctx(&s->tx, local, 0) < 0)
		goto fail;
	if (srtp_sess_ctx(&s->rx, remote, 1) < 0) {
		srtp_dealloc(s->tx);
		goto fail;
	}
	return s;
fail:
	free(s);
	return NULL;
}

void
srtp_sess_free(struct srtp_sess *s)
{
	if (s == NULL)
		return;
	srtp_dealloc(s->tx);
	srtp_dealloc(s->rx);
	free(s);
}

int
srtp_sess_protect(struct srtp_sess *s, unsigned char *buf, int *len)
{
	return srtp_protect(s->tx, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int
srtp_sess_unprotect(struct srtp_sess *s, unsigned char *buf, int *len)
{
	return srtp_unprotect(s->rx, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int
srtp_sess_protect_rtcp(struct srtp_sess *s, unsigned char *buf, int *len)
{
	return srtp_protect_rtcp(s->tx, buf, len) == srtp_err_status_ok ? 0 : -1;
}

int
srtp_sess_unprotect_rtcp(struct srtp_sess *s, unsigned char *buf, int *len)
{
	return srtp_unprotect_rtcp(s->rx, buf, len) == srtp_err_status_ok ? 0 : -1;
}
