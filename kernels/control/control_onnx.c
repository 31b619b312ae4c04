/*
 * ONNX adapters of If, Loop and Scan. Their semantics for tensors have not
 * changed since If-1, Loop-1 and Scan-9: later versions only added types
 * (sequences and optionals at 16, float8 at 19, int4 at 21), so one entry
 * covers every opset. Scan-8 differs: a batch dim, sequence_lens, and one
 * directions attribute.
 */
#include "control.h"

#include <string.h>

/* Reads the subgraph attribute name into *index, checking its formal counts. */
static status_t adapt_body(const op_adapt_t *a, const char *name, int inputs, int min_outputs,
                           int *index, int *outputs, error_t *err)
{
    const attr_t *g;
    status_t st = adapt_graph(a, name, &g, err);

    if (st)
        return st;
    if (inputs >= 0 && g->graph_inputs != inputs)
        return op_adapt_fail(a, err, "subgraph '%s' takes %d inputs, the op gives it %d", name,
                             g->graph_inputs, inputs);
    if (g->graph_outputs < min_outputs)
        return op_adapt_fail(a, err, "subgraph '%s' gives %d outputs, the op needs %d", name,
                             g->graph_outputs, min_outputs);
    *index = g->graph;
    if (outputs)
        *outputs = g->graph_outputs;
    return STATUS_OK;
}

static status_t adapt_if(const op_adapt_t *a, void *params, error_t *err)
{
    if_params_t *p = params;
    int then_outputs = 0, else_outputs = 0;
    status_t st;

    if (a->n_inputs != 1)
        return op_adapt_fail(a, err, "has %d inputs, expected 1 (cond)", a->n_inputs);
    st = adapt_body(a, "then_branch", 0, a->n_outputs, &p->then_graph, &then_outputs, err);
    if (!st)
        st = adapt_body(a, "else_branch", 0, a->n_outputs, &p->else_graph, &else_outputs, err);
    if (!st && then_outputs != else_outputs)
        return op_adapt_fail(a, err, "its branches give %d and %d outputs", then_outputs,
                             else_outputs);
    return st;
}

static status_t adapt_loop(const op_adapt_t *a, void *params, error_t *err)
{
    loop_params_t *p = params;
    int outputs = 0;
    status_t st;

    if (a->n_inputs < 2 || a->n_inputs - 2 > LOOP_MAX_CARRIED)
        return op_adapt_fail(a, err, "has %d inputs, expected M, cond and up to %d carried values",
                             a->n_inputs, LOOP_MAX_CARRIED);
    p->n_carried = a->n_inputs - 2;
    st = adapt_body(a, "body", 2 + p->n_carried, 1 + p->n_carried, &p->body, &outputs, err);
    if (st)
        return st;
    p->n_scan = outputs - 1 - p->n_carried;
    if (a->n_outputs > p->n_carried + p->n_scan)
        return op_adapt_fail(a, err, "has %d outputs, its body gives %d", a->n_outputs,
                             p->n_carried + p->n_scan);
    return STATUS_OK;
}

/* Reads an ints attribute of n entries (default def each); absent gives the default. */
static status_t adapt_per_value(const op_adapt_t *a, const char *name, int n, int64_t def,
                                int64_t *out, error_t *err)
{
    int count;
    status_t st = adapt_ints(a, name, SCAN_MAX_VALUES, out, &count, err);

    if (st)
        return st;
    if (count < 0) {
        for (int i = 0; i < n; i++)
            out[i] = def;
        return STATUS_OK;
    }
    if (count != n)
        return op_adapt_fail(a, err, "attribute '%s' has %d values, expected %d", name, count, n);
    return STATUS_OK;
}

static status_t adapt_scan(const op_adapt_t *a, scan_params_t *p, bool batched, error_t *err)
{
    int64_t n_scan_in, flags[SCAN_MAX_VALUES];
    int formal = a->n_inputs - batched, outputs = 0;
    status_t st = adapt_int(a, "num_scan_inputs", -1, &n_scan_in, err);

    if (st)
        return st;
    memset(p, 0, sizeof *p);
    p->batched = batched;
    if (n_scan_in < 1 || n_scan_in > formal || n_scan_in > SCAN_MAX_VALUES ||
        formal - n_scan_in > SCAN_MAX_VALUES)
        return op_adapt_fail(a, err,
                             "num_scan_inputs is %lld with %d inputs (each kind at most %d)",
                             (long long)n_scan_in, formal, SCAN_MAX_VALUES);
    p->n_scan_in = (int)n_scan_in;
    p->n_state = formal - p->n_scan_in;
    st = adapt_body(a, "body", formal, p->n_state, &p->body, &outputs, err);
    if (st)
        return st;
    p->n_scan_out = outputs - p->n_state;
    if (p->n_scan_out > SCAN_MAX_VALUES || a->n_outputs > outputs)
        return op_adapt_fail(a, err, "has %d outputs, its body gives %d (at most %d scanned)",
                             a->n_outputs, outputs, SCAN_MAX_VALUES);
    if (batched) {
        st = adapt_per_value(a, "directions", p->n_scan_in, 0, flags, err);
        for (int i = 0; !st && i < p->n_scan_in; i++)
            p->in_reverse[i] = flags[i] != 0;
        return st;
    }
    st = adapt_per_value(a, "scan_input_axes", p->n_scan_in, 0, p->in_axes, err);
    if (!st)
        st = adapt_per_value(a, "scan_input_directions", p->n_scan_in, 0, flags, err);
    for (int i = 0; !st && i < p->n_scan_in; i++)
        p->in_reverse[i] = flags[i] != 0;
    if (!st)
        st = adapt_per_value(a, "scan_output_axes", p->n_scan_out, 0, p->out_axes, err);
    if (!st)
        st = adapt_per_value(a, "scan_output_directions", p->n_scan_out, 0, flags, err);
    for (int i = 0; !st && i < p->n_scan_out; i++)
        p->out_reverse[i] = flags[i] != 0;
    return st;
}

static status_t adapt_scan_8(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_scan(a, params, true, err);
}

static status_t adapt_scan_9(const op_adapt_t *a, void *params, error_t *err)
{
    return adapt_scan(a, params, false, err);
}

const op_schema_t op_schemas_control[] = {
    {"If", 1, OPSET_MAX, adapt_if, &if_kernel},
    {"Loop", 1, OPSET_MAX, adapt_loop, &loop_kernel},
    {"Scan", 8, 8, adapt_scan_8, &scan_kernel},
    {"Scan", 9, OPSET_MAX, adapt_scan_9, &scan_kernel},
    {0},
};
