/*
 * batch_plan.h - one request of many rows or instances (TF Serving's
 * "instances" and Predict tensors, MindSpore's "instances") cut into
 * batcher requests that each fit the model's max_batch_size, submitted,
 * and each instance's outputs gathered back from them. No I/O: the front
 * end submits the parts and answers once the last one completes.
 *
 * A unit is what the client sent as one thing: a TF Serving request is
 * one unit of N rows, a MindSpore instance is one unit of one row (or,
 * for a model without a batch dim, one whole tensor). Consecutive units
 * whose non-batch dims agree share a part; a unit of more rows than
 * max_batch_size is split across parts, so no row count is refused.
 */
#ifndef INFERD_BATCH_PLAN_H
#define INFERD_BATCH_PLAN_H

#include <stdatomic.h>
#include <stdint.h>

#include "arena.h"
#include "batcher.h"
#include "model_config.h"
#include "request.h"

/*
 * Batcher requests one client request may become. Each part holds a
 * request_t (some kilobytes) until the answer is sent, so this bounds
 * what one request can pin.
 */
#define BATCH_PLAN_MAX_PARTS 1024

typedef struct batch_unit {
    /*
     * cfg->n_inputs tensors in the model's order, data in the plan's arena;
     * with a batch dim each has rows as dims[0]. NULL: the client got this
     * unit wrong, message says how, and it is not run.
     */
    tensor_t *inputs;
    int64_t rows;        /* >= 1 with a batch dim; 1 without */
    const char *message; /* why a refused unit was refused (in the arena) */
    status_t status;     /* of a refused unit */
    int first_segment;   /* set by batch_plan_cut: its pieces in the plan's segments */
    int n_segments;
} batch_unit_t;

/* Rows [row, row + rows) of unit `unit` are rows [part_row, part_row + rows) of part `part`. */
typedef struct batch_segment {
    int unit;
    int part;
    int64_t row;
    int64_t part_row;
    int64_t rows;
} batch_segment_t;

typedef struct batch_plan {
    const model_config_t *cfg;
    arena_t arena; /* units, their inputs and messages, gathered outputs */
    batch_unit_t *units;
    int n_units;
    batch_segment_t *segments; /* in the arena */
    int n_segments;
    int64_t *part_rows; /* rows of each part (in the arena) */
    request_t **parts;  /* malloc'd; each from request_create */
    int n_parts;
    /*
     * Once submitted (batch_plan_submit): parts not completed yet, plus one
     * the submitting thread holds until it has submitted them all.
     */
    atomic_int pending;
} batch_plan_t;

/* An empty plan for a model; cfg must outlive it. */
void batch_plan_init(batch_plan_t *plan, const model_config_t *cfg);

/* n zeroed units in plan->units (any earlier ones are dropped). */
status_t batch_plan_units(batch_plan_t *plan, int n, error_t *err);

/* Marks unit u refused with status st and a printf-style message. */
void batch_plan_refuse(batch_plan_t *plan, int u, status_t st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Checks the shape of input k of a unit against the model's declaration:
 * its rank (plus the batch dim when max_batch_size > 0), its fixed dims,
 * and a batch dim of at least 1 row (of any number: parts split them).
 * Errors start with `what`.
 */
status_t batch_plan_check_shape(const model_config_t *cfg, int k, const tensor_t *t,
                                const char *what, error_t *err);

/*
 * With a batch dim, input k of inputs (a unit's, checked by
 * batch_plan_check_shape) must have the rows of input 0: the batcher runs
 * a unit's inputs as one batch.
 */
status_t batch_plan_same_rows(const model_config_t *cfg, const tensor_t *inputs, int k,
                              error_t *err);

/*
 * Cuts the accepted units into plan->parts: requests with every input
 * filled (rows copied into the part's arena when it joins several units,
 * pointing into the plan's arena otherwise), every output wanted and no
 * done callback yet. LIMIT_EXCEEDED past BATCH_PLAN_MAX_PARTS. No parts
 * at all is fine: every unit was refused.
 */
status_t batch_plan_cut(batch_plan_t *plan, error_t *err);

/*
 * Once every part ran: unit u's outputs into outputs[cfg->n_outputs] (views
 * into its part, or, for a unit split across parts, gathered into the
 * plan's arena). The status of the unit's first failed part, with its
 * message, when one failed; INTERNAL when a part's outputs cannot be split
 * back. A refused unit returns its own status and message.
 */
status_t batch_plan_outputs(batch_plan_t *plan, int u, tensor_t *outputs, error_t *err);

/*
 * Submits every part of a cut plan to batcher, each with done and user as
 * its callback. A part the batcher refuses (a full queue, a draining
 * model) completes at once with that refusal, and so do those after it:
 * the model is not taking work, and what was queued still completes. True
 * when no part is left pending: the caller answers now. Otherwise the part
 * whose done call gets true from batch_plan_part_done answers, on its
 * worker thread; the caller must not touch the plan after this returns.
 */
bool batch_plan_submit(batch_plan_t *plan, batcher_t *batcher, request_done_fn done, void *user);

/* In a part's done callback: true for the plan's last part to complete, whose caller answers. */
bool batch_plan_part_done(batch_plan_t *plan);

/*
 * Marks every part cancelled (the client gave up): queued ones are answered
 * without running. Safe from any thread while the plan lives.
 */
void batch_plan_cancel(batch_plan_t *plan);

/* Whether any part of a completed plan ran successfully. */
bool batch_plan_any_success(const batch_plan_t *plan);

/* Frees the parts (none may be in a batcher) and the arena; plan is empty afterwards. */
void batch_plan_free(batch_plan_t *plan);

#endif
