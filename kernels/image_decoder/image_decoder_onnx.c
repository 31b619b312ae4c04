/* ONNX adapter: ImageDecoder (opset 20, unchanged through 21). */
#include "image_decoder.h"

#include <string.h>

static status_t adapt_image_decoder(const op_adapt_t *a, void *params, error_t *err)
{
    image_decoder_params_t *p = params;
    const char *format;
    status_t st = adapt_string(a, "pixel_format", "RGB", &format, err);

    if (st != STATUS_OK)
        return st;
    if (strcmp(format, "RGB") == 0)
        p->format = IMAGE_PIXEL_RGB;
    else if (strcmp(format, "BGR") == 0)
        p->format = IMAGE_PIXEL_BGR;
    else if (strcmp(format, "Grayscale") == 0)
        p->format = IMAGE_PIXEL_GRAY;
    else
        return op_adapt_fail(a, err, "pixel_format '%s' is not RGB, BGR or Grayscale", format);
    return STATUS_OK;
}

const op_schema_t op_schemas_image_decoder[] = {
    {"ImageDecoder", 20, OPSET_MAX, adapt_image_decoder, &image_decoder_kernel},
    {0},
};
