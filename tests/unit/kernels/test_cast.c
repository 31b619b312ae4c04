/*
 * Unit tests of Cast and CastLike: C conversions, saturation of
 * out-of-range reals, bool normalisation, the opset 1-5 string form, and
 * adapter and prototype failures.
 */
#include "cast/cast.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define PARAMS_MAX 256

/* Adapter, prototype and CPU implementation of op_type, as the engine calls them. */
static status_t run_op(const char *op_type, int opset, const attr_t *attrs, size_t n_attrs,
                       int n_in, const tensor_t *const *in, tensor_t *out, error_t *err)
{
    const op_schema_t *schema = op_registry_find(op_type, opset);
    union {
        max_align_t align;
        unsigned char bytes[PARAMS_MAX];
    } params;
    const attrs_t attr_list = {attrs, n_attrs};
    const op_adapt_t adapt = {op_type, "n0", opset, &attr_list, n_in, 1};
    op_call_t call = {.op_type = op_type,
                      .node = "n0",
                      .params = &params,
                      .n_inputs = n_in,
                      .inputs = in,
                      .n_outputs = 1,
                      .outputs = out,
                      .threads = 1};
    status_t st;

    memset(out, 0, sizeof *out);
    CHECK(schema != NULL);
    if (!schema)
        return STATUS_NOT_FOUND;
    assert(schema->kernel->params_size <= sizeof params);
    memset(&params, 0, sizeof params);
    if (schema->adapt && (st = schema->adapt(&adapt, &params, err)) != STATUS_OK)
        return st;
    if ((st = schema->kernel->infer(&call, err)) != STATUS_OK)
        return st;
    out->data = malloc(tensor_bytes(out) + 1);
    call.workspace = malloc(call.workspace_size + 1);
    st = schema->kernel->run(&call, err);
    free(call.workspace);
    return st;
}

static tensor_t make(dtype_t dtype, int rank, const int64_t *dims, void *data)
{
    tensor_t t = {.dtype = dtype, .rank = rank, .data = data};
    for (int i = 0; i < rank; i++)
        t.dims[i] = dims[i];
    return t;
}

static attr_t to_attr(int64_t to)
{
    attr_t a = {.name = "to", .type = ATTR_INT, .i = to};
    return a;
}

static void test_float_to_int(void)
{
    float x[7] = {2.7f, -2.7f, 1e10f, -1e10f, NAN, 300.0f, -1.0f};
    tensor_t tx = make(DTYPE_FLOAT, 1, (int64_t[]){7}, x);
    const tensor_t *in[1] = {&tx};
    attr_t to = to_attr(DTYPE_INT32);
    tensor_t out;
    error_t err = {0};

    CHECK(run_op("Cast", 13, &to, 1, 1, in, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_INT32 && out.rank == 1 && out.dims[0] == 7);
    const int32_t *i32 = out.data;
    CHECK(i32[0] == 2 && i32[1] == -2 && i32[2] == INT32_MAX && i32[3] == INT32_MIN &&
          i32[4] == 0 && i32[5] == 300 && i32[6] == -1);
    free(out.data);

    to = to_attr(DTYPE_UINT8);
    CHECK(run_op("Cast", 13, &to, 1, 1, in, &out, &err) == STATUS_OK);
    const uint8_t *u8 = out.data;
    CHECK(u8[0] == 2 && u8[2] == 255 && u8[3] == 0 && u8[5] == 255 && u8[6] == 0);
    free(out.data);

    double big[3] = {9.3e18, -9.3e18, 9.2e18};
    tensor_t tb = make(DTYPE_DOUBLE, 1, (int64_t[]){3}, big);
    const tensor_t *bin[1] = {&tb};
    to = to_attr(DTYPE_INT64);
    CHECK(run_op("Cast", 13, &to, 1, 1, bin, &out, &err) == STATUS_OK);
    CHECK(((int64_t *)out.data)[0] == INT64_MAX && ((int64_t *)out.data)[1] == INT64_MIN &&
          ((int64_t *)out.data)[2] == INT64_C(9200000000000000000));
    free(out.data);
}

static void test_other_pairs(void)
{
    int64_t x[4] = {300, -1, 0, INT64_C(1) << 40};
    tensor_t tx = make(DTYPE_INT64, 1, (int64_t[]){4}, x);
    const tensor_t *in[1] = {&tx};
    attr_t to = to_attr(DTYPE_INT8);
    tensor_t out;
    error_t err = {0};

    /* Integer narrowing wraps, as C and numpy do. */
    CHECK(run_op("Cast", 9, &to, 1, 1, in, &out, &err) == STATUS_OK);
    CHECK(((int8_t *)out.data)[0] == 44 && ((int8_t *)out.data)[1] == -1);
    free(out.data);
    to = to_attr(DTYPE_UINT16);
    CHECK(run_op("Cast", 9, &to, 1, 1, in, &out, &err) == STATUS_OK);
    CHECK(((uint16_t *)out.data)[1] == 65535);
    free(out.data);
    to = to_attr(DTYPE_FLOAT);
    CHECK(run_op("Cast", 9, &to, 1, 1, in, &out, &err) == STATUS_OK);
    CHECK(((float *)out.data)[0] == 300.0f && ((float *)out.data)[3] == 1099511627776.0f);
    free(out.data);
    to = to_attr(DTYPE_BOOL);
    CHECK(run_op("Cast", 9, &to, 1, 1, in, &out, &err) == STATUS_OK);
    CHECK(((uint8_t *)out.data)[0] == 1 && ((uint8_t *)out.data)[2] == 0);
    free(out.data);

    float f[4] = {0.0f, -0.0f, 0.25f, NAN};
    tensor_t tf = make(DTYPE_FLOAT, 1, (int64_t[]){4}, f);
    const tensor_t *fin[1] = {&tf};
    static const uint8_t want_bool[4] = {0, 0, 1, 1};
    CHECK(run_op("Cast", 13, &to, 1, 1, fin, &out, &err) == STATUS_OK);
    CHECK(memcmp(out.data, want_bool, 4) == 0);
    free(out.data);

    to = to_attr(DTYPE_DOUBLE);
    CHECK(run_op("Cast", 13, &to, 1, 1, fin, &out, &err) == STATUS_OK);
    CHECK(((double *)out.data)[2] == 0.25 && isnan(((double *)out.data)[3]));
    free(out.data);

    /* A bool byte of 2 is true and converts to 1. */
    uint8_t b[2] = {2, 0};
    tensor_t tb = make(DTYPE_BOOL, 1, (int64_t[]){2}, b);
    const tensor_t *bin[1] = {&tb};
    to = to_attr(DTYPE_FLOAT);
    CHECK(run_op("Cast", 13, &to, 1, 1, bin, &out, &err) == STATUS_OK);
    CHECK(((float *)out.data)[0] == 1.0f && ((float *)out.data)[1] == 0.0f);
    free(out.data);
    to = to_attr(DTYPE_BOOL);
    CHECK(run_op("Cast", 13, &to, 1, 1, bin, &out, &err) == STATUS_OK);
    CHECK(((uint8_t *)out.data)[0] == 1);
    free(out.data);
}

static void test_legacy_and_like(void)
{
    float x[2] = {1.5f, -2.5f};
    int64_t like[1] = {0};
    tensor_t tx = make(DTYPE_FLOAT, 1, (int64_t[]){2}, x);
    tensor_t tl = make(DTYPE_INT64, 0, NULL, like);
    const tensor_t *in[1] = {&tx};
    attr_t to = {.name = "to", .type = ATTR_STRING, .s = "INT32"};
    tensor_t out;
    error_t err = {0};

    CHECK(run_op("Cast", 5, &to, 1, 1, in, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_INT32 && ((int32_t *)out.data)[1] == -2);
    free(out.data);

    to.s = "double";
    CHECK(run_op("Cast", 1, &to, 1, 1, in, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_DOUBLE);
    free(out.data);

    to.s = "REAL";
    CHECK(run_op("Cast", 1, &to, 1, 1, in, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "Cast node 'n0': attribute 'to' = \"REAL\" is not an ONNX data "
                              "type name") != NULL);

    const tensor_t *pair[2] = {&tx, &tl};
    CHECK(run_op("CastLike", 15, NULL, 0, 2, pair, &out, &err) == STATUS_OK);
    CHECK(out.dtype == DTYPE_INT64 && ((int64_t *)out.data)[0] == 1);
    free(out.data);
}

static void test_failures(void)
{
    float x[2] = {0};
    tensor_t tx = make(DTYPE_FLOAT, 1, (int64_t[]){2}, x);
    const tensor_t *in[1] = {&tx};
    attr_t to = to_attr(DTYPE_FLOAT16);
    tensor_t out;
    error_t err = {0};

    CHECK(run_op("Cast", 13, &to, 1, 1, in, &out, &err) == STATUS_UNSUPPORTED);
    CHECK(strstr(err.message, "Cast node 'n0': cast from float to float16 is not supported") !=
          NULL);

    tensor_t ts = make(DTYPE_STRING, 1, (int64_t[]){2}, x);
    const tensor_t *sin[1] = {&ts};
    to = to_attr(DTYPE_FLOAT);
    CHECK(run_op("Cast", 13, &to, 1, 1, sin, &out, &err) == STATUS_UNSUPPORTED);
    CHECK(strstr(err.message, "cast from string to float is not supported: inferd holds no "
                              "string tensors") != NULL);

    to = to_attr(99);
    CHECK(run_op("Cast", 13, &to, 1, 1, in, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "Cast node 'n0': attribute 'to' = 99 is not an ONNX data type") !=
          NULL);

    CHECK(run_op("Cast", 13, NULL, 0, 1, in, &out, &err) == STATUS_INVALID_MODEL);
    CHECK(strstr(err.message, "Cast node 'n0': attribute 'to' is required") != NULL);
}

int main(void)
{
    test_float_to_int();
    test_other_pairs();
    test_legacy_and_like();
    test_failures();
    CHECK_DONE();
}
