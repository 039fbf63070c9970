/* lk_sdp: writes our offers and reads LiveKit's answers and trickle candidates (see
 * lk_sdp.h). Input is untrusted: every copy is bounded and unknown lines are skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "lk_sdp.h"

/* The data channels' m-line, always mid 1 (after the sending audio). */
static void
lk_sdp_write_app(GString *s, const struct lk_sdp_offer *o)
{
	g_string_append_printf(s, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
	    "c=IN IP4 0.0.0.0\r\n"
	    "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
	    "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:1\r\n"
	    "a=sctp-port:5000\r\na=max-message-size:262144\r\n",
	    o->ufrag, o->pwd, o->fingerprint);
}

char *
lk_sdp_write_offer(const struct lk_sdp_offer *o)
{
	GString *s = g_string_new(NULL);
	int i, mid, nlines = o->nmedia + (o->data ? 1 : 0);

	g_string_append_printf(s, "v=0\r\no=- %" G_GUINT64_FORMAT " %u IN IP4 127.0.0.1\r\n"
	    "s=-\r\nt=0 0\r\na=group:BUNDLE", o->session_id, o->version);
	for (i = 0; i < nlines; i++)
		g_string_append_printf(s, " %d", i);
	g_string_append(s, "\r\na=msid-semantic: WMS *\r\n");
	for (i = 0; i < o->nmedia; i++) {
		mid = i == 0 || !o->data ? i : i + 1;
		if (i == 1 && o->data)
			lk_sdp_write_app(s, o);
		g_string_append_printf(s,
		    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
		    "c=IN IP4 0.0.0.0\r\n"
		    "a=rtcp:9 IN IP4 0.0.0.0\r\n"
		    "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=ice-options:trickle\r\n"
		    "a=fingerprint:sha-256 %s\r\na=setup:actpass\r\na=mid:%d\r\n"
		    "a=extmap:%d urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
		    "a=extmap:%d urn:ietf:params:rtp-hdrext:sdes:mid\r\n"
		    "a=%s\r\n",
		    o->ufrag, o->pwd, o->fingerprint, mid, LK_SDP_EXT_AUDIO_LEVEL, LK_SDP_EXT_MID,
		    i == 0 ? "sendonly" : "recvonly");
		if (i == 0)
			g_string_append_printf(s, "a=msid:%s %s\r\n", o->stream_id, o->track_id);
		g_string_append(s, "a=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n"
		    "a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtcp-fb:111 nack\r\n");
		if (i == 0)
			g_string_append_printf(s, "a=ssrc:%u cname:%s\r\na=ssrc:%u msid:%s %s\r\n",
			    o->ssrc, o->cname, o->ssrc, o->stream_id, o->track_id);
	}
	if (o->nmedia == 1 && o->data)
		lk_sdp_write_app(s, o);
	return g_string_free(s, FALSE);
}

/* Copies the value after "prefix" on line (len bytes, no CRLF) into dst when it fits. */
static int
lk_sdp_value(const char *line, size_t len, const char *prefix, char *dst, size_t dstsz)
{
	size_t pl = strlen(prefix), vl;

	if (len < pl || memcmp(line, prefix, pl) != 0)
		return 0;
	vl = len - pl;
	if (vl >= dstsz)
		vl = dstsz - 1;
	memcpy(dst, line + pl, vl);
	dst[vl] = '\0';
	return 1;
}

static int
lk_sdp_prefix(const char *line, size_t len, const char *prefix)
{
	size_t pl = strlen(prefix);

	return len >= pl && memcmp(line, prefix, pl) == 0;
}

/* A decimal number of at most 10 digits at *p, advancing p. */
static int
lk_sdp_num(const char **p, const char *end, unsigned long *v)
{
	int n = 0;

	*v = 0;
	while (*p < end && **p >= '0' && **p <= '9' && n < 10) {
		*v = *v * 10 + (unsigned long)(**p - '0');
		(*p)++;
		n++;
	}
	return n > 0;
}

static void
lk_sdp_media_line(struct lk_sdp_media *m, const char *line, size_t len)
{
	const char *p = line + 2, *end = line + len;
	unsigned long port;

	while (p < end && *p != ' ')
		p++;
	if (p < end)
		p++;
	if (lk_sdp_num(&p, end, &port) && port == 0)
		m->rejected = 1;
	m->opus_pt = -1;
	m->dir = LK_SDP_SENDRECV;
}

static void
lk_sdp_attr(struct lk_sdp_media *m, const char *line, size_t len)
{
	const char *p, *end = line + len;
	unsigned long v, id;
	char tmp[128];

	if (lk_sdp_value(line, len, "a=mid:", m->mid, sizeof m->mid))
		return;
	if (lk_sdp_prefix(line, len, "a=sendonly"))
		m->dir = LK_SDP_SENDONLY;
	else if (lk_sdp_prefix(line, len, "a=recvonly"))
		m->dir = LK_SDP_RECVONLY;
	else if (lk_sdp_prefix(line, len, "a=inactive"))
		m->dir = LK_SDP_INACTIVE;
	else if (lk_sdp_prefix(line, len, "a=rtpmap:")) {
		p = line + 9;
		if (!lk_sdp_num(&p, end, &v) || p >= end || *p != ' ' || v > 127)
			return;
		p++;
		if ((size_t)(end - p) >= 11 && g_ascii_strncasecmp(p, "opus/48000", 10) == 0 &&
		    m->opus_pt < 0)
			m->opus_pt = (int)v;
	} else if (lk_sdp_prefix(line, len, "a=extmap:")) {
		p = line + 9;
		if (!lk_sdp_num(&p, end, &id) || id < 1 || id > 14)
			return;
		while (p < end && *p != ' ')
			p++;	/* "/direction" */
		if (p >= end)
			return;
		p++;
		if (!lk_sdp_value(p, (size_t)(end - p), "", tmp, sizeof tmp))
			return;
		if (strcmp(tmp, "urn:ietf:params:rtp-hdrext:ssrc-audio-level") == 0)
			m->ext_audio_level = (int)id;
		else if (strcmp(tmp, "urn:ietf:params:rtp-hdrext:sdes:mid") == 0)
			m->ext_mid = (int)id;
	} else if (lk_sdp_prefix(line, len, "a=rtcp-fb:")) {
		/* Plain "nack" only: "nack pli" is a picture loss request, not for audio. */
		p = line + 10;
		if (lk_sdp_num(&p, end, &v) && v < 128 && end - p == 5 &&
		    memcmp(p, " nack", 5) == 0)
			m->nack_pt[v / 32] |= 1u << (v % 32);
	} else if (lk_sdp_prefix(line, len, "a=ssrc:")) {
		p = line + 7;
		if (!lk_sdp_num(&p, end, &v) || v > 0xffffffffUL)
			return;
		for (int i = 0; i < m->nssrc; i++)
			if (m->ssrc[i] == v)
				return;
		if (m->nssrc < LK_SDP_MAX_SSRC)
			m->ssrc[m->nssrc++] = (uint32_t)v;
	}
}

int
lk_sdp_parse_answer(const char *sdp, struct lk_sdp_answer *a, lk_sdp_cand_cb *cand,
    void *arg)
{
	const char *line = sdp, *nl;
	struct lk_sdp_media *m = NULL;
	char fp[sizeof a->fingerprint + 8];
	char cbuf[512];
	size_t len;

	memset(a, 0, sizeof *a);
	while (*line != '\0') {
		nl = strchr(line, '\n');
		len = nl != NULL ? (size_t)(nl - line) : strlen(line);
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (lk_sdp_prefix(line, len, "m=")) {
			if (a->nmedia == LK_SDP_MAX_MEDIA)
				return -1;
			m = &a->media[a->nmedia++];
			lk_sdp_media_line(m, line, len);
		} else if (lk_sdp_value(line, len, "a=ice-ufrag:", a->ufrag, sizeof a->ufrag) ||
		    lk_sdp_value(line, len, "a=ice-pwd:", a->pwd, sizeof a->pwd) ||
		    lk_sdp_value(line, len, "a=setup:", a->setup, sizeof a->setup)) {
			/* session or media level: one transport under BUNDLE */
		} else if (lk_sdp_value(line, len, "a=fingerprint:", fp, sizeof fp)) {
			if (g_ascii_strncasecmp(fp, "sha-256 ", 8) == 0) {
				g_strlcpy(a->fingerprint, fp + 8, sizeof a->fingerprint);
				g_strstrip(a->fingerprint);
			}
		} else if (lk_sdp_value(line, len, "a=candidate:", cbuf + 10, sizeof cbuf - 10)) {
			memcpy(cbuf, "candidate:", 10);
			if (cand != NULL)
				cand(arg, m != NULL ? m->mid : "", cbuf);
		} else if (m != NULL && lk_sdp_prefix(line, len, "a="))
			lk_sdp_attr(m, line, len);
		if (nl == NULL)
			break;
		line = nl + 1;
	}
	if (a->ufrag[0] == '\0' || a->pwd[0] == '\0' || a->fingerprint[0] == '\0' ||
	    a->nmedia == 0)
		return -1;
	return 0;
}

/* The string value of "key" in a flat JSON object, unescaped (\uXXXX above ASCII is
 * dropped: candidates and mids are ASCII). 0 when found. */
static int
lk_sdp_json_string(const char *json, const char *key, char *dst, size_t dstsz)
{
	const char *p = json;
	size_t kl = strlen(key), n = 0;

	if (dstsz == 0)
		return -1;
	/* Walk the strings; a key is a string followed by ':', anything else is skipped. */
	for (;;) {
		const char *start;
		int match;

		p = strchr(p, '"');
		if (p == NULL)
			return -1;
		start = ++p;
		while (*p != '\0' && *p != '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		if (*p == '\0')
			return -1;
		match = (size_t)(p - start) == kl && strncmp(start, key, kl) == 0;
		p++;
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (match && *p == ':')
			break;
	}
	p++;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p++ != '"')
		return -1;
	while (*p != '\0' && *p != '"') {
		char c = *p++;

		if (c == '\\') {
			c = *p++;
			switch (c) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'u':
				for (int i = 0; i < 4; i++)
					if (!g_ascii_isxdigit(p[i]))
						return -1;
				c = (char)(g_ascii_xdigit_value(p[0]) == 0 &&
				    g_ascii_xdigit_value(p[1]) == 0 && g_ascii_xdigit_value(p[2]) < 8 ?
				    g_ascii_xdigit_value(p[2]) * 16 + g_ascii_xdigit_value(p[3]) : 0);
				p += 4;
				if (c == 0)
					continue;
				break;
			case '\0':
				return -1;
			default:
				break;	/* \" \\ \/ */
			}
		}
		if (n + 1 >= dstsz)
			return -1;
		dst[n++] = c;
	}
	if (*p != '"')
		return -1;
	dst[n] = '\0';
	return 0;
}

int
lk_sdp_trickle_parse(const char *json, char *cand, size_t candsz, char *mid, size_t midsz)
{
	if (lk_sdp_json_string(json, "candidate", cand, candsz) != 0 || cand[0] == '\0')
		return -1;
	if (lk_sdp_json_string(json, "sdpMid", mid, midsz) != 0 && midsz > 0)
		mid[0] = '\0';
	return 0;
}

char *
lk_sdp_trickle_json(const char *cand, const char *mid, int mline, const char *ufrag)
{
	/* Our candidate, mid and ufrag strings are libnice's and ours: no quotes or
	 * backslashes to escape. */
	return g_strdup_printf("{\"candidate\":\"%s\",\"sdpMid\":\"%s\",\"sdpMLineIndex\":%d,"
	    "\"usernameFragment\":\"%s\"}", cand, mid, mline, ufrag);
}
