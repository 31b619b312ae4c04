/*
 * plan.h - a compiled model specialised to one set of input shapes (and the
 * values of value-keyed inputs): every value's shape, the steps left to run
 * after plan-time folding, and each buffer's place in the arena.
 *
 * Plans are immutable and reference counted: the model's cache holds one
 * reference, each context holds one to the plan it ran last.
 */
#ifndef INFERD_PLAN_H
#define INFERD_PLAN_H

#include <stdatomic.h>

#include "graph.h"

typedef enum value_home {
    VALUE_UNUSED = 0, /* not needed by any step or output */
    VALUE_CONSTANT,   /* data known while planning (model or plan constant) */
    VALUE_INPUT,      /* the caller's input tensor */
    VALUE_ARENA,      /* a buffer in the context's arena */
} value_home_t;

typedef struct plan_value {
    tensor_t desc; /* data set for VALUE_CONSTANT only */
    value_home_t home;
    int input;     /* VALUE_INPUT: index among the graph inputs */
    size_t offset; /* VALUE_ARENA: byte offset in the arena */
} plan_value_t;

typedef struct plan_step {
    const graph_node_t *node;
    size_t workspace_offset;
    size_t workspace_size;
    void *prepared;         /* from kernel->prepare, freed with kernel->unprepare */
    char impl[OP_IMPL_MAX]; /* which implementation runs it (op_kernel_t.describe) */
    bool reference;         /* that implementation is reference code */
} plan_step_t;

typedef struct plan {
    atomic_int refs;
    int threads; /* kernel threads the plan was prepared for */
    int n_inputs;
    tensor_t *key;        /* input dtypes and shapes; data only for value-keyed inputs */
    plan_value_t *values; /* one per graph value */
    plan_step_t *steps;
    int n_steps;
    size_t arena_bytes;
    size_t folded_bytes; /* constants folded into the plan's own arena */
    /*
     * Dim 0 of every input when every step computes it row by row (see
     * op_kernel_t.batch_inputs), so the batch may run as sub-batches with
     * the same results; 0 when it may not.
     */
    int64_t batch;
    /*
     * How many sub-batches a run cuts such a batch into (executor.c), each
     * on a plan of its own: one per thread, and more where the whole
     * batch's activations would spill the cache (plan_sub_batches). A plan
     * with sub_batches > 1 is built without kernel state (steps
     * unprepared), and its arena_bytes is only the estimate the choice
     * was made on: it never runs itself.
     */
    int sub_batches;
    int reference_steps; /* steps whose implementation is reference code */
    arena_t arena;       /* folded constants, key data, these arrays */
} plan_t;

/*
 * Environment variable capping the bytes one plan may take (its arena of
 * activations and workspaces plus the constants it folds): a number of
 * bytes with an optional K, M or G suffix, as cpu_cache_parse_bytes reads
 * it. Without it (or with a value that does not parse), half the
 * machine's physical memory: a model that asks for more for one request
 * is refused with STATUS_LIMIT_EXCEEDED rather than left to exhaust the
 * memory every other model needs too.
 */
#define PLAN_MAX_BYTES_ENV "INFERD_MAX_PLAN_BYTES"

/* The cap PLAN_MAX_BYTES_ENV describes; read once, safe from any thread. */
size_t plan_max_bytes(void);

/*
 * Builds the plan of g for inputs (already validated against the model's
 * declared inputs), prepared for kernels running on threads threads. The
 * caller owns the returned reference. Fails with STATUS_LIMIT_EXCEEDED
 * when the plan would take more than plan_max_bytes().
 */
status_t plan_build(const graph_t *g, const tensor_t *inputs, int threads, plan_t **out,
                    error_t *err);

/* True if p was built for inputs' shapes (and value-keyed values) and threads. */
bool plan_matches(const plan_t *p, const tensor_t *inputs, int threads);

void plan_retain(plan_t *p);

/* Drops a reference, freeing the plan with the last one; NULL is a no-op. */
void plan_release(plan_t *p);

#endif
