/* ONNX adapter: NonZero (opset 9; 13 only added bfloat16). No attributes. */
#include "nonzero.h"

const op_schema_t op_schemas_nonzero[] = {
    {"NonZero", 9, OPSET_MAX, NULL, &nonzero_kernel},
    {0},
};
