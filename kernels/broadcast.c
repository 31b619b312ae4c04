#include "broadcast.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

void bcast_plan_init(bcast_plan_t *plan, int n_inputs, const tensor_t *const *inputs,
                     const tensor_t *out)
{
    int64_t full[BCAST_MAX_INPUTS][TENSOR_MAX_RANK];
    int64_t dims[TENSOR_MAX_RANK];
    int64_t strides[BCAST_MAX_INPUTS][TENSOR_MAX_RANK];
    int rank = 0;

    assert(n_inputs >= 1 && n_inputs <= BCAST_MAX_INPUTS);
    memset(plan, 0, sizeof *plan);
    plan->n_inputs = n_inputs;
    if (tensor_numel(out) == 0)
        return;
    for (int k = 0; k < n_inputs; k++)
        shape_broadcast_strides(inputs[k]->rank, inputs[k]->dims, out->rank, out->dims, full[k]);
    for (int i = 0; i < out->rank; i++) {
        bool merge = rank > 0;
        if (out->dims[i] == 1)
            continue;
        /* Dim i continues the previous kept dim when every input steps over both as one. */
        for (int k = 0; k < n_inputs && merge; k++)
            merge = strides[k][rank - 1] == full[k][i] * out->dims[i];
        if (merge) {
            dims[rank - 1] *= out->dims[i];
        } else {
            dims[rank] = out->dims[i];
            rank++;
        }
        for (int k = 0; k < n_inputs; k++)
            strides[k][rank - 1] = full[k][i];
    }
    plan->rows = 1;
    plan->inner = 1;
    if (rank == 0)
        return; /* one element: every input repeats its only element */
    plan->inner = dims[rank - 1];
    for (int k = 0; k < n_inputs; k++) {
        assert(strides[k][rank - 1] == 0 || strides[k][rank - 1] == 1);
        plan->inner_step[k] = (int)strides[k][rank - 1];
    }
    plan->outer_rank = rank - 1;
    for (int d = 0; d < rank - 1; d++) {
        plan->outer_dims[d] = dims[d];
        plan->rows *= dims[d];
        for (int k = 0; k < n_inputs; k++)
            plan->outer_strides[k][d] = strides[k][d];
    }
}

int bcast_kind(const bcast_plan_t *plan)
{
    assert(plan->n_inputs == 2);
    return plan->inner_step[0] * 2 + plan->inner_step[1];
}

void bcast_walk(const bcast_plan_t *plan, bcast_row_fn row, const void *ctx, void *out,
                size_t out_size, const void *const *in, const size_t *in_size)
{
    int64_t index[TENSOR_MAX_RANK] = {0};
    int64_t offset[BCAST_MAX_INPUTS] = {0};
    const void *row_in[BCAST_MAX_INPUTS];
    char *o = out;
    const size_t row_bytes = (size_t)plan->inner * out_size;

    for (int64_t r = 0; r < plan->rows; r++) {
        for (int k = 0; k < plan->n_inputs; k++)
            row_in[k] = (const char *)in[k] + offset[k] * (int64_t)in_size[k];
        row(o, row_in, plan->inner, ctx);
        o += row_bytes;
        /* Odometer step: bump the last outer dim, carrying into earlier ones. */
        for (int d = plan->outer_rank - 1; d >= 0; d--) {
            for (int k = 0; k < plan->n_inputs; k++)
                offset[k] += plan->outer_strides[k][d];
            if (++index[d] < plan->outer_dims[d])
                break;
            for (int k = 0; k < plan->n_inputs; k++)
                offset[k] -= plan->outer_strides[k][d] * plan->outer_dims[d];
            index[d] = 0;
        }
    }
}

static void copy_row(void *out, const void *const *in, int64_t n, const void *ctx)
{
    memcpy(out, in[0], (size_t)n * *(const size_t *)ctx);
}

#define DEFINE_FILL_ROW(bits)                                                                      \
    static void fill_row_##bits(void *out, const void *const *in, int64_t n, const void *ctx)      \
    {                                                                                              \
        uint##bits##_t *o = out;                                                                   \
        const uint##bits##_t v = *(const uint##bits##_t *)in[0];                                   \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = v;                                                                              \
    }
DEFINE_FILL_ROW(8)
DEFINE_FILL_ROW(16)
DEFINE_FILL_ROW(32)
DEFINE_FILL_ROW(64)

void bcast_copy(const tensor_t *in, tensor_t *out)
{
    const size_t size = dtype_size(in->dtype);
    const tensor_t *inputs[1] = {in};
    const void *data[1] = {in->data};
    bcast_plan_t plan;
    bcast_row_fn row = copy_row;

    assert(in->dtype == out->dtype);
    bcast_plan_init(&plan, 1, inputs, out);
    if (plan.inner_step[0] == 0) {
        switch (size) {
        case 1:
            row = fill_row_8;
            break;
        case 2:
            row = fill_row_16;
            break;
        case 4:
            row = fill_row_32;
            break;
        default:
            assert(size == 8);
            row = fill_row_64;
            break;
        }
    }
    bcast_walk(&plan, row, &size, out->data, size, data, &size);
}

status_t bcast_infer(op_call_t *call, int n, const tensor_t *const *inputs, tensor_t *out,
                     error_t *err)
{
    int64_t dims[TENSOR_MAX_RANK], next[TENSOR_MAX_RANK];
    int rank = 0;
    char sa[SHAPE_TEXT_MAX], sb[SHAPE_TEXT_MAX];

    for (int i = 0; i < n; i++) {
        const tensor_t *t = inputs[i];
        if (!t)
            continue;
        if (!shape_broadcast(rank, dims, t->rank, t->dims, &rank, next))
            return op_call_fail(call, err,
                                "input %d of shape %s does not broadcast with shape %s of the "
                                "inputs before it",
                                i, shape_format(t->rank, t->dims, sa, sizeof sa),
                                shape_format(rank, dims, sb, sizeof sb));
        memcpy(dims, next, sizeof dims);
    }
    if (!shape_valid(rank, dims, NULL))
        return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                       "broadcast output shape %s has more than %lld elements",
                       shape_format(rank, dims, sa, sizeof sa), (long long)TENSOR_MAX_ELEMENTS);
    out->rank = rank;
    memcpy(out->dims, dims, sizeof dims);
    return STATUS_OK;
}

status_t bcast_legacy_adapt(const op_adapt_t *a, bcast_legacy_t *legacy, error_t *err)
{
    int64_t broadcast;
    status_t st = adapt_int(a, "broadcast", 0, &broadcast, err);

    if (st != STATUS_OK)
        return st;
    if (broadcast != 0 && broadcast != 1)
        return op_adapt_fail(a, err, "attribute 'broadcast' must be 0 or 1, got %lld",
                             (long long)broadcast);
    legacy->enabled = true;
    legacy->broadcast = broadcast == 1;
    legacy->has_axis = adapt_has(a, "axis");
    return adapt_int(a, "axis", 0, &legacy->axis, err);
}

status_t bcast_legacy_view(const op_call_t *call, const bcast_legacy_t *legacy, const tensor_t *a,
                           const tensor_t *b, tensor_t *b_view, error_t *err)
{
    char sa[SHAPE_TEXT_MAX], sb[SHAPE_TEXT_MAX];
    int axis = a->rank - b->rank;

    *b_view = *b;
    shape_format(a->rank, a->dims, sa, sizeof sa);
    shape_format(b->rank, b->dims, sb, sizeof sb);
    if (!legacy->broadcast) {
        if (!shape_equal(a->rank, a->dims, b->rank, b->dims))
            return op_call_fail(call, err, "shapes %s and %s differ and attribute broadcast=0", sa,
                                sb);
        return STATUS_OK;
    }
    if (b->rank > a->rank)
        return op_call_fail(call, err, "B of shape %s has a higher rank than A of shape %s", sb,
                            sa);
    if (tensor_numel(b) == 1) {
        b_view->rank = 0;
        return STATUS_OK;
    }
    if (legacy->has_axis && !axis_normalize(legacy->axis, a->rank, false, &axis))
        return op_call_fail(call, err, "axis %lld is out of range for A of shape %s",
                            (long long)legacy->axis, sa);
    if (axis + b->rank > a->rank)
        return op_call_fail(call, err, "B of shape %s does not fit into A of shape %s at axis %d",
                            sb, sa, axis);
    for (int i = 0; i < b->rank; i++)
        if (b->dims[i] != a->dims[axis + i] && b->dims[i] != 1)
            return op_call_fail(call, err,
                                "B of shape %s does not match A of shape %s at axis %d (dim %d)",
                                sb, sa, axis, axis + i);
    /* Trailing 1s make numpy's right alignment put B's first dim at axis. */
    b_view->rank = a->rank - axis;
    for (int i = b->rank; i < b_view->rank; i++)
        b_view->dims[i] = 1;
    return STATUS_OK;
}

status_t bcast_pair_inputs(const op_call_t *call, const bcast_legacy_t *legacy, tensor_t *b_view,
                           const tensor_t *pair[2], error_t *err)
{
    pair[0] = call->inputs[0];
    pair[1] = call->inputs[1];
    if (!legacy || !legacy->enabled)
        return STATUS_OK;
    pair[1] = b_view;
    return bcast_legacy_view(call, legacy, call->inputs[0], call->inputs[1], b_view, err);
}

status_t bcast_infer_pair(op_call_t *call, const bcast_legacy_t *legacy, tensor_t *out,
                          error_t *err)
{
    const tensor_t *pair[2];
    tensor_t b_view;
    status_t st = bcast_pair_inputs(call, legacy, &b_view, pair, err);

    if (st != STATUS_OK)
        return st;
    return bcast_infer(call, 2, pair, out, err);
}
