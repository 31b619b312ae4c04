/*
 * ONNX adapters: DepthToSpace 1, 11 (mode DCR/CRD), 13 (bfloat16);
 * SpaceToDepth 1, 13 (bfloat16).
 */
#include "depth_space.h"

#include <string.h>

/* Blocks larger than this cannot tile any tensor inferd holds. */
#define DEPTH_SPACE_MAX_BLOCK (INT64_C(1) << 16)

static status_t read_blocksize(const op_adapt_t *a, depth_space_params_t *p, error_t *err)
{
    status_t st = adapt_int(a, "blocksize", 0, &p->blocksize, err);

    if (st != STATUS_OK)
        return st;
    if (!adapt_has(a, "blocksize"))
        return op_adapt_fail(a, err, "attribute 'blocksize' is required");
    if (p->blocksize < 1 || p->blocksize > DEPTH_SPACE_MAX_BLOCK)
        return op_adapt_fail(a, err, "blocksize %lld is outside [1, %lld]", (long long)p->blocksize,
                             (long long)DEPTH_SPACE_MAX_BLOCK);
    return STATUS_OK;
}

static status_t adapt_depth_to_space_1(const op_adapt_t *a, void *params, error_t *err)
{
    depth_space_params_t *p = params;

    p->to_space = true;
    p->crd = false;
    return read_blocksize(a, p, err);
}

static status_t adapt_depth_to_space_11(const op_adapt_t *a, void *params, error_t *err)
{
    depth_space_params_t *p = params;
    const char *mode;
    status_t st = adapt_depth_to_space_1(a, params, err);

    if (st == STATUS_OK)
        st = adapt_string(a, "mode", "DCR", &mode, err);
    if (st != STATUS_OK)
        return st;
    if (strcmp(mode, "DCR") != 0 && strcmp(mode, "CRD") != 0)
        return op_adapt_fail(a, err, "mode '%s' is neither DCR nor CRD", mode);
    p->crd = strcmp(mode, "CRD") == 0;
    return STATUS_OK;
}

static status_t adapt_space_to_depth(const op_adapt_t *a, void *params, error_t *err)
{
    depth_space_params_t *p = params;

    p->to_space = false;
    p->crd = false;
    return read_blocksize(a, p, err);
}

const op_schema_t op_schemas_depth_space[] = {
    {"DepthToSpace", 1, 10, adapt_depth_to_space_1, &depth_to_space_kernel},
    {"DepthToSpace", 11, 12, adapt_depth_to_space_11, &depth_to_space_kernel},
    {"DepthToSpace", 13, OPSET_MAX, adapt_depth_to_space_11, &depth_to_space_kernel},
    {"SpaceToDepth", 1, 12, adapt_space_to_depth, &space_to_depth_kernel},
    {"SpaceToDepth", 13, OPSET_MAX, adapt_space_to_depth, &space_to_depth_kernel},
    {0},
};
