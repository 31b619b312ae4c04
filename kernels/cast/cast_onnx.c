/*
 * ONNX adapters of Cast and CastLike. Cast's `to` is a type name string
 * before opset 6 and a TensorProto.DataType number from 6; CastLike (opset
 * 15) has no attributes.
 */
#include "cast.h"

#include <strings.h>

static status_t check_to(const op_adapt_t *a, int64_t to, cast_params_t *p, error_t *err)
{
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
    {"Cast", 6, OPSET_MAX, adapt_cast, &cast_kernel},
    {"CastLike", 15, OPSET_MAX, NULL, &cast_like_kernel},
    {0},
};
