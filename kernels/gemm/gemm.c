/*
 * gemm.c - first, plain version of the packed-B GEMM: B stored [n][k] so a
 * dot product reads both operands contiguously. Correct reference for the
 * blocked AVX2 kernels that replace it.
 */
#include "gemm.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

struct gemm_b {
    int64_t k, n;
    float *data; /* [n][k] */
};

status_t gemm_b_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                     gemm_b_t **out, error_t *err)
{
    gemm_b_t *p = calloc(1, sizeof *p);

    *out = NULL;
    if (p)
        p->data = malloc((size_t)(k * n + 1) * sizeof *p->data);
    if (!p || !p->data) {
        gemm_b_free(p);
        return error_set(err, STATUS_OUT_OF_MEMORY, "cannot pack a %lldx%lld GEMM operand",
                         (long long)k, (long long)n);
    }
    p->k = k;
    p->n = n;
    for (int64_t j = 0; j < n; j++)
        for (int64_t q = 0; q < k; q++)
            p->data[j * k + q] = transposed ? b[j * ldb + q] : b[q * ldb + j];
    *out = p;
    return STATUS_OK;
}

void gemm_b_free(gemm_b_t *b)
{
    if (!b)
        return;
    free(b->data);
    free(b);
}

int64_t gemm_b_k(const gemm_b_t *b)
{
    return b->k;
}

int64_t gemm_b_n(const gemm_b_t *b)
{
    return b->n;
}

size_t gemm_b_bytes(const gemm_b_t *b)
{
    return (size_t)(b->k * b->n) * sizeof *b->data;
}

size_t gemm_workspace_bytes(const gemm_a_t *a, int64_t m, const gemm_b_t *b, int threads)
{
    (void)m;
    return a->gather ? (size_t)threads * (size_t)b->k * sizeof(float) : 0;
}

static float activate(float x, const gemm_epilogue_t *ep)
{
    switch (ep->act) {
    case GEMM_ACT_RELU:
        return x > 0 ? x : 0;
    case GEMM_ACT_CLIP:
        return x < ep->clip_min ? ep->clip_min : x > ep->clip_max ? ep->clip_max : x;
    case GEMM_ACT_GELU:
        return 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2));
    case GEMM_ACT_NONE:
        break;
    }
    return x;
}

void gemm_run(const gemm_a_t *a, int64_t m, const gemm_b_t *b, float *c, int64_t ldc,
              const gemm_epilogue_t *epilogue, void *workspace, int threads)
{
    static const gemm_epilogue_t none = {0};
    const gemm_epilogue_t *ep = epilogue ? epilogue : &none;

#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < m; i++) {
        const float *row = a->data + i * a->lda;
        if (a->gather) {
            float *own = (float *)workspace + (int64_t)omp_get_thread_num() * b->k;
            a->gather(a->gather_ctx, i, 1, 0, b->k, own);
            row = own;
        }
        for (int64_t j = 0; j < b->n; j++) {
            const float *col = b->data + j * b->k;
            float sum = 0;
            for (int64_t q = 0; q < b->k; q++)
                sum += row[q] * col[q];
            if (ep->bias)
                sum += ep->bias[j];
            if (ep->residual)
                sum += ep->residual[i * ep->ld_residual + j];
            c[i * ldc + j] = activate(sum, ep);
        }
    }
}
