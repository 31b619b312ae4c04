/*
 * gather_nd_index.c - how GatherND and ScatterND turn a row of indices into
 * an offset in data: a dot product with the strides of the indexed dims,
 * after wrapping negative values and rejecting out-of-range ones.
 */
#include "gather_nd.h"

#include <assert.h>

void nd_index_plan_init(nd_index_plan_t *plan, int data_rank, const int64_t *data_dims,
                        int indices_rank, const int64_t *indices_dims, int batch_dims)
{
    int64_t strides[TENSOR_MAX_RANK];

    assert(indices_rank >= 1 && batch_dims < indices_rank);
    plan->k = indices_dims[indices_rank - 1];
    assert(batch_dims + plan->k <= data_rank);
    plan->batches = 1;
    for (int d = 0; d < batch_dims; d++)
        plan->batches *= data_dims[d];
    plan->tuples = 1;
    for (int d = batch_dims; d < indices_rank - 1; d++)
        plan->tuples *= indices_dims[d];
    plan->slice_elems = 1;
    for (int d = batch_dims + (int)plan->k; d < data_rank; d++)
        plan->slice_elems *= data_dims[d];
    shape_strides(data_rank, data_dims, strides);
    plan->batch_elems = plan->slice_elems;
    for (int j = 0; j < plan->k; j++) {
        plan->dims[j] = data_dims[batch_dims + j];
        plan->strides[j] = strides[batch_dims + j];
        plan->batch_elems *= plan->dims[j];
    }
}

int64_t nd_index_offset(const nd_index_plan_t *plan, const tensor_t *indices, int64_t row,
                        int64_t *bad)
{
    int64_t offset = 0;

    for (int64_t j = 0; j < plan->k; j++) {
        const int64_t at = row * plan->k + j, dim = plan->dims[j];
        int64_t v = tensor_get_index(indices, at);
        if (v < -dim || v >= dim) {
            *bad = at;
            return -1;
        }
        offset += (v < 0 ? v + dim : v) * plan->strides[j];
    }
    return offset;
}
