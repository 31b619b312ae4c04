/*
 * unary.h - elementwise functions of one tensor: activations (Relu,
 * LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh), math (Erf, Exp, Log,
 * Sqrt, Abs, Neg, Reciprocal, Floor, Ceil) and Clip.
 */
#ifndef INFERD_UNARY_H
#define INFERD_UNARY_H

#include "op.h"

typedef enum unary_op {
    UNARY_RELU,
    UNARY_LEAKY_RELU,
    UNARY_SIGMOID,
    UNARY_HARD_SIGMOID,
    UNARY_HARD_SWISH,
    UNARY_TANH,
    UNARY_ERF,
    UNARY_EXP,
    UNARY_LOG,
    UNARY_SQRT,
    UNARY_ABS,
    UNARY_NEG,
    UNARY_RECIPROCAL,
    UNARY_FLOOR,
    UNARY_CEIL,
    UNARY_OP_COUNT,
} unary_op_t;

typedef struct unary_params {
    float alpha; /* LeakyRelu, HardSigmoid */
    float beta;  /* HardSigmoid */
} unary_params_t;

typedef struct clip_params {
    bool from_attrs; /* before opset 11: bounds are the min/max attributes, float only */
    float min;
    float max;
} clip_params_t;

extern const op_kernel_t unary_relu_kernel;
extern const op_kernel_t unary_leaky_relu_kernel;
extern const op_kernel_t unary_sigmoid_kernel;
extern const op_kernel_t unary_hard_sigmoid_kernel;
extern const op_kernel_t unary_hard_swish_kernel;
extern const op_kernel_t unary_tanh_kernel;
extern const op_kernel_t unary_erf_kernel;
extern const op_kernel_t unary_exp_kernel;
extern const op_kernel_t unary_log_kernel;
extern const op_kernel_t unary_sqrt_kernel;
extern const op_kernel_t unary_abs_kernel;
extern const op_kernel_t unary_neg_kernel;
extern const op_kernel_t unary_reciprocal_kernel;
extern const op_kernel_t unary_floor_kernel;
extern const op_kernel_t unary_ceil_kernel;
extern const op_kernel_t unary_clip_kernel;

/* y[i] = f(x[i]) over n elements of one type; p holds the op's attributes. */
typedef void (*unary_fn)(const void *x, void *y, int64_t n, const unary_params_t *p);

/* The function of op on element type t, or NULL if op is not defined on t. */
unary_fn unary_function(unary_op_t op, dtype_t t);

/*
 * y = min(max(x, lo), hi) over n elements of type t; lo and hi point to one
 * element of type t, or are NULL for no bound. NaN stays NaN.
 */
void unary_clip(dtype_t t, const void *x, void *y, int64_t n, const void *lo, const void *hi);

/* CPU implementations (unary_cpu.c). */
status_t unary_relu_run(op_call_t *call, error_t *err);
status_t unary_leaky_relu_run(op_call_t *call, error_t *err);
status_t unary_sigmoid_run(op_call_t *call, error_t *err);
status_t unary_hard_sigmoid_run(op_call_t *call, error_t *err);
status_t unary_hard_swish_run(op_call_t *call, error_t *err);
status_t unary_tanh_run(op_call_t *call, error_t *err);
status_t unary_erf_run(op_call_t *call, error_t *err);
status_t unary_exp_run(op_call_t *call, error_t *err);
status_t unary_log_run(op_call_t *call, error_t *err);
status_t unary_sqrt_run(op_call_t *call, error_t *err);
status_t unary_abs_run(op_call_t *call, error_t *err);
status_t unary_neg_run(op_call_t *call, error_t *err);
status_t unary_reciprocal_run(op_call_t *call, error_t *err);
status_t unary_floor_run(op_call_t *call, error_t *err);
status_t unary_ceil_run(op_call_t *call, error_t *err);
status_t unary_clip_run(op_call_t *call, error_t *err);

#endif
