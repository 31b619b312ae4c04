/* ONNX adapter of EyeLike (opset 9): k and the optional dtype. */
#include "eyelike.h"

static status_t adapt_eyelike(const op_adapt_t *a, void *params, error_t *err)
{
    eyelike_params_t *p = params;
    int64_t dtype;
    status_t st = adapt_int(a, "k", 0, &p->k, err);

    if (st != STATUS_OK)
        return st;
    if ((st = adapt_int(a, "dtype", DTYPE_UNDEFINED, &dtype, err)) != STATUS_OK)
        return st;
    if (dtype < DTYPE_UNDEFINED || dtype > DTYPE_MAX)
        return op_adapt_fail(a, err, "attribute 'dtype' %lld is not an ONNX tensor type",
                             (long long)dtype);
    p->dtype = (dtype_t)dtype;
    return STATUS_OK;
}

const op_schema_t op_schemas_eyelike[] = {
    {"EyeLike", 9, OPSET_MAX, adapt_eyelike, &eyelike_kernel},
    {0},
};
