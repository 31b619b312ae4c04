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
 * arithmetic. And the tap-rows route of convolutions on few channels (the
 * 7x7 stride-2 stem on 3): windows crossing every edge of odd-sized images,
 * source zero points moved into the bias, int8 and uint8 sources, and a
 * bias too large for that move to stay exact, where the route must not be
 * taken. The loop rounds as oneDNN's epilogue does; where the float
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

/* Largest N * H * W * C (and N * OH * OW * M) of a case. */
#define T_MAX_BYTES 8192

/* N, H, W, C -> M channels, a k x k window, stride and padding on both axes. */
typedef struct shape {
    int n, h, w, c, m, k, stride, pad;
} shape_t;

static const shape_t SHAPE_1X1 = {2, 5, 7, 24, 32, 1, 1, 0};
static const shape_t SHAPE_3X3 = {2, 5, 7, 24, 32, 3, 1, 1};
/* The stem's window on odd images: tap rows where oneDNN has VNNI. */
static const shape_t SHAPE_STEM = {2, 13, 11, 3, 16, 7, 2, 3};
/* One channel under a 3x3 window: 8-byte tap rows (3 taps used). */
static const shape_t SHAPE_GRAY = {2, 9, 10, 1, 16, 3, 1, 1};

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
    dtype_t x_type;
    int32_t bias_base; /* added to every bias */
} zero_points_t;

/* Whether inferd.QLinearConvNHWC runs on oneDNN here (quant_dnnl.c's rule). */
static bool on_dnnl(void)
{
    return qgemm_has_vnni() && !getenv("INFERD_QUANT_NO_DNNL");
}

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

/*
 * One case: a convolution of shape sh with Relu, zero points z, on threads
 * threads, against the naive loop; want_rows: the tap-rows route is expected
 * where oneDNN runs.
 */
static void run_case(const shape_t *sh, const zero_points_t *z, bool want_rows, int threads)
{
    const int k = sh->k, oh = (sh->h + 2 * sh->pad - k) / sh->stride + 1;
    const int ow_count = (sh->w + 2 * sh->pad - k) / sh->stride + 1;
    const int64_t x_dims[4] = {sh->n, sh->h, sh->w, sh->c}, scalar_dims[1] = {1};
    const int64_t y_dims[4] = {sh->n, oh, ow_count, sh->m}, ch_dims[1] = {sh->m};
    const int64_t w_dims[4] = {sh->m, sh->c, k, k};
    const int64_t n_w = (int64_t)sh->m * sh->c * k * k,
                  n_y = (int64_t)sh->n * oh * ow_count * sh->m;
    const int64_t n_x = (int64_t)sh->n * sh->h * sh->w * sh->c;
    uint8_t x[T_MAX_BYTES], r[T_MAX_BYTES], xz[1], yz[1], rz[1], sz[1];
    int8_t *w = malloc((size_t)n_w);
    float sx = 0.02f, sy = 0.05f, *sw = malloc((size_t)sh->m * sizeof *sw), sr = 0.04f, ss = 0.07f;
    int32_t *bias = malloc((size_t)sh->m * sizeof *bias);
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
                      .threads = threads};
    const op_kernel_t *kernel = quant_nhwc_conv_schema.kernel;
    char impl[OP_IMPL_MAX];
    void *state = NULL, *prepared = NULL;
    error_t err = {0};
    int worst = 0;

    CHECK(w && sw && bias && n_x <= T_MAX_BYTES && n_y <= T_MAX_BYTES);
    p.conv.group = 1;
    p.conv.n_kernel_shape = p.conv.n_strides = p.conv.n_dilations = 2;
    p.conv.n_pads = 4;
    for (int i = 0; i < 2; i++) {
        p.conv.kernel_shape[i] = k;
        p.conv.strides[i] = sh->stride;
        p.conv.dilations[i] = 1;
        p.conv.pads[i] = p.conv.pads[i + 2] = sh->pad;
    }
    for (int64_t i = 0; i < n_x; i++)
        x[i] = (uint8_t)(rand() % 256); /* any byte is an int8 or a uint8 */
    for (int64_t i = 0; i < n_w; i++)
        w[i] = (int8_t)(rand() % 255 - 127);
    for (int c = 0; c < sh->m; c++) {
        sw[c] = 0.002f * (float)(1 + c % 5);
        bias[c] = z->bias_base + rand() % 20001 - 10000;
    }
    for (int64_t i = 0; i < n_y; i++)
        r[i] = (uint8_t)(rand() % 256); /* any byte is an int8 or a uint8 */
    store8(z->x_type, xz, 0, z->zx);
    store8(z->y_type, yz, 0, z->zy);
    store8(z->s_type, rz, 0, z->zr);
    store8(z->s_type, sz, 0, z->zs);

    t_x = tensor(z->x_type, 4, x_dims, x);
    t_xs = tensor(DTYPE_FLOAT, 1, scalar_dims, &sx);
    t_xz = tensor(z->x_type, 1, scalar_dims, xz);
    t_w = tensor(DTYPE_INT8, 4, w_dims, w);
    t_ws = tensor(DTYPE_FLOAT, 1, ch_dims, sw);
    t_ys = tensor(DTYPE_FLOAT, 1, scalar_dims, &sy);
    t_yz = tensor(z->y_type, 1, scalar_dims, yz);
    t_b = tensor(DTYPE_INT32, 1, ch_dims, bias);
    t_r = tensor(z->s_type, 4, y_dims, r);
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
    CHECK(y.dtype == out_type && y.rank == 4 && y.dims[1] == oh && y.dims[2] == ow_count &&
          y.dims[3] == sh->m);
    CHECK(kernel->pack(&call, &state, &err) == STATUS_OK);
    call.state = state;
    CHECK(kernel->prepare(&call, &prepared, &err) == STATUS_OK);
    call.prepared = prepared;
    kernel->describe(&call, impl, sizeof impl);
    /* Where the CPU has VNNI (and no cap or INFERD_QUANT_NO_DNNL hides it) the case is oneDNN's. */
    CHECK(!on_dnnl() || strncmp(impl, "oneDNN int8", 11) == 0);
    CHECK((strstr(impl, "tap rows") != NULL) == (want_rows && on_dnnl()));
    t_x.data = x;
    t_r.data = r;
    y.data = malloc((size_t)n_y);
    call.workspace = aligned_alloc(64, (call.workspace_size + 64) / 64 * 64);
    CHECK(y.data && call.workspace);
    CHECK(kernel->run(&call, &err) == STATUS_OK);

    for (int64_t px = 0; px < (int64_t)sh->n * oh * ow_count; px++) {
        const int64_t n = px / (oh * ow_count), oy = px / ow_count % oh, ox = px % ow_count;
        for (int c = 0; c < sh->m; c++) {
            const int64_t i = px * sh->m + c;
            const float scale = sx * sw[c] / sy;
            int64_t acc = 0;
            float v;
            int32_t want, got, d;

            for (int kh = 0; kh < k; kh++)
                for (int kw = 0; kw < k; kw++) {
                    const int64_t ih = oy * sh->stride + kh - sh->pad;
                    const int64_t iw = ox * sh->stride + kw - sh->pad;
                    if (ih < 0 || ih >= sh->h || iw < 0 || iw >= sh->w)
                        continue;
                    for (int ci = 0; ci < sh->c; ci++)
                        acc += (int64_t)(load8(z->x_type, x,
                                               ((n * sh->h + ih) * sh->w + iw) * sh->c + ci) -
                                         z->zx) *
                               w[((c * sh->c + ci) * k + kh) * k + kw];
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
    fprintf(stderr, "  %dx%d/%d, %d thread(s), %s x, zx %d, %s zy %d%s: %s, worst %d step(s)\n", k,
            k, sh->stride, threads, z->x_type == DTYPE_INT8 ? "s8" : "u8", (int)z->zx,
            z->y_type == DTYPE_INT8 ? "s8" : "u8", (int)z->zy,
            z->residual ? (z->s_type == DTYPE_INT8 ? " + residual s8" : " + residual u8") : "",
            impl, worst);
    CHECK(worst <= (z->residual || !on_dnnl() ? STEPS_SUM : STEPS_EXACT));

    free(call.workspace);
    free(y.data);
    kernel->unprepare(prepared);
    kernel->release(state);
    free(w);
    free(sw);
    free(bias);
}

int main(void)
{
    /* Zero points at the type's minimum (Relu left to the saturation) and elsewhere (kept). */
    static const zero_points_t cases[] = {
        {DTYPE_UINT8, 3, 0, false, DTYPE_UINT8, 0, 0, DTYPE_UINT8, 0},
        {DTYPE_UINT8, 3, 9, false, DTYPE_UINT8, 0, 0, DTYPE_UINT8, 0},
        {DTYPE_INT8, 0, -128, false, DTYPE_UINT8, 0, 0, DTYPE_UINT8, 0},
        {DTYPE_INT8, 0, 5, false, DTYPE_UINT8, 0, 0, DTYPE_UINT8, 0},
        /* Residual: the conv's Relu (the clip's lower bound is 0 at za = min), the sum's Relu. */
        {DTYPE_UINT8, 0, 0, true, DTYPE_UINT8, 130, 0, DTYPE_UINT8, 0},
        {DTYPE_UINT8, 0, 12, true, DTYPE_UINT8, 0, 7, DTYPE_UINT8, 0},
        {DTYPE_INT8, 0, -128, true, DTYPE_INT8, -3, -128, DTYPE_UINT8, 0},
        {DTYPE_INT8, 0, 4, true, DTYPE_INT8, 2, 10, DTYPE_UINT8, 0},
    };
    /* Tap rows: source zero points (none, uint8, int8), a residual, then a bias too large. */
    static const zero_points_t stem_cases[] = {
        {DTYPE_UINT8, 0, 0, false, DTYPE_UINT8, 0, 0, DTYPE_UINT8, 0},
        {DTYPE_UINT8, 131, 0, false, DTYPE_UINT8, 0, 0, DTYPE_UINT8, 0},
        {DTYPE_UINT8, -7, 3, false, DTYPE_UINT8, 0, 0, DTYPE_INT8, 0},
        {DTYPE_UINT8, 40, 0, true, DTYPE_UINT8, 5, 0, DTYPE_UINT8, 0},
    };
    static const zero_points_t stem_big_bias = {DTYPE_UINT8, 131, 0,           false,  DTYPE_UINT8,
                                                0,           0,   DTYPE_UINT8, 1 << 24};

    srand(11);
    fprintf(stderr, "isa %s, vnni %d\n", cpu_isa_name(cpu_isa()), (int)qgemm_has_vnni());
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&SHAPE_1X1, &cases[i], false, 1);
        run_case(&SHAPE_3X3, &cases[i], false, 1);
    }
    /* Two threads regroup the rows between them (and split oneDNN's work). */
    for (int threads = 1; threads <= 2; threads++)
        for (size_t i = 0; i < sizeof stem_cases / sizeof stem_cases[0]; i++)
            run_case(&SHAPE_STEM, &stem_cases[i], true, threads);
    run_case(&SHAPE_GRAY, &stem_cases[1], true, 1);
    run_case(&SHAPE_STEM, &stem_big_bias, false, 1);
    CHECK_DONE();
}
