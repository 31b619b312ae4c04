/*
 * op.h - what every operator provides. An operator has four parts:
 *
 *   prototype  op_kernel_t.infer: checks inputs and params, infers each
 *              output's dtype and shape and the scratch bytes run needs;
 *              fails with a message naming op, node and offending value.
 *   info       op_info_t: input/output counts and the dtypes per input.
 *   CPU impl   op_kernel_t.run: the computation, normally a thin wrapper
 *              over a framework-free function on raw buffers.
 *   adapter    op_schema_t: for an ONNX op type and an opset range, turns
 *              the node's attributes into the kernel's params struct.
 *
 * Life cycle (per node): adapt (once, at import) -> pack (once per compiled
 * model, optional: pre-packs constant weights) -> infer (once per input
 * shape: shapes and workspace size) -> prepare (once per plan, optional:
 * shape-specific state such as library primitives) -> run (per inference).
 *
 * Files: kernels/<family>/<family>.h (params), <family>_proto.c (infer and
 * info), <family>_cpu.c (run), <family>_onnx.c (adapters and the schema
 * table `op_schemas_<family>`, which the build collects into the registry).
 */
#ifndef INFERD_OP_H
#define INFERD_OP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attr.h"
#include "status.h"
#include "tensor.h"

/*
 * Opsets of the default ONNX domain that inferd understands. An op's schema
 * entries end at OPSET_MAX only when no later opset up to it changed the
 * op; raising it means auditing every entry against the ONNX changelog.
 */
#define OPSET_MIN 1
#define OPSET_MAX 21

/* Longest implementation name op_kernel_t.describe writes, its terminator included. */
#define OP_IMPL_MAX 48

/* Formal inputs an info table describes; variadic ops repeat the last one. */
#define OP_MAX_FORMAL_INPUTS 8

/* What an adapter sees of a node. */
typedef struct op_adapt {
    const char *op_type;
    const char *node;
    int opset;            /* the model's opset for the default domain */
    const attrs_t *attrs; /* lives as long as the model */
    int n_inputs;         /* as written in the model, omitted optional ones included */
    int n_outputs;
} op_adapt_t;

/*
 * One invocation of a kernel. In infer, inputs[i]->data is non-NULL only
 * when the value is known while planning (a constant, or an input listed in
 * value_inputs); outputs get dtype, rank and dims. In run, every present
 * input and every output has data, and workspace has workspace_size bytes,
 * 64-byte aligned.
 */
typedef struct op_call {
    const char *op_type;
    const char *node;
    const void *params; /* the adapter's output */
    void *state;        /* what pack returned, or NULL */
    void *prepared;     /* what prepare returned for this plan, or NULL */
    int n_inputs;
    const tensor_t *const *inputs; /* inputs[i] is NULL for an omitted optional input */
    int n_outputs;
    tensor_t *outputs;
    size_t workspace_size; /* set by infer */
    void *workspace;
    int threads; /* threads the kernel may use; 1 means the calling thread only */
    /*
     * pack only, may be NULL: a kernel packing input i may report, as it
     * goes, how many leading bytes of input i's data it no longer needs
     * (op_call_consumed). The engine sets it when that input is freed after
     * this pack anyway, and gives those pages back at once, so a large
     * weight and its packed copy do not both stay resident while packing.
     */
    void (*consumed)(const struct op_call *call, int input, size_t bytes);
    void *consumed_ctx;
    /*
     * pack only: the model runs in bf16 precision (engine_precision_t) and
     * the CPU has AVX512_BF16. A convolution or matrix product may then
     * pack its weights in bf16 and multiply bf16 inputs with float32
     * accumulation; it sets *packed_bf16 (may be NULL) when it did. Its
     * state says so from then on: prepare and run never see this flag.
     */
    bool bf16;
    bool *packed_bf16;
    /*
     * run only, set by the engine for kernels with dynamic_outputs or
     * subgraphs (NULL otherwise). buffer returns slot's buffer of at least
     * bytes (64-byte aligned), owned by the engine: slots below n_outputs
     * back the dynamic outputs (op_call_output), the next OP_MAX_SCRATCH are
     * scratch (op_call_scratch). A buffer that grows keeps its leading
     * bytes; buffers live until the node runs again in the same context, so
     * a steady workload allocates nothing.
     */
    void *(*buffer)(const struct op_call *call, int slot, size_t bytes, error_t *err);
    /*
     * Control-flow kernels only: runs the node's subgraph graph (the
     * adapter's op_adapt graph index) on its n_inputs formal inputs; the
     * engine adds the outer-scope values the subgraph reads. *outputs (one
     * per subgraph output, owned by the engine) stay valid until the next
     * run of the same subgraph from this call.
     */
    status_t (*run_subgraph)(const struct op_call *call, int graph, const tensor_t *inputs,
                             int n_inputs, const tensor_t **outputs, error_t *err);
    /*
     * Control-flow kernels only: the dtype and shape each output of the
     * subgraph would have for inputs, without running it (a Loop that runs
     * no iteration still gives its scan outputs the body's element shape).
     * outputs gets one tensor per subgraph output, data NULL. Fails with
     * STATUS_UNSUPPORTED when a shape depends on values the subgraph
     * would compute.
     */
    status_t (*shape_subgraph)(const struct op_call *call, int graph, const tensor_t *inputs,
                               int n_inputs, tensor_t *outputs, error_t *err);
    void *engine; /* the engine's context for buffer and the subgraph services */
} op_call_t;

/* Scratch slots op_call_scratch offers a kernel. */
#define OP_MAX_SCRATCH 8

/*
 * Gives dynamic output k the shape (rank, dims) and a buffer for it. May be
 * called again with more elements (the buffer grows, keeping what was
 * written). Fails with STATUS_LIMIT_EXCEEDED past TENSOR_MAX_ELEMENTS or
 * the plan byte limit, naming op, node and output.
 */
status_t op_call_output(op_call_t *call, int k, int rank, const int64_t *dims, error_t *err);

/* Scratch slot (< OP_MAX_SCRATCH) of at least bytes, kept across growth; NULL on failure. */
void *op_call_scratch(op_call_t *call, int slot, size_t bytes, error_t *err);

/*
 * batch_rows for ops that broadcast numpy-style: dim 0 of an input is the
 * batch only at the output's rank, so every input not known while planning
 * (data NULL) must have it; known ones may broadcast.
 */
bool op_batch_rows_broadcast(const op_call_t *call);

/*
 * pack: the kernel is done with the first bytes of input i's data (which
 * may read as zeros afterwards). Call it only for inputs pack copies into
 * its state, with non-decreasing byte counts.
 */
static inline void op_call_consumed(const op_call_t *call, int input, size_t bytes)
{
    if (call->consumed)
        call->consumed(call, input, bytes);
}

typedef struct op_info {
    int min_inputs;
    int max_inputs; /* -1: variadic */
    int min_outputs;
    int max_outputs;                             /* -1: variadic */
    uint32_t input_dtypes[OP_MAX_FORMAL_INPUTS]; /* DTYPE_BIT masks */
    const char *layout;                          /* activation layout, e.g. "NCHW" or "any" */
} op_info_t;

typedef struct op_kernel {
    const char *name;
    const op_info_t *info;
    size_t params_size;
    /* Bit i set: the prototype needs the values of input i (a shape, axes, pads). */
    uint32_t value_inputs;
    /* Outputs depend on input shapes only (Shape, Size): always folded when planning. */
    bool shape_only;
    /*
     * Outputs are drawn at random (RandomUniform, Bernoulli, ...): never
     * folded, even with every input known, so each run draws anew.
     */
    bool random;
    /*
     * Bit k set: output k's shape depends on the input values (NonZero,
     * Unique, If, Loop ...). infer sets its dtype (DTYPE_UNDEFINED if not
     * known yet), its rank and the dims it can (0 for the others); run
     * gives it its shape and buffer with op_call_output. The plan ends
     * after such a step and the engine plans the rest once the shapes are
     * known (engine/segment.h).
     */
    uint32_t dynamic_outputs;
    /*
     * Control flow: the engine imports the node's graph attributes as
     * subgraphs (attr_t.graph) and the kernel runs them (run_subgraph).
     * Other ops' graph attributes are ignored.
     */
    bool subgraphs;
    status_t (*infer)(op_call_t *call, error_t *err);
    status_t (*run)(op_call_t *call, error_t *err);
    /*
     * Optional. Called once per compiled model when every input in
     * value_inputs and every weight is constant; *state is owned by the model
     * and freed with release.
     */
    status_t (*pack)(const op_call_t *call, void **state, error_t *err);
    void (*release)(void *state);
    /*
     * Bit i set: once pack has returned a state, infer, prepare and run never
     * read the data of input i (they use the packed copy), so the engine may
     * free a constant whose every consumer packed it. Its shape stays.
     */
    uint32_t packed_inputs;
    /*
     * Bit i set: input i may be a float16 or bfloat16 constant while the
     * others are float (a weight; engine/half.c). pack takes it as it is
     * (keeping it half in memory), or returns no state, and the engine
     * then gives the kernel a float copy and packs again. A kernel without
     * pack reads the half input itself in run (Gather's table).
     */
    uint32_t half_inputs;
    /*
     * Bit i set: run is correct when output 0's buffer is input i's buffer
     * (same pointer; dtype and byte size equal). The memory plan uses it
     * when nothing reads input i after this node, saving a buffer and the
     * cache misses of a fresh one.
     */
    uint32_t inplace_inputs;
    /*
     * Bit i set: dim 0 of input i is a batch the op computes row by row:
     * output row r (along dim 0) depends only on row r of each such input
     * that has the output's rank, and on the whole of every other input.
     * With batch_rows (optional) the bits hold only when it returns true
     * for the call's params and shapes. The engine may then run a batch as
     * sub-batches, one per thread (engine/plan.c checks every shape).
     */
    uint32_t batch_inputs;
    bool (*batch_rows)(const op_call_t *call);
    /*
     * Optional. Called once per plan after infer, with every input and
     * output shape known and call->threads set to the plan's thread count
     * (data pointers are NULL except for constants). May raise
     * call->workspace_size. *prepared is owned by the plan, passed to run
     * in call->prepared, and freed with unprepare.
     */
    status_t (*prepare)(op_call_t *call, void **prepared, error_t *err);
    void (*unprepare)(void *prepared);
    /*
     * Optional. Writes which implementation the call runs into impl (size
     * bytes, OP_IMPL_MAX): a library's name for its primitive, or which of inferd's own
     * kernels and at which ISA; returns true when that is reference code,
     * an unoptimised loop that runs only because nothing faster takes
     * these shapes. Called once per plan after prepare, with state,
     * prepared and every shape set. Without it the op runs on inferd's own
     * kernel, named "inferd".
     */
    bool (*describe)(const op_call_t *call, char *impl, size_t size);
    /*
     * Optional. True when the call runs on a fallback route: optimised code,
     * not reference code, but slower than the route the kernel is made for,
     * which this CPU, these shapes or these parameters rule out (the int8
     * convolution on inferd's qgemm through NCHW copies where oneDNN's int8
     * primitive cannot take the layer). Called once per plan after
     * describe; the engine counts such steps (engine_model_fallback_layers),
     * names each in a warning and marks it in profiles.
     */
    bool (*fallback)(const op_call_t *call);
} op_kernel_t;

typedef status_t (*op_adapt_fn)(const op_adapt_t *node, void *params, error_t *err);

typedef struct op_schema {
    const char *op_type; /* default ONNX domain */
    int since_version;   /* first opset this entry covers */
    int until_version;   /* last opset it covers, inclusive */
    op_adapt_fn adapt;   /* NULL: the kernel has no params */
    const op_kernel_t *kernel;
} op_schema_t;

/*
 * Records "<op> node '<node>': <message>" in err and returns code. Every
 * prototype and adapter failure goes through these so messages look alike.
 */
status_t op_fail(error_t *err, status_t code, const char *op_type, const char *node,
                 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
#define op_call_fail(call, err, ...)                                                               \
    op_fail((err), STATUS_INVALID_ARGUMENT, (call)->op_type, (call)->node, __VA_ARGS__)
#define op_adapt_fail(a, err, ...)                                                                 \
    op_fail((err), STATUS_INVALID_MODEL, (a)->op_type, (a)->node, __VA_ARGS__)

/*
 * Attribute readers for adapters. Each returns STATUS_OK and the default
 * when the attribute is absent, and fails (naming op, node and attribute)
 * when it has the wrong type or too many values.
 */
status_t adapt_int(const op_adapt_t *a, const char *name, int64_t def, int64_t *out, error_t *err);
status_t adapt_float(const op_adapt_t *a, const char *name, float def, float *out, error_t *err);
status_t adapt_string(const op_adapt_t *a, const char *name, const char *def, const char **out,
                      error_t *err);
/* *count is -1 when the attribute is absent. */
status_t adapt_ints(const op_adapt_t *a, const char *name, int max_count, int64_t *out, int *count,
                    error_t *err);
status_t adapt_floats(const op_adapt_t *a, const char *name, int max_count, float *out, int *count,
                      error_t *err);
/* The strings stay valid as long as the model; *count is -1 when the attribute is absent. */
status_t adapt_strings(const op_adapt_t *a, const char *name, int max_count, const char **out,
                       int *count, error_t *err);
/* *out is NULL when the attribute is absent. */
status_t adapt_tensor(const op_adapt_t *a, const char *name, const tensor_t **out, error_t *err);
bool adapt_has(const op_adapt_t *a, const char *name);
/*
 * A subgraph attribute (If branch, Loop or Scan body), which must be
 * present: *out carries the index run_subgraph takes and the subgraph's
 * formal input and output counts, for the adapter to check.
 */
status_t adapt_graph(const op_adapt_t *a, const char *name, const attr_t **out, error_t *err);

/*
 * Prototype of an op whose one output has input 0's dtype and shape and that
 * needs no workspace (Identity, the elementwise unary ops, Not).
 */
status_t op_infer_same_as_input(op_call_t *call, error_t *err);

/* The schema for op_type at opset, or NULL. */
const op_schema_t *op_registry_find(const char *op_type, int opset);

/* True if some opset of op_type is implemented (for "unsupported opset" messages). */
bool op_registry_has_op(const char *op_type);

/*
 * Calls visit on every schema entry of every family, in table order (for
 * tools that list what inferd implements, such as inferd_conformance --list-ops).
 */
void op_registry_visit(void (*visit)(const op_schema_t *schema, void *ctx), void *ctx);

#endif
