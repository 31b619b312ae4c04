/*
 * fuzz_image_decoder.c - ImageDecoder's decoders (image_decode: the format
 * sniffing, BMP and PNM parsed by inferd, and libpng, libjpeg-turbo,
 * libwebp, libtiff and OpenJPEG behind their guards) on hostile streams.
 * Outputs and scratch come from malloc, sized as the op would ask the
 * engine. Checks: a decoded image has sides within the limits; a failure
 * is a limit (or memory) with a message naming the op; the stream decoded
 * again as RGB, into an output filled with another value, gives the same
 * size and pixels (RGB equal, BGR reversed, Grayscale the luma of RGB), so
 * every pixel was written and the decoders are deterministic.
 *
 * Input: byte 0 picks the pixel format (mod 3: RGB, BGR, Grayscale); the
 * rest is the encoded stream.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "image_decoder/image_decoder.h"

/* What the two decodes' outputs start as: a pixel left unwritten differs between them. */
#define FUZZ_POISON_FIRST 0xa5
#define FUZZ_POISON_RGB   0x5a

typedef struct fuzz_buffers {
    uint8_t *output;
    size_t output_bytes;
    uint8_t poison;
    void *scratch[IMAGE_SCRATCH_SLOTS];
} fuzz_buffers_t;

static uint8_t *fuzz_output(image_target_t *t, int64_t height, int64_t width, error_t *err)
{
    fuzz_buffers_t *b = t->ctx;
    const size_t bytes = (size_t)height * (size_t)width * (size_t)image_pixel_channels(t->format);

    (void)err;
    FUZZ_CHECK(b->output == NULL); /* at most once per decode */
    b->output = malloc(bytes ? bytes : 1);
    FUZZ_CHECK(b->output != NULL);
    memset(b->output, b->poison, bytes);
    b->output_bytes = bytes;
    return b->output;
}

static void *fuzz_scratch(image_target_t *t, int slot, size_t bytes, error_t *err)
{
    fuzz_buffers_t *b = t->ctx;

    (void)err;
    FUZZ_CHECK(slot >= 0 && slot < IMAGE_SCRATCH_SLOTS && b->scratch[slot] == NULL);
    b->scratch[slot] = malloc(bytes ? bytes : 1);
    FUZZ_CHECK(b->scratch[slot] != NULL);
    return b->scratch[slot];
}

static void fuzz_release(fuzz_buffers_t *b)
{
    free(b->output);
    for (int i = 0; i < IMAGE_SCRATCH_SLOTS; i++)
        free(b->scratch[i]);
    memset(b, 0, sizeof *b);
}

static image_result_t fuzz_decode(const uint8_t *data, size_t size, image_pixel_format_t format,
                                  fuzz_buffers_t *b, image_target_t *t, error_t *err)
{
    *t = (image_target_t){
        .format = format,
        .op_type = "ImageDecoder",
        .node = "fuzz",
        .output = fuzz_output,
        .scratch = fuzz_scratch,
        .ctx = b,
    };
    return image_decode(data, size, t, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_buffers_t b = {.poison = FUZZ_POISON_FIRST}, rgb = {0};
    image_target_t t, t_rgb;
    error_t err = {0};
    image_pixel_format_t format;
    image_result_t r;

    if (size < 1)
        return 0;
    format = (image_pixel_format_t)(data[0] % 3);
    r = fuzz_decode(data + 1, size - 1, format, &b, &t, &err);
    if (r == IMAGE_FAILED) {
        FUZZ_CHECK(err.code == STATUS_LIMIT_EXCEEDED || err.code == STATUS_OUT_OF_MEMORY);
        FUZZ_CHECK(strstr(err.message, "ImageDecoder node 'fuzz'") != NULL);
        goto cleanup;
    }
    if (r == IMAGE_UNDECODABLE)
        goto cleanup;
    FUZZ_CHECK(r == IMAGE_DECODED);
    FUZZ_CHECK(t.height > 0 && t.width > 0 && t.height <= IMAGE_DECODER_MAX_SIDE &&
               t.width <= IMAGE_DECODER_MAX_SIDE && t.height * t.width <= IMAGE_DECODER_MAX_PIXELS);
    FUZZ_CHECK(t.pixels == b.output && t.channels == image_pixel_channels(format));
    FUZZ_CHECK(b.output_bytes == (size_t)(t.height * t.width * t.channels));
    rgb.poison = FUZZ_POISON_RGB;
    r = fuzz_decode(data + 1, size - 1, IMAGE_PIXEL_RGB, &rgb, &t_rgb, &err);
    FUZZ_CHECK(r == IMAGE_DECODED && t_rgb.height == t.height && t_rgb.width == t.width);
    for (size_t i = 0, j = 0; i < b.output_bytes; i += (size_t)t.channels, j += 3) {
        const uint8_t *p = b.output + i, *q = rgb.output + j;
        if (format == IMAGE_PIXEL_RGB)
            FUZZ_CHECK(p[0] == q[0] && p[1] == q[1] && p[2] == q[2]);
        else if (format == IMAGE_PIXEL_BGR)
            FUZZ_CHECK(p[0] == q[2] && p[1] == q[1] && p[2] == q[0]);
        else
            FUZZ_CHECK(p[0] == image_luma(q[0], q[1], q[2]));
    }
cleanup:
    fuzz_release(&b);
    fuzz_release(&rgb);
    return 0;
}
