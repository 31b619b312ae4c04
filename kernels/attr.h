/*
 * attr.h - node attributes as plain structs, so operator adapters read them
 * without knowing the model format. The engine fills these from ONNX
 * AttributeProto; the storage belongs to the engine's model and lives as
 * long as it, so adapters may keep pointers into it in their params.
 */
#ifndef INFERD_ATTR_H
#define INFERD_ATTR_H

#include <stddef.h>
#include <stdint.h>

#include "tensor.h"

/* Values are ONNX's AttributeProto.AttributeType. */
typedef enum attr_type {
    ATTR_UNDEFINED = 0,
    ATTR_FLOAT = 1,
    ATTR_INT = 2,
    ATTR_STRING = 3,
    ATTR_TENSOR = 4,
    ATTR_GRAPH = 5,
    ATTR_FLOATS = 6,
    ATTR_INTS = 7,
    ATTR_STRINGS = 8,
    ATTR_TENSORS = 9,
    ATTR_GRAPHS = 10,
    ATTR_SPARSE_TENSOR = 11,
    ATTR_SPARSE_TENSORS = 12,
    ATTR_TYPE_PROTO = 13,
    ATTR_TYPE_PROTOS = 14,
} attr_type_t;

typedef struct attr {
    const char *name;
    attr_type_t type;
    int64_t i;                  /* ATTR_INT */
    float f;                    /* ATTR_FLOAT */
    const char *s;              /* ATTR_STRING, NUL-terminated */
    size_t count;               /* ATTR_INTS, ATTR_FLOATS, ATTR_STRINGS */
    const int64_t *ints;        /* ATTR_INTS */
    const float *floats;        /* ATTR_FLOATS */
    const char *const *strings; /* ATTR_STRINGS, each NUL-terminated */
    const tensor_t *t;          /* ATTR_TENSOR, with its data */
    /*
     * ATTR_GRAPH: the subgraph's index among the node's subgraphs (what
     * op_call_t.run_subgraph takes) and its formal input and output counts
     * (outer-scope values it reads are not counted).
     */
    int graph;
    int graph_inputs;
    int graph_outputs;
} attr_t;

typedef struct attrs {
    const attr_t *items;
    size_t count;
} attrs_t;

/* The attribute called name, or NULL. */
const attr_t *attrs_find(const attrs_t *attrs, const char *name);

#endif
