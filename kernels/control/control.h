/*
 * control.h - control flow: If, Loop and Scan. Their subgraphs are
 * compiled and planned by the engine; these kernels only drive them
 * through op_call_t.run_subgraph, and copy what the subgraphs give into
 * their own outputs, whose shapes are known only by running (dynamic,
 * op.h). Formal inputs come first in call->inputs; outer-scope values the
 * subgraphs read follow them and are the engine's business.
 */
#ifndef INFERD_CONTROL_H
#define INFERD_CONTROL_H

#include "op.h"

/* Iterations one Loop may run; a loop without a trip count or condition stops here with an error.
 */
#define LOOP_MAX_ITERATIONS (INT64_C(1) << 24)

/* Loop-carried values one Loop may have. */
#define LOOP_MAX_CARRIED 256

/* States, scan inputs and scan outputs one Scan may have (each a per-node array). */
#define SCAN_MAX_VALUES 64

typedef struct if_params {
    int then_graph; /* run_subgraph indices */
    int else_graph;
} if_params_t;

typedef struct loop_params {
    int body;
    int n_carried; /* loop-carried values: inputs 2.., body inputs 2.., body outputs 1.. */
    int n_scan;    /* body outputs after the carried ones, stacked per iteration */
} loop_params_t;

typedef struct scan_params {
    int body;
    bool batched; /* opset 8: input 0 is sequence_lens, dim 0 is a batch, dim 1 the sequence */
    int n_state;
    int n_scan_in;
    int n_scan_out;
    int64_t in_axes[SCAN_MAX_VALUES];
    bool in_reverse[SCAN_MAX_VALUES];
    int64_t out_axes[SCAN_MAX_VALUES];
    bool out_reverse[SCAN_MAX_VALUES];
} scan_params_t;

extern const op_kernel_t if_kernel;
extern const op_kernel_t loop_kernel;
extern const op_kernel_t scan_kernel;

/* CPU implementations (if_cpu.c, loop_cpu.c, scan_cpu.c). */
status_t if_run(op_call_t *call, error_t *err);
status_t loop_run(op_call_t *call, error_t *err);
status_t scan_run(op_call_t *call, error_t *err);

/*
 * Gives output k the shape and dtype of t and copies t's data into it
 * (control_copy.c): subgraph results live in the subgraph's context, which
 * its next run reuses.
 */
status_t control_copy_output(op_call_t *call, int k, const tensor_t *t, error_t *err);

/* Reads a condition (one bool element) or a count (one int64), naming the input on failure. */
status_t control_read_bool(const op_call_t *call, const tensor_t *t, const char *what, bool *out,
                           error_t *err);

#endif
