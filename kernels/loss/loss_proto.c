#include "loss.h"

#define LOSS_REALS (DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE))

static const op_info_t nll_loss_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {LOSS_REALS, DTYPES_INDEX, LOSS_REALS},
    .layout = "any",
};

static const op_info_t softmax_cross_entropy_info = {
    .min_inputs = 2,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 2,
    .input_dtypes = {LOSS_REALS, DTYPES_INDEX, LOSS_REALS},
    .layout = "any",
};

/* Checks the shapes both losses share and sets output 0. */
static status_t loss_infer_common(op_call_t *call, error_t *err)
{
    const loss_params_t *p = call->params;
    const tensor_t *x = call->inputs[0], *target = call->inputs[1];
    const tensor_t *weight = call->n_inputs > 2 ? call->inputs[2] : NULL;
    tensor_t *y = &call->outputs[0];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    bool match = x->rank >= 2 && target->rank == x->rank - 1 && target->dims[0] == x->dims[0];

    for (int d = 2; match && d < x->rank; d++)
        match = target->dims[d - 1] == x->dims[d];
    if (!match)
        return op_call_fail(call, err,
                            "target %s must be [N, d1, ...] for input %s of [N, C, d1, ...]",
                            shape_format(target->rank, target->dims, a, sizeof a),
                            shape_format(x->rank, x->dims, b, sizeof b));
    if (weight && (weight->rank != 1 || weight->dims[0] != x->dims[1] || weight->dtype != x->dtype))
        return op_call_fail(call, err,
                            "weight %s (%s) must be [C] = [%lld] of the input's dtype %s",
                            shape_format(weight->rank, weight->dims, a, sizeof a),
                            dtype_name(weight->dtype), (long long)x->dims[1], dtype_name(x->dtype));
    y->dtype = x->dtype;
    y->rank = 0;
    if (p->reduction == LOSS_NONE) {
        y->rank = target->rank;
        for (int d = 0; d < target->rank; d++)
            y->dims[d] = target->dims[d];
    }
    return STATUS_OK;
}

static status_t nll_loss_infer(op_call_t *call, error_t *err)
{
    return loss_infer_common(call, err);
}

static status_t softmax_cross_entropy_infer(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    status_t st = loss_infer_common(call, err);

    if (st != STATUS_OK)
        return st;
    if (call->n_outputs > 1) {
        call->outputs[1] = *x;
        call->outputs[1].data = NULL;
    } else {
        call->workspace_size = tensor_bytes(x);
    }
    return STATUS_OK;
}

const op_kernel_t nll_loss_kernel = {
    .name = "NegativeLogLikelihoodLoss",
    .info = &nll_loss_info,
    .params_size = sizeof(loss_params_t),
    .infer = nll_loss_infer,
    .run = nll_loss_run,
};

const op_kernel_t softmax_cross_entropy_kernel = {
    .name = "SoftmaxCrossEntropyLoss",
    .info = &softmax_cross_entropy_info,
    .params_size = sizeof(loss_params_t),
    .infer = softmax_cross_entropy_infer,
    .run = softmax_cross_entropy_run,
};
