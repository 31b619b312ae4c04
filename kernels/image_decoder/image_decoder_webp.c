/*
 * image_decoder_webp.c - WebP (lossy, lossless, with alpha) through
 * libwebp's one-shot decoder, which reads the size first and decodes into
 * our buffer. Alpha is dropped (libwebp's RGB modes do not premultiply).
 * Animated files are undecodable: the spec decodes images, not sequences.
 */
#include "image_decoder.h"

#include <webp/decode.h>

bool image_webp_sniff(const uint8_t *data, size_t size)
{
    return size >= 12 && data[0] == 'R' && data[1] == 'I' && data[2] == 'F' && data[3] == 'F' &&
           data[8] == 'W' && data[9] == 'E' && data[10] == 'B' && data[11] == 'P';
}

image_result_t image_webp_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    WebPBitstreamFeatures features;
    image_result_t begun;
    uint8_t *rgb;
    size_t stride;

    if (WebPGetFeatures(data, size, &features) != VP8_STATUS_OK || features.has_animation)
        return IMAGE_UNDECODABLE;
    begun = image_target_begin(t, features.height, features.width, err);
    if (begun != IMAGE_DECODED)
        return begun;
    stride = (size_t)t->width * 3;
    /* RGB and BGR go straight into the output; gray through an RGB copy. */
    if (t->format == IMAGE_PIXEL_RGB)
        return WebPDecodeRGBInto(data, size, t->pixels, stride * (size_t)t->height, (int)stride)
                   ? IMAGE_DECODED
                   : IMAGE_UNDECODABLE;
    if (t->format == IMAGE_PIXEL_BGR)
        return WebPDecodeBGRInto(data, size, t->pixels, stride * (size_t)t->height, (int)stride)
                   ? IMAGE_DECODED
                   : IMAGE_UNDECODABLE;
    rgb = t->scratch(t, 0, stride * (size_t)t->height, err);
    if (!rgb)
        return IMAGE_FAILED;
    if (!WebPDecodeRGBInto(data, size, rgb, stride * (size_t)t->height, (int)stride))
        return IMAGE_UNDECODABLE;
    for (int64_t y = 0; y < t->height; y++)
        image_target_row(t, y, rgb + (size_t)y * stride, IMAGE_LAYOUT_RGB);
    return IMAGE_DECODED;
}
