/*
 * ONNX adapters of Cast and CastLike. Cast's `to` is a type name string
 * before opset 6 and a TensorProto.DataType number from 6; CastLike (opset
 * 15) has no attributes. Opset 19 adds `saturate` to both and the float8
 * types, opset 21 the 4-bit integers: saturate changes only casts to float8,
 * and those types are refused here (Cast) or on import (CastLike's input).
 */
#include "cast.h"

#include <strings.h>

/*
 * TensorProto.DataType values past DTYPE_MAX that opsets 19-21 name: the
 * float8 types (17-20) and int4/uint4 (21-22). inferd holds none of them.
 */
#define CAST_FLOAT8_FIRST 17
#define CAST_FLOAT8_LAST  20
#define CAST_INT4_LAST    22

static status_t check_to(const op_adapt_t *a, int64_t to, cast_params_t *p, error_t *err)
{
    if (to >= CAST_FLOAT8_FIRST && to <= CAST_FLOAT8_LAST)
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "attribute 'to' = %lld is a float8 type, which inferd does not support",
                       (long long)to);
    if (to > CAST_FLOAT8_LAST && to <= CAST_INT4_LAST)
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "attribute 'to' = %lld is a 4-bit integer type, which inferd does not "
                       "support",
                       (long long)to);
    if (to <= DTYPE_UNDEFINED || to > DTYPE_MAX)
        return op_adapt_fail(a, err, "attribute 'to' = %lld is not an ONNX data type",
                             (long long)to);
    p->to = (dtype_t)to;
    return STATUS_OK;
}

static status_t adapt_cast(const op_adapt_t *a, void *params, error_t *err)
{
    int64_t to;
    status_t st;

    if (!adapt_has(a, "to"))
        return op_adapt_fail(a, err, "attribute 'to' is required");
    st = adapt_int(a, "to", 0, &to, err);
    if (st != STATUS_OK)
        return st;
    return check_to(a, to, params, err);
}

/* Opset 19: `saturate` (0 or 1) matters only for float8 targets, which check_to refuses. */
static status_t check_saturate(const op_adapt_t *a, error_t *err)
{
    int64_t saturate;
    status_t st = adapt_int(a, "saturate", 1, &saturate, err);

    if (st != STATUS_OK)
        return st;
    if (saturate != 0 && saturate != 1)
        return op_adapt_fail(a, err, "attribute 'saturate' must be 0 or 1, got %lld",
                             (long long)saturate);
    return STATUS_OK;
}

static status_t adapt_cast_saturate(const op_adapt_t *a, void *params, error_t *err)
{
    status_t st = check_saturate(a, err);

    return st != STATUS_OK ? st : adapt_cast(a, params, err);
}

static status_t adapt_cast_like_saturate(const op_adapt_t *a, void *params, error_t *err)
{
    (void)params;
    return check_saturate(a, err);
}

/* Opset 1-5: "FLOAT", "INT64", ... (matched without case); a number is accepted too. */
static status_t adapt_cast_legacy(const op_adapt_t *a, void *params, error_t *err)
{
    const attr_t *attr = attrs_find(a->attrs, "to");

    if (!attr || attr->type != ATTR_STRING)
        return adapt_cast(a, params, err);
    for (int t = DTYPE_UNDEFINED + 1; t <= DTYPE_MAX; t++)
        if (strcasecmp(attr->s, dtype_name((dtype_t)t)) == 0)
            return check_to(a, t, params, err);
    return op_adapt_fail(a, err, "attribute 'to' = \"%s\" is not an ONNX data type name", attr->s);
}

const op_schema_t op_schemas_cast[] = {
    {"Cast", 1, 5, adapt_cast_legacy, &cast_kernel},
    {"Cast", 6, 18, adapt_cast, &cast_kernel},
    {"Cast", 19, OPSET_MAX, adapt_cast_saturate, &cast_kernel},
    {"CastLike", 15, 18, NULL, &cast_like_kernel},
    {"CastLike", 19, OPSET_MAX, adapt_cast_like_saturate, &cast_like_kernel},
    {0},
};
