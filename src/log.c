#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_level = LOG_LVL_INFO;
static int log_foreground = 1;
static int log_journal;

static const char *const log_names[] = { "error", "warn", "info", "debug" };
static const int log_syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; it only counts when
 * that stream is still our stderr (a child could have redirected it). */
static int
log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_init(const char *ident, int foreground)
{
	log_foreground = foreground;
	log_journal = foreground && log_stderr_is_journal();
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_level(enum log_level l)
{
	log_level = l;
}

enum log_level
log_get_level(void)
{
	return log_level;
}

int
log_level_parse(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < sizeof(log_names) / sizeof(log_names[0]); i++) {
		if (strcmp(s, log_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level l)
{
	return log_names[l];
}

static void
log_vwrite(enum log_level l, const char *fmt, va_list ap)
{
	char line[2048];

	if (l > log_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	if (!log_foreground) {
		syslog(log_syslog_prio[l], "%s", line);
		return;
	}
	if (log_journal) {
		fprintf(stderr, "<%d>%s\n", log_syslog_prio[l], line);
		return;
	}
	struct timespec ts;
	struct tm tm;
	char when[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000L,
	    log_names[l], line);
}

#define LOG_FN(name, lvl)						\
void									\
name(const char *fmt, ...)						\
{									\
	va_list ap;							\
	va_start(ap, fmt);						\
	log_vwrite(lvl, fmt, ap);					\
	va_end(ap);							\
}

LOG_FN(log_error, LOG_LVL_ERROR)
LOG_FN(log_warn, LOG_LVL_WARN)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)

void
log_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_LVL_ERROR, fmt, ap);
	va_end(ap);
	exit(1);
}
