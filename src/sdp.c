/* sdp: parsing session descriptions and writing offers and answers for one audio stream.
 * The parser is our own, line by line, because the input is untrusted and small: every
 * field lands in a fixed-size slot of struct sdp_desc, nothing is allocated, anything
 * out of bounds is either skipped (an attribute we do not understand) or refuses the whole
 * description (a line that is not "x=value"). */
#include "sdp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "xmalloc.h"

#define SDP_MAX_LINE	1024
#define SDP_OUT_MAX	4096
#define SDP_TE_PT	101	/* telephone-event in our offers */
#define SDP_OPUS_PT	111

struct sdp_codec_info {
	const char	*name;
	int		 static_pt;	/* -1 = dynamic */
	int		 clock;
	int		 channels;
};

static const struct sdp_codec_info sdp_codecs[CODEC_COUNT] = {
	[CODEC_OPUS] = { "opus", -1, 48000, 2 },
	[CODEC_PCMU] = { "PCMU", 0, 8000, 1 },
	[CODEC_PCMA] = { "PCMA", 8, 8000, 1 },
	[CODEC_G722] = { "G722", 9, 8000, 1 },
};

const char *
sdp_suite_name(enum sdp_suite s)
{
	switch (s) {
	case SDP_SUITE_AES_CM_128_HMAC_SHA1_80: return "AES_CM_128_HMAC_SHA1_80";
	case SDP_SUITE_AES_CM_128_HMAC_SHA1_32: return "AES_CM_128_HMAC_SHA1_32";
	case SDP_SUITE_NONE: break;
	}
	return NULL;
}

static const char sdp_b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
sdp_base64_encode(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*out++ = sdp_b64[in[i] >> 2];
		*out++ = sdp_b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
		*out++ = sdp_b64[((in[i + 1] & 15) << 2) | (in[i + 2] >> 6)];
		*out++ = sdp_b64[in[i + 2] & 63];
	}
	if (i < n) {
		*out++ = sdp_b64[in[i] >> 2];
		if (i + 1 < n) {
			*out++ = sdp_b64[((in[i] & 3) << 4) | (in[i + 1] >> 4)];
			*out++ = sdp_b64[(in[i + 1] & 15) << 2];
		} else {
			*out++ = sdp_b64[(in[i] & 3) << 4];
			*out++ = '=';
		}
		*out++ = '=';
	}
	*out = '\0';
}

int
sdp_base64_decode(const char *in, size_t n, unsigned char *out, size_t max)
{
	unsigned acc = 0;
	int bits = 0;
	size_t o = 0, i;

	while (n > 0 && in[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		const char *p = in[i] ? strchr(sdp_b64, in[i]) : NULL;

		if (p == NULL)
			return -1;
		acc = (acc << 6) | (unsigned)(p - sdp_b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == max)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (int)o;
}

/* Splits off the next space-separated word of *s into w (bounded); 0 when none. */
static int
sdp_word(const char **s, char *w, size_t wmax)
{
	const char *p = *s;
	size_t n = 0;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return 0;
	while (*p != '\0' && *p != ' ' && *p != '\t') {
		if (n + 1 >= wmax)
			return 0;
		w[n++] = *p++;
	}
	w[n] = '\0';
	*s = p;
	return 1;
}

static int
sdp_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int
sdp_parse_conn(const char *v, char *addr, size_t amax, int *family)
{
	char net[8], type[8], a[80];
	unsigned char tmp[16];
	char *slash;

	if (!sdp_word(&v, net, sizeof net) || !sdp_word(&v, type, sizeof type) ||
	    !sdp_word(&v, a, sizeof a) || strcmp(net, "IN") != 0)
		return -1;
	if ((slash = strchr(a, '/')) != NULL)	/* multicast TTL */
		*slash = '\0';
	if (strcmp(type, "IP4") == 0 && inet_pton(AF_INET, a, tmp) == 1)
		*family = AF_INET;
	else if (strcmp(type, "IP6") == 0 && inet_pton(AF_INET6, a, tmp) == 1)
		*family = AF_INET6;
	else
		return -1;
	if (strlen(a) >= amax)
		return -1;
	strcpy(addr, a);
	return 0;
}

static void
sdp_static_fmt(struct sdp_fmt *f, int pt)
{
	static const struct { int pt; const char *name; int rate; } st[] = {
		{ 0, "PCMU", 8000 }, { 3, "GSM", 8000 }, { 8, "PCMA", 8000 },
		{ 9, "G722", 8000 }, { 13, "CN", 8000 }, { 18, "G729", 8000 },
	};
	size_t i;

	memset(f, 0, sizeof *f);
	f->pt = pt;
	f->channels = 1;
	for (i = 0; i < sizeof st / sizeof st[0]; i++)
		if (st[i].pt == pt) {
			strcpy(f->name, st[i].name);
			f->rate = st[i].rate;
		}
}

static struct sdp_fmt *
sdp_find_pt(struct sdp_desc *d, long pt)
{
	size_t i;

	for (i = 0; i < d->n_fmts; i++)
		if (d->fmts[i].pt == pt)
			return &d->fmts[i];
	return NULL;
}

static int
sdp_parse_m(struct sdp_desc *d, const char *v, int *is_ours)
{
	struct sdp_other *o;
	char media[16], port[16], proto[32], fmt[16], *slash;
	long p, pt;

	*is_ours = 0;
	if (d->n_media == SDP_MAX_MEDIA)
		return -1;
	if (!sdp_word(&v, media, sizeof media) || !sdp_word(&v, port, sizeof port) ||
	    !sdp_word(&v, proto, sizeof proto))
		return -1;
	if ((slash = strchr(port, '/')) != NULL)
		*slash = '\0';
	if (sdp_int(port, 0, 65535, &p) < 0)
		return -1;
	o = &d->others[d->n_media++];
	strcpy(o->media, media);
	strcpy(o->proto, proto);
	strcpy(o->fmt, "0");
	if (d->audio_index >= 0 || strcmp(media, "audio") != 0 || p == 0)
		goto fmts;
	if (strcmp(proto, "RTP/AVP") != 0 && strcmp(proto, "RTP/SAVP") != 0 &&
	    strcmp(proto, "RTP/AVPF") != 0 && strcmp(proto, "RTP/SAVPF") != 0)
		goto fmts;
	*is_ours = 1;
	d->audio_index = (int)d->n_media - 1;
	d->port = (int)p;
	d->rtcp_port = (int)p + 1;
	d->savp = strncmp(proto, "RTP/SAVP", 8) == 0;
	d->avpf = proto[strlen(proto) - 1] == 'F';
fmts:
	while (sdp_word(&v, fmt, sizeof fmt)) {
		if (o->fmt[0] == '0' && o->fmt[1] == '\0')
			strcpy(o->fmt, fmt);
		if (!*is_ours)
			continue;
		if (sdp_int(fmt, 0, 127, &pt) < 0)
			return -1;
		if (d->n_fmts == SDP_MAX_FMTS || sdp_find_pt(d, pt) != NULL)
			continue;
		sdp_static_fmt(&d->fmts[d->n_fmts++], (int)pt);
	}
	return 0;
}

static void
sdp_parse_rtpmap(struct sdp_desc *d, const char *v)
{
	char ptw[8], enc[48], *s1, *s2;
	struct sdp_fmt *f;
	long pt, rate, ch = 1;

	if (!sdp_word(&v, ptw, sizeof ptw) || !sdp_word(&v, enc, sizeof enc) ||
	    sdp_int(ptw, 0, 127, &pt) < 0 || (f = sdp_find_pt(d, pt)) == NULL)
		return;
	if ((s1 = strchr(enc, '/')) == NULL)
		return;
	*s1++ = '\0';
	if ((s2 = strchr(s1, '/')) != NULL) {
		*s2++ = '\0';
		if (sdp_int(s2, 1, 8, &ch) < 0)
			return;
	}
	if (sdp_int(s1, 1000, 192000, &rate) < 0 || strlen(enc) >= sizeof f->name)
		return;
	strcpy(f->name, enc);
	f->rate = (int)rate;
	f->channels = (int)ch;
}

static void
sdp_parse_fmtp(struct sdp_desc *d, const char *v)
{
	char ptw[8];
	struct sdp_fmt *f;
	long pt;

	if (!sdp_word(&v, ptw, sizeof ptw) || sdp_int(ptw, 0, 127, &pt) < 0 ||
	    (f = sdp_find_pt(d, pt)) == NULL)
		return;
	while (*v == ' ')
		v++;
	if (strlen(v) < sizeof f->fmtp)
		strcpy(f->fmtp, v);
}

/* a=crypto:<tag> <suite> inline:<key>[|lifetime][|MKI:len] [params]. Lines with an MKI or
 * a session parameter are skipped: we would not honour them. */
static void
sdp_parse_crypto(struct sdp_desc *d, const char *v)
{
	char tagw[12], suite[40], kp[160], extra[8], *bar;
	struct sdp_crypto *c;
	long tag;

	if (d->n_crypto == SDP_MAX_CRYPTO || !sdp_word(&v, tagw, sizeof tagw) ||
	    !sdp_word(&v, suite, sizeof suite) || !sdp_word(&v, kp, sizeof kp) ||
	    sdp_word(&v, extra, sizeof extra) || sdp_int(tagw, 0, 999999999, &tag) < 0 ||
	    strncmp(kp, "inline:", 7) != 0)
		return;
	c = &d->crypto[d->n_crypto];
	if (strcmp(suite, "AES_CM_128_HMAC_SHA1_80") == 0)
		c->suite = SDP_SUITE_AES_CM_128_HMAC_SHA1_80;
	else if (strcmp(suite, "AES_CM_128_HMAC_SHA1_32") == 0)
		c->suite = SDP_SUITE_AES_CM_128_HMAC_SHA1_32;
	else
		return;
	if ((bar = strchr(kp, '|')) != NULL) {
		if (strchr(bar + 1, '|') != NULL || strchr(bar + 1, ':') != NULL)
			return;		/* an MKI */
		*bar = '\0';
	}
	if (sdp_base64_decode(kp + 7, strlen(kp + 7), c->key, sizeof c->key) != SDP_KEY_LEN)
		return;
	c->tag = (int)tag;
	d->n_crypto++;
}

static void
sdp_parse_attr(struct sdp_desc *d, const char *v, int session, enum sdp_dir *sess_dir,
    int *media_dir)
{
	static const char *const dirs[] = { "inactive", "sendonly", "recvonly", "sendrecv" };
	char name[32], w[80];
	const char *val = strchr(v, ':');
	size_t n = val ? (size_t)(val - v) : strlen(v);
	long x;
	int i;

	if (n >= sizeof name)
		return;
	memcpy(name, v, n);
	name[n] = '\0';
	val = val ? val + 1 : "";
	for (i = 0; i < 4; i++)
		if (strcmp(name, dirs[i]) == 0) {
			if (session)
				*sess_dir = (enum sdp_dir)i;
			else {
				d->dir = (enum sdp_dir)i;
				*media_dir = 1;
			}
			return;
		}
	if (session)
		return;
	if (strcmp(name, "rtpmap") == 0)
		sdp_parse_rtpmap(d, val);
	else if (strcmp(name, "fmtp") == 0)
		sdp_parse_fmtp(d, val);
	else if (strcmp(name, "crypto") == 0)
		sdp_parse_crypto(d, val);
	else if (strcmp(name, "rtcp-mux") == 0)
		d->rtcp_mux = true;
	else if (strcmp(name, "ptime") == 0 && sdp_int(val, 1, 1000, &x) == 0)
		d->ptime = (int)x;
	else if (strcmp(name, "maxptime") == 0 && sdp_int(val, 1, 1000, &x) == 0)
		d->maxptime = (int)x;
	else if (strcmp(name, "rtcp") == 0 && sdp_word(&val, w, sizeof w) &&
	    sdp_int(w, 1, 65535, &x) == 0) {
		int fam;

		d->rtcp_port = (int)x;
		if (sdp_parse_conn(val, d->rtcp_addr, sizeof d->rtcp_addr, &fam) < 0)
			d->rtcp_addr[0] = '\0';
	}
}

int
sdp_parse(const char *text, size_t len, struct sdp_desc *d)
{
	char line[SDP_MAX_LINE], sess_addr[64] = "", media_addr[64] = "";
	int sess_fam = 0, media_fam = 0, in_ours = 0, session = 1, media_dir = 0;
	int seen_v = 0, seen_o = 0;
	enum sdp_dir sess_dir = SDP_SENDRECV;
	size_t i = 0;

	memset(d, 0, sizeof *d);
	d->audio_index = -1;
	while (i < len) {
		size_t n = 0;
		const char *v;

		while (i < len && text[i] != '\n') {
			if (n + 1 >= sizeof line || text[i] == '\0')
				return 400;
			line[n++] = text[i++];
		}
		i++;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		line[n] = '\0';
		if (n == 0)
			continue;
		if (n < 2 || line[1] != '=' || !islower((unsigned char)line[0]))
			return 400;
		v = line + 2;
		if (!seen_v) {
			if (strcmp(line, "v=0") != 0)
				return 400;
			seen_v = 1;
			continue;
		}
		switch (line[0]) {
		case 'o': {
			char u[64], id[32], ver[32];

			if (!sdp_word(&v, u, sizeof u) || !sdp_word(&v, id, sizeof id) ||
			    !sdp_word(&v, ver, sizeof ver))
				return 400;
			d->sess_id = strtoull(id, NULL, 10);
			d->sess_ver = strtoull(ver, NULL, 10);
			seen_o = 1;
			break;
		}
		case 'c':
			if (session) {
				if (sdp_parse_conn(v, sess_addr, sizeof sess_addr, &sess_fam) < 0)
					return 400;
			} else if (in_ours) {
				if (sdp_parse_conn(v, media_addr, sizeof media_addr,
				    &media_fam) < 0)
					return 400;
			}
			break;
		case 'm':
			session = 0;
			if (sdp_parse_m(d, v, &in_ours) < 0)
				return 400;
			break;
		case 'a':
			if (session || in_ours)
				sdp_parse_attr(d, v, session, &sess_dir, &media_dir);
			break;
		default:
			break;
		}
	}
	if (!seen_v || !seen_o)
		return 400;
	if (d->audio_index < 0)
		return 488;
	if (media_addr[0] != '\0') {
		strcpy(d->addr, media_addr);
		d->family = media_fam;
	} else if (sess_addr[0] != '\0') {
		strcpy(d->addr, sess_addr);
		d->family = sess_fam;
	} else
		return 400;
	if (!media_dir)
		d->dir = sess_dir;
	/* RFC 2543 hold: a null address means "do not send to me". */
	if (strcmp(d->addr, "0.0.0.0") == 0 && (d->dir & SDP_RECVONLY))
		d->dir &= ~SDP_RECVONLY;
	return 0;
}

static int
sdp_fmt_is(const struct sdp_fmt *f, enum codec c)
{
	const struct sdp_codec_info *ci = &sdp_codecs[c];

	/* RFC 7587 writes opus/48000/2 always; some older agents leave the /2 out. */
	return strcasecmp(f->name, ci->name) == 0 && f->rate == ci->clock &&
	    f->channels <= ci->channels;
}

/* The first codec of the trunk's list the description has, with the peer's payload
 * type; and the telephone-event at the codec's clock (else any). */
static int
sdp_choose(const struct trunk *t, const struct sdp_desc *d, struct sdp_neg *neg)
{
	size_t i, j;
	int found = 0;

	for (i = 0; i < t->n_codecs && !found; i++)
		for (j = 0; j < d->n_fmts; j++)
			if (sdp_fmt_is(&d->fmts[j], t->codecs[i])) {
				neg->codec = t->codecs[i];
				neg->pt = d->fmts[j].pt;
				neg->clock = d->fmts[j].rate;
				found = 1;
				break;
			}
	if (!found)
		return 488;
	neg->dtmf_pt = -1;
	for (j = 0; j < d->n_fmts; j++)
		if (strcasecmp(d->fmts[j].name, "telephone-event") == 0 &&
		    (neg->dtmf_pt < 0 || d->fmts[j].rate == neg->clock)) {
			neg->dtmf_pt = d->fmts[j].pt;
			neg->dtmf_clock = d->fmts[j].rate;
		}
	return 0;
}

static void
sdp_fill_remote(const struct sdp_desc *d, struct sdp_neg *neg)
{
	strcpy(neg->remote_addr, d->addr);
	neg->remote_family = d->family;
	neg->remote_port = d->port;
	neg->rtcp_mux = d->rtcp_mux;
	neg->remote_rtcp_port = d->rtcp_mux ? d->port : d->rtcp_port;
	neg->ptime = d->ptime;
}

struct sdp_out {
	char	 buf[SDP_OUT_MAX];
	size_t	 n;
	int	 overflow;
};

static void __attribute__((format(printf, 2, 3)))
sdp_put(struct sdp_out *o, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (o->overflow)
		return;
	va_start(ap, fmt);
	r = vsnprintf(o->buf + o->n, sizeof o->buf - o->n, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof o->buf - o->n)
		o->overflow = 1;
	else
		o->n += (size_t)r;
}

static void
sdp_put_head(struct sdp_out *o, const struct sdp_local *l)
{
	const char *ipv = strchr(l->addr, ':') ? "IP6" : "IP4";

	sdp_put(o, "v=0\r\no=scaidial %" PRIu64 " %" PRIu64 " IN %s %s\r\ns=scaidial\r\n"
	    "c=IN %s %s\r\nt=0 0\r\n", l->sess_id, l->sess_ver, ipv, l->addr, ipv, l->addr);
}

static void
sdp_put_rtpmap(struct sdp_out *o, int pt, enum codec c)
{
	const struct sdp_codec_info *ci = &sdp_codecs[c];

	if (c == CODEC_OPUS)
		sdp_put(o, "a=rtpmap:%d opus/48000/2\r\na=fmtp:%d useinbandfec=1\r\n", pt, pt);
	else
		sdp_put(o, "a=rtpmap:%d %s/%d\r\n", pt, ci->name, ci->clock);
}

static void
sdp_put_crypto(struct sdp_out *o, const struct sdp_crypto *c)
{
	char b64[4 * ((SDP_KEY_LEN + 2) / 3) + 1];

	sdp_base64_encode(c->key, SDP_KEY_LEN, b64);
	sdp_put(o, "a=crypto:%d %s inline:%s\r\n", c->tag, sdp_suite_name(c->suite), b64);
}

static const char *
sdp_dir_name(enum sdp_dir d)
{
	static const char *const n[] = { "inactive", "sendonly", "recvonly", "sendrecv" };

	return n[d & 3];
}

/* Our direction is the offer's seen from the other end. */
static enum sdp_dir
sdp_dir_flip(enum sdp_dir d)
{
	return (enum sdp_dir)(((d & 1) << 1) | ((d & 2) >> 1));
}

int
sdp_answer(const struct trunk *t, const char *offer, size_t len,
    const struct sdp_local *l, struct sdp_neg *out, char **answer)
{
	struct sdp_desc d;
	struct sdp_neg neg;
	struct sdp_out o;
	size_t i;
	int r;

	if ((r = sdp_parse(offer, len, &d)) != 0)
		return r;
	memset(&neg, 0, sizeof neg);
	if ((r = sdp_choose(t, &d, &neg)) != 0)
		return r;
	/* SDES offered on RTP/AVP ("best effort", as Asterisk and FreeSWITCH do under
	 * optional SRTP) is taken when the trunk allows SRTP, and answered on the same
	 * profile. */
	if (d.n_crypto > 0 && t->srtp != SRTP_OFF && l->key != NULL) {
		neg.srtp = true;
		neg.remote = d.crypto[0];
		neg.local.tag = d.crypto[0].tag;
		neg.local.suite = d.crypto[0].suite;
		memcpy(neg.local.key, l->key, SDP_KEY_LEN);
	} else if (t->srtp == SRTP_REQUIRED || d.savp)
		return 488;
	sdp_fill_remote(&d, &neg);
	neg.dir = sdp_dir_flip(d.dir);

	memset(&o, 0, sizeof o);
	sdp_put_head(&o, l);
	for (i = 0; i < d.n_media; i++) {
		const struct sdp_other *m = &d.others[i];

		if ((int)i != d.audio_index) {
			sdp_put(&o, "m=%s 0 %s %s\r\n", m->media, m->proto, m->fmt);
			continue;
		}
		sdp_put(&o, "m=audio %d %s %d", l->port, m->proto, neg.pt);
		if (neg.dtmf_pt >= 0)
			sdp_put(&o, " %d", neg.dtmf_pt);
		sdp_put(&o, "\r\n");
		sdp_put_rtpmap(&o, neg.pt, neg.codec);
		if (neg.dtmf_pt >= 0)
			sdp_put(&o, "a=rtpmap:%d telephone-event/%d\r\na=fmtp:%d 0-16\r\n",
			    neg.dtmf_pt, neg.dtmf_clock, neg.dtmf_pt);
		sdp_put(&o, "a=ptime:20\r\n");
		if (neg.rtcp_mux)
			sdp_put(&o, "a=rtcp-mux\r\n");
		else
			sdp_put(&o, "a=rtcp:%d\r\n", l->port + 1);
		if (neg.srtp)
			sdp_put_crypto(&o, &neg.local);
		sdp_put(&o, "a=%s\r\n", sdp_dir_name(neg.dir));
	}
	if (o.overflow)
		return 500;
	*out = neg;
	*answer = xstrdup(o.buf);
	return 0;
}

static void
sdp_local_crypto(const struct sdp_local *l, int tag, enum sdp_suite s, struct sdp_crypto *c)
{
	memset(c, 0, sizeof *c);
	c->tag = tag;
	c->suite = s;
	memcpy(c->key, l->key, SDP_KEY_LEN);
}

static int
sdp_offer_pt(enum codec c)
{
	return c == CODEC_OPUS ? SDP_OPUS_PT : sdp_codecs[c].static_pt;
}

char *
sdp_offer(const struct trunk *t, const struct sdp_local *l)
{
	struct sdp_out o;
	struct sdp_crypto c;
	int srtp = t->srtp != SRTP_OFF && l->key != NULL;
	size_t i;

	memset(&o, 0, sizeof o);
	sdp_put_head(&o, l);
	sdp_put(&o, "m=audio %d %s", l->port,
	    srtp && t->srtp == SRTP_REQUIRED ? "RTP/SAVP" : "RTP/AVP");
	for (i = 0; i < t->n_codecs; i++)
		sdp_put(&o, " %d", sdp_offer_pt(t->codecs[i]));
	sdp_put(&o, " %d\r\n", SDP_TE_PT);
	for (i = 0; i < t->n_codecs; i++)
		sdp_put_rtpmap(&o, sdp_offer_pt(t->codecs[i]), t->codecs[i]);
	sdp_put(&o, "a=rtpmap:%d telephone-event/8000\r\na=fmtp:%d 0-16\r\n", SDP_TE_PT,
	    SDP_TE_PT);
	sdp_put(&o, "a=ptime:20\r\na=rtcp:%d\r\n", l->port + 1);
	if (srtp) {
		sdp_local_crypto(l, 1, SDP_SUITE_AES_CM_128_HMAC_SHA1_80, &c);
		sdp_put_crypto(&o, &c);
		sdp_local_crypto(l, 2, SDP_SUITE_AES_CM_128_HMAC_SHA1_32, &c);
		sdp_put_crypto(&o, &c);
	}
	sdp_put(&o, "a=%s\r\n", sdp_dir_name(l->dir));
	return o.overflow ? NULL : xstrdup(o.buf);
}

int
sdp_accept(const struct trunk *t, const struct sdp_local *l, const char *answer,
    size_t len, struct sdp_neg *out)
{
	struct sdp_desc d;
	struct sdp_neg neg;
	int r;

	if ((r = sdp_parse(answer, len, &d)) != 0)
		return r;
	memset(&neg, 0, sizeof neg);
	if ((r = sdp_choose(t, &d, &neg)) != 0)
		return r;
	/* The answer must keep to what we offered: our payload type for that codec. */
	if (neg.pt != sdp_offer_pt(neg.codec))
		return 488;
	if (neg.dtmf_pt >= 0 && neg.dtmf_pt != SDP_TE_PT)
		neg.dtmf_pt = -1;
	if (d.n_crypto > 0 && t->srtp != SRTP_OFF && l->key != NULL) {
		if (d.crypto[0].tag != 1 && d.crypto[0].tag != 2)
			return 488;
		neg.srtp = true;
		neg.remote = d.crypto[0];
		sdp_local_crypto(l, d.crypto[0].tag, d.crypto[0].suite, &neg.local);
	} else if (t->srtp == SRTP_REQUIRED || d.savp)
		return 488;
	sdp_fill_remote(&d, &neg);
	neg.dir = sdp_dir_flip(d.dir) & l->dir;
	*out = neg;
	return 0;
}
