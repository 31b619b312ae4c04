/*
 * ONNX adapters: Constant (the `value` tensor; from opset 12 also
 * value_float(s) and value_int(s), accepted in every opset since their
 * meaning is unambiguous) and ConstantOfShape (opset 9).
 */
#include "constant.h"

#include <string.h>

/* The attributes that can hold a Constant's value; a node has exactly one. */
static const char *const constant_value_names[] = {
    "value",      "value_float",  "value_floats", "value_int",
    "value_ints", "sparse_value", "value_string", "value_strings",
};

#define CONSTANT_VALUE_NAMES (sizeof constant_value_names / sizeof constant_value_names[0])

static status_t adapt_value_tensor(const op_adapt_t *a, const tensor_t *t, error_t *err)
{
    if (dtype_size(t->dtype) == 0)
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "attribute 'value' has dtype %s", dtype_name(t->dtype));
    if (!shape_valid(t->rank, t->dims, NULL))
        return op_adapt_fail(a, err, "attribute 'value' has an invalid shape");
    if (!t->data && tensor_numel(t) > 0)
        return op_adapt_fail(a, err, "attribute 'value' has no data");
    return STATUS_OK;
}

static status_t adapt_constant(const op_adapt_t *a, void *params, error_t *err)
{
    constant_params_t *p = params;
    tensor_t *v = &p->value;
    const attr_t *attr = NULL;
    int present = 0;
    attr_type_t expected;

    for (size_t i = 0; i < CONSTANT_VALUE_NAMES; i++) {
        const attr_t *found = attrs_find(a->attrs, constant_value_names[i]);
        if (found) {
            attr = found;
            present++;
        }
    }
    if (present != 1)
        return op_adapt_fail(a, err, "needs exactly one value attribute, got %d", present);
    if (strcmp(attr->name, "value") == 0)
        expected = ATTR_TENSOR;
    else if (strcmp(attr->name, "value_float") == 0)
        expected = ATTR_FLOAT;
    else if (strcmp(attr->name, "value_floats") == 0)
        expected = ATTR_FLOATS;
    else if (strcmp(attr->name, "value_int") == 0)
        expected = ATTR_INT;
    else if (strcmp(attr->name, "value_ints") == 0)
        expected = ATTR_INTS;
    else
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "attribute '%s': sparse and string constants are not supported", attr->name);
    if (attr->type != expected)
        return op_adapt_fail(a, err, "attribute '%s' has the wrong type", attr->name);
    /* Point into the attribute storage, which lives as long as the model. */
    switch (expected) {
    case ATTR_TENSOR:
        *v = *attr->t;
        return adapt_value_tensor(a, v, err);
    case ATTR_FLOAT:
        *v = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 0, .data = (void *)&attr->f};
        break;
    case ATTR_FLOATS:
        *v = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 1, .data = (void *)attr->floats};
        v->dims[0] = (int64_t)attr->count;
        break;
    case ATTR_INT:
        *v = (tensor_t){.dtype = DTYPE_INT64, .rank = 0, .data = (void *)&attr->i};
        break;
    default:
        *v = (tensor_t){.dtype = DTYPE_INT64, .rank = 1, .data = (void *)attr->ints};
        v->dims[0] = (int64_t)attr->count;
        break;
    }
    if (!shape_valid(v->rank, v->dims, NULL))
        return op_adapt_fail(a, err, "attribute '%s' has too many values", attr->name);
    return STATUS_OK;
}

static status_t adapt_constant_of_shape(const op_adapt_t *a, void *params, error_t *err)
{
    constant_of_shape_params_t *p = params;
    const tensor_t *value;
    status_t st = adapt_tensor(a, "value", &value, err);

    if (st != STATUS_OK)
        return st;
    if (!value) {
        const float zero = 0.0f;
        p->dtype = DTYPE_FLOAT;
        memcpy(p->value, &zero, sizeof zero);
        return STATUS_OK;
    }
    st = adapt_value_tensor(a, value, err);
    if (st != STATUS_OK)
        return st;
    if (tensor_numel(value) != 1)
        return op_adapt_fail(a, err, "attribute 'value' must hold one element, not %lld",
                             (long long)tensor_numel(value));
    if (dtype_size(value->dtype) > DTYPE_MAX_SIZE)
        return op_fail(err, STATUS_UNSUPPORTED, a->op_type, a->node,
                       "attribute 'value' has dtype %s", dtype_name(value->dtype));
    p->dtype = value->dtype;
    memcpy(p->value, value->data, dtype_size(value->dtype));
    return STATUS_OK;
}

const op_schema_t op_schemas_constant[] = {
    /*
     * Constant-19/21 and ConstantOfShape-20/21 add only float8, bfloat16
     * and 4-bit values, which reading the value tensor refuses.
     */
    {"Constant", 1, 18, adapt_constant, &constant_kernel},
    {"Constant", 19, 20, adapt_constant, &constant_kernel},
    {"Constant", 21, OPSET_MAX, adapt_constant, &constant_kernel},
    {"ConstantOfShape", 9, 19, adapt_constant_of_shape, &constant_of_shape_kernel},
    {"ConstantOfShape", 20, 20, adapt_constant_of_shape, &constant_of_shape_kernel},
    {"ConstantOfShape", 21, OPSET_MAX, adapt_constant_of_shape, &constant_of_shape_kernel},
    {0},
};
