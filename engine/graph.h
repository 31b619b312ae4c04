/*
 * graph.h - the engine's in-memory model: values (tensors by name) and
 * nodes, independent of the file format. Import fills it, the compiler
 * rewrites it in place, plans read it.
 *
 * Everything hangs off graph->arena; values and nodes refer to each other by
 * index, so arrays may grow without dangling pointers.
 */
#ifndef INFERD_GRAPH_H
#define INFERD_GRAPH_H

#include <stdbool.h>

#include "arena.h"
#include "attr.h"
#include "op.h"
#include "tensor.h"

/* Values and nodes a model may have; bounds the work any file can cause. */
#define GRAPH_MAX_VALUES (1 << 20)
#define GRAPH_MAX_NODES  (1 << 19)
#define NODE_MAX_INPUTS  1024
#define NODE_MAX_OUTPUTS 256
/* Nesting of subgraphs (a Loop in an If in a Loop ...) a model may have. */
#define GRAPH_MAX_DEPTH 16
/* Subgraphs (If branches, Loop and Scan bodies) one model may have, at all depths. */
#define GRAPH_MAX_SUBGRAPHS 4096

/* dims[i] when the model does not fix it. */
#define DIM_DYNAMIC (-1)

struct engine_model;

typedef struct graph_value {
    const char *name;
    dtype_t dtype;                           /* DTYPE_UNDEFINED if not declared */
    int rank;                                /* -1 if not declared */
    int64_t dims[TENSOR_MAX_RANK];           /* DIM_DYNAMIC where unknown */
    const char *dim_params[TENSOR_MAX_RANK]; /* symbolic dim names, or NULL */
    tensor_t *constant;                      /* known at compile time, or NULL */
    int producer;                            /* node index, or -1 */
    int consumers;                           /* inputs of live nodes referring to it */
    bool value_keyed;                        /* a graph input whose values shape the plan */
} graph_value_t;

typedef struct graph_node {
    const char *name;
    const char *op_type;
    const char *domain;
    int n_inputs;
    int *inputs; /* value indices, -1 for an omitted optional input */
    int n_outputs;
    int *outputs; /* value indices, -1 for an omitted optional output */
    attrs_t attrs;
    const op_schema_t *schema;
    void *params;
    void *state; /* from kernel->pack, freed with kernel->release */
    bool removed;
    /*
     * Subgraph attributes (If branches, Loop and Scan bodies), indexed by
     * their attr_t.graph; owned by the graph (graph_t.subgraphs). The
     * outer-scope values they read are inputs of this node after its
     * formal ones (n_implicit of them), so passes and plans see them.
     */
    struct graph **bodies;
    int n_bodies;
    int n_implicit;
} graph_node_t;

typedef struct graph {
    arena_t arena;
    graph_value_t *values; /* malloc'd, grows */
    int n_values;
    int cap_values;
    graph_node_t *nodes; /* malloc'd */
    int n_nodes;
    int *inputs; /* value indices of the runtime inputs (initializers excluded) */
    int n_inputs;
    int *outputs; /* value indices of the graph outputs */
    const char **output_names;
    int n_outputs;
    int opset;
    size_t weight_bytes;
    /*
     * Set before graph_compile: pack kernels that can should pack their
     * weights in bf16 (op_call_t.bf16). bf16_layers counts those that did,
     * in this graph and its subgraphs, after graph_compile.
     */
    bool bf16;
    /*
     * Quantized Conv, MatMul and Gemm nodes (DequantizeLinear operands) that
     * no int8 kernel took, so they run in float on dequantized tensors
     * (engine/fuse_qdq.c), in this graph and its subgraphs after
     * graph_compile: a fallback route (engine_model_fallback_layers).
     */
    int qdq_float_layers;
    int bf16_layers;
    /* Every subgraph of this graph's nodes, owned and freed with it. */
    struct graph **subgraphs;
    int n_subgraphs;
    /*
     * In a subgraph: its inputs are the n_formal_inputs the op gives, then
     * the outer-scope values it reads, inputs[n_formal_inputs + i] coming
     * from input outer_inputs[i] of the node that owns it. depth is its
     * nesting (0 for the model's graph).
     */
    int n_formal_inputs;
    int *outer_inputs;
    int depth;
    /* The compiled subgraph's runner (engine/subgraph.c), set after compiling. */
    struct engine_model *model;
} graph_t;

/* Frees everything the graph holds, including packed kernel state; NULL is a no-op. */
void graph_free(graph_t *g);

/* Adds a value named name (copied); returns its index or -1 when out of memory. */
int graph_add_value(graph_t *g, const char *name);

/* Index of the value called name, or -1. Linear; import keeps its own map. */
int graph_find_value(const graph_t *g, const char *name);

/*
 * Imports the ONNX model at path into a new graph (*out, owned by the
 * caller). Resolves each node's schema and adapts its attributes.
 */
status_t onnx_import(const char *path, graph_t **out, error_t *err);

/*
 * Graph passes, in place: topological sort (rejecting cycles), constant
 * folding, removal of Identity/Dropout and dead nodes, value-keyed input
 * marking, weight packing.
 */
status_t graph_compile(graph_t *g, error_t *err);

/*
 * Infers a node's outputs and, when every input is present in inputs with
 * data, runs it, storing results in arena-owned tensors. Shared by compile
 * time and plan time folding. outputs has node->n_outputs entries.
 */
status_t graph_node_infer(const graph_t *g, const graph_node_t *node, const tensor_t **inputs,
                          tensor_t *outputs, size_t *workspace, error_t *err);
status_t graph_node_fold(const graph_t *g, const graph_node_t *node, const tensor_t **inputs,
                         tensor_t *outputs, arena_t *arena, error_t *err);

/*
 * Bytes a folded node may make beyond what its known inputs hold. A node
 * whose fold would grow more (ConstantOfShape, Expand, Tile or Range from a
 * few numbers) runs as a step instead, at compile time and in plans, so a
 * model cannot have a few bytes of file folded into gigabytes.
 */
#define GRAPH_FOLD_MAX_GROWTH ((size_t)16 << 20)

/*
 * True when folding node (outputs and workspace as graph_node_infer gave
 * them) would grow past GRAPH_FOLD_MAX_GROWTH.
 */
bool graph_node_fold_grows(const graph_node_t *node, const tensor_t **inputs,
                           const tensor_t *outputs, size_t workspace);

#endif
