#include "image_decoder.h"

static const op_info_t image_decoder_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPE_BIT(DTYPE_UINT8)},
    .layout = "any",
};

int image_pixel_channels(image_pixel_format_t format)
{
    return format == IMAGE_PIXEL_GRAY ? 1 : 3;
}

/* [H, W, C]: only the channels are known before the stream is read. */
static status_t image_decoder_infer(op_call_t *call, error_t *err)
{
    const image_decoder_params_t *p = call->params;
    const tensor_t *x = call->inputs[0];
    tensor_t *y = &call->outputs[0];
    char text[SHAPE_TEXT_MAX];

    if (x->rank != 1)
        return op_call_fail(call, err, "encoded_stream must be 1-D, got %s",
                            shape_format(x->rank, x->dims, text, sizeof text));
    y->dtype = DTYPE_UINT8;
    y->rank = 3;
    y->dims[0] = 0;
    y->dims[1] = 0;
    y->dims[2] = image_pixel_channels(p->format);
    return STATUS_OK;
}

const op_kernel_t image_decoder_kernel = {
    .name = "ImageDecoder",
    .info = &image_decoder_info,
    .params_size = sizeof(image_decoder_params_t),
    .dynamic_outputs = 1u << 0,
    .infer = image_decoder_infer,
    .run = image_decoder_run,
};
