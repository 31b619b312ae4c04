#include "unary.h"

#include <assert.h>

static status_t unary_apply(op_call_t *call, unary_op_t op)
{
    const tensor_t *x = call->inputs[0];
    unary_fn f = unary_function(op, x->dtype);

    assert(f != NULL); /* the info table admits only dtypes with a function */
    f(x->data, call->outputs[0].data, tensor_numel(x), call->params);
    return STATUS_OK;
}

#define UNARY_RUN(name, op)                                                                        \
    status_t unary_##name##_run(op_call_t *call, error_t *err)                                     \
    {                                                                                              \
        return unary_apply(call, op);                                                              \
    }

UNARY_RUN(relu, UNARY_RELU)
UNARY_RUN(leaky_relu, UNARY_LEAKY_RELU)
UNARY_RUN(sigmoid, UNARY_SIGMOID)
UNARY_RUN(hard_sigmoid, UNARY_HARD_SIGMOID)
UNARY_RUN(hard_swish, UNARY_HARD_SWISH)
UNARY_RUN(tanh, UNARY_TANH)
UNARY_RUN(erf, UNARY_ERF)
UNARY_RUN(exp, UNARY_EXP)
UNARY_RUN(log, UNARY_LOG)
UNARY_RUN(sqrt, UNARY_SQRT)
UNARY_RUN(abs, UNARY_ABS)
UNARY_RUN(neg, UNARY_NEG)
UNARY_RUN(reciprocal, UNARY_RECIPROCAL)
UNARY_RUN(floor, UNARY_FLOOR)
UNARY_RUN(ceil, UNARY_CEIL)
UNARY_RUN(cos, UNARY_COS)
UNARY_RUN(sin, UNARY_SIN)
UNARY_RUN(tan, UNARY_TAN)
UNARY_RUN(acos, UNARY_ACOS)
UNARY_RUN(asin, UNARY_ASIN)
UNARY_RUN(atan, UNARY_ATAN)
UNARY_RUN(cosh, UNARY_COSH)
UNARY_RUN(sinh, UNARY_SINH)
UNARY_RUN(acosh, UNARY_ACOSH)
UNARY_RUN(asinh, UNARY_ASINH)
UNARY_RUN(atanh, UNARY_ATANH)
UNARY_RUN(round, UNARY_ROUND)
UNARY_RUN(sign, UNARY_SIGN)
UNARY_RUN(is_inf, UNARY_IS_INF)
UNARY_RUN(is_nan, UNARY_IS_NAN)
UNARY_RUN(elu, UNARY_ELU)
UNARY_RUN(selu, UNARY_SELU)
UNARY_RUN(celu, UNARY_CELU)
UNARY_RUN(softplus, UNARY_SOFTPLUS)
UNARY_RUN(softsign, UNARY_SOFTSIGN)
UNARY_RUN(thresholded_relu, UNARY_THRESHOLDED_RELU)
UNARY_RUN(shrink, UNARY_SHRINK)
UNARY_RUN(mish, UNARY_MISH)
UNARY_RUN(bitwise_not, UNARY_BITWISE_NOT)

status_t unary_clip_run(op_call_t *call, error_t *err)
{
    const clip_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    const void *lo = NULL, *hi = NULL;
    const double lo_f64 = p->min, hi_f64 = p->max; /* opset < 11 attributes on double input */

    if (p->from_attrs) {
        lo = x->dtype == DTYPE_DOUBLE ? (const void *)&lo_f64 : &p->min;
        hi = x->dtype == DTYPE_DOUBLE ? (const void *)&hi_f64 : &p->max;
    } else {
        if (call->n_inputs > 1 && call->inputs[1])
            lo = call->inputs[1]->data;
        if (call->n_inputs > 2 && call->inputs[2])
            hi = call->inputs[2]->data;
    }
    unary_clip(x->dtype, x->data, call->outputs[0].data, tensor_numel(x), lo, hi);
    return STATUS_OK;
}
