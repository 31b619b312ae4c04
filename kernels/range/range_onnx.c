/* ONNX adapter: Range (opset 11, no attributes). */
#include "range.h"

const op_schema_t op_schemas_range[] = {
    {"Range", 11, OPSET_MAX, NULL, &range_kernel},
    {0},
};
