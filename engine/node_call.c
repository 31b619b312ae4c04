/*
 * node_call.c - invoking a node's prototype (checks against its info table
 * first) and folding a node whose inputs are known, at compile or plan time.
 */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

/* The dtype mask that applies to input i; 0 means the info does not restrict it. */
static uint32_t formal_dtypes(const op_info_t *info, int i)
{
    int k = i < OP_MAX_FORMAL_INPUTS ? i : OP_MAX_FORMAL_INPUTS - 1;

    if (info->max_inputs < 0)
        while (k > 0 && info->input_dtypes[k] == 0)
            k--;
    return info->input_dtypes[k];
}

static status_t check_against_info(const graph_t *g, const graph_node_t *node,
                                   const tensor_t **inputs, error_t *err)
{
    const op_info_t *info = node->schema->kernel->info;

    if (node->n_inputs < info->min_inputs ||
        (info->max_inputs >= 0 && node->n_inputs > info->max_inputs))
        return op_fail(err, STATUS_INVALID_MODEL, node->op_type, node->name,
                       "has %d inputs, expected %d to %d", node->n_inputs, info->min_inputs,
                       info->max_inputs);
    if (node->n_outputs < info->min_outputs ||
        (info->max_outputs >= 0 && node->n_outputs > info->max_outputs))
        return op_fail(err, STATUS_INVALID_MODEL, node->op_type, node->name,
                       "has %d outputs, expected %d to %d", node->n_outputs, info->min_outputs,
                       info->max_outputs);
    for (int i = 0; i < node->n_inputs; i++) {
        uint32_t mask = formal_dtypes(info, i);
        if (!inputs[i]) {
            if (i < info->min_inputs)
                return op_fail(err, STATUS_INVALID_MODEL, node->op_type, node->name,
                               "required input %d is missing", i);
            continue;
        }
        if (mask && !dtype_in(inputs[i]->dtype, mask))
            return op_fail(err, STATUS_INVALID_ARGUMENT, node->op_type, node->name,
                           "input %d ('%s') has dtype %s, which this op does not support", i,
                           g->values[node->inputs[i]].name, dtype_name(inputs[i]->dtype));
    }
    return STATUS_OK;
}

static void call_init(op_call_t *call, const graph_node_t *node, const tensor_t **inputs,
                      tensor_t *outputs)
{
    memset(call, 0, sizeof *call);
    call->op_type = node->op_type;
    call->node = node->name;
    call->params = node->params;
    call->state = node->state;
    call->n_inputs = node->n_inputs;
    call->inputs = (const tensor_t *const *)inputs;
    call->n_outputs = node->n_outputs;
    call->outputs = outputs;
    call->threads = 1;
}

status_t graph_node_infer(const graph_t *g, const graph_node_t *node, const tensor_t **inputs,
                          tensor_t *outputs, size_t *workspace, error_t *err)
{
    const op_kernel_t *kernel = node->schema->kernel;
    op_call_t call;
    status_t st = check_against_info(g, node, inputs, err);

    if (st)
        return st;
    memset(outputs, 0, (size_t)node->n_outputs * sizeof *outputs);
    call_init(&call, node, inputs, outputs);
    st = kernel->infer(&call, err);
    if (st)
        return st;
    for (int k = 0; k < node->n_outputs; k++) {
        char shape[160];
        int64_t numel;
        if (dtype_size(outputs[k].dtype) == 0)
            return op_fail(err, STATUS_INTERNAL, node->op_type, node->name,
                           "output %d has no dtype after inference", k);
        if (!shape_valid(outputs[k].rank, outputs[k].dims, &numel))
            return op_fail(err, STATUS_LIMIT_EXCEEDED, node->op_type, node->name,
                           "output %d would have shape %s, over the %lld-element limit", k,
                           shape_format(outputs[k].rank, outputs[k].dims, shape, sizeof shape),
                           (long long)TENSOR_MAX_ELEMENTS);
        outputs[k].data = NULL;
    }
    *workspace = call.workspace_size;
    return STATUS_OK;
}

bool graph_node_fold_grows(const graph_node_t *node, const tensor_t **inputs,
                           const tensor_t *outputs, size_t workspace)
{
    size_t in_bytes = 0, out_bytes = workspace;

    for (int k = 0; k < node->n_inputs; k++)
        if (inputs[k])
            in_bytes += tensor_bytes(inputs[k]);
    for (int k = 0; k < node->n_outputs; k++)
        out_bytes += tensor_bytes(&outputs[k]);
    return out_bytes > in_bytes && out_bytes - in_bytes > GRAPH_FOLD_MAX_GROWTH;
}

status_t graph_node_fold(const graph_t *g, const graph_node_t *node, const tensor_t **inputs,
                         tensor_t *outputs, arena_t *arena, error_t *err)
{
    op_call_t call;
    size_t workspace = 0;
    void *scratch = NULL;
    status_t st = graph_node_infer(g, node, inputs, outputs, &workspace, err);

    if (st)
        return st;
    for (int k = 0; k < node->n_outputs; k++) {
        size_t bytes = tensor_bytes(&outputs[k]);
        outputs[k].data = arena_alloc(arena, bytes ? bytes : 1);
        if (!outputs[k].data)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory folding %s node '%s'",
                             node->op_type, node->name);
    }
    if (workspace) {
        scratch =
            aligned_alloc(ARENA_ALIGN, (workspace + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
        if (!scratch)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory folding %s node '%s'",
                             node->op_type, node->name);
    }
    call_init(&call, node, inputs, outputs);
    call.workspace = scratch;
    call.workspace_size = workspace;
    st = node->schema->kernel->run(&call, err);
    free(scratch);
    return st;
}
