/* tl_compact_plan — which partitions to rewrite, and with which files (the
 * rules are in compact.h; a partition is an hour of ticks or a day of dead
 * letters, compact_layout.c). Pure: looks at the snapshot only. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "compact/compact_int.h"

typedef struct part_file {
    int64_t start_us; /* of the file's partition */
    const tl_lake_file *f;
} part_file;

static int by_part_then_path(const void *a, const void *b) {
    const part_file *x = a, *y = b;
    if (x->start_us != y->start_us)
        return x->start_us < y->start_us ? -1 : 1;
    return strcmp(x->f->path, y->f->path);
}

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The run id of a compaction output ("part-compact-<run>-<n>.zstd.parquet"
 * -> "<run>", as a length), or 0 for any other file. */
static size_t run_id_len(const char *path, const char **run) {
    const char *b = base_name(path);
    size_t plen = strlen(COMPACT_PREFIX);
    if (strncmp(b, COMPACT_PREFIX, plen) != 0)
        return 0;
    const char *last_dash = strrchr(b, '-');
    if (!last_dash || last_dash < b + plen)
        return 0;
    *run = b + plen;
    return (size_t)(last_dash - *run);
}

/* Are all files outputs of one and the same compaction? */
static bool one_run(const part_file *h, size_t n) {
    const char *run0, *run;
    size_t len0 = run_id_len(h[0].f->path, &run0);
    if (!len0)
        return false;
    for (size_t i = 1; i < n; i++) {
        size_t len = run_id_len(h[i].f->path, &run);
        if (len != len0 || memcmp(run, run0, len) != 0)
            return false;
    }
    return true;
}

static int64_t stats_rows(const char *stats) {
    const char *p = stats ? strstr(stats, "\"numRecords\":") : NULL;
    return p ? strtoll(p + 13, NULL, 10) : -1;
}

/* Choose the inputs of one partition (h[0..n)); 0 files = leave it alone. */
static int pick(const part_file *h, size_t n, const compact_layout *l, const tl_compact_opts *o,
                int64_t now_ms, compact_part *p) {
    bool closed = (h[0].start_us + l->span_us) / 1000 + o->lateness_ms <= now_ms;
    size_t nsmall = 0;
    for (size_t i = 0; i < n; i++)
        nsmall += h[i].f->size < o->target_file_size / 2;
    bool all = closed && n > 1 && !one_run(h, n);
    bool small_only = !all && nsmall >= (size_t)(o->min_files < 2 ? 2 : o->min_files);
    if (!all && !small_only)
        return 0;
    if (!(p->in = calloc(n, sizeof *p->in)))
        return -1;
    p->start_us = h[0].start_us;
    l->part_dir(p->start_us, p->dir, sizeof p->dir);
    for (size_t i = 0; i < n; i++) {
        const tl_lake_file *f = h[i].f;
        if (!all && f->size >= o->target_file_size / 2)
            continue;
        int64_t r = stats_rows(f->stats);
        p->rows = p->n == 0 ? r : (p->rows < 0 || r < 0 ? -1 : p->rows + r);
        p->in[p->n++] = f;
        p->bytes += f->size;
    }
    return 0;
}

int tl_compact_plan(const tl_lake_snapshot *snap, const compact_layout *l,
                    const tl_compact_opts *o, int64_t now_ms, compact_part **out, size_t *nout,
                    tl_err *err) {
    size_t nf = tl_lake_snapshot_num_files(snap), nh = 0, np = 0;
    part_file *h = calloc(nf ? nf : 1, sizeof *h);
    compact_part *parts = calloc(nf ? nf : 1, sizeof *parts);
    *out = NULL;
    *nout = 0;
    if (!h || !parts)
        goto nomem;
    for (size_t i = 0; i < nf; i++) {
        const tl_lake_file *f = tl_lake_snapshot_file(snap, i);
        int64_t start;
        if (l->file_part(f, &start) != 0)
            continue; /* not in a partition of the layout: not ours to rearrange */
        if (o->has_hour && start != tl_compact_part_floor(l, o->hour_us))
            continue;
        h[nh++] = (part_file){start, f};
    }
    qsort(h, nh, sizeof *h, by_part_then_path);
    for (size_t i = 0, j; i < nh; i = j) {
        for (j = i + 1; j < nh && h[j].start_us == h[i].start_us;)
            j++;
        if (pick(&h[i], j - i, l, o, now_ms, &parts[np]) != 0)
            goto nomem;
        if (parts[np].n)
            np++;
        else {
            free(parts[np].in);
            memset(&parts[np], 0, sizeof parts[np]);
        }
    }
    free(h);
    *out = parts;
    *nout = np;
    return 0;
nomem:
    free(h);
    tl_compact_plan_free(parts, np + 1);
    return tl_err_set(err, TL_ERR_NOMEM, "out of memory planning compaction");
}

void tl_compact_plan_free(compact_part *p, size_t n) {
    for (size_t i = 0; p && i < n; i++)
        free(p[i].in);
    free(p);
}
