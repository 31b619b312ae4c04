/*
 * segment.h - data-dependent shapes: how the engine runs a graph whose
 * shapes are only known while it runs.
 *
 * A plan (plan.h) is compiled per input shape: every value's shape is
 * inferred, shape computations are folded, and one liveness-based arena
 * layout serves every run. Some shapes depend on values, not shapes:
 * NonZero, Unique, Compress and NonMaxSuppression outputs, If and Loop
 * outputs, and anything planned from a value computed while running
 * (Range's limit, Reshape's shape or TopK's k taken from data).
 *
 * The plan is cut into segments at those points.
 *
 *   - A node whose outputs' shapes depend on values (its kernel sets
 *     op_kernel_t.dynamic_outputs) ends its segment: it is the segment's
 *     last step. Its prototype gives dtypes and whatever dims it can; its
 *     run gives each dynamic output its shape and buffer through
 *     op_call_output, from buffers the context keeps per segment and grows
 *     only (exec.h), so a steady workload allocates nothing.
 *   - A node whose prototype needs values (op_kernel_t.value_inputs) that
 *     the plan does not know starts the next segment: the plan ends just
 *     before it.
 *
 * A static model has one segment, and its plan is exactly what it was
 * before segments existed: the executor checks end_node once per run.
 *
 * Each segment's plan records its cross values: those computed so far (in
 * the arena, by a dynamic step, or by an earlier segment) that later nodes
 * read. After a segment runs, the next is planned for their shapes, and
 * for the data of the small ones (at most PLAN_KEY_VALUE_MAX_BYTES) that
 * a later prototype needs, directly or through what it computes: those
 * are constants of the continuation, which folds what they feed as a
 * value-keyed input's plan does. Larger values stay run-time data; a node
 * that needs one to plan fails with STATUS_LIMIT_EXCEEDED, naming it.
 *
 * Continuations are cached in their parent plan, keyed by the cross
 * values (shapes and keyed data), at most PLAN_MAX_CONTINUATIONS per
 * parent, least recently used dropped: a workload whose learnt shapes
 * repeat plans each segment once. A continuation starts from its parent's
 * values, so its constants may point into its ancestors: the executor
 * holds the whole chain it ran (one plan per depth), and a parent holds
 * its cached continuations, never the reverse.
 *
 * Memory: each segment has its own arena, laid out by the same liveness
 * plan, in which the cross values stay live to its end; earlier segments'
 * arenas stay untouched while later ones run. The price of a cut is that
 * values on either side of it cannot share bytes.
 *
 * Why output buffers sized at run time rather than an upper bound from the
 * prototype: a bound is often far larger than the answer (NonZero's is
 * rank times the input's elements; NonMaxSuppression's every box of every
 * class) and some outputs have none (Loop's scan outputs). Kernels whose
 * count is cheap count first and fill (NonZero, Compress); others stage
 * their results in workspace sized from the prototype's bound (Unique) or
 * grow the output as they go (NonMaxSuppression, Loop).
 */
#ifndef INFERD_SEGMENT_H
#define INFERD_SEGMENT_H

#include "model.h"

/*
 * The continuation of parent for key (one tensor per parent->cross value,
 * as the run left it), from parent's cache or planned now and cached. The
 * caller owns the returned reference.
 */
status_t segment_next(engine_model_t *m, plan_t *parent, const tensor_t *key, plan_t **out,
                      error_t *err);

#endif
