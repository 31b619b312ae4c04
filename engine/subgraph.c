/*
 * subgraph.c - running control-flow subgraphs (op_call_t.run_subgraph).
 */
#include "exec.h"

#include <stdlib.h>

status_t subgraph_run(const op_call_t *call, int graph, const tensor_t *inputs, int n_inputs,
                      const tensor_t **outputs, error_t *err)
{
    (void)graph;
    (void)inputs;
    (void)n_inputs;
    (void)outputs;
    return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                   "subgraphs are not supported");
}

void subgraph_contexts_free(engine_context_t *ctx)
{
    (void)ctx;
}
