/*
 * ONNX adapters: MaxPool, AveragePool, GlobalMaxPool, GlobalAveragePool.
 * Later opsets only add attributes (storage_order at 8, ceil_mode and
 * dilations at 10; AveragePool's dilations at 19) with defaults that keep
 * the older meaning. MaxPool reads them all in one entry; AveragePool reads
 * dilations only from 19, where the attribute exists.
 */
#include "pool.h"

/* Reads a 0/1 attribute. */
static status_t adapt_flag(const op_adapt_t *a, const char *name, bool *out, error_t *err)
{
    int64_t v;
    status_t st = adapt_int(a, name, 0, &v, err);

    if (st)
        return st;
    if (v != 0 && v != 1)
        return op_adapt_fail(a, err, "attribute '%s' = %lld must be 0 or 1", name, (long long)v);
    *out = v == 1;
    return STATUS_OK;
}

static status_t adapt_window(const op_adapt_t *a, pool_params_t *p, error_t *err)
{
    status_t st;

    if ((st = window_adapt_auto_pad(a, &p->auto_pad, err)) ||
        (st = adapt_flag(a, "ceil_mode", &p->ceil_mode, err)) ||
        (st = adapt_ints(a, "kernel_shape", WINDOW_MAX_ATTR_DIMS, p->kernel_shape,
                         &p->n_kernel_shape, err)) ||
        (st = adapt_ints(a, "strides", WINDOW_MAX_ATTR_DIMS, p->strides, &p->n_strides, err)) ||
        (st = adapt_ints(a, "pads", 2 * WINDOW_MAX_ATTR_DIMS, p->pads, &p->n_pads, err)))
        return st;
    if (p->n_kernel_shape < 0)
        return op_adapt_fail(a, err, "attribute 'kernel_shape' is required");
    p->n_dilations = -1;
    return STATUS_OK;
}

static status_t adapt_max_pool(const op_adapt_t *a, void *params, error_t *err)
{
    pool_params_t *p = params;
    status_t st;

    if ((st = adapt_window(a, p, err)) ||
        (st = adapt_ints(a, "dilations", WINDOW_MAX_ATTR_DIMS, p->dilations, &p->n_dilations,
                         err)) ||
        (st = adapt_flag(a, "storage_order", &p->column_major, err)))
        return st;
    return STATUS_OK;
}

static status_t adapt_average_pool(const op_adapt_t *a, void *params, error_t *err)
{
    pool_params_t *p = params;
    status_t st;

    if ((st = adapt_window(a, p, err)) ||
        (st = adapt_flag(a, "count_include_pad", &p->count_include_pad, err)))
        return st;
    return STATUS_OK;
}

static status_t adapt_average_pool_dilated(const op_adapt_t *a, void *params, error_t *err)
{
    pool_params_t *p = params;
    status_t st = adapt_average_pool(a, params, err);

    if (st != STATUS_OK)
        return st;
    return adapt_ints(a, "dilations", WINDOW_MAX_ATTR_DIMS, p->dilations, &p->n_dilations, err);
}

const op_schema_t op_schemas_pool[] = {
    {"MaxPool", 1, OPSET_MAX, adapt_max_pool, &max_pool_kernel},
    {"AveragePool", 1, 18, adapt_average_pool, &average_pool_kernel},
    {"AveragePool", 19, OPSET_MAX, adapt_average_pool_dilated, &average_pool_kernel},
    {"GlobalMaxPool", 1, OPSET_MAX, NULL, &global_max_pool_kernel},
    {"GlobalAveragePool", 1, OPSET_MAX, NULL, &global_average_pool_kernel},
    {0},
};
