/*
 * The int8 elementwise loops (kernels/quant/quant_vec.c) and the int8
 * GEMM's epilogues (kernels/quant/qgemm.c) against the ONNX formulas
 * written out here in scalar code:
 *   QuantizeLinear    saturate(rint(x / scale) + zp), rint half to even
 *   DequantizeLinear  (x - zp) * scale
 *   the QDQ residual  Q(DQ(a) + DQ(b)) [with a Relu before the Q]
 *   the QDQ MatMul    Q(act(DQ(x) DQ(w) + bias)): the integer products are
 *                     exact, so DQ(x) DQ(w) is float(sum) * sx * sw.
 * Lengths leave partial vectors, inputs cover ties (k + 0.5), saturation,
 * infinities and both signednesses. The loops must match the formulas
 * exactly (they do the same float operations); the GELU epilogue (vmath's
 * polynomial against libm's erf in double) within one quantization step.
 * ctest runs this at every ISA cap, so the AVX-512 and plain C variants
 * each meet the same references.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu_isa.h"
#include "quant/qgemm.h"
#include "quant/quant_vec.h"

/* Lengths: empty, below one vector, one and a bit, several plus a tail. */
static const int64_t lengths[] = {0, 1, 7, 15, 16, 17, 33, 100, 1027};
#define N_LENGTHS (sizeof lengths / sizeof lengths[0])
#define MAX_LEN   1027

static int32_t saturate(double v, int32_t lo, int32_t hi)
{
    return v < lo ? lo : v > hi ? hi : (int32_t)v;
}

static int32_t stored(const void *y, bool is_signed, int64_t i)
{
    return is_signed ? ((const int8_t *)y)[i] : ((const uint8_t *)y)[i];
}

/* Values around the output range: ties, the clamp's edges, infinities. */
static float probe(int64_t i, float scale)
{
    static const float special[] = {0.5f,   1.5f, 2.5f,  -0.5f,    -1.5f,     127.5f, -128.5f,
                                    255.5f, 1e9f, -1e9f, INFINITY, -INFINITY, -0.0f};
    const int64_t n = (int64_t)(sizeof special / sizeof special[0]);

    if (i % 5 == 0)
        return special[(i / 5) % n] * scale;
    return (float)((rand() % 70000) - 35000) / 100.0f * scale;
}

static void test_quantize(void)
{
    float x[MAX_LEN];
    uint8_t y[MAX_LEN + 1];

    for (size_t l = 0; l < N_LENGTHS; l++)
        for (int sgn = 0; sgn < 2; sgn++) {
            const int64_t n = lengths[l];
            const float scale = 0.37f;
            const int32_t zp = sgn ? -3 : 131;
            const quant_vec_out_t out = quant_vec_out(zp, sgn);
            for (int64_t i = 0; i < n; i++)
                x[i] = probe(i, scale);
            y[n] = 0xa5; /* past the end: must stay */
            quant_vec_quantize(x, n, scale, &out, y);
            for (int64_t i = 0; i < n; i++) {
                const int32_t want = saturate((double)rintf(x[i] / scale) + zp, out.lo, out.hi);
                if (stored(y, sgn, i) != want) {
                    fprintf(stderr, "quantize n=%lld x=%g: got %d, want %d\n", (long long)n,
                            (double)x[i], stored(y, sgn, i), want);
                    CHECK(false);
                    break;
                }
            }
            CHECK(y[n] == 0xa5);
        }
}

static void test_dequantize(void)
{
    uint8_t x[MAX_LEN];
    float y[MAX_LEN + 1];

    for (size_t l = 0; l < N_LENGTHS; l++)
        for (int sgn = 0; sgn < 2; sgn++) {
            const int64_t n = lengths[l];
            const float scale = 0.0173f;
            const int32_t zp = sgn ? 5 : 200;
            for (int64_t i = 0; i < n; i++)
                x[i] = (uint8_t)(i * 37 + 11);
            y[n] = 42.0f;
            quant_vec_dequantize(x, sgn, n, scale, zp, y);
            for (int64_t i = 0; i < n; i++) {
                const float want = (float)(stored(x, sgn, i) - zp) * scale;
                if (y[i] != want) {
                    fprintf(stderr, "dequantize n=%lld: got %g, want %g\n", (long long)n,
                            (double)y[i], (double)want);
                    CHECK(false);
                    break;
                }
            }
            CHECK(y[n] == 42.0f);
        }
}

static void test_add(void)
{
    uint8_t a[MAX_LEN], b[MAX_LEN], y[MAX_LEN + 1];

    for (size_t l = 0; l < N_LENGTHS; l++)
        for (int mix = 0; mix < 8; mix++) {
            const int64_t n = lengths[l];
            const bool as = mix & 1, bs = (mix >> 1) & 1, ys = (mix >> 2) & 1, relu = mix == 5;
            const quant_vec_in_t in_a = {a, as, 0.021f, as ? 3.0f : 120.0f};
            const quant_vec_in_t in_b = {b, bs, 0.047f, bs ? -7.0f : 64.0f};
            const float sy = 0.05f;
            quant_vec_out_t out = quant_vec_out(ys ? -10 : 90, ys);
            if (relu)
                out.lo = out.zy;
            for (int64_t i = 0; i < n; i++) {
                a[i] = (uint8_t)rand();
                b[i] = (uint8_t)rand();
            }
            y[n] = 0x5a;
            quant_vec_add(&in_a, &in_b, sy, &out, n, y);
            for (int64_t i = 0; i < n; i++) {
                const float da = ((float)stored(a, as, i) - in_a.z) * in_a.s;
                const float db = ((float)stored(b, bs, i) - in_b.z) * in_b.s;
                float sum = da + db;
                int32_t want;
                if (relu && sum < 0.0f)
                    sum = 0.0f;
                want = saturate((double)rintf(sum / sy) + out.zy, ys ? -128 : 0, ys ? 127 : 255);
                if (stored(y, ys, i) != want) {
                    fprintf(stderr, "add mix %d n=%lld: got %d, want %d\n", mix, (long long)n,
                            stored(y, ys, i), want);
                    CHECK(false);
                    break;
                }
            }
            CHECK(y[n] == 0x5a);
        }
}

/* The GEMM's shapes: a partial row tile and a partial panel block. */
#define GM 13
#define GK 70
#define GN 83

/*
 * x (uint8, zero point zx) times w (int8, symmetric per column) with a float
 * bias, through act, out as float or quantized (F32_Q8).
 */
static void test_gemm_float_epilogue(qgemm_act_t act, bool quantized)
{
    static uint8_t x[GM * GK], y8[GM * GN];
    static int8_t w[GK * GN];
    static float y[GM * GN], mult[GN], bias[GN];
    static int32_t col_sums[GN], col_off[GN];
    uint8_t *packed = aligned_alloc(64, qgemm_packed_bytes(GK, GN) + 64);
    uint8_t *rows = malloc((size_t)GM * (size_t)qgemm_k_padded(GK));
    const int32_t zx = 117, zy = 20;
    const float sx = 0.011f, sy = 0.043f;
    int64_t off_by_one = 0, exact = 0;
    qgemm_epilogue_t ep = {0};

    CHECK(packed && rows);
    if (!packed || !rows)
        goto cleanup;
    for (int i = 0; i < GM * GK; i++)
        x[i] = (uint8_t)rand();
    for (int i = 0; i < GK * GN; i++)
        w[i] = (int8_t)(rand() % 255 - 127);
    for (int j = 0; j < GN; j++) {
        mult[j] = sx * (0.0005f + 0.00001f * (float)j);
        bias[j] = (float)(j % 11) * 0.1f - 0.5f;
    }
    qgemm_pack_v(w, DTYPE_INT8, GK, GN, GN, 1, true, packed, col_sums);
    qgemm_pack_r(x, DTYPE_UINT8, GM, GK, GK, false, rows, NULL);
    for (int j = 0; j < GN; j++)
        col_off[j] = -zx * col_sums[j]; /* sum (x - zx) w = S - zx sum(w) */
    ep.output = quantized ? QGEMM_OUT_F32_Q8 : QGEMM_OUT_F32;
    ep.out_dtype = DTYPE_UINT8;
    ep.col_off = col_off;
    ep.mult = mult;
    ep.fbias = bias;
    ep.act = act;
    ep.y_scale = sy;
    ep.zy = zy;
    ep.lo = 0;
    ep.hi = 255;
    qgemm_run(qgemm_kernel(), GM, GN, GK, rows, qgemm_k_padded(GK), packed, false, &ep,
              quantized ? (void *)y8 : (void *)y, GN, 2);
    for (int m = 0; m < GM; m++)
        for (int j = 0; j < GN; j++) {
            int64_t sum = 0;
            float v;
            for (int k = 0; k < GK; k++)
                sum += (int64_t)(x[m * GK + k] - zx) * w[k * GN + j];
            v = (float)sum * mult[j] + bias[j];
            if (act == QGEMM_ACT_RELU)
                v = v > 0.0f ? v : 0.0f;
            if (act == QGEMM_ACT_GELU) {
                const double g = 0.5 * (double)v * (1.0 + erf((double)v / sqrt(2.0)));
                if (quantized) {
                    const int32_t want = saturate(rint(g / sy) + zy, 0, 255);
                    const int32_t d = abs(y8[m * GN + j] - want);
                    CHECK(d <= 1);
                    off_by_one += d == 1;
                    exact += d == 0;
                } else {
                    CHECK_NEAR(y[m * GN + j], g, 1e-5 * fabs(g) + 1e-6);
                }
                continue;
            }
            if (quantized) {
                const int32_t want = saturate((double)rintf(v / sy) + zy, 0, 255);
                CHECK(y8[m * GN + j] == want);
            } else {
                CHECK(y[m * GN + j] == v);
            }
        }
    /* A GELU a few ulp off the true one flips a step only at rare near-ties. */
    if (act == QGEMM_ACT_GELU && quantized)
        CHECK(off_by_one * 100 <= exact);
cleanup:
    free(packed);
    free(rows);
}

/* Tile geometry of the epilogue comparison: the widest tile, then partial ones. */
#define EP_ROWS 6
#define EP_COLS 64
/* Where the tile sits in its output and in the row and column arrays. */
#define EP_M0  3
#define EP_N0  5
#define EP_LDO (EP_N0 + EP_COLS + 2)

/*
 * The AVX-512 epilogue against the plain C one, bit for bit, over every
 * output, activation, multiplier layout, output type and residual, with
 * sums that wrap and tiles cut at every width (masked tails). Both do the same
 * int32 and float32 operations in the same order, so any difference is a
 * bug (the references above check the plain C one's arithmetic).
 */
static void test_epilogue_variants(void)
{
    static int32_t c[EP_ROWS * EP_COLS], row_off[EP_M0 + EP_ROWS], row_f[EP_M0 + EP_ROWS];
    static int32_t col_off[EP_N0 + EP_COLS], col_f[EP_N0 + EP_COLS];
    static float mult[EP_N0 + EP_COLS], fbias[EP_N0 + EP_COLS];
    /* out holds rows m0.. and columns n0.. of a matrix of row stride EP_LDO, 4-byte elements. */
    static uint8_t want[(EP_M0 + EP_ROWS) * EP_LDO * 4], got[(EP_M0 + EP_ROWS) * EP_LDO * 4];
    /* The residual: 8-bit, of the output's layout (row stride EP_LDO). */
    static uint8_t res[(EP_M0 + EP_ROWS) * EP_LDO];

    if (cpu_isa() < CPU_ISA_AVX512) {
        fprintf(stderr, "qgemm_epilogue_avx512 not compared: the ISA is capped below AVX-512\n");
        return;
    }
    for (int i = 0; i < EP_ROWS * EP_COLS; i++)
        c[i] = (int32_t)((uint32_t)rand() << 16 ^ (uint32_t)rand()) >> (rand() % 24);
    for (int i = 0; i < (EP_M0 + EP_ROWS) * EP_LDO; i++)
        res[i] = (uint8_t)rand();
    for (int i = 0; i < EP_M0 + EP_ROWS; i++) {
        row_off[i] = rand() % 200001 - 100000;
        row_f[i] = rand() % 70001 - 35000;
    }
    for (int i = 0; i < EP_N0 + EP_COLS; i++) {
        col_off[i] = (int32_t)((uint32_t)rand() << 12);
        col_f[i] = rand() % 301 - 150;
        fbias[i] = (float)(rand() % 2001 - 1000) * 0.003f;
    }
    for (int i = 0; i < EP_N0 + EP_COLS; i++)
        mult[i] = (float)(rand() % 1000 + 1) * 2e-7f;
    for (int output = QGEMM_OUT_I32; output <= QGEMM_OUT_F32_Q8; output++)
        for (int act = QGEMM_ACT_NONE; act <= QGEMM_ACT_GELU; act++)
            for (int layout = 0; layout < 3; layout++)
                for (int variant = 0; variant < 4; variant++) {
                    const int64_t rows = variant % 2 ? EP_ROWS : 1 + rand() % EP_ROWS;
                    const int64_t cols = variant < 2 ? EP_COLS : 1 + rand() % (EP_COLS - 1);
                    qgemm_epilogue_t ep = {0};

                    ep.output = (qgemm_output_t)output;
                    ep.act = (qgemm_act_t)act;
                    ep.out_dtype = variant % 2 ? DTYPE_INT8 : DTYPE_UINT8;
                    ep.zy = variant % 2 ? -3 : 117;
                    ep.lo = variant % 2 ? -128 : 0;
                    ep.hi = variant % 2 ? 127 : 255;
                    if (output == QGEMM_OUT_Q8 && act == QGEMM_ACT_RELU)
                        ep.lo = ep.zy;
                    ep.y_scale = 0.037f;
                    ep.mult = mult;
                    ep.mult_one = layout == 0;
                    ep.mult_per_row = layout == 1;
                    ep.col_off = variant == 3 ? NULL : col_off;
                    ep.row_off = variant % 2 ? row_off : NULL;
                    ep.row_f = layout == 2 ? row_f : NULL;
                    ep.col_f = layout == 2 ? col_f : NULL;
                    ep.fbias = variant < 3 ? fbias : NULL;
                    /* A residual (F32 only) on every other combination, of both signednesses. */
                    if ((act + layout + variant) % 2) {
                        ep.res = res;
                        ep.res_signed = layout == 1;
                        ep.res_ld = EP_LDO;
                        ep.res_scale = 0.021f;
                        ep.res_zp = layout == 1 ? -7 : 131;
                    }
                    memset(want, 0x5a, sizeof want);
                    memset(got, 0x5a, sizeof got);
                    qgemm_epilogue_apply(&ep, c, EP_COLS, EP_M0, rows, EP_N0, cols, want, EP_LDO);
                    qgemm_epilogue_avx512(&ep, c, EP_COLS, EP_M0, rows, EP_N0, cols, got, EP_LDO);
                    CHECK(memcmp(want, got, sizeof want) == 0);
                }
}

int main(void)
{
    srand(7);
    fprintf(stderr, "isa %s\n", cpu_isa_name(cpu_isa()));
    test_quantize();
    test_dequantize();
    test_add();
    for (int q = 0; q < 2; q++) {
        test_gemm_float_epilogue(QGEMM_ACT_NONE, q);
        test_gemm_float_epilogue(QGEMM_ACT_RELU, q);
        test_gemm_float_epilogue(QGEMM_ACT_GELU, q);
    }
    test_epilogue_variants();
    CHECK_DONE();
}
