/* rtp: RTP header, receive statistics, latch and port pairs; see rtp.h. */
#include "rtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#define RTP_MAX_DROPOUT		3000
#define RTP_MAX_MISORDER	100
#define RTP_MIN_SEQUENTIAL	2
#define RTP_SEQ_MOD		(1u << 16)

int
rtp_parse(const uint8_t *buf, size_t len, struct rtp_hdr *h)
{
	size_t off = RTP_HDR_LEN, end = len;

	if (len < RTP_HDR_LEN || (buf[0] >> 6) != 2)
		return -1;
	h->cc = buf[0] & 0x0f;
	h->marker = buf[1] >> 7;
	h->pt = buf[1] & 0x7f;
	h->seq = (uint16_t)(buf[2] << 8 | buf[3]);
	h->ts = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 | buf[7];
	h->ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 |
	    buf[11];
	off += 4u * h->cc;
	if (off > len)
		return -1;
	h->ext = buf[0] & 0x10;
	if (h->ext) {
		size_t words;

		if (off + 4 > len)
			return -1;
		words = (size_t)(buf[off + 2] << 8 | buf[off + 3]);
		off += 4 + 4 * words;
		if (off > len)
			return -1;
	}
	if (buf[0] & 0x20) {
		uint8_t pad = buf[len - 1];

		if (pad == 0 || pad > end - off)
			return -1;
		end -= pad;
	}
	h->payload = buf + off;
	h->payload_len = end - off;
	return 0;
}

size_t
rtp_write_hdr(uint8_t *b, bool marker, uint8_t pt, uint16_t seq, uint32_t ts, uint32_t ssrc)
{
	b[0] = 0x80;
	b[1] = (uint8_t)((marker ? 0x80 : 0) | (pt & 0x7f));
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(ts >> 24);
	b[5] = (uint8_t)(ts >> 16);
	b[6] = (uint8_t)(ts >> 8);
	b[7] = (uint8_t)ts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	return RTP_HDR_LEN;
}

bool
rtp_is_rtcp(const uint8_t *buf, size_t len)
{
	return len >= 8 && (buf[0] >> 6) == 2 && buf[1] >= 192 && buf[1] <= 223;
}

static void
rtp_rx_init_seq(struct rtp_rx *s, uint16_t seq)
{
	s->base_seq = seq;
	s->max_seq = seq;
	s->bad_seq = RTP_SEQ_MOD + 1;
	s->cycles = 0;
	s->received = 0;
	s->received_prior = 0;
	s->expected_prior = 0;
}

/* RFC 3550 A.1, plus the A.8 jitter estimate for packets accepted. */
bool
rtp_rx_update(struct rtp_rx *s, const struct rtp_hdr *h, uint32_t arrival)
{
	uint16_t udelta;
	uint32_t transit;
	int64_t d;

	if (!s->init || h->ssrc != s->ssrc) {
		memset(s, 0, sizeof *s);
		s->init = true;
		s->ssrc = h->ssrc;
		rtp_rx_init_seq(s, h->seq);
		s->max_seq = (uint16_t)(h->seq - 1);
		s->probation = RTP_MIN_SEQUENTIAL;
	}
	udelta = (uint16_t)(h->seq - s->max_seq);
	if (s->probation) {
		s->transit = arrival - h->ts;
		s->transit_set = true;
		if (h->seq == (uint16_t)(s->max_seq + 1)) {
			s->probation--;
			s->max_seq = h->seq;
			if (s->probation == 0) {
				/* The packet that opened the probation was real too. */
				rtp_rx_init_seq(s, h->seq);
				s->base_seq = (uint32_t)h->seq - RTP_MIN_SEQUENTIAL;
				s->received = RTP_MIN_SEQUENTIAL - 1;
				goto counted_one;
			}
		} else {
			s->probation = RTP_MIN_SEQUENTIAL - 1;
			s->max_seq = h->seq;
		}
		return false;
	} else if (udelta < RTP_MAX_DROPOUT) {
		if (h->seq < s->max_seq)
			s->cycles += RTP_SEQ_MOD;
		s->max_seq = h->seq;
	} else if (udelta <= RTP_SEQ_MOD - RTP_MAX_MISORDER) {
		if (h->seq == s->bad_seq) {
			/* Two in sequence after a jump: the source restarted. */
			rtp_rx_init_seq(s, h->seq);
			s->base_seq = (uint32_t)h->seq - 1;
		} else {
			s->bad_seq = (uint32_t)((h->seq + 1) & (RTP_SEQ_MOD - 1));
			return false;
		}
	}
	/* else a duplicate or reordered packet: counted, used */
counted_one:
	s->received++;
	s->octets += h->payload_len;
	transit = arrival - h->ts;
	if (s->transit_set) {
		d = (int64_t)(int32_t)(transit - s->transit);
		if (d < 0)
			d = -d;
		s->jitter += (uint32_t)d - ((s->jitter + 8) >> 4);
	}
	s->transit = transit;
	s->transit_set = true;
	return true;
}

uint32_t
rtp_rx_ext_max(const struct rtp_rx *s)
{
	return s->cycles + s->max_seq;
}

uint32_t
rtp_rx_expected(const struct rtp_rx *s)
{
	if (!s->init || s->received == 0)
		return 0;
	return rtp_rx_ext_max(s) - s->base_seq;
}

int32_t
rtp_rx_lost(const struct rtp_rx *s)
{
	int64_t lost = (int64_t)rtp_rx_expected(s) - s->received;

	if (lost > 0x7fffff)
		lost = 0x7fffff;
	if (lost < -0x800000)
		lost = -0x800000;
	return (int32_t)lost;
}

uint8_t
rtp_rx_fraction(struct rtp_rx *s)
{
	uint32_t expected = rtp_rx_expected(s);
	uint32_t exp_int = expected - s->expected_prior;
	uint32_t rec_int = s->received - s->received_prior;
	int64_t lost_int = (int64_t)exp_int - rec_int;

	s->expected_prior = expected;
	s->received_prior = s->received;
	if (exp_int == 0 || lost_int <= 0)
		return 0;
	return (uint8_t)((lost_int << 8) / exp_int);
}

uint32_t
rtp_rx_jitter(const struct rtp_rx *s)
{
	return s->jitter >> 4;
}

static bool
rtp_addr_eq(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
	}
	return false;
}

bool
rtp_addr_private(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		uint32_t a = ntohl(((const struct sockaddr_in *)(const void *)sa)->sin_addr.s_addr);

		return (a >> 24) == 10 || (a >> 20) == (172u << 4 | 1) ||
		    (a >> 16) == (192u << 8 | 168) || (a >> 22) == (100u << 2 | 1) ||
		    (a >> 16) == (169u << 8 | 254) || a == 0;
	}
	if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr.s6_addr;

		return (b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	return false;
}

void
rtp_latch_init(struct rtp_latch *l, const struct sockaddr *sdp, socklen_t len)
{
	memset(l, 0, sizeof *l);
	if (len > sizeof l->addr)
		len = sizeof l->addr;
	memcpy(&l->addr, sdp, len);
	l->len = len;
}

bool
rtp_latch_check(struct rtp_latch *l, const struct sockaddr *src, socklen_t len)
{
	if (l->latched) {
		if (rtp_addr_eq((const struct sockaddr *)&l->addr, src))
			return true;
		l->dropped++;
		return false;
	}
	/* The first packet decides: behind a NAT the SDP address is private or simply not
	 * where the packets come from, and the only address that reaches the peer is the one
	 * its packets come from. */
	if (len > sizeof l->addr)
		return false;
	memcpy(&l->addr, src, len);
	l->len = len;
	l->latched = true;
	return true;
}

static int
rtp_bind(int family, int port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		s6->sin6_addr = in6addr_any;
		len = sizeof *s6;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		len = sizeof *s4;
	}
	fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The cursor moves on past every pair handed out, so a port just released is not reused
 * at once (late packets of the old call would land in the new one). */
static atomic_uint rtp_cursor;

int
rtp_open_pair(int family, int min, int max, int fds[2], int *port)
{
	unsigned n, i, start;

	if (min % 2)
		min++;
	if (max <= min)
		return errno = EINVAL, -1;
	n = (unsigned)(max - min + 1) / 2;
	start = atomic_fetch_add(&rtp_cursor, 1);
	for (i = 0; i < n; i++) {
		int p = min + (int)(((start + i) % n) * 2);

		if ((fds[0] = rtp_bind(family, p)) < 0)
			continue;
		if ((fds[1] = rtp_bind(family, p + 1)) < 0) {
			close(fds[0]);
			continue;
		}
		atomic_fetch_add(&rtp_cursor, i);
		*port = p;
		return 0;
	}
	errno = EADDRINUSE;
	return -1;
}
