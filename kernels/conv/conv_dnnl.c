/*
 * conv_dnnl.c - the channels-last convolution on oneDNN primitives.
 *
 * pack (once per model) reorders the constant OIHW weights into the blocked
 * format oneDNN's convolution picks for a nominal input (batch 1,
 * CONV_DNNL_NOMINAL_SIZE square, the real channel counts and window), and
 * the plain weights are freed. prepare (once per plan) creates the
 * primitive for the real shapes with the weight format left to oneDNN and
 * the plan's thread count, its scratchpad in the step's workspace, and runs
 * it on a copy of the weights in the format it chose (pick_weights): on
 * AVX2 that is nearly always the nominal one, while on AVX-512 the format
 * follows the image size too, and forcing the nominal one would leave
 * oneDNN only its reference code. Every primitive's implementation is
 * recorded (conv_dnnl_describe) so that reference code never runs unseen.
 * run executes it on the caller's buffers.
 *
 * oneDNN's Debian build runs on OpenMP and sizes its work split by
 * omp_get_max_threads(), so prepare and run set the calling thread's
 * OpenMP thread count to call->threads first.
 *
 * In the bf16 precision mode (op_call_t.bf16) pack asks oneDNN for a bf16
 * convolution (bf16 source and weights, float32 accumulation, bias and
 * destination) and packs the weights in bf16 when an implementation other
 * than reference code takes it; run then narrows the float activations to
 * bf16 in the workspace first, unless X is bf16 already (written so by a
 * bf16 convolution with params.bf16_out, which the primitive then does as
 * its destination type, after the fused activation). A real shape that
 * only reference code would take in bf16 runs in float32 on a float copy of
 * the bf16 weights, unless X or Y is bf16: then the reference bf16
 * primitive runs it, and describe reports it as reference code.
 */
#include "conv_nhwc.h"

#include <assert.h>
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "bf16.h"
#include "cpu_isa.h"
#include "onednn_reorder.h"

/* Image edge of the nominal input pack chooses the weight format with. */
#define CONV_DNNL_NOMINAL_SIZE 32

/* Bytes packed weights are aligned to (oneDNN's own buffers use 64). */
#define CONV_DNNL_ALIGN 64

/* The weights packed in one blocked format. */
typedef struct conv_weights {
    dnnl_memory_desc_t md;
    void *data;
    int users; /* prepared primitives running on this copy */
    struct conv_weights *next;
} conv_weights_t;

/*
 * A model's packed state of one convolution, shared by every plan: one copy
 * of the weights per format the plans' primitives want (never more than
 * the few blockings oneDNN chooses among; nearly always one). lock guards
 * the list while plans are prepared and freed concurrently; runs read a
 * copy their primitive holds a use of, without the lock.
 */
typedef struct conv_pack {
    pthread_mutex_t lock;
    conv_weights_t *formats;
    int reorders; /* copies made so far, the first one included */
    bool bf16;    /* the first copy is bf16: the model runs in bf16 precision */
} conv_pack_t;

typedef struct conv_prepared {
    dnnl_primitive_t primitive;
    conv_pack_t *pack;
    conv_weights_t *weights; /* the copy in the primitive's format; one use held */
    dnnl_memory_desc_t src_md, bias_md, dst_md, scratch_md;
    char impl[OP_IMPL_MAX];
    bool reference; /* oneDNN's reference code: the only implementation for this shape */
    bool bf16;      /* a bf16 primitive: src_md is bf16 */
    bool narrow;    /* bf16 with a float X: run narrows it at workspace + src_offset */
    size_t src_offset;
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
 * descriptor (format any, or a packed one) and the params' fused epilogue;
 * bf16: a bf16 source, and a bf16 destination with params.bf16_out.
 */
static status_t create_pd(const op_call_t *call, const conv_geom_t *g, bool has_bias,
                          const dnnl_memory_desc_t *weights_md, bool user_scratchpad, bool bf16,
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
    assert(bf16 || !p->bf16_out);
    conv_shapes(g, &s);
    ds = dnnl_memory_desc_init_by_tag(&src_md, 4, s.src, bf16 ? dnnl_bf16 : dnnl_f32, dnnl_nhwc);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&dst_md, 4, s.dst, p->bf16_out ? dnnl_bf16 : dnnl_f32,
                                          dnnl_nhwc);
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
    dnnl_status_t ds;
    status_t st = get_engine(call, &engine, err);

    if (st)
        return st;
    ds = onednn_reorder_once(engine, from, src, to, dst);
    return ds == dnnl_success ? STATUS_OK : dnnl_fail(call, err, "reorder the weights", ds);
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

/* Frees every copy of list that no primitive uses, except keep. */
static void drop_unused(conv_weights_t **list, const conv_weights_t *keep)
{
    while (*list) {
        conv_weights_t *f = *list;
        if (f == keep || f->users > 0) {
            list = &f->next;
            continue;
        }
        *list = f->next;
        free(f->data);
        free(f);
    }
}

/*
 * Adds a copy of the weights in format md to pack, reordered from src
 * (plain ONNX weights, or another copy, in format src_md).
 */
static status_t add_format(const op_call_t *call, conv_pack_t *pack, const dnnl_memory_desc_t *md,
                           const dnnl_memory_desc_t *src_md, const void *src, conv_weights_t **out,
                           error_t *err)
{
    size_t bytes = dnnl_memory_desc_get_size(md);
    conv_weights_t *f = calloc(1, sizeof *f);
    status_t st;

    if (f)
        f->data = aligned_alloc(CONV_DNNL_ALIGN,
                                (bytes + CONV_DNNL_ALIGN - 1) & ~(size_t)(CONV_DNNL_ALIGN - 1));
    if (!f || !f->data) {
        free(f);
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    }
    f->md = *md;
    if ((st = reorder_weights(call, src_md, md, src, f->data, err))) {
        free(f->data);
        free(f);
        return st;
    }
    f->next = pack->formats;
    pack->formats = f;
    pack->reorders++;
    *out = f;
    return STATUS_OK;
}

/* True for oneDNN's reference implementations ("ref:any", "ref_int8:any", ...). */
static bool impl_is_reference(const char *impl)
{
    return strncmp(impl, "ref", 3) == 0;
}

static const char *impl_name(const_dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;

    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl)
        return "unknown";
    return impl;
}

/*
 * The bf16 weight format oneDNN's bf16 convolution wants for geometry g,
 * into *md; false when no implementation but reference code takes it (the
 * layer then stays float32: bf16 on reference code would be far slower).
 */
static bool bf16_format(const op_call_t *call, const conv_geom_t *g, bool has_bias,
                        dnnl_memory_desc_t *md)
{
    dnnl_memory_desc_t any_md;
    dnnl_primitive_desc_t pd = NULL;
    conv_shapes_t s;
    error_t ignored;
    bool ok;

    conv_shapes(g, &s);
    if (dnnl_memory_desc_init_by_tag(&any_md, s.weights_ndims, s.weights, dnnl_bf16,
                                     dnnl_format_tag_any) != dnnl_success ||
        create_pd(call, g, has_bias, &any_md, false, true, &pd, &ignored))
        return false;
    ok = !impl_is_reference(impl_name(pd));
    if (ok)
        *md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_primitive_desc_destroy(pd);
    return ok;
}

status_t conv_dnnl_pack_as(const op_call_t *call, int format_tag, void **state, error_t *err)
{
    const tensor_t *w = call->inputs[1];
    bool has_bias = call->n_inputs > 2 && call->inputs[2];
    dnnl_memory_desc_t md, plain_md;
    dnnl_primitive_desc_t pd = NULL;
    conv_pack_t *pack = NULL;
    conv_weights_t *f;
    conv_shapes_t s;
    conv_geom_t g;
    bool bf16 = false;
    status_t st;

    *state = NULL;
    if (!w || !w->data)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "weights are not constant");
    if ((st = nominal_geometry(call, &g, err)))
        return st;
    conv_shapes(&g, &s);
    if (dnnl_memory_desc_init_by_tag(&md, s.weights_ndims, s.weights, dnnl_f32,
                                     (dnnl_format_tag_t)format_tag) != dnnl_success ||
        plain_weights_md(&g, &plain_md) != dnnl_success)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                       "cannot describe the weights");
    if (format_tag == dnnl_format_tag_any && call->bf16)
        bf16 = bf16_format(call, &g, has_bias, &md);
    if (format_tag == dnnl_format_tag_any && !bf16) {
        if ((st = create_pd(call, &g, has_bias, &md, false, false, &pd, err)))
            return st;
        md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        dnnl_primitive_desc_destroy(pd);
    }
    pack = calloc(1, sizeof *pack);
    if (!pack)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
    pthread_mutex_init(&pack->lock, NULL);
    pack->bf16 = bf16;
    if (bf16 && call->packed_bf16)
        *call->packed_bf16 = true;
    st = add_format(call, pack, &md, &plain_md, w->data, &f, err);
    if (st)
        conv_dnnl_release(pack);
    else
        *state = pack;
    return st;
}

status_t conv_dnnl_pack(const op_call_t *call, void **state, error_t *err)
{
    return conv_dnnl_pack_as(call, dnnl_format_tag_any, state, err);
}

bool conv_dnnl_packed_bf16(const void *state)
{
    const conv_pack_t *pack = state;

    return pack && pack->bf16;
}

void conv_dnnl_release(void *state)
{
    conv_pack_t *pack = state;

    if (!pack)
        return;
    for (const conv_weights_t *f = pack->formats; f; f = f->next)
        assert(f->users == 0);
    drop_unused(&pack->formats, NULL);
    pthread_mutex_destroy(&pack->lock);
    free(pack);
}

/* The copy of the weights in format md, or NULL. */
static conv_weights_t *find_format(conv_pack_t *pack, const dnnl_memory_desc_t *md)
{
    for (conv_weights_t *f = pack->formats; f; f = f->next)
        if (dnnl_memory_desc_equal(&f->md, md))
            return f;
    return NULL;
}

/*
 * Picks the weights for primitive descriptor *pd (created with weights
 * format any) under pack->lock, and may replace *pd:
 *   - the format oneDNN chose is packed already: that copy;
 *   - a packed format is accepted by the same implementation: that copy,
 *     with a descriptor forcing it (no second copy for a format that only
 *     differs in a way the implementation does not care about);
 *   - otherwise a new copy in the chosen format, reordered from a packed
 *     one; copies no plan uses any more are dropped then, so the resident
 *     weights stay one copy per format in use.
 * The weights' format depends on the real shape: on AVX-512, oneDNN's brgconv
 * blocks output channels per shape (Acdb64a, Acdb48a, ...), and forcing
 * another format there leaves only its reference implementation.
 */
static status_t pick_weights(op_call_t *call, const conv_geom_t *g, bool has_bias,
                             bool user_scratchpad, bool bf16, conv_pack_t *pack,
                             dnnl_primitive_desc_t *pd, conv_weights_t **out, error_t *err)
{
    const dnnl_memory_desc_t want = *dnnl_primitive_desc_query_md(*pd, dnnl_query_weights_md, 0);
    const char *impl = impl_name(*pd);
    conv_weights_t *f = find_format(pack, &want), *src = NULL;
    error_t ignored;
    status_t st;

    for (src = pack->formats; src && !f; src = src->next) {
        dnnl_primitive_desc_t forced = NULL;
        if (src->md.data_type != want.data_type ||
            create_pd(call, g, has_bias, &src->md, user_scratchpad, bf16, &forced, &ignored))
            continue;
        if (strcmp(impl_name(forced), impl) == 0) {
            dnnl_primitive_desc_destroy(*pd);
            *pd = forced;
            f = src;
        } else {
            dnnl_primitive_desc_destroy(forced);
        }
    }
    if (!f) {
        src = pack->formats;
        if (!src)
            return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                           "weights are not packed");
        if ((st = add_format(call, pack, &want, &src->md, src->data, &f, err)))
            return st;
        drop_unused(&pack->formats, f);
    }
    f->users++;
    *out = f;
    return STATUS_OK;
}

/*
 * The primitive for the call's real shapes, with its scratchpad in the
 * workspace if asked: oneDNN's best implementation for them (created with
 * weights format any), on a packed copy of the weights in the format it
 * wants. *out holds a use of that copy until conv_dnnl_unprepare.
 */
static status_t create_primitive(op_call_t *call, bool user_scratchpad, conv_prepared_t **out,
                                 error_t *err)
{
    conv_pack_t *pack = call->state;
    const conv_nhwc_params_t *p = call->params;
    bool has_bias = call->n_inputs > 2 && call->inputs[2];
    /* bf16 tensors leave no float32 primitive to fall back to. */
    const bool bf16_tensors = call->inputs[0]->dtype == DTYPE_BFLOAT16 || p->bf16_out;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_memory_desc_t any_md;
    conv_prepared_t *prep = NULL;
    conv_shapes_t s;
    conv_geom_t g;
    tensor_t y;
    dnnl_status_t ds;
    error_t ignored;
    bool bf16 = false;
    status_t st = conv_nhwc_resolve(call, &g, &y, err);

    *out = NULL;
    if (st)
        return st;
    if (!pack)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node, "weights are not packed");
    if (bf16_tensors && !pack->bf16)
        return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                       "bf16 tensors on a layer not packed in bf16");
    omp_set_num_threads(call->threads);
    conv_shapes(&g, &s);
    /*
     * bf16 weights: a bf16 primitive, unless only reference code takes these
     * shapes and X and Y are float32.
     */
    if (pack->bf16) {
        if (dnnl_memory_desc_init_by_tag(&any_md, s.weights_ndims, s.weights, dnnl_bf16,
                                         dnnl_format_tag_any) != dnnl_success)
            return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                           "cannot describe the weights");
        if (create_pd(call, &g, has_bias, &any_md, user_scratchpad, true, &pd, &ignored) ==
                STATUS_OK &&
            (bf16_tensors || !impl_is_reference(impl_name(pd))))
            bf16 = true;
        else if (pd) {
            dnnl_primitive_desc_destroy(pd);
            pd = NULL;
        }
    }
    if (bf16_tensors && !bf16)
        return op_fail(err, STATUS_UNSUPPORTED, call->op_type, call->node,
                       "oneDNN has no bf16 convolution for these shapes");
    if (!bf16) {
        if (dnnl_memory_desc_init_by_tag(&any_md, s.weights_ndims, s.weights, dnnl_f32,
                                         dnnl_format_tag_any) != dnnl_success)
            return op_fail(err, STATUS_INTERNAL, call->op_type, call->node,
                           "cannot describe the weights");
        if ((st = create_pd(call, &g, has_bias, &any_md, user_scratchpad, false, &pd, err)))
            return st;
    }
    prep = calloc(1, sizeof *prep);
    if (!prep) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory preparing a convolution");
        goto cleanup;
    }
    pthread_mutex_lock(&pack->lock);
    st = pick_weights(call, &g, has_bias, user_scratchpad, bf16, pack, &pd, &prep->weights, err);
    pthread_mutex_unlock(&pack->lock);
    if (st)
        goto cleanup;
    prep->pack = pack;
    prep->bf16 = bf16;
    prep->narrow = bf16 && call->inputs[0]->dtype == DTYPE_FLOAT;
    snprintf(prep->impl, sizeof prep->impl, "onednn %s%s", bf16 ? "bf16 " : "", impl_name(pd));
    prep->reference = impl_is_reference(impl_name(pd));
    prep->src_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
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
    if (prep->narrow) {
        /* The narrowed input follows the scratchpad, both 64-byte aligned. */
        prep->src_offset = (scratch + CONV_DNNL_ALIGN - 1) & ~(size_t)(CONV_DNNL_ALIGN - 1);
        scratch = prep->src_offset + dnnl_memory_desc_get_size(&prep->src_md);
    }
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
    if (prep->weights) {
        pthread_mutex_lock(&prep->pack->lock);
        assert(prep->weights->users > 0);
        prep->weights->users--;
        pthread_mutex_unlock(&prep->pack->lock);
    }
    dnnl_primitive_destroy(prep->primitive);
    free(prep);
}

void conv_dnnl_pack_info(void *state, int *formats, int *reorders)
{
    conv_pack_t *pack = state;

    pthread_mutex_lock(&pack->lock);
    *formats = 0;
    for (const conv_weights_t *f = pack->formats; f; f = f->next)
        (*formats)++;
    *reorders = pack->reorders;
    pthread_mutex_unlock(&pack->lock);
}

bool conv_dnnl_describe(const op_call_t *call, char *impl, size_t size)
{
    const conv_prepared_t *prep = call->prepared;

    snprintf(impl, size, "%s", prep ? prep->impl : "onednn (unprepared)");
    return prep && prep->reference;
}

/* Memory objects of one execution, over the call's buffers. */
#define CONV_DNNL_MAX_ARGS 5

/*
 * Runs prep on the call's buffers; a bf16 primitive on a float input reads
 * it narrowed into src16 (dnnl_memory_desc_get_size(&prep->src_md) bytes).
 */
static status_t execute(const op_call_t *call, const conv_prepared_t *prep, void *src16,
                        error_t *err)
{
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
    if (prep->narrow)
        bf16_from_float_n(call->inputs[0]->data, src16, tensor_numel(call->inputs[0]),
                          call->threads);
    args[n].arg = DNNL_ARG_SRC;
    ds = dnnl_memory_create(&mem[n++], &prep->src_md, engine,
                            prep->narrow ? src16 : call->inputs[0]->data);
    args[n].arg = DNNL_ARG_WEIGHTS;
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&mem[n++], &prep->weights->md, engine, prep->weights->data);
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
    void *src16 = NULL;
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
        if (prep->narrow && !(src16 = malloc(dnnl_memory_desc_get_size(&prep->src_md)))) {
            st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory running a convolution");
            goto cleanup;
        }
    } else if (prep->narrow) {
        src16 = (char *)call->workspace + prep->src_offset;
    }
    st = execute(call, prep, src16, err);
cleanup:
    if (own)
        free(src16);
    conv_dnnl_unprepare(own);
    return st;
}
