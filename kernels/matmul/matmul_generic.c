/*
 * matmul_generic.c - MatMul and Gemm on the types without a tuned kernel:
 * float64 and the integer types the spec lists (MatMul: int32, int64,
 * uint32, uint64; Gemm from opset 9 the same). Plain i-p-j loops whose
 * inner loop is a contiguous axpy over a row of B and Y, which compilers
 * vectorise; no model inferd targets spends its time here.
 *
 * Integers accumulate in the unsigned type of their width, so an overflow
 * wraps (as ONNX Runtime's and numpy's do) instead of being undefined. The
 * bits of a wrapped product do not depend on signedness, so int32/uint32
 * and int64/uint64 share one loop each.
 */
#include "matmul.h"

#include <assert.h>
#include <string.h>

/* Y[m, n] = A[m, k] x B[k, n] in type T, accumulated in A_T. */
#define DEFINE_MATMUL(name, T, ACC)                                                                \
    static void name(const T *a, const T *b, T *y, int64_t m, int64_t k, int64_t n)                \
    {                                                                                              \
        for (int64_t i = 0; i < m; i++) {                                                          \
            ACC *row = (ACC *)(y + i * n);                                                         \
            memset(row, 0, (size_t)n * sizeof *row);                                               \
            for (int64_t p = 0; p < k; p++) {                                                      \
                const ACC av = (ACC)a[i * k + p];                                                  \
                const ACC *brow = (const ACC *)(b + p * n);                                        \
                for (int64_t j = 0; j < n; j++)                                                    \
                    row[j] += av * brow[j];                                                        \
            }                                                                                      \
        }                                                                                          \
    }
DEFINE_MATMUL(matmul_f64, double, double)

void matmul_generic(dtype_t dtype, const void *a, const void *b, void *y, int64_t m, int64_t k,
                    int64_t n)
{
    switch (dtype) {
    case DTYPE_DOUBLE:
        matmul_f64(a, b, y, m, k, n);
        break;
    case DTYPE_INT32:
    case DTYPE_UINT32:
        matmul_i32(a, b, y, m, k, n);
        break;
    case DTYPE_INT64:
    case DTYPE_UINT64:
        matmul_i64(a, b, y, m, k, n);
        break;
    default:
        assert(!"dtype outside matmul_info");
    }
}

/*
 * Gemm: Y = alpha * op(A) x op(B) + beta * C. op(A)[i, p] is
 * a[i * as_i + p * as_p] (the strides swap for transA), likewise B. The
 * product accumulates in ACC; alpha and beta (float attributes) apply in
 * double, and the integer types skip them when they are 1 so that the
 * common Gemm stays exact past 2^53.
 */
#define DEFINE_GEMM(name, T, ACC)                                                                  \
    static void name(const T *a, const T *b, const T *c, T *y, int64_t m, int64_t k, int64_t n,    \
                     bool trans_a, bool trans_b, double alpha, double beta, int64_t c_row_stride,  \
                     int64_t c_col_stride)                                                         \
    {                                                                                              \
        const int64_t as_i = trans_a ? 1 : k, as_p = trans_a ? m : 1;                              \
        const int64_t bs_p = trans_b ? 1 : n, bs_j = trans_b ? k : 1;                              \
        const bool exact = alpha == 1.0 && (c == NULL || beta == 1.0);                             \
        for (int64_t i = 0; i < m; i++) {                                                          \
            for (int64_t j = 0; j < n; j++) {                                                      \
                ACC acc = 0;                                                                       \
                for (int64_t p = 0; p < k; p++)                                                    \
                    acc += (ACC)a[i * as_i + p * as_p] * (ACC)b[p * bs_p + j * bs_j];              \
                if (exact) {                                                                       \
                    if (c)                                                                         \
                        acc += (ACC)c[i * c_row_stride + j * c_col_stride];                        \
                    y[i * n + j] = (T)acc;                                                         \
                } else {                                                                           \
                    double v = alpha * (double)(T)acc;                                             \
                    if (c)                                                                         \
                        v += beta * (double)c[i * c_row_stride + j * c_col_stride];                \
                    y[i * n + j] = (T)v;                                                           \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
    }
DEFINE_GEMM(gemm_f64, double, double)
DEFINE_GEMM(gemm_i32, int32_t, uint32_t)
DEFINE_GEMM(gemm_u32, uint32_t, uint32_t)
DEFINE_GEMM(gemm_i64, int64_t, uint64_t)
DEFINE_GEMM(gemm_u64, uint64_t, uint64_t)

void gemm_generic(dtype_t dtype, const void *a, const void *b, const void *c, void *y, int64_t m,
                  int64_t k, int64_t n, bool trans_a, bool trans_b, float alpha, float beta,
                  int64_t c_row_stride, int64_t c_col_stride)
{
    switch (dtype) {
    case DTYPE_DOUBLE:
        gemm_f64(a, b, c, y, m, k, n, trans_a, trans_b, alpha, beta, c_row_stride, c_col_stride);
        break;
    case DTYPE_INT32:
        gemm_i32(a, b, c, y, m, k, n, trans_a, trans_b, alpha, beta, c_row_stride, c_col_stride);
        break;
    case DTYPE_UINT32:
        gemm_u32(a, b, c, y, m, k, n, trans_a, trans_b, alpha, beta, c_row_stride, c_col_stride);
        break;
    case DTYPE_INT64:
        gemm_i64(a, b, c, y, m, k, n, trans_a, trans_b, alpha, beta, c_row_stride, c_col_stride);
        break;
    case DTYPE_UINT64:
        gemm_u64(a, b, c, y, m, k, n, trans_a, trans_b, alpha, beta, c_row_stride, c_col_stride);
        break;
    default:
        assert(!"dtype outside gemm_info");
    }
}
