#include "reduce.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#include "vmath.h"

/* Elements of ReduceLogSumExp's exp per vmath call: 2 KiB of doubles, in L1. */
#define REDUCE_CHUNK 256

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

/* What a block folds into: the output, and for ReduceLogSumExp the sums of exp. */
typedef struct reduce_ctx {
    reduce_op_t op;
    void *out;   /* the reduced output, or for ReduceLogSumExp the shifts (the maxima) */
    double *sum; /* ReduceLogSumExp: sum of exp(x - shift) per output element */
} reduce_ctx_t;

/*
 * Folds one contiguous run of n input elements into the output elements
 * from index off: a reduced run (rows) collapses into element off, a kept
 * run folds element-wise into off..off+n.
 */
typedef void (*reduce_block_fn)(const reduce_ctx_t *ctx, bool rows, const void *in, int64_t off,
                                int64_t n);

/* Walks the input in order, one innermost run at a time, tracking the output offset. */
static void reduce_walk(const reduce_geom_t *g, const reduce_ctx_t *ctx, const void *in,
                        size_t esize, reduce_block_fn block)
{
    int last = g->rank - 1;
    int64_t n = g->dims[last], blocks = 1, out_off = 0;
    int64_t idx[TENSOR_MAX_RANK] = {0};

    for (int d = 0; d < last; d++)
        blocks *= g->dims[d];
    for (int64_t b = 0; b < blocks; b++) {
        block(ctx, g->reduced[last], (const char *)in + (size_t)(b * n) * esize, out_off, n);
        for (int d = last - 1; d >= 0; d--) {
            out_off += g->out_strides[d];
            if (++idx[d] < g->dims[d])
                break;
            out_off -= g->out_strides[d] * g->dims[d];
            idx[d] = 0;
        }
    }
}

/*
 * The loops of one element type T. Sums accumulate in A: double for the
 * floating types (a reduced row adds in double, then rounds once), the
 * unsigned type of T's width for integers, so an overflow wraps instead of
 * being undefined. ABS is |x| in A. ReduceL1 and ReduceSum share the sum
 * loops on |x|; ReduceL2, ReduceSumSquare the sums of squares; ReduceLogSum,
 * ReduceMean and ReduceSum the plain sums.
 */
#define DEFINE_REDUCE(T, A, SUF, LOWEST, HIGHEST, ABS, MEAN)                                       \
    static void block_##SUF(const reduce_ctx_t *ctx, bool rows, const void *in, int64_t off,       \
                            int64_t n)                                                             \
    {                                                                                              \
        const T *x = in;                                                                           \
        T *y = (T *)ctx->out + off;                                                                \
        if (rows) {                                                                                \
            A acc = 0;                                                                             \
            T m = *y;                                                                              \
            switch (ctx->op) {                                                                     \
            case REDUCE_SUM:                                                                       \
            case REDUCE_MEAN:                                                                      \
            case REDUCE_LOG_SUM:                                                                   \
                for (int64_t i = 0; i < n; i++)                                                    \
                    acc += (A)x[i];                                                                \
                *y = (T)((A)*y + acc);                                                             \
                break;                                                                             \
            case REDUCE_L1:                                                                        \
                for (int64_t i = 0; i < n; i++)                                                    \
                    acc += ABS(A, x[i]);                                                           \
                *y = (T)((A)*y + acc);                                                             \
                break;                                                                             \
            case REDUCE_SUM_SQUARE:                                                                \
            case REDUCE_L2:                                                                        \
                for (int64_t i = 0; i < n; i++)                                                    \
                    acc += (A)x[i] * (A)x[i];                                                      \
                *y = (T)((A)*y + acc);                                                             \
                break;                                                                             \
            case REDUCE_PROD:                                                                      \
                acc = 1;                                                                           \
                for (int64_t i = 0; i < n; i++)                                                    \
                    acc *= (A)x[i];                                                                \
                *y = (T)((A)*y * acc);                                                             \
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
            case REDUCE_LOG_SUM_EXP:                                                               \
                assert(!"ReduceLogSumExp folds through lse_block");                                \
            }                                                                                      \
            return;                                                                                \
        }                                                                                          \
        switch (ctx->op) {                                                                         \
        case REDUCE_SUM:                                                                           \
        case REDUCE_MEAN:                                                                          \
        case REDUCE_LOG_SUM:                                                                       \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = (T)((A)y[i] + (A)x[i]);                                                     \
            break;                                                                                 \
        case REDUCE_L1:                                                                            \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = (T)((A)y[i] + ABS(A, x[i]));                                                \
            break;                                                                                 \
        case REDUCE_SUM_SQUARE:                                                                    \
        case REDUCE_L2:                                                                            \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = (T)((A)y[i] + (A)x[i] * (A)x[i]);                                           \
            break;                                                                                 \
        case REDUCE_PROD:                                                                          \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = (T)((A)y[i] * (A)x[i]);                                                     \
            break;                                                                                 \
        case REDUCE_MAX:                                                                           \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = x[i] > y[i] ? x[i] : y[i];                                                  \
            break;                                                                                 \
        case REDUCE_MIN:                                                                           \
            for (int64_t i = 0; i < n; i++)                                                        \
                y[i] = x[i] < y[i] ? x[i] : y[i];                                                  \
            break;                                                                                 \
        case REDUCE_LOG_SUM_EXP:                                                                   \
            assert(!"ReduceLogSumExp folds through lse_block");                                    \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    /*                                                                                             \
     * sum += exp(x - shift) in double, ctx->out holding the shifts as T; the                      \
     * differences go through vmath's exp a chunk at a time.                                       \
     */                                                                                            \
    static void lse_block_##SUF(const reduce_ctx_t *ctx, bool rows, const void *in, int64_t off,   \
                                int64_t n)                                                         \
    {                                                                                              \
        const T *x = in, *shift = (const T *)ctx->out + off;                                       \
        double *sum = ctx->sum + off;                                                              \
        double t[REDUCE_CHUNK];                                                                    \
        for (int64_t i0 = 0; i0 < n; i0 += REDUCE_CHUNK) {                                         \
            const int64_t m = n - i0 < REDUCE_CHUNK ? n - i0 : REDUCE_CHUNK;                       \
            for (int64_t j = 0; j < m; j++)                                                        \
                t[j] = (double)x[i0 + j] - (double)shift[rows ? 0 : i0 + j];                       \
            vmath_exp_f64(t, t, m);                                                                \
            if (rows) {                                                                            \
                double acc = 0.0;                                                                  \
                for (int64_t j = 0; j < m; j++)                                                    \
                    acc += t[j];                                                                   \
                *sum += acc;                                                                       \
            } else {                                                                               \
                for (int64_t j = 0; j < m; j++)                                                    \
                    sum[i0 + j] += t[j];                                                           \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
                                                                                                   \
    static void reduce_##SUF(reduce_op_t op, const T *in, T *out, const reduce_geom_t *g,          \
                             double *sum)                                                          \
    {                                                                                              \
        const int64_t n_out = geom_numel(g, true);                                                 \
        const bool lse = op == REDUCE_LOG_SUM_EXP;                                                 \
        const reduce_ctx_t ctx = {.op = lse ? REDUCE_MAX : op, .out = out, .sum = sum};            \
        const T init = ctx.op == REDUCE_MAX    ? (LOWEST)                                          \
                       : ctx.op == REDUCE_MIN  ? (HIGHEST)                                         \
                       : ctx.op == REDUCE_PROD ? 1                                                 \
                                               : 0;                                                \
        for (int64_t i = 0; i < n_out; i++)                                                        \
            out[i] = init;                                                                         \
        if (geom_numel(g, false) > 0)                                                              \
            reduce_walk(g, &ctx, in, sizeof *in, block_##SUF);                                     \
        switch (op) {                                                                              \
        case REDUCE_MEAN:                                                                          \
            for (int64_t i = 0; i < n_out; i++)                                                    \
                out[i] = MEAN(T, out[i], g->count);                                                \
            break;                                                                                 \
        case REDUCE_L2:                                                                            \
            for (int64_t i = 0; i < n_out; i++)                                                    \
                out[i] = (T)sqrt((double)out[i]);                                                  \
            break;                                                                                 \
        case REDUCE_LOG_SUM:                                                                       \
            for (int64_t i = 0; i < n_out; i++)                                                    \
                out[i] = (T)log((double)out[i]);                                                   \
            break;                                                                                 \
        case REDUCE_LOG_SUM_EXP:                                                                   \
            /* Shift by the maximum so exp cannot overflow; an infinite or NaN one by 0. */        \
            for (int64_t i = 0; i < n_out; i++) {                                                  \
                if (!isfinite((double)out[i]))                                                     \
                    out[i] = 0;                                                                    \
                sum[i] = 0.0;                                                                      \
            }                                                                                      \
            if (geom_numel(g, false) > 0)                                                          \
                reduce_walk(g, &ctx, in, sizeof *in, lse_block_##SUF);                             \
            for (int64_t i = 0; i < n_out; i++)                                                    \
                out[i] = (T)((double)out[i] + log(sum[i]));                                        \
            break;                                                                                 \
        default:                                                                                   \
            break;                                                                                 \
        }                                                                                          \
    }

/* An empty mean is 0/0: NaN for floats, as numpy gives, and 0 for integers. */
#define MEAN_REAL(T, v, count) (T)((double)(v) / (double)(count))
#define MEAN_INT(T, v, count)  ((count) ? (T)((v) / (count)) : 0)

#define ABS_REAL(A, v)     fabs((double)(v))
#define ABS_SIGNED(A, v)   ((v) < 0 ? 0 - (A)(v) : (A)(v))
#define ABS_UNSIGNED(A, v) ((A)(v))

DEFINE_REDUCE(float, double, f32, -INFINITY, INFINITY, ABS_REAL, MEAN_REAL)
DEFINE_REDUCE(double, double, f64, -INFINITY, INFINITY, ABS_REAL, MEAN_REAL)
DEFINE_REDUCE(int32_t, uint32_t, i32, INT32_MIN, INT32_MAX, ABS_SIGNED, MEAN_INT)
DEFINE_REDUCE(int64_t, uint64_t, i64, INT64_MIN, INT64_MAX, ABS_SIGNED, MEAN_INT)
DEFINE_REDUCE(uint32_t, uint32_t, u32, 0, UINT32_MAX, ABS_UNSIGNED, MEAN_INT)
DEFINE_REDUCE(uint64_t, uint64_t, u64, 0, UINT64_MAX, ABS_UNSIGNED, MEAN_INT)
/* ReduceMax and ReduceMin only; bool (one byte, 0 or 1) runs as uint8. */
DEFINE_REDUCE(int8_t, uint8_t, i8, INT8_MIN, INT8_MAX, ABS_SIGNED, MEAN_INT)
DEFINE_REDUCE(uint8_t, uint8_t, u8, 0, UINT8_MAX, ABS_UNSIGNED, MEAN_INT)

void reduce_dtype(reduce_op_t op, dtype_t t, const void *in, void *out, const reduce_geom_t *g,
                  double *sum)
{
    switch (t) {
    case DTYPE_FLOAT:
        reduce_f32(op, in, out, g, sum);
        break;
    case DTYPE_DOUBLE:
        reduce_f64(op, in, out, g, sum);
        break;
    case DTYPE_INT32:
        reduce_i32(op, in, out, g, sum);
        break;
    case DTYPE_INT64:
        reduce_i64(op, in, out, g, sum);
        break;
    case DTYPE_UINT32:
        reduce_u32(op, in, out, g, sum);
        break;
    case DTYPE_UINT64:
        reduce_u64(op, in, out, g, sum);
        break;
    case DTYPE_INT8:
        reduce_i8(op, in, out, g, sum);
        break;
    case DTYPE_UINT8:
    case DTYPE_BOOL:
        reduce_u8(op, in, out, g, sum);
        break;
    default:
        assert(!"dtype outside the reduce info tables");
    }
}

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
    reduce_dtype(op, x->dtype, x->data, y, &g, call->workspace);
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

status_t reduce_l1_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_L1);
}

status_t reduce_l2_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_L2);
}

status_t reduce_log_sum_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_LOG_SUM);
}

status_t reduce_log_sum_exp_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_LOG_SUM_EXP);
}

status_t reduce_prod_run(op_call_t *call, error_t *err)
{
    return run(call, REDUCE_PROD);
}
