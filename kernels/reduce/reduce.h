/*
 * reduce.h - reductions over a set of axes (ReduceSum, ReduceMean,
 * ReduceMax, ReduceMin, ReduceSumSquare, ReduceL1, ReduceL2, ReduceLogSum,
 * ReduceLogSumExp, ReduceProd) and ArgMax and ArgMin along one axis.
 */
#ifndef INFERD_REDUCE_H
#define INFERD_REDUCE_H

#include "op.h"

typedef enum reduce_op {
    REDUCE_SUM,
    REDUCE_MEAN,
    REDUCE_MAX,
    REDUCE_MIN,
    REDUCE_SUM_SQUARE,
    REDUCE_L1,
    REDUCE_L2,
    REDUCE_LOG_SUM,
    REDUCE_LOG_SUM_EXP,
    REDUCE_PROD,
} reduce_op_t;

typedef struct reduce_params {
    int64_t axes[TENSOR_MAX_RANK];
    int n_axes;      /* -1 or 0: no axes given */
    bool axes_input; /* axes come from input 1 (ReduceSum from opset 13, the others from 18) */
    bool keepdims;
    bool noop_with_empty_axes;
} reduce_params_t;

typedef struct argmax_params {
    int64_t axis;
    bool keepdims;
    bool select_last_index;
} argmax_params_t;

/*
 * A reduction laid out for the CPU loops: the input's dims with size-1 dims
 * dropped and neighbours of the same kind (reduced or kept) merged, so the
 * last dim is one contiguous run. out_strides are 0 along reduced dims.
 */
typedef struct reduce_geom {
    int rank;
    int64_t dims[TENSOR_MAX_RANK];
    bool reduced[TENSOR_MAX_RANK];
    int64_t out_strides[TENSOR_MAX_RANK];
    int64_t count; /* input elements folded into each output element */
} reduce_geom_t;

extern const op_kernel_t reduce_sum_kernel;
extern const op_kernel_t reduce_sum_axes_input_kernel;
extern const op_kernel_t reduce_mean_kernel;
extern const op_kernel_t reduce_max_kernel;
extern const op_kernel_t reduce_min_kernel;
extern const op_kernel_t reduce_sum_square_kernel;
/* The reductions with the axes as input 1 (ReduceSum from 13, the others from 18). */
extern const op_kernel_t reduce_mean_axes_input_kernel;
extern const op_kernel_t reduce_max_axes_input_kernel;
extern const op_kernel_t reduce_min_axes_input_kernel;
extern const op_kernel_t reduce_sum_square_axes_input_kernel;
extern const op_kernel_t reduce_l1_kernel;
extern const op_kernel_t reduce_l1_axes_input_kernel;
extern const op_kernel_t reduce_l2_kernel;
extern const op_kernel_t reduce_l2_axes_input_kernel;
extern const op_kernel_t reduce_log_sum_kernel;
extern const op_kernel_t reduce_log_sum_axes_input_kernel;
extern const op_kernel_t reduce_log_sum_exp_kernel;
extern const op_kernel_t reduce_log_sum_exp_axes_input_kernel;
extern const op_kernel_t reduce_prod_kernel;
extern const op_kernel_t reduce_prod_axes_input_kernel;
extern const op_kernel_t argmax_kernel;
extern const op_kernel_t argmin_kernel;

/*
 * Resolves the axes (attribute or input 1) into a bit mask over the input's
 * dims; *noop is set when noop_with_empty_axes applies (output = input).
 * Fails naming the bad axis. Shared by the prototype and the CPU code.
 */
status_t reduce_resolve(const op_call_t *call, uint32_t *mask, bool *noop, error_t *err);

/* Builds the loop layout for reducing the dims in mask of a tensor of shape (rank, dims). */
void reduce_geometry(int rank, const int64_t *dims, uint32_t mask, reduce_geom_t *g);

/* CPU implementations (reduce_cpu.c, argmax_cpu.c). */
status_t reduce_sum_run(op_call_t *call, error_t *err);
status_t reduce_mean_run(op_call_t *call, error_t *err);
status_t reduce_max_run(op_call_t *call, error_t *err);
status_t reduce_min_run(op_call_t *call, error_t *err);
status_t reduce_sum_square_run(op_call_t *call, error_t *err);
status_t reduce_l1_run(op_call_t *call, error_t *err);
status_t reduce_l2_run(op_call_t *call, error_t *err);
status_t reduce_log_sum_run(op_call_t *call, error_t *err);
status_t reduce_log_sum_exp_run(op_call_t *call, error_t *err);
status_t reduce_prod_run(op_call_t *call, error_t *err);
status_t argmax_run(op_call_t *call, error_t *err);
status_t argmin_run(op_call_t *call, error_t *err);

/*
 * out (the reduced shape, dense) = op over g of in, elements of type t
 * (float, double, int32, int64, uint32 or uint64). sum is scratch for
 * ReduceLogSumExp, one double per output element (NULL for the others).
 */
void reduce_dtype(reduce_op_t op, dtype_t t, const void *in, void *out, const reduce_geom_t *g,
                  double *sum);

/*
 * y[o][j] = index along n of the largest (ArgMax) or smallest (ArgMin)
 * x[o][.][j] for x viewed as [outer, n > 0, inner], elements of type t;
 * ties go to the first index, or the last if select_last. best holds inner
 * values when inner > 1.
 */
void arg_reduce(bool largest, dtype_t t, const void *x, int64_t *y, int64_t outer, int64_t n,
                int64_t inner, bool select_last, void *best);

#endif
