/*
 * ONNX adapters of the Lp ops:
 *   LpPool           1 (p a float), 2 (p an int), 11 (auto_pad and pads
 *                    clarified; same attributes), 18 (ceil_mode, dilations)
 *   GlobalLpPool     1 (p a float), 2 (p an int)
 *   LpNormalization  1 (axis, p 1 or 2)
 */
#include "lp.h"

/* Reads p as a float (opset 1) or an int (2 on); it must be positive. */
static status_t read_p(const op_adapt_t *a, bool as_float, lp_params_t *p, error_t *err)
{
    status_t st;

    if (as_float) {
        float v;
        st = adapt_float(a, "p", 2.0f, &v, err);
        p->p = v;
    } else {
        int64_t v;
        st = adapt_int(a, "p", 2, &v, err);
        p->p = (double)v;
    }
    if (st != STATUS_OK)
        return st;
    if (!(p->p > 0) || p->p > 1e6)
        return op_adapt_fail(a, err, "p = %g must be positive", p->p);
    return STATUS_OK;
}

static status_t read_window(const op_adapt_t *a, pool_params_t *w, bool v18, error_t *err)
{
    status_t st;
    int64_t ceil_mode = 0;

    w->n_dilations = -1;
    if ((st = window_adapt_auto_pad(a, &w->auto_pad, err)) ||
        (st = adapt_ints(a, "kernel_shape", WINDOW_MAX_ATTR_DIMS, w->kernel_shape,
                         &w->n_kernel_shape, err)) ||
        (st = adapt_ints(a, "strides", WINDOW_MAX_ATTR_DIMS, w->strides, &w->n_strides, err)) ||
        (st = adapt_ints(a, "pads", 2 * WINDOW_MAX_ATTR_DIMS, w->pads, &w->n_pads, err)))
        return st;
    if (v18 && ((st = adapt_int(a, "ceil_mode", 0, &ceil_mode, err)) ||
                (st = adapt_ints(a, "dilations", WINDOW_MAX_ATTR_DIMS, w->dilations,
                                 &w->n_dilations, err))))
        return st;
    if (ceil_mode != 0 && ceil_mode != 1)
        return op_adapt_fail(a, err, "ceil_mode %lld must be 0 or 1", (long long)ceil_mode);
    w->ceil_mode = ceil_mode == 1;
    if (w->n_kernel_shape < 0)
        return op_adapt_fail(a, err, "attribute 'kernel_shape' is required");
    return STATUS_OK;
}

static status_t adapt_lp_pool_1(const op_adapt_t *a, void *params, error_t *err)
{
    lp_params_t *p = params;
    status_t st = read_window(a, &p->pool, false, err);

    return st != STATUS_OK ? st : read_p(a, true, p, err);
}

static status_t adapt_lp_pool_2(const op_adapt_t *a, void *params, error_t *err)
{
    lp_params_t *p = params;
    status_t st = read_window(a, &p->pool, false, err);

    return st != STATUS_OK ? st : read_p(a, false, p, err);
}

static status_t adapt_lp_pool_18(const op_adapt_t *a, void *params, error_t *err)
{
    lp_params_t *p = params;
    status_t st = read_window(a, &p->pool, true, err);

    return st != STATUS_OK ? st : read_p(a, false, p, err);
}

static status_t adapt_global_lp_pool_1(const op_adapt_t *a, void *params, error_t *err)
{
    return read_p(a, true, params, err);
}

static status_t adapt_global_lp_pool_2(const op_adapt_t *a, void *params, error_t *err)
{
    return read_p(a, false, params, err);
}

static status_t adapt_lp_normalization(const op_adapt_t *a, void *params, error_t *err)
{
    lp_params_t *p = params;
    int64_t v;
    status_t st = adapt_int(a, "axis", -1, &p->axis, err);

    if (st == STATUS_OK)
        st = adapt_int(a, "p", 2, &v, err);
    if (st != STATUS_OK)
        return st;
    if (v != 1 && v != 2)
        return op_adapt_fail(a, err, "p = %lld must be 1 or 2", (long long)v);
    p->p = (double)v;
    return STATUS_OK;
}

const op_schema_t op_schemas_lp[] = {
    {"LpPool", 1, 1, adapt_lp_pool_1, &lp_pool_kernel},
    {"LpPool", 2, 10, adapt_lp_pool_2, &lp_pool_kernel},
    {"LpPool", 11, 17, adapt_lp_pool_2, &lp_pool_kernel},
    {"LpPool", 18, OPSET_MAX, adapt_lp_pool_18, &lp_pool_kernel},
    {"GlobalLpPool", 1, 1, adapt_global_lp_pool_1, &global_lp_pool_kernel},
    {"GlobalLpPool", 2, OPSET_MAX, adapt_global_lp_pool_2, &global_lp_pool_kernel},
    {"LpNormalization", 1, OPSET_MAX, adapt_lp_normalization, &lp_normalization_kernel},
    {0},
};
