#include "random.h"

#include "half.h"

/* float16 and bfloat16 are drawn as doubles and rounded once, as float is. */
#define RANDOM_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE) | DTYPES_HALF)

static const op_info_t random_info = {
    .min_inputs = 0,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

static const op_info_t bernoulli_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {RANDOM_REALS},
    .layout = "any",
};

static const op_info_t multinomial_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {RANDOM_REALS},
    .layout = "any",
};

static status_t random_infer(op_call_t *call, error_t *err)
{
    const random_params_t *p = call->params;
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];

    if (p->like) {
        const tensor_t *x = call->inputs[0];
        if (call->n_inputs < 1 || !x)
            return op_call_fail(call, err, "needs an input to take the shape of");
        *y = *x;
        y->data = NULL;
        y->dtype = p->dtype != DTYPE_UNDEFINED ? p->dtype : x->dtype;
        if (!dtype_in(y->dtype, RANDOM_REALS))
            return op_call_fail(call, err, "output dtype %s is not float or double",
                                dtype_name(y->dtype));
        return STATUS_OK;
    }
    if (call->n_inputs > 0)
        return op_call_fail(call, err, "takes no inputs, got %d", call->n_inputs);
    y->dtype = p->dtype;
    y->rank = p->rank;
    for (int d = 0; d < p->rank; d++)
        y->dims[d] = p->shape[d];
    if (!shape_valid(y->rank, y->dims, NULL))
        return op_call_fail(call, err, "shape %s is not a valid tensor shape",
                            shape_format(y->rank, y->dims, buf, sizeof buf));
    return STATUS_OK;
}

static status_t bernoulli_infer(op_call_t *call, error_t *err)
{
    const random_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];

    (void)err;
    *y = *x;
    y->data = NULL;
    y->dtype = p->dtype != DTYPE_UNDEFINED ? p->dtype : x->dtype;
    return STATUS_OK;
}

static status_t multinomial_infer(op_call_t *call, error_t *err)
{
    const random_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char buf[SHAPE_TEXT_MAX];

    if (x->rank != 2 || (x->dims[1] == 0 && x->dims[0] > 0 && p->sample_size > 0))
        return op_call_fail(call, err, "input must be [batch, classes] with classes >= 1, got %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    y->dtype = p->dtype;
    y->rank = 2;
    y->dims[0] = x->dims[0];
    y->dims[1] = p->sample_size;
    if (!shape_valid(2, y->dims, NULL))
        return op_call_fail(call, err, "output shape %s is too large",
                            shape_format(2, y->dims, buf, sizeof buf));
    call->workspace_size = (size_t)x->dims[1] * sizeof(double);
    return STATUS_OK;
}

const op_kernel_t random_kernel = {
    .name = "Random",
    .info = &random_info,
    .params_size = sizeof(random_params_t),
    .random = true,
    .infer = random_infer,
    .run = random_run,
};

const op_kernel_t bernoulli_kernel = {
    .name = "Bernoulli",
    .info = &bernoulli_info,
    .params_size = sizeof(random_params_t),
    .random = true,
    .infer = bernoulli_infer,
    .run = bernoulli_run,
};

const op_kernel_t multinomial_kernel = {
    .name = "Multinomial",
    .info = &multinomial_info,
    .params_size = sizeof(random_params_t),
    .random = true,
    .infer = multinomial_infer,
    .run = multinomial_run,
};
