/*
 * http_encoding.c - gzip and deflate for REST bodies, on zlib
 * (http_encoding.h).
 */
#include "http_encoding.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

/* zlib's window bits: 15 is the largest window; +16 asks for the gzip wrapper. */
#define ZLIB_WINDOW_BITS 15
#define GZIP_WINDOW_BITS (ZLIB_WINDOW_BITS + 16)
/* First output buffer when decoding; it doubles up to the limit. */
#define DECODE_INITIAL (64 << 10)
/* Level 1: responses are compressed on the HTTP thread, so speed over ratio. */
#define ENCODE_LEVEL Z_BEST_SPEED
/* zlib counts in uInt: feed and take at most this much per call. */
#define ZLIB_CHUNK_MAX ((size_t)UINT_MAX)

const char *http_coding_name(http_coding_t coding)
{
    switch (coding) {
    case HTTP_CODING_GZIP:
        return "gzip";
    case HTTP_CODING_DEFLATE:
        return "deflate";
    default:
        return "identity";
    }
}

/* value[0, n) without surrounding spaces and tabs: *start and the length. */
static size_t trim(const char *value, size_t n, const char **start)
{
    while (n && (*value == ' ' || *value == '\t'))
        value++, n--;
    while (n && (value[n - 1] == ' ' || value[n - 1] == '\t'))
        n--;
    *start = value;
    return n;
}

static bool token_is(const char *token, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(token, name, n) == 0;
}

http_coding_t http_content_coding(const char *value)
{
    const char *token;
    size_t n;

    if (!value)
        return HTTP_CODING_IDENTITY;
    n = trim(value, strlen(value), &token);
    if (n == 0 || token_is(token, n, "identity"))
        return HTTP_CODING_IDENTITY;
    if (token_is(token, n, "gzip") || token_is(token, n, "x-gzip"))
        return HTTP_CODING_GZIP;
    if (token_is(token, n, "deflate"))
        return HTTP_CODING_DEFLATE;
    return HTTP_CODING_UNSUPPORTED;
}

/*
 * The q of one Accept-Encoding element's parameters (";q=0.5"), 1 when it
 * has none; a malformed q counts as 0 (not acceptable).
 */
static double element_q(const char *params, size_t n)
{
    const char *p = params, *end = params + n;

    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *stop = semi ? semi : end, *name;
        size_t len = trim(p, (size_t)(stop - p), &name);

        if (len > 2 && (name[0] == 'q' || name[0] == 'Q') && name[1] == '=') {
            char text[16];
            char *tail;
            double q;
            if (len - 2 >= sizeof text)
                return 0;
            memcpy(text, name + 2, len - 2);
            text[len - 2] = '\0';
            q = strtod(text, &tail);
            return *tail || q < 0 || q > 1 ? 0 : q;
        }
        p = semi ? semi + 1 : end;
    }
    return 1;
}

http_coding_t http_accept_coding(const char *value)
{
    double gzip = -1, deflate = -1, any = 0; /* -1: not named */
    const char *p = value, *end;

    if (!value)
        return HTTP_CODING_IDENTITY;
    end = value + strlen(value);
    while (p < end) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma ? comma : end;
        const char *semi = memchr(p, ';', (size_t)(stop - p));
        const char *name;
        size_t len = trim(p, (size_t)((semi ? semi : stop) - p), &name);
        double q = semi ? element_q(semi + 1, (size_t)(stop - semi - 1)) : 1;

        if (token_is(name, len, "gzip") || token_is(name, len, "x-gzip"))
            gzip = q;
        else if (token_is(name, len, "deflate"))
            deflate = q;
        else if (token_is(name, len, "*"))
            any = q;
        p = comma ? comma + 1 : end;
    }
    /* "*" stands for the codings the header does not name. */
    if (gzip < 0)
        gzip = any;
    if (deflate < 0)
        deflate = any;
    if (gzip > 0)
        return HTTP_CODING_GZIP;
    if (deflate > 0)
        return HTTP_CODING_DEFLATE;
    return HTTP_CODING_IDENTITY;
}

status_t http_decode_body(http_coding_t coding, const void *in, size_t n, size_t limit, char **out,
                          size_t *out_len, error_t *err)
{
    z_stream zs;
    char *buf = NULL;
    size_t cap = 0, len = 0;
    int rc = Z_OK;
    status_t st = STATUS_OK;

    *out = NULL;
    *out_len = 0;
    if (coding != HTTP_CODING_GZIP && coding != HTTP_CODING_DEFLATE)
        return error_set(err, STATUS_INTERNAL, "no decoder for content coding %d", (int)coding);
    /* limit + 1 and doubling must not wrap; no body limit comes near this. */
    if (limit > SIZE_MAX / 4)
        limit = SIZE_MAX / 4;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, coding == HTTP_CODING_GZIP ? GZIP_WINDOW_BITS : ZLIB_WINDOW_BITS) != Z_OK)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory decoding the body");
    zs.next_in = (Bytef *)in;
    while (rc != Z_STREAM_END) {
        size_t in_left =
            n - (size_t)((const unsigned char *)zs.next_in - (const unsigned char *)in);

        /* One byte past the limit tells a body at the limit from a longer one. */
        if (len == cap) {
            size_t grown = cap ? cap * 2 : DECODE_INITIAL;
            char *p;
            if (cap > limit) {
                st = error_set(err, STATUS_TOO_LARGE,
                               "the %s body decodes to more than the limit of %zu bytes",
                               http_coding_name(coding), limit);
                goto cleanup;
            }
            if (grown > limit + 1)
                grown = limit + 1;
            p = realloc(buf, grown + 1);
            if (!p) {
                st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory decoding the body");
                goto cleanup;
            }
            buf = p;
            cap = grown;
        }
        zs.avail_in = (uInt)(in_left < ZLIB_CHUNK_MAX ? in_left : ZLIB_CHUNK_MAX);
        zs.next_out = (Bytef *)buf + len;
        zs.avail_out = (uInt)(cap - len < ZLIB_CHUNK_MAX ? cap - len : ZLIB_CHUNK_MAX);
        rc = inflate(&zs, Z_NO_FLUSH);
        len = (size_t)((char *)zs.next_out - buf);
        if (len > limit) {
            st = error_set(err, STATUS_TOO_LARGE,
                           "the %s body decodes to more than the limit of %zu bytes",
                           http_coding_name(coding), limit);
            goto cleanup;
        }
        if (rc == Z_STREAM_END)
            break;
        /* No progress with input left and room to write: the data is truncated. */
        if (rc == Z_BUF_ERROR && zs.avail_out > 0) {
            st = error_set(err, STATUS_INVALID_ARGUMENT, "the %s body is truncated",
                           http_coding_name(coding));
            goto cleanup;
        }
        if (rc != Z_OK && rc != Z_BUF_ERROR) {
            st = error_set(err, rc == Z_MEM_ERROR ? STATUS_OUT_OF_MEMORY : STATUS_INVALID_ARGUMENT,
                           "the %s body is not valid %s data: %s", http_coding_name(coding),
                           http_coding_name(coding), zs.msg ? zs.msg : "corrupt");
            goto cleanup;
        }
    }
    if ((const unsigned char *)zs.next_in != (const unsigned char *)in + n) {
        st = error_set(err, STATUS_INVALID_ARGUMENT,
                       "the %s body has %zu bytes after the end of its data",
                       http_coding_name(coding),
                       n - (size_t)((const unsigned char *)zs.next_in - (const unsigned char *)in));
        goto cleanup;
    }
    buf[len] = '\0';
    *out = buf;
    *out_len = len;
    buf = NULL;
cleanup:
    inflateEnd(&zs);
    free(buf);
    return st;
}

status_t http_encode_body(http_coding_t coding, const void *in, size_t n, char **out,
                          size_t *out_len, error_t *err)
{
    z_stream zs;
    uLong bound;
    char *buf;
    int rc;

    *out = NULL;
    *out_len = 0;
    if ((coding != HTTP_CODING_GZIP && coding != HTTP_CODING_DEFLATE) || n > ZLIB_CHUNK_MAX)
        return error_set(err, STATUS_INTERNAL, "cannot encode %zu bytes as %s", n,
                         http_coding_name(coding));
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, ENCODE_LEVEL, Z_DEFLATED,
                     coding == HTTP_CODING_GZIP ? GZIP_WINDOW_BITS : ZLIB_WINDOW_BITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory encoding the response");
    /* deflateBound covers the zlib wrapper; the gzip one is 18 bytes, against zlib's 6. */
    bound = deflateBound(&zs, (uLong)n) + 32;
    buf = bound <= ZLIB_CHUNK_MAX ? malloc(bound) : NULL;
    if (!buf) {
        deflateEnd(&zs);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory encoding the response");
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)buf;
    zs.avail_out = (uInt)bound;
    rc = deflate(&zs, Z_FINISH);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        free(buf);
        return error_set(err, STATUS_INTERNAL, "%s encoding failed (%d)", http_coding_name(coding),
                         rc);
    }
    *out = buf;
    *out_len = (size_t)zs.total_out;
    return STATUS_OK;
}
