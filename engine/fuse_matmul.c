/*
 * fuse_matmul.c - MatMul(A, W) + bias, with W a constant [K, N] matrix and
 * bias a constant [N] vector (either Add operand), becomes
 * inferd.FusedMatMul(A, W, bias); an inferd.Gelu that is the product's only
 * consumer then becomes its epilogue. The bias broadcasts along the last
 * axis only, so the fused output has the MatMul's shape, as the Add had.
 */
#include "fuse_match.h"

#include "gelu/gelu.h"
#include "half.h"
#include "matmul/matmul.h"

static bool is_bias_for(const graph_t *g, int v, const tensor_t *w)
{
    const tensor_t *bias = v >= 0 ? g->values[v].constant : NULL;

    return bias && bias->dtype == DTYPE_FLOAT && bias->rank == 1 && bias->dims[0] == w->dims[1];
}

/* Add(MatMul(A, W), bias) -> FusedMatMul(A, W, bias), at the Add. */
static status_t fuse_bias(graph_t *g, const int *consumers, graph_node_t *add, error_t *err)
{
    fused_matmul_params_t *p;

    if (add->n_inputs != 2)
        return STATUS_OK;
    for (int side = 0; side < 2; side++) {
        int product = add->inputs[side], bias = add->inputs[1 - side];
        graph_node_t *mm = fuse_producer(g, product, "MatMul");
        const tensor_t *w = mm ? g->values[mm->inputs[1]].constant : NULL;
        /* A half W is a weight the half pass kept half (FusedMatMul packs it so too). */
        if (!w || (w->dtype != DTYPE_FLOAT && !dtype_is_half(w->dtype)) || w->rank != 2 ||
            consumers[product] != 1 || !is_bias_for(g, bias, w))
            continue;
        p = arena_alloc(&g->arena, sizeof *p);
        if (!p)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        p->act = MATMUL_ACT_NONE;
        mm->removed = true;
        return fuse_rewrite(g, add, &fused_matmul_schema, p, 3,
                            (const int[]){mm->inputs[0], mm->inputs[1], bias}, err);
    }
    return STATUS_OK;
}

/* Gelu(FusedMatMul(...)) -> FusedMatMul(...) with the GELU epilogue, at the Gelu. */
static status_t fuse_activation(graph_t *g, const int *consumers, graph_node_t *gelu, error_t *err)
{
    int product = gelu->inputs[0];
    graph_node_t *mm = fuse_producer(g, product, fused_matmul_schema.op_type);
    fused_matmul_params_t *p;

    if (!mm || consumers[product] != 1)
        return STATUS_OK;
    p = mm->params;
    if (p->act != MATMUL_ACT_NONE)
        return STATUS_OK;
    p->act = MATMUL_ACT_GELU;
    mm->removed = true;
    return fuse_rewrite(g, gelu, &fused_matmul_schema, p, mm->n_inputs, mm->inputs, err);
}

status_t fuse_matmul(graph_t *g, error_t *err)
{
    status_t st = fuse_each(g, "Add", fuse_bias, err);

    /* Every bias is fused first, so each GELU finds its FusedMatMul. */
    return st ? st : fuse_each(g, gelu_schema.op_type, fuse_activation, err);
}
