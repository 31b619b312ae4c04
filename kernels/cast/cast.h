/* cast.h - Cast and CastLike: elementwise conversion between element types. */
#ifndef INFERD_CAST_H
#define INFERD_CAST_H

#include "op.h"

typedef struct cast_params {
    dtype_t to; /* Cast only; CastLike takes the type of its second input */
} cast_params_t;

extern const op_kernel_t cast_kernel;
extern const op_kernel_t cast_like_kernel;

/*
 * Converts n elements. Conversions follow C (and so numpy's astype) where
 * the value fits; a real value beyond an integer type's range saturates and
 * NaN becomes 0 (C leaves both undefined). Anything to bool is x != 0.
 */
typedef void (*cast_fn)(const void *src, void *dst, int64_t n);

/* The conversion from one dtype to another, or NULL if either is not held in memory. */
cast_fn cast_function(dtype_t from, dtype_t to);

/*
 * The conversions to or from float16 and bfloat16 (cast_half.c): through
 * float or double, rounding once to nearest even; NULL for other pairs.
 */
cast_fn cast_half_function(dtype_t from, dtype_t to);

/* CPU implementation (cast_cpu.c); serves Cast and CastLike. */
status_t cast_run(op_call_t *call, error_t *err);

#endif
