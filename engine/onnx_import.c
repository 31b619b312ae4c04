/*
 * onnx_import.c - ONNX ModelProto (protobuf-c) -> graph_t.
 *
 * Checks everything a later stage relies on: names resolve, each value has
 * one producer, dtypes and shapes are sane, ops are known at the model's
 * opset. Every failure names the node and op (or the tensor) involved.
 *
 * The file is mapped, not read, and its top-level messages are unpacked one
 * at a time. An initializer's raw_data is not unpacked by protobuf-c: the
 * importer unpacks the rest of the TensorProto and copies the payload
 * itself, a chunk at a time, dropping each chunk's pages of the mapping as
 * it goes. Peak memory is therefore one copy of the weights plus a chunk.
 */
#define _DEFAULT_SOURCE /* madvise(MADV_DONTNEED): posix_madvise's variant is a no-op in glibc */

#include "graph.h"
#include "onnx_tensor.h"
#include "protobuf_wire.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest model file accepted: protobuf messages cannot exceed 2 GiB. */
#define ONNX_MODEL_MAX_BYTES (INT64_C(2) << 30)

/* Field numbers of onnx.proto that the importer walks itself. */
enum {
    MODEL_FIELD_IR_VERSION = 1,
    MODEL_FIELD_GRAPH = 7,
    MODEL_FIELD_OPSET_IMPORT = 8,
    GRAPH_FIELD_NODE = 1,
    GRAPH_FIELD_INITIALIZER = 5,
    GRAPH_FIELD_INPUT = 11,
    GRAPH_FIELD_OUTPUT = 12,
    GRAPH_FIELD_SPARSE_INITIALIZER = 15,
    TENSOR_FIELD_RAW_DATA = 9,
};

/* Bytes of raw_data copied between two releases of the mapped pages. */
#define IMPORT_COPY_CHUNK (1 << 20)

/*
 * Deepest nesting of recursive messages (a graph in a node's attribute, a
 * sequence type's element type) in what protobuf-c unpacks. Real models
 * nest a few levels; protobuf-c recurses once per level, so a deeper file
 * could exhaust the loading thread's stack.
 */
#define IMPORT_MAX_NESTING 32
/* Attributes of one node; ONNX ops have at most a dozen. */
#define NODE_MAX_ATTRIBUTES 256
/* Opset imports of one model (one per domain). */
#define IMPORT_MAX_OPSETS 64

/* NodeProto and GraphProto field numbers the scan counts before unpacking. */
enum {
    NODE_FIELD_INPUT = 1,
    NODE_FIELD_OUTPUT = 2,
    NODE_FIELD_ATTRIBUTE = 5,
};

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

/* Messages unpacked one by one from the model file. */
typedef struct message_list {
    ProtobufCMessage **items;
    size_t count;
} message_list_t;

typedef struct importer {
    graph_t *g;
    const uint8_t *file; /* the mapped model */
    size_t file_size;
    const uint8_t *graph_bytes; /* the GraphProto inside it */
    size_t graph_size;
    bool has_ir_version;
    int64_t ir_version;
    message_list_t opsets;  /* Onnx__OperatorSetIdProto */
    message_list_t nodes;   /* Onnx__NodeProto */
    message_list_t inputs;  /* Onnx__ValueInfoProto */
    message_list_t outputs; /* Onnx__ValueInfoProto */
    size_t n_initializers;
    name_map_t names;
    char model_dir[PATH_MAX];
    /*
     * A subgraph's scope: the scope it sits in, and the outer values it
     * reads (implicit[i] here stands for outer[i] in parent), which become
     * its inputs after the formal ones.
     */
    struct importer *parent;
    int *implicit;
    int *outer;
    int n_implicit;
    int cap_implicit;
    int *subgraphs; /* the root scope's count of subgraphs, shared by every scope */
} importer_t;

#define LIST_ITEM(list, type, i) ((type *)(list).items[i])

static status_t map_file(const char *path, importer_t *im, error_t *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    status_t rc = STATUS_OK;
    void *map;

    if (fd < 0)
        return error_set(err, errno == ENOENT ? STATUS_NOT_FOUND : STATUS_IO,
                         "cannot open the model: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = error_set(err, STATUS_IO, "the model is not a regular file");
        goto cleanup;
    }
    if (st.st_size > ONNX_MODEL_MAX_BYTES) {
        rc = error_set(err, STATUS_LIMIT_EXCEEDED, "the model is %lld bytes, over the %lld limit",
                       (long long)st.st_size, (long long)ONNX_MODEL_MAX_BYTES);
        goto cleanup;
    }
    if (st.st_size == 0) {
        rc = error_set(err, STATUS_INVALID_MODEL, "the file is empty");
        goto cleanup;
    }
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        rc = error_set(err, STATUS_IO, "cannot map the model: %s", strerror(errno));
        goto cleanup;
    }
    im->file = map;
    im->file_size = (size_t)st.st_size;
cleanup:
    close(fd);
    return rc;
}

/*
 * Drops the mapped pages that hold [data, data + len) from memory. Pages it
 * shares with neighbouring fields go too: the mapping is private and never
 * written, so a later read just faults them in again from the file.
 */
static void release_pages(const uint8_t *data, size_t len)
{
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t start = (uintptr_t)data & ~(page - 1);
    uintptr_t end = ((uintptr_t)data + len + page - 1) & ~(page - 1);

    if (len)
        madvise((void *)start, end - start, MADV_DONTNEED);
}

static status_t list_push(message_list_t *list, ProtobufCMessage *msg, error_t *err)
{
    ProtobufCMessage **grown;

    if (!msg)
        return error_set(err, STATUS_INVALID_MODEL, "corrupt message");
    grown = realloc(list->items, (list->count + 1) * sizeof *grown);
    if (!grown) {
        protobuf_c_message_free_unpacked(msg, NULL);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    }
    list->items = grown;
    list->items[list->count++] = msg;
    return STATUS_OK;
}

static void list_free(message_list_t *list)
{
    for (size_t i = 0; i < list->count; i++)
        protobuf_c_message_free_unpacked(list->items[i], NULL);
    free(list->items);
}

/*
 * Checks a NodeProto's counts and nesting before protobuf-c unpacks it, so
 * no node costs more memory or stack than its limits allow; index counts
 * the nodes.
 */
static status_t check_node_bytes(const uint8_t *data, size_t len, size_t index, error_t *err)
{
    long inputs = wire_count_field(data, len, NODE_FIELD_INPUT);
    long outputs = wire_count_field(data, len, NODE_FIELD_OUTPUT);
    long attributes = wire_count_field(data, len, NODE_FIELD_ATTRIBUTE);

    if (inputs < 0 || !wire_nesting_ok(data, len, WIRE_MSG_NODE, IMPORT_MAX_NESTING))
        return error_set(err, STATUS_INVALID_MODEL,
                         "node %zu is corrupt or nests graphs or types deeper than %d levels",
                         index, IMPORT_MAX_NESTING);
    if (inputs > NODE_MAX_INPUTS || outputs > NODE_MAX_OUTPUTS || attributes > NODE_MAX_ATTRIBUTES)
        return error_set(err, STATUS_LIMIT_EXCEEDED,
                         "node %zu has %ld inputs, %ld outputs and %ld attributes, over the limits "
                         "of %d, %d and %d",
                         index, inputs, outputs, attributes, NODE_MAX_INPUTS, NODE_MAX_OUTPUTS,
                         NODE_MAX_ATTRIBUTES);
    return STATUS_OK;
}

/* Checks a graph input or output's ValueInfoProto before it is unpacked. */
static status_t check_value_info_bytes(const uint8_t *data, size_t len, const char *kind,
                                       size_t index, error_t *err)
{
    if (!wire_nesting_ok(data, len, WIRE_MSG_VALUE_INFO, IMPORT_MAX_NESTING))
        return error_set(err, STATUS_INVALID_MODEL,
                         "graph %s %zu is corrupt or nests types deeper than %d levels", kind,
                         index, IMPORT_MAX_NESTING);
    return STATUS_OK;
}

/*
 * Walks ModelProto and GraphProto, unpacking everything but the
 * initializers. Counts are checked as they are read, so a file of many tiny
 * messages is refused before they are unpacked.
 */
static status_t scan_model(importer_t *im, error_t *err)
{
    wire_reader_t r;
    wire_field_t f;
    size_t values = 0;
    status_t st = STATUS_OK;

    wire_reader_init(&r, im->file, im->file_size);
    while (!st && wire_next(&r, &f)) {
        if (f.number == MODEL_FIELD_IR_VERSION && f.type == WIRE_VARINT) {
            im->has_ir_version = true;
            im->ir_version = (int64_t)f.varint;
        } else if (f.number == MODEL_FIELD_GRAPH && f.type == WIRE_BYTES) {
            im->graph_bytes = f.data;
            im->graph_size = f.len;
        } else if (f.number == MODEL_FIELD_OPSET_IMPORT && f.type == WIRE_BYTES) {
            if (im->opsets.count == IMPORT_MAX_OPSETS)
                return error_set(err, STATUS_LIMIT_EXCEEDED, "model imports more than %d opsets",
                                 IMPORT_MAX_OPSETS);
            st = list_push(
                &im->opsets,
                (ProtobufCMessage *)onnx__operator_set_id_proto__unpack(NULL, f.len, f.data), err);
        }
    }
    if (!st && !r.corrupt && im->graph_bytes) {
        wire_reader_init(&r, im->graph_bytes, im->graph_size);
        while (!st && wire_next(&r, &f)) {
            if (f.type != WIRE_BYTES)
                continue;
            if (f.number == GRAPH_FIELD_NODE) {
                if (im->nodes.count == GRAPH_MAX_NODES)
                    return error_set(err, STATUS_LIMIT_EXCEEDED, "model has more than %d nodes",
                                     GRAPH_MAX_NODES);
                st = check_node_bytes(f.data, f.len, im->nodes.count, err);
                if (st)
                    return st;
                st = list_push(&im->nodes,
                               (ProtobufCMessage *)onnx__node_proto__unpack(NULL, f.len, f.data),
                               err);
            } else if (f.number == GRAPH_FIELD_INPUT || f.number == GRAPH_FIELD_OUTPUT) {
                bool input = f.number == GRAPH_FIELD_INPUT;
                message_list_t *list = input ? &im->inputs : &im->outputs;
                if (++values > GRAPH_MAX_VALUES)
                    return error_set(err, STATUS_LIMIT_EXCEEDED,
                                     "model has more than %d inputs, outputs and initializers",
                                     GRAPH_MAX_VALUES);
                st = check_value_info_bytes(f.data, f.len, input ? "input" : "output", list->count,
                                            err);
                if (st)
                    return st;
                st = list_push(
                    list, (ProtobufCMessage *)onnx__value_info_proto__unpack(NULL, f.len, f.data),
                    err);
            } else if (f.number == GRAPH_FIELD_INITIALIZER) {
                if (++values > GRAPH_MAX_VALUES)
                    return error_set(err, STATUS_LIMIT_EXCEEDED,
                                     "model has more than %d inputs, outputs and initializers",
                                     GRAPH_MAX_VALUES);
                im->n_initializers++;
            } else if (f.number == GRAPH_FIELD_SPARSE_INITIALIZER) {
                return error_set(err, STATUS_UNSUPPORTED, "sparse initializers are not supported");
            }
        }
    }
    if (st == STATUS_OUT_OF_MEMORY)
        return st;
    if (st || r.corrupt || !im->graph_bytes)
        return error_set(err, STATUS_INVALID_MODEL,
                         "not a valid ONNX model (truncated or corrupt protobuf)");
    return STATUS_OK;
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

/*
 * Finds name in the scopes around im's subgraph and makes it a value of
 * im (an implicit input, read from the outer scope), declared as there.
 * Returns its index here, -1 when no scope has it, or -2 when out of memory.
 */
static int resolve_outer(importer_t *im, const char *name)
{
    const graph_value_t *o;
    graph_value_t *val;
    int outer, v;

    if (!im->parent)
        return -1;
    outer = lookup_value(im->parent, name, false);
    if (outer < 0)
        outer = resolve_outer(im->parent, name);
    if (outer < 0)
        return outer;
    if (im->n_implicit == im->cap_implicit) {
        int cap = im->cap_implicit ? im->cap_implicit * 2 : 8;
        int *implicit = realloc(im->implicit, (size_t)cap * sizeof *implicit);
        int *outer_grown = implicit ? realloc(im->outer, (size_t)cap * sizeof *outer_grown) : NULL;
        if (implicit)
            im->implicit = implicit;
        if (!outer_grown)
            return -2;
        im->outer = outer_grown;
        im->cap_implicit = cap;
    }
    v = lookup_value(im, name, true);
    if (v < 0)
        return -2;
    o = &im->parent->g->values[outer];
    val = &im->g->values[v];
    val->dtype = o->constant ? o->constant->dtype : o->dtype;
    val->rank = -1;
    im->implicit[im->n_implicit] = v;
    im->outer[im->n_implicit++] = outer;
    return v;
}

static status_t read_opset(importer_t *im, error_t *err)
{
    im->g->opset = -1;
    for (size_t i = 0; i < im->opsets.count; i++) {
        const Onnx__OperatorSetIdProto *o = LIST_ITEM(im->opsets, Onnx__OperatorSetIdProto, i);
        if (!o->domain || o->domain[0] == '\0' || strcmp(o->domain, "ai.onnx") == 0)
            im->g->opset = (int)o->version;
    }
    if (im->g->opset < 0) {
        /* IR version 1-2 models predate opset_import and use opset 1. */
        if (im->has_ir_version && im->ir_version < 3)
            im->g->opset = 1;
        else if (im->opsets.count > 0)
            return error_set(err, STATUS_UNSUPPORTED,
                             "model imports only the '%s' domain, which inferd does not support",
                             LIST_ITEM(im->opsets, Onnx__OperatorSetIdProto, 0)->domain);
        else
            return error_set(err, STATUS_INVALID_MODEL, "model imports no opset");
    }
    if (im->g->opset < OPSET_MIN || im->g->opset > OPSET_MAX)
        return error_set(err, STATUS_UNSUPPORTED,
                         "model uses opset %d; inferd supports opsets %d to %d", im->g->opset,
                         OPSET_MIN, OPSET_MAX);
    return STATUS_OK;
}

/* Copies n bytes out of the mapping, dropping the source pages chunk by chunk. */
static void copy_and_release(uint8_t *dst, const uint8_t *src, size_t n)
{
    for (size_t done = 0; done < n; done += IMPORT_COPY_CHUNK) {
        size_t len = n - done < IMPORT_COPY_CHUNK ? n - done : IMPORT_COPY_CHUNK;
        memcpy(dst + done, src + done, len);
        release_pages(src + done, len);
    }
}

/*
 * Converts one initializer. tp was unpacked without its raw_data, which
 * (when raw is non-NULL) is the raw_len bytes at raw in the mapping.
 */
static status_t import_initializer(importer_t *im, Onnx__TensorProto *tp, const uint8_t *raw,
                                   size_t raw_len, size_t index, error_t *err)
{
    graph_t *g = im->g;
    tensor_t *t;
    char what[256];
    size_t bytes = 0;
    int v;
    status_t st;

    if (!tp->name || !tp->name[0])
        return error_set(err, STATUS_INVALID_MODEL, "initializer %zu has no name", index);
    snprintf(what, sizeof what, "initializer '%s'", tp->name);
    v = lookup_value(im, tp->name, true);
    if (v < 0)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (g->values[v].constant)
        return error_set(err, STATUS_INVALID_MODEL, "%s is defined twice", what);
    t = arena_alloc(&g->arena, sizeof *t);
    if (!t)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (!raw) {
        st = onnx_tensor_convert(tp, im->model_dir, what, &g->arena, t, err);
    } else {
        st = onnx_tensor_header(tp, what, t, &bytes, err);
        if (!st && raw_len != bytes)
            st = error_set(err, STATUS_INVALID_MODEL,
                           "%s: raw_data has %zu bytes, its shape needs %zu", what, raw_len, bytes);
        if (!st && !(t->data = arena_alloc(&g->arena, bytes ? bytes : 1)))
            st = error_set(err, STATUS_OUT_OF_MEMORY, "%s: out of memory", what);
        if (!st)
            copy_and_release(t->data, raw, bytes);
    }
    if (st)
        return st;
    g->values[v].constant = t;
    g->values[v].dtype = t->dtype;
    g->values[v].rank = t->rank;
    memcpy(g->values[v].dims, t->dims, sizeof g->values[v].dims);
    g->weight_bytes += tensor_bytes(t);
    return STATUS_OK;
}

/*
 * Unpacks the TensorProto in [data, data + len) without its raw_data field,
 * whose payload is returned in *raw / *raw_len (NULL if absent).
 */
static Onnx__TensorProto *unpack_without_raw(const uint8_t *data, size_t len, const uint8_t **raw,
                                             size_t *raw_len)
{
    uint8_t *rest = malloc(len + 1);
    size_t used = 0;
    wire_reader_t r;
    wire_field_t f;
    Onnx__TensorProto *tp = NULL;

    *raw = NULL;
    *raw_len = 0;
    if (!rest)
        return NULL;
    wire_reader_init(&r, data, len);
    for (const uint8_t *start = r.pos; wire_next(&r, &f); start = r.pos) {
        if (f.number == TENSOR_FIELD_RAW_DATA && f.type == WIRE_BYTES) {
            *raw = f.data;
            *raw_len = f.len;
        } else {
            memcpy(rest + used, start, (size_t)(r.pos - start));
            used += (size_t)(r.pos - start);
        }
    }
    if (!r.corrupt)
        tp = onnx__tensor_proto__unpack(NULL, used, rest);
    free(rest);
    return tp;
}

/* Unpacks, converts and frees the initializers one at a time. */
static status_t import_initializers(importer_t *im, error_t *err)
{
    wire_reader_t r;
    wire_field_t f;
    size_t index = 0;
    status_t st = STATUS_OK;

    wire_reader_init(&r, im->graph_bytes, im->graph_size);
    while (!st && wire_next(&r, &f)) {
        Onnx__TensorProto *tp;
        const uint8_t *raw;
        size_t raw_len;
        if (f.number != GRAPH_FIELD_INITIALIZER || f.type != WIRE_BYTES)
            continue;
        tp = unpack_without_raw(f.data, f.len, &raw, &raw_len);
        if (!tp)
            return error_set(err, STATUS_INVALID_MODEL, "initializer %zu is corrupt", index);
        st = import_initializer(im, tp, raw, raw_len, index++, err);
        onnx__tensor_proto__free_unpacked(tp, NULL);
        /*
         * Everything up to this field's end: a fault maps a window of pages
         * around it, so reading the next header brought back the tail of the
         * previous tensor, which releasing this field alone would leave.
         */
        release_pages(im->graph_bytes, (size_t)(f.data + f.len - im->graph_bytes));
    }
    return st;
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
    graph_t *g = im->g;

    g->inputs = arena_alloc(&g->arena, (im->inputs.count + 1) * sizeof(int));
    if (!g->inputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < im->inputs.count; i++) {
        const Onnx__ValueInfoProto *vi = LIST_ITEM(im->inputs, Onnx__ValueInfoProto, i);
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
        /* A subgraph's formal inputs may leave their type to the op that feeds them. */
        if ((g->values[v].dtype == DTYPE_UNDEFINED && !im->parent) ||
            (g->values[v].dtype != DTYPE_UNDEFINED && dtype_size(g->values[v].dtype) == 0))
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
    case ATTR_STRINGS: {
        /* The recurrent ops' activation names. */
        const char **list = arena_alloc(arena, (ap->n_strings + 1) * sizeof *list);
        if (!list)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        for (size_t k = 0; k < ap->n_strings; k++) {
            char *s = arena_alloc(arena, ap->strings[k].len + 1);
            if (!s)
                return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
            if (ap->strings[k].len)
                memcpy(s, ap->strings[k].data, ap->strings[k].len);
            list[k] = s;
        }
        out->count = ap->n_strings;
        out->strings = list;
        break;
    }
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
        /* Graphs, sparse tensors and lists of tensors: no supported op reads them. */
        break;
    }
    return STATUS_OK;
}

/* "2", "2 to 3" or "1 or more" (max < 0: variadic), for messages. */
static const char *count_range(int min, int max, char *buf, size_t size)
{
    if (max < 0)
        snprintf(buf, size, "%d or more", min);
    else if (min == max)
        snprintf(buf, size, "%d", min);
    else
        snprintf(buf, size, "%d to %d", min, max);
    return buf;
}

/*
 * Checks a node's input and output counts against its op's info table, and
 * that every required input is given: before this, nothing may read the
 * node's inputs (graph passes, folding and packing index them freely).
 * Adapters narrow the counts further where an opset changed them.
 */
static status_t check_arity(const graph_t *g, const graph_node_t *n, error_t *err)
{
    const op_info_t *info = n->schema->kernel->info;
    char range[32];

    if (n->n_inputs < info->min_inputs || (info->max_inputs >= 0 && n->n_inputs > info->max_inputs))
        return op_fail(err, STATUS_INVALID_MODEL, n->op_type, n->name,
                       "has %d inputs, opset %d takes %s", n->n_inputs, g->opset,
                       count_range(info->min_inputs, info->max_inputs, range, sizeof range));
    if (n->n_outputs < info->min_outputs ||
        (info->max_outputs >= 0 && n->n_outputs > info->max_outputs))
        return op_fail(err, STATUS_INVALID_MODEL, n->op_type, n->name,
                       "has %d outputs, opset %d gives %s", n->n_outputs, g->opset,
                       count_range(info->min_outputs, info->max_outputs, range, sizeof range));
    for (int i = 0; i < info->min_inputs; i++)
        if (n->inputs[i] < 0)
            return op_fail(err, STATUS_INVALID_MODEL, n->op_type, n->name,
                           "required input %d is missing (empty name)", i);
    return STATUS_OK;
}

/* Resolves the op's schema at the model's opset, checks its arity and runs its adapter. */
static status_t bind_schema(importer_t *im, graph_node_t *n, error_t *err)
{
    graph_t *g = im->g;
    op_adapt_t a;
    status_t st;

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
    st = check_arity(g, n, err);
    if (st)
        return st;
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
    Onnx__NodeProto *np = LIST_ITEM(im->nodes, Onnx__NodeProto, index);
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

static status_t import_node(importer_t *im, size_t index, error_t *err);
static status_t link_node_inputs(importer_t *im, size_t index, error_t *err);
static status_t import_outputs(importer_t *im, error_t *err);

/*
 * Imports a subgraph attribute (an If branch, a Loop or Scan body) into a
 * graph of its own. Names it does not define resolve in the scopes around
 * it and become its inputs after the formal ones; *out's outer_inputs then
 * holds, per such input, the value of parent's graph it reads (which
 * add_implicit_inputs turns into the owning node's input positions).
 */
static status_t import_subgraph(importer_t *parent, const Onnx__GraphProto *gp, const char *what,
                                graph_t **out, error_t *err)
{
    importer_t im = {0};
    graph_t *g;
    size_t values = gp->n_initializer + gp->n_input + gp->n_output;
    status_t st = STATUS_OK;

    *out = NULL;
    if (parent->g->depth + 1 > GRAPH_MAX_DEPTH)
        return error_set(err, STATUS_LIMIT_EXCEEDED, "%s nests subgraphs deeper than %d levels",
                         what, GRAPH_MAX_DEPTH);
    if (++*parent->subgraphs > GRAPH_MAX_SUBGRAPHS)
        return error_set(err, STATUS_LIMIT_EXCEEDED, "model has more than %d subgraphs",
                         GRAPH_MAX_SUBGRAPHS);
    if (gp->n_node > GRAPH_MAX_NODES || values > GRAPH_MAX_VALUES)
        return error_set(err, STATUS_LIMIT_EXCEEDED, "%s has more than %d nodes or %d values", what,
                         GRAPH_MAX_NODES, GRAPH_MAX_VALUES);
    if (gp->n_sparse_initializer)
        return error_set(err, STATUS_UNSUPPORTED, "%s: sparse initializers are not supported",
                         what);
    im.parent = parent;
    im.subgraphs = parent->subgraphs;
    snprintf(im.model_dir, sizeof im.model_dir, "%s", parent->model_dir);
    /* Borrowed from the unpacked node: these lists are not freed here. */
    im.nodes.items = (ProtobufCMessage **)gp->node;
    im.nodes.count = gp->n_node;
    im.inputs.items = (ProtobufCMessage **)gp->input;
    im.inputs.count = gp->n_input;
    im.outputs.items = (ProtobufCMessage **)gp->output;
    im.outputs.count = gp->n_output;
    g = im.g = calloc(1, sizeof *im.g);
    if (!g || name_map_init(&im.names, values + gp->n_node * 2) != 0) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    g->opset = parent->g->opset;
    g->depth = parent->g->depth + 1;
    for (size_t i = 0; i < gp->n_initializer && !st; i++)
        st = import_initializer(&im, gp->initializer[i], NULL, 0, i, err);
    if (!st)
        st = import_inputs(&im, err);
    if (st)
        goto cleanup;
    g->n_formal_inputs = g->n_inputs;
    g->nodes = calloc(gp->n_node + 1, sizeof *g->nodes);
    if (!g->nodes) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < gp->n_node && !st; i++) {
        st = import_node(&im, i, err);
        g->n_nodes = (int)i + 1;
    }
    for (size_t i = 0; i < gp->n_node && !st; i++)
        st = link_node_inputs(&im, i, err);
    if (!st)
        st = import_outputs(&im, err);
    if (st)
        goto cleanup;
    /* The outer values it reads are inputs after the formal ones. */
    {
        int *inputs =
            arena_alloc(&g->arena, ((size_t)g->n_inputs + im.n_implicit + 1) * sizeof *inputs);
        g->outer_inputs = arena_alloc(&g->arena, ((size_t)im.n_implicit + 1) * sizeof(int));
        if (!inputs || !g->outer_inputs) {
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
            goto cleanup;
        }
        memcpy(inputs, g->inputs, (size_t)g->n_inputs * sizeof *inputs);
        for (int i = 0; i < im.n_implicit; i++) {
            inputs[g->n_inputs + i] = im.implicit[i];
            g->outer_inputs[i] = im.outer[i];
        }
        g->inputs = inputs;
        g->n_inputs += im.n_implicit;
    }
    *out = g;
    im.g = NULL;
cleanup:
    if (st)
        error_prefix(err, "%s", what);
    free(im.names.slots);
    free(im.implicit);
    free(im.outer);
    graph_free(im.g);
    return st;
}

/* Imports node n's subgraph attributes (np's), owned by im's graph. */
static status_t import_bodies(importer_t *im, const Onnx__NodeProto *np, graph_node_t *n,
                              error_t *err)
{
    graph_t *g = im->g;
    const op_schema_t *schema = op_registry_find(n->op_type, g->opset);
    int count = 0;

    /* Only control flow reads its graphs; an unknown op is refused by bind_schema. */
    if (!schema || !schema->kernel->subgraphs || (n->domain[0] && strcmp(n->domain, "ai.onnx")))
        return STATUS_OK;
    for (size_t i = 0; i < n->attrs.count; i++)
        count += n->attrs.items[i].type == ATTR_GRAPH;
    if (count == 0)
        return STATUS_OK;
    n->bodies = arena_alloc(&g->arena, (size_t)count * sizeof *n->bodies);
    if (!n->bodies)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    for (size_t i = 0; i < n->attrs.count; i++) {
        attr_t *attr = (attr_t *)&n->attrs.items[i];
        graph_t *sub, **grown;
        char what[256];
        status_t st;
        if (attr->type != ATTR_GRAPH)
            continue;
        if (!np->attribute[i]->g)
            return op_fail(err, STATUS_INVALID_MODEL, n->op_type, n->name,
                           "attribute '%s' has no graph", attr->name);
        snprintf(what, sizeof what, "%s node '%s' attribute '%s'", n->op_type, n->name, attr->name);
        st = import_subgraph(im, np->attribute[i]->g, what, &sub, err);
        if (st)
            return st;
        grown = realloc(g->subgraphs, ((size_t)g->n_subgraphs + 1) * sizeof *grown);
        if (!grown) {
            graph_free(sub);
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        }
        g->subgraphs = grown;
        g->subgraphs[g->n_subgraphs++] = sub;
        attr->graph = n->n_bodies;
        attr->graph_inputs = sub->n_formal_inputs;
        attr->graph_outputs = sub->n_outputs;
        n->bodies[n->n_bodies++] = sub;
    }
    return STATUS_OK;
}

/*
 * Appends the outer values n's subgraphs read to n's inputs (each once),
 * so every pass and plan sees n depend on them, and points each
 * subgraph's outer_inputs at those input positions.
 */
static status_t add_implicit_inputs(importer_t *im, graph_node_t *n, error_t *err)
{
    int total = n->n_inputs, *inputs;

    for (int b = 0; b < n->n_bodies; b++)
        total += n->bodies[b]->n_inputs - n->bodies[b]->n_formal_inputs;
    if (total == n->n_inputs)
        return STATUS_OK;
    if (total > NODE_MAX_INPUTS)
        return op_fail(err, STATUS_LIMIT_EXCEEDED, n->op_type, n->name,
                       "its subgraphs read %d outer values, over the %d inputs a node may have",
                       total - n->n_inputs, NODE_MAX_INPUTS);
    inputs = arena_alloc(&im->g->arena, ((size_t)total + 1) * sizeof *inputs);
    if (!inputs)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    memcpy(inputs, n->inputs, (size_t)n->n_inputs * sizeof *inputs);
    total = n->n_inputs;
    for (int b = 0; b < n->n_bodies; b++) {
        graph_t *body = n->bodies[b];
        for (int i = 0; i < body->n_inputs - body->n_formal_inputs; i++) {
            int v = body->outer_inputs[i], at = n->n_inputs;
            while (at < total && inputs[at] != v)
                at++;
            if (at == total)
                inputs[total++] = v;
            body->outer_inputs[i] = at;
        }
    }
    n->n_implicit = total - n->n_inputs;
    n->n_inputs = total;
    n->inputs = inputs;
    return STATUS_OK;
}

/* Second pass: every input name must be an input, initializer or node output. */
static status_t link_node_inputs(importer_t *im, size_t index, error_t *err)
{
    Onnx__NodeProto *np = LIST_ITEM(im->nodes, Onnx__NodeProto, index);
    graph_node_t *n = &im->g->nodes[index];
    status_t st;

    for (size_t i = 0; i < np->n_input; i++) {
        const char *name = np->input[i];
        int v = -1;
        if (name && name[0]) {
            v = lookup_value(im, name, false);
            if (v < 0)
                v = resolve_outer(im, name);
            if (v == -2)
                return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
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
    st = import_bodies(im, np, n, err);
    if (!st)
        st = bind_schema(im, n, err);
    if (!st)
        st = add_implicit_inputs(im, n, err);
    return st;
}

static status_t import_outputs(importer_t *im, error_t *err)
{
    graph_t *g = im->g;

    g->outputs = arena_alloc(&g->arena, (im->outputs.count + 1) * sizeof(int));
    g->output_names = arena_alloc(&g->arena, (im->outputs.count + 1) * sizeof(char *));
    if (!g->outputs || !g->output_names)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
    if (im->outputs.count == 0)
        return error_set(err, STATUS_INVALID_MODEL, "graph has no outputs");
    for (size_t i = 0; i < im->outputs.count; i++) {
        const Onnx__ValueInfoProto *vi = LIST_ITEM(im->outputs, Onnx__ValueInfoProto, i);
        int v = vi->name ? lookup_value(im, vi->name, false) : -1;
        if (v < 0 && vi->name)
            v = resolve_outer(im, vi->name);
        if (v == -2)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
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
    char path_copy[PATH_MAX];
    size_t n_nodes;
    int subgraphs = 0;
    status_t st;

    im.subgraphs = &subgraphs;
    *out = NULL;
    snprintf(path_copy, sizeof path_copy, "%s", path);
    snprintf(im.model_dir, sizeof im.model_dir, "%s", dirname(path_copy));
    st = map_file(path, &im, err);
    if (!st)
        st = scan_model(&im, err);
    if (st)
        goto cleanup;
    /*
     * The scan faulted in pages all over the file (the kernel maps a window
     * around each fault); what it kept is unpacked or pointed to, and the
     * weights are read back below a chunk at a time. Dropping the pages now
     * keeps them from sitting beside the weights until the file is unmapped.
     */
    release_pages(im.file, im.file_size);
    n_nodes = im.nodes.count;
    assert(n_nodes <= GRAPH_MAX_NODES);
    im.g = calloc(1, sizeof *im.g);
    if (!im.g || name_map_init(&im.names, im.n_initializers + im.inputs.count + n_nodes * 2) != 0) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    st = read_opset(&im, err);
    if (!st)
        st = import_initializers(&im, err);
    if (!st)
        st = import_inputs(&im, err);
    if (st)
        goto cleanup;
    im.g->nodes = calloc(n_nodes + 1, sizeof *im.g->nodes);
    if (!im.g->nodes) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory");
        goto cleanup;
    }
    for (size_t i = 0; i < n_nodes && !st; i++) {
        st = import_node(&im, i, err);
        im.g->n_nodes = (int)i + 1;
    }
    for (size_t i = 0; i < n_nodes && !st; i++)
        st = link_node_inputs(&im, i, err);
    if (!st)
        st = import_outputs(&im, err);
    if (!st) {
        *out = im.g;
        im.g = NULL;
    }
cleanup:
    list_free(&im.opsets);
    list_free(&im.nodes);
    list_free(&im.inputs);
    list_free(&im.outputs);
    if (im.file)
        munmap((void *)im.file, im.file_size);
    free(im.names.slots);
    graph_free(im.g);
    return st;
}
