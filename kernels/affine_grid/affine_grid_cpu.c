/*
 * affine_grid_cpu.c - AffineGrid. Arithmetic is double; each grid point is
 * the matrix-vector product of its theta and its base coordinates.
 */
#include "affine_grid.h"

static double load(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_FLOAT ? (double)((const float *)p)[i] : ((const double *)p)[i];
}

static void store(dtype_t t, void *p, int64_t i, double v)
{
    if (t == DTYPE_FLOAT)
        ((float *)p)[i] = (float)v;
    else
        ((double *)p)[i] = v;
}

/* Index i of a side of size pixels, normalised to [-1, 1]. */
static double base(int64_t i, int64_t size, bool align_corners)
{
    if (size <= 1)
        return 0;
    return align_corners ? -1.0 + 2.0 * (double)i / (double)(size - 1)
                         : (2.0 * (double)i + 1.0) / (double)size - 1.0;
}

void affine_grid(dtype_t t, int r, int64_t n, int64_t d, int64_t h, int64_t w, bool align_corners,
                 const void *theta, void *grid)
{
    const int64_t depth = r == 3 ? d : 1;
    int64_t at = 0;

    for (int64_t b = 0; b < n; b++) {
        double m[3][4];
        for (int i = 0; i < r; i++)
            for (int j = 0; j <= r; j++)
                m[i][j] = load(t, theta, (b * r + i) * (r + 1) + j);
        for (int64_t k = 0; k < depth; k++) {
            const double z = base(k, depth, align_corners);
            for (int64_t i = 0; i < h; i++) {
                const double y = base(i, h, align_corners);
                for (int64_t j = 0; j < w; j++) {
                    /* Homogeneous coordinates in grid order: x (width) first. */
                    const double v[4] = {base(j, w, align_corners), y, r == 3 ? z : 1.0, 1.0};
                    for (int c = 0; c < r; c++) {
                        double s = 0;
                        for (int e = 0; e <= r; e++)
                            s += m[c][e] * v[e];
                        store(t, grid, at++, s);
                    }
                }
            }
        }
    }
}

status_t affine_grid_run(op_call_t *call, error_t *err)
{
    const affine_grid_params_t *p = call->params;
    const tensor_t *y = &call->outputs[0];
    const int r = y->rank - 2;

    (void)err;
    affine_grid(y->dtype, r, y->dims[0], r == 3 ? y->dims[1] : 1, y->dims[r - 1], y->dims[r],
                p->align_corners, call->inputs[0]->data, y->data);
    return STATUS_OK;
}
