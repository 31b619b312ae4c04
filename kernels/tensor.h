/*
 * tensor.h - a dense, row-major tensor: dtype, shape and a data pointer.
 *
 * A tensor_t never owns its data; whoever filled in `data` says who frees it.
 * Shapes are fully known here (no symbolic dims): symbolic dims live in the
 * engine's graph description and are resolved before a kernel sees them.
 */
#ifndef INFERD_TENSOR_H
#define INFERD_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "dtype.h"
#include "status.h"

/* Highest rank any operator accepts. ONNX allows more; no served model needs it. */
#define TENSOR_MAX_RANK 8

/*
 * Most elements one tensor may hold (2^32, 16 GiB of floats). It bounds
 * every size computed from model-declared or client-sent dims, so products
 * of dims cannot overflow and a hostile "dim = 1e12" fails cleanly.
 */
#define TENSOR_MAX_ELEMENTS (INT64_C(1) << 32)

typedef struct tensor {
    dtype_t dtype;
    int rank;
    int64_t dims[TENSOR_MAX_RANK];
    void *data;
} tensor_t;

/* Number of elements (1 for a scalar). The shape must be valid. */
int64_t tensor_numel(const tensor_t *t);

/* Bytes of data: numel * dtype_size. */
size_t tensor_bytes(const tensor_t *t);

/*
 * Checks rank and dims: rank in [0, TENSOR_MAX_RANK], every dim >= 0 and the
 * product of the non-zero dims within TENSOR_MAX_ELEMENTS (so an empty
 * tensor's strides are in range too). Stores the product in *numel.
 */
bool shape_valid(int rank, const int64_t *dims, int64_t *numel);

bool shape_equal(int rank_a, const int64_t *a, int rank_b, const int64_t *b);

/*
 * Numpy-style multidirectional broadcast of a and b into out (rank
 * max(rank_a, rank_b)). Returns false if a dim pair is neither equal nor 1.
 */
bool shape_broadcast(int rank_a, const int64_t *a, int rank_b, const int64_t *b, int *rank_out,
                     int64_t *out);

/*
 * Row-major element strides of a shape aligned to out_rank (leading missing
 * dims and broadcast dims of size 1 get stride 0), for walking an input
 * broadcast against an output of rank out_rank and shape out.
 */
void shape_broadcast_strides(int rank, const int64_t *dims, int out_rank, const int64_t *out,
                             int64_t *strides);

/* Plain row-major strides, in elements. */
void shape_strides(int rank, const int64_t *dims, int64_t *strides);

/*
 * Normalises an ONNX axis in [-rank, rank-1] (or [-rank-1, rank] when
 * inclusive_end is set, as Unsqueeze needs) to a non-negative index.
 * Returns false if out of range.
 */
bool axis_normalize(int64_t axis, int rank, bool inclusive_end, int *out);

/*
 * Room for shape_format() of any shape: TENSOR_MAX_RANK dims of at most 20
 * characters each, a comma or bracket after each, the opening bracket and
 * the NUL.
 */
#define SHAPE_TEXT_MAX (TENSOR_MAX_RANK * 21 + 2)

/* Formats a shape as "[1,3,224,224]" into buf (always NUL-terminated). */
const char *shape_format(int rank, const int64_t *dims, char *buf, size_t size);

/* Reads element i of an integer tensor (int32 or int64) as int64. */
int64_t tensor_get_index(const tensor_t *t, int64_t i);

#endif
