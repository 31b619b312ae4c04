/*
 * Unit tests of Where: the three-way broadcast walk against a naive
 * reference for every element size, and prototype failure messages.
 */
#include "where/where.h"

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

#define TEST_MAX_ELEMENTS 64

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

/* Offset in `in` of output element i under numpy broadcasting, the slow way. */
static int64_t ref_offset(int64_t i, const tensor_t *out, const tensor_t *in)
{
    int64_t offset = 0, stride = 1;

    for (int d = out->rank - 1; d >= 0; d--) {
        int64_t coord = i % out->dims[d];
        int src = d - (out->rank - in->rank);
        i /= out->dims[d];
        if (src < 0)
            continue;
        if (in->dims[src] != 1)
            offset += coord * stride;
        stride *= in->dims[src];
    }
    return offset;
}

typedef struct where_case {
    int rank[3];
    int64_t dims[3][3];
} where_case_t;

static const where_case_t cases[] = {
    {{2, 2, 2}, {{4, 5}, {4, 5}, {4, 5}}}, /* same shape: the all-advance rows */
    {{3, 2, 0}, {{2, 1, 3}, {4, 1}, {0}}}, /* all three broadcast */
    {{1, 2, 2}, {{5}, {4, 5}, {4, 1}}},    /* y repeated along rows */
    {{2, 0, 2}, {{4, 1}, {0}, {1, 5}}},    /* scalar x */
    {{0, 1, 1}, {{0}, {6}, {6}}},          /* scalar condition */
};

/* Element sizes 1, 2, 4 and 8: int8, int16, float, int64. */
static const dtype_t dtypes[] = {DTYPE_INT8, DTYPE_INT16, DTYPE_FLOAT, DTYPE_INT64};

static void test_broadcast(void)
{
    static uint8_t cond[TEST_MAX_ELEMENTS];
    static int64_t x[TEST_MAX_ELEMENTS], y[TEST_MAX_ELEMENTS];

    for (int i = 0; i < TEST_MAX_ELEMENTS; i++) {
        cond[i] = (uint8_t)(i % 3 == 0 ? 0 : i % 3); /* 0, 1 and 2 (also true) */
        x[i] = 1000 + i;
        y[i] = -1000 - i;
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t k = 0; k < sizeof dtypes / sizeof dtypes[0]; k++) {
            const size_t size = dtype_size(dtypes[k]);
            /* Element bytes differ per type; reinterpret the same buffers. */
            tensor_t tc = make(DTYPE_BOOL, cases[c].rank[0], cases[c].dims[0], cond);
            tensor_t tx = make(dtypes[k], cases[c].rank[1], cases[c].dims[1], x);
            tensor_t ty = make(dtypes[k], cases[c].rank[2], cases[c].dims[2], y);
            const tensor_t *in[3] = {&tc, &tx, &ty};
            tensor_t out;
            error_t err = {0};
            CHECK(run_op("Where", 16, NULL, 0, 3, in, &out, &err) == STATUS_OK);
            CHECK(out.dtype == dtypes[k]);
            for (int64_t i = 0; i < tensor_numel(&out); i++) {
                const uint8_t *src = cond[ref_offset(i, &out, &tc)]
                                         ? (const uint8_t *)x + ref_offset(i, &out, &tx) * size
                                         : (const uint8_t *)y + ref_offset(i, &out, &ty) * size;
                if (memcmp((uint8_t *)out.data + i * size, src, size) != 0) {
                    fprintf(stderr, "case %zu dtype %s element %lld\n", c, dtype_name(dtypes[k]),
                            (long long)i);
                    CHECK(false);
                    break;
                }
            }
            free(out.data);
        }
    }
}

static void test_failures(void)
{
    uint8_t cond[4] = {0};
    float x[4] = {0};
    int32_t y[4] = {0};
    tensor_t tc = make(DTYPE_BOOL, 1, (int64_t[]){4}, cond);
    tensor_t tx = make(DTYPE_FLOAT, 1, (int64_t[]){4}, x);
    tensor_t ty = make(DTYPE_INT32, 1, (int64_t[]){4}, y);
    tensor_t tz = make(DTYPE_FLOAT, 2, (int64_t[]){2, 3}, x);
    tensor_t out;
    error_t err = {0};

    const tensor_t *types[3] = {&tc, &tx, &ty};
    CHECK(run_op("Where", 16, NULL, 0, 3, types, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message, "Where node 'n0': Y has dtype int32 but X has float") != NULL);

    const tensor_t *shapes[3] = {&tc, &tx, &tz};
    CHECK(run_op("Where", 16, NULL, 0, 3, shapes, &out, &err) == STATUS_INVALID_ARGUMENT);
    CHECK(strstr(err.message,
                 "Where node 'n0': input 2 of shape [2,3] does not broadcast with shape [4]") !=
          NULL);
}

int main(void)
{
    test_broadcast();
    test_failures();
    CHECK_DONE();
}
