/*
 * ONNX adapters of Compress: the optional axis attribute (absent: the
 * input is flattened); opset 11 allowed a negative axis.
 */
#include "compress.h"

static status_t adapt_compress(const op_adapt_t *a, void *params, bool negative_axis, error_t *err)
{
    compress_params_t *p = params;

    p->has_axis = adapt_has(a, "axis");
    p->negative_axis = negative_axis;
    return adapt_int(a, "axis", 0, &p->axis, err);
}

static status_t adapt_compress_9(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_compress(a, params, false, err);
}

static status_t adapt_compress_11(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_compress(a, params, true, err);
}

const op_schema_t op_schemas_compress[] = {
    {"Compress", 9, 10, adapt_compress_9, &compress_kernel},
    {"Compress", 11, OPSET_MAX, adapt_compress_11, &compress_kernel},
    {0},
};
