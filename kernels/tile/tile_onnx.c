/*
 * ONNX adapter: Tile with a `repeats` input (opset 6 on). Opset 1's form
 * (one `tiles` count along one `axis`) is not implemented.
 */
#include "tile.h"

const op_schema_t op_schemas_tile[] = {
    {"Tile", 6, OPSET_MAX, NULL, &tile_kernel},
    {0},
};
