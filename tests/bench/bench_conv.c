/*
 * bench_conv.c - per-layer CPU time of the channels-last convolution on
 * oneDNN (conv_dnnl.c), on the implicit GEMM (conv_gemm.c) and, for 3x3
 * stride-1 layers, on Winograd F(2x2, 3x3) and F(4x4, 3x3)
 * (conv_winograd.c), for the group-1
 * convolutions of ResNet-18, ResNet-50 and MobileNetV2 at a given batch.
 * Run by hand, never by ctest:
 *
 *   bench_conv [batch [threads [filter]]]
 *
 * Prints direct-convolution GFLOP/s (Winograd's too, so the four compare)
 * and the winner per layer shape, then each model's total group-1
 * convolution time on each path alone (each Winograd tile's where it
 * applies, the GEMM's elsewhere) and on the best one per layer. CPU time of the
 * process on one thread (best of BENCH_REPEATS), so a second tenant on the
 * machine disturbs it less than wall time would; wall time on several,
 * where CPU time would count the threads' waits too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conv/conv_nhwc.h"
#include "conv/conv_winograd.h"

/* Timed runs per layer and path; the best one counts. */
#define BENCH_REPEATS 5

/* CPU seconds one timed run lasts at least (it loops the layer). */
#define BENCH_MIN_SECONDS 0.05

typedef struct layer {
    const char *model;
    int count; /* how often the model runs this shape */
    int64_t hw, ic, oc, k, stride;
} layer_t;

/* Square input hw, k x k window, pad k / 2 (what the three models use). */
static const layer_t layers[] = {
    {"resnet18", 1, 224, 3, 64, 7, 2},    {"resnet18", 4, 56, 64, 64, 3, 1},
    {"resnet18", 1, 56, 64, 128, 3, 2},   {"resnet18", 3, 28, 128, 128, 3, 1},
    {"resnet18", 1, 56, 64, 128, 1, 2},   {"resnet18", 1, 28, 128, 256, 3, 2},
    {"resnet18", 3, 14, 256, 256, 3, 1},  {"resnet18", 1, 28, 128, 256, 1, 2},
    {"resnet18", 1, 14, 256, 512, 3, 2},  {"resnet18", 3, 7, 512, 512, 3, 1},
    {"resnet18", 1, 14, 256, 512, 1, 2},  {"resnet50", 1, 224, 3, 64, 7, 2},
    {"resnet50", 1, 56, 64, 64, 1, 1},    {"resnet50", 3, 56, 64, 64, 3, 1},
    {"resnet50", 4, 56, 64, 256, 1, 1},   {"resnet50", 2, 56, 256, 64, 1, 1},
    {"resnet50", 1, 56, 256, 128, 1, 1},  {"resnet50", 1, 56, 128, 128, 3, 2},
    {"resnet50", 4, 28, 128, 512, 1, 1},  {"resnet50", 1, 56, 256, 512, 1, 2},
    {"resnet50", 3, 28, 512, 128, 1, 1},  {"resnet50", 3, 28, 128, 128, 3, 1},
    {"resnet50", 1, 28, 512, 256, 1, 1},  {"resnet50", 1, 28, 256, 256, 3, 2},
    {"resnet50", 6, 14, 256, 1024, 1, 1}, {"resnet50", 1, 28, 512, 1024, 1, 2},
    {"resnet50", 5, 14, 1024, 256, 1, 1}, {"resnet50", 5, 14, 256, 256, 3, 1},
    {"resnet50", 1, 14, 1024, 512, 1, 1}, {"resnet50", 1, 14, 512, 512, 3, 2},
    {"resnet50", 3, 7, 512, 2048, 1, 1},  {"resnet50", 1, 14, 1024, 2048, 1, 2},
    {"resnet50", 2, 7, 2048, 512, 1, 1},  {"resnet50", 2, 7, 512, 512, 3, 1},
    {"mobilenet", 1, 224, 3, 32, 3, 2},   {"mobilenet", 1, 112, 32, 16, 1, 1},
    {"mobilenet", 1, 112, 16, 96, 1, 1},  {"mobilenet", 1, 56, 96, 24, 1, 1},
    {"mobilenet", 2, 56, 24, 144, 1, 1},  {"mobilenet", 1, 56, 144, 24, 1, 1},
    {"mobilenet", 1, 28, 144, 32, 1, 1},  {"mobilenet", 3, 28, 32, 192, 1, 1},
    {"mobilenet", 2, 28, 192, 32, 1, 1},  {"mobilenet", 1, 14, 192, 64, 1, 1},
    {"mobilenet", 4, 14, 64, 384, 1, 1},  {"mobilenet", 3, 14, 384, 64, 1, 1},
    {"mobilenet", 1, 14, 384, 96, 1, 1},  {"mobilenet", 3, 14, 96, 576, 1, 1},
    {"mobilenet", 2, 14, 576, 96, 1, 1},  {"mobilenet", 1, 7, 576, 160, 1, 1},
    {"mobilenet", 3, 7, 160, 960, 1, 1},  {"mobilenet", 2, 7, 960, 160, 1, 1},
    {"mobilenet", 1, 7, 960, 320, 1, 1},  {"mobilenet", 1, 7, 320, 1280, 1, 1},
};

#define N_LAYERS (sizeof layers / sizeof layers[0])

/*
 * The clock runs are timed on: the process's CPU time on one thread; wall
 * time on several, where CPU time would also count the threads' waits.
 */
static clockid_t bench_clock = CLOCK_PROCESS_CPUTIME_ID;

static double cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(bench_clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

typedef status_t (*run_fn)(op_call_t *call, error_t *err);

/* The implementations compared; PATH_WINO (F(2x2, 3x3)) and PATH_WINO4 only where they apply. */
enum path { PATH_DNNL, PATH_GEMM, PATH_WINO, PATH_WINO4, PATH_COUNT };

static const char *const path_names[PATH_COUNT] = {"dnnl", "gemm", "wino", "wino4"};

static status_t run_wino2(op_call_t *call, error_t *err)
{
    return conv_winograd_run_tile(call, CONV_WINO_TILE_2, err);
}

static status_t run_wino4(op_call_t *call, error_t *err)
{
    return conv_winograd_run_tile(call, CONV_WINO_TILE_4, err);
}

/* Best CPU seconds of one run of the call. */
static double time_call(op_call_t *call, run_fn run)
{
    error_t err = {0};
    double best = 1e30;
    int loops = 1;

    if (run(call, &err)) {
        fprintf(stderr, "%s\n", err.message);
        exit(1);
    }
    for (int r = 0; r < BENCH_REPEATS; r++) {
        double t0 = cpu_seconds(), dt;
        for (int i = 0; i < loops; i++)
            run(call, &err);
        dt = (cpu_seconds() - t0) / loops;
        if (dt < best)
            best = dt;
        while (loops * dt < BENCH_MIN_SECONDS)
            loops *= 2;
    }
    return best;
}

/*
 * Runs the call on a path with its packed state and scratch of the given
 * size and returns its best time through *t; returns 0 on success.
 */
static int time_packed(op_call_t *call, run_fn run, void *state, size_t workspace, double *t)
{
    call->state = state;
    call->prepared = NULL;
    call->workspace_size = workspace;
    call->workspace = malloc(workspace + 1);
    if (!call->workspace)
        return 1;
    *t = time_call(call, run);
    free(call->workspace);
    return 0;
}

/* Times one layer on each path (t[PATH_WINO*] < 0: not applicable); returns 0 on success. */
static int bench_layer(const layer_t *l, int64_t batch, int threads, double *t)
{
    int64_t oh = (l->hw + 2 * (l->k / 2) - l->k) / l->stride + 1;
    int64_t xd[4] = {batch, l->hw, l->hw, l->ic}, wd[4] = {l->oc, l->ic, l->k, l->k};
    int64_t bd[1] = {l->oc}, yd[4] = {batch, oh, oh, l->oc};
    int64_t nx = batch * l->hw * l->hw * l->ic, nw = l->oc * l->ic * l->k * l->k;
    int64_t ny = batch * oh * oh * l->oc;
    conv_nhwc_params_t p = {.conv = {.group = 1,
                                     .n_kernel_shape = -1,
                                     .n_strides = 2,
                                     .n_dilations = -1,
                                     .n_pads = 4,
                                     .n_output_padding = -1,
                                     .n_output_shape = -1,
                                     .strides = {l->stride, l->stride},
                                     .pads = {l->k / 2, l->k / 2, l->k / 2, l->k / 2}},
                            .activation = CONV_ACTIVATION_RELU};
    tensor_t x = {.dtype = DTYPE_FLOAT, .rank = 4}, w = x, y = x, b = {.dtype = DTYPE_FLOAT};
    const tensor_t *in[3] = {&x, &w, &b};
    op_call_t call = {.op_type = CONV_NHWC_OP,
                      .node = "bench",
                      .params = &p,
                      .n_inputs = 3,
                      .inputs = in,
                      .n_outputs = 1,
                      .outputs = &y,
                      .threads = threads};
    error_t err = {0};
    void *dnnl_state = NULL, *gemm_state = NULL, *prepared = NULL;
    conv_geom_t g;
    tensor_t shape;
    bool wino;
    int rc = 1;

    memcpy(x.dims, xd, sizeof xd);
    memcpy(w.dims, wd, sizeof wd);
    memcpy(y.dims, yd, sizeof yd);
    b.rank = 1;
    b.dims[0] = bd[0];
    wino = conv_winograd_supports(&p, &w);
    x.data = calloc((size_t)nx, sizeof(float));
    w.data = calloc((size_t)nw, sizeof(float));
    b.data = calloc((size_t)l->oc, sizeof(float));
    y.data = calloc((size_t)ny, sizeof(float));
    for (int64_t i = 0; i < nx; i++)
        ((float *)x.data)[i] = (float)(i % 7) * 0.1f;
    for (int64_t i = 0; i < nw; i++)
        ((float *)w.data)[i] = (float)(i % 5) * 0.01f;
    if (conv_dnnl_pack(&call, &dnnl_state, &err) || conv_gemm_pack(&call, &gemm_state, &err))
        goto cleanup;
    call.state = dnnl_state;
    if (conv_dnnl_prepare(&call, &prepared, &err))
        goto cleanup;
    call.prepared = prepared;
    call.workspace = malloc(call.workspace_size + 1);
    t[PATH_DNNL] = time_call(&call, conv_dnnl_run);
    free(call.workspace);
    if (conv_nhwc_resolve(&call, &g, &shape, &err))
        goto cleanup;
    call.state = gemm_state; /* the workspace size reads it */
    if (time_packed(&call, conv_gemm_run, gemm_state, conv_gemm_workspace(&call, &g),
                    &t[PATH_GEMM]))
        goto cleanup;
    t[PATH_WINO] = t[PATH_WINO4] = -1.0;
    if (wino &&
        (time_packed(&call, run_wino2, gemm_state,
                     conv_winograd_workspace_tile(&call, &g, CONV_WINO_TILE_2), &t[PATH_WINO]) ||
         time_packed(&call, run_wino4, gemm_state,
                     conv_winograd_workspace_tile(&call, &g, CONV_WINO_TILE_4), &t[PATH_WINO4])))
        goto cleanup;
    rc = 0;
cleanup:
    if (rc)
        fprintf(stderr, "%s\n", err.message);
    conv_dnnl_unprepare(prepared);
    conv_dnnl_release(dnnl_state);
    conv_gemm_release(gemm_state);
    free(x.data);
    free(w.data);
    free(b.data);
    free(y.data);
    return rc;
}

int main(int argc, char **argv)
{
    int64_t batch = argc > 1 ? atoll(argv[1]) : 1;
    int threads = argc > 2 ? atoi(argv[2]) : 1;
    const char *filter = argc > 3 ? argv[3] : "";
    const char *models[] = {"resnet18", "resnet50", "mobilenet"};
    double total[3][PATH_COUNT + 1] = {{0}}; /* model x {each path alone, best per layer} */

    if (threads > 1)
        bench_clock = CLOCK_MONOTONIC;
    printf("%-10s %5s %5s %5s %2s %2s %4s | %8s %8s %8s %8s | %6s %6s %6s %6s | %s\n", "model",
           "hw", "ic", "oc", "k", "s", "n", "dnnl ms", "gemm ms", "wino ms", "wino4 ms", "dnnlGF",
           "gemmGF", "winoGF", "wino4GF", "winner");
    for (size_t i = 0; i < N_LAYERS; i++) {
        const layer_t *l = &layers[i];
        int64_t oh = (l->hw + 2 * (l->k / 2) - l->k) / l->stride + 1;
        double flops = 2.0 * (double)(batch * oh * oh * l->oc * l->ic * l->k * l->k);
        double t[PATH_COUNT];
        int mi = l->model[0] == 'm' ? 2 : strcmp(l->model, "resnet18") == 0 ? 0 : 1;
        int best = PATH_DNNL;
        if (!strstr(l->model, filter))
            continue;
        if (bench_layer(l, batch, threads, t))
            return 1;
        for (int k = PATH_GEMM; k < PATH_COUNT; k++)
            if (t[k] >= 0 && t[k] < t[best])
                best = k;
        total[mi][PATH_DNNL] += l->count * t[PATH_DNNL];
        total[mi][PATH_GEMM] += l->count * t[PATH_GEMM];
        total[mi][PATH_WINO] += l->count * (t[PATH_WINO] >= 0 ? t[PATH_WINO] : t[PATH_GEMM]);
        total[mi][PATH_WINO4] += l->count * (t[PATH_WINO4] >= 0 ? t[PATH_WINO4] : t[PATH_GEMM]);
        total[mi][PATH_COUNT] += l->count * t[best];
        printf("%-10s %5lld %5lld %5lld %2lld %2lld %4d | %8.3f %8.3f %8.3f %8.3f | %6.1f %6.1f "
               "%6.1f %6.1f | %s\n",
               l->model, (long long)l->hw, (long long)l->ic, (long long)l->oc, (long long)l->k,
               (long long)l->stride, l->count, t[PATH_DNNL] * 1e3, t[PATH_GEMM] * 1e3,
               t[PATH_WINO] * 1e3, t[PATH_WINO4] * 1e3, flops / t[PATH_DNNL] * 1e-9,
               flops / t[PATH_GEMM] * 1e-9, t[PATH_WINO] >= 0 ? flops / t[PATH_WINO] * 1e-9 : 0.0,
               t[PATH_WINO4] >= 0 ? flops / t[PATH_WINO4] * 1e-9 : 0.0, path_names[best]);
        fflush(stdout);
    }
    for (int m = 0; m < 3; m++)
        if (total[m][PATH_DNNL] > 0)
            printf("%-10s total ms: dnnl %.2f  gemm %.2f  wino+gemm %.2f  wino4+gemm %.2f  "
                   "best-per-layer %.2f\n",
                   models[m], total[m][PATH_DNNL] * 1e3, total[m][PATH_GEMM] * 1e3,
                   total[m][PATH_WINO] * 1e3, total[m][PATH_WINO4] * 1e3,
                   total[m][PATH_COUNT] * 1e3);
    return 0;
}
