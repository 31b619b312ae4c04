/* ONNX adapter: MeanVarianceNormalization 9, 13 (bfloat16 only; axes may be negative). */
#include "mvn.h"

static status_t adapt_mvn(const op_adapt_t *a, void *params, error_t *err)
{
    mvn_params_t *p = params;
    status_t st = adapt_ints(a, "axes", TENSOR_MAX_RANK, p->axes, &p->n_axes, err);

    if (st != STATUS_OK)
        return st;
    if (p->n_axes < 0) {
        p->axes[0] = 0;
        p->axes[1] = 2;
        p->axes[2] = 3;
        p->n_axes = 3;
    }
    return STATUS_OK;
}

const op_schema_t op_schemas_mvn[] = {
    {"MeanVarianceNormalization", 9, 12, adapt_mvn, &mvn_kernel},
    {"MeanVarianceNormalization", 13, OPSET_MAX, adapt_mvn, &mvn_kernel},
    {0},
};
