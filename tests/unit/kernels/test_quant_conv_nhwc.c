/*
 * Unit tests of inferd.QLinearConvNHWC (kernels/quant/quant_dnnl.c) through
 * its whole life in a plan: infer, pack, prepare, run, describe.
 *
 * What they guard: the post-op chain handed to oneDNN is trimmed where that
 * changes no bit (the bias handed over as float, a Relu the output's
 * saturation already does left out). Each case runs a Relu'd convolution,
 * alone or with a fused residual Add, once with zero points at the output
 * type's minimum (the Relu is left out) and once with others (it must
 * stay), and compares every output with a naive loop of the op's
 * arithmetic. The loop rounds as oneDNN's epilogue does; where the float
 * steps of the residual's sum may round apart (the qgemm route of a CPU
 * without VNNI, or under an INFERD_MAX_ISA cap, adds as QLinearAdd does)
 * one quantization step is allowed, far less than a wrongly dropped Relu
 * moves an output (most accumulators here are well below zero).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu_isa.h"
#include "quant/qgemm.h"
#include "quant/quant.h"

/* One case's shapes: N, H, W, C -> M channels with a k x k window (pad k / 2, stride 1). */
#define T_N      2
#define T_H      5
#define T_W      7
#define T_C      24
#define T_M      32
#define T_PIXELS (T_N * T_H * T_W)

/* Largest |got - want| in quantization steps: 0 on oneDNN's plain path, 1 where sums may round
 * apart. */
#define STEPS_EXACT 0
#define STEPS_SUM   1

typedef struct zero_points {
    dtype_t y_type; /* the convolution's 8-bit output type */
    int32_t zx, zy;
    bool residual;
    dtype_t s_type; /* with a residual: the sum's type, zero point zs */
    int32_t zr, zs;
} zero_points_t;

static int32_t type_min(dtype_t t)
{
    return t == DTYPE_INT8 ? -128 : 0;
}

static int32_t type_max(dtype_t t)
{
    return t == DTYPE_INT8 ? 127 : 255;
}

static int32_t saturate(dtype_t t, float v)
{
    const float r = rintf(v);
    if (r < (float)type_min(t))
        return type_min(t);
    return r > (float)type_max(t) ? type_max(t) : (int32_t)r;
}

static void store8(dtype_t t, void *p, int64_t i, int32_t v)
{
    if (t == DTYPE_INT8)
        ((int8_t *)p)[i] = (int8_t)v;
    else
        ((uint8_t *)p)[i] = (uint8_t)v;
}

static int32_t load8(dtype_t t, const void *p, int64_t i)
{
    return t == DTYPE_INT8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

static tensor_t tensor(dtype_t t, int rank, const int64_t *dims, void *data)
{
    tensor_t x = {.dtype = t, .rank = rank, .data = data};
    for (int i = 0; i < rank; i++)
        x.dims[i] = dims[i];
    return x;
}

/* One case: a k x k convolution with Relu, zero points z, against the naive loop. */
static void run_case(int k, const zero_points_t *z)
{
    static const int64_t x_dims[4] = {T_N, T_H, T_W, T_C}, scalar_dims[1] = {1};
    static const int64_t ch_dims[1] = {T_M};
    const int64_t w_dims[4] = {T_M, T_C, k, k};
    const int64_t n_w = (int64_t)T_M * T_C * k * k, n_y = (int64_t)T_PIXELS * T_M;
    uint8_t x[T_PIXELS * T_C], r[T_PIXELS * T_M], xz[1], yz[1], rz[1], sz[1];
    int8_t *w = malloc((size_t)n_w);
    float sx = 0.02f, sy = 0.05f, sw[T_M], sr = 0.04f, ss = 0.07f;
    int32_t bias[T_M];
    tensor_t t_x, t_xs, t_xz, t_w, t_ws, t_ys, t_yz, t_b, t_r, t_rs, t_rz, t_ss, t_sz;
    const tensor_t *in[QUANT_NHWC_INPUTS_MAX];
    const dtype_t out_type = z->residual ? z->s_type : z->y_type;
    quant_params_t p = {.axis = 1, .relu = true, .residual_relu = z->residual};
    tensor_t y = {0};
    op_call_t call = {.op_type = "inferd.QLinearConvNHWC",
                      .node = "n0",
                      .params = &p,
                      .n_inputs = z->residual ? QUANT_NHWC_INPUTS_MAX : QUANT_NHWC_RESIDUAL,
                      .inputs = in,
                      .n_outputs = 1,
                      .outputs = &y,
                      .threads = 1};
    const op_kernel_t *kernel = quant_nhwc_conv_schema.kernel;
    char impl[OP_IMPL_MAX];
    void *state = NULL, *prepared = NULL;
    error_t err = {0};
    int worst = 0;

    CHECK(w != NULL);
    p.conv.group = 1;
    p.conv.n_kernel_shape = p.conv.n_strides = p.conv.n_dilations = 2;
    p.conv.n_pads = 4;
    for (int i = 0; i < 2; i++) {
        p.conv.kernel_shape[i] = k;
        p.conv.strides[i] = p.conv.dilations[i] = 1;
        p.conv.pads[i] = p.conv.pads[i + 2] = k / 2;
    }
    for (int i = 0; i < T_PIXELS * T_C; i++)
        x[i] = (uint8_t)(rand() % 256);
    for (int64_t i = 0; i < n_w; i++)
        w[i] = (int8_t)(rand() % 255 - 127);
    for (int c = 0; c < T_M; c++) {
        sw[c] = 0.002f * (float)(1 + c % 5);
        bias[c] = rand() % 20001 - 10000;
    }
    for (int64_t i = 0; i < n_y; i++)
        r[i] = (uint8_t)(rand() % 256); /* any byte is an int8 or a uint8 */
    xz[0] = (uint8_t)z->zx;
    store8(z->y_type, yz, 0, z->zy);
    store8(z->s_type, rz, 0, z->zr);
    store8(z->s_type, sz, 0, z->zs);

    t_x = tensor(DTYPE_UINT8, 4, x_dims, x);
    t_xs = tensor(DTYPE_FLOAT, 1, scalar_dims, &sx);
    t_xz = tensor(DTYPE_UINT8, 1, scalar_dims, xz);
    t_w = tensor(DTYPE_INT8, 4, w_dims, w);
    t_ws = tensor(DTYPE_FLOAT, 1, ch_dims, sw);
    t_ys = tensor(DTYPE_FLOAT, 1, scalar_dims, &sy);
    t_yz = tensor(z->y_type, 1, scalar_dims, yz);
    t_b = tensor(DTYPE_INT32, 1, ch_dims, bias);
    t_r = tensor(z->s_type, 4, (const int64_t[]){T_N, T_H, T_W, T_M}, r);
    t_rs = tensor(DTYPE_FLOAT, 1, scalar_dims, &sr);
    t_rz = tensor(z->s_type, 1, scalar_dims, rz);
    t_ss = tensor(DTYPE_FLOAT, 1, scalar_dims, &ss);
    t_sz = tensor(z->s_type, 1, scalar_dims, sz);
    in[0] = &t_x;
    in[1] = &t_xs;
    in[2] = &t_xz;
    in[3] = &t_w;
    in[4] = &t_ws;
    in[5] = NULL; /* no weight zero points */
    in[6] = &t_ys;
    in[7] = &t_yz;
    in[8] = &t_b;
    in[QUANT_NHWC_RESIDUAL] = &t_r;
    in[QUANT_NHWC_RESIDUAL_SCALE] = &t_rs;
    in[QUANT_NHWC_RESIDUAL_ZERO_POINT] = &t_rz;
    in[QUANT_NHWC_SUM_SCALE] = &t_ss;
    in[QUANT_NHWC_SUM_ZERO_POINT] = &t_sz;

    /* The engine's order: infer sees the constants (weights, scales, zero points, bias), not x. */
    t_x.data = NULL;
    t_r.data = NULL;
    CHECK(kernel->infer(&call, &err) == STATUS_OK);
    CHECK(y.dtype == out_type && y.rank == 4 && y.dims[3] == T_M);
    CHECK(kernel->pack(&call, &state, &err) == STATUS_OK);
    call.state = state;
    CHECK(kernel->prepare(&call, &prepared, &err) == STATUS_OK);
    call.prepared = prepared;
    kernel->describe(&call, impl, sizeof impl);
    /* Where the CPU has VNNI (and no cap hides it) the case must be oneDNN's. */
    CHECK(!qgemm_has_vnni() || strncmp(impl, "oneDNN int8", 11) == 0);
    t_x.data = x;
    t_r.data = r;
    y.data = malloc((size_t)n_y);
    call.workspace = aligned_alloc(64, (call.workspace_size + 64) / 64 * 64);
    CHECK(y.data && call.workspace);
    CHECK(kernel->run(&call, &err) == STATUS_OK);

    for (int64_t px = 0; px < T_PIXELS; px++) {
        const int64_t n = px / (T_H * T_W), oh = px / T_W % T_H, ow = px % T_W;
        for (int c = 0; c < T_M; c++) {
            const int64_t i = px * T_M + c;
            const float scale = sx * sw[c] / sy;
            int64_t acc = 0;
            float v;
            int32_t want, got, d;

            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++) {
                    const int64_t ih = oh + kh - k / 2, iw = ow + kw - k / 2;
                    if (ih < 0 || ih >= T_H || iw < 0 || iw >= T_W)
                        continue;
                    for (int ci = 0; ci < T_C; ci++)
                        acc += (int64_t)(x[((n * T_H + ih) * T_W + iw) * T_C + ci] - z->zx) *
                               w[((c * T_C + ci) * k + kh) * k + kw];
                }
            v = fmaxf((float)(acc + bias[c]) * scale, 0.0f);
            if (!z->residual) {
                want = saturate(z->y_type, v + (float)z->zy);
            } else {
                /* a - za, rounded and clamped; then ONNX Runtime's QLinearAdd of a and r. */
                const float a = fminf(fmaxf(rintf(v), (float)(type_min(z->y_type) - z->zy)),
                                      (float)(type_max(z->y_type) - z->zy));
                const float sum =
                    fmaf((float)(load8(z->s_type, r, i) - z->zr), sr / ss, a * (sy / ss));
                want = saturate(z->s_type, fmaxf(sum, 0.0f) + (float)z->zs);
            }
            got = load8(out_type, y.data, i);
            d = abs(got - want);
            if (d > worst)
                worst = d;
        }
    }
    fprintf(stderr, "  %dx%d %s zy %d%s: %s, worst %d step(s)\n", k, k,
            z->y_type == DTYPE_INT8 ? "s8" : "u8", (int)z->zy,
            z->residual ? (z->s_type == DTYPE_INT8 ? " + residual s8" : " + residual u8") : "",
            impl, worst);
    CHECK(worst <= (z->residual || !qgemm_has_vnni() ? STEPS_SUM : STEPS_EXACT));

    free(call.workspace);
    free(y.data);
    kernel->unprepare(prepared);
    kernel->release(state);
    free(w);
}

int main(void)
{
    /* Zero points at the type's minimum (Relu left to the saturation) and elsewhere (kept). */
    static const zero_points_t cases[] = {
        {DTYPE_UINT8, 3, 0, false, DTYPE_UINT8, 0, 0},
        {DTYPE_UINT8, 3, 9, false, DTYPE_UINT8, 0, 0},
        {DTYPE_INT8, 0, -128, false, DTYPE_UINT8, 0, 0},
        {DTYPE_INT8, 0, 5, false, DTYPE_UINT8, 0, 0},
        /* Residual: the conv's Relu (the clip's lower bound is 0 at za = min), the sum's Relu. */
        {DTYPE_UINT8, 0, 0, true, DTYPE_UINT8, 130, 0},
        {DTYPE_UINT8, 0, 12, true, DTYPE_UINT8, 0, 7},
        {DTYPE_INT8, 0, -128, true, DTYPE_INT8, -3, -128},
        {DTYPE_INT8, 0, 4, true, DTYPE_INT8, 2, 10},
    };

    srand(11);
    fprintf(stderr, "isa %s, vnni %d\n", cpu_isa_name(cpu_isa()), (int)qgemm_has_vnni());
    for (int k = 1; k <= 3; k += 2)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            run_case(k, &cases[i]);
    CHECK_DONE();
}
