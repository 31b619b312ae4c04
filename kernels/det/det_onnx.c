/* ONNX schema: Det 11 (version 22, past OPSET_MAX, only added float16 and bfloat16). */
#include "det.h"

const op_schema_t op_schemas_det[] = {
    {"Det", 11, OPSET_MAX, NULL, &det_kernel},
    {0},
};
