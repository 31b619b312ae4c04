#include "trilu.h"

static const op_info_t trilu_info = {
    .min_inputs = 1,
    .max_inputs = 2,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL, DTYPE_BIT(DTYPE_INT64)},
    .layout = "any",
};

static status_t trilu_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const tensor_t *k = call->n_inputs > 1 ? call->inputs[1] : NULL;
    char buf[SHAPE_TEXT_MAX];

    if (x->rank < 2)
        return op_call_fail(call, err, "input must have rank 2 or more, got shape %s",
                            shape_format(x->rank, x->dims, buf, sizeof buf));
    if (k && (k->rank > 1 || tensor_numel(k) != 1))
        return op_call_fail(call, err, "k must hold one value, got shape %s",
                            shape_format(k->rank, k->dims, buf, sizeof buf));
    return op_infer_same_as_input(call, err);
}

/* Each row is read before it is written, so y may be x. */
const op_kernel_t trilu_kernel = {
    .name = "Trilu",
    .info = &trilu_info,
    .params_size = sizeof(trilu_params_t),
    .infer = trilu_infer,
    .run = trilu_run,
    .inplace_inputs = 1u << 0,
};
