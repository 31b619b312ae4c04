/* where.h - Where: elementwise select between two tensors by a bool condition, broadcasting all
 * three. */
#ifndef INFERD_WHERE_H
#define INFERD_WHERE_H

#include "broadcast.h"
#include "op.h"

extern const op_kernel_t where_kernel;

/*
 * Row kernel selecting elements of elem_size bytes (1, 2, 4 or 8): out[i] =
 * cond[i] ? x[i] : y[i], with in = {cond, x, y}. ctx is the plan's
 * inner_step array; all_advance picks the kernel for steps {1, 1, 1}.
 */
bcast_row_fn where_row(size_t elem_size, bool all_advance);

/* CPU implementation (where_cpu.c). */
status_t where_run(op_call_t *call, error_t *err);

#endif
