/*
 * window.h - the sliding-window attributes that Conv, ConvTranspose and the
 * pools share: auto_pad, the kernel_shape/strides/dilations/pads lists and
 * the SAME padding of a forward window.
 */
#ifndef INFERD_WINDOW_H
#define INFERD_WINDOW_H

#include "op.h"

/*
 * Attribute lists are read up to the largest rank a tensor may have, so a
 * window over more spatial dims than a kernel computes is reported as
 * unsupported rather than as a bad model.
 */
#define WINDOW_MAX_ATTR_DIMS TENSOR_MAX_RANK

/*
 * Largest stride, dilation, pad or output padding accepted. Real models use
 * single digits; the bound keeps every window product far from overflow.
 */
#define WINDOW_MAX_ATTR (INT64_C(1) << 20)

typedef enum window_auto_pad {
    WINDOW_AUTO_PAD_NOTSET,
    WINDOW_AUTO_PAD_SAME_UPPER,
    WINDOW_AUTO_PAD_SAME_LOWER,
    WINDOW_AUTO_PAD_VALID,
} window_auto_pad_t;

/* Adapter: reads the auto_pad attribute (default NOTSET). */
status_t window_adapt_auto_pad(const op_adapt_t *a, window_auto_pad_t *out, error_t *err);

/*
 * Prototype: an attribute list is absent (count <= 0) or has `expected`
 * values, each in [min, max]; fails naming the attribute and value.
 */
status_t window_check_list(const op_call_t *call, const char *name, int count, int expected,
                           const int64_t *values, int64_t min, int64_t max, error_t *err);

static inline bool window_is_same(window_auto_pad_t mode)
{
    return mode == WINDOW_AUTO_PAD_SAME_UPPER || mode == WINDOW_AUTO_PAD_SAME_LOWER;
}

/*
 * SAME padding of a forward window (extent = (kernel - 1) * dilation + 1)
 * along an axis of size in: the least total that makes the output
 * ceil(in / stride), its odd element at the end for SAME_UPPER and at the
 * start for SAME_LOWER.
 */
void window_same_pads(window_auto_pad_t mode, int64_t in, int64_t stride, int64_t extent,
                      int64_t *pad_begin, int64_t *pad_end);

#endif
