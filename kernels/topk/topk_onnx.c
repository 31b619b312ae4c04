/*
 * ONNX adapters of TopK: opset 1 takes k as an attribute, 10 as input 1
 * (an int64 of one element); 11 added largest and sorted and allowed
 * negative axes (axis defaults to -1 in every version). With sorted = 0
 * the order is left to the implementation: inferd sorts anyway.
 */
#include "topk.h"

static status_t adapt_topk_1(const op_adapt_t *a, void *params, error_t *err)
{
    topk_params_t *p = params;
    status_t st = adapt_int(a, "axis", -1, &p->axis, err);

    if (!st)
        st = adapt_int(a, "k", -1, &p->k, err);
    if (!st && !adapt_has(a, "k"))
        return op_adapt_fail(a, err, "attribute 'k' is missing");
    p->largest = p->sorted = true;
    return st;
}

static status_t adapt_topk_10(const op_adapt_t *a, void *params, error_t *err)
{
    topk_params_t *p = params;

    p->k = -1;
    p->largest = p->sorted = true;
    return adapt_int(a, "axis", -1, &p->axis, err);
}

static status_t adapt_topk_11(const op_adapt_t *a, void *params, error_t *err)
{
    topk_params_t *p = params;
    int64_t largest = 1, sorted = 1;
    status_t st = adapt_topk_10(a, params, err);

    if (!st)
        st = adapt_int(a, "largest", 1, &largest, err);
    if (!st)
        st = adapt_int(a, "sorted", 1, &sorted, err);
    p->largest = largest != 0;
    p->sorted = sorted != 0;
    return st;
}

const op_schema_t op_schemas_topk[] = {
    {"TopK", 1, 9, adapt_topk_1, &topk_kernel},
    {"TopK", 10, 10, adapt_topk_10, &topk_input_kernel},
    {"TopK", 11, OPSET_MAX, adapt_topk_11, &topk_input_kernel},
    {0},
};
