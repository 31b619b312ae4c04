/*
 * image_decoder_pixels.c - what every format decoder writes through: the
 * size check against the limits, and the conversion of source rows to the
 * requested pixel format (image_decoder.h).
 */
#include "image_decoder.h"

image_result_t image_target_begin(image_target_t *t, int64_t height, int64_t width, error_t *err)
{
    if (height <= 0 || width <= 0)
        return IMAGE_UNDECODABLE;
    /* Both sides are at most 2^16 here, so the product cannot overflow. */
    if (height > IMAGE_DECODER_MAX_SIDE || width > IMAGE_DECODER_MAX_SIDE ||
        height * width > IMAGE_DECODER_MAX_PIXELS) {
        op_fail(err, STATUS_LIMIT_EXCEEDED, t->op_type, t->node,
                "the image is %lld x %lld pixels, over the limit of %d per side and %lld in all "
                "(IMAGE_DECODER_MAX_SIDE, IMAGE_DECODER_MAX_PIXELS)",
                (long long)width, (long long)height, IMAGE_DECODER_MAX_SIDE,
                (long long)IMAGE_DECODER_MAX_PIXELS);
        return IMAGE_FAILED;
    }
    t->pixels = t->output(t, height, width, err);
    if (!t->pixels)
        return IMAGE_FAILED;
    t->height = height;
    t->width = width;
    t->channels = image_pixel_channels(t->format);
    return IMAGE_DECODED;
}

void image_target_row(image_target_t *t, int64_t y, const uint8_t *src, image_layout_t layout)
{
    uint8_t *dst = t->pixels + (size_t)y * (size_t)t->width * (size_t)t->channels;
    const int64_t w = t->width;

    switch (t->format) {
    case IMAGE_PIXEL_GRAY:
        if (layout.r == layout.g && layout.g == layout.b) {
            for (int64_t x = 0; x < w; x++, src += layout.bytes)
                dst[x] = src[layout.r];
        } else {
            for (int64_t x = 0; x < w; x++, src += layout.bytes)
                dst[x] = image_luma(src[layout.r], src[layout.g], src[layout.b]);
        }
        break;
    case IMAGE_PIXEL_RGB:
        for (int64_t x = 0; x < w; x++, src += layout.bytes, dst += 3) {
            dst[0] = src[layout.r];
            dst[1] = src[layout.g];
            dst[2] = src[layout.b];
        }
        break;
    case IMAGE_PIXEL_BGR:
        for (int64_t x = 0; x < w; x++, src += layout.bytes, dst += 3) {
            dst[0] = src[layout.b];
            dst[1] = src[layout.g];
            dst[2] = src[layout.r];
        }
        break;
    }
}
