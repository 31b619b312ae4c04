/*
 * conv_gemm.c - the channels-last convolution (group 1) as an implicit GEMM
 * on the packed-B GEMM (kernels/gemm/gemm.h).
 *
 * An NHWC output is the row-major matrix Y [N*OH*OW, OC], so the convolution
 * is Y = A x B with A the patch matrix [N*OH*OW, KH*KW*IC] and B the weights
 * as [KH][KW][IC] x OC. The K order (kh, kw, ic) makes every patch row a few
 * contiguous runs of the NHWC input: with dilation 1 a whole kernel row
 * (KW*IC floats) is one run, cut only by padding. A is never materialised:
 * the gather callback writes the blocks the GEMM asks for straight from X.
 * A pointwise convolution (1x1, stride 1, no padding) needs no gather at
 * all: A is X itself.
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS, madvise */
#include "conv_nhwc.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "gemm/gemm.h"
#include "half.h"

/* What the gather needs of one call: the input and the 2-D window. */
typedef struct conv_gather {
    const float *x;
    int64_t h, w, c;    /* input image and channels */
    int64_t oh, ow;     /* output image */
    int64_t sh, sw;     /* strides */
    int64_t dh, dw;     /* dilations */
    int64_t ph, pw;     /* leading pads */
    int64_t row_floats; /* KW * C: the K extent of one kernel row */
} conv_gather_t;

static void zero(float *dst, int64_t n)
{
    if (n > 0)
        memset(dst, 0, (size_t)n * sizeof *dst);
}

/*
 * Floats [t0, t1) of one kernel row of a patch (t = kx * C + ic) whose
 * leftmost tap reads input column x0 of the image row at line; columns
 * outside [0, W) read as zero.
 */
static void gather_kernel_row(const conv_gather_t *gc, const float *line, int64_t x0, int64_t t0,
                              int64_t t1, float *dst)
{
    if (gc->dw == 1) {
        /* One contiguous run of the input, clipped to the image's columns. */
        int64_t lo = -x0 * gc->c, hi = (gc->w - x0) * gc->c;
        lo = lo > t0 ? lo : t0;
        hi = hi < t1 ? hi : t1;
        if (lo >= hi) {
            zero(dst, t1 - t0);
            return;
        }
        zero(dst, lo - t0);
        memcpy(dst + (lo - t0), line + x0 * gc->c + lo, (size_t)(hi - lo) * sizeof *dst);
        zero(dst + (hi - t0), t1 - hi);
        return;
    }
    while (t0 < t1) {
        int64_t kx = t0 / gc->c, ic = t0 - kx * gc->c;
        int64_t n = gc->c - ic < t1 - t0 ? gc->c - ic : t1 - t0;
        int64_t ix = x0 + kx * gc->dw;
        if (ix < 0 || ix >= gc->w)
            zero(dst, n);
        else
            memcpy(dst, line + ix * gc->c + ic, (size_t)n * sizeof *dst);
        dst += n;
        t0 += n;
    }
}

/* gemm_gather_fn: rows of the patch matrix, K columns [k0, k0 + kc). */
static void gather_patches(const void *ctx, int64_t row0, int64_t rows, int64_t k0, int64_t kc,
                           float *dst)
{
    const conv_gather_t *gc = ctx;
    int64_t plane = gc->oh * gc->ow;
    int64_t n = row0 / plane, oy = (row0 - n * plane) / gc->ow;
    int64_t ox = row0 - n * plane - oy * gc->ow;
    int64_t ky0 = k0 / gc->row_floats;

    for (int64_t r = 0; r < rows; r++) {
        const float *image = gc->x + n * gc->h * gc->w * gc->c;
        int64_t y0 = oy * gc->sh - gc->ph, x0 = ox * gc->sw - gc->pw;
        int64_t k = k0, t = k0 - ky0 * gc->row_floats;
        float *out = dst + r * kc;
        for (int64_t ky = ky0; k < k0 + kc; ky++, t = 0) {
            int64_t iy = y0 + ky * gc->dh;
            int64_t t1 = k0 + kc - k + t < gc->row_floats ? k0 + kc - k + t : gc->row_floats;
            if (iy < 0 || iy >= gc->h)
                zero(out, t1 - t);
            else
                gather_kernel_row(gc, image + iy * gc->w * gc->c, x0, t, t1, out);
            out += t1 - t;
            k += t1 - t;
        }
        if (++ox == gc->ow) {
            ox = 0;
            if (++oy == gc->oh) {
                oy = 0;
                n++;
            }
        }
    }
}

bool conv_gemm_supports(const conv_nhwc_params_t *p, const tensor_t *w)
{
    return p->conv.group == 1 && w && w->rank == 4;
}

/* Where gemm_b_pack has got to in the reordered copy, whose read pages go back at once. */
typedef struct reorder_progress {
    char *copy;      /* page-aligned mapping */
    size_t released; /* bytes given back so far, a multiple of the page size */
} reorder_progress_t;

static void release_read_pages(void *ctx, size_t bytes_read)
{
    reorder_progress_t *rp = ctx;
    size_t page = (size_t)sysconf(_SC_PAGESIZE), end = bytes_read / page * page;

    if (end > rp->released) {
        madvise(rp->copy + rp->released, end - rp->released, MADV_DONTNEED);
        rp->released = end;
    }
}

/* The original weights, told to the engine as read (a pointwise conv packs from them directly). */
static void weights_read(void *call, size_t bytes_read)
{
    op_call_consumed(call, 1, bytes_read);
}

/*
 * conv_gemm_pack for half weights: the same reorder in 16-bit elements, into
 * a half packed B (gemm_b_pack_half). The reordered copy is half the
 * weights' float size, freed when packed.
 */
static status_t pack_half(const op_call_t *call, const tensor_t *w, int64_t oc, int64_t ic,
                          int64_t taps, gemm_b_t **b, error_t *err)
{
    int64_t k = taps * ic;
    uint16_t *copy = NULL;
    status_t st;

    if (taps == 1)
        return gemm_b_pack_half(w->data, w->dtype, k, true, k, oc, weights_read, (void *)call, b,
                                err);
    copy = malloc((size_t)(oc * k + 1) * sizeof *copy);
    if (!copy)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    for (int64_t o = 0; o < oc; o++) {
        const uint16_t *src = (const uint16_t *)w->data + o * k;
        uint16_t *dst = copy + o * k;
        for (int64_t c = 0; c < ic; c++)
            for (int64_t t = 0; t < taps; t++)
                dst[t * ic + c] = src[c * taps + t];
        op_call_consumed(call, 1, (size_t)((o + 1) * k) * sizeof *src);
    }
    st = gemm_b_pack_half(copy, w->dtype, k, true, k, oc, NULL, NULL, b, err);
    free(copy);
    return st;
}

status_t conv_gemm_pack(const op_call_t *call, void **state, error_t *err)
{
    const tensor_t *w = call->inputs[1];
    int64_t oc = w ? w->dims[0] : 0, ic = w ? w->dims[1] : 0;
    int64_t taps = w ? w->dims[2] * w->dims[3] : 0, k = taps * ic;
    size_t bytes = (size_t)(oc * k + 1) * sizeof(float);
    reorder_progress_t rp = {0};
    gemm_b_t *b = NULL;
    status_t st;

    *state = NULL;
    if (!w || !w->data || !conv_gemm_supports(call->params, w))
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                       "weights are not constant 2-D group-1 weights");
    if (dtype_is_half(w->dtype)) {
        st = pack_half(call, w, oc, ic, taps, &b, err);
        if (!st)
            *state = b;
        return st;
    }
    /* One tap: OIHW is already B transposed. */
    if (taps == 1) {
        st = gemm_b_pack_progress(w->data, k, true, k, oc, weights_read, (void *)call, &b, err);
        if (!st)
            *state = b;
        return st;
    }
    /*
     * The reordered copy lives only while gemm_b_pack reads it, and both it
     * and the original are given back as they are read, so the layer is
     * resident about once while it packs. It is mapped rather than
     * malloc'd so its pages can go back piecewise.
     */
    rp.copy = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rp.copy == MAP_FAILED)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    /* OIHW -> [OC][KH][KW][IC]: B transposed in the (kh, kw, ic) K order. */
    for (int64_t o = 0; o < oc; o++) {
        const float *src = (const float *)w->data + o * k;
        float *dst = (float *)rp.copy + o * k;
        for (int64_t c = 0; c < ic; c++)
            for (int64_t t = 0; t < taps; t++)
                dst[t * ic + c] = src[c * taps + t];
        op_call_consumed(call, 1, (size_t)((o + 1) * k) * sizeof(float));
    }
    st = gemm_b_pack_progress((const float *)rp.copy, k, true, k, oc, release_read_pages, &rp, &b,
                              err);
    munmap(rp.copy, bytes);
    if (!st)
        *state = b;
    return st;
}

void conv_gemm_release(void *state)
{
    gemm_b_free(state);
}

/* The GEMM operands of a call: A (dense or gathered, gc its context) and m. */
static void operands(const conv_geom_t *g, const float *x, conv_gather_t *gc, gemm_a_t *a,
                     int64_t *m)
{
    const conv_window_t *win = &g->win;

    *m = g->batch * win->cols[1] * win->cols[2];
    *gc = (conv_gather_t){
        .x = x,
        .h = win->image[1],
        .w = win->image[2],
        .c = g->in_channels,
        .oh = win->cols[1],
        .ow = win->cols[2],
        .sh = win->stride[1],
        .sw = win->stride[2],
        .dh = win->dilation[1],
        .dw = win->dilation[2],
        .ph = win->pad[1],
        .pw = win->pad[2],
        .row_floats = win->kernel[2] * g->in_channels,
    };
    if (conv_window_is_pointwise(win))
        *a = (gemm_a_t){.data = x, .lda = g->in_channels};
    else
        *a = (gemm_a_t){.gather = gather_patches, .gather_ctx = gc};
}

size_t conv_gemm_workspace(const op_call_t *call, const conv_geom_t *g)
{
    conv_gather_t gc;
    gemm_a_t a;
    int64_t m;

    operands(g, NULL, &gc, &a, &m);
    return gemm_workspace_bytes(&a, m, call->state, call->threads);
}

gemm_epilogue_t conv_gemm_epilogue(const conv_nhwc_params_t *p, const float *bias)
{
    gemm_epilogue_t ep = {.bias = bias};

    if (p->activation == CONV_ACTIVATION_RELU)
        ep.act = GEMM_ACT_RELU;
    if (p->activation == CONV_ACTIVATION_CLIP) {
        ep.act = GEMM_ACT_CLIP;
        ep.clip_min = p->clip_min;
        ep.clip_max = p->clip_max;
    }
    return ep;
}

status_t conv_gemm_run(op_call_t *call, error_t *err)
{
    const conv_nhwc_params_t *p = call->params;
    const tensor_t *bias = call->n_inputs > 2 ? call->inputs[2] : NULL;
    gemm_epilogue_t ep = conv_gemm_epilogue(p, bias ? bias->data : NULL);
    conv_geom_t g;
    conv_gather_t gc;
    gemm_a_t a;
    tensor_t y;
    int64_t m;
    status_t st = conv_nhwc_resolve(call, &g, &y, err);

    if (st)
        return st;
    if (!call->state)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "weights are not packed");
    if (tensor_numel(&call->outputs[0]) == 0)
        return STATUS_OK;
    operands(&g, call->inputs[0]->data, &gc, &a, &m);
    assert(call->workspace_size >= gemm_workspace_bytes(&a, m, call->state, call->threads));
    if (p->sum) {
        ep.residual = call->inputs[CONV_NHWC_RESIDUAL]->data;
        ep.ld_residual = g.out_channels;
    }
    gemm_run(&a, m, call->state, call->outputs[0].data, g.out_channels, &ep, call->workspace,
             call->threads);
    return STATUS_OK;
}
