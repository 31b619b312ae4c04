/* ONNX adapter: CenterCropPad 18, unchanged since. */
#include "center_crop_pad.h"

static status_t adapt_center_crop_pad(const op_adapt_t *a, void *params, error_t *err)
{
    center_crop_pad_params_t *p = params;

    /* The prototype checks each axis against the input's rank. */
    return adapt_ints(a, "axes", TENSOR_MAX_RANK, p->axes, &p->n_axes, err);
}

const op_schema_t op_schemas_center_crop_pad[] = {
    {"CenterCropPad", 18, OPSET_MAX, adapt_center_crop_pad, &center_crop_pad_kernel},
    {0},
};
