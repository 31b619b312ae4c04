/*
 * broadcast.h - the element walk of the elementwise families (binary,
 * compare, where): numpy multidirectional broadcasting of up to
 * BCAST_MAX_INPUTS inputs into a contiguous output.
 *
 * A plan collapses the output shape into an outer odometer and one inner
 * row. Output dims of size 1 are dropped and neighbouring dims are merged
 * wherever every input walks them as one, so same-shape operands become a
 * single row, a scalar operand a row with step 0, and a per-channel operand
 * a row with step 0 (NCHW * C11) or step 1 (NC * C). Row kernels then only
 * see contiguous or repeated operands and the compiler can vectorise them.
 */
#ifndef INFERD_BROADCAST_H
#define INFERD_BROADCAST_H

#include "op.h"

#define BCAST_MAX_INPUTS 3

typedef struct bcast_plan {
    int n_inputs;
    int outer_rank;
    int64_t outer_dims[TENSOR_MAX_RANK];
    int64_t outer_strides[BCAST_MAX_INPUTS][TENSOR_MAX_RANK]; /* in elements */
    int64_t rows;                                             /* product of outer_dims */
    int64_t inner;                                            /* elements per row */
    /* 1: the input advances along the row; 0: the row repeats one element. */
    int inner_step[BCAST_MAX_INPUTS];
} bcast_plan_t;

/*
 * Computes one row: out[0..n) from in[k] (advancing or repeated as the
 * plan's inner_step says; a kernel is chosen for one combination of steps).
 * ctx is passed through from bcast_walk.
 */
typedef void (*bcast_row_fn)(void *out, const void *const *in, int64_t n, const void *ctx);

/* Row kernels for two inputs come in four variants, indexed by bcast_kind. */
enum { BCAST_SS = 0, BCAST_SV = 1, BCAST_VS = 2, BCAST_VV = 3, BCAST_KINDS = 4 };

/* The four row kernels of one op and element type, indexed by bcast_kind. */
typedef struct bcast_rows {
    bcast_row_fn kind[BCAST_KINDS];
} bcast_rows_t;

/*
 * Defines name_vv, name_vs, name_sv and name_ss: out[i] of type OUT is EXPR
 * of x (input 0) and y (input 1), both of type T, for each combination of
 * advancing (v) and repeated (s) inputs. Each variant has plain indexing the
 * compiler can vectorise. out may alias in[0] (Sum, Min and Max accumulate
 * in place), hence no restrict; x and y are read before o[i] is written.
 */
#define BCAST_DEFINE_ROWS(name, T, OUT, EXPR)                                                      \
    static void name##_vv(void *out, const void *const *in, int64_t n, const void *ctx)            \
    {                                                                                              \
        const T *a = in[0], *b = in[1];                                                            \
        OUT *o = out;                                                                              \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T x = a[i], y = b[i];                                                            \
            o[i] = (EXPR);                                                                         \
        }                                                                                          \
    }                                                                                              \
    static void name##_vs(void *out, const void *const *in, int64_t n, const void *ctx)            \
    {                                                                                              \
        const T *a = in[0];                                                                        \
        const T y = *(const T *)in[1];                                                             \
        OUT *o = out;                                                                              \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T x = a[i];                                                                      \
            o[i] = (EXPR);                                                                         \
        }                                                                                          \
    }                                                                                              \
    static void name##_sv(void *out, const void *const *in, int64_t n, const void *ctx)            \
    {                                                                                              \
        const T x = *(const T *)in[0];                                                             \
        const T *b = in[1];                                                                        \
        OUT *o = out;                                                                              \
        for (int64_t i = 0; i < n; i++) {                                                          \
            const T y = b[i];                                                                      \
            o[i] = (EXPR);                                                                         \
        }                                                                                          \
    }                                                                                              \
    static void name##_ss(void *out, const void *const *in, int64_t n, const void *ctx)            \
    {                                                                                              \
        const T x = *(const T *)in[0], y = *(const T *)in[1];                                      \
        const OUT v = (EXPR);                                                                      \
        OUT *o = out;                                                                              \
        for (int64_t i = 0; i < n; i++)                                                            \
            o[i] = v;                                                                              \
    }

/* A bcast_rows_t initialiser for the kernels BCAST_DEFINE_ROWS(name, ...) defined. */
#define BCAST_ROWS(name)                                                                           \
    {                                                                                              \
        {                                                                                          \
            [BCAST_SS] = name##_ss, [BCAST_SV] = name##_sv, [BCAST_VS] = name##_vs,                \
            [BCAST_VV] = name##_vv                                                                 \
        }                                                                                          \
    }

/*
 * Plans the walk of inputs (whose shapes broadcast to out's shape, out
 * contiguous). Inputs may have a lower rank than out.
 */
void bcast_plan_init(bcast_plan_t *plan, int n_inputs, const tensor_t *const *inputs,
                     const tensor_t *out);

/* For two inputs: BCAST_VV when both advance along the row, and so on. */
int bcast_kind(const bcast_plan_t *plan);

/* Runs row over every row of the plan; in[k] are data pointers of in_size[k]-byte elements. */
void bcast_walk(const bcast_plan_t *plan, bcast_row_fn row, const void *ctx, void *out,
                size_t out_size, const void *const *in, const size_t *in_size);

/* Writes in broadcast to out's shape (element types equal). */
void bcast_copy(const tensor_t *in, tensor_t *out);

/*
 * Prototype helper: out's rank and dims become the numpy broadcast of the n
 * inputs (NULL entries skipped); fails naming the first incompatible pair.
 */
status_t bcast_infer(op_call_t *call, int n, const tensor_t *const *inputs, tensor_t *out,
                     error_t *err);

/*
 * The opset 1-6 form of Add, Sub, Mul, Div, Pow, Equal, Less, Greater: with
 * broadcast=0 the shapes must be equal; with broadcast=1 B is broadcast to
 * A, B's dims matching A's starting at `axis` (default: suffix matching).
 */
typedef struct bcast_legacy {
    bool enabled;
    bool broadcast;
    bool has_axis;
    int64_t axis;
} bcast_legacy_t;

/* Reads broadcast and axis; enabled for opsets below 7. */
status_t bcast_legacy_adapt(const op_adapt_t *a, bcast_legacy_t *legacy, error_t *err);

/*
 * B as numpy sees it under the legacy rules: b_view gets B's data and dims
 * padded with trailing 1s so that numpy broadcasting aligns it at axis.
 * Fails if B cannot be broadcast to A.
 */
status_t bcast_legacy_view(const op_call_t *call, const bcast_legacy_t *legacy, const tensor_t *a,
                           const tensor_t *b, tensor_t *b_view, error_t *err);

/*
 * Prototype helper for two-input ops: applies the legacy rules when enabled,
 * else numpy broadcasting, and sets out's rank and dims.
 */
status_t bcast_infer_pair(op_call_t *call, const bcast_legacy_t *legacy, tensor_t *out,
                          error_t *err);

/* The two inputs of a two-input op as the walk sees them (legacy view applied to B). */
status_t bcast_pair_inputs(const op_call_t *call, const bcast_legacy_t *legacy, tensor_t *b_view,
                           const tensor_t *pair[2], error_t *err);

#endif
