/*
 * quant_add.c - inferd.QLinearAdd, the internal op engine/fuse_qdq.c makes
 * of a residual Add in QDQ form:
 *
 *   DequantizeLinear(a), DequantizeLinear(b) -> Add [-> Relu] -> QuantizeLinear
 *
 * so that a ResNet's shortcut stays 8-bit instead of going through float
 * tensors. Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point,
 * y_scale, y_zero_point, all scales and zero points per tensor. a and b
 * broadcast as Add's inputs do. A residual connection has equal shapes, the
 * case the parallel loop runs; the fusion cannot tell it from a broadcasting
 * Add when the model declares no intermediate shapes, so the other shapes
 * take the broadcast walk. Both inputs are NCHW or both NHWC twins of the
 * same rank (engine/layout.c), and permuting both alike keeps the broadcast,
 * so the op runs the same on either.
 *
 *   y = saturate(round_half_even((sa (a - za) + sb (b - zb)) / sy) + zy)
 *
 * in float32 as the unfused nodes compute it; a fused Relu raises the low
 * end of the clamp to zy (Q is monotonic and Q(0) = zy). ONNX Runtime runs
 * the same pattern as its QLinearAdd, which multiplies by sa / sy and
 * sb / sy instead: the two agree within one quantization step.
 */
#include "quant.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "broadcast.h"
#include "parallel.h"
#include "quant_vec.h"

/* Elements per parallel chunk. */
#define QADD_CHUNK 16384
/* The work of one element in parallel_team's simple operations (two widenings, a division...). */
#define QADD_OPS 4
/* Elements of a repeated operand spread out per quant_vec_add call in the broadcast walk. */
#define QADD_SPREAD 256

static const op_info_t qadd_info = {
    .min_inputs = QUANT_ADD_COUNT,
    .max_inputs = QUANT_ADD_COUNT,
    .min_outputs = 1,
    .max_outputs = 1,
    .input_dtypes = {QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8, QUANT_DTYPES_8, DTYPES_FLOAT,
                     QUANT_DTYPES_8, DTYPES_FLOAT, QUANT_DTYPES_8},
    .layout = "any",
};

static bool same_shape(const tensor_t *a, const tensor_t *b)
{
    if (a->rank != b->rank)
        return false;
    for (int d = 0; d < a->rank; d++)
        if (a->dims[d] != b->dims[d])
            return false;
    return true;
}

static status_t qadd_infer(op_call_t *call, error_t *err)
{
    const tensor_t *a = call->inputs[QUANT_ADD_A], *b = call->inputs[QUANT_ADD_B];
    const tensor_t *pair[2] = {a, b};
    status_t st;

    for (int k = QUANT_ADD_AS; k < QUANT_ADD_COUNT; k++)
        if (k != QUANT_ADD_B && tensor_numel(call->inputs[k]) != 1)
            return op_call_fail(call, err, "input %d is not a single value", k);
    call->outputs[0] = *a;
    call->outputs[0].data = NULL;
    call->outputs[0].dtype = call->inputs[QUANT_ADD_YZ]->dtype;
    st = bcast_infer(call, 2, pair, &call->outputs[0], err);
    if (st != STATUS_OK)
        return st;
    call->workspace_size = 0;
    return STATUS_OK;
}

/* What a broadcast row needs besides its pointers. */
typedef struct qadd_row_ctx {
    quant_vec_in_t a, b;
    float sy;
    quant_vec_out_t out;
    bool a_repeats, b_repeats;
} qadd_row_ctx_t;

/*
 * One row of the broadcast walk. A repeated operand is spread into a
 * buffer, so that every element goes through quant_vec_add and rounds as
 * the equal-shape loop does.
 */
static void qadd_row(void *y, const void *const *in, int64_t n, const void *ctx)
{
    const qadd_row_ctx_t *c = ctx;
    uint8_t spread_a[QADD_SPREAD], spread_b[QADD_SPREAD];
    quant_vec_in_t a = c->a, b = c->b;

    if (c->a_repeats)
        memset(spread_a, *(const uint8_t *)in[0], sizeof spread_a);
    if (c->b_repeats)
        memset(spread_b, *(const uint8_t *)in[1], sizeof spread_b);
    for (int64_t i0 = 0; i0 < n; i0 += QADD_SPREAD) {
        const int64_t m = n - i0 < QADD_SPREAD ? n - i0 : QADD_SPREAD;
        a.x = c->a_repeats ? spread_a : (const uint8_t *)in[0] + i0;
        b.x = c->b_repeats ? spread_b : (const uint8_t *)in[1] + i0;
        quant_vec_add(&a, &b, c->sy, &c->out, m, (uint8_t *)y + i0);
    }
}

/* a + b for shapes that broadcast to y's but differ. */
static void qadd_broadcast(const tensor_t *a, const tensor_t *b, qadd_row_ctx_t *ctx, tensor_t *y)
{
    const tensor_t *pair[2] = {a, b};
    const void *data[2] = {a->data, b->data};
    const size_t sizes[2] = {1, 1};
    bcast_plan_t plan;
    int kind;

    bcast_plan_init(&plan, 2, pair, y);
    kind = bcast_kind(&plan);
    ctx->a_repeats = kind == BCAST_SS || kind == BCAST_SV;
    ctx->b_repeats = kind == BCAST_SS || kind == BCAST_VS;
    bcast_walk(&plan, qadd_row, ctx, y->data, 1, data, sizes);
}

void quant_add_8bit(const tensor_t *a, const tensor_t *a_scale, const tensor_t *a_zero_point,
                    const tensor_t *b, const tensor_t *b_scale, const tensor_t *b_zero_point,
                    const tensor_t *y_scale, const tensor_t *y_zero_point, bool relu, tensor_t *y,
                    int threads)
{
    const float sa = *(const float *)a_scale->data;
    const float sb = *(const float *)b_scale->data;
    const float sy = *(const float *)y_scale->data;
    const float za = (float)quant_load(a_zero_point->dtype, a_zero_point->data, 0);
    const float zb = (float)quant_load(b_zero_point->dtype, b_zero_point->data, 0);
    const int32_t zy = quant_load(y_zero_point->dtype, y_zero_point->data, 0);
    const int64_t n = tensor_numel(y), chunks = (n + QADD_CHUNK - 1) / QADD_CHUNK;
    const quant_vec_in_t in_a = {a->data, a->dtype == DTYPE_INT8, sa, za};
    const quant_vec_in_t in_b = {b->data, b->dtype == DTYPE_INT8, sb, zb};
    quant_vec_out_t out = quant_vec_out(zy, y->dtype == DTYPE_INT8);

    if (relu && out.lo < zy)
        out.lo = zy;
    if (!same_shape(a, b) || !same_shape(a, y)) {
        qadd_row_ctx_t ctx = {in_a, in_b, sy, out, false, false};
        qadd_broadcast(a, b, &ctx, y);
        return;
    }
#pragma omp parallel for num_threads(parallel_team(n *QADD_OPS, threads)) schedule(static)
    for (int64_t c = 0; c < chunks; c++) {
        const int64_t i0 = c * QADD_CHUNK, i1 = i0 + QADD_CHUNK < n ? i0 + QADD_CHUNK : n;
        quant_vec_in_t ca = in_a, cb = in_b;
        ca.x = (const uint8_t *)a->data + i0;
        cb.x = (const uint8_t *)b->data + i0;
        quant_vec_add(&ca, &cb, sy, &out, i1 - i0, (uint8_t *)y->data + i0);
    }
}

static status_t qadd_run(op_call_t *call, error_t *err)
{
    const quant_params_t *p = call->params;
    const tensor_t *const *in = call->inputs;

    (void)err;
    quant_add_8bit(in[QUANT_ADD_A], in[QUANT_ADD_AS], in[QUANT_ADD_AZ], in[QUANT_ADD_B],
                   in[QUANT_ADD_BS], in[QUANT_ADD_BZ], in[QUANT_ADD_YS], in[QUANT_ADD_YZ],
                   p && p->relu, &call->outputs[0], call->threads);
    return STATUS_OK;
}

static bool qadd_describe(const op_call_t *call, char *impl, size_t size)
{
    (void)call;
    snprintf(impl, size, "inferd int8 elementwise");
    return false;
}

static const op_kernel_t qadd_kernel = {
    .name = "inferd.QLinearAdd",
    .info = &qadd_info,
    .params_size = sizeof(quant_params_t),
    .infer = qadd_infer,
    .run = qadd_run,
    .describe = qadd_describe,
};

const op_schema_t quant_fused_add_schema = {"inferd.QLinearAdd", OPSET_MIN, OPSET_MAX, NULL,
                                            &qadd_kernel};
