/*
 * fuse_batchnorm.c - an inference-mode BatchNormalization after a Conv with
 * constant weights folds into the Conv. Per output channel c:
 *
 *   s[c]  = scale[c] / sqrt(var[c] + epsilon)
 *   W'[c] = W[c] * s[c]
 *   B'[c] = (B[c] - mean[c]) * s[c] + bias[c]      (B = 0 without a bias)
 *
 * so the convolution's epilogue (and the channels-last rewrite after it)
 * sees one node instead of two, and a pass over the activations disappears.
 * W' and B' are new constants: the originals may be shared with other nodes
 * (an aliased Identity output, a weight used twice), and those left without
 * a reader are released at the end of compilation. Older exporters (opset
 * 9) leave BatchNormalization unfolded; newer ones fold it themselves.
 *
 * Half weights (a half model's, kept half for ConvNHWC: engine/half.c) fold
 * into half W': W * s is computed in float and rounded once to W's type, as
 * a converter folding the float model and then converting it would store
 * it. The weights stay at half size; each differs from the float fold by at
 * most half a unit in the last place of the half type.
 */
#include "fuse_match.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "half.h"
#include "norm/norm.h"

/* Longest name given to a folded constant (the BatchNormalization's output name, cut). */
#define FUSE_BN_NAME_MAX 256

/* The BatchNormalization's four statistics inputs, each a float [channels] constant. */
static bool statistics_fit(const graph_t *g, const graph_node_t *bn, int64_t channels)
{
    if (bn->n_inputs != 5)
        return false;
    for (int k = 1; k < 5; k++) {
        const tensor_t *t = bn->inputs[k] >= 0 ? g->values[bn->inputs[k]].constant : NULL;
        if (!t || t->dtype != DTYPE_FLOAT || tensor_numel(t) != channels || !t->data)
            return false;
    }
    return true;
}

/* A new constant value (dtype) of dims shape, named after base; -1 when out of memory. */
static int add_constant(graph_t *g, const char *base, const char *suffix, dtype_t dtype, int rank,
                        const int64_t *dims)
{
    char name[FUSE_BN_NAME_MAX + 16];
    tensor_t *t = arena_alloc(&g->arena, sizeof *t);
    int v;

    if (!t)
        return -1;
    snprintf(name, sizeof name, "%.*s%s", FUSE_BN_NAME_MAX, base, suffix);
    *t = (tensor_t){.dtype = dtype, .rank = rank};
    memcpy(t->dims, dims, (size_t)rank * sizeof *dims);
    t->data = arena_alloc(&g->arena, tensor_bytes(t) + 1);
    if (!t->data || (v = graph_add_value(g, name)) < 0)
        return -1;
    g->values[v].dtype = dtype;
    g->values[v].rank = rank;
    memcpy(g->values[v].dims, dims, (size_t)rank * sizeof *dims);
    g->values[v].constant = t;
    return v;
}

/*
 * Frees constant v's data now if the folded Conv was its only reader, so a
 * model's convolution weights are not held twice until compilation ends.
 */
static void release_if_unshared(graph_t *g, const int *consumers, int v)
{
    tensor_t *t = g->values[v].constant;

    if (consumers[v] == 1 && t->data && arena_free_block(&g->arena, t->data))
        t->data = NULL;
}

/* Conv -> BatchNormalization becomes Conv(X, W', B') writing the normalisation's output. */
static status_t fold(graph_t *g, const int *consumers, graph_node_t *conv, graph_node_t *bn,
                     error_t *err)
{
    const batchnorm_params_t *p = bn->params;
    const tensor_t *w = g->values[conv->inputs[1]].constant;
    const tensor_t *b =
        conv->n_inputs > 2 && conv->inputs[2] >= 0 ? g->values[conv->inputs[2]].constant : NULL;
    const float *scale = g->values[bn->inputs[1]].constant->data;
    const float *shift = g->values[bn->inputs[2]].constant->data;
    const float *mean = g->values[bn->inputs[3]].constant->data;
    const float *var = g->values[bn->inputs[4]].constant->data;
    const char *out_name = g->values[bn->outputs[0]].name;
    int64_t channels = w->dims[0], per_channel = tensor_numel(w) / channels;
    int new_w = add_constant(g, out_name, "/folded_weights", w->dtype, w->rank, w->dims);
    int new_b =
        new_w < 0 ? -1 : add_constant(g, out_name, "/folded_bias", DTYPE_FLOAT, 1, &channels);
    bool half = dtype_is_half(w->dtype);
    void *wd;
    float *bd;

    if (new_b < 0)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory folding node '%s'", bn->name);
    wd = g->values[new_w].constant->data;
    bd = g->values[new_b].constant->data;
    for (int64_t c = 0; c < channels; c++) {
        float s = (float)(scale[c] / sqrt((double)var[c] + p->epsilon));
        int64_t at = c * per_channel;
        if (half) {
            const uint16_t *src = (const uint16_t *)w->data + at;
            uint16_t *dst = (uint16_t *)wd + at;
            for (int64_t i = 0; i < per_channel; i++)
                dst[i] = half_from_float(w->dtype, half_get(w->dtype, src[i]) * s);
        } else {
            const float *src = (const float *)w->data + at;
            float *dst = (float *)wd + at;
            for (int64_t i = 0; i < per_channel; i++)
                dst[i] = src[i] * s;
        }
        bd[c] = ((b ? ((const float *)b->data)[c] : 0.0f) - mean[c]) * s + shift[c];
    }
    conv->outputs[0] = bn->outputs[0];
    bn->removed = true;
    release_if_unshared(g, consumers, conv->inputs[1]);
    if (b)
        release_if_unshared(g, consumers, conv->inputs[2]);
    return fuse_rewrite(g, conv, conv->schema, conv->params, 3,
                        (const int[]){conv->inputs[0], new_w, new_b}, err);
}

/* The Conv a BatchNormalization can fold into, or NULL. */
static graph_node_t *foldable_conv(graph_t *g, const int *consumers, const graph_node_t *bn)
{
    const batchnorm_params_t *p = bn->params;
    graph_node_t *conv;
    const tensor_t *w, *b;

    if (p->training || p->per_element || bn->inputs[0] < 0 || consumers[bn->inputs[0]] != 1)
        return NULL;
    for (int k = 1; k < bn->n_outputs; k++)
        if (bn->outputs[k] >= 0)
            return NULL;
    conv = fuse_producer(g, bn->inputs[0], "Conv");
    if (!conv || conv->n_inputs < 2 || conv->inputs[1] < 0)
        return NULL;
    w = g->values[conv->inputs[1]].constant;
    if (!w || (w->dtype != DTYPE_FLOAT && !dtype_is_half(w->dtype)) || w->rank < 3 || !w->data ||
        w->dims[0] <= 0 || !statistics_fit(g, bn, w->dims[0]))
        return NULL;
    if (conv->n_inputs > 2 && conv->inputs[2] >= 0) {
        b = g->values[conv->inputs[2]].constant;
        if (!b || b->dtype != DTYPE_FLOAT || tensor_numel(b) != w->dims[0] || !b->data)
            return NULL;
    }
    return conv;
}

/* The fold at one BatchNormalization, when its Conv allows it. */
static status_t fold_at(graph_t *g, const int *consumers, graph_node_t *bn, error_t *err)
{
    graph_node_t *conv = foldable_conv(g, consumers, bn);

    return conv ? fold(g, consumers, conv, bn, err) : STATUS_OK;
}

status_t fuse_batchnorm(graph_t *g, error_t *err)
{
    return fuse_each(g, "BatchNormalization", fold_at, err);
}
