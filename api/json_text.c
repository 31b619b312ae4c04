/*
 * json_text.c - hand-written JSON text: strings, numbers per dtype and
 * tensors as nested lists (json_text.h).
 */
#include "json_text.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"
#include "kserve_internal.h"

/* First allocation of an empty buffer. */
#define JSON_TEXT_INITIAL 256

void json_text_reserve(json_text_t *b, size_t extra)
{
    size_t cap = b->cap ? b->cap : JSON_TEXT_INITIAL;
    char *grown;

    /* One byte more than asked, for the NUL json_text_take adds. */
    if (b->failed || b->cap - b->len > extra)
        return;
    if (extra >= SIZE_MAX / 2 - b->len) {
        b->failed = true;
        return;
    }
    while (cap - b->len <= extra)
        cap *= 2;
    grown = realloc(b->data, cap);
    if (!grown) {
        b->failed = true;
        return;
    }
    b->data = grown;
    b->cap = cap;
}

void json_text_append(json_text_t *b, const void *src, size_t n)
{
    if (n == 0)
        return;
    json_text_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

void json_text_puts(json_text_t *b, const char *s)
{
    json_text_append(b, s, strlen(s));
}

/* JSON_TEXT_ITEM_MAX holds "%.17g" of a double, or a 20-digit integer with its sign. */
void json_text_printf(json_text_t *b, const char *fmt, ...)
{
    char text[JSON_TEXT_ITEM_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    json_text_append(b, text, n < 0 ? 0 : (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void json_text_string_n(json_text_t *b, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;

    json_text_puts(b, "\"");
    for (size_t i = 0; i < n;) {
        size_t len = kserve_utf8_seq_len(p + i, n - i);
        if (len == 0) {
            json_text_puts(b, "?");
            i++;
        } else if (p[i] == '"' || p[i] == '\\') {
            json_text_append(b, "\\", 1);
            json_text_append(b, p + i++, 1);
        } else if (p[i] < 0x20) {
            json_text_printf(b, "\\u%04x", p[i++]);
        } else {
            json_text_append(b, p + i, len);
            i += len;
        }
    }
    json_text_puts(b, "\"");
}

void json_text_string(json_text_t *b, const char *s)
{
    json_text_string_n(b, s, strlen(s));
}

static void put_real(json_text_t *b, double v, int digits)
{
    if (isnan(v))
        json_text_puts(b, "NaN");
    else if (isinf(v))
        json_text_puts(b, v < 0 ? "-Infinity" : "Infinity");
    else
        json_text_printf(b, "%.*g", digits, v);
}

void json_text_element(json_text_t *b, dtype_t t, const void *data, int64_t i)
{
    switch (t) {
    case DTYPE_BOOL:
        json_text_puts(b, ((const uint8_t *)data)[i] ? "true" : "false");
        break;
    case DTYPE_FLOAT:
        /* 9 significant digits identify every float, 17 every double. */
        put_real(b, ((const float *)data)[i], 9);
        break;
    case DTYPE_DOUBLE:
        put_real(b, ((const double *)data)[i], 17);
        break;
    case DTYPE_FLOAT16:
    case DTYPE_BFLOAT16:
        put_real(b, half_get(t, ((const uint16_t *)data)[i]), 9);
        break;
    case DTYPE_UINT8:
        json_text_printf(b, "%u", (unsigned)((const uint8_t *)data)[i]);
        break;
    case DTYPE_INT8:
        json_text_printf(b, "%d", (int)((const int8_t *)data)[i]);
        break;
    case DTYPE_UINT16:
        json_text_printf(b, "%u", (unsigned)((const uint16_t *)data)[i]);
        break;
    case DTYPE_INT16:
        json_text_printf(b, "%d", (int)((const int16_t *)data)[i]);
        break;
    case DTYPE_UINT32:
        json_text_printf(b, "%" PRIu32, ((const uint32_t *)data)[i]);
        break;
    case DTYPE_INT32:
        json_text_printf(b, "%" PRId32, ((const int32_t *)data)[i]);
        break;
    case DTYPE_UINT64:
        json_text_printf(b, "%" PRIu64, ((const uint64_t *)data)[i]);
        break;
    default:
        json_text_printf(b, "%" PRId64, ((const int64_t *)data)[i]);
        break;
    }
}

/* The sub-tensor at depth d whose first element is element *next, advancing *next past it. */
static void put_level(json_text_t *b, dtype_t t, const void *data, int rank, const int64_t *dims,
                      int d, int64_t *next)
{
    if (d == rank) {
        json_text_element(b, t, data, (*next)++);
        return;
    }
    json_text_puts(b, "[");
    for (int64_t i = 0; i < dims[d] && !b->failed; i++) {
        if (i)
            json_text_puts(b, ",");
        put_level(b, t, data, rank, dims, d + 1, next);
    }
    json_text_puts(b, "]");
}

void json_text_tensor(json_text_t *b, dtype_t t, const void *data, int rank, const int64_t *dims)
{
    int64_t next = 0;

    assert(rank >= 0 && rank <= TENSOR_MAX_RANK);
    put_level(b, t, data, rank, dims, 0, &next);
}

char *json_text_take(json_text_t *b, size_t *len)
{
    char *text = NULL;

    json_text_reserve(b, 0);
    if (!b->failed && b->data) {
        b->data[b->len] = '\0';
        text = b->data;
        if (len)
            *len = b->len;
        b->data = NULL;
    }
    json_text_free(b);
    return text;
}

void json_text_free(json_text_t *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}
