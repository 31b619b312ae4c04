/*
 * binary.h - elementwise arithmetic with numpy broadcasting: Add, Sub, Mul,
 * Div, Pow, PRelu, Mod, BitShift, BitwiseAnd, BitwiseOr, BitwiseXor, and
 * the variadic Sum, Min, Max and Mean.
 */
#ifndef INFERD_BINARY_H
#define INFERD_BINARY_H

#include "broadcast.h"
#include "op.h"

typedef enum binary_op {
    BINARY_ADD,
    BINARY_SUB,
    BINARY_MUL,
    BINARY_DIV,
    BINARY_MIN,
    BINARY_MAX,
    BINARY_PRELU,
    BINARY_MOD,  /* integers: the remainder takes the divisor's sign (Python's %) */
    BINARY_FMOD, /* the remainder takes the dividend's sign (C's fmod and %) */
    BINARY_SHIFT_LEFT,
    BINARY_SHIFT_RIGHT,
    BINARY_BITWISE_AND,
    BINARY_BITWISE_OR,
    BINARY_BITWISE_XOR,
    BINARY_OP_COUNT,
} binary_op_t;

/* legacy is zero (numpy broadcasting) for opset 7 and later. */
typedef struct binary_params {
    bcast_legacy_t legacy;
    bool fmod;       /* Mod: C's remainder instead of Python's */
    bool shift_left; /* BitShift: direction LEFT */
} binary_params_t;

extern const op_kernel_t binary_add_kernel;
extern const op_kernel_t binary_sub_kernel;
extern const op_kernel_t binary_mul_kernel;
extern const op_kernel_t binary_div_kernel;
extern const op_kernel_t binary_pow_kernel;
extern const op_kernel_t binary_prelu_kernel;
extern const op_kernel_t binary_sum_kernel;
extern const op_kernel_t binary_min_kernel;
extern const op_kernel_t binary_max_kernel;
extern const op_kernel_t binary_mean_kernel;
extern const op_kernel_t binary_mod_kernel;
extern const op_kernel_t binary_bit_shift_kernel;
extern const op_kernel_t binary_bitwise_and_kernel;
extern const op_kernel_t binary_bitwise_or_kernel;
extern const op_kernel_t binary_bitwise_xor_kernel;

/*
 * Row kernel of op on element type t for a bcast_kind, or NULL if op is not
 * defined on t. Integer arithmetic wraps around; integer division and
 * remainder by zero yield 0 (C leaves them undefined and they would trap);
 * shifts by the type's width or more yield 0.
 */
bcast_row_fn binary_row(binary_op_t op, dtype_t t, int kind);

/*
 * Row kernel of Pow for a base and an exponent type, or NULL. ctx is the
 * plan's inner_step array. Integer powers are exact (wrapping); a float
 * power that does not fit an integer base type saturates.
 */
bcast_row_fn binary_pow_row(dtype_t base, dtype_t exponent);

/* CPU implementations (binary_cpu.c). */
status_t binary_add_run(op_call_t *call, error_t *err);
status_t binary_sub_run(op_call_t *call, error_t *err);
status_t binary_mul_run(op_call_t *call, error_t *err);
status_t binary_div_run(op_call_t *call, error_t *err);
status_t binary_pow_run(op_call_t *call, error_t *err);
status_t binary_prelu_run(op_call_t *call, error_t *err);
status_t binary_sum_run(op_call_t *call, error_t *err);
status_t binary_min_run(op_call_t *call, error_t *err);
status_t binary_max_run(op_call_t *call, error_t *err);
status_t binary_mean_run(op_call_t *call, error_t *err);
status_t binary_mod_run(op_call_t *call, error_t *err);
status_t binary_bit_shift_run(op_call_t *call, error_t *err);
status_t binary_bitwise_and_run(op_call_t *call, error_t *err);
status_t binary_bitwise_or_run(op_call_t *call, error_t *err);
status_t binary_bitwise_xor_run(op_call_t *call, error_t *err);

#endif
