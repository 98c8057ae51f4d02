#include "util/strmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    char *key; /* NULL = empty */
    uint64_t hash;
    void *value;
} slot;

struct tl_strmap {
    slot *slots;
    size_t cap; /* power of two */
    size_t count;
    tl_strmap_free_fn free_value;
};

/* FNV-1a, 64 bit: simple and good enough for path-like keys. */
static uint64_t hash_str(const char *s) {
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

tl_strmap *tl_strmap_new(tl_strmap_free_fn free_value) {
    tl_strmap *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->cap = 16;
    m->slots = calloc(m->cap, sizeof *m->slots);
    if (!m->slots) {
        free(m);
        return NULL;
    }
    m->free_value = free_value;
    return m;
}

void tl_strmap_destroy(tl_strmap *m) {
    if (!m)
        return;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        free(m->slots[i].key);
        if (m->free_value)
            m->free_value(m->slots[i].value);
    }
    free(m->slots);
    free(m);
}

/* Index of key's slot, or of the empty slot where it would go. */
static size_t find_slot(const tl_strmap *m, const char *key, uint64_t h) {
    size_t mask = m->cap - 1, i = (size_t)h & mask;
    while (m->slots[i].key) {
        if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static int grow(tl_strmap *m) {
    size_t ncap = m->cap * 2;
    slot *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key)
            continue;
        size_t j = (size_t)m->slots[i].hash & (ncap - 1);
        while (ns[j].key)
            j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int tl_strmap_put(tl_strmap *m, const char *key, void *value) {
    uint64_t h = hash_str(key);
    size_t i = find_slot(m, key, h);
    if (m->slots[i].key) {
        if (m->free_value && m->slots[i].value != value)
            m->free_value(m->slots[i].value);
        m->slots[i].value = value;
        return 0;
    }
    /* Keep the load factor under 3/4 so probe runs stay short. */
    if ((m->count + 1) * 4 > m->cap * 3) {
        if (grow(m) != 0)
            return -1;
        i = find_slot(m, key, h);
    }
    char *k = strdup(key);
    if (!k)
        return -1;
    m->slots[i] = (slot){k, h, value};
    m->count++;
    return 0;
}

void *tl_strmap_get(const tl_strmap *m, const char *key) {
    size_t i = find_slot(m, key, hash_str(key));
    return m->slots[i].key ? m->slots[i].value : NULL;
}

int tl_strmap_has(const tl_strmap *m, const char *key) {
    return m->slots[find_slot(m, key, hash_str(key))].key != NULL;
}

/* Backward-shift deletion: move later members of the probe run into the
 * hole when their home slot is at or before it, so no tombstones are needed. */
static void remove_at(tl_strmap *m, size_t hole) {
    size_t mask = m->cap - 1, j = hole;
    for (;;) {
        j = (j + 1) & mask;
        if (!m->slots[j].key)
            break;
        size_t home = (size_t)m->slots[j].hash & mask;
        /* distance from home to j vs. from home to hole (cyclic) */
        if (((j - home) & mask) >= ((j - hole) & mask)) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole] = (slot){NULL, 0, NULL};
    m->count--;
}

void *tl_strmap_take(tl_strmap *m, const char *key) {
    size_t i = find_slot(m, key, hash_str(key));
    if (!m->slots[i].key)
        return NULL;
    void *v = m->slots[i].value;
    free(m->slots[i].key);
    remove_at(m, i);
    return v;
}

int tl_strmap_del(tl_strmap *m, const char *key) {
    size_t i = find_slot(m, key, hash_str(key));
    if (!m->slots[i].key)
        return 0;
    if (m->free_value)
        m->free_value(m->slots[i].value);
    free(m->slots[i].key);
    remove_at(m, i);
    return 1;
}

size_t tl_strmap_count(const tl_strmap *m) {
    return m->count;
}

int tl_strmap_next(const tl_strmap *m, size_t *pos, const char **key, void **value) {
    while (*pos < m->cap) {
        const slot *s = &m->slots[(*pos)++];
        if (s->key) {
            if (key)
                *key = s->key;
            if (value)
                *value = s->value;
            return 1;
        }
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **tl_strmap_sorted_keys(const tl_strmap *m, size_t *n) {
    *n = 0;
    if (m->count == 0)
        return NULL;
    const char **keys = malloc(m->count * sizeof *keys);
    if (!keys) {
        *n = (size_t)-1;
        return NULL;
    }
    size_t pos = 0, k = 0;
    const char *key;
    while (tl_strmap_next(m, &pos, &key, NULL))
        keys[k++] = key;
    qsort(keys, k, sizeof *keys, cmp_str);
    *n = k;
    return keys;
}
