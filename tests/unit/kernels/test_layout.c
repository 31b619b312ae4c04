/*
 * layout: the batched transpose behind the NCHW <-> NHWC reorders, against a
 * naive loop, on floats and on bytes (the byte transpose of 3 rows, an
 * image's channels, has an AVX2 variant: ctest runs this at every ISA cap).
 */
#include <stdlib.h>

#include "check.h"
#include "layout/layout.h"

/* Exact: a transpose only moves floats. */
static void check_transpose(int64_t batch, int64_t rows, int64_t cols, int threads)
{
    int64_t n = batch * rows * cols;
    float *src = malloc((size_t)n * sizeof *src), *dst = malloc((size_t)n * sizeof *dst);
    int64_t wrong = 0;

    for (int64_t i = 0; i < n; i++) {
        src[i] = (float)i;
        dst[i] = -1.0f;
    }
    layout_transpose_f32(batch, rows, cols, src, dst, threads);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++)
                wrong += dst[(b * cols + c) * rows + r] != src[(b * rows + r) * cols + c];
    if (wrong)
        fprintf(stderr, "  transpose %lld x %lld x %lld on %d threads: %lld wrong\n",
                (long long)batch, (long long)rows, (long long)cols, threads, (long long)wrong);
    CHECK(wrong == 0);
    free(src);
    free(dst);
}

/* The same on bytes, every byte value occurring. */
static void check_transpose_u8(int64_t batch, int64_t rows, int64_t cols, int threads)
{
    int64_t n = batch * rows * cols;
    uint8_t *src = malloc((size_t)n), *dst = malloc((size_t)n);
    int64_t wrong = 0;

    for (int64_t i = 0; i < n; i++) {
        src[i] = (uint8_t)(i * 7 + i / 256);
        dst[i] = (uint8_t)~src[i];
    }
    layout_transpose_u8(batch, rows, cols, src, dst, threads);
    for (int64_t b = 0; b < batch; b++)
        for (int64_t r = 0; r < rows; r++)
            for (int64_t c = 0; c < cols; c++)
                wrong += dst[(b * cols + c) * rows + r] != src[(b * rows + r) * cols + c];
    if (wrong)
        fprintf(stderr, "  byte transpose %lld x %lld x %lld on %d threads: %lld wrong\n",
                (long long)batch, (long long)rows, (long long)cols, threads, (long long)wrong);
    CHECK(wrong == 0);
    free(src);
    free(dst);
}

int main(void)
{
    /* Narrow (an image's channels to channels-last: 1, 3, 4 rows) and tiled shapes, with partial
     * tiles, column blocks on both sides of 4096 and 3-row widths around the 16-pixel step. */
    static const int64_t shapes[][3] = {
        {1, 3, 224 * 224}, {2, 3, 4097}, {3, 1, 10},  {1, 4, 8191},  {1, 15, 100},
        {1, 16, 16},       {2, 17, 33},  {1, 64, 49}, {2, 3136, 64}, {1, 49, 2048},
        {1, 5, 3},         {1, 3, 2},    {4, 2, 1},   {1, 1, 1},     {1, 100, 1},
        {2, 3, 15},        {1, 3, 16},   {3, 3, 17},  {1, 3, 4112},  {2, 3, 33},
    };

    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int threads = 1; threads <= 2; threads++) {
            check_transpose(shapes[i][0], shapes[i][1], shapes[i][2], threads);
            check_transpose_u8(shapes[i][0], shapes[i][1], shapes[i][2], threads);
        }
    CHECK_DONE();
}
