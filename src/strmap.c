#include "strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xmalloc.h"

struct strmap_slot {
	const char	*key;
	void		*value;
	uint32_t	 hash;
};

struct strmap {
	struct strmap_slot *slots;
	size_t		 mask;
	size_t		 count;
};

/* FNV-1a: short keys (ids, phone numbers), no adversary controls the key set. */
static uint32_t
strmap_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

struct strmap *
strmap_new(size_t expected)
{
	struct strmap *m = xcalloc(1, sizeof(*m));
	size_t cap = 16;

	while (cap < expected * 2)
		cap *= 2;
	m->slots = xcalloc(cap, sizeof(*m->slots));
	m->mask = cap - 1;
	return m;
}

void
strmap_free(struct strmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m);
}

static void
strmap_grow(struct strmap *m)
{
	size_t oldcap = m->mask + 1;
	struct strmap_slot *old = m->slots;

	m->slots = xcalloc(oldcap * 2, sizeof(*m->slots));
	m->mask = oldcap * 2 - 1;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key == NULL)
			continue;
		size_t j = old[i].hash & m->mask;

		while (m->slots[j].key != NULL)
			j = (j + 1) & m->mask;
		m->slots[j] = old[i];
	}
	free(old);
}

void *
strmap_put(struct strmap *m, const char *key, void *value)
{
	if ((m->count + 1) * 2 > m->mask + 1)
		strmap_grow(m);
	uint32_t h = strmap_hash(key);
	size_t i = h & m->mask;

	for (; m->slots[i].key != NULL; i = (i + 1) & m->mask) {
		if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
			return m->slots[i].value;
	}
	m->slots[i].key = key;
	m->slots[i].value = value;
	m->slots[i].hash = h;
	m->count++;
	return NULL;
}

void *
strmap_get(const struct strmap *m, const char *key)
{
	uint32_t h = strmap_hash(key);

	for (size_t i = h & m->mask; m->slots[i].key != NULL; i = (i + 1) & m->mask) {
		if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
			return m->slots[i].value;
	}
	return NULL;
}

size_t
strmap_count(const struct strmap *m)
{
	return m->count;
}
