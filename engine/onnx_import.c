/*
 * onnx_import.c - ONNX ModelProto (protobuf-c) -> graph_t.
 *
 * Checks everything a later stage relies on: names resolve, each value has
 * one producer, dtypes and shapes are sane, ops are known at the model's
 * opset. Every failure names the node and op (or the tensor) involved.
 */
#include "graph.h"
#include "onnx_tensor.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Largest model file accepted: protobuf messages cannot exceed 2 GiB. */
#define ONNX_MODEL_MAX_BYTES (INT64_C(2) << 30)

/* Open-addressing map from value name to index, used while importing. */
typedef struct name_map {
    int *slots; /* value index + 1; 0 = empty */
    size_t mask;
} name_map_t;

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211u;
    return h;
}

static int name_map_init(name_map_t *m, size_t expected)
{
    size_t size = 64;
    while (size < expected * 2)
        size *= 2;
    m->slots = calloc(size, sizeof *m->slots);
    m->mask = size - 1;
    return m->slots ? 0 : -1;
}

/* The slot where name is or would be. */
static int *name_map_slot(const name_map_t *m, const graph_t *g, const char *name)
{
    size_t i = hash_name(name) & m->mask;
    while (m->slots[i] && strcmp(g->values[m->slots[i] - 1].name, name) != 0)
        i = (i + 1) & m->mask;
    return &m->slots[i];
}

typedef struct importer {
    graph_t *g;
    Onnx__ModelProto *model;
    name_map_t names;
    char model_dir[PATH_MAX];
} importer_t;

static status_t read_file(const char *path, uint8_t **data, size_t *size, error_t *err)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    status_t rc = STATUS_OK;

    *data = NULL;
    if (!f)
        return error_set(err, errno == ENOENT ? STATUS_NOT_FOUND : STATUS_IO,
                         "cannot open model '%s': %s", path, strerror(errno));
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = error_set(err, STATUS_IO, "model '%s' is not a regular file", path);
        goto cleanup;
    }
    if (st.st_size > ONNX_MODEL_MAX_BYTES) {
        rc = error_set(err, STATUS_LIMIT_EXCEEDED, "model '%s' is %lld bytes, over the %lld limit",
                       path, (long long)st.st_size, (long long)ONNX_MODEL_MAX_BYTES);
        goto cleanup;
    }
    *size = (size_t)st.st_size;
    *data = malloc(*size ? *size : 1);
    if (!*data) {
        rc = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory reading '%s'", path);
        goto cleanup;
    }
    if (fread(*data, 1, *size, f) != *size) {
        rc = error_set(err, STATUS_IO, "cannot read model '%s'", path);
        free(*data);
        *data = NULL;
    }
cleanup:
    fclose(f);
    return rc;
}

/* Finds the value called name, creating it when create is set. */
static int lookup_value(importer_t *im, const char *name, bool create)
{
    int *slot = name_map_slot(&im->names, im->g, name);
    int index;

    if (*slot)
        return *slot - 1;
    if (!create)
        return -1;
    index = graph_add_value(im->g, name);
    if (index < 0)
        return -1;
    /* The map may need to grow: keep it at most half full. */
    if ((size_t)im->g->n_values * 2 > im->names.mask) {
        name_map_t bigger;
        if (name_map_init(&bigger, (size_t)im->g->n_values * 2) != 0)
            return -1;
        for (int i = 0; i < im->g->n_values; i++)
            *name_map_slot(&bigger, im->g, im->g->values[i].name) = i + 1;
        free(im->names.slots);
        im->names = bigger;
    } else {
        *slot = index + 1;
    }
    return index;
}

static status_t read_opset(importer_t *im, error_t *err)
{
    const Onnx__ModelProto *m = im->model;

    im->g->opset = -1;
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = m->opset_import[i];
        if (!o->domain || o->domain[0] == '\0' || strcmp(o->domain, "ai.onnx") == 0)
            im->g->opset = (int)o->version;
    }
    if (im->g->opset < 0) {
        /* IR version 1-2 models predate opset_import and use opset 1. */
        if (m->has_ir_version && m->ir_version < 3)
            im->g->opset = 1;
        else if (m->n_opset_import > 0)
            return error_set(err, STATUS_UNSUPPORTED,
                             "model imports only the '%s' domain, which inferd does not support",
                             m->opset_import[0]->domain);
        else
            return error_set(err, STATUS_INVALID_MODEL, "model imports no opset");
    }
    if (im->g->opset < OPSET_MIN || im->g->opset > OPSET_MAX)
        return error_set(err, STATUS_UNSUPPORTED,
                         "model uses opset %d; inferd supports opsets %d to %d", im->g->opset,
                         OPSET_MIN, OPSET_MAX);
    return STATUS_OK;
}

static status_t import_initializers(importer_t *im, error_t *err)
{
    const Onnx__GraphProto *gp = im->model->graph;
    graph_t *g = im->g;

    if (gp->n_sparse_initializer)
        return error_set(err, STATUS_UNSUPPORTED, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        Onnx__TensorProto *tp = gp->initializer[i];
        char what[256];
        int v;
        status_t st;

        if (!tp->name || !tp->name[0])
            return error_set(err, STATUS_INVALID_MODEL, "initializer %zu has no name", i);
        snprintf(what, sizeof what, "initializer '%s'", tp->name);
        v = lookup_value(im, tp->name, true);
        if (v < 0)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        if (g->values[v].constant)
            return error_set(err, STATUS_INVALID_MODEL, "%s is defined twice", what);
        g->values[v].constant = arena_alloc(&g->arena, sizeof(tensor_t));
        if (!g->values[v].constant)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        st = onnx_tensor_convert(tp, im->model_dir, what, &g->arena, g->values[v].constant, err);
        if (st)
            return st;
        g->values[v].dtype = g->values[v].constant->dtype;
        g->values[v].rank = g->values[v].constant->rank;
        memcpy(g->values[v].dims, g->values[v].constant->dims, sizeof g->values[v].dims);
        g->weight_bytes += tensor_bytes(g->values[v].constant);
    }
    return STATUS_OK;
}

/* Copies a declared tensor type (dtype, rank, dims, symbolic names) onto value v. */
static status_t read_value_info(importer_t *im, const Onnx__ValueInfoProto *vi, int v, error_t *err)
{
    graph_value_t *val = &im->g->values[v];
    const Onnx__TypeProto *type = vi->type;
    const Onnx__TypeProto__Tensor *tt;

    if (!type)
        return STATUS_OK;
    if (type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return error_set(err, STATUS_UNSUPPORTED, "value '%s' is not a tensor", vi->name);
    tt = type->tensor_type;
    if (tt->has_elem_type)
        val->dtype = (dtype_t)tt->elem_type;
    if (!tt->shape)
        return STATUS_OK;
    if (tt->shape->n_dim > TENSOR_MAX_RANK)
        return error_set(err, STATUS_UNSUPPORTED, "value '%s' has rank %zu, over the maximum %d",
                         vi->name, tt->shape->n_dim, TENSOR_MAX_RANK);
    val->rank = (int)tt->shape->n_dim;
    for (int d = 0; d < val->rank; d++) {
        const Onnx__TensorShapeProto__Dimension *dim = tt->shape->dim[d];
        val->dims[d] = DIM_DYNAMIC;
        val->dim_params[d] = NULL;
        if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
            if (dim->dim_value < 0 || dim->dim_value > TENSOR_MAX_ELEMENTS)
                return error_set(err, STATUS_INVALID_MODEL,
                                 "value '%s': dimension %d is %lld, outside [0, %lld]", vi->name, d,
                                 (long long)dim->dim_value, (long long)TENSOR_MAX_ELEMENTS);
            val->dims[d] = dim->dim_value;
        } else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   dim->dim_param[0]) {
            val->dim_params[d] = arena_strdup(&im->g->arena, dim->dim_param);
            if (!val->dim_params[d])
                return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        }
    }
    return STATUS_OK;
}

static status_t import_inputs(importer_t *im, error_t *err)
{
    const Onnx__GraphProto *gp = im->model->graph;
    graph_t *g = im->g;

    g->inputs = arena_alloc(&g->arena, (gp->n_input + 1) * sizeof(int));
    if (!g->inputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        int v;
        status_t st;

        if (!vi->name || !vi->name[0])
            return error_set(err, STATUS_INVALID_MODEL, "graph input %zu has no name", i);
        v = lookup_value(im, vi->name, true);
        if (v < 0)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        /* An input with an initializer is a default that we treat as constant. */
        if (g->values[v].constant)
            continue;
        for (int k = 0; k < g->n_inputs; k++)
            if (g->inputs[k] == v)
                return error_set(err, STATUS_INVALID_MODEL, "graph input '%s' is listed twice",
                                 vi->name);
        st = read_value_info(im, vi, v, err);
        if (st)
            return st;
        if (g->values[v].dtype == DTYPE_UNDEFINED || dtype_size(g->values[v].dtype) == 0)
            return error_set(err, STATUS_UNSUPPORTED, "graph input '%s' has dtype %s", vi->name,
                             dtype_name(g->values[v].dtype));
        g->inputs[g->n_inputs++] = v;
    }
    return STATUS_OK;
}

static status_t import_attribute(importer_t *im, const Onnx__NodeProto *np,
                                 Onnx__AttributeProto *ap, attr_t *out, error_t *err)
{
    arena_t *arena = &im->g->arena;

    if (!ap->name)
        return error_set(err, STATUS_INVALID_MODEL, "%s node '%s': attribute without a name",
                         np->op_type, np->name ? np->name : "");
    out->name = arena_strdup(arena, ap->name);
    out->type = ap->has_type ? (attr_type_t)ap->type : ATTR_UNDEFINED;
    if (!out->name)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (ap->ref_attr_name && ap->ref_attr_name[0])
        return error_set(err, STATUS_UNSUPPORTED,
                         "%s node '%s': attribute '%s' refers to a function attribute", np->op_type,
                         np->name ? np->name : "", ap->name);
    switch (out->type) {
    case ATTR_FLOAT:
        out->f = ap->f;
        break;
    case ATTR_INT:
        out->i = ap->i;
        break;
    case ATTR_STRING: {
        char *s = arena_alloc(arena, ap->s.len + 1);
        if (!s)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        if (ap->s.len)
            memcpy(s, ap->s.data, ap->s.len);
        out->s = s;
        break;
    }
    case ATTR_INTS:
        out->count = ap->n_ints;
        out->ints = arena_memdup(arena, ap->ints, ap->n_ints * sizeof(int64_t));
        if (!out->ints)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        break;
    case ATTR_FLOATS:
        out->count = ap->n_floats;
        out->floats = arena_memdup(arena, ap->floats, ap->n_floats * sizeof(float));
        if (!out->floats)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        break;
    case ATTR_TENSOR: {
        char what[256];
        tensor_t *t = arena_alloc(arena, sizeof *t);
        if (!t || !ap->t)
            return error_set(err, t ? STATUS_INVALID_MODEL : STATUS_OUT_OF_MEMORY,
                             "%s node '%s': attribute '%s' has no tensor", np->op_type,
                             np->name ? np->name : "", ap->name);
        snprintf(what, sizeof what, "%s node '%s' attribute '%s'", np->op_type,
                 np->name ? np->name : "", ap->name);
        out->t = t;
        return onnx_tensor_convert(ap->t, im->model_dir, what, arena, t, err);
    }
    default:
        /* Graphs, sparse tensors and lists of strings/tensors: no supported op reads them. */
        break;
    }
    return STATUS_OK;
}

/* Resolves the op's schema at the model's opset and runs its adapter. */
static status_t bind_schema(importer_t *im, graph_node_t *n, error_t *err)
{
    graph_t *g = im->g;
    op_adapt_t a;

    if (n->domain[0] && strcmp(n->domain, "ai.onnx") != 0)
        return error_set(err, STATUS_UNSUPPORTED, "unsupported op '%s' of domain '%s' (node '%s')",
                         n->op_type, n->domain, n->name);
    n->schema = op_registry_find(n->op_type, g->opset);
    if (!n->schema) {
        if (op_registry_has_op(n->op_type))
            return error_set(err, STATUS_UNSUPPORTED,
                             "op '%s' (node '%s') is not supported at opset %d", n->op_type,
                             n->name, g->opset);
        return error_set(err, STATUS_UNSUPPORTED, "unsupported op '%s' (node '%s')", n->op_type,
                         n->name);
    }
    if (n->schema->kernel->params_size) {
        n->params = arena_alloc(&g->arena, n->schema->kernel->params_size);
        if (!n->params)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    if (!n->schema->adapt)
        return STATUS_OK;
    a.op_type = n->op_type;
    a.node = n->name;
    a.opset = g->opset;
    a.attrs = &n->attrs;
    a.n_inputs = n->n_inputs;
    a.n_outputs = n->n_outputs;
    return n->schema->adapt(&a, n->params, err);
}

/* First pass over a node: names, attributes and the values it defines. */
static status_t import_node(importer_t *im, size_t index, error_t *err)
{
    graph_t *g = im->g;
    Onnx__NodeProto *np = im->model->graph->node[index];
    graph_node_t *n = &g->nodes[index];
    char fallback[32];
    size_t n_outputs = np->n_output;

    if (!np->op_type || !np->op_type[0])
        return error_set(err, STATUS_INVALID_MODEL, "node %zu has no op_type", index);
    snprintf(fallback, sizeof fallback, "#%zu", index);
    n->name = arena_strdup(&g->arena, np->name && np->name[0] ? np->name : fallback);
    n->op_type = arena_strdup(&g->arena, np->op_type);
    n->domain = arena_strdup(&g->arena, np->domain ? np->domain : "");
    if (!n->name || !n->op_type || !n->domain)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (np->n_input > NODE_MAX_INPUTS || np->n_output > NODE_MAX_OUTPUTS)
        return error_set(err, STATUS_LIMIT_EXCEEDED, "%s node '%s' has too many inputs/outputs",
                         n->op_type, n->name);
    /* Trailing omitted outputs are dropped; inner ones become anonymous values. */
    while (n_outputs > 0 && (!np->output[n_outputs - 1] || !np->output[n_outputs - 1][0]))
        n_outputs--;
    n->n_inputs = (int)np->n_input;
    n->n_outputs = (int)n_outputs;
    n->inputs = arena_alloc(&g->arena, (np->n_input + 1) * sizeof(int));
    n->outputs = arena_alloc(&g->arena, (n_outputs + 1) * sizeof(int));
    n->attrs.items = arena_alloc(&g->arena, (np->n_attribute + 1) * sizeof(attr_t));
    if (!n->inputs || !n->outputs || !n->attrs.items)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < np->n_attribute; i++) {
        status_t st = import_attribute(im, np, np->attribute[i], (attr_t *)&n->attrs.items[i], err);
        if (st)
            return st;
        n->attrs.count++;
    }
    for (size_t i = 0; i < n_outputs; i++) {
        const char *name = np->output[i];
        int v;
        if (!name || !name[0]) {
            v = graph_add_value(g, "");
        } else {
            v = lookup_value(im, name, true);
            if (v >= 0 && (g->values[v].producer >= 0 || g->values[v].constant)) {
                return error_set(err, STATUS_INVALID_MODEL,
                                 "%s node '%s': output '%s' is already defined elsewhere",
                                 n->op_type, n->name, name);
            }
            for (int k = 0; v >= 0 && k < g->n_inputs; k++)
                if (g->inputs[k] == v)
                    return error_set(err, STATUS_INVALID_MODEL,
                                     "%s node '%s': output '%s' is also a graph input", n->op_type,
                                     n->name, name);
        }
        if (v < 0)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        g->values[v].producer = (int)index;
        n->outputs[i] = v;
    }
    return STATUS_OK;
}

/* Second pass: every input name must be an input, initializer or node output. */
static status_t link_node_inputs(importer_t *im, size_t index, error_t *err)
{
    Onnx__NodeProto *np = im->model->graph->node[index];
    graph_node_t *n = &im->g->nodes[index];

    for (size_t i = 0; i < np->n_input; i++) {
        const char *name = np->input[i];
        int v = -1;
        if (name && name[0]) {
            v = lookup_value(im, name, false);
            /* Values exist only as inputs, initializers or node outputs. */
            if (v < 0) {
                return error_set(err, STATUS_INVALID_MODEL,
                                 "%s node '%s': input '%s' is not produced by any node, graph "
                                 "input or initializer (missing initializer?)",
                                 n->op_type, n->name, name);
            }
        }
        n->inputs[i] = v;
    }
    return bind_schema(im, n, err);
}

static status_t import_outputs(importer_t *im, error_t *err)
{
    const Onnx__GraphProto *gp = im->model->graph;
    graph_t *g = im->g;

    g->outputs = arena_alloc(&g->arena, (gp->n_output + 1) * sizeof(int));
    g->output_names = arena_alloc(&g->arena, (gp->n_output + 1) * sizeof(char *));
    if (!g->outputs || !g->output_names)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (gp->n_output == 0)
        return error_set(err, STATUS_INVALID_MODEL, "graph has no outputs");
    for (size_t i = 0; i < gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi = gp->output[i];
        int v = vi->name ? lookup_value(im, vi->name, false) : -1;
        if (v < 0)
            return error_set(err, STATUS_INVALID_MODEL,
                             "graph output '%s' is not produced by any node, input or initializer",
                             vi->name ? vi->name : "");
        /* Declared output types are descriptive; the plan infers the real ones. */
        if (g->values[v].producer >= 0 && g->values[v].dtype == DTYPE_UNDEFINED) {
            status_t st = read_value_info(im, vi, v, err);
            if (st)
                return st;
        }
        g->outputs[i] = v;
        g->output_names[i] = g->values[v].name;
        g->n_outputs++;
    }
    return STATUS_OK;
}

status_t onnx_import(const char *path, graph_t **out, error_t *err)
{
    importer_t im = {0};
    uint8_t *bytes = NULL;
    size_t size = 0;
    char path_copy[PATH_MAX];
    status_t st;
    const Onnx__GraphProto *gp;

    *out = NULL;
    st = read_file(path, &bytes, &size, err);
    if (st)
        goto cleanup;
    im.model = onnx__model_proto__unpack(NULL, size, bytes);
    free(bytes);
    if (!im.model || !im.model->graph) {
        st = error_set(err, STATUS_INVALID_MODEL,
                       "'%s' is not a valid ONNX model (truncated or corrupt protobuf)", path);
        goto cleanup;
    }
    snprintf(path_copy, sizeof path_copy, "%s", path);
    snprintf(im.model_dir, sizeof im.model_dir, "%s", dirname(path_copy));

    im.g = calloc(1, sizeof *im.g);
    gp = im.model->graph;
    if (!im.g || name_map_init(&im.names, gp->n_initializer + gp->n_input + gp->n_node * 2) != 0) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    if (gp->n_node > GRAPH_MAX_NODES) {
        st = error_set(err, STATUS_LIMIT_EXCEEDED, "model has %zu nodes, over the %d limit",
                       gp->n_node, GRAPH_MAX_NODES);
        goto cleanup;
    }
    st = read_opset(&im, err);
    if (!st)
        st = import_initializers(&im, err);
    if (!st)
        st = import_inputs(&im, err);
    if (st)
        goto cleanup;
    im.g->nodes = calloc(gp->n_node + 1, sizeof *im.g->nodes);
    if (!im.g->nodes) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < gp->n_node && !st; i++) {
        st = import_node(&im, i, err);
        im.g->n_nodes = (int)i + 1;
    }
    for (size_t i = 0; i < gp->n_node && !st; i++)
        st = link_node_inputs(&im, i, err);
    if (!st)
        st = import_outputs(&im, err);
    if (!st) {
        *out = im.g;
        im.g = NULL;
    }
cleanup:
    if (im.model)
        onnx__model_proto__free_unpacked(im.model, NULL);
    free(im.names.slots);
    graph_free(im.g);
    return st;
}
