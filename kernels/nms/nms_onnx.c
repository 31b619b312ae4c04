/*
 * ONNX adapter: NonMaxSuppression (opset 10; 11 changed nothing inferd
 * sees): center_point_box 0 (corners) or 1 (center, width, height).
 */
#include "nms.h"

static status_t adapt_nms(const op_adapt_t *a, void *params, error_t *err)
{
    nms_params_t *p = params;
    int64_t center = 0;
    status_t st = adapt_int(a, "center_point_box", 0, &center, err);

    if (!st && center != 0 && center != 1)
        return op_adapt_fail(a, err, "center_point_box is %lld, expected 0 or 1",
                             (long long)center);
    p->center_point_box = center == 1;
    return st;
}

const op_schema_t op_schemas_nms[] = {
    {"NonMaxSuppression", 10, OPSET_MAX, adapt_nms, &nms_kernel},
    {0},
};
