/*
 * unary.h - elementwise functions of one tensor: activations (Relu,
 * LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh, Elu, Selu, Celu,
 * Softplus, Softsign, ThresholdedRelu, Shrink, Mish), math (Erf, Exp, Log,
 * Sqrt, Abs, Neg, Reciprocal, Floor, Ceil, Round, Sign, the circular and
 * hyperbolic functions and their inverses, BitwiseNot), the tests IsInf
 * and IsNaN (bool output) and Clip.
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
    UNARY_COS,
    UNARY_SIN,
    UNARY_TAN,
    UNARY_ACOS,
    UNARY_ASIN,
    UNARY_ATAN,
    UNARY_COSH,
    UNARY_SINH,
    UNARY_ACOSH,
    UNARY_ASINH,
    UNARY_ATANH,
    UNARY_ROUND,
    UNARY_SIGN,
    UNARY_IS_INF,
    UNARY_IS_NAN,
    UNARY_ELU,
    UNARY_SELU,
    UNARY_CELU,
    UNARY_SOFTPLUS,
    UNARY_SOFTSIGN,
    UNARY_THRESHOLDED_RELU,
    UNARY_SHRINK,
    UNARY_MISH,
    UNARY_BITWISE_NOT,
    UNARY_OP_COUNT,
} unary_op_t;

typedef struct unary_params {
    float alpha;          /* LeakyRelu, HardSigmoid, Elu, Selu, Celu, ThresholdedRelu */
    float beta;           /* HardSigmoid */
    float gamma;          /* Selu */
    float lambd;          /* Shrink */
    float bias;           /* Shrink */
    bool detect_negative; /* IsInf */
    bool detect_positive; /* IsInf */
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
extern const op_kernel_t unary_cos_kernel;
extern const op_kernel_t unary_sin_kernel;
extern const op_kernel_t unary_tan_kernel;
extern const op_kernel_t unary_acos_kernel;
extern const op_kernel_t unary_asin_kernel;
extern const op_kernel_t unary_atan_kernel;
extern const op_kernel_t unary_cosh_kernel;
extern const op_kernel_t unary_sinh_kernel;
extern const op_kernel_t unary_acosh_kernel;
extern const op_kernel_t unary_asinh_kernel;
extern const op_kernel_t unary_atanh_kernel;
extern const op_kernel_t unary_round_kernel;
extern const op_kernel_t unary_sign_kernel;
extern const op_kernel_t unary_is_inf_kernel;
extern const op_kernel_t unary_is_nan_kernel;
extern const op_kernel_t unary_elu_kernel;
extern const op_kernel_t unary_selu_kernel;
extern const op_kernel_t unary_celu_kernel;
extern const op_kernel_t unary_softplus_kernel;
extern const op_kernel_t unary_softsign_kernel;
extern const op_kernel_t unary_thresholded_relu_kernel;
extern const op_kernel_t unary_shrink_kernel;
extern const op_kernel_t unary_mish_kernel;
extern const op_kernel_t unary_bitwise_not_kernel;
extern const op_kernel_t unary_clip_kernel;

/* y[i] = f(x[i]) over n elements of one type; p holds the op's attributes. */
typedef void (*unary_fn)(const void *x, void *y, int64_t n, const unary_params_t *p);

/*
 * The function of op on element type t, or NULL if op is not defined on t.
 * IsInf and IsNaN write bool (one byte per element), the others type t.
 */
unary_fn unary_function(unary_op_t op, dtype_t t);

/*
 * The activations with an exp, expm1 or log1p inside (Elu, Selu, Celu,
 * Softplus, Mish) and Softsign, ThresholdedRelu and Shrink, or NULL
 * (unary_act.c; unary_function covers them too).
 */
unary_fn unary_activation(unary_op_t op, dtype_t t);

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
status_t unary_cos_run(op_call_t *call, error_t *err);
status_t unary_sin_run(op_call_t *call, error_t *err);
status_t unary_tan_run(op_call_t *call, error_t *err);
status_t unary_acos_run(op_call_t *call, error_t *err);
status_t unary_asin_run(op_call_t *call, error_t *err);
status_t unary_atan_run(op_call_t *call, error_t *err);
status_t unary_cosh_run(op_call_t *call, error_t *err);
status_t unary_sinh_run(op_call_t *call, error_t *err);
status_t unary_acosh_run(op_call_t *call, error_t *err);
status_t unary_asinh_run(op_call_t *call, error_t *err);
status_t unary_atanh_run(op_call_t *call, error_t *err);
status_t unary_round_run(op_call_t *call, error_t *err);
status_t unary_sign_run(op_call_t *call, error_t *err);
status_t unary_is_inf_run(op_call_t *call, error_t *err);
status_t unary_is_nan_run(op_call_t *call, error_t *err);
status_t unary_elu_run(op_call_t *call, error_t *err);
status_t unary_selu_run(op_call_t *call, error_t *err);
status_t unary_celu_run(op_call_t *call, error_t *err);
status_t unary_softplus_run(op_call_t *call, error_t *err);
status_t unary_softsign_run(op_call_t *call, error_t *err);
status_t unary_thresholded_relu_run(op_call_t *call, error_t *err);
status_t unary_shrink_run(op_call_t *call, error_t *err);
status_t unary_mish_run(op_call_t *call, error_t *err);
status_t unary_bitwise_not_run(op_call_t *call, error_t *err);
status_t unary_clip_run(op_call_t *call, error_t *err);

#endif
