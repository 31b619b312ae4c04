/*
 * fuse_match.h - compile-time fusion passes for transformer patterns and
 * the graph-matching helpers they share.
 *
 * Each pass runs after constant folding (so weights and pattern constants
 * are graph constants) and before liveness. A match rewrites the pattern's
 * LAST node in place into an internal op (whose schema is not in the
 * registry, so only these passes can create it) and marks the other
 * pattern nodes removed; every input of the fused node is produced before
 * that last node, so the topological order stays valid. Intermediate
 * values must have no consumer outside the pattern and must not be graph
 * outputs.
 */
#ifndef INFERD_FUSE_MATCH_H
#define INFERD_FUSE_MATCH_H

#include "graph.h"

/* Relative tolerance when recognising a pattern's constants (0.5, sqrt 2, eps...). */
#define FUSE_CONST_TOLERANCE 1e-6f

/*
 * Per value, the inputs of live nodes that read it, plus one if it is a
 * graph output. malloc'd (NULL when out of memory).
 */
int *fuse_consumers(const graph_t *g);

/* Looks at one live node of a pass's op type and rewrites the pattern ending there, or not. */
typedef status_t (*fuse_match_fn)(graph_t *g, const int *consumers, graph_node_t *node,
                                  error_t *err);

/*
 * The driver of a pass: calls match on every node that is live and of
 * op_type when the loop reaches it, in topological order, with the
 * consumer counts taken once before the first (fuse_consumers).
 */
status_t fuse_each(graph_t *g, const char *op_type, fuse_match_fn match, error_t *err);

/* The live node producing value v if its op_type is op_type, else NULL. */
graph_node_t *fuse_producer(graph_t *g, int v, const char *op_type);

/* The one live node reading v when v has exactly one consumer and it is op_type, else NULL. */
graph_node_t *fuse_sole_consumer(graph_t *g, const int *consumers, int v, const char *op_type);

/*
 * True if v is a one-element float constant within FUSE_CONST_TOLERANCE of
 * want, or equal to want rounded to float16 or bfloat16 (a half model's).
 */
bool fuse_is_scalar(const graph_t *g, int v, float want);

/* The float value of v when it is a one-element float constant. */
bool fuse_scalar(const graph_t *g, int v, float *out);

/* For a two-input node reading v, the other input; -1 if it does not read v. */
int fuse_other_input(const graph_node_t *node, int v);

/*
 * Turns node into the internal op of schema with the given inputs and
 * params (allocated in the graph's arena by the caller, or NULL).
 */
status_t fuse_rewrite(graph_t *g, graph_node_t *node, const op_schema_t *schema, void *params,
                      int n_inputs, const int *inputs, error_t *err);

/* Conv -> inference BatchNormalization -> Conv with the normalisation folded into W and B. */
status_t fuse_batchnorm(graph_t *g, error_t *err);

/* x * 0.5 * (1 + erf(x / sqrt 2)) in its exported arrangements -> inferd.Gelu. */
status_t fuse_gelu(graph_t *g, error_t *err);

/* MatMul + Add(bias) [+ inferd.Gelu] -> inferd.FusedMatMul. */
status_t fuse_matmul(graph_t *g, error_t *err);

/* The decomposed LayerNormalization over the last axis -> LayerNormalization. */
status_t fuse_layernorm(graph_t *g, error_t *err);

/* MatMul(Q, Kt), scale, [mask Add], Softmax, MatMul(., V) -> inferd.Attention. */
status_t fuse_attention(graph_t *g, error_t *err);

/*
 * DequantizeLinear -> Conv | MatMul | Gemm [-> Relu] [-> QuantizeLinear]
 * -> inferd.QLinearConv | inferd.QLinearMatMul (fuse_qdq.c). Runs before
 * the constant DequantizeLinear nodes of the weights are folded.
 */
status_t fuse_qdq(graph_t *g, error_t *err);

#endif
