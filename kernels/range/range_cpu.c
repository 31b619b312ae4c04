#include "range.h"

#include <assert.h>

/* Multiplying rather than accumulating keeps float rounding errors from adding up. */
void range_float(float *dst, float start, float delta, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (float)((double)start + (double)i * (double)delta);
}

void range_double(double *dst, double start, double delta, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = start + (double)i * delta;
}

/*
 * Every value lies between start and limit, but i * delta alone may not fit
 * int64 (start near INT64_MIN, limit near INT64_MAX): wrap-around unsigned
 * arithmetic still lands on the right value.
 */
void range_int64(int64_t *dst, int64_t start, int64_t delta, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (int64_t)((uint64_t)start + (uint64_t)i * (uint64_t)delta);
}

/* Computed in int64, where start + i * delta cannot overflow for these narrower types. */
void range_int32(int32_t *dst, int32_t start, int32_t delta, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (int32_t)(start + i * delta);
}

void range_int16(int16_t *dst, int16_t start, int16_t delta, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        dst[i] = (int16_t)(start + i * delta);
}

status_t range_run(op_call_t *call, error_t *err)
{
    const tensor_t *start = call->inputs[0];
    const tensor_t *delta = call->inputs[2];
    tensor_t *y = &call->outputs[0];
    int64_t n = y->dims[0];

    switch (y->dtype) {
    case DTYPE_FLOAT:
        range_float(y->data, *(const float *)start->data, *(const float *)delta->data, n);
        break;
    case DTYPE_DOUBLE:
        range_double(y->data, *(const double *)start->data, *(const double *)delta->data, n);
        break;
    case DTYPE_INT64:
        range_int64(y->data, *(const int64_t *)start->data, *(const int64_t *)delta->data, n);
        break;
    case DTYPE_INT32:
        range_int32(y->data, *(const int32_t *)start->data, *(const int32_t *)delta->data, n);
        break;
    default:
        assert(y->dtype == DTYPE_INT16);
        range_int16(y->data, *(const int16_t *)start->data, *(const int16_t *)delta->data, n);
        break;
    }
    return STATUS_OK;
}
