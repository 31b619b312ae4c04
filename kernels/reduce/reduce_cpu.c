#include "reduce.h"

#include <assert.h>
#include <math.h>
#include <string.h>

void reduce_geometry(int rank, const int64_t *dims, uint32_t mask, reduce_geom_t *g)
{
    int64_t stride = 1;

    g->rank = 0;
    g->count = 1;
    for (int i = 0; i < rank; i++) {
        bool reduced = (mask >> i) & 1u;
        if (reduced)
            g->count *= dims[i];
        if (dims[i] == 1)
            continue;
        if (g->rank > 0 && g->reduced[g->rank - 1] == reduced) {
            g->dims[g->rank - 1] *= dims[i];
        } else {
            g->dims[g->rank] = dims[i];
            g->reduced[g->rank] = reduced;
            g->rank++;
        }
    }
    if (g->rank == 0) {
        g->rank = 1;
        g->dims[0] = 1;
        g->reduced[0] = false;
    }
    for (int i = g->rank - 1; i >= 0; i--) {
        g->out_strides[i] = g->reduced[i] ? 0 : stride;
        if (!g->reduced[i])
            stride *= g->dims[i];
    }
}

static int64_t geom_numel(const reduce_geom_t *g, bool kept_only)
{
    int64_t n = 1;
    for (int i = 0; i < g->rank; i++)
        if (!kept_only || !g->reduced[i])
            n *= g->dims[i];
    return n;
}

/*
 * Folds one contiguous run of n input elements into the output: a reduced
 * run (rows) collapses into *out, a kept run adds element-wise into out[0..n).
 */
typedef void (*reduce_block_fn)(reduce_op_t op, bool rows, const void *in, void *out, int64_t n);

/* Walks the input in order, one innermost run at a time, tracking the output offset. */
static void reduce_walk(const reduce_geom_t *g, reduce_op_t op, const void *in, void *out,
                        size_t esize, reduce_block_fn block)
{
    int last = g->rank - 1;
    int64_t n = g->dims[last], blocks = 1, out_off = 0;
    int64_t idx[TENSOR_MAX_RANK] = {0};

    for (int d = 0; d < last; d++)
        blocks *= g->dims[d];
    for (int64_t b = 0; b < blocks; b++) {
        block(op, g->reduced[last], (const char *)in + (size_t)(b * n) * esize,
              (char *)out + (size_t)out_off * esize, n);
        for (int d = last - 1; d >= 0; d--) {
            out_off += g->out_strides[d];
            if (++idx[d] < g->dims[d])
                break;
            out_off -= g->out_strides[d] * g->dims[d];
            idx[d] = 0;
        }
    }
}

static void block_f32(reduce_op_t op, bool rows, const void *in, void *out, int64_t n)
{
    const float *x = in;
    float *y = out;

    if (rows) {
        double acc = 0.0;
        float m = *y;
        switch (op) {
        case REDUCE_SUM:
        case REDUCE_MEAN:
            for (int64_t i = 0; i < n; i++)
                acc += x[i];
            *y += (float)acc;
            break;
        case REDUCE_SUM_SQUARE:
            for (int64_t i = 0; i < n; i++)
                acc += (double)x[i] * x[i];
            *y += (float)acc;
            break;
        case REDUCE_MAX:
            for (int64_t i = 0; i < n; i++)
                m = x[i] > m ? x[i] : m;
            *y = m;
            break;
        case REDUCE_MIN:
            for (int64_t i = 0; i < n; i++)
                m = x[i] < m ? x[i] : m;
            *y = m;
            break;
        }
        return;
    }
    switch (op) {
    case REDUCE_SUM:
    case REDUCE_MEAN:
        for (int64_t i = 0; i < n; i++)
            y[i] += x[i];
        break;
    case REDUCE_SUM_SQUARE:
        for (int64_t i = 0; i < n; i++)
            y[i] += x[i] * x[i];
        break;
    case REDUCE_MAX:
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] > y[i] ? x[i] : y[i];
        break;
    case REDUCE_MIN:
        for (int64_t i = 0; i < n; i++)
            y[i] = x[i] < y[i] ? x[i] : y[i];
        break;
    }
}

void reduce_f32(reduce_op_t op, const float *in, float *out, const reduce_geom_t *g)
{
    int64_t n_out = geom_numel(g, true);
    float init = op == REDUCE_MAX ? -INFINITY : op == REDUCE_MIN ? INFINITY : 0.0f;

    for (int64_t i = 0; i < n_out; i++)
        out[i] = init;
    if (geom_numel(g, false) > 0)
        reduce_walk(g, op, in, out, sizeof *in, block_f32);
    /* An empty mean is 0/0, NaN, as numpy gives. */
    if (op == REDUCE_MEAN)
        for (int64_t i = 0; i < n_out; i++)
            out[i] = (float)(out[i] / (double)g->count);
}

/*
 * Integer reductions. Sums run in the unsigned type of the same width so an
 * overflow wraps instead of being undefined; the mean of an empty set is 0.
 */
#define DEFINE_INT_REDUCE(T, U, SUF, LOWEST, HIGHEST)                                              \
    static void block_##SUF(reduce_op_t op, bool rows, const void *in, void *out, int64_t n)       \
    {                                                                                              \
        const T *x = in;                                                                           \
        T *y = out;                                                                                \
        if (rows) {                                                                                \
            U acc = 0;                                                                             \
            T m = *y;                                                                              \
            switch (op) {                                                                          \
            case REDUCE_SUM:                                                                       \
            case REDUCE_MEAN:                                                                      \
                for (int64_t i = 0; i < n; i++)                                                    \
                    acc += (U)x[i];                                                                \
                *y = (T)((U)*y + acc);                                                             \
                break;                                                                             \
            case REDUCE_SUM_SQUARE:                                                                \
                for (int64_t i = 0; i < n; i++)                                                    \
                    acc += (U)x[i] * (U)x[i];                                                      \
                *y = (T)((U)*y + acc);                                                             \
                break;                                                                             \
            case REDUCE_MAX:                                                                       \
                for (int64_t i = 0; i < n; i++)                                                    \
                    m = x[i] > m ? x[i] : m;                                                       \
                *y = m;                                                                            \
                break;                                                                             \
            case REDUCE_MIN:                                                                       \
                for (int64_t i = 0; i < n; i++)                                                    \
                    m = x[i] < m ? x[i] : m;                                                       \
                *y = m;                                                                            \
                break;                                                                             \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        switch (op) {                                                                              \
        case REDUCE_SUM:                                                                           \
        case REDUCE_MEAN:                                                                          \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = (T)((U)y[i] + (U)x[i]);                                                     \
            break;                                                                                 \
        case REDUCE_SUM_SQUARE:                                                                    \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = (T)((U)y[i] + (U)x[i] * (U)x[i]);                                           \
            break;                                                                                 \
        case REDUCE_MAX:                                                                           \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = x[i] > y[i] ? x[i] : y[i];                                                  \
            break;                                                                                 \
        case REDUCE_MIN:                                                                           \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = x[i] < y[i] ? x[i] : y[i];                                                  \
            break;                                                                                 \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    void reduce_##SUF(reduce_op_t op, const T *in, T *out, const reduce_geom_t *g)                 \
    {                                                                                              \
        int64_t n_out = geom_numel(g, true);                                                       \
        T init = op == REDUCE_MAX ? (LOWEST) : op == REDUCE_MIN ? (HIGHEST) : 0;                   \
        for (int64_t i = 0; i < n_out; i++)                                                        \
            out[i] = init;                                                                         \
        if (geom_numel(g, false) > 0)                                                              \
            reduce_walk(g, op, in, out, sizeof *in, block_##SUF);                                  \
        if (op == REDUCE_MEAN)                                                                     \
            for (int64_t i = 0; i < n_out; i++)                                                    \
                out[i] = g->count ? (T)(out[i] / g->count) : 0;                                    \
    }

DEFINE_INT_REDUCE(int32_t, uint32_t, i32, INT32_MIN, INT32_MAX)
DEFINE_INT_REDUCE(int64_t, uint64_t, i64, INT64_MIN, INT64_MAX)

static status_t run(op_call_t *call, reduce_op_t op)
{
    const tensor_t *x = call->inputs[0];
    void *y = call->outputs[0].data;
    reduce_geom_t g;
    uint32_t mask;
    bool noop;
    status_t st = reduce_resolve(call, &mask, &noop, NULL);

    assert(st == STATUS_OK);
    (void)st;
    /*
     * noop_with_empty_axes passes the input through, but ReduceSumSquare
     * still squares it (as the ONNX reference does): that is a reduction
     * over no axis, which mask 0 gives.
     */
    if (noop && op != REDUCE_SUM_SQUARE) {
        if (tensor_bytes(x))
            memcpy(y, x->data, tensor_bytes(x));
        return STATUS_OK;
    }
    reduce_geometry(x->rank, x->dims, mask, &g);
    switch (x->dtype) {
    case DTYPE_FLOAT:
        reduce_f32(op, x->data, y, &g);
        break;
    case DTYPE_INT32:
        reduce_i32(op, x->data, y, &g);
        break;
    case DTYPE_INT64:
        reduce_i64(op, x->data, y, &g);
        break;
    default:
        assert(!"dtype outside reduce_info");
    }
    return STATUS_OK;
}

status_t reduce_sum_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_SUM);
}

status_t reduce_mean_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_MEAN);
}

status_t reduce_max_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_MAX);
}

status_t reduce_min_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_MIN);
}

status_t reduce_sum_square_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_SUM_SQUARE);
}
