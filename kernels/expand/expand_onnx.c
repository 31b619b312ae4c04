/* ONNX adapter: Expand (opset 8 on, no attributes). */
#include "expand.h"

const op_schema_t op_schemas_expand[] = {
    {"Expand", 8, OPSET_MAX, NULL, &expand_kernel},
    {0},
};
