/*
 * ONNX adapters: BatchNormalization (is_test/spatial/consumed_inputs before
 * 9, training_mode and momentum from 14), InstanceNormalization, LayerNormalization (17),
 * GroupNormalization (18: scale and bias per group; 21: per channel, and
 * stash_type).
 */
#include "norm.h"

static status_t adapt_batchnorm(const op_adapt_t *a, void *params, error_t *err)
{
    batchnorm_params_t *p = params;
    int64_t spatial, training_mode;
    status_t st;

    if ((st = adapt_float(a, "epsilon", 1e-5f, &p->epsilon, err)) != STATUS_OK ||
        (st = adapt_int(a, "spatial", 1, &spatial, err)) != STATUS_OK ||
        (st = adapt_int(a, "training_mode", 0, &training_mode, err)) != STATUS_OK)
        return st;
    if (!(p->epsilon >= 0.0f))
        return op_adapt_fail(a, err, "attribute 'epsilon' must be non-negative, got %g",
                             p->epsilon);
    if (spatial != 0 && spatial != 1)
        return op_adapt_fail(a, err, "attribute 'spatial' must be 0 or 1, got %lld",
                             (long long)spatial);
    if (training_mode != 0 && training_mode != 1)
        return op_adapt_fail(a, err, "attribute 'training_mode' must be 0 or 1, got %lld",
                             (long long)training_mode);
    p->training = training_mode == 1;
    if ((st = adapt_float(a, "momentum", 0.9f, &p->momentum, err)) != STATUS_OK)
        return st;
    /*
     * Before opset 14 the outputs past Y are the old training form (saved
     * mean and inverse variance besides the running ones), which inferd
     * does not produce. Before opset 7 is_test=0 nominally selects training
     * too, but with Y alone the running statistics given as inputs are all
     * an inference server can use.
     */
    if (a->n_outputs > (p->training ? 3 : 1))
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "%d outputs requested: inferd produces Y, plus the running mean and "
                       "variance with training_mode=1 (opset 14+); the older training outputs "
                       "are not supported",
                       a->n_outputs);
    p->per_element = a->opset < 9 && spatial == 0;
    return STATUS_OK;
}

static status_t adapt_instancenorm(const op_adapt_t *a, void *params, error_t *err)
{
    instancenorm_params_t *p = params;
    status_t st = adapt_float(a, "epsilon", 1e-5f, &p->epsilon, err);

    if (st == STATUS_OK && !(p->epsilon >= 0.0f))
        return op_adapt_fail(a, err, "attribute 'epsilon' must be non-negative, got %g",
                             p->epsilon);
    return st;
}

static status_t adapt_layernorm(const op_adapt_t *a, void *params, error_t *err)
{
    layernorm_params_t *p = params;
    int64_t stash_type;
    status_t st;

    if ((st = adapt_int(a, "axis", -1, &p->axis, err)) != STATUS_OK ||
        (st = adapt_float(a, "epsilon", 1e-5f, &p->epsilon, err)) != STATUS_OK ||
        (st = adapt_int(a, "stash_type", DTYPE_FLOAT, &stash_type, err)) != STATUS_OK)
        return st;
    if (!(p->epsilon >= 0.0f))
        return op_adapt_fail(a, err, "attribute 'epsilon' must be non-negative, got %g",
                             p->epsilon);
    if (stash_type != DTYPE_FLOAT)
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "stash_type %lld is not supported (only 1, float)", (long long)stash_type);
    return STATUS_OK;
}

static status_t adapt_groupnorm(const op_adapt_t *a, void *params, error_t *err)
{
    groupnorm_params_t *p = params;
    int64_t stash_type;
    status_t st;

    if (!adapt_has(a, "num_groups"))
        return op_adapt_fail(a, err, "attribute 'num_groups' is required");
    if ((st = adapt_float(a, "epsilon", 1e-5f, &p->epsilon, err)) != STATUS_OK ||
        (st = adapt_int(a, "num_groups", 0, &p->num_groups, err)) != STATUS_OK ||
        (st = adapt_int(a, "stash_type", DTYPE_FLOAT, &stash_type, err)) != STATUS_OK)
        return st;
    if (!(p->epsilon >= 0.0f))
        return op_adapt_fail(a, err, "attribute 'epsilon' must be non-negative, got %g",
                             p->epsilon);
    if (p->num_groups < 1)
        return op_adapt_fail(a, err, "attribute 'num_groups' must be positive, got %lld",
                             (long long)p->num_groups);
    /*
     * Opset 18 has no stash_type (stage one runs in T); from 21 it names
     * stage one's precision: float, or double (which only double X honours
     * beyond float: float X keeps its float kernel, whose moments are double).
     */
    if (stash_type != DTYPE_FLOAT && stash_type != DTYPE_DOUBLE)
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "stash_type %lld is not supported (1, float, or 11, double)",
                       (long long)stash_type);
    p->per_channel = a->opset >= 21;
    p->stash_float = a->opset >= 21 && stash_type == DTYPE_FLOAT;
    return STATUS_OK;
}

const op_schema_t op_schemas_norm[] = {
    {"BatchNormalization", 1, OPSET_MAX, adapt_batchnorm, &batchnorm_kernel},
    {"InstanceNormalization", 1, OPSET_MAX, adapt_instancenorm, &instancenorm_kernel},
    {"LayerNormalization", 17, OPSET_MAX, adapt_layernorm, &layernorm_kernel},
    {"GroupNormalization", 18, 20, adapt_groupnorm, &groupnorm_kernel},
    {"GroupNormalization", 21, OPSET_MAX, adapt_groupnorm, &groupnorm_kernel},
    {0},
};
