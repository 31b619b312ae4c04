/*
 * image_decoder_png.c - PNG through libpng. Every colour type and depth:
 * palettes and gray under 8 bits are expanded, 16-bit samples keep their
 * high byte (png_set_strip_16, as Pillow reads 16-bit RGB), alpha and tRNS
 * are dropped. libpng's errors longjmp back here and its warnings are
 * silenced; a stream it stops on (bad CRC of a critical chunk, truncated
 * IDAT, bad zlib data) is undecodable.
 */
#include "image_decoder.h"

#include <png.h>
#include <setjmp.h>
#include <string.h>

/*
 * Most bytes libpng may allocate for one ancillary chunk (and its
 * decompressed text or ICC profile), which none of the pixels need: a
 * zTXt bomb stops here.
 */
#define PNG_CHUNK_MALLOC_MAX (1u << 20)
/* Most ancillary chunks libpng keeps: each costs memory and time for nothing we read. */
#define PNG_CHUNK_CACHE_MAX 64

typedef struct png_source {
    const uint8_t *data;
    size_t size, at;
} png_source_t;

bool image_png_sniff(const uint8_t *data, size_t size)
{
    return size >= 8 && png_sig_cmp(data, 0, 8) == 0;
}

static void png_read_memory(png_structp png, png_bytep out, size_t n)
{
    png_source_t *s = png_get_io_ptr(png);

    if (n > s->size - s->at)
        png_error(png, "truncated");
    memcpy(out, s->data + s->at, n);
    s->at += n;
}

/* libpng's default handlers print; ours only leave (errors) or ignore (warnings). */
static void png_fail(png_structp png, png_const_charp message)
{
    (void)message;
    png_longjmp(png, 1);
}

static void png_quiet(png_structp png, png_const_charp message)
{
    (void)png;
    (void)message;
}

/* The transforms that turn any PNG into 8-bit gray, gray+alpha, RGB or RGBA. */
static void png_setup_transforms(png_structp png, png_infop info)
{
    const int type = png_get_color_type(png, info), depth = png_get_bit_depth(png, info);

    if (type == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(png);
    if (type == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(png);
    if (depth == 16)
        png_set_strip_16(png);
    png_set_strip_alpha(png);
}

static image_layout_t png_layout(int channels)
{
    switch (channels) {
    case 1:
        return IMAGE_LAYOUT_GRAY;
    case 2:
        return IMAGE_LAYOUT_GRAY_ALPHA;
    case 3:
        return IMAGE_LAYOUT_RGB;
    default:
        return IMAGE_LAYOUT_RGBA;
    }
}

/* Everything after the source is set; a libpng error longjmps out of it to the caller. */
static image_result_t png_read(png_structp png, png_infop info, image_target_t *t, error_t *err)
{
    int64_t height, width;
    int passes;
    image_result_t begun;
    image_layout_t layout;
    size_t row_bytes;
    uint8_t *rows;

    png_read_info(png, info);
    height = png_get_image_height(png, info);
    width = png_get_image_width(png, info);
    /* Before png_read_update_info, which allocates (and clears) rows of the declared width. */
    begun = image_target_begin(t, height, width, err);
    if (begun != IMAGE_DECODED)
        return begun;
    passes = png_set_interlace_handling(png);
    png_setup_transforms(png, info);
    png_read_update_info(png, info);
    layout = png_layout(png_get_channels(png, info));
    row_bytes = png_get_rowbytes(png, info);
    /* Interlaced images fill every row over several passes: they need all rows at once. */
    rows = t->scratch(t, 0, row_bytes * (passes > 1 ? (size_t)height : 1), err);
    if (!rows)
        return IMAGE_FAILED;
    /* Interlaced rows are whole after the last pass, plain ones after the only one. */
    for (int pass = 0; pass < passes; pass++) {
        for (int64_t y = 0; y < height; y++) {
            uint8_t *row = rows + (passes > 1 ? (size_t)y * row_bytes : 0);
            png_read_row(png, row, NULL);
            if (pass == passes - 1)
                image_target_row(t, y, row, layout);
        }
    }
    return IMAGE_DECODED;
}

image_result_t image_png_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    png_source_t src = {data, size, 0};
    png_structp png;
    png_infop info = NULL;
    volatile image_result_t result = IMAGE_UNDECODABLE;
    static const png_byte ignored[] = "tEXt\0zTXt\0iTXt\0iCCP\0eXIf\0sPLT";

    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, png_fail, png_quiet);
    if (png)
        info = png_create_info_struct(png);
    if (!info) {
        op_fail(err, STATUS_OUT_OF_MEMORY, t->op_type, t->node, "out of memory");
        result = IMAGE_FAILED;
        goto cleanup;
    }
    if (setjmp(png_jmpbuf(png))) {
        result = IMAGE_UNDECODABLE;
        goto cleanup;
    }
    /* Our limits decide (with a message), not libpng's default of 10^6 per side. */
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_set_chunk_malloc_max(png, PNG_CHUNK_MALLOC_MAX);
    png_set_chunk_cache_max(png, PNG_CHUNK_CACHE_MAX);
    /* Metadata chunks are skipped unread: less work and less parser exposed. */
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, ignored, 6);
    png_set_read_fn(png, &src, png_read_memory);
    result = png_read(png, info, t, err);
cleanup:
    if (png)
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
    return result;
}
