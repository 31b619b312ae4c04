/*
 * kserve_fixtures.h - model configs filled by hand and parse helpers for
 * the KServe codec tests (no config parser, no engine).
 */
#ifndef INFERD_TEST_KSERVE_FIXTURES_H
#define INFERD_TEST_KSERVE_FIXTURES_H

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kserve.h"

/* Element limit the tests pass unless they test the limit itself. */
#define TEST_MAX_ELEMENTS (1 << 20)

static inline void tensor_cfg(model_tensor_config_t *tc, const char *name, dtype_t dtype, int rank,
                              ...)
{
    va_list ap;

    memset(tc, 0, sizeof *tc);
    snprintf(tc->name, sizeof tc->name, "%s", name);
    tc->dtype = dtype;
    tc->rank = rank;
    va_start(ap, rank);
    for (int d = 0; d < rank; d++)
        tc->dims[d] = va_arg(ap, int64_t);
    va_end(ap);
}

static inline void base_cfg(model_config_t *cfg, const char *name)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->name, sizeof cfg->name, "%s", name);
    snprintf(cfg->platform, sizeof cfg->platform, "onnx");
    snprintf(cfg->backend, sizeof cfg->backend, "onnx-cpu");
    cfg->batching.priority_levels = 2;
    cfg->batching.default_priority = 1;
}

/* "simple": x FP32 [2,3], y INT64 [-1] -> sum FP32 [2,3], count INT64 [1], flag BOOL [2]. */
static inline void simple_cfg(model_config_t *cfg)
{
    base_cfg(cfg, "simple");
    tensor_cfg(&cfg->inputs[0], "x", DTYPE_FLOAT, 2, INT64_C(2), INT64_C(3));
    tensor_cfg(&cfg->inputs[1], "y", DTYPE_INT64, 1, INT64_C(-1));
    cfg->n_inputs = 2;
    tensor_cfg(&cfg->outputs[0], "sum", DTYPE_FLOAT, 2, INT64_C(2), INT64_C(3));
    tensor_cfg(&cfg->outputs[1], "count", DTYPE_INT64, 1, INT64_C(1));
    tensor_cfg(&cfg->outputs[2], "flag", DTYPE_BOOL, 1, INT64_C(2));
    cfg->n_outputs = 3;
}

/* "batched", max_batch_size 4: x FP32 [3], mask BOOL [-1] -> y FP32 [3]. */
static inline void batched_cfg(model_config_t *cfg)
{
    base_cfg(cfg, "batched");
    cfg->max_batch_size = 4;
    tensor_cfg(&cfg->inputs[0], "x", DTYPE_FLOAT, 1, INT64_C(3));
    tensor_cfg(&cfg->inputs[1], "mask", DTYPE_BOOL, 1, INT64_C(-1));
    cfg->n_inputs = 2;
    tensor_cfg(&cfg->outputs[0], "y", DTYPE_FLOAT, 1, INT64_C(3));
    cfg->n_outputs = 1;
}

/* Every dtype the codec carries, each input and output named after it in lower case. */
static const dtype_t all_dtypes[] = {
    DTYPE_BOOL,  DTYPE_UINT8,  DTYPE_INT8,  DTYPE_UINT16, DTYPE_INT16,  DTYPE_UINT32,
    DTYPE_INT32, DTYPE_UINT64, DTYPE_INT64, DTYPE_FLOAT,  DTYPE_DOUBLE,
};
#define N_ALL_DTYPES ((int)(sizeof all_dtypes / sizeof all_dtypes[0]))

static inline void lower_name(dtype_t t, char *buf, size_t size)
{
    const char *s = dtype_kserve_name(t);
    size_t i = 0;

    for (; s[i] && i + 1 < size; i++)
        buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] - 'A' + 'a' : s[i]);
    buf[i] = '\0';
}

/* "dtypes": one [4] input and one [4] output per entry of all_dtypes. */
static inline void dtypes_cfg(model_config_t *cfg)
{
    base_cfg(cfg, "dtypes");
    for (int i = 0; i < N_ALL_DTYPES; i++) {
        char name[16];
        lower_name(all_dtypes[i], name, sizeof name);
        tensor_cfg(&cfg->inputs[i], name, all_dtypes[i], 1, INT64_C(4));
        tensor_cfg(&cfg->outputs[i], name, all_dtypes[i], 1, INT64_C(4));
    }
    cfg->n_inputs = cfg->n_outputs = N_ALL_DTYPES;
}

/* Parses body[0, size) with the given header length into a new request (*req, caller frees). */
static inline status_t parse_body(const model_config_t *cfg, const char *body, size_t size,
                                  size_t header_len, int64_t limit, request_t **req,
                                  kserve_output_prefs_t *prefs, error_t *err)
{
    memset(err, 0, sizeof *err);
    *req = request_create();
    if (!*req)
        return STATUS_OUT_OF_MEMORY;
    return kserve_parse_infer_request(body, size, header_len, cfg, limit, *req, prefs, err);
}

static inline status_t parse_json(const model_config_t *cfg, const char *json, request_t **req,
                                  kserve_output_prefs_t *prefs, error_t *err)
{
    return parse_body(cfg, json, strlen(json), strlen(json), TEST_MAX_ELEMENTS, req, prefs, err);
}

/* A body of json followed by bin_len binary bytes (malloc'd, caller frees). */
static inline char *join_body(const char *json, const void *bin, size_t bin_len, size_t *size)
{
    size_t n = strlen(json);
    char *body = malloc(n + bin_len + 1);

    if (!body)
        return NULL;
    memcpy(body, json, n);
    if (bin_len)
        memcpy(body + n, bin, bin_len);
    *size = n + bin_len;
    return body;
}

static inline status_t parse_binary(const model_config_t *cfg, const char *json, const void *bin,
                                    size_t bin_len, request_t **req, kserve_output_prefs_t *prefs,
                                    error_t *err)
{
    size_t size = 0;
    char *body = join_body(json, bin, bin_len, &size);
    status_t st;

    if (!body) {
        *req = NULL;
        return STATUS_OUT_OF_MEMORY;
    }
    st = parse_body(cfg, body, size, strlen(json), TEST_MAX_ELEMENTS, req, prefs, err);
    free(body);
    return st;
}

/* Checks that every NULL-terminated needle occurs in haystack, printing it when not. */
static inline int contains_all(const char *haystack, ...)
{
    va_list ap;
    const char *needle;
    int ok = 1;

    va_start(ap, haystack);
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (!strstr(haystack, needle)) {
            fprintf(stderr, "  message \"%s\" lacks \"%s\"\n", haystack, needle);
            ok = 0;
        }
    va_end(ap);
    return ok;
}

/*
 * Checks that a parse returned status (st against the expected one) and
 * that err's message holds every needle of the NULL-terminated list ap;
 * each failure is reported with the test's line.
 */
static inline void check_error_va(int line, status_t st, const error_t *err, status_t status,
                                  va_list ap)
{
    const char *needle;

    if (st != status) {
        fprintf(stderr, "line %d: status %s, expected %s (%s)\n", line, status_name(st),
                status_name(status), err->message);
        check_failures++;
    }
    while ((needle = va_arg(ap, const char *)) != NULL)
        if (!strstr(err->message, needle)) {
            fprintf(stderr, "line %d: message \"%s\" lacks \"%s\"\n", line, err->message, needle);
            check_failures++;
        }
}

/* Outputs simple_cfg's model would produce: sum [2,3] = i / 4, count [1], flag [2] = {1, 0}. */
static inline void fake_simple_outputs(request_t *req, int64_t count_value)
{
    float *sum = arena_alloc(&req->arena, 6 * sizeof *sum);
    int64_t *count = arena_alloc(&req->arena, sizeof *count);
    uint8_t *flag = arena_alloc(&req->arena, 2);

    for (int i = 0; i < 6; i++)
        sum[i] = (float)i / 4;
    *count = count_value;
    flag[0] = 1;
    flag[1] = 0;
    req->n_outputs = 3;
    req->outputs[0] = (tensor_t){.dtype = DTYPE_FLOAT, .rank = 2, .dims = {2, 3}, .data = sum};
    req->outputs[1] = (tensor_t){.dtype = DTYPE_INT64, .rank = 1, .dims = {1}, .data = count};
    req->outputs[2] = (tensor_t){.dtype = DTYPE_BOOL, .rank = 1, .dims = {2}, .data = flag};
}

#endif
