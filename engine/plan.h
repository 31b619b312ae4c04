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

#include <pthread.h>
#include <stdatomic.h>

#include "graph.h"

typedef enum value_home {
    VALUE_UNUSED = 0, /* not needed by any step or output */
    VALUE_CONSTANT,   /* data known while planning (model or plan constant) */
    VALUE_INPUT,      /* the caller's input tensor */
    VALUE_ARENA,      /* a buffer in the context's arena */
    VALUE_DYNAMIC,    /* output of the plan's dynamic step: shape and data set as it runs */
    VALUE_BOUND,      /* a continuation's view of a value an earlier segment computed */
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
    bool fallback;          /* a slower route than the op's own (op_kernel_t.fallback) */
    /*
     * Its kernel gets the engine's buffer and subgraph services: it has
     * dynamic outputs (then it is the plan's last step) or subgraphs.
     */
    bool dynamic;
} plan_step_t;

/* Continuations one segment keeps (segment.h), the least recently used dropped beyond. */
#define PLAN_MAX_CONTINUATIONS 16

/*
 * Largest value (bytes) a plan is keyed by: a value-keyed graph input, or a
 * value computed while running that the rest of the graph needs to plan
 * (a shape, a count, a Range limit). Larger values stay run-time data; a
 * node that needs one to plan fails with STATUS_LIMIT_EXCEEDED.
 */
#define PLAN_KEY_VALUE_MAX_BYTES 4096

typedef struct plan plan_t;

struct plan {
    atomic_int refs;
    int threads; /* kernel threads the plan was prepared for */
    /*
     * Entries of key: the graph inputs for a root plan, the parent's
     * crossing values (parent->cross) for a continuation.
     */
    int n_inputs;
    tensor_t *key;        /* dtypes and shapes; data only for the values the plan is keyed by */
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
    int fallback_steps;  /* steps on a fallback route (plan_step_t.fallback) */
    /*
     * The segment of the graph this plan covers (segment.h): nodes
     * [first_node, end_node). A static model's plan covers all of them.
     * When end_node < n_nodes, the rest is planned at run time for the
     * shapes (and small values) of the cross values, which the run learnt.
     */
    int first_node;
    int end_node;
    int n_cross;
    int *cross;       /* values computed so far that nodes past end_node read */
    bool *cross_data; /* per cross value: its data (when small) keys the continuation */
    bool *live_after; /* per graph value: read past end_node or a graph output */
    pthread_mutex_t next_lock;
    plan_t *next[PLAN_MAX_CONTINUATIONS];
    uint64_t next_used[PLAN_MAX_CONTINUATIONS];
    uint64_t next_clock;
    arena_t arena; /* folded constants, key data, these arrays */
};

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

/*
 * Builds the continuation of parent (parent->end_node < g->n_nodes) for key:
 * one tensor per parent->cross value, as the run left it (shape and data).
 * The plan starts from parent's values, copies the data of the cross values
 * it is keyed by (parent->cross_data, at most PLAN_KEY_VALUE_MAX_BYTES) and
 * plans the next segment. Its constants may point into parent's (and its
 * ancestors'), so whoever runs it holds them too (segment.h).
 */
status_t plan_continue(const graph_t *g, const plan_t *parent, const tensor_t *key, plan_t **out,
                       error_t *err);

void plan_retain(plan_t *p);

/* Drops a reference, freeing the plan with the last one; NULL is a no-op. */
void plan_release(plan_t *p);

#endif
