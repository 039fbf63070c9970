/* vmpost: what follows a kept voicemail message, off the caller's path: the tenant's
 * transcription webhook (the WAV POSTed, the transcript stored, voicemail.transcribed sent)
 * and the copy to S3 (storage section; the object URL stored, voicemail.uploaded sent).
 * The file is read in chunks from loop timers and handed to webhook.c, whose queue and
 * retry policy carry both; the local file is never touched. Control thread only. */
#ifndef SCAIDIAL_VMPOST_H
#define SCAIDIAL_VMPOST_H

#include <stddef.h>
#include <stdint.h>

struct config;

struct vmpost_msg {
	const char	*id;		/* voicemail_messages.id */
	const char	*call_id;
	const char	*tenant;
	const char	*extension;
	const char	*caller;
	const char	*path;		/* the WAV */
	int64_t		 duration_ms;
};

/* Largest file sent anywhere (voicemail_max_seconds of 16-bit 8 kHz is far below). */
#define VMPOST_MAX_FILE		(32u * 1024 * 1024)

/* Starts what cfg asks for this message, if anything. Strings are copied. */
void	 vmpost_message(struct config *cfg, const struct vmpost_msg *);
/* Transcription answers: JSON {"transcript": "..."} or the text itself. A malloc'd,
 * NUL-terminated transcript, or NULL when the answer holds none. */
char	*vmpost_transcript(const char *body, size_t len);
/* Jobs not finished (tests, metrics). */
int	 vmpost_pending(void);
/* Drops unfinished jobs (their webhooks cancelled); before webhook_fini(). */
void	 vmpost_fini(void);

#endif
