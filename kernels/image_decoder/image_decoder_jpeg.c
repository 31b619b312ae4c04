/*
 * image_decoder_jpeg.c - JPEG through libjpeg-turbo: baseline, progressive,
 * arithmetic and lossless (as far as the library reads them); gray, YCbCr,
 * RGB, and CMYK/YCCK (converted as Pillow converts them). The decoder's
 * defaults are the spec's: "fancy" chroma upsampling and the accurate
 * integer IDCT, so with the same library the pixels equal Pillow's.
 *
 * Errors longjmp back here instead of exit(); messages are dropped. A
 * stream that ends early is undecodable (libjpeg would warn and fill the
 * rest with gray), other warnings (stray bytes before a marker) are
 * tolerated as Pillow tolerates them. Progressive files are held to
 * IMAGE_DECODER_MAX_SCANS scans, and libjpeg's memory to what the largest
 * allowed image needs.
 */
#include "image_decoder.h"

#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */

#include <jerror.h>
#include <jpeglib.h>

/*
 * libjpeg's own buffers (coefficients of a progressive image: 2 bytes a
 * sample; rows for upsampling): 8 bytes a pixel of the largest image is
 * more than a 4:4:4 CMYK progressive file needs.
 */
#define JPEG_MAX_MEMORY ((long)(IMAGE_DECODER_MAX_PIXELS * 8))

typedef struct jpeg_guard {
    struct jpeg_error_mgr errors;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
} jpeg_guard_t;

bool image_jpeg_sniff(const uint8_t *data, size_t size)
{
    return size >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff;
}

static jpeg_guard_t *jpeg_guard(j_common_ptr cinfo)
{
    return (jpeg_guard_t *)cinfo->err; /* errors is the first member */
}

static void jpeg_fail(j_common_ptr cinfo)
{
    longjmp(jpeg_guard(cinfo)->jump, 1);
}

/* Warnings (level -1) are tolerated but for the premature end of the stream. */
static void jpeg_message(j_common_ptr cinfo, int level)
{
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF)
        longjmp(jpeg_guard(cinfo)->jump, 1);
}

static void jpeg_silent(j_common_ptr cinfo)
{
    (void)cinfo;
}

static void jpeg_scan_limit(j_common_ptr cinfo)
{
    const j_decompress_ptr d = (j_decompress_ptr)cinfo;

    if (d->input_scan_number > IMAGE_DECODER_MAX_SCANS)
        longjmp(jpeg_guard(cinfo)->jump, 1);
}

/* Pillow's CMYK to RGB, on CMYK that is not inverted (Adobe files store it inverted). */
static void jpeg_cmyk_row(uint8_t *row, int64_t width, bool inverted)
{
    for (int64_t x = 0; x < width; x++) {
        unsigned v[4];
        for (int c = 0; c < 4; c++)
            v[c] = inverted ? 255u - row[4 * x + c] : row[4 * x + c];
        const unsigned nk = 255u - v[3];
        for (int c = 0; c < 3; c++) {
            const unsigned m = v[c] * nk + 128u;
            row[4 * x + c] = (uint8_t)(nk - (((m >> 8) + m) >> 8));
        }
    }
}

/* Everything after the source is set; a libjpeg error longjmps out of it to the caller. */
static image_result_t jpeg_read(j_decompress_ptr cinfo, image_target_t *t, error_t *err)
{
    image_result_t begun;
    image_layout_t layout;
    uint8_t *row;
    bool cmyk;

    if (jpeg_read_header(cinfo, TRUE) != JPEG_HEADER_OK)
        return IMAGE_UNDECODABLE;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        layout = IMAGE_LAYOUT_GRAY;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        layout = IMAGE_LAYOUT_RGBA; /* RGB and a dropped byte once converted */
        break;
    default:
        cinfo->out_color_space = JCS_RGB;
        layout = IMAGE_LAYOUT_RGB;
        break;
    }
    cmyk = cinfo->out_color_space == JCS_CMYK;
    begun = image_target_begin(t, cinfo->image_height, cinfo->image_width, err);
    if (begun != IMAGE_DECODED)
        return begun;
    row = t->scratch(t, 0, (size_t)t->width * (size_t)layout.bytes, err);
    if (!row)
        return IMAGE_FAILED;
    jpeg_start_decompress(cinfo);
    while (cinfo->output_scanline < cinfo->output_height) {
        const int64_t y = cinfo->output_scanline;
        JSAMPROW rows[1] = {row};
        if (jpeg_read_scanlines(cinfo, rows, 1) != 1)
            return IMAGE_UNDECODABLE;
        if (cmyk)
            jpeg_cmyk_row(row, t->width, cinfo->saw_Adobe_marker);
        image_target_row(t, y, row, layout);
    }
    jpeg_finish_decompress(cinfo);
    return IMAGE_DECODED;
}

image_result_t image_jpeg_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    struct jpeg_decompress_struct cinfo = {0};
    jpeg_guard_t guard = {0};
    volatile image_result_t result = IMAGE_UNDECODABLE;

    cinfo.err = jpeg_std_error(&guard.errors);
    guard.errors.error_exit = jpeg_fail;
    guard.errors.emit_message = jpeg_message;
    guard.errors.output_message = jpeg_silent;
    if (setjmp(guard.jump)) {
        result = IMAGE_UNDECODABLE;
        goto cleanup;
    }
    jpeg_create_decompress(&cinfo);
    cinfo.mem->max_memory_to_use = JPEG_MAX_MEMORY;
    guard.progress.progress_monitor = jpeg_scan_limit;
    cinfo.progress = &guard.progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    result = jpeg_read(&cinfo, t, err);
cleanup:
    jpeg_destroy_decompress(&cinfo);
    return result;
}
