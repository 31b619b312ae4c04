/*
 * gemm_kernel_generic.c - the portable micro-kernel: the same tile
 * contract as the vector ones, with a local accumulator block the compiler
 * can keep in registers or vectorise for the baseline ISA.
 */
#include <math.h>

#include "gemm_kernel.h"

static float activate(float x, const gemm_tile_t *t)
{
    switch (t->act) {
    case GEMM_ACT_RELU:
        return x > 0.0f ? x : 0.0f;
    case GEMM_ACT_CLIP:
        return x < t->clip_min ? t->clip_min : x > t->clip_max ? t->clip_max : x;
    case GEMM_ACT_GELU:
        return 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
    case GEMM_ACT_NONE:
        break;
    }
    return x;
}

void gemm_kernel_generic(const gemm_tile_t *t)
{
    float acc[GEMM_MR][GEMM_NR] = {{0}};

    for (int64_t p = 0; p < t->kc; p++) {
        const float *brow = t->b + p * GEMM_NR;
        for (int r = 0; r < t->mr; r++) {
            float av = t->a[r * t->lda + p];
            for (int j = 0; j < GEMM_NR; j++)
                acc[r][j] += av * brow[j];
        }
    }
    for (int r = 0; r < t->mr; r++) {
        float *crow = t->c + r * t->ldc;
        for (int j = 0; j < t->nr; j++) {
            float v = acc[r][j];
            if (!t->first)
                v += crow[j];
            else {
                if (t->bias)
                    v += t->bias[j];
                if (t->residual)
                    v += t->residual[r * t->ld_residual + j];
            }
            crow[j] = t->last ? activate(v, t) : v;
        }
    }
}
