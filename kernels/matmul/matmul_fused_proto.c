#include "matmul.h"

static const op_info_t fused_matmul_info = {
    .min_inputs = 3,
    .max_inputs = 3,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {DTYPE_BIT(DTYPE_FLOAT), DTYPE_BIT(DTYPE_FLOAT), DTYPE_BIT(DTYPE_FLOAT)},
    .layout = "any",
};

static status_t fused_matmul_infer(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[0], *b = call->inputs[1], *bias = call->inputs[2];
    tensor_t *y = &call->outputs[0];
    char sa[SHAPE_TEXT_MAX], sb[SHAPE_TEXT_MAX], sc[SHAPE_TEXT_MAX];

    if (a->rank < 1 || b->rank != 2 || bias->rank != 1 || a->dims[a->rank - 1] != b->dims[0] ||
        bias->dims[0] != b->dims[1])
        return op_call_fail(call, err, "cannot compute A %s x B %s + bias %s",
                            shape_format(a->rank, a->dims, sa, sizeof sa),
                            shape_format(b->rank, b->dims, sb, sizeof sb),
                            shape_format(bias->rank, bias->dims, sc, sizeof sc));
    if (tensor_numel(a) / (a->dims[a->rank - 1] ? a->dims[a->rank - 1] : 1) > MATMUL_MAX_DIM ||
        b->dims[0] > MATMUL_MAX_DIM || b->dims[1] > MATMUL_MAX_DIM)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "matrix sides of A %s x B %s exceed %d",
                       shape_format(a->rank, a->dims, sa, sizeof sa),
                       shape_format(b->rank, b->dims, sb, sizeof sb), MATMUL_MAX_DIM);
    *y = *a;
    y->dims[y->rank - 1] = b->dims[1];
    y->data = NULL;
    matmul_set_workspace(call, b->dims[0] ? tensor_numel(a) / b->dims[0] : 0);
    return STATUS_OK;
}

/* A [..., K] of rank 2 or more keeps its leading dims; a 1-D A has no rows. */
static bool fused_matmul_batch_rows(const op_call_t *call)
{
    return call->inputs[0]->rank >= 2;
}

const op_kernel_t fused_matmul_kernel = {
    .name = "inferd.FusedMatMul",
    .info = &fused_matmul_info,
    .params_size = sizeof(fused_matmul_params_t),
    .infer = fused_matmul_infer,
    .run = fused_matmul_run,
    .pack = fused_matmul_pack,
    .release = matmul_release,
    .prepare = matmul_prepare,
    .unprepare = matmul_bf16_unprepare,
    .describe = matmul_describe,
    /* B lives on in the packed panels. */
    .packed_inputs = 1u << 1,
    /* A half B (fuse_matmul.c keeps one) stays half in the panels. */
    .half_inputs = 1u << 1,
    .batch_inputs = 1u << 0,
    .batch_rows = fused_matmul_batch_rows,
};

const op_schema_t fused_matmul_schema = {"inferd.FusedMatMul", OPSET_MIN, OPSET_MAX, NULL,
                                         &fused_matmul_kernel};
