/* duck_text: one result cell as text, exactly as DuckDB's CAST(x AS VARCHAR)
 * writes it.
 *
 * The hot, simple types (VARCHAR, BOOLEAN, integers, DECIMAL up to 18 digits,
 * µs timestamps in years 1..9999) are formatted here straight from the vector; that these match
 * DuckDB's own text is checked by the unit tests against ::VARCHAR. Every other type is turned into
 * a duckdb_value and printed by DuckDB (duckdb_get_varchar), so doubles, timestamps, intervals and
 * nested values read as DuckDB prints them. */
#include "duck/duck_int.h"

#include <stdlib.h>
#include <string.h>

tl_duck_kind tl_duck__kind(duckdb_logical_type type) {
    switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_BOOLEAN: return TL_DUCK_KIND_BOOL;
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_DECIMAL:
    case DUCKDB_TYPE_FLOAT:
    case DUCKDB_TYPE_DOUBLE: return TL_DUCK_KIND_NUMBER;
    default: return TL_DUCK_KIND_TEXT;
    }
}

/* Exact text of an unscaled decimal: "-0.500000" for (-500000, 6). */
static int put_decimal(int64_t v, unsigned scale, tl_buf *out) {
    char digits[24];
    unsigned n = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    while (n <= scale) /* at least one digit before the point */
        digits[n++] = '0';
    char text[32];
    size_t len = 0;
    if (v < 0)
        text[len++] = '-';
    for (unsigned i = n; i-- > scale;)
        text[len++] = digits[i];
    if (scale > 0) {
        text[len++] = '.';
        for (unsigned i = scale; i-- > 0;)
            text[len++] = digits[i];
    }
    return tl_buf_append(out, text, len);
}

static int64_t decimal_raw(duckdb_vector vec, duckdb_type internal, idx_t row) {
    void *data = duckdb_vector_get_data(vec);
    switch (internal) {
    case DUCKDB_TYPE_SMALLINT: return ((int16_t *)data)[row];
    case DUCKDB_TYPE_INTEGER: return ((int32_t *)data)[row];
    default: return ((int64_t *)data)[row];
    }
}

static duckdb_hugeint hugeint_of(int64_t v) {
    duckdb_hugeint h = {(uint64_t)v, v < 0 ? -1 : 0};
    return h;
}

static duckdb_value value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row);

/* Values of rows [first, first+n) of a child vector; NULL on failure. */
static duckdb_value *values_at(duckdb_vector vec, duckdb_logical_type type, idx_t first, idx_t n) {
    duckdb_value *vals = calloc(n ? n : 1, sizeof *vals);
    for (idx_t i = 0; vals && i < n; i++) {
        if ((vals[i] = value_at(vec, type, first + i)) == NULL) {
            for (idx_t j = 0; j < i; j++)
                duckdb_destroy_value(&vals[j]);
            free(vals);
            return NULL;
        }
    }
    return vals;
}

static void values_free(duckdb_value *vals, idx_t n) {
    for (idx_t i = 0; vals && i < n; i++)
        duckdb_destroy_value(&vals[i]);
    free(vals);
}

static duckdb_value list_value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
    duckdb_logical_type ct = duckdb_list_type_child_type(type);
    duckdb_value *vals = values_at(duckdb_list_vector_get_child(vec), ct, e.offset, e.length);
    duckdb_value v = vals ? duckdb_create_list_value(ct, vals, e.length) : NULL;
    values_free(vals, e.length);
    duckdb_destroy_logical_type(&ct);
    return v;
}

static duckdb_value array_value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    idx_t size = duckdb_array_type_array_size(type);
    duckdb_logical_type ct = duckdb_array_type_child_type(type);
    duckdb_value *vals = values_at(duckdb_array_vector_get_child(vec), ct, row * size, size);
    duckdb_value v = vals ? duckdb_create_array_value(ct, vals, size) : NULL;
    values_free(vals, size);
    duckdb_destroy_logical_type(&ct);
    return v;
}

static duckdb_value struct_value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    idx_t n = duckdb_struct_type_child_count(type);
    duckdb_value *vals = calloc(n ? n : 1, sizeof *vals);
    duckdb_value v = NULL;
    idx_t done = 0;
    for (; vals && done < n; done++) {
        duckdb_logical_type ct = duckdb_struct_type_child_type(type, done);
        vals[done] = value_at(duckdb_struct_vector_get_child(vec, done), ct, row);
        duckdb_destroy_logical_type(&ct);
        if (!vals[done])
            break;
    }
    if (vals && done == n)
        v = duckdb_create_struct_value(type, vals);
    values_free(vals, done);
    return v;
}

/* A MAP is stored as a LIST of STRUCT(key, value). */
static duckdb_value map_value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    duckdb_list_entry e = ((duckdb_list_entry *)duckdb_vector_get_data(vec))[row];
    duckdb_vector kv = duckdb_list_vector_get_child(vec);
    duckdb_logical_type kt = duckdb_map_type_key_type(type);
    duckdb_logical_type vt = duckdb_map_type_value_type(type);
    duckdb_value *keys = values_at(duckdb_struct_vector_get_child(kv, 0), kt, e.offset, e.length);
    duckdb_value *vals = values_at(duckdb_struct_vector_get_child(kv, 1), vt, e.offset, e.length);
    duckdb_value v = keys && vals ? duckdb_create_map_value(type, keys, vals, e.length) : NULL;
    values_free(keys, keys ? e.length : 0);
    values_free(vals, vals ? e.length : 0);
    duckdb_destroy_logical_type(&kt);
    duckdb_destroy_logical_type(&vt);
    return v;
}

/* A UNION is stored as a STRUCT whose child 0 is the tag. */
static duckdb_value union_value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    uint8_t tag = ((uint8_t *)duckdb_vector_get_data(duckdb_struct_vector_get_child(vec, 0)))[row];
    duckdb_logical_type mt = duckdb_union_type_member_type(type, tag);
    duckdb_value member = value_at(duckdb_struct_vector_get_child(vec, 1 + (idx_t)tag), mt, row);
    duckdb_value v = member ? duckdb_create_union_value(type, tag, member) : NULL;
    if (member)
        duckdb_destroy_value(&member);
    duckdb_destroy_logical_type(&mt);
    return v;
}

static duckdb_value decimal_value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    duckdb_decimal dec;
    duckdb_type internal = duckdb_decimal_internal_type(type);
    dec.width = duckdb_decimal_width(type);
    dec.scale = duckdb_decimal_scale(type);
    if (internal == DUCKDB_TYPE_HUGEINT)
        dec.value = ((duckdb_hugeint *)duckdb_vector_get_data(vec))[row];
    else
        dec.value = hugeint_of(decimal_raw(vec, internal, row));
    return duckdb_create_decimal(dec);
}

static duckdb_value string_value_at(duckdb_vector vec, duckdb_type id, idx_t row) {
    duckdb_string_t *s = &((duckdb_string_t *)duckdb_vector_get_data(vec))[row];
    const char *p = duckdb_string_t_data(s);
    uint32_t n = duckdb_string_t_length(*s);
    return id == DUCKDB_TYPE_BLOB ? duckdb_create_blob((const uint8_t *)p, n)
                                  : duckdb_create_varchar_length(p, n);
}

/* UUIDs are stored with the top bit flipped so they sort as signed 128-bit. */
static duckdb_value uuid_value_at(duckdb_vector vec, idx_t row) {
    duckdb_hugeint h = ((duckdb_hugeint *)duckdb_vector_get_data(vec))[row];
    duckdb_uhugeint u = {h.lower, (uint64_t)h.upper ^ (UINT64_C(1) << 63)};
    return duckdb_create_uuid(u);
}

static duckdb_value scalar_value_at(duckdb_vector vec, duckdb_type id, idx_t row) {
    void *p = duckdb_vector_get_data(vec);
    switch (id) {
    case DUCKDB_TYPE_BOOLEAN: return duckdb_create_bool(((bool *)p)[row]);
    case DUCKDB_TYPE_TINYINT: return duckdb_create_int8(((int8_t *)p)[row]);
    case DUCKDB_TYPE_SMALLINT: return duckdb_create_int16(((int16_t *)p)[row]);
    case DUCKDB_TYPE_INTEGER: return duckdb_create_int32(((int32_t *)p)[row]);
    case DUCKDB_TYPE_BIGINT: return duckdb_create_int64(((int64_t *)p)[row]);
    case DUCKDB_TYPE_UTINYINT: return duckdb_create_uint8(((uint8_t *)p)[row]);
    case DUCKDB_TYPE_USMALLINT: return duckdb_create_uint16(((uint16_t *)p)[row]);
    case DUCKDB_TYPE_UINTEGER: return duckdb_create_uint32(((uint32_t *)p)[row]);
    case DUCKDB_TYPE_UBIGINT: return duckdb_create_uint64(((uint64_t *)p)[row]);
    case DUCKDB_TYPE_HUGEINT: return duckdb_create_hugeint(((duckdb_hugeint *)p)[row]);
    case DUCKDB_TYPE_UHUGEINT: return duckdb_create_uhugeint(((duckdb_uhugeint *)p)[row]);
    /* + 0.0 turns a negative zero into 0: a rounded small fall
     * (round(-0.001, 2)) prints as 0.0, never -0.0 (issue 14) */
    case DUCKDB_TYPE_FLOAT: return duckdb_create_float(((float *)p)[row] + 0.0f);
    case DUCKDB_TYPE_DOUBLE: return duckdb_create_double(((double *)p)[row] + 0.0);
    case DUCKDB_TYPE_DATE: return duckdb_create_date(((duckdb_date *)p)[row]);
    case DUCKDB_TYPE_TIME: return duckdb_create_time(((duckdb_time *)p)[row]);
    case DUCKDB_TYPE_TIME_NS: return duckdb_create_time_ns(((duckdb_time_ns *)p)[row]);
    case DUCKDB_TYPE_TIME_TZ: return duckdb_create_time_tz_value(((duckdb_time_tz *)p)[row]);
    case DUCKDB_TYPE_TIMESTAMP: return duckdb_create_timestamp(((duckdb_timestamp *)p)[row]);
    case DUCKDB_TYPE_TIMESTAMP_TZ: return duckdb_create_timestamp_tz(((duckdb_timestamp *)p)[row]);
    case DUCKDB_TYPE_TIMESTAMP_S: return duckdb_create_timestamp_s(((duckdb_timestamp_s *)p)[row]);
    case DUCKDB_TYPE_TIMESTAMP_MS:
        return duckdb_create_timestamp_ms(((duckdb_timestamp_ms *)p)[row]);
    case DUCKDB_TYPE_TIMESTAMP_NS:
        return duckdb_create_timestamp_ns(((duckdb_timestamp_ns *)p)[row]);
    case DUCKDB_TYPE_INTERVAL: return duckdb_create_interval(((duckdb_interval *)p)[row]);
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_BLOB: return string_value_at(vec, id, row);
    case DUCKDB_TYPE_UUID: return uuid_value_at(vec, row);
    default: return NULL; /* BIT, BIGNUM: not supported */
    }
}

static uint64_t enum_index(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    void *p = duckdb_vector_get_data(vec);
    switch (duckdb_enum_internal_type(type)) {
    case DUCKDB_TYPE_UTINYINT: return ((uint8_t *)p)[row];
    case DUCKDB_TYPE_USMALLINT: return ((uint16_t *)p)[row];
    default: return ((uint32_t *)p)[row];
    }
}

/* The cell as a duckdb_value (a NULL value for SQL NULL), or NULL if the
 * type is not supported. */
static duckdb_value value_at(duckdb_vector vec, duckdb_logical_type type, idx_t row) {
    uint64_t *valid = duckdb_vector_get_validity(vec);
    if (valid && !duckdb_validity_row_is_valid(valid, row))
        return duckdb_create_null_value();
    duckdb_type id = duckdb_get_type_id(type);
    switch (id) {
    case DUCKDB_TYPE_DECIMAL: return decimal_value_at(vec, type, row);
    case DUCKDB_TYPE_ENUM: return duckdb_create_enum_value(type, enum_index(vec, type, row));
    case DUCKDB_TYPE_LIST: return list_value_at(vec, type, row);
    case DUCKDB_TYPE_ARRAY: return array_value_at(vec, type, row);
    case DUCKDB_TYPE_STRUCT: return struct_value_at(vec, type, row);
    case DUCKDB_TYPE_MAP: return map_value_at(vec, type, row);
    case DUCKDB_TYPE_UNION: return union_value_at(vec, type, row);
    default: return scalar_value_at(vec, id, row);
    }
}

static int render_by_duckdb(duckdb_vector vec, duckdb_logical_type type, idx_t row, tl_buf *out,
                            tl_err *err) {
    duckdb_value v = value_at(vec, type, row);
    if (!v)
        return tl_err_set(err, TL_ERR_INVALID,
                          "duck: cannot render a value of DuckDB type id %d (e.g. BIT, BIGNUM) "
                          "as text; cast it to VARCHAR in the query",
                          (int)duckdb_get_type_id(type));
    char *s = duckdb_get_varchar(v);
    int rc = s && tl_buf_puts(out, s) == 0 ? 0 : -1;
    duckdb_free(s);
    duckdb_destroy_value(&v);
    if (rc != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "duck: out of memory rendering a value");
    return 0;
}

/* Integers without printf: this runs for every cell of big results. */
static int put_uint(tl_buf *out, uint64_t v) {
    char s[24], *p = s + sizeof s;
    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return tl_buf_append(out, p, (size_t)(s + sizeof s - p));
}

static int put_int(tl_buf *out, int64_t v) {
    if (v < 0 && tl_buf_append(out, "-", 1) != 0)
        return -1;
    return put_uint(out, v < 0 ? 0 - (uint64_t)v : (uint64_t)v);
}

/* n digits of v, zero-padded, at p. */
static char *digits(char *p, unsigned v, int n) {
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

/* Days since 1970-01-01 -> civil date (proleptic Gregorian; H. Hinnant's
 * days_from_civil inverse). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* A µs timestamp as DuckDB writes it: "2026-11-24 20:15:03.1234" (fraction
 * without trailing zeros), "+00" appended for TIMESTAMPTZ, which is always
 * rendered in UTC. Years outside 1..9999 (BC, infinity) return 1. */
static int put_timestamp(int64_t us, int tz, tl_buf *out) {
    int64_t days = us / 86400000000LL, rem = us % 86400000000LL;
    if (rem < 0) {
        rem += 86400000000LL;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    if (y < 1 || y > 9999)
        return 1;
    unsigned secs = (unsigned)(rem / 1000000), frac = (unsigned)(rem % 1000000);
    char text[40], *p = text;
    p = digits(p, (unsigned)y, 4);
    *p++ = '-';
    p = digits(p, mo, 2);
    *p++ = '-';
    p = digits(p, d, 2);
    *p++ = ' ';
    p = digits(p, secs / 3600, 2);
    *p++ = ':';
    p = digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = digits(p, secs % 60, 2);
    if (frac) {
        int n = 6;
        while (frac % 10 == 0) {
            frac /= 10;
            n--;
        }
        *p++ = '.';
        p = digits(p, frac, n);
    }
    if (tz) {
        memcpy(p, "+00", 3);
        p += 3;
    }
    return tl_buf_append(out, text, (size_t)(p - text));
}

/* The fast paths; 1 = not handled here. */
static int render_fast(duckdb_vector vec, duckdb_logical_type type, idx_t row, tl_buf *out) {
    void *p = duckdb_vector_get_data(vec);
    switch (duckdb_get_type_id(type)) {
    case DUCKDB_TYPE_VARCHAR: {
        duckdb_string_t *s = &((duckdb_string_t *)p)[row];
        return tl_buf_append(out, duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    case DUCKDB_TYPE_BOOLEAN: return tl_buf_puts(out, ((bool *)p)[row] ? "true" : "false");
    case DUCKDB_TYPE_TINYINT: return put_int(out, ((int8_t *)p)[row]);
    case DUCKDB_TYPE_SMALLINT: return put_int(out, ((int16_t *)p)[row]);
    case DUCKDB_TYPE_INTEGER: return put_int(out, ((int32_t *)p)[row]);
    case DUCKDB_TYPE_BIGINT: return put_int(out, ((int64_t *)p)[row]);
    case DUCKDB_TYPE_UTINYINT: return put_uint(out, ((uint8_t *)p)[row]);
    case DUCKDB_TYPE_USMALLINT: return put_uint(out, ((uint16_t *)p)[row]);
    case DUCKDB_TYPE_UINTEGER: return put_uint(out, ((uint32_t *)p)[row]);
    case DUCKDB_TYPE_UBIGINT: return put_uint(out, ((uint64_t *)p)[row]);
    case DUCKDB_TYPE_TIMESTAMP: return put_timestamp(((int64_t *)p)[row], 0, out);
    case DUCKDB_TYPE_TIMESTAMP_TZ: return put_timestamp(((int64_t *)p)[row], 1, out);
    case DUCKDB_TYPE_DECIMAL: {
        duckdb_type internal = duckdb_decimal_internal_type(type);
        if (internal == DUCKDB_TYPE_HUGEINT)
            return 1;
        return put_decimal(decimal_raw(vec, internal, row), duckdb_decimal_scale(type), out);
    }
    default: return 1;
    }
}

int tl_duck__render(duckdb_vector vec, duckdb_logical_type type, idx_t row, tl_buf *out,
                    tl_err *err) {
    int rc = render_fast(vec, type, row, out);
    if (rc == 1)
        return render_by_duckdb(vec, type, row, out, err);
    if (rc != 0)
        return tl_err_set(err, TL_ERR_NOMEM, "duck: out of memory rendering a value");
    return 0;
}
