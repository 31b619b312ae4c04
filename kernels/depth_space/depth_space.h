/*
 * depth_space.h - DepthToSpace and SpaceToDepth on NCHW: moving blocks of
 * blocksize x blocksize pixels between the channel dim and the spatial
 * dims. With C' = C / b^2 and DCR order (DepthToSpace's default and
 * SpaceToDepth's only order):
 *   depth[n][(i * b + j) * C' + c][h][w] = space[n][c][h * b + i][w * b + j]
 * and with CRD order (DepthToSpace mode "CRD", opset 11):
 *   depth[n][c * b^2 + i * b + j][h][w] = space[n][c][h * b + i][w * b + j]
 */
#ifndef INFERD_DEPTH_SPACE_H
#define INFERD_DEPTH_SPACE_H

#include "op.h"

typedef struct depth_space_params {
    int64_t blocksize;
    bool crd;      /* DepthToSpace mode "CRD" */
    bool to_space; /* DepthToSpace; else SpaceToDepth */
} depth_space_params_t;

extern const op_kernel_t depth_to_space_kernel;
extern const op_kernel_t space_to_depth_kernel;

/* The geometry of one call: the space side's dims. */
typedef struct depth_space_shape {
    int64_t n, c, h, w; /* space side: [n, c, h * b, w * b] is the big one */
    int64_t b;
} depth_space_shape_t;

/*
 * Moves elements (elem_size bytes) between depth [n, c * b^2, h, w] and
 * space [n, c, h * b, w * b]: from depth to space when to_space, else back.
 */
void depth_space(const depth_space_shape_t *s, bool crd, bool to_space, const void *x, void *y,
                 size_t elem_size);

/* CPU implementation (depth_space_cpu.c). */
status_t depth_space_run(op_call_t *call, error_t *err);

#endif
