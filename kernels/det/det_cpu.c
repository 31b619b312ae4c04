/*
 * det_cpu.c - Det: Gaussian elimination with partial pivoting; the
 * determinant is the product of the pivots, negated once per row swap.
 */
#include "det.h"

#include <math.h>

static double det_lu(double *lu, int64_t m)
{
    double det = 1.0;

    for (int64_t col = 0; col < m; col++) {
        int64_t pivot = col;
        for (int64_t r = col + 1; r < m; r++)
            if (fabs(lu[r * m + col]) > fabs(lu[pivot * m + col]))
                pivot = r;
        if (lu[pivot * m + col] == 0.0)
            return 0.0;
        if (pivot != col) {
            for (int64_t j = 0; j < m; j++) {
                double t = lu[col * m + j];
                lu[col * m + j] = lu[pivot * m + j];
                lu[pivot * m + j] = t;
            }
            det = -det;
        }
        det *= lu[col * m + col];
        for (int64_t r = col + 1; r < m; r++) {
            const double f = lu[r * m + col] / lu[col * m + col];
            for (int64_t j = col + 1; j < m; j++)
                lu[r * m + j] -= f * lu[col * m + j];
        }
    }
    return det;
}

double det_matrix_f32(const float *a, int64_t m, double *lu)
{
    for (int64_t i = 0; i < m * m; i++)
        lu[i] = a[i];
    return det_lu(lu, m);
}

double det_matrix_f64(const double *a, int64_t m, double *lu)
{
    for (int64_t i = 0; i < m * m; i++)
        lu[i] = a[i];
    return det_lu(lu, m);
}

status_t det_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];
    const int64_t m = x->dims[x->rank - 1];
    const int64_t batch = tensor_numel(&call->outputs[0]);

    (void)err;
    for (int64_t b = 0; b < batch; b++) {
        if (x->dtype == DTYPE_FLOAT)
            ((float *)call->outputs[0].data)[b] =
                (float)det_matrix_f32((const float *)x->data + b * m * m, m, call->workspace);
        else
            ((double *)call->outputs[0].data)[b] =
                det_matrix_f64((const double *)x->data + b * m * m, m, call->workspace);
    }
    return STATUS_OK;
}
