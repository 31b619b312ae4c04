/*
 * qgemm.c - the int8 GEMM's dispatch, packing, plain-C kernel, epilogue
 * and driver (qgemm.h). The driver cuts C into tasks of one column block
 * (the kernel's panels) by one block of rows, so that both a tall MatMul
 * and a convolution with few output pixels split across threads; within a
 * task the packed columns stay in L1 while the row tiles stream past.
 */
#include "qgemm.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "parallel.h"
#include "quant_vec.h"
#include "vmath.h"

/* Rows of a task: 8 tiles of 6, enough to spread the packed block's load. */
#define QGEMM_ROW_BLOCK 48

static const qgemm_kernel_t kernels[] = {
    [QGEMM_GENERIC] = {QGEMM_GENERIC, "generic", 4, 1, qgemm_tile_generic, qgemm_epilogue_apply},
    [QGEMM_AVX2] = {QGEMM_AVX2, "avx2", 3, 1, qgemm_tile_avx2, qgemm_epilogue_apply},
    [QGEMM_AVX512_VNNI] = {QGEMM_AVX512_VNNI, "avx512-vnni", 6, 4, qgemm_tile_avx512_vnni,
                           qgemm_epilogue_avx512},
};

bool qgemm_has_vnni(void)
{
    return cpu_isa() >= CPU_ISA_AVX512 && __builtin_cpu_supports("avx512vnni");
}

const qgemm_kernel_t *qgemm_kernel(void)
{
    if (qgemm_has_vnni())
        return &kernels[QGEMM_AVX512_VNNI];
    if (cpu_isa() >= CPU_ISA_AVX2)
        return &kernels[QGEMM_AVX2];
    return &kernels[QGEMM_GENERIC];
}

void qgemm_tile_generic(int mr, int np, int64_t kg, const uint8_t *rows, int64_t ld,
                        const uint8_t *panels, int64_t pstride, bool rows_signed, int32_t *c,
                        int64_t ldc)
{
    for (int r = 0; r < mr; r++) {
        const uint8_t *a = rows + r * ld;
        for (int p = 0; p < np; p++) {
            int32_t acc[QGEMM_NR] = {0};
            const uint8_t *b = panels + p * pstride;
            for (int64_t g = 0; g < kg; g++, b += QGEMM_GROUP_BYTES)
                for (int t = 0; t < QGEMM_KU; t++) {
                    const int32_t av = rows_signed ? (int8_t)a[4 * g + t] : a[4 * g + t];
                    for (int j = 0; j < QGEMM_NR; j++) {
                        const uint8_t raw = b[j * QGEMM_KU + t];
                        acc[j] += av * (rows_signed ? (int32_t)raw : (int32_t)(int8_t)raw);
                    }
                }
            memcpy(c + r * ldc + p * QGEMM_NR, acc, sizeof acc);
        }
    }
}

/* One stored byte of src element i, in the signedness asked for, and its value. */
static inline uint8_t stored_byte(const void *src, dtype_t t, int64_t i, bool want_signed,
                                  int32_t *value)
{
    const uint8_t raw = ((const uint8_t *)src)[i];
    const bool src_signed = t == DTYPE_INT8;
    const uint8_t b = src_signed == want_signed ? raw : (uint8_t)(raw ^ 0x80u);

    *value = want_signed ? (int32_t)(int8_t)b : (int32_t)b;
    return b;
}

void qgemm_pack_v(const void *src, dtype_t src_type, int64_t k, int64_t n, int64_t ks, int64_t ns,
                  bool want_signed, uint8_t *dst, int32_t *col_sums)
{
    const int64_t k4 = qgemm_k_padded(k), pstride = k4 * QGEMM_NR;

    memset(dst, 0, qgemm_packed_bytes(k, n));
    for (int64_t j = 0; j < n; j++) {
        uint8_t *col = dst + j / QGEMM_NR * pstride + j % QGEMM_NR * QGEMM_KU;
        int32_t sum = 0, v;
        for (int64_t kk = 0; kk < k; kk++) {
            col[kk / QGEMM_KU * QGEMM_GROUP_BYTES + kk % QGEMM_KU] =
                stored_byte(src, src_type, kk * ks + j * ns, want_signed, &v);
            sum += v;
        }
        if (col_sums)
            col_sums[j] = sum;
    }
}

void qgemm_pack_r(const void *src, dtype_t src_type, int64_t m, int64_t k, int64_t lds,
                  bool want_signed, uint8_t *dst, int32_t *row_sums)
{
    const int64_t k4 = qgemm_k_padded(k);

    for (int64_t r = 0; r < m; r++) {
        uint8_t *row = dst + r * k4;
        int32_t sum = 0, v;
        for (int64_t kk = 0; kk < k; kk++) {
            row[kk] = stored_byte(src, src_type, r * lds + kk, want_signed, &v);
            sum += v;
        }
        memset(row + k, 0, (size_t)(k4 - k));
        if (row_sums)
            row_sums[r] = sum;
    }
}

/* a + b + c as int32 with two's complement wrap-around, as int32 GEMMs accumulate. */
static inline int32_t wrap_add(int32_t a, int32_t b)
{
    return (int32_t)((uint32_t)a + (uint32_t)b);
}

/*
 * Half-to-even rounding of a value already clamped to a byte's range: adding
 * 1.5 * 2^23 leaves no fraction bits, and the addition rounds in the
 * default mode, as ONNX Runtime's cvtps2dq does. Vectorises, where rintf
 * is a call per element without SSE4.1.
 */
static inline int32_t round_small(float v)
{
    const float magic = 12582912.0f;

    /* Not folded to v: the build does not allow reassociation (no -ffast-math). */
    return (int32_t)((v + magic) - magic);
}

void qgemm_epilogue_apply(const qgemm_epilogue_t *ep, const int32_t *c, int64_t ldc, int64_t m0,
                          int64_t rows, int64_t n0, int64_t cols, void *out, int64_t ldo)
{
    for (int64_t r = 0; r < rows; r++) {
        const int64_t m = m0 + r;
        const int32_t *src = c + r * ldc;
        const int32_t roff = ep->row_off ? ep->row_off[m] : 0;
        const int32_t rf = ep->row_f ? ep->row_f[m] : 0;
        const int32_t *coff = ep->col_off ? ep->col_off + n0 : NULL;
        const int32_t *cf = ep->row_f && ep->col_f ? ep->col_f + n0 : NULL;
        int32_t acc[QGEMM_MAX_NP * QGEMM_NR];
        float fv[QGEMM_MAX_NP * QGEMM_NR];

        for (int64_t j = 0; j < cols; j++) {
            int32_t v = wrap_add(src[j], roff);
            if (coff)
                v = wrap_add(v, coff[j]);
            if (cf)
                v = wrap_add(v, (int32_t)((uint32_t)rf * (uint32_t)cf[j]));
            acc[j] = v;
        }
        if (ep->output == QGEMM_OUT_I32) {
            memcpy((int32_t *)out + m * ldo + n0, acc, (size_t)cols * sizeof *acc);
        } else if (ep->output == QGEMM_OUT_Q8) {
            const float lo = (float)(ep->lo - ep->zy), hi = (float)(ep->hi - ep->zy);
            const float rm = ep->mult_one || ep->mult_per_row ? ep->mult[ep->mult_one ? 0 : m] : 0;
            const float *cm = ep->mult_one || ep->mult_per_row ? NULL : ep->mult + n0;
            const int32_t zy = ep->zy;
            if (ep->out_dtype == DTYPE_UINT8) {
                uint8_t *y = (uint8_t *)out + m * ldo + n0;
                for (int64_t j = 0; j < cols; j++) {
                    float v = (float)acc[j] * (cm ? cm[j] : rm);
                    v = v < lo ? lo : v > hi ? hi : v;
                    y[j] = (uint8_t)(round_small(v) + zy);
                }
            } else {
                int8_t *y = (int8_t *)out + m * ldo + n0;
                for (int64_t j = 0; j < cols; j++) {
                    float v = (float)acc[j] * (cm ? cm[j] : rm);
                    v = v < lo ? lo : v > hi ? hi : v;
                    y[j] = (int8_t)(round_small(v) + zy);
                }
            }
        } else {
            const float rm = ep->mult_one || ep->mult_per_row ? ep->mult[ep->mult_one ? 0 : m] : 0;
            const float *cm = ep->mult_one || ep->mult_per_row ? NULL : ep->mult + n0;
            const float *fb = ep->fbias ? ep->fbias + n0 : NULL;
            float *y = ep->output == QGEMM_OUT_F32 ? (float *)out + m * ldo + n0 : fv;
            for (int64_t j = 0; j < cols; j++) {
                float f = (float)acc[j] * (cm ? cm[j] : rm);
                if (fb)
                    f += fb[j];
                y[j] = ep->act == QGEMM_ACT_RELU && !(f > 0.0f) ? 0.0f : f;
            }
            if (ep->act == QGEMM_ACT_GELU)
                vmath_gelu_f32(y, y, cols);
            if (ep->output == QGEMM_OUT_F32 && ep->res) {
                const uint8_t *res = ep->res + m * ep->res_ld + n0;
                for (int64_t j = 0; j < cols; j++) {
                    const int32_t v = ep->res_signed ? (int8_t)res[j] : res[j];
                    y[j] += (float)(v - ep->res_zp) * ep->res_scale;
                }
            }
            if (ep->output == QGEMM_OUT_F32_Q8) {
                const quant_vec_out_t q = {ep->zy, ep->lo, ep->hi, ep->out_dtype == DTYPE_INT8};
                quant_vec_quantize(fv, cols, ep->y_scale, &q, (uint8_t *)out + m * ldo + n0);
            }
        }
    }
}

/* One task: the rows [m0, m1) of the column block of panels [p0, p1). */
static void run_task(const qgemm_kernel_t *kern, int64_t m0, int64_t m1, int64_t p0, int64_t p1,
                     int64_t n, int64_t kg, const uint8_t *rows, int64_t ld,
                     const uint8_t *packed_v, bool rows_signed, const qgemm_epilogue_t *ep,
                     void *out, int64_t ldo)
{
    const int64_t pstride = kg * QGEMM_GROUP_BYTES, ldc = QGEMM_MAX_NP * QGEMM_NR;
    int32_t c[QGEMM_MAX_MR * QGEMM_MAX_NP * QGEMM_NR];
    const int np = (int)(p1 - p0);
    const int64_t n0 = p0 * QGEMM_NR, n1 = p1 * QGEMM_NR < n ? p1 * QGEMM_NR : n;

    for (int64_t m = m0; m < m1; m += kern->mr) {
        const int mr = (int)(m1 - m < kern->mr ? m1 - m : kern->mr);
        kern->tile(mr, np, kg, rows + m * ld, ld, packed_v + p0 * pstride, pstride, rows_signed, c,
                   ldc);
        kern->epilogue(ep, c, ldc, m, mr, n0, n1 - n0, out, ldo);
    }
}

void qgemm_run(const qgemm_kernel_t *kern, int64_t m, int64_t n, int64_t k, const uint8_t *rows,
               int64_t ld, const uint8_t *packed_v, bool rows_signed, const qgemm_epilogue_t *ep,
               void *out, int64_t ldo, int threads)
{
    const int64_t kg = qgemm_k_padded(k) / QGEMM_KU, panels = qgemm_panels(n);
    const int64_t col_blocks = (panels + kern->np - 1) / kern->np;
    const int64_t row_blocks = (m + QGEMM_ROW_BLOCK - 1) / QGEMM_ROW_BLOCK;
    const int64_t tasks = col_blocks * row_blocks;
    /* vpdpbusd does 4 products per lane: a quarter of the float GEMM's work per product. */
    const int worth = parallel_team(m * n * k / 4, threads);
    const int team = worth > 1 && tasks > 1 ? (worth < tasks ? worth : (int)tasks) : 1;

    if (m <= 0 || n <= 0)
        return;
    /* Without a team, no parallel region at all: even an inactive one costs a call into libgomp. */
    if (team == 1) {
        for (int64_t cb = 0; cb < col_blocks; cb++) {
            const int64_t p0 = cb * kern->np;
            const int64_t p1 = p0 + kern->np < panels ? p0 + kern->np : panels;
            run_task(kern, 0, m, p0, p1, n, kg, rows, ld, packed_v, rows_signed, ep, out, ldo);
        }
        return;
    }
#pragma omp parallel for num_threads(team) schedule(static)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t cb = t / row_blocks, rb = t % row_blocks;
        const int64_t p0 = cb * kern->np;
        const int64_t p1 = p0 + kern->np < panels ? p0 + kern->np : panels;
        const int64_t m0 = rb * QGEMM_ROW_BLOCK;
        const int64_t m1 = m0 + QGEMM_ROW_BLOCK < m ? m0 + QGEMM_ROW_BLOCK : m;
        run_task(kern, m0, m1, p0, p1, n, kg, rows, ld, packed_v, rows_signed, ep, out, ldo);
    }
}
