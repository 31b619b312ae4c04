/*
 * Loop: runs the body while the trip count and the condition allow,
 * feeding each iteration's carried values to the next (their shapes may
 * change), and stacks each iteration's scan outputs along a new first
 * dim. The carried values of an iteration are copied out of the body's
 * context (which the next iteration reuses) into one of two scratch
 * buffers, alternately: the body reads one while the other receives.
 */
#include "control.h"

#include <stdlib.h>
#include <string.h>

/* Bytes of t rounded up, so each tensor packed in a scratch buffer stays aligned. */
static size_t aligned_bytes(const tensor_t *t)
{
    return (tensor_bytes(t) + 63) & ~(size_t)63;
}

/* Copies n tensors into scratch slot, packed; views[] describe the copies. */
static status_t keep_carried(op_call_t *call, int slot, const tensor_t *from, int n,
                             tensor_t *views, error_t *err)
{
    size_t total = 64, at = 0;
    char *buf;

    for (int i = 0; i < n; i++)
        total += aligned_bytes(&from[i]);
    buf = op_call_scratch(call, slot, total, err);
    if (!buf)
        return err ? err->code : STATUS_OUT_OF_MEMORY;
    for (int i = 0; i < n; i++) {
        views[i] = from[i];
        views[i].data = buf + at;
        if (tensor_bytes(&from[i]))
            memcpy(buf + at, from[i].data, tensor_bytes(&from[i]));
        at += aligned_bytes(&from[i]);
    }
    return STATUS_OK;
}

/* Appends iteration t's scan output e to node output k (rows of e's shape). */
static status_t append_scan(op_call_t *call, int k, int64_t t, const tensor_t *e, error_t *err)
{
    tensor_t *y = &call->outputs[k];
    int64_t dims[TENSOR_MAX_RANK];
    char a[SHAPE_TEXT_MAX], b[SHAPE_TEXT_MAX];
    status_t st;

    if (e->rank + 1 > TENSOR_MAX_RANK)
        return op_call_fail(call, err, "scan output %d has rank %d, over %d once stacked", k,
                            e->rank, TENSOR_MAX_RANK - 1);
    if (t > 0 && (e->dtype != y->dtype || !shape_equal(e->rank, e->dims, y->rank - 1, y->dims + 1)))
        return op_call_fail(call, err, "scan output %d is %s %s at iteration %lld, %s %s before", k,
                            dtype_name(e->dtype), shape_format(e->rank, e->dims, a, sizeof a),
                            (long long)t, dtype_name(y->dtype),
                            shape_format(y->rank - 1, y->dims + 1, b, sizeof b));
    y->dtype = e->dtype;
    dims[0] = t + 1;
    memcpy(dims + 1, e->dims, (size_t)e->rank * sizeof *dims);
    st = op_call_output(call, k, e->rank + 1, dims, err);
    if (!st && tensor_bytes(e))
        memcpy((char *)y->data + (size_t)t * tensor_bytes(e), e->data, tensor_bytes(e));
    return st;
}

/*
 * No iteration ran: each scan output is empty, [0] followed by the shape
 * the body would give it for the loop's initial inputs (what ONNX Runtime
 * infers), or just [0] when that shape depends on values the body would
 * compute.
 */
static status_t empty_scans(op_call_t *call, const tensor_t *in, int body_in, error_t *err)
{
    const loop_params_t *p = call->params;
    const int n = p->n_carried;
    tensor_t *body_out = malloc((size_t)(1 + n + p->n_scan) * sizeof *body_out);
    error_t shape_err = {0};
    bool shaped;
    status_t st = STATUS_OK;

    if (!body_out)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    shaped = call->shape_subgraph &&
             call->shape_subgraph(call, p->body, in, body_in, body_out, &shape_err) == STATUS_OK;
    for (int j = 0; !st && j < p->n_scan && n + j < call->n_outputs; j++) {
        tensor_t *y = &call->outputs[n + j];
        const tensor_t *e = shaped ? &body_out[1 + n + j] : NULL;
        int64_t dims[TENSOR_MAX_RANK] = {0};
        int rank = 1;

        if (e && e->rank + 1 <= TENSOR_MAX_RANK) {
            memcpy(dims + 1, e->dims, (size_t)e->rank * sizeof *dims);
            rank = e->rank + 1;
            y->dtype = e->dtype;
        }
        if (dtype_size(y->dtype) == 0)
            y->dtype = DTYPE_FLOAT;
        st = op_call_output(call, n + j, rank, dims, err);
    }
    free(body_out);
    return st;
}

status_t loop_run(op_call_t *call, error_t *err)
{
    const loop_params_t *p = call->params;
    const tensor_t *m_t = call->inputs[0], *cond_t = call->inputs[1];
    int n = p->n_carried, body_in = 2 + n;
    int64_t trip = m_t ? *(const int64_t *)m_t->data : -1, t = 0, iter = 0;
    bool cond = true, cond_in = true;
    tensor_t in[2 + LOOP_MAX_CARRIED];
    const tensor_t *out = NULL;
    status_t st = STATUS_OK;

    if (cond_t && (st = control_read_bool(call, cond_t, "input 'cond'", &cond, err)))
        return st;
    in[0] = (tensor_t){.dtype = DTYPE_INT64, .rank = 0, .data = &iter};
    in[1] = (tensor_t){.dtype = DTYPE_BOOL, .rank = 0, .data = &cond_in};
    for (int i = 0; i < n; i++)
        in[2 + i] = *call->inputs[2 + i];
    for (t = 0; (trip < 0 || t < trip) && cond; t++) {
        if (t >= LOOP_MAX_ITERATIONS)
            return op_fail(err, STATUS_LIMIT_EXCEEDED, call->op_type, call->node,
                           "ran %lld iterations, the most a Loop may (its trip count or "
                           "condition never stopped it)",
                           (long long)LOOP_MAX_ITERATIONS);
        iter = t;
        cond_in = cond;
        st = call->run_subgraph(call, p->body, in, body_in, &out, err);
        if (st)
            return st;
        /* Without a condition input the body's is ignored (the spec's for loop). */
        if (cond_t && (st = control_read_bool(call, &out[0], "the body's condition", &cond, err)))
            return st;
        for (int j = 0; j < p->n_scan && n + j < call->n_outputs; j++) {
            st = append_scan(call, n + j, t, &out[1 + n + j], err);
            if (st)
                return st;
        }
        st = keep_carried(call, (int)(t & 1), &out[1], n, &in[2], err);
        if (st)
            return st;
    }
    for (int k = 0; k < n && k < call->n_outputs; k++) {
        st = control_copy_output(call, k, &in[2 + k], err);
        if (st)
            return st;
    }
    if (t == 0 && p->n_scan > 0)
        st = empty_scans(call, in, body_in, err);
    return st;
}
