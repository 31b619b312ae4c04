/*
 * json_tensor.c - nested JSON lists to dense tensors (json_tensor.h).
 */
#include "json_tensor.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>

#include "config_json.h"
#include "half.h"

/* The dtype as the other REST errors name it ("FP32"), or ONNX's name where KServe has none. */
static const char *type_name(dtype_t t)
{
    return dtype_kserve_name(t) ? dtype_kserve_name(t) : dtype_name(t);
}

/* Checks that v at depth d has the shape found from the first elements. */
static status_t check_level(const json_t *v, int d, int rank, const int64_t *dims, const char *what,
                            error_t *err)
{
    size_t i;
    const json_t *e;

    if (d == rank) {
        if (json_is_array(v))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s: a list at depth %d where a value belongs: lists must be dense "
                             "(the first elements give rank %d)",
                             what, d, rank);
        return STATUS_OK;
    }
    if (!json_is_array(v))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: a value at depth %d where a list of %" PRId64
                         " belongs: lists must be dense",
                         what, d, dims[d]);
    if ((int64_t)json_array_size(v) != dims[d])
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: ragged lists: a list of %zu at depth %d where the first has %" PRId64,
                         what, json_array_size(v), d, dims[d]);
    json_array_foreach(v, i, e)
    {
        status_t st = check_level(e, d + 1, rank, dims, what, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

status_t json_tensor_shape(const json_t *v, int max_rank, const char *what, int *rank,
                           int64_t *dims, error_t *err)
{
    const json_t *cur = v;
    int r = 0;

    assert(max_rank >= 0 && max_rank <= TENSOR_MAX_RANK);
    while (json_is_array(cur)) {
        if (r == max_rank)
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s: lists nest deeper than the %d levels allowed here", what,
                             max_rank);
        dims[r++] = (int64_t)json_array_size(cur);
        if (json_array_size(cur) == 0)
            break;
        cur = json_array_get(cur, 0);
    }
    *rank = r;
    return check_level(v, 0, r, dims, what, err);
}

bool json_tensor_int_range(dtype_t t, int64_t *lo, int64_t *hi)
{
    switch (t) {
    case DTYPE_UINT8:
        *lo = 0, *hi = UINT8_MAX;
        return true;
    case DTYPE_INT8:
        *lo = INT8_MIN, *hi = INT8_MAX;
        return true;
    case DTYPE_UINT16:
        *lo = 0, *hi = UINT16_MAX;
        return true;
    case DTYPE_INT16:
        *lo = INT16_MIN, *hi = INT16_MAX;
        return true;
    case DTYPE_UINT32:
        *lo = 0, *hi = UINT32_MAX;
        return true;
    case DTYPE_INT32:
        *lo = INT32_MIN, *hi = INT32_MAX;
        return true;
    case DTYPE_UINT64:
        *lo = 0, *hi = INT64_MAX;
        return true;
    case DTYPE_INT64:
        *lo = INT64_MIN, *hi = INT64_MAX;
        return true;
    default:
        return false;
    }
}

void json_tensor_put_int(dtype_t t, void *data, int64_t i, int64_t v)
{
    switch (t) {
    case DTYPE_UINT8:
        ((uint8_t *)data)[i] = (uint8_t)v;
        break;
    case DTYPE_INT8:
        ((int8_t *)data)[i] = (int8_t)v;
        break;
    case DTYPE_UINT16:
        ((uint16_t *)data)[i] = (uint16_t)v;
        break;
    case DTYPE_INT16:
        ((int16_t *)data)[i] = (int16_t)v;
        break;
    case DTYPE_UINT32:
        ((uint32_t *)data)[i] = (uint32_t)v;
        break;
    case DTYPE_INT32:
        ((int32_t *)data)[i] = (int32_t)v;
        break;
    case DTYPE_UINT64:
        ((uint64_t *)data)[i] = (uint64_t)v;
        break;
    default:
        ((int64_t *)data)[i] = v;
        break;
    }
}

static bool is_floating(dtype_t t)
{
    return t == DTYPE_FLOAT || t == DTYPE_DOUBLE || t == DTYPE_FLOAT16 || t == DTYPE_BFLOAT16;
}

/* A floating leaf d stored as element i; a finite value that would become infinite is refused. */
static status_t put_real(double d, dtype_t t, const char *what, void *data, int64_t i, error_t *err)
{
    bool overflow = false;

    switch (t) {
    case DTYPE_DOUBLE:
        ((double *)data)[i] = d;
        break;
    case DTYPE_FLOAT:
        ((float *)data)[i] = (float)d;
        overflow = isinf((float)d);
        break;
    default: {
        uint16_t h = t == DTYPE_FLOAT16 ? double_to_f16(d) : double_to_bf16(d);
        overflow = (h & 0x7fffu) == (t == DTYPE_FLOAT16 ? 0x7c00u : 0x7f80u);
        ((uint16_t *)data)[i] = h;
        break;
    }
    }
    if (overflow && isfinite(d))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: element %" PRId64 " = %g is out of range for %s", what, i, d,
                         type_name(t));
    return STATUS_OK;
}

static status_t wrong_leaf(const json_t *v, dtype_t t, const char *what, int64_t i, error_t *err)
{
    if (json_is_object(v))
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: element %" PRId64 " is an object; {\"b64\": ...} values are only "
                         "for string tensors, and this input is %s",
                         what, i, type_name(t));
    return error_set(err, STATUS_INVALID_ARGUMENT, "%s: element %" PRId64 " is %s, the input is %s",
                     what, i, config_json_type_name(v), type_name(t));
}

static status_t store_leaf(const json_t *v, dtype_t t, json_leaf_rule_t rule, const char *what,
                           void *data, int64_t i, error_t *err)
{
    int64_t lo, hi;

    if (t == DTYPE_BOOL) {
        if (!json_is_boolean(v))
            return wrong_leaf(v, t, what, i, err);
        ((uint8_t *)data)[i] = json_is_true(v) ? 1 : 0;
        return STATUS_OK;
    }
    if (is_floating(t)) {
        if (json_is_real(v) || (rule == JSON_LEAF_BY_DTYPE && json_is_integer(v)))
            return put_real(json_number_value(v), t, what, data, i, err);
        if (json_is_integer(v))
            return error_set(err, STATUS_INVALID_ARGUMENT,
                             "%s: element %" PRId64 " is an integer, which is integer data, and "
                             "the input is %s: write it with a decimal point (1.0)",
                             what, i, type_name(t));
        return wrong_leaf(v, t, what, i, err);
    }
    if (!json_tensor_int_range(t, &lo, &hi))
        return error_set(err, STATUS_UNSUPPORTED, "%s: inputs of type %s cannot be sent as JSON",
                         what, dtype_name(t));
    if (!json_is_integer(v))
        return wrong_leaf(v, t, what, i, err);
    if (json_integer_value(v) < lo || json_integer_value(v) > hi)
        return error_set(err, STATUS_INVALID_ARGUMENT,
                         "%s: element %" PRId64 " = %" PRId64 " is out of range for %s", what, i,
                         (int64_t)json_integer_value(v), type_name(t));
    json_tensor_put_int(t, data, i, json_integer_value(v));
    return STATUS_OK;
}

status_t json_tensor_store(const json_t *v, dtype_t t, json_leaf_rule_t rule, const char *what,
                           void *data, int64_t *next, error_t *err)
{
    size_t i;
    const json_t *e;

    if (!json_is_array(v))
        return store_leaf(v, t, rule, what, data, (*next)++, err);
    json_array_foreach(v, i, e)
    {
        status_t st = json_tensor_store(e, t, rule, what, data, next, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}
