/*
 * op_harness.h - runs one operator the way the engine does, for the kernel
 * unit tests: finds the schema with op_registry_find, adapts the attributes,
 * builds an op_call_t, infers, allocates outputs and workspace and runs.
 *
 * Header-only: the unit-test build makes one executable of each
 * tests/unit/<module>/test_*.c and nothing else, so every function here is
 * `static inline` (inline only so that a test using part of it compiles
 * without unused-function warnings). It includes check.h.
 */
#ifndef INFERD_TEST_OP_HARNESS_H
#define INFERD_TEST_OP_HARNESS_H

#include <assert.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "op.h"

/* Bytes reserved for any kernel's params struct (asserted against params_size). */
#define HARNESS_PARAMS_MAX 1024

/* Node name every harness call uses; failure messages name it. */
#define HARNESS_NODE "n0"

/* Which input values infer sees, as the engine would plan them. */
typedef enum harness_plan {
    HARNESS_PLAN_CONSTANTS, /* every input's data: all inputs are constants */
    HARNESS_PLAN_RUNTIME,   /* only the inputs in value_inputs: the rest arrive with the request */
} harness_plan_t;

static inline tensor_t harness_tensor(dtype_t dtype, int rank, const int64_t *dims, void *data)
{
    tensor_t t = {.dtype = dtype, .rank = rank, .data = data};

    assert(rank >= 0 && rank <= TENSOR_MAX_RANK);
    for (int i = 0; i < rank; i++)
        t.dims[i] = dims[i];
    return t;
}

static inline attr_t harness_int_attr(const char *name, int64_t v)
{
    return (attr_t){.name = name, .type = ATTR_INT, .i = v};
}

static inline attr_t harness_ints_attr(const char *name, const int64_t *v, size_t n)
{
    return (attr_t){.name = name, .type = ATTR_INTS, .ints = v, .count = n};
}

static inline attr_t harness_string_attr(const char *name, const char *s)
{
    return (attr_t){.name = name, .type = ATTR_STRING, .s = s};
}

/* n malloc'd pseudo-random floats in [-1, 1], the same for the same seed. */
static inline float *harness_random_floats(int64_t n, unsigned seed)
{
    float *v = malloc((size_t)n * sizeof *v);

    assert(v);
    for (int64_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (float)((seed >> 16) % 2001) / 1000.0f - 1.0f;
    }
    return v;
}

static inline void harness_free(tensor_t *out, int n_out)
{
    for (int k = 0; k < n_out; k++) {
        free(out[k].data);
        out[k].data = NULL;
    }
}

/*
 * Adapter, prototype and CPU implementation of op_type at opset. On success
 * each out[k].data is malloc'd (free with harness_free); on failure every
 * out[k].data is NULL and err holds the message.
 */
static inline status_t harness_run_plan(harness_plan_t plan, const char *op_type, int opset,
                                        const attr_t *attrs, size_t n_attrs, int n_in,
                                        const tensor_t *const *in, int n_out, tensor_t *out,
                                        error_t *err)
{
    const op_schema_t *schema = op_registry_find(op_type, opset);
    union {
        max_align_t align;
        unsigned char bytes[HARNESS_PARAMS_MAX];
    } params;
    const attrs_t attr_list = {attrs, n_attrs};
    const op_adapt_t adapt = {op_type, HARNESS_NODE, opset, &attr_list, n_in, n_out};
    tensor_t planned[OP_MAX_FORMAL_INPUTS];
    const tensor_t *planned_in[OP_MAX_FORMAL_INPUTS];
    op_call_t call = {.op_type = op_type,
                      .node = HARNESS_NODE,
                      .params = &params,
                      .n_inputs = n_in,
                      .inputs = in,
                      .n_outputs = n_out,
                      .outputs = out,
                      .threads = 1};
    status_t st;

    memset(out, 0, (size_t)n_out * sizeof *out);
    memset(err, 0, sizeof *err);
    CHECK(schema != NULL);
    if (!schema)
        return STATUS_NOT_FOUND;
    assert(schema->kernel->params_size <= sizeof params);
    memset(&params, 0, sizeof params);
    if (schema->adapt && (st = schema->adapt(&adapt, &params, err)) != STATUS_OK)
        return st;
    if (plan == HARNESS_PLAN_RUNTIME) {
        assert(n_in <= OP_MAX_FORMAL_INPUTS);
        for (int i = 0; i < n_in; i++) {
            planned_in[i] = in[i] ? &planned[i] : NULL;
            if (!in[i])
                continue;
            planned[i] = *in[i];
            if (!(schema->kernel->value_inputs & (1u << i)))
                planned[i].data = NULL;
        }
        call.inputs = planned_in;
    }
    if ((st = schema->kernel->infer(&call, err)) != STATUS_OK)
        return st;
    call.inputs = in;
    for (int k = 0; k < n_out; k++)
        out[k].data = malloc(tensor_bytes(&out[k]) + 1);
    /* 64-byte aligned, as op.h promises kernels (packed GEMM operands need it). */
    call.workspace = aligned_alloc(64, (call.workspace_size + 64) / 64 * 64);
    st = schema->kernel->run(&call, err);
    free(call.workspace);
    if (st != STATUS_OK)
        harness_free(out, n_out);
    return st;
}

/* Every input is a constant: infer sees all values. */
static inline status_t harness_run(const char *op_type, int opset, const attr_t *attrs,
                                   size_t n_attrs, int n_in, const tensor_t *const *in, int n_out,
                                   tensor_t *out, error_t *err)
{
    return harness_run_plan(HARNESS_PLAN_CONSTANTS, op_type, opset, attrs, n_attrs, n_in, in, n_out,
                            out, err);
}

/*
 * Inputs are runtime activations: infer sees only the values the kernel
 * asks for in value_inputs, so it cannot depend on others.
 */
static inline status_t harness_run_runtime(const char *op_type, int opset, const attr_t *attrs,
                                           size_t n_attrs, int n_in, const tensor_t *const *in,
                                           int n_out, tensor_t *out, error_t *err)
{
    return harness_run_plan(HARNESS_PLAN_RUNTIME, op_type, opset, attrs, n_attrs, n_in, in, n_out,
                            out, err);
}

static inline void harness_check_fails(const char *file, int line, status_t st, status_t code,
                                       const error_t *err, const char *const *needles)
{
    if (st != code) {
        fprintf(stderr, "%s:%d: CHECK_FAILS: status %s, expected %s (message: %s)\n", file, line,
                status_name(st), status_name(code), err->message);
        check_failures++;
    }
    for (; *needles; needles++) {
        if (!strstr(err->message, *needles)) {
            fprintf(stderr, "%s:%d: CHECK_FAILS: message '%s' lacks '%s'\n", file, line,
                    err->message, *needles);
            check_failures++;
        }
    }
}

/*
 * Checks that st (usually a harness_run call) is code and that err's
 * message contains every one of the one or more strings that follow.
 */
#define CHECK_FAILS(st, err, code, ...)                                                            \
    harness_check_fails(__FILE__, __LINE__, (st), (code), &(err),                                  \
                        (const char *const[]){__VA_ARGS__, NULL})

#endif
