/* arena: bump allocator for data that lives and dies together (one config generation). */
#ifndef SCAIDIAL_ARENA_H
#define SCAIDIAL_ARENA_H

#include <stddef.h>

struct arena;

struct arena *arena_new(void);
void	 arena_free(struct arena *);
void	*arena_alloc(struct arena *, size_t);		/* zeroed, 16-byte aligned */
char	*arena_strdup(struct arena *, const char *);
char	*arena_strndup(struct arena *, const char *, size_t);

#endif
