/*
 * mindspore.h - the MindSpore Serving REST codec: a method call's
 * "instances" in, one answer per instance out. Nothing here does I/O.
 *
 * Every model has one method, "predict", its inference. An instance is
 * one sample: for a model with max_batch_size > 0 it holds one row of each
 * input, without the batch dim, and the rows of the instances are batched
 * together (batch_plan.h cuts them to max_batch_size); for a model without
 * a batch dim an instance is the whole of each input and runs alone.
 *
 * Values are nested lists (JSON integers are integer data, reals floating
 * data, true/false BOOL) or {"b64": "...", "type": T, "shape": [...]}, the
 * raw little-endian bytes of a tensor of MindSpore type T. inferd holds no
 * string tensors, so strings and bytes values are refused. A mistake in
 * one instance answers that instance with {"error_msg": ...} and the
 * others still run, as MindSpore does.
 */
#ifndef INFERD_MINDSPORE_H
#define INFERD_MINDSPORE_H

#include <stddef.h>
#include <stdint.h>

#include "batch_plan.h"
#include "model_config.h"

/* Instances one call may carry (each becomes a unit of the plan). */
#define MINDSPORE_MAX_INSTANCES 4096

/* The one method every model has. */
#define MINDSPORE_METHOD "predict"

/*
 * Parses a call body (body[0, size), need not be NUL-terminated) for cfg
 * into plan (freshly batch_plan_init'ed): one unit per instance, a unit
 * the client got wrong refused with its reason. Fails as a whole, with
 * INVALID_ARGUMENT (or LIMIT_EXCEEDED past MINDSPORE_MAX_INSTANCES), only
 * when the body is not a call at all: malformed JSON, no "instances", a
 * list of non-objects. Inputs over max_tensor_elements elements (<= 0:
 * TENSOR_MAX_ELEMENTS) refuse their instance. The caller frees plan
 * (batch_plan_free) either way.
 */
status_t mindspore_parse_call(const char *body, size_t size, const model_config_t *cfg,
                              int64_t max_tensor_elements, batch_plan_t *plan, error_t *err);

/*
 * The answer once every part of plan ran: {"instances": [...]}, one object
 * per instance in order, {output name: value, ...} (the batch dim left
 * out) or {"error_msg": ...}. *body is malloc'd and the caller's.
 */
status_t mindspore_write_reply(batch_plan_t *plan, char **body, size_t *size, error_t *err);

/* {"error_msg": message}: how MindSpore answers a call that failed as a whole. NULL when out of
 * memory. */
char *mindspore_error_json(const char *message);

#endif
