/*
 * layout_cpu.c - the reorders: a batched 2-D transpose in square tiles, so
 * both the reads and the writes of a tile stay within a few cache lines.
 */
#include "layout.h"

#include "parallel.h"

/* Tile edge in floats: a 16 x 16 tile is 16 cache lines each way. */
#define LAYOUT_TILE 16

/*
 * Columns per task of a narrow transpose: 4096 pixels of an RGB image are
 * 48 KB read and written, enough to amortise a task and to split a
 * 224 x 224 image among threads.
 */
#define LAYOUT_NARROW_COLUMNS 4096

/*
 * Rows [r0, r1) x columns [c0, c1) of one image's transpose, column by
 * column: each column's rows are written as one short run. Inlined, so a
 * constant row range unrolls.
 */
static inline __attribute__((always_inline)) void transpose_block(const float *s, float *d,
                                                                  int64_t rows, int64_t cols,
                                                                  int64_t r0, int64_t r1,
                                                                  int64_t c0, int64_t c1)
{
    for (int64_t c = c0; c < c1; c++)
        for (int64_t r = r0; r < r1; r++)
            d[c * rows + r] = s[r * cols + c];
}

/*
 * A transpose with fewer rows than a tile (an image's 3 or 4 channels into
 * channels-last): the sources are read as rows streams and the work is
 * split along the columns, of which there are many, rather than the rows.
 */
static void transpose_narrow(int64_t batch, int64_t rows, int64_t cols, const float *src,
                             float *dst, int threads)
{
    const int64_t col_blocks = (cols + LAYOUT_NARROW_COLUMNS - 1) / LAYOUT_NARROW_COLUMNS;
    const int64_t tasks = batch * col_blocks;
    const int team = parallel_team(batch * rows * cols, threads);

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t n = t / col_blocks, c0 = t % col_blocks * LAYOUT_NARROW_COLUMNS;
        const int64_t c1 = c0 + LAYOUT_NARROW_COLUMNS < cols ? c0 + LAYOUT_NARROW_COLUMNS : cols;
        const float *s = src + n * rows * cols;
        float *d = dst + n * rows * cols;

        if (rows == 3)
            transpose_block(s, d, 3, cols, 0, 3, c0, c1);
        else
            transpose_block(s, d, rows, cols, 0, rows, c0, c1);
    }
}

/* Square tiles, split among threads by bands of LAYOUT_TILE rows. */
static void transpose_tiled(int64_t batch, int64_t rows, int64_t cols, const float *src, float *dst,
                            int threads)
{
    const int64_t row_tiles = (rows + LAYOUT_TILE - 1) / LAYOUT_TILE;
    const int64_t tasks = batch * row_tiles;
    const int team = parallel_team(batch * rows * cols, threads);

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t n = t / row_tiles, r0 = t % row_tiles * LAYOUT_TILE;
        const int64_t r1 = r0 + LAYOUT_TILE < rows ? r0 + LAYOUT_TILE : rows;
        const float *s = src + n * rows * cols;
        float *d = dst + n * rows * cols;

        for (int64_t c0 = 0; c0 < cols; c0 += LAYOUT_TILE)
            transpose_block(s, d, rows, cols, r0, r1, c0,
                            c0 + LAYOUT_TILE < cols ? c0 + LAYOUT_TILE : cols);
    }
}

void layout_transpose_f32(int64_t batch, int64_t rows, int64_t cols, const float *src, float *dst,
                          int threads)
{
    if (rows < LAYOUT_TILE && cols > rows)
        transpose_narrow(batch, rows, cols, src, dst, threads);
    else
        transpose_tiled(batch, rows, cols, src, dst, threads);
}

/* Byte tile edge: 64 x 64 bytes, one cache line per row either way. */
#define LAYOUT_TILE_U8 64

void layout_transpose_u8(int64_t batch, int64_t rows, int64_t cols, const uint8_t *src,
                         uint8_t *dst, int threads)
{
    const int64_t row_tiles = (rows + LAYOUT_TILE_U8 - 1) / LAYOUT_TILE_U8;
    const int64_t tasks = batch * row_tiles;
    const int team = parallel_team(batch * rows * cols / 4, threads);

#pragma omp parallel for num_threads(team) schedule(static) if (team > 1)
    for (int64_t t = 0; t < tasks; t++) {
        const int64_t n = t / row_tiles, r0 = t % row_tiles * LAYOUT_TILE_U8;
        const int64_t r1 = r0 + LAYOUT_TILE_U8 < rows ? r0 + LAYOUT_TILE_U8 : rows;
        const uint8_t *s = src + n * rows * cols;
        uint8_t *d = dst + n * rows * cols;

        for (int64_t c0 = 0; c0 < cols; c0 += LAYOUT_TILE_U8) {
            const int64_t c1 = c0 + LAYOUT_TILE_U8 < cols ? c0 + LAYOUT_TILE_U8 : cols;
            for (int64_t c = c0; c < c1; c++)
                for (int64_t r = r0; r < r1; r++)
                    d[c * rows + r] = s[r * cols + c];
        }
    }
}

status_t layout_to_nhwc_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    if (dtype_size(x->dtype) == 1) {
        layout_transpose_u8(x->dims[0], x->dims[1], x->dims[2] * x->dims[3], x->data,
                            call->outputs[0].data, call->threads);
        return STATUS_OK;
    }

    layout_transpose_f32(x->dims[0], x->dims[1], x->dims[2] * x->dims[3], x->data,
                         call->outputs[0].data, call->threads);
    return STATUS_OK;
}

status_t layout_to_nchw_run(op_call_t *call, error_t *err)
{
    const tensor_t *x = call->inputs[0];

    if (dtype_size(x->dtype) == 1) {
        layout_transpose_u8(x->dims[0], x->dims[1] * x->dims[2], x->dims[3], x->data,
                            call->outputs[0].data, call->threads);
        return STATUS_OK;
    }

    layout_transpose_f32(x->dims[0], x->dims[1] * x->dims[2], x->dims[3], x->data,
                         call->outputs[0].data, call->threads);
    return STATUS_OK;
}
