/*
 * gemm_bf16.c - the bf16 precision mode's matrix product on oneDNN's matmul
 * primitive: bf16 source and weights, float32 bias, accumulation and
 * destination. pack reorders B once into the blocked bf16 format oneDNN
 * picks for a nominal row count; prepare makes the primitive for the
 * plan's rows with that format forced, or (should oneDNN want another one
 * for these rows) on a copy the plan owns, and refuses reference code;
 * run narrows A into the workspace and executes.
 *
 * oneDNN's Debian build runs on OpenMP and sizes its work split by
 * omp_get_max_threads(), so prepare and run set the calling thread's
 * OpenMP thread count first, as conv_dnnl.c does.
 */
#include "gemm_bf16.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnnl.h>

#include "bf16.h"
#include "cpu_isa.h"
#include "onednn_reorder.h"

/* Rows of A pack chooses the weight format for (a BERT-base sequence). */
#define GEMM_BF16_NOMINAL_M 128

/* Alignment of packed weights and of the workspace's parts. */
#define GEMM_BF16_ALIGN 64

/* Longest implementation name kept (oneDNN's, e.g. "brg:avx512_core_bf16"). */
#define GEMM_BF16_IMPL_MAX 40

struct gemm_bf16_b {
    int64_t k, n;
    dnnl_memory_desc_t md; /* bf16, oneDNN's blocked format */
    void *data;            /* owned, GEMM_BF16_ALIGN-aligned */
};

struct gemm_bf16_plan {
    const gemm_bf16_b_t *b;
    void *own_weights; /* NULL, or a copy of b in the format this primitive wants (owned) */
    dnnl_memory_desc_t weights_md, src_md, bias_md, dst_md, scratch_md;
    dnnl_primitive_t primitive;
    int64_t m;
    bool bias;
    size_t scratch_offset; /* the narrowed A comes first in the workspace, then the scratchpad */
    char impl[GEMM_BF16_IMPL_MAX];
};

static dnnl_engine_t cpu_engine;
static dnnl_status_t cpu_engine_status;
static pthread_once_t cpu_engine_once = PTHREAD_ONCE_INIT;

static void cpu_engine_init(void)
{
    (void)cpu_isa(); /* hands INFERD_MAX_ISA's cap to oneDNN before its first primitive */
    cpu_engine_status = dnnl_engine_create(&cpu_engine, dnnl_cpu, 0);
}

static status_t get_engine(dnnl_engine_t *engine, error_t *err)
{
    pthread_once(&cpu_engine_once, cpu_engine_init);
    if (cpu_engine_status != dnnl_success)
        return error_set(err, STATUS_INTERNAL, "cannot create the oneDNN CPU engine (status %d)",
                         (int)cpu_engine_status);
    *engine = cpu_engine;
    return STATUS_OK;
}

static size_t align_up(size_t bytes)
{
    return (bytes + GEMM_BF16_ALIGN - 1) & ~(size_t)(GEMM_BF16_ALIGN - 1);
}

static const char *impl_name(const_dnnl_primitive_desc_t pd)
{
    const char *impl = NULL;

    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success || !impl)
        return "unknown";
    return impl;
}

/* oneDNN's reference implementations are named "ref:...", "ref_int8:...". */
static bool impl_is_reference(const char *impl)
{
    return strncmp(impl, "ref", 3) == 0;
}

/* The matmul descriptor for m x k x n with weights weights_md and epilogue ep (NULL: none). */
static dnnl_status_t create_pd(int64_t m, int64_t k, int64_t n,
                               const dnnl_memory_desc_t *weights_md, const gemm_bf16_epilogue_t *ep,
                               dnnl_engine_t engine, dnnl_primitive_desc_t *pd)
{
    dnnl_dims_t src_dims = {m, k}, dst_dims = {m, n}, bias_dims = {1, n};
    dnnl_memory_desc_t src_md, dst_md, bias_md;
    dnnl_matmul_desc_t desc;
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t ops = NULL;
    bool bias = ep && ep->bias;
    dnnl_status_t ds;

    ds = dnnl_memory_desc_init_by_tag(&src_md, 2, src_dims, dnnl_bf16, dnnl_ab);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_tag(&dst_md, 2, dst_dims, dnnl_f32, dnnl_ab);
    if (ds == dnnl_success && bias)
        ds = dnnl_memory_desc_init_by_tag(&bias_md, 2, bias_dims, dnnl_f32, dnnl_ab);
    if (ds == dnnl_success)
        ds = dnnl_matmul_desc_init(&desc, &src_md, weights_md, bias ? &bias_md : NULL, &dst_md);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_create(&attr);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user);
    if (ds == dnnl_success)
        ds = dnnl_post_ops_create(&ops);
    if (ds == dnnl_success && ep && ep->sum)
        ds = dnnl_post_ops_append_sum(ops, 1.0f);
    if (ds == dnnl_success && ep && ep->act == GEMM_ACT_RELU)
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    if (ds == dnnl_success && ep && ep->act == GEMM_ACT_CLIP)
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip, ep->clip_min, ep->clip_max);
    if (ds == dnnl_success && ep && ep->act == GEMM_ACT_GELU)
        ds = dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_gelu_erf, 0.0f, 0.0f);
    if (ds == dnnl_success)
        ds = dnnl_primitive_attr_set_post_ops(attr, ops);
    if (ds == dnnl_success)
        ds = dnnl_primitive_desc_create(pd, &desc, attr, engine, NULL);
    dnnl_post_ops_destroy(ops);
    dnnl_primitive_attr_destroy(attr);
    return ds;
}

static status_t dnnl_fail(error_t *err, const char *what, dnnl_status_t ds)
{
    return error_set(err, ds == dnnl_out_of_memory ? STATUS_OUT_OF_MEMORY : STATUS_UNSUPPORTED,
                     "oneDNN cannot %s (status %d)", what, (int)ds);
}

status_t gemm_bf16_pack(const float *b, int64_t ldb, bool transposed, int64_t k, int64_t n,
                        gemm_bf16_b_t **out, error_t *err)
{
    dnnl_dims_t dims = {k, n};
    dnnl_dims_t strides = {transposed ? 1 : ldb, transposed ? ldb : 1};
    dnnl_memory_desc_t any_md, plain_md;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_engine_t engine = NULL;
    gemm_bf16_b_t *packed = NULL;
    dnnl_status_t ds;
    status_t st;

    *out = NULL;
    if ((st = get_engine(&engine, err)))
        return st;
    if (k <= 0 || n <= 0)
        return error_set(err, STATUS_UNSUPPORTED, "an empty B stays float32");
    ds = dnnl_memory_desc_init_by_tag(&any_md, 2, dims, dnnl_bf16, dnnl_format_tag_any);
    if (ds == dnnl_success)
        ds = dnnl_memory_desc_init_by_strides(&plain_md, 2, dims, dnnl_f32, strides);
    if (ds == dnnl_success)
        ds = create_pd(GEMM_BF16_NOMINAL_M, k, n, &any_md, NULL, engine, &pd);
    if (ds != dnnl_success) {
        st = dnnl_fail(err, "create a bf16 matmul", ds);
        goto cleanup;
    }
    if (impl_is_reference(impl_name(pd))) {
        st = error_set(err, STATUS_UNSUPPORTED, "only reference code runs a bf16 matmul (%s)",
                       impl_name(pd));
        goto cleanup;
    }
    packed = calloc(1, sizeof *packed);
    if (!packed) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
        goto cleanup;
    }
    packed->k = k;
    packed->n = n;
    packed->md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    packed->data = aligned_alloc(GEMM_BF16_ALIGN, align_up(dnnl_memory_desc_get_size(&packed->md)));
    if (!packed->data) {
        st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory packing weights");
        goto cleanup;
    }
    ds = onednn_reorder_once(engine, &plain_md, b, &packed->md, packed->data);
    if (ds != dnnl_success)
        st = dnnl_fail(err, "reorder the weights to bf16", ds);
cleanup:
    dnnl_primitive_desc_destroy(pd);
    if (st)
        gemm_bf16_free(packed);
    else
        *out = packed;
    return st;
}

void gemm_bf16_free(gemm_bf16_b_t *b)
{
    if (!b)
        return;
    free(b->data);
    free(b);
}

int64_t gemm_bf16_k(const gemm_bf16_b_t *b)
{
    return b->k;
}

int64_t gemm_bf16_n(const gemm_bf16_b_t *b)
{
    return b->n;
}

status_t gemm_bf16_prepare(const gemm_bf16_b_t *b, int64_t m, const gemm_bf16_epilogue_t *ep,
                           int threads, gemm_bf16_plan_t **out, size_t *workspace, error_t *err)
{
    dnnl_primitive_desc_t pd = NULL;
    dnnl_memory_desc_t any_md;
    dnnl_dims_t dims = {b->k, b->n};
    dnnl_engine_t engine = NULL;
    gemm_bf16_plan_t *plan = NULL;
    dnnl_status_t ds;
    status_t st;
    size_t bytes;

    *out = NULL;
    if ((st = get_engine(&engine, err)))
        return st;
    omp_set_num_threads(threads);
    plan = calloc(1, sizeof *plan);
    if (!plan)
        return error_set(err, STATUS_OUT_OF_MEMORY, "out of memory preparing a bf16 matmul");
    plan->b = b;
    plan->m = m;
    plan->bias = ep->bias;
    plan->weights_md = b->md;
    /* The packed format first; another one only if oneDNN's best for these rows wants it. */
    ds = create_pd(m, b->k, b->n, &b->md, ep, engine, &pd);
    if (ds != dnnl_success || impl_is_reference(impl_name(pd))) {
        dnnl_primitive_desc_destroy(pd);
        pd = NULL;
        ds = dnnl_memory_desc_init_by_tag(&any_md, 2, dims, dnnl_bf16, dnnl_format_tag_any);
        if (ds == dnnl_success)
            ds = create_pd(m, b->k, b->n, &any_md, ep, engine, &pd);
        if (ds != dnnl_success) {
            st = dnnl_fail(err, "create a bf16 matmul", ds);
            goto cleanup;
        }
        if (impl_is_reference(impl_name(pd))) {
            st = error_set(err, STATUS_UNSUPPORTED,
                           "only reference code runs a bf16 matmul of %lld x %lld x %lld (%s)",
                           (long long)m, (long long)b->k, (long long)b->n, impl_name(pd));
            goto cleanup;
        }
        plan->weights_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
        if (!dnnl_memory_desc_equal(&plan->weights_md, &b->md)) {
            plan->own_weights = aligned_alloc(
                GEMM_BF16_ALIGN, align_up(dnnl_memory_desc_get_size(&plan->weights_md)));
            if (!plan->own_weights) {
                st = error_set(err, STATUS_OUT_OF_MEMORY, "out of memory preparing a bf16 matmul");
                goto cleanup;
            }
            ds = onednn_reorder_once(engine, &b->md, b->data, &plan->weights_md, plan->own_weights);
            if (ds != dnnl_success) {
                st = dnnl_fail(err, "reorder bf16 weights", ds);
                goto cleanup;
            }
        }
    }
    snprintf(plan->impl, sizeof plan->impl, "%s", impl_name(pd));
    plan->src_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    plan->dst_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    if (ep->bias)
        plan->bias_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1);
    plan->scratch_md = *dnnl_primitive_desc_query_md(pd, dnnl_query_scratchpad_md, 0);
    plan->scratch_offset = align_up(dnnl_memory_desc_get_size(&plan->src_md));
    ds = dnnl_primitive_create(&plan->primitive, pd);
    if (ds != dnnl_success) {
        st = dnnl_fail(err, "create a bf16 matmul", ds);
        goto cleanup;
    }
    bytes = plan->scratch_offset + dnnl_memory_desc_get_size(&plan->scratch_md);
    if (bytes > *workspace)
        *workspace = bytes;
cleanup:
    dnnl_primitive_desc_destroy(pd);
    if (st)
        gemm_bf16_plan_free(plan);
    else
        *out = plan;
    return st;
}

void gemm_bf16_plan_free(gemm_bf16_plan_t *plan)
{
    if (!plan)
        return;
    dnnl_primitive_destroy(plan->primitive);
    free(plan->own_weights);
    free(plan);
}

int64_t gemm_bf16_plan_rows(const gemm_bf16_plan_t *plan)
{
    return plan->m;
}

const char *gemm_bf16_plan_impl(const gemm_bf16_plan_t *plan)
{
    return plan->impl;
}

/* Memory objects of one execution: source, weights, destination, bias, scratchpad. */
#define GEMM_BF16_MAX_ARGS 5

status_t gemm_bf16_run(const gemm_bf16_plan_t *plan, const float *a, const float *bias, float *c,
                       void *workspace, int threads, error_t *err)
{
    dnnl_exec_arg_t args[GEMM_BF16_MAX_ARGS];
    dnnl_memory_t mem[GEMM_BF16_MAX_ARGS] = {0};
    void *weights = plan->own_weights ? plan->own_weights : plan->b->data;
    dnnl_engine_t engine = NULL;
    dnnl_stream_t stream = NULL;
    dnnl_status_t ds;
    status_t st;
    int n = 0;

    if ((st = get_engine(&engine, err)))
        return st;
    if (plan->m == 0)
        return STATUS_OK;
    bf16_from_float_n(a, workspace, plan->m * plan->b->k, threads);
    omp_set_num_threads(threads);
    args[n].arg = DNNL_ARG_SRC;
    ds = dnnl_memory_create(&mem[n++], &plan->src_md, engine, workspace);
    args[n].arg = DNNL_ARG_WEIGHTS;
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&mem[n++], &plan->weights_md, engine, weights);
    args[n].arg = DNNL_ARG_DST;
    if (ds == dnnl_success)
        ds = dnnl_memory_create(&mem[n++], &plan->dst_md, engine, c);
    if (ds == dnnl_success && plan->bias) {
        args[n].arg = DNNL_ARG_BIAS;
        ds = dnnl_memory_create(&mem[n++], &plan->bias_md, engine, (void *)bias);
    }
    if (ds == dnnl_success && dnnl_memory_desc_get_size(&plan->scratch_md) > 0) {
        args[n].arg = DNNL_ARG_SCRATCHPAD;
        ds = dnnl_memory_create(&mem[n++], &plan->scratch_md, engine,
                                (char *)workspace + plan->scratch_offset);
    }
    for (int i = 0; i < n; i++)
        args[i].memory = mem[i];
    if (ds == dnnl_success)
        ds = dnnl_stream_create(&stream, engine, dnnl_stream_default_flags);
    if (ds == dnnl_success)
        ds = dnnl_primitive_execute(plan->primitive, stream, n, args);
    if (ds == dnnl_success)
        ds = dnnl_stream_wait(stream);
    if (ds != dnnl_success)
        st = dnnl_fail(err, "run a bf16 matmul", ds);
    dnnl_stream_destroy(stream);
    for (int i = 0; i < n; i++)
        dnnl_memory_destroy(mem[i]);
    return st;
}
