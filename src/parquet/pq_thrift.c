/* The Thrift compact protocol, write side only, for Parquet's page headers
 * and footer (parquet.thrift). Integers are zigzag varints; a field header
 * carries the id as a delta from the previous field's when it is 1..15. */
#include "parquet/pq_int.h"

static void put_byte(tl_pq_thrift *t, uint8_t b) {
    tl_buf_append(t->out, &b, 1);
}

static void put_varint(tl_pq_thrift *t, uint64_t v) {
    tl_pq_put_uleb128(t->out, v);
}

static uint64_t zigzag(int64_t v) {
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void field(tl_pq_thrift *t, int16_t id, int type) {
    int16_t *last = &t->last[t->depth];
    int delta = id - *last;
    if (delta > 0 && delta <= 15) {
        put_byte(t, (uint8_t)(delta << 4 | type));
    } else {
        put_byte(t, (uint8_t)type);
        put_varint(t, zigzag(id));
    }
    *last = id;
}

void tl_pq_thrift_init(tl_pq_thrift *t, tl_buf *out) {
    t->out = out;
    t->depth = 0;
    t->last[0] = 0;
}

void tl_pq_thrift_i32(tl_pq_thrift *t, int16_t id, int32_t v) {
    field(t, id, TL_PQ_T_I32);
    put_varint(t, zigzag(v));
}

void tl_pq_thrift_i64(tl_pq_thrift *t, int16_t id, int64_t v) {
    field(t, id, TL_PQ_T_I64);
    put_varint(t, zigzag(v));
}

void tl_pq_thrift_bool(tl_pq_thrift *t, int16_t id, bool v) {
    field(t, id, v ? TL_PQ_T_TRUE : TL_PQ_T_FALSE);
}

void tl_pq_thrift_byte(tl_pq_thrift *t, int16_t id, int8_t v) {
    field(t, id, TL_PQ_T_BYTE);
    put_byte(t, (uint8_t)v);
}

void tl_pq_thrift_binary(tl_pq_thrift *t, int16_t id, const void *p, size_t n) {
    field(t, id, TL_PQ_T_BINARY);
    tl_pq_thrift_elem_binary(t, p, n);
}

static void push(tl_pq_thrift *t) {
    if (t->depth + 1 < TL_PQ_THRIFT_DEPTH)
        t->last[++t->depth] = 0;
    else
        t->out->failed = 1; /* deeper than any Parquet struct: a bug, fail the file */
}

void tl_pq_thrift_struct_begin(tl_pq_thrift *t, int16_t id) {
    field(t, id, TL_PQ_T_STRUCT);
    push(t);
}

void tl_pq_thrift_elem_struct_begin(tl_pq_thrift *t) {
    push(t);
}

void tl_pq_thrift_struct_end(tl_pq_thrift *t) {
    put_byte(t, 0); /* STOP */
    if (t->depth > 0)
        t->depth--;
}

void tl_pq_thrift_list_begin(tl_pq_thrift *t, int16_t id, int elem_type, size_t n) {
    field(t, id, TL_PQ_T_LIST);
    if (n < 15) {
        put_byte(t, (uint8_t)(n << 4 | (size_t)elem_type));
    } else {
        put_byte(t, (uint8_t)(0xf0 | elem_type));
        put_varint(t, n);
    }
}

void tl_pq_thrift_elem_i32(tl_pq_thrift *t, int32_t v) {
    put_varint(t, zigzag(v));
}

void tl_pq_thrift_elem_binary(tl_pq_thrift *t, const void *p, size_t n) {
    put_varint(t, n);
    tl_buf_append(t->out, p, n);
}
