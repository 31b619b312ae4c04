/*
 * model.h - the engine_model_t behind engine.h: a compiled graph, its
 * declared inputs and outputs, and the cache of plans per input shape.
 */
#ifndef INFERD_MODEL_H
#define INFERD_MODEL_H

#include <pthread.h>
#include <stdatomic.h>

#include "engine.h"
#include "graph.h"
#include "plan.h"

/* Plans kept per model; the least recently used one is dropped beyond this. */
#define MODEL_PLAN_CACHE_SIZE 16

struct engine_model {
    graph_t *graph;
    engine_io_t *inputs;
    engine_io_t *outputs;
    engine_model_stats_t stats;
    char *path;                  /* as loaded, for warnings */
    atomic_int reference_layers; /* steps on reference code in the plans built */
    atomic_int fallback_layers;  /* steps on a fallback route in the plans built */
    pthread_mutex_t plans_lock;
    plan_t *plans[MODEL_PLAN_CACHE_SIZE];
    uint64_t plan_used[MODEL_PLAN_CACHE_SIZE];
    uint64_t plan_clock;
    /*
     * A subgraph's model (If branch, Loop or Scan body): its graph belongs
     * to the model's, and its inputs come from the op, which checked them.
     * The model's own owns every subgraph model, at all depths.
     */
    bool subgraph;
    engine_model_t **submodels;
    int n_submodels;
};

/*
 * Checks inputs against the declared inputs (dtype, rank, fixed dims,
 * symbolic dims consistent across inputs, element limits, data present).
 */
status_t model_check_inputs(const engine_model_t *m, const tensor_t *inputs, int n_inputs,
                            error_t *err);

/*
 * Returns the plan for inputs (validated) at threads kernel threads,
 * building and caching it if needed. The caller owns the returned
 * reference (plan_release).
 */
/* Counts and reports (warning handler) a new plan's steps on reference code. */
void model_report_plan(engine_model_t *m, const plan_t *p);

status_t model_get_plan(engine_model_t *m, const tensor_t *inputs, int threads, plan_t **out,
                        error_t *err);

#endif
