/*
 * fuzz_config.c - a model's config.json: model_config_load, then
 * model_config_complete against a small model, as the repository does.
 * A completed config written out (model_config_to_json) must load and
 * complete to the same JSON again, as config/model-config.md promises.
 *
 * Input: the config.json. The model, built once with protobuf-c, is
 *   x   FP32  [batch, 4]      -> y = Relu(x)     FP32  [batch, 4]
 *   ids INT64 [batch, len]    -> z = Add(ids, ids) INT64 [batch, len]
 * (batch and len symbolic), so both batching and fixed-dim configs fit it.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "fuzz_util.h"
#include "model_config.h"
#include "onnx.pb-c.h"

/* The model's name, as its folder would be called. */
#define FUZZ_MODEL_NAME "m"

static char config_path[PATH_MAX], again_path[PATH_MAX];
static backend_model_t *model;

/* A tensor value_info with dims given as numbers or, where params[d] is set, names. */
static void value_info(Onnx__ValueInfoProto *vi, Onnx__TypeProto *type, Onnx__TypeProto__Tensor *tt,
                       Onnx__TensorShapeProto *shape, Onnx__TensorShapeProto__Dimension *dims,
                       Onnx__TensorShapeProto__Dimension **dim_list, const char *name,
                       int elem_type, const char *param0, const char *param1, int64_t dim1)
{
    onnx__value_info_proto__init(vi);
    onnx__type_proto__init(type);
    onnx__type_proto__tensor__init(tt);
    onnx__tensor_shape_proto__init(shape);
    vi->name = (char *)name;
    vi->type = type;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tt;
    tt->has_elem_type = 1;
    tt->elem_type = elem_type;
    tt->shape = shape;
    shape->n_dim = 2;
    shape->dim = dim_list;
    for (int d = 0; d < 2; d++) {
        const char *param = d == 0 ? param0 : param1;
        onnx__tensor_shape_proto__dimension__init(&dims[d]);
        if (param) {
            dims[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dims[d].dim_param = (char *)param;
        } else {
            dims[d].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dims[d].dim_value = dim1;
        }
        dim_list[d] = &dims[d];
    }
}

/* Writes the model described above to path. */
static bool write_model(const char *path)
{
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    Onnx__OperatorSetIdProto opset = ONNX__OPERATOR_SET_ID_PROTO__INIT, *opsets[1] = {&opset};
    Onnx__NodeProto relu = ONNX__NODE_PROTO__INIT, add = ONNX__NODE_PROTO__INIT;
    Onnx__NodeProto *nodes[2] = {&relu, &add};
    Onnx__ValueInfoProto vis[4], *inputs[2] = {&vis[0], &vis[1]}, *outputs[2] = {&vis[2], &vis[3]};
    Onnx__TypeProto types[4];
    Onnx__TypeProto__Tensor tts[4];
    Onnx__TensorShapeProto shapes[4];
    Onnx__TensorShapeProto__Dimension dims[4][2], *dim_lists[4][2];
    char *relu_in[] = {"x"}, *relu_out[] = {"y"}, *add_in[] = {"ids", "ids"}, *add_out[] = {"z"};
    const char *names[4] = {"x", "ids", "y", "z"};
    uint8_t *bytes;
    size_t size;
    bool ok;

    for (int i = 0; i < 4; i++) {
        bool ids = i == 1 || i == 3;
        value_info(&vis[i], &types[i], &tts[i], &shapes[i], dims[i], dim_lists[i], names[i],
                   ids ? ONNX__TENSOR_PROTO__DATA_TYPE__INT64
                       : ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT,
                   "batch", ids ? "len" : NULL, 4);
    }
    relu.op_type = "Relu";
    relu.n_input = 1;
    relu.input = relu_in;
    relu.n_output = 1;
    relu.output = relu_out;
    add.op_type = "Add";
    add.n_input = 2;
    add.input = add_in;
    add.n_output = 1;
    add.output = add_out;
    opset.domain = "";
    opset.has_version = 1;
    opset.version = 13;
    m.has_ir_version = 1;
    m.ir_version = 8;
    m.n_opset_import = 1;
    m.opset_import = opsets;
    m.graph = &g;
    g.name = "config_fuzz";
    g.n_node = 2;
    g.node = nodes;
    g.n_input = 2;
    g.input = inputs;
    g.n_output = 2;
    g.output = outputs;
    size = onnx__model_proto__get_packed_size(&m);
    bytes = malloc(size);
    if (!bytes)
        return false;
    onnx__model_proto__pack(&m, bytes);
    ok = fuzz_write_file(path, bytes, size);
    free(bytes);
    return ok;
}

static void free_model(void)
{
    backend_model_free(model);
    model = NULL;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *root = fuzz_scratch_dir();
    char model_path[PATH_MAX];
    error_t err = {0};

    (void)argc;
    (void)argv;
    snprintf(config_path, sizeof config_path, "%s/config.json", root);
    snprintf(again_path, sizeof again_path, "%s/config-again.json", root);
    snprintf(model_path, sizeof model_path, "%s/model.onnx", root);
    FUZZ_CHECK(write_model(model_path));
    if (backend_model_load(NULL, model_path, NULL, &model, &err) != STATUS_OK) {
        fprintf(stderr, "fuzz_config: the harness's model does not load: %s\n", err.message);
        abort();
    }
    atexit(free_model);
    return 0;
}

/* Loads and completes the config at path; NULL when either fails, else its JSON (caller frees). */
static char *load_and_complete(const char *path, error_t *err)
{
    model_config_t *cfg = calloc(1, sizeof *cfg);
    char *json = NULL;

    FUZZ_CHECK(cfg != NULL);
    if (model_config_load(path, FUZZ_MODEL_NAME, cfg, err) == STATUS_OK &&
        model_config_complete(cfg, model, err) == STATUS_OK) {
        FUZZ_CHECK(cfg->n_inputs == 2 && cfg->n_outputs == 2);
        FUZZ_CHECK(strcmp(cfg->name, FUZZ_MODEL_NAME) == 0);
        json = model_config_to_json(cfg);
        FUZZ_CHECK(json != NULL);
    }
    free(cfg);
    return json;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    error_t err = {0};
    char *json, *again;

    if (!model)
        LLVMFuzzerInitialize(NULL, NULL);
    FUZZ_CHECK(fuzz_write_file(config_path, data, size));
    json = load_and_complete(config_path, &err);
    if (!json) {
        /* Every refusal names the file or the model, and what is wrong. */
        FUZZ_CHECK(err.message[0] && (strstr(err.message, config_path) ||
                                      strstr(err.message, "\"" FUZZ_MODEL_NAME "\"")));
        return 0;
    }
    FUZZ_CHECK(fuzz_write_file(again_path, json, strlen(json)));
    again = load_and_complete(again_path, &err);
    if (!again || strcmp(json, again) != 0) {
        fprintf(stderr, "completed config:\n%s\nread back:\n%s\n%s\n", json,
                again ? again : "(refused)", again ? "" : err.message);
        FUZZ_CHECK(!"a completed config reads back the same");
    }
    free(json);
    free(again);
    return 0;
}
