#include "topk.h"

#include "sort.h"

static const op_info_t topk_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 2,
    .max_outputs = 2,
    .input_dtypes = {DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "any",
};

static const op_info_t topk_input_info = {
    .min_inputs = 2,
    .max_inputs = 2,
    .min_outputs = 2,
    .max_outputs = 2,
    .input_dtypes = {DTYPES_NUMERIC | DTYPE_BIT(DTYPE_DOUBLE), DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

/* The k the call asks for: the attribute, or input 1's one value. */
static status_t topk_k(const op_call_t *call, int64_t *k, error_t *err)
{
    const topk_params_t *p = call->params;
    const tensor_t *kt = call->n_inputs > 1 ? call->inputs[1] : NULL;
    char text[SHAPE_TEXT_MAX];

    if (!kt) {
        *k = p->k;
        return STATUS_OK;
    }
    if (tensor_numel(kt) != 1 || kt->rank > 1)
        return op_call_fail(call, err, "input 'K' must hold one value, got shape %s",
                            shape_format(kt->rank, kt->dims, text, sizeof text));
    *k = *(const int64_t *)kt->data;
    return STATUS_OK;
}

static status_t topk_infer(op_call_t *call, error_t *err)
{
    const topk_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    char text[SHAPE_TEXT_MAX];
    int64_t k = 0;
    int axis;
    status_t st = topk_k(call, &k, err);

    if (st)
        return st;
    if (!axis_normalize(p->axis, x->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for input of shape %s",
                            (long long)p->axis, shape_format(x->rank, x->dims, text, sizeof text));
    if (k < 0 || k > x->dims[axis])
        return op_call_fail(call, err, "k is %lld, outside [0, %lld] for input of shape %s",
                            (long long)k, (long long)x->dims[axis],
                            shape_format(x->rank, x->dims, text, sizeof text));
    if (!sort_elem_cmp(x->dtype))
        return op_call_fail(call, err, "input has dtype %s, which TopK cannot order",
                            dtype_name(x->dtype));
    call->outputs[0] = *x;
    call->outputs[0].data = NULL;
    call->outputs[0].dims[axis] = k;
    call->outputs[1] = call->outputs[0];
    call->outputs[1].dtype = DTYPE_INT64;
    /* One slice's indices and the merge sort's second buffer. */
    call->workspace_size = 2 * (size_t)x->dims[axis] * sizeof(int64_t);
    return STATUS_OK;
}

const op_kernel_t topk_kernel = {
    .name = "TopK",
    .info = &topk_info,
    .params_size = sizeof(topk_params_t),
    .infer = topk_infer,
    .run = topk_run,
};

const op_kernel_t topk_input_kernel = {
    .name = "TopK",
    .info = &topk_input_info,
    .params_size = sizeof(topk_params_t),
    .value_inputs = 1u << 1,
    .infer = topk_infer,
    .run = topk_run,
};
