/*
 * subgraph.c - running control-flow subgraphs (op_call_t.run_subgraph).
 *
 * Each subgraph is compiled once with its model (compile.c compiles it
 * with the model's passes; model.c gives it an engine_model_t and so a
 * plan cache of its own). A context running a control-flow node keeps one
 * context per subgraph of that node, created the first time it runs, so a
 * Loop's iterations run the body's cached plan on a warm arena: what an
 * iteration costs beyond the body's steps is binding its inputs, matching
 * the last plan (shapes, and the values it is keyed by) and the kernel's
 * copies of carried values. Each start checks the context's deadline
 * (engine_context_set_deadline), so a loop cannot outrun its request.
 */
#include "exec.h"

#include <assert.h>
#include <stdlib.h>
#include <time.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* One subgraph of a node, as one context runs it. */
typedef struct subgraph_slot {
    engine_context_t *ctx;
    tensor_t *inputs; /* formal then outer-scope inputs of one run */
} subgraph_slot_t;

/*
 * The slot of call's subgraph graph in the running context, created on
 * first use, with its inputs bound: the formal ones from inputs, then the
 * outer-scope values the subgraph reads.
 */
static status_t bind_slot(const op_call_t *call, int graph, const tensor_t *inputs, int n_inputs,
                          subgraph_slot_t **out, error_t *err)
{
    const exec_call_t *ec = call->engine;
    const graph_node_t *node = ec->node;
    engine_model_t *m = engine_context_model(ec->ctx);
    void **bodies = engine_context_bodies(ec->ctx);
    ptrdiff_t index = node - m->graph->nodes;
    const graph_t *body;
    subgraph_slot_t *slots, *slot;
    status_t st;

    assert(index >= 0 && index < m->graph->n_nodes);
    if (graph < 0 || graph >= node->n_bodies)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "no subgraph %d", graph);
    body = node->bodies[graph];
    if (n_inputs != body->n_formal_inputs)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                       "subgraph %d takes %d inputs, given %d", graph, body->n_formal_inputs,
                       n_inputs);
    if (!bodies[index] && !(bodies[index] = calloc((size_t)node->n_bodies, sizeof *slots)))
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    slots = bodies[index];
    slot = &slots[graph];
    if (!slot->ctx) {
        slot->inputs = calloc((size_t)body->n_inputs + 1, sizeof *slot->inputs);
        if (!slot->inputs)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        st = engine_context_create(body->model, engine_context_threads(ec->ctx), &slot->ctx, err);
        if (st)
            return st;
    }
    for (int i = 0; i < n_inputs; i++)
        slot->inputs[i] = inputs[i];
    for (int i = body->n_formal_inputs; i < body->n_inputs; i++)
        slot->inputs[i] = *call->inputs[body->outer_inputs[i - body->n_formal_inputs]];
    *out = slot;
    return STATUS_OK;
}

status_t subgraph_run(const op_call_t *call, int graph, const tensor_t *inputs, int n_inputs,
                      const tensor_t **outputs, error_t *err)
{
    const exec_call_t *ec = call->engine;
    const graph_t *body;
    subgraph_slot_t *slot;
    int64_t deadline;
    status_t st = bind_slot(call, graph, inputs, n_inputs, &slot, err);

    if (st)
        return st;
    body = ec->node->bodies[graph];
    deadline = engine_context_deadline(ec->ctx);
    if (deadline && now_us() > deadline)
        return op_fail(err, STATUS_DEADLINE_EXCEEDED, call->op_type, call->node,
                       "the deadline passed while it ran (subgraph %d not started)", graph);
    /* Nested control flow answers to the same deadline. */
    engine_context_set_deadline(slot->ctx, deadline);
    st = engine_context_run(slot->ctx, slot->inputs, body->n_inputs, outputs, err);
    if (st)
        error_prefix(err, "%s node '%s', subgraph %d", call->op_type, call->node, graph);
    return st;
}

/*
 * Plans the subgraph for the bound inputs and reads its outputs' shapes
 * off the plan. Rare (a Loop running no iteration), so the plan is built
 * for this call and dropped, not cached.
 */
status_t subgraph_shapes(const op_call_t *call, int graph, const tensor_t *inputs, int n_inputs,
                         tensor_t *outputs, error_t *err)
{
    const exec_call_t *ec = call->engine;
    const graph_t *body;
    subgraph_slot_t *slot;
    plan_t *plan = NULL;
    status_t st = bind_slot(call, graph, inputs, n_inputs, &slot, err);

    if (st)
        return st;
    body = ec->node->bodies[graph];
    st = plan_build(body, slot->inputs, 1, &plan, err);
    if (st)
        goto cleanup;
    /* Values past the first data-dependent step have no shape until it runs. */
    if (plan->end_node < body->n_nodes) {
        st = op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                     "subgraph %d's output shapes depend on the values it computes", graph);
        goto cleanup;
    }
    for (int k = 0; k < body->n_outputs; k++) {
        outputs[k] = plan->values[body->outputs[k]].desc;
        outputs[k].data = NULL;
    }
cleanup:
    if (st)
        error_prefix(err, "%s node '%s', subgraph %d", call->op_type, call->node, graph);
    plan_release(plan);
    return st;
}

void subgraph_contexts_free(engine_context_t *ctx)
{
    void **bodies = engine_context_bodies(ctx);
    const graph_t *g = engine_context_model(ctx)->graph;

    for (int i = 0; bodies && i < g->n_nodes; i++) {
        subgraph_slot_t *slots = bodies[i];
        for (int b = 0; slots && b < g->nodes[i].n_bodies; b++) {
            engine_context_free(slots[b].ctx);
            free(slots[b].inputs);
        }
        free(slots);
    }
}
