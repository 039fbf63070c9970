/* xmalloc: allocation that cannot fail. Running out of memory in a PBX is handled in one
 * place: the daemon logs and aborts, and systemd restarts it; the crash-recovery pass
 * then closes the calls it had open. Every other allocation site stays simple. */
#ifndef SCAIDIAL_XMALLOC_H
#define SCAIDIAL_XMALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
char	*xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
