/*
 * http_encoding.h - HTTP content codings of REST bodies: requests sent
 * with Content-Encoding gzip or deflate are decoded before they are read,
 * never past the body limit, and large responses are compressed for
 * clients whose Accept-Encoding takes gzip or deflate. Pure functions on
 * strings and buffers (no connection), so they are tested and fuzzed on
 * their own (tests/fuzz/fuzz_http_encoding.c).
 */
#ifndef INFERD_HTTP_ENCODING_H
#define INFERD_HTTP_ENCODING_H

#include <stddef.h>

#include "status.h"

/*
 * Responses smaller than this go out as they are: the coding's own framing
 * eats most of the saving, and compressing costs the HTTP thread time.
 */
#define HTTP_COMPRESS_MIN_BYTES 512
/* Longest coding name read from a header ("identity" is the longest served). */
#define HTTP_CODING_NAME_MAX 32

typedef enum http_coding {
    HTTP_CODING_IDENTITY = 0,
    HTTP_CODING_GZIP,    /* RFC 1952 */
    HTTP_CODING_DEFLATE, /* the zlib format (RFC 1950), as HTTP's "deflate" is */
    HTTP_CODING_UNSUPPORTED,
} http_coding_t;

/* "gzip", "deflate" or "identity" (the name in Content-Encoding). */
const char *http_coding_name(http_coding_t coding);

/*
 * The coding of a request's Content-Encoding value: NULL, empty and
 * "identity" are IDENTITY; "gzip" (or "x-gzip") and "deflate", in any
 * case and with surrounding spaces, their own; anything else (another
 * coding, or several stacked) UNSUPPORTED.
 */
http_coding_t http_content_coding(const char *value);

/*
 * The coding to answer with for an Accept-Encoding value: gzip when it
 * takes gzip (or "*") with a non-zero q, else deflate likewise, else
 * IDENTITY. NULL (no header) is IDENTITY.
 */
http_coding_t http_accept_coding(const char *value);

/*
 * Decodes in[0, n) (gzip or deflate) into *out, malloc'd and NUL-terminated
 * (the caller frees it), of *out_len bytes. Output past limit stops the
 * decoding at once: TOO_LARGE, so a small bomb costs at most limit bytes.
 * Corrupt or truncated data, or bytes after the end of the stream, are
 * INVALID_ARGUMENT. On failure *out is NULL.
 */
status_t http_decode_body(http_coding_t coding, const void *in, size_t n, size_t limit, char **out,
                          size_t *out_len, error_t *err);

/* Encodes in[0, n) with coding (gzip or deflate) into *out, malloc'd; the caller frees it. */
status_t http_encode_body(http_coding_t coding, const void *in, size_t n, char **out,
                          size_t *out_len, error_t *err);

#endif
