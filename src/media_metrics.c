/* media_metrics: the media engine's totals in Prometheus text exposition format, for
 * scaidial-ctl metrics. Names and labels are a monitoring interface: add, do not rename. */
#include <inttypes.h>

#include "buf.h"
#include "media.h"

static void
media_metric(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
media_metrics(struct buf *out)
{
	struct media_totals t;

	media_totals(&t);
	media_metric(out, "scaidial_media_sessions_active", "gauge",
	    "Carrier-side media sessions open.");
	buf_printf(out, "scaidial_media_sessions_active %" PRIu64 "\n", t.sessions_active);
	media_metric(out, "scaidial_media_sessions_total", "counter",
	    "Carrier-side media sessions started.");
	buf_printf(out, "scaidial_media_sessions_total %" PRIu64 "\n", t.sessions_started);
	media_metric(out, "scaidial_rtp_packets_total", "counter",
	    "RTP packets received from and sent to carriers.");
	buf_printf(out, "scaidial_rtp_packets_total{direction=\"in\"} %" PRIu64 "\n",
	    t.rx_packets);
	buf_printf(out, "scaidial_rtp_packets_total{direction=\"out\"} %" PRIu64 "\n",
	    t.tx_packets);
	media_metric(out, "scaidial_rtp_lost_total", "counter",
	    "RTP packets lost on the way to us (RFC 3550 cumulative loss).");
	buf_printf(out, "scaidial_rtp_lost_total %" PRIu64 "\n", t.rx_lost);
	media_metric(out, "scaidial_rtp_dropped_total", "counter",
	    "Datagrams dropped on the media ports, by cause.");
	buf_printf(out, "scaidial_rtp_dropped_total{cause=\"foreign_source\"} %" PRIu64 "\n",
	    t.dropped_foreign);
	buf_printf(out, "scaidial_rtp_dropped_total{cause=\"invalid\"} %" PRIu64 "\n",
	    t.dropped_invalid);
	buf_printf(out, "scaidial_rtp_dropped_total{cause=\"srtp_auth\"} %" PRIu64 "\n",
	    t.srtp_failed);
	media_metric(out, "scaidial_rtp_timeouts_total", "counter",
	    "Sessions whose peer stopped sending RTP.");
	buf_printf(out, "scaidial_rtp_timeouts_total %" PRIu64 "\n", t.rtp_timeouts);
}
