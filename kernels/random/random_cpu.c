/*
 * random_cpu.c - the random ops' runs. Values are drawn in double and
 * converted to the output dtype in blocks.
 */
#include "random.h"

#include <assert.h>
#include <math.h>

#include "cast/cast.h"

/* Doubles drawn before each conversion to the output dtype. */
#define RANDOM_BLOCK 256

static double input_value(const tensor_t *t, int64_t i)
{
    return t->dtype == DTYPE_FLOAT ? (double)((const float *)t->data)[i]
                                   : ((const double *)t->data)[i];
}

status_t random_run(op_call_t *call, error_t *err)
{
    const random_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];
    const int64_t n = tensor_numel(y);
    const size_t esize = dtype_size(y->dtype);
    cast_fn convert = cast_function(DTYPE_DOUBLE, y->dtype);
    double block[RANDOM_BLOCK];
    random_stream_t s;

    (void)err;
    assert(convert);
    random_stream_init(&s, p->seeded, p->seed);
    for (int64_t at = 0; at < n; at += RANDOM_BLOCK) {
        const int64_t len = n - at < RANDOM_BLOCK ? n - at : RANDOM_BLOCK;
        for (int64_t i = 0; i < len; i++)
            block[i] = p->kind == RANDOM_UNIFORM ? p->a + (p->b - p->a) * random_uniform(&s)
                                                 : p->a + p->b * random_normal(&s);
        convert(block, (char *)y->data + (size_t)at * esize, len);
    }
    return STATUS_OK;
}

status_t bernoulli_run(op_call_t *call, error_t *err)
{
    const random_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    const int64_t n = tensor_numel(y);
    const size_t esize = dtype_size(y->dtype);
    cast_fn convert = cast_function(DTYPE_DOUBLE, y->dtype);
    double block[RANDOM_BLOCK];
    random_stream_t s;

    (void)err;
    assert(convert);
    random_stream_init(&s, p->seeded, p->seed);
    for (int64_t at = 0; at < n; at += RANDOM_BLOCK) {
        const int64_t len = n - at < RANDOM_BLOCK ? n - at : RANDOM_BLOCK;
        for (int64_t i = 0; i < len; i++)
            block[i] = random_uniform(&s) < input_value(x, at + i) ? 1.0 : 0.0;
        convert(block, (char *)y->data + (size_t)at * esize, len);
    }
    return STATUS_OK;
}

status_t multinomial_run(op_call_t *call, error_t *err)
{
    const random_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    const int64_t batch = x->dims[0], classes = x->dims[1];
    double *cdf = call->workspace;
    random_stream_t s;

    (void)err;
    random_stream_init(&s, p->seeded, p->seed);
    for (int64_t b = 0; b < batch; b++) {
        double max = -INFINITY, total = 0;
        for (int64_t c = 0; c < classes; c++)
            max = fmax(max, input_value(x, b * classes + c));
        for (int64_t c = 0; c < classes; c++) {
            total += isfinite(max) ? exp(input_value(x, b * classes + c) - max) : 1.0;
            cdf[c] = total;
        }
        for (int64_t k = 0; k < p->sample_size; k++) {
            const double u = random_uniform(&s) * total;
            int64_t lo = 0, hi = classes - 1;
            /* The first class whose cumulative weight exceeds u. */
            while (lo < hi) {
                const int64_t mid = lo + (hi - lo) / 2;
                if (cdf[mid] > u)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            if (y->dtype == DTYPE_INT32)
                ((int32_t *)y->data)[b * p->sample_size + k] = (int32_t)lo;
            else
                ((int64_t *)y->data)[b * p->sample_size + k] = lo;
        }
    }
    return STATUS_OK;
}
