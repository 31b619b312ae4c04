/* det.h - Det: the determinant of each square matrix in the last two dims ([*, M, M] -> [*]). */
#ifndef INFERD_DET_H
#define INFERD_DET_H

#include "op.h"

extern const op_kernel_t det_kernel;

/*
 * The determinant of the m x m row-major matrix a, by LU decomposition with
 * partial pivoting in double; lu is scratch of m * m doubles.
 */
double det_matrix_f32(const float *a, int64_t m, double *lu);
double det_matrix_f64(const double *a, int64_t m, double *lu);

/* CPU implementation (det_cpu.c). */
status_t det_run(op_call_t *call, error_t *err);

#endif
