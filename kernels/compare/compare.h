/*
 * compare.h - elementwise ops with a bool output and numpy broadcasting:
 * comparisons (Equal, Less, Greater, LessOrEqual, GreaterOrEqual) and logic
 * (And, Or, Xor), plus Not.
 */
#ifndef INFERD_COMPARE_H
#define INFERD_COMPARE_H

#include "broadcast.h"
#include "op.h"

/* Greater and GreaterOrEqual run as Less and LessOrEqual with the operands swapped. */
typedef enum compare_op {
    COMPARE_EQUAL,
    COMPARE_LESS,
    COMPARE_LESS_EQUAL,
    COMPARE_AND,
    COMPARE_OR,
    COMPARE_XOR,
    COMPARE_OP_COUNT,
} compare_op_t;

/* Zero (numpy broadcasting) for opset 7 and later. */
typedef struct compare_params {
    bcast_legacy_t legacy;
} compare_params_t;

extern const op_kernel_t compare_equal_kernel;
extern const op_kernel_t compare_less_kernel;
extern const op_kernel_t compare_greater_kernel;
extern const op_kernel_t compare_less_equal_kernel;
extern const op_kernel_t compare_greater_equal_kernel;
extern const op_kernel_t compare_and_kernel;
extern const op_kernel_t compare_or_kernel;
extern const op_kernel_t compare_xor_kernel;
extern const op_kernel_t compare_not_kernel;

/* Row kernel (bool output) of op on element type t for a bcast_kind, or NULL. */
bcast_row_fn compare_row(compare_op_t op, dtype_t t, int kind);

/* y = !x over n bools; any nonzero byte counts as true. */
void compare_not(const uint8_t *x, bool *y, int64_t n);

/* CPU implementations (compare_cpu.c). */
status_t compare_equal_run(op_call_t *call, error_t *err);
status_t compare_less_run(op_call_t *call, error_t *err);
status_t compare_greater_run(op_call_t *call, error_t *err);
status_t compare_less_equal_run(op_call_t *call, error_t *err);
status_t compare_greater_equal_run(op_call_t *call, error_t *err);
status_t compare_and_run(op_call_t *call, error_t *err);
status_t compare_or_run(op_call_t *call, error_t *err);
status_t compare_xor_run(op_call_t *call, error_t *err);
status_t compare_not_run(op_call_t *call, error_t *err);

#endif
