/*
 * batch_plan.c - cutting a request's units into batcher requests and
 * gathering their outputs back (batch_plan.h).
 */
#include "batch_plan.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kserve_input.h"

void batch_plan_init(batch_plan_t *plan, const model_config_t *cfg)
{
    memset(plan, 0, sizeof *plan);
    plan->cfg = cfg;
    arena_init(&plan->arena);
}

status_t batch_plan_units(batch_plan_t *plan, int n, error_t *err)
{
    assert(n >= 0);
    plan->units = arena_alloc(&plan->arena, (size_t)n * sizeof *plan->units + 1);
    if (!plan->units)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for %d instances", n);
    plan->n_units = n;
    return STATUS_OK;
}

void batch_plan_refuse(batch_plan_t *plan, int u, status_t st, const char *fmt, ...)
{
    char text[ERROR_MESSAGE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    plan->units[u].inputs = NULL;
    plan->units[u].status = st;
    /* Out of memory leaves no message: the status still says what happened. */
    plan->units[u].message = arena_strdup(&plan->arena, text);
}

status_t batch_plan_check_shape(const model_config_t *cfg, int k, const tensor_t *t,
                                const char *what, error_t *err)
{
    const model_tensor_config_t *tc = &cfg->inputs[k];
    int batch = cfg->max_batch_size > 0 ? 1 : 0;
    char got[SHAPE_TEXT_MAX], want[SHAPE_TEXT_MAX];
    bool ok = t->rank == tc->rank + batch;

    for (int d = 0; ok && d < tc->rank; d++)
        ok = tc->dims[d] < 0 || t->dims[d + batch] == tc->dims[d];
    if (!ok)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: shape %s, the model expects %s%s", what,
                         shape_format(t->rank, t->dims, got, sizeof got), batch ? "[batch] + " : "",
                         shape_format(tc->rank, tc->dims, want, sizeof want));
    if (batch && t->dims[0] < 1)
        return error_set(err, STATUS_INVALID_ARGUMENT, "%s: no rows (the first dim is 0)", what);
    return STATUS_OK;
}

status_t batch_plan_same_rows(const model_config_t *cfg, const tensor_t *inputs, int k,
                              error_t *err)
{
    if (cfg->max_batch_size <= 0 || inputs[k].dims[0] == inputs[0].dims[0])
        return STATUS_OK;
    return error_set(err, STATUS_INVALID_ARGUMENT,
                     "input '%s' has %lld rows (its first dim) and input '%s' %lld: the inputs "
                     "share the batch dim",
                     cfg->inputs[k].name, (long long)inputs[k].dims[0], cfg->inputs[0].name,
                     (long long)inputs[0].dims[0]);
}

/* Bytes of one row (everything after dim 0) of t. */
static size_t row_bytes(const tensor_t *t)
{
    size_t n = dtype_size(t->dtype);
    for (int d = 1; d < t->rank; d++)
        n *= (size_t)t->dims[d];
    return n;
}

/* Whether units a and b can share a part: every input has the same non-batch dims. */
static bool same_rows(const batch_plan_t *plan, const batch_unit_t *a, const batch_unit_t *b)
{
    for (int k = 0; k < plan->cfg->n_inputs; k++)
        if (!shape_equal(a->inputs[k].rank - 1, a->inputs[k].dims + 1, b->inputs[k].rank - 1,
                         b->inputs[k].dims + 1))
            return false;
    return true;
}

/*
 * Lays the accepted units out in segments and counts the parts: with a
 * batch dim, each part takes consecutive compatible rows up to
 * max_batch_size; without one, each unit is a part of its own.
 */
static status_t lay_out(batch_plan_t *plan, error_t *err)
{
    int64_t mbs = plan->cfg->max_batch_size;
    int64_t in_part = 0; /* rows in the open part */
    int open_ref = -1;   /* a unit of the open part, whose shape later ones must share */
    int max_segments = plan->n_units + BATCH_PLAN_MAX_PARTS;

    plan->segments = arena_alloc(&plan->arena, (size_t)max_segments * sizeof *plan->segments);
    plan->part_rows = arena_alloc(&plan->arena, BATCH_PLAN_MAX_PARTS * sizeof *plan->part_rows);
    if (!plan->segments || !plan->part_rows)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory planning the batches");
    for (int u = 0; u < plan->n_units; u++) {
        batch_unit_t *unit = &plan->units[u];
        int64_t row = 0;

        if (!unit->inputs)
            continue;
        assert(unit->rows >= 1 && (mbs > 0 || unit->rows == 1));
        unit->first_segment = plan->n_segments;
        while (row < unit->rows) {
            batch_segment_t *seg;
            int64_t take = unit->rows - row;

            if (mbs <= 0 || open_ref < 0 || in_part == mbs ||
                !same_rows(plan, &plan->units[open_ref], unit)) {
                if (plan->n_parts == BATCH_PLAN_MAX_PARTS)
                    return error_set(err, STATUS_LIMIT_EXCEEDED,
                                     "the request needs more than %d batches of at most %d rows "
                                     "(the model's max_batch_size); send fewer instances",
                                     BATCH_PLAN_MAX_PARTS, plan->cfg->max_batch_size);
                plan->n_parts++;
                in_part = 0;
                open_ref = u;
            }
            if (mbs > 0 && take > mbs - in_part)
                take = mbs - in_part;
            assert(plan->n_segments < max_segments);
            seg = &plan->segments[plan->n_segments++];
            seg->unit = u;
            seg->part = plan->n_parts - 1;
            seg->row = row;
            seg->part_row = in_part;
            seg->rows = take;
            unit->n_segments++;
            plan->part_rows[seg->part] += take;
            in_part += take;
            row += take;
        }
    }
    return STATUS_OK;
}

/* Fills part p's inputs from its segments [first, end). */
static status_t fill_part(batch_plan_t *plan, int p, int first, int end, error_t *err)
{
    const model_config_t *cfg = plan->cfg;
    request_t *req = plan->parts[p];
    const batch_unit_t *ref = &plan->units[plan->segments[first].unit];
    bool batch = cfg->max_batch_size > 0;
    int64_t rows = plan->part_rows[p];

    req->n_inputs = cfg->n_inputs;
    req->output_mask = kserve_all_outputs_mask(cfg->n_outputs);
    for (int k = 0; k < cfg->n_inputs; k++) {
        tensor_t *t = &req->inputs[k];
        size_t rb, off = 0;

        *t = ref->inputs[k];
        if (!batch)
            continue; /* the whole unit, in the plan's arena */
        rb = row_bytes(t);
        t->dims[0] = rows;
        if (end - first == 1) {
            t->data = (char *)t->data + (size_t)plan->segments[first].row * rb;
            continue;
        }
        t->data = arena_alloc(&req->arena, (size_t)rows * rb + 1);
        if (!t->data)
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for a batch of %lld rows",
                             (long long)rows);
        for (int s = first; s < end; s++) {
            const batch_segment_t *seg = &plan->segments[s];
            const tensor_t *src = &plan->units[seg->unit].inputs[k];
            size_t n = (size_t)seg->rows * rb;
            if (n)
                memcpy((char *)t->data + off, (const char *)src->data + (size_t)seg->row * rb, n);
            off += n;
        }
    }
    return STATUS_OK;
}

status_t batch_plan_cut(batch_plan_t *plan, error_t *err)
{
    status_t st = lay_out(plan, err);
    int s = 0;

    if (st != STATUS_OK || plan->n_parts == 0)
        return st;
    plan->parts = calloc((size_t)plan->n_parts, sizeof *plan->parts);
    if (!plan->parts)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for %d batches", plan->n_parts);
    for (int p = 0; p < plan->n_parts; p++) {
        int first = s;
        plan->parts[p] = request_create();
        if (!plan->parts[p])
            return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory for %d batches",
                             plan->n_parts);
        while (s < plan->n_segments && plan->segments[s].part == p)
            s++;
        assert(s > first);
        st = fill_part(plan, p, first, s, err);
        if (st != STATUS_OK)
            return st;
    }
    return STATUS_OK;
}

/* Checks output k of a part that ran: the shape the batcher promises, rows as its dim 0. */
static status_t part_output(const batch_plan_t *plan, const request_t *part, int k, int64_t rows,
                            error_t *err)
{
    const model_config_t *cfg = plan->cfg;
    int64_t numel;
    status_t st = kserve_output_check(part, cfg, k, &numel, err);

    if (st != STATUS_OK)
        return st;
    if (cfg->max_batch_size > 0 && (part->outputs[k].rank < 1 || part->outputs[k].dims[0] != rows))
        return error_set(err, STATUS_INTERNAL,
                         "output '%s' does not have the batch's %lld rows as its first dim",
                         cfg->outputs[k].name, (long long)rows);
    return STATUS_OK;
}

/* Output k of a unit spread over several segments, gathered into one tensor in the arena. */
static status_t gather(batch_plan_t *plan, const batch_unit_t *unit, int k, tensor_t *out,
                       error_t *err)
{
    const batch_segment_t *segs = &plan->segments[unit->first_segment];
    const tensor_t *first = &plan->parts[segs[0].part]->outputs[k];
    size_t rb = row_bytes(first), off = 0;

    *out = *first;
    out->dims[0] = unit->rows;
    out->data = arena_alloc(&plan->arena, (size_t)unit->rows * rb + 1);
    if (!out->data)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory gathering output '%s'",
                         plan->cfg->outputs[k].name);
    for (int s = 0; s < unit->n_segments; s++) {
        const tensor_t *t = &plan->parts[segs[s].part]->outputs[k];
        size_t n = (size_t)segs[s].rows * rb;
        if (!shape_equal(t->rank - 1, t->dims + 1, first->rank - 1, first->dims + 1))
            return error_set(err, STATUS_INTERNAL,
                             "output '%s' has different shapes in the batches of one request",
                             plan->cfg->outputs[k].name);
        if (n)
            memcpy((char *)out->data + off, (const char *)t->data + (size_t)segs[s].part_row * rb,
                   n);
        off += n;
    }
    return STATUS_OK;
}

status_t batch_plan_outputs(batch_plan_t *plan, int u, tensor_t *outputs, error_t *err)
{
    const model_config_t *cfg = plan->cfg;
    const batch_unit_t *unit = &plan->units[u];
    const batch_segment_t *segs = &plan->segments[unit->first_segment];

    if (!unit->inputs)
        return error_set(err, unit->status, "%s",
                         unit->message ? unit->message : status_name(unit->status));
    for (int s = 0; s < unit->n_segments; s++) {
        const request_t *part = plan->parts[segs[s].part];
        if (part->status != STATUS_OK)
            return error_set(err, part->status, "%s",
                             part->error.message[0] ? part->error.message
                                                    : status_name(part->status));
        for (int k = 0; k < cfg->n_outputs; k++) {
            status_t st = part_output(plan, part, k, plan->part_rows[segs[s].part], err);
            if (st != STATUS_OK)
                return st;
        }
    }
    for (int k = 0; k < cfg->n_outputs; k++) {
        const request_t *part = plan->parts[segs[0].part];
        status_t st;

        if (cfg->max_batch_size <= 0) {
            outputs[k] = part->outputs[k];
            continue;
        }
        if (unit->n_segments > 1) {
            st = gather(plan, unit, k, &outputs[k], err);
            if (st != STATUS_OK)
                return st;
            continue;
        }
        outputs[k] = part->outputs[k];
        outputs[k].dims[0] = unit->rows;
        outputs[k].data =
            (char *)outputs[k].data + (size_t)segs[0].part_row * row_bytes(&part->outputs[k]);
    }
    return STATUS_OK;
}

bool batch_plan_submit(batch_plan_t *plan, batcher_t *batcher, request_done_fn done, void *user)
{
    status_t refused = STATUS_OK;
    error_t err = {0};

    atomic_init(&plan->pending, plan->n_parts + 1);
    for (int p = 0; p < plan->n_parts; p++) {
        request_t *req = plan->parts[p];

        req->done = done;
        req->user = user;
        if (refused == STATUS_OK)
            refused = batcher_submit(batcher, req, &err);
        if (refused != STATUS_OK) {
            req->status = refused;
            req->error = err;
            atomic_fetch_sub(&plan->pending, 1);
        }
    }
    return batch_plan_part_done(plan);
}

bool batch_plan_part_done(batch_plan_t *plan)
{
    int before = atomic_fetch_sub(&plan->pending, 1);

    assert(before >= 1);
    return before == 1;
}

void batch_plan_cancel(batch_plan_t *plan)
{
    for (int p = 0; p < plan->n_parts; p++)
        atomic_store(&plan->parts[p]->cancelled, true);
}

bool batch_plan_any_success(const batch_plan_t *plan)
{
    for (int p = 0; p < plan->n_parts; p++)
        if (plan->parts[p]->status == STATUS_OK)
            return true;
    return false;
}

void batch_plan_free(batch_plan_t *plan)
{
    for (int p = 0; p < plan->n_parts && plan->parts; p++)
        request_free(plan->parts[p]);
    free(plan->parts);
    arena_release(&plan->arena);
    memset(plan, 0, sizeof *plan);
}
