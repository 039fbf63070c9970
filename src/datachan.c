/* datachan: SCTP (usrsctp) and DCEP for WebRTC data channels (see datachan.h).
 *
 * usrsctp is one stack per process with threads of its own: its output and receive
 * callbacks may run on its timer thread. They find the channel set through a registry of
 * live objects (so a callback racing datachan_free() finds nothing) and hand the work to
 * the owning GMainContext. */
#include <errno.h>
#include <string.h>

#include <arpa/inet.h>
#include <usrsctp.h>

#include "datachan.h"
#include "log.h"

#define DATACHAN_PORT		5000
#define DATACHAN_MAX		8
#define DATACHAN_STREAMS	(2 * DATACHAN_MAX)	/* ours even, the peer's odd, or back */
#define DATACHAN_PPID_DCEP	50
#define DCEP_OPEN		0x03
#define DCEP_ACK		0x02

struct datachan_ch {
	char		 label[64];
	uint16_t	 sid;
	int		 ordered;
	int		 max_rtx;
	int		 open;
	int		 requested;	/* our DCEP open went out */
};

struct datachan {
	gatomicrefcount	 ref;
	GMainContext	*ctx;
	struct socket	*sock;
	const struct datachan_cb *cb;
	void		*arg;
	int		 dtls_client;
	int		 up;
	int		 dead;
	uint16_t	 next_sid;
	struct datachan_ch ch[DATACHAN_MAX];
	int		 nch;
};

/* One event from usrsctp, carried to the owning context. */
struct datachan_ev {
	struct datachan	*d;
	int		 kind;		/* 0 packet out, 1 message in, 2 notification, 3 closed */
	uint16_t	 sid;
	uint32_t	 ppid;
	size_t		 len;
	uint8_t		 data[];
};

static GMutex datachan_lock;
static GHashTable *datachan_live;

static void	datachan_handle(struct datachan_ev *);

static void
datachan_unref(struct datachan *d)
{
	if (g_atomic_ref_count_dec(&d->ref)) {
		g_main_context_unref(d->ctx);
		g_free(d);
	}
}

/* A reference to d if it is still alive, else NULL. */
static struct datachan *
datachan_find(void *p)
{
	struct datachan *d = NULL;

	g_mutex_lock(&datachan_lock);
	if (datachan_live != NULL && g_hash_table_contains(datachan_live, p)) {
		d = p;
		g_atomic_ref_count_inc(&d->ref);
	}
	g_mutex_unlock(&datachan_lock);
	return d;
}

static gboolean
datachan_dispatch(gpointer p)
{
	datachan_handle(p);
	return G_SOURCE_REMOVE;
}

static void
datachan_ev_free(gpointer p)
{
	struct datachan_ev *ev = p;

	datachan_unref(ev->d);
	g_free(ev);
}

static void
datachan_post(struct datachan *d, int kind, uint16_t sid, uint32_t ppid, const void *data,
    size_t len)
{
	struct datachan_ev *ev;

	ev = g_malloc(sizeof *ev + len);
	ev->d = d;	/* the reference datachan_find() took */
	ev->kind = kind;
	ev->sid = sid;
	ev->ppid = ppid;
	ev->len = len;
	if (len > 0)
		memcpy(ev->data, data, len);
	if (g_main_context_is_owner(d->ctx)) {
		datachan_handle(ev);
		datachan_ev_free(ev);
	} else
		g_main_context_invoke_full(d->ctx, G_PRIORITY_DEFAULT, datachan_dispatch, ev,
		    datachan_ev_free);
}

static int
datachan_output(void *addr, void *buf, size_t len, uint8_t tos, uint8_t set_df)
{
	struct datachan *d = datachan_find(addr);

	(void)tos;
	(void)set_df;
	if (d != NULL)
		datachan_post(d, 0, 0, 0, buf, len);
	return 0;
}

static int
datachan_receive(struct socket *sock, union sctp_sockstore addr, void *data, size_t len,
    struct sctp_rcvinfo rcv, int flags, void *ulp)
{
	struct datachan *d = datachan_find(ulp);

	(void)sock;
	(void)addr;
	if (d != NULL) {
		if (data == NULL)
			datachan_post(d, 3, 0, 0, NULL, 0);
		else if (flags & MSG_NOTIFICATION)
			datachan_post(d, 2, 0, 0, data, len);
		else
			datachan_post(d, 1, rcv.rcv_sid, ntohl(rcv.rcv_ppid), data, len);
	}
	free(data);	/* usrsctp's allocation */
	return 1;
}

static gpointer
datachan_init_once(gpointer unused)
{
	(void)unused;
	usrsctp_init(0, datachan_output, NULL);
	usrsctp_sysctl_set_sctp_ecn_enable(0);
	datachan_live = g_hash_table_new(NULL, NULL);
	return GINT_TO_POINTER(1);
}

struct datachan *
datachan_new(GMainContext *ctx, int dtls_client, const struct datachan_cb *cb, void *arg)
{
	static GOnce once = G_ONCE_INIT;
	struct datachan *d;

	g_once(&once, datachan_init_once, NULL);
	d = g_new0(struct datachan, 1);
	g_atomic_ref_count_init(&d->ref);
	d->ctx = g_main_context_ref(ctx);
	d->cb = cb;
	d->arg = arg;
	d->dtls_client = dtls_client;
	/* RFC 8832: the DTLS client takes even stream ids, the server odd ones. */
	d->next_sid = dtls_client ? 0 : 1;
	g_mutex_lock(&datachan_lock);
	g_hash_table_add(datachan_live, d);
	g_mutex_unlock(&datachan_lock);
	usrsctp_register_address(d);
	return d;
}

int
datachan_start(struct datachan *d)
{
	struct sockaddr_conn sconn;
	struct sctp_initmsg init;
	struct sctp_assoc_value av;
	struct sctp_event ev;
	struct linger lin = { 1, 0 };
	static const uint16_t events[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT };
	int on = 1;
	size_t i;

	if (d->sock != NULL)
		return 0;
	d->sock = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, datachan_receive, NULL, 0, d);
	if (d->sock == NULL) {
		log_error("datachan: no SCTP socket: %s", strerror(errno));
		return -1;
	}
	usrsctp_set_non_blocking(d->sock, 1);
	usrsctp_setsockopt(d->sock, SOL_SOCKET, SO_LINGER, &lin, sizeof lin);
	usrsctp_setsockopt(d->sock, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on);
	usrsctp_setsockopt(d->sock, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on);
	memset(&av, 0, sizeof av);
	av.assoc_id = SCTP_ALL_ASSOC;
	av.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
	usrsctp_setsockopt(d->sock, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av);
	memset(&init, 0, sizeof init);
	/* usrsctp allocates state for every stream of an association up front (about
	 * 150 bytes each way): LiveKit opens two channels, one per direction of each. */
	init.sinit_num_ostreams = DATACHAN_STREAMS;
	init.sinit_max_instreams = DATACHAN_STREAMS;
	usrsctp_setsockopt(d->sock, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init);
	memset(&ev, 0, sizeof ev);
	ev.se_assoc_id = SCTP_ALL_ASSOC;
	ev.se_on = 1;
	for (i = 0; i < G_N_ELEMENTS(events); i++) {
		ev.se_type = events[i];
		usrsctp_setsockopt(d->sock, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev);
	}
	memset(&sconn, 0, sizeof sconn);
	sconn.sconn_family = AF_CONN;
	sconn.sconn_port = htons(DATACHAN_PORT);
	sconn.sconn_addr = d;
	if (usrsctp_bind(d->sock, (struct sockaddr *)&sconn, sizeof sconn) != 0) {
		log_error("datachan: SCTP bind: %s", strerror(errno));
		return -1;
	}
	/* Both ends connect: SCTP handles the simultaneous open. */
	if (usrsctp_connect(d->sock, (struct sockaddr *)&sconn, sizeof sconn) != 0 &&
	    errno != EINPROGRESS) {
		log_error("datachan: SCTP connect: %s", strerror(errno));
		return -1;
	}
	return 0;
}

void
datachan_input(struct datachan *d, const uint8_t *p, size_t n)
{
	if (d->sock != NULL && !d->dead)
		usrsctp_conninput(d, p, n, 0);
}

static int
datachan_sendv(struct datachan *d, const struct datachan_ch *c, uint32_t ppid,
    const void *p, size_t n)
{
	struct sctp_sendv_spa spa;

	memset(&spa, 0, sizeof spa);
	spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
	spa.sendv_sndinfo.snd_sid = c->sid;
	spa.sendv_sndinfo.snd_flags = SCTP_EOR | (c->ordered ? 0 : SCTP_UNORDERED);
	spa.sendv_sndinfo.snd_ppid = htonl(ppid);
	if (c->max_rtx >= 0 && ppid != DATACHAN_PPID_DCEP) {
		spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
		spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
		spa.sendv_prinfo.pr_value = (uint32_t)c->max_rtx;
	}
	if (usrsctp_sendv(d->sock, p, n, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0) < 0) {
		log_warn("datachan: SCTP send on %s: %s", c->label, strerror(errno));
		return -1;
	}
	return 0;
}

static void
datachan_request(struct datachan *d, struct datachan_ch *c)
{
	uint8_t m[12 + sizeof c->label];
	size_t ll = strlen(c->label);
	uint8_t type = (uint8_t)((c->max_rtx >= 0 ? 0x01 : 0x00) | (c->ordered ? 0 : 0x80));
	uint32_t rel = c->max_rtx >= 0 ? (uint32_t)c->max_rtx : 0;

	m[0] = DCEP_OPEN;
	m[1] = type;
	m[2] = 0;
	m[3] = 0;			/* priority */
	m[4] = (uint8_t)(rel >> 24);
	m[5] = (uint8_t)(rel >> 16);
	m[6] = (uint8_t)(rel >> 8);
	m[7] = (uint8_t)rel;
	m[8] = (uint8_t)(ll >> 8);
	m[9] = (uint8_t)ll;
	m[10] = 0;
	m[11] = 0;			/* protocol "" */
	memcpy(m + 12, c->label, ll);
	if (datachan_sendv(d, c, DATACHAN_PPID_DCEP, m, 12 + ll) == 0)
		c->requested = 1;
}

int
datachan_open(struct datachan *d, const char *label, int ordered, int max_rtx)
{
	struct datachan_ch *c;

	if (d->nch == DATACHAN_MAX || strlen(label) >= sizeof c->label)
		return -1;
	c = &d->ch[d->nch++];
	memset(c, 0, sizeof *c);
	g_strlcpy(c->label, label, sizeof c->label);
	c->ordered = ordered;
	c->max_rtx = max_rtx;
	c->sid = d->next_sid;
	d->next_sid += 2;
	if (d->up)
		datachan_request(d, c);
	return 0;
}

static struct datachan_ch *
datachan_by_sid(struct datachan *d, uint16_t sid)
{
	for (int i = 0; i < d->nch; i++)
		if (d->ch[i].sid == sid)
			return &d->ch[i];
	return NULL;
}

int
datachan_send(struct datachan *d, const char *label, uint32_t ppid, const uint8_t *p,
    size_t n)
{
	for (int i = 0; i < d->nch; i++)
		if (d->ch[i].open && strcmp(d->ch[i].label, label) == 0)
			return datachan_sendv(d, &d->ch[i], ppid, p, n);
	return -1;
}

/* A DCEP message on sid: the peer opening a channel, or acking ours. */
static void
datachan_dcep(struct datachan *d, uint16_t sid, const uint8_t *p, size_t n)
{
	struct datachan_ch *c = datachan_by_sid(d, sid);
	uint8_t ack = DCEP_ACK;
	size_t ll;

	if (n >= 1 && p[0] == DCEP_ACK && c != NULL && !c->open) {
		c->open = 1;
		log_debug("datachan: %s open (sid %u)", c->label, sid);
		d->cb->open(d->arg, sid, c->label);
	} else if (n >= 12 && p[0] == DCEP_OPEN && c == NULL && d->nch < DATACHAN_MAX) {
		ll = (size_t)(p[8] << 8 | p[9]);
		if (12 + ll > n)
			return;
		c = &d->ch[d->nch++];
		memset(c, 0, sizeof *c);
		memcpy(c->label, p + 12, MIN(ll, sizeof c->label - 1));
		c->sid = sid;
		c->ordered = !(p[1] & 0x80);
		c->max_rtx = (p[1] & 0x7f) == 0x01 ? (int)(p[4] << 24 | p[5] << 16 | p[6] << 8 | p[7])
		    : -1;
		c->open = 1;
		datachan_sendv(d, c, DATACHAN_PPID_DCEP, &ack, 1);
		log_debug("datachan: the peer opened %s (sid %u)", c->label, sid);
		d->cb->open(d->arg, sid, c->label);
	}
}

static void
datachan_handle(struct datachan_ev *ev)
{
	struct datachan *d = ev->d;
	const union sctp_notification *n;

	if (d->dead)
		return;
	switch (ev->kind) {
	case 0:
		d->cb->send(d->arg, ev->data, ev->len);
		break;
	case 1:
		if (ev->ppid == DATACHAN_PPID_DCEP)
			datachan_dcep(d, ev->sid, ev->data, ev->len);
		else
			d->cb->message(d->arg, ev->sid, ev->ppid, ev->data, ev->len);
		break;
	case 2:
		n = (const union sctp_notification *)(const void *)ev->data;
		if (ev->len < sizeof n->sn_assoc_change ||
		    n->sn_header.sn_type != SCTP_ASSOC_CHANGE)
			break;
		if (n->sn_assoc_change.sac_state == SCTP_COMM_UP && !d->up) {
			d->up = 1;
			log_debug("datachan: SCTP association up");
			for (int i = 0; i < d->nch; i++)
				if (!d->ch[i].requested && !d->ch[i].open)
					datachan_request(d, &d->ch[i]);
		} else if (n->sn_assoc_change.sac_state == SCTP_COMM_LOST ||
		    n->sn_assoc_change.sac_state == SCTP_SHUTDOWN_COMP ||
		    n->sn_assoc_change.sac_state == SCTP_CANT_STR_ASSOC) {
			d->dead = 1;
			d->cb->closed(d->arg);
		}
		break;
	default:
		d->dead = 1;
		d->cb->closed(d->arg);
		break;
	}
}

void
datachan_free(struct datachan *d)
{
	if (d == NULL)
		return;
	g_mutex_lock(&datachan_lock);
	g_hash_table_remove(datachan_live, d);
	g_mutex_unlock(&datachan_lock);
	d->dead = 1;
	if (d->sock != NULL)
		usrsctp_close(d->sock);
	usrsctp_deregister_address(d);
	datachan_unref(d);
}
