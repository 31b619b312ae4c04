/*
 * fuse_block.c - compile pass turning a MobileNetV2 inverted-residual block,
 * after fuse_conv.c has folded activations and residual Adds into its
 * convolutions,
 *
 *   ConvNHWC 1x1 (act) -> ConvNHWC 3x3 depthwise (act) -> ConvNHWC 1x1 (+ R)
 *
 * into one inferd.ConvBlockNHWC (kernels/conv/conv_block.h), which never
 * writes the expanded tensor out. The expansion may be absent (a block
 * whose depthwise layer reads the previous output). The two intermediate
 * values must be read by the next convolution only and not be graph
 * outputs; every weight and bias must be a float32 constant. The fused
 * node takes the projection's place: its inputs (the expansion's X, the
 * weights and the residual) are all ready there.
 *
 * Only on AVX-512 (block_worth). Not in the bf16 precision mode, whose
 * convolutions run on oneDNN's bf16 primitives.
 */
#include <string.h>

#include "conv/conv_block.h"
#include "cpu_isa.h"
#include "fuse_match.h"
#include "layout.h"

/*
 * True where the fused block beats the three layers it replaces: on
 * AVX-512, every block MobileNetV2 has. Measured on a Zen 4 (one thread,
 * per-block minima of 5 (batch 1) or 3 (batch 8) alternating runs of 20,
 * load average 2, ms unfused -> fused): at batch 1 the 112x112 and 56x56
 * blocks 0.30 -> 0.22, 0.80 -> 0.75, 0.63 -> 0.59, 0.34 -> 0.34, the 28x28
 * to 7x7 ones 0-6% faster each; at batch 8 2.69 -> 1.96, 6.78 -> 6.04,
 * 5.05 -> 4.77, 2.69 -> 2.74 and the others 0-7% faster. Whole network:
 * 6.78 -> 6.45 at batch 1, 53.1 -> 50.3 at batch 8. Below AVX-512 the
 * layers run on oneDNN's AVX2 1x1 and depthwise kernels, which beat the
 * GEMM there (conv_nhwc.c), and the fused blocks are slower (8.9 against
 * 7.0 ms for the whole network at batch 1).
 */
static bool block_worth(void)
{
    return cpu_isa() >= CPU_ISA_AVX512;
}

/* True if v is absent or a float32 constant. */
static bool float_constant(const graph_t *g, int v)
{
    const tensor_t *t = v >= 0 ? g->values[v].constant : NULL;

    return v < 0 || (t && t->data && t->dtype == DTYPE_FLOAT);
}

/* The ConvNHWC producing v, read by nothing else; NULL if there is none. */
static graph_node_t *sole_conv_producer(graph_t *g, const int *consumers, int v)
{
    graph_node_t *p = fuse_producer(g, v, CONV_NHWC_OP);

    return p && consumers[v] == 1 && p->schema == &conv_nhwc_schema ? p : NULL;
}

/* True when node's weights and bias (inputs 1, 2) are float32 constants. */
static bool constant_weights(const graph_t *g, const graph_node_t *node)
{
    return node->n_inputs > 1 && node->inputs[1] >= 0 && float_constant(g, node->inputs[1]) &&
           (node->n_inputs < 3 || float_constant(g, node->inputs[2]));
}

static int input_or_none(const graph_node_t *node, int k)
{
    return node->n_inputs > k ? node->inputs[k] : -1;
}

static status_t match(graph_t *g, const int *consumers, graph_node_t *project, error_t *err)
{
    const conv_nhwc_params_t *pp = project->params;
    graph_node_t *dw = sole_conv_producer(g, consumers, project->inputs[0]), *expand;
    conv_block_params_t *p;
    int inputs[CONV_BLOCK_INPUTS];

    if (!dw || !constant_weights(g, project) || !constant_weights(g, dw))
        return STATUS_OK;
    expand = sole_conv_producer(g, consumers, dw->inputs[0]);
    if (expand &&
        (!constant_weights(g, expand) ||
         !conv_block_supports(expand->params, dw->params, g->values[dw->inputs[1]].constant, pp)))
        expand = NULL;
    if (!conv_block_supports(expand ? expand->params : NULL, dw->params,
                             g->values[dw->inputs[1]].constant, pp))
        return STATUS_OK;
    p = arena_alloc(&g->arena, sizeof *p);
    if (!p)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory fusing node '%s'",
                         project->name);
    *p = (conv_block_params_t){.expand = expand != NULL,
                               .depthwise = *(const conv_nhwc_params_t *)dw->params,
                               .project = *pp};
    if (expand)
        p->expand_conv = *(const conv_nhwc_params_t *)expand->params;
    inputs[CONV_BLOCK_X] = expand ? expand->inputs[0] : dw->inputs[0];
    inputs[CONV_BLOCK_EXPAND_W] = expand ? expand->inputs[1] : -1;
    inputs[CONV_BLOCK_EXPAND_B] = expand ? input_or_none(expand, 2) : -1;
    inputs[CONV_BLOCK_DW_W] = dw->inputs[1];
    inputs[CONV_BLOCK_DW_B] = input_or_none(dw, 2);
    inputs[CONV_BLOCK_PROJECT_W] = project->inputs[1];
    inputs[CONV_BLOCK_PROJECT_B] = input_or_none(project, 2);
    inputs[CONV_BLOCK_RESIDUAL] = pp->sum ? project->inputs[CONV_NHWC_RESIDUAL] : -1;
    dw->removed = true;
    if (expand)
        expand->removed = true;
    return fuse_rewrite(g, project, &conv_block_schema, p,
                        pp->sum ? CONV_BLOCK_INPUTS : CONV_BLOCK_RESIDUAL, inputs, err);
}

status_t graph_fuse_block(graph_t *g, error_t *err)
{
    if (g->bf16 || !block_worth())
        return STATUS_OK;
    return fuse_each(g, CONV_NHWC_OP, match, err);
}
