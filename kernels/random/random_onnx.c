/*
 * ONNX adapters of the random ops: RandomUniform, RandomNormal,
 * RandomUniformLike, RandomNormalLike (opset 1), Multinomial (7),
 * Bernoulli (15). None changed since within opsets 1-21. A float16 or
 * bfloat16 dtype draws doubles rounded once to it.
 */
#include "random.h"

#include "half.h"

static status_t read_dtype(const op_adapt_t *a, int64_t def, uint32_t allowed, dtype_t *out,
                           error_t *err)
{
    int64_t t;
    status_t st = adapt_int(a, "dtype", def, &t, err);

    if (st != STATUS_OK)
        return st;
    if (t == DTYPE_UNDEFINED && def == DTYPE_UNDEFINED) {
        *out = DTYPE_UNDEFINED;
        return STATUS_OK;
    }
    if (t < 1 || t > DTYPE_MAX || !dtype_in((dtype_t)t, allowed))
        return op_adapt_fail(a, err, "dtype %lld is not one this op produces", (long long)t);
    *out = (dtype_t)t;
    return STATUS_OK;
}

static status_t read_seed(const op_adapt_t *a, random_params_t *p, error_t *err)
{
    p->seeded = adapt_has(a, "seed");
    return adapt_float(a, "seed", 0.0f, &p->seed, err);
}

static status_t adapt_random(const op_adapt_t *a, random_params_t *p, random_kind_t kind, bool like,
                             error_t *err)
{
    const bool uniform = kind == RANDOM_UNIFORM;
    const uint32_t reals = DTYPES_FLOAT | DTYPE_BIT(DTYPE_DOUBLE) | DTYPES_HALF;
    status_t st = read_seed(a, p, err);

    p->kind = kind;
    p->like = like;
    if (st == STATUS_OK)
        st = adapt_float(a, uniform ? "low" : "mean", 0.0f, &p->a, err);
    if (st == STATUS_OK)
        st = adapt_float(a, uniform ? "high" : "scale", 1.0f, &p->b, err);
    if (st == STATUS_OK)
        st = read_dtype(a, like ? DTYPE_UNDEFINED : DTYPE_FLOAT, reals, &p->dtype, err);
    if (st != STATUS_OK || like)
        return st;
    if ((st = adapt_ints(a, "shape", TENSOR_MAX_RANK, p->shape, &p->rank, err)) != STATUS_OK)
        return st;
    if (p->rank < 0)
        return op_adapt_fail(a, err, "attribute 'shape' is required");
    return STATUS_OK;
}

static status_t adapt_random_uniform(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_random(a, params, RANDOM_UNIFORM, false, err);
}

static status_t adapt_random_normal(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_random(a, params, RANDOM_NORMAL, false, err);
}

static status_t adapt_random_uniform_like(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_random(a, params, RANDOM_UNIFORM, true, err);
}

static status_t adapt_random_normal_like(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_random(a, params, RANDOM_NORMAL, true, err);
}

static status_t adapt_bernoulli(const op_adapt_t *a, void *params, error_t *err)
{
    random_params_t *p = params;
    status_t st = read_seed(a, p, err);

    p->kind = RANDOM_BERNOULLI;
    return st != STATUS_OK ? st : read_dtype(a, DTYPE_UNDEFINED, DTYPES_ALL, &p->dtype, err);
}

static status_t adapt_multinomial(const op_adapt_t *a, void *params, error_t *err)
{
    random_params_t *p = params;
    status_t st = read_seed(a, p, err);

    p->kind = RANDOM_MULTINOMIAL;
    if (st == STATUS_OK)
        st = read_dtype(a, DTYPE_INT32, DTYPES_INDEX, &p->dtype, err);
    if (st == STATUS_OK)
        st = adapt_int(a, "sample_size", 1, &p->sample_size, err);
    if (st != STATUS_OK)
        return st;
    if (p->sample_size < 1 || p->sample_size > RANDOM_MAX_SAMPLES)
        return op_adapt_fail(a, err, "sample_size %lld is outside [1, %lld]",
                             (long long)p->sample_size, (long long)RANDOM_MAX_SAMPLES);
    return STATUS_OK;
}

const op_schema_t op_schemas_random[] = {
    {"RandomUniform", 1, OPSET_MAX, adapt_random_uniform, &random_kernel},
    {"RandomNormal", 1, OPSET_MAX, adapt_random_normal, &random_kernel},
    {"RandomUniformLike", 1, OPSET_MAX, adapt_random_uniform_like, &random_kernel},
    {"RandomNormalLike", 1, OPSET_MAX, adapt_random_normal_like, &random_kernel},
    {"Multinomial", 7, OPSET_MAX, adapt_multinomial, &multinomial_kernel},
    {"Bernoulli", 15, OPSET_MAX, adapt_bernoulli, &bernoulli_kernel},
    {0},
};
