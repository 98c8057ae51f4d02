/* Base64 (RFC 4648, with padding) through OpenSSL's EVP, which libcurl
 * already loads: the dead letters' raw bytes and S3's Content-MD5. */
#ifndef TL_UTIL_BASE64_H
#define TL_UTIL_BASE64_H

#include <stddef.h>

#include "util/buf.h"

/* Characters base64 needs for n bytes, without the NUL. */
static inline size_t tl_base64_len(size_t n) {
    return (n + 2) / 3 * 4;
}

/* Encode in[0..n) into out (tl_base64_len(n) + 1 bytes, NUL-terminated). */
void tl_base64_encode(const void *in, size_t n, char *out);

/* Append the encoding of in[0..n) to b. 0, or -1 when out of memory. */
int tl_buf_base64(tl_buf *b, const void *in, size_t n);

/* MD5 of data (for S3's Content-MD5, which the protocol requires). */
void tl_md5(const void *data, size_t len, unsigned char out[16]);

#endif
