/* sip_out: outbound INVITE legs (see sip_out.h).
 *
 * nua carries the dialog; this file adds what nua leaves to the application: the SDP
 * (nua's own media is off, so our offer and the far end's answer are plain payloads),
 * one digest answer per challenge, the ring timeout, and the mapping of every way a leg
 * can end to one ended() call.
 *
 * A leg the owner frees while its dialog is still up is not dropped at once: nua does
 * not send BYE or CANCEL for a destroyed handle, so the leg stays (detached from its
 * owner, media gone) until the dialog has terminated, and only then is the handle
 * destroyed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sofia-sip/url.h>

#include "call.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "media.h"
#include "sip_info.h"
#include "sip_out.h"
#include "xmalloc.h"

struct sip_out {
	struct sip_owner owner;		/* first: the handle's magic */
	struct config	*cfg;		/* a reference: the trunk's strings live in it */
	struct trunk	 trunk;		/* a copy, or the defaults for a trunk-less leg */
	int		 has_trunk;
	char		*log_id;	/* our call's id, for logs */
	char		*ruri;
	char		 sip_call_id[CALL_ID_LEN + 1];
	nua_handle_t	*nh;
	struct media_session *ms;
	char		*answer_sdp;	/* the SDP the media session was answered with */
	const struct sip_out_cb *cb;	/* NULL once the owner let go */
	void		*arg;
	struct loop_timer *timer;
	int		 challenges;
	int		 heard;		/* a 1xx or a challenge came back: the far end is there */
	int		 answered;
	int		 ended;		/* ended() was called (or is no longer owed) */
	int		 hanging;	/* CANCEL or BYE sent */
	char		*hang_cause;
	int		 busy;		/* inside a callback: a free is deferred */
	int		 freed;
	struct sip_out	*next;
};

static nua_t *out_nua;
static struct sip_out *out_list;

/* Codecs for a leg without a trunk (a desk phone): what desk phones commonly speak. */
static const struct trunk out_default_trunk = {
	.id = "", .registrar = "", .address = "", .proxy = "", .username = "", .password = "",
	.codecs = { CODEC_PCMU, CODEC_PCMA, CODEC_G722, CODEC_OPUS }, .n_codecs = 4,
	.srtp = SRTP_OFF, .dtmf = DTMF_RFC4733,
};

void
sip_out_init(nua_t *nua)
{
	out_nua = nua;
}

static void
out_unlink(struct sip_out *o)
{
	for (struct sip_out **pp = &out_list; *pp != NULL; pp = &(*pp)->next)
		if (*pp == o) {
			*pp = o->next;
			return;
		}
}

static void
out_destroy(struct sip_out *o)
{
	out_unlink(o);
	if (o->ms != NULL)
		media_session_free(o->ms);
	if (o->nh != NULL) {
		nua_handle_bind(o->nh, NULL);
		nua_handle_destroy(o->nh);
	}
	loop_timer_free(o->timer);
	config_unref(o->cfg);
	free(o->answer_sdp);
	free(o->hang_cause);
	free(o->log_id);
	free(o->ruri);
	free(o);
}

/* The owner's ended(), once; false when the owner freed the leg inside it. */
static int
out_ended(struct sip_out *o, int status, const char *cause)
{
	if (o->ended)
		return 1;
	o->ended = 1;
	loop_timer_stop(o->timer);
	if (status)
		log_info("sip: call %s: outbound leg to %s ended: %s (SIP %d)", o->log_id,
		    o->ruri, cause, status);
	else
		log_info("sip: call %s: outbound leg to %s ended: %s", o->log_id, o->ruri, cause);
	if (o->cb == NULL || o->cb->ended == NULL)
		return 1;
	o->busy++;
	o->cb->ended(o->arg, status, cause);
	o->busy--;
	return !o->freed;
}

static int
out_progress(struct sip_out *o, int status, int early)
{
	if (o->cb == NULL || o->cb->progress == NULL)
		return 1;
	o->busy++;
	o->cb->progress(o->arg, status, early);
	o->busy--;
	return !o->freed;
}

static int
out_answered_cb(struct sip_out *o)
{
	if (o->cb == NULL || o->cb->answered == NULL)
		return 1;
	o->busy++;
	o->cb->answered(o->arg);
	o->busy--;
	return !o->freed;
}

static void
out_digit(struct sip_out *o, char digit)
{
	if (o->cb == NULL || o->cb->digit == NULL)
		return;
	o->busy++;
	o->cb->digit(o->arg, digit);
	o->busy--;
}

/* A freed leg goes once nothing runs on its stack and its dialog is over. */
static void
out_reap(struct sip_out *o)
{
	if (o->freed && o->busy == 0 && o->nh == NULL)
		out_destroy(o);
}

static void
out_media_event(struct media_session *ms, const struct media_event *ev, void *arg)
{
	struct sip_out *o = arg;

	(void)ms;
	if (ev->type == MEDIA_EV_DTMF) {
		log_info("sip: call %s: outbound leg: digit %c", o->log_id, ev->digit);
		out_digit(o, ev->digit);
		out_reap(o);
	} else if (ev->type == MEDIA_EV_RTP_TIMEOUT && o->answered && !o->ended) {
		sip_out_hangup(o, "rtp_timeout");
	}
}

/* The cause for a final failure from the far end. */
static const char *
out_cause(int status)
{
	switch (status) {
	case 486: case 600:
		return "busy";
	case 603:
		return "declined";
	case 404: case 604:
		return "not_found";
	case 480:
		return "unavailable";
	}
	if (status >= 500 && status < 600)
		return "unavailable";
	return "rejected";
}

/* The numeric host of a SIP URI (for the media's local address), or "" for a name. */
static void
out_numeric_host(const char *uri, char *out, size_t outlen)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	unsigned char buf[16];
	url_t *u = uri && uri[0] ? url_make(home, uri) : NULL;
	char h[64];

	out[0] = '\0';
	if (u != NULL && u->url_host != NULL) {
		snprintf(h, sizeof(h), "%s", u->url_host);
		if (h[0] == '[') {
			memmove(h, h + 1, strlen(h));
			h[strcspn(h, "]")] = '\0';
		}
		if (inet_pton(AF_INET, h, buf) == 1 || inet_pton(AF_INET6, h, buf) == 1)
			snprintf(out, outlen, "%s", h);
	}
	su_home_deinit(home);
}

/* "host[:port]" of a SIP URI; NULL when it has none. */
static char *
out_hostport(const char *uri)
{
	su_home_t home[1] = { SU_HOME_INIT(home) };
	url_t *u = uri && uri[0] ? url_make(home, uri) : NULL;
	char *r = NULL;

	if (u != NULL && u->url_host != NULL)
		r = xasprintf("%s%s%s", u->url_host, u->url_port ? ":" : "",
		    u->url_port ? u->url_port : "");
	su_home_deinit(home);
	return r;
}

static void
out_timeout_cb(void *arg)
{
	struct sip_out *o = arg;

	if (o->ended || o->answered || o->hanging)
		return;
	log_info("sip: call %s: outbound leg to %s: no answer in time: CANCEL", o->log_id,
	    o->ruri);
	o->hanging = 1;
	nua_cancel(o->nh, TAG_END());
	out_ended(o, 408, "timeout");
	out_reap(o);
}

struct sip_out *
sip_out_start(const struct sip_out_req *req, const struct sip_out_cb *cb, void *arg)
{
	const struct trunk *t = req->trunk ? req->trunk : &out_default_trunk;
	const char *carrier = t->address[0] ? t->address : t->registrar;
	const char *to = req->to_number && req->to_number[0] ? req->to_number : "";
	char peer[64], *hostport = NULL, *from = NULL, *to_hdr = NULL, *offer = NULL;
	struct sip_out *o;
	int status = 0, timeout;

	o = xcalloc(1, sizeof(*o));
	o->owner.kind = SIP_OWNER_OUT;
	o->cfg = config_ref((struct config *)req->cfg);
	o->trunk = *t;
	o->has_trunk = req->trunk != NULL;
	o->cb = cb;
	o->arg = arg;
	o->log_id = xstrdup(req->call_id ? req->call_id : "-");
	call_uuid(o->sip_call_id);
	if (req->target_uri != NULL && req->target_uri[0] != '\0') {
		o->ruri = xstrdup(req->target_uri);
		hostport = out_hostport(o->ruri);
	} else if ((hostport = out_hostport(carrier)) != NULL) {
		o->ruri = xasprintf("sip:%s@%s", to, hostport);
	}
	if (hostport == NULL || o->ruri == NULL) {
		log_warn("sip: call %s: outbound leg: no host to call (trunk %s)", o->log_id,
		    o->has_trunk ? t->id : "-");
		goto fail;
	}
	/* From: the trunk's identity at its carrier, with the caller ID as its user when
	 * one is given (carriers check the host, and often the user, of From). */
	{
		char *fhost = o->has_trunk ? out_hostport(carrier) : NULL;
		const char *fuser = req->from_number && req->from_number[0] ? req->from_number :
		    t->username[0] ? t->username : "scaidial";

		if (req->from_name != NULL && req->from_name[0] != '\0')
			from = xasprintf("\"%s\" <sip:%s@%s>", req->from_name, fuser,
			    fhost ? fhost : hostport);
		else
			from = xasprintf("<sip:%s@%s>", fuser, fhost ? fhost : hostport);
		free(fhost);
	}
	to_hdr = to[0] ? xasprintf("<sip:%s@%s>", to, hostport) : xasprintf("<%s>", o->ruri);
	/* The media's local address is the one that routes to where the INVITE goes first. */
	out_numeric_host(t->proxy[0] ? t->proxy : o->ruri, peer, sizeof(peer));
	o->ms = media_session_offer(o->cfg, &o->trunk, peer[0] ? peer : NULL, &offer, &status,
	    out_media_event, o);
	if (o->ms == NULL) {
		log_warn("sip: call %s: outbound leg to %s: no media session (%d)", o->log_id,
		    o->ruri, status);
		goto fail;
	}
	o->nh = nua_handle(out_nua, &o->owner, NUTAG_URL(URL_STRING_MAKE(o->ruri)),
	    SIPTAG_TO_STR(to_hdr), SIPTAG_FROM_STR(from), SIPTAG_CALL_ID_STR(o->sip_call_id),
	    TAG_END());
	if (o->nh == NULL) {
		log_warn("sip: call %s: outbound leg to %s: cannot create a SIP handle", o->log_id,
		    o->ruri);
		goto fail;
	}
	timeout = req->timeout_s > 0 ? req->timeout_s : SIP_OUT_TIMEOUT_S;
	o->timer = loop_timer_new(out_timeout_cb, o);
	loop_timer_start(o->timer, (unsigned)timeout * 1000);
	o->next = out_list;
	out_list = o;
	log_info("sip: call %s: outbound leg: INVITE %s from %s%s%s (Call-ID %s, ring %d s)",
	    o->log_id, o->ruri, from, t->proxy[0] ? " via " : "", t->proxy, o->sip_call_id,
	    timeout);
	/* The proxy is a handle parameter: nua_handle() takes headers only. */
	nua_invite(o->nh, TAG_IF(t->proxy[0] != '\0', NUTAG_PROXY(URL_STRING_MAKE(t->proxy))),
	    SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(offer), TAG_END());
	free(offer);
	free(from);
	free(to_hdr);
	free(hostport);
	return o;
fail:
	free(offer);
	free(from);
	free(to_hdr);
	free(hostport);
	out_destroy(o);
	return NULL;
}

/* The realm of a 401/407's challenge (quotes included), for nua_authenticate. */
static int
out_realm(const sip_t *sip, char *out, size_t outlen)
{
	const msg_auth_t *au = sip == NULL ? NULL : sip->sip_www_authenticate ?
	    sip->sip_www_authenticate : sip->sip_proxy_authenticate;
	const char *realm = au && au->au_params ? msg_params_find(au->au_params, "realm=") :
	    NULL;

	if (realm == NULL)
		return -1;
	snprintf(out, outlen, "%s", realm);
	return 0;
}

/* Applies the far end's SDP (183 or 200) to our session: the first answers the offer;
 * a later, different one (a 200 after a 183 from another media server) moves the peer. */
static int
out_apply_sdp(struct sip_out *o, const sip_t *sip)
{
	const char *body;
	size_t len;
	char *ignored = NULL;
	int r;

	if (sip == NULL || sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
		return 0;
	body = sip->sip_payload->pl_data;
	len = sip->sip_payload->pl_len;
	if (o->answer_sdp == NULL) {
		if ((r = media_session_answer(o->ms, &o->trunk, body, len)) != 0) {
			log_warn("sip: call %s: outbound leg: the far end's SDP is refused (%d)",
			    o->log_id, r);
			return -1;
		}
	} else if (strlen(o->answer_sdp) != len || memcmp(o->answer_sdp, body, len) != 0) {
		/* The session's update reads an offer; an answer with one codec reads the same,
		 * and the answer it writes back is not sent anywhere. */
		if ((r = media_session_update(o->ms, &o->trunk, body, len, &ignored)) != 0) {
			log_warn("sip: call %s: outbound leg: the 200's new SDP is refused (%d)",
			    o->log_id, r);
			return -1;
		}
		free(ignored);
		log_info("sip: call %s: outbound leg: the 200's SDP differs from the 183's: "
		    "media follows it", o->log_id);
	} else {
		return 0;
	}
	free(o->answer_sdp);
	o->answer_sdp = xstrndup(body, len);
	return 0;
}

static void
out_r_invite(struct sip_out *o, int status, const char *phrase, const sip_t *sip)
{
	char realm[256], *cred;

	if (status >= 200 && status < 300 && o->hanging && !o->answered) {
		/* Our CANCEL crossed the 200: nua ACKs it, and the dialog ends with BYE. */
		loop_timer_stop(o->timer);
		o->answered = 1;
		nua_bye(o->nh, TAG_END());
		return;
	}
	if (status >= 100 && status < 200)
		o->heard = 1;
	if (o->ended || o->freed || status == 100)
		return;
	if (status > 100 && status < 200) {
		int early = 0;

		if (o->answer_sdp == NULL && sip != NULL && sip->sip_payload != NULL &&
		    sip->sip_payload->pl_len > 0) {
			if (out_apply_sdp(o, sip) == -1) {
				sip_out_hangup(o, "media_failed");
				return;
			}
			early = 1;
		}
		log_info("sip: call %s: outbound leg: %d %s%s", o->log_id, status, phrase,
		    early ? " (early media)" : "");
		out_progress(o, status, o->answer_sdp != NULL);
		return;
	}
	if (status >= 200 && status < 300) {
		loop_timer_stop(o->timer);
		if (out_apply_sdp(o, sip) == -1 || o->answer_sdp == NULL) {
			if (o->answer_sdp == NULL)
				log_warn("sip: call %s: outbound leg: answered without SDP", o->log_id);
			o->answered = 1;
			sip_out_hangup(o, "media_failed");
			return;
		}
		o->answered = 1;
		log_info("sip: call %s: outbound leg: answered (%d %s)", o->log_id, status, phrase);
		out_answered_cb(o);
		return;
	}
	if ((status == 401 || status == 407) && !o->hanging) {
		o->heard = 1;
		if (!o->has_trunk || o->trunk.username[0] == '\0' || ++o->challenges > 1 ||
		    out_realm(sip, realm, sizeof(realm)) == -1) {
			log_warn("sip: call %s: outbound leg: %d %s: %s", o->log_id, status, phrase,
			    o->challenges > 1 ? "challenged again" : "no credentials to answer with");
			out_ended(o, status, "auth_failed");
			/* nua keeps a challenged INVITE open for an answer that will not come:
			 * there is no dialog, so the handle goes now. */
			nua_handle_bind(o->nh, NULL);
			nua_handle_destroy(o->nh);
			o->nh = NULL;
			return;
		}
		log_info("sip: call %s: outbound leg: %d %s: answering the challenge as %s",
		    o->log_id, status, phrase, o->trunk.username);
		cred = xasprintf("Digest:%s:%s:%s", realm, o->trunk.username, o->trunk.password);
		nua_authenticate(o->nh, NUTAG_AUTH(cred), TAG_END());
		free(cred);
		return;
	}
	/* A final failure. nua's own answers to a transport failure or silence (503, 408)
	 * look like the far end's (sofia even tags them), so the tell is that nothing at all
	 * came back before them: a live UA or carrier sends 100 or 18x first. */
	log_info("sip: call %s: outbound leg: %d %s", o->log_id, status, phrase);
	if (o->hanging && status == 487)
		out_ended(o, 487, o->hang_cause ? o->hang_cause : "hangup");
	else if (!o->heard && (sip == NULL || status == 503 || status == 408))
		out_ended(o, status, "transport_error");
	else
		out_ended(o, status, out_cause(status));
}

/* A re-INVITE from the far end on an answered leg (hold, a new address, a refresh). */
static void
out_i_invite(struct sip_out *o, const sip_t *sip)
{
	char *answer = NULL;
	int rc;

	if (o->ms == NULL || o->answer_sdp == NULL) {
		nua_respond(o->nh, SIP_488_NOT_ACCEPTABLE, TAG_END());
		return;
	}
	if (sip->sip_payload == NULL || sip->sip_payload->pl_len == 0)
		rc = media_session_update(o->ms, &o->trunk, o->answer_sdp, strlen(o->answer_sdp),
		    &answer);
	else
		rc = media_session_update(o->ms, &o->trunk, sip->sip_payload->pl_data,
		    sip->sip_payload->pl_len, &answer);
	if (rc != 0) {
		log_info("sip: call %s: outbound leg: re-INVITE refused: %d", o->log_id, rc);
		nua_respond(o->nh, rc, sip_status_phrase(rc) ? sip_status_phrase(rc) : "Refused",
		    TAG_END());
		return;
	}
	log_info("sip: call %s: outbound leg: re-INVITE answered", o->log_id);
	nua_respond(o->nh, SIP_200_OK, SIPTAG_CONTENT_TYPE_STR("application/sdp"),
	    SIPTAG_PAYLOAD_STR(answer), TAG_END());
	free(answer);
}

static void
out_i_info(struct sip_out *o, const sip_t *sip)
{
	char digit;

	if (sip == NULL || sip->sip_payload == NULL || sip->sip_content_type == NULL)
		return;
	digit = sip_info_digit(sip->sip_content_type->c_type, sip->sip_payload->pl_data,
	    sip->sip_payload->pl_len);
	if (digit == 0)
		return;
	log_info("sip: call %s: outbound leg: INFO digit %c", o->log_id, digit);
	out_digit(o, digit);
}

void
sip_out_event(nua_event_t ev, int status, const char *phrase, nua_handle_t *nh,
    struct sip_owner *owner, const sip_t *sip, tagi_t *tags)
{
	struct sip_out *o = (struct sip_out *)owner;
	int cs = -1;

	(void)nh;
	switch (ev) {
	case nua_r_invite:
		out_r_invite(o, status, phrase, sip);
		break;
	case nua_i_invite:
		out_i_invite(o, sip);
		break;
	case nua_i_info:
		out_i_info(o, sip);
		break;
	case nua_i_bye:
		log_info("sip: call %s: outbound leg: BYE from the far end", o->log_id);
		out_ended(o, 0, "callee_bye");
		break;
	case nua_r_bye:
		out_ended(o, 0, o->hang_cause ? o->hang_cause : "hangup");
		break;
	case nua_i_state:
		tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
		if (cs != nua_callstate_terminated)
			break;
		/* Every way a dialog ends passes here: whatever was not reported yet is. */
		out_ended(o, o->hanging ? 487 : 0, o->hang_cause ? o->hang_cause :
		    o->answered ? "callee_bye" : "transport_error");
		nua_handle_bind(o->nh, NULL);
		nua_handle_destroy(o->nh);
		o->nh = NULL;
		break;
	default:
		break;
	}
	out_reap(o);
}

struct media_session *
sip_out_media(struct sip_out *o)
{
	return o != NULL && o->answer_sdp != NULL ? o->ms : NULL;
}

int
sip_out_send_dtmf(struct sip_out *o, char digit)
{
	char body[48];

	if (o == NULL || !o->answered || o->ended || o->ms == NULL)
		return -1;
	if (!((digit >= '0' && digit <= '9') || digit == '*' || digit == '#' ||
	    (digit >= 'A' && digit <= 'D')))
		return -1;
	if (media_session_send_dtmf(o->ms, digit) == 0)
		return 0;
	snprintf(body, sizeof(body), "Signal=%c\r\nDuration=100\r\n", digit);
	nua_info(o->nh, SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"),
	    SIPTAG_PAYLOAD_STR(body), TAG_END());
	return 0;
}

void
sip_out_hangup(struct sip_out *o, const char *cause)
{
	if (o == NULL || o->ended || o->hanging || o->nh == NULL)
		return;
	o->hanging = 1;
	free(o->hang_cause);
	o->hang_cause = xstrdup(cause ? cause : "hangup");
	loop_timer_stop(o->timer);
	if (o->answered) {
		log_info("sip: call %s: outbound leg to %s: BYE (%s)", o->log_id, o->ruri,
		    o->hang_cause);
		nua_bye(o->nh, TAG_END());
	} else {
		log_info("sip: call %s: outbound leg to %s: CANCEL (%s)", o->log_id, o->ruri,
		    o->hang_cause);
		nua_cancel(o->nh, TAG_END());
	}
}

void
sip_out_free(struct sip_out *o)
{
	if (o == NULL || o->freed)
		return;
	if (!o->ended)
		sip_out_hangup(o, "hangup");
	o->ended = 1;
	o->cb = NULL;
	o->freed = 1;
	if (o->ms != NULL) {
		media_session_free(o->ms);
		o->ms = NULL;
	}
	out_reap(o);
}

const char *
sip_out_sip_call_id(const struct sip_out *o)
{
	return o->sip_call_id;
}

const char *
sip_out_uri(const struct sip_out *o)
{
	return o->ruri;
}

int
sip_out_answered(const struct sip_out *o)
{
	return o->answered;
}

void
sip_out_stop_all(const char *cause)
{
	struct sip_out *o, *next;

	for (o = out_list; o != NULL; o = next) {
		next = o->next;
		if (!o->ended && !o->freed)
			sip_out_hangup(o, cause);
	}
}

void
sip_out_fini(void)
{
	while (out_list != NULL)
		out_destroy(out_list);
	out_nua = NULL;
}
