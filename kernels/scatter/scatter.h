/*
 * scatter.h - ScatterElements (and its old name Scatter) and ScatterND:
 * the output is a copy of data with the elements (ScatterElements) or
 * slices (ScatterND) the indices address replaced by, or combined with,
 * the matching updates. Updates apply in order, so with reduction none a
 * later duplicate index wins.
 */
#ifndef INFERD_SCATTER_H
#define INFERD_SCATTER_H

#include "op.h"

typedef enum scatter_reduction {
    SCATTER_NONE = 0,
    SCATTER_ADD,
    SCATTER_MUL,
    SCATTER_MAX,
    SCATTER_MIN,
} scatter_reduction_t;

typedef struct scatter_params {
    int64_t axis; /* ScatterElements only */
    scatter_reduction_t reduction;
} scatter_params_t;

extern const op_kernel_t scatter_elements_kernel;
extern const op_kernel_t scatter_nd_kernel;

/*
 * dst[i] = combine(dst[i], src[i]) for i < n. Integers wrap; on bool, add
 * and max are or, mul and min are and.
 */
typedef void (*scatter_combine_fn)(void *dst, const void *src, int64_t n);

/* The combiner of reduction over dtype t (SCATTER_NONE: a copy); NULL if t has none. */
scatter_combine_fn scatter_combine_function(dtype_t t, scatter_reduction_t reduction);

/*
 * y (already a copy of data, dims y_dims, rank indices->rank) gets
 * updates[i] combined at the element indices[i] addresses along axis.
 * Returns -1, or the position of the first index out of range (earlier
 * updates are then applied).
 */
int64_t scatter_elements(void *y, const int64_t *y_dims, int axis, const tensor_t *indices,
                         const void *updates, size_t elem_size, scatter_combine_fn combine);

/* CPU implementations (scatter_elements_cpu.c, scatter_nd_cpu.c). */
status_t scatter_elements_run(op_call_t *call, error_t *err);
status_t scatter_nd_run(op_call_t *call, error_t *err);

#endif
