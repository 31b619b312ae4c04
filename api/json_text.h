/*
 * json_text.h - JSON text written by hand into a growing buffer, with
 * tensors as nested lists. The KServe, TF Serving and MindSpore response
 * writers use it: tensors can hold millions of elements, FP32 and FP64 need
 * different precisions to round-trip, and UINT64 values past INT64_MAX
 * must stay exact, none of which jansson's reals and integers give.
 *
 * After a failed allocation every append is a no-op and json_text_take
 * returns NULL, so writers check once at the end.
 */
#ifndef INFERD_JSON_TEXT_H
#define INFERD_JSON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

typedef struct json_text {
    char *data; /* malloc'd, NUL-terminated once taken */
    size_t len;
    size_t cap;
    bool failed;
} json_text_t;

/* Makes room for extra more bytes at once (a size guess; appends grow it anyway). */
void json_text_reserve(json_text_t *b, size_t extra);

void json_text_append(json_text_t *b, const void *src, size_t n);
void json_text_puts(json_text_t *b, const char *s);

/*
 * Formats one short item (a number): text past JSON_TEXT_ITEM_MAX - 1
 * bytes is cut, which no number reaches.
 */
#define JSON_TEXT_ITEM_MAX 32
void json_text_printf(json_text_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* s[0, n) as a JSON string literal: quotes and escapes; bytes that are not valid UTF-8 become '?'.
 */
void json_text_string_n(json_text_t *b, const char *s, size_t n);

/* The NUL-terminated s as a JSON string literal (json_text_string_n). */
void json_text_string(json_text_t *b, const char *s);

/*
 * Element i of data (dtype t) as a JSON value: integers exactly, FP32 with 9
 * and FP64 with 17 significant digits (both round-trip), halves widened to
 * float, BOOL as true/false; NaN and infinities as NaN, Infinity and
 * -Infinity (what TF Serving writes and Python's json module reads).
 */
void json_text_element(json_text_t *b, dtype_t t, const void *data, int64_t i);

/*
 * The tensor of rank `rank` and dims `dims` whose elements start at data
 * (dtype t), as nested lists; rank 0 is the bare value. The shape must be
 * valid (shape_valid).
 */
void json_text_tensor(json_text_t *b, dtype_t t, const void *data, int rank, const int64_t *dims);

/*
 * The text written (NUL-terminated, malloc'd, the caller frees) and its
 * length in *len (may be NULL); NULL when an allocation failed. b is empty
 * afterwards either way.
 */
char *json_text_take(json_text_t *b, size_t *len);

/* Frees what b holds; b is empty afterwards. */
void json_text_free(json_text_t *b);

#endif
