/*
 * gather_nd.h - GatherND: each row of the last indices dim (k values)
 * addresses a slice data[b..., i0, ..., ik-1, :] after `batch_dims` leading
 * dims shared by data and indices; the output stacks the slices:
 * indices.shape[:-1] + data.shape[batch_dims + k:].
 */
#ifndef INFERD_GATHER_ND_H
#define INFERD_GATHER_ND_H

#include "op.h"

typedef struct gather_nd_params {
    int64_t batch_dims;
} gather_nd_params_t;

extern const op_kernel_t gather_nd_kernel;

/*
 * The geometry shared by GatherND and ScatterND: `batches` batches of
 * `tuples` index rows of k values each; a row addresses a slice of
 * slice_elems elements within a batch of data of batch_elems elements.
 */
typedef struct nd_index_plan {
    int64_t batches, tuples, k, slice_elems, batch_elems;
    int64_t dims[TENSOR_MAX_RANK];    /* data dims the k values index */
    int64_t strides[TENSOR_MAX_RANK]; /* their strides within a batch, in elements */
} nd_index_plan_t;

/* Fills plan for data dims (rank data_rank), indices dims and batch_dims (all checked). */
void nd_index_plan_init(nd_index_plan_t *plan, int data_rank, const int64_t *data_dims,
                        int indices_rank, const int64_t *indices_dims, int batch_dims);

/*
 * Element offset within its batch of the slice index row `row` (global row
 * number) addresses, or -1 when a value is outside [-dim, dim); *bad then
 * gets the position of the offending value in indices.
 */
int64_t nd_index_offset(const nd_index_plan_t *plan, const tensor_t *indices, int64_t row,
                        int64_t *bad);

/* y = the gathered slices; returns -1 or the position of the first bad index. */
int64_t gather_nd(const nd_index_plan_t *plan, const void *x, const tensor_t *indices, void *y,
                  size_t elem_size);

/* CPU implementation (gather_nd_cpu.c). */
status_t gather_nd_run(op_call_t *call, error_t *err);

#endif
