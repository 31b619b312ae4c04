/*
 * KServe infer request parsing and response writing: round trips for every
 * dtype in JSON and binary form, nested data, id echo, output selection,
 * binary output preferences, priority and timeout.
 */
#include <float.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "kserve_fixtures.h"

/* The dtypes request: 4 values per dtype at the edges of its range. */
static const char dtypes_json[] =
    "{\"inputs\":["
    "{\"name\":\"bool\",\"datatype\":\"BOOL\",\"shape\":[4],\"data\":[true,false,false,true]},"
    "{\"name\":\"uint8\",\"datatype\":\"UINT8\",\"shape\":[4],\"data\":[0,255,1,128]},"
    "{\"name\":\"int8\",\"datatype\":\"INT8\",\"shape\":[4],\"data\":[-128,127,0,-1]},"
    "{\"name\":\"uint16\",\"datatype\":\"UINT16\",\"shape\":[4],\"data\":[0,65535,1,300]},"
    "{\"name\":\"int16\",\"datatype\":\"INT16\",\"shape\":[4],\"data\":[-32768,32767,0,-300]},"
    "{\"name\":\"uint32\",\"datatype\":\"UINT32\",\"shape\":[4],\"data\":[0,4294967295,1,70000]},"
    "{\"name\":\"int32\",\"datatype\":\"INT32\",\"shape\":[4],"
    "\"data\":[-2147483648,2147483647,0,-70000]},"
    "{\"name\":\"uint64\",\"datatype\":\"UINT64\",\"shape\":[4],"
    "\"data\":[0,9223372036854775807,1,5]},"
    "{\"name\":\"int64\",\"datatype\":\"INT64\",\"shape\":[4],"
    "\"data\":[-9223372036854775808,9223372036854775807,0,-5]},"
    "{\"name\":\"fp32\",\"datatype\":\"FP32\",\"shape\":[4],"
    "\"data\":[0.1,-3.4028234663852886e38,1e-45,16777216]},"
    "{\"name\":\"fp64\",\"datatype\":\"FP64\",\"shape\":[4],"
    "\"data\":[0.1,1.7976931348623157e308,5e-324,-2.5]}"
    "]}";

/* Makes the request's outputs its inputs, as an identity model would. */
static void echo_outputs(request_t *req)
{
    req->n_outputs = req->n_inputs;
    for (int k = 0; k < req->n_inputs; k++)
        req->outputs[k] = req->inputs[k];
}

/*
 * Turns a response back into a request: its "outputs" become "inputs" (the
 * two share a format, binary sections included) and are parsed for cfg.
 */
static status_t reparse_response(const model_config_t *cfg, const char *body, size_t size,
                                 size_t header_len, request_t **out)
{
    size_t json_len = header_len ? header_len : size;
    json_t *resp = json_loadb(body, json_len, 0, NULL);
    json_t *req_json = json_object();
    char *text = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    status_t st = STATUS_INTERNAL;

    *out = NULL;
    if (!resp || !req_json)
        goto cleanup;
    json_object_set(req_json, "inputs", json_object_get(resp, "outputs"));
    text = json_dumps(req_json, JSON_COMPACT);
    if (!text)
        goto cleanup;
    st = parse_binary(cfg, text, body + json_len, size - json_len, out, &prefs, &err);
    if (st != STATUS_OK)
        fprintf(stderr, "  reparse: %s\n", err.message);

cleanup:
    free(text);
    json_decref(req_json);
    json_decref(resp);
    return st;
}

static void check_same_inputs(const request_t *a, const request_t *b)
{
    CHECK(a->n_inputs == b->n_inputs);
    for (int k = 0; k < a->n_inputs && k < b->n_inputs; k++) {
        CHECK(a->inputs[k].dtype == b->inputs[k].dtype);
        CHECK(shape_equal(a->inputs[k].rank, a->inputs[k].dims, b->inputs[k].rank,
                          b->inputs[k].dims));
        CHECK(memcmp(a->inputs[k].data, b->inputs[k].data, tensor_bytes(&a->inputs[k])) == 0);
    }
}

static void test_json_round_trip_every_dtype(void)
{
    model_config_t cfg;
    request_t *req = NULL, *again = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    char *body = NULL;
    size_t size = 0, header_len = 1;

    dtypes_cfg(&cfg);
    CHECK(parse_json(&cfg, dtypes_json, &req, &prefs, &err) == STATUS_OK);
    CHECK(req->n_inputs == N_ALL_DTYPES);
    CHECK(req->output_mask == (UINT64_C(1) << N_ALL_DTYPES) - 1);
    CHECK(prefs.binary_mask == 0);
    CHECK(req->id == NULL);
    CHECK(((uint8_t *)req->inputs[0].data)[0] == 1 && ((uint8_t *)req->inputs[0].data)[1] == 0);
    CHECK(((uint8_t *)req->inputs[1].data)[1] == 255);
    CHECK(((int8_t *)req->inputs[2].data)[0] == -128);
    CHECK(((uint16_t *)req->inputs[3].data)[1] == 65535);
    CHECK(((int16_t *)req->inputs[4].data)[0] == -32768);
    CHECK(((uint32_t *)req->inputs[5].data)[1] == UINT32_MAX);
    CHECK(((int32_t *)req->inputs[6].data)[0] == INT32_MIN);
    CHECK(((uint64_t *)req->inputs[7].data)[1] == (uint64_t)INT64_MAX);
    CHECK(((int64_t *)req->inputs[8].data)[0] == INT64_MIN);
    CHECK(((float *)req->inputs[9].data)[0] == 0.1f);
    CHECK(((float *)req->inputs[9].data)[1] == -FLT_MAX);
    CHECK(((float *)req->inputs[9].data)[2] > 0.0f);
    CHECK(((double *)req->inputs[10].data)[1] == DBL_MAX);
    CHECK(((double *)req->inputs[10].data)[2] > 0.0);

    echo_outputs(req);
    CHECK(kserve_write_infer_response(req, &cfg, "dtypes", "1", &prefs, &body, &size, &header_len,
                                      &err) == STATUS_OK);
    CHECK(header_len == 0);
    if (body) {
        char *text = strndup(body, size);
        CHECK(text && strstr(text, "\"model_name\":\"dtypes\",\"model_version\":\"1\""));
        CHECK(text && strstr(text, "[0.100000001,-3.40282347e+38,1.40129846e-45,16777216]"));
        CHECK(text && strstr(text, "[true,false,false,true]"));
        CHECK(text && strstr(text, "[-9223372036854775808,9223372036854775807,0,-5]"));
        CHECK(text && !strstr(text, "\"id\""));
        free(text);
        CHECK(reparse_response(&cfg, body, size, header_len, &again) == STATUS_OK);
        if (again)
            check_same_inputs(req, again);
    }
    free(body);
    request_free(again);
    request_free(req);
}

/* Fills n bytes with a fixed pseudo-random pattern. */
static void fill_bytes(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = (unsigned char)(seed >> 16);
    }
}

static void test_binary_round_trip_every_dtype(void)
{
    model_config_t cfg;
    request_t *req = NULL, *again = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    unsigned char bin[N_ALL_DTYPES * 32];
    size_t bin_len = 0, offsets[N_ALL_DTYPES];
    char json[4096];
    size_t used;
    char *body = NULL;
    size_t size = 0, header_len = 0;

    dtypes_cfg(&cfg);
    /* Sent in reverse model order, so binary order (request order) differs from model order. */
    used = (size_t)snprintf(json, sizeof json,
                            "{\"parameters\":{\"binary_data_output\":true},\"inputs\":[");
    for (int i = N_ALL_DTYPES - 1; i >= 0; i--) {
        char name[16];
        size_t n = 4 * dtype_size(all_dtypes[i]);
        lower_name(all_dtypes[i], name, sizeof name);
        used += (size_t)snprintf(json + used, sizeof json - used,
                                 "%s{\"name\":\"%s\",\"datatype\":\"%s\",\"shape\":[4],"
                                 "\"parameters\":{\"binary_data_size\":%zu}}",
                                 i == N_ALL_DTYPES - 1 ? "" : ",", name,
                                 dtype_kserve_name(all_dtypes[i]), n);
        offsets[i] = bin_len;
        fill_bytes(bin + bin_len, n, (unsigned)i + 1);
        if (all_dtypes[i] == DTYPE_BOOL)
            for (size_t b = 0; b < n; b++)
                bin[bin_len + b] = b % 2 ? 0 : 7; /* any non-zero byte is true */
        if (all_dtypes[i] == DTYPE_FLOAT)
            ((float *)(void *)(bin + bin_len))[0] = 0.1f;
        bin_len += n;
    }
    snprintf(json + used, sizeof json - used, "]}");

    CHECK(parse_binary(&cfg, json, bin, bin_len, &req, &prefs, &err) == STATUS_OK);
    CHECK(prefs.binary_mask == (UINT64_C(1) << N_ALL_DTYPES) - 1);
    for (int i = 0; req->n_inputs == N_ALL_DTYPES && i < N_ALL_DTYPES; i++) {
        const tensor_t *t = &req->inputs[i];
        CHECK(t->dtype == all_dtypes[i] && t->rank == 1 && t->dims[0] == 4);
        if (t->dtype == DTYPE_BOOL)
            CHECK(memcmp(t->data, "\1\0\1\0", 4) == 0);
        else
            CHECK(memcmp(t->data, bin + offsets[i], tensor_bytes(t)) == 0);
    }

    echo_outputs(req);
    CHECK(kserve_write_infer_response(req, &cfg, "dtypes", NULL, &prefs, &body, &size, &header_len,
                                      &err) == STATUS_OK);
    CHECK(header_len > 0 && header_len < size);
    if (body && header_len > 0) {
        char *text = strndup(body, header_len);
        size_t off = header_len;
        CHECK(text && strstr(text, "\"binary_data_size\":32"));
        CHECK(text && !strstr(text, "\"data\""));
        CHECK(text && !strstr(text, "model_version"));
        free(text);
        /* The binary section holds the outputs in model order. */
        for (int i = 0; i < N_ALL_DTYPES && req->n_inputs == N_ALL_DTYPES; i++) {
            size_t n = tensor_bytes(&req->inputs[i]);
            CHECK(off + n <= size && memcmp(body + off, req->inputs[i].data, n) == 0);
            off += n;
        }
        CHECK(off == size);
        CHECK(reparse_response(&cfg, body, size, header_len, &again) == STATUS_OK);
        if (again)
            check_same_inputs(req, again);
    }
    free(body);
    request_free(again);
    request_free(req);
}

/* Values JSON cannot carry exactly through jansson, written by the response writer. */
static void test_response_special_values(void)
{
    model_config_t cfg;
    request_t *req = request_create();
    kserve_output_prefs_t prefs = {0};
    error_t err;
    float f[4] = {NAN, INFINITY, -INFINITY, -0.0f};
    uint64_t u[4] = {UINT64_MAX, 0, 1, (uint64_t)INT64_MAX + 1};
    char *body = NULL;
    size_t size = 0, header_len = 0;

    dtypes_cfg(&cfg);
    req->n_outputs = N_ALL_DTYPES;
    req->output_mask = (UINT64_C(1) << 7) | (UINT64_C(1) << 9); /* uint64, fp32 */
    req->outputs[7] = (tensor_t){.dtype = DTYPE_UINT64, .rank = 1, .dims = {4}, .data = u};
    req->outputs[9] = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 1, .dims = {4}, .data = f};
    CHECK(kserve_write_infer_response(req, &cfg, "dtypes", "2", &prefs, &body, &size, &header_len,
                                      &err) == STATUS_OK);
    if (body) {
        char *text = strndup(body, size);
        CHECK(text && strstr(text, "[18446744073709551615,0,1,9223372036854775808]"));
        CHECK(text && strstr(text, "[NaN,Infinity,-Infinity,-0]"));
        /* uint64 output comes before fp32: model order. */
        CHECK(text && strstr(text, "\"uint64\"") < strstr(text, "\"fp32\""));
        free(text);
    }
    free(body);
    request_free(req);
}

static void test_nested_and_flat_data(void)
{
    model_config_t cfg;
    request_t *flat = NULL, *nested = NULL, *mixed = NULL;
    kserve_output_prefs_t prefs;
    error_t err;

    simple_cfg(&cfg);
    CHECK(parse_json(&cfg,
                     "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                     "\"data\":[1,2,3,4,5,6]},{\"name\":\"y\",\"datatype\":\"INT64\","
                     "\"shape\":[2],\"data\":[7,8]}]}",
                     &flat, &prefs, &err) == STATUS_OK);
    CHECK(parse_json(&cfg,
                     "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                     "\"data\":[[1,2,3],[4,5,6]]},{\"name\":\"y\",\"datatype\":\"INT64\","
                     "\"shape\":[2],\"data\":[[7],[8]]}]}",
                     &nested, &prefs, &err) == STATUS_OK);
    CHECK(parse_json(&cfg,
                     "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                     "\"data\":[[1,[2]],[],[3,4,[[5,6]]]]},{\"name\":\"y\",\"datatype\":\"INT64\","
                     "\"shape\":[2],\"data\":[7,8]}]}",
                     &mixed, &prefs, &err) == STATUS_OK);
    check_same_inputs(flat, nested);
    check_same_inputs(flat, mixed);
    CHECK(((float *)flat->inputs[0].data)[5] == 6.0f);
    CHECK(((int64_t *)flat->inputs[1].data)[1] == 8);
    request_free(flat);
    request_free(nested);
    request_free(mixed);
}

/* Inputs land in the model's order whatever order the request lists them in. */
static void test_model_input_order_and_empty_tensor(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;

    simple_cfg(&cfg);
    CHECK(parse_json(&cfg,
                     "{\"inputs\":[{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[0],"
                     "\"data\":[]},{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                     "\"data\":[1,2,3,4,5,6]}]}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(req->n_inputs == 2);
    CHECK(req->inputs[0].dtype == DTYPE_FLOAT && req->inputs[0].rank == 2);
    CHECK(req->inputs[1].dtype == DTYPE_INT64 && req->inputs[1].dims[0] == 0);
    request_free(req);
}

static void test_batched_shapes(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;

    batched_cfg(&cfg);
    CHECK(parse_json(&cfg,
                     "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                     "\"data\":[[1,2,3],[4,5,6]]},{\"name\":\"mask\",\"datatype\":\"BOOL\","
                     "\"shape\":[2,1],\"data\":[[true],[false]]}]}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(req->inputs[0].rank == 2 && req->inputs[0].dims[0] == 2 && req->inputs[0].dims[1] == 3);
    CHECK(request_batch_rows(req) == 2);
    CHECK(req->output_mask == 1);
    request_free(req);
}

static void test_id_echo(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    char *body = NULL;
    size_t size = 0, header_len = 0;
    float sum[6] = {1, 2, 3, 4, 5, 6};

    simple_cfg(&cfg);
    CHECK(parse_json(&cfg,
                     "{\"id\":\"req-\\\"42\\\"\\u00e9\\n\",\"inputs\":[{\"name\":\"x\","
                     "\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":[1,2,3,4,5,6]},"
                     "{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[1]}],"
                     "\"outputs\":[{\"name\":\"sum\"}]}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(req->id && strcmp(req->id, "req-\"42\"\xc3\xa9\n") == 0);
    req->n_outputs = 3;
    req->outputs[0] = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 2, .dims = {2, 3}, .data = sum};
    CHECK(kserve_write_infer_response(req, &cfg, "simple", "3", &prefs, &body, &size, &header_len,
                                      &err) == STATUS_OK);
    if (body) {
        json_t *resp = json_loadb(body, size, 0, NULL);
        CHECK(resp != NULL);
        CHECK(strcmp(json_string_value(json_object_get(resp, "id")), req->id) == 0);
        CHECK(strcmp(json_string_value(json_object_get(resp, "model_version")), "3") == 0);
        json_decref(resp);
    }
    free(body);
    request_free(req);
}

#define SIMPLE_INPUTS                                                                              \
    "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":[1,2,3,4,5,6]},"   \
    "{\"name\":\"y\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[1]}]"

static void test_requested_outputs(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    char *body = NULL;
    size_t size = 0, header_len = 1;

    simple_cfg(&cfg);
    CHECK(parse_json(&cfg,
                     "{" SIMPLE_INPUTS ",\"outputs\":[{\"name\":\"flag\"},{\"name\":\"sum\","
                     "\"parameters\":{\"classification\":0}}]}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(req->output_mask == 5);
    CHECK(prefs.binary_mask == 0);
    fake_simple_outputs(req, 6);
    CHECK(kserve_write_infer_response(req, &cfg, "simple", "1", &prefs, &body, &size, &header_len,
                                      &err) == STATUS_OK);
    CHECK(header_len == 0);
    if (body) {
        char *text = strndup(body, size);
        CHECK(text && strcmp(text, "{\"model_name\":\"simple\",\"model_version\":\"1\","
                                   "\"outputs\":[{\"name\":\"sum\",\"datatype\":\"FP32\","
                                   "\"shape\":[2,3],\"data\":[0,0.25,0.5,0.75,1,1.25]},"
                                   "{\"name\":\"flag\",\"datatype\":\"BOOL\",\"shape\":[2],"
                                   "\"data\":[true,false]}]}") == 0);
        free(text);
    }
    free(body);
    request_free(req);

    /* An empty list asks for every output, like no list. */
    CHECK(parse_json(&cfg, "{" SIMPLE_INPUTS ",\"outputs\":[]}", &req, &prefs, &err) == STATUS_OK);
    CHECK(req->output_mask == 7);
    request_free(req);
}

static void test_binary_output_selection(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    char *body = NULL;
    size_t size = 0, header_len = 0;

    simple_cfg(&cfg);
    /* Request-level default true, overridden per output. */
    CHECK(parse_json(&cfg,
                     "{\"parameters\":{\"binary_data_output\":true}," SIMPLE_INPUTS
                     ",\"outputs\":[{\"name\":\"sum\",\"parameters\":{\"binary_data\":false}},"
                     "{\"name\":\"count\"},{\"name\":\"flag\"}]}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(req->output_mask == 7);
    CHECK(prefs.binary_mask == 6);
    fake_simple_outputs(req, 6);
    CHECK(kserve_write_infer_response(req, &cfg, "simple", "1", &prefs, &body, &size, &header_len,
                                      &err) == STATUS_OK);
    CHECK(header_len > 0 && size == header_len + 8 + 2);
    if (body && header_len > 0 && size == header_len + 10) {
        char *text = strndup(body, header_len);
        int64_t count;
        CHECK(text && strstr(text, "\"name\":\"sum\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                                   "\"data\":[0,0.25,0.5,0.75,1,1.25]}"));
        CHECK(text && strstr(text, "\"name\":\"count\",\"datatype\":\"INT64\",\"shape\":[1],"
                                   "\"parameters\":{\"binary_data_size\":8}}"));
        CHECK(text && strstr(text, "\"parameters\":{\"binary_data_size\":2}}"));
        free(text);
        memcpy(&count, body + header_len, 8);
        CHECK(count == 6);
        CHECK(body[header_len + 8] == 1 && body[header_len + 9] == 0);
    }
    free(body);
    request_free(req);

    /* Per-output binary without the request-level default; absent outputs list + default. */
    CHECK(parse_json(&cfg,
                     "{" SIMPLE_INPUTS ",\"outputs\":[{\"name\":\"flag\",\"parameters\":"
                     "{\"binary_data\":true}},{\"name\":\"count\"}]}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(req->output_mask == 6 && prefs.binary_mask == 4);
    request_free(req);
    CHECK(parse_json(&cfg, "{\"parameters\":{\"binary_data_output\":true}," SIMPLE_INPUTS "}", &req,
                     &prefs, &err) == STATUS_OK);
    CHECK(req->output_mask == 7 && prefs.binary_mask == 7);
    request_free(req);
}

/*
 * An output written into shared memory goes back without data: its
 * parameters name the region and offset and give the bytes written; the
 * other outputs keep their form.
 */
static void test_shared_memory_output(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    char *body = NULL, *text;
    size_t size = 0, header_len = 0;

    simple_cfg(&cfg);
    CHECK(parse_json(&cfg,
                     "{" SIMPLE_INPUTS ",\"outputs\":[{\"name\":\"sum\",\"parameters\":"
                     "{\"shared_memory_region\":\"out\",\"shared_memory_offset\":8,"
                     "\"shared_memory_byte_size\":64}},{\"name\":\"count\",\"parameters\":"
                     "{\"binary_data\":true}},{\"name\":\"flag\"}]}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(prefs.binary_mask == 2);
    fake_simple_outputs(req, 6);
    CHECK(kserve_write_infer_response(req, &cfg, "simple", "1", &prefs, &body, &size, &header_len,
                                      &err) == STATUS_OK);
    /* Only count's 8 bytes follow the JSON. */
    CHECK(header_len > 0 && size == header_len + 8);
    text = body && header_len ? strndup(body, header_len) : NULL;
    CHECK(text && strstr(text, "{\"name\":\"sum\",\"datatype\":\"FP32\",\"shape\":[2,3],"
                               "\"parameters\":{\"shared_memory_region\":\"out\","
                               "\"shared_memory_offset\":8,\"shared_memory_byte_size\":24}}"));
    CHECK(text && strstr(text, "\"name\":\"flag\",\"datatype\":\"BOOL\",\"shape\":[2],"
                               "\"data\":[true,false]}"));
    free(text);
    free(body);
    request_free(req);
}

static void test_priority_and_timeout(void)
{
    model_config_t cfg;
    request_t *req = NULL;
    kserve_output_prefs_t prefs;
    error_t err;

    simple_cfg(&cfg);
    CHECK(parse_json(&cfg, "{\"parameters\":{\"priority\":2,\"timeout\":1500}," SIMPLE_INPUTS "}",
                     &req, &prefs, &err) == STATUS_OK);
    CHECK(req->priority == 2);
    CHECK(req->timeout_us == 1500);
    request_free(req);
    CHECK(parse_json(&cfg, "{\"parameters\":{\"priority\":0}," SIMPLE_INPUTS "}", &req, &prefs,
                     &err) == STATUS_OK);
    CHECK(req->priority == 0 && req->timeout_us == 0);
    request_free(req);
    CHECK(parse_json(&cfg, "{" SIMPLE_INPUTS "}", &req, &prefs, &err) == STATUS_OK);
    CHECK(req->priority == 0 && req->timeout_us == 0);
    request_free(req);
}

/* A response whose output the request asked for but the run did not fill is a server bug. */
static void test_response_missing_output(void)
{
    model_config_t cfg;
    request_t *req = request_create();
    kserve_output_prefs_t prefs = {0};
    error_t err;
    char *body = (char *)1;
    size_t size = 1, header_len = 1;

    simple_cfg(&cfg);
    req->output_mask = 2;
    req->n_outputs = 3;
    req->outputs[1] = (tensor_t){.dtype = DTYPE_INT64, .rank = 1, .dims = {1}, .data = NULL};
    CHECK(kserve_write_infer_response(req, &cfg, "simple", "1", &prefs, &body, &size, &header_len,
                                      &err) == STATUS_INTERNAL);
    CHECK(contains_all(err.message, "'count'", NULL));
    CHECK(body == NULL && size == 0 && header_len == 0);
    request_free(req);
}

/*
 * The classification extension's own example (Triton's
 * extension_classification.md): output [1.1, 3.3, 0.5, 2.4] with
 * "classification": 2 is ["3.3:1", "2.4:3"], and with labels
 * ["3.3:1:index_1_label", "2.4:3:index_3_label"]; in binary each string
 * is its 4-byte little-endian length and its bytes.
 */
static void test_classification(void)
{
    static const char request[] =
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[4],\"data\":[1,2,3,4]}],"
        "\"outputs\":[{\"name\":\"y\",\"parameters\":{\"classification\":2%s}}]}";
    static const char binary_want[] = "\x05\0\0\0"
                                      "3.3:1"
                                      "\x05\0\0\0"
                                      "2.4:3";
    float y[4] = {1.1f, 3.3f, 0.5f, 2.4f};
    char dir[] = "/tmp/inferd-labels-XXXXXX", path[64], text[256];
    model_config_t cfg;
    model_labels_t *labels = NULL;
    kserve_output_prefs_t prefs;
    error_t err;
    FILE *f;

    base_cfg(&cfg, "cls");
    tensor_cfg(&cfg.inputs[0], "x", DTYPE_FLOAT, 1, INT64_C(4));
    tensor_cfg(&cfg.outputs[0], "y", DTYPE_FLOAT, 1, INT64_C(4));
    cfg.n_inputs = cfg.n_outputs = 1;
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/labels.txt", dir);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("index_0_label\nindex_1_label\nindex_2_label\nindex_3_label\n", f);
        fclose(f);
    }
    snprintf(cfg.outputs[0].label_filename, sizeof cfg.outputs[0].label_filename, "labels.txt");
    CHECK(model_labels_load(dir, &cfg, &labels, &err) == STATUS_OK);
    for (int round = 0; round < 3; round++) {
        request_t *req = NULL;
        char *body = NULL;
        size_t size = 0, header_len = 0;
        json_t *resp, *out;

        snprintf(text, sizeof text, request, round == 2 ? ",\"binary_data\":true" : "");
        CHECK(parse_json(&cfg, text, &req, &prefs, &err) == STATUS_OK);
        CHECK(prefs.class_count[0] == 2);
        prefs.labels = round == 1 ? labels : NULL;
        req->n_outputs = 1;
        req->outputs[0] = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 1, .dims = {4}, .data = y};
        CHECK(kserve_write_infer_response(req, &cfg, "cls", "1", &prefs, &body, &size, &header_len,
                                          &err) == STATUS_OK);
        resp = body ? json_loadb(body, header_len ? header_len : size, 0, NULL) : NULL;
        out = json_array_get(json_object_get(resp, "outputs"), 0);
        CHECK(strcmp(json_string_value(json_object_get(out, "datatype")), "BYTES") == 0);
        CHECK(json_integer_value(json_array_get(json_object_get(out, "shape"), 0)) == 2);
        if (round < 2) {
            json_t *data = json_object_get(out, "data");
            CHECK(json_array_size(data) == 2);
            CHECK(strcmp(json_string_value(json_array_get(data, 0)),
                         round ? "3.3:1:index_1_label" : "3.3:1") == 0);
            CHECK(strcmp(json_string_value(json_array_get(data, 1)),
                         round ? "2.4:3:index_3_label" : "2.4:3") == 0);
        } else {
            CHECK(size - header_len == sizeof binary_want - 1);
            CHECK(body && memcmp(body + header_len, binary_want, sizeof binary_want - 1) == 0);
        }
        json_decref(resp);
        free(body);
        request_free(req);
    }
    /* BOOL has no values to rank; counts must be non-negative integers. */
    cfg.outputs[0].dtype = DTYPE_BOOL;
    snprintf(text, sizeof text, request, "");
    {
        request_t *req = NULL;
        CHECK(parse_json(&cfg, text, &req, &prefs, &err) == STATUS_INVALID_ARGUMENT);
        CHECK(strstr(err.message, "numeric") != NULL);
        request_free(req);
    }
    model_labels_free(labels);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    test_json_round_trip_every_dtype();
    test_binary_round_trip_every_dtype();
    test_response_special_values();
    test_nested_and_flat_data();
    test_model_input_order_and_empty_tensor();
    test_batched_shapes();
    test_id_echo();
    test_requested_outputs();
    test_binary_output_selection();
    test_shared_memory_output();
    test_priority_and_timeout();
    test_response_missing_output();
    test_classification();
    CHECK_DONE();
}
