/*
 * fuzz_http_encoding.c - the REST front end's content codings
 * (http_encoding.h): the Content-Encoding and Accept-Encoding values, and
 * decoding an untrusted gzip or deflate body under a limit, which must
 * never hand back more than the limit; what decodes must encode and decode
 * back to the same bytes.
 *
 * Input: one control byte, then the body. Control bit 0 picks the coding
 * (gzip, deflate), bit 1 the limit (small or the size of a real body
 * limit), bit 2 also reads the body's first line as both header values.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "http_encoding.h"

#define FUZZ_LIMIT_SMALL_BYTES 4096
#define FUZZ_LIMIT_LARGE_BYTES (1 << 20)
/* Longest header value tried. */
#define FUZZ_HEADER_MAX 256

static void check_headers(const uint8_t *data, size_t size)
{
    char value[FUZZ_HEADER_MAX];
    size_t n = 0;
    http_coding_t c;

    while (n < size && n < sizeof value - 1 && data[n] != '\n')
        n++;
    memcpy(value, data, n);
    value[n] = '\0';
    c = http_content_coding(value);
    FUZZ_CHECK(c >= HTTP_CODING_IDENTITY && c <= HTTP_CODING_UNSUPPORTED);
    c = http_accept_coding(value);
    FUZZ_CHECK(c == HTTP_CODING_IDENTITY || c == HTTP_CODING_GZIP || c == HTTP_CODING_DEFLATE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    http_coding_t coding;
    size_t limit, len = 0, packed_len = 0, again_len = 0;
    char *out = NULL, *packed = NULL, *again = NULL;
    error_t err = {0};
    status_t st;

    if (size < 1)
        return 0;
    coding = data[0] & 1 ? HTTP_CODING_DEFLATE : HTTP_CODING_GZIP;
    limit = data[0] & 2 ? FUZZ_LIMIT_SMALL_BYTES : FUZZ_LIMIT_LARGE_BYTES;
    if (data[0] & 4)
        check_headers(data + 1, size - 1);
    st = http_decode_body(coding, data + 1, size - 1, limit, &out, &len, &err);
    if (st != STATUS_OK) {
        FUZZ_CHECK(out == NULL);
        FUZZ_CHECK(st == STATUS_INVALID_ARGUMENT || st == STATUS_TOO_LARGE ||
                   st == STATUS_OUT_OF_MEMORY);
        return 0;
    }
    FUZZ_CHECK(len <= limit && out[len] == '\0');
    if (http_encode_body(coding, out, len, &packed, &packed_len, &err) == STATUS_OK) {
        FUZZ_CHECK(http_decode_body(coding, packed, packed_len, limit, &again, &again_len, &err) ==
                   STATUS_OK);
        FUZZ_CHECK(again_len == len && memcmp(again, out, len) == 0);
    }
    free(again);
    free(packed);
    free(out);
    return 0;
}
