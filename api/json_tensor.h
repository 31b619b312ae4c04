/*
 * json_tensor.h - dense tensors read from nested JSON lists, as the TF
 * Serving and MindSpore REST codecs take them: the shape comes from the
 * nesting, the values are converted to the model input's dtype.
 */
#ifndef INFERD_JSON_TENSOR_H
#define INFERD_JSON_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "tensor.h"

/* How JSON leaves may fill an input of a given dtype. */
typedef enum json_leaf_rule {
    /*
     * TF Serving's: any JSON number for a floating input, integers for an
     * integer input (range-checked), true/false for BOOL.
     */
    JSON_LEAF_BY_DTYPE = 0,
    /*
     * MindSpore's: JSON integers are integer data, reals floating data and
     * true/false BOOL data; so integers do not fill a floating input (the
     * client writes 1.0, or sends the tensor as b64 with its type).
     */
    JSON_LEAF_BY_KIND,
} json_leaf_rule_t;

/*
 * The dense shape of v: a bare value (anything but a list, objects
 * included) has rank 0, each level of lists adds a dim. Dims come from the
 * first element at each depth, and every list must then agree: ragged
 * lists, a value where a list belongs and the reverse are refused, as is
 * nesting deeper than max_rank (<= TENSOR_MAX_RANK). dims has room for
 * TENSOR_MAX_RANK. Errors (INVALID_ARGUMENT) start with `what` ("input
 * 'x'", say).
 */
status_t json_tensor_shape(const json_t *v, int max_rank, const char *what, int *rank,
                           int64_t *dims, error_t *err);

/*
 * The range JSON integers must lie in for an integer dtype t; false for
 * other dtypes. jansson holds integers as int64, so UINT64 stops at
 * INT64_MAX (larger values need binary data).
 */
bool json_tensor_int_range(dtype_t t, int64_t *lo, int64_t *hi);

/* Stores v, which json_tensor_int_range's range for t holds, as element i of data (dtype t). */
void json_tensor_put_int(dtype_t t, void *data, int64_t i, int64_t v);

/*
 * Stores the leaves of v (a shape json_tensor_shape accepted) row-major as
 * dtype t into data, from element *next on, advancing *next. Every leaf is
 * checked against t by rule; objects (such as {"b64": ...}) and null are
 * refused. data must have room for the leaves.
 */
status_t json_tensor_store(const json_t *v, dtype_t t, json_leaf_rule_t rule, const char *what,
                           void *data, int64_t *next, error_t *err);

#endif
