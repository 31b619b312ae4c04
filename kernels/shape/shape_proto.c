#include "shape.h"

/* Shape and Size: one input of any dtype, of which only the shape is read. */
static const op_info_t shape_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPES_ALL},
    .layout = "any",
};

static int shape_clamp_axis(int64_t axis, int rank)
{
    if (axis < 0)
        axis += rank;
    return (int)(axis < 0 ? 0 : axis > rank ? rank : axis);
}

void shape_window(const shape_params_t *p, int rank, int *first, int *last)
{
    *first = shape_clamp_axis(p->start, rank);
    *last = p->has_end ? shape_clamp_axis(p->end, rank) : rank;
}

static status_t shape_infer(op_call_t *call, error_t *err)
{
    tensor_t *y = &call->outputs[0];
    int first, last;

    shape_window(call->params, call->inputs[0]->rank, &first, &last);
    y->dtype = DTYPE_INT64;
    y->rank = 1;
    y->dims[0] = last > first ? last - first : 0;
    return STATUS_OK;
}

static status_t size_infer(op_call_t *call, error_t *err)
{
    tensor_t *y = &call->outputs[0];

    y->dtype = DTYPE_INT64;
    y->rank = 0;
    return STATUS_OK;
}

const op_kernel_t shape_kernel = {
    .name = "Shape",
    .info = &shape_info,
    .params_size = sizeof(shape_params_t),
    .shape_only = true,
    .infer = shape_infer,
    .run = shape_run,
};

const op_kernel_t size_kernel = {
    .name = "Size",
    .info = &shape_info,
    .shape_only = true,
    .infer = size_infer,
    .run = size_run,
};
