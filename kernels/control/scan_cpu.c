/*
 * Scan: runs the body once per element of the scan inputs (along each
 * one's axis, forwards or backwards), carrying the states from one
 * iteration to the next, and stacks each iteration's scan outputs along
 * their axes. Opset 8 does this per batch row (dim 0), over dim 1, each
 * row up to its sequence_lens entry. An element along axis 0 is a view of
 * the input; along another axis it is gathered into scratch.
 */
#include "control.h"

#include <string.h>

/* Scratch slots: the states' two alternating buffers, then gathered scan elements. */
enum { SCAN_STATES_A = 0, SCAN_STATES_B = 1, SCAN_ELEMENTS = 2 };

/* Element t of x along axis (x's dims without that axis), a view when axis is 0. */
static tensor_t scan_element(const tensor_t *x, int axis, int64_t t, char *gather)
{
    tensor_t e = {.dtype = x->dtype, .rank = x->rank - 1};
    int64_t outer = 1, inner = 1;
    size_t size = dtype_size(x->dtype);

    for (int d = 0, j = 0; d < x->rank; d++)
        if (d != axis)
            e.dims[j++] = x->dims[d];
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    if (axis == 0) {
        e.data = (char *)x->data + (size_t)t * (size_t)inner * size;
        return e;
    }
    for (int64_t o = 0; o < outer; o++)
        memcpy(gather + (size_t)o * (size_t)inner * size,
               (const char *)x->data +
                   ((size_t)o * (size_t)x->dims[axis] + (size_t)t) * (size_t)inner * size,
               (size_t)inner * size);
    e.data = gather;
    return e;
}

/* Writes e as element at (of len) along axis of y, whose other dims are e's. */
static void scan_store(tensor_t *y, int axis, int64_t len, int64_t at, const tensor_t *e)
{
    int64_t outer = 1, inner = 1;
    size_t size = dtype_size(e->dtype);

    for (int d = 0; d < axis; d++)
        outer *= e->dims[d];
    for (int d = axis; d < e->rank; d++)
        inner *= e->dims[d];
    for (int64_t o = 0; o < outer; o++)
        memcpy((char *)y->data + ((size_t)o * (size_t)len + (size_t)at) * (size_t)inner * size,
               (const char *)e->data + (size_t)o * (size_t)inner * size, (size_t)inner * size);
}

/* Copies the states into the scratch buffer slot, packed and aligned; views describe them. */
static status_t keep_states(op_call_t *call, int slot, const tensor_t *from, int n, tensor_t *views,
                            error_t *err)
{
    size_t total = 64, at = 0;
    char *buf;

    for (int i = 0; i < n; i++)
        total += (tensor_bytes(&from[i]) + 63) & ~(size_t)63;
    buf = op_call_scratch(call, slot, total, err);
    if (!buf)
        return err ? err->code : STATUS_OUT_OF_MEMORY;
    for (int i = 0; i < n; i++) {
        views[i] = from[i];
        views[i].data = buf + at;
        if (tensor_bytes(&from[i]))
            memcpy(buf + at, from[i].data, tensor_bytes(&from[i]));
        at += (tensor_bytes(&from[i]) + 63) & ~(size_t)63;
    }
    return STATUS_OK;
}

/* A run over one sequence: the inputs (rows of a batch for opset 8) and where results go. */
typedef struct scan_run_state {
    const tensor_t *states; /* n_state initial states */
    const tensor_t *inputs; /* n_scan_in scan inputs */
    int64_t len;            /* iterations */
    int64_t row, rows;      /* opset 8: this batch row of rows; 0 of 1 otherwise */
    int64_t full_len;       /* opset 8: the outputs' sequence dim */
} scan_run_state_t;

static status_t scan_sequence(op_call_t *call, const scan_run_state_t *r, error_t *err)
{
    const scan_params_t *p = call->params;
    tensor_t in[2 * SCAN_MAX_VALUES];
    const tensor_t *out = NULL;
    size_t gather_bytes = 64, gather_at[SCAN_MAX_VALUES];
    char *gather = NULL;
    int axes[SCAN_MAX_VALUES];
    status_t st;

    for (int i = 0; i < p->n_state; i++)
        in[i] = r->states[i];
    for (int i = 0; i < p->n_scan_in; i++) {
        const tensor_t *x = &r->inputs[i];
        char text[SHAPE_TEXT_MAX];
        if (!axis_normalize(p->in_axes[i], x->rank, false, &axes[i]) || x->dims[axes[i]] != r->len)
            return op_call_fail(call, err,
                                "scan input %d of shape %s has no axis %lld of length %lld", i,
                                shape_format(x->rank, x->dims, text, sizeof text),
                                (long long)p->in_axes[i], (long long)r->len);
        gather_at[i] = gather_bytes;
        if (axes[i] != 0)
            gather_bytes += ((tensor_bytes(x) / (size_t)(r->len ? r->len : 1)) + 63) & ~(size_t)63;
    }
    if (r->len > 0 && !(gather = op_call_scratch(call, SCAN_ELEMENTS, gather_bytes, err)))
        return err ? err->code : STATUS_OUT_OF_MEMORY;
    for (int64_t t = 0; t < r->len; t++) {
        for (int i = 0; i < p->n_scan_in; i++) {
            int64_t at = p->in_reverse[i] ? r->len - 1 - t : t;
            in[p->n_state + i] = scan_element(&r->inputs[i], axes[i], at, gather + gather_at[i]);
        }
        st = call->run_subgraph(call, p->body, in, p->n_state + p->n_scan_in, &out, err);
        if (st)
            return st;
        for (int j = 0; j < p->n_scan_out && p->n_state + j < call->n_outputs; j++) {
            const tensor_t *e = &out[p->n_state + j];
            tensor_t *y = &call->outputs[p->n_state + j];
            int64_t len = p->batched ? r->full_len : r->len;
            int axis, rank = e->rank + 1 + p->batched;
            int64_t dims[TENSOR_MAX_RANK];
            char a[SHAPE_TEXT_MAX];
            if (rank > TENSOR_MAX_RANK)
                return op_call_fail(call, err, "scan output %d has rank %d, over %d stacked", j,
                                    e->rank, TENSOR_MAX_RANK - 1 - p->batched);
            if (p->batched)
                axis = 1;
            else if (!axis_normalize(p->out_axes[j], e->rank + 1, false, &axis))
                return op_call_fail(call, err, "scan output axis %lld is out of range",
                                    (long long)p->out_axes[j]);
            /* The stacked shape: e's dims with the sequence dim (and the batch) inserted. */
            for (int d = 0, k = 0; d < rank; d++)
                dims[d] = p->batched && d == 0 ? r->rows : d == axis ? len : e->dims[k++];
            if (!y->data) {
                y->dtype = e->dtype;
                st = op_call_output(call, p->n_state + j, rank, dims, err);
                if (st)
                    return st;
                memset(y->data, 0, tensor_bytes(y));
            } else if (y->dtype != e->dtype || !shape_equal(rank, dims, y->rank, y->dims)) {
                return op_call_fail(call, err, "scan output %d changes shape to %s", j,
                                    shape_format(e->rank, e->dims, a, sizeof a));
            }
            {
                int64_t at = p->out_reverse[j] ? r->len - 1 - t : t;
                tensor_t row = *y;
                if (p->batched) {
                    /* Row r's block: drop the batch dim, store along the sequence (axis 0). */
                    row.rank = y->rank - 1;
                    memmove(row.dims, y->dims + 1, (size_t)row.rank * sizeof *row.dims);
                    row.data =
                        (char *)y->data + (size_t)r->row * (tensor_bytes(y) / (size_t)r->rows);
                    scan_store(&row, 0, len, at, e);
                } else {
                    scan_store(&row, axis, len, at, e);
                }
            }
        }
        st = keep_states(call, (int)(t & 1), out, p->n_state, in, err);
        if (st)
            return st;
    }
    for (int k = 0; k < p->n_state && k < call->n_outputs; k++) {
        tensor_t *y = &call->outputs[k];
        if (!p->batched) {
            st = control_copy_output(call, k, &in[k], err);
        } else {
            int64_t dims[TENSOR_MAX_RANK];
            dims[0] = r->rows;
            memcpy(dims + 1, in[k].dims, (size_t)in[k].rank * sizeof *dims);
            if (!y->data) {
                y->dtype = in[k].dtype;
                st = op_call_output(call, k, in[k].rank + 1, dims, err);
            } else if (!shape_equal(in[k].rank + 1, dims, y->rank, y->dims)) {
                st = op_call_fail(call, err, "state %d has a different shape per batch row", k);
            }
            if (!st && tensor_bytes(&in[k]))
                memcpy((char *)y->data + (size_t)r->row * tensor_bytes(&in[k]), in[k].data,
                       tensor_bytes(&in[k]));
        }
        if (st)
            return st;
    }
    return STATUS_OK;
}

/* Row b of x (dim 0 dropped), its first len entries along the next dim when len >= 0. */
static tensor_t batch_row(const tensor_t *x, int64_t b, int64_t len)
{
    tensor_t v = {.dtype = x->dtype, .rank = x->rank - 1};
    size_t row_bytes = x->dims[0] ? tensor_bytes(x) / (size_t)x->dims[0] : 0;

    memcpy(v.dims, x->dims + 1, (size_t)v.rank * sizeof *v.dims);
    v.data = (char *)x->data + (size_t)b * row_bytes;
    if (len >= 0)
        v.dims[0] = len;
    return v;
}

/* Outputs no iteration reached: the initial states, and empty scan outputs. */
static status_t scan_fill_missing(op_call_t *call, const tensor_t *states, int64_t rows,
                                  error_t *err)
{
    const scan_params_t *p = call->params;
    status_t st = STATUS_OK;

    for (int k = 0; k < call->n_outputs && !st; k++) {
        tensor_t *y = &call->outputs[k];
        int64_t dims[2] = {rows, 0};
        if (y->data)
            continue;
        if (k < p->n_state) {
            st = control_copy_output(call, k, &states[k], err);
            continue;
        }
        /* The body never ran, so its dtype is unknown: float32 stands in. */
        if (dtype_size(y->dtype) == 0)
            y->dtype = DTYPE_FLOAT;
        st = p->batched ? op_call_output(call, k, 2, dims, err)
                        : op_call_output(call, k, 1, dims + 1, err);
    }
    return st;
}

status_t scan_run(op_call_t *call, error_t *err)
{
    const scan_params_t *p = call->params;
    tensor_t states[SCAN_MAX_VALUES], inputs[SCAN_MAX_VALUES];
    int first = p->batched ? 1 : 0;
    const tensor_t *lens = p->batched ? call->inputs[0] : NULL;
    scan_run_state_t r = {.states = states, .inputs = inputs, .rows = 1};
    char text[SHAPE_TEXT_MAX];
    status_t st;

    for (int i = 0; i < p->n_state + p->n_scan_in; i++)
        if (!call->inputs[first + i])
            return op_call_fail(call, err, "input %d is missing", first + i);
    if (!p->batched) {
        int axis;
        const tensor_t *x0 = call->inputs[first + p->n_state];
        for (int i = 0; i < p->n_state; i++)
            states[i] = *call->inputs[first + i];
        for (int i = 0; i < p->n_scan_in; i++)
            inputs[i] = *call->inputs[first + p->n_state + i];
        if (!axis_normalize(p->in_axes[0], x0->rank, false, &axis))
            return op_call_fail(call, err, "scan input 0 of shape %s has no axis %lld",
                                shape_format(x0->rank, x0->dims, text, sizeof text),
                                (long long)p->in_axes[0]);
        r.len = r.full_len = x0->dims[axis];
        st = scan_sequence(call, &r, err);
        return st ? st : scan_fill_missing(call, states, 1, err);
    }
    /* Opset 8: every state and scan input has the batch as dim 0, scan inputs the sequence as
     * dim 1. */
    {
        const tensor_t *x0 = call->inputs[first + p->n_state];
        int64_t rows = x0->rank >= 2 ? x0->dims[0] : -1;
        if (rows < 0)
            return op_call_fail(call, err, "scan input 0 must be [batch, sequence, ...], got %s",
                                shape_format(x0->rank, x0->dims, text, sizeof text));
        for (int i = 0; i < p->n_state + p->n_scan_in; i++) {
            const tensor_t *x = call->inputs[first + i];
            if (x->rank < 1 + (i >= p->n_state) || x->dims[0] != rows ||
                (i >= p->n_state && x->dims[1] != x0->dims[1]))
                return op_call_fail(call, err,
                                    "input %d of shape %s does not match the batch "
                                    "and sequence of scan input 0",
                                    first + i, shape_format(x->rank, x->dims, text, sizeof text));
        }
        if (lens && (lens->dtype != DTYPE_INT64 || tensor_numel(lens) != rows))
            return op_call_fail(call, err, "sequence_lens must be %lld int64 values",
                                (long long)rows);
        r.rows = rows;
        r.full_len = x0->dims[1];
        for (int64_t b = 0; b < rows; b++) {
            int64_t len = lens ? ((const int64_t *)lens->data)[b] : r.full_len;
            if (len < 0 || len > r.full_len)
                return op_call_fail(call, err, "sequence_lens[%lld] is %lld, outside [0, %lld]",
                                    (long long)b, (long long)len, (long long)r.full_len);
            for (int i = 0; i < p->n_state; i++)
                states[i] = batch_row(call->inputs[first + i], b, -1);
            for (int i = 0; i < p->n_scan_in; i++)
                inputs[i] = batch_row(call->inputs[first + p->n_state + i], b, len);
            r.row = b;
            r.len = len;
            st = scan_sequence(call, &r, err);
            if (st)
                return st;
        }
        if (rows == 0)
            for (int i = 0; i < p->n_state; i++)
                states[i] = *call->inputs[first + i];
        return scan_fill_missing(call, states, rows, err);
    }
}
