/* ONNX adapter of CumSum: exclusive and reverse (version 14 only added float16 and bfloat16). */
#include "cumsum.h"

static status_t read_flag(const op_adapt_t *a, const char *name, bool *out, error_t *err)
{
    int64_t v;
    status_t st = adapt_int(a, name, 0, &v, err);

    if (st != STATUS_OK)
        return st;
    if (v != 0 && v != 1)
        return op_adapt_fail(a, err, "attribute '%s' must be 0 or 1, got %lld", name, (long long)v);
    *out = v != 0;
    return STATUS_OK;
}

static status_t adapt_cumsum(const op_adapt_t *a, void *params, error_t *err)
{
    cumsum_params_t *p = params;
    status_t st = read_flag(a, "exclusive", &p->exclusive, err);

    if (st != STATUS_OK)
        return st;
    return read_flag(a, "reverse", &p->reverse, err);
}

const op_schema_t op_schemas_cumsum[] = {
    {"CumSum", 11, 13, adapt_cumsum, &cumsum_kernel},
    {"CumSum", 14, OPSET_MAX, adapt_cumsum, &cumsum_kernel},
    {0},
};
