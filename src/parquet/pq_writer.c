/* The file: "PAR1", row groups of at most group_rows rows (each a column
 * chunk per column, pq_column.c), the footer (FileMetaData, Thrift
 * compact), its length and "PAR1" again. The file is built in memory (a
 * stream file is a few MB at most) and written with one write(), so a
 * failed write leaves no half file: it is removed.
 *
 * The footer says what DuckDB's writer says for the same table (the same
 * schema element by element: a test compares parquet_schema() of both),
 * with ticklake as created_by. */
#include "parquet/parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "parquet/pq_int.h"

#ifndef TL_VERSION
#define TL_VERSION "dev"
#endif

/* tl_ticks_table's data columns (src/tables/ticks.c) as DuckDB writes them:
 * TIMESTAMP WITH TIME ZONE is INT64 TIMESTAMP_MICROS adjusted to UTC,
 * DECIMAL(18,6) INT64 DECIMAL, BIGINT INT_64, INTEGER INT_32, VARCHAR
 * UTF8 (no logical type: DuckDB writes none). test_parquet checks the
 * names against tl_ticks_table. */
const tl_pq_coldef tl_pq_cols[TL_PQ_NCOLS] = {
    {"symbol", TL_PQ_STR, TL_PQ_BYTE_ARRAY, 0, TL_PQ_LT_NONE, true, false},
    {"ts", TL_PQ_I64, TL_PQ_INT64, 10, TL_PQ_LT_TIMESTAMP, false, false},
    {"price", TL_PQ_I64, TL_PQ_INT64, 5, TL_PQ_LT_DECIMAL, true, false},
    {"size", TL_PQ_I64, TL_PQ_INT64, 18, TL_PQ_LT_NONE, true, true},
    {"bid", TL_PQ_I64, TL_PQ_INT64, 5, TL_PQ_LT_DECIMAL, true, true},
    {"ask", TL_PQ_I64, TL_PQ_INT64, 5, TL_PQ_LT_DECIMAL, true, true},
    {"exchange", TL_PQ_STR, TL_PQ_BYTE_ARRAY, 0, TL_PQ_LT_NONE, true, true},
    {"seq", TL_PQ_I64, TL_PQ_INT64, 18, TL_PQ_LT_NONE, true, true},
    {"late", TL_PQ_BOOL, TL_PQ_BOOLEAN, -1, TL_PQ_LT_NONE, false, false},
    {"src_partition", TL_PQ_I32, TL_PQ_INT32, 17, TL_PQ_LT_NONE, true, false},
    {"src_offset", TL_PQ_I64, TL_PQ_INT64, 18, TL_PQ_LT_NONE, false, false},
    {"ingest_ts", TL_PQ_I64, TL_PQ_INT64, 10, TL_PQ_LT_TIMESTAMP, true, false},
};

tl_pq_writer *tl_pq_writer_new(void) {
    tl_pq_writer *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->page_rows = TL_PQ_PAGE_ROWS;
    w->group_rows = TL_PQ_GROUP_ROWS;
    if (!(w->zc = ZSTD_createCCtx())) {
        free(w);
        return NULL;
    }
    return w;
}

void tl_pq_writer_destroy(tl_pq_writer *w) {
    if (!w)
        return;
    ZSTD_freeCCtx(w->zc);
    tl_buf_free(&w->file);
    tl_buf_free(&w->page);
    tl_buf_free(&w->zpage);
    for (int c = 0; c < TL_PQ_NCOLS; c++) {
        free(w->vals[c]);
        free(w->defs[c]);
        free(w->sidx[c]);
        tl_pq_dictstr_free(&w->dstr[c]);
    }
    free(w->idx);
    tl_pq_dict64_free(&w->d64);
    free(w->chunks);
    free(w);
}

void tl_pq_writer_set_limits(tl_pq_writer *w, size_t page_rows, size_t group_rows) {
    if (page_rows)
        w->page_rows = page_rows;
    if (group_rows)
        w->group_rows = group_rows;
}

/* One array of rows elements at *p, grown if needed (its contents go). */
static int grow(void **p, size_t rows, size_t elem) {
    void *q = realloc(*p, rows * elem);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

/* Room for a row group of rows rows and nchunks chunk descriptions. The
 * capacity grows only once every array has: after a failure the next
 * call tries them all again. */
static int reserve(tl_pq_writer *w, size_t rows, size_t nchunks) {
    if (rows > w->cap) {
        int bad = grow((void **)&w->idx, rows, sizeof *w->idx);
        for (int c = 0; c < TL_PQ_NCOLS; c++) {
            const tl_pq_coldef *cd = &tl_pq_cols[c];
            if (cd->kind == TL_PQ_STR)
                bad |= grow((void **)&w->sidx[c], rows, sizeof *w->sidx[c]);
            else
                bad |= grow((void **)&w->vals[c], rows, sizeof *w->vals[c]);
            if (cd->optional)
                bad |= grow((void **)&w->defs[c], rows, sizeof *w->defs[c]);
        }
        if (bad)
            return -1;
        w->cap = rows;
    }
    if (nchunks > w->chunks_cap) {
        tl_pq_chunk *c = realloc(w->chunks, nchunks * sizeof *c);
        if (!c)
            return -1;
        w->chunks = c;
        w->chunks_cap = nchunks;
    }
    return 0;
}

/* ---- the footer ---------------------------------------------------------- */

static void schema_element(tl_pq_thrift *t, const tl_pq_coldef *c) {
    tl_pq_thrift_elem_struct_begin(t);
    tl_pq_thrift_i32(t, 1, c->ptype);
    tl_pq_thrift_i32(t, 3, 1); /* OPTIONAL */
    tl_pq_thrift_binary(t, 4, c->name, strlen(c->name));
    if (c->conv >= 0)
        tl_pq_thrift_i32(t, 6, c->conv);
    if (c->logical == TL_PQ_LT_DECIMAL) {
        tl_pq_thrift_i32(t, 7, 6);  /* scale */
        tl_pq_thrift_i32(t, 8, 18); /* precision */
    }
    if (c->logical != TL_PQ_LT_NONE) {
        tl_pq_thrift_struct_begin(t, 10); /* LogicalType (a union) */
        if (c->logical == TL_PQ_LT_DECIMAL) {
            tl_pq_thrift_struct_begin(t, 5);
            tl_pq_thrift_i32(t, 1, 6);
            tl_pq_thrift_i32(t, 2, 18);
        } else {
            tl_pq_thrift_struct_begin(t, 8); /* TIMESTAMP */
            tl_pq_thrift_bool(t, 1, true);   /* isAdjustedToUTC */
            tl_pq_thrift_struct_begin(t, 2); /* unit: MICROS */
            tl_pq_thrift_struct_begin(t, 2);
            tl_pq_thrift_struct_end(t);
            tl_pq_thrift_struct_end(t);
        }
        tl_pq_thrift_struct_end(t);
        tl_pq_thrift_struct_end(t);
    }
    tl_pq_thrift_struct_end(t);
}

static void statistics(tl_pq_thrift *t, const tl_pq_chunk *ch) {
    tl_pq_thrift_struct_begin(t, 12);
    /* the deprecated min/max too, as DuckDB writes them: not for an empty
     * string (DuckDB leaves them out then) */
    if (ch->has_minmax && ch->max_len)
        tl_pq_thrift_binary(t, 1, ch->max, ch->max_len);
    if (ch->has_minmax && ch->min_len)
        tl_pq_thrift_binary(t, 2, ch->min, ch->min_len);
    tl_pq_thrift_i64(t, 3, ch->nulls);
    if (ch->distinct >= 0)
        tl_pq_thrift_i64(t, 4, ch->distinct);
    if (ch->has_minmax) {
        tl_pq_thrift_binary(t, 5, ch->max, ch->max_len);
        tl_pq_thrift_binary(t, 6, ch->min, ch->min_len);
        tl_pq_thrift_bool(t, 7, true); /* exact: nothing is truncated */
        tl_pq_thrift_bool(t, 8, true);
    }
    tl_pq_thrift_struct_end(t);
}

static void column_chunk(tl_pq_thrift *t, const tl_pq_chunk *ch) {
    const tl_pq_coldef *c = &tl_pq_cols[ch->col];
    tl_pq_thrift_elem_struct_begin(t);
    tl_pq_thrift_i64(t, 2, 0); /* file_offset: DuckDB writes 0 (deprecated) */
    tl_pq_thrift_struct_begin(t, 3);
    tl_pq_thrift_i32(t, 1, c->ptype);
    tl_pq_thrift_list_begin(t, 2, TL_PQ_T_I32, 1);
    tl_pq_thrift_elem_i32(t, ch->dict ? TL_PQ_ENC_PLAIN_DICTIONARY : TL_PQ_ENC_PLAIN);
    tl_pq_thrift_list_begin(t, 3, TL_PQ_T_BINARY, 1);
    tl_pq_thrift_elem_binary(t, c->name, strlen(c->name));
    tl_pq_thrift_i32(t, 4, TL_PQ_CODEC_ZSTD);
    tl_pq_thrift_i64(t, 5, ch->num_values);
    tl_pq_thrift_i64(t, 6, ch->unc);
    tl_pq_thrift_i64(t, 7, ch->comp);
    tl_pq_thrift_i64(t, 9, ch->data_off);
    if (ch->dict_off >= 0)
        tl_pq_thrift_i64(t, 11, ch->dict_off);
    statistics(t, ch);
    tl_pq_thrift_struct_end(t);
    tl_pq_thrift_struct_end(t);
}

static void row_group(tl_pq_thrift *t, const tl_pq_chunk *ch, int64_t rows) {
    int64_t unc = 0, comp = 0;
    for (int c = 0; c < TL_PQ_NCOLS; c++) {
        unc += ch[c].unc;
        comp += ch[c].comp;
    }
    tl_pq_thrift_elem_struct_begin(t);
    tl_pq_thrift_list_begin(t, 1, TL_PQ_T_STRUCT, TL_PQ_NCOLS);
    for (int c = 0; c < TL_PQ_NCOLS; c++)
        column_chunk(t, &ch[c]);
    tl_pq_thrift_i64(t, 2, unc);
    tl_pq_thrift_i64(t, 3, rows);
    tl_pq_thrift_i64(t, 5, ch[0].dict_off >= 0 ? ch[0].dict_off : ch[0].data_off);
    tl_pq_thrift_i64(t, 6, comp);
    tl_pq_thrift_struct_end(t);
}

static void footer(tl_pq_writer *w, size_t n, size_t ngroups) {
    static const char root[] = "duckdb_schema"; /* DuckDB's name: parquet_schema() alike */
    static const char created_by[] = "ticklake version " TL_VERSION " (build native)";
    tl_pq_thrift t;
    size_t at = w->file.len;
    tl_pq_thrift_init(&t, &w->file);
    tl_pq_thrift_i32(&t, 1, 1); /* version */
    tl_pq_thrift_list_begin(&t, 2, TL_PQ_T_STRUCT, 1 + TL_PQ_NCOLS);
    tl_pq_thrift_elem_struct_begin(&t);
    tl_pq_thrift_i32(&t, 3, 0); /* REQUIRED */
    tl_pq_thrift_binary(&t, 4, root, sizeof root - 1);
    tl_pq_thrift_i32(&t, 5, TL_PQ_NCOLS);
    tl_pq_thrift_struct_end(&t);
    for (int c = 0; c < TL_PQ_NCOLS; c++)
        schema_element(&t, &tl_pq_cols[c]);
    tl_pq_thrift_i64(&t, 3, (int64_t)n);
    tl_pq_thrift_list_begin(&t, 4, TL_PQ_T_STRUCT, ngroups);
    for (size_t g = 0; g < ngroups; g++) {
        size_t rows = n - g * w->group_rows < w->group_rows ? n - g * w->group_rows : w->group_rows;
        row_group(&t, w->chunks + g * TL_PQ_NCOLS, (int64_t)rows);
    }
    tl_pq_thrift_binary(&t, 6, created_by, sizeof created_by - 1);
    tl_pq_thrift_struct_end(&t);
    uint32_t len = (uint32_t)(w->file.len - at);
    tl_buf_append(&w->file, &len, 4);
    tl_buf_append(&w->file, "PAR1", 4);
}

/* ---- the file -------------------------------------------------------------- */

static int write_out(const tl_buf *b, const char *path, tl_err *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return tl_err_set(err, TL_ERR_IO, "parquet: cannot create %s: %s", path, strerror(errno));
    size_t done = 0;
    int e = 0;
    while (done < b->len) {
        ssize_t m = write(fd, b->data + done, b->len - done);
        if (m < 0 && errno == EINTR)
            continue;
        if (m <= 0) {
            e = m < 0 ? errno : EIO;
            break;
        }
        done += (size_t)m;
    }
    if (close(fd) != 0 && !e)
        e = errno;
    if (e) {
        unlink(path);
        return tl_err_set(err, TL_ERR_IO, "parquet: cannot write %s: %s", path, strerror(e));
    }
    return 0;
}

int tl_pq_write_ticks(tl_pq_writer *w, const tl_tick_row *rows, size_t n, const char *path,
                      int64_t *size_out, tl_err *err) {
    if (!w || !path || !*path || (n > 0 && !rows))
        return tl_err_set(err, TL_ERR_INVALID, "parquet: write_ticks needs a writer, rows and path");
    size_t ngroups = (n + w->group_rows - 1) / w->group_rows;
    size_t gmax = n < w->group_rows ? n : w->group_rows;
    if (reserve(w, gmax, ngroups * TL_PQ_NCOLS) != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "parquet: out of memory writing %s", path);
    tl_buf_reset(&w->file);
    tl_buf_append(&w->file, "PAR1", 4);
    for (size_t g = 0; g < ngroups; g++) {
        size_t r0 = g * w->group_rows, gn = n - r0 < w->group_rows ? n - r0 : w->group_rows;
        int rc = tl_pq_group_gather(w, rows + r0, gn, r0, path, err);
        for (int c = 0; c < TL_PQ_NCOLS && rc == 0; c++)
            rc = tl_pq_column_write(w, c, gn, &w->chunks[g * TL_PQ_NCOLS + c], path, err);
        if (rc)
            return rc;
    }
    footer(w, n, ngroups);
    if (tl_buf_failed(&w->file))
        return tl_err_set(err, TL_ERR_NOMEM, "parquet: out of memory writing %s", path);
    int rc = write_out(&w->file, path, err);
    if (rc == 0 && size_out)
        *size_out = (int64_t)w->file.len;
    /* a batch far larger than the usual ones does not pin its memory */
    if (w->file.cap > (64u << 20)) {
        tl_buf_free(&w->file);
    }
    return rc;
}
