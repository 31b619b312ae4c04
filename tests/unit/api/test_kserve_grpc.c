/*
 * The KServe gRPC codec driven directly with protobuf-c messages (no
 * server, no network): ModelInferRequest decoding with typed and raw
 * contents, ModelInferResponse encoding, every way a request can be wrong
 * (same status and, where the check is shared, the same message as the
 * JSON codec), the gRPC code each of the codec's statuses maps to, and the
 * metadata, config, statistics and repository-index builders.
 */
#include <float.h>

#include "kserve_fixtures.h"
#include "half.h"
#include "kserve_grpc.h"
#include "status_map.h"

/* Most inputs, outputs or parameters a test message carries. */
#define MSG_MAX 12
/* Most parameters one of its inputs or outputs carries. */
#define MSG_PARAMS 4

/* A shape written inline, and its rank and dims as two arguments: DIMS(2, 3). */
#define SHAPE(...) ((const int64_t[]){__VA_ARGS__})
#define DIMS(...)  (int)(sizeof SHAPE(__VA_ARGS__) / sizeof(int64_t)), SHAPE(__VA_ARGS__)

/* A ModelInferRequest built in place: every array it points to lives here. */
typedef struct infer_msg {
    Inference__ModelInferRequest msg;
    Inference__ModelInferRequest__InferInputTensor inputs[MSG_MAX];
    Inference__ModelInferRequest__InferInputTensor *input_list[MSG_MAX];
    int64_t shapes[MSG_MAX][TENSOR_MAX_RANK + 1]; /* one dim over the limit, to test it */
    Inference__InferTensorContents contents[MSG_MAX];
    ProtobufCBinaryData raw[MSG_MAX];
    Inference__ModelInferRequest__InferRequestedOutputTensor outputs[MSG_MAX];
    Inference__ModelInferRequest__InferRequestedOutputTensor *output_list[MSG_MAX];
    Inference__ModelInferRequest__ParametersEntry params[MSG_MAX];
    Inference__ModelInferRequest__ParametersEntry *param_list[MSG_MAX];
    Inference__InferParameter values[MSG_MAX];
    /* Parameters of inputs and outputs: MSG_PARAMS per tensor. */
    Inference__ModelInferRequest__InferInputTensor__ParametersEntry in_params[MSG_MAX][MSG_PARAMS];
    Inference__ModelInferRequest__InferInputTensor__ParametersEntry
        *in_param_list[MSG_MAX][MSG_PARAMS];
    Inference__ModelInferRequest__InferRequestedOutputTensor__ParametersEntry
        out_params[MSG_MAX][MSG_PARAMS];
    Inference__ModelInferRequest__InferRequestedOutputTensor__ParametersEntry
        *out_param_list[MSG_MAX][MSG_PARAMS];
    Inference__InferParameter tensor_values[2][MSG_MAX][MSG_PARAMS];
} infer_msg_t;

/* Bit -st set for every status a codec function returned, for test_status_codes. */
static unsigned statuses_seen;

static status_t seen(status_t st)
{
    statuses_seen |= 1u << -st;
    return st;
}

static void msg_init(infer_msg_t *m)
{
    memset(m, 0, sizeof *m);
    inference__model_infer_request__init(&m->msg);
    m->msg.inputs = m->input_list;
    m->msg.outputs = m->output_list;
    m->msg.parameters = m->param_list;
    m->msg.raw_input_contents = m->raw;
}

/*
 * Adds an input with the given datatype and shape (copied: rank at most
 * TENSOR_MAX_RANK + 1; rank 0 leaves the shape NULL, as unpacking does) and
 * returns its typed contents, empty.
 */
static Inference__InferTensorContents *
msg_input(infer_msg_t *m, const char *name, const char *datatype, int rank, const int64_t *dims)
{
    size_t i = m->msg.n_inputs++;
    Inference__ModelInferRequest__InferInputTensor *in = &m->inputs[i];

    inference__model_infer_request__infer_input_tensor__init(in);
    in->name = (char *)name;
    in->datatype = (char *)datatype;
    in->n_shape = (size_t)rank;
    if (rank > 0) {
        memcpy(m->shapes[i], dims, (size_t)rank * sizeof *dims);
        in->shape = m->shapes[i];
    }
    inference__infer_tensor_contents__init(&m->contents[i]);
    in->contents = &m->contents[i];
    m->input_list[i] = in;
    return in->contents;
}

/* Appends one entry to raw_input_contents. */
static void msg_raw(infer_msg_t *m, const void *data, size_t len)
{
    m->raw[m->msg.n_raw_input_contents].data = (uint8_t *)data;
    m->raw[m->msg.n_raw_input_contents].len = len;
    m->msg.n_raw_input_contents++;
}

static void msg_output(infer_msg_t *m, const char *name)
{
    size_t i = m->msg.n_outputs++;

    inference__model_infer_request__infer_requested_output_tensor__init(&m->outputs[i]);
    m->outputs[i].name = (char *)name;
    m->output_list[i] = &m->outputs[i];
}

/* Adds request parameter key; its value is left unset for the caller to fill. */
static Inference__InferParameter *msg_param(infer_msg_t *m, const char *key)
{
    size_t i = m->msg.n_parameters++;

    inference__model_infer_request__parameters_entry__init(&m->params[i]);
    inference__infer_parameter__init(&m->values[i]);
    m->params[i].key = (char *)key;
    m->params[i].value = &m->values[i];
    m->param_list[i] = &m->params[i];
    return &m->values[i];
}

/*
 * Parameter key of input i of m (its value, for the caller to set): the
 * entry already there, or a new one.
 */
static Inference__InferParameter *input_param(infer_msg_t *m, size_t i, const char *key)
{
    Inference__ModelInferRequest__InferInputTensor *in = &m->inputs[i];
    size_t n = in->n_parameters;

    for (size_t p = 0; p < n; p++)
        if (strcmp(in->parameters[p]->key, key) == 0)
            return in->parameters[p]->value;
    inference__model_infer_request__infer_input_tensor__parameters_entry__init(&m->in_params[i][n]);
    inference__infer_parameter__init(&m->tensor_values[0][i][n]);
    m->in_params[i][n].key = (char *)key;
    m->in_params[i][n].value = &m->tensor_values[0][i][n];
    m->in_param_list[i][n] = &m->in_params[i][n];
    in->parameters = m->in_param_list[i];
    in->n_parameters = n + 1;
    return &m->tensor_values[0][i][n];
}

/* The same for requested output i. */
static Inference__InferParameter *output_param(infer_msg_t *m, size_t i, const char *key)
{
    Inference__ModelInferRequest__InferRequestedOutputTensor *out = &m->outputs[i];
    size_t n = out->n_parameters;

    for (size_t p = 0; p < n; p++)
        if (strcmp(out->parameters[p]->key, key) == 0)
            return out->parameters[p]->value;
    inference__model_infer_request__infer_requested_output_tensor__parameters_entry__init(
        &m->out_params[i][n]);
    inference__infer_parameter__init(&m->tensor_values[1][i][n]);
    m->out_params[i][n].key = (char *)key;
    m->out_params[i][n].value = &m->tensor_values[1][i][n];
    m->out_param_list[i][n] = &m->out_params[i][n];
    out->parameters = m->out_param_list[i];
    out->n_parameters = n + 1;
    return &m->tensor_values[1][i][n];
}

static void param_string(Inference__InferParameter *p, const char *v)
{
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM;
    p->string_param = (char *)v;
}

static void param_int64(Inference__InferParameter *p, int64_t v)
{
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_INT64_PARAM;
    p->int64_param = v;
}

static void param_uint64(Inference__InferParameter *p, uint64_t v)
{
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_UINT64_PARAM;
    p->uint64_param = v;
}

static float simple_x[6] = {1.5f, -2, 3, 4, 5, 6.25f};
static int64_t simple_y[1] = {-7};

/* Appends simple_cfg's input x [2,3] (fp32_contents). */
static void simple_x_input(infer_msg_t *m)
{
    Inference__InferTensorContents *c = msg_input(m, "x", "FP32", DIMS(2, 3));

    c->n_fp32_contents = 6;
    c->fp32_contents = simple_x;
}

/* Appends simple_cfg's input y [1] (int64_contents). */
static void simple_y_input(infer_msg_t *m)
{
    Inference__InferTensorContents *c = msg_input(m, "y", "INT64", DIMS(1));

    c->n_int64_contents = 1;
    c->int64_contents = simple_y;
}

/*
 * As the gRPC front end does: packs m, unpacks it into the arena of a new
 * request (*req, caller frees) with kserve_grpc_allocator and parses it for
 * cfg. *q is the unpacked message, which the request's tensors may point
 * into; NULL when it did not unpack.
 */
/* The output preferences of the last request parsed. */
static kserve_output_prefs_t parsed_prefs;

static status_t parse_msg(const infer_msg_t *m, const model_config_t *cfg, int64_t limit,
                          request_t **req, Inference__ModelInferRequest **q, error_t *err)
{
    size_t size = inference__model_infer_request__get_packed_size(&m->msg);
    uint8_t *buf = malloc(size + 1);
    ProtobufCAllocator allocator;

    memset(err, 0, sizeof *err);
    *q = NULL;
    *req = request_create();
    if (!buf || !*req) {
        free(buf);
        return STATUS_OUT_OF_MEMORY;
    }
    inference__model_infer_request__pack(&m->msg, buf);
    kserve_grpc_allocator(&(*req)->arena, &allocator);
    *q = inference__model_infer_request__unpack(&allocator, size, buf);
    free(buf);
    if (!*q) {
        fprintf(stderr, "  the test message did not unpack\n");
        return STATUS_IO;
    }
    return seen(kserve_grpc_parse_infer_request(*q, cfg, limit, *req, &parsed_prefs, err));
}

#define EXPECT_ERROR(m, cfg, ...)                                                                  \
    expect_error(__LINE__, m, cfg, TEST_MAX_ELEMENTS, __VA_ARGS__, NULL)

/* Parses m for cfg and checks the status and that the message holds every needle. */
static void expect_error(int line, const infer_msg_t *m, const model_config_t *cfg, int64_t limit,
                         status_t status, ...)
{
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    error_t err;
    status_t st = parse_msg(m, cfg, limit, &req, &q, &err);
    va_list ap;

    va_start(ap, status);
    check_error_va(line, st, &err, status, ap);
    va_end(ap);
    request_free(req);
}

/* Typed contents decode into the model's input order, with id, priority and timeout. */
static void test_typed_contents(void)
{
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    Inference__InferTensorContents *c;
    int64_t y[3] = {INT64_MIN, 0, INT64_MAX};
    error_t err;

    simple_cfg(&cfg);
    msg_init(&m);
    m.msg.id = "req-7";
    /* y first: inputs land in the model's order whatever order the message lists them in. */
    c = msg_input(&m, "y", "INT64", DIMS(3));
    c->n_int64_contents = 3;
    c->int64_contents = y;
    simple_x_input(&m);
    param_int64(msg_param(&m, "priority"), 2);
    param_uint64(msg_param(&m, "timeout"), 1500);
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(req->n_inputs == 2);
    CHECK(req->id && strcmp(req->id, "req-7") == 0);
    CHECK(req->priority == 2 && req->timeout_us == 1500);
    CHECK(req->output_mask == 7);
    CHECK(req->inputs[0].dtype == DTYPE_FLOAT && req->inputs[0].rank == 2);
    CHECK(req->inputs[0].dims[0] == 2 && req->inputs[0].dims[1] == 3);
    CHECK(req->inputs[0].data && memcmp(req->inputs[0].data, simple_x, sizeof simple_x) == 0);
    /* FP32 contents are used where they were unpacked, not copied. */
    CHECK(q && req->inputs[0].data == q->inputs[1]->contents->fp32_contents);
    CHECK(req->inputs[1].dtype == DTYPE_INT64 && req->inputs[1].rank == 1);
    CHECK(req->inputs[1].dims[0] == 3);
    CHECK(req->inputs[1].data && memcmp(req->inputs[1].data, y, sizeof y) == 0);
    request_free(req);

    /* No id, no parameters: the model's defaults. */
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(req->id == NULL && req->priority == 0 && req->timeout_us == 0);
    CHECK(req->inputs[1].data && ((int64_t *)req->inputs[1].data)[0] == -7);
    request_free(req);
}

/* Every dtype from its own contents field, at the edges of its range. */
static void test_typed_every_dtype(void)
{
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    error_t err;
    protobuf_c_boolean b[4] = {1, 0, 0, 1};
    uint32_t u8[4] = {0, 255, 1, 128}, u16[4] = {0, 65535, 1, 300};
    uint32_t u32[4] = {0, UINT32_MAX, 1, 70000};
    int32_t i8[4] = {-128, 127, 0, -1}, i16[4] = {-32768, 32767, 0, -300};
    int32_t i32[4] = {INT32_MIN, INT32_MAX, 0, -70000};
    uint64_t u64[4] = {0, UINT64_MAX, 1, 5};
    int64_t i64[4] = {INT64_MIN, INT64_MAX, 0, -5};
    float f32[4] = {0.1f, -FLT_MAX, FLT_TRUE_MIN, 16777216.0f};
    double f64[4] = {0.1, DBL_MAX, DBL_TRUE_MIN, -2.5};
    char names[N_ALL_DTYPES][16];

    dtypes_cfg(&cfg);
    msg_init(&m);
    for (int i = 0; i < N_ALL_DTYPES; i++) {
        Inference__InferTensorContents *c;
        lower_name(all_dtypes[i], names[i], sizeof names[i]);
        c = msg_input(&m, names[i], dtype_kserve_name(all_dtypes[i]), DIMS(4));
        switch (all_dtypes[i]) {
        case DTYPE_BOOL:
            c->n_bool_contents = 4;
            c->bool_contents = b;
            break;
        case DTYPE_UINT8:
            c->n_uint_contents = 4;
            c->uint_contents = u8;
            break;
        case DTYPE_INT8:
            c->n_int_contents = 4;
            c->int_contents = i8;
            break;
        case DTYPE_UINT16:
            c->n_uint_contents = 4;
            c->uint_contents = u16;
            break;
        case DTYPE_INT16:
            c->n_int_contents = 4;
            c->int_contents = i16;
            break;
        case DTYPE_UINT32:
            c->n_uint_contents = 4;
            c->uint_contents = u32;
            break;
        case DTYPE_INT32:
            c->n_int_contents = 4;
            c->int_contents = i32;
            break;
        case DTYPE_UINT64:
            c->n_uint64_contents = 4;
            c->uint64_contents = u64;
            break;
        case DTYPE_INT64:
            c->n_int64_contents = 4;
            c->int64_contents = i64;
            break;
        case DTYPE_FLOAT:
            c->n_fp32_contents = 4;
            c->fp32_contents = f32;
            break;
        default:
            c->n_fp64_contents = 4;
            c->fp64_contents = f64;
            break;
        }
    }
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(req->n_inputs == N_ALL_DTYPES);
    for (int i = 0; req->n_inputs == N_ALL_DTYPES && i < N_ALL_DTYPES; i++) {
        const tensor_t *t = &req->inputs[i];
        CHECK(t->dtype == all_dtypes[i] && t->rank == 1 && t->dims[0] == 4 && t->data);
    }
    if (req->n_inputs == N_ALL_DTYPES) {
        CHECK(memcmp(req->inputs[0].data, "\1\0\0\1", 4) == 0);
        CHECK(memcmp(req->inputs[1].data, (const uint8_t[]){0, 255, 1, 128}, 4) == 0);
        CHECK(memcmp(req->inputs[2].data, (const int8_t[]){-128, 127, 0, -1}, 4) == 0);
        CHECK(memcmp(req->inputs[3].data, (const uint16_t[]){0, 65535, 1, 300}, 8) == 0);
        CHECK(memcmp(req->inputs[4].data, (const int16_t[]){-32768, 32767, 0, -300}, 8) == 0);
        CHECK(memcmp(req->inputs[5].data, u32, sizeof u32) == 0);
        CHECK(memcmp(req->inputs[6].data, i32, sizeof i32) == 0);
        CHECK(memcmp(req->inputs[7].data, u64, sizeof u64) == 0);
        CHECK(memcmp(req->inputs[8].data, i64, sizeof i64) == 0);
        CHECK(memcmp(req->inputs[9].data, f32, sizeof f32) == 0);
        CHECK(memcmp(req->inputs[10].data, f64, sizeof f64) == 0);
    }
    request_free(req);
}

/*
 * raw_input_contents: entry i belongs to msg->inputs[i] (not to model input
 * i), its bytes are used in place, and BOOL bytes are made 0 or 1.
 */
static void test_raw_contents(void)
{
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    error_t err;
    float x[6] = {0.5f, 1, 2, 3, 4, -1e30f};
    int64_t y[2] = {42, -42};
    float bx[6] = {1, 2, 3, 4, 5, 6};
    uint8_t mask[4] = {7, 0, 255, 1};

    simple_cfg(&cfg);
    msg_init(&m);
    msg_input(&m, "y", "INT64", DIMS(2));
    msg_input(&m, "x", "FP32", DIMS(2, 3));
    msg_raw(&m, y, sizeof y);
    msg_raw(&m, x, sizeof x);
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(req->inputs[0].dtype == DTYPE_FLOAT && req->inputs[0].rank == 2);
    CHECK(req->inputs[0].data && memcmp(req->inputs[0].data, x, sizeof x) == 0);
    CHECK(q && req->inputs[0].data == q->raw_input_contents[1].data);
    CHECK(req->inputs[1].dtype == DTYPE_INT64 && req->inputs[1].dims[0] == 2);
    CHECK(req->inputs[1].data && memcmp(req->inputs[1].data, y, sizeof y) == 0);
    request_free(req);

    batched_cfg(&cfg);
    msg_init(&m);
    msg_input(&m, "x", "FP32", DIMS(2, 3));
    msg_input(&m, "mask", "BOOL", DIMS(2, 2));
    msg_raw(&m, bx, sizeof bx);
    msg_raw(&m, mask, sizeof mask);
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(request_batch_rows(req) == 2);
    CHECK(req->inputs[1].dtype == DTYPE_BOOL && req->inputs[1].rank == 2);
    CHECK(req->inputs[1].data && memcmp(req->inputs[1].data, "\1\0\1\1", 4) == 0);
    CHECK(req->output_mask == 1);
    request_free(req);
}

/* An empty tensor needs no contents at all, raw or typed. */
static void test_empty_tensor(void)
{
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    error_t err;

    simple_cfg(&cfg);
    msg_init(&m);
    simple_x_input(&m);
    msg_input(&m, "y", "INT64", DIMS(0));
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(req->inputs[1].rank == 1 && req->inputs[1].dims[0] == 0 && req->inputs[1].data == NULL);
    request_free(req);

    msg_init(&m);
    msg_input(&m, "x", "FP32", DIMS(2, 3));
    msg_input(&m, "y", "INT64", DIMS(0));
    msg_raw(&m, simple_x, sizeof simple_x);
    msg_raw(&m, NULL, 0);
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(req->inputs[1].dims[0] == 0 && req->inputs[1].data == NULL);
    request_free(req);
}

/* A model with one scalar (rank 0) FP32 input s and one scalar output. */
static void scalar_cfg(model_config_t *cfg)
{
    base_cfg(cfg, "scalar");
    tensor_cfg(&cfg->inputs[0], "s", DTYPE_FLOAT, 0);
    cfg->n_inputs = 1;
    tensor_cfg(&cfg->outputs[0], "out", DTYPE_FLOAT, 0);
    cfg->n_outputs = 1;
}

/* A scalar input arrives with no shape at all (shape NULL once unpacked). */
static void test_scalar_input(void)
{
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    Inference__InferTensorContents *c;
    float s = 2.5f;
    error_t err;

    scalar_cfg(&cfg);
    msg_init(&m);
    c = msg_input(&m, "s", "FP32", 0, NULL);
    c->n_fp32_contents = 1;
    c->fp32_contents = &s;
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(q && q->inputs[0]->shape == NULL);
    CHECK(req->inputs[0].rank == 0 && req->inputs[0].data && *(float *)req->inputs[0].data == s);
    request_free(req);
}

/* Checks output o of a response against tensor t called name. */
static void check_output(const Inference__ModelInferResponse *r, size_t o, const char *name,
                         const char *datatype, const tensor_t *t)
{
    const Inference__ModelInferResponse__InferOutputTensor *out = r->outputs[o];

    CHECK(strcmp(out->name, name) == 0);
    CHECK(strcmp(out->datatype, datatype) == 0);
    CHECK(out->n_shape == (size_t)t->rank);
    for (int d = 0; d < t->rank && out->n_shape == (size_t)t->rank; d++)
        CHECK(out->shape[d] == t->dims[d]);
    CHECK(out->contents == NULL);
    CHECK(r->raw_output_contents[o].len == tensor_bytes(t));
    if (r->raw_output_contents[o].len == tensor_bytes(t))
        CHECK(memcmp(r->raw_output_contents[o].data, t->data, tensor_bytes(t)) == 0);
}

/*
 * The response carries the requested outputs in the model's order, each's
 * bytes in raw_output_contents, and survives a trip over the wire.
 */
static void test_response(void)
{
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    Inference__ModelInferResponse *r = NULL, *back;
    arena_t arena = {0};
    error_t err;
    uint8_t *wire;
    size_t size;

    simple_cfg(&cfg);
    msg_init(&m);
    m.msg.id = "abc";
    simple_x_input(&m);
    simple_y_input(&m);
    msg_output(&m, "flag");
    msg_output(&m, "sum");
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    CHECK(req->output_mask == 5);
    fake_simple_outputs(req, INT64_C(1) << 40);
    CHECK(seen(kserve_grpc_infer_response(req, &cfg, NULL, "simple", "3", &arena, &r, &err)) ==
          STATUS_OK);
    CHECK(r && strcmp(r->model_name, "simple") == 0 && strcmp(r->model_version, "3") == 0);
    CHECK(r && strcmp(r->id, "abc") == 0);
    CHECK(r && r->n_outputs == 2 && r->n_raw_output_contents == 2);
    if (r && r->n_outputs == 2 && r->n_raw_output_contents == 2) {
        check_output(r, 0, "sum", "FP32", &req->outputs[0]);
        check_output(r, 1, "flag", "BOOL", &req->outputs[2]);
        /* What a client unpacks is what was built. */
        size = inference__model_infer_response__get_packed_size(r);
        wire = malloc(size);
        CHECK(wire && inference__model_infer_response__pack(r, wire) == size);
        back = wire ? inference__model_infer_response__unpack(NULL, size, wire) : NULL;
        CHECK(back && back->n_outputs == 2 && back->n_raw_output_contents == 2);
        if (back && back->n_outputs == 2 && back->n_raw_output_contents == 2) {
            CHECK(strcmp(back->id, "abc") == 0);
            check_output(back, 0, "sum", "FP32", &req->outputs[0]);
            check_output(back, 1, "flag", "BOOL", &req->outputs[2]);
        }
        if (back)
            inference__model_infer_response__free_unpacked(back, NULL);
        free(wire);
    }
    arena_release(&arena);

    /* Every output wanted; no version and no id: empty strings. */
    req->output_mask = 7;
    req->id = NULL;
    CHECK(seen(kserve_grpc_infer_response(req, &cfg, NULL, "simple", NULL, &arena, &r, &err)) ==
          STATUS_OK);
    CHECK(r && strcmp(r->model_version, "") == 0 && strcmp(r->id, "") == 0);
    CHECK(r && r->n_outputs == 3);
    if (r && r->n_outputs == 3) {
        check_output(r, 1, "count", "INT64", &req->outputs[1]);
        CHECK(*(const int64_t *)r->raw_output_contents[1].data == INT64_C(1) << 40);
    }
    arena_release(&arena);
    request_free(req);
}

/* A response the run cannot have produced is the server's fault, naming the output. */
static void test_response_errors(void)
{
    model_config_t cfg;
    request_t *req = request_create();
    Inference__ModelInferResponse unset = INFERENCE__MODEL_INFER_RESPONSE__INIT, *r = &unset;
    arena_t arena = {0};
    error_t err;

    simple_cfg(&cfg);
    req->output_mask = 2;
    req->n_outputs = 3;
    req->outputs[1] = (tensor_t){.dtype = DTYPE_INT64, .rank = 1, .dims = {1}, .data = NULL};
    CHECK(seen(kserve_grpc_infer_response(req, &cfg, NULL, "simple", "1", &arena, &r, &err)) ==
          STATUS_INTERNAL);
    CHECK(r == NULL && contains_all(err.message, "output 'count' has no data", NULL));
    req->outputs[1] = (tensor_t){.dtype = DTYPE_INT64, .rank = 1, .dims = {-1}};
    CHECK(seen(kserve_grpc_infer_response(req, &cfg, NULL, "simple", "1", &arena, &r, &err)) ==
          STATUS_INTERNAL);
    CHECK(contains_all(err.message, "output 'count' has an invalid shape", NULL));
    req->outputs[1] = (tensor_t){.dtype = DTYPE_STRING, .rank = 1, .dims = {1}};
    CHECK(seen(kserve_grpc_infer_response(req, &cfg, NULL, "simple", "1", &arena, &r, &err)) ==
          STATUS_UNSUPPORTED);
    CHECK(contains_all(err.message, "output 'count'", "cannot be sent", NULL));
    req->n_outputs = 1;
    CHECK(seen(kserve_grpc_infer_response(req, &cfg, NULL, "simple", "1", &arena, &r, &err)) ==
          STATUS_INTERNAL);
    CHECK(contains_all(err.message, "output 'count' was requested but not produced", NULL));
    arena_release(&arena);
    request_free(req);
}

/* Unknown, duplicate and missing inputs and outputs, with the JSON codec's messages. */
static void test_names(void)
{
    model_config_t cfg;
    infer_msg_t m;
    Inference__InferTensorContents *c;
    float z[1] = {1};

    simple_cfg(&cfg);
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    c = msg_input(&m, "z", "FP32", DIMS(1));
    c->n_fp32_contents = 1;
    c->fp32_contents = z;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "unknown input 'z'", "model 'simple'");

    msg_init(&m);
    simple_x_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "missing input 'y'");
    msg_init(&m);
    simple_y_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "missing input 'x'");
    msg_init(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "missing input 'x'");

    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    simple_x_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "duplicate input 'x'");

    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    msg_output(&m, "zz");
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "unknown output 'zz'", "model 'simple'");
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    msg_output(&m, "sum");
    msg_output(&m, "sum");
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "output 'sum' is requested twice");
}

/* Datatype, rank and dims checks, shared with the JSON codec. */
static void test_dtype_and_shape(void)
{
    model_config_t cfg;
    infer_msg_t m;
    Inference__InferTensorContents *c;

    simple_cfg(&cfg);
    msg_init(&m);
    c = msg_input(&m, "x", "INT32", DIMS(2, 3));
    c->n_int_contents = 6;
    c->int_contents = (int32_t[]){1, 2, 3, 4, 5, 6};
    simple_y_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "INT32", "model's FP32");

    msg_init(&m);
    c = msg_input(&m, "x", "FP128", DIMS(2, 3));
    c->n_fp32_contents = 6;
    c->fp32_contents = simple_x;
    simple_y_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "unknown datatype 'FP128'");
    m.inputs[0].datatype = "fp32";
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "unknown datatype 'fp32'");
    m.inputs[0].datatype = "";
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "unknown datatype ''");

    msg_init(&m);
    c = msg_input(&m, "x", "FP32", DIMS(6));
    c->n_fp32_contents = 6;
    c->fp32_contents = simple_x;
    simple_y_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "rank 1", "expects 2", "[2,3]");
    m.inputs[0].shape = (int64_t[]){3, 2};
    m.inputs[0].n_shape = 2;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "shape[0] is 3", "expects 2");
    m.inputs[0].shape = (int64_t[]){2, -3};
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'",
                 "shape[1] must be a non-negative integer");

    batched_cfg(&cfg);
    msg_init(&m);
    msg_input(&m, "x", "FP32", DIMS(5, 3));
    msg_input(&m, "mask", "BOOL", DIMS(5, 1));
    msg_raw(&m, (float[15]){0}, 60);
    msg_raw(&m, (uint8_t[5]){0}, 5);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'",
                 "batch size 5 exceeds max_batch_size 4");
    m.inputs[0].shape = (int64_t[]){3};
    m.inputs[0].n_shape = 1;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "rank 1", "expects 2",
                 "batch dim");
    m.inputs[0].shape = (int64_t[]){1, 3};
    m.inputs[0].n_shape = 2;
    m.raw[0].len = 12;
    m.inputs[1].shape = (int64_t[]){2, 1};
    m.raw[1].len = 2;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'mask'", "batch size 2", "input 'x'");
}

/* Shapes over the element limit, and dims whose product would overflow int64. */
static void test_element_limit(void)
{
    model_config_t cfg;
    infer_msg_t m;
    Inference__InferTensorContents *c;
    int64_t y[11] = {0};

    simple_cfg(&cfg);
    msg_init(&m);
    simple_x_input(&m);
    c = msg_input(&m, "y", "INT64", DIMS(11));
    c->n_int64_contents = 11;
    c->int64_contents = y;
    expect_error(__LINE__, &m, &cfg, 10, STATUS_LIMIT_EXCEEDED, "input 'y'", "[11]", "limit of 10",
                 NULL);
    expect_error(__LINE__, &m, &cfg, 11, STATUS_OK, NULL);
    m.inputs[1].shape = (int64_t[]){INT64_MAX};
    EXPECT_ERROR(&m, &cfg, STATUS_LIMIT_EXCEEDED, "input 'y'", "[9223372036854775807]");
    /* The limit is checked before the contents are looked at. */
    c->n_int64_contents = 0;
    EXPECT_ERROR(&m, &cfg, STATUS_LIMIT_EXCEEDED, "input 'y'");
    /* <= 0: only TENSOR_MAX_ELEMENTS applies. */
    m.inputs[1].shape = (int64_t[]){TENSOR_MAX_ELEMENTS + 1};
    expect_error(__LINE__, &m, &cfg, 0, STATUS_LIMIT_EXCEEDED, "input 'y'", "limit of 4294967296",
                 NULL);

    batched_cfg(&cfg);
    msg_init(&m);
    msg_input(&m, "x", "FP32", DIMS(1, 3));
    msg_input(&m, "mask", "BOOL", DIMS(4, INT64_C(4611686018427387904)));
    msg_raw(&m, simple_x, 12);
    msg_raw(&m, NULL, 0);
    EXPECT_ERROR(&m, &cfg, STATUS_LIMIT_EXCEEDED, "input 'mask'");
}

/* Typed and raw contents that do not fit the input's datatype and shape. */
static void test_contents_errors(void)
{
    model_config_t cfg;
    infer_msg_t m;
    Inference__InferTensorContents *c;
    float x7[7] = {1, 2, 3, 4, 5, 6, 7};
    int64_t wrong[6] = {0};
    uint8_t y_bytes[16] = {0}; /* room for the wrong sizes of y's raw contents */

    simple_cfg(&cfg);
    msg_init(&m);
    c = msg_input(&m, "x", "FP32", DIMS(2, 3));
    c->n_fp32_contents = 7;
    c->fp32_contents = x7;
    simple_y_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "contents.fp32_contents",
                 "has 7 elements", "[2,3]", "needs 6");
    c->n_fp32_contents = 5;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "has 5 elements", "needs 6");
    /* A zero-element shape with contents is as wrong. */
    m.inputs[1].shape = (int64_t[]){0};
    c->n_fp32_contents = 6;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'y'", "contents.int64_contents",
                 "has 1 elements", "[0]", "needs 0");

    /* FP32 data in another field, alone or beside the right one. */
    msg_init(&m);
    c = msg_input(&m, "x", "FP32", DIMS(2, 3));
    c->n_int64_contents = 6;
    c->int64_contents = wrong;
    simple_y_input(&m);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'",
                 "FP32 data goes in contents.fp32_contents, got contents.int64_contents");
    c->n_fp32_contents = 6;
    c->fp32_contents = simple_x;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "got contents.int64_contents");

    msg_init(&m);
    simple_x_input(&m);
    msg_input(&m, "y", "INT64", DIMS(1));
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT,
                 "input 'y' has neither contents nor raw_input_contents");
    m.inputs[1].contents = NULL;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT,
                 "input 'y' has neither contents nor raw_input_contents");

    /* Raw and typed contents together: either every input is raw or none is. */
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    msg_raw(&m, simple_x, sizeof simple_x);
    msg_raw(&m, simple_y, sizeof simple_y);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT,
                 "input 'x' has both contents and raw_input_contents");

    msg_init(&m);
    msg_input(&m, "x", "FP32", DIMS(2, 3));
    msg_input(&m, "y", "INT64", DIMS(1));
    msg_raw(&m, simple_x, 20);
    msg_raw(&m, y_bytes, 8);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "raw_input_contents[0]",
                 "has 20 bytes", "shape [2,3] of FP32 needs 24");
    m.raw[0].len = 24;
    m.raw[1].len = 9;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'y'", "raw_input_contents[1]",
                 "has 9 bytes", "shape [1] of INT64 needs 8");

    /* One raw entry per input, no fewer and no more. */
    m.raw[1].len = 8;
    m.msg.n_raw_input_contents = 1;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'y' has no entry in raw_input_contents",
                 "(1 entries)");
    msg_raw(&m, simple_y, sizeof simple_y);
    msg_raw(&m, simple_y, sizeof simple_y);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT,
                 "raw_input_contents has 3 entries for 2 inputs outside shared memory");
}

/* Typed INT8/INT16/UINT8/UINT16 values outside the datatype's range. */
static void test_narrow_ranges(void)
{
    static const struct {
        dtype_t dtype;
        int64_t value;
        const char *needle;
    } cases[] = {
        {DTYPE_UINT8, 256, "contents.uint_contents[2] = 256 is out of range for UINT8"},
        {DTYPE_INT8, 128, "contents.int_contents[2] = 128 is out of range for INT8"},
        {DTYPE_INT8, -129, "contents.int_contents[2] = -129 is out of range for INT8"},
        {DTYPE_UINT16, 65536, "contents.uint_contents[2] = 65536 is out of range for UINT16"},
        {DTYPE_INT16, -32769, "contents.int_contents[2] = -32769 is out of range for INT16"},
        {DTYPE_UINT8, 4294967295, "contents.uint_contents[2] = 4294967295"},
    };
    model_config_t cfg;

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        infer_msg_t m;
        Inference__InferTensorContents *c;
        int32_t ints[4] = {1, 1, 0, 1};
        uint32_t uints[4] = {1, 1, 0, 1};
        char name[16], input[32];

        base_cfg(&cfg, "narrow");
        lower_name(cases[i].dtype, name, sizeof name);
        tensor_cfg(&cfg.inputs[0], name, cases[i].dtype, 1, INT64_C(4));
        cfg.n_inputs = 1;
        msg_init(&m);
        c = msg_input(&m, name, dtype_kserve_name(cases[i].dtype), DIMS(4));
        if (cases[i].dtype == DTYPE_INT8 || cases[i].dtype == DTYPE_INT16) {
            ints[2] = (int32_t)cases[i].value;
            c->n_int_contents = 4;
            c->int_contents = ints;
        } else {
            uints[2] = (uint32_t)cases[i].value;
            c->n_uint_contents = 4;
            c->uint_contents = uints;
        }
        snprintf(input, sizeof input, "input '%s'", name);
        EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, input, cases[i].needle);
    }
}

/* Datatypes and ranks inferd cannot carry are UNSUPPORTED, not the client's mistake. */
static void test_unsupported(void)
{
    model_config_t cfg;
    infer_msg_t m;
    Inference__InferTensorContents *c;
    ProtobufCBinaryData text = {2, (uint8_t *)"hi"};

    base_cfg(&cfg, "text");
    tensor_cfg(&cfg.inputs[0], "s", DTYPE_STRING, 1, INT64_C(1));
    cfg.n_inputs = 1;
    msg_init(&m);
    c = msg_input(&m, "s", "BYTES", DIMS(1));
    c->n_bytes_contents = 1;
    c->bytes_contents = &text;
    EXPECT_ERROR(&m, &cfg, STATUS_UNSUPPORTED, "input 's'", "datatype BYTES is not supported");

    /* FP16 and BF16 have no typed contents field in KServe v2: raw bytes only. */
    for (int b = 0; b < 2; b++) {
        float values[2] = {1.0f, 2.0f};
        request_t *req = NULL;
        Inference__ModelInferRequest *q;
        error_t err;
        base_cfg(&cfg, "half");
        tensor_cfg(&cfg.inputs[0], "h", b ? DTYPE_BFLOAT16 : DTYPE_FLOAT16, 1, INT64_C(2));
        cfg.n_inputs = 1;
        msg_init(&m);
        msg_input(&m, "h", b ? "BF16" : "FP16", DIMS(2));
        msg_raw(&m, b ? "\x80\x3f\0\x40" : "\0\x3c\0\x40", 4);
        CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
        CHECK(req && req->inputs[0].dtype == (b ? DTYPE_BFLOAT16 : DTYPE_FLOAT16));
        CHECK(req && half_get(req->inputs[0].dtype, ((uint16_t *)req->inputs[0].data)[1]) == 2.0f);
        request_free(req);
        msg_init(&m);
        c = msg_input(&m, "h", b ? "BF16" : "FP16", DIMS(2));
        c->n_fp32_contents = 2;
        c->fp32_contents = values;
        EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'h'",
                     b ? "BF16 data can only be sent in raw_input_contents"
                       : "FP16 data can only be sent in raw_input_contents");
    }

    /* Rank 8 plus the batch dim is over TENSOR_MAX_RANK. */
    base_cfg(&cfg, "deep");
    cfg.max_batch_size = 2;
    tensor_cfg(&cfg.inputs[0], "d", DTYPE_FLOAT, 8, INT64_C(1), INT64_C(1), INT64_C(1), INT64_C(1),
               INT64_C(1), INT64_C(1), INT64_C(1), INT64_C(1));
    cfg.n_inputs = 1;
    msg_init(&m);
    msg_input(&m, "d", "FP32", DIMS(1, 1, 1, 1, 1, 1, 1, 1, 1));
    msg_raw(&m, simple_x, 4);
    EXPECT_ERROR(&m, &cfg, STATUS_UNSUPPORTED, "input 'd'", "rank 9", "limit of 8");
}

/* Request parameters priority and timeout: unsigned integers within the model's limits. */
static void test_parameters(void)
{
    model_config_t cfg;
    infer_msg_t m;
    Inference__InferParameter *p;

    simple_cfg(&cfg);
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    p = msg_param(&m, "priority");
    param_int64(p, -1);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority", "negative");
    param_int64(p, 3);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority 3", "2 priority levels");
    param_uint64(p, UINT64_MAX);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority 18446744073709551615",
                 "too large");
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM;
    p->string_param = "high";
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority", "a string");
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_DOUBLE_PARAM;
    p->double_param = 1.5;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority", "a double");
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM;
    p->bool_param = 1;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority", "a bool");
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE__NOT_SET;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority", "no value");
    m.params[0].value = NULL;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.priority has no value");
    m.params[0].value = p;
    param_int64(p, 1);
    param_int64(msg_param(&m, "timeout"), -5);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.timeout", "negative");
}

/* Request parameters inferd does not serve are refused; sequence ones only when they ask for one.
 */
static void test_unknown_parameters(void)
{
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    Inference__InferParameter *p;
    error_t err;

    simple_cfg(&cfg);
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    param_int64(msg_param(&m, "binary_data_output"), 1);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT,
                 "unknown request parameter 'binary_data_output'", "priority, timeout");
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    p = msg_param(&m, "sequence_id");
    param_uint64(p, 9);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.sequence_id",
                 "no sequence batcher");
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_STRING_PARAM;
    p->string_param = "";
    p = msg_param(&m, "sequence_end");
    p->parameter_choice_case = INFERENCE__INFER_PARAMETER__PARAMETER_CHOICE_BOOL_PARAM;
    p->bool_param = 0;
    CHECK(parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err) == STATUS_OK);
    request_free(req);
    p->bool_param = 1;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "parameters.sequence_end");

    /* Tensor parameters: only the shared memory ones on inputs, and classification on outputs. */
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    param_int64(input_param(&m, 0, "binary_data_size"), 24);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT,
                 "input 'x': unknown parameter 'binary_data_size'", "shared_memory_region");
    msg_init(&m);
    simple_x_input(&m);
    simple_y_input(&m);
    msg_output(&m, "sum");
    param_int64(output_param(&m, 0, "binary_data"), 1);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "output 'sum': unknown parameter 'binary_data'",
                 "classification");
}

/*
 * Shared memory over gRPC: an input in a region takes no raw entry (the
 * others keep theirs, in order, as Triton's clients send them); an output in
 * a region comes back with an empty raw entry and parameters saying where.
 */
static void test_shared_memory(void)
{
    static const int64_t y[2] = {5, 6};
    model_config_t cfg;
    infer_msg_t m;
    request_t *req = NULL;
    Inference__ModelInferRequest *q;
    Inference__ModelInferResponse *r = NULL;
    arena_t arena = {0};
    error_t err = {0};
    status_t st;

    simple_cfg(&cfg);
    msg_init(&m);
    msg_input(&m, "x", "FP32", DIMS(2, 3)); /* in shared memory: no contents */
    msg_input(&m, "y", "INT64", DIMS(2));
    msg_raw(&m, y, sizeof y); /* the one raw entry is y's */
    param_string(input_param(&m, 0, "shared_memory_region"), "in");
    param_int64(input_param(&m, 0, "shared_memory_offset"), 4);
    param_int64(input_param(&m, 0, "shared_memory_byte_size"), 24);
    msg_output(&m, "sum");
    param_string(output_param(&m, 0, "shared_memory_region"), "out");
    param_uint64(output_param(&m, 0, "shared_memory_byte_size"), 24);
    msg_output(&m, "count");
    st = parse_msg(&m, &cfg, TEST_MAX_ELEMENTS, &req, &q, &err);
    CHECK(st == STATUS_OK);
    CHECK(req && req->inputs[0].data == NULL && parsed_prefs.shm_inputs[0].region &&
          strcmp(parsed_prefs.shm_inputs[0].region, "in") == 0 &&
          parsed_prefs.shm_inputs[0].offset == 4 && parsed_prefs.shm_inputs[0].byte_size == 24);
    CHECK(req && req->inputs[1].data && memcmp(req->inputs[1].data, y, sizeof y) == 0);
    CHECK(parsed_prefs.shm_outputs[0].region &&
          strcmp(parsed_prefs.shm_outputs[0].region, "out") == 0 &&
          parsed_prefs.shm_outputs[0].byte_size == 24 && !parsed_prefs.shm_outputs[1].region);
    if (st == STATUS_OK) {
        fake_simple_outputs(req, 2);
        CHECK(kserve_grpc_infer_response(req, &cfg, &parsed_prefs, "simple", "1", &arena, &r,
                                         &err) == STATUS_OK);
        CHECK(r && r->n_outputs == 2 && r->n_raw_output_contents == 2);
        if (r && r->n_outputs == 2 && r->n_raw_output_contents == 2) {
            const Inference__ModelInferResponse__InferOutputTensor *o = r->outputs[0];
            CHECK(strcmp(o->name, "sum") == 0 && r->raw_output_contents[0].len == 0);
            CHECK(o->n_parameters == 3 &&
                  strcmp(o->parameters[0]->key, "shared_memory_region") == 0 &&
                  strcmp(o->parameters[0]->value->string_param, "out") == 0 &&
                  strcmp(o->parameters[1]->key, "shared_memory_offset") == 0 &&
                  o->parameters[1]->value->int64_param == 0 &&
                  strcmp(o->parameters[2]->key, "shared_memory_byte_size") == 0 &&
                  o->parameters[2]->value->int64_param == 24);
            CHECK(r->raw_output_contents[1].len == 8 && r->outputs[1]->n_parameters == 0);
        }
    }
    arena_release(&arena);
    request_free(req);

    /* The input in shared memory with a raw entry of its own: one entry too many. */
    msg_raw(&m, y, sizeof y);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT,
                 "raw_input_contents has 2 entries for 1 inputs outside shared memory");
    m.msg.n_raw_input_contents = 1;
    m.contents[0].n_fp32_contents = 6;
    m.contents[0].fp32_contents = simple_x;
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x' is in shared memory",
                 "also has contents");
    m.contents[0].n_fp32_contents = 0;
    param_int64(input_param(&m, 0, "shared_memory_byte_size"), 20);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'", "shared_memory_byte_size is 20",
                 "needs 24");
    param_int64(input_param(&m, 0, "shared_memory_byte_size"), -1);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'",
                 "shared_memory_byte_size must be a non-negative int64_param");
    param_int64(input_param(&m, 0, "shared_memory_byte_size"), 24);
    param_int64(input_param(&m, 0, "shared_memory_region"), 1);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "input 'x'",
                 "shared_memory_region must be a string_param");
    param_string(input_param(&m, 0, "shared_memory_region"), "in");
    param_int64(output_param(&m, 0, "classification"), 2);
    EXPECT_ERROR(&m, &cfg, STATUS_INVALID_ARGUMENT, "output 'sum'", "classification",
                 "cannot go together");
}

/* What a gRPC client gets for each status the codec returns; none is worth retrying. */
static void test_status_codes(void)
{
    static const struct {
        status_t status;
        api_grpc_code_t grpc;
    } codec_statuses[] = {
        {STATUS_OK, API_GRPC_OK},
        {STATUS_INVALID_ARGUMENT, API_GRPC_INVALID_ARGUMENT},
        /* Over the element limit is a bad request, as HTTP's 400. */
        {STATUS_LIMIT_EXCEEDED, API_GRPC_INVALID_ARGUMENT},
        {STATUS_UNSUPPORTED, API_GRPC_UNIMPLEMENTED},
        {STATUS_INTERNAL, API_GRPC_INTERNAL},
        /* Only when an allocation fails, which these tests do not provoke. */
        {STATUS_OUT_OF_MEMORY, API_GRPC_INTERNAL},
    };
    unsigned listed = 0;

    for (size_t i = 0; i < sizeof codec_statuses / sizeof codec_statuses[0]; i++) {
        status_t st = codec_statuses[i].status;
        CHECK(api_grpc_status(st) == codec_statuses[i].grpc);
        CHECK(!api_status_retryable(st));
        listed |= 1u << -st;
        if (st != STATUS_OUT_OF_MEMORY && !(statuses_seen & (1u << -st))) {
            fprintf(stderr, "  no test got %s from the codec\n", status_name(st));
            check_failures++;
        }
    }
    /* Every status the tests above got from the codec has its row here. */
    CHECK((statuses_seen & ~listed) == 0);
}

static void test_server_metadata(void)
{
    static const char *const extensions[] = {"binary_tensor_data", "statistics", NULL};
    arena_t arena = {0};
    Inference__ServerMetadataResponse *r;

    r = kserve_grpc_server_metadata("inferd", "0.1.0", extensions, &arena);
    CHECK(r && strcmp(r->name, "inferd") == 0 && strcmp(r->version, "0.1.0") == 0);
    CHECK(r && r->n_extensions == 2 && strcmp(r->extensions[0], "binary_tensor_data") == 0 &&
          strcmp(r->extensions[1], "statistics") == 0);
    r = kserve_grpc_server_metadata("inf\xff", "1", NULL, &arena);
    CHECK(r && r->n_extensions == 0 && strcmp(r->name, "inf?") == 0);
    arena_release(&arena);
}

/* Checks a TensorMetadata's name, datatype and shape. */
static void check_tensor_metadata(const Inference__ModelMetadataResponse__TensorMetadata *t,
                                  const char *name, const char *datatype, int rank,
                                  const int64_t *shape)
{
    CHECK(strcmp(t->name, name) == 0);
    CHECK(strcmp(t->datatype, datatype) == 0);
    CHECK(t->n_shape == (size_t)rank);
    if (t->n_shape == (size_t)rank)
        CHECK(memcmp(t->shape, shape, (size_t)rank * sizeof *shape) == 0);
}

/* Shapes with -1 for variable dims, and a leading -1 batch dim when batching. */
static void test_model_metadata(void)
{
    model_config_t cfg;
    const int64_t versions[] = {1, 3, 12};
    arena_t arena = {0};
    Inference__ModelMetadataResponse *r;

    batched_cfg(&cfg);
    r = kserve_grpc_model_metadata(&cfg, versions, 3, &arena);
    CHECK(r && strcmp(r->name, "batched") == 0 && strcmp(r->platform, "onnxruntime_onnx") == 0);
    CHECK(r && r->n_versions == 3 && strcmp(r->versions[2], "12") == 0);
    CHECK(r && r->n_inputs == 2 && r->n_outputs == 1);
    if (r && r->n_inputs == 2 && r->n_outputs == 1) {
        check_tensor_metadata(r->inputs[0], "x", "FP32", DIMS(-1, 3));
        check_tensor_metadata(r->inputs[1], "mask", "BOOL", DIMS(-1, -1));
        check_tensor_metadata(r->outputs[0], "y", "FP32", DIMS(-1, 3));
    }

    /* Without batching the shapes are the config's own. */
    simple_cfg(&cfg);
    r = kserve_grpc_model_metadata(&cfg, NULL, 0, &arena);
    CHECK(r && r->n_versions == 0 && r->n_inputs == 2 && r->n_outputs == 3);
    if (r && r->n_inputs == 2 && r->n_outputs == 3) {
        check_tensor_metadata(r->inputs[0], "x", "FP32", DIMS(2, 3));
        check_tensor_metadata(r->inputs[1], "y", "INT64", DIMS(-1));
        check_tensor_metadata(r->outputs[1], "count", "INT64", DIMS(1));
        check_tensor_metadata(r->outputs[2], "flag", "BOOL", DIMS(2));
    }

    scalar_cfg(&cfg);
    r = kserve_grpc_model_metadata(&cfg, versions, 1, &arena);
    CHECK(r && r->n_inputs == 1 && r->inputs[0]->n_shape == 0);
    arena_release(&arena);
}

/* Triton's ModelConfig: dims without the batch dim, DataType enums, batching and policies. */
static void test_model_config(void)
{
    model_config_t cfg;
    arena_t arena = {0};
    Inference__ModelConfigResponse *r;
    Inference__ModelConfig *c;

    batched_cfg(&cfg);
    cfg.dynamic_batching = true;
    cfg.batching.preferred_batch_sizes[0] = 2;
    cfg.batching.preferred_batch_sizes[1] = 4;
    cfg.batching.n_preferred = 2;
    cfg.batching.max_queue_delay_us = 500;
    cfg.batching.instance_count = 3;
    cfg.batching.threads_per_instance = 2;
    cfg.version_policy.kind = VERSION_POLICY_SPECIFIC;
    cfg.version_policy.versions[0] = 4;
    cfg.version_policy.versions[1] = 9;
    cfg.version_policy.n_versions = 2;
    r = kserve_grpc_model_config(&cfg, &arena);
    c = r ? r->config : NULL;
    CHECK(c && strcmp(c->name, "batched") == 0 && c->max_batch_size == 4);
    /* Triton's names for an ONNX model, as the REST config gives them. */
    CHECK(c && strcmp(c->platform, "onnxruntime_onnx") == 0 &&
          strcmp(c->backend, "onnxruntime") == 0);
    CHECK(c && c->n_input == 2 && c->n_output == 1);
    if (c && c->n_input == 2 && c->n_output == 1) {
        CHECK(strcmp(c->input[0]->name, "x") == 0);
        CHECK(c->input[0]->data_type == INFERENCE__DATA_TYPE__TYPE_FP32);
        CHECK(c->input[0]->n_dims == 1 && c->input[0]->dims[0] == 3);
        CHECK(c->input[1]->data_type == INFERENCE__DATA_TYPE__TYPE_BOOL);
        CHECK(c->input[1]->n_dims == 1 && c->input[1]->dims[0] == -1);
        CHECK(strcmp(c->output[0]->name, "y") == 0);
    }
    CHECK(c &&
          c->scheduling_choice_case == INFERENCE__MODEL_CONFIG__SCHEDULING_CHOICE_DYNAMIC_BATCHING);
    if (c &&
        c->scheduling_choice_case == INFERENCE__MODEL_CONFIG__SCHEDULING_CHOICE_DYNAMIC_BATCHING) {
        CHECK(c->dynamic_batching->n_preferred_batch_size == 2);
        CHECK(c->dynamic_batching->preferred_batch_size[1] == 4);
        CHECK(c->dynamic_batching->max_queue_delay_microseconds == 500);
        CHECK(c->dynamic_batching->priority_levels == 2);
    }
    CHECK(c && c->n_instance_group == 1 && c->instance_group[0]->count == 3);
    CHECK(c && c->version_policy->policy_choice_case ==
                   INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_SPECIFIC);
    CHECK(c && c->version_policy->specific->n_versions == 2 &&
          c->version_policy->specific->versions[1] == 9);
    CHECK(c && c->n_parameters == 1 && strcmp(c->parameters[0]->key, "threads_per_instance") == 0 &&
          strcmp(c->parameters[0]->value->string_value, "2") == 0);

    /* Without dynamic batching there is no scheduling section. */
    simple_cfg(&cfg);
    r = kserve_grpc_model_config(&cfg, &arena);
    c = r ? r->config : NULL;
    CHECK(c && c->max_batch_size == 0 &&
          c->scheduling_choice_case == INFERENCE__MODEL_CONFIG__SCHEDULING_CHOICE__NOT_SET);
    CHECK(c && c->n_input == 2 && c->input[1]->data_type == INFERENCE__DATA_TYPE__TYPE_INT64);
    CHECK(c && c->version_policy->policy_choice_case ==
                   INFERENCE__MODEL_VERSION_POLICY__POLICY_CHOICE_LATEST);
    arena_release(&arena);
}

static void test_repository_index(void)
{
    const kserve_index_entry_t entries[] = {
        {"resnet", "1", KSERVE_MODEL_READY, NULL},
        {"broken", NULL, KSERVE_MODEL_UNAVAILABLE, "model.onnx: invalid model"},
    };
    arena_t arena = {0};
    Inference__RepositoryIndexResponse *r = kserve_grpc_repository_index(entries, 2, &arena);

    CHECK(r && r->n_models == 2);
    if (r && r->n_models == 2) {
        CHECK(strcmp(r->models[0]->name, "resnet") == 0);
        CHECK(strcmp(r->models[0]->version, "1") == 0);
        CHECK(strcmp(r->models[0]->state, "READY") == 0);
        CHECK(strcmp(r->models[0]->reason, "") == 0);
        CHECK(strcmp(r->models[1]->version, "") == 0);
        CHECK(strcmp(r->models[1]->state, "UNAVAILABLE") == 0);
        CHECK(strcmp(r->models[1]->reason, "model.onnx: invalid model") == 0);
    }
    r = kserve_grpc_repository_index(NULL, 0, &arena);
    CHECK(r && r->n_models == 0);
    arena_release(&arena);
}

/* The figures kserve_stats_figures maps, as the REST statistics show them. */
static void test_model_stats(void)
{
    kserve_model_stats_t model = {.name = "resnet", .version = NULL, .max_batch_size = 8};
    arena_t arena = {0};
    Inference__ModelStatisticsResponse *r;
    Inference__ModelStatistics *s;

    model.stats.success = 10;
    model.stats.failed_invalid = 1;
    model.stats.failed_timeout = 3;
    model.stats.inferences = 24;
    model.stats.executions = 4;
    model.stats.queue_us = 500;
    model.stats.compute_us = 2000;
    model.stats.batch_histogram[3] = 3;
    r = kserve_grpc_model_stats(&model, 1, &arena);
    s = r && r->n_model_stats == 1 ? r->model_stats[0] : NULL;
    CHECK(s && strcmp(s->name, "resnet") == 0 && strcmp(s->version, "") == 0);
    CHECK(s && s->inference_count == 24 && s->execution_count == 4 && s->last_inference == 0);
    CHECK(s && s->inference_stats->success->count == 10);
    CHECK(s && s->inference_stats->success->ns == 2500000);
    CHECK(s && s->inference_stats->fail->count == 4);
    CHECK(s && s->inference_stats->queue->ns == 500000);
    CHECK(s && s->inference_stats->compute_infer->ns == 2000000);
    CHECK(s && s->n_batch_stats == 1 && s->batch_stats[0]->batch_size == 8 &&
          s->batch_stats[0]->compute_infer->count == 3);
    arena_release(&arena);
}

int main(void)
{
    test_typed_contents();
    test_typed_every_dtype();
    test_raw_contents();
    test_empty_tensor();
    test_scalar_input();
    test_response();
    test_response_errors();
    test_names();
    test_dtype_and_shape();
    test_element_limit();
    test_contents_errors();
    test_narrow_ranges();
    test_unsupported();
    test_parameters();
    test_unknown_parameters();
    test_shared_memory();
    /* Last: it checks the statuses the tests above got from the codec. */
    test_status_codes();
    test_server_metadata();
    test_model_metadata();
    test_model_config();
    test_repository_index();
    test_model_stats();
    CHECK_DONE();
}
