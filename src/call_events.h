/* call_events: the optional call lifecycle events (call.started, call.answered, call.ended)
 * sent to webhooks.call_events of the call's configuration generation, signed and retried
 * like every webhook. Nothing is sent when that URL is empty. */
#ifndef SCAIDIAL_CALL_EVENTS_H
#define SCAIDIAL_CALL_EVENTS_H

struct call;

void	 call_events_started(const struct call *);
void	 call_events_answered(const struct call *);
/* cause and SIP status as recorded; times from the call. */
void	 call_events_ended(const struct call *, const char *cause, int sip_status);

#endif
