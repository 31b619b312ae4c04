/*
 * exec.h - the executor's private view shared by executor.c and
 * subgraph.c: what a running step's op_call_t.engine points to.
 */
#ifndef INFERD_EXEC_H
#define INFERD_EXEC_H

#include "model.h"

/* One buffer a dynamic step asked for (op_call_t.buffer); kept across runs, grows only. */
typedef struct exec_buffer {
    void *data;
    size_t bytes;
} exec_buffer_t;

/*
 * What a context keeps per segment depth (segment.h): depth 0 is the root
 * plan (ctx->plan, ctx->arena), deeper ones the continuations the last run
 * went through. buffers back the segment's dynamic step.
 */
typedef struct exec_segment {
    plan_t *plan; /* NULL at depth 0 */
    void *arena;
    size_t arena_bytes;
    exec_buffer_t buffers[NODE_MAX_OUTPUTS + OP_MAX_SCRATCH];
} exec_segment_t;

/* op_call_t.engine of a step the executor runs. */
typedef struct exec_call {
    engine_context_t *ctx;
    exec_segment_t *segment;
    const graph_node_t *node;
} exec_call_t;

/* op_call_t.buffer: slot's buffer in the running segment, grown to bytes. */
void *exec_buffer(const op_call_t *call, int slot, size_t bytes, error_t *err);

/* op_call_t.run_subgraph (subgraph.c). */
status_t subgraph_run(const op_call_t *call, int graph, const tensor_t *inputs, int n_inputs,
                      const tensor_t **outputs, error_t *err);

/* op_call_t.shape_subgraph (subgraph.c). */
status_t subgraph_shapes(const op_call_t *call, int graph, const tensor_t *inputs, int n_inputs,
                         tensor_t *outputs, error_t *err);

/* Sub-contexts of the control-flow nodes a context ran (subgraph.c); NULL is a no-op. */
void subgraph_contexts_free(engine_context_t *ctx);

/* Per node of ctx's graph, subgraph.c's record of its subgraphs' contexts (NULL until it runs). */
void **engine_context_bodies(engine_context_t *ctx);
int engine_context_threads(const engine_context_t *ctx);
/* engine_context_set_deadline's value: 0 when there is none. */
int64_t engine_context_deadline(const engine_context_t *ctx);
engine_model_t *engine_context_model(const engine_context_t *ctx);

#endif
