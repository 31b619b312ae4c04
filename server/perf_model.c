/*
 * perf_model.c - the inputs `inferd perf` sends: the shapes the metadata
 * declares, dynamic dims filled from --shape and --batch, and
 * deterministic data, so two runs send the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "perf.h"

/* Seed of the input generator: fixed, so runs are comparable. */
#define PERF_DATA_SEED 12345u

static const struct {
    const char *name;
    size_t size;
} perf_datatypes[] = {
    {"BOOL", 1},  {"INT8", 1},   {"UINT8", 1}, {"INT16", 2},  {"UINT16", 2},
    {"INT32", 4}, {"UINT32", 4}, {"INT64", 8}, {"UINT64", 8}, {"FP16", 2},
    {"BF16", 2},  {"FP32", 4},   {"FP64", 8},  {"BYTES", 4},
};

size_t perf_datatype_size(const char *datatype)
{
    for (size_t i = 0; i < sizeof perf_datatypes / sizeof perf_datatypes[0]; i++)
        if (strcmp(perf_datatypes[i].name, datatype) == 0)
            return perf_datatypes[i].size;
    return 0;
}

bool perf_model_add_input(perf_model_t *m, const char *name, const char *datatype,
                          const int64_t *dims, int rank, char *err, size_t size)
{
    perf_input_t *in;

    if (m->n_inputs == PERF_MAX_TENSORS) {
        snprintf(err, size, "the model has more than %d inputs", PERF_MAX_TENSORS);
        return false;
    }
    if (strlen(name) >= PERF_NAME_MAX || !*name) {
        snprintf(err, size, "input name '%.64s' is empty or longer than %d bytes", name,
                 PERF_NAME_MAX - 1);
        return false;
    }
    if (perf_datatype_size(datatype) == 0) {
        snprintf(err, size, "input '%s' has datatype '%.32s', which perf cannot generate", name,
                 datatype);
        return false;
    }
    if (rank < 0 || rank > PERF_MAX_RANK) {
        snprintf(err, size, "input '%s' has rank %d; perf handles up to %d", name, rank,
                 PERF_MAX_RANK);
        return false;
    }
    for (int d = 0; d < rank; d++)
        if (dims[d] < -1) {
            snprintf(err, size, "input '%s' dim %d is %lld", name, d, (long long)dims[d]);
            return false;
        }
    in = &m->inputs[m->n_inputs++];
    memset(in, 0, sizeof *in);
    snprintf(in->name, sizeof in->name, "%s", name);
    snprintf(in->datatype, sizeof in->datatype, "%s", datatype);
    memcpy(in->dims, dims, (size_t)rank * sizeof dims[0]);
    in->rank = rank;
    return true;
}

bool perf_model_add_output(perf_model_t *m, const char *name, char *err, size_t size)
{
    if (m->n_outputs == PERF_MAX_TENSORS) {
        snprintf(err, size, "the model has more than %d outputs", PERF_MAX_TENSORS);
        return false;
    }
    if (strlen(name) >= PERF_NAME_MAX || !*name) {
        snprintf(err, size, "output name '%.64s' is empty or longer than %d bytes", name,
                 PERF_NAME_MAX - 1);
        return false;
    }
    snprintf(m->outputs[m->n_outputs++], PERF_NAME_MAX, "%s", name);
    return true;
}

/* The --shape flag naming input `name`, or NULL. */
static const char *shape_flag(const perf_options_t *o, const char *name)
{
    size_t len = strlen(name);

    for (int k = 0; k < o->n_shapes; k++)
        if (strncmp(o->shapes[k], name, len) == 0 && o->shapes[k][len] == '=')
            return o->shapes[k];
    return NULL;
}

static bool resolve_dims(perf_input_t *in, const perf_options_t *o, char *err, size_t size)
{
    const char *flag = shape_flag(o, in->name);

    if (flag) {
        int64_t dims[PERF_MAX_RANK];
        int rank = cli_parse_dims(strchr(flag, '=') + 1, dims, PERF_MAX_RANK);
        if (rank != in->rank) {
            snprintf(err, size, "--shape %s: input '%s' has rank %d; give %d non-negative dims",
                     flag, in->name, in->rank, in->rank);
            return false;
        }
        for (int d = 0; d < rank; d++)
            if (in->dims[d] >= 0 && dims[d] != in->dims[d]) {
                snprintf(err, size, "--shape %s: dim %d of input '%s' is fixed at %lld", flag, d,
                         in->name, (long long)in->dims[d]);
                return false;
            }
        memcpy(in->dims, dims, sizeof dims);
        return true;
    }
    if (in->rank > 0 && in->dims[0] < 0)
        in->dims[0] = o->batch;
    for (int d = 0; d < in->rank; d++)
        if (in->dims[d] < 0) {
            snprintf(err, size, "input '%s' has a dynamic dim %d: give --shape %s=d0,d1,...",
                     in->name, d, in->name);
            return false;
        }
    return true;
}

/* Floating point uniform in [0, 1) for FP32 and FP64; zero (a valid index, false, "") else. */
static void fill(perf_input_t *in, unsigned *seed)
{
    size_t elem = perf_datatype_size(in->datatype);
    size_t n = in->size / elem;
    bool fp32 = strcmp(in->datatype, "FP32") == 0, fp64 = strcmp(in->datatype, "FP64") == 0;

    if (!fp32 && !fp64)
        return;
    for (size_t i = 0; i < n; i++) {
        float f32;
        double f64;
        *seed = *seed * 1103515245u + 12345u;
        f64 = (double)((*seed >> 8) & 0xffff) / 65536.0;
        f32 = (float)f64;
        if (fp32)
            memcpy(in->data + i * elem, &f32, sizeof f32);
        else
            memcpy(in->data + i * elem, &f64, sizeof f64);
    }
}

bool perf_model_resolve(perf_model_t *m, const perf_options_t *o, char *err, size_t size)
{
    unsigned seed = PERF_DATA_SEED;
    size_t total = 0;
    bool batched;

    for (int k = 0; k < o->n_shapes; k++) {
        bool found = false;
        for (int i = 0; i < m->n_inputs && !found; i++)
            found = shape_flag(o, m->inputs[i].name) == o->shapes[k];
        if (!found) {
            snprintf(err, size, "--shape %s names no input of model '%s'", o->shapes[k], o->model);
            return false;
        }
    }
    if (m->n_inputs == 0) {
        snprintf(err, size, "model '%s' declares no inputs", o->model);
        return false;
    }
    /* The server counts the rows of a dynamic first dim; anything else is one inference. */
    batched = m->inputs[0].rank > 0 && m->inputs[0].dims[0] < 0;
    for (int i = 0; i < m->n_inputs; i++) {
        perf_input_t *in = &m->inputs[i];
        size_t bytes = perf_datatype_size(in->datatype);
        if (!resolve_dims(in, o, err, size))
            return false;
        for (int d = 0; d < in->rank; d++) {
            if (in->dims[d] > 0 && bytes > PERF_MAX_INPUT_BYTES / (size_t)in->dims[d]) {
                bytes = PERF_MAX_INPUT_BYTES + 1;
                break;
            }
            bytes *= (size_t)in->dims[d];
        }
        total += bytes;
        if (total > PERF_MAX_INPUT_BYTES) {
            snprintf(err, size, "the inputs take more than %zu bytes per request",
                     PERF_MAX_INPUT_BYTES);
            return false;
        }
        in->size = bytes;
        /* One spare byte, so an empty tensor still gets a buffer. */
        in->data = calloc(1, bytes + 1);
        if (!in->data) {
            snprintf(err, size, "out of memory for input '%s' (%zu bytes)", in->name, bytes);
            return false;
        }
        fill(in, &seed);
    }
    m->rows = batched ? m->inputs[0].dims[0] : 1;
    return true;
}

void perf_model_free(perf_model_t *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_inputs; i++) {
        free(m->inputs[i].data);
        m->inputs[i].data = NULL;
    }
}
