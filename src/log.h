/* log: one line per event, to stderr in the foreground (journald-friendly under systemd)
 * or to syslog. Lines begin with the subsystem ("config: ...", "ctl: ...") so operators
 * and fail2ban can grep them; their wording is part of the operator interface. */
#ifndef SCAIDIAL_LOG_H
#define SCAIDIAL_LOG_H

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
};

/* foreground: log to stderr, else syslog. Under systemd (JOURNAL_STREAM names our stderr)
 * lines carry a <N> priority prefix and no timestamp, as journald adds its own. */
void	 log_init(const char *ident, int foreground);
void	 log_set_level(enum log_level);
enum log_level log_get_level(void);
int	 log_level_parse(const char *, enum log_level *);
const char *log_level_name(enum log_level);

void	 log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	 log_fatal(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
