/*
 * kserve_response.c - writing a KServe v2 infer response: the JSON header
 * and, for outputs the client wants binary, the raw tensors after it.
 *
 * The text is written by hand rather than through jansson: tensors can
 * hold millions of elements, FP32 and FP64 need different precisions to
 * round-trip, and UINT64 values past INT64_MAX must stay exact.
 */
#include "kserve.h"
#include "kserve_input.h"
#include "kserve_internal.h"
#include "half.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest text of one number: "%.17g" of a double, or a 20-digit integer with its sign. */
#define NUMBER_TEXT_MAX 32
/* Bytes guessed per JSON element when sizing the buffer up front. */
#define JSON_BYTES_PER_ELEMENT 12
/* Bytes guessed for everything in the response except tensor data. */
#define JSON_FIXED_BYTES 512

/* A growing byte buffer; after a failed allocation every append is a no-op. */
typedef struct out_buf {
    char *data;
    size_t len;
    size_t cap;
    bool failed;
} out_buf_t;

static void buf_reserve(out_buf_t *b, size_t extra)
{
    size_t cap = b->cap ? b->cap : 256;
    char *grown;

    if (b->failed || b->cap - b->len >= extra)
        return;
    if (extra > SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return;
    }
    while (cap - b->len < extra)
        cap *= 2;
    grown = realloc(b->data, cap);
    if (!grown) {
        b->failed = true;
        return;
    }
    b->data = grown;
    b->cap = cap;
}

static void buf_append(out_buf_t *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

static void buf_puts(out_buf_t *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

/* Formats one short item (a number): longer text is cut at NUMBER_TEXT_MAX - 1 bytes. */
static void buf_printf(out_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(out_buf_t *b, const char *fmt, ...)
{
    char text[NUMBER_TEXT_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    buf_append(b, text, n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

/* s[0, n) as a JSON string literal: quotes, escapes, invalid UTF-8 bytes as '?'. */
static void buf_string_n(out_buf_t *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    buf_puts(b, "\"");
    for (size_t i = 0; i < n;) {
        size_t len = kserve_utf8_seq_len(p + i, n - i);
        if (len == 0) {
            buf_puts(b, "?");
            i++;
        } else if (p[i] == '"' || p[i] == '\\') {
            buf_append(b, "\\", 1);
            buf_append(b, p + i++, 1);
        } else if (p[i] < 0x20) {
            buf_printf(b, "\\u%04x", p[i++]);
        } else {
            buf_append(b, p + i, len);
            i += len;
        }
    }
    buf_puts(b, "\"");
}

static void buf_string(out_buf_t *b, const char *s)
{
    buf_string_n(b, s, strlen(s));
}

/* The elements of a BYTES tensor (each a 4-byte LE length and its bytes) as JSON strings. */
static void buf_bytes_elements(out_buf_t *b, const kserve_wire_output_t *w)
{
    const unsigned char *p = w->data;
    const unsigned char *end = p + w->bytes;

    for (int64_t i = 0; i < w->numel && end - p >= 4; i++) {
        uint32_t len =
            (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
        p += 4;
        /* kserve_wire_output wrote these: every length fits. */
        assert(len <= (size_t)(end - p));
        if (i)
            buf_puts(b, ",");
        buf_string_n(b, (const char *)p, len);
        p += len;
    }
}

/* Python's spellings of the values JSON has none for. */
static void buf_real(out_buf_t *b, double v, int digits)
{
    if (isnan(v))
        buf_puts(b, "NaN");
    else if (isinf(v))
        buf_puts(b, v < 0 ? "-Infinity" : "Infinity");
    else
        buf_printf(b, "%.*g", digits, v);
}

static void buf_element(out_buf_t *b, dtype_t t, const void *data, int64_t i)
{
    switch (t) {
    case DTYPE_BOOL:
        buf_puts(b, ((const uint8_t *)data)[i] ? "true" : "false");
        break;
    case DTYPE_FLOAT:
        /* 9 significant digits identify every float, 17 every double. */
        buf_real(b, ((const float *)data)[i], 9);
        break;
    case DTYPE_DOUBLE:
        buf_real(b, ((const double *)data)[i], 17);
        break;
    case DTYPE_FLOAT16:
    case DTYPE_BFLOAT16:
        /* Every half is a float; 9 digits give its exact value back. */
        buf_real(b, half_get(t, ((const uint16_t *)data)[i]), 9);
        break;
    case DTYPE_UINT8:
        buf_printf(b, "%u", (unsigned)((const uint8_t *)data)[i]);
        break;
    case DTYPE_INT8:
        buf_printf(b, "%d", (int)((const int8_t *)data)[i]);
        break;
    case DTYPE_UINT16:
        buf_printf(b, "%u", (unsigned)((const uint16_t *)data)[i]);
        break;
    case DTYPE_INT16:
        buf_printf(b, "%d", (int)((const int16_t *)data)[i]);
        break;
    case DTYPE_UINT32:
        buf_printf(b, "%" PRIu32, ((const uint32_t *)data)[i]);
        break;
    case DTYPE_INT32:
        buf_printf(b, "%" PRId32, ((const int32_t *)data)[i]);
        break;
    case DTYPE_UINT64:
        buf_printf(b, "%" PRIu64, ((const uint64_t *)data)[i]);
        break;
    default:
        buf_printf(b, "%" PRId64, ((const int64_t *)data)[i]);
        break;
    }
}

static void write_output(out_buf_t *b, const kserve_wire_output_t *w, const char *name, bool binary)
{
    buf_puts(b, "{\"name\":");
    buf_string(b, name);
    buf_puts(b, ",\"datatype\":");
    buf_string(b, dtype_kserve_name(w->dtype));
    buf_puts(b, ",\"shape\":[");
    for (int d = 0; d < w->rank; d++)
        buf_printf(b, d ? ",%" PRId64 : "%" PRId64, w->dims[d]);
    if (binary) {
        buf_puts(b, "],\"parameters\":{\"binary_data_size\":");
        buf_printf(b, "%zu}}", w->bytes);
        return;
    }
    buf_puts(b, "],\"data\":[");
    if (w->dtype == DTYPE_STRING)
        buf_bytes_elements(b, w);
    for (int64_t i = 0; w->dtype != DTYPE_STRING && i < w->numel; i++) {
        if (i)
            buf_puts(b, ",");
        buf_element(b, w->dtype, w->data, i);
    }
    buf_puts(b, "]}");
}

status_t kserve_write_infer_response(const request_t *req, const model_config_t *cfg,
                                     const char *model_name, const char *model_version,
                                     const kserve_output_prefs_t *prefs, char **body, size_t *size,
                                     size_t *header_len, error_t *err)
{
    out_buf_t b = {0};
    kserve_wire_output_t *wire = calloc(REQUEST_MAX_TENSORS, sizeof *wire);
    arena_t arena; /* classifications, until they are copied into the body */
    uint64_t wanted, binary;
    size_t guess = JSON_FIXED_BYTES;
    bool first = true;
    status_t st = STATUS_OK;

    *body = NULL;
    *size = 0;
    *header_len = 0;
    arena_init(&arena);
    if (!wire) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
        goto cleanup;
    }
    if (cfg->n_outputs > REQUEST_MAX_TENSORS) {
        st = error_set(err, STATUS_INTERNAL, "model '%s' has more than %d outputs", cfg->name,
                       REQUEST_MAX_TENSORS);
        goto cleanup;
    }
    /* Bits past the model's outputs name nothing. */
    wanted = req->output_mask &
             (cfg->n_outputs >= 64 ? UINT64_MAX : (UINT64_C(1) << cfg->n_outputs) - 1);
    binary = wanted & prefs->binary_mask;
    for (int k = 0; k < cfg->n_outputs; k++) {
        if (!(wanted & (UINT64_C(1) << k)))
            continue;
        st = kserve_wire_output(req, cfg, prefs, k, &arena, &wire[k], err);
        if (st != STATUS_OK)
            goto cleanup;
        /*
         * Tensors are bounded by TENSOR_MAX_ELEMENTS and classifications by
         * KSERVE_MAX_CLASS_BYTES, so the guess cannot overflow.
         */
        guess += (binary & (UINT64_C(1) << k)) || wire[k].dtype == DTYPE_STRING
                     ? wire[k].bytes + 2 * (size_t)wire[k].numel
                     : (size_t)wire[k].numel * JSON_BYTES_PER_ELEMENT;
    }
    buf_reserve(&b, guess);

    buf_puts(&b, "{\"model_name\":");
    buf_string(&b, model_name);
    if (model_version) {
        buf_puts(&b, ",\"model_version\":");
        buf_string(&b, model_version);
    }
    if (req->id) {
        buf_puts(&b, ",\"id\":");
        buf_string(&b, req->id);
    }
    buf_puts(&b, ",\"outputs\":[");
    for (int k = 0; k < cfg->n_outputs; k++) {
        if (!(wanted & (UINT64_C(1) << k)))
            continue;
        if (!first)
            buf_puts(&b, ",");
        first = false;
        write_output(&b, &wire[k], cfg->outputs[k].name, (binary & (UINT64_C(1) << k)) != 0);
    }
    buf_puts(&b, "]}");
    if (binary)
        *header_len = b.len;
    for (int k = 0; k < cfg->n_outputs; k++)
        if (binary & (UINT64_C(1) << k))
            buf_append(&b, wire[k].data, wire[k].bytes);
    if (b.failed) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory writing the response");
        goto cleanup;
    }
    *body = b.data;
    *size = b.len;
    b.data = NULL;

cleanup:
    if (st != STATUS_OK)
        *header_len = 0;
    free(b.data);
    free(wire);
    arena_release(&arena);
    return st;
}
