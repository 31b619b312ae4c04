/*
 * mvn_cpu.c - MeanVarianceNormalization over any set of axes: one pass
 * accumulates sum and sum of squares per kept position (an odometer maps
 * each element to it), a second normalises. Sums run in double.
 */
#include "mvn.h"

#include <assert.h>
#include <math.h>
#include <string.h>

/* Offset of each element among the kept positions, advanced by an odometer. */
typedef struct mvn_walk {
    int rank;
    int64_t dims[TENSOR_MAX_RANK], step[TENSOR_MAX_RANK], coords[TENSOR_MAX_RANK];
    int64_t at;
} mvn_walk_t;

static void walk_init(mvn_walk_t *w, int rank, const int64_t *dims, const bool *reduced)
{
    int64_t stride = 1;

    w->rank = rank;
    w->at = 0;
    for (int d = rank - 1; d >= 0; d--) {
        w->dims[d] = dims[d];
        w->coords[d] = 0;
        w->step[d] = reduced[d] ? 0 : stride;
        if (!reduced[d])
            stride *= dims[d];
    }
}

static void walk_next(mvn_walk_t *w)
{
    for (int d = w->rank - 1; d >= 0; d--) {
        if (++w->coords[d] < w->dims[d]) {
            w->at += w->step[d];
            return;
        }
        w->at -= (w->coords[d] - 1) * w->step[d];
        w->coords[d] = 0;
    }
}

#define MVN_DEFINE(name, T)                                                                        \
    static void name(const T *x, T *y, int64_t n, int64_t kept, int rank, const int64_t *dims,     \
                     const bool *reduced, double *stats)                                           \
    {                                                                                              \
        double *sum = stats, *sq = stats + kept;                                                   \
        const double count = kept ? (double)n / (double)kept : 0;                                  \
        mvn_walk_t w;                                                                              \
        memset(stats, 0, 2 * (size_t)kept * sizeof *stats);                                        \
        walk_init(&w, rank, dims, reduced);                                                        \
        for (int64_t i = 0; i < n; i++, walk_next(&w)) {                                           \
            sum[w.at] += x[i];                                                                     \
            sq[w.at] += (double)x[i] * x[i];                                                       \
        }                                                                                          \
        for (int64_t k = 0; k < kept; k++) {                                                       \
            const double mean = sum[k] / count;                                                    \
            const double var = sq[k] / count - mean * mean;                                        \
            sum[k] = mean;                                                                         \
            sq[k] = 1.0 / (sqrt(var > 0 ? var : 0) + MVN_EPSILON);                                 \
        }                                                                                          \
        walk_init(&w, rank, dims, reduced);                                                        \
        for (int64_t i = 0; i < n; i++, walk_next(&w))                                             \
            y[i] = (T)((x[i] - sum[w.at]) * sq[w.at]);                                             \
    }

MVN_DEFINE(mvn_f32, float)
MVN_DEFINE(mvn_f64, double)

void mvn(dtype_t t, const void *x, void *y, int rank, const int64_t *dims, const bool *reduced,
         double *stats)
{
    int64_t n = 1, kept = 1;

    for (int d = 0; d < rank; d++) {
        n *= dims[d];
        if (!reduced[d])
            kept *= dims[d];
    }
    if (n == 0)
        return;
    if (t == DTYPE_FLOAT)
        mvn_f32(x, y, n, kept, rank, dims, reduced, stats);
    else
        mvn_f64(x, y, n, kept, rank, dims, reduced, stats);
}

status_t mvn_run(op_call_t *call, error_t *err)
{
    const mvn_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    bool reduced[TENSOR_MAX_RANK] = {false};

    (void)err;
    for (int i = 0; i < p->n_axes; i++) {
        int axis;
        bool ok = axis_normalize(p->axes[i], x->rank, false, &axis);
        assert(ok); /* checked by the prototype */
        (void)ok;
        reduced[axis] = true;
    }
    mvn(x->dtype, x->data, call->outputs[0].data, x->rank, x->dims, reduced, call->workspace);
    return STATUS_OK;
}
