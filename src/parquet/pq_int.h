/* The Parquet writer's parts (src/parquet/): the Thrift compact protocol
 * (pq_thrift.c), value encodings (pq_encode.c: PLAIN, the RLE/bit-packed
 * hybrid, dictionaries) and the file's layout (pq_writer.c). */
#ifndef TL_PARQUET_PQ_INT_H
#define TL_PARQUET_PQ_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"

/* ---- Thrift compact protocol (the page headers and the footer) ---------- */

enum {
    TL_PQ_T_TRUE = 1,
    TL_PQ_T_FALSE = 2,
    TL_PQ_T_BYTE = 3,
    TL_PQ_T_I16 = 4,
    TL_PQ_T_I32 = 5,
    TL_PQ_T_I64 = 6,
    TL_PQ_T_BINARY = 8,
    TL_PQ_T_LIST = 9,
    TL_PQ_T_STRUCT = 12,
};

#define TL_PQ_THRIFT_DEPTH 8

/* Writes into out; field ids are given in increasing order within a struct.
 * Out of memory is tl_buf's sticky failure: check out once at the end. */
typedef struct tl_pq_thrift {
    tl_buf *out;
    int16_t last[TL_PQ_THRIFT_DEPTH]; /* the last field id, per open struct */
    int depth;
} tl_pq_thrift;

void tl_pq_thrift_init(tl_pq_thrift *t, tl_buf *out);
void tl_pq_thrift_i32(tl_pq_thrift *t, int16_t id, int32_t v);
void tl_pq_thrift_i64(tl_pq_thrift *t, int16_t id, int64_t v);
void tl_pq_thrift_bool(tl_pq_thrift *t, int16_t id, bool v);
void tl_pq_thrift_byte(tl_pq_thrift *t, int16_t id, int8_t v);
void tl_pq_thrift_binary(tl_pq_thrift *t, int16_t id, const void *p, size_t n);
void tl_pq_thrift_struct_begin(tl_pq_thrift *t, int16_t id);
void tl_pq_thrift_struct_end(tl_pq_thrift *t); /* also ends the top-level struct */
/* A list field: its header; the elements follow. */
void tl_pq_thrift_list_begin(tl_pq_thrift *t, int16_t id, int elem_type, size_t n);
/* List elements. */
void tl_pq_thrift_elem_i32(tl_pq_thrift *t, int32_t v);
void tl_pq_thrift_elem_binary(tl_pq_thrift *t, const void *p, size_t n);
void tl_pq_thrift_elem_struct_begin(tl_pq_thrift *t);

/* ---- encodings ------------------------------------------------------------ */

/* The RLE/bit-packed hybrid of v[0..n), each < 2^bw (bw 1..32), appended to
 * out without a length prefix. */
void tl_pq_rle_encode(tl_buf *out, const uint32_t *v, size_t n, int bw);
/* Bits needed for values 0..max (at least 1). */
int tl_pq_bit_width(uint32_t max);
/* v as an unsigned LEB128 varint: the RLE hybrid's run headers and the
 * Thrift compact protocol's integers both use it. */
void tl_pq_put_uleb128(tl_buf *out, uint64_t v);

/* A dictionary of int64 values (an open-addressing hash table) that gives
 * up past a size limit: the column is then written PLAIN. */
typedef struct tl_pq_dict64 {
    int64_t *keys;   /* the table */
    uint32_t *slots; /* index + 1 in vals, 0 = empty */
    int64_t *vals;   /* the dictionary, in first-seen order */
    size_t cap, tcap, n, vcap; /* allocated table, table in use, entries, allocated entries */
} tl_pq_dict64;

/* Same for strings of at most 255 bytes; the bytes live in data. */
typedef struct tl_pq_dictstr {
    uint32_t *slots;      /* index + 1, 0 = empty */
    uint32_t *off, *len;  /* per dictionary entry: its bytes in data */
    uint64_t *hash;       /* per dictionary entry */
    tl_buf data;
    size_t cap, tcap, n, vcap;
} tl_pq_dictstr;

/* Forget the entries, keep the memory; room for up to max_entries (the
 * table grows to keep its load below a half). -1 when out of memory. */
int tl_pq_dict64_reset(tl_pq_dict64 *d, size_t max_entries);
/* The index of v, added if new; -1 past max_entries. */
int64_t tl_pq_dict64_add(tl_pq_dict64 *d, int64_t v, size_t max_entries);
void tl_pq_dict64_free(tl_pq_dict64 *d);

int tl_pq_dictstr_reset(tl_pq_dictstr *d, size_t max_entries);
/* The index of s, added if new; -1 when out of memory. */
int64_t tl_pq_dictstr_add(tl_pq_dictstr *d, const char *s, size_t len);
void tl_pq_dictstr_free(tl_pq_dictstr *d);


/* ---- the file's parts ------------------------------------------------------ */

/* Parquet's enums, as parquet.thrift numbers them. */
enum { TL_PQ_BOOLEAN = 0, TL_PQ_INT32 = 1, TL_PQ_INT64 = 2, TL_PQ_BYTE_ARRAY = 6 };
enum { TL_PQ_ENC_PLAIN = 0, TL_PQ_ENC_PLAIN_DICTIONARY = 2, TL_PQ_ENC_RLE = 3 };
enum { TL_PQ_PAGE_DATA = 0, TL_PQ_PAGE_DICTIONARY = 2 };
enum { TL_PQ_CODEC_ZSTD = 6 };

typedef enum { TL_PQ_STR, TL_PQ_I64, TL_PQ_I32, TL_PQ_BOOL } tl_pq_kind;
typedef enum { TL_PQ_LT_NONE, TL_PQ_LT_TIMESTAMP, TL_PQ_LT_DECIMAL } tl_pq_logical;

/* One column of the tick schema as the file declares it. */
typedef struct tl_pq_coldef {
    const char *name;
    tl_pq_kind kind;
    int ptype;    /* TL_PQ_BOOLEAN... */
    int conv;     /* ConvertedType, -1 for none */
    tl_pq_logical logical;
    bool dict;    /* try a dictionary (strings always get one) */
    bool optional; /* may be NULL (every column is OPTIONAL in the schema, as DuckDB's) */
} tl_pq_coldef;

#define TL_PQ_NCOLS 12
extern const tl_pq_coldef tl_pq_cols[TL_PQ_NCOLS];

#define TL_PQ_STAT_MAX 16 /* the longest min/max: an exchange */

/* What the footer says of one column chunk. */
typedef struct tl_pq_chunk {
    int col;
    bool dict;
    bool has_minmax;
    uint8_t min_len, max_len;
    uint8_t min[TL_PQ_STAT_MAX], max[TL_PQ_STAT_MAX];
    int64_t num_values, unc, comp, data_off, dict_off, nulls, distinct;
} tl_pq_chunk;

struct tl_pq_writer {
    size_t page_rows, group_rows;
    void *zc; /* ZSTD_CCtx, level 1 */
    tl_buf file;  /* the whole file, written out at the end */
    tl_buf page;  /* one page's body, uncompressed */
    tl_buf zpage; /* ... compressed */
    /* A row group, column by column (tl_pq_group_gather): the rows are
     * read once, in order, not once per column (12 strided passes over
     * the rows were most of the encoder's time: cache misses). */
    int64_t *vals[TL_PQ_NCOLS];  /* integer columns' non-null values (int32, bool widened) */
    uint32_t *defs[TL_PQ_NCOLS]; /* optional columns' definition levels, per row */
    uint32_t *sidx[TL_PQ_NCOLS]; /* string columns' dictionary indices of non-null values */
    size_t nvals[TL_PQ_NCOLS];   /* non-null values in the group */
    tl_pq_dictstr dstr[TL_PQ_NCOLS]; /* string columns' dictionaries */
    uint32_t *idx;               /* an int64 column's dictionary indices */
    size_t cap;                  /* rows the arrays above hold */
    tl_pq_dict64 d64;
    tl_pq_chunk *chunks;
    size_t nchunks, chunks_cap;
};

struct tl_tick_row;
struct tl_err;
/* rows[0..n) (one row group, n <= w->cap, the file's rows from row0 on)
 * into w's column arrays, in one pass. 0, or a tl_err code (a message
 * naming path and the row): a symbol or exchange not NUL-terminated or
 * not UTF-8, out of memory. */
int tl_pq_group_gather(struct tl_pq_writer *w, const struct tl_tick_row *rows, size_t n,
                       size_t row0, const char *path, struct tl_err *err);
/* Column c of the gathered group of n rows appended to w->file as a
 * column chunk; *ch describes it. 0, or a tl_err code. */
int tl_pq_column_write(struct tl_pq_writer *w, int c, size_t n, tl_pq_chunk *ch,
                       const char *path, struct tl_err *err);

#endif
