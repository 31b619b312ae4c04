/*
 * gemm.c - the GEMM driver: packs B into GEMM_NR-column panels, splits C
 * into tasks (a block of rows x a range of panels) shared among OpenMP
 * threads, and walks each task block of K by block of K, so that the K
 * block of the panels one tile spans (one or two panels of kc_max x
 * GEMM_NR floats) stays in L1/L2 while the micro-kernel runs down the
 * task's rows, and the task's A block stays in L2 while it runs across the
 * panels.
 */
#include "gemm.h"

#include <assert.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu_isa.h"
#include "gemm_kernel.h"
#include "half.h"
#include "parallel.h"

/*
 * Longest K block of the generic and AVX2 kernels. A panel block (KC x NR
 * floats, 48 KB) then lives in L2 rather than L1, but the longer tile
 * halves the epilogues and C round trips, which measured faster than 256
 * (the block that fits L1).
 */
#define GEMM_KC_MAX 768
/* Most rows per task: the A block (MC x KC floats, 432 KB) sits in L2. */
#define GEMM_MC_MAX 144
/*
 * The AVX-512 kernel's K block: twice as long, so K = 3072 runs as two
 * blocks rather than four (half the C round trips and epilogues). Its
 * panel pair (KC x 2 NR floats, 192 KB) and the A block (811 KB at 132
 * rows) still share a Zen 5's 1 MB L2. Measured at 1 thread against 768
 * (GFLOP/s, median of 4 alternated runs): 128x768x3072 198 -> 201,
 * 1024x768x3072 192 -> 199, 49x512x4608 197 -> 206; K <= 1536 unchanged.
 * Fewer rows per task (72 or 96) with it measured within the noise.
 */
#define GEMM_AVX512_KC_MAX 1536
#define GEMM_AVX512_MC_MAX 144
/* Most panels per task when nothing asks for smaller tasks. */
#define GEMM_NP_MAX 32
/* With several threads, at least this many tasks per thread keep them level. */
#define GEMM_TASKS_PER_THREAD 2
/* Packed B alignment: each panel row is one 64-byte line. */
#define GEMM_ALIGN 64

/*
 * A float B holds its panels in data; a half B (dtype DTYPE_FLOAT16 or
 * DTYPE_BFLOAT16) holds the same layout as 16-bit elements in half, and
 * gemm_run widens one K block of a tile's panels at a time into a
 * per-thread buffer of the workspace, so the micro-kernels only ever see
 * floats.
 */
struct gemm_b {
    int64_t k, n;
    int64_t panels; /* ceil(n / GEMM_NR) */
    dtype_t dtype;  /* DTYPE_FLOAT, or the half type of half */
    float *data;    /* [panels][k][GEMM_NR], columns past n are zero; NULL for a half B */
    uint16_t *half; /* the same for a half B; NULL otherwise */
};

/* How gemm_run cuts a product; mc and kc depend on m and k only. */
typedef struct blocking {
    int64_t kc, kb; /* K block length, count */
    int64_t mc, mb; /* rows per task (a multiple of the kernel's mr), row blocks */
    int64_t np, nb; /* panels per task, panel blocks */
} blocking_t;

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static void plan_blocks(int64_t m, int64_t k, int64_t panels, int threads,
                        const gemm_micro_t *kernel, blocking_t *bl)
{
    int64_t want, mr = kernel->mr, step = kernel->panels;

    /* Even K blocks: K = 576 is three blocks of 192, not 256 + 256 + 64. */
    bl->kb = k > 0 ? ceil_div(k, kernel->kc_max) : 1;
    bl->kc = ceil_div(k, bl->kb);
    bl->mb = ceil_div(m, kernel->mc_max);
    bl->mc = ceil_div(ceil_div(m, bl->mb), mr) * mr;
    bl->mb = ceil_div(m, bl->mc);
    bl->np = min64(panels, GEMM_NP_MAX);
    want = threads > 1 ? (int64_t)threads * GEMM_TASKS_PER_THREAD : 1;
    /*
     * Few row blocks (small m): cut N finer so every thread has work, in
     * whole tiles of the kernel's panels, so that only a task at the end
     * of N has an odd panel to run alone.
     */
    if (bl->mb * ceil_div(panels, bl->np) < want) {
        bl->np = ceil_div(panels, min64(panels, ceil_div(want, bl->mb)));
        bl->np = min64(panels, ceil_div(bl->np, step) * step);
    }
    bl->nb = ceil_div(panels, bl->np);
}

/*
 * The micro-kernel for the dispatch level. cpu_isa() is read once, so
 * gemm_workspace_bytes and gemm_run plan with the same kernel's mr.
 */
static const gemm_micro_t *pick_kernel(void)
{
    static const gemm_micro_t generic = {.fn = gemm_kernel_generic,
                                         .mr = GEMM_MR,
                                         .short_mr = GEMM_SHORT_MR,
                                         .panels = 1,
                                         .kc_max = GEMM_KC_MAX,
                                         .mc_max = GEMM_MC_MAX,
                                         .isa = CPU_ISA_GENERIC};
    static const gemm_micro_t avx2 = {.fn = gemm_kernel_avx2,
                                      .mr = GEMM_MR,
                                      .short_mr = GEMM_SHORT_MR,
                                      .panels = 1,
                                      .kc_max = GEMM_KC_MAX,
                                      .mc_max = GEMM_MC_MAX,
                                      .isa = CPU_ISA_AVX2};
    static const gemm_micro_t avx512 = {.fn = gemm_kernel_avx512,
                                        .mr = GEMM_AVX512_MR,
                                        .short_mr = GEMM_AVX512_SHORT_MR,
                                        .panels = GEMM_AVX512_PANELS,
                                        .kc_max = GEMM_AVX512_KC_MAX,
                                        .mc_max = GEMM_AVX512_MC_MAX,
                                        .isa = CPU_ISA_AVX512};

    if (cpu_isa() >= CPU_ISA_AVX512)
        return &avx512;
    if (cpu_isa() >= CPU_ISA_AVX2)
        return &avx2;
    return &generic;
}

/*
 * The L1 data cache's ways and the bytes of one way (its size over its
 * ways), as glibc reads them from the CPU; 0 when it cannot tell.
 */
static int l1_ways;
static int64_t l1_way_bytes;
static pthread_once_t l1_once = PTHREAD_ONCE_INIT;

static void read_l1(void)
{
    long size = sysconf(_SC_LEVEL1_DCACHE_SIZE), ways = sysconf(_SC_LEVEL1_DCACHE_ASSOC);

    if (size > 0 && ways > 0 && size % ways == 0) {
        l1_ways = (int)ways;
        l1_way_bytes = size / ways;
    }
}

/*
 * The micro-kernel for an A whose rows are lda floats apart: kernel
 * itself, or into *capped a copy of it that cuts tiles of at most the L1's
 * ways in rows, when lda * 4 bytes is a multiple of one way and the
 * kernel's tile has more rows than there are ways. Such rows all map to
 * one L1 set, so a taller tile's A lines evict each other before their 16
 * floats are used. On a Zen 4 (32 KB, 8 ways) the AVX-512 kernel's 12-row
 * tile did that on every K of 1024, 2048 or 3072 (ResNet-50's pointwise
 * layers from 1024 and 2048 channels, BERT's FFN output): one thread, best
 * of 100 calls, GFLOP/s against a peak of 117, 196 x 256 x 1024 107 ->
 * 116 with 8-row tiles (117 with the rows padded to 1040 floats instead,
 * which would need a copy of A), 49 x 512 x 2048 108 -> 113, 196 x 512 x
 * 1024 107 -> 115. A Zen 5's L1 (48 KB, 12 ways) holds the 12 rows.
 */
static const gemm_micro_t *fit_l1(const gemm_micro_t *kernel, int64_t lda, gemm_micro_t *capped)
{
    pthread_once(&l1_once, read_l1);
    if (l1_ways == 0 || kernel->mr <= l1_ways || lda * (int64_t)sizeof(float) % l1_way_bytes)
        return kernel;
    *capped = *kernel;
    capped->mr = capped->short_mr = l1_ways;
    capped->even = true;
    return capped;
}

const char *gemm_isa_name(void)
{
    return cpu_isa_name(pick_kernel()->isa);
}

/* The source rows read between two progress reports (bounds the extra resident bytes). */
#define GEMM_PROGRESS_BYTES (256u << 10)

static void report(gemm_progress_fn progress, void *ctx, size_t done, size_t *reported, bool last)
{
    if (progress && (last || done - *reported >= GEMM_PROGRESS_BYTES)) {
        progress(ctx, done);
        *reported = done;
    }
}

/* Copies B into p's zeroed panels, walking the source in memory order so what was read is a prefix.
 */
static void fill_panels(gemm_b_t *p, const float *b, int64_t ldb, bool transposed,
                        gemm_progress_fn progress, void *progress_ctx)
{
    int64_t k = p->k, n = p->n;
    size_t reported = 0;

    if (transposed) {
        int64_t j = 0;
        if (cpu_isa() >= CPU_ISA_AVX2)
            for (; j + GEMM_TRANSPOSE_BLOCK <= n; j += GEMM_TRANSPOSE_BLOCK) {
                float *columns = p->data + j / GEMM_NR * k * GEMM_NR + j % GEMM_NR;
                int64_t q = 0;
                for (; q + GEMM_TRANSPOSE_BLOCK <= k; q += GEMM_TRANSPOSE_BLOCK)
                    gemm_transpose_block_avx2(b + j * ldb + q, ldb, columns + q * GEMM_NR, GEMM_NR);
                for (; q < k; q++)
                    for (int64_t c = 0; c < GEMM_TRANSPOSE_BLOCK; c++)
                        columns[q * GEMM_NR + c] = b[(j + c) * ldb + q];
                report(progress, progress_ctx,
                       (size_t)((j + GEMM_TRANSPOSE_BLOCK - 1) * ldb + k) * sizeof *b, &reported,
                       j + GEMM_TRANSPOSE_BLOCK == n);
            }
        for (; j < n; j++) {
            float *column = p->data + j / GEMM_NR * k * GEMM_NR + j % GEMM_NR;
            for (int64_t q = 0; q < k; q++)
                column[q * GEMM_NR] = b[j * ldb + q];
            report(progress, progress_ctx, (size_t)(j * ldb + k) * sizeof *b, &reported,
                   j == n - 1);
        }
        return;
    }
    for (int64_t q = 0; q < k; q++) {
        for (int64_t jp = 0; jp < p->panels; jp++) {
            int64_t j0 = jp * GEMM_NR, cols = min64(GEMM_NR, n - j0);
            memcpy(p->data + (jp * k + q) * GEMM_NR, b + q * ldb + j0, (size_t)cols * sizeof *b);
        }
        report(progress, progress_ctx, (size_t)(q * ldb + n) * sizeof *b, &reported, q == k - 1);
    }
}

/*
 * Zeroes the last panel when it has columns past n, which the micro-kernel
 * reads as zeros; fill_panels writes every other float. Touching only that
 * panel leaves the rest of a fresh buffer unmapped until it is filled, in
 * step with the source pages the caller gives back.
 */
static void clear_padding(gemm_b_t *p)
{
    if (p->n % GEMM_NR)
        memset(p->data + (p->panels - 1) * p->k * GEMM_NR, 0,
               (size_t)(p->k * GEMM_NR) * sizeof *p->data);
}

static size_t panel_bytes(int64_t k, int64_t n)
{
    return (size_t)(ceil_div(n, GEMM_NR) * k * GEMM_NR) * sizeof(float);
}

/* fill_panels for a half source: the same walk, the 16-bit elements copied as they are. */
static void fill_half_panels(gemm_b_t *p, const uint16_t *b, int64_t ldb, bool transposed,
                             gemm_progress_fn progress, void *progress_ctx)
{
    int64_t k = p->k, n = p->n;
    size_t reported = 0;

    if (transposed) {
        for (int64_t j = 0; j < n; j++) {
            uint16_t *column = p->half + j / GEMM_NR * k * GEMM_NR + j % GEMM_NR;
            for (int64_t q = 0; q < k; q++)
                column[q * GEMM_NR] = b[j * ldb + q];
            report(progress, progress_ctx, (size_t)(j * ldb + k) * sizeof *b, &reported,
                   j == n - 1);
        }
        return;
    }
    for (int64_t q = 0; q < k; q++) {
        for (int64_t jp = 0; jp < p->panels; jp++) {
            int64_t j0 = jp * GEMM_NR, cols = min64(GEMM_NR, n - j0);
            memcpy(p->half + (jp * k + q) * GEMM_NR, b + q * ldb + j0, (size_t)cols * sizeof *b);
        }
        report(progress, progress_ctx, (size_t)(q * ldb + n) * sizeof *b, &reported, q == k - 1);
    }
}

/*
 * A fresh handle for a [k, n] B of dtype with its panels allocated, only
 * the last one's padding zeroed (see clear_padding); NULL when out of memory.
 */
static gemm_b_t *new_b(int64_t k, int64_t n, dtype_t dtype)
{
    gemm_b_t *p = calloc(1, sizeof *p);
    size_t elems, bytes;

    if (!p)
        return NULL;
    p->k = k;
    p->n = n;
    p->panels = ceil_div(n, GEMM_NR);
    p->dtype = dtype;
    elems = (size_t)(p->panels * k * GEMM_NR);
    bytes = elems * (dtype == DTYPE_FLOAT ? sizeof(float) : sizeof(uint16_t));
    /* aligned_alloc wants a multiple of the alignment, and never 0 here. */
    bytes = (bytes / GEMM_ALIGN + 1) * GEMM_ALIGN;
    if (dtype == DTYPE_FLOAT) {
        p->data = aligned_alloc(GEMM_ALIGN, bytes);
        if (!p->data)
            goto fail;
        clear_padding(p);
    } else {
        p->half = aligned_alloc(GEMM_ALIGN, bytes);
        if (!p->half)
            goto fail;
        if (n % GEMM_NR)
            memset(p->half + (p->panels - 1) * k * GEMM_NR, 0,
                   (size_t)(k * GEMM_NR) * sizeof *p->half);
    }
    return p;
fail:
    gemm_b_free(p);
    return NULL;
}

static status_t check_dims(int64_t k, int64_t n, error_t *err)
{
    if (k < 0 || n < 0 || k > GEMM_MAX_DIM || n > GEMM_MAX_DIM)
        return error_set(err, STATUS_INVALID_ARGUMENT, "GEMM operand %lldx%lld is out of range",
                         (long long)k, (long long)n);
    return STATUS_OK;
}

status_t gemm_b_pack_progress(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                              gemm_progress_fn progress, void *progress_ctx, gemm_b_t **out,
                              error_t *err)
{
    gemm_b_t *p;
    status_t st = check_dims(k, n, err);

    *out = NULL;
    if (st)
        return st;
    p = new_b(k, n, DTYPE_FLOAT);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "cannot pack a %lldx%lld GEMM operand",
                         (long long)k, (long long)n);
    fill_panels(p, b, ldb, transposed, progress, progress_ctx);
    *out = p;
    return STATUS_OK;
}

status_t gemm_b_pack_half(const uint16_t *b, dtype_t dtype, int64_t ldb, bool transposed, int64_t k,
                          int64_t n, gemm_progress_fn progress, void *progress_ctx, gemm_b_t **out,
                          error_t *err)
{
    gemm_b_t *p;
    status_t st = check_dims(k, n, err);

    *out = NULL;
    assert(dtype_is_half(dtype));
    if (st)
        return st;
    p = new_b(k, n, dtype);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "cannot pack a %lldx%lld %s GEMM operand",
                         (long long)k, (long long)n, dtype_name(dtype));
    fill_half_panels(p, b, ldb, transposed, progress, progress_ctx);
    *out = p;
    return STATUS_OK;
}

/* The handle's place at the start of a gemm_b_pack_into buffer, a whole number of lines. */
#define GEMM_HANDLE_BYTES ((sizeof(gemm_b_t) + GEMM_ALIGN - 1) / GEMM_ALIGN * GEMM_ALIGN)

size_t gemm_b_pack_size(int64_t k, int64_t n)
{
    return GEMM_HANDLE_BYTES + panel_bytes(k, n);
}

gemm_b_t *gemm_b_layout_into(void *mem, int64_t k, int64_t n)
{
    gemm_b_t *p = mem;

    assert((uintptr_t)mem % GEMM_ALIGN == 0 && k >= 0 && n >= 0);
    p->k = k;
    p->n = n;
    p->panels = ceil_div(n, GEMM_NR);
    p->dtype = DTYPE_FLOAT;
    p->data = (float *)((char *)mem + GEMM_HANDLE_BYTES);
    p->half = NULL;
    return p;
}

gemm_b_t *gemm_b_pack_into(void *mem, const float *b, int64_t ldb, bool transposed, int64_t k,
                           int64_t n)
{
    gemm_b_t *p = gemm_b_layout_into(mem, k, n);

    clear_padding(p);
    fill_panels(p, b, ldb, transposed, NULL, NULL);
    return p;
}

status_t gemm_b_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                     gemm_b_t **out, error_t *err)
{
    return gemm_b_pack_progress(b, ldb, transposed, k, n, NULL, NULL, out, err);
}

void gemm_b_free(gemm_b_t *b)
{
    if (!b)
        return;
    free(b->data);
    free(b->half);
    free(b);
}

int64_t gemm_b_k(const gemm_b_t *b)
{
    return b->k;
}

int64_t gemm_b_n(const gemm_b_t *b)
{
    return b->n;
}

int64_t gemm_b_panels(const gemm_b_t *b)
{
    return b->panels;
}

const float *gemm_b_panel(const gemm_b_t *b, int64_t p)
{
    assert(p >= 0 && p < b->panels && b->data);
    return b->data + p * b->k * GEMM_NR;
}

float *gemm_b_panel_mut(gemm_b_t *b, int64_t p)
{
    assert(p >= 0 && p < b->panels);
    return b->data + p * b->k * GEMM_NR;
}

size_t gemm_b_bytes(const gemm_b_t *b)
{
    return (size_t)(b->panels * b->k * GEMM_NR) * (b->half ? sizeof *b->half : sizeof *b->data);
}

dtype_t gemm_b_dtype(const gemm_b_t *b)
{
    return b->dtype;
}

const uint16_t *gemm_b_half_panel(const gemm_b_t *b, int64_t p)
{
    assert(p >= 0 && p < b->panels && b->half);
    return b->half + p * b->k * GEMM_NR;
}

/* Floats of one thread's widened panels for a half B: a tile's panels, one K block long. */
static int64_t half_slot_floats(const gemm_b_t *b, const gemm_micro_t *kernel, const blocking_t *bl)
{
    return b->half ? kernel->panels * bl->kc * GEMM_NR : 0;
}

/*
 * The workspace: each thread's widened panels first (a multiple of 16
 * floats each, so every slot stays 64-byte aligned for the kernels'
 * aligned loads), then each thread's gathered A block.
 */
size_t gemm_workspace_bytes(const gemm_a_t *a, int64_t m, const gemm_b_t *b, int threads)
{
    const gemm_micro_t *kernel = pick_kernel();
    size_t team = (size_t)(threads > 1 ? threads : 1), floats = 0;
    blocking_t bl;

    if (m == 0 || (!a->gather && !b->half))
        return 0;
    plan_blocks(m, b->k, b->panels, threads, kernel, &bl);
    floats += (size_t)half_slot_floats(b, kernel, &bl);
    if (a->gather)
        floats += (size_t)(bl.mc * bl.kc);
    return team * floats * sizeof(float);
}

/*
 * Rows of the tile that starts with left rows of its block to go: the
 * kernel's mr, but a short tile first when mr + 1 to 2 mr - short_mr rows
 * are left. With the AVX2 kernel's 6 and 4, 7 or 8 left run as 4 + 3 or
 * 4 + 4, not as 6 + a short tile that costs two thirds of a full one.
 */
static int tile_rows(const gemm_micro_t *k, int64_t left)
{
    /* Even tiles: left rows in as few tiles as mr allows, each as tall as the others or one less.
     */
    if (k->even) {
        int64_t tiles = ceil_div(left, k->mr);
        return (int)ceil_div(left, tiles);
    }
    if (left > k->mr && left <= 2 * k->mr - k->short_mr)
        return k->short_mr;
    return (int)min64(k->mr, left);
}

/*
 * K rows of a half B widened at a time for a task of one row tile (a
 * batch-1 product): nothing reuses the widened panels there, so they are
 * widened in slices that stay in L1 (2 panels x 128 x 16 floats, 16 KB)
 * and read back at once, rather than a whole K block written out to L2 and
 * read back from there. Measured on a Zen 5 (24 products 768x3072 and back
 * at M = 1): see docs/performance.md.
 */
#define GEMM_HALF_SLICE_K 128

/*
 * One row tile (t->a, t->c, t->mr set) times the panels [jp, jp + step) of
 * a half B over K rows [p0, p0 + kc), slice by slice through wide; t's kc,
 * b, ldp, first and last are the caller's again on return.
 */
static void run_half_slices(gemm_tile_t *t, const gemm_b_t *b, int64_t jp, int64_t step, int64_t p0,
                            int64_t kc, float *wide, const gemm_micro_t *kernel)
{
    const gemm_tile_t whole = *t;

    for (int64_t q0 = 0; q0 < kc; q0 += GEMM_HALF_SLICE_K) {
        int64_t len = min64(GEMM_HALF_SLICE_K, kc - q0);
        for (int64_t s = 0; s < step; s++)
            half_to_float_n(b->dtype, b->half + ((jp + s) * b->k + p0 + q0) * GEMM_NR,
                            wide + s * len * GEMM_NR, len * GEMM_NR);
        t->b = wide;
        t->ldp = len * GEMM_NR;
        t->a = whole.a + q0;
        t->kc = len;
        t->first = whole.first && q0 == 0;
        t->last = whole.last && q0 + len == kc;
        kernel->fn(t);
    }
    t->kc = whole.kc;
    t->a = whole.a;
    t->first = whole.first;
    t->last = whole.last;
}

/*
 * Points t's next_c, next_residual and next_mr at the tile run_task runs
 * after t: the first rows of [row, row + left) at column col (-1: none,
 * the task's K block ends with t).
 */
static void next_tile(gemm_tile_t *t, float *c, int64_t ldc, const gemm_epilogue_t *ep,
                      const gemm_micro_t *kernel, int64_t row, int64_t left, int64_t col)
{
    bool own = ep->residual && ep->residual != c;

    t->next_c = col >= 0 ? c + row * ldc + col : NULL;
    t->next_residual = col >= 0 && own ? ep->residual + row * ep->ld_residual + col : NULL;
    t->next_mr = tile_rows(kernel, left);
}

/* Task number task of bl: its rows, all of K block by block, its panels. */
static void run_task(const gemm_a_t *a, int64_t m, const gemm_b_t *b, float *c, int64_t ldc,
                     const gemm_epilogue_t *ep, const blocking_t *bl, int64_t task, float *slot,
                     float *wide, const gemm_micro_t *kernel)
{
    int64_t row0 = task / bl->nb * bl->mc, rows = min64(bl->mc, m - row0);
    int64_t pan0 = task % bl->nb * bl->np, pan1 = min64(pan0 + bl->np, b->panels);
    gemm_tile_t t = {.act = ep->act, .clip_min = ep->clip_min, .clip_max = ep->clip_max};

    t.ldc = ldc;
    t.ldp = b->k * GEMM_NR;
    t.ld_residual = ep->ld_residual;
    for (int64_t kbi = 0; kbi < bl->kb; kbi++) {
        int64_t p0 = kbi * bl->kc, kc = min64(bl->kc, b->k - p0);
        const float *ablock;
        if (a->gather) {
            if (kc > 0)
                a->gather(a->gather_ctx, row0, rows, p0, kc, slot);
            ablock = slot;
            t.lda = kc;
        } else {
            ablock = a->data + row0 * a->lda + p0;
            t.lda = a->lda;
        }
        t.kc = kc;
        t.first = kbi == 0;
        t.last = kbi == bl->kb - 1;
        /* The kernel's panels per tile, as long as the task has that many left. */
        for (int64_t jp = pan0; jp < pan1; jp += kernel->panels) {
            int64_t col = jp * GEMM_NR, step = min64(kernel->panels, pan1 - jp);
            if (b->half && rows <= kernel->mr && kc > 0) {
                t.nr = (int)min64(step * GEMM_NR, b->n - col);
                t.bias = ep->bias ? ep->bias + col : NULL;
                t.a = ablock;
                t.mr = tile_rows(kernel, rows);
                t.c = c + row0 * ldc + col;
                t.residual = ep->residual ? ep->residual + row0 * ep->ld_residual + col : NULL;
                t.next_c = t.next_residual = NULL;
                run_half_slices(&t, b, jp, step, p0, kc, wide, kernel);
                continue;
            }
            if (b->half) {
                /* Widened once here, read by every row tile of the task below. */
                for (int64_t s = 0; s < step; s++)
                    half_to_float_n(b->dtype, b->half + ((jp + s) * b->k + p0) * GEMM_NR,
                                    wide + s * kc * GEMM_NR, kc * GEMM_NR);
                t.b = wide;
                t.ldp = kc * GEMM_NR;
            } else {
                t.b = b->data + (jp * b->k + p0) * GEMM_NR;
            }
            t.nr = (int)min64(step * GEMM_NR, b->n - col);
            t.bias = ep->bias ? ep->bias + col : NULL;
            for (int64_t i = 0; i < rows; i += t.mr) {
                t.a = ablock + i * t.lda;
                t.mr = tile_rows(kernel, rows - i);
                t.c = c + (row0 + i) * ldc + col;
                t.residual =
                    ep->residual ? ep->residual + (row0 + i) * ep->ld_residual + col : NULL;
                if (i + t.mr < rows)
                    next_tile(&t, c, ldc, ep, kernel, row0 + i + t.mr, rows - i - t.mr, col);
                else
                    next_tile(&t, c, ldc, ep, kernel, row0, rows,
                              jp + step < pan1 ? col + step * GEMM_NR : -1);
                kernel->fn(&t);
            }
        }
    }
}

void gemm_run(const gemm_a_t *a, int64_t m, const gemm_b_t *b, float *c, int64_t ldc,
              const gemm_epilogue_t *epilogue, void *workspace, int threads)
{
    static const gemm_epilogue_t none = {0};
    const gemm_epilogue_t *ep = epilogue ? epilogue : &none;
    const gemm_micro_t *kernel = pick_kernel();
    const int team = parallel_team(m * b->k * b->n, threads);
    const gemm_micro_t *tiler;
    gemm_micro_t capped;
    blocking_t bl;
    int64_t tasks, slot_floats, wide_floats;

    if (m == 0 || b->n == 0)
        return;
    /* Blocks as gemm_workspace_bytes planned them; only the tiles' rows may be fewer. */
    plan_blocks(m, b->k, b->panels, team, kernel, &bl);
    tiler = fit_l1(kernel, a->gather ? bl.kc : a->lda, &capped);
    tasks = bl.mb * bl.nb;
    slot_floats = a->gather ? bl.mc * bl.kc : 0;
    wide_floats = half_slot_floats(b, kernel, &bl);
    assert((!a->gather && !b->half) || workspace);
    /* Without a team, no parallel region at all: even an inactive one costs a call into libgomp. */
    if (team == 1 || tasks == 1) {
        float *ws = workspace;
        for (int64_t task = 0; task < tasks; task++)
            run_task(a, m, b, c, ldc, ep, &bl, task, a->gather ? ws + team * wide_floats : NULL,
                     b->half ? ws : NULL, tiler);
        return;
    }
#pragma omp parallel for num_threads(team) schedule(dynamic)
    for (int64_t task = 0; task < tasks; task++) {
        float *ws = workspace, *slot = NULL, *wide = NULL;
        int me = omp_get_thread_num();
        if (a->gather)
            slot = ws + team * wide_floats + me * slot_floats;
        if (b->half)
            wide = ws + me * wide_floats;
        run_task(a, m, b, c, ldc, ep, &bl, task, slot, wide, tiler);
    }
}
