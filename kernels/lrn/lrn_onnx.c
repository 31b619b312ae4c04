/* ONNX adapter: LRN 1, 13 (bfloat16 only). size is required. */
#include "lrn.h"

/* A window wider than this covers more channels than any tensor has. */
#define LRN_MAX_SIZE (INT64_C(1) << 32)

static status_t adapt_lrn(const op_adapt_t *a, void *params, error_t *err)
{
    lrn_params_t *p = params;
    status_t st = adapt_float(a, "alpha", 0.0001f, &p->alpha, err);

    if (st == STATUS_OK)
        st = adapt_float(a, "beta", 0.75f, &p->beta, err);
    if (st == STATUS_OK)
        st = adapt_float(a, "bias", 1.0f, &p->bias, err);
    if (st == STATUS_OK)
        st = adapt_int(a, "size", 0, &p->size, err);
    if (st != STATUS_OK)
        return st;
    if (!adapt_has(a, "size"))
        return op_adapt_fail(a, err, "attribute 'size' is required");
    if (p->size < 1 || p->size > LRN_MAX_SIZE)
        return op_adapt_fail(a, err, "size %lld is outside [1, %lld]", (long long)p->size,
                             (long long)LRN_MAX_SIZE);
    return STATUS_OK;
}

const op_schema_t op_schemas_lrn[] = {
    {"LRN", 1, 12, adapt_lrn, &lrn_kernel},
    {"LRN", 13, OPSET_MAX, adapt_lrn, &lrn_kernel},
    {0},
};
