/*
 * quant_dnnl.c - inferd.QLinearConvNHWC: the fused QDQ convolution
 * (inferd.QLinearConv with a requantized 8-bit output) on channels-last
 * tensors, made by engine/layout.c inside channels-last regions so that a
 * quantized CNN keeps its activations 8-bit and NHWC from one convolution
 * to the next.
 *
 * Inputs as inferd.QLinearConv's (quant_fused.c), x being [N, H, W, C] and
 * the output [N, OH, OW, M]; the weights stay ONNX OIHW int8.
 *
 * It runs on oneDNN's int8 convolution: u8/s8 source in nhwc, s8 weights in
 * the format oneDNN picks (reordered once per plan in prepare), the int32
 * bias (handed over as float, float_bias), per-channel output scales
 * sx * sw[c] / sy (what ONNX Runtime multiplies by), a Relu post-op when
 * fused and the saturation does not already do its work (relu_saturates),
 * and the source and destination zero points as runtime values. oneDNN 2.x
 * computes
 *   dst = sat(round_half_even(scale[c] * (conv(src - zx, w) + bias)) [relu] + zy)
 * which is QLinearConv's arithmetic.
 *
 * With a residual (inputs QUANT_NHWC_RESIDUAL.., engine/fuse_conv.c: the
 * inferd.QLinearAdd reading the convolution's output a, with r the other
 * addend) the op writes
 *   y = sat(round_half_even((sa (a - za) + sr (r - zr)) / ss) [relu] + zs)
 * and a is never stored: oneDNN's post-ops round and clamp the scaled
 * accumulator to a - za (exactly the 8-bit a, zero point off), then compute
 * (a - za) (sa / ss) + (r - zr) (sr / ss), r read from the destination by
 * a sum post-op (the output shares r's buffer when nothing reads r later,
 * else r is copied there first). That is ONNX Runtime's QLinearAdd
 * arithmetic; the unfused nodes' (quant_add.c) is within one quantization
 * step of it. (oneDNN 2.6's 1x1 brgemm convolution takes a sum post-op but
 * not a binary one, which sends it to a slower kernel.)
 *
 * A convolution on few input channels (the 7x7 stem) may run on "tap
 * rows", its input regrouped per image (tap_rows_t): describe() then says so.
 *
 * Where oneDNN has only its reference code for a shape (or cannot make the
 * primitive, or weights have zero points, which its int8 convolutions do
 * not take per channel), the call runs on inferd's qgemm through NCHW copies
 * of x and y in the workspace instead: describe() says so and fallback()
 * reports it, so the engine counts and names the layer
 * (engine_model_fallback_layers).
 *
 * Ownership: the prepared state (primitive, weights in its format, the
 * float bias) belongs to the plan and is freed by unprepare; pack's state is
 * quant_pack's (the qgemm rows the fallback uses).
 */
#include "quant.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "cpu_isa.h"
#include "onednn_reorder.h"
#include "layout/layout.h"
#include "qgemm.h"
#include "quant_fast.h"

/* Set (to anything): never oneDNN, always the qgemm fallback; for tests and measurements. */
#define QUANT_DNNL_OFF_ENV "INFERD_QUANT_NO_DNNL"

/* Workspace blocks start on a cache line (oneDNN's scratchpad too). */
#define QDNNL_ALIGN 64

enum { IN_X, IN_XS, IN_XZ, IN_W, IN_WS, IN_WZ, IN_YS, IN_YZ, IN_B, IN_COUNT };
_Static_assert((int)IN_COUNT == (int)QUANT_NHWC_RESIDUAL,
               "the residual inputs follow the convolution's");
enum {
    IN_R = QUANT_NHWC_RESIDUAL,
    IN_RS = QUANT_NHWC_RESIDUAL_SCALE,
    IN_RZ = QUANT_NHWC_RESIDUAL_ZERO_POINT,
    IN_SS = QUANT_NHWC_SUM_SCALE,
    IN_SZ = QUANT_NHWC_SUM_ZERO_POINT,
    IN_ALL = QUANT_NHWC_INPUTS_MAX
};

/*
 * Tap rows: a convolution on few channels (the 7x7 stem on 3) wastes most
 * of each 4-byte vpdpbusd group on channel padding (3 of 4 lanes used,
 * oneDNN's jit_int8). Per image, tap_rows regroups the input so that each
 * output column's KW horizontal taps of one input row lie side by side, KW *
 * C bytes padded to TAP_ROWS_ALIGN ([Hp][OW][K], zero-point bytes wherever
 * the window leaves the image), and oneDNN runs a KH x 1 convolution over
 * that with stride (sh, 1), no padding and no source zero point: the 7x7
 * stem then does 42 instead of 49 vpdpbusd per output vector, on brgconv
 * (one Zen 4 core, per image: the convolution 0.64 ms instead of jit_int8's
 * 0.75 alone, with the regrouping 0.72-0.75 against 0.79-0.83 in ResNet-50,
 * --profile). Its weights are
 * regrouped the same way (zeros past KW * C), and the source zero point
 * moves into the bias: conv(x - zx, w) = conv(x, w) - zx * sum(w), exact
 * in int32, and the same float sum as oneDNN's own zero-point route while
 * every accumulator and bias stays below TAP_ROWS_EXACT (checked per
 * channel from the weights, or the route is not taken).
 */
#define TAP_ROWS_ALIGN 8
/* Largest regrouped row (K bytes) the route takes. */
#define TAP_ROWS_MAX_K 64
/* Integers up to 2^24 are exact in float. */
#define TAP_ROWS_EXACT (1 << 24)

typedef struct tap_rows {
    int64_t c, kw, k;     /* input channels, taps per row, bytes per regrouped row */
    int64_t h, w, hp;     /* image rows and columns; regrouped rows (padding included) */
    int64_t ow, sw;       /* output columns, horizontal stride */
    int64_t pad_t, pad_l; /* rows above and columns left of the image */
    size_t in_bytes;      /* one image of x */
    size_t bytes;         /* one image regrouped */
    size_t out_bytes;     /* one image of y */
} tap_rows_t;

typedef struct qdnnl_prepared {
    dnnl_primitive_t primitive; /* NULL: the qgemm fallback */
    dnnl_memory_desc_t src_md, w_md, bias_md, dst_md, zp_md, scratch_md;
    bool residual;  /* the output starts as the residual, a sum post-op adds to it */
    bool rows;      /* runs image by image on tap rows (rows) */
    tap_rows_t tap; /* with rows */
    void *weights;  /* in w_md's format */
    float *bias;    /* the int32 bias as float (bias_md), or NULL without one */
    int32_t zx, zy; /* zy: the sum's zero point with a residual */
    bool src_zp;    /* oneDNN subtracts zx (not on tap rows: the bias does) */
    char impl[OP_IMPL_MAX];
} qdnnl_prepared_t;

static size_t align_up(size_t n)
{
    return (n + QDNNL_ALIGN - 1) / QDNNL_ALIGN * QDNNL_ALIGN;
}

/* x and y as NCHW tensors (data NULL), and the geometry, from the NHWC call. */
static status_t nchw_views(const op_call_t *call, tensor_t *x, tensor_t *y, conv_geom_t *g,
                           error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *xin = call->inputs[IN_X];
    const tensor_t *operands[2];
    op_call_t conv_call = *call;
    status_t st;

    if (xin->rank != 4 || call->inputs[IN_W]->rank != 4)
        return op_call_fail(call, err, "needs 4-D x (N, H, W, C) and 4-D weights");
    *x = *xin;
    x->data = NULL;
    x->dims[1] = xin->dims[3];
    x->dims[2] = xin->dims[1];
    x->dims[3] = xin->dims[2];
    operands[0] = x;
    operands[1] = call->inputs[IN_W];
    conv_call.params = &p->conv;
    conv_call.n_inputs = 2;
    conv_call.inputs = operands;
    if ((st = conv_resolve(&conv_call, false, g, y, err)))
        return st;
    y->data = NULL;
    y->dtype = call->inputs[IN_YZ]->dtype;
    return STATUS_OK;
}

/* The NCHW call the fallback hands quant_fast_run: same operands but x and y. */
static void nchw_call(const op_call_t *call, const tensor_t *x, tensor_t *y,
                      const tensor_t **inputs, op_call_t *out)
{
    *out = *call;
    out->n_inputs = call->n_inputs < IN_COUNT ? call->n_inputs : IN_COUNT;
    for (int k = 0; k < out->n_inputs; k++)
        inputs[k] = call->inputs[k];
    inputs[IN_X] = x;
    out->inputs = inputs;
    out->outputs = y;
    out->n_outputs = 1;
}

static bool has_residual(const op_call_t *call)
{
    return call->n_inputs > IN_R && call->inputs[IN_R];
}

/* Fallback workspace: [qgemm's][x NCHW][y NCHW][with a residual: the conv's NHWC output]. */
static size_t fallback_space(const op_call_t *call, const tensor_t *x, tensor_t *y,
                             size_t *fast_bytes)
{
    const tensor_t *inputs[IN_COUNT];
    const size_t y_bytes = align_up((size_t)tensor_numel(y));
    op_call_t nc;

    nchw_call(call, x, y, inputs, &nc);
    *fast_bytes = align_up(quant_fast_workspace(&nc));
    return *fast_bytes + align_up((size_t)tensor_numel(x)) + y_bytes +
           (has_residual(call) ? y_bytes : 0);
}

/* The residual's operands: same shape as the output, 8-bit, one-element scales and zero points. */
static status_t check_residual(op_call_t *call, error_t *err)
{
    const tensor_t *r = call->inputs[IN_R], *y = &call->outputs[0];

    if (call->n_inputs != IN_ALL)
        return op_call_fail(call, err, "a residual needs its scale, zero point and the sum's");
    for (int k = IN_RS; k < IN_ALL; k++)
        if (!call->inputs[k] || tensor_numel(call->inputs[k]) != 1)
            return op_call_fail(call, err, "residual input %d is not a single value", k);
    if (r->rank != y->rank || !dtype_in(r->dtype, QUANT_DTYPES_8) ||
        !dtype_in(call->inputs[IN_SZ]->dtype, QUANT_DTYPES_8))
        return op_call_fail(call, err, "the residual is not an 8-bit tensor of the output's rank");
    for (int d = 0; d < r->rank; d++)
        if (r->dims[d] != y->dims[d])
            return op_call_fail(call, err, "the residual's shape differs from the output's");
    return STATUS_OK;
}

static status_t qnhwc_infer(op_call_t *call, error_t *err)
{
    const tensor_t *y_zp = call->n_inputs > IN_YZ ? call->inputs[IN_YZ] : NULL;
    const tensor_t *inputs[IN_COUNT];
    tensor_t x, y;
    conv_geom_t g;
    op_call_t nc;
    size_t fast;
    status_t st;

    if (!y_zp || !dtype_in(y_zp->dtype, QUANT_DTYPES_8))
        return op_call_fail(call, err, "needs an int8 or uint8 y_zero_point");
    if ((st = nchw_views(call, &x, &y, &g, err)))
        return st;
    nchw_call(call, &x, &y, inputs, &nc);
    if (!quant_fast_takes(&nc))
        return op_call_fail(call, err, "fused quantized node with shapes the int8 GEMM refuses");
    call->outputs[0] = y;
    call->outputs[0].dims[1] = y.dims[2];
    call->outputs[0].dims[2] = y.dims[3];
    call->outputs[0].dims[3] = y.dims[1];
    if (has_residual(call)) {
        if ((st = check_residual(call, err)))
            return st;
        call->outputs[0].dtype = call->inputs[IN_SZ]->dtype;
    }
    call->workspace_size = fallback_space(call, &x, &y, &fast);
    return STATUS_OK;
}

/*
 * Runs through NCHW copies on inferd's qgemm (the fallback; also unprepared
 * folding runs); with a residual, the convolution's 8-bit output is stored
 * and then added as inferd.QLinearAdd adds it.
 */
static void run_fallback(op_call_t *call)
{
    const tensor_t *xin = call->inputs[IN_X];
    const tensor_t *inputs[IN_COUNT];
    const tensor_t *const *in = call->inputs;
    tensor_t x, y, a;
    conv_geom_t g;
    op_call_t nc;
    size_t fast;

    (void)nchw_views(call, &x, &y, &g, NULL);
    (void)fallback_space(call, &x, &y, &fast);
    x.data = (uint8_t *)call->workspace + fast;
    y.data = (uint8_t *)x.data + align_up((size_t)tensor_numel(&x));
    layout_transpose_u8(xin->dims[0], xin->dims[1] * xin->dims[2], xin->dims[3], xin->data, x.data,
                        call->threads);
    nchw_call(call, &x, &y, inputs, &nc);
    quant_fast_run(&nc);
    a = call->outputs[0];
    if (has_residual(call)) {
        a.dtype = y.dtype;
        a.data = (uint8_t *)y.data + align_up((size_t)tensor_numel(&y));
    }
    layout_transpose_u8(y.dims[0], y.dims[1], y.dims[2] * y.dims[3], y.data, a.data, call->threads);
    if (has_residual(call)) {
        const quant_params_t *p = call->params;
        quant_add_8bit(&a, in[IN_YS], in[IN_YZ], in[IN_R], in[IN_RS], in[IN_RZ], in[IN_SS],
                       in[IN_SZ], p->residual_relu, &call->outputs[0], call->threads);
    }
}

static dnnl_engine_t cpu_engine;
static dnnl_status_t cpu_engine_status;
static pthread_once_t cpu_engine_once = PTHREAD_ONCE_INIT;

static void cpu_engine_init(void)
{
    (void)cpu_isa(); /* hands INFERD_MAX_ISA's cap to oneDNN before its first primitive */
    cpu_engine_status = dnnl_engine_create(&cpu_engine, dnnl_cpu, 0);
}

static float scale_at(const tensor_t *s, int64_t i)
{
    return ((const float *)s->data)[tensor_numel(s) == 1 ? 0 : i];
}

static bool weights_have_zero_points(const tensor_t *w_zp)
{
    if (!w_zp)
        return false;
    for (int64_t i = 0; i < tensor_numel(w_zp); i++)
        if (quant_load(w_zp->dtype, w_zp->data, i) != 0)
            return true;
    return false;
}

static dnnl_data_type_t dnnl_type(dtype_t t)
{
    return t == DTYPE_INT8 ? dnnl_s8 : dnnl_u8;
}

/*
 * A Relu right before a saturation to an 8-bit type whose zero point is
 * that type's minimum (uint8 at 0, int8 at -128) changes nothing: every
 * negative value lands on the minimum either way (Relu's -0.0 too). Such a
 * Relu is left out of oneDNN's chain, one vector operation fewer per output
 * vector (3-4% of a 1x1 layer with 64 input channels).
 */
static bool relu_saturates(dtype_t t, int32_t zero_point)
{
    return zero_point == (t == DTYPE_INT8 ? -128 : 0);
}

/*
 * The post-ops after the output scale: [Relu] and, with a residual, the
 * rounding and clamp to a - za, the scale sa / ss, the sum post-op adding
 * (r - zr) sr / ss and [the sum's Relu] (the file's comment). The sum's
 * zero point is the destination's.
 */
static dnnl_status_t append_post_ops(const op_call_t *call, qdnnl_prepared_t *prep,
                                     dnnl_post_ops_t ops)
{
    const quant_params_t *p = call->params;
    const tensor_t *const *in = call->inputs;
    const bool a_signed = in[IN_YZ]->dtype == DTYPE_INT8;
    const int32_t za_int = quant_load(in[IN_YZ]->dtype, in[IN_YZ]->data, 0);
    float za, sa, sr, zr, ss;
    dnnl_status_t ds = dnnl_success;

    /*
     * Without a residual the output's saturation may stand in for the Relu
     * (relu_saturates); with one, the clip to a - za below does when its
     * lower bound is 0, and the saturation to the sum's type for the
     * residual's Relu.
     */
    if (p->relu && !relu_saturates(in[IN_YZ]->dtype, za_int))
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (ds != dnnl_success || !has_residual(call))
        return ds;
    za = (float)za_int;
    sa = scale_at(in[IN_YS], 0);
    sr = scale_at(in[IN_RS], 0);
    zr = (float)quant_load(in[IN_RZ]->dtype, in[IN_RZ]->data, 0);
    ss = scale_at(in[IN_SS], 0);
    prep->residual = true;
    ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_round, 0.0f, 0.0f);
    if (ds == dnnl_success)
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip,
                                          (a_signed ? -128.0f : 0.0f) - za,
                                          (a_signed ? 127.0f : 255.0f) - za);
    if (ds == dnnl_success)
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_linear, sa / ss, 0.0f);
    if (ds == dnnl_success)
        ds = dnnl_post_ops_append_sum_v3(ops, sr / ss, (int32_t)zr, dnnl_type(in[IN_R]->dtype));
    if (ds == dnnl_success && p->residual_relu && !relu_saturates(in[IN_SZ]->dtype, prep->zy))
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    return ds;
}

static void qdnnl_free(qdnnl_prepared_t *prep)
{
    if (!prep)
        return;
    dnnl_primitive_destroy(prep->primitive);
    free(prep->weights);
    free(prep->bias);
    free(prep);
}

/* Reorders the plain OIHW (goihw) int8 weights w into prep->w_md. */
static dnnl_status_t reorder_weights(const void *w, const dnnl_memory_desc_t *plain,
                                     qdnnl_prepared_t *prep)
{
    prep->weights = aligned_alloc(QDNNL_ALIGN, align_up(dnnl_memory_desc_get_size(&prep->w_md)));
    if (!prep->weights)
        return dnnl_out_of_memory;
    return onednn_reorder_once(cpu_engine, plain, w, &prep->w_md, prep->weights);
}

/*
 * Whether the convolution takes the tap-rows route (the comment at
 * tap_rows_t) and, if it does, its plan in prep->tap, its bias (the zero
 * point folded in) in prep->bias, and its regrouped OIHW weights, [M][K][KH][1],
 * in *w_rows (malloc'd, the caller frees them).
 */
static bool plan_tap_rows(const conv_geom_t *g, const tensor_t *x, const tensor_t *w,
                          const tensor_t *bias, qdnnl_prepared_t *prep, int8_t **w_rows)
{
    const conv_window_t *win = &g->win;
    const int64_t c = g->in_channels, m_count = g->out_channels;
    const int64_t kh = win->kernel[1], kw = win->kernel[2];
    const int64_t k = (kw * c + TAP_ROWS_ALIGN - 1) / TAP_ROWS_ALIGN * TAP_ROWS_ALIGN;
    const int64_t x_span = x->dtype == DTYPE_INT8 ? 128 : 255; /* largest |x| */
    const int8_t *wd = w->data;
    tap_rows_t *t = &prep->tap;

    *w_rows = NULL;
    if (g->group != 1 || win->kernel[0] != 1 || win->image[0] != 1 || kw < 2 ||
        k > TAP_ROWS_MAX_K || k >= (c + 3) / 4 * 4 * kw || win->dilation[1] != 1 ||
        win->dilation[2] != 1 || (bias && !bias->data))
        return false;
    *w_rows = calloc((size_t)(m_count * k * kh), 1);
    prep->bias = malloc((size_t)m_count * sizeof *prep->bias);
    if (!*w_rows || !prep->bias)
        goto refuse;
    for (int64_t m = 0; m < m_count; m++) {
        const int64_t b = bias ? ((const int32_t *)bias->data)[m] : 0;
        int64_t sum = 0, abs_sum = 0, folded;

        for (int64_t j = 0; j < kw * c; j++)
            for (int64_t r = 0; r < kh; r++) {
                const int8_t v = wd[((m * c + j % c) * kh + r) * kw + j / c];
                (*w_rows)[(m * k + j) * kh + r] = v;
                sum += v;
                abs_sum += v < 0 ? -v : v;
            }
        folded = b - prep->zx * sum;
        /* Both routes' float sums exact: this one's, and oneDNN's zero-point route's. */
        if (abs_sum * x_span + (folded < 0 ? -folded : folded) >= TAP_ROWS_EXACT ||
            abs_sum * 255 + (b < 0 ? -b : b) >= TAP_ROWS_EXACT)
            goto refuse;
        prep->bias[m] = (float)folded;
    }
    t->c = c;
    t->kw = kw;
    t->k = k;
    t->h = win->image[1];
    t->w = win->image[2];
    t->hp = (win->cols[1] - 1) * win->stride[1] + kh;
    t->ow = win->cols[2];
    t->sw = win->stride[2];
    t->pad_t = win->pad[1];
    t->pad_l = win->pad[2];
    t->in_bytes = (size_t)(t->h * t->w * c);
    t->bytes = (size_t)(t->hp * t->ow * k);
    t->out_bytes = (size_t)(win->cols[1] * t->ow * m_count);
    return true;
refuse:
    free(*w_rows);
    *w_rows = NULL;
    free(prep->bias);
    prep->bias = NULL;
    return false;
}

/*
 * One image x ([H][W][C]) regrouped into out ([Hp][OW][K], the plan t):
 * row hp, column ow holds the KW taps of image row hp - pad_t under output
 * column ow, fill where they leave the image. Bytes past KW * C meet zero
 * weights: inside the image they are whatever follows (one copy of K bytes,
 * in 16- and 8-byte moves: ~0.04 ms for the stem's 615 KB).
 */
static void tap_rows(const tap_rows_t *t, const uint8_t *x, uint8_t fill, uint8_t *out, int threads)
{
    const int64_t c = t->c, k = t->k, kw = t->kw, w = t->w, ow_count = t->ow;
    const int64_t row_bytes = w * c;

#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
    for (int64_t hp = 0; hp < t->hp; hp++) {
        const int64_t h = hp - t->pad_t;
        uint8_t *o = out + hp * ow_count * k;
        const uint8_t *in;

        if (h < 0 || h >= t->h) {
            memset(o, fill, (size_t)(ow_count * k));
            continue;
        }
        in = x + h * row_bytes;
        for (int64_t ow = 0; ow < ow_count; ow++, o += k) {
            const int64_t w0 = ow * t->sw - t->pad_l;
            uint8_t *p = o;

            if (w0 >= 0 && w0 * c + k <= row_bytes) {
                const uint8_t *from = in + w0 * c;
                int64_t j = 0;

                for (; j + 2 * TAP_ROWS_ALIGN <= k; j += 2 * TAP_ROWS_ALIGN)
                    memcpy(o + j, from + j, 2 * TAP_ROWS_ALIGN);
                if (j < k)
                    memcpy(o + j, from + j, TAP_ROWS_ALIGN);
                continue;
            }
            /* A window crossing the image's edge (a few per row). */
            for (int64_t col = w0; col < w0 + kw; col++)
                for (int64_t ci = 0; ci < c; ci++)
                    *p++ = col >= 0 && col < w ? in[col * c + ci] : fill;
            memset(p, fill, (size_t)(k - kw * c));
        }
    }
}

/*
 * The constant int32 bias as float. oneDNN adds an int32 bias by converting
 * it to float next to the accumulator's conversion, once per output vector;
 * a float one is added as it is. float() rounds as that conversion does (to
 * nearest even), so the sums are the same bits, one operation fewer per
 * output vector.
 */
static dnnl_status_t float_bias(const tensor_t *bias, qdnnl_prepared_t *prep)
{
    const int64_t n = tensor_numel(bias);

    prep->bias = malloc((size_t)n * sizeof *prep->bias);
    if (!prep->bias)
        return dnnl_out_of_memory;
    for (int64_t c = 0; c < n; c++)
        prep->bias[c] = (float)((const int32_t *)bias->data)[c];
    return dnnl_success;
}

/*
 * Creates the primitive for the call's shapes into prep; on any failure
 * (or reference code) leaves prep->primitive NULL with impl saying why.
 */
static void create_primitive(const op_call_t *call, qdnnl_prepared_t *prep)
{
    const tensor_t *x = call->inputs[IN_X], *w = call->inputs[IN_W];
    const tensor_t *bias = call->n_inputs > IN_B ? call->inputs[IN_B] : NULL;
    const tensor_t *w_scale = call->inputs[IN_WS];
    const tensor_t *w_zp = call->n_inputs > IN_WZ ? call->inputs[IN_WZ] : NULL;
    const float sx = scale_at(call->inputs[IN_XS], 0), sy = scale_at(call->inputs[IN_YS], 0);
    const dtype_t y_dtype = call->inputs[has_residual(call) ? IN_SZ : IN_YZ]->dtype;
    const conv_window_t *win;
    tensor_t xv, yv;
    conv_geom_t g;
    dnnl_dims_t src_d, w_d, b_d, dst_d, strides, dilates, pad_l, pad_r, one = {1};
    dnnl_memory_desc_t w_any, w_plain;
    dnnl_convolution_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_primitive_desc_t pd = NULL;
    const char *impl = NULL;
    float *scales = NULL;
    int8_t *w_rows = NULL;
    int64_t n_scales;
    int w_ndims;
    dnnl_status_t ds;

    snprintf(prep->impl, sizeof prep->impl, "inferd qgemm %s via NCHW", qgemm_kernel()->name);
    /*
     * Without VNNI oneDNN's int8 products saturate in int16 (engine/layout.c).
     * QUANT_DNNL_OFF_ENV set: the fallback everywhere (tests, measurements).
     */
    if (!qgemm_has_vnni() || getenv(QUANT_DNNL_OFF_ENV) || cpu_engine_status != dnnl_success ||
        nchw_views(call, &xv, &yv, &g, NULL) || weights_have_zero_points(w_zp) || !w->data ||
        (bias && bias->dtype != DTYPE_INT32))
        return;
    win = &g.win;
    src_d[0] = dst_d[0] = g.batch;
    src_d[1] = g.in_channels;
    dst_d[1] = g.out_channels;
    b_d[0] = g.out_channels;
    w_ndims = g.group > 1 ? 5 : 4;
    if (g.group > 1) {
        w_d[0] = g.group;
        w_d[1] = g.out_channels / g.group;
        w_d[2] = g.in_channels / g.group;
    } else {
        w_d[0] = g.out_channels;
        w_d[1] = g.in_channels;
    }
    for (int i = 0; i < 2; i++) {
        const int j = i + 1; /* geometry axis 0 is the padded depth */
        const int64_t extent = (win->kernel[j] - 1) * win->dilation[j] + 1;
        const int64_t r =
            (win->cols[j] - 1) * win->stride[j] + extent - win->image[j] - win->pad[j];
        src_d[2 + i] = win->image[j];
        dst_d[2 + i] = win->cols[j];
        w_d[w_ndims - 2 + i] = win->kernel[j];
        strides[i] = win->stride[j];
        dilates[i] = win->dilation[j] - 1;
        pad_l[i] = win->pad[j];
        pad_r[i] = r > 0 ? r : 0; /* oneDNN wants >= 0; the output size is the same */
    }
    prep->rows = plan_tap_rows(&g, x, w, bias, prep, &w_rows);
    if (prep->rows) {
        /* Per image: [1][K][Hp][OW] (nhwc) by [M][K][KH][1], stride (sh, 1), no padding. */
        src_d[0] = dst_d[0] = 1;
        src_d[1] = w_d[1] = prep->tap.k;
        src_d[2] = prep->tap.hp;
        src_d[3] = prep->tap.ow;
        w_d[3] = 1;
        strides[1] = 1;
        pad_l[0] = pad_l[1] = pad_r[0] = pad_r[1] = 0;
    }
    prep->src_zp = !prep->rows && prep->zx != 0;
    n_scales = tensor_numel(w_scale) == 1 ? 1 : g.out_channels;
    scales = malloc((size_t)n_scales * sizeof *scales);
    if (!scales)
        return;
    for (int64_t c = 0; c < n_scales; c++)
        scales[c] = sx * scale_at(w_scale, c) / sy; /* in ONNX Runtime's order */

    ds = dnnl_memory_desc_init_by_tag(&prep->src_md, 4, src_d, dnnl_type(x->dtype), dnnl_nhwc);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&prep->dst_md, 4, dst_d, dnnl_type(y_dtype), dnnl_nhwc);
    if (ds == dnnl_success && !prep->rows && bias && bias->data)
        ds = float_bias(bias, prep);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&prep->bias_md, 1, b_d, prep->bias ? dnnl_f32 : dnnl_s32,
                                          dnnl_x);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&prep->zp_md, 1, one, dnnl_s32, dnnl_x);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&w_any, w_ndims, w_d, dnnl_s8, dnnl_format_tag_any);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&w_plain, w_ndims, w_d, dnnl_s8,
                                          w_ndims == 5 ? dnnl_goihw : dnnl_oihw);
    if (ds == dnnl_success)
        ds = dnnl_dilated_convolution_forward_desc_init(
            &desc, dnnl_forward_inference, dnnl_convolution_direct, &prep->src_md, &w_any,
            bias || prep->bias ? &prep->bias_md : NULL, &prep->dst_md, strides, dilates, pad_l,
            pad_r);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_create(&attr);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_set_output_scales(attr, n_scales, n_scales > 1 ? 1 << 1 : 0,
                                                   scales);
    if (ds == dnnl_success && prep->src_zp)
        ds = dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_SRC, 1, 0, &DNNL_RUNTIME_S32_VAL);
    if (ds == dnnl_success && prep->zy != 0)
        ds = dnnl_primitive_attr_set_zero_points(attr, DNNL_ARG_DST, 1, 0, &DNNL_RUNTIME_S32_VAL);
    if (ds == dnnl_success)
        ds = dnnl_post_ops_create(&ops);
    if (ds == dnnl_success)
        ds = append_post_ops(call, prep, ops);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_set_post_ops(attr, ops);
    if (ds == dnnl_success)
        ds = dnnl_primitive_desc_create(&pd, &desc, attr, cpu_engine, NULL);
    if (ds == dnnl_success &&
        (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success ||
         !impl))
        impl = "unknown";
    if (ds == dnnl_success && strncmp(impl, "ref", 3) == 0) {
        /* oneDNN's reference code: inferd's qgemm is far faster. */
        snprintf(prep->impl, sizeof prep->impl, "inferd qgemm %s via NCHW (oneDNN: %s)",
                 qgemm_kernel()->name, impl);
        goto cleanup;
    }
    if (ds == dnnl_success) {
        prep->w_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        prep->scratch_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
        ds = reorder_weights(prep->rows ? (const void *)w_rows : w->data, &w_plain, prep);
    }
    if (ds == dnnl_success)
        ds = dnnl_primitive_create(&prep->primitive, pd);
    if (ds == dnnl_success)
        snprintf(prep->impl, sizeof prep->impl, "oneDNN int8 %s%s", impl,
                 prep->rows ? " tap rows" : "");
cleanup:
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    free(scales);
    free(w_rows);
}

static status_t qnhwc_prepare(op_call_t *call, void **prepared, error_t *err)
{
    qdnnl_prepared_t *prep = calloc(1, sizeof *prep);
    const tensor_t *zy = call->inputs[has_residual(call) ? IN_SZ : IN_YZ];

    *prepared = NULL;
    if (!prep)
        return op_fail(err, STATUS_OUT_OF_MEMORY, call->op_type, call->node,
                       "out of memory preparing the convolution");
    pthread_once(&cpu_engine_once, cpu_engine_init);
    prep->zx = quant_load(call->inputs[IN_XZ]->dtype, call->inputs[IN_XZ]->data, 0);
    prep->zy = quant_load(zy->dtype, zy->data, 0);
    omp_set_num_threads(call->threads);
    create_primitive(call, prep);
    if (prep->primitive) {
        /* [oneDNN's scratchpad][with tap rows: one image regrouped] */
        const size_t scratch = dnnl_memory_desc_get_size(&prep->scratch_md);
        const size_t need = prep->rows ? align_up(scratch) + prep->tap.bytes : scratch;
        if (need > call->workspace_size)
            call->workspace_size = need;
    }
    *prepared = prep;
    return STATUS_OK;
}

static void qnhwc_unprepare(void *prepared)
{
    qdnnl_free(prepared);
}

/* Memory objects of one execution. */
#define QDNNL_MAX_ARGS 7

static status_t execute(op_call_t *call, qdnnl_prepared_t *prep, void *src, void *dst, error_t *err)
{
    const tensor_t *bias = call->n_inputs > IN_B ? call->inputs[IN_B] : NULL;
    dnnl_exec_arg_t args[QDNNL_MAX_ARGS];
    dnnl_memory_t mem[QDNNL_MAX_ARGS] = {0};
    dnnl_stream_t stream = NULL;
    dnnl_status_t ds;
    int n = 0;

    args[n].arg = DNNL_ARG_SRC;
    ds = dnnl_memory_create(&mem[n++], &prep->src_md, cpu_engine, src);
    args[n].arg = DNNL_ARG_WEIGHTS;
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&mem[n++], &prep->w_md, cpu_engine, prep->weights);
    args[n].arg = DNNL_ARG_DST;
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&mem[n++], &prep->dst_md, cpu_engine, dst);
    if (ds == dnnl_success && (bias || prep->bias)) {
        args[n].arg = DNNL_ARG_BIAS;
        ds = dnnl_memory_create(&mem[n++], &prep->bias_md, cpu_engine,
                                prep->bias ? (void *)prep->bias : bias->data);
    }
    if (ds == dnnl_success && prep->src_zp) {
        args[n].arg = DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_SRC;
        ds = dnnl_memory_create(&mem[n++], &prep->zp_md, cpu_engine, &prep->zx);
    }
    if (ds == dnnl_success && prep->zy != 0) {
        args[n].arg = DNNL_ARG_ATTR_ZERO_POINTS | DNNL_ARG_DST;
        ds = dnnl_memory_create(&mem[n++], &prep->zp_md, cpu_engine, &prep->zy);
    }
    if (ds == dnnl_success && dnnl_memory_desc_get_size(&prep->scratch_md) > 0) {
        args[n].arg = DNNL_ARG_SCRATCHPAD;
        ds = dnnl_memory_create(&mem[n++], &prep->scratch_md, cpu_engine, call->workspace);
    }
    for (int i = 0; i < n; i++)
        args[i].memory = mem[i];
    if (ds == dnnl_success)
        ds = dnnl_stream_create(&stream, cpu_engine, dnnl_stream_default_flags);
    if (ds == dnnl_success)
        ds = dnnl_primitive_execute(prep->primitive, stream, n, args);
    if (ds == dnnl_success)
        ds = dnnl_stream_wait(stream);
    dnnl_stream_destroy(stream);
    for (int i = 0; i < n; i++)
        dnnl_memory_destroy(mem[i]);
    if (ds != dnnl_success)
        return op_fail(err, ds == dnnl_out_of_memory ? STATUS_OUT_OF_MEMORY : STATUS_INTERNAL,
                       call->op_type, call->node, "oneDNN cannot run the convolution (status %d)",
                       (int)ds);
    return STATUS_OK;
}

static status_t qnhwc_run(op_call_t *call, error_t *err)
{
    qdnnl_prepared_t *prep = call->prepared;

    if (tensor_numel(&call->outputs[0]) == 0)
        return STATUS_OK;
    if (!prep || !prep->primitive) {
        run_fallback(call);
        return STATUS_OK;
    }
    /* The sum post-op accumulates onto the destination: start it at the residual. */
    if (prep->residual && call->outputs[0].data != call->inputs[IN_R]->data)
        memcpy(call->outputs[0].data, call->inputs[IN_R]->data,
               (size_t)tensor_numel(&call->outputs[0]));
    omp_set_num_threads(call->threads);
    if (prep->rows) {
        const uint8_t *x = call->inputs[IN_X]->data;
        uint8_t *y = call->outputs[0].data;
        uint8_t *rows =
            (uint8_t *)call->workspace + align_up(dnnl_memory_desc_get_size(&prep->scratch_md));
        status_t st = STATUS_OK;

        for (int64_t n = 0; n < call->inputs[IN_X]->dims[0] && st == STATUS_OK; n++) {
            tap_rows(&prep->tap, x + (size_t)n * prep->tap.in_bytes, (uint8_t)prep->zx, rows,
                     call->threads);
            st = execute(call, prep, rows, y + (size_t)n * prep->tap.out_bytes, err);
        }
        return st;
    }
    return execute(call, prep, call->inputs[IN_X]->data, call->outputs[0].data, err);
}

static bool qnhwc_describe(const op_call_t *call, char *impl, size_t size)
{
    const qdnnl_prepared_t *prep = call->prepared;

    snprintf(impl, size, "%s", prep ? prep->impl : "inferd qgemm via NCHW (unprepared)");
    return false;
}

/* Off oneDNN: the qgemm through NCHW copies. */
static bool qnhwc_fallback(const op_call_t *call)
{
    const qdnnl_prepared_t *prep = call->prepared;

    return !prep || !prep->primitive;
}

static const op_info_t qnhwc_info = {
    .min_inputs = 8, /* y_scale and y_zero_point present: the output is 8-bit */
    .max_inputs = IN_ALL,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8, QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8 | DTYPE_BIT(DTYPE_INT32) | DTYPES_FLOAT},
    .layout = "NHWC",
};

static const op_kernel_t qnhwc_kernel = {
    .name = "inferd.QLinearConvNHWC",
    .info = &qnhwc_info,
    .params_size = sizeof(quant_params_t),
    .infer = qnhwc_infer,
    .run = qnhwc_run,
    .pack = quant_pack,
    .release = quant_release,
    .prepare = qnhwc_prepare,
    .unprepare = qnhwc_unprepare,
    .describe = qnhwc_describe,
    .fallback = qnhwc_fallback,
    /* The residual: the fallback adds elementwise, the sum post-op reads each element it writes. */
    .inplace_inputs = 1u << IN_R,
};

const op_schema_t quant_nhwc_conv_schema = {"inferd.QLinearConvNHWC", OPSET_MIN, OPSET_MAX, NULL,
                                            &qnhwc_kernel};
