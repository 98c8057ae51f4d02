#include "util/log_limit.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the parts that make two events "identical"; a 0 byte between
 * parts so "ab"+"c" and "a"+"bc" differ. */
static uint64_t mix(uint64_t h, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t mix_str(uint64_t h, const char *s) {
    return s ? mix(h, s, strlen(s)) : mix(h, "\x01", 1);
}

static uint64_t event_hash(const tl_log_event *ev) {
    uint64_t h = 14695981039346656037ULL;
    int level = (int)ev->level;
    h = mix(h, &level, sizeof level);
    h = mix_str(h, ev->component);
    h = mix_str(h, ev->message);
    for (size_t i = 0; i < ev->nfields; i++) {
        const tl_log_field *f = &ev->fields[i];
        h = mix_str(h, f->key);
        h = f->type == TL_LF_STR ? mix_str(h, f->s) : mix(h, &f->i, sizeof f->i);
    }
    return h ? h : 1; /* 0 marks a free slot */
}

static char *dup_into(char **arena, const char *s) {
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = memcpy(*arena, s, n);
    *arena += n;
    return d;
}

/* One allocation holding the event, its fields and every string. */
static tl_log_event *event_copy(const tl_log_event *ev) {
    size_t need = sizeof *ev + ev->nfields * sizeof(tl_log_field);
    need += strlen(ev->component ? ev->component : "") + 1;
    need += strlen(ev->message ? ev->message : "") + 1;
    for (size_t i = 0; i < ev->nfields; i++) {
        need += strlen(ev->fields[i].key) + 1;
        if (ev->fields[i].type == TL_LF_STR && ev->fields[i].s)
            need += strlen(ev->fields[i].s) + 1;
    }
    tl_log_event *c = malloc(need);
    if (!c)
        return NULL;
    *c = *ev;
    tl_log_field *fields = (tl_log_field *)(c + 1);
    char *arena = (char *)(fields + ev->nfields);
    c->component = dup_into(&arena, ev->component ? ev->component : "");
    c->message = dup_into(&arena, ev->message ? ev->message : "");
    for (size_t i = 0; i < ev->nfields; i++) {
        fields[i] = ev->fields[i];
        fields[i].key = dup_into(&arena, ev->fields[i].key);
        if (fields[i].type == TL_LF_STR)
            fields[i].s = dup_into(&arena, ev->fields[i].s);
    }
    c->fields = fields;
    c->repeated = 0;
    return c;
}

static void slot_report(tl_log_limit_slot *s, tl_log_limit_emit_fn emit, void *ctx) {
    if (s->held > 0 && s->copy) {
        s->copy->repeated = s->held;
        emit(s->copy, ctx);
    }
}

static void slot_clear(tl_log_limit_slot *s) {
    free(s->copy);
    memset(s, 0, sizeof *s);
}

void tl_log_limit_init(tl_log_limit *l, int64_t window_ms) {
    memset(l, 0, sizeof *l);
    l->window_ms = window_ms;
}

void tl_log_limit_free(tl_log_limit *l) {
    for (size_t i = 0; i < TL_LOG_LIMIT_SLOTS; i++)
        slot_clear(&l->slots[i]);
}

/* The slot of hash h, else a free one, else the one written longest ago
 * (its held count reported first). */
static tl_log_limit_slot *slot_for(tl_log_limit *l, uint64_t h, tl_log_limit_emit_fn emit,
                                   void *ctx) {
    tl_log_limit_slot *free_slot = NULL, *oldest = &l->slots[0];
    for (size_t i = 0; i < TL_LOG_LIMIT_SLOTS; i++) {
        tl_log_limit_slot *s = &l->slots[i];
        if (s->hash == h)
            return s;
        if (!s->hash && !free_slot)
            free_slot = s;
        if (s->window_start_ms < oldest->window_start_ms)
            oldest = s;
    }
    if (free_slot)
        return free_slot;
    slot_report(oldest, emit, ctx);
    slot_clear(oldest);
    return oldest;
}

bool tl_log_limit_admit(tl_log_limit *l, tl_log_event *ev, int64_t now_ms,
                        tl_log_limit_emit_fn emit, void *ctx) {
    uint64_t h = event_hash(ev);
    tl_log_limit_slot *s = slot_for(l, h, emit, ctx);
    if (s->hash == h && now_ms - s->window_start_ms < l->window_ms) {
        s->held++;
        return false;
    }
    ev->repeated = s->hash == h ? s->held : 0;
    if (s->hash != h) {
        s->copy = event_copy(ev);
        if (!s->copy) /* no memory to hold it: write every copy */
            return true;
        s->hash = h;
    }
    s->window_start_ms = now_ms;
    s->held = 0;
    return true;
}

void tl_log_limit_expire(tl_log_limit *l, int64_t now_ms, bool flush_all,
                         tl_log_limit_emit_fn emit, void *ctx) {
    for (size_t i = 0; i < TL_LOG_LIMIT_SLOTS; i++) {
        tl_log_limit_slot *s = &l->slots[i];
        if (!s->hash || (!flush_all && now_ms - s->window_start_ms < l->window_ms))
            continue;
        slot_report(s, emit, ctx);
        slot_clear(s);
    }
}
