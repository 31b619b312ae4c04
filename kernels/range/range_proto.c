#include "range.h"

#include <math.h>

#define RANGE_DTYPES                                                                               \
    (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE) | DTYPE_BIT(DTYPE_INT16) | DTYPE_BIT(DTYPE_INT32) |    \
     DTYPE_BIT(DTYPE_INT64))

static const op_info_t range_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {RANGE_DTYPES, RANGE_DTYPES, RANGE_DTYPES},
    .layout = "any",
};

static const char *const range_input_names[] = {"start", "limit", "delta"};

static int64_t range_read_int(const tensor_t *t)
{
    switch (t->dtype) {
    case DTYPE_INT16:
        return *(const int16_t *)t->data;
    case DTYPE_INT32:
        return *(const int32_t *)t->data;
    default:
        return *(const int64_t *)t->data;
    }
}

/* ceil((limit - start) / delta), at least 0, without overflowing int64 on the way. */
static uint64_t range_int_count(int64_t start, int64_t limit, int64_t delta)
{
    /* Unsigned arithmetic gives the exact distance and |INT64_MIN|. */
    uint64_t distance, step;

    if ((delta > 0 && limit <= start) || (delta < 0 && limit >= start))
        return 0;
    distance = delta > 0 ? (uint64_t)limit - (uint64_t)start : (uint64_t)start - (uint64_t)limit;
    step = delta > 0 ? (uint64_t)delta : 0 - (uint64_t)delta;
    return distance / step + (distance % step != 0);
}

static status_t range_infer(op_call_t *call, error_t *err)
{
    const tensor_t *start = call->inputs[0];
    const tensor_t *limit = call->inputs[1];
    const tensor_t *delta = call->inputs[2];
    tensor_t *y = &call->outputs[0];
    char text[SHAPE_TEXT_MAX];
    double count;

    for (int i = 0; i < 3; i++) {
        const tensor_t *t = call->inputs[i];
        if (t->dtype != start->dtype)
            return op_call_fail(call, err, "input '%s' has dtype %s, 'start' has %s",
                                range_input_names[i], dtype_name(t->dtype),
                                dtype_name(start->dtype));
        if (tensor_numel(t) != 1 || t->rank > 1)
            return op_call_fail(call, err, "input '%s' must be a scalar, got shape %s",
                                range_input_names[i],
                                shape_format(t->rank, t->dims, text, sizeof text));
    }
    if (start->dtype == DTYPE_FLOAT || start->dtype == DTYPE_DOUBLE) {
        const bool f32 = start->dtype == DTYPE_FLOAT;
        double s = f32 ? *(const float *)start->data : *(const double *)start->data;
        double l = f32 ? *(const float *)limit->data : *(const double *)limit->data;
        double d = f32 ? *(const float *)delta->data : *(const double *)delta->data;
        if (!isfinite(s) || !isfinite(l) || !isfinite(d) || d == 0.0)
            return op_call_fail(call, err, "start %g, limit %g, delta %g do not make a range", s, l,
                                d);
        count = ceil((l - s) / d);
    } else {
        int64_t d = range_read_int(delta);
        if (d == 0)
            return op_call_fail(call, err, "delta is 0");
        count = (double)range_int_count(range_read_int(start), range_read_int(limit), d);
    }
    if (count > (double)TENSOR_MAX_ELEMENTS)
        return op_call_fail(call, err, "the range has more than %lld elements",
                            (long long)TENSOR_MAX_ELEMENTS);
    y->dtype = start->dtype;
    y->rank = 1;
    y->dims[0] = count > 0 ? (int64_t)count : 0;
    return STATUS_OK;
}

const op_kernel_t range_kernel = {
    .name = "Range",
    .info = &range_info,
    .value_inputs = (1u << 0) | (1u << 1) | (1u << 2),
    .infer = range_infer,
    .run = range_run,
};
