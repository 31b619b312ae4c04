/* ONNX adapters: Identity (all opsets) and Dropout (attribute forms before 12, inputs after). */
#include "identity.h"

static status_t adapt_dropout(const op_adapt_t *a, void *params, error_t *err)
{
    dropout_params_t *p = params;
    int64_t seed = 0;
    status_t st = adapt_float(a, "ratio", 0.5f, &p->ratio, err);

    p->legacy_mask = a->opset < 10;
    p->seeded = adapt_has(a, "seed");
    if (!st)
        st = adapt_int(a, "seed", 0, &seed, err);
    p->seed = (float)seed;
    return st;
}

const op_schema_t op_schemas_identity[] = {
    /* Identity-19 and -21 add only float8 and 4-bit types, which import refuses. */
    {"Identity", 1, 18, NULL, &identity_kernel},
    {"Identity", 19, 20, NULL, &identity_kernel},
    {"Identity", 21, OPSET_MAX, NULL, &identity_kernel},
    {"Dropout", 1, OPSET_MAX, adapt_dropout, &dropout_kernel},
    {0},
};
