/*
 * fuse_qdq.c - the QDQ form quantization tools emit, run as one int8 kernel:
 *
 *   DequantizeLinear(x) -> Conv | MatMul | Gemm (weights DequantizeLinear of a
 *   constant, bias DequantizeLinear of a constant int32) [-> Relu]
 *   [-> QuantizeLinear]
 *
 * becomes inferd.QLinearConv or inferd.QLinearMatMul (kernels/quant/
 * quant_fused.c) reading x's quantized bytes and the constant int8 weights.
 * With the QuantizeLinear the output is requantized in the kernel's
 * epilogue (a Relu before it becomes a floor at the zero point); without
 * it the kernel writes the float the op produced.
 *
 * A MatMul's float bias (an Add of a constant [N] vector) and then the
 * exact GELU (inferd.Gelu, which fuse_gelu made of the decomposed form,
 * or ONNX Gelu) or a Relu are taken into the epilogue too, with or
 * without a QuantizeLinear after them: a transformer's
 *
 *   DequantizeLinear -> MatMul -> Add(bias) -> GELU -> QuantizeLinear
 *
 * is one op whose 8-bit output the next MatMul reads, as ONNX Runtime
 * runs it (the float value quantized by QuantizeLinear's division).
 * Without an activation or a QuantizeLinear, a residual Add of a
 * DequantizeLinear (per tensor, of a computed tensor) is taken in too:
 *
 *   DequantizeLinear -> MatMul -> Add(bias) -> Add(DequantizeLinear(r))
 *
 * writes the sum itself, so neither the Add nor (once nothing else reads
 * it: a Shape of it reads r instead) the DequantizeLinear of r makes a
 * pass of its own. The kernel takes r of the output's shape only, which a
 * residual connection has.
 *
 * Conditions, else the nodes stay as they are and run in float (correct,
 * slower: counted in g->qdq_float_layers, a fallback the model reports): x's scale and zero point
 * are per tensor; the weights' scale (and zero point) per tensor or per output channel (axis 0 for
 * Conv and Gemm with transB, 1 for MatMul and Gemm without), never blocked; the int32 bias has zero
 * point 0 and the scale x_scale * w_scale (what QLinearConv's bias means); Gemm has alpha = beta =
 * 1 and no transA; the intermediate values have no other reader and are not graph outputs.
 *
 * A residual Add between quantized tensors,
 *
 *   DequantizeLinear(a), DequantizeLinear(b) -> Add [-> Relu] -> QuantizeLinear
 *
 * (all per tensor, a and b not constants), becomes inferd.QLinearAdd
 * (kernels/quant/quant_add.c) on the 8-bit tensors; it runs after the Conv
 * fusion, which has by then made the Q producing a and b part of the
 * convolutions. Shapes are unknown here, so its kernel broadcasts as Add
 * does; a residual connection's equal shapes are its fast case.
 *
 * And DequantizeLinear -> MaxPool -> QuantizeLinear with the same per-tensor
 * scale and zero point on both sides is the MaxPool on the 8-bit tensor
 * itself (Q(max(DQ(x))) = max(x): DQ and Q are monotonic and Q(DQ(x)) = x
 * for the same parameters); MaxPool takes int8 and uint8.
 *
 * The pass runs before the constant DequantizeLinear nodes are folded
 * (compile.c keeps them for it), and they are folded after it.
 */
#include <math.h>
#include <string.h>

#include "fuse_match.h"

#include "conv/conv.h"
#include "gelu/gelu.h"
#include "matmul/matmul.h"
#include "quant/quant.h"

/* Relative tolerance between a bias's scale and x_scale * w_scale. */
#define QDQ_BIAS_SCALE_TOLERANCE 1e-5f

/* Indices of the fused ops' inputs (quant_fused.c); a MatMul's residual follows (quant.h). */
enum { IN_X, IN_XS, IN_XZ, IN_W, IN_WS, IN_WZ, IN_YS, IN_YZ, IN_B, IN_COUNT };
_Static_assert((int)IN_COUNT == (int)QUANT_MATMUL_RESIDUAL,
               "a MatMul's residual inputs follow the fused ops' own");

static const tensor_t *constant(const graph_t *g, int v)
{
    return v >= 0 ? g->values[v].constant : NULL;
}

static bool is_q8(const tensor_t *t)
{
    return t && (t->dtype == DTYPE_INT8 || t->dtype == DTYPE_UINT8);
}

/* A (De)QuantizeLinear's scale and zero point are per tensor constants (zp present, 8-bit). */
static bool per_tensor(const graph_t *g, const graph_node_t *qdq)
{
    const quant_params_t *p = qdq->params;
    const tensor_t *s = constant(g, qdq->inputs[1]);
    const tensor_t *z = qdq->n_inputs > 2 ? constant(g, qdq->inputs[2]) : NULL;

    return p->block_size == 0 && s && s->dtype == DTYPE_FLOAT && tensor_numel(s) == 1 && is_q8(z) &&
           tensor_numel(z) == 1;
}

/*
 * The weights' DequantizeLinear: a constant 8-bit tensor, scale per tensor
 * or per channel n along axis (of the weights' rank), zero point likewise.
 */
static bool weight_dq(const graph_t *g, const graph_node_t *dq, int axis, int64_t n)
{
    const quant_params_t *p = dq->params;
    const tensor_t *w = constant(g, dq->inputs[0]);
    const tensor_t *s = constant(g, dq->inputs[1]);
    const tensor_t *z = dq->n_inputs > 2 ? constant(g, dq->inputs[2]) : NULL;
    int a;

    if (!is_q8(w) || !s || s->dtype != DTYPE_FLOAT || p->block_size != 0)
        return false;
    if (dq->n_inputs > 2 && dq->inputs[2] >= 0 && (!z || z->dtype != w->dtype))
        return false;
    if (tensor_numel(s) == 1)
        return !z || tensor_numel(z) == 1;
    a = (int)(p->axis < 0 ? p->axis + w->rank : p->axis);
    return s->rank == 1 && s->dims[0] == n && a == axis &&
           (!z || (z->rank == 1 && z->dims[0] == n));
}

/* An int32 bias DequantizeLinear with zero point 0 and scale x_scale * w_scale. */
static bool bias_dq(const graph_t *g, const graph_node_t *dq, const graph_node_t *x_dq,
                    const graph_node_t *w_dq, int64_t n)
{
    const tensor_t *b = constant(g, dq->inputs[0]);
    const tensor_t *bs = constant(g, dq->inputs[1]);
    const tensor_t *bz = dq->n_inputs > 2 ? constant(g, dq->inputs[2]) : NULL;
    const float sx = *(const float *)constant(g, x_dq->inputs[1])->data;
    const tensor_t *sw = constant(g, w_dq->inputs[1]);

    if (!b || b->dtype != DTYPE_INT32 || b->rank != 1 || b->dims[0] != n || !bs ||
        bs->dtype != DTYPE_FLOAT || (tensor_numel(bs) != 1 && tensor_numel(bs) != n))
        return false;
    if (dq->n_inputs > 2 && dq->inputs[2] >= 0) {
        if (!bz)
            return false;
        for (int64_t i = 0; i < tensor_numel(bz); i++)
            if (quant_load(bz->dtype, bz->data, i) != 0)
                return false;
    }
    for (int64_t c = 0; c < n; c++) {
        const float want = sx * ((const float *)sw->data)[tensor_numel(sw) == 1 ? 0 : c];
        const float got = ((const float *)bs->data)[tensor_numel(bs) == 1 ? 0 : c];
        if (fabsf(got - want) > QDQ_BIAS_SCALE_TOLERANCE * fabsf(want))
            return false;
    }
    return true;
}

/*
 * The sole consumer of v when it is the exact (erf) GELU: inferd.Gelu, which
 * fuse_gelu made of the decomposed form, or ONNX Gelu without the tanh
 * approximation.
 */
static graph_node_t *exact_gelu(graph_t *g, const int *consumers, int v)
{
    graph_node_t *gelu = fuse_sole_consumer(g, consumers, v, gelu_schema.op_type);
    const gelu_params_t *gp;

    if (gelu)
        return gelu;
    gelu = fuse_sole_consumer(g, consumers, v, "Gelu");
    gp = gelu ? gelu->params : NULL;
    return gelu && gelu->n_outputs == 1 && gp && !gp->tanh_approximation ? gelu : NULL;
}

/* A constant float [n] vector. */
static bool float_vector(const graph_t *g, int v, int64_t n)
{
    const tensor_t *t = constant(g, v);

    return t && t->dtype == DTYPE_FLOAT && t->rank == 1 && t->dims[0] == n;
}

/*
 * The residual Add that is v's sole consumer, when its other addend is the
 * per-tensor DequantizeLinear of a computed (not constant) 8-bit tensor:
 * the output projection of a transformer layer adding the layer's input
 * back. NULL when there is none.
 */
static graph_node_t *residual_add(graph_t *g, const int *consumers, int v)
{
    graph_node_t *add = fuse_sole_consumer(g, consumers, v, "Add");
    graph_node_t *r_dq;
    int other;

    if (!add || add->n_inputs != 2 || add->n_outputs != 1)
        return NULL;
    other = fuse_other_input(add, v);
    if (other < 0 || other == v)
        return NULL;
    r_dq = fuse_producer(g, other, "DequantizeLinear");
    if (!r_dq || !per_tensor(g, r_dq) || constant(g, r_dq->inputs[0]))
        return NULL;
    return add;
}

static status_t fuse_node(graph_t *g, const int *consumers, graph_node_t *node, bool conv,
                          error_t *err)
{
    graph_node_t *x_dq = fuse_producer(g, node->inputs[0], "DequantizeLinear");
    graph_node_t *w_dq =
        node->n_inputs > 1 ? fuse_producer(g, node->inputs[1], "DequantizeLinear") : NULL;
    graph_node_t *b_dq = NULL, *act, *q, *add = NULL, *res = NULL, *last = node;
    const tensor_t *w;
    bool gemm = strcmp(node->op_type, "Gemm") == 0, trans_b = false;
    int64_t n;
    int axis, inputs[QUANT_MATMUL_INPUTS_MAX], n_inputs = IN_COUNT, out;
    quant_params_t *p;

    if (!x_dq || !w_dq || !per_tensor(g, x_dq) || !(w = constant(g, w_dq->inputs[0])))
        return STATUS_OK;
    if (gemm) {
        const gemm_params_t *gp = node->params;
        if (gp->trans_a || gp->alpha != 1.0f || (node->n_inputs > 2 && gp->beta != 1.0f))
            return STATUS_OK;
        trans_b = gp->trans_b;
    }
    if (conv) {
        if (w->rank < 3)
            return STATUS_OK;
        n = w->dims[0];
        axis = 0;
    } else {
        if (w->rank != 2)
            return STATUS_OK;
        n = trans_b ? w->dims[0] : w->dims[1];
        axis = trans_b ? 0 : 1;
    }
    if (!weight_dq(g, w_dq, axis, n))
        return STATUS_OK;
    if (node->n_inputs > 2 && node->inputs[2] >= 0) {
        b_dq = fuse_producer(g, node->inputs[2], "DequantizeLinear");
        if (!b_dq || !bias_dq(g, b_dq, x_dq, w_dq, n))
            return STATUS_OK;
    }
    for (int k = 0; k < QUANT_MATMUL_INPUTS_MAX; k++)
        inputs[k] = -1;
    inputs[IN_X] = x_dq->inputs[0];
    inputs[IN_XS] = x_dq->inputs[1];
    inputs[IN_XZ] = x_dq->inputs[2];
    inputs[IN_W] = w_dq->inputs[0];
    inputs[IN_WS] = w_dq->inputs[1];
    inputs[IN_WZ] = w_dq->n_inputs > 2 ? w_dq->inputs[2] : -1;
    inputs[IN_B] = b_dq ? b_dq->inputs[0] : -1;

    p = arena_alloc(&g->arena, sizeof *p);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing QDQ nodes");
    memset(p, 0, sizeof *p);
    p->axis = 1;
    p->output_dtype = DTYPE_UNDEFINED;
    p->trans_b = trans_b;
    if (conv)
        p->conv = *(const conv_params_t *)node->params;

    out = node->outputs[0];
    /* A MatMul's float bias. */
    if (!conv && !gemm && !b_dq) {
        add = fuse_sole_consumer(g, consumers, out, "Add");
        if (add && float_vector(g, fuse_other_input(add, out), n)) {
            inputs[IN_B] = fuse_other_input(add, out);
            out = add->outputs[0];
            last = add;
        } else {
            add = NULL;
        }
    }
    act = conv ? NULL : exact_gelu(g, consumers, out);
    if (act)
        p->gelu = true;
    else if ((act = fuse_sole_consumer(g, consumers, out, "Relu")))
        p->relu = true;
    if (act) {
        out = act->outputs[0];
        last = act;
    }
    q = fuse_sole_consumer(g, consumers, out, "QuantizeLinear");
    if (q && per_tensor(g, q)) {
        inputs[IN_YS] = q->inputs[1];
        inputs[IN_YZ] = q->inputs[2];
        last = q;
    } else if (!conv && !act && (res = residual_add(g, consumers, out))) {
        const graph_node_t *r_dq = fuse_producer(g, fuse_other_input(res, out), "DequantizeLinear");
        inputs[QUANT_MATMUL_RESIDUAL] = r_dq->inputs[0];
        inputs[QUANT_MATMUL_RESIDUAL_SCALE] = r_dq->inputs[1];
        inputs[QUANT_MATMUL_RESIDUAL_ZERO_POINT] = r_dq->n_inputs > 2 ? r_dq->inputs[2] : -1;
        n_inputs = QUANT_MATMUL_INPUTS_MAX;
        last = res;
    }
    if (last != node)
        node->removed = true;
    if (act && last != act)
        act->removed = true;
    if (add && last != add)
        add->removed = true;
    return fuse_rewrite(g, last, conv ? &quant_fused_conv_schema : &quant_fused_matmul_schema, p,
                        n_inputs, inputs, err);
}

/* x dequantized and the weights a DequantizeLinear of a constant: a quantized layer. */
static bool quantized_operands(graph_t *g, const graph_node_t *node)
{
    graph_node_t *w_dq;

    if (node->n_inputs < 2 || !fuse_producer(g, node->inputs[0], "DequantizeLinear"))
        return false;
    w_dq = fuse_producer(g, node->inputs[1], "DequantizeLinear");
    return w_dq && constant(g, w_dq->inputs[0]);
}

/* Fuses node's pattern, or counts a quantized layer left to run in float. */
static status_t fuse_or_count(graph_t *g, const int *consumers, graph_node_t *node, bool conv,
                              error_t *err)
{
    const op_schema_t *schema = node->schema;
    status_t st = fuse_node(g, consumers, node, conv, err);

    if (!st && !node->removed && node->schema == schema && quantized_operands(g, node))
        g->qdq_float_layers++;
    return st;
}

static status_t match_conv(graph_t *g, const int *consumers, graph_node_t *node, error_t *err)
{
    return fuse_or_count(g, consumers, node, true, err);
}

static status_t match_matmul(graph_t *g, const int *consumers, graph_node_t *node, error_t *err)
{
    return fuse_or_count(g, consumers, node, false, err);
}

static status_t match_add(graph_t *g, const int *consumers, graph_node_t *node, error_t *err)
{
    graph_node_t *a_dq, *b_dq, *relu, *q;
    quant_params_t *p;
    int inputs[QUANT_ADD_COUNT], out;

    if (node->n_inputs != 2 || node->n_outputs != 1)
        return STATUS_OK;
    a_dq = fuse_producer(g, node->inputs[0], "DequantizeLinear");
    b_dq = fuse_producer(g, node->inputs[1], "DequantizeLinear");
    if (!a_dq || !b_dq || !per_tensor(g, a_dq) || !per_tensor(g, b_dq) ||
        constant(g, a_dq->inputs[0]) || constant(g, b_dq->inputs[0]))
        return STATUS_OK;
    out = node->outputs[0];
    relu = fuse_sole_consumer(g, consumers, out, "Relu");
    if (relu)
        out = relu->outputs[0];
    q = fuse_sole_consumer(g, consumers, out, "QuantizeLinear");
    if (!q || !per_tensor(g, q))
        return STATUS_OK;
    p = arena_alloc(&g->arena, sizeof *p);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing QDQ nodes");
    memset(p, 0, sizeof *p);
    p->axis = 1;
    p->output_dtype = DTYPE_UNDEFINED;
    p->relu = relu != NULL;
    inputs[QUANT_ADD_A] = a_dq->inputs[0];
    inputs[QUANT_ADD_AS] = a_dq->inputs[1];
    inputs[QUANT_ADD_AZ] = a_dq->inputs[2];
    inputs[QUANT_ADD_B] = b_dq->inputs[0];
    inputs[QUANT_ADD_BS] = b_dq->inputs[1];
    inputs[QUANT_ADD_BZ] = b_dq->inputs[2];
    inputs[QUANT_ADD_YS] = q->inputs[1];
    inputs[QUANT_ADD_YZ] = q->inputs[2];
    node->removed = true;
    if (relu)
        relu->removed = true;
    return fuse_rewrite(g, q, &quant_fused_add_schema, p, QUANT_ADD_COUNT, inputs, err);
}

/* The same per-tensor scale and zero point (values, not names). */
static bool same_qparams(const graph_t *g, const graph_node_t *a, const graph_node_t *b)
{
    const tensor_t *sa = constant(g, a->inputs[1]), *sb = constant(g, b->inputs[1]);
    const tensor_t *za = constant(g, a->inputs[2]), *zb = constant(g, b->inputs[2]);

    return *(const float *)sa->data == *(const float *)sb->data && za->dtype == zb->dtype &&
           quant_load(za->dtype, za->data, 0) == quant_load(zb->dtype, zb->data, 0);
}

static status_t match_max_pool(graph_t *g, const int *consumers, graph_node_t *node, error_t *err)
{
    graph_node_t *dq, *q;
    int inputs[1];

    if (node->n_inputs != 1 || node->n_outputs != 1)
        return STATUS_OK;
    dq = fuse_producer(g, node->inputs[0], "DequantizeLinear");
    q = fuse_sole_consumer(g, consumers, node->outputs[0], "QuantizeLinear");
    if (!dq || !q || !per_tensor(g, dq) || !per_tensor(g, q) || !same_qparams(g, dq, q) ||
        constant(g, dq->inputs[0]))
        return STATUS_OK;
    inputs[0] = dq->inputs[0];
    node->removed = true;
    return fuse_rewrite(g, q, node->schema, node->params, 1, inputs, err);
}

/*
 * Shape reads only its input's shape, which DequantizeLinear keeps: it
 * reads the 8-bit tensor instead, so a DequantizeLinear that fed only
 * Shapes and fused MatMuls (BERT's attention input) is dead and makes no
 * pass.
 */
static status_t match_shape(graph_t *g, const int *consumers, graph_node_t *node, error_t *err)
{
    graph_node_t *dq = node->n_inputs == 1 && node->inputs[0] >= 0
                           ? fuse_producer(g, node->inputs[0], "DequantizeLinear")
                           : NULL;

    (void)consumers;
    (void)err;
    if (dq)
        node->inputs[0] = dq->inputs[0];
    return STATUS_OK;
}

status_t fuse_qdq(graph_t *g, error_t *err)
{
    status_t st = fuse_each(g, "Shape", match_shape, err);

    if (!st)
        st = fuse_each(g, "Conv", match_conv, err);

    if (!st)
        st = fuse_each(g, "Add", match_add, err);
    if (!st)
        st = fuse_each(g, "MaxPool", match_max_pool, err);

    if (!st)
        st = fuse_each(g, "MatMul", match_matmul, err);
    if (!st)
        st = fuse_each(g, "Gemm", match_matmul, err);
    return st;
}
