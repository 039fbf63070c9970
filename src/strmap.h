/* strmap: string-keyed hash map (open addressing). Keys are not copied: they must outlive
 * the map (config strings do). Built once, read many times. */
#ifndef SCAIDIAL_STRMAP_H
#define SCAIDIAL_STRMAP_H

#include <stddef.h>

struct strmap;

struct strmap *strmap_new(size_t expected);
void	 strmap_free(struct strmap *);
/* Returns the value already stored under key (and stores nothing), or NULL once stored. */
void	*strmap_put(struct strmap *, const char *key, void *value);
void	*strmap_get(const struct strmap *, const char *key);
size_t	 strmap_count(const struct strmap *);

#endif
