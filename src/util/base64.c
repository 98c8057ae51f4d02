#include "util/base64.h"

#include <limits.h>
#include <openssl/evp.h>

void tl_base64_encode(const void *in, size_t n, char *out) {
    /* EVP_EncodeBlock takes an int length: encode in chunks of whole
     * 3-byte groups so the pieces join into one encoding */
    const unsigned char *p = in;
    const size_t chunk = (INT_MAX / 4 / 3) * 3;
    size_t o = 0;
    do {
        size_t k = n < chunk ? n : chunk;
        o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, p, (int)k);
        p += k;
        n -= k;
    } while (n > 0);
    out[o] = '\0';
}

int tl_buf_base64(tl_buf *b, const void *in, size_t n) {
    if (tl_buf_reserve(b, tl_base64_len(n)) != 0)
        return -1;
    tl_base64_encode(in, n, b->data + b->len);
    b->len += tl_base64_len(n);
    return 0;
}

void tl_md5(const void *data, size_t len, unsigned char out[16]) {
    unsigned int n = 16;
    EVP_Digest(data, len, out, &n, EVP_md5(), NULL);
}
