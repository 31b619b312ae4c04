/*
 * conv_winograd.c - channels-last 3x3 convolutions (stride 1, dilation 1,
 * group 1) by Winograd's minimal filtering F(2x2, 3x3) or F(4x4, 3x3).
 *
 * F(2x2, 3x3) first: each 2x2 block of outputs (a tile) comes from a 4x4
 * block of inputs d as Y = A^T [sum over ic of (G g G^T) . (B^T d B)] A,
 * where . is the elementwise product of 4x4 matrices: 16 multiplies per
 * tile and channel pair instead of the 36 of the direct 3x3 window. With
 * 1-D F(2, 3) on inputs d0..d3 and taps g0..g2 (a correlation, as ONNX
 * Conv is):
 *   m0 = (d0 - d2) g0            m1 = (d1 + d2) (g0 + g1 + g2) / 2
 *   m2 = (d2 - d1) (g0 - g1 + g2) / 2    m3 = (d1 - d3) g2
 *   y0 = m0 + m1 + m2 = d0 g0 + d1 g1 + d2 g2
 *   y1 = m1 - m2 - m3 = d1 g0 + d2 g1 + d3 g2
 * so B^T's rows are (1 0 -1 0) (0 1 1 0) (0 -1 1 0) (0 1 0 -1), G's rows
 * (1 0 0) (1/2 1/2 1/2) (1/2 -1/2 1/2) (0 0 1) and A^T's (1 1 1 0)
 * (0 1 -1 -1); the 2-D transforms apply them along both axes.
 *
 * The sum over input channels of point xi (one of the 16 transform points)
 * is a matrix product M_xi [tiles x OC] = V_xi [tiles x IC] x U_xi [IC x OC].
 * The weights stay packed once, as the implicit GEMM's taps (conv_gemm.c:
 * [KH][KW][IC] x OC in GEMM_B_PANEL-column panels), and each run derives
 * the 16 U_xi from them into its workspace, panel by panel: that costs
 * about 8 vector operations per channel pair, against 2 x 16 x tiles
 * multiply-adds per pair in the GEMMs, and it keeps the 7/9 more floats of
 * the transforms out of the model's resident weights (they live in the
 * arena for the step only). Then the run goes chunk of tiles by chunk of
 * tiles: transform the chunk's inputs into V (channels are contiguous in
 * NHWC, so each point is a vector over channels), 16 GEMMs into M,
 * transform M back into the output with bias, residual and activation.
 *
 * F(4x4, 3x3) (conv_winograd4_generic.c derives its matrices) runs the
 * same way on 6x6 input tiles: 36 transform points, so 36 U_xi and 36
 * GEMMs per chunk, for 4x4 output tiles; 36 multiplies per 16 outputs
 * against F(2x2, 3x3)'s 64, at the cost of costlier transforms and of a
 * larger rounding error (2.3e-5 of the largest output at 512 input
 * channels in the unit test, against under 1e-5; on ResNet-50 against
 * PyTorch 1.1e-6 relative, against 7.8e-7). The driver below serves both
 * tiles through a table of each one's sizes and transforms
 * (wino_variant_t), and picks F(4x4, 3x3) on the layers with many tiles
 * (WINO4_MIN_TILES).
 */
#include "conv_winograd.h"

#include <assert.h>
#include <omp.h>
#include <string.h>

#include "cpu_isa.h"
#include "gemm/gemm.h"
#include "half.h"

/*
 * Tiles per chunk (of either size; measured on F(2x2, 3x3) and kept for
 * F(4x4, 3x3)). Each chunk streams all 16 packed U_xi (1 MiB at 128
 * channels, more than L2) through the GEMMs, so long chunks pay off more
 * than keeping V and M in L2 does: measured at 1 thread on ResNet's 3x3
 * layers, 144 tiles run 64-channel layers 25% faster than 48 and 128- and
 * 256-channel ones a few percent faster. The scratch (V and M of a chunk,
 * per thread) is capped at WINO_CHUNK_BYTES; below WINO_CHUNK_MIN tiles
 * the GEMMs run on too few rows.
 */
#define WINO_CHUNK_MAX   144
#define WINO_CHUNK_MIN   24
#define WINO_CHUNK_BYTES (4 << 20)
/*
 * Chunks are a multiple of the GEMM micro-kernel's rows (gemm_kernel.h's
 * GEMM_MR), which computes a short last row block at the full block's cost.
 */
#define WINO_CHUNK_ROWS 6

/*
 * Most floats of the U_xi (16 or 36) a run holds at once: they occupy the
 * arena while the layer runs, so this bounds what Winograd adds to a plan's
 * memory. With F(2x2, 3x3), 256 x 256 channels (4 MiB) fit whole; wider
 * layers (ResNet's 512 x 512, 16 MiB) run block of output channels by
 * block of output channels, each block's U_xi derived in turn, and each
 * chunk's inputs transformed again for every block. With F(4x4, 3x3),
 * 128 x 128 (2.25 MiB) fits whole and 256 x 256 runs in blocks of 112.
 */
#define WINO_TRANSFORM_MAX_FLOATS ((int64_t)CONV_WINO_POINTS * 256 * 256)

/*
 * Fewest 4x4 output tiles a run takes F(4x4, 3x3) with, rather than
 * F(2x2, 3x3): its tiles cost 36 GEMM rows per 16 outputs where
 * F(2x2, 3x3) pays 64, but its transforms cost more per output and its
 * partial tiles at the image's edge waste more. Since the panel-by-panel
 * mode (WINO_PANEL_U_BYTES) runs the wide layers' few tiles, F(4x4, 3x3)
 * wins from 8 tiles. Measured per layer on one thread (AMD EPYC Zen 5,
 * best CPU time, ms F(2x2) -> F(4x4); AVX-512, then capped at AVX2):
 * 14x14x256 at batch 1 (16 tiles) 0.88 -> 0.77 and 1.30 -> 1.23;
 * 7x7x512 at batch 2 (8) 2.48 -> 2.05 and 3.61 -> 2.82, at batch 4
 * 4.66 -> 3.49 and 6.72 -> 4.74, at batch 8 9.28 -> 6.64 and 13.5 -> 9.7;
 * 7x7x512 at batch 1 (4) 1.58 -> 1.77 on AVX-512. On two threads
 * 14x14x256 at batch 1 ran 0.56 (F(2x2)) against 0.51 ms. In ResNet-50 at
 * batch 1 its five 14x14x256 layers went from 0.80-0.87 to 0.74-0.78 ms.
 */
#define WINO4_MIN_TILES 8

/*
 * Fewest 2x2 output tiles a run must have: deriving the transforms costs
 * the same whatever the tile count, so images of fewer tiles run on the
 * implicit GEMM instead. 16 is the smallest count measured to gain:
 * ResNet's 7x7x512 layers (16 tiles per image) at 1 thread take 2.99 ms on
 * Winograd against 3.25 on the GEMM at batch 1, 15.5 against 21.8 at
 * batch 8 (tests/bench/bench_conv.c).
 */
#define WINO_MIN_TILES 16

/*
 * With several threads, chunks whose busiest thread gets more than this
 * percentage above an even share of the tiles (chunk lengths round up to
 * whole micro-kernel rows: 49 tiles on 2 threads split 30 + 19) are shared
 * by the threads instead, by transform point: 16 equal GEMMs per chunk,
 * at the cost of three barriers. Measured at batch 1 on 2 threads
 * (bench_conv 1 2 resnet, best of 3): ResNet-50's 14x14x256 layer 0.74-0.80
 * ms shared against 0.94-1.38 in chunks, its 7x7x512 one 1.3-2.3 against
 * 1.9-4.1; the 28x28x128 one (196 tiles, 102 + 94) runs no faster shared.
 * Runs whose V fits WINO_PANEL_V_BYTES go panel by panel instead, which
 * shares no data between the threads (WINO_PANEL_U_BYTES); this mode
 * remains for the larger ones.
 */
#define WINO_IMBALANCE_PERCENT 15

/*
 * Runs whose U_xi (every point's transformed weights) take at least
 * WINO_PANEL_U_BYTES and whose V (every tile's transformed inputs) fits
 * WINO_PANEL_V_BYTES go panel by panel (wino_run_t.by_panel): each thread
 * derives one panel of U_xi (16 output channels: 512 KiB at 512 input
 * channels on F(2x2, 3x3), 576 KiB at 256 on F(4x4, 3x3)) into its own
 * scratch and runs every tile's GEMMs and output transform on it while it
 * is in the core's L2, instead of writing the block's U_xi (up to 16 MiB)
 * out to L3 or memory and reading them back for each chunk. The panels
 * also split evenly between two threads, where batch 1's 49 or 16 tiles do
 * not. The cost is that every panel reads all of V, which loses where the
 * U_xi are small. Measured (bench_conv 1 2 resnet18, AMD EPYC Zen 5,
 * AVX-512, median of 3, ms chunked -> by panel): 14x14x256 0.66 -> 0.56 on
 * F(2x2) and 1.09 -> 0.51 on F(4x4), 7x7x512 1.48 -> 0.77 and
 * 3.25 -> 0.88; but 56x56x64 0.55 -> 0.90 and 28x28x128 0.56 -> 0.62 on
 * F(2x2), whose U_xi (1 MiB) are under the cap. On 1 thread the two large
 * layers run about as fast either way (7x7x512 F(4x4) 1.97 -> 1.79).
 *
 * With several threads, runs that would share chunks point by point
 * (WINO_IMBALANCE_PERCENT) go panel by panel too when their V fits, each
 * thread transforming every tile into its own V: no data then crosses
 * between the cores inside the layer. Sharing V, U_xi and M point by point
 * is as fast on a quiet host (ResNet-50's 28x28x128 layers at batch 1,
 * 2 threads: 0.36-0.37 ms either way, per-node minimum over 40 runs), but on
 * this project's 2-vCPU VM, while the host is busy with other tenants'
 * work (per-node minima then stay higher for minutes, most on the layers
 * whose threads share data), the point-by-point layers took 0.73-0.89 ms,
 * slower than on one thread (0.69-0.72), and the layers sharing V 1.3x
 * their time. Paired with main in that state, ResNet-18 at batch 1 ran in
 * 0.90 of main's time on 2 threads.
 */
#define WINO_PANEL_U_BYTES ((int64_t)4 << 20)
#define WINO_PANEL_V_BYTES ((int64_t)4 << 20)

/*
 * Most bytes of U_xi (every point's, one block of all output channels) for
 * which each thread of a chunked run derives its own copy (wino_run_t.
 * private_u) rather than a share of common ones: the copies cost the weight
 * transforms again on each thread (about 1% of a layer's time), and spare
 * each thread's GEMMs reading the other thread's half from its core, and
 * the barrier between the transforms and the chunks. One core's L2. On
 * this project's 2-vCPU VM while the host was contended (main's ResNet-18 at
 * 2 threads, batch 1, 15 ms against 10 ms when not), ResNet-18 then ran
 * in 0.85 of main's time where panel by panel alone gave 0.90 (median of
 * 10 paired runs; ResNet-50 0.96 either way); batch 8 ran as fast as before.
 */
#define WINO_PRIVATE_U_BYTES ((int64_t)1 << 20)

/* Alignment of the workspace's parts (one cache line; packed B wants it). */
#define WINO_ALIGN 64

/* One tile size: its edges, its transform points and its transforms on this CPU. */
typedef struct wino_variant {
    int out, in, points;
    conv_winograd_weight_fn weight;
    conv_winograd_input_fn input;
    conv_winograd_output_fn output;
} wino_variant_t;

static const wino_variant_t wino2_generic = {CONV_WINO_OUT,
                                             CONV_WINO_IN,
                                             CONV_WINO_POINTS,
                                             conv_winograd_weight_generic,
                                             conv_winograd_input_generic,
                                             conv_winograd_output_generic};
static const wino_variant_t wino2_avx2 = {CONV_WINO_OUT,
                                          CONV_WINO_IN,
                                          CONV_WINO_POINTS,
                                          conv_winograd_weight_avx2,
                                          conv_winograd_input_avx2,
                                          conv_winograd_output_avx2};
static const wino_variant_t wino2_avx512 = {CONV_WINO_OUT,
                                            CONV_WINO_IN,
                                            CONV_WINO_POINTS,
                                            conv_winograd_weight_avx512,
                                            conv_winograd_input_avx512,
                                            conv_winograd_output_avx512};
static const wino_variant_t wino4_generic = {CONV_WINO4_OUT,
                                             CONV_WINO4_IN,
                                             CONV_WINO4_POINTS,
                                             conv_winograd4_weight_generic,
                                             conv_winograd4_input_generic,
                                             conv_winograd4_output_generic};
static const wino_variant_t wino4_avx2 = {CONV_WINO4_OUT,
                                          CONV_WINO4_IN,
                                          CONV_WINO4_POINTS,
                                          conv_winograd4_weight_avx2,
                                          conv_winograd4_input_avx2,
                                          conv_winograd4_output_avx2};
static const wino_variant_t wino4_avx512 = {CONV_WINO4_OUT,
                                            CONV_WINO4_IN,
                                            CONV_WINO4_POINTS,
                                            conv_winograd4_weight_avx512,
                                            conv_winograd4_input_avx512,
                                            conv_winograd4_output_avx512};

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static bool all_ones(int n, const int64_t *v)
{
    for (int i = 0; i < n; i++)
        if (v[i] != 1)
            return false;
    return true;
}

bool conv_winograd_supports(const conv_nhwc_params_t *p, const tensor_t *w)
{
    return p->conv.group == 1 && w && w->rank == 4 && w->dims[2] == 3 && w->dims[3] == 3 &&
           all_ones(p->conv.n_strides, p->conv.strides) &&
           all_ones(p->conv.n_dilations, p->conv.dilations);
}

/* Output channels per block: all of them when their U_xi fit the cap, else whole panels that do. */
static int64_t block_channels(int points, int64_t ic, int64_t oc)
{
    int64_t panels = (oc + GEMM_B_PANEL - 1) / GEMM_B_PANEL;
    int64_t fit = WINO_TRANSFORM_MAX_FLOATS / (points * GEMM_B_PANEL * ic);

    return panels <= fit ? oc : fit * GEMM_B_PANEL;
}

bool conv_winograd_fits(const tensor_t *w)
{
    return CONV_WINO_POINTS * GEMM_B_PANEL * w->dims[1] <= WINO_TRANSFORM_MAX_FLOATS;
}

bool conv_winograd_worth(int64_t batch, int64_t oh, int64_t ow)
{
    int64_t tiles_y = (oh + CONV_WINO_OUT - 1) / CONV_WINO_OUT;
    int64_t tiles_x = (ow + CONV_WINO_OUT - 1) / CONV_WINO_OUT;

    return batch * tiles_y * tiles_x >= WINO_MIN_TILES;
}

/*
 * The tile a run uses: the one asked for, else F(4x4, 3x3) on runs of
 * WINO4_MIN_TILES of its tiles or more whose one panel of transforms fits
 * the cap.
 */
static const wino_variant_t *pick_variant(const conv_geom_t *g, conv_winograd_tile_t tile)
{
    cpu_isa_t isa = cpu_isa();
    int64_t tiles4 = g->batch * ((g->win.cols[1] + CONV_WINO4_OUT - 1) / CONV_WINO4_OUT) *
                     ((g->win.cols[2] + CONV_WINO4_OUT - 1) / CONV_WINO4_OUT);

    if (tile == CONV_WINO_TILE_AUTO)
        tile = tiles4 >= WINO4_MIN_TILES && CONV_WINO4_POINTS * GEMM_B_PANEL * g->in_channels <=
                                                WINO_TRANSFORM_MAX_FLOATS
                   ? CONV_WINO_TILE_4
                   : CONV_WINO_TILE_2;
    if (tile == CONV_WINO_TILE_4)
        return isa >= CPU_ISA_AVX512 ? &wino4_avx512
               : isa >= CPU_ISA_AVX2 ? &wino4_avx2
                                     : &wino4_generic;
    return isa >= CPU_ISA_AVX512 ? &wino2_avx512
           : isa >= CPU_ISA_AVX2 ? &wino2_avx2
                                 : &wino2_generic;
}

/* One call's geometry in tiles, and what the transforms read and write. */
typedef struct wino_run {
    const wino_variant_t *v;           /* the tile and its transforms */
    const gemm_b_t *taps;              /* the implicit GEMM's packed weights */
    char *wide;                        /* half taps: each thread's widened panel, else NULL */
    gemm_b_t *u[CONV_WINO_MAX_POINTS]; /* U_xi of the current block, [IC] x its channels */
    char *u_mem;                       /* where the U_xi are laid out, in the workspace */
    const float *zeros;                /* max(IC, OC) zeros: padding taps and a missing bias */
    int64_t ic, oc;
    int64_t block; /* output channels per block, a whole number of panels unless all */
    const float *x;
    float *y;
    const float *residual; /* NHWC like y, may be y itself; NULL without one */
    conv_winograd_epilogue_t ep;
    int64_t h, w, oh, ow; /* input and output images */
    int64_t ph, pw;       /* leading pads */
    int64_t tiles_y, tiles_x, tiles;
    int64_t chunk;  /* tiles per chunk */
    bool by_point;  /* the threads share each chunk (WINO_IMBALANCE_PERCENT) */
    bool by_panel;  /* one chunk of every tile, output panel by panel (WINO_PANEL_U_BYTES) */
    bool private_u; /* each thread derives its own U_xi (WINO_PRIVATE_U_BYTES) */
} wino_run_t;

static int64_t chunk_tiles(int points, int64_t tiles, int64_t ic, int64_t oc, int threads)
{
    int64_t fit = WINO_CHUNK_BYTES / (points * (ic + oc) * (int64_t)sizeof(float));
    int64_t chunks, chunk;

    fit = min64(max64(fit, WINO_CHUNK_MIN), WINO_CHUNK_MAX);
    /*
     * Chunks of even length, as many per thread each: no short last chunk
     * leaves a thread idle (with several threads, small chunks or not).
     */
    chunks = (tiles + fit - 1) / fit;
    chunks = (chunks + threads - 1) / threads * threads;
    chunk = (tiles + chunks - 1) / chunks;
    chunk = (chunk + WINO_CHUNK_ROWS - 1) / WINO_CHUNK_ROWS * WINO_CHUNK_ROWS;
    return max64(1, min64(chunk, tiles));
}

/* Floats of one thread's scratch: V and M of a chunk, rounded to a cache line. */
static int64_t slot_floats(int points, int64_t chunk, int64_t ic, int64_t oc)
{
    int64_t line = WINO_ALIGN / (int64_t)sizeof(float);

    return (points * chunk * (ic + oc) + line - 1) / line * line;
}

/* Whether every tile's V fits WINO_PANEL_V_BYTES (by_panel's condition on a shared chunk). */
static bool by_panel_fits(const wino_variant_t *v, const wino_run_t *r)
{
    return v->points * r->tiles * r->ic * (int64_t)sizeof(float) <= WINO_PANEL_V_BYTES;
}

static bool by_panel_wanted(const wino_variant_t *v, const wino_run_t *r)
{
    return v->points * r->ic * r->oc * (int64_t)sizeof(float) >= WINO_PANEL_U_BYTES &&
           by_panel_fits(v, r);
}

static size_t aligned_size(size_t bytes)
{
    return (bytes + WINO_ALIGN - 1) / WINO_ALIGN * WINO_ALIGN;
}

/* Bytes of one block's U_xi, every point's. */
static size_t all_u_bytes(const wino_run_t *r)
{
    return r->v->points * aligned_size(gemm_b_pack_size(r->ic, r->block));
}

static void run_geometry(const op_call_t *call, const conv_geom_t *g, conv_winograd_tile_t tile,
                         wino_run_t *r)
{
    const conv_window_t *win = &g->win;
    int threads = call->threads > 1 ? call->threads : 1;
    const wino_variant_t *v = pick_variant(g, tile);

    *r = (wino_run_t){
        .v = v,
        .taps = call->state,
        .ic = g->in_channels,
        .oc = g->out_channels,
        .h = win->image[1],
        .w = win->image[2],
        .oh = win->cols[1],
        .ow = win->cols[2],
        .ph = win->pad[1],
        .pw = win->pad[2],
    };
    r->tiles_y = (r->oh + v->out - 1) / v->out;
    r->tiles_x = (r->ow + v->out - 1) / v->out;
    r->tiles = g->batch * r->tiles_y * r->tiles_x;
    r->block = block_channels(v->points, r->ic, r->oc);
    r->chunk = chunk_tiles(v->points, r->tiles, r->ic, r->block, threads);
    if (threads > 1) {
        int64_t chunks = (r->tiles + r->chunk - 1) / r->chunk;
        int64_t busiest = (chunks + threads - 1) / threads * r->chunk;
        r->by_point = busiest * threads * 100 > r->tiles * (100 + WINO_IMBALANCE_PERCENT);
    }
    if (r->by_point)
        r->chunk = chunk_tiles(v->points, r->tiles, r->ic, r->block, 1);
    if (by_panel_wanted(v, r) || (r->by_point && by_panel_fits(v, r))) {
        r->by_panel = true;
        r->by_point = false;
        r->chunk = r->tiles;
        r->block = r->oc;
    }
    r->private_u = threads > 1 && !r->by_point && !r->by_panel && r->block == r->oc &&
                   (int64_t)all_u_bytes(r) <= WINO_PRIVATE_U_BYTES;
}

/* Bytes of the workspace before the threads' scratch: one block's U_xi, then the zeros. */
static size_t transform_bytes(int points, int64_t ic, int64_t oc, int64_t block)
{
    return points * aligned_size(gemm_b_pack_size(ic, block)) +
           aligned_size((size_t)max64(ic, oc) * sizeof(float));
}

/* Bytes of one panel's U_xi in a thread's scratch, whole cache lines per point. */
static size_t panel_point_bytes(const wino_run_t *r)
{
    return aligned_size(gemm_b_pack_size(r->ic, GEMM_B_PANEL));
}

/*
 * Bytes of one thread's float copy of a taps panel (9 IC rows) when the
 * taps are half: the weight transforms read floats, so each panel is
 * widened just before its transform, which reads it once.
 */
static size_t wide_panel_bytes(const wino_run_t *r)
{
    if (gemm_b_dtype(r->taps) == DTYPE_FLOAT)
        return 0;
    return aligned_size((size_t)(9 * r->ic * GEMM_B_PANEL) * sizeof(float));
}

/*
 * Panel p of the taps as floats: the packed one, or thread me's widened copy
 * of it. me is the thread's index in the kernel's own team, 0 outside one:
 * omp_get_thread_num() there would be the index in an enclosing team (the
 * engine's sub-batch split), past the workspace sized for this call.
 */
static const float *taps_panel(const wino_run_t *r, int64_t p, int me)
{
    float *dst;

    if (!r->wide)
        return gemm_b_panel(r->taps, p);
    dst = (float *)(r->wide + (size_t)me * wide_panel_bytes(r));
    half_to_float_n(gemm_b_dtype(r->taps), gemm_b_half_panel(r->taps, p), dst,
                    9 * r->ic * GEMM_B_PANEL);
    return dst;
}

static size_t panel_transform_bytes(const wino_run_t *r)
{
    return r->v->points * panel_point_bytes(r);
}

size_t conv_winograd_workspace_tile(const op_call_t *call, const conv_geom_t *g,
                                    conv_winograd_tile_t tile)
{
    wino_run_t r;
    int threads = call->threads > 1 ? call->threads : 1;

    run_geometry(call, g, tile, &r);
    if (r.tiles == 0)
        return 0;
    /* Half taps: each thread's widened panel comes first (conv_winograd_run_tile). */
    if (r.by_panel)
        return WINO_ALIGN + wide_panel_bytes(&r) * threads + panel_transform_bytes(&r) * threads +
               aligned_size((size_t)max64(r.ic, r.oc) * sizeof(float)) +
               (size_t)(r.v->points * r.tiles * threads * (r.ic + GEMM_B_PANEL)) * sizeof(float);
    /* Private U_xi: the other threads' copies follow the scratch. */
    return WINO_ALIGN + wide_panel_bytes(&r) * threads +
           transform_bytes(r.v->points, r.ic, r.oc, r.block) +
           (size_t)((r.by_point ? 1 : threads) * slot_floats(r.v->points, r.chunk, r.ic, r.block)) *
               sizeof(float) +
           (r.private_u ? (size_t)(threads - 1) * all_u_bytes(&r) : 0);
}

size_t conv_winograd_workspace(const op_call_t *call, const conv_geom_t *g)
{
    return conv_winograd_workspace_tile(call, g, CONV_WINO_TILE_AUTO);
}

/* Sets aside the U_xi at the start of the (aligned) workspace and zeroes the zeros; returns what
 * follows. */
static char *reserve_transforms(wino_run_t *r, char *mem)
{
    size_t zero_bytes = aligned_size((size_t)max64(r->ic, r->oc) * sizeof(float));

    r->u_mem = mem;
    mem += r->v->points * aligned_size(gemm_b_pack_size(r->ic, r->block));
    memset(mem, 0, zero_bytes);
    r->zeros = (const float *)mem;
    return mem + zero_bytes;
}

/* A block of output channels: [c0, c0 + cols). */
typedef struct wino_block {
    int64_t c0, cols;
} wino_block_t;

static wino_block_t block_at(const wino_run_t *r, int64_t index)
{
    wino_block_t b = {.c0 = index * r->block};

    b.cols = min64(r->block, r->oc - b.c0);
    return b;
}

/* Lays out the U_xi of block b (call on one thread). */
static void layout_block(wino_run_t *r, wino_block_t b)
{
    size_t u_bytes = aligned_size(gemm_b_pack_size(r->ic, r->block));

    for (int xi = 0; xi < r->v->points; xi++)
        r->u[xi] = gemm_b_layout_into(r->u_mem + xi * u_bytes, r->ic, b.cols);
}

/* Panel p of block b's U_xi from the matching panel of the packed taps. */
static void transform_panel(const wino_run_t *r, wino_block_t b, int64_t p, int me)
{
    float *u[CONV_WINO_MAX_POINTS];

    for (int xi = 0; xi < r->v->points; xi++)
        u[xi] = gemm_b_panel_mut(r->u[xi], p);
    r->v->weight(taps_panel(r, b.c0 / GEMM_B_PANEL + p, me), r->ic, u);
}

static int64_t block_panels(wino_block_t b)
{
    return (b.cols + GEMM_B_PANEL - 1) / GEMM_B_PANEL;
}

/* Tile number t as (image, tile row, tile column). */
typedef struct tile_pos {
    int64_t b, ty, tx;
} tile_pos_t;

static tile_pos_t tile_at(const wino_run_t *r, int64_t t)
{
    int64_t per_image = r->tiles_y * r->tiles_x;
    tile_pos_t p = {.b = t / per_image};

    p.ty = (t - p.b * per_image) / r->tiles_x;
    p.tx = t - p.b * per_image - p.ty * r->tiles_x;
    return p;
}

static void tile_next(const wino_run_t *r, tile_pos_t *p)
{
    if (++p->tx < r->tiles_x)
        return;
    p->tx = 0;
    if (++p->ty < r->tiles_y)
        return;
    p->ty = 0;
    p->b++;
}

/*
 * V [points][chunk][IC] of tiles [t0, t0 + n): each tile's in x in input
 * points, those outside the image read from the zero row.
 */
static void input_transform(const wino_run_t *r, int64_t t0, int64_t n, float *v)
{
    int64_t ic = r->ic, plane = r->chunk * ic;
    int in = r->v->in, out = r->v->out;
    tile_pos_t p = tile_at(r, t0);

    for (int64_t t = 0; t < n; t++, tile_next(r, &p)) {
        const float *image = r->x + p.b * r->h * r->w * ic;
        const float *src[CONV_WINO_MAX_POINTS];
        int64_t y0 = p.ty * out - r->ph, x0 = p.tx * out - r->pw;
        for (int i = 0; i < in; i++)
            for (int j = 0; j < in; j++) {
                int64_t iy = y0 + i, ix = x0 + j;
                bool inside = iy >= 0 && iy < r->h && ix >= 0 && ix < r->w;
                src[i * in + j] = inside ? image + (iy * r->w + ix) * ic : r->zeros;
            }
        r->v->input(src, 0, ic, v + t * ic, plane);
    }
}

/*
 * Block b's channels of Y for tiles [t0, t0 + n) from M [points][chunk][cols];
 * outputs past the edge are dropped.
 */
static void output_transform(const wino_run_t *r, wino_block_t b, int64_t t0, int64_t n,
                             const float *m)
{
    int64_t plane = r->chunk * b.cols;
    int edge = r->v->out;
    conv_winograd_epilogue_t ep = r->ep;
    tile_pos_t p = tile_at(r, t0);

    ep.bias += b.c0;
    for (int64_t t = 0; t < n; t++, tile_next(r, &p)) {
        float *out[CONV_WINO_MAX_OUTPUTS];
        const float *res[CONV_WINO_MAX_OUTPUTS];
        for (int q = 0; q < edge * edge; q++) {
            int64_t oy = p.ty * edge + q / edge;
            int64_t ox = p.tx * edge + q % edge;
            int64_t at = ((p.b * r->oh + oy) * r->ow + ox) * r->oc + b.c0;
            bool inside = oy < r->oh && ox < r->ow;
            out[q] = inside ? r->y + at : NULL;
            res[q] = inside && r->residual ? r->residual + at : NULL;
        }
        r->v->output(m + t * b.cols, plane, 0, b.cols, &ep, out, res);
    }
}

/* One chunk of block b on the calling thread: input transform, a GEMM per point, output transform.
 */
static void run_chunk(const wino_run_t *r, wino_block_t b, int64_t index, float *slot)
{
    int64_t t0 = index * r->chunk, n = min64(r->chunk, r->tiles - t0);
    float *v = slot, *m = slot + r->v->points * r->chunk * r->ic;

    input_transform(r, t0, n, v);
    for (int xi = 0; xi < r->v->points; xi++) {
        gemm_a_t a = {.data = v + xi * r->chunk * r->ic, .lda = r->ic};
        gemm_run(&a, n, r->u[xi], m + xi * r->chunk * b.cols, b.cols, NULL, NULL, 1);
    }
    output_transform(r, b, t0, n, m);
}

/*
 * Chunk index of block b shared by the calling team of threads threads
 * (call from inside the parallel region, on every thread): each transforms
 * its share of the tiles, then runs its share of the points' GEMMs, then
 * transforms its tiles' products back; the loops' barriers order the three.
 */
static void run_chunk_by_point(const wino_run_t *r, wino_block_t b, int64_t index, float *slot,
                               int threads)
{
    int64_t t0 = index * r->chunk, n = min64(r->chunk, r->tiles - t0);
    float *v = slot, *m = slot + r->v->points * r->chunk * r->ic;

#pragma omp for schedule(static)
    for (int k = 0; k < threads; k++) {
        int64_t lo = n * k / threads, hi = n * (k + 1) / threads;
        input_transform(r, t0 + lo, hi - lo, v + lo * r->ic);
    }
#pragma omp for schedule(static)
    for (int xi = 0; xi < r->v->points; xi++) {
        gemm_a_t a = {.data = v + xi * r->chunk * r->ic, .lda = r->ic};
        gemm_run(&a, n, r->u[xi], m + xi * r->chunk * b.cols, b.cols, NULL, NULL, 1);
    }
#pragma omp for schedule(static)
    for (int k = 0; k < threads; k++) {
        int64_t lo = n * k / threads, hi = n * (k + 1) / threads;
        output_transform(r, b, t0 + lo, hi - lo, m + lo * b.cols);
    }
}

/*
 * Output panel p of every tile (by_panel) on the calling thread: its U_xi
 * into u_mem, a GEMM per point from V (every tile) into m, the output
 * transform of its channels.
 */
static void run_panel(const wino_run_t *r, int64_t p, const float *v, char *u_mem, float *m, int me)
{
    wino_block_t b = {.c0 = p * GEMM_B_PANEL};
    gemm_b_t *u[CONV_WINO_MAX_POINTS];
    float *panel[CONV_WINO_MAX_POINTS];
    size_t u_bytes = panel_point_bytes(r);

    b.cols = min64(GEMM_B_PANEL, r->oc - b.c0);
    for (int xi = 0; xi < r->v->points; xi++) {
        u[xi] = gemm_b_layout_into(u_mem + xi * u_bytes, r->ic, b.cols);
        panel[xi] = gemm_b_panel_mut(u[xi], 0);
    }
    r->v->weight(taps_panel(r, p, me), r->ic, panel);
    for (int xi = 0; xi < r->v->points; xi++) {
        gemm_a_t a = {.data = v + xi * r->tiles * r->ic, .lda = r->ic};
        gemm_run(&a, r->tiles, u[xi], m + xi * r->tiles * b.cols, b.cols, NULL, NULL, 1);
    }
    output_transform(r, b, 0, r->tiles, m);
}

/*
 * A by_panel run on threads threads: mem (aligned) holds each thread's
 * U_xi panel, then the zeros (already set), then each thread's V, then each
 * thread's M. Every thread transforms every tile into its own V rather than
 * a share of a common one: the input transforms cost a few percent of the
 * GEMMs, and a shared V is written half by the other core, which the
 * panels' GEMMs then read across cores, slow when the two (virtual) cores
 * are far apart (WINO_PANEL_U_BYTES).
 */
static void run_by_panel(const wino_run_t *r, char *mem, int threads)
{
    size_t u_bytes = panel_transform_bytes(r);
    float *v = (float *)(mem + threads * u_bytes +
                         aligned_size((size_t)max64(r->ic, r->oc) * sizeof(float)));
    int64_t v_floats = r->v->points * r->tiles * r->ic;
    float *m = v + threads * v_floats;
    int64_t m_floats = r->v->points * r->tiles * GEMM_B_PANEL;
    int64_t panels = (r->oc + GEMM_B_PANEL - 1) / GEMM_B_PANEL;

    if (threads == 1) {
        input_transform(r, 0, r->tiles, v);
        for (int64_t p = 0; p < panels; p++)
            run_panel(r, p, v, mem, m, 0);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        int me = omp_get_thread_num();
        float *mine = v + me * v_floats;

        input_transform(r, 0, r->tiles, mine);
        /* Dynamic: a thread that starts late (descheduled) takes fewer panels. */
#pragma omp for schedule(dynamic) nowait
        for (int64_t p = 0; p < panels; p++)
            run_panel(r, p, mine, mem + me * u_bytes, m + me * m_floats, me);
    }
}

/* Every block in turn on the team of threads threads (call on every thread of the region). */
static void run_blocks_parallel(wino_run_t *r, int64_t blocks, int64_t chunks, float *scratch,
                                int64_t slot, int threads)
{
    for (int64_t bi = 0; bi < blocks; bi++) {
        wino_block_t b = block_at(r, bi);
#pragma omp single
        layout_block(r, b);
        /* Every chunk reads every U_xi: this loop's barrier keeps them whole. */
#pragma omp for schedule(static)
        for (int64_t p = 0; p < block_panels(b); p++)
            transform_panel(r, b, p, omp_get_thread_num());
        if (r->by_point) {
            for (int64_t i = 0; i < chunks; i++)
                run_chunk_by_point(r, b, i, scratch, threads);
        } else {
#pragma omp for schedule(dynamic)
            for (int64_t i = 0; i < chunks; i++)
                run_chunk(r, b, i, scratch + omp_get_thread_num() * slot);
        }
    }
}

/*
 * A chunked run of one block with private U_xi on threads threads: each
 * thread derives every U_xi into its own copy (thread 0's where r has them,
 * the others' from extra on), then runs its chunks.
 */
static void run_private_u(const wino_run_t *r, int64_t chunks, float *scratch, int64_t slot,
                          char *extra, int threads)
{
#pragma omp parallel num_threads(threads)
    {
        int me = omp_get_thread_num();
        wino_run_t mine = *r;
        wino_block_t b = block_at(&mine, 0);

        if (me > 0)
            mine.u_mem = extra + (size_t)(me - 1) * all_u_bytes(r);
        layout_block(&mine, b);
        for (int64_t p = 0; p < block_panels(b); p++) {
            transform_panel(&mine, b, p, me);
        }
        /* Dynamic: a thread that starts late (descheduled) takes fewer chunks. */
#pragma omp for schedule(dynamic) nowait
        for (int64_t i = 0; i < chunks; i++)
            run_chunk(&mine, b, i, scratch + me * slot);
    }
}

status_t conv_winograd_run_tile(op_call_t *call, conv_winograd_tile_t tile, error_t *err)
{
    const conv_nhwc_params_t *p = call->params;
    const tensor_t *bias = call->n_inputs > 2 ? call->inputs[2] : NULL;
    int threads = call->threads > 1 ? call->threads : 1;
    conv_geom_t g;
    tensor_t y;
    wino_run_t r;
    int64_t chunks, blocks, slot;
    char *base;
    float *scratch = NULL;
    status_t st = conv_nhwc_resolve(call, &g, &y, err);

    if (st)
        return st;
    if (!call->state)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "weights are not packed");
    if (tensor_numel(&call->outputs[0]) == 0)
        return STATUS_OK;
    assert(call->workspace_size >= conv_winograd_workspace_tile(call, &g, tile));
    run_geometry(call, &g, tile, &r);
    assert(gemm_b_k(r.taps) == 9 * r.ic && gemm_b_n(r.taps) == r.oc);
    base = (char *)(((uintptr_t)call->workspace + WINO_ALIGN - 1) & ~(uintptr_t)(WINO_ALIGN - 1));
    if (wide_panel_bytes(&r)) {
        r.wide = base;
        base += wide_panel_bytes(&r) * threads;
    }
    if (r.by_panel) {
        /* The zeros follow the threads' U_xi panels; run_by_panel lays out the rest. */
        size_t zero_bytes = aligned_size((size_t)max64(r.ic, r.oc) * sizeof(float));
        char *zeros = base + threads * panel_transform_bytes(&r);
        memset(zeros, 0, zero_bytes);
        r.zeros = (const float *)zeros;
    } else {
        scratch = (float *)reserve_transforms(&r, base);
    }
    r.x = call->inputs[0]->data;
    r.y = call->outputs[0].data;
    r.residual = p->sum ? call->inputs[CONV_NHWC_RESIDUAL]->data : NULL;
    r.ep = (conv_winograd_epilogue_t){.bias = bias ? bias->data : r.zeros,
                                      .act = p->activation,
                                      .clip_min = p->clip_min,
                                      .clip_max = p->clip_max};
    chunks = (r.tiles + r.chunk - 1) / r.chunk;
    blocks = (r.oc + r.block - 1) / r.block;
    slot = slot_floats(r.v->points, r.chunk, r.ic, r.block);
    if (r.by_panel) {
        run_by_panel(&r, base, threads);
        return STATUS_OK;
    }
    if (r.private_u && chunks > 1) {
        run_private_u(&r, chunks, scratch, slot, (char *)(scratch + threads * slot), threads);
        return STATUS_OK;
    }
    if (threads == 1 || (chunks == 1 && !r.by_point)) {
        /*
         * No parallel region: gemm_run opens its own one-thread region, and
         * nested in another one each costs a team allocation.
         */
        for (int64_t bi = 0; bi < blocks; bi++) {
            wino_block_t b = block_at(&r, bi);
            layout_block(&r, b);
            for (int64_t j = 0; j < block_panels(b); j++)
                transform_panel(&r, b, j, 0);
            for (int64_t i = 0; i < chunks; i++)
                run_chunk(&r, b, i, scratch);
        }
        return STATUS_OK;
    }
#pragma omp parallel num_threads(threads)
    run_blocks_parallel(&r, blocks, chunks, scratch, slot, threads);
    return STATUS_OK;
}

status_t conv_winograd_run(op_call_t *call, error_t *err)
{
    return conv_winograd_run_tile(call, CONV_WINO_TILE_AUTO, err);
}
