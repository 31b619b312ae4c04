/*
 * image_decoder_cpu.c - ImageDecoder's run: sniffs the stream's format,
 * hands it to that format's decoder, and answers an empty image when none
 * decodes it (image_decoder.h).
 */
#include "image_decoder.h"

typedef struct image_format {
    bool (*sniff)(const uint8_t *data, size_t size);
    image_result_t (*decode)(const uint8_t *data, size_t size, image_target_t *t, error_t *err);
} image_format_t;

/* Every format has a distinct signature, so the order does not matter. */
static const image_format_t image_formats[] = {
    {image_png_sniff, image_png_decode},   {image_jpeg_sniff, image_jpeg_decode},
    {image_webp_sniff, image_webp_decode}, {image_tiff_sniff, image_tiff_decode},
    {image_jp2_sniff, image_jp2_decode},   {image_bmp_sniff, image_bmp_decode},
    {image_pnm_sniff, image_pnm_decode},
};

image_result_t image_decode(const uint8_t *data, size_t size, image_target_t *t, error_t *err)
{
    t->pixels = NULL;
    t->height = t->width = 0;
    t->channels = image_pixel_channels(t->format);
    for (size_t i = 0; i < sizeof image_formats / sizeof image_formats[0]; i++)
        if (image_formats[i].sniff(data, size))
            return image_formats[i].decode(data, size, t, err);
    return IMAGE_UNDECODABLE;
}

/* The engine's buffers back the output and the scratch (op.h: dynamic outputs). */
static uint8_t *engine_output(image_target_t *t, int64_t height, int64_t width, error_t *err)
{
    op_call_t *call = t->ctx;
    const int64_t dims[3] = {height, width, image_pixel_channels(t->format)};

    if (op_call_output(call, 0, 3, dims, err) != STATUS_OK)
        return NULL;
    return call->outputs[0].data;
}

static void *engine_scratch(image_target_t *t, int slot, size_t bytes, error_t *err)
{
    return op_call_scratch(t->ctx, slot, bytes, err);
}

status_t image_decoder_run(op_call_t *call, error_t *err)
{
    const image_decoder_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    image_target_t t = {
        .format = p->format,
        .op_type = call->op_type,
        .node = call->node,
        .output = engine_output,
        .scratch = engine_scratch,
        .ctx = call,
    };
    const int64_t empty[3] = {0, 0, image_pixel_channels(p->format)};

    switch (image_decode(x->data, (size_t)tensor_numel(x), &t, err)) {
    case IMAGE_DECODED:
        return STATUS_OK;
    case IMAGE_FAILED:
        return err ? err->code : STATUS_INTERNAL;
    case IMAGE_UNDECODABLE:
        break;
    }
    return op_call_output(call, 0, 3, empty, err);
}
