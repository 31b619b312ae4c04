/*
 * half_pass.h - the compiler's handling of float16 and bfloat16 models
 * (engine/half.c says how and why): they run as float models whose big
 * weights stay half.
 */
#ifndef INFERD_HALF_PASS_H
#define INFERD_HALF_PASS_H

#include "graph.h"

/*
 * Rewrites g (before folding) so that every value its kernels compute on is
 * float, except the half values Cast and weight-packing kernels read. Graph outputs keep their
 * declared types. A no-op for a model without half values.
 */
status_t graph_widen_halves(graph_t *g, error_t *err);

/*
 * Input k of node, a half constant whose kernel did not pack it, becomes a
 * float copy of it (a new constant value of g's arena), so the kernel runs
 * as on a float model. The half constant is left to whoever else reads it.
 */
status_t half_widen_constant_input(graph_t *g, graph_node_t *node, int k, error_t *err);

#endif
