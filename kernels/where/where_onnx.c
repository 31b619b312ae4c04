/* ONNX adapter of Where (opset 9; 16 only widened the types). */
#include "where.h"

const op_schema_t op_schemas_where[] = {
    {"Where", 9, OPSET_MAX, NULL, &where_kernel},
    {0},
};
