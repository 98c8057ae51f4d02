/* strmap — a string-keyed hash map with void * values.
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones, so lookups stay short after many deletes). Keys are copied;
 * values are owned by the map when a free function is given at creation
 * (it is then called on replaced and deleted values and on destroy).
 *
 * Threading: no internal locking. Concurrent readers are fine; any writer
 * needs exclusive access. */
#ifndef TL_UTIL_STRMAP_H
#define TL_UTIL_STRMAP_H

#include <stddef.h>

typedef struct tl_strmap tl_strmap;
typedef void (*tl_strmap_free_fn)(void *value);

/* free_value may be NULL (values not owned). NULL on out of memory. */
tl_strmap *tl_strmap_new(tl_strmap_free_fn free_value);
void tl_strmap_destroy(tl_strmap *m);

/* Insert or replace. A replaced value is freed with free_value.
 * 0 ok, -1 out of memory (the map is unchanged and value not taken). */
int tl_strmap_put(tl_strmap *m, const char *key, void *value);
/* NULL when absent (or when NULL was stored: use tl_strmap_has to tell). */
void *tl_strmap_get(const tl_strmap *m, const char *key);
int tl_strmap_has(const tl_strmap *m, const char *key);
/* Remove key and return its value without freeing it (NULL if absent). */
void *tl_strmap_take(tl_strmap *m, const char *key);
/* Remove key, freeing its value; 1 if it was there, 0 if not. */
int tl_strmap_del(tl_strmap *m, const char *key);
size_t tl_strmap_count(const tl_strmap *m);

/* Iterate in unspecified order: start with *pos = 0; returns 1 and sets
 * key/value (either may be NULL) while entries remain. Do not modify the
 * map while iterating. */
int tl_strmap_next(const tl_strmap *m, size_t *pos, const char **key, void **value);

/* The keys in strcmp order, as an array of count pointers into the map
 * (valid until the map changes). Caller frees the array only. NULL with
 * *n = 0 for an empty map; NULL with *n = (size_t)-1 on out of memory. */
const char **tl_strmap_sorted_keys(const tl_strmap *m, size_t *n);

#endif
