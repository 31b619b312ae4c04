/*
 * model_builder.h - builds small ONNX models with protobuf-c for engine
 * tests: graphs with input x [N,3] (N symbolic) written to a temporary
 * folder. Header-only; each test is one translation unit.
 */
#ifndef INFERD_TEST_MODEL_BUILDER_H
#define INFERD_TEST_MODEL_BUILDER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"

/* Allocations a test may make through mk(). */
#define POOL_MAX 4096

static void *builder_pool[POOL_MAX];
static int builder_pool_used;
/* The folder models are written to; mkdtemp fills in the Xs. */
static char tmp_dir[] = "/tmp/inferd-engine-test-XXXXXX";

/* Zeroed memory that lives until the end of the test. */
static inline void *mk(size_t size)
{
    void *p = calloc(1, size);
    if (!p || builder_pool_used == POOL_MAX)
        abort();
    builder_pool[builder_pool_used++] = p;
    return p;
}

static inline Onnx__ValueInfoProto *value_info(const char *name, int rank, const int64_t *dims,
                                               const char *batch_param)
{
    Onnx__ValueInfoProto *vi = mk(sizeof *vi);
    Onnx__TypeProto *type = mk(sizeof *type);
    Onnx__TypeProto__Tensor *tt = mk(sizeof *tt);
    Onnx__TensorShapeProto *shape = mk(sizeof *shape);

    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(type);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(shape);
    vi->name = (char *)name;
    vi->type = type;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt->shape = shape;
    shape->n_dim = (size_t)rank;
    shape->dim = mk((size_t)rank * sizeof *shape->dim);
    for (int d = 0; d < rank; d++) {
        Onnx__TensorShapeProto__Dimension *dim = mk(sizeof *dim);
        onnx__tensor_shape_proto__dimension__init(dim);
        if (d == 0 && batch_param) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = (char *)batch_param;
        } else {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = dims[d];
        }
        shape->dim[d] = dim;
    }
    return vi;
}

static inline Onnx__TensorProto *float_tensor(const char *name, int64_t n, const float *values,
                                              bool raw)
{
    Onnx__TensorProto *t = mk(sizeof *t);

    onnx__tensor_proto__init(t);
    t->name = (char *)name;
    t->has_data_type = 1;
    t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    t->n_dims = 1;
    t->dims = mk(sizeof *t->dims);
    t->dims[0] = n;
    if (!values)
        return t;
    if (raw) {
        t->has_raw_data = 1;
        t->raw_data.len = (size_t)n * sizeof(float);
        t->raw_data.data = mk(t->raw_data.len);
        memcpy(t->raw_data.data, values, t->raw_data.len);
    } else {
        t->n_float_data = (size_t)n;
        t->float_data = mk((size_t)n * sizeof(float));
        memcpy(t->float_data, values, (size_t)n * sizeof(float));
    }
    return t;
}

static inline Onnx__NodeProto *node(const char *op, const char *name, const char *in0,
                                    const char *in1, const char *out)
{
    Onnx__NodeProto *n = mk(sizeof *n);

    onnx__node_proto__init(n);
    n->op_type = (char *)op;
    n->name = (char *)name;
    n->input = mk(2 * sizeof(char *));
    n->input[n->n_input++] = (char *)in0;
    if (in1)
        n->input[n->n_input++] = (char *)in1;
    n->output = mk(sizeof(char *));
    n->output[n->n_output++] = (char *)out;
    return n;
}

typedef struct model_spec {
    int opset;
    Onnx__NodeProto *nodes[8];
    int n_nodes;
    Onnx__TensorProto *inits[4];
    int n_inits;
    const char *output;
} model_spec_t;

/*
 * Writes a model with input x [N,cols] (N symbolic; dim 1 symbolic too,
 * named cols_param, when that is not NULL) and output spec->output of the
 * same shape.
 */
static inline const char *write_model_shaped(const model_spec_t *spec, const char *file,
                                             int64_t cols, const char *cols_param)
{
    static char path[512];
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__OperatorSetIdProto *opsets[1] = {&opset};
    Onnx__ValueInfoProto *inputs[1], *outputs[1];
    const int64_t dims[2] = {0, cols};
    uint8_t *bytes;
    size_t size;
    FILE *f;

    opset.domain = "";
    opset.has_version = 1;
    opset.version = spec->opset;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = opsets;
    m.graph = &g;
    g.name = "test";
    g.n_node = (size_t)spec->n_nodes;
    g.node = (Onnx__NodeProto **)spec->nodes;
    g.n_initializer = (size_t)spec->n_inits;
    g.initializer = (Onnx__TensorProto **)spec->inits;
    inputs[0] = value_info("x", 2, dims, "N");
    outputs[0] = value_info(spec->output, 2, dims, "N");
    for (int k = 0; cols_param && k < 2; k++) {
        Onnx__ValueInfoProto *vi = k == 0 ? inputs[0] : outputs[0];
        Onnx__TensorShapeProto__Dimension *d = vi->type->tensor_type->shape->dim[1];
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d->dim_param = (char *)cols_param;
    }
    g.n_input = 1;
    g.input = inputs;
    g.n_output = 1;
    g.output = outputs;
    size = onnx__model_proto__get_packed_size(&m);
    bytes = mk(size);
    onnx__model_proto__pack(&m, bytes);
    snprintf(path, sizeof path, "%s/%s", tmp_dir, file);
    f = fopen(path, "wb");
    fwrite(bytes, 1, size, f);
    fclose(f);
    return path;
}

/* Writes a model with input x [N,3] (N symbolic) and output spec->output [N,3]. */
static inline const char *write_model(const model_spec_t *spec, const char *file)
{
    return write_model_shaped(spec, file, 3, NULL);
}

/* Frees everything mk() handed out. */
static inline void builder_free(void)
{
    for (int i = 0; i < builder_pool_used; i++)
        free(builder_pool[i]);
    builder_pool_used = 0;
}

#endif
