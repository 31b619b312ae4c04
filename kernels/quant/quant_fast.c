/*
 * quant_fast.c - the integer matmuls and convolutions on the int8 GEMM
 * (qgemm.h): MatMulInteger, QLinearMatMul, ConvInteger, QLinearConv and
 * the fused QDQ ops engine/fuse_qdq.c makes (inferd.QLinearMatMul,
 * inferd.QLinearConv).
 *
 * MatMul: the activations are the GEMM's rows (read in place when they are
 * uint8 with K a multiple of 4) and the weights its packed panels, so Y
 * comes out [M, N]. Convolution: the weights are the rows and each image's
 * patches are packed into panels (im2col straight into the panel layout,
 * padding at the input's zero point), so Y comes out NCHW.
 *
 * Constant weights are packed once (quant_pack); weights that arrive with
 * the request are packed into the workspace on each run. The zero points
 * enter through the epilogue (qgemm_epilogue_t):
 *   sum (r - zr)(v - zv) = S - zr * sum(v) - zv * sum(r) + K zr zv
 * with r and v the stored bytes (shifted by 128 where the signedness was
 * changed, the zero points with them).
 *
 * What this file does not take (batched B, per-row scales or zero points
 * of A, K past QGEMM_MAX_K) runs on the reference loops of quant_matmul.c
 * and quant_conv.c, which describe reports.
 */
#include "quant.h"

#include <emmintrin.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qgemm.h"
#include "quant_fast.h"

/* Workspace blocks start on a cache line. */
#define QFAST_ALIGN 64

static size_t align_up(size_t n)
{
    return (n + QFAST_ALIGN - 1) / QFAST_ALIGN * QFAST_ALIGN;
}

/* The operands of a call, by role, whichever op it is. */
typedef struct qop {
    bool conv;
    qgemm_output_t output;
    const tensor_t *x, *x_scale, *x_zp, *w, *w_scale, *w_zp, *y_scale, *y_zp, *bias;
    const tensor_t *res, *res_scale, *res_zp; /* a MatMul's residual (quant.h), or NULL */
    qgemm_act_t act;
    bool trans_b;
} qop_t;

static const tensor_t *input_at(const op_call_t *call, int k)
{
    return k < call->n_inputs ? call->inputs[k] : NULL;
}

static int weight_index(const op_call_t *call)
{
    return strcmp(call->op_type, "MatMulInteger") == 0 || strcmp(call->op_type, "ConvInteger") == 0
               ? 1
               : 3;
}

static qop_t qop_of(const op_call_t *call)
{
    const quant_params_t *p = call->params;
    qop_t q = {0};

    q.conv = strstr(call->op_type, "Conv") != NULL;
    q.x = input_at(call, 0);
    if (weight_index(call) == 1) {
        q.w = input_at(call, 1);
        q.x_zp = input_at(call, 2);
        q.w_zp = input_at(call, 3);
        q.output = QGEMM_OUT_I32;
        return q;
    }
    q.x_scale = input_at(call, 1);
    q.x_zp = input_at(call, 2);
    q.w = input_at(call, 3);
    q.w_scale = input_at(call, 4);
    q.w_zp = input_at(call, 5);
    q.y_scale = input_at(call, 6);
    q.y_zp = input_at(call, 7);
    q.bias = input_at(call, 8);
    if (!q.conv) {
        q.res = input_at(call, QUANT_MATMUL_RESIDUAL);
        q.res_scale = input_at(call, QUANT_MATMUL_RESIDUAL_SCALE);
        q.res_zp = input_at(call, QUANT_MATMUL_RESIDUAL_ZERO_POINT);
    }
    q.act = p && p->gelu ? QGEMM_ACT_GELU : p && p->relu ? QGEMM_ACT_RELU : QGEMM_ACT_NONE;
    /*
     * An 8-bit output requantizes the integer sum unless a float bias or the
     * GELU comes before the Q: then the float result is quantized.
     */
    if (!q.y_zp)
        q.output = QGEMM_OUT_F32;
    else if (q.act == QGEMM_ACT_GELU || (q.bias && q.bias->dtype == DTYPE_FLOAT))
        q.output = QGEMM_OUT_F32_Q8;
    else
        q.output = QGEMM_OUT_Q8;
    q.trans_b = p && p->trans_b;
    return q;
}

/* One value, or NULL. */
static bool is_scalar(const tensor_t *t)
{
    return !t || tensor_numel(t) == 1;
}

/* Scalar or a vector of n (per channel / column), as the prototypes allowed. */
static bool is_vector_of(const tensor_t *t, int64_t n)
{
    return !t || tensor_numel(t) == 1 || (tensor_numel(t) == n && t->dims[t->rank - 1] == n);
}

/* MatMul's K and N for w, and M for x. */
static void matmul_dims(const qop_t *q, int64_t *m, int64_t *k, int64_t *n)
{
    *k = q->trans_b ? q->w->dims[1] : q->w->dims[0];
    *n = q->trans_b ? q->w->dims[0] : q->w->dims[1];
    *m = *k && q->x ? tensor_numel(q->x) / *k : 0; /* x is unknown while packing */
}

/* The geometry of a convolution call (the prototype checked it). */
static conv_geom_t conv_geometry(const op_call_t *call, const qop_t *q)
{
    const quant_params_t *p = call->params;
    const tensor_t *operands[2] = {q->x, q->w};
    op_call_t conv_call = *call;
    tensor_t out;
    conv_geom_t g = {0};

    conv_call.params = &p->conv;
    conv_call.n_inputs = 2;
    conv_call.inputs = operands;
    (void)conv_resolve(&conv_call, false, &g, &out, NULL);
    return g;
}

bool quant_fast_takes(const op_call_t *call)
{
    const qop_t q = qop_of(call);

    if (!q.x || !q.w || !is_scalar(q.x_zp) || !is_scalar(q.x_scale) || !is_scalar(q.y_scale) ||
        !is_scalar(q.y_zp))
        return false;
    if (q.conv) {
        const conv_geom_t g = conv_geometry(call, &q);
        const int64_t k = g.in_channels / g.group * conv_window_kernel_size(&g.win);
        return k <= QGEMM_MAX_K && is_vector_of(q.w_zp, g.out_channels) &&
               is_vector_of(q.w_scale, g.out_channels);
    }
    if (q.w->rank != 2 || q.x->rank < 1) {
        return false;
    } else {
        int64_t m, k, n;
        matmul_dims(&q, &m, &k, &n);
        return k <= QGEMM_MAX_K && q.x->dims[q.x->rank - 1] == k && is_vector_of(q.w_zp, n) &&
               is_vector_of(q.w_scale, n);
    }
}

/* The packed weights (quant_pack's state). */
typedef struct quant_weights {
    uint8_t *data; /* conv: rows of k padded bytes; matmul: panels */
    int32_t *sums; /* conv: per row (output channel); matmul: per column */
    dtype_t dtype; /* the weights' own dtype (the shift of their zero points) */
} quant_weights_t;

/* Packs w for a matmul (panels) or a conv (rows) into data and sums. */
static void pack_weights(const qop_t *q, const conv_geom_t *g, uint8_t *data, int32_t *sums)
{
    if (q->conv) {
        const int64_t k = g->in_channels / g->group * conv_window_kernel_size(&g->win);
        qgemm_pack_r(q->w->data, q->w->dtype, g->out_channels, k, k, true, data, sums);
    } else {
        int64_t m, k, n;
        matmul_dims(q, &m, &k, &n);
        qgemm_pack_v(q->w->data, q->w->dtype, k, n, q->trans_b ? 1 : n, q->trans_b ? k : 1, true,
                     data, sums);
    }
}

/* Bytes and sums of the packed weights. */
static void weight_sizes(const qop_t *q, const conv_geom_t *g, size_t *bytes, int64_t *count)
{
    if (q->conv) {
        const int64_t k = g->in_channels / g->group * conv_window_kernel_size(&g->win);
        *bytes = (size_t)g->out_channels * (size_t)qgemm_k_padded(k);
        *count = g->out_channels;
    } else {
        int64_t m, k, n;
        matmul_dims(q, &m, &k, &n);
        *bytes = qgemm_packed_bytes(k, n);
        *count = n;
    }
}

status_t quant_pack(const op_call_t *call, void **state, error_t *err)
{
    const qop_t q = qop_of(call);
    quant_weights_t *pw = NULL;
    conv_geom_t g = {0};
    size_t bytes;
    int64_t count;

    *state = NULL;
    /* Only constant weights, and only shapes the fast path takes (x's shape may be unknown). */
    if (!q.w || !q.w->data || !dtype_in(q.w->dtype, QUANT_DTYPES_8))
        return STATUS_OK;
    if (q.conv) {
        const quant_params_t *p = call->params;
        if (q.w->rank < 3 || p->conv.group < 1 || q.w->dims[0] % p->conv.group != 0)
            return STATUS_OK;
        /* The weights alone give the rows: out channels x (in channels / group x kernel). */
        g.out_channels = q.w->dims[0];
        g.group = 1;
        g.in_channels = q.w->dims[1];
        g.win.kernel[0] = g.win.kernel[1] = g.win.kernel[2] = 1;
        for (int d = 2; d < q.w->rank; d++)
            g.win.kernel[d - 2 + (3 - (q.w->rank - 2))] = q.w->dims[d];
        if (g.in_channels * conv_window_kernel_size(&g.win) > QGEMM_MAX_K)
            return STATUS_OK;
    } else if (q.w->rank != 2) {
        return STATUS_OK;
    }
    weight_sizes(&q, &g, &bytes, &count);
    pw = calloc(1, sizeof *pw);
    if (pw) {
        pw->data = aligned_alloc(QFAST_ALIGN, align_up(bytes ? bytes : 1));
        pw->sums = malloc((size_t)(count + 1) * sizeof *pw->sums);
    }
    if (!pw || !pw->data || !pw->sums) {
        quant_release(pw);
        return op_fail(err, STATUS_OUT_OF_MEMORY, call->op_type, call->node,
                       "out of memory packing the weights");
    }
    pw->dtype = q.w->dtype;
    pack_weights(&q, &g, pw->data, pw->sums);
    *state = pw;
    return STATUS_OK;
}

void quant_release(void *state)
{
    quant_weights_t *pw = state;

    if (!pw)
        return;
    free(pw->data);
    free(pw->sums);
    free(pw);
}

/* Carves the workspace: each call returns the next block of bytes (aligned). */
typedef struct carve {
    uint8_t *at;
    size_t used;
} carve_t;

static void *take(carve_t *c, size_t bytes)
{
    void *p = c->at ? c->at + c->used : NULL;

    c->used += align_up(bytes);
    return p;
}

/* Sizes (carve with at NULL) or lays out the fast path's workspace. */
typedef struct qspace {
    uint8_t *w_data;
    int32_t *w_sums;
    uint8_t *a_rows; /* matmul: x repacked; conv: one image group's patches (panels) */
    int32_t *a_sums; /* matmul: row sums of x; conv: column sums of the patches */
    int32_t *off, *f;
    float *mult;
    uint8_t *col; /* conv: the patch matrix before its interleaving */
} qspace_t;

static size_t layout_space(const qop_t *q, const conv_geom_t *g, void *base, qspace_t *s)
{
    carve_t c = {base, 0};
    size_t wbytes;
    int64_t wcount, m, k, n, outs;

    weight_sizes(q, g, &wbytes, &wcount);
    s->w_data = take(&c, wbytes);
    s->w_sums = take(&c, (size_t)wcount * sizeof(int32_t));
    if (q->conv) {
        k = g->in_channels / g->group * conv_window_kernel_size(&g->win);
        n = conv_window_cols_size(&g->win);
        s->a_rows = take(&c, qgemm_packed_bytes(k, n));
        s->a_sums = take(&c, (size_t)n * sizeof(int32_t));
        s->col = take(&c, (size_t)k * (size_t)n);
        outs = g->out_channels;
    } else {
        matmul_dims(q, &m, &k, &n);
        s->a_rows = take(&c, (size_t)m * (size_t)qgemm_k_padded(k));
        s->a_sums = take(&c, (size_t)m * sizeof(int32_t));
        outs = n;
    }
    s->off = take(&c, (size_t)outs * sizeof(int32_t));
    s->f = take(&c, (size_t)outs * sizeof(int32_t));
    s->mult = take(&c, (size_t)outs * sizeof(float));
    return c.used;
}

size_t quant_fast_workspace(const op_call_t *call)
{
    const qop_t q = qop_of(call);
    conv_geom_t g = {0};
    qspace_t s;

    if (q.conv)
        g = conv_geometry(call, &q);
    return layout_space(&q, &g, NULL, &s);
}

/* Element i of a zero point (0 when absent), of a per-tensor one whatever i. */
static int32_t zp_at(const tensor_t *zp, int64_t i)
{
    if (!zp)
        return 0;
    return quant_load(zp->dtype, zp->data, tensor_numel(zp) == 1 ? 0 : i);
}

static float scale_at(const tensor_t *s, int64_t i)
{
    return ((const float *)s->data)[tensor_numel(s) == 1 ? 0 : i];
}

/* What storing bytes of dtype t with the signedness asked for adds to each value. */
static int32_t shift_of(dtype_t t, bool want_signed)
{
    if (t == DTYPE_INT8)
        return want_signed ? 0 : 128;
    return want_signed ? -128 : 0;
}

static uint32_t u32(int64_t v)
{
    return (uint32_t)v;
}

/*
 * The per-output-channel part of the epilogue: the multiplier (sx * sw / sy
 * in that order, as ONNX Runtime computes it) and the output range.
 */
static void epilogue_output(const qop_t *q, int64_t channels, qgemm_epilogue_t *ep, float *mult)
{
    ep->output = q->output;
    ep->act = q->act;
    if (q->output == QGEMM_OUT_I32)
        return;
    {
        const float sx = scale_at(q->x_scale, 0);
        const bool one = tensor_numel(q->w_scale) == 1;
        for (int64_t c = 0; c < (one ? 1 : channels); c++)
            mult[c] = q->output == QGEMM_OUT_Q8
                          ? sx * scale_at(q->w_scale, c) / scale_at(q->y_scale, 0)
                          : sx * scale_at(q->w_scale, c);
        ep->mult = mult;
        ep->mult_one = one;
    }
    if (q->output == QGEMM_OUT_Q8 || q->output == QGEMM_OUT_F32_Q8) {
        ep->out_dtype = q->y_zp->dtype;
        ep->y_scale = scale_at(q->y_scale, 0);
        ep->zy = zp_at(q->y_zp, 0);
        ep->lo = q->y_zp->dtype == DTYPE_UINT8 ? 0 : -128;
        ep->hi = q->y_zp->dtype == DTYPE_UINT8 ? 255 : 127;
        /* Q(max(v, 0)) = max(Q(v), zy): Q is monotonic and Q(0) = zy (F32_Q8 clamps in float) */
        if (q->output == QGEMM_OUT_Q8 && q->act == QGEMM_ACT_RELU && ep->lo < ep->zy)
            ep->lo = ep->zy;
    }
}

/* The int32 bias of output channel c, or 0. */
static int32_t int_bias(const qop_t *q, int64_t c)
{
    return q->bias && q->bias->dtype == DTYPE_INT32 ? ((const int32_t *)q->bias->data)[c] : 0;
}

static void run_matmul(op_call_t *call, const qop_t *q, const quant_weights_t *pw, qspace_t *s)
{
    const qgemm_kernel_t *kern = qgemm_kernel();
    int64_t m, k, n;
    qgemm_epilogue_t ep = {0};
    const uint8_t *packed;
    const int32_t *vsum;
    const int32_t za = zp_at(q->x_zp, 0) + shift_of(q->x->dtype, false);
    const int32_t wshift = shift_of(pw ? pw->dtype : q->w->dtype, true);
    bool w_zp_nonzero = false;
    const uint8_t *rows;
    int64_t ld;

    matmul_dims(q, &m, &k, &n);
    if (pw) {
        packed = pw->data;
        vsum = pw->sums;
    } else {
        pack_weights(q, NULL, s->w_data, s->w_sums);
        packed = s->w_data;
        vsum = s->w_sums;
    }
    for (int64_t j = 0; j < n; j++) {
        const int32_t zb = zp_at(q->w_zp, j) + wshift;
        s->f[j] = -zb;
        w_zp_nonzero |= zb != 0;
        /* -za sum(v) + K za zb + bias, wrapping */
        s->off[j] = (int32_t)(u32(-(int64_t)za) * u32(vsum[j]) + u32(k) * u32(za) * u32(zb) +
                              u32(int_bias(q, j)));
    }
    if (q->x->dtype == DTYPE_UINT8 && k % QGEMM_KU == 0 && !w_zp_nonzero) {
        rows = q->x->data;
        ld = k;
    } else {
        qgemm_pack_r(q->x->data, q->x->dtype, m, k, k, false, s->a_rows,
                     w_zp_nonzero ? s->a_sums : NULL);
        rows = s->a_rows;
        ld = qgemm_k_padded(k);
    }
    ep.col_off = s->off;
    if (w_zp_nonzero) {
        ep.row_f = s->a_sums;
        ep.col_f = s->f;
    }
    epilogue_output(q, n, &ep, s->mult);
    if (q->bias && q->bias->dtype == DTYPE_FLOAT)
        ep.fbias = q->bias->data;
    if (q->res) {
        ep.res = q->res->data;
        ep.res_signed = q->res->dtype == DTYPE_INT8;
        ep.res_ld = n;
        ep.res_scale = scale_at(q->res_scale, 0);
        ep.res_zp = zp_at(q->res_zp, 0);
    }
    qgemm_run(kern, m, n, k, rows, ld, packed, false, &ep, call->outputs[0].data, n, call->threads);
}

/* What packing one image group's patches needs. */
typedef struct patches {
    const conv_window_t *win;
    const uint8_t *x; /* the group's first channel plane */
    int64_t k, cols, kg, ksize, image;
    uint8_t pad;  /* the stored zero point: padding reads as the real value 0 */
    uint8_t flip; /* 0x80 to store int8 input as uint8 */
    bool direct;  /* 1x1, stride 1, no padding, uint8: x's planes are the patch rows */
    uint8_t *col; /* else the patch matrix, k rows of ld bytes */
    int64_t ld;
} patches_t;

/* Patch row kk (all output pixels) into out: one division per row, then runs of pixels. */
static void patch_row(const patches_t *pt, int64_t kk, uint8_t *out)
{
    const conv_window_t *w = pt->win;
    const int64_t c = kk / pt->ksize, tap = kk % pt->ksize;
    const int64_t kd = tap / (w->kernel[1] * w->kernel[2]);
    const int64_t kh = tap / w->kernel[2] % w->kernel[1], kw = tap % w->kernel[2];
    const int64_t width = w->cols[2];

    for (int64_t od = 0; od < w->cols[0]; od++)
        for (int64_t oh = 0; oh < w->cols[1]; oh++, out += width) {
            const int64_t id = od * w->stride[0] - w->pad[0] + kd * w->dilation[0];
            const int64_t ih = oh * w->stride[1] - w->pad[1] + kh * w->dilation[1];
            const int64_t iw0 = -w->pad[2] + kw * w->dilation[2];
            const uint8_t *src;
            if (id < 0 || id >= w->image[0] || ih < 0 || ih >= w->image[1]) {
                memset(out, pt->pad, (size_t)width);
                continue;
            }
            src = pt->x + c * pt->image + (id * w->image[1] + ih) * w->image[2];
            if (w->stride[2] == 1) {
                int64_t lo = -iw0, hi = w->image[2] - iw0;
                lo = lo < 0 ? 0 : lo > width ? width : lo;
                hi = hi < lo ? lo : hi > width ? width : hi;
                for (int64_t i = 0; i < lo; i++)
                    out[i] = pt->pad;
                for (int64_t i = lo; i < hi; i++)
                    out[i] = src[iw0 + i] ^ pt->flip;
                for (int64_t i = hi; i < width; i++)
                    out[i] = pt->pad;
            } else {
                for (int64_t i = 0; i < width; i++) {
                    const int64_t iw = iw0 + i * w->stride[2];
                    out[i] = iw >= 0 && iw < w->image[2] ? src[iw] ^ pt->flip : pt->pad;
                }
            }
        }
}

/* Row kk of the patches at pixels [p0, p0 + QGEMM_NR): in place, or copied when short. */
static const uint8_t *patch_slice(const patches_t *pt, int64_t kk, int64_t p0, uint8_t *tmp)
{
    const uint8_t *row = pt->direct ? pt->x + kk * pt->image : pt->col + kk * pt->ld;

    if (kk >= pt->k) {
        memset(tmp, 0, QGEMM_NR);
        return tmp;
    }
    if (p0 + QGEMM_NR <= pt->cols)
        return row + p0;
    memset(tmp, 0, QGEMM_NR);
    memcpy(tmp, row + p0, (size_t)(pt->cols - p0));
    return tmp;
}

/* Panel p of the patches: each group of 4 rows interleaved column by column (SSE2). */
static void pack_panel(const patches_t *pt, int64_t p, uint8_t *dst, int32_t *sums)
{
    int32_t acc[QGEMM_NR] = {0};

    for (int64_t g = 0; g < pt->kg; g++) {
        uint8_t tmp[QGEMM_KU][QGEMM_NR];
        const uint8_t *rows[QGEMM_KU];
        for (int t = 0; t < QGEMM_KU; t++) {
            rows[t] = patch_slice(pt, g * QGEMM_KU + t, p * QGEMM_NR, tmp[t]);
            if (sums)
                for (int j = 0; j < QGEMM_NR; j++)
                    acc[j] += rows[t][j];
        }
        {
            const __m128i r0 = _mm_loadu_si128((const __m128i *)rows[0]);
            const __m128i r1 = _mm_loadu_si128((const __m128i *)rows[1]);
            const __m128i r2 = _mm_loadu_si128((const __m128i *)rows[2]);
            const __m128i r3 = _mm_loadu_si128((const __m128i *)rows[3]);
            const __m128i a = _mm_unpacklo_epi8(r0, r1), b = _mm_unpackhi_epi8(r0, r1);
            const __m128i c = _mm_unpacklo_epi8(r2, r3), d = _mm_unpackhi_epi8(r2, r3);
            uint8_t *o = dst + g * QGEMM_GROUP_BYTES;
            _mm_storeu_si128((__m128i *)o, _mm_unpacklo_epi16(a, c));
            _mm_storeu_si128((__m128i *)(o + 16), _mm_unpackhi_epi16(a, c));
            _mm_storeu_si128((__m128i *)(o + 32), _mm_unpacklo_epi16(b, d));
            _mm_storeu_si128((__m128i *)(o + 48), _mm_unpackhi_epi16(b, d));
        }
    }
    if (sums)
        for (int j = 0; j < QGEMM_NR && p * QGEMM_NR + j < pt->cols; j++)
            sums[p * QGEMM_NR + j] = acc[j];
}

/* The patch matrix (unless direct), then its panels; both split across threads. */
static void pack_patches(const patches_t *pt, uint8_t *dst, int32_t *sums, int threads)
{
    const int64_t panels = qgemm_panels(pt->cols), pstride = pt->kg * QGEMM_GROUP_BYTES;
    const int team = threads > 1 && panels > 1 ? threads : 1;

    if (team == 1) {
        if (!pt->direct)
            for (int64_t kk = 0; kk < pt->k; kk++)
                patch_row(pt, kk, pt->col + kk * pt->ld);
        for (int64_t p = 0; p < panels; p++)
            pack_panel(pt, p, dst + p * pstride, sums);
        return;
    }
#pragma omp parallel num_threads(team)
    {
        if (!pt->direct) {
#pragma omp for schedule(static)
            for (int64_t kk = 0; kk < pt->k; kk++)
                patch_row(pt, kk, pt->col + kk * pt->ld);
        }
#pragma omp for schedule(static)
        for (int64_t p = 0; p < panels; p++)
            pack_panel(pt, p, dst + p * pstride, sums);
    }
}

static void run_conv(op_call_t *call, const qop_t *q, const quant_weights_t *pw, qspace_t *s)
{
    const qgemm_kernel_t *kern = qgemm_kernel();
    const conv_geom_t g = conv_geometry(call, q);
    const int64_t cg = g.in_channels / g.group, mg = g.out_channels / g.group;
    const int64_t k = cg * conv_window_kernel_size(&g.win), k4 = qgemm_k_padded(k);
    const int64_t cols = conv_window_cols_size(&g.win), image = conv_window_image_size(&g.win);
    const int32_t zx = zp_at(q->x_zp, 0) + shift_of(q->x->dtype, false);
    const int32_t wshift = shift_of(pw ? pw->dtype : q->w->dtype, true);
    const size_t out_size = dtype_size(call->outputs[0].dtype);
    const uint8_t *wrows;
    const int32_t *rsum;
    bool w_zp_nonzero = false;
    qgemm_epilogue_t ep = {0};
    patches_t pt = {.win = &g.win,
                    .k = k,
                    .cols = cols,
                    .kg = k4 / QGEMM_KU,
                    .ksize = conv_window_kernel_size(&g.win),
                    .image = image,
                    .pad = (uint8_t)zx,
                    .flip = q->x->dtype == DTYPE_INT8 ? 0x80 : 0,
                    .col = s->col,
                    .ld = cols};

    pt.direct = q->x->dtype == DTYPE_UINT8 && conv_window_kernel_size(&g.win) == 1 &&
                cols == image && g.win.stride[0] == 1 && g.win.stride[1] == 1 &&
                g.win.stride[2] == 1 && g.win.pad[0] == 0 && g.win.pad[1] == 0 && g.win.pad[2] == 0;

    if (pw) {
        wrows = pw->data;
        rsum = pw->sums;
    } else {
        pack_weights(q, &g, s->w_data, s->w_sums);
        wrows = s->w_data;
        rsum = s->w_sums;
    }
    for (int64_t c = 0; c < g.out_channels; c++) {
        const int32_t zw = zp_at(q->w_zp, c) + wshift;
        s->f[c] = -zw;
        w_zp_nonzero |= zw != 0;
        /* -zx sum(w) + K zw zx + bias, wrapping */
        s->off[c] = (int32_t)(u32(-(int64_t)zx) * u32(rsum[c]) + u32(k) * u32(zw) * u32(zx) +
                              u32(int_bias(q, c)));
    }
    epilogue_output(q, g.out_channels, &ep, s->mult);
    ep.mult_per_row = true;
    for (int64_t n = 0; n < g.batch; n++)
        for (int64_t grp = 0; grp < g.group; grp++) {
            const int64_t m0 = grp * mg;
            qgemm_epilogue_t gep = ep;
            pt.x = (const uint8_t *)q->x->data + (n * g.in_channels + grp * cg) * image;
            pack_patches(&pt, s->a_rows, w_zp_nonzero ? s->a_sums : NULL, call->threads);
            gep.row_off = s->off + m0;
            if (w_zp_nonzero) {
                gep.row_f = s->f + m0;
                gep.col_f = s->a_sums;
            }
            if (!ep.mult_one)
                gep.mult = ep.mult + m0;
            qgemm_run(kern, mg, cols, k, wrows + m0 * k4, k4, s->a_rows, true, &gep,
                      (uint8_t *)call->outputs[0].data +
                          (size_t)((n * g.out_channels + m0) * cols) * out_size,
                      cols, call->threads);
        }
}

void quant_fast_run(op_call_t *call)
{
    const qop_t q = qop_of(call);
    conv_geom_t g = {0};
    qspace_t s;

    if (q.conv)
        g = conv_geometry(call, &q);
    layout_space(&q, &g, call->workspace, &s);
    if (q.conv)
        run_conv(call, &q, call->state, &s);
    else
        run_matmul(call, &q, call->state, &s);
}

bool quant_describe(const op_call_t *call, char *impl, size_t size)
{
    const qgemm_kernel_t *kern = qgemm_kernel();
    const qop_t q = qop_of(call);

    if (!quant_fast_takes(call)) {
        snprintf(impl, size, "inferd reference int32 loops");
        return true;
    }
    if (q.conv) {
        const conv_geom_t g = conv_geometry(call, &q);
        /* One output channel per group (depthwise): a GEMM of one row, not what it is made for. */
        if (g.group > 1 && g.out_channels / g.group < 4) {
            snprintf(impl, size, "inferd qgemm %s, grouped 1-row", kern->name);
            return true;
        }
    }
    snprintf(impl, size, "inferd qgemm %s%s", kern->name, call->state ? " packed" : "");
    return false;
}
