/*
 * conv_nhwc.c - which implementation runs a channels-last convolution.
 *
 * The choice is made once, at pack time, from the weights' shape and the
 * attributes only (the activations' shape is not known yet, and a new input
 * shape must reuse the packed weights), so it is deterministic and the
 * model holds one packed copy of each convolution's weights: oneDNN's
 * blocked reorder or the GEMM's packed B, never both. Winograd runs from
 * the GEMM's packed B, deriving its transforms in the workspace each run.
 */
#include "conv_nhwc.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

#include "half.h"

#include "cpu_isa.h"
#include "gemm/gemm.h"

/*
 * Fewest input channels a spatial window runs on the GEMM with: below it a
 * patch row is a handful of short copies and the gather costs more than
 * oneDNN's direct kernel loses (the 3-channel stems: 7x7 at 55 GFLOP/s on
 * the GEMM vs 84 on oneDNN, 3x3 26 vs 76).
 */
#define CONV_GEMM_MIN_CHANNELS 16

typedef enum conv_path {
    CONV_PATH_DNNL,     /* conv_dnnl.c */
    CONV_PATH_GEMM,     /* conv_gemm.c */
    CONV_PATH_WINOGRAD, /* conv_winograd.c, on conv_gemm.c's packed weights */
} conv_path_t;

typedef struct conv_nhwc_state {
    conv_path_t path;
    void *impl; /* the packed weights: oneDNN's, or the GEMM's for the other two */
} conv_nhwc_state_t;

/*
 * True when the implicit GEMM could run this layer with enough channels to
 * pay for gathering its patches.
 */
static bool gemm_fits(const op_call_t *call)
{
    const tensor_t *w = call->inputs[1];

    return conv_gemm_supports(call->params, w) && w->dims[2] * w->dims[3] > 1 &&
           w->dims[1] >= CONV_GEMM_MIN_CHANNELS;
}

/*
 * Pointwise layers the GEMM takes on AVX-512: those reducing channels from
 * at least CONV_GEMM_POINTWISE_MIN_IN, all from CONV_GEMM_POINTWISE_WIDE_IN
 * input channels, and every strided one. Measured in ResNet-50 on a Zen 5
 * (one thread, per-layer minima of 4 alternating runs of 20, ms oneDNN's
 * brgconv_1x1 -> GEMM): at batch 1 1024 -> 256 channels 0.52 -> 0.51,
 * 2048 -> 512 0.63-0.65 -> 0.54-0.57, the strided 1024 -> 2048 1.31 ->
 * 1.21, 512 -> 2048 0.60-0.63 either way; at batch 8, where the GEMM
 * fetches the next tile's output and residual rows ahead, 56x56 256 -> 64
 * 4.9-5.1 -> 4.0-4.2 and the strided layers that add the residual 7-11 ->
 * 6-10. The expanding layers with fewer input channels (64 -> 256,
 * 256 -> 1024, MobileNetV2's 16-160 -> 96-960) stay on oneDNN, 5-13%
 * faster there at batch 1. A layer with a single tap, stride 1 and no
 * padding needs no gather: A is the input itself. Off AVX-512 oneDNN's
 * jit_1x1 kernels beat the GEMM on every pointwise layer (above).
 */
#define CONV_GEMM_POINTWISE_MIN_IN  256
#define CONV_GEMM_POINTWISE_WIDE_IN 512

static bool pointwise_on_gemm(const op_call_t *call)
{
    const conv_nhwc_params_t *p = call->params;
    const tensor_t *w = call->inputs[1];
    bool strided = false;

    if (cpu_isa() < CPU_ISA_AVX512 || !conv_gemm_supports(p, w) || w->dims[2] * w->dims[3] != 1)
        return false;
    for (int i = 0; i < p->conv.n_strides; i++)
        strided |= p->conv.strides[i] > 1;
    return strided || w->dims[1] >= CONV_GEMM_POINTWISE_WIDE_IN ||
           (w->dims[1] >= CONV_GEMM_POINTWISE_MIN_IN && w->dims[1] >= w->dims[0]);
}

/*
 * True when the implicit GEMM beats oneDNN on this layer. Measured per layer
 * at 1 thread on AVX2 (tests/bench/bench_conv.c, ResNet-18/50, MobileNetV2
 * at batch 1 and 8): oneDNN's direct 3x3 kernels run at 43-65 GFLOP/s
 * where the GEMM reaches 70-85, while its 1x1 kernels (80-90) beat the
 * GEMM's 65-85; so windows larger than one tap go to the GEMM, pointwise
 * convolutions stay on oneDNN. On AVX-512 oneDNN's brgconv wins every
 * layer with a window the GEMM could take (200-220 GFLOP/s against 140-170
 * on a Zen 5, ResNet-18/50 at batch 1 and 8), so the GEMM serves Winograd
 * there, and the pointwise layers pointwise_on_gemm picks.
 */
static bool use_gemm(const op_call_t *call)
{
    return (gemm_fits(call) && cpu_isa() < CPU_ISA_AVX512) || pointwise_on_gemm(call);
}

/*
 * True when Winograd beats the implicit GEMM and its transforms fit the
 * workspace cap. Measured per layer at 1 thread (tests/bench/bench_conv.c,
 * ResNet-18/50's 3x3 stride-1 layers, batch 1 and 8): Winograd takes
 * 0.55-0.65 of the GEMM's time at 64 to 256 channels (130-155
 * direct-convolution GFLOP/s against 75-90) and 0.7-0.9 at 512 channels
 * on 7x7 images, so every layer it supports with enough channels for the
 * GEMM gains (where its images have enough tiles: run_path). On AVX-512
 * (a Zen 5, AVX-512 transforms, ResNet-18's layers) it beats oneDNN's
 * brgconv by 1.5-2x from 56x56x64 to 14x14x256 and on 7x7x512 at batch 8
 * (4.4 against 8.4 ms), and loses only on 7x7x512 at batch 1 (1.25 against
 * 0.98 ms): a layer keeps one packed copy of its weights, so it cannot
 * switch per batch, and Winograd keeps it.
 */
static bool use_winograd(const op_call_t *call)
{
    const tensor_t *w = call->inputs[1];

    return gemm_fits(call) && conv_winograd_supports(call->params, w) && conv_winograd_fits(w);
}

/*
 * A layer with half weights keeps them half where inferd's own kernels run
 * it: oneDNN's forward convolution takes f16 (bf16) weights only with f16
 * (bf16) sources, never beside f32 ones (its data type table: f32/f32/f32,
 * f16/f16/f16 or f32, bf16/bf16/bf16 or f32 for source/weights/destination).
 * Winograd where it would run a float layer, the GEMM on any other
 * group-1 layer with enough channels or one tap (a dense A, nothing to
 * gather); elsewhere (a stem with 3 channels, grouped layers) the engine
 * widens the weights and the layer runs as a float one.
 */
static bool half_path(const op_call_t *call, conv_path_t *path)
{
    const tensor_t *w = call->inputs[1];

    if (use_winograd(call))
        *path = CONV_PATH_WINOGRAD;
    else if (gemm_fits(call) ||
             (conv_gemm_supports(call->params, w) && w->dims[2] * w->dims[3] == 1))
        *path = CONV_PATH_GEMM;
    else
        return false;
    return true;
}

static conv_path_t pick_path(const op_call_t *call)
{
    /* bf16 precision runs on oneDNN's bf16 primitives (conv_dnnl.c), which need AVX512_BF16. */
    if (!call->inputs[1] || call->bf16)
        return CONV_PATH_DNNL;
    if (use_winograd(call))
        return CONV_PATH_WINOGRAD;
    return use_gemm(call) ? CONV_PATH_GEMM : CONV_PATH_DNNL;
}

/* The call as the chosen implementation sees it: its own state. */
static op_call_t impl_call(const op_call_t *call)
{
    const conv_nhwc_state_t *s = call->state;
    op_call_t c = *call;

    c.state = s ? s->impl : NULL;
    return c;
}

static conv_path_t path_of(const op_call_t *call)
{
    const conv_nhwc_state_t *s = call->state;

    return s ? s->path : CONV_PATH_DNNL;
}

status_t conv_nhwc_pack(const op_call_t *call, void **state, error_t *err)
{
    conv_nhwc_state_t *s = calloc(1, sizeof *s);
    status_t st;

    *state = NULL;
    if (!s)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    /*
     * In bf16 precision a half layer runs as a float one would, on oneDNN's
     * bf16 primitives: they take the weights narrowed from the float copy
     * (f16 to bf16 loses 3 mantissa bits, the mode's accepted cost).
     */
    if (call->inputs[1] && dtype_is_half(call->inputs[1]->dtype) &&
        (call->bf16 || !half_path(call, &s->path))) {
        /* No state: the engine widens the weights and packs again (op.h's half_inputs). */
        free(s);
        return STATUS_OK;
    }
    if (!call->inputs[1] || !dtype_is_half(call->inputs[1]->dtype))
        s->path = pick_path(call);
    if (s->path == CONV_PATH_DNNL)
        st = conv_dnnl_pack(call, &s->impl, err);
    else
        st = conv_gemm_pack(call, &s->impl, err);
    if (st)
        free(s);
    else
        *state = s;
    return st;
}

void conv_nhwc_release(void *state)
{
    conv_nhwc_state_t *s = state;

    if (!s)
        return;
    if (s->path == CONV_PATH_DNNL)
        conv_dnnl_release(s->impl);
    else
        conv_gemm_release(s->impl);
    free(s);
}

bool conv_nhwc_packed_bf16(const void *state)
{
    const conv_nhwc_state_t *s = state;

    return s && s->path == CONV_PATH_DNNL && conv_dnnl_packed_bf16(s->impl);
}

/*
 * The path a call runs on, given its NHWC output's batch and image: a layer
 * packed for Winograd runs on the GEMM, from the same packed weights, where
 * its images have too few tiles to pay for deriving the transforms.
 */
static conv_path_t run_path(const op_call_t *call, int64_t batch, int64_t oh, int64_t ow)
{
    conv_path_t path = path_of(call);

    return path == CONV_PATH_WINOGRAD && !conv_winograd_worth(batch, oh, ow) ? CONV_PATH_GEMM
                                                                             : path;
}

void conv_nhwc_workspace(op_call_t *call, const conv_geom_t *g)
{
    op_call_t c = impl_call(call);
    size_t bytes;

    if (path_of(call) == CONV_PATH_DNNL)
        return;
    bytes = run_path(call, g->batch, g->win.cols[1], g->win.cols[2]) == CONV_PATH_WINOGRAD
                ? conv_winograd_workspace(&c, g)
                : conv_gemm_workspace(&c, g);
    if (bytes > call->workspace_size)
        call->workspace_size = bytes;
}

status_t conv_nhwc_prepare(op_call_t *call, void **prepared, error_t *err)
{
    op_call_t c = impl_call(call);
    conv_geom_t g;
    tensor_t y;
    status_t st;

    *prepared = NULL;
    if (path_of(call) != CONV_PATH_DNNL) {
        /* The GEMMs need nothing per plan but scratch for the plan's threads. */
        if ((st = conv_nhwc_resolve(call, &g, &y, err)))
            return st;
        conv_nhwc_workspace(call, &g);
        return STATUS_OK;
    }
    st = conv_dnnl_prepare(&c, prepared, err);
    call->workspace_size = c.workspace_size;
    return st;
}

void conv_nhwc_unprepare(void *prepared)
{
    conv_dnnl_unprepare(prepared);
}

bool conv_nhwc_describe(const op_call_t *call, char *impl, size_t size)
{
    op_call_t c = impl_call(call);
    const int64_t *y = call->outputs[0].dims;
    const char *isa = cpu_isa_name(cpu_isa());
    dtype_t wt = c.state && path_of(call) != CONV_PATH_DNNL ? gemm_b_dtype(c.state) : DTYPE_FLOAT;
    char half[32] = "";

    if (wt != DTYPE_FLOAT)
        snprintf(half, sizeof half, " %s weights", wt == DTYPE_FLOAT16 ? "f16" : "bf16");

    switch (run_path(call, y[0], y[1], y[2])) {
    case CONV_PATH_WINOGRAD:
        snprintf(impl, size, "inferd winograd:%s%s", isa, half);
        return false;
    case CONV_PATH_GEMM:
        snprintf(impl, size, "inferd implicit gemm:%s%s", gemm_isa_name(), half);
        return false;
    default:
        return conv_dnnl_describe(&c, impl, size);
    }
}

status_t conv_nhwc_run(op_call_t *call, error_t *err)
{
    op_call_t c = impl_call(call);
    const int64_t *y = call->outputs[0].dims; /* [N, OH, OW, M], as infer made it */

    /* bf16 tensors only meet layers packed in bf16 (graph_conv_bf16_outputs). */
    assert(path_of(call) == CONV_PATH_DNNL ||
           (call->inputs[0]->dtype == DTYPE_FLOAT && call->outputs[0].dtype == DTYPE_FLOAT));
    switch (run_path(call, y[0], y[1], y[2])) {
    case CONV_PATH_WINOGRAD:
        return conv_winograd_run(&c, err);
    case CONV_PATH_GEMM:
        return conv_gemm_run(&c, err);
    default:
        return conv_dnnl_run(&c, err);
    }
}
