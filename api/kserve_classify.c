/*
 * kserve_classify.c - Triton's classification extension: an output sent
 * back as its top classes, "value:index[:label]" strings in a BYTES
 * tensor, instead of the tensor itself. Both codecs send outputs through
 * kserve_wire_output, so REST (JSON and binary) and gRPC answer the same.
 */
#include "kserve_input.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"

/* Room for "value:index:": a %g value (at most 13 bytes), a 19-digit index and separators. */
#define CLASS_TEXT_FIXED 64
/* The 4-byte length before each BYTES element. */
#define BYTES_LENGTH_PREFIX 4

/* One element of a row, with a key that orders every dtype exactly. */
typedef struct class_entry {
    long double key; /* x86-64's 64-bit mantissa holds every int64, uint64, float and double */
    bool nan;
    int64_t index;
} class_entry_t;

/* Highest first; ties by lower index; NaN below every number (and among NaNs by index). */
static int compare_entries(const void *pa, const void *pb)
{
    const class_entry_t *a = pa, *b = pb;

    if (a->nan != b->nan)
        return a->nan ? 1 : -1;
    if (!a->nan && a->key != b->key)
        return a->key > b->key ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

static long double element_key(dtype_t t, const void *data, int64_t i)
{
    switch (t) {
    case DTYPE_FLOAT:
        return ((const float *)data)[i];
    case DTYPE_DOUBLE:
        return ((const double *)data)[i];
    case DTYPE_FLOAT16:
    case DTYPE_BFLOAT16:
        return half_get(t, ((const uint16_t *)data)[i]);
    case DTYPE_UINT8:
        return ((const uint8_t *)data)[i];
    case DTYPE_INT8:
        return ((const int8_t *)data)[i];
    case DTYPE_UINT16:
        return ((const uint16_t *)data)[i];
    case DTYPE_INT16:
        return ((const int16_t *)data)[i];
    case DTYPE_UINT32:
        return ((const uint32_t *)data)[i];
    case DTYPE_INT32:
        return ((const int32_t *)data)[i];
    case DTYPE_UINT64:
        return ((const uint64_t *)data)[i];
    default:
        return ((const int64_t *)data)[i];
    }
}

static bool is_floating(dtype_t t)
{
    return t == DTYPE_FLOAT || t == DTYPE_DOUBLE || t == DTYPE_FLOAT16 || t == DTYPE_BFLOAT16;
}

/* The value as Triton prints it (an ostream's default: 6 significant digits); its length. */
static int format_value(char *text, size_t size, dtype_t t, const void *data, int64_t i)
{
    if (is_floating(t))
        return snprintf(text, size, "%g", (double)element_key(t, data, i));
    if (t == DTYPE_UINT64)
        return snprintf(text, size, "%" PRIu64, ((const uint64_t *)data)[i]);
    return snprintf(text, size, "%" PRId64, (int64_t)element_key(t, data, i));
}

/* Appends one BYTES element: its length, little-endian, and its bytes. */
static unsigned char *put_element(unsigned char *p, const char *a, size_t na, const char *b,
                                  size_t nb)
{
    uint32_t len = (uint32_t)(na + nb);

    for (int i = 0; i < BYTES_LENGTH_PREFIX; i++)
        *p++ = (unsigned char)(len >> (8 * i));
    memcpy(p, a, na);
    memcpy(p + na, b, nb);
    return p + na + nb;
}

static status_t classify(const tensor_t *t, int k, const char *name, bool batched, uint32_t count,
                         const model_labels_t *labels, arena_t *arena, kserve_wire_output_t *out,
                         error_t *err)
{
    int64_t numel = tensor_numel(t);
    int64_t rows = batched ? t->dims[0] : 1;
    int64_t per_row = rows > 0 ? numel / rows : 0;
    int64_t n = per_row < (int64_t)count ? per_row : (int64_t)count;
    size_t longest = model_labels_longest(labels, k);
    size_t element_max = BYTES_LENGTH_PREFIX + CLASS_TEXT_FIXED + 1 + longest;
    class_entry_t *entries = NULL;
    unsigned char *p;
    status_t st = STATUS_OK;

    if (batched && t->rank < 1)
        return error_set(err, STATUS_INTERNAL, "output '%s' has no batch dim", name);
    /* rows * n <= numel <= TENSOR_MAX_ELEMENTS, so the product stays in range before the check. */
    if (rows > 0 && n > 0 && (size_t)(rows * n) > KSERVE_MAX_CLASS_BYTES / element_max)
        return error_set(err, STATUS_LIMIT_EXCEEDED,
                         "output '%s': %" PRId64 " classes of %" PRId64 " rows would pass the "
                         "limit of %zu bytes; ask for fewer classes",
                         name, n, rows, KSERVE_MAX_CLASS_BYTES);
    out->dtype = DTYPE_STRING;
    out->rank = 0;
    if (batched)
        out->dims[out->rank++] = rows;
    out->dims[out->rank++] = n;
    out->numel = rows * n;
    out->data = p = arena_alloc(arena, (size_t)(rows * n) * element_max + 1);
    entries = malloc((size_t)(per_row > 0 ? per_row : 1) * sizeof *entries);
    if (!p || !entries) {
        st =
            error_set(err, STATUS_OUT_OF_MEMORY, "output '%s': out of memory classifying it", name);
        goto cleanup;
    }
    for (int64_t r = 0; r < rows && n > 0; r++) {
        for (int64_t i = 0; i < per_row; i++) {
            long double key = element_key(t->dtype, t->data, r * per_row + i);
            entries[i] = (class_entry_t){.key = key, .nan = isnan(key), .index = i};
        }
        qsort(entries, (size_t)per_row, sizeof *entries, compare_entries);
        for (int64_t c = 0; c < n; c++) {
            const char *label = model_labels_get(labels, k, entries[c].index);
            char text[CLASS_TEXT_FIXED];
            int len =
                format_value(text, sizeof text, t->dtype, t->data, r * per_row + entries[c].index);

            len += snprintf(text + len, sizeof text - (size_t)len, ":%" PRId64 "%s",
                            entries[c].index, label && label[0] ? ":" : "");
            p = put_element(p, text, (size_t)len, label ? label : "", label ? strlen(label) : 0);
        }
    }
    out->bytes = (size_t)(p - (unsigned char *)out->data);
cleanup:
    free(entries);
    return st;
}

status_t kserve_wire_output(const request_t *req, const model_config_t *cfg,
                            const kserve_output_prefs_t *prefs, int k, arena_t *arena,
                            kserve_wire_output_t *out, error_t *err)
{
    const tensor_t *t = &req->outputs[k];
    status_t st = kserve_output_check(req, cfg, k, &out->numel, err);

    if (st != STATUS_OK)
        return st;
    if (prefs && prefs->class_count[k] > 0)
        return classify(t, k, cfg->outputs[k].name, cfg->max_batch_size > 0, prefs->class_count[k],
                        prefs->labels, arena, out, err);
    out->dtype = t->dtype;
    out->rank = t->rank;
    memcpy(out->dims, t->dims, sizeof out->dims);
    out->data = t->data;
    out->bytes = tensor_bytes(t);
    return STATUS_OK;
}
