/*
 * node_call.c - invoking a node's prototype (checks against its info table
 * first) and folding a node whose inputs are known, at compile or plan time.
 */
#include "graph.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "half.h"

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
        /* A half weight where the kernel takes one (op.h's half_inputs) reads as float. */
        if (mask && !dtype_in(inputs[i]->dtype, mask) &&
            !(i < 32 && (node->schema->kernel->half_inputs & (1u << i)) &&
              dtype_is_half(inputs[i]->dtype) && (mask & DTYPES_FLOAT)))
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
        /* Only its run knows its shape, and a control-flow op's dtype may wait for it too. */
        if (k < 32 && (kernel->dynamic_outputs & (1u << k))) {
            outputs[k].data = NULL;
            continue;
        }
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

/* Buffers a folding dynamic op asks for (op_call_t.buffer), in the folding arena. */
typedef struct fold_buffers {
    arena_t *arena;
    void *data[NODE_MAX_OUTPUTS + OP_MAX_SCRATCH];
    size_t bytes[NODE_MAX_OUTPUTS + OP_MAX_SCRATCH];
} fold_buffers_t;

/* A buffer that grows is copied into a new block: the arena frees nothing on its own. */
static void *fold_buffer(const op_call_t *call, int slot, size_t bytes, error_t *err)
{
    fold_buffers_t *fb = call->engine;
    void *grown;

    assert(slot >= 0 && slot < NODE_MAX_OUTPUTS + OP_MAX_SCRATCH);
    if (fb->data[slot] && bytes <= fb->bytes[slot])
        return fb->data[slot];
    grown = arena_alloc(fb->arena, bytes ? bytes : 1);
    if (!grown) {
        error_set(err, STATUS_OUT_OF_MEMORY, "out of memory folding %s node '%s'", call->op_type,
                  call->node);
        return NULL;
    }
    if (fb->data[slot] && fb->bytes[slot])
        memcpy(grown, fb->data[slot], fb->bytes[slot]);
    fb->data[slot] = grown;
    fb->bytes[slot] = bytes;
    return grown;
}

status_t graph_node_fold(const graph_t *g, const graph_node_t *node, const tensor_t **inputs,
                         tensor_t *outputs, arena_t *arena, error_t *err)
{
    op_call_t call;
    size_t workspace = 0;
    void *scratch = NULL;
    fold_buffers_t *buffers = NULL;
    uint32_t dynamic = node->schema->kernel->dynamic_outputs;
    status_t st = graph_node_infer(g, node, inputs, outputs, &workspace, err);

    assert(node->n_bodies == 0);
    if (st)
        return st;
    if (dynamic) {
        buffers = calloc(1, sizeof *buffers);
        if (!buffers)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory folding %s node '%s'",
                             node->op_type, node->name);
        buffers->arena = arena;
    }
    for (int k = 0; k < node->n_outputs; k++) {
        if (k < 32 && (dynamic & (1u << k)))
            continue;
        size_t bytes = tensor_bytes(&outputs[k]);
        outputs[k].data = arena_alloc(arena, bytes ? bytes : 1);
        if (!outputs[k].data) {
            free(buffers);
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory folding %s node '%s'",
                             node->op_type, node->name);
        }
    }
    if (workspace) {
        scratch =
            aligned_alloc(ARENA_ALIGN, (workspace + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1));
        if (!scratch) {
            free(buffers);
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory folding %s node '%s'",
                             node->op_type, node->name);
        }
    }
    call_init(&call, node, inputs, outputs);
    call.workspace = scratch;
    call.workspace_size = workspace;
    if (buffers) {
        call.buffer = fold_buffer;
        call.engine = buffers;
    }
    st = node->schema->kernel->run(&call, err);
    for (int k = 0; !st && k < node->n_outputs; k++)
        if (!outputs[k].data)
            st = op_fail(err, STATUS_INTERNAL, node->op_type, node->name,
                         "output %d was given no buffer", k);
    free(scratch);
    free(buffers);
    return st;
}
