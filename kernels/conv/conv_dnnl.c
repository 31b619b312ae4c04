/*
 * conv_dnnl.c - the channels-last convolution on oneDNN primitives.
 *
 * pack (once per model) reorders the constant OIHW weights into the blocked
 * format oneDNN's convolution picks for them. That choice is made with a
 * nominal input (batch 1, CONV_DNNL_NOMINAL_SIZE square, the real channel
 * counts and window): for fp32 the weight format follows the channel
 * blocking, not the image size, and fixing it here is what lets a new input
 * shape reuse the packed weights. prepare (once per plan) then creates the
 * primitive for the real shapes with that weight format forced and the
 * plan's thread count, its scratchpad in the step's workspace. run executes
 * it on the caller's buffers.
 *
 * oneDNN's Debian build runs on OpenMP and sizes its work split by
 * omp_get_max_threads(), so prepare and run set the calling thread's
 * OpenMP thread count to call->threads first.
 */
#include "conv_nhwc.h"

#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "cpu_isa.h"

/* Image edge of the nominal input pack chooses the weight format with. */
#define CONV_DNNL_NOMINAL_SIZE 32

/* Bytes packed weights are aligned to (oneDNN's own buffers use 64). */
#define CONV_DNNL_ALIGN 64

typedef struct conv_pack {
    dnnl_memory_desc_t weights_md; /* the blocked format of weights */
    void *weights;
} conv_pack_t;

typedef struct conv_prepared {
    dnnl_primitive_t primitive;
    dnnl_memory_desc_t src_md, weights_md, bias_md, dst_md, scratch_md;
} conv_prepared_t;

static dnnl_engine_t cpu_engine;
static dnnl_status_t cpu_engine_status;
static pthread_once_t cpu_engine_once = PTHREAD_ONCE_INIT;

static void cpu_engine_init(void)
{
    (void)cpu_isa(); /* hands INFERD_MAX_ISA's cap to oneDNN before its first primitive */
    cpu_engine_status = dnnl_engine_create(&cpu_engine, dnnl_cpu, 0);
}

static status_t get_engine(const op_call_t *call, dnnl_engine_t *engine, error_t *err)
{
    pthread_once(&cpu_engine_once, cpu_engine_init);
    if (cpu_engine_status != dnnl_success)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                       "cannot create the oneDNN CPU engine (status %d)", (int)cpu_engine_status);
    *engine = cpu_engine;
    return STATUS_OK;
}

static status_t dnnl_fail(const op_call_t *call, error_t *err, const char *what, dnnl_status_t s)
{
    return op_fail(err, s == dnnl_out_of_memory ? STATUS_OUT_OF_MEMORY : STATUS_UNSUPPORTED,
                   call->op_type, call->node, "oneDNN cannot %s (status %d)", what, (int)s);
}

/* oneDNN's view of one convolution: dims of every tensor and the window. */
typedef struct conv_shapes {
    dnnl_dims_t src, weights, bias, dst;
    int weights_ndims;
    dnnl_dims_t strides, dilates, pad_l, pad_r;
} conv_shapes_t;

/*
 * Fills the oneDNN dims of a 2-D convolution (spatial axes 1 and 2 of the
 * geometry's 3). A window that leaves trailing input rows or columns unused
 * has a negative exact trailing pad; oneDNN wants it >= 0, and 0 gives the
 * same output size (it rounds the window count down, as ONNX does).
 */
static void conv_shapes(const conv_geom_t *g, conv_shapes_t *s)
{
    const conv_window_t *w = &g->win;
    const int64_t groups = g->group;

    s->src[0] = g->batch;
    s->src[1] = g->in_channels;
    s->dst[0] = g->batch;
    s->dst[1] = g->out_channels;
    s->bias[0] = g->out_channels;
    s->weights_ndims = groups > 1 ? 5 : 4;
    if (groups > 1) {
        s->weights[0] = groups;
        s->weights[1] = g->out_channels / groups;
        s->weights[2] = g->in_channels / groups;
    } else {
        s->weights[0] = g->out_channels;
        s->weights[1] = g->in_channels;
    }
    for (int i = 0; i < 2; i++) {
        const int j = i + 1; /* geometry axis: axis 0 is the padded depth */
        const int64_t extent = (w->kernel[j] - 1) * w->dilation[j] + 1;
        const int64_t pad_r = (w->cols[j] - 1) * w->stride[j] + extent - w->image[j] - w->pad[j];

        s->src[2 + i] = w->image[j];
        s->dst[2 + i] = w->cols[j];
        s->weights[s->weights_ndims - 2 + i] = w->kernel[j];
        s->strides[i] = w->stride[j];
        s->dilates[i] = w->dilation[j] - 1;
        s->pad_l[i] = w->pad[j];
        s->pad_r[i] = pad_r > 0 ? pad_r : 0;
    }
}

/*
 * Creates the primitive descriptor of a convolution with the given weight
 * descriptor (format any, or a packed one) and the params' fused epilogue.
 */
static status_t create_pd(const op_call_t *call, const conv_geom_t *g, bool has_bias,
                          const dnnl_memory_desc_t *weights_md, bool user_scratchpad,
                          dnnl_primitive_desc_t *pd, error_t *err)
{
    const conv_nhwc_params_t *p = call->params;
    conv_shapes_t s;
    dnnl_memory_desc_t src_md, bias_md, dst_md;
    dnnl_convolution_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    dnnl_engine_t engine = NULL;
    dnnl_status_t ds;
    status_t st = get_engine(call, &engine, err);

    if (st)
        return st;
    conv_shapes(g, &s);
    ds = dnnl_memory_desc_init_by_tag(&src_md, 4, s.src, dnnl_f32, dnnl_nhwc);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&dst_md, 4, s.dst, dnnl_f32, dnnl_nhwc);
    if (ds == dnnl_success && has_bias)
        ds = dnnl_memory_desc_init_by_tag(&bias_md, 1, s.bias, dnnl_f32, dnnl_x);
    if (ds == dnnl_success)
        ds = dnnl_dilated_convolution_forward_desc_init(
            &desc, dnnl_forward_inference, dnnl_convolution_direct, &src_md, weights_md,
            has_bias ? &bias_md : NULL, &dst_md, s.strides, s.dilates, s.pad_l, s.pad_r);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_create(&attr);
    if (ds == dnnl_success && user_scratchpad)
        ds = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (ds == dnnl_success)
        ds = dnnl_post_ops_create(&ops);
    if (ds == dnnl_success && p->sum)
        ds = dnnl_post_ops_append_sum(ops, 1.0f);
    if (ds == dnnl_success && p->activation == CONV_ACTIVATION_RELU)
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (ds == dnnl_success && p->activation == CONV_ACTIVATION_CLIP)
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip, p->clip_min, p->clip_max);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_set_post_ops(attr, ops);
    if (ds == dnnl_success)
        ds = dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
    if (ds != dnnl_success)
        st = dnnl_fail(call, err, "create the convolution", ds);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    return st;
}

/* Plain (g)oihw descriptor of the ONNX weights. */
static dnnl_status_t plain_weights_md(const conv_geom_t *g, dnnl_memory_desc_t *md)
{
    conv_shapes_t s;

    conv_shapes(g, &s);
    return dnnl_memory_desc_init_by_tag(md, s.weights_ndims, s.weights, dnnl_f32,
                                        s.weights_ndims == 5 ? dnnl_goihw : dnnl_oihw);
}

static status_t reorder_weights(const op_call_t *call, const dnnl_memory_desc_t *from,
                                const dnnl_memory_desc_t *to, const void *src, void *dst,
                                error_t *err)
{
    dnnl_engine_t engine = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t reorder = NULL;
    dnnl_memory_t src_mem = NULL, dst_mem = NULL;
    dnnl_stream_t stream = NULL;
    dnnl_status_t ds;
    status_t st = get_engine(call, &engine, err);

    if (st)
        return st;
    ds = dnnl_reorder_primitive_desc_create(&pd, from, engine, to, engine, NULL);
    if (ds == dnnl_success)
        ds = dnnl_primitive_create(&reorder, pd);
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&src_mem, from, engine, (void *)src);
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&dst_mem, to, engine, dst);
    if (ds == dnnl_success)
        ds = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (ds == dnnl_success) {
        dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src_mem}, {DNNL_ARG_TO, dst_mem}};
        ds = dnnl_primitive_execute(reorder, stream, 2, args);
    }
    if (ds == dnnl_success)
        ds = dnnl_stream_wait(stream);
    if (ds != dnnl_success)
        st = dnnl_fail(call, err, "reorder the weights", ds);
    dnnl_stream_destroy(stream);
    dnnl_memory_destroy(src_mem);
    dnnl_memory_destroy(dst_mem);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(pd);
    return st;
}

/* The geometry of the call on a nominal batch-1 square input with X's channels. */
static status_t nominal_geometry(const op_call_t *call, conv_geom_t *g, error_t *err)
{
    const tensor_t *w = call->inputs[1];
    const conv_nhwc_params_t *p = call->params;
    tensor_t x = {.dtype = DTYPE_FLOAT, .rank = 4, .dims = {1, 0, 0, w->dims[1] * p->conv.group}};
    const tensor_t *inputs[4] = {&x, w, call->n_inputs > 2 ? call->inputs[2] : NULL, NULL};
    conv_nhwc_params_t nominal = *p;
    op_call_t c = *call;
    tensor_t out;

    for (int i = 0; i < 2; i++) {
        int64_t dilation = p->conv.n_dilations > 0 ? p->conv.dilations[i] : 1;
        int64_t extent = (w->dims[2 + i] - 1) * dilation + 1;
        x.dims[1 + i] = extent > CONV_DNNL_NOMINAL_SIZE ? extent : CONV_DNNL_NOMINAL_SIZE;
    }
    nominal.sum = false;
    c.params = &nominal;
    c.inputs = inputs;
    c.n_inputs = call->n_inputs > 3 ? 3 : call->n_inputs;
    return conv_nhwc_resolve(&c, g, &out, err);
}

status_t conv_dnnl_pack(const op_call_t *call, void **state, error_t *err)
{
    const tensor_t *w = call->inputs[1];
    bool has_bias = call->n_inputs > 2 && call->inputs[2];
    dnnl_memory_desc_t any_md, plain_md;
    dnnl_primitive_desc_t pd = NULL;
    conv_pack_t *pack = NULL;
    conv_shapes_t s;
    conv_geom_t g;
    size_t bytes;
    status_t st;

    *state = NULL;
    if (!w || !w->data)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "weights are not constant");
    if ((st = nominal_geometry(call, &g, err)))
        return st;
    conv_shapes(&g, &s);
    if (dnnl_memory_desc_init_by_tag(&any_md, s.weights_ndims, s.weights, dnnl_f32,
                                     dnnl_format_tag_any) != dnnl_success ||
        plain_weights_md(&g, &plain_md) != dnnl_success)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                       "cannot describe the weights");
    if ((st = create_pd(call, &g, has_bias, &any_md, false, &pd, err)))
        return st;
    pack = calloc(1, sizeof *pack);
    if (!pack) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
        goto cleanup;
    }
    pack->weights_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    bytes = dnnl_memory_desc_get_size(&pack->weights_md);
    pack->weights = aligned_alloc(CONV_DNNL_ALIGN,
                                  (bytes + CONV_DNNL_ALIGN - 1) & ~(size_t)(CONV_DNNL_ALIGN - 1));
    if (!pack->weights) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
        goto cleanup;
    }
    st = reorder_weights(call, &plain_md, &pack->weights_md, w->data, pack->weights, err);
cleanup:
    dnnl_primitive_desc_destroy(pd);
    if (st)
        conv_dnnl_release(pack);
    else
        *state = pack;
    return st;
}

void conv_dnnl_release(void *state)
{
    conv_pack_t *pack = state;

    if (!pack)
        return;
    free(pack->weights);
    free(pack);
}

/* The primitive for the call's real shapes, with its scratchpad in the workspace if asked. */
static status_t create_primitive(op_call_t *call, bool user_scratchpad, conv_prepared_t **out,
                                 error_t *err)
{
    const conv_pack_t *pack = call->state;
    bool has_bias = call->n_inputs > 2 && call->inputs[2];
    dnnl_primitive_desc_t pd = NULL;
    conv_prepared_t *prep = NULL;
    conv_geom_t g;
    tensor_t y;
    dnnl_status_t ds;
    status_t st = conv_nhwc_resolve(call, &g, &y, err);

    *out = NULL;
    if (st)
        return st;
    if (!pack)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "weights are not packed");
    omp_set_num_threads(call->threads);
    if ((st = create_pd(call, &g, has_bias, &pack->weights_md, user_scratchpad, &pd, err)))
        return st;
    prep = calloc(1, sizeof *prep);
    if (!prep) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory preparing a convolution");
        goto cleanup;
    }
    prep->src_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    prep->weights_md = pack->weights_md;
    prep->dst_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    if (has_bias)
        prep->bias_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    prep->scratch_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    ds = dnnl_primitive_create(&prep->primitive, pd);
    if (ds != dnnl_success)
        st = dnnl_fail(call, err, "create the convolution", ds);
cleanup:
    dnnl_primitive_desc_destroy(pd);
    if (st)
        conv_dnnl_unprepare(prep);
    else
        *out = prep;
    return st;
}

status_t conv_dnnl_prepare(op_call_t *call, void **prepared, error_t *err)
{
    conv_prepared_t *prep;
    status_t st = create_primitive(call, true, &prep, err);
    size_t scratch;

    *prepared = NULL;
    if (st)
        return st;
    scratch = dnnl_memory_desc_get_size(&prep->scratch_md);
    if (scratch > call->workspace_size)
        call->workspace_size = scratch;
    *prepared = prep;
    return STATUS_OK;
}

void conv_dnnl_unprepare(void *prepared)
{
    conv_prepared_t *prep = prepared;

    if (!prep)
        return;
    dnnl_primitive_destroy(prep->primitive);
    free(prep);
}

/* Memory objects of one execution, over the call's buffers. */
#define CONV_DNNL_MAX_ARGS 5

static status_t execute(const op_call_t *call, const conv_prepared_t *prep, error_t *err)
{
    const conv_pack_t *pack = call->state;
    const tensor_t *bias = call->n_inputs > 2 ? call->inputs[2] : NULL;
    dnnl_exec_arg_t args[CONV_DNNL_MAX_ARGS];
    dnnl_memory_t mem[CONV_DNNL_MAX_ARGS] = {0};
    int n = 0;
    dnnl_engine_t engine = NULL;
    dnnl_stream_t stream = NULL;
    dnnl_status_t ds = dnnl_success;
    status_t st = get_engine(call, &engine, err);

    if (st)
        return st;
    args[n].arg = DNNL_ARG_SRC;
    ds = dnnl_memory_create(&mem[n++], &prep->src_md, engine, call->inputs[0]->data);
    args[n].arg = DNNL_ARG_WEIGHTS;
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&mem[n++], &prep->weights_md, engine, pack->weights);
    args[n].arg = DNNL_ARG_DST;
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&mem[n++], &prep->dst_md, engine, call->outputs[0].data);
    if (ds == dnnl_success && bias) {
        args[n].arg = DNNL_ARG_BIAS;
        ds = dnnl_memory_create(&mem[n++], &prep->bias_md, engine, bias->data);
    }
    if (ds == dnnl_success && dnnl_memory_desc_get_size(&prep->scratch_md) > 0) {
        args[n].arg = DNNL_ARG_SCRATCHPAD;
        ds = dnnl_memory_create(&mem[n++], &prep->scratch_md, engine, call->workspace);
    }
    for (int i = 0; i < n; i++)
        args[i].memory = mem[i];
    if (ds == dnnl_success)
        ds = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (ds == dnnl_success)
        ds = dnnl_primitive_execute(prep->primitive, stream, n, args);
    if (ds == dnnl_success)
        ds = dnnl_stream_wait(stream);
    if (ds != dnnl_success)
        st = dnnl_fail(call, err, "run the convolution", ds);
    dnnl_stream_destroy(stream);
    for (int i = 0; i < n; i++)
        dnnl_memory_destroy(mem[i]);
    return st;
}

status_t conv_dnnl_run(op_call_t *call, error_t *err)
{
    const conv_nhwc_params_t *p = call->params;
    conv_prepared_t *own = NULL;
    const conv_prepared_t *prep = call->prepared;
    status_t st;

    if (tensor_numel(&call->outputs[0]) == 0)
        return STATUS_OK;
    /* The sum post-op accumulates onto the destination: start it at the residual. */
    if (p->sum && call->outputs[0].data != call->inputs[CONV_NHWC_RESIDUAL]->data)
        memcpy(call->outputs[0].data, call->inputs[CONV_NHWC_RESIDUAL]->data,
               tensor_bytes(&call->outputs[0]));
    omp_set_num_threads(call->threads);
    /* Folding while planning runs a step unprepared: make a one-off primitive. */
    if (!prep) {
        if ((st = create_primitive(call, false, &own, err)))
            return st;
        prep = own;
    }
    st = execute(call, prep, err);
    conv_dnnl_unprepare(own);
    return st;
}
