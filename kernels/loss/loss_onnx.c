/*
 * ONNX adapters: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss 12,
 * 13 (which only added bfloat16). reduction is none, sum or mean (the
 * default); ignore_index is optional and may be any integer.
 */
#include "loss.h"

#include <string.h>

static status_t adapt_loss(const op_adapt_t *a, void *params, error_t *err)
{
    loss_params_t *p = params;
    const char *reduction;
    status_t st = adapt_string(a, "reduction", "mean", &reduction, err);

    if (st == STATUS_OK)
        st = adapt_int(a, "ignore_index", 0, &p->ignore_index, err);
    if (st != STATUS_OK)
        return st;
    p->has_ignore_index = adapt_has(a, "ignore_index");
    if (strcmp(reduction, "none") == 0)
        p->reduction = LOSS_NONE;
    else if (strcmp(reduction, "sum") == 0)
        p->reduction = LOSS_SUM;
    else if (strcmp(reduction, "mean") == 0)
        p->reduction = LOSS_MEAN;
    else
        return op_adapt_fail(a, err, "reduction '%s' is not none, sum or mean", reduction);
    return STATUS_OK;
}

const op_schema_t op_schemas_loss[] = {
    {"NegativeLogLikelihoodLoss", 12, 12, adapt_loss, &nll_loss_kernel},
    {"NegativeLogLikelihoodLoss", 13, OPSET_MAX, adapt_loss, &nll_loss_kernel},
    {"SoftmaxCrossEntropyLoss", 12, 12, adapt_loss, &softmax_cross_entropy_kernel},
    {"SoftmaxCrossEntropyLoss", 13, OPSET_MAX, adapt_loss, &softmax_cross_entropy_kernel},
    {0},
};
