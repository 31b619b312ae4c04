#include "gelu.h"

static const op_info_t gelu_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPE_BIT(DTYPE_FLOAT)},
    .layout = "any",
};

const op_kernel_t gelu_kernel = {
    .name = "inferd.Gelu",
    .info = &gelu_info,
    .infer = op_infer_same_as_input,
    .run = gelu_run,
    .inplace_inputs = 1u << 0,
    .batch_inputs = 1u << 0,
};

const op_schema_t gelu_schema = {"inferd.Gelu", OPSET_MIN, OPSET_MAX, NULL, &gelu_kernel};

static const op_info_t gelu_onnx_info = {
    .min_inputs = 1,
    .max_inputs = 1,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPE_BIT(DTYPE_FLOAT) | DTYPE_BIT(DTYPE_DOUBLE)},
    .layout = "any",
};

const op_kernel_t gelu_onnx_kernel = {
    .name = "Gelu",
    .info = &gelu_onnx_info,
    .params_size = sizeof(gelu_params_t),
    .infer = op_infer_same_as_input,
    .run = gelu_onnx_run,
    .inplace_inputs = 1u << 0,
    .batch_inputs = 1u << 0,
};
